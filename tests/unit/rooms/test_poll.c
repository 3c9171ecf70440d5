/*
 * PROTOCOL.md "Polls" through room_command(): single and multiple choice, anonymous
 * (ballots in memory only) and named (each ballot a poll.voted event), the per-group
 * breakdown rule, the show of hands with live counts and not_answered that still counts
 * people who left, poll.progress throttling, and polls.json.
 */
#include "rooms/test_helpers.h"

static const char *const groups[] = {"government", "civil_society", "technical"};

static void live(void **state)
{
	rt_live(*state);
	rt_advance(*state, 1000);
	rt_clear(*state);
}

static int64_t start_poll(struct rt *t, const char *extra)
{
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"Which venue?\",\"options\":[\"Paris\","
	      "\"Nairobi\",\"Lima\"]%s}",
	      extra);
	return rt_result_int(t, "poll");
}

static void start_event_defaults_and_errors(void **state)
{
	struct rt *t = *state;
	live(state);
	const char *bad[] = {
	    "{\"type\":\"poll.start\",\"question\":\"Q\"}",
	    "{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\"]}",
	    "{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\",3]}",
	    "{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\",\"\"]}",
	    "{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\\u0000\"]}",
	    "{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":\"a\"}",
	    "{\"type\":\"poll.start\",\"options\":[\"a\",\"b\"]}",
	    "{\"type\":\"poll.start\",\"question\":\"\",\"options\":[\"a\",\"b\"]}",
	    "{\"type\":\"poll.start\",\"question\":[],\"options\":[\"a\",\"b\"]}",
	    "{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"multiple\":1}",
	    ("{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"anonymous\":"
	     "\"no\"}"),
	    ("{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"live_"
	     "counts\":"
	     "null}"),
	    "{\"type\":\"poll.start\",\"question\":\"Q\",\"show_of_hands\":\"yes\"}",
	    "{\"type\":\"poll.start\",\"show_of_hands\":true}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rt_fail(t, CH, ROOM_EBAD_REQUEST, "%s", bad[i]);
	char list[21 * 8] = "";
	for (int i = 0; i < 21; i++)
		sprintf(list + strlen(list), "%s\"o%d\"", i ? "," : "", i);
	rt_fail(t, CH, ROOM_EBAD_REQUEST,
		"{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[%s]}", list);
	*strrchr(list, ',') = '\0'; /* 20 options */
	json_t *ack =
	    rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[%s]}", list);
	assert_int_equal(rt_int(ack, "poll"), 1);
	RT_ASSERT_KINDS(t, 0, "poll.started");
	json_t *e = rt_last_event(t, "poll.started");
	assert_int_equal(rt_int(e, "poll"), 1);
	assert_string_equal(rt_str(e, "question"), "Q");
	assert_int_equal(json_array_size(json_object_get(e, "options")), 20);
	assert_true(json_is_false(json_object_get(e, "multiple")));
	assert_true(json_is_true(json_object_get(e, "anonymous")));
	assert_true(json_is_false(json_object_get(e, "live_counts")));
	/* One poll open at a time. */
	rt_fail(t, CH, ROOM_ECONFLICT,
		"{\"type\":\"poll.start\",\"question\":\"Q2\",\"options\":[\"a\",\"b\"]}");
	rt_fail(t, CH, ROOM_ECONFLICT,
		"{\"type\":\"poll.start\",\"question\":\"Q2\",\"show_of_hands\":true}");
	json_t *snap = room_snapshot(t->room);
	json_t *p = json_array_get(json_object_get(snap, "polls"), 0);
	assert_int_equal(rt_int(p, "poll"), 1);
	assert_true(json_is_true(json_object_get(p, "open")));
	assert_true(json_is_true(json_object_get(p, "anonymous")));
	json_decref(snap);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	assert_int_equal(
	    start_poll(t, ",\"multiple\":true,\"anonymous\":false,\"live_counts\":true"), 2);
	e = rt_last_event(t, "poll.started");
	assert_true(json_is_true(json_object_get(e, "multiple")));
	assert_true(json_is_false(json_object_get(e, "anonymous")));
	assert_true(json_is_true(json_object_get(e, "live_counts")));
}

