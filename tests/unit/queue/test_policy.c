/*
 * queue/test_policy.c -- who speaks next (queue/policy.c): the priority classes in every
 * policy, each policy's pick and shown order against known histories, and the promise
 * that queue_order() is exactly the sequence of picks that granting would produce.
 */
#include "queue/test_helpers.h"

static const enum queue_policy all_policies[] = {QUEUE_POLICY_FIFO, QUEUE_POLICY_GROUPS_ROUND_ROBIN,
						 QUEUE_POLICY_ALTERNATE_LOCATION};

static const enum queue_chosen reason_of[] = {
    [QUEUE_POLICY_FIFO] = QUEUE_CHOSEN_FIFO,
    [QUEUE_POLICY_GROUPS_ROUND_ROBIN] = QUEUE_CHOSEN_GROUPS_ROUND_ROBIN,
    [QUEUE_POLICY_ALTERNATE_LOCATION] = QUEUE_CHOSEN_ALTERNATE_LOCATION,
};

static void set_policy(struct queue *q, enum queue_policy policy)
{
	assert_int_equal(queue_set_policy(q, policy, 180, false), QUEUE_OK);
}

/* Granting the picks one after another, on a copy, gives exactly queue_order(). */
static void assert_order_is_the_picks(const struct queue *q)
{
	int64_t shown[QUEUE_MAX_ENTRIES];
	size_t n = order_ids(q, shown, QUEUE_MAX_ENTRIES);
	struct queue copy;
	queue_copy(&copy, q);
	if (copy.floor.active)
		assert_int_equal(queue_end_floor(&copy, T0, NULL), QUEUE_OK);
	for (size_t i = 0; i < n; i++) {
		int64_t spoke = speak_next(&copy, T0 + (int64_t)i * 10000);
		if (spoke != shown[i])
			fail_msg("pick %zu was %lld, the order showed %lld", i, (long long)spoke,
				 (long long)shown[i]);
	}
	assert_int_equal(queue_pick(&copy, NULL, NULL), QUEUE_EEMPTY);
	queue_fini(&copy);
}

static void test_fifo(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "A", QUEUE_LOC_ROOM);
	int64_t b = raise_speak(&q, "b", "A", QUEUE_LOC_ROOM);
	int64_t c = raise_speak(&q, "c", "B", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, a, b, c);
	assert_pick(&q, a, QUEUE_CHOSEN_FIFO);
	assert_order_is_the_picks(&q);
	queue_fini(&q);
}

/* In every policy: points of order first in raising order, then clarify and reply, then
 * speak; the reason is point_of_order for the first class and the policy's for the rest. */
