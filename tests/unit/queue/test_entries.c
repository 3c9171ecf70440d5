/*
 * queue/test_entries.c -- the entries of the queue (queue/queue.c): the raise rules and
 * their conflicts, lowering, stale ids, lookups, the chair's order and how it is left,
 * argument checks, capacity, and out-of-memory leaving the queue untouched.
 */
#include "queue/test_helpers.h"

static const struct queue_person alice = {"p-alice", "Alice", "civil_society", QUEUE_LOC_REMOTE};

static void test_init_defaults(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	assert_true(q.open);
	assert_int_equal(q.policy, QUEUE_POLICY_FIFO);
	assert_int_equal(q.time_limit_s, 180);
	assert_false(q.auto_end);
	assert_false(q.chair_order);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.next_entry, 1);
	assert_false(q.floor.active);
	assert_int_equal(queue_pick(&q, NULL, NULL), QUEUE_EEMPTY);
	assert_int_equal(queue_order(&q, NULL, 0), 0);
	queue_fini(&q);
	queue_fini(&q); /* harmless twice: fini leaves an empty queue */
}

static void test_raise_copies_fields_for_every_kind(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	enum queue_kind kinds[] = {QUEUE_KIND_SPEAK, QUEUE_KIND_POINT_OF_ORDER, QUEUE_KIND_CLARIFY,
				   QUEUE_KIND_REPLY};
	for (int i = 0; i < 4; i++) {
		char pid[16];
		snprintf(pid, sizeof pid, "p%d", i);
		assert_int_equal(queue_check_raise(&q, pid, kinds[i], false), QUEUE_OK);
		int64_t id =
		    raise_full(&q, pid, "Name", "technical", QUEUE_LOC_ROOM, kinds[i], T0 + i);
		const struct queue_entry *e = queue_find_entry(&q, id);
		assert_non_null(e);
		assert_string_equal(e->pid, pid);
		assert_string_equal(e->name, "Name");
		assert_string_equal(e->group, "technical");
		assert_int_equal(e->location, QUEUE_LOC_ROOM);
		assert_int_equal(e->kind, kinds[i]);
		assert_int_equal(e->raised_ms, T0 + i);
		assert_ptr_equal(queue_find_pid(&q, pid), e);
	}
	assert_int_equal(q.count, 4);
	assert_int_equal(q.next_entry, 5);
	queue_fini(&q);
}

/* next_entry follows the ids the log carries: up past a larger one, never down. */
static void test_raise_advances_next_entry(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	assert_int_equal(queue_raise(&q, 41, &alice, QUEUE_KIND_SPEAK, T0), QUEUE_OK);
	assert_int_equal(q.next_entry, 42);
	struct queue_person bob = {"p-bob", "Bob", "", QUEUE_LOC_REMOTE};
	assert_int_equal(queue_raise(&q, 7, &bob, QUEUE_KIND_SPEAK, T0), QUEUE_OK);
	assert_int_equal(q.next_entry, 42);
	queue_fini(&q);
}

static void test_conflict_already_queued(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	raise_speak(&q, "p-alice", "", QUEUE_LOC_REMOTE);
	for (int k = QUEUE_KIND_SPEAK; k <= QUEUE_KIND_REPLY; k++) {
		assert_int_equal(queue_check_raise(&q, "p-alice", (enum queue_kind)k, false),
				 QUEUE_EQUEUED);
		assert_int_equal(queue_check_raise(&q, "p-alice", (enum queue_kind)k, true),
				 QUEUE_EQUEUED);
	}
	assert_int_equal(queue_check_raise(&q, "p-bob", QUEUE_KIND_SPEAK, false), QUEUE_OK);
	queue_fini(&q);
}

