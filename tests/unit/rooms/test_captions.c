/*
 * PROTOCOL.md "Captions" through rooms.h: partial captions are live and never logged,
 * final ones are events naming the floor holder and the offset since the session started;
 * languages, the 2,000-character limit, and CART posts over HTTP (room_caption_post) whose
 * repeated or older seq is accepted and ignored -- also after the rooms are reopened from
 * disk. And the WebVTT export that lines the captions up.
 */
#include "rooms/test_helpers.h"

static void live(void **state)
{
	rt_live(*state);
	rt_advance(*state, 1000);
	rt_clear(*state);
}

static void partial_is_live_final_is_an_event(void **state)
{
	struct rt *t = *state;
	live(state);
	t->now += 2500;
	struct rt_state before;
	rt_capture(t, &before);
	json_t *ack =
	    rt_ok(t, CAP,
		  "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Good morn\",\"final\":false}");
	assert_int_equal(json_object_size(ack), 0);
	/* Partial: relayed live with the same fields, never logged. */
	assert_int_equal(room_head_seq(t->room), before.head);
	assert_int_equal(json_array_size(t->events), before.events);
	json_t *l = rt_last(t->lives, "caption");
	assert_string_equal(rt_str(l, "lang"), "en");
	assert_string_equal(rt_str(l, "text"), "Good morn");
	assert_true(json_is_false(json_object_get(l, "final")));
	assert_true(json_is_null(json_object_get(l, "speaker")));
	assert_int_equal(rt_int(l, "offset_ms"), 3500);
	/* final defaults to false. */
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Good morning\"}");
	assert_int_equal(room_head_seq(t->room), before.head);
	/* An empty partial clears the line. */
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"\",\"final\":false}");
	size_t len;
	char *log = rt_read_file(room_log_path(t->room), &len);
	assert_int_equal(len, before.log_len);
	free(log);
	rt_release(&before);

	/* Final: an event, on the record. */
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Good morning, "
	      "all.\",\"final\":true}");
	RT_ASSERT_KINDS(t, 0, "caption");
	json_t *e = rt_last_event(t, "caption");
	assert_string_equal(rt_str(e, "lang"), "en");
	assert_string_equal(rt_str(e, "text"), "Good morning, all.");
	assert_true(json_is_true(json_object_get(e, "final")));
	assert_true(json_is_null(json_object_get(e, "speaker")));
	assert_int_equal(rt_int(e, "offset_ms"), 3500);
	assert_int_equal(rt_count(t->lives, "caption"), 3);
	/* Chairs may caption too. */
	rt_ok(t, CH,
	      "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"(applause)\",\"final\":true}");
}

static void speaker_is_the_floor_holder(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_raise(t, P2, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.add\",\"name\":\"Mic 2\",\"group\":\"technical\"}");
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now += 61000;
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"fr\",\"text\":\"Merci.\",\"final\":true}");
	json_t *e = rt_last_event(t, "caption");
	json_t *sp = json_object_get(e, "speaker");
	assert_string_equal(rt_str(sp, "pid"), rt_pid(P2));
	assert_string_equal(rt_str(sp, "name"), "Bruno Civ");
	assert_string_equal(rt_str(sp, "group"), "civil_society");
	assert_int_equal(rt_int(e, "offset_ms"), 62000);
	/* Partials name the speaker too. */
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Thank\",\"final\":false}");
	assert_string_equal(rt_str(json_object_get(rt_last(t->lives, "caption"), "speaker"), "pid"),
			    rt_pid(P2));
	/* An in-room speaker: pid null, the name the chair gave. */
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Yes.\",\"final\":true}");
	sp = json_object_get(rt_last_event(t, "caption"), "speaker");
	assert_true(json_is_null(json_object_get(sp, "pid")));
	assert_string_equal(rt_str(sp, "name"), "Mic 2");
	/* Nobody on the floor: null. */
	rt_ok(t, CH, "{\"type\":\"floor.end\"}");
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Pause.\",\"final\":true}");
	assert_true(json_is_null(json_object_get(rt_last_event(t, "caption"), "speaker")));
	/* Both languages are in the snapshot, in order of first use. */
	json_t *snap = room_snapshot(t->room);
	json_t *langs = json_object_get(json_object_get(snap, "captions"), "languages");
	assert_int_equal(json_array_size(langs), 2);
	assert_string_equal(json_string_value(json_array_get(langs, 0)), "fr");
	assert_string_equal(json_string_value(json_array_get(langs, 1)), "en");
	json_decref(snap);
}

