/*
 * Rooms that follow a log another node writes (rooms_options.follow, an edge of
 * docs/scale.md): their clock writes nothing -- the writer's clock takes people off the
 * record and its events arrive -- and a room made elsewhere after the registry opened is
 * loaded from the file it was given (rooms_load) and then follows through rooms_adopt.
 */
#include "rooms/test_helpers.h"

/* The registry on t->dir again, following (or not). */
static void open_following(struct rt *t, bool follow)
{
	rt_close(t);
	struct rooms_sink sink = {t,	       rt_sink_event,	rt_sink_live, rt_sink_private,
				  rt_sink_mic, rt_sink_durable, NULL};
	struct rooms_options opt = {.data_dir = t->dir,
				    .grace_ms = t->grace_ms,
				    .now_ms = t->now,
				    .warn = rt_warn,
				    .warn_ctx = t,
				    .follow = follow};
	char err[256] = "";
	assert_int_equal(rooms_open(&opt, &sink, &t->rs, err, sizeof err), ROOM_OK);
	t->room = rooms_find(t->rs, RT_ROOM);
	t->last_seq = room_head_seq(t->room);
}

static void the_clock_of_a_follower_writes_nothing(void **state)
{
	struct rt *t = *state;
	assert_int_equal(room_attach(t->room, rt_who(P1), t->now), ROOM_OK);
	rt_flush(t);
	int64_t head = room_head_seq(t->room);
	/* Following: nobody connected here, yet nobody leaves by this node's clock. */
	open_following(t, true);
	rt_advance(t, RT_GRACE * 10);
	assert_int_equal(room_head_seq(t->room), head);
	assert_true(room_on_record(t->room, rt_who(P1)->pid));
	/* The same log, not following: the grace period runs out and they leave. */
	open_following(t, false);
	rt_advance(t, RT_GRACE * 10);
	assert_int_equal(room_head_seq(t->room), head + 1);
	assert_false(room_on_record(t->room, rt_who(P1)->pid));
}

/* The lines of room id of the registry at dir after seq after (each with its newline). */
static char *lines_after(const char *dir, const char *id, int64_t after, size_t *len)
{
	char path[600];
	snprintf(path, sizeof path, "%s/rooms/%s.jsonl", dir, id);
	size_t n;
	char *all = rt_read_file(path, &n), *at = all;
	for (int64_t i = 0; i < after; i++)
		at = strchr(at, '\n') + 1;
	*len = n - (size_t)(at - all);
	char *out = malloc(*len + 1);
	memcpy(out, at, *len + 1);
	free(all);
	return out;
}

static void a_room_made_elsewhere_is_loaded_and_followed(void **state)
{
	struct rt *t = *state;
	open_following(t, true);
	/* The writer: another registry (another node), with a room made after ours opened. */
	struct rt w;
	rt_init(&w);
	struct room_settings s = {"second", "Second", true, false, ROOM_VISIBILITY_PUBLIC, NULL};
	struct room *made = NULL;
	assert_int_equal(rooms_create(w.rs, &s, w.now, &made), ROOM_OK);
	rt_flush(&w);
	size_t len;
	char *first = lines_after(w.dir, "second", 0, &len);
	char err[256];
	assert_null(rooms_find(t->rs, "second"));
	assert_true(rooms_log_extend(t->dir, "second", first, len, err, sizeof err));
	struct room *r = rooms_load(t->rs, "second", t->now);
	assert_non_null(r);
	assert_int_equal(room_head_seq(r), room_head_seq(made));
	assert_null(rooms_load(t->rs, "second", t->now)); /* loaded already */
	assert_null(rooms_load(t->rs, "a.b", t->now));
	assert_null(rooms_load(t->rs, "nowhere", t->now)); /* no file */
	/* What the writer adds next, the follower adopts: told, and the same state. */
	assert_int_equal(room_attach(made, rt_who(P2), w.now), ROOM_OK);
	rt_flush(&w);
	char *more = lines_after(w.dir, "second", room_head_seq(r), &len);
	size_t events = json_array_size(t->events);
	assert_true(rooms_adopt(t->rs, r, more, len));
	assert_int_equal(room_head_seq(r), room_head_seq(made));
	assert_int_equal(json_array_size(t->events), events + 1); /* told as an event */
	assert_true(room_on_record(r, rt_who(P2)->pid));
	free(first);
	free(more);
	rt_fini(&w);
}

/* The opened and closed mics in t->mics from index from, as "pid:0|1 ..." */
static void assert_mics(struct rt *t, size_t from, const char *want)
{
	char got[512] = "";
	for (size_t i = from; i < json_array_size(t->mics); i++) {
		json_t *m = json_array_get(t->mics, i);
		char one[160];
		snprintf(one, sizeof one, "%s%s:%d", got[0] ? " " : "",
			 json_string_value(json_object_get(m, "pid")),
			 json_is_true(json_object_get(m, "open")));
		strncat(got, one, sizeof got - strlen(got) - 1);
	}
	assert_string_equal(got, want);
}

/* The follower adopts what the writer w wrote since, and its sink was told of exactly the
 * mics in want. */
static void adopt_and_expect_mics(struct rt *t, struct rt *w, const char *want)
{
	size_t len;
	rt_flush(w);
	size_t from = json_array_size(t->mics);
	char *more = lines_after(w->dir, RT_ROOM, room_head_seq(t->room), &len);
	assert_true(rooms_adopt(t->rs, t->room, more, len));
	free(more);
	assert_mics(t, from, want);
	assert_int_equal(room_head_seq(t->room), room_head_seq(w->room));
}

/* A floor given and ended on the writer reaches the follower's sink as its mic opening and
 * closing: an edge opens its own peer's gate from the log, not from a command. */
static void folded_lines_open_and_close_mics(void **state)
{
	struct rt *t = *state;
	struct rt w;
	rt_init(&w);
	rt_attach(&w, CH);
	rt_attach(&w, P1);
	rt_ok(&w, CH, "{\"type\":\"session.start\"}");
	rt_flush(&w);
	rt_close(t); /* the follower takes the writer's log as its own */
	size_t len;
	char *all = lines_after(w.dir, RT_ROOM, 0, &len);
	char path[600];
	snprintf(path, sizeof path, "%s/rooms/%s.jsonl", t->dir, RT_ROOM);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(all, 1, len, f), len);
	fclose(f);
	free(all);
	open_following(t, true);
	assert_int_equal(room_head_seq(t->room), room_head_seq(w.room));

	rt_ok(&w, P1, "{\"type\":\"queue.raise\"}");
	int64_t entry = rt_result_int(&w, "entry");
	rt_ok(&w, CH, "{\"type\":\"queue.grant\",\"entry\":%lld}", (long long)entry);
	adopt_and_expect_mics(t, &w, "p-alice:1");
	assert_true(room_mic_open(t->room, rt_who(P1)->pid));
	rt_ok(&w, CH, "{\"type\":\"floor.end\"}");
	adopt_and_expect_mics(t, &w, "p-alice:0");
	/* Lines that change no mic tell none. */
	rt_attach(&w, P2);
	rt_ok(&w, P2, "{\"type\":\"queue.raise\"}");
	adopt_and_expect_mics(t, &w, "");
	rt_fini(&w);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(the_clock_of_a_follower_writes_nothing),
	    T(a_room_made_elsewhere_is_loaded_and_followed),
	    T(folded_lines_open_and_close_mics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
