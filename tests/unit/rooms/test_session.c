/*
 * PROTOCOL.md "Session" and "Joining", through rooms.h: scheduled -> live -> ended, what
 * needs a live session, how ending it closes the floor, the hum and the poll with their own
 * events before session.ended, the chairs' mics, and who is on the record as they come and
 * go (participant.joined / participant.left, observers only counted, the grace period).
 */
#include "rooms/test_helpers.h"

static json_t *snap_room(struct rt *t)
{
	json_t *snap = room_snapshot(t->room);
	json_t *room = json_incref(json_object_get(snap, "room"));
	json_decref(snap);
	return room;
}

static void scheduled_room_needs_a_live_session(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_attach(t, P1);
	rt_attach(t, CAP);
	json_t *room = snap_room(t);
	assert_string_equal(rt_str(room, "status"), "scheduled");
	assert_true(json_is_null(json_object_get(room, "started")));
	json_decref(room);

	/* Everything but session.start is a conflict before the session is live. */
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\"}");
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.raise\",\"kind\":\"point_of_order\"}");
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"queue.lower\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.open\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.close\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.policy\",\"policy\":\"fifo\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.add\",\"name\":\"Mic 1\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.next\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"floor.end\"}");
	rt_fail(t, CH, ROOM_ECONFLICT,
		"{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\"]}");
	rt_fail(t, CH, ROOM_ECONFLICT,
		"{\"type\":\"poll.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\"]}");
	rt_fail(t, CAP, ROOM_ECONFLICT,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"hi\",\"final\":true}");
	rt_fail(t, CAP, ROOM_ECONFLICT,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"hi\",\"final\":false}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"session.end\"}");
	assert_string_equal(t->message, "the session has not started");

	bool dup = true;
	const char *why = NULL;
	assert_int_equal(
	    room_caption_post(t->room, rt_who(CAP), "en", 1, "hi", 2, t->now, &dup, &why),
	    ROOM_ECONFLICT);
	assert_false(dup);
	assert_non_null(why);
}

static void start_makes_the_room_live(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_attach(t, P1);
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	rt_clear(t);
	t->now += 5000;
	json_t *ack = rt_ok(t, CH, "{\"type\":\"session.start\",\"title\":\"Main session\"}");
	assert_int_equal(json_object_size(ack), 0);
	RT_ASSERT_KINDS(t, 0, "session.started");
	json_t *started = rt_last_event(t, "session.started");
	assert_string_equal(rt_str(started, "title"), "Main session");

	json_t *room = snap_room(t);
	assert_string_equal(rt_str(room, "status"), "live");
	assert_string_equal(rt_str(room, "started"), "2026-11-22T10:00:05.000Z");
	assert_string_equal(rt_str(room, "title"), "Opening plenary");
	json_decref(room);

	/* Starting the session opens nobody's mic: a chair opens their own (mic.open). */
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	assert_false(room_mic_open(t->room, rt_pid(P1)));
	assert_int_equal(json_array_size(t->mics), 0);
	rt_ok(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	assert_true(room_mic_open(t->room, rt_pid(CH)));
	assert_int_equal(json_array_size(t->mics), 1);
	json_t *mic = json_array_get(t->mics, 0);
	assert_string_equal(rt_str(mic, "pid"), rt_pid(CH));
	assert_true(json_is_true(json_object_get(mic, "open")));
	json_t *p0 = json_array_get(t->privates, 0);
	assert_string_equal(rt_str(p0, "pid"), rt_pid(CH));
	assert_string_equal(rt_str(p0, "kind"), "mic");
	assert_true(json_is_true(json_object_get(json_object_get(p0, "data"), "open")));

	/* Starting twice is a conflict; so are bad fields, which are checked first. */
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"session.start\"}");
	assert_string_equal(t->message, "the session is already live");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"session.start\",\"title\":7}");
}

static void start_title_defaults_and_bounds(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	char title[260];
	memset(title, 'x', 201);
	title[201] = '\0';
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"session.start\",\"title\":\"%s\"}", title);
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"session.start\",\"title\":null}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"session.start\",\"title\":[\"a\"]}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"session.start\",\"title\":\"a\\u0000b\"}");
	rt_ok(t, CH, "{\"type\":\"session.start\"}");
	assert_string_equal(rt_str(rt_last_event(t, "session.started"), "title"),
			    "Opening plenary");
}