static void field_errors_and_lang(void **state)
{
	struct rt *t = *state;
	live(state);
	const char *bad[] = {
	    "{\"type\":\"caption\",\"text\":\"x\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"en\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":5,\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":null,\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"x\",\"final\":\"yes\"}",
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"x\",\"final\":1}",
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"a\\u0000b\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"\",\"text\":\"x\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"en_US\",\"text\":\"x\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"en US\",\"text\":\"x\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"../../x\",\"text\":\"x\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":\"fran\\u00e7ais\",\"text\":\"x\",\"final\":true}",
	    "{\"type\":\"caption\",\"lang\":7,\"text\":\"x\",\"final\":true}",
	    ("{\"type\":\"caption\",\"lang\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"text\":"
	     "\"x\"}"),
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rt_fail(t, CAP, ROOM_EBAD_REQUEST, "%s", bad[i]);
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"pt-BR\",\"text\":\"Ol\\u00e1\",\"final\":true}");
	rt_ok(
	    t, CAP,
	    "{\"type\":\"caption\",\"lang\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"text\":\"x\","
	    "\"final\":true}");
}

/* Text: at most 2,000 characters (not bytes); more is too_large, however long. */
static void two_thousand_characters(void **state)
{
	struct rt *t = *state;
	live(state);
	static char text[4 * 9000 + 1];
	/* 2,000 ASCII characters: fine. */
	memset(text, 'a', 2000);
	text[2000] = '\0';
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"%s\",\"final\":true}",
	      text);
	assert_int_equal(strlen(rt_str(rt_last_event(t, "caption"), "text")), 2000);
	/* 2,000 four-byte characters (8,000 bytes): fine. */
	for (int i = 0; i < 2000; i++)
		memcpy(text + 4 * i, "\xf0\x9f\x98\x80", 4);
	text[8000] = '\0';
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"%s\",\"final\":true}",
	      text);
	/* One more character, in each form and at each size, partial or final. */
	memcpy(text + 8000, "\xf0\x9f\x98\x80", 4);
	text[8004] = '\0';
	rt_fail(t, CAP, ROOM_ETOO_LARGE,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"%s\",\"final\":true}", text);
	for (int i = 0; i < 2001; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[4002] = '\0';
	rt_fail(t, CAP, ROOM_ETOO_LARGE,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"%s\",\"final\":false}", text);
	memset(text, 'a', 2001);
	text[2001] = '\0';
	rt_fail(t, CAP, ROOM_ETOO_LARGE,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"%s\",\"final\":true}", text);
	memset(text, 'a', 9000);
	text[9000] = '\0';
	rt_fail(t, CAP, ROOM_ETOO_LARGE,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"%s\",\"final\":true}", text);
	memset(text, 'a', 16000);
	text[16000] = '\0';
	json_t *cmd = json_pack("{s:s,s:s,s:s,s:b}", "type", "caption", "lang", "en", "text", text,
				"final", 1);
	struct rt_state before;
	rt_capture(t, &before);
	assert_int_equal(rt_run_json(t, rt_who(CAP), cmd), ROOM_ETOO_LARGE);
	rt_assert_unchanged(t, &before, "a 16,000-character caption");
	rt_release(&before);
	json_decref(cmd);
}