static void vote_errors(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_fail(t, P1, ROOM_ENOT_FOUND, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	start_poll(t, "");
	const char *bad[] = {
	    "{\"type\":\"poll.vote\",\"poll\":1}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":0}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0,1]}", /* single choice */
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[3]}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[-1]}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[\"0\"]}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0.0]}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[null]}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[[0]]}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[4294967296]}",
	    "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":{\"0\":true}}",
	    "{\"type\":\"poll.vote\",\"choices\":[0]}",
	    "{\"type\":\"poll.vote\",\"poll\":\"1\",\"choices\":[0]}",
	    "{\"type\":\"poll.vote\",\"poll\":0,\"choices\":[0]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rt_fail(t, P1, ROOM_EBAD_REQUEST, "%s", bad[i]);
	rt_fail(t, P1, ROOM_ENOT_FOUND, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[0]}");
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"poll.end\",\"poll\":2}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"poll.end\"}");
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"poll.end\",\"poll\":1}");
	/* Multiple choice: distinct indices. */
	start_poll(t, ",\"multiple\":true");
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[1,1]}");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[2,0,1]}");
}

static void anonymous_vote_is_an_ack_and_replaces(void **state)
{
	struct rt *t = *state;
	live(state);
	start_poll(t, ",\"multiple\":true");
	struct rt_state before;
	rt_capture(t, &before);
	json_t *ack = rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	assert_int_equal(json_object_size(ack), 0);
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1,2]}"); /* replaces */
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[2]}");
	rt_ok(t, P3, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, P3, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[]}"); /* withdrawn */
	rt_ok(t, CH, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	assert_int_equal(room_head_seq(t->room), before.head);
	size_t len;
	char *log = rt_read_file(room_log_path(t->room), &len);
	assert_int_equal(len, before.log_len);
	assert_memory_equal(log, before.log, len);
	free(log);
	assert_int_equal(json_array_size(t->events), before.events);
	rt_release(&before);

	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	json_t *e = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(e, "poll"), 1);
	assert_int_equal(rt_int(e, "voters"), 3);
	json_t *counts = json_object_get(e, "counts");
	assert_int_equal(json_integer_value(json_array_get(counts, 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(counts, 1)), 2);
	assert_int_equal(json_integer_value(json_array_get(counts, 2)), 2);
	assert_null(json_object_get(e, "ballots"));
	/* No group cast five ballots: no breakdown at all. */
	assert_int_equal(json_object_size(json_object_get(e, "by_group")), 0);
	json_t *snap = room_snapshot(t->room);
	assert_false(json_is_true(
	    json_object_get(json_array_get(json_object_get(snap, "polls"), 0), "open")));
	json_decref(snap);
}

static void named_ballots_are_logged(void **state)
{
	struct rt *t = *state;
	live(state);
	start_poll(t, ",\"multiple\":true,\"anonymous\":false");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	RT_ASSERT_KINDS(t, 1, "poll.voted");
	json_t *v = rt_last_event(t, "poll.voted");
	assert_int_equal(rt_int(v, "poll"), 1);
	assert_string_equal(rt_str(v, "pid"), rt_pid(P1));
	assert_string_equal(rt_str(v, "name"), "Alice Gov");
	assert_int_equal(json_array_size(json_object_get(v, "choices")), 1);
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}"); /* replaces */
	rt_ok(t, P4, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1,2]}");
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0,2]}");
	rt_ok(t, P7, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[2]}");
	assert_int_equal(rt_count(t->events, "poll.voted"), 5);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	json_t *e = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(e, "voters"), 4);
	json_t *ballots = json_object_get(e, "ballots");
	assert_int_equal(json_array_size(ballots), 4);
	/* In order of first appearance in the room: P1, P2, P4, P7. */
	json_t *b0 = json_array_get(ballots, 0);
	assert_string_equal(rt_str(b0, "pid"), rt_pid(P1));
	assert_string_equal(rt_str(b0, "name"), "Alice Gov");
	assert_int_equal(json_array_size(json_object_get(b0, "choices")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(b0, "choices"), 0)), 1);
	/* Named: every group's breakdown, however small. */
	json_t *by = json_object_get(e, "by_group");
	json_t *gov = json_object_get(by, "government");
	assert_int_equal(json_integer_value(json_array_get(gov, 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(gov, 1)), 2);
	assert_int_equal(json_integer_value(json_array_get(gov, 2)), 1);
	json_t *civ = json_object_get(by, "civil_society");
	assert_int_equal(json_integer_value(json_array_get(civ, 0)), 1);
	assert_int_equal(json_integer_value(json_array_get(civ, 2)), 1);
	assert_int_equal(json_object_size(by), 2); /* P7 has no group */
}

