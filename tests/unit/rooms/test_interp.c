/*
 * Interpretation booths (rooms/interp.c): an interpreter's identity carries its booth, a
 * booth has one voice at a time, and interp.take hands it over so that the sink hears
 * "the outgoing mic closes" before "the incoming one opens" and room_mic_open is never
 * true for both; floor.lang is the chair's or the floor holder's. Refusals change nothing
 * (rt_fail), and a restart replays the booths and the floor's language.
 */
#include "rooms/test_helpers.h"

/* The mic changes the sink got, in order, as "pid:o" / "pid:c" joined by spaces. */
static void mic_log(struct rt *t, char *out, size_t cap)
{
	size_t i, n = 0;
	json_t *m;
	out[0] = '\0';
	json_array_foreach(t->mics, i, m)
	{
		int w = snprintf(out + n, cap - n, "%s%s:%c", n ? " " : "", rt_str(m, "pid"),
				 json_is_true(json_object_get(m, "open")) ? 'o' : 'c');
		if (w < 0 || (size_t)w >= cap - n)
			fail_msg("mic log too long");
		n += (size_t)w;
	}
}

static void booth_pid_is(struct rt *t, const char *lang, const char *pid)
{
	json_t *snap = room_snapshot(t->room);
	json_t *booths = json_object_get(snap, "booths"), *b;
	size_t i;
	bool found = false;
	json_array_foreach(booths, i, b) if (strcmp(rt_str(b, "lang"), lang) == 0)
	{
		found = true;
		json_t *p = json_object_get(b, "pid");
		if (pid)
			assert_string_equal(json_string_value(p), pid);
		else
			assert_true(json_is_null(p));
	}
	assert_true(found);
	json_decref(snap);
}

static void identity_needs_a_booth(void **state)
{
	struct rt *t = *state;
	struct room_identity bad = *rt_who(INT_FR);
	bad.lang = NULL;
	assert_int_equal(room_attach(t->room, &bad, t->now), ROOM_EBAD_REQUEST);
	bad.lang = "fr_FR";
	assert_int_equal(room_attach(t->room, &bad, t->now), ROOM_EBAD_REQUEST);
	struct room_identity p = *rt_who(P1);
	p.lang = "fr"; /* a booth is an interpreter's alone */
	assert_int_equal(room_attach(t->room, &p, t->now), ROOM_EBAD_REQUEST);
	rt_flush(t);
	assert_int_equal(rt_count(t->events, "participant.joined"), 0);
	rt_attach(t, INT_FR);
	json_t *joined = rt_last_event(t, "participant.joined");
	assert_string_equal(rt_str(joined, "role"), "interpreter");
	assert_string_equal(rt_str(joined, "lang"), "fr");
	/* The snapshot's participants say the booth too; nobody else has a lang. */
	rt_attach(t, P1);
	json_t *snap = room_snapshot(t->room), *pe;
	size_t i;
	int langs = 0;
	json_array_foreach(json_object_get(snap, "participants"), i, pe)
	{
		json_t *lang = json_object_get(pe, "lang");
		if (strcmp(rt_str(pe, "pid"), rt_pid(INT_FR)) == 0) {
			assert_string_equal(json_string_value(lang), "fr");
			langs++;
		} else
			assert_null(lang);
	}
	assert_int_equal(langs, 1);
	json_decref(snap);
}

