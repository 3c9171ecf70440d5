/*
 * Moderation on the record (rooms/moderation.c): participant.remove and .readmit, chairs'
 * microphones and mic.open / mic.close, token revocations. Each effect is a fold, so each
 * test also reopens the registry and checks the room is rebuilt with it.
 */
#include "rooms/test_helpers.h"

#define RUN(t, who, ...) rt_ok((t), (who), __VA_ARGS__)

static bool listed(json_t *arr, const char *key, const char *pid)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		json_t *s = key ? json_object_get(v, key) : v;
		if (json_is_string(s) && strcmp(json_string_value(s), pid) == 0)
			return true;
	}
	return false;
}

static json_t *last_mic(struct rt *t)
{
	assert_true(json_array_size(t->mics) > 0);
	return json_array_get(t->mics, json_array_size(t->mics) - 1);
}

static bool snap_has(struct rt *t, const char *field, const char *key, const char *pid)
{
	json_t *snap = room_snapshot(t->room);
	bool yes = listed(json_object_get(snap, field), key, pid);
	json_decref(snap);
	return yes;
}

static void remove_takes_queue_floor_and_mic(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	RUN(t, CH, "{\"type\":\"queue.next\"}");
	assert_true(room_mic_open(t->room, rt_pid(P1)));
	rt_clear(t);
	RUN(t, CH, "{\"type\":\"participant.remove\",\"pid\":\"%s\",\"reason\":\"shouting\"}",
	    rt_pid(P1));
	RT_ASSERT_KINDS(t, 0, "floor.ended participant.removed");
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "removed");
	json_t *ev = rt_last_event(t, "participant.removed");
	assert_string_equal(rt_str(ev, "pid"), rt_pid(P1));
	assert_string_equal(rt_str(ev, "by"), rt_pid(CH));
	assert_string_equal(rt_str(ev, "reason"), "shouting");
	assert_false(room_mic_open(t->room, rt_pid(P1)));
	assert_false(json_is_true(json_object_get(last_mic(t), "open")));

	/* A queued person's entry goes, with reason "removed"; no reason, no field. */
	rt_clear(t);
	RUN(t, CH, "{\"type\":\"participant.remove\",\"pid\":\"%s\"}", rt_pid(P2));
	RT_ASSERT_KINDS(t, 0, "queue.removed participant.removed");
	assert_string_equal(rt_str(rt_last_event(t, "queue.removed"), "reason"), "removed");
	assert_null(json_object_get(rt_last_event(t, "participant.removed"), "reason"));

	const char *by = NULL, *reason = NULL;
	assert_true(room_removed(t->room, rt_pid(P1), &by, &reason));
	assert_string_equal(by, rt_pid(CH));
	assert_string_equal(reason, "shouting");
	assert_true(snap_has(t, "removed", "pid", rt_pid(P1)));
	assert_false(snap_has(t, "participants", "pid", rt_pid(P1)));
	/* Refused on joining again, and their commands are refused meanwhile. */
	assert_int_equal(room_attach(t->room, rt_who(P1), t->now), ROOM_EFORBIDDEN);
	rt_fail(t, P1, ROOM_EFORBIDDEN, "{\"type\":\"queue.raise\"}");

	/* All of it survives a restart. */
	rt_reopen(t);
	assert_true(room_removed(t->room, rt_pid(P2), NULL, NULL));
	assert_true(snap_has(t, "removed", "pid", rt_pid(P1)));
	assert_int_equal(room_attach(t->room, rt_who(P1), t->now), ROOM_EFORBIDDEN);

	/* Readmitted, they may come back. */
	rt_clear(t);
	RUN(t, CH, "{\"type\":\"participant.readmit\",\"pid\":\"%s\"}", rt_pid(P1));
	json_t *re = rt_last_event(t, "participant.readmitted");
	assert_string_equal(rt_str(re, "by"), rt_pid(CH));
	assert_false(room_removed(t->room, rt_pid(P1), NULL, NULL));
	rt_attach(t, P1);
	assert_true(snap_has(t, "participants", "pid", rt_pid(P1)));
	assert_false(snap_has(t, "removed", "pid", rt_pid(P1)));
	rt_reopen(t);
	assert_false(room_removed(t->room, rt_pid(P1), NULL, NULL));
}