static void end_closes_floor_hum_poll_then_ends(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_raise(t, P2, NULL);
	rt_ok(t, CH, "{\"type\":\"hum.start\",\"question\":\"Hum?\",\"options\":[\"a\",\"b\"]}");
	rt_ok(t, P3, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Poll?\",\"options\":[\"x\",\"y\"]}");
	rt_ok(t, P3, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	assert_true(room_mic_open(t->room, rt_pid(P1)));
	rt_ok(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	rt_clear(t);
	t->now += 3600000;
	rt_ok(t, CH, "{\"type\":\"session.end\"}");
	RT_ASSERT_KINDS(t, 0, "floor.ended hum.ended poll.ended session.ended");
	json_t *fe = rt_last_event(t, "floor.ended");
	assert_string_equal(rt_str(fe, "reason"), "session_ended");
	assert_string_equal(rt_str(fe, "pid"), rt_pid(P1));
	assert_int_equal(rt_int(fe, "duration_ms"), 3600000);
	assert_int_equal(rt_int(rt_last_event(t, "hum.ended"), "responded"), 1);
	assert_int_equal(rt_int(rt_last_event(t, "poll.ended"), "voters"), 1);
	assert_int_equal(rt_int(rt_last_event(t, "session.ended"), "duration_ms"), 3600000);

	/* The mics close: P1's with the floor, the chair's with the session. */
	assert_false(room_mic_open(t->room, rt_pid(P1)));
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	size_t i;
	json_t *m;
	bool p1_closed = false, chair_closed = false;
	json_array_foreach(t->mics, i, m)
	{
		assert_false(json_is_true(json_object_get(m, "open")));
		p1_closed = p1_closed || strcmp(rt_str(m, "pid"), rt_pid(P1)) == 0;
		chair_closed = chair_closed || strcmp(rt_str(m, "pid"), rt_pid(CH)) == 0;
	}
	assert_true(p1_closed && chair_closed);

	json_t *snap = room_snapshot(t->room);
	assert_string_equal(rt_str(json_object_get(snap, "room"), "status"), "ended");
	assert_true(json_is_null(json_object_get(json_object_get(snap, "queue"), "floor")));
	assert_true(json_is_null(json_object_get(snap, "hum")));
	assert_false(json_is_true(
	    json_object_get(json_array_get(json_object_get(snap, "polls"), 0), "open")));
	json_decref(snap);

	/* The record is sealed: nothing more happens in this room. */
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"session.end\"}");
	assert_string_equal(t->message, "the session has ended");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"session.start\"}");
	rt_fail(t, P2, ROOM_ECONFLICT, "{\"type\":\"queue.lower\"}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"queue.next\"}");
	rt_fail(t, CAP, ROOM_ECONFLICT,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"late\",\"final\":true}");
	bool dup;
	const char *why;
	assert_int_equal(
	    room_caption_post(t->room, rt_who(CAP), "en", 1, "late", 4, t->now, &dup, &why),
	    ROOM_ECONFLICT);
}

static void end_with_nothing_running(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_clear(t);
	t->now += 1234;
	rt_ok(t, CH, "{\"type\":\"session.end\",\"ignored\":true}");
	RT_ASSERT_KINDS(t, 0, "session.ended");
	assert_int_equal(rt_int(rt_last_event(t, "session.ended"), "duration_ms"), 1234);
}

/* An in-room speaker the chair added holds the floor: the session still ends it. */
static void end_with_in_room_speaker(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_ok(t, CH, "{\"type\":\"queue.add\",\"name\":\"Mic 2\"}");
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_clear(t);
	rt_ok(t, CH, "{\"type\":\"session.end\"}");
	RT_ASSERT_KINDS(t, 0, "floor.ended session.ended");
	assert_true(json_is_null(json_object_get(rt_last_event(t, "floor.ended"), "pid")));
}

