/*
 * queue/test_names.c -- the wire names of the queue's enums (queue/names.c): every value
 * has the spelling PROTOCOL.md gives it, parses back to itself, and anything else is
 * refused without touching the output.
 */
#include "queue/test_helpers.h"

static void test_kind_names(void **state)
{
	(void)state;
	static const struct {
		enum queue_kind v;
		const char *name;
	} want[] = {
	    {QUEUE_KIND_SPEAK, "speak"},
	    {QUEUE_KIND_POINT_OF_ORDER, "point_of_order"},
	    {QUEUE_KIND_CLARIFY, "clarify"},
	    {QUEUE_KIND_REPLY, "reply"},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		enum queue_kind out = (enum queue_kind)99;
		assert_string_equal(queue_kind_name(want[i].v), want[i].name);
		assert_true(queue_kind_parse(want[i].name, &out));
		assert_int_equal(out, want[i].v);
	}
	assert_null(queue_kind_name((enum queue_kind)4));
	assert_null(queue_kind_name((enum queue_kind) - 1));
}

static void test_location_names(void **state)
{
	(void)state;
	enum queue_location out = (enum queue_location)99;
	assert_string_equal(queue_location_name(QUEUE_LOC_REMOTE), "remote");
	assert_string_equal(queue_location_name(QUEUE_LOC_ROOM), "room");
	assert_true(queue_location_parse("room", &out));
	assert_int_equal(out, QUEUE_LOC_ROOM);
	assert_true(queue_location_parse("remote", &out));
	assert_int_equal(out, QUEUE_LOC_REMOTE);
	assert_null(queue_location_name((enum queue_location)2));
}

static void test_policy_names(void **state)
{
	(void)state;
	const char *names[] = {"fifo", "groups_round_robin", "alternate_location"};
	for (int i = 0; i < 3; i++) {
		enum queue_policy out = (enum queue_policy)99;
		assert_string_equal(queue_policy_name((enum queue_policy)i), names[i]);
		assert_true(queue_policy_parse(names[i], &out));
		assert_int_equal(out, i);
	}
	assert_null(queue_policy_name((enum queue_policy)3));
}

static void test_chosen_names(void **state)
{
	(void)state;
	const char *names[] = {"point_of_order", "fifo", "groups_round_robin", "alternate_location",
			       "chair"};
	for (int i = 0; i < 5; i++) {
		enum queue_chosen out = (enum queue_chosen)99;
		assert_string_equal(queue_chosen_name((enum queue_chosen)i), names[i]);
		assert_true(queue_chosen_parse(names[i], &out));
		assert_int_equal(out, i);
	}
	assert_null(queue_chosen_name((enum queue_chosen)5));
}

static void test_end_reason_names(void **state)
{
	(void)state;
	const char *names[] = {"yielded", "chair", "time", "left", "session_ended", "removed"};
	for (int i = 0; i < 6; i++) {
		enum queue_end_reason out = (enum queue_end_reason)99;
		assert_string_equal(queue_end_reason_name((enum queue_end_reason)i), names[i]);
		assert_true(queue_end_reason_parse(names[i], &out));
		assert_int_equal(out, i);
	}
	assert_null(queue_end_reason_name((enum queue_end_reason)6));
}

/* Names are exact: no case folding, no prefixes, no trailing bytes, no NULL. */
static void test_unknown_names_leave_out_alone(void **state)
{
	(void)state;
	const char *bad[] = {"",     "Speak", "speak ", "spea", "point-of-order",
			     "FIFO", "rooms", "chair2", NULL};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum queue_kind k = (enum queue_kind)42;
		enum queue_location l = (enum queue_location)42;
		enum queue_policy p = (enum queue_policy)42;
		enum queue_chosen c = (enum queue_chosen)42;
		enum queue_end_reason r = (enum queue_end_reason)42;
		assert_false(queue_kind_parse(bad[i], &k));
		assert_false(queue_location_parse(bad[i], &l));
		assert_false(queue_policy_parse(bad[i], &p));
		assert_false(queue_chosen_parse(bad[i], &c));
		assert_false(queue_end_reason_parse(bad[i], &r));
		assert_int_equal(k, 42);
		assert_int_equal(l, 42);
		assert_int_equal(p, 42);
		assert_int_equal(c, 42);
		assert_int_equal(r, 42);
	}
}

static void test_strerror(void **state)
{
	(void)state;
	for (int i = QUEUE_OK; i <= QUEUE_ENOMEM; i++) {
		const char *s = queue_strerror((enum queue_err)i);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		for (int j = QUEUE_OK; j < i; j++)
			assert_string_not_equal(s, queue_strerror((enum queue_err)j));
	}
	assert_string_equal(queue_strerror((enum queue_err)99), "unknown error");
	assert_string_equal(queue_strerror((enum queue_err) - 1), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_location_names),
	    cmocka_unit_test(test_policy_names),
	    cmocka_unit_test(test_chosen_names),
	    cmocka_unit_test(test_end_reason_names),
	    cmocka_unit_test(test_unknown_names_leave_out_alone),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
