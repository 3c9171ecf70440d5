/*
 * PROTOCOL.md "Speaking queue and floor" through room_command(): every rule and error code,
 * floor.granted's policy field for each way a speaker is chosen, the floor clock driven by
 * a fake clock through rooms_tick(), the mic gate, and what happens to a place in the
 * queue or the floor when its owner drops and the grace period runs out.
 */
#include "rooms/test_helpers.h"

/* A live session whose presence burst has been sent, so the clock owes nothing. */
static void live(void **state)
{
	rt_live(*state);
	rt_advance(*state, 1000);
	rt_clear(*state);
}

static json_t *granted(struct rt *t)
{
	return rt_last_event(t, "floor.granted");
}

/* queue.next and the pid and policy of the speaker it chose. */
static void next_is(struct rt *t, enum rt_person who, const char *policy)
{
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	json_t *g = granted(t);
	assert_string_equal(rt_str(g, "pid"), rt_pid(who));
	assert_string_equal(rt_str(g, "policy"), policy);
	assert_int_equal(rt_result_int(t, "entry"), rt_int(g, "entry"));
}

static void raise_event_and_ack(void **state)
{
	struct rt *t = *state;
	live(state);
	json_t *ack = rt_ok(t, P6, "{\"type\":\"queue.raise\"}");
	assert_int_equal(rt_int(ack, "entry"), 1);
	RT_ASSERT_KINDS(t, 0, "queue.raised");
	json_t *e = rt_last_event(t, "queue.raised");
	assert_int_equal(rt_int(e, "entry"), 1);
	assert_string_equal(rt_str(e, "pid"), rt_pid(P6));
	assert_string_equal(rt_str(e, "name"), "Farah Acad");
	assert_string_equal(rt_str(e, "group"), "academia");
	assert_string_equal(rt_str(e, "location"), "room");
	assert_string_equal(rt_str(e, "kind"), "speak");

	json_t *snap = room_snapshot(t->room);
	json_t *q = json_object_get(snap, "queue");
	assert_true(json_is_true(json_object_get(q, "open")));
	assert_string_equal(rt_str(q, "policy"), "fifo");
	json_t *entry = json_array_get(json_object_get(q, "entries"), 0);
	assert_int_equal(rt_int(entry, "entry"), 1);
	assert_string_equal(rt_str(entry, "kind"), "speak");
	assert_string_equal(rt_str(entry, "raised"), "2026-11-22T10:00:01.000Z");
	json_decref(snap);

	for (int k = 0; k < 3; k++) {
		static const char *const kinds[] = {"point_of_order", "clarify", "reply"};
		rt_ok(t, (enum rt_person)(P1 + k), "{\"type\":\"queue.raise\",\"kind\":\"%s\"}",
		      kinds[k]);
		assert_string_equal(rt_str(rt_last_event(t, "queue.raised"), "kind"), kinds[k]);
	}
	/* Entry ids go up by one and are never reused. */
	assert_int_equal(rt_result_int(t, "entry"), 4);
}

static void raise_errors(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"queue.raise\",\"kind\":\"shout\"}");
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"queue.raise\",\"kind\":1}");
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"queue.raise\",\"kind\":null}");
	rt_fail(t, P1, ROOM_EBAD_REQUEST, "{\"type\":\"queue.raise\",\"kind\":\"SPEAK\"}");
	rt_raise(t, P1, NULL);
	/* One entry per person, whatever the kind. */
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\"}");
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\",\"kind\":\"point_of_order\"}");
	/* Holding the floor is a conflict too. */
	next_is(t, P1, "fifo");
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\"}");
	assert_string_equal(t->message, "you hold the floor");
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\",\"kind\":\"reply\"}");
	/* The same person on a second connection is still the same person. */
	rt_attach(t, P2);
	rt_raise(t, P2, NULL);
	rt_fail(t, P2, ROOM_ECONFLICT, "{\"type\":\"queue.raise\"}");
}

