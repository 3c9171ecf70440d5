/*
 * queue.c -- the entries of the speaking queue: raising, lowering, finding, and the
 * chair's own order.
 *
 * The entries live in one growable array. Outside chair order the array is in raising
 * order and the policy (policy.c) reads who comes next from it; in chair order the array
 * *is* the order, so moving, raising and removing are array edits and nothing else has
 * to be kept in step. Each entry carries raised_seq, its rank in raising order, so that
 * leaving chair order can put the array back the way it was without trusting entry ids
 * or timestamps to be monotonic.
 *
 * Every apply function here validates everything first and reserves any memory it needs
 * before it touches the state: an error leaves the queue exactly as it was, which is what
 * lets the room treat "apply failed" as "nothing happened" both live and in replay.
 *
 * The array is at most QUEUE_MAX_ENTRIES long, so reordering it uses fixed scratch
 * arrays on the stack rather than allocating.
 */
#include "queue/queue.h"
#include "queue/queue_util.h"

#include <stdlib.h>
#include <string.h>

#define NONE		     SIZE_MAX
#define FIRST_CAP	     16
#define DEFAULT_TIME_LIMIT_S 180

static bool valid_kind(enum queue_kind kind)
{
	return (unsigned)kind <= QUEUE_KIND_REPLY;
}

static bool valid_location(enum queue_location loc)
{
	return (unsigned)loc <= QUEUE_LOC_ROOM;
}

static size_t index_of(const struct queue *q, int64_t entry)
{
	for (size_t i = 0; i < q->count; i++) {
		if (q->entries[i].entry == entry)
			return i;
	}
	return NONE;
}

void queue_init(struct queue *q)
{
	memset(q, 0, sizeof *q);
	q->open = true;
	q->policy = QUEUE_POLICY_FIFO;
	q->time_limit_s = DEFAULT_TIME_LIMIT_S;
	q->next_entry = 1;
}

void queue_fini(struct queue *q)
{
	queue_mem(q->alloc, q->alloc_ctx, q->entries, 0);
	queue_mem(q->alloc, q->alloc_ctx, q->groups, 0);
	queue_init(q);
}

const struct queue_entry *queue_find_entry(const struct queue *q, int64_t entry)
{
	size_t i = index_of(q, entry);
	return i == NONE ? NULL : &q->entries[i];
}

const struct queue_entry *queue_find_pid(const struct queue *q, const char *pid)
{
	if (pid == NULL || pid[0] == '\0')
		return NULL;
	for (size_t i = 0; i < q->count; i++) {
		if (strcmp(q->entries[i].pid, pid) == 0)
			return &q->entries[i];
	}
	return NULL;
}

enum queue_err queue_check_raise(const struct queue *q, const char *pid, enum queue_kind kind,
				 bool chair_add)
{
	if (!queue_fits(pid, QUEUE_PID_MAX) || !valid_kind(kind))
		return QUEUE_EINVAL;
	/* In-room speakers have no account, so there is nothing to be one-entry-per. */
	if (pid[0] != '\0') {
		if (q->floor.active && strcmp(q->floor.pid, pid) == 0)
			return QUEUE_EHOLDING;
		if (queue_find_pid(q, pid) != NULL)
			return QUEUE_EQUEUED;
	}
	/* A point of order is about the meeting itself, so a closed line cannot stop it. */
	if (!q->open && !chair_add && kind != QUEUE_KIND_POINT_OF_ORDER)
		return QUEUE_ECLOSED;
	if (q->count >= QUEUE_MAX_ENTRIES)
		return QUEUE_EFULL;
	return QUEUE_OK;
}

