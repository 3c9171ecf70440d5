/*
 * The record kept in memory (record_cache.c, issue 13) must say exactly what a fold of the
 * log file says: after every step of a meeting, every export from the room's cache is
 * byte-identical to a rendering of a fresh fold of the file, whether it was rendered just
 * now or copied from the cache; an event not yet durable is in neither; and a restart
 * (the fold rebuilt by the replay) gives the same bytes again.
 */
#include "rooms/test_helpers.h"

#include "rooms/record_cache.h"

struct want {
	enum room_export what;
	const char *lang;
};

static const struct want every[] = {
    {ROOM_EXPORT_JSON, NULL},  {ROOM_EXPORT_TEXT, NULL}, {ROOM_EXPORT_HTML, NULL},
    {ROOM_EXPORT_POLLS, NULL}, {ROOM_EXPORT_VTT, NULL},	 {ROOM_EXPORT_VTT, "en"},
    {ROOM_EXPORT_VTT, "fr"},   {ROOM_EXPORT_VTT, "de"},	 {ROOM_EXPORT_VTT, ""},
};
#define N_EVERY (sizeof every / sizeof every[0])

static char *fresh(struct rt *t, const struct want *w)
{
	struct record_fold *f = record_fold_from_log(t->room);
	assert_non_null(f);
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(record_render(record_fold_doc(f), w->what, w->lang, NULL, &doc, &len),
			 ROOM_OK);
	assert_int_equal(strlen(doc), len);
	record_fold_free(f);
	return doc;
}

static char *cached(struct rt *t, const struct want *w)
{
	char *doc = NULL;
	size_t len = 0;
	assert_int_equal(room_export(t->room, w->what, w->lang, &doc, &len), ROOM_OK);
	assert_int_equal(strlen(doc), len);
	return doc;
}

/* Every format, twice (rendered, then copied), against the fresh fold; returns how many
 * bytes the JSON record has, so a step can check it changed. */
static size_t same_as_file(struct rt *t)
{
	size_t json_len = 0;
	for (size_t i = 0; i < N_EVERY; i++) {
		char *want = fresh(t, &every[i]);
		for (int round = 0; round < 2; round++) {
			char *got = cached(t, &every[i]);
			assert_string_equal(got, want);
			free(got);
		}
		if (i == 0)
			json_len = strlen(want);
		free(want);
	}
	return json_len;
}

static void caption(struct rt *t, const char *lang, const char *text)
{
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"%s\",\"text\":\"%s\",\"final\":true}", lang,
	      text);
}

static void step(struct rt *t, size_t *last)
{
	size_t now = same_as_file(t);
	assert_true(now != *last);
	*last = now;
}

/* Chairs' microphones, a mute of the floor holder, a removal and a revocation: the
 * record's chair_mics and moderation, and the pages' Moderation sections. */
static void moderation(struct rt *t, size_t *last)
{
	rt_ok(t, CH, "{\"type\":\"mic.open\",\"pid\":\"%s\"}", rt_pid(CH));
	t->now += 4000;
	rt_ok(t, CH, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(CH));
	step(t, last);
	/* P1 holds the floor (the second queue.next). */
	rt_ok(t, CH, "{\"type\":\"mic.close\",\"pid\":\"%s\"}", rt_pid(P1));
	rt_ok(t, CH, "{\"type\":\"participant.remove\",\"pid\":\"%s\",\"reason\":\"<shouting>\"}",
	      rt_pid(P1));
	step(t, last);
	bool already = true;
	assert_int_equal(
	    room_token_revoke(t->room, "p-lost-link", NULL, "leaked", t->now, &already), ROOM_OK);
	rt_flush(t);
	step(t, last);
}

static void a_meeting(struct rt *t, size_t *last)
{
	rt_live(t);
	step(t, last);
	rt_raise(t, P1, NULL);
	rt_raise(t, P2, "point_of_order");
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now += 1500;
	caption(t, "en", "We support <the> draft & more.");
	caption(t, "fr", "Nous soutenons.");
	step(t, last);
	t->now += 62000;
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_ok(t, CH, "{\"type\":\"floor.extend\",\"seconds\":60}");
	step(t, last);
	rt_ok(t, CH,
	      "{\"type\":\"hum.start\",\"question\":\"Adopt?\",\"options\":[\"yes\",\"no\"]}");
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	step(t, last);
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"Which?\",\"options\":[\"A\",\"B\"],"
	      "\"anonymous\":false}");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Hands?\",\"show_of_hands\":true}");
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[0]}");
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":2}");
	step(t, last);
	moderation(t, last);
	rt_detach(t, P3, true);
	caption(t, "en", "Thank you.");
	step(t, last);
}

static void incremental_equals_fresh(void **state)
{
	struct rt *t = *state;
	size_t last = 0;
	step(t, &last); /* only room.created */
	a_meeting(t, &last);
	rt_ok(t, CH, "{\"type\":\"session.end\"}");
	step(t, &last);
	/* A restart rebuilds the fold by replaying the log: the same bytes. */
	char *before[N_EVERY];
	for (size_t i = 0; i < N_EVERY; i++)
		before[i] = cached(t, &every[i]);
	rt_reopen(t);
	for (size_t i = 0; i < N_EVERY; i++) {
		char *got = cached(t, &every[i]);
		assert_string_equal(got, before[i]);
		free(got);
		free(before[i]);
	}
	same_as_file(t);
}

/* An event appended but not yet flushed is not on the record (nor in the file); it is
 * once the flush makes it durable. */
static void only_durable_events(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	char *before = cached(t, &every[0]);
	json_t *cmd = json_pack("{s:s}", "type", "queue.raise");
	json_t *result = NULL;
	const char *message = NULL;
	assert_int_equal(
	    room_command(t->room, rt_who(P1), "queue.raise", cmd, t->now, &result, &message),
	    ROOM_OK);
	json_decref(cmd);
	json_decref(result);
	assert_true(rooms_dirty(t->rs));
	char *pending = cached(t, &every[0]);
	assert_string_equal(pending, before);
	rt_flush(t);
	char *after = cached(t, &every[0]);
	assert_string_not_equal(after, before);
	free(before);
	free(pending);
	free(after);
	same_as_file(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(incremental_equals_fresh),
	    T(only_durable_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
