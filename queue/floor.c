/*
 * floor.c -- the floor: who holds it, since when, for how long, and what the clock owes.
 *
 *          queue_grant()
 *   free ───────────────────▶ held ───┐ queue_extend()
 *    ▲                        │  ▲    │ (a new total limit)
 *    │                        │  └────┘
 *    └────────────────────────┘
 *        queue_end_floor()
 *
 * The floor is one struct with an `active` flag; every transition is one function and
 * each checks its precondition, so an event replayed out of place is refused instead of
 * corrupting the state. Granting also writes the history the fair policies read (the turn
 * counter, each group's last turn, the last floor's location): it is the grant, not the
 * end, that counts as having spoken, so a floor cut short still counts as a turn.
 *
 * The module has no clock. The room owns the one timer scheduler (STYLE.md habit 10) and
 * asks queue_next_alarm() what to schedule; the floor only knows when it started and its
 * limit. Times are wall-clock milliseconds and may be anything a caller passes, so the
 * arithmetic saturates instead of overflowing.
 */
#include "queue/queue.h"

#include <string.h>

#define WARNING_BEFORE_MS 30000

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Records that group got the floor in a new turn. queue_raise() reserved room for every
 * waiting entry's group, so this only forgets a group when QUEUE_MAX_GROUPS are known:
 * then the least recent one makes way, which is the one whose history matters least. */
static void note_turn(struct queue *q, const char group[QUEUE_GROUP_MAX])
{
	q->turns++;
	for (size_t g = 0; g < q->group_count; g++) {
		if (strcmp(q->groups[g].group, group) == 0) {
			q->groups[g].last_turn = q->turns;
			return;
		}
	}
	struct queue_group_turn *slot = NULL;
	if (q->group_count < q->group_cap) {
		slot = &q->groups[q->group_count++];
	} else {
		for (size_t g = 0; g < q->group_count; g++) {
			if (slot == NULL || q->groups[g].last_turn < slot->last_turn)
				slot = &q->groups[g];
		}
	}
	if (slot == NULL)
		return; /* no table at all: only if the struct was filled by hand */
	memset(slot, 0, sizeof *slot);
	memcpy(slot->group, group, sizeof slot->group);
	slot->last_turn = q->turns;
}

enum queue_err queue_grant(struct queue *q, int64_t entry, int32_t limit_s, enum queue_chosen why,
			   int64_t now_ms)
{
	if (q->floor.active || limit_s < 0 || limit_s > QUEUE_MAX_FLOOR_LIMIT_S ||
	    (unsigned)why > QUEUE_CHOSEN_CHAIR)
		return QUEUE_EINVAL;
	const struct queue_entry *e = queue_find_entry(q, entry);
	if (e == NULL)
		return QUEUE_ENOTFOUND;

	struct queue_floor *f = &q->floor;
	memset(f, 0, sizeof *f);
	f->active = true;
	f->entry = e->entry;
	memcpy(f->pid, e->pid, sizeof f->pid);
	memcpy(f->name, e->name, sizeof f->name);
	memcpy(f->group, e->group, sizeof f->group);
	f->location = e->location;
	f->kind = e->kind;
	f->chosen = why;
	f->raised_ms = e->raised_ms;
	f->started_ms = now_ms;
	f->limit_s = limit_s;

	q->last_location = e->location;
	q->has_last_location = true;
	note_turn(q, e->group);
	/* Only this entry leaves the queue; everyone else keeps their place. */
	enum queue_err err = queue_remove(q, entry);
	(void)err; /* cannot fail: the entry was found above */
	return QUEUE_OK;
}

enum queue_err queue_end_floor(struct queue *q, int64_t now_ms, int64_t *duration_ms)
{
	if (!q->floor.active)
		return QUEUE_ENOFLOOR;
	/* A wall clock stepping back must not put a negative duration on the record. */
	int64_t d = sub_sat(now_ms, q->floor.started_ms);
	if (duration_ms != NULL)
		*duration_ms = d < 0 ? 0 : d;
	memset(&q->floor, 0, sizeof q->floor);
	return QUEUE_OK;
}

enum queue_err queue_extend(struct queue *q, int32_t limit_s)
{
	if (!q->floor.active)
		return QUEUE_ENOFLOOR;
	if (limit_s < 1 || limit_s > QUEUE_MAX_FLOOR_LIMIT_S)
		return QUEUE_EINVAL;
	q->floor.limit_s = limit_s;
	return QUEUE_OK;
}

static int64_t limit_at(const struct queue_floor *f)
{
	return add_sat(f->started_ms, (int64_t)f->limit_s * 1000);
}

enum queue_alarm queue_next_alarm(const struct queue *q, bool warned, bool limit_passed,
				  int64_t *at_ms)
{
	const struct queue_floor *f = &q->floor;
	if (!f->active || f->limit_s <= 0 || limit_passed)
		return QUEUE_ALARM_NONE;
	int64_t at = limit_at(f);
	enum queue_alarm alarm = QUEUE_ALARM_LIMIT;
	if (!warned) {
		/* With 30 s or less to speak, the speaker should know the limit from the start. */
		at = (int64_t)f->limit_s * 1000 > WARNING_BEFORE_MS ? sub_sat(at, WARNING_BEFORE_MS)
								    : f->started_ms;
		alarm = QUEUE_ALARM_WARNING;
	}
	if (at_ms != NULL)
		*at_ms = at;
	return alarm;
}

int64_t queue_remaining_s(const struct queue *q, int64_t now_ms)
{
	const struct queue_floor *f = &q->floor;
	if (!f->active || f->limit_s <= 0)
		return 0;
	int64_t left = sub_sat(limit_at(f), now_ms);
	/* Away from zero: 1 ms left is still "1 s left", 1 ms over is already "-1". C division
	 * truncates toward zero, so each sign needs its own correction. */
	if (left > 0)
		return left / 1000 + (left % 1000 != 0);
	return left / 1000 - (left % 1000 != 0);
}