static void lower_and_raise_again_goes_to_the_back(void **state)
{
	struct rt *t = *state;
	live(state);
	int64_t e1 = rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	rt_raise(t, P3, NULL);
	rt_ok(t, P1, "{\"type\":\"queue.lower\"}");
	json_t *low = rt_last_event(t, "queue.lowered");
	assert_int_equal(rt_int(low, "entry"), e1);
	assert_string_equal(rt_str(low, "pid"), rt_pid(P1));
	RT_ASSERT_QUEUE(t, "p-bruno p-chen");
	int64_t again = rt_raise(t, P1, NULL);
	assert_true(again > e1);
	RT_ASSERT_QUEUE(t, "p-bruno p-chen p-alice");
	/* Lowering without a hand up. */
	rt_fail(t, P4, ROOM_ENOT_FOUND, "{\"type\":\"queue.lower\"}");
	/* The old entry is stale for the chair too. */
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.remove\",\"entry\":%lld}",
		(long long)e1);
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.grant\",\"entry\":%lld}", (long long)e1);
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.move\",\"entry\":%lld,\"position\":0}",
		(long long)e1);
	/* The floor holder has no entry to lower. */
	next_is(t, P2, "fifo");
	rt_fail(t, P2, ROOM_ENOT_FOUND, "{\"type\":\"queue.lower\"}");
}

static void point_of_order_first_then_clarify_reply(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, "reply");
	rt_raise(t, P3, "point_of_order");
	rt_raise(t, P4, "clarify");
	rt_raise(t, P5, "point_of_order");
	RT_ASSERT_QUEUE(t, "p-chen p-emeka p-bruno p-dalia p-alice");
	next_is(t, P3, "point_of_order");
	next_is(t, P5, "point_of_order");
	next_is(t, P2, "fifo");
	next_is(t, P4, "fifo");
	next_is(t, P1, "fifo");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.next\"}");
	assert_string_equal(t->message, "nobody is waiting");
}

static void closed_queue_takes_points_of_order_only(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_ok(t, CH, "{\"type\":\"queue.close\"}");
	RT_ASSERT_KINDS(t, 0, "queue.closed");
	/* Closing twice records nothing more. */
	rt_ok(t, CH, "{\"type\":\"queue.close\"}");
	RT_ASSERT_KINDS(t, 0, "queue.closed");
	json_t *snap = room_snapshot(t->room);
	assert_false(json_is_true(json_object_get(json_object_get(snap, "queue"), "open")));
	json_decref(snap);
	for (int k = 0; k < 3; k++) {
		static const char *const kinds[] = {"speak", "clarify", "reply"};
		rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\",\"kind\":\"%s\"}",
			kinds[k]);
	}
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\"}");
	rt_raise(t, P1, "point_of_order");
	/* The chair may still add an in-room speaker. */
	rt_ok(t, CH, "{\"type\":\"queue.add\",\"name\":\"Mic 1\"}");
	/* Hands already up stay up. */
	RT_ASSERT_QUEUE(t, "p-alice Mic 1");
	rt_ok(t, CH, "{\"type\":\"queue.open\"}");
	rt_ok(t, CH, "{\"type\":\"queue.open\"}");
	RT_ASSERT_KINDS(t, 0, "queue.closed queue.raised queue.raised queue.opened");
	rt_raise(t, P2, NULL);
}

/* queue.add with a field missing, of the wrong type or too long: refused, nothing changes. */
static void add_bad_fields(struct rt *t)
{
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.add\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.add\",\"name\":\"\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.add\",\"name\":5}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.add\",\"name\":\"x\",\"group\":5}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.add\",\"name\":\"x\",\"kind\":\"y\"}");
	char big[200];
	memset(big, 'n', 128);
	big[128] = '\0';
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.add\",\"name\":\"%s\"}", big);
}

/* queue.move of entry a to a position out of range, or with fields missing or mistyped. */
static void move_bad_fields(struct rt *t, int64_t a)
{
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.move\",\"entry\":%lld,\"position\":4}",
		(long long)a);
	rt_fail(t, CH, ROOM_EBAD_REQUEST,
		"{\"type\":\"queue.move\",\"entry\":%lld,\"position\":-1}", (long long)a);
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.move\",\"entry\":%lld}", (long long)a);
	rt_fail(t, CH, ROOM_EBAD_REQUEST,
		"{\"type\":\"queue.move\",\"entry\":%lld,\"position\":\"0\"}", (long long)a);
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.move\",\"position\":0}");
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.move\",\"entry\":999,\"position\":0}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.move\",\"entry\":1.5,\"position\":0}");
}

