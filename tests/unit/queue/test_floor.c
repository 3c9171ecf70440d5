/*
 * queue/test_floor.c -- the floor (queue/floor.c): granting takes exactly one entry and
 * records the history the policies read; ending and extending; the alarms the clock owes
 * (warning 30 s before the limit, at once for short limits, the limit itself, nothing
 * without a limit, and nothing already delivered); remaining seconds and their rounding;
 * and the bounded table of group turns.
 */
#include "queue/test_helpers.h"

/* The floor as granted: the entry's fields, the reason, the time, the limit. */
static void test_grant_fills_the_floor(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t id = raise_full(&q, "p-ana", "Ana", "academia", QUEUE_LOC_ROOM, QUEUE_KIND_REPLY,
				T0 - 45000);
	assert_int_equal(queue_grant(&q, id, 90, QUEUE_CHOSEN_CHAIR, T0), QUEUE_OK);
	const struct queue_floor *f = &q.floor;
	assert_true(f->active);
	assert_int_equal(f->entry, id);
	assert_string_equal(f->pid, "p-ana");
	assert_string_equal(f->name, "Ana");
	assert_string_equal(f->group, "academia");
	assert_int_equal(f->location, QUEUE_LOC_ROOM);
	assert_int_equal(f->kind, QUEUE_KIND_REPLY);
	assert_int_equal(f->chosen, QUEUE_CHOSEN_CHAIR);
	assert_int_equal(f->raised_ms, T0 - 45000);
	assert_int_equal(f->started_ms, T0);
	assert_int_equal(f->limit_s, 90);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.turns, 1);
	assert_true(q.has_last_location);
	assert_int_equal(q.last_location, QUEUE_LOC_ROOM);
	assert_int_equal(q.group_count, 1);
	assert_string_equal(q.groups[0].group, "academia");
	assert_int_equal(q.groups[0].last_turn, 1);
	queue_fini(&q);
}