/* Anonymous: a group's breakdown only when it cast at least five ballots. */
static void anonymous_by_group_needs_five_ballots(void **state)
{
	struct rt *t = *state;
	live(state);
	struct rt_crowd crowd;
	rt_crowd_init(&crowd, groups, 3);
	for (int i = 0; i < 13; i++)
		rt_attach_as(t, &crowd.who[i]);
	start_poll(t, "");
	/* government: crowd 0, 3, 6, 9, 12 (five); civil_society: 1, 4, 7, 10 (four). */
	for (int i = 0; i < 13; i++)
		if (i % 3 != 2)
			rt_ok_as(t, &crowd.who[i],
				 "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[%d]}", i % 2);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	json_t *e = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(e, "voters"), 9);
	json_t *by = json_object_get(e, "by_group");
	assert_int_equal(json_object_size(by), 1);
	json_t *gov = json_object_get(by, "government");
	assert_non_null(gov);
	/* crowd 0, 6, 12 chose 0; 3, 9 chose 1. */
	assert_int_equal(json_integer_value(json_array_get(gov, 0)), 3);
	assert_int_equal(json_integer_value(json_array_get(gov, 1)), 2);
	assert_null(json_object_get(e, "ballots"));
}

static void progress_is_live_and_throttled(void **state)
{
	struct rt *t = *state;
	live(state);
	start_poll(t, "");
	assert_int_equal(rt_count(t->lives, "poll.progress"), 1);
	json_t *p = rt_last(t->lives, "poll.progress");
	assert_int_equal(rt_int(p, "poll"), 1);
	assert_int_equal(rt_int(p, "voters"), 0);
	assert_null(json_object_get(p, "counts")); /* no live_counts */
	assert_null(json_object_get(p, "not_answered"));
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	assert_int_equal(rt_count(t->lives, "poll.progress"), 1);
	rt_advance(t, 499);
	assert_int_equal(rt_count(t->lives, "poll.progress"), 1);
	rt_advance(t, 1);
	assert_int_equal(rt_count(t->lives, "poll.progress"), 2);
	assert_int_equal(rt_int(rt_last(t->lives, "poll.progress"), "voters"), 2);
	for (int i = 0; i < 40; i++) {
		t->now += 50;
		rt_ok(t, (enum rt_person)(P1 + i % 7),
		      "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[%d]}", i % 3);
		rooms_tick(t->rs, t->now);
	}
	size_t sent = rt_count(t->lives, "poll.progress") - 2;
	assert_true(sent >= 3 && sent <= 4);
	assert_int_equal(rt_count(t->events, "poll.progress"), 0);
}

/* A show of hands: anonymous, raise / do not raise, live counts with not_answered, and
 * people who leave still counted as eligible. */