static void chair_add_remove_move_grant(void **state)
{
	struct rt *t = *state;
	live(state);
	int64_t a = rt_raise(t, P1, NULL);
	json_t *ack = rt_ok(t, CH,
			    "{\"type\":\"queue.add\",\"name\":\"Mic 3\",\"group\":"
			    "\"technical\",\"kind\":\"clarify\"}");
	int64_t mic = rt_int(ack, "entry");
	json_t *e = rt_last_event(t, "queue.raised");
	assert_true(json_is_null(json_object_get(e, "pid")));
	assert_string_equal(rt_str(e, "name"), "Mic 3");
	assert_string_equal(rt_str(e, "group"), "technical");
	assert_string_equal(rt_str(e, "location"), "room");
	assert_string_equal(rt_str(e, "kind"), "clarify");
	/* Several in-room speakers may wait at once. */
	int64_t mic2 = rt_int(rt_ok(t, CH, "{\"type\":\"queue.add\",\"name\":\"Mic 4\"}"), "entry");
	assert_string_equal(rt_str(rt_last_event(t, "queue.raised"), "group"), "");
	int64_t b = rt_raise(t, P2, NULL);
	RT_ASSERT_QUEUE(t, "Mic 3 p-alice Mic 4 p-bruno");

	add_bad_fields(t);

	/* move: to the front; then the chair's order rules and says so. */
	rt_ok(t, CH, "{\"type\":\"queue.move\",\"entry\":%lld,\"position\":0}", (long long)b);
	json_t *mv = rt_last_event(t, "queue.moved");
	assert_int_equal(rt_int(mv, "entry"), b);
	assert_int_equal(rt_int(mv, "position"), 0);
	RT_ASSERT_QUEUE(t, "p-bruno Mic 3 p-alice Mic 4");
	rt_ok(t, CH, "{\"type\":\"queue.move\",\"entry\":%lld,\"position\":3}", (long long)a);
	RT_ASSERT_QUEUE(t, "p-bruno Mic 3 Mic 4 p-alice");
	move_bad_fields(t, a);
	next_is(t, P2, "chair");

	/* remove. */
	rt_ok(t, CH, "{\"type\":\"queue.remove\",\"entry\":%lld}", (long long)mic2);
	assert_int_equal(rt_int(rt_last_event(t, "queue.removed"), "entry"), mic2);
	RT_ASSERT_QUEUE(t, "Mic 3 p-alice");
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.remove\",\"entry\":%lld}",
		(long long)mic2);
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.remove\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.remove\",\"entry\":\"1\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.remove\",\"entry\":-3}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.remove\",\"entry\":null}");
	/* The floor's entry is no longer waiting: stale for remove and grant. */
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.remove\",\"entry\":%lld}", (long long)b);
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.grant\",\"entry\":%lld}", (long long)b);

	/* grant: a chosen entry, ending the current floor with reason chair. */
	size_t from = json_array_size(t->events);
	rt_ok(t, CH, "{\"type\":\"queue.grant\",\"entry\":%lld}", (long long)a);
	RT_ASSERT_KINDS(t, from, "floor.ended floor.granted");
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "chair");
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "pid"), rt_pid(P2));
	assert_string_equal(rt_str(granted(t), "policy"), "chair");
	assert_string_equal(rt_str(granted(t), "pid"), rt_pid(P1));
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.grant\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.grant\",\"entry\":true}");
	/* An in-room speaker gets the floor with pid null. */
	rt_ok(t, CH, "{\"type\":\"queue.grant\",\"entry\":%lld}", (long long)mic);
	assert_true(json_is_null(json_object_get(granted(t), "pid")));
	assert_string_equal(rt_str(granted(t), "location"), "room");
	assert_string_equal(rt_str(granted(t), "kind"), "clarify");
}