/* Granting one entry, from anywhere in the queue, leaves the others where they were. */
static void test_grant_never_clears_others(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	int64_t c = raise_speak(&q, "c", "", QUEUE_LOC_REMOTE);
	int64_t d = raise_speak(&q, "d", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, c, 60, QUEUE_CHOSEN_CHAIR, T0), QUEUE_OK);
	ASSERT_ORDER(&q, a, b, d);
	int64_t dur;
	assert_int_equal(queue_end_floor(&q, T0 + 1, &dur), QUEUE_OK);
	ASSERT_ORDER(&q, a, b, d);
	assert_int_equal(queue_grant(&q, a, 60, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	ASSERT_ORDER(&q, b, d);
	queue_fini(&q);
}

static void test_grant_refusals_change_nothing(void **state)
{
	(void)state;
	struct queue q, before;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	queue_copy(&before, &q);
	assert_int_equal(queue_grant(&q, 999, 60, QUEUE_CHOSEN_FIFO, T0), QUEUE_ENOTFOUND);
	assert_int_equal(queue_grant(&q, a, -1, QUEUE_CHOSEN_FIFO, T0), QUEUE_EINVAL);
	assert_int_equal(queue_grant(&q, a, QUEUE_MAX_FLOOR_LIMIT_S + 1, QUEUE_CHOSEN_FIFO, T0),
			 QUEUE_EINVAL);
	assert_int_equal(queue_grant(&q, a, 60, (enum queue_chosen)5, T0), QUEUE_EINVAL);
	assert_queue_same(&q, &before);
	queue_fini(&before);

	/* A floor still held must be ended first. */
	assert_int_equal(queue_grant(&q, a, QUEUE_MAX_FLOOR_LIMIT_S, QUEUE_CHOSEN_FIFO, T0),
			 QUEUE_OK);
	queue_copy(&before, &q);
	assert_int_equal(queue_grant(&q, b, 60, QUEUE_CHOSEN_CHAIR, T0 + 1), QUEUE_EINVAL);
	assert_queue_same(&q, &before);
	queue_fini(&before);
	queue_fini(&q);
}

static void test_end_floor(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t d = -1;
	assert_int_equal(queue_end_floor(&q, T0, &d), QUEUE_ENOFLOOR);
	assert_int_equal(d, -1);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, a, 60, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	assert_int_equal(queue_end_floor(&q, T0 + 73250, &d), QUEUE_OK);
	assert_int_equal(d, 73250);
	assert_false(q.floor.active);
	assert_int_equal(queue_end_floor(&q, T0 + 80000, &d), QUEUE_ENOFLOOR);

	/* The clock stepped back: the record gets 0, not a negative duration. */
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, b, 60, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	assert_int_equal(queue_end_floor(&q, T0 - 5000, &d), QUEUE_OK);
	assert_int_equal(d, 0);

	/* The duration is optional. */
	int64_t c = raise_speak(&q, "c", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, c, 60, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	assert_int_equal(queue_end_floor(&q, T0 + 1, NULL), QUEUE_OK);
	/* Ending keeps the history: turns and the last location stay. */
	assert_int_equal(q.turns, 3);
	assert_true(q.has_last_location);
	queue_fini(&q);
}

static void test_extend(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	assert_int_equal(queue_extend(&q, 60), QUEUE_ENOFLOOR);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, a, 60, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	assert_int_equal(queue_extend(&q, 0), QUEUE_EINVAL);
	assert_int_equal(queue_extend(&q, -5), QUEUE_EINVAL);
	assert_int_equal(queue_extend(&q, QUEUE_MAX_FLOOR_LIMIT_S + 1), QUEUE_EINVAL);
	assert_int_equal(q.floor.limit_s, 60);
	assert_int_equal(queue_extend(&q, QUEUE_MAX_FLOOR_LIMIT_S), QUEUE_OK); /* two days */
	assert_int_equal(queue_extend(&q, 120), QUEUE_OK); /* shortening is the room's call */
	assert_int_equal(q.floor.limit_s, 120);
	assert_int_equal(q.floor.started_ms, T0); /* the clock is not restarted */
	assert_int_equal(queue_remaining_s(&q, T0 + 60000), 60);
	queue_fini(&q);
}

static struct queue floor_with_limit(int32_t limit_s)
{
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, a, limit_s, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	return q;
}

static void test_alarms_with_long_limit(void **state)
{
	(void)state;
	struct queue q = floor_with_limit(180);
	int64_t at = 0;
	assert_int_equal(queue_next_alarm(&q, false, false, &at), QUEUE_ALARM_WARNING);
	assert_int_equal(at, T0 + 150000);
	assert_int_equal(queue_next_alarm(&q, true, false, &at), QUEUE_ALARM_LIMIT);
	assert_int_equal(at, T0 + 180000);
	at = 42;
	assert_int_equal(queue_next_alarm(&q, true, true, &at), QUEUE_ALARM_NONE);
	/* Past the limit, a warning is no longer owed. */
	assert_int_equal(queue_next_alarm(&q, false, true, &at), QUEUE_ALARM_NONE);
	assert_int_equal(at, 42);
	/* Extended: the caller resets its flags and the alarms move. */
	assert_int_equal(queue_extend(&q, 300), QUEUE_OK);
	assert_int_equal(queue_next_alarm(&q, false, false, &at), QUEUE_ALARM_WARNING);
	assert_int_equal(at, T0 + 270000);
	assert_int_equal(queue_next_alarm(&q, true, false, NULL), QUEUE_ALARM_LIMIT);
	queue_fini(&q);
}

/* 30 s or less: the warning is due the moment the floor starts; just over: 1 s in. */
static void test_alarms_with_short_limits(void **state)
{
	(void)state;
	static const struct {
		int32_t limit_s;
		int64_t warn_after_ms;
	} cases[] = {{1, 0}, {20, 0}, {30, 0}, {31, 1000}, {45, 15000}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct queue q = floor_with_limit(cases[i].limit_s);
		int64_t at = 0;
		assert_int_equal(queue_next_alarm(&q, false, false, &at), QUEUE_ALARM_WARNING);
		assert_int_equal(at, T0 + cases[i].warn_after_ms);
		assert_int_equal(queue_next_alarm(&q, true, false, &at), QUEUE_ALARM_LIMIT);
		assert_int_equal(at, T0 + cases[i].limit_s * 1000);
		queue_fini(&q);
	}
}

static void test_no_alarms_without_limit_or_floor(void **state)
{
	(void)state;
	int64_t at = 42;
	struct queue q;
	queue_init(&q);
	assert_int_equal(queue_next_alarm(&q, false, false, &at), QUEUE_ALARM_NONE);
	queue_fini(&q);
	q = floor_with_limit(0);
	assert_int_equal(queue_next_alarm(&q, false, false, &at), QUEUE_ALARM_NONE);
	assert_int_equal(queue_next_alarm(&q, true, false, &at), QUEUE_ALARM_NONE);
	assert_int_equal(at, 42);
	assert_int_equal(queue_remaining_s(&q, T0 + 999999), 0);
	int64_t d;
	assert_int_equal(queue_end_floor(&q, T0, &d), QUEUE_OK);
	assert_int_equal(queue_next_alarm(&q, false, false, &at), QUEUE_ALARM_NONE);
	queue_fini(&q);
}

/* Rounded away from zero, so the sign is exact. */
static void test_remaining_s(void **state)
{
	(void)state;
	struct queue q = floor_with_limit(180);
	static const struct {
		int64_t after_ms, want;
	} cases[] = {
	    {0, 180},	  {1, 180},	{999, 180},   {1000, 179}, {150000, 30},
	    {150001, 30}, {179000, 1},	{179999, 1},  {180000, 0}, {180001, -1},
	    {181000, -1}, {181001, -2}, {-5000, 185}, /* a clock behind the start */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got = queue_remaining_s(&q, T0 + cases[i].after_ms);
		if (got != cases[i].want)
			fail_msg("at +%lld ms: %lld s left, expected %lld",
				 (long long)cases[i].after_ms, (long long)got,
				 (long long)cases[i].want);
	}
	int64_t d;
	assert_int_equal(queue_end_floor(&q, T0, &d), QUEUE_OK);
	assert_int_equal(queue_remaining_s(&q, T0), 0);
	queue_fini(&q);
}

/* Absurd times from a caller saturate instead of overflowing (UBSan would object). */
static void test_extreme_times(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, a, 86400, QUEUE_CHOSEN_FIFO, INT64_MAX - 10), QUEUE_OK);
	int64_t at;
	assert_int_equal(queue_next_alarm(&q, true, false, &at), QUEUE_ALARM_LIMIT);
	assert_int_equal(at, INT64_MAX);
	assert_true(queue_remaining_s(&q, INT64_MIN) > 0);
	int64_t d;
	assert_int_equal(queue_end_floor(&q, INT64_MIN, &d), QUEUE_OK);
	assert_int_equal(d, 0);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, b, 60, QUEUE_CHOSEN_FIFO, INT64_MIN), QUEUE_OK);
	assert_int_equal(queue_next_alarm(&q, false, false, &at), QUEUE_ALARM_WARNING);
	assert_true(queue_remaining_s(&q, INT64_MAX) < 0);
	assert_int_equal(queue_end_floor(&q, INT64_MAX, &d), QUEUE_OK);
	assert_int_equal(d, INT64_MAX);
	queue_fini(&q);
}