static void remove_refusals(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, CH2);
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"participant.remove\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"participant.remove\",\"pid\":7}");
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"participant.remove\",\"pid\":\"nobody\"}");
	rt_fail(t, CH, ROOM_EFORBIDDEN, "{\"type\":\"participant.remove\",\"pid\":\"%s\"}",
		rt_pid(CH));
	rt_fail(t, CH, ROOM_EFORBIDDEN, "{\"type\":\"participant.remove\",\"pid\":\"%s\"}",
		rt_pid(CH2));
	assert_non_null(strstr(t->message, "revoke"));
	rt_fail(t, P2, ROOM_EFORBIDDEN, "{\"type\":\"participant.remove\",\"pid\":\"%s\"}",
		rt_pid(P1));
	char reason[260];
	memset(reason, 'r', 201);
	reason[201] = '\0';
	rt_fail(t, CH, ROOM_EBAD_REQUEST,
		"{\"type\":\"participant.remove\",\"pid\":\"%s\",\"reason\":\"%s\"}", rt_pid(P1),
		reason);
	RUN(t, CH, "{\"type\":\"participant.remove\",\"pid\":\"%s\"}", rt_pid(P1));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"participant.remove\",\"pid\":\"%s\"}",
		rt_pid(P1));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"participant.readmit\",\"pid\":\"%s\"}",
		rt_pid(P2));
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"participant.readmit\",\"pid\":\"nobody\"}");
	rt_fail(t, P2, ROOM_EFORBIDDEN, "{\"type\":\"participant.readmit\",\"pid\":\"%s\"}",
		rt_pid(P1));
}

static void chair_mic_is_closed_until_opened(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, CH2);
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	rt_clear(t);
	RUN(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	json_t *ev = rt_last_event(t, "mic.opened");
	assert_string_equal(rt_str(ev, "pid"), rt_pid(CH));
	assert_string_equal(rt_str(ev, "by"), rt_pid(CH));
	assert_true(room_mic_open(t->room, rt_pid(CH)));
	json_t *pm = rt_last(t->privates, "mic");
	assert_true(json_is_true(json_object_get(pm, "open")));
	assert_true(snap_has(t, "mics", NULL, rt_pid(CH)));
	/* Twice is a conflict; a co-chair may not open it for them, but may close it. */
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	rt_fail(t, CH, ROOM_EFORBIDDEN, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH2));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(P3));
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"mic.open\",\"pid\":\"nobody\"}");
	rt_fail(t, P1, ROOM_EFORBIDDEN, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(CH));
	rt_clear(t);
	RUN(t, CH2, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(CH));
	ev = rt_last_event(t, "mic.closed");
	assert_string_equal(rt_str(ev, "by"), rt_pid(CH2));
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	assert_false(json_is_true(json_object_get(rt_last(t->privates, "mic"), "open")));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(CH));

	/* Losing every connection closes it, on the record. */
	RUN(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	rt_clear(t);
	rt_detach(t, CH, false);
	ev = rt_last_event(t, "mic.closed");
	assert_string_equal(rt_str(ev, "reason"), "disconnected");
	assert_true(json_is_null(json_object_get(ev, "by")));
	rt_attach(t, CH);
	assert_false(room_mic_open(t->room, rt_pid(CH)));

	/* After a restart an open chair mic stays closed when its chair comes back. */
	RUN(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	rt_reopen(t);
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	rt_clear(t);
	rt_attach(t, CH);
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	assert_int_equal(rt_count(t->events, "mic.closed"), 1);
}

static void floor_holder_muted_and_unmuted(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, NULL);
	RUN(t, CH, "{\"type\":\"queue.next\"}");
	assert_true(room_mic_open(t->room, rt_pid(P1)));
	rt_clear(t);
	RUN(t, CH, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(P1));
	assert_false(room_mic_open(t->room, rt_pid(P1)));
	json_t *snap = room_snapshot(t->room);
	assert_false(json_is_null(json_object_get(json_object_get(snap, "queue"), "floor")));
	json_decref(snap);
	assert_string_equal(rt_str(last_mic(t), "pid"), rt_pid(P1));
	assert_false(json_is_true(json_object_get(rt_last(t->privates, "mic"), "open")));
	rt_reopen(t);
	assert_false(room_mic_open(t->room, rt_pid(P1)));
	RUN(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(P1));
	assert_true(room_mic_open(t->room, rt_pid(P1)));
	/* A new floor starts open. */
	RUN(t, CH, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(P1));
	RUN(t, CH, "{\"type\":\"queue.next\"}");
	assert_true(room_mic_open(t->room, rt_pid(P2)));
	assert_true(snap_has(t, "mics", NULL, rt_pid(P2)));
	/* P1 holds nothing now. */
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(P1));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(P1));
}

