/*
 * Anonymity of hums and anonymous ballots (PROTOCOL.md "Hums", "Polls", "The log"): an
 * individual's cast or ballot is never written to the log, a file, an event or any message.
 *
 * Two ways of looking for a leak:
 *   - a search: run a hum, an anonymous poll and a show of hands with named people, then
 *     read every file in the data directory and every message the sink got, and check that
 *     nothing ties a person to hum or ballot data -- no event of a cast or ballot exists,
 *     no hum or anonymous poll event names anyone, and the hum's only data is its
 *     aggregate;
 *   - a difference: run the same meeting twice, with the same people casting the same
 *     options in the same order but swapped between people (within a stakeholder group, so
 *     every aggregate is the same). If anything anywhere depended on who cast what, the two
 *     runs would differ. They must be byte-identical: log, exports and every message.
 */
#include "rooms/test_helpers.h"

static const enum rt_person people[] = {CH, CH2, P1, P2, P3, P4, P5, P6, P7, CAP};
#define N_PEOPLE (sizeof people / sizeof people[0])

/* The meeting. swap exchanges who casts what between P1 and P4 (both government) and
 * between P2 and P5 (both civil society). */
static void meeting(struct rt *t, bool swap)
{
	enum rt_person a = swap ? P4 : P1, b = swap ? P1 : P4;
	enum rt_person c = swap ? P5 : P2, d = swap ? P2 : P5;
	rt_live(t);
	rt_attach(t, CH2);
	rt_advance(t, 1000);
	/* A hum, with changed minds and a withdrawal. */
	rt_ok(t, CH,
	      "{\"type\":\"hum.start\",\"question\":\"Adopt?\",\"options\":[\"Yes\",\"No\"]}");
	rt_ok(t, a, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_advance(t, 100);
	rt_ok(t, b, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, c, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_advance(t, 600);
	rt_ok(t, d, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, d, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P3, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, CH2, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P6, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P6, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":null}");
	rt_advance(t, 600);
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	/* An anonymous multiple-choice poll. */
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"Which?\",\"options\":[\"A\",\"B\",\"C\"],"
	      "\"multiple\":true,\"live_counts\":true}");
	rt_ok(t, a, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0,1]}");
	rt_ok(t, b, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[2]}");
	rt_advance(t, 600);
	rt_ok(t, c, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	rt_ok(t, d, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, P7, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0,1,2]}");
	rt_advance(t, 600);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	/* A show of hands, someone leaving after answering. */
	rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Hands?\",\"show_of_hands\":true}");
	rt_ok(t, a, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[0]}");
	rt_ok(t, c, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[1]}");
	rt_ok(t, P3, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[0]}");
	rt_advance(t, 600);
	rt_detach(t, P3, true);
	rt_advance(t, 600);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":2}");
	/* A hum left open across a restart, and one more after it. */
	rt_ok(t, CH,
	      "{\"type\":\"hum.start\",\"question\":\"Again?\",\"options\":[\"Yes\",\"No\"]}");
	rt_ok(t, b, "{\"type\":\"hum.cast\",\"hum\":2,\"option\":1}");
	rt_ok(t, d, "{\"type\":\"hum.cast\",\"hum\":2,\"option\":0}");
	rt_advance(t, 600);
	rt_reopen(t);
	rt_ok(t, CH, "{\"type\":\"session.end\"}");
}

static const char *const hum_keys[] = {"hum",	    "question", "options", "eligible",
				       "responded", "levels",	"counts",  NULL};
static const char *const anon_poll_keys[] = {
    "poll",	     "question",    "options",	"multiple",	"anonymous",
    "show_of_hands", "voters",	    "eligible", "not_answered", "counts",
    "by_group",	     "live_counts", NULL};

static bool key_allowed(const char *key, const char *const *allowed)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(key, allowed[i]) == 0)
			return true;
	return false;
}

/* No person's pid or name anywhere in text. */
static void assert_names_none(const char *text, const char *where)
{
	for (size_t i = 0; i < N_PEOPLE; i++) {
		const struct room_identity *w = rt_who(people[i]);
		if (strstr(text, w->pid) || strstr(text, w->name))
			fail_msg("%s names %s: %s", where, w->pid, text);
	}
}

/* One event (kind + data), from the log or the sink: hum and poll events name nobody,
 * and hold only aggregate fields. */
static void check_event(const char *kind, json_t *data, const char *where)
{
	if (strcmp(kind, "poll.voted") == 0)
		fail_msg("%s: a ballot of an anonymous poll was logged", where);
	if (strstr(kind, "cast") || strstr(kind, "ballot") || strstr(kind, "vote"))
		fail_msg("%s: an event of kind %s", where, kind);
	bool hum = strncmp(kind, "hum.", 4) == 0, poll = strncmp(kind, "poll.", 5) == 0;
	if (!hum && !poll)
		return;
	char *text = json_dumps(data, JSON_COMPACT);
	assert_names_none(text, where);
	free(text);
	const char *key;
	json_t *v;
	json_object_foreach(data, key, v) if (!key_allowed(key, hum ? hum_keys : anon_poll_keys))
	    fail_msg("%s: %s carries '%s'", where, kind, key);
}