static void granted_event_fields(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":120}");
	rt_raise(t, P3, "reply");
	rt_raise(t, P1, NULL);
	rt_clear(t);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	json_t *g = granted(t);
	assert_int_equal(rt_int(g, "entry"), 1);
	assert_string_equal(rt_str(g, "pid"), rt_pid(P3));
	assert_string_equal(rt_str(g, "name"), "Chen Tech");
	assert_string_equal(rt_str(g, "group"), "technical");
	assert_string_equal(rt_str(g, "location"), "remote");
	assert_string_equal(rt_str(g, "kind"), "reply");
	assert_int_equal(rt_int(g, "limit_s"), 120);
	assert_string_equal(rt_str(g, "policy"), "fifo");
	json_t *f = rt_floor(t);
	assert_int_equal(rt_int(f, "entry"), 1);
	assert_string_equal(rt_str(f, "pid"), rt_pid(P3));
	assert_int_equal(rt_int(f, "limit_s"), 120);
	assert_string_equal(rt_str(f, "started"), "2026-11-22T10:00:01.000Z");
	json_decref(f);
	/* The floor starting never clears anyone else's hand. */
	RT_ASSERT_QUEUE(t, "p-alice");
	/* queue.next with a floor: it ends (reason chair) and the next one starts. */
	rt_clear(t);
	t->now += 5000;
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	RT_ASSERT_KINDS(t, 0, "floor.ended floor.granted");
	json_t *end = rt_last_event(t, "floor.ended");
	assert_int_equal(rt_int(end, "entry"), 1);
	assert_string_equal(rt_str(end, "pid"), rt_pid(P3));
	assert_string_equal(rt_str(end, "reason"), "chair");
	assert_int_equal(rt_int(end, "duration_ms"), 5000);
	/* An empty queue leaves the floor alone. */
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.next\"}");
	json_t *still = rt_floor(t);
	assert_string_equal(rt_str(still, "pid"), rt_pid(P1));
	json_decref(still);
}

static void policy_groups_round_robin(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"policy\":\"groups_round_robin\"}");
	json_t *p = rt_last_event(t, "queue.policy");
	assert_string_equal(rt_str(p, "policy"), "groups_round_robin");
	assert_int_equal(rt_int(p, "time_limit_s"), 180);
	assert_false(json_is_true(json_object_get(p, "auto_end")));
	/* Government twice, then civil society, technical. */
	rt_raise(t, P1, NULL);
	rt_raise(t, P4, NULL);
	rt_raise(t, P2, NULL);
	rt_raise(t, P3, NULL);
	RT_ASSERT_QUEUE(t, "p-alice p-bruno p-chen p-dalia");
	next_is(t, P1, "groups_round_robin");
	next_is(t, P2, "groups_round_robin");
	/* Government spoke before civil society: a new government hand waits for tech. */
	rt_raise(t, P1, NULL);
	next_is(t, P3, "groups_round_robin");
	next_is(t, P4, "groups_round_robin");
	next_is(t, P1, "groups_round_robin");
}

static void policy_alternate_location(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_attach(t, CH2);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"policy\":\"alternate_location\"}");
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	rt_raise(t, P6, NULL);	/* in the room */
	rt_raise(t, CH2, NULL); /* in the room */
	next_is(t, P1, "alternate_location");
	next_is(t, P6, "alternate_location");
	next_is(t, P2, "alternate_location");
	next_is(t, CH2, "alternate_location");
	/* A point of order still goes first. */
	rt_raise(t, P3, NULL);
	rt_raise(t, P4, "point_of_order");
	next_is(t, P4, "point_of_order");
}

static void policy_command_fields(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.policy\",\"policy\":\"lottery\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.policy\",\"policy\":1}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.policy\",\"time_limit_s\":-1}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.policy\",\"time_limit_s\":86401}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.policy\",\"time_limit_s\":\"60\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.policy\",\"time_limit_s\":60.0}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"queue.policy\",\"auto_end\":1}");
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":0,\"auto_end\":true}");
	json_t *p = rt_last_event(t, "queue.policy");
	assert_string_equal(rt_str(p, "policy"), "fifo");
	assert_int_equal(rt_int(p, "time_limit_s"), 0);
	assert_true(json_is_true(json_object_get(p, "auto_end")));
	json_t *snap = room_snapshot(t->room);
	assert_int_equal(rt_int(json_object_get(snap, "queue"), "time_limit_s"), 0);
	json_decref(snap);
	/* A later partial policy keeps what it does not name. */
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"policy\":\"groups_round_robin\"}");
	p = rt_last_event(t, "queue.policy");
	assert_int_equal(rt_int(p, "time_limit_s"), 0);
	assert_true(json_is_true(json_object_get(p, "auto_end")));
	/* No limit: the floor has none and the clock owes nothing. */
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	assert_int_equal(rt_int(granted(t), "limit_s"), 0);
	rt_advance(t, 3600 * 1000);
	assert_int_equal(rt_count(t->events, "floor.ended"), 0);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 0);
}