static void test_conflict_holding_floor(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t id = raise_speak(&q, "p-alice", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, id, 60, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	assert_int_equal(queue_check_raise(&q, "p-alice", QUEUE_KIND_SPEAK, false), QUEUE_EHOLDING);
	assert_int_equal(queue_check_raise(&q, "p-alice", QUEUE_KIND_POINT_OF_ORDER, false),
			 QUEUE_EHOLDING);
	int64_t d;
	assert_int_equal(queue_end_floor(&q, T0 + 5000, &d), QUEUE_OK);
	assert_int_equal(queue_check_raise(&q, "p-alice", QUEUE_KIND_SPEAK, false), QUEUE_OK);
	queue_fini(&q);
}

static void test_closed_allows_only_points_of_order(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	queue_set_open(&q, false);
	assert_false(q.open);
	assert_int_equal(queue_check_raise(&q, "p", QUEUE_KIND_SPEAK, false), QUEUE_ECLOSED);
	assert_int_equal(queue_check_raise(&q, "p", QUEUE_KIND_CLARIFY, false), QUEUE_ECLOSED);
	assert_int_equal(queue_check_raise(&q, "p", QUEUE_KIND_REPLY, false), QUEUE_ECLOSED);
	assert_int_equal(queue_check_raise(&q, "p", QUEUE_KIND_POINT_OF_ORDER, false), QUEUE_OK);
	queue_set_open(&q, true);
	assert_int_equal(queue_check_raise(&q, "p", QUEUE_KIND_SPEAK, false), QUEUE_OK);
	queue_fini(&q);
}

static void test_chair_add_while_closed(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	queue_set_open(&q, false);
	for (int k = QUEUE_KIND_SPEAK; k <= QUEUE_KIND_REPLY; k++)
		assert_int_equal(queue_check_raise(&q, "", (enum queue_kind)k, true), QUEUE_OK);
	assert_int_equal(queue_check_raise(&q, "", QUEUE_KIND_SPEAK, false), QUEUE_ECLOSED);
	queue_fini(&q);
}

/* In-room speakers share pid "": any number may wait, one may hold the floor while
 * others wait, and the chair may add more. */
static void test_in_room_speakers_never_conflict(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_full(&q, "", "Delegate A", "", QUEUE_LOC_ROOM, QUEUE_KIND_SPEAK, T0);
	raise_full(&q, "", "Delegate B", "", QUEUE_LOC_ROOM, QUEUE_KIND_SPEAK, T0);
	assert_int_equal(queue_check_raise(&q, "", QUEUE_KIND_SPEAK, true), QUEUE_OK);
	assert_int_equal(queue_grant(&q, a, 0, QUEUE_CHOSEN_CHAIR, T0), QUEUE_OK);
	assert_int_equal(queue_check_raise(&q, "", QUEUE_KIND_SPEAK, true), QUEUE_OK);
	assert_null(queue_find_pid(&q, ""));
	queue_fini(&q);
}

static void test_check_raise_bad_arguments(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	char long_pid[QUEUE_PID_MAX + 1];
	memset(long_pid, 'x', QUEUE_PID_MAX);
	long_pid[QUEUE_PID_MAX] = '\0';
	assert_int_equal(queue_check_raise(&q, NULL, QUEUE_KIND_SPEAK, false), QUEUE_EINVAL);
	assert_int_equal(queue_check_raise(&q, long_pid, QUEUE_KIND_SPEAK, false), QUEUE_EINVAL);
	long_pid[QUEUE_PID_MAX - 1] = '\0'; /* exactly the longest that fits */
	assert_int_equal(queue_check_raise(&q, long_pid, QUEUE_KIND_SPEAK, false), QUEUE_OK);
	assert_int_equal(queue_check_raise(&q, "p", (enum queue_kind)4, false), QUEUE_EINVAL);
	assert_int_equal(queue_check_raise(&q, "p", (enum queue_kind) - 1, false), QUEUE_EINVAL);
	queue_fini(&q);
}

/* Every rejected raise leaves the queue exactly as it was. */
static void test_raise_rejects_bad_arguments(void **state)
{
	(void)state;
	struct queue q, before;
	queue_init(&q);
	int64_t held = raise_speak(&q, "p-held", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_grant(&q, held, 0, QUEUE_CHOSEN_FIFO, T0), QUEUE_OK);
	int64_t waiting = raise_speak(&q, "p-wait", "", QUEUE_LOC_REMOTE);
	queue_copy(&before, &q);

	char big[QUEUE_NAME_MAX + 1];
	memset(big, 'n', QUEUE_NAME_MAX);
	big[QUEUE_NAME_MAX] = '\0';
	struct queue_person bad[] = {
	    {NULL, "n", "", QUEUE_LOC_REMOTE},
	    {"p", NULL, "", QUEUE_LOC_REMOTE},
	    {"p", "n", NULL, QUEUE_LOC_REMOTE},
	    {big, "n", "", QUEUE_LOC_REMOTE},
	    {"p", big, "", QUEUE_LOC_REMOTE},
	    {"p", "n", big + QUEUE_NAME_MAX - QUEUE_GROUP_MAX, QUEUE_LOC_REMOTE},
	    {"p", "n", "", (enum queue_location)2},
	};
	int64_t id = q.next_entry;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(queue_raise(&q, id, &bad[i], QUEUE_KIND_SPEAK, T0), QUEUE_EINVAL);
	assert_int_equal(queue_raise(&q, id, NULL, QUEUE_KIND_SPEAK, T0), QUEUE_EINVAL);
	assert_int_equal(queue_raise(&q, id, &alice, (enum queue_kind)7, T0), QUEUE_EINVAL);
	/* Ids: already waiting, held, negative, and one that leaves next_entry nowhere. */
	assert_int_equal(queue_raise(&q, waiting, &alice, QUEUE_KIND_SPEAK, T0), QUEUE_EINVAL);
	assert_int_equal(queue_raise(&q, held, &alice, QUEUE_KIND_SPEAK, T0), QUEUE_EINVAL);
	assert_int_equal(queue_raise(&q, -1, &alice, QUEUE_KIND_SPEAK, T0), QUEUE_EINVAL);
	assert_int_equal(queue_raise(&q, INT64_MAX, &alice, QUEUE_KIND_SPEAK, T0), QUEUE_EINVAL);
	assert_queue_same(&q, &before);

	/* The longest strings that fit are fine. */
	big[QUEUE_NAME_MAX - 1] = '\0';
	struct queue_person longest = {big, big, big + QUEUE_NAME_MAX - QUEUE_GROUP_MAX,
				       QUEUE_LOC_ROOM};
	assert_int_equal(queue_raise(&q, id, &longest, QUEUE_KIND_SPEAK, T0), QUEUE_OK);
	queue_fini(&before);
	queue_fini(&q);
}

static void test_full_queue(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	for (int i = 0; i < QUEUE_MAX_ENTRIES; i++) {
		char pid[16];
		snprintf(pid, sizeof pid, "p%d", i);
		raise_speak(&q, pid, "", QUEUE_LOC_REMOTE);
	}
	assert_int_equal(q.count, QUEUE_MAX_ENTRIES);
	assert_true(q.cap <= QUEUE_MAX_ENTRIES);
	assert_int_equal(queue_check_raise(&q, "late", QUEUE_KIND_SPEAK, false), QUEUE_EFULL);
	assert_int_equal(queue_check_raise(&q, "late", QUEUE_KIND_POINT_OF_ORDER, true),
			 QUEUE_EFULL);
	struct queue_person late = {"late", "Late", "", QUEUE_LOC_REMOTE};
	assert_int_equal(queue_raise(&q, q.next_entry, &late, QUEUE_KIND_SPEAK, T0), QUEUE_EFULL);
	assert_int_equal(q.count, QUEUE_MAX_ENTRIES);
	/* A full queue still orders, and freezing it into chair order works at the limit. */
	assert_int_equal(queue_order(&q, NULL, 0), QUEUE_MAX_ENTRIES);
	assert_int_equal(queue_move(&q, q.entries[0].entry, QUEUE_MAX_ENTRIES - 1), QUEUE_OK);
	assert_int_equal(q.entries[QUEUE_MAX_ENTRIES - 1].entry, 1);
	queue_fini(&q);
}

static void test_lower_and_raise_again_goes_to_the_back(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	int64_t c = raise_speak(&q, "c", "", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, a, b, c);
	assert_int_equal(queue_remove(&q, queue_find_pid(&q, "a")->entry), QUEUE_OK);
	assert_null(queue_find_pid(&q, "a"));
	assert_int_equal(queue_check_raise(&q, "a", QUEUE_KIND_SPEAK, false), QUEUE_OK);
	int64_t a2 = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	assert_true(a2 != a);
	ASSERT_ORDER(&q, b, c, a2);
	assert_pick(&q, b, QUEUE_CHOSEN_FIFO);
	queue_fini(&q);
}

static void test_stale_entry_not_found(void **state)
{
	(void)state;
	struct queue q, before;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_remove(&q, a), QUEUE_OK);
	queue_copy(&before, &q);
	assert_int_equal(queue_remove(&q, a), QUEUE_ENOTFOUND);
	assert_int_equal(queue_remove(&q, 999), QUEUE_ENOTFOUND);
	assert_int_equal(queue_move(&q, a, 0), QUEUE_ENOTFOUND);
	assert_int_equal(queue_grant(&q, a, 60, QUEUE_CHOSEN_CHAIR, T0), QUEUE_ENOTFOUND);
	assert_null(queue_find_entry(&q, a));
	assert_queue_same(&q, &before);
	/* Granted entries are stale for the queue too: they are the floor, not waiting. */
	assert_int_equal(queue_grant(&q, b, 60, QUEUE_CHOSEN_CHAIR, T0), QUEUE_OK);
	assert_null(queue_find_entry(&q, b));
	assert_null(queue_find_pid(&q, "b"));
	assert_int_equal(queue_remove(&q, b), QUEUE_ENOTFOUND);
	queue_fini(&before);
	queue_fini(&q);
}