static void test_priority_classes_in_every_policy(void **state)
{
	(void)state;
	for (size_t p = 0; p < 3; p++) {
		struct queue q;
		queue_init(&q);
		set_policy(&q, all_policies[p]);
		int64_t s1 = raise_kind(&q, "s1", "A", QUEUE_LOC_REMOTE, QUEUE_KIND_SPEAK);
		int64_t c1 = raise_kind(&q, "c1", "B", QUEUE_LOC_ROOM, QUEUE_KIND_CLARIFY);
		int64_t p1 = raise_kind(&q, "p1", "C", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
		int64_t r1 = raise_kind(&q, "r1", "A", QUEUE_LOC_ROOM, QUEUE_KIND_REPLY);
		int64_t p2 = raise_kind(&q, "p2", "B", QUEUE_LOC_ROOM, QUEUE_KIND_POINT_OF_ORDER);
		int64_t s2 = raise_kind(&q, "s2", "B", QUEUE_LOC_ROOM, QUEUE_KIND_SPEAK);

		int64_t got[6];
		assert_int_equal(order_ids(&q, got, 6), 6);
		assert_int_equal(got[0], p1);
		assert_int_equal(got[1], p2);
		assert_true((got[2] == c1 && got[3] == r1) || (got[2] == r1 && got[3] == c1));
		assert_true((got[4] == s1 && got[5] == s2) || (got[4] == s2 && got[5] == s1));
		assert_order_is_the_picks(&q);

		assert_pick(&q, p1, QUEUE_CHOSEN_POINT_OF_ORDER);
		speak_next(&q, T0);
		assert_pick(&q, p2, QUEUE_CHOSEN_POINT_OF_ORDER);
		speak_next(&q, T0);
		assert_pick(&q, got[2], reason_of[all_policies[p]]);
		speak_next(&q, T0);
		assert_pick(&q, got[3], reason_of[all_policies[p]]);
		speak_next(&q, T0);
		assert_pick(&q, got[4], reason_of[all_policies[p]]);
		queue_fini(&q);
	}
}

static void test_fifo_classes_exact(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t s1 = raise_kind(&q, "s1", "", QUEUE_LOC_REMOTE, QUEUE_KIND_SPEAK);
	int64_t r1 = raise_kind(&q, "r1", "", QUEUE_LOC_REMOTE, QUEUE_KIND_REPLY);
	int64_t p1 = raise_kind(&q, "p1", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	int64_t c1 = raise_kind(&q, "c1", "", QUEUE_LOC_REMOTE, QUEUE_KIND_CLARIFY);
	int64_t s2 = raise_kind(&q, "s2", "", QUEUE_LOC_REMOTE, QUEUE_KIND_SPEAK);
	ASSERT_ORDER(&q, p1, r1, c1, s1, s2); /* clarify and reply share a class */
	queue_fini(&q);
}

/* Points of order are not the policy's: raising order even against round robin's and
 * alternation's preferences. */
static void test_points_of_order_ignore_the_policy(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_GROUPS_ROUND_ROBIN);
	raise_speak(&q, "a0", "A", QUEUE_LOC_REMOTE);
	speak_next(&q, T0); /* A has spoken, B never */
	int64_t pa = raise_kind(&q, "pa", "A", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	int64_t pb = raise_kind(&q, "pb", "B", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	ASSERT_ORDER(&q, pa, pb);
	assert_pick(&q, pa, QUEUE_CHOSEN_POINT_OF_ORDER);

	set_policy(&q, QUEUE_POLICY_ALTERNATE_LOCATION); /* the last floor was remote */
	int64_t pr = raise_kind(&q, "pr", "", QUEUE_LOC_ROOM, QUEUE_KIND_POINT_OF_ORDER);
	ASSERT_ORDER(&q, pa, pb, pr);
	queue_fini(&q);
}

/* Groups that never spoke first, then the least recently spoken; each group's earliest
 * entry; and the order shown is the order they would speak in. */
static void test_round_robin_history(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_GROUPS_ROUND_ROBIN);
	int64_t a1 = raise_speak(&q, "a1", "A", QUEUE_LOC_REMOTE);
	int64_t b1 = raise_speak(&q, "b1", "B", QUEUE_LOC_REMOTE);
	assert_int_equal(speak_next(&q, T0), a1);
	assert_int_equal(speak_next(&q, T0 + 10000), b1);
	assert_int_equal(q.turns, 2);

	int64_t b2 = raise_speak(&q, "b2", "B", QUEUE_LOC_REMOTE);
	int64_t a2 = raise_speak(&q, "a2", "A", QUEUE_LOC_REMOTE);
	int64_t c1 = raise_speak(&q, "c1", "C", QUEUE_LOC_REMOTE);
	int64_t a3 = raise_speak(&q, "a3", "A", QUEUE_LOC_REMOTE);
	int64_t b3 = raise_speak(&q, "b3", "B", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, c1, a2, b2, a3, b3);
	assert_pick(&q, c1, QUEUE_CHOSEN_GROUPS_ROUND_ROBIN);
	assert_order_is_the_picks(&q);
	/* The group's earliest entry, not the first in the array: c1 gone, A is least recent
	 * and a2 (raised after b2) is its earliest. */
	assert_int_equal(speak_next(&q, T0 + 20000), c1);
	assert_pick(&q, a2, QUEUE_CHOSEN_GROUPS_ROUND_ROBIN);
	queue_fini(&q);
}

/* Between groups that never spoke, the one whose waiting entry was raised first. */
static void test_round_robin_never_spoke_ties(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_GROUPS_ROUND_ROBIN);
	int64_t x1 = raise_speak(&q, "x1", "X", QUEUE_LOC_REMOTE);
	int64_t x2 = raise_speak(&q, "x2", "X", QUEUE_LOC_REMOTE);
	int64_t y1 = raise_speak(&q, "y1", "Y", QUEUE_LOC_REMOTE);
	int64_t z1 = raise_speak(&q, "z1", "Z", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, x1, y1, z1, x2);
	assert_order_is_the_picks(&q);
	queue_fini(&q);
}

/* No group ("") is a group of its own, competing like any other. */
static void test_round_robin_no_group_is_a_group(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_GROUPS_ROUND_ROBIN);
	int64_t n1 = raise_speak(&q, "n1", "", QUEUE_LOC_REMOTE);
	int64_t n2 = raise_full(&q, "", "In the room", "", QUEUE_LOC_ROOM, QUEUE_KIND_SPEAK, T0);
	int64_t g1 = raise_speak(&q, "g1", "government", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, n1, g1, n2);
	queue_fini(&q);
}