/* After a move the queue is in the chair's order until a policy is set again. */
static void policy_after_move_is_chair_until_policy_set(void **state)
{
	struct rt *t = *state;
	live(state);
	int64_t a = rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	rt_raise(t, P3, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.move\",\"entry\":%lld,\"position\":2}", (long long)a);
	next_is(t, P2, "chair");
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"policy\":\"fifo\"}");
	next_is(t, P1, "fifo");
}

static void floor_end_and_extend(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"floor.end\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"floor.extend\",\"seconds\":30}");
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	/* extend: fields. */
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"floor.extend\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"floor.extend\",\"seconds\":0}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"floor.extend\",\"seconds\":-5}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"floor.extend\",\"seconds\":\"30\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"floor.extend\",\"seconds\":3601}");
	rt_ok(t, CH, "{\"type\":\"floor.extend\",\"seconds\":60}");
	assert_int_equal(rt_int(rt_last_event(t, "floor.extended"), "limit_s"), 240);
	json_t *f = rt_floor(t);
	assert_int_equal(rt_int(f, "limit_s"), 240);
	json_decref(f);
	/* The holder yields. */
	t->now += 7000;
	rt_ok(t, P1, "{\"type\":\"floor.end\"}");
	json_t *end = rt_last_event(t, "floor.ended");
	assert_string_equal(rt_str(end, "reason"), "yielded");
	assert_int_equal(rt_int(end, "duration_ms"), 7000);
	rt_fail(t, P1, ROOM_EFORBIDDEN, "{\"type\":\"floor.end\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"floor.end\"}");
	assert_string_equal(t->message, "nobody holds the floor");
	/* A floor with no limit gets one: the time used plus the extension. */
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":0}");
	rt_raise(t, P2, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now += 10500;
	rt_ok(t, CH, "{\"type\":\"floor.extend\",\"seconds\":30}");
	assert_int_equal(rt_int(rt_last_event(t, "floor.extended"), "limit_s"), 41);
}

/* A wall clock that steps back (NTP) must not produce an event the fold refuses. */
static void extend_after_clock_stepped_back(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":0}");
	rt_raise(t, P2, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now -= 10000;
	rt_ok(t, CH, "{\"type\":\"floor.extend\",\"seconds\":5}");
	assert_true(rt_int(rt_last_event(t, "floor.extended"), "limit_s") >= 5);
	json_t *before = room_snapshot(t->room);
	rt_reopen(t);
	assert_non_null(t->room);
	json_t *after = room_snapshot(t->room);
	rt_assert_same_snapshot(before, after);
	json_decref(before);
	json_decref(after);
}

static void floor_clock_warning_auto_end_extend(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":60,\"auto_end\":true}");
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	int64_t start = t->now;
	assert_int_equal(rooms_tick(t->rs, t->now), start + 30000);
	rt_advance(t, 29999);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 0);
	rt_advance(t, 1);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 1);
	json_t *w = rt_last(t->lives, "floor.warning");
	assert_int_equal(rt_int(w, "remaining_s"), 30);
	assert_int_equal(rt_count(t->events, "floor.warning"), 0); /* live, never logged */
	/* Not twice. */
	rt_advance(t, 1000);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 1);
	/* Extend re-arms: the warning comes again 30 s before the new limit. */
	rt_ok(t, CH, "{\"type\":\"floor.extend\",\"seconds\":60}");
	assert_int_equal(rt_int(rt_last_event(t, "floor.extended"), "limit_s"), 120);
	assert_int_equal(rooms_tick(t->rs, t->now), start + 90000);
	rt_advance(t, start + 90000 - t->now);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 2);
	assert_int_equal(rt_count(t->events, "floor.ended"), 0);
	rt_advance(t, start + 120000 - 1 - t->now);
	assert_int_equal(rt_count(t->events, "floor.ended"), 0);
	rt_advance(t, 1);
	json_t *end = rt_last_event(t, "floor.ended");
	assert_string_equal(rt_str(end, "reason"), "time");
	assert_string_equal(rt_str(end, "pid"), rt_pid(P1));
	assert_int_equal(rt_int(end, "duration_ms"), 120000);
	/* The queue does not move by itself. */
	json_t *f = rt_floor(t);
	assert_true(json_is_null(f));
	json_decref(f);
	RT_ASSERT_QUEUE(t, "p-bruno");
	/* The mic closed with the floor. */
	assert_false(room_mic_open(t->room, rt_pid(P1)));
}

