/*
 * queue/test_helpers.h -- small helpers shared by the queue's unit tests: raising people
 * in one line, reading queue_order() as a list of ids, and an allocator that fails on
 * purpose so that out-of-memory paths are tested (STYLE.md habit 12).
 */
#ifndef PLENARY_TEST_QUEUE_HELPERS_H
#define PLENARY_TEST_QUEUE_HELPERS_H

/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue.h"

#define T0 INT64_C(1795000000000) /* a plausible wall-clock time, in ms */

/* Raises a person whose name is their pid, with the next id; returns the id. */
static inline int64_t raise_full(struct queue *q, const char *pid, const char *name,
				 const char *group, enum queue_location loc, enum queue_kind kind,
				 int64_t at_ms)
{
	struct queue_person who = {pid, name, group, loc};
	int64_t id = q->next_entry;
	assert_int_equal(queue_raise(q, id, &who, kind, at_ms), QUEUE_OK);
	return id;
}

static inline int64_t raise_kind(struct queue *q, const char *pid, const char *group,
				 enum queue_location loc, enum queue_kind kind)
{
	return raise_full(q, pid, pid, group, loc, kind, T0 + q->next_entry);
}

static inline int64_t raise_speak(struct queue *q, const char *pid, const char *group,
				  enum queue_location loc)
{
	return raise_kind(q, pid, group, loc, QUEUE_KIND_SPEAK);
}

/* The ids of queue_order(), into ids; returns how many are waiting. */
static inline size_t order_ids(const struct queue *q, int64_t *ids, size_t cap)
{
	const struct queue_entry *order[QUEUE_MAX_ENTRIES];
	size_t n = queue_order(q, order, QUEUE_MAX_ENTRIES);
	for (size_t i = 0; i < n && i < cap; i++)
		ids[i] = order[i]->entry;
	return n;
}

static inline void assert_order(const struct queue *q, const int64_t *want, size_t n)
{
	int64_t got[QUEUE_MAX_ENTRIES];
	size_t count = order_ids(q, got, QUEUE_MAX_ENTRIES);
	assert_int_equal(count, n);
	for (size_t i = 0; i < n; i++) {
		if (got[i] != want[i])
			fail_msg("order[%zu] is %lld, expected %lld", i, (long long)got[i],
				 (long long)want[i]);
	}
}

#define ASSERT_ORDER(q, ...)                                                                       \
	do {                                                                                       \
		const int64_t want_[] = {__VA_ARGS__};                                             \
		assert_order((q), want_, sizeof want_ / sizeof want_[0]);                          \
	} while (0)

static inline void assert_pick(const struct queue *q, int64_t entry, enum queue_chosen why)
{
	int64_t got = -1;
	enum queue_chosen got_why = QUEUE_CHOSEN_CHAIR;
	assert_int_equal(queue_pick(q, &got, &got_why), QUEUE_OK);
	assert_int_equal(got, entry);
	assert_int_equal(got_why, why);
}

/* Gives the floor to the policy's pick and ends it at once: one turn of history.
 * Returns the entry that spoke. */
static inline int64_t speak_next(struct queue *q, int64_t now_ms)
{
	int64_t entry, duration;
	enum queue_chosen why;
	assert_int_equal(queue_pick(q, &entry, &why), QUEUE_OK);
	assert_int_equal(queue_grant(q, entry, q->time_limit_s, why, now_ms), QUEUE_OK);
	assert_int_equal(queue_end_floor(q, now_ms + 1000, &duration), QUEUE_OK);
	return entry;
}

/* Compares two queues field by field (never memcmp: padding and unused capacity are not
 * state). Returns NULL if they are the same, else the name of the first field that
 * differs. Capacities and the allocator are not state and are not compared. */
static inline const char *queue_diff(const struct queue *a, const struct queue *b)
{
#define QDIFF(field)                                                                               \
	do {                                                                                       \
		if (a->field != b->field)                                                          \
			return #field;                                                             \
	} while (0)
#define QDIFF_STR(field)                                                                           \
	do {                                                                                       \
		if (strcmp(a->field, b->field) != 0)                                               \
			return #field;                                                             \
	} while (0)
	QDIFF(open);
	QDIFF(policy);
	QDIFF(time_limit_s);
	QDIFF(auto_end);
	QDIFF(chair_order);
	QDIFF(count);
	QDIFF(next_entry);
	QDIFF(raises);
	QDIFF(turns);
	QDIFF(last_location);
	QDIFF(has_last_location);
	QDIFF(group_count);
	for (size_t i = 0; i < a->count; i++) {
		QDIFF(entries[i].entry);
		QDIFF_STR(entries[i].pid);
		QDIFF_STR(entries[i].name);
		QDIFF_STR(entries[i].group);
		QDIFF(entries[i].location);
		QDIFF(entries[i].kind);
		QDIFF(entries[i].raised_ms);
		QDIFF(entries[i].raised_seq);
	}
	QDIFF(floor.active);
	QDIFF(floor.entry);
	QDIFF_STR(floor.pid);
	QDIFF_STR(floor.name);
	QDIFF_STR(floor.group);
	QDIFF(floor.location);
	QDIFF(floor.kind);
	QDIFF(floor.chosen);
	QDIFF(floor.raised_ms);
	QDIFF(floor.started_ms);
	QDIFF(floor.limit_s);
	for (size_t g = 0; g < a->group_count; g++) {
		QDIFF_STR(groups[g].group);
		QDIFF(groups[g].last_turn);
	}
	return NULL;
#undef QDIFF
#undef QDIFF_STR
}

static inline void assert_queue_same(const struct queue *a, const struct queue *b)
{
	const char *field = queue_diff(a, b);
	if (field != NULL)
		fail_msg("queues differ in %s", field);
}

/* A deep copy with the C library's allocator; free it with queue_fini. */
static inline void queue_copy(struct queue *dst, const struct queue *src)
{
	*dst = *src;
	dst->alloc = NULL;
	dst->alloc_ctx = NULL;
	dst->entries = NULL;
	dst->groups = NULL;
	if (src->cap > 0) {
		dst->entries = malloc(src->cap * sizeof *dst->entries);
		assert_non_null(dst->entries);
		memcpy(dst->entries, src->entries, src->count * sizeof *dst->entries);
	}
	if (src->group_cap > 0) {
		dst->groups = malloc(src->group_cap * sizeof *dst->groups);
		assert_non_null(dst->groups);
		memcpy(dst->groups, src->groups, src->group_count * sizeof *dst->groups);
	}
}

/* An allocator that fails the allocation numbered fail_at (0-based; -1 never), counting
 * only allocations and reallocations, never frees. */
struct test_alloc {
	int fail_at;
	int calls;
	int failures;
};

static inline void *test_alloc_fn(void *ctx, void *ptr, size_t size)
{
	struct test_alloc *a = ctx;
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	if (a->calls++ == a->fail_at) {
		a->failures++;
		return NULL;
	}
	return realloc(ptr, size);
}

#endif