/* Room for one more entry. Growth doubles up to the ceiling, never past it. */
static enum queue_err reserve_entries(struct queue *q)
{
	if (q->count < q->cap)
		return QUEUE_OK;
	size_t cap = q->cap == 0 ? FIRST_CAP : q->cap * 2;
	if (cap > QUEUE_MAX_ENTRIES)
		cap = QUEUE_MAX_ENTRIES;
	struct queue_entry *grown =
	    queue_mem(q->alloc, q->alloc_ctx, q->entries, cap * sizeof *grown);
	if (grown == NULL)
		return QUEUE_ENOMEM;
	q->entries = grown;
	q->cap = cap;
	return QUEUE_OK;
}

/*
 * Every waiting entry may bring a group the table has not seen, and queue_grant() must
 * not fail for memory while applying a logged floor.granted. So the table always has room
 * for the groups already known plus one per waiting entry (up to the ceiling, past which
 * queue_grant() forgets the least recent group instead of growing).
 */
static enum queue_err reserve_groups(struct queue *q, size_t waiting)
{
	size_t need = q->group_count + waiting;
	if (need > QUEUE_MAX_GROUPS)
		need = QUEUE_MAX_GROUPS;
	if (need <= q->group_cap)
		return QUEUE_OK;
	size_t cap = q->group_cap == 0 ? FIRST_CAP : q->group_cap * 2;
	while (cap < need)
		cap *= 2;
	if (cap > QUEUE_MAX_GROUPS)
		cap = QUEUE_MAX_GROUPS;
	struct queue_group_turn *grown =
	    queue_mem(q->alloc, q->alloc_ctx, q->groups, cap * sizeof *grown);
	if (grown == NULL)
		return QUEUE_ENOMEM;
	q->groups = grown;
	q->group_cap = cap;
	return QUEUE_OK;
}

static enum queue_err check_new_entry(const struct queue *q, int64_t entry,
				      const struct queue_person *who, enum queue_kind kind)
{
	if (who == NULL || !queue_fits(who->pid, QUEUE_PID_MAX) ||
	    !queue_fits(who->name, QUEUE_NAME_MAX) || !queue_fits(who->group, QUEUE_GROUP_MAX) ||
	    !valid_location(who->location) || !valid_kind(kind))
		return QUEUE_EINVAL;
	/* Ids name entries in later events; a second holder of one would make them ambiguous,
	 * and INT64_MAX would leave next_entry nowhere to go. */
	if (entry < 0 || entry == INT64_MAX || index_of(q, entry) != NONE ||
	    (q->floor.active && q->floor.entry == entry))
		return QUEUE_EINVAL;
	if (q->count >= QUEUE_MAX_ENTRIES)
		return QUEUE_EFULL;
	return QUEUE_OK;
}

/* Where a new entry goes: the end of raising order, or in chair order the end too, except
 * that a point of order joins the points of order the chair left at the head. */
static size_t insert_at(const struct queue *q, enum queue_kind kind)
{
	if (!q->chair_order || kind != QUEUE_KIND_POINT_OF_ORDER)
		return q->count;
	size_t i = 0;
	while (i < q->count && q->entries[i].kind == QUEUE_KIND_POINT_OF_ORDER)
		i++;
	return i;
}

enum queue_err queue_raise(struct queue *q, int64_t entry, const struct queue_person *who,
			   enum queue_kind kind, int64_t raised_ms)
{
	enum queue_err err = check_new_entry(q, entry, who, kind);
	if (err == QUEUE_OK)
		err = reserve_entries(q);
	if (err == QUEUE_OK)
		err = reserve_groups(q, q->count + 1);
	if (err != QUEUE_OK)
		return err;

	size_t at = insert_at(q, kind);
	memmove(&q->entries[at + 1], &q->entries[at], (q->count - at) * sizeof *q->entries);
	struct queue_entry *e = &q->entries[at];
	memset(e, 0, sizeof *e);
	e->entry = entry;
	queue_copy_str(e->pid, sizeof e->pid, who->pid);
	queue_copy_str(e->name, sizeof e->name, who->name);
	queue_copy_str(e->group, sizeof e->group, who->group);
	e->location = who->location;
	e->kind = kind;
	e->raised_ms = raised_ms;
	e->raised_seq = q->raises++;
	q->count++;
	if (q->next_entry <= entry)
		q->next_entry = entry + 1;
	return QUEUE_OK;
}