static enum room_err post(struct rt *t, enum rt_person who, const char *lang, int64_t seq,
			  const char *text, bool *dup)
{
	const char *why = NULL;
	enum room_err err = room_caption_post(t->room, rt_who(who), lang, seq, text, strlen(text),
					      t->now, dup, &why);
	rt_flush(t);
	if (err != ROOM_OK)
		assert_non_null(why);
	return err;
}

static void cart_posts_and_duplicates(void **state)
{
	struct rt *t = *state;
	live(state);
	bool dup = true;
	assert_int_equal(post(t, CAP, "en", 1, "First line.\r\n", &dup), ROOM_OK);
	assert_false(dup);
	json_t *e = rt_last_event(t, "caption");
	assert_string_equal(rt_str(e, "text"), "First line."); /* trailing newlines trimmed */
	assert_true(json_is_true(json_object_get(e, "final")));
	assert_string_equal(rt_str(e, "lang"), "en");
	assert_int_equal(rt_int(e, "offset_ms"), 1000);
	assert_true(json_is_null(json_object_get(e, "speaker")));
	/* A retry, and an older one: accepted and ignored. */
	size_t n = rt_count(t->events, "caption");
	assert_int_equal(post(t, CAP, "en", 1, "First line.", &dup), ROOM_OK);
	assert_true(dup);
	assert_int_equal(post(t, CAP, "en", 0, "Older", &dup), ROOM_OK);
	assert_true(dup);
	assert_int_equal(rt_count(t->events, "caption"), n);
	/* Gaps are fine: seq only has to go up. */
	assert_int_equal(post(t, CAP, "en", 5, "Fifth.", &dup), ROOM_OK);
	assert_false(dup);
	assert_int_equal(post(t, CAP, "en", 3, "Third, late.", &dup), ROOM_OK);
	assert_true(dup);
	/* Each captioner has their own counter; a chair may post too. */
	assert_int_equal(post(t, CH, "fr", 1, "Bonjour.", &dup), ROOM_OK);
	assert_false(dup);
	/* The counter is on the record: a retry after a restart is still a retry. */
	json_t *before = room_snapshot(t->room);
	rt_reopen(t);
	assert_non_null(t->room);
	json_t *after = room_snapshot(t->room);
	rt_assert_same_snapshot(before, after);
	json_decref(before);
	json_decref(after);
	rt_clear(t);
	assert_int_equal(post(t, CAP, "en", 5, "Fifth.", &dup), ROOM_OK);
	assert_true(dup);
	assert_int_equal(post(t, CH, "fr", 1, "Bonjour.", &dup), ROOM_OK);
	assert_true(dup);
	assert_int_equal(post(t, CAP, "en", 6, "Sixth.", &dup), ROOM_OK);
	assert_false(dup);
	RT_ASSERT_KINDS(t, 0, "caption");
}

/* A CART writer who never opened a WebSocket (only the HTTP token) is known by pid. */
static void cart_captioner_not_attached(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_ok(t, CH, "{\"type\":\"session.start\"}");
	struct room_identity cart = {"cart-firm-1", "ACME CART", ROOM_ROLE_CAPTIONER, "",
				     false,	    NULL};
	bool dup;
	const char *why;
	assert_int_equal(room_caption_post(t->room, &cart, "en", 10, "Hi.", 3, t->now, &dup, &why),
			 ROOM_OK);
	assert_false(dup);
	assert_int_equal(room_caption_post(t->room, &cart, "en", 10, "Hi.", 3, t->now, &dup, &why),
			 ROOM_OK);
	assert_true(dup);
	rt_flush(t);
	/* Not a participant on the record for that. */
	json_t *snap = room_snapshot(t->room);
	assert_int_equal(json_array_size(json_object_get(snap, "participants")), 1);
	json_decref(snap);
	rt_reopen(t);
	assert_int_equal(room_caption_post(t->room, &cart, "en", 10, "Hi.", 3, t->now, &dup, &why),
			 ROOM_OK);
	assert_true(dup);
	/* Joining later makes them a captioner on the record like any other. */
	rt_clear(t);
	rt_attach_as(t, &cart);
	RT_ASSERT_KINDS(t, 0, "participant.joined");
	snap = room_snapshot(t->room);
	json_t *people = json_object_get(snap, "participants");
	assert_int_equal(json_array_size(people), 2);
	assert_string_equal(rt_str(json_array_get(people, 1), "role"), "captioner");
	json_decref(snap);
}