/* Every grant is a turn for the group, whatever chose it: a point of order or the chair. */
static void test_round_robin_every_grant_is_a_turn(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_GROUPS_ROUND_ROBIN);
	raise_speak(&q, "a0", "A", QUEUE_LOC_REMOTE);
	speak_next(&q, T0);
	raise_kind(&q, "bp", "B", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	speak_next(&q, T0 + 10000);
	int64_t b1 = raise_speak(&q, "b1", "B", QUEUE_LOC_REMOTE);
	int64_t a1 = raise_speak(&q, "a1", "A", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, a1, b1);

	int64_t d;
	assert_int_equal(queue_grant(&q, a1, 0, QUEUE_CHOSEN_CHAIR, T0 + 20000), QUEUE_OK);
	assert_int_equal(queue_end_floor(&q, T0 + 30000, &d), QUEUE_OK);
	int64_t a2 = raise_speak(&q, "a2", "A", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, b1, a2);
	queue_fini(&q);
}

/* Within the clarify/reply class the policy chooses too. */
static void test_round_robin_within_answer_class(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_GROUPS_ROUND_ROBIN);
	raise_speak(&q, "a0", "A", QUEUE_LOC_REMOTE);
	speak_next(&q, T0);
	int64_t sb = raise_kind(&q, "sb", "B", QUEUE_LOC_REMOTE, QUEUE_KIND_SPEAK);
	int64_t ca = raise_kind(&q, "ca", "A", QUEUE_LOC_REMOTE, QUEUE_KIND_CLARIFY);
	int64_t rb = raise_kind(&q, "rb", "B", QUEUE_LOC_REMOTE, QUEUE_KIND_REPLY);
	int64_t sa = raise_kind(&q, "sa", "A", QUEUE_LOC_REMOTE, QUEUE_KIND_SPEAK);
	/* Answers: B never spoke, so rb; then ca. Speakers: after rb and ca, B spoke less
	 * recently than A, so sb then sa. */
	ASSERT_ORDER(&q, rb, ca, sb, sa);
	assert_pick(&q, rb, QUEUE_CHOSEN_GROUPS_ROUND_ROBIN);
	assert_order_is_the_picks(&q);
	queue_fini(&q);
}

static void test_alternate_location(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_ALTERNATE_LOCATION);
	/* No floor yet: simply the earliest. */
	int64_t r1 = raise_speak(&q, "r1", "", QUEUE_LOC_REMOTE);
	int64_t r2 = raise_speak(&q, "r2", "", QUEUE_LOC_REMOTE);
	int64_t m1 = raise_speak(&q, "m1", "", QUEUE_LOC_ROOM);
	int64_t m2 = raise_speak(&q, "m2", "", QUEUE_LOC_ROOM);
	int64_t r3 = raise_speak(&q, "r3", "", QUEUE_LOC_REMOTE);
	assert_false(q.has_last_location);
	ASSERT_ORDER(&q, r1, m1, r2, m2, r3);
	assert_pick(&q, r1, QUEUE_CHOSEN_ALTERNATE_LOCATION);
	assert_order_is_the_picks(&q);

	/* After a remote floor, the earliest in-room entry. */
	assert_int_equal(speak_next(&q, T0), r1);
	assert_int_equal(q.last_location, QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, m1, r2, m2, r3);
	assert_pick(&q, m1, QUEUE_CHOSEN_ALTERNATE_LOCATION);
	queue_fini(&q);
}

/* Only one location waiting: the earliest, still by the alternate_location rule. */
static void test_alternate_location_one_side(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_ALTERNATE_LOCATION);
	raise_speak(&q, "r0", "", QUEUE_LOC_REMOTE);
	speak_next(&q, T0);
	int64_t r1 = raise_speak(&q, "r1", "", QUEUE_LOC_REMOTE);
	int64_t r2 = raise_speak(&q, "r2", "", QUEUE_LOC_REMOTE);
	ASSERT_ORDER(&q, r1, r2);
	assert_pick(&q, r1, QUEUE_CHOSEN_ALTERNATE_LOCATION);
	queue_fini(&q);
}

/* Alternation is within a class: a waiting remote clarification still goes before an
 * in-room speaker after a remote floor, and the speakers alternate after it. */
static void test_alternate_location_within_class(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	set_policy(&q, QUEUE_POLICY_ALTERNATE_LOCATION);
	raise_speak(&q, "r0", "", QUEUE_LOC_REMOTE);
	speak_next(&q, T0);
	int64_t m1 = raise_speak(&q, "m1", "", QUEUE_LOC_ROOM);
	int64_t r1 = raise_speak(&q, "r1", "", QUEUE_LOC_REMOTE);
	int64_t cr = raise_kind(&q, "cr", "", QUEUE_LOC_REMOTE, QUEUE_KIND_CLARIFY);
	ASSERT_ORDER(&q, cr, m1, r1);
	assert_order_is_the_picks(&q);
	queue_fini(&q);
}