/* Past QUEUE_MAX_GROUPS, the least recent group is forgotten and the table stays bounded.
 * Grants never allocate: the failing allocator is armed before them. */
static void test_group_table_is_bounded(void **state)
{
	(void)state;
	struct test_alloc ta = {.fail_at = -1};
	struct queue q;
	queue_init(&q);
	q.alloc = test_alloc_fn;
	q.alloc_ctx = &ta;
	const int groups = QUEUE_MAX_GROUPS + 2;
	for (int i = 0; i < groups; i++) {
		char name[16];
		snprintf(name, sizeof name, "g%d", i);
		raise_speak(&q, name, name, QUEUE_LOC_REMOTE);
	}
	assert_int_equal(q.group_cap, QUEUE_MAX_GROUPS);
	ta.fail_at = ta.calls; /* the next allocation fails: grants must not need one */
	for (int i = 0; i < groups; i++)
		speak_next(&q, T0 + i);
	assert_int_equal(ta.failures, 0);
	assert_int_equal(q.group_count, QUEUE_MAX_GROUPS);
	assert_int_equal(q.turns, (uint64_t)groups);
	/* g0 and g1 spoke first, so they were forgotten; g2 is the oldest remembered. */
	uint64_t oldest = UINT64_MAX;
	for (size_t g = 0; g < q.group_count; g++) {
		assert_string_not_equal(q.groups[g].group, "g0");
		assert_string_not_equal(q.groups[g].group, "g1");
		if (q.groups[g].last_turn < oldest)
			oldest = q.groups[g].last_turn;
	}
	assert_int_equal(oldest, 3);
	queue_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grant_fills_the_floor),
	    cmocka_unit_test(test_grant_never_clears_others),
	    cmocka_unit_test(test_grant_refusals_change_nothing),
	    cmocka_unit_test(test_end_floor),
	    cmocka_unit_test(test_extend),
	    cmocka_unit_test(test_alarms_with_long_limit),
	    cmocka_unit_test(test_alarms_with_short_limits),
	    cmocka_unit_test(test_no_alarms_without_limit_or_floor),
	    cmocka_unit_test(test_remaining_s),
	    cmocka_unit_test(test_extreme_times),
	    cmocka_unit_test(test_group_table_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
