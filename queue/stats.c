/*
 * stats.c -- speaking-time statistics for the public record.
 *
 * Who got the floor, for how long, and after how long a wait, summarised three ways:
 * per person, per stakeholder group and per location (remote or in the room). These are
 * the numbers that show whether a meeting was inclusive -- whether remote participants
 * or one group waited longer or spoke less -- so they are computed from completed floors
 * fed one at a time from the log, and nothing else.
 *
 * Each summary is an array of public rows (what queue_stats_rows() hands out, in order of
 * first appearance) plus a parallel array of private bookkeeping: every duration, kept
 * sorted so the median is read off in constant time, and the sum of waits for the mean.
 * Rows are found by a linear scan: the number of floors is capped at
 * QUEUE_STATS_MAX_FLOORS, a long plenary has a few hundred, and the export that feeds
 * them runs once, so a hash table would be code without a benefit.
 *
 * One floor touches three summaries, and an error must change none of them. So adding
 * happens in two phases: first every allocation is made for all three (growing capacity
 * is invisible), then the rows are updated by code that cannot fail.
 */
#include "queue/queue.h"
#include "queue/queue_util.h"

#include <stdlib.h>
#include <string.h>

#define SUMMARIES	3
#define FIRST_ROWS	8
#define FIRST_DURATIONS 4

struct row_extra {
	bool by_name;	       /* a person row keyed by name (pid ""), not by pid */
	int64_t wait_total_ms; /* a century of waits times the floor cap fits in int64 */
	int64_t *durations;    /* sorted ascending; row.interventions of them */
	size_t cap;
};

struct summary {
	struct queue_stat_row *rows;
	struct row_extra *extra;
	size_t count, cap;
};

struct queue_stats {
	queue_alloc_fn alloc;
	void *ctx;
	size_t floors;
	struct summary by[SUMMARIES];
};

/* What one floor contributes to one summary. */
struct contribution {
	const char *key;
	bool by_name;
	const char *name;
	const char *group;
};

/* Where that contribution will go, once memory for it is secured. */
struct slot {
	struct summary *sum;
	size_t row;	/* an existing row, or sum->count for a new one */
	int64_t *fresh; /* a new row's duration buffer, until committed */
	size_t fresh_cap;
};

struct queue_stats *queue_stats_create_with(queue_alloc_fn alloc, void *ctx)
{
	struct queue_stats probe = {.alloc = alloc, .ctx = ctx};
	struct queue_stats *st = queue_mem(probe.alloc, probe.ctx, NULL, sizeof *st);
	if (st == NULL)
		return NULL;
	*st = probe;
	return st;
}

struct queue_stats *queue_stats_create(void)
{
	return queue_stats_create_with(NULL, NULL);
}

void queue_stats_destroy(struct queue_stats *st)
{
	if (st == NULL)
		return;
	for (int b = 0; b < SUMMARIES; b++) {
		struct summary *sum = &st->by[b];
		for (size_t i = 0; i < sum->count; i++)
			queue_mem(st->alloc, st->ctx, sum->extra[i].durations, 0);
		queue_mem(st->alloc, st->ctx, sum->rows, 0);
		queue_mem(st->alloc, st->ctx, sum->extra, 0);
	}
	queue_mem(st->alloc, st->ctx, st, 0);
}

static size_t find_row(const struct summary *sum, const struct contribution *c)
{
	for (size_t i = 0; i < sum->count; i++) {
		if (sum->extra[i].by_name == c->by_name && strcmp(sum->rows[i].key, c->key) == 0)
			return i;
	}
	return sum->count;
}

/* Room for one more row. Both arrays share one capacity; if only the first grows, the
 * extra room is simply unused until the next attempt. */
static enum queue_err reserve_row(const struct queue_stats *st, struct summary *sum)
{
	if (sum->count < sum->cap)
		return QUEUE_OK;
	size_t cap = sum->cap == 0 ? FIRST_ROWS : sum->cap * 2;
	struct queue_stat_row *rows = queue_mem(st->alloc, st->ctx, sum->rows, cap * sizeof *rows);
	if (rows == NULL)
		return QUEUE_ENOMEM;
	sum->rows = rows;
	struct row_extra *extra = queue_mem(st->alloc, st->ctx, sum->extra, cap * sizeof *extra);
	if (extra == NULL)
		return QUEUE_ENOMEM;
	sum->extra = extra;
	sum->cap = cap;
	return QUEUE_OK;
}