static void floor_clock_without_auto_end(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":20}");
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	/* A limit of 30 s or less warns at once. */
	rt_advance(t, 0);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 1);
	assert_int_equal(rt_int(rt_last(t->lives, "floor.warning"), "remaining_s"), 20);
	rt_advance(t, 20000);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 2);
	assert_int_equal(rt_int(rt_last(t->lives, "floor.warning"), "remaining_s"), 0);
	rt_advance(t, 60000);
	assert_int_equal(rt_count(t->events, "floor.ended"), 0);
	assert_int_equal(rt_count(t->lives, "floor.warning"), 2);
	assert_int_equal(rooms_tick(t->rs, t->now) > t->now + 1000, true);
	/* auto_end switched on later ends an overdue floor at the next extension's limit. */
	rt_ok(t, CH, "{\"type\":\"floor.extend\",\"seconds\":10}");
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"auto_end\":true}");
	rt_advance(t, 10000);
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "time");
}

static void mic_follows_the_floor(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	assert_false(room_mic_open(t->room, rt_pid(P1)));
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	assert_true(room_mic_open(t->room, rt_pid(P1)));
	assert_false(room_mic_open(t->room, rt_pid(P2)));
	json_t *m = json_array_get(t->mics, json_array_size(t->mics) - 1);
	assert_string_equal(rt_str(m, "pid"), rt_pid(P1));
	assert_true(json_is_true(json_object_get(m, "open")));
	json_t *pm = rt_last(t->privates, "mic");
	assert_true(json_is_true(json_object_get(pm, "open")));
	json_t *last_priv = json_array_get(t->privates, json_array_size(t->privates) - 1);
	assert_string_equal(rt_str(last_priv, "pid"), rt_pid(P1));
	rt_clear(t);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	/* P1's closes, P2's opens. */
	assert_int_equal(json_array_size(t->mics), 2);
	assert_string_equal(rt_str(json_array_get(t->mics, 0), "pid"), rt_pid(P1));
	assert_false(json_is_true(json_object_get(json_array_get(t->mics, 0), "open")));
	assert_string_equal(rt_str(json_array_get(t->mics, 1), "pid"), rt_pid(P2));
	assert_true(json_is_true(json_object_get(json_array_get(t->mics, 1), "open")));
	/* A chair who opened their own mic keeps it open when their floor ends. */
	rt_ok(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	rt_raise(t, CH, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_clear(t);
	rt_ok(t, CH, "{\"type\":\"floor.end\"}");
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "yielded");
	assert_true(room_mic_open(t->room, rt_pid(CH)));
	assert_int_equal(json_array_size(t->mics), 0);
}

static void dropped_keeps_place_for_grace(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_raise(t, P1, NULL);
	int64_t e2 = rt_raise(t, P2, NULL);
	rt_raise(t, P3, NULL);
	rt_detach(t, P2, false);
	rt_advance(t, RT_GRACE - 1);
	RT_ASSERT_QUEUE(t, "p-alice p-bruno p-chen");
	/* Resuming in time keeps the place. */
	rt_attach(t, P2);
	rt_advance(t, RT_GRACE);
	RT_ASSERT_QUEUE(t, "p-alice p-bruno p-chen");
	/* Gone for good: the entry goes, then the person. */
	rt_detach(t, P2, false);
	size_t from = json_array_size(t->events);
	rt_advance(t, RT_GRACE);
	RT_ASSERT_KINDS(t, from, "queue.removed participant.left");
	json_t *rm = rt_last_event(t, "queue.removed");
	assert_int_equal(rt_int(rm, "entry"), e2);
	assert_string_equal(rt_str(rm, "reason"), "left");
	assert_string_equal(rt_str(rt_last_event(t, "participant.left"), "reason"), "timeout");
	RT_ASSERT_QUEUE(t, "p-alice p-chen");
	/* The stale entry is not_found for the chair. */
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"queue.grant\",\"entry\":%lld}", (long long)e2);
	/* An explicit leave removes the entry at once. */
	from = json_array_size(t->events);
	rt_detach(t, P3, true);
	RT_ASSERT_KINDS(t, from, "queue.removed participant.left");
	assert_string_equal(rt_str(rt_last_event(t, "participant.left"), "reason"), "left");
}