static void cart_bad_bodies(void **state)
{
	struct rt *t = *state;
	live(state);
	bool dup;
	assert_int_equal(post(t, CAP, "en", 1, "", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", 1, "\r\n\n", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", 1, "bad \xff utf-8", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", 1, "overlong \xc0\xaf", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", 1, "surrogate \xed\xa0\x80", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", 1, "cut \xe2\x82", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en_GB", 1, "x", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "", 1, "x", &dup), ROOM_EBAD_REQUEST);
	const char *why;
	assert_int_equal(
	    room_caption_post(t->room, rt_who(CAP), "en", 1, "a\0b", 3, t->now, &dup, &why),
	    ROOM_EBAD_REQUEST);
	static char big[2002];
	memset(big, 'b', 2001);
	assert_int_equal(post(t, CAP, "en", 1, big, &dup), ROOM_EBAD_REQUEST);
	big[2000] = '\0';
	assert_int_equal(post(t, CAP, "en", 1, big, &dup), ROOM_OK);
	assert_int_equal(rt_count(t->events, "caption"), 1);
	/* seq goes in the log: 0 to 2^53 - 1, and nothing else. */
	assert_int_equal(post(t, CAP, "en", -1, "x", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", INT64_MAX, "x", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", INT64_C(1) << 53, "x", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CH, "en", (INT64_C(1) << 53) - 1, "Last.", &dup), ROOM_OK);
	assert_false(dup);
	assert_int_equal(post(t, CH, "en", (INT64_C(1) << 53) - 1, "Last.", &dup), ROOM_OK);
	assert_true(dup);
	/* After a refused post, the same seq still works (it was never seen). */
	assert_int_equal(post(t, CAP, "en", 2, "\xff", &dup), ROOM_EBAD_REQUEST);
	assert_int_equal(post(t, CAP, "en", 2, "Two.", &dup), ROOM_OK);
	assert_false(dup);
}

/* The WebVTT export: one cue per final caption of the language, <v Speaker>, times from
 * offset_ms. */
static void vtt_export(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now += 1000;
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"We support it.\",\"final\":true}");
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"fr\",\"text\":\"Nous soutenons.\",\"final\":true}");
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"partial\",\"final\":false}");
	t->now += 2000;
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"<b>Thanks</b>\",\"final\":true}");
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_VTT, NULL, &doc, &len), ROOM_OK);
	assert_string_equal(
	    doc, "WEBVTT\n"
		 "\n1\n00:00:02.000 --> 00:00:03.500\n<v Alice Gov>We support it.\n"
		 "\n2\n00:00:04.000 --> 00:00:05.500\n<v Alice Gov>&lt;b&gt;Thanks&lt;/b&gt;\n");
	free(doc);
	assert_int_equal(room_export(t->room, ROOM_EXPORT_VTT, "fr", &doc, &len), ROOM_OK);
	assert_non_null(strstr(doc, "<v Alice Gov>Nous soutenons.\n"));
	assert_null(strstr(doc, "We support"));
	free(doc);
	assert_int_equal(room_export(t->room, ROOM_EXPORT_VTT, "de", &doc, &len), ROOM_OK);
	assert_string_equal(doc, "WEBVTT\n");
	free(doc);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(partial_is_live_final_is_an_event),
	    T(speaker_is_the_floor_holder),
	    T(field_errors_and_lang),
	    T(two_thousand_characters),
	    T(cart_posts_and_duplicates),
	    T(cart_captioner_not_attached),
	    T(cart_bad_bodies),
	    T(vtt_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
