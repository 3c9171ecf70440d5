/*
 * mic.status (docs/protocol.md "Audio state"): a speaker's client says what its
 * microphone is doing; the room relays it live as {pid, state}, never logs it, and the
 * snapshot's people carry it as mic (null until said, and again after a restart). Bad
 * states are bad_request and change nothing; observers and captioners are forbidden.
 */
#include "rooms/test_helpers.h"

static json_t *person(json_t *snap, const char *pid)
{
	json_t *people = json_object_get(snap, "participants");
	for (size_t i = 0; i < json_array_size(people); i++)
		if (strcmp(rt_str(json_array_get(people, i), "pid"), pid) == 0)
			return json_array_get(people, i);
	fail_msg("%s is not in the snapshot", pid);
	return NULL;
}

static void reported_live_and_in_the_snapshot(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_attach(t, P1);
	rt_attach(t, P2);
	json_t *snap = room_snapshot(t->room);
	assert_true(json_is_null(json_object_get(person(snap, rt_pid(P1)), "mic")));
	json_decref(snap);
	int64_t head = room_head_seq(t->room);
	/* Before the session too: a mic test while waiting. */
	json_t *ack = rt_ok(t, P1, "{\"type\":\"mic.status\",\"state\":\"refused\"}");
	assert_int_equal(json_object_size(ack), 0);
	json_t *l = rt_last(t->lives, "mic.status");
	assert_string_equal(rt_str(l, "pid"), rt_pid(P1));
	assert_string_equal(rt_str(l, "state"), "refused");
	rt_ok(t, CH, "{\"type\":\"mic.status\",\"state\":\"ready\"}");
	rt_ok(t, P2, "{\"type\":\"mic.status\",\"state\":\"none\"}");
	rt_ok(t, P2, "{\"type\":\"mic.status\",\"state\":\"muted\"}");
	assert_int_equal(rt_count(t->lives, "mic.status"), 4);
	/* The same state again says nothing new. */
	rt_ok(t, P2, "{\"type\":\"mic.status\",\"state\":\"muted\"}");
	assert_int_equal(rt_count(t->lives, "mic.status"), 4);
	assert_int_equal(room_head_seq(t->room), head); /* never logged */
	snap = room_snapshot(t->room);
	assert_string_equal(rt_str(person(snap, rt_pid(P1)), "mic"), "refused");
	assert_string_equal(rt_str(person(snap, rt_pid(CH)), "mic"), "ready");
	assert_string_equal(rt_str(person(snap, rt_pid(P2)), "mic"), "muted");
	json_decref(snap);
	/* Runtime state: a restart forgets it. */
	rt_flush(t);
	rt_reopen(t);
	snap = room_snapshot(t->room);
	assert_true(json_is_null(json_object_get(person(snap, rt_pid(P1)), "mic")));
	json_decref(snap);
}

static void refusals(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"mic.status\",\"state\":\"loud\"}");
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"mic.status\"}");
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"mic.status\",\"state\":true}");
	rt_fail(t, CAP, ROOM_EFORBIDDEN, "{\"type\":\"mic.status\",\"state\":\"ready\"}");
	rt_fail(t, OBS, ROOM_EFORBIDDEN, "{\"type\":\"mic.status\",\"state\":\"ready\"}");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(reported_live_and_in_the_snapshot),
	    T(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
