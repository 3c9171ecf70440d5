/*
 * PROTOCOL.md "Hums" (RFC 7282) through room_command(): the commands and their errors,
 * the levels at each threshold as a share of the eligible, who is eligible (chairs and
 * participants connected when the hum ends), when exact counts are revealed, and the
 * chairs' private, throttled hum.levels. A cast is an ack and nothing else: no event, no
 * line in the log.
 */
#include "rooms/test_helpers.h"

static const char *const groups[] = {"government", "civil_society", "technical"};

static void live(void **state)
{
	rt_live(*state);
	rt_advance(*state, 1000);
	rt_clear(*state);
}

static void start_hum(struct rt *t, int options)
{
	static const char *const opts[] = {"\"Yes\"", "\"No\"", "\"Abstain\"", "\"Later\"",
					   "\"Other\""};
	char list[128] = "";
	for (int i = 0; i < options; i++) {
		strcat(list, i ? "," : "");
		strcat(list, opts[i]);
	}
	rt_ok(t, CH, "{\"type\":\"hum.start\",\"question\":\"Adopt the draft?\",\"options\":[%s]}",
	      list);
}

static void start_event_and_errors(void **state)
{
	struct rt *t = *state;
	live(state);
	/* options: 2..5 non-empty strings of at most 200 bytes; a non-empty question. */
	const char *bad[] = {
	    "{\"type\":\"hum.start\",\"question\":\"Q\"}",
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\"]}",
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[]}",
	    ("{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\",\"c\",\"d\","
	     "\"e\","
	     "\"f\"]}"),
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",2]}",
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",\"\"]}",
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",null]}",
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":\"a,b\"}",
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":{\"a\":1,\"b\":2}}",
	    "{\"type\":\"hum.start\",\"options\":[\"a\",\"b\"]}",
	    "{\"type\":\"hum.start\",\"question\":\"\",\"options\":[\"a\",\"b\"]}",
	    "{\"type\":\"hum.start\",\"question\":5,\"options\":[\"a\",\"b\"]}",
	    "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\\u0000c\"]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rt_fail(t, CH, ROOM_EBAD_REQUEST, "%s", bad[i]);
	char opt[256];
	memset(opt, 'o', 201);
	opt[201] = '\0';
	rt_fail(t, CH, ROOM_EBAD_REQUEST,
		"{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",\"%s\"]}", opt);
	opt[200] = '\0';
	char question[1100];
	memset(question, 'q', 1001);
	question[1001] = '\0';
	rt_fail(t, CH, ROOM_EBAD_REQUEST,
		"{\"type\":\"hum.start\",\"question\":\"%s\",\"options\":[\"a\",\"b\"]}", question);
	question[1000] = '\0';

	json_t *ack = rt_ok(t, CH,
			    "{\"type\":\"hum.start\",\"question\":\"%s\",\"options\":[\"a\",\"%s\","
			    "\"c\",\"d\",\"e\"]}",
			    question, opt);
	assert_int_equal(rt_int(ack, "hum"), 1);
	RT_ASSERT_KINDS(t, 0, "hum.started");
	json_t *e = rt_last_event(t, "hum.started");
	assert_int_equal(rt_int(e, "hum"), 1);
	assert_int_equal(strlen(rt_str(e, "question")), 1000);
	assert_int_equal(json_array_size(json_object_get(e, "options")), 5);
	json_t *snap = room_snapshot(t->room);
	json_t *hum = json_object_get(snap, "hum");
	assert_int_equal(rt_int(hum, "hum"), 1);
	assert_int_equal(json_array_size(json_object_get(hum, "options")), 5);
	assert_string_equal(rt_str(hum, "started"), "2026-11-22T10:00:01.000Z");
	json_decref(snap);
	/* One hum at a time. */
	rt_fail(t, CH, ROOM_ECONFLICT,
		"{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\"]}");
	assert_string_equal(t->message, "a hum is already open");
}