static void test_move_positions(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	int64_t c = raise_speak(&q, "c", "", QUEUE_LOC_REMOTE);
	int64_t d = raise_speak(&q, "d", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_move(&q, c, 0), QUEUE_OK); /* to the front */
	assert_true(q.chair_order);
	ASSERT_ORDER(&q, c, a, b, d);
	assert_int_equal(queue_move(&q, c, 3), QUEUE_OK); /* to the back */
	ASSERT_ORDER(&q, a, b, d, c);
	assert_int_equal(queue_move(&q, a, 2), QUEUE_OK); /* down into the middle */
	ASSERT_ORDER(&q, b, d, a, c);
	assert_int_equal(queue_move(&q, c, 1), QUEUE_OK); /* up into the middle */
	ASSERT_ORDER(&q, b, c, d, a);
	assert_int_equal(queue_move(&q, d, 2), QUEUE_OK); /* where it already is */
	ASSERT_ORDER(&q, b, c, d, a);
	assert_pick(&q, b, QUEUE_CHOSEN_CHAIR);
	queue_fini(&q);
}

static void test_move_out_of_range_changes_nothing(void **state)
{
	(void)state;
	struct queue q, before;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	raise_kind(&q, "b", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	queue_copy(&before, &q);
	assert_int_equal(queue_move(&q, a, 2), QUEUE_EINVAL);
	assert_int_equal(queue_move(&q, a, SIZE_MAX), QUEUE_EINVAL);
	assert_false(q.chair_order);
	assert_queue_same(&q, &before);
	queue_fini(&before);
	queue_fini(&q);
}

/* Chair order starts from the order people were shown (the policy's), not raising order. */
static void test_move_freezes_policy_order(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t s1 = raise_speak(&q, "s1", "", QUEUE_LOC_REMOTE);
	int64_t s2 = raise_speak(&q, "s2", "", QUEUE_LOC_REMOTE);
	int64_t po = raise_kind(&q, "po", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	int64_t cl = raise_kind(&q, "cl", "", QUEUE_LOC_REMOTE, QUEUE_KIND_CLARIFY);
	ASSERT_ORDER(&q, po, cl, s1, s2);
	assert_int_equal(queue_move(&q, s2, 2), QUEUE_OK);
	ASSERT_ORDER(&q, po, cl, s2, s1);
	assert_int_equal(q.entries[0].entry, po); /* the array is the chair's order */
	assert_pick(&q, po, QUEUE_CHOSEN_CHAIR);
	queue_fini(&q);
}

static void test_chair_order_new_entries(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t po1 = raise_kind(&q, "po1", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_move(&q, b, 1), QUEUE_OK);
	ASSERT_ORDER(&q, po1, b, a);
	/* Anything but a point of order goes to the end, whatever its class. */
	int64_t cl = raise_kind(&q, "cl", "", QUEUE_LOC_REMOTE, QUEUE_KIND_CLARIFY);
	int64_t c = raise_speak(&q, "c", "", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, po1, b, a, cl, c);
	/* A point of order goes after the leading points of order. */
	int64_t po2 = raise_kind(&q, "po2", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	ASSERT_ORDER(&q, po1, po2, b, a, cl, c);
	/* With no point of order at the head, a new one goes to the very front. */
	assert_int_equal(queue_move(&q, po1, 5), QUEUE_OK);
	assert_int_equal(queue_move(&q, po2, 5), QUEUE_OK);
	ASSERT_ORDER(&q, b, a, cl, c, po1, po2);
	int64_t po3 = raise_kind(&q, "po3", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	ASSERT_ORDER(&q, po3, b, a, cl, c, po1, po2);
	assert_pick(&q, po3, QUEUE_CHOSEN_CHAIR);
	queue_fini(&q);
}

static void test_set_policy_leaves_chair_order(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	int64_t c = raise_speak(&q, "c", "", QUEUE_LOC_REMOTE);
	int64_t d = raise_speak(&q, "d", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_move(&q, d, 0), QUEUE_OK);
	assert_int_equal(queue_move(&q, a, 3), QUEUE_OK);
	ASSERT_ORDER(&q, d, b, c, a);
	/* The same policy again still means "let the rule decide". */
	assert_int_equal(queue_set_policy(&q, QUEUE_POLICY_FIFO, 120, true), QUEUE_OK);
	assert_false(q.chair_order);
	assert_int_equal(q.time_limit_s, 120);
	assert_true(q.auto_end);
	ASSERT_ORDER(&q, a, b, c, d);
	for (size_t i = 0; i < q.count; i++) /* raising order is restored in the array */
		assert_int_equal(q.entries[i].raised_seq, i);
	assert_pick(&q, a, QUEUE_CHOSEN_FIFO);
	queue_fini(&q);
}

/* Raising order is raised_seq, not the entry id: ids from a log need not be monotonic. */
static void test_raising_order_is_not_id_order(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	struct queue_person p[3] = {{"a", "A", "", QUEUE_LOC_REMOTE},
				    {"b", "B", "", QUEUE_LOC_REMOTE},
				    {"c", "C", "", QUEUE_LOC_REMOTE}};
	assert_int_equal(queue_raise(&q, 30, &p[0], QUEUE_KIND_SPEAK, T0), QUEUE_OK);
	assert_int_equal(queue_raise(&q, 10, &p[1], QUEUE_KIND_SPEAK, T0), QUEUE_OK);
	assert_int_equal(queue_raise(&q, 20, &p[2], QUEUE_KIND_SPEAK, T0), QUEUE_OK);
	ASSERT_ORDER(&q, 30, 10, 20);
	assert_int_equal(queue_move(&q, 20, 0), QUEUE_OK);
	assert_int_equal(queue_set_policy(&q, QUEUE_POLICY_FIFO, 180, false), QUEUE_OK);
	ASSERT_ORDER(&q, 30, 10, 20);
	queue_fini(&q);
}

static void test_empty_queue_leaves_chair_order(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	int64_t b = raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_move(&q, b, 0), QUEUE_OK);
	assert_int_equal(queue_remove(&q, b), QUEUE_OK);
	assert_true(q.chair_order); /* one left: still the chair's order */
	assert_int_equal(queue_remove(&q, a), QUEUE_OK);
	assert_false(q.chair_order);

	/* Emptied by a grant too. */
	a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_move(&q, a, 0), QUEUE_OK);
	assert_true(q.chair_order);
	assert_int_equal(queue_grant(&q, a, 0, QUEUE_CHOSEN_CHAIR, T0), QUEUE_OK);
	assert_false(q.chair_order);
	int64_t po = raise_kind(&q, "po", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	assert_pick(&q, po, QUEUE_CHOSEN_POINT_OF_ORDER);
	queue_fini(&q);
}

static void test_set_policy_bad_arguments(void **state)
{
	(void)state;
	struct queue q, before;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_move(&q, a, 1), QUEUE_OK);
	queue_copy(&before, &q);
	assert_int_equal(queue_set_policy(&q, (enum queue_policy)3, 60, false), QUEUE_EINVAL);
	assert_int_equal(queue_set_policy(&q, QUEUE_POLICY_FIFO, -1, false), QUEUE_EINVAL);
	assert_int_equal(queue_set_policy(&q, QUEUE_POLICY_FIFO, 86401, false), QUEUE_EINVAL);
	assert_queue_same(&q, &before); /* including: still in chair order */
	assert_int_equal(queue_set_policy(&q, QUEUE_POLICY_ALTERNATE_LOCATION, 86400, false),
			 QUEUE_OK);
	assert_int_equal(queue_set_policy(&q, QUEUE_POLICY_GROUPS_ROUND_ROBIN, 0, false), QUEUE_OK);
	assert_int_equal(q.policy, QUEUE_POLICY_GROUPS_ROUND_ROBIN);
	assert_int_equal(q.time_limit_s, 0);
	queue_fini(&before);
	queue_fini(&q);
}

/* Every allocation queue_raise() makes can fail; each failure leaves the queue as it was,
 * and the same raise succeeds once memory is back. */
static void test_raise_out_of_memory(void **state)
{
	(void)state;
	for (int fail_at = 0;; fail_at++) {
		struct test_alloc ta = {.fail_at = fail_at};
		struct queue q, before;
		queue_init(&q);
		q.alloc = test_alloc_fn;
		q.alloc_ctx = &ta;
		int failed = 0;
		for (int i = 0; i < 40; i++) {
			char pid[16];
			snprintf(pid, sizeof pid, "p%d", i);
			char group[16];
			snprintf(group, sizeof group, "g%d", i);
			struct queue_person who = {pid, pid, group, QUEUE_LOC_REMOTE};
			queue_copy(&before, &q);
			enum queue_err err =
			    queue_raise(&q, q.next_entry, &who, QUEUE_KIND_SPEAK, T0);
			if (err == QUEUE_ENOMEM) {
				failed++;
				assert_queue_same(&q, &before);
				err = queue_raise(&q, q.next_entry, &who, QUEUE_KIND_SPEAK, T0);
			}
			assert_int_equal(err, QUEUE_OK);
			queue_fini(&before);
		}
		assert_int_equal(q.count, 40);
		queue_fini(&q);
		if (ta.failures == 0) {
			/* Past the last allocation: entries and groups both grew more than once. */
			assert_true(fail_at >= 4);
			break;
		}
		assert_int_equal(failed, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_defaults),
	    cmocka_unit_test(test_raise_copies_fields_for_every_kind),
	    cmocka_unit_test(test_raise_advances_next_entry),
	    cmocka_unit_test(test_conflict_already_queued),
	    cmocka_unit_test(test_conflict_holding_floor),
	    cmocka_unit_test(test_closed_allows_only_points_of_order),
	    cmocka_unit_test(test_chair_add_while_closed),
	    cmocka_unit_test(test_in_room_speakers_never_conflict),
	    cmocka_unit_test(test_check_raise_bad_arguments),
	    cmocka_unit_test(test_raise_rejects_bad_arguments),
	    cmocka_unit_test(test_full_queue),
	    cmocka_unit_test(test_lower_and_raise_again_goes_to_the_back),
	    cmocka_unit_test(test_stale_entry_not_found),
	    cmocka_unit_test(test_move_positions),
	    cmocka_unit_test(test_move_out_of_range_changes_nothing),
	    cmocka_unit_test(test_move_freezes_policy_order),
	    cmocka_unit_test(test_chair_order_new_entries),
	    cmocka_unit_test(test_set_policy_leaves_chair_order),
	    cmocka_unit_test(test_raising_order_is_not_id_order),
	    cmocka_unit_test(test_empty_queue_leaves_chair_order),
	    cmocka_unit_test(test_set_policy_bad_arguments),
	    cmocka_unit_test(test_raise_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