/* A larger mixed queue: whatever each policy decides, the shown order is the picks. */
static void test_order_is_the_picks_everywhere(void **state)
{
	(void)state;
	static const char *groups[] = {"government", "civil_society", "", "technical"};
	for (size_t p = 0; p < 3; p++) {
		struct queue q;
		queue_init(&q);
		set_policy(&q, all_policies[p]);
		for (int i = 0; i < 7; i++) { /* some history */
			char pid[16];
			snprintf(pid, sizeof pid, "h%d", i);
			raise_speak(&q, pid, groups[(i * 3) % 4], (enum queue_location)(i % 2));
			speak_next(&q, T0 + i * 1000);
		}
		for (int i = 0; i < 60; i++) {
			char pid[16];
			snprintf(pid, sizeof pid, "w%d", i);
			raise_kind(&q, pid, groups[(i * 7) % 4], (enum queue_location)((i / 3) % 2),
				   (enum queue_kind)((i * 5) % 4));
		}
		assert_order_is_the_picks(&q);
		queue_fini(&q);
	}
}

static void test_order_with_small_cap(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	int64_t a = raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	raise_speak(&q, "b", "", QUEUE_LOC_REMOTE);
	int64_t p = raise_kind(&q, "p", "", QUEUE_LOC_REMOTE, QUEUE_KIND_POINT_OF_ORDER);
	const struct queue_entry *out[3] = {NULL, NULL, NULL};
	assert_int_equal(queue_order(&q, out, 2), 3);
	assert_int_equal(out[0]->entry, p);
	assert_int_equal(out[1]->entry, a);
	assert_null(out[2]);
	assert_int_equal(queue_order(&q, NULL, 5), 3);
	assert_int_equal(queue_order(&q, out, 0), 3);
	queue_fini(&q);
}

static void test_pick_outputs_optional(void **state)
{
	(void)state;
	struct queue q;
	queue_init(&q);
	assert_int_equal(queue_pick(&q, NULL, NULL), QUEUE_EEMPTY);
	int64_t entry = 77;
	enum queue_chosen why = QUEUE_CHOSEN_CHAIR;
	assert_int_equal(queue_pick(&q, &entry, &why), QUEUE_EEMPTY);
	assert_int_equal(entry, 77); /* untouched */
	assert_int_equal(why, QUEUE_CHOSEN_CHAIR);
	raise_speak(&q, "a", "", QUEUE_LOC_REMOTE);
	assert_int_equal(queue_pick(&q, NULL, NULL), QUEUE_OK);
	queue_fini(&q);
}

/* In chair order the head goes next, for the chair's reason, even a point of order. */
static void test_chair_order_pick(void **state)
{
	(void)state;
	for (size_t p = 0; p < 3; p++) {
		struct queue q;
		queue_init(&q);
		set_policy(&q, all_policies[p]);
		int64_t a = raise_speak(&q, "a", "A", QUEUE_LOC_REMOTE);
		int64_t po = raise_kind(&q, "po", "B", QUEUE_LOC_ROOM, QUEUE_KIND_POINT_OF_ORDER);
		assert_int_equal(queue_move(&q, a, 1), QUEUE_OK); /* no change of order */
		assert_pick(&q, po, QUEUE_CHOSEN_CHAIR);
		assert_int_equal(queue_move(&q, a, 0), QUEUE_OK);
		assert_pick(&q, a, QUEUE_CHOSEN_CHAIR);
		ASSERT_ORDER(&q, a, po);
		queue_fini(&q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo),
	    cmocka_unit_test(test_priority_classes_in_every_policy),
	    cmocka_unit_test(test_fifo_classes_exact),
	    cmocka_unit_test(test_points_of_order_ignore_the_policy),
	    cmocka_unit_test(test_round_robin_history),
	    cmocka_unit_test(test_round_robin_never_spoke_ties),
	    cmocka_unit_test(test_round_robin_no_group_is_a_group),
	    cmocka_unit_test(test_round_robin_every_grant_is_a_turn),
	    cmocka_unit_test(test_round_robin_within_answer_class),
	    cmocka_unit_test(test_alternate_location),
	    cmocka_unit_test(test_alternate_location_one_side),
	    cmocka_unit_test(test_alternate_location_within_class),
	    cmocka_unit_test(test_order_is_the_picks_everywhere),
	    cmocka_unit_test(test_order_with_small_cap),
	    cmocka_unit_test(test_pick_outputs_optional),
	    cmocka_unit_test(test_chair_order_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