static void mic_commands_need_a_live_session(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	RUN(t, CH, "{\"type\":\"session.start\"}");
	RUN(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	rt_clear(t);
	RUN(t, CH, "{\"type\":\"session.end\"}");
	assert_false(room_mic_open(t->room, rt_pid(CH)));
	assert_false(json_is_true(json_object_get(last_mic(t), "open")));
}

static void revocations_are_folded(void **state)
{
	struct rt *t = *state;
	bool already = true;
	assert_int_equal(
	    room_token_revoke(t->room, "p-alice", NULL, "lost laptop", t->now, &already), ROOM_OK);
	assert_false(already);
	rt_flush(t);
	json_t *ev = rt_last_event(t, "token.revoked");
	assert_string_equal(rt_str(ev, "sub"), "p-alice");
	assert_string_equal(rt_str(ev, "by"), "admin");
	assert_string_equal(rt_str(ev, "reason"), "lost laptop");
	assert_int_equal(room_token_revoke(t->room, NULL, "abc123", NULL, t->now, &already),
			 ROOM_OK);
	rt_flush(t);
	size_t n = json_array_size(t->events);
	assert_int_equal(room_token_revoke(t->room, "p-alice", NULL, NULL, t->now, &already),
			 ROOM_OK);
	assert_true(already);
	assert_int_equal(json_array_size(t->events), n);
	assert_int_equal(room_token_revoke(t->room, "a", "b", NULL, t->now, &already),
			 ROOM_EBAD_REQUEST);
	assert_int_equal(room_token_revoke(t->room, NULL, NULL, NULL, t->now, &already),
			 ROOM_EBAD_REQUEST);
	assert_int_equal(room_token_revoke(t->room, "", NULL, NULL, t->now, &already),
			 ROOM_EBAD_REQUEST);
	assert_false(rooms_dirty(t->rs));
	rt_reopen(t);
	assert_true(room_token_revoked(t->room, "p-alice", ""));
	assert_true(room_token_revoked(t->room, "p-bruno", "abc123"));
	assert_false(room_token_revoked(t->room, "p-bruno", "abc"));
	assert_false(room_token_revoked(t->room, "abc123", NULL)); /* a sub is not a jti */
	json_t *list = room_revocations(t->room);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(rt_str(json_array_get(list, 1), "jti"), "abc123");
	json_decref(list);

	/* Lifting one: on the log, and gone after a restart too; lifting it again is
	 * not_found and writes nothing. */
	assert_int_equal(room_token_unrevoke(t->room, "p-alice", NULL, t->now), ROOM_OK);
	rt_flush(t);
	json_t *un = rt_last_event(t, "token.unrevoked");
	assert_string_equal(rt_str(un, "sub"), "p-alice");
	assert_string_equal(rt_str(un, "by"), "admin");
	assert_false(room_token_revoked(t->room, "p-alice", NULL));
	n = json_array_size(t->events);
	assert_int_equal(room_token_unrevoke(t->room, "p-alice", NULL, t->now), ROOM_ENOT_FOUND);
	assert_int_equal(room_token_unrevoke(t->room, "a", "b", t->now), ROOM_EBAD_REQUEST);
	assert_int_equal(json_array_size(t->events), n);
	assert_false(rooms_dirty(t->rs));
	rt_reopen(t);
	assert_false(room_token_revoked(t->room, "p-alice", NULL));
	assert_true(room_token_revoked(t->room, NULL, "abc123"));
}

static void record_shows_moderation_and_chair_mics(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	RUN(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	t->now += 4000;
	RUN(t, CH, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(CH));
	RUN(t, CH, "{\"type\":\"participant.remove\",\"pid\":\"%s\",\"reason\":\"spam\"}",
	    rt_pid(P3));
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_JSON, NULL, &doc, &len), ROOM_OK);
	json_t *rec = json_loadb(doc, len, 0, NULL);
	free(doc);
	json_t *mic = json_array_get(json_object_get(rec, "chair_mics"), 0);
	assert_string_equal(rt_str(mic, "pid"), rt_pid(CH));
	assert_string_equal(rt_str(mic, "name"), "Ana Chair");
	assert_int_equal(rt_int(mic, "duration_ms"), 4000);
	json_t *mod = json_array_get(json_object_get(rec, "moderation"), 0);
	assert_string_equal(rt_str(mod, "kind"), "participant.removed");
	assert_string_equal(rt_str(mod, "by"), rt_pid(CH));
	json_decref(rec);
	/* The minutes and the page say it too. */
	assert_int_equal(room_export(t->room, ROOM_EXPORT_TEXT, NULL, &doc, &len), ROOM_OK);
	assert_non_null(strstr(doc, "Chairs' microphones"));
	assert_non_null(strstr(doc, "Ana Chair, open for 0:00:04, closed by Ana Chair"));
	assert_non_null(
	    strstr(doc, "Removed from the room: Chen Tech, by Ana Chair (reason: spam)"));
	free(doc);
	assert_int_equal(room_export(t->room, ROOM_EXPORT_HTML, NULL, &doc, &len), ROOM_OK);
	assert_non_null(strstr(doc, "<h2 id=\"h-mod\">Moderation</h2>"));
	assert_non_null(strstr(doc, "<th scope=\"row\">Ana Chair</th>"));
	assert_non_null(
	    strstr(doc, "Removed from the room: Chen Tech, by Ana Chair (reason: spam)"));
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(remove_takes_queue_floor_and_mic, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(remove_refusals, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(chair_mic_is_closed_until_opened, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(floor_holder_muted_and_unmuted, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(mic_commands_need_a_live_session, rt_setup,
					    rt_teardown),
	    cmocka_unit_test_setup_teardown(revocations_are_folded, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(record_shows_moderation_and_chair_mics, rt_setup,
					    rt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