static void cast_is_an_ack_and_nothing_else(void **state)
{
	struct rt *t = *state;
	live(state);
	start_hum(t, 3);
	struct rt_state before;
	rt_capture(t, &before);
	json_t *ack = rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":2}");
	assert_int_equal(json_object_size(ack), 0);
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":null}");
	rt_ok(t, CH, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	assert_int_equal(room_head_seq(t->room), before.head);
	size_t len;
	char *log = rt_read_file(room_log_path(t->room), &len);
	assert_int_equal(len, before.log_len);
	assert_memory_equal(log, before.log, len);
	free(log);
	assert_int_equal(json_array_size(t->events), before.events);
	assert_int_equal(json_array_size(t->lives), before.lives);
	rt_release(&before);
}

static void cast_errors(void **state)
{
	struct rt *t = *state;
	live(state);
	/* No hum yet: hum 1 does not exist. */
	rt_fail(t, P1, ROOM_ENOT_FOUND, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	start_hum(t, 2);
	const char *bad[] = {
	    "{\"type\":\"hum.cast\",\"hum\":1}",
	    "{\"type\":\"hum.cast\",\"hum\":1,\"option\":2}",
	    "{\"type\":\"hum.cast\",\"hum\":1,\"option\":-1}",
	    "{\"type\":\"hum.cast\",\"hum\":1,\"option\":\"0\"}",
	    "{\"type\":\"hum.cast\",\"hum\":1,\"option\":true}",
	    "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0.0}",
	    "{\"type\":\"hum.cast\",\"hum\":1,\"option\":[0]}",
	    "{\"type\":\"hum.cast\",\"hum\":1,\"option\":9223372036854775807}",
	    "{\"type\":\"hum.cast\",\"option\":0}",
	    "{\"type\":\"hum.cast\",\"hum\":\"1\",\"option\":0}",
	    "{\"type\":\"hum.cast\",\"hum\":0,\"option\":0}",
	    "{\"type\":\"hum.cast\",\"hum\":-1,\"option\":0}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rt_fail(t, P1, ROOM_EBAD_REQUEST, "%s", bad[i]);
	rt_fail(t, P1, ROOM_ENOT_FOUND, "{\"type\":\"hum.cast\",\"hum\":2,\"option\":0}");
	rt_fail(t, CH, ROOM_ENOT_FOUND, "{\"type\":\"hum.end\",\"hum\":2}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"hum.end\"}");
	rt_fail(t, CH, ROOM_EBAD_REQUEST, "{\"type\":\"hum.end\",\"hum\":null}");
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	/* A hum that ended: too late to cast or end it again. */
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_fail(t, CH, ROOM_ECONFLICT, "{\"type\":\"hum.end\",\"hum\":1}");
	/* The next hum is 2, and hum 1 is still closed. */
	start_hum(t, 2);
	assert_int_equal(rt_result_int(t, "hum"), 2);
	rt_fail(t, P1, ROOM_ECONFLICT, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
}

/* eligible people attach; the first counts[k] of them cast option k; the rest stay silent. */
static json_t *hum_with(struct rt *t, struct rt_crowd *crowd, int eligible, const int *counts,
			int n_options)
{
	for (int i = 0; i < eligible - 1; i++)
		rt_attach_as(t, &crowd->who[i]);
	start_hum(t, n_options);
	int64_t hum = rt_result_int(t, "hum");
	int next = 0;
	for (int k = 0; k < n_options; k++)
		for (int c = 0; c < counts[k]; c++, next++) {
			const struct room_identity *who =
			    next == 0 ? rt_who(CH) : &crowd->who[next - 1];
			rt_ok_as(t, who, "{\"type\":\"hum.cast\",\"hum\":%lld,\"option\":%d}",
				 (long long)hum, k);
		}
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":%lld}", (long long)hum);
	json_t *ended = rt_last_event(t, "hum.ended");
	assert_int_equal(rt_int(ended, "hum"), hum);
	assert_int_equal(rt_int(ended, "eligible"), eligible);
	assert_int_equal(rt_int(ended, "responded"), next);
	return ended;
}

static void assert_levels(json_t *ended, const char *const *want, int n)
{
	json_t *levels = json_object_get(ended, "levels");
	assert_int_equal(json_array_size(levels), n);
	for (int i = 0; i < n; i++)
		if (strcmp(json_string_value(json_array_get(levels, i)), want[i]) != 0)
			fail_msg("level %d is %s, expected %s", i,
				 json_string_value(json_array_get(levels, i)), want[i]);
}

/* none 0, weak < 20 %, moderate < 40 %, strong < 60 %, very_strong >= 60 %. */
static void levels_at_each_threshold(void **state)
{
	(void)state;
	static const struct {
		int eligible;
		int n;
		int counts[5];
		const char *levels[5];
	} cases[] = {
	    {20, 4, {0, 3, 4, 7}, {"none", "weak", "moderate", "moderate"}},
	    {20, 2, {8, 11}, {"strong", "strong"}},
	    {20, 2, {12, 1}, {"very_strong", "weak"}},
	    {20, 2, {20, 0}, {"very_strong", "none"}},
	    {10, 5, {1, 2, 3, 4, 0}, {"weak", "moderate", "moderate", "strong", "none"}},
	    {10, 2, {6, 4}, {"very_strong", "strong"}},
	    {5, 3, {1, 2, 1}, {"moderate", "strong", "moderate"}},
	    {5, 2, {3, 0}, {"very_strong", "none"}},
	    {22, 2, {13, 9}, {"strong", "strong"}}, /* 59.1 %, 40.9 % */
	    {21, 2, {8, 4}, {"moderate", "weak"}},  /* 38.1 %, 19.0 % */
	    {1, 2, {1, 0}, {"very_strong", "none"}},
	    {3, 3, {0, 0, 0}, {"none", "none", "none"}},
	};
	struct rt_crowd crowd;
	rt_crowd_init(&crowd, groups, 3);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rt t;
		rt_init(&t);
		rt_attach(&t, CH);
		rt_ok(&t, CH, "{\"type\":\"session.start\"}");
		json_t *ended =
		    hum_with(&t, &crowd, cases[i].eligible, cases[i].counts, cases[i].n);
		assert_levels(ended, cases[i].levels, cases[i].n);
		assert_null(json_object_get(ended, "counts")); /* the room does not reveal them */
		rt_fini(&t);
	}
}

static void eligible_is_voices_connected_at_the_end(void **state)
{
	struct rt *t = *state;
	live(state); /* CH, P1..P7, CAP and OBS attached: 8 voices */
	rt_attach(t, OBS);
	start_hum(t, 2);
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P2, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P3, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, P4, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, P4, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}"); /* a changed mind */
	rt_ok(t, P5, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, P5, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":null}"); /* withdrawn */
	/* P2 drops (in the grace period, not connected): neither eligible nor counted. */
	rt_detach(t, P2, false);
	/* P3 leaves for good. */
	rt_detach(t, P3, true);
	/* CH2 arrives late and hums. */
	rt_attach(t, CH2);
	rt_ok(t, CH2, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	json_t *e = rt_last_event(t, "hum.ended");
	/* CH, CH2, P1, P4, P5, P6, P7: 7 (not CAP, not OBS, not P2, not P3). */
	assert_int_equal(rt_int(e, "eligible"), 7);
	assert_int_equal(rt_int(e, "responded"), 3);	 /* P1, P4 on 0; CH2 on 1 */
	const char *const want[] = {"moderate", "weak"}; /* 2/7 = 28 %, 1/7 = 14 % */
	assert_levels(e, want, 2);
	assert_string_equal(rt_str(e, "question"), "Adopt the draft?");
	assert_int_equal(json_array_size(json_object_get(e, "options")), 2);
	/* The hum is over: the snapshot says so. */
	json_t *snap = room_snapshot(t->room);
	assert_true(json_is_null(json_object_get(snap, "hum")));
	json_decref(snap);
}

/* A cast made before dropping counts again once the person is back before the end. */
static void cast_survives_a_short_drop(void **state)
{
	struct rt *t = *state;
	live(state);
	start_hum(t, 2);
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_detach(t, P1, false);
	rt_attach(t, P1);
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	assert_int_equal(rt_int(rt_last_event(t, "hum.ended"), "responded"), 1);
}

static void counts_only_when_revealed_and_five_responded(void **state)
{
	(void)state;
	struct rt_crowd crowd;
	rt_crowd_init(&crowd, groups, 3);
	for (int reveal = 0; reveal <= 1; reveal++)
		for (int responded = 4; responded <= 6; responded++) {
			struct rt t;
			rt_init_settings(&t, true, reveal);
			rt_attach(&t, CH);
			rt_ok(&t, CH, "{\"type\":\"session.start\"}");
			int counts[2] = {responded - 1, 1};
			json_t *e = hum_with(&t, &crowd, 10, counts, 2);
			json_t *c = json_object_get(e, "counts");
			if (reveal && responded >= 5) {
				assert_true(json_is_array(c));
				assert_int_equal(json_integer_value(json_array_get(c, 0)),
						 responded - 1);
				assert_int_equal(json_integer_value(json_array_get(c, 1)), 1);
			} else {
				assert_null(c);
			}
			rt_fini(&t);
		}
}

/* The chairs' live levels: private (role chair, no pid), at most two a second. */
static void levels_private_to_chairs_and_throttled(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_attach(t, CH2);
	rt_clear(t);
	start_hum(t, 2);
	assert_int_equal(rt_count(t->privates, "hum.levels"), 1); /* at the start */
	json_t *l = rt_last(t->privates, "hum.levels");
	assert_int_equal(rt_int(l, "hum"), 1);
	assert_int_equal(rt_int(l, "responded"), 0);
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P2, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P3, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P4, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P5, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	assert_int_equal(rt_count(t->privates, "hum.levels"), 1);
	assert_true(rooms_tick(t->rs, t->now) <= t->now + 500);
	rt_advance(t, 499);
	assert_int_equal(rt_count(t->privates, "hum.levels"), 1);
	rt_advance(t, 1);
	assert_int_equal(rt_count(t->privates, "hum.levels"), 2);
	l = rt_last(t->privates, "hum.levels");
	assert_int_equal(rt_int(l, "responded"), 5);
	json_t *levels = json_object_get(l, "levels");
	assert_int_equal(json_array_size(levels), 2);
	assert_string_equal(json_string_value(json_array_get(levels, 0)), "strong"); /* 4/9 */
	assert_string_equal(json_string_value(json_array_get(levels, 1)), "weak");   /* 1/9 */
	/* A burst of casts over two seconds: at most two messages a second. */
	for (int i = 0; i < 40; i++) {
		t->now += 50;
		rt_ok(t, (enum rt_person)(P1 + i % 7),
		      "{\"type\":\"hum.cast\",\"hum\":1,\"option\":%d}", i % 2);
		rooms_tick(t->rs, t->now);
	}
	size_t sent = rt_count(t->privates, "hum.levels") - 2;
	assert_true(sent >= 3 && sent <= 4);
	/* Nothing new: nothing sent. */
	rt_advance(t, 600);
	size_t settled = rt_count(t->privates, "hum.levels");
	rt_advance(t, 5000);
	assert_int_equal(rt_count(t->privates, "hum.levels"), settled);
	/* Every one went to chairs as a role, never to a person, never live. */
	size_t i;
	json_t *m;
	json_array_foreach(t->privates, i, m)
	{
		if (strcmp(rt_str(m, "kind"), "hum.levels") != 0)
			continue;
		assert_true(json_is_null(json_object_get(m, "pid")));
		assert_string_equal(rt_str(m, "role"), "chair");
	}
	assert_int_equal(rt_count(t->lives, "hum.levels"), 0);
	assert_int_equal(rt_count(t->events, "hum.levels"), 0);
	/* After the end, no more levels. */
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	settled = rt_count(t->privates, "hum.levels");
	rt_advance(t, 5000);
	assert_int_equal(rt_count(t->privates, "hum.levels"), settled);
}

/* The chairs' hum.levels after each cast, flushed past the throttle. */
static json_t *levels_after(struct rt *t, enum rt_person who, const char *option)
{
	size_t before = rt_count(t->privates, "hum.levels");
	rt_ok(t, who, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":%s}", option);
	rt_advance(t, 500);
	assert_int_equal(rt_count(t->privates, "hum.levels"), before + 1);
	return rt_last(t->privates, "hum.levels");
}

/* Live levels keep to the result's threshold: with fewer than five casts a level that
 * moved would say what the latest hummer chose, so chairs get only how many responded. */
static void live_levels_withheld_below_five_responded(void **state)
{
	struct rt *t = *state;
	live(state); /* CH and P1..P7: 8 eligible */
	start_hum(t, 2);
	json_t *l = rt_last(t->privates, "hum.levels");
	assert_true(json_is_null(json_object_get(l, "levels")));
	assert_int_equal(rt_int(l, "responded"), 0);
	assert_int_equal(rt_int(l, "eligible"), 8);
	assert_int_equal(rt_int(l, "min_responded"), 5);
	static const enum rt_person who[] = {P1, P2, P3, P4};
	static const char *const chose[] = {"0", "1", "1", "0"};
	for (int i = 0; i < 4; i++) {
		l = levels_after(t, who[i], chose[i]);
		assert_int_equal(rt_int(l, "responded"), i + 1);
		assert_true(json_is_null(json_object_get(l, "levels")));
		/* Nothing in the message but the counts: no level word, no per-option number. */
		char *text = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);
		char want[160];
		snprintf(want, sizeof want,
			 "{\"eligible\":8,\"hum\":1,\"levels\":null,\"min_responded\":5,"
			 "\"responded\":%d}",
			 i + 1);
		assert_string_equal(text, want);
		free(text);
	}
	/* A changed mind below the threshold shows nothing either. */
	l = levels_after(t, P4, "1");
	assert_true(json_is_null(json_object_get(l, "levels")));
	/* The fifth cast: levels, as shares of the eligible. */
	l = levels_after(t, P5, "0");
	assert_int_equal(rt_int(l, "responded"), 5);
	json_t *levels = json_object_get(l, "levels");
	assert_int_equal(json_array_size(levels), 2);
	assert_string_equal(json_string_value(json_array_get(levels, 0)), "moderate"); /* 2/8 */
	assert_string_equal(json_string_value(json_array_get(levels, 1)), "moderate"); /* 3/8 */
	/* One withdraws: below five again, and the levels go again. */
	l = levels_after(t, P1, "null");
	assert_int_equal(rt_int(l, "responded"), 4);
	assert_true(json_is_null(json_object_get(l, "levels")));
	/* The result is unchanged: levels for everyone, whatever the number who responded. */
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	const char *const want[] = {"weak", "moderate"}; /* 1/8, 3/8 */
	assert_levels(rt_last_event(t, "hum.ended"), want, 2);
}

/* Casts do not carry over from one hum to the next. */
static void casts_are_per_hum(void **state)
{
	struct rt *t = *state;
	live(state);
	start_hum(t, 2);
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P2, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	assert_int_equal(rt_int(rt_last_event(t, "hum.ended"), "responded"), 2);
	start_hum(t, 2);
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":2}");
	json_t *e = rt_last_event(t, "hum.ended");
	assert_int_equal(rt_int(e, "responded"), 0);
	const char *const none[] = {"none", "none"};
	assert_levels(e, none, 2);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(start_event_and_errors),
	    T(cast_is_an_ack_and_nothing_else),
	    T(cast_errors),
	    cmocka_unit_test(levels_at_each_threshold),
	    T(eligible_is_voices_connected_at_the_end),
	    T(cast_survives_a_short_drop),
	    cmocka_unit_test(counts_only_when_revealed_and_five_responded),
	    T(levels_private_to_chairs_and_throttled),
	    T(live_levels_withheld_below_five_responded),
	    T(casts_are_per_hum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