/* A standby's copy (room_set_passive): its clock writes nothing -- no grace period ends,
 * no floor runs out -- until it is the owner's again; then everyone not connected gets a
 * fresh grace period from that moment, and the floor's clock goes on from its event. */
static void passive_room_clock_stops(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":60,\"auto_end\":true}");
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_detach(t, P2, false);
	room_set_passive(t->room, true, t->now);
	size_t from = json_array_size(t->events);
	rt_advance(t, RT_GRACE + 120000);
	assert_int_equal(json_array_size(t->events), from); /* nothing written */
	json_t *f = rt_floor(t);
	assert_string_equal(rt_str(f, "pid"), rt_pid(P1));
	json_decref(f);
	room_set_passive(t->room, false, t->now);
	/* The floor was due long ago: it ends at the next tick; P2's grace starts now. */
	rt_advance(t, 1);
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "time");
	char kinds[512];
	assert_null(strstr(rt_kinds_from(t, from, kinds, sizeof kinds), "participant.left"));
	rt_advance(t, RT_GRACE);
	assert_string_equal(rt_str(rt_last_event(t, "participant.left"), "reason"), "timeout");
}

static void dropped_floor_holder_keeps_floor_for_grace(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_detach(t, P1, false);
	rt_advance(t, RT_GRACE - 1);
	json_t *f = rt_floor(t);
	assert_string_equal(rt_str(f, "pid"), rt_pid(P1));
	json_decref(f);
	size_t from = json_array_size(t->events);
	rt_advance(t, 1);
	RT_ASSERT_KINDS(t, from, "floor.ended participant.left");
	json_t *end = rt_last_event(t, "floor.ended");
	assert_string_equal(rt_str(end, "reason"), "left");
	assert_int_equal(rt_int(end, "duration_ms"), RT_GRACE);
	assert_false(room_mic_open(t->room, rt_pid(P1)));
	/* The next one does not start by itself. */
	f = rt_floor(t);
	assert_true(json_is_null(f));
	json_decref(f);
	/* Leaving explicitly while holding the floor ends it at once. */
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	from = json_array_size(t->events);
	rt_detach(t, P2, true);
	RT_ASSERT_KINDS(t, from, "floor.ended participant.left");
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "left");
}

/* The queue holds at most QUEUE_MAX_ENTRIES: then raising is a conflict, not a crash. */
static void full_queue(void **state)
{
	struct rt *t = *state;
	live(state);
	for (int i = 0; i < 1000; i++)
		rt_ok(t, CH, "{\"type\":\"queue.add\",\"name\":\"Mic %d\"}", i);
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.add\",\"name\":\"one too many\"}");
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\"}");
	rt_ok(t, CH, "{\"type\":\"queue.move\",\"entry\":1000,\"position\":0}");
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	assert_string_equal(rt_str(granted(t), "name"), "Mic 999");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(raise_event_and_ack),
	    T(raise_errors),
	    T(lower_and_raise_again_goes_to_the_back),
	    T(point_of_order_first_then_clarify_reply),
	    T(closed_queue_takes_points_of_order_only),
	    T(chair_add_remove_move_grant),
	    T(granted_event_fields),
	    T(policy_groups_round_robin),
	    T(policy_alternate_location),
	    T(policy_command_fields),
	    T(policy_after_move_is_chair_until_policy_set),
	    T(floor_end_and_extend),
	    T(extend_after_clock_stepped_back),
	    T(floor_clock_warning_auto_end_extend),
	    T(floor_clock_without_auto_end),
	    T(mic_follows_the_floor),
	    T(dropped_keeps_place_for_grace),
	    T(dropped_floor_holder_keeps_floor_for_grace),
	    T(passive_room_clock_stops),
	    T(full_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