static void handover_closes_before_it_opens(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, INT_FR);
	rt_attach(t, INT_FR2);
	rt_attach(t, INT_ES);
	assert_false(room_channel_exists(t->room, "fr"));
	rt_clear(t);
	rt_ok(t, INT_FR, "{\"type\":\"interp.take\",\"lang\":\"FR\"}"); /* its case */
	json_t *ev = rt_last_event(t, "interp.taken");
	assert_string_equal(rt_str(ev, "lang"), "fr");
	assert_string_equal(rt_str(ev, "pid"), rt_pid(INT_FR));
	assert_string_equal(rt_str(ev, "by"), rt_pid(INT_FR));
	assert_true(json_is_null(json_object_get(ev, "from")));
	assert_true(room_channel_exists(t->room, "fr"));
	assert_string_equal(room_channel_voice(t->room, "fr"), rt_pid(INT_FR));
	assert_true(room_mic_open(t->room, rt_pid(INT_FR)));
	char log[256];
	mic_log(t, log, sizeof log);
	assert_string_equal(log, "int-fr-1:o");

	/* The colleague takes over: one event, close then open, never both open. */
	rt_clear(t);
	rt_ok(t, INT_FR2, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	ev = rt_last_event(t, "interp.taken");
	assert_string_equal(rt_str(ev, "pid"), rt_pid(INT_FR2));
	assert_string_equal(rt_str(ev, "from"), rt_pid(INT_FR));
	assert_int_equal(rt_count(t->events, "interp.taken"), 1);
	mic_log(t, log, sizeof log);
	assert_string_equal(log, "int-fr-1:c int-fr-2:o");
	assert_false(room_mic_open(t->room, rt_pid(INT_FR)));
	assert_true(room_mic_open(t->room, rt_pid(INT_FR2)));
	booth_pid_is(t, "fr", rt_pid(INT_FR2));

	/* Not one's own booth, already on air, a bad tag: refused, nothing changes. */
	rt_fail(t, INT_ES, ROOM_EFORBIDDEN, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_fail(t, INT_FR2, ROOM_ECONFLICT, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_fail(t, INT_FR, ROOM_EBAD_REQUEST, "{\"type\":\"interp.take\",\"lang\":\"fr_FR\"}");
	rt_fail(t, INT_FR, ROOM_EBAD_REQUEST, "{\"type\":\"interp.take\"}");
	rt_fail(t, INT_FR, ROOM_EBAD_REQUEST, "{\"type\":\"interp.take\",\"lang\":7}");
	/* A booth of its own for Spanish: a second channel, independent. */
	rt_ok(t, INT_ES, "{\"type\":\"interp.take\",\"lang\":\"es\"}");
	assert_true(room_mic_open(t->room, rt_pid(INT_ES)));
	assert_true(room_mic_open(t->room, rt_pid(INT_FR2)));
}

static void chair_hands_over(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, INT_FR);
	rt_attach(t, INT_FR2);
	rt_attach(t, INT_ES);
	rt_ok(t, CH, "{\"type\":\"interp.take\",\"lang\":\"fr\",\"pid\":\"%s\"}", rt_pid(INT_FR));
	assert_string_equal(rt_str(rt_last_event(t, "interp.taken"), "by"), rt_pid(CH));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"interp.take\",\"lang\":\"fr\",\"pid\":\"%s\"}",
		rt_pid(INT_ES));
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"interp.take\",\"lang\":\"fr\",\"pid\":\"%s\"}",
		rt_pid(P1));
	rt_fail(t, CH, ROOM_ENOT_FOUND,
		"{\"type\":\"interp.take\",\"lang\":\"fr\",\"pid\":\"nobody\"}");
	/* pid null: the booth goes off air; its channel stays known. */
	rt_clear(t);
	rt_ok(t, CH, "{\"type\":\"interp.take\",\"lang\":\"fr\",\"pid\":null}");
	char log[256];
	mic_log(t, log, sizeof log);
	assert_string_equal(log, "int-fr-1:c");
	assert_true(room_channel_exists(t->room, "fr"));
	assert_null(room_channel_voice(t->room, "fr"));
	booth_pid_is(t, "fr", NULL);
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"interp.take\",\"lang\":\"fr\",\"pid\":null}");
	/* An interpreter who drops is off the mix; one who leaves is off air. */
	rt_ok(t, INT_FR2, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_detach(t, INT_FR2, false);
	assert_false(room_mic_open(t->room, rt_pid(INT_FR2)));
	rt_attach(t, INT_FR2);
	assert_true(room_mic_open(t->room, rt_pid(INT_FR2)));
	rt_detach(t, INT_FR2, true);
	assert_string_equal(rt_str(rt_last_event(t, "participant.left"), "pid"), rt_pid(INT_FR2));
	assert_null(room_channel_voice(t->room, "fr"));
	booth_pid_is(t, "fr", NULL);
	assert_true(room_channel_exists(t->room, "fr"));
}