static void show_of_hands(void **state)
{
	struct rt *t = *state;
	live(state); /* CH, P1..P7 connected: 8 eligible */
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"Do you support the charter?\","
	      "\"show_of_hands\":true,\"options\":[\"ignored\",\"too\"],\"multiple\":true,"
	      "\"anonymous\":false}");
	json_t *e = rt_last_event(t, "poll.started");
	json_t *opts = json_object_get(e, "options");
	assert_int_equal(json_array_size(opts), 2);
	assert_string_equal(json_string_value(json_array_get(opts, 0)), "Raise hand");
	assert_string_equal(json_string_value(json_array_get(opts, 1)), "Do not raise hand");
	assert_true(json_is_true(json_object_get(e, "anonymous")));
	assert_true(json_is_false(json_object_get(e, "multiple")));
	assert_true(json_is_true(json_object_get(e, "live_counts")));
	json_t *p = rt_last(t->lives, "poll.progress");
	assert_int_equal(rt_int(p, "voters"), 0);
	assert_int_equal(rt_int(p, "not_answered"), 8);

	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, P3, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	rt_fail(t, P3, ROOM_EBAD_REQUEST, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0,1]}");
	assert_int_equal(rt_count(t->events, "poll.voted"), 0);
	/* P4 leaves without answering, P1 leaves after answering: both still count. */
	rt_detach(t, P4, true);
	rt_detach(t, P1, true);
	/* Someone arrives while the hands are up: eligible too. */
	struct rt_crowd crowd;
	rt_crowd_init(&crowd, groups, 3);
	rt_attach_as(t, &crowd.who[0]);
	rt_advance(t, 500);
	p = rt_last(t->lives, "poll.progress");
	assert_int_equal(rt_int(p, "voters"), 3);
	assert_int_equal(rt_int(p, "not_answered"), 6);
	json_t *counts = json_object_get(p, "counts");
	assert_int_equal(json_integer_value(json_array_get(counts, 0)), 2);
	assert_int_equal(json_integer_value(json_array_get(counts, 1)), 1);
	/* A changed answer. */
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	t->now += 60000;
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	e = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(e, "voters"), 3);
	assert_int_equal(rt_int(e, "not_answered"), 6);
	counts = json_object_get(e, "counts");
	assert_int_equal(json_integer_value(json_array_get(counts, 0)), 1);
	assert_int_equal(json_integer_value(json_array_get(counts, 1)), 2);
	assert_true(json_is_true(json_object_get(e, "show_of_hands")));

	/* polls.json: the shape IETF Datatracker imports. */
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_POLLS, NULL, &doc, &len), ROOM_OK);
	json_t *polls = json_loadb(doc, len, 0, NULL);
	free(doc);
	assert_int_equal(json_array_size(polls), 1);
	json_t *row = json_array_get(polls, 0);
	assert_string_equal(rt_str(row, "text"), "Do you support the charter?");
	assert_string_equal(rt_str(row, "start_time"), "2026-11-22T10:00:01.000Z");
	assert_string_equal(rt_str(row, "end_time"), "2026-11-22T10:01:01.500Z");
	assert_int_equal(rt_int(row, "raise_hand"), 1);
	assert_int_equal(rt_int(row, "do_not_raise_hand"), 2);
	json_decref(polls);
}

/* polls.json lists closed polls in order; an open one is not there yet. */
static void polls_json_closed_in_order(void **state)
{
	struct rt *t = *state;
	live(state);
	start_poll(t, "");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[2]}");
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Hands?\",\"show_of_hands\":true}");
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":2}");
	start_poll(t, "");
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_POLLS, NULL, &doc, &len), ROOM_OK);
	json_t *polls = json_loadb(doc, len, 0, NULL);
	free(doc);
	assert_int_equal(json_array_size(polls), 2);
	json_t *first = json_array_get(polls, 0);
	assert_string_equal(rt_str(first, "text"), "Which venue?");
	assert_null(json_object_get(first, "raise_hand"));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(first, "counts"), 2)),
			 1);
	json_t *second = json_array_get(polls, 1);
	assert_int_equal(rt_int(second, "raise_hand"), 0);
	assert_int_equal(rt_int(second, "do_not_raise_hand"), 0);
	json_decref(polls);
}

/* Ballots do not carry over to the next poll. */
static void ballots_are_per_poll(void **state)
{
	struct rt *t = *state;
	live(state);
	start_poll(t, "");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	start_poll(t, ",\"anonymous\":false");
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":2}");
	json_t *e = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(e, "voters"), 0);
	assert_int_equal(json_array_size(json_object_get(e, "ballots")), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(start_event_defaults_and_errors),
	    T(vote_errors),
	    T(anonymous_vote_is_an_ack_and_replaces),
	    T(named_ballots_are_logged),
	    T(anonymous_by_group_needs_five_ballots),
	    T(progress_is_live_and_throttled),
	    T(show_of_hands),
	    T(polls_json_closed_in_order),
	    T(ballots_are_per_poll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