enum queue_err queue_remove(struct queue *q, int64_t entry)
{
	size_t i = index_of(q, entry);
	if (i == NONE)
		return QUEUE_ENOTFOUND;
	memmove(&q->entries[i], &q->entries[i + 1], (q->count - i - 1) * sizeof *q->entries);
	q->count--;
	/* An empty queue has no order left for the chair to have set. */
	if (q->count == 0)
		q->chair_order = false;
	return QUEUE_OK;
}

/*
 * Rearranges the entries so that position k holds what was at want[k]. Follows each
 * cycle of the permutation with one spare entry, so no second array of entries (up to
 * a third of a megabyte) is needed; want[] is used up as the record of what is done.
 */
static void permute(struct queue *q, size_t *want, size_t n)
{
	for (size_t start = 0; start < n; start++) {
		if (want[start] == start)
			continue;
		struct queue_entry spare = q->entries[start];
		size_t k = start;
		while (want[k] != start) {
			size_t src = want[k];
			q->entries[k] = q->entries[src];
			want[k] = k;
			k = src;
		}
		q->entries[k] = spare;
		want[k] = k;
	}
}

/* Chair order starts from exactly what people were shown: the policy's order. */
static void freeze_policy_order(struct queue *q)
{
	const struct queue_entry *order[QUEUE_MAX_ENTRIES];
	size_t want[QUEUE_MAX_ENTRIES];
	size_t n = queue_order(q, order, QUEUE_MAX_ENTRIES);
	for (size_t k = 0; k < n; k++)
		want[k] = (size_t)(order[k] - q->entries);
	permute(q, want, n);
}

enum queue_err queue_move(struct queue *q, int64_t entry, size_t position)
{
	if (index_of(q, entry) == NONE)
		return QUEUE_ENOTFOUND;
	if (position >= q->count)
		return QUEUE_EINVAL;
	if (!q->chair_order) {
		freeze_policy_order(q);
		q->chair_order = true;
	}
	size_t from = index_of(q, entry);
	struct queue_entry moving = q->entries[from];
	struct queue_entry *e = q->entries;
	if (from < position)
		memmove(&e[from], &e[from + 1], (position - from) * sizeof *e);
	else
		memmove(&e[position + 1], &e[position], (from - position) * sizeof *e);
	e[position] = moving;
	return QUEUE_OK;
}

/* Back from chair order to raising order: an insertion sort of positions by raised_seq,
 * then one permutation. n is at most QUEUE_MAX_ENTRIES and chair order is usually close
 * to raising order, so the quadratic worst case does not matter. */
static void restore_raising_order(struct queue *q)
{
	size_t want[QUEUE_MAX_ENTRIES];
	for (size_t k = 0; k < q->count; k++) {
		size_t i = k;
		while (i > 0 && q->entries[want[i - 1]].raised_seq > q->entries[k].raised_seq) {
			want[i] = want[i - 1];
			i--;
		}
		want[i] = k;
	}
	permute(q, want, q->count);
}

void queue_set_open(struct queue *q, bool open)
{
	q->open = open;
}

enum queue_err queue_set_policy(struct queue *q, enum queue_policy policy, int32_t time_limit_s,
				bool auto_end)
{
	if ((unsigned)policy > QUEUE_POLICY_ALTERNATE_LOCATION || time_limit_s < 0 ||
	    time_limit_s > QUEUE_MAX_LIMIT_S)
		return QUEUE_EINVAL;
	q->policy = policy;
	q->time_limit_s = time_limit_s;
	q->auto_end = auto_end;
	/* Choosing a policy is the chair saying "let the rule decide again". */
	if (q->chair_order) {
		restore_raising_order(q);
		q->chair_order = false;
	}
	return QUEUE_OK;
}