static void before_and_after_the_session(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_attach(t, INT_FR);
	rt_fail(t, INT_FR, ROOM_ECONFLICT, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_ok(t, CH, "{\"type\":\"session.start\"}");
	rt_ok(t, INT_FR, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_clear(t);
	rt_ok(t, CH, "{\"type\":\"session.end\"}");
	char log[256];
	mic_log(t, log, sizeof log);
	assert_string_equal(log, "int-fr-1:c");
	assert_false(room_mic_open(t->room, rt_pid(INT_FR)));
}

static void floor_language(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	json_t *snap = room_snapshot(t->room);
	assert_true(json_is_null(json_object_get(snap, "floor_lang")));
	json_decref(snap);
	rt_ok(t, CH, "{\"type\":\"floor.lang\",\"lang\":\"zh-hans\"}");
	json_t *ev = rt_last_event(t, "floor.lang");
	assert_string_equal(rt_str(ev, "lang"), "zh-Hans");
	assert_string_equal(rt_str(ev, "by"), rt_pid(CH));
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"floor.lang\",\"lang\":\"zh-Hans\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"floor.lang\",\"lang\":\"chinese!\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"floor.lang\"}");
	rt_fail(t, P1, ROOM_EFORBIDDEN, "{\"type\":\"floor.lang\",\"lang\":\"en\"}");
	snap = room_snapshot(t->room);
	assert_string_equal(json_string_value(json_object_get(snap, "floor_lang")), "zh-Hans");
	json_decref(snap);
}

static void restart_replays_booths(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_attach(t, INT_FR);
	rt_attach(t, INT_FR2);
	rt_ok(t, INT_FR, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_ok(t, INT_FR2, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_ok(t, CH, "{\"type\":\"floor.lang\",\"lang\":\"en\"}");
	json_t *before = room_snapshot(t->room);
	rt_reopen(t);
	json_t *after = room_snapshot(t->room);
	rt_assert_json_equal(json_object_get(before, "booths"), json_object_get(after, "booths"),
			     "booths");
	assert_string_equal(json_string_value(json_object_get(after, "floor_lang")), "en");
	json_decref(before);
	json_decref(after);
	/* Nobody is connected after a restart: no mic is open until the voice is back. */
	assert_false(room_mic_open(t->room, rt_pid(INT_FR2)));
	rt_attach(t, INT_FR2);
	assert_true(room_mic_open(t->room, rt_pid(INT_FR2)));
	assert_false(room_mic_open(t->room, rt_pid(INT_FR)));
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

static json_int_t turn_ms(json_t *turns, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(turns, i), "duration_ms"));
}

/* record.json lists the channels and who interpreted when; a record without booths has
 * no interpretation part at all. */
static void record_lists_turns(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	json_t *rec = record(t);
	assert_null(json_object_get(rec, "interpretation"));
	json_decref(rec);
	rt_attach(t, INT_FR);
	rt_attach(t, INT_FR2);
	rt_attach(t, INT_ES);
	rt_ok(t, INT_FR, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_ok(t, INT_ES, "{\"type\":\"interp.take\",\"lang\":\"es\"}");
	rt_advance(t, 30000);
	rt_ok(t, INT_FR2, "{\"type\":\"interp.take\",\"lang\":\"fr\"}");
	rt_ok(t, CH, "{\"type\":\"floor.lang\",\"lang\":\"en\"}");
	rt_advance(t, 15000);
	rt_detach(t, INT_ES, true);
	rt_advance(t, 5000);
	rt_ok(t, CH, "{\"type\":\"session.end\"}");
	rec = record(t);
	json_t *part = json_object_get(rec, "interpretation");
	json_t *chs = json_object_get(part, "channels");
	assert_int_equal(json_array_size(chs), 2);
	json_t *fr = json_array_get(chs, 0), *es = json_array_get(chs, 1);
	assert_string_equal(rt_str(fr, "lang"), "fr");
	json_t *turns = json_object_get(fr, "turns");
	assert_int_equal(json_array_size(turns), 2);
	assert_string_equal(rt_str(json_array_get(turns, 0), "pid"), rt_pid(INT_FR));
	assert_int_equal(turn_ms(turns, 0), 30000);
	assert_string_equal(rt_str(json_array_get(turns, 1), "pid"), rt_pid(INT_FR2));
	assert_string_equal(rt_str(json_array_get(turns, 1), "by"), rt_pid(INT_FR2));
	assert_int_equal(turn_ms(turns, 1), 20000); /* until the session ended */
	turns = json_object_get(es, "turns");
	assert_int_equal(turn_ms(turns, 0), 45000); /* until she left */
	json_t *fl = json_array_get(json_object_get(part, "floor_langs"), 0);
	assert_string_equal(rt_str(fl, "lang"), "en");
	json_decref(rec);
	/* The minutes say it in words. */
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_TEXT, NULL, &doc, &len), ROOM_OK);
	assert_non_null(strstr(doc, "Interpretation (2 channels)"));
	assert_non_null(strstr(doc, "Odile Booth from "));
	assert_non_null(strstr(doc, "(0:00:30)"));
	assert_non_null(strstr(doc, "The floor's language: "));
	free(doc);
	/* And the page, in a table a screen reader can walk. */
	doc = NULL;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_HTML, NULL, &doc, &len), ROOM_OK);
	assert_non_null(strstr(doc, "<h2 id=\"h-interp\">Interpretation</h2>"));
	assert_non_null(strstr(doc, "<p>2 interpretation channels."));
	assert_non_null(strstr(doc, "<td>Odile Booth</td>"));
	assert_non_null(strstr(doc, "<td class=\"n\">0:00:30</td>"));
	assert_non_null(strstr(doc, "(<span lang=\"fr\">fr</span>)</th>"));
	assert_non_null(strstr(doc, "<h3>The floor's language</h3>"));
	/* Each channel's own recording, beside the floor's. */
	assert_non_null(strstr(doc, "<a href=\"recording.ogg?lang=fr\">Recording of the "));
	assert_non_null(strstr(doc, "<a href=\"recording.ogg?lang=es\">Recording of the "));
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(identity_needs_a_booth, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(handover_closes_before_it_opens, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(chair_hands_over, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(before_and_after_the_session, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(floor_language, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(restart_replays_booths, rt_setup, rt_teardown),
	    cmocka_unit_test_setup_teardown(record_lists_turns, rt_setup, rt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