static void joined_on_the_record_observers_counted(void **state)
{
	struct rt *t = *state;
	rt_attach(t, P6);
	rt_attach(t, CAP);
	rt_attach(t, CH);
	rt_attach(t, OBS);
	rt_attach(t, OBS);
	RT_ASSERT_KINDS(t, 0, "participant.joined participant.joined participant.joined");
	json_t *j = json_object_get(json_array_get(t->events, 0), "data");
	assert_string_equal(rt_str(j, "pid"), rt_pid(P6));
	assert_string_equal(rt_str(j, "name"), "Farah Acad");
	assert_string_equal(rt_str(j, "role"), "participant");
	assert_string_equal(rt_str(j, "group"), "academia");
	assert_string_equal(rt_str(j, "location"), "room");
	assert_string_equal(rt_str(json_object_get(json_array_get(t->events, 1), "data"), "role"),
			    "captioner");

	json_t *snap = room_snapshot(t->room);
	json_t *people = json_object_get(snap, "participants");
	assert_int_equal(json_array_size(people), 3);
	assert_int_equal(rt_int(snap, "observers"), 2);
	size_t i;
	json_t *p;
	json_array_foreach(people, i, p)
	{
		assert_true(json_is_true(json_object_get(p, "connected")));
		assert_string_not_equal(rt_str(p, "pid"), rt_pid(OBS));
	}
	json_decref(snap);

	/* A second connection of the same person is the same participant. */
	size_t before = json_array_size(t->events);
	rt_attach(t, P6);
	assert_int_equal(json_array_size(t->events), before);
	/* One of them goes: still connected, nothing on the record. */
	rt_detach(t, P6, false);
	rt_advance(t, RT_GRACE * 2);
	assert_int_equal(json_array_size(t->events), before);

	/* Observers come and go without a trace in the log. */
	rt_detach(t, OBS, true);
	snap = room_snapshot(t->room);
	assert_int_equal(rt_int(snap, "observers"), 1);
	json_decref(snap);
	assert_int_equal(json_array_size(t->events), before);

	/* The summary counts connected people and observers. */
	json_t *sum = room_summary(t->room);
	assert_int_equal(rt_int(sum, "participants"), 3);
	assert_int_equal(rt_int(sum, "observers"), 1);
	assert_string_equal(rt_str(sum, "status"), "scheduled");
	json_decref(sum);
}

static void same_pid_other_role_is_a_conflict(void **state)
{
	struct rt *t = *state;
	rt_attach(t, P1);
	struct room_identity as_chair = *rt_who(P1);
	as_chair.role = ROOM_ROLE_CHAIR;
	size_t before = json_array_size(t->events);
	assert_int_equal(room_attach(t->room, &as_chair, t->now), ROOM_ECONFLICT);
	rt_flush(t);
	assert_int_equal(json_array_size(t->events), before);

	/* Identities that do not fit are refused before anything is written. */
	struct room_identity bad = *rt_who(P2);
	bad.pid = "";
	assert_int_equal(room_attach(t->room, &bad, t->now), ROOM_EBAD_REQUEST);
	char long_name[300];
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	bad = *rt_who(P2);
	bad.name = long_name;
	assert_int_equal(room_attach(t->room, &bad, t->now), ROOM_EBAD_REQUEST);
	rt_flush(t);
	assert_int_equal(json_array_size(t->events), before);
}

static void leave_at_once_drop_after_grace(void **state)
{
	struct rt *t = *state;
	rt_attach(t, P1);
	rt_attach(t, P2);
	rt_clear(t);

	/* An explicit leave is at once. */
	rt_detach(t, P1, true);
	RT_ASSERT_KINDS(t, 0, "participant.left");
	json_t *left = rt_last_event(t, "participant.left");
	assert_string_equal(rt_str(left, "pid"), rt_pid(P1));
	assert_string_equal(rt_str(left, "reason"), "left");

	/* A dropped connection keeps the place for the grace period. */
	rt_detach(t, P2, false);
	rt_advance(t, RT_GRACE - 1);
	assert_int_equal(rt_count(t->events, "participant.left"), 1);
	json_t *snap = room_snapshot(t->room);
	json_t *p2 = json_array_get(json_object_get(snap, "participants"), 0);
	assert_string_equal(rt_str(p2, "pid"), rt_pid(P2));
	assert_false(json_is_true(json_object_get(p2, "connected")));
	json_decref(snap);
	rt_advance(t, 1);
	assert_int_equal(rt_count(t->events, "participant.left"), 2);
	left = rt_last_event(t, "participant.left");
	assert_string_equal(rt_str(left, "pid"), rt_pid(P2));
	assert_string_equal(rt_str(left, "reason"), "timeout");
	snap = room_snapshot(t->room);
	assert_int_equal(json_array_size(json_object_get(snap, "participants")), 0);
	json_decref(snap);

	/* Coming back after leaving is a new joining. */
	rt_attach(t, P1);
	assert_int_equal(rt_count(t->events, "participant.joined"), 1);
}

