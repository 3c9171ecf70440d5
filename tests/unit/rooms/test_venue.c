/*
 * The venue: the room's sound desk. Its microphone is the in-room speakers' voice, so
 * the gate opens when the session goes live (and while the desk is connected) and closes
 * when it ends; the media side hears of each change through sink.mic, as for any other
 * mic. The record says which floors reached the mix through the venue: in-room entries
 * and chairs in the room.
 */
#include "rooms/test_helpers.h"

/* The mic changes the sink got for pid, in order, as "o" (open) and "c" (closed). */
static void mic_changes(struct rt *t, const char *pid, char *out, size_t cap)
{
	size_t i, n = 0;
	json_t *m;
	json_array_foreach(t->mics, i, m) if (strcmp(rt_str(m, "pid"), pid) == 0 && n + 1 < cap)
	    out[n++] = json_is_true(json_object_get(m, "open")) ? 'o' : 'c';
	out[n] = '\0';
}

static void mic_opens_with_the_session(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_attach(t, VEN);
	assert_false(room_mic_open(t->room, rt_pid(VEN)));
	rt_ok(t, CH, "{\"type\":\"session.start\"}");
	assert_true(room_mic_open(t->room, rt_pid(VEN)));
	char got[8];
	mic_changes(t, rt_pid(VEN), got, sizeof got);
	assert_string_equal(got, "o");
	/* The chairs' own stay closed until they open them. */
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	mic_changes(t, rt_pid(CH), got, sizeof got);
	assert_string_equal(got, "");

	/* A dropped desk hears nothing, so its mic is closed; back, open again. */
	rt_detach(t, VEN, false);
	assert_false(room_mic_open(t->room, rt_pid(VEN)));
	rt_attach(t, VEN);
	assert_true(room_mic_open(t->room, rt_pid(VEN)));

	rt_ok(t, CH, "{\"type\":\"session.end\"}");
	assert_false(room_mic_open(t->room, rt_pid(VEN)));
	mic_changes(t, rt_pid(VEN), got, sizeof got);
	assert_string_equal(got, "oc");
}

/* A venue that joins a live session is open at once (the join ack says so). */
static void joins_a_live_session_open(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	assert_false(room_mic_open(t->room, rt_pid(VEN)));
	rt_attach(t, VEN);
	assert_true(room_mic_open(t->room, rt_pid(VEN)));
	/* A restart replays it the same way. */
	rt_reopen(t);
	assert_false(room_mic_open(t->room, rt_pid(VEN))); /* nobody is connected yet */
	rt_attach(t, VEN);
	assert_true(room_mic_open(t->room, rt_pid(VEN)));
}

/* A chair cannot close (or open) the venue's microphone: its gate follows the session, so
 * the command is refused and nothing is written. */
static void chair_cannot_switch_the_venue(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, VEN);
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(VEN));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(VEN));
	assert_true(room_mic_open(t->room, rt_pid(VEN)));
}

/* The venue is on the record like the chairs and participants, with its role. */
static void venue_is_on_the_record(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, VEN);
	json_t *e = rt_last_event(t, "participant.joined");
	assert_string_equal(rt_str(e, "role"), "venue");
	assert_string_equal(rt_str(e, "location"), "room");
}

static json_t *record(struct rt *t)
{
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_JSON, NULL, &doc, &len), ROOM_OK);
	json_t *rec = json_loadb(doc, len, 0, NULL);
	free(doc);
	assert_non_null(rec);
	return rec;
}

/* Floor time of an in-room speaker is credited to the venue's microphones; a remote
 * speaker's to their own. */
static void floor_time_credits_the_venue(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, VEN);
	rt_ok(t, CH, "{\"type\":\"queue.add\",\"name\":\"Mic 2\",\"group\":\"technical\"}");
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now += 5000;
	rt_ok(t, CH, "{\"type\":\"floor.end\"}");
	assert_int_equal(rt_raise(t, P1, NULL) > 0, 1);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now += 3000;
	rt_ok(t, CH, "{\"type\":\"floor.end\"}");
	rt_attach(t, CH2); /* a chair in the room */
	rt_ok(t, CH2, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH2));
	t->now += 2000;
	rt_ok(t, CH2, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(CH2));

	json_t *rec = record(t);
	json_t *floors = json_object_get(rec, "floors");
	assert_int_equal(json_array_size(floors), 2);
	json_t *room = json_array_get(floors, 0), *remote = json_array_get(floors, 1);
	assert_string_equal(rt_str(room, "name"), "Mic 2");
	assert_string_equal(rt_str(room, "voice"), "venue");
	assert_int_equal(rt_int(room, "duration_ms"), 5000);
	assert_string_equal(rt_str(remote, "pid"), rt_pid(P1));
	assert_string_equal(rt_str(remote, "voice"), "own");
	json_t *mic = json_array_get(json_object_get(rec, "chair_mics"), 0);
	assert_string_equal(rt_str(mic, "pid"), rt_pid(CH2));
	assert_string_equal(rt_str(mic, "voice"), "venue");
	assert_int_equal(rt_int(mic, "duration_ms"), 2000);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(mic_opens_with_the_session, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(joins_a_live_session_open, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(venue_is_on_the_record, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(chair_cannot_switch_the_venue, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(floor_time_credits_the_venue, rt_setup, rt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