/* Phase one: find or make room for the contribution's row and one more duration. */
static enum queue_err prepare(const struct queue_stats *st, struct summary *sum,
			      const struct contribution *c, struct slot *slot)
{
	slot->sum = sum;
	slot->row = find_row(sum, c);
	slot->fresh = NULL;
	if (slot->row == sum->count) {
		if (reserve_row(st, sum) != QUEUE_OK)
			return QUEUE_ENOMEM;
		slot->fresh_cap = FIRST_DURATIONS;
		slot->fresh =
		    queue_mem(st->alloc, st->ctx, NULL, slot->fresh_cap * sizeof *slot->fresh);
		return slot->fresh != NULL ? QUEUE_OK : QUEUE_ENOMEM;
	}
	struct row_extra *x = &sum->extra[slot->row];
	if (sum->rows[slot->row].interventions < x->cap)
		return QUEUE_OK;
	size_t cap = x->cap * 2;
	int64_t *grown = queue_mem(st->alloc, st->ctx, x->durations, cap * sizeof *grown);
	if (grown == NULL)
		return QUEUE_ENOMEM;
	x->durations = grown;
	x->cap = cap;
	return QUEUE_OK;
}

static void insert_sorted(int64_t *v, size_t n, int64_t value)
{
	size_t i = n;
	while (i > 0 && v[i - 1] > value) {
		v[i] = v[i - 1];
		i--;
	}
	v[i] = value;
}

/* Phase two: cannot fail. */
static void commit(struct slot *slot, const struct contribution *c, int64_t waited_ms,
		   int64_t duration_ms)
{
	struct summary *sum = slot->sum;
	if (slot->fresh != NULL) {
		struct queue_stat_row *r = &sum->rows[sum->count];
		memset(r, 0, sizeof *r);
		queue_copy_str(r->key, sizeof r->key, c->key);
		queue_copy_str(r->name, sizeof r->name, c->name);
		queue_copy_str(r->group, sizeof r->group, c->group);
		sum->extra[sum->count] = (struct row_extra){
		    .by_name = c->by_name, .durations = slot->fresh, .cap = slot->fresh_cap};
		sum->count++;
		slot->fresh = NULL;
	}
	struct queue_stat_row *r = &sum->rows[slot->row];
	struct row_extra *x = &sum->extra[slot->row];
	size_t n = r->interventions;
	insert_sorted(x->durations, n, duration_ms);
	n++;
	r->interventions = (uint32_t)n;
	r->total_ms += duration_ms;
	x->wait_total_ms += waited_ms;
	int64_t lo = x->durations[(n - 1) / 2], hi = x->durations[n / 2];
	r->median_ms = lo + (hi - lo) / 2;
	r->mean_wait_ms = x->wait_total_ms / (int64_t)n;
}

static bool valid_ms(int64_t ms)
{
	return ms <= QUEUE_STATS_MAX_MS;
}

/* Waits and durations come from wall-clock differences; a clock that stepped back must
 * not make a floor vanish from the record, nor pull a mean below zero. */
static int64_t at_least_zero(int64_t ms)
{
	return ms < 0 ? 0 : ms;
}

enum queue_err queue_stats_add(struct queue_stats *st, const char *pid, const char *name,
			       const char *group, enum queue_location location, int64_t waited_ms,
			       int64_t duration_ms)
{
	const char *loc = queue_location_name(location);
	if (!queue_fits(pid, QUEUE_PID_MAX) || !queue_fits(name, QUEUE_NAME_MAX) ||
	    !queue_fits(group, QUEUE_GROUP_MAX) || loc == NULL || !valid_ms(waited_ms) ||
	    !valid_ms(duration_ms))
		return QUEUE_EINVAL;
	if (st->floors >= QUEUE_STATS_MAX_FLOORS)
		return QUEUE_EFULL;
	waited_ms = at_least_zero(waited_ms);
	duration_ms = at_least_zero(duration_ms);

	bool by_name = pid[0] == '\0';
	const struct contribution c[SUMMARIES] = {
	    [QUEUE_STATS_PERSON] = {by_name ? name : pid, by_name, name, group},
	    [QUEUE_STATS_GROUP] = {group, false, group, ""},
	    [QUEUE_STATS_LOCATION] = {loc, false, loc, ""},
	};
	struct slot slots[SUMMARIES];
	enum queue_err err = QUEUE_OK;
	int b = 0;
	for (; b < SUMMARIES && err == QUEUE_OK; b++)
		err = prepare(st, &st->by[b], &c[b], &slots[b]);
	if (err != QUEUE_OK) {
		/* The slot that failed holds nothing; those before it may hold a buffer. */
		while (b-- > 0)
			queue_mem(st->alloc, st->ctx, slots[b].fresh, 0);
		return err;
	}
	for (b = 0; b < SUMMARIES; b++)
		commit(&slots[b], &c[b], waited_ms, duration_ms);
	st->floors++;
	return QUEUE_OK;
}

size_t queue_stats_rows(struct queue_stats *st, enum queue_stat_by by,
			const struct queue_stat_row **rows)
{
	if ((unsigned)by >= SUMMARIES) {
		*rows = NULL;
		return 0;
	}
	*rows = st->by[by].rows;
	return st->by[by].count;
}