static void check_messages(struct rt *t)
{
	size_t i;
	json_t *m;
	json_array_foreach(t->events, i, m)
	    check_event(rt_str(m, "kind"), json_object_get(m, "data"), "an event message");
	json_array_foreach(t->lives, i, m)
	{
		char *text = json_dumps(m, JSON_COMPACT);
		assert_names_none(text, "a live message");
		free(text);
	}
	json_array_foreach(t->privates, i, m)
	{
		const char *kind = rt_str(m, "kind");
		if (strcmp(kind, "mic") == 0)
			continue; /* a person's own mic, nothing to do with hums */
		assert_string_equal(kind, "hum.levels");
		assert_true(json_is_null(json_object_get(m, "pid")));
		assert_string_equal(rt_str(m, "role"), "chair");
		char *text = json_dumps(json_object_get(m, "data"), JSON_COMPACT);
		assert_names_none(text, "hum.levels");
		free(text);
	}
}

/* Every file under dir: only the room's log, and every line of it as above. */
static size_t files_seen;

static int check_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	files_seen++;
	const char *base = strrchr(path, '/') + 1;
	if (strcmp(base, RT_ROOM ".jsonl") != 0)
		fail_msg("an unexpected file: %s", path);
	size_t len;
	char *buf = rt_read_file(path, &len);
	for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		assert_non_null(nl);
		json_t *rec = json_loadb(line, (size_t)(nl - line), 0, NULL);
		assert_non_null(rec);
		check_event(rt_str(rec, "kind"), json_object_get(rec, "data"), path);
		json_decref(rec);
	}
	free(buf);
	return 0;
}

static void nothing_ties_a_person_to_a_cast(void **state)
{
	struct rt *t = *state;
	meeting(t, false);
	check_messages(t);
	files_seen = 0;
	assert_int_equal(nftw(t->dir, check_file, 16, FTW_PHYS), 0);
	assert_int_equal(files_seen, 1);
	/* The record's hums and anonymous polls name nobody either. */
	char *doc;
	size_t len;
	assert_int_equal(room_export(t->room, ROOM_EXPORT_JSON, NULL, &doc, &len), ROOM_OK);
	json_t *rec = json_loads(doc, 0, NULL);
	free(doc);
	char *hums = json_dumps(json_object_get(rec, "hums"), JSON_COMPACT);
	char *polls = json_dumps(json_object_get(rec, "polls"), JSON_COMPACT);
	assert_names_none(hums, "record.json hums");
	assert_names_none(polls, "record.json polls");
	free(hums);
	free(polls);
	assert_int_equal(json_array_size(json_object_get(rec, "hums")), 2);
	json_decref(rec);
}

struct run {
	struct rt t;
	char *log;
	size_t log_len;
	char *docs[5];
	size_t lens[5];
	char *messages; /* events, lives, privates and mics, serialised */
};

static void run_meeting(struct run *r, bool swap)
{
	rt_init_settings(&r->t, true, true);
	meeting(&r->t, swap);
	r->log = rt_read_file(room_log_path(r->t.room), &r->log_len);
	for (int i = 0; i < 5; i++)
		assert_int_equal(
		    room_export(r->t.room, (enum room_export)i, NULL, &r->docs[i], &r->lens[i]),
		    ROOM_OK);
	json_t *all = json_pack("[O,O,O,O]", r->t.events, r->t.lives, r->t.privates, r->t.mics);
	r->messages = json_dumps(all, JSON_COMPACT);
	json_decref(all);
}

static void free_run(struct run *r)
{
	rt_fini(&r->t);
	free(r->log);
	for (int i = 0; i < 5; i++)
		free(r->docs[i]);
	free(r->messages);
}

static void swapped_casts_change_nothing_observable(void **state)
{
	(void)state;
	struct run a, b;
	run_meeting(&a, false);
	run_meeting(&b, true);
	assert_int_equal(a.log_len, b.log_len);
	assert_memory_equal(a.log, b.log, a.log_len);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(a.lens[i], b.lens[i]);
		assert_memory_equal(a.docs[i], b.docs[i], a.lens[i]);
	}
	assert_string_equal(a.messages, b.messages);
	free_run(&a);
	free_run(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(nothing_ties_a_person_to_a_cast, rt_setup, rt_teardown),
	    cmocka_unit_test(swapped_casts_change_nothing_observable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