static void resume_within_grace_keeps_the_person(void **state)
{
	struct rt *t = *state;
	rt_attach(t, P1);
	rt_clear(t);
	rt_detach(t, P1, false);
	rt_advance(t, RT_GRACE / 2);
	rt_attach(t, P1);
	rt_advance(t, RT_GRACE * 2);
	assert_int_equal(json_array_size(t->events), 0);
	/* The grace period starts again from the next drop. */
	rt_detach(t, P1, false);
	rt_advance(t, RT_GRACE - 1);
	assert_int_equal(json_array_size(t->events), 0);
	rt_advance(t, 1);
	RT_ASSERT_KINDS(t, 0, "participant.left");
}

/* A changed name or group on a later connection is put on the record. */
static void changed_identity_is_recorded(void **state)
{
	struct rt *t = *state;
	rt_attach(t, P1);
	struct room_identity renamed = *rt_who(P1);
	renamed.name = "Alice G. (renamed)";
	renamed.group = "academia";
	rt_clear(t);
	assert_int_equal(room_attach(t->room, &renamed, t->now), ROOM_OK);
	rt_flush(t);
	RT_ASSERT_KINDS(t, 0, "participant.joined");
	json_t *snap = room_snapshot(t->room);
	json_t *people = json_object_get(snap, "participants");
	assert_int_equal(json_array_size(people), 1);
	assert_string_equal(rt_str(json_array_get(people, 0), "name"), "Alice G. (renamed)");
	assert_string_equal(rt_str(json_array_get(people, 0), "group"), "academia");
	json_decref(snap);
}

static void presence_is_live_and_throttled(void **state)
{
	struct rt *t = *state;
	rt_attach(t, P1);
	rt_attach(t, OBS);
	rt_attach(t, OBS);
	rt_attach(t, P2);
	/* At most one a second: the first went out, the rest wait for the clock. */
	assert_int_equal(rt_count(t->lives, "presence"), 1);
	int64_t next = rooms_tick(t->rs, t->now);
	assert_true(next <= t->now + 1000);
	rt_advance(t, 999);
	assert_int_equal(rt_count(t->lives, "presence"), 1);
	rt_advance(t, 1);
	assert_int_equal(rt_count(t->lives, "presence"), 2);
	json_t *p = rt_last(t->lives, "presence");
	assert_int_equal(rt_int(p, "participants"), 2);
	assert_int_equal(rt_int(p, "observers"), 2);
	/* Nothing changed: nothing is sent. */
	rt_advance(t, 5000);
	assert_int_equal(rt_count(t->lives, "presence"), 2);
	/* Presence is never logged. */
	assert_int_equal(rt_count(t->events, "presence"), 0);
}

static void unknown_and_malformed_types(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_fail(t, CH, ROOM_EUNKNOWN_TYPE, "{\"type\":\"session.pause\"}");
	rt_fail(t, CH, ROOM_EUNKNOWN_TYPE, "{\"type\":\"\"}");
	rt_fail(t, CH, ROOM_EUNKNOWN_TYPE, "{}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(scheduled_room_needs_a_live_session, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(start_makes_the_room_live, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(start_title_defaults_and_bounds, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(end_closes_floor_hum_poll_then_ends, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(end_with_nothing_running, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(end_with_in_room_speaker, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(joined_on_the_record_observers_counted, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(same_pid_other_role_is_a_conflict, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(leave_at_once_drop_after_grace, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(resume_within_grace_keeps_the_person, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(changed_identity_is_recorded, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(presence_is_live_and_throttled, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(unknown_and_malformed_types, rt_setup, rt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
