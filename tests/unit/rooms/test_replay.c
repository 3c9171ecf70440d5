/*
 * The log is the room: a restart rebuilds every room from its log alone.
 *
 * A scripted meeting runs through most of what a room can do, stopping with things still
 * under way (a floor, a chair-ordered queue, an open hum and an anonymous poll); the
 * registry is closed and opened again on the same directory, and the snapshot -- runtime
 * fields aside -- and every record export must be what they were, byte for byte. Then what
 * a restart is allowed to forget (hum casts, anonymous ballots) is forgotten, and what it
 * must not (named ballots, CART counters, the grace period of everyone who was there) is
 * kept. A log whose chain was tampered with refuses to load its room and only that room;
 * a torn tail is cut with a warning; a log that verifies but does not fold is refused too.
 */
#include "rooms/test_helpers.h"

#include <signal.h>
#include <sys/resource.h>

#include "rooms/log.h"

static const enum room_export exports[] = {ROOM_EXPORT_JSON, ROOM_EXPORT_TEXT, ROOM_EXPORT_VTT,
					   ROOM_EXPORT_HTML, ROOM_EXPORT_POLLS};
#define N_EXPORTS (sizeof exports / sizeof exports[0])

struct docs {
	char *doc[N_EXPORTS];
	size_t len[N_EXPORTS];
	char *fr;
	size_t fr_len;
};

static void export_all(struct room *r, struct docs *d)
{
	for (size_t i = 0; i < N_EXPORTS; i++)
		assert_int_equal(room_export(r, exports[i], NULL, &d->doc[i], &d->len[i]), ROOM_OK);
	assert_int_equal(room_export(r, ROOM_EXPORT_VTT, "fr", &d->fr, &d->fr_len), ROOM_OK);
}

static void assert_same_docs(const struct docs *a, const struct docs *b)
{
	for (size_t i = 0; i < N_EXPORTS; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->doc[i], b->doc[i], a->len[i]);
	}
	assert_int_equal(a->fr_len, b->fr_len);
	assert_memory_equal(a->fr, b->fr, a->fr_len);
}

static void free_docs(struct docs *d)
{
	for (size_t i = 0; i < N_EXPORTS; i++)
		free(d->doc[i]);
	free(d->fr);
}

/* A morning's plenary, stopped with things still under way. */
static void meeting(struct rt *t)
{
	rt_live(t);
	rt_attach(t, CH2);
	rt_attach(t, OBS);
	t->now += 60000;
	rt_ok(t, CH,
	      "{\"type\":\"queue.policy\",\"policy\":\"groups_round_robin\",\"time_limit_s\":90,"
	      "\"auto_end\":true}");
	rt_raise(t, P1, NULL);
	rt_raise(t, P4, NULL);
	rt_raise(t, P2, "clarify");
	rt_raise(t, P6, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.add\",\"name\":\"Mic 1\",\"group\":\"technical\"}");
	t->now += 5000;
	rt_ok(t, CH, "{\"type\":\"queue.next\"}"); /* P2, clarify */
	rt_ok(
	    t, CAP,
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"A question: why?\",\"final\":true}");
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"fr\",\"text\":\"Une question.\",\"final\":true}");
	t->now += 20000;
	rt_ok(t, P2, "{\"type\":\"floor.end\"}");
	rt_ok(t, CH, "{\"type\":\"queue.next\"}"); /* P1 */
	rt_advance(t, 60000);			   /* the warning */
	rt_ok(t, CH, "{\"type\":\"floor.extend\",\"seconds\":30}");
	rt_advance(t, 70000); /* auto_end, reason time */
	rt_ok(t, CH,
	      "{\"type\":\"hum.start\",\"question\":\"Is there support?\",\"options\":[\"Yes\","
	      "\"No\"]}");
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P3, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	t->now += 30000;
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"Named?\",\"options\":[\"A\",\"B\",\"C\"],"
	      "\"anonymous\":false,\"multiple\":true}");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0,2]}");
	rt_ok(t, P5, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	t->now += 10000;
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Hands?\",\"show_of_hands\":true}");
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":2,\"choices\":[0]}");
	t->now += 10000;
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":2}");
	bool dup;
	const char *why;
	assert_int_equal(room_caption_post(t->room, rt_who(CAP), "en", 7, "Posted by CART.", 15,
					   t->now, &dup, &why),
			 ROOM_OK);
	rt_flush(t);
	rt_detach(t, P7, true);			    /* leaves */
	rt_detach(t, P5, false);		    /* drops, in grace at the restart */
	rt_ok(t, CH, "{\"type\":\"queue.close\"}"); /* closed */
	rt_raise(t, P3, "point_of_order");
	/* Still under way at the restart: a chair-ordered queue, a floor, a hum, a poll. */
	/* Round robin: the point of order first (a technical turn), then academia, which never
	 * spoke, then government before technical. Entries 6, 4, 2, 5. */
	RT_ASSERT_QUEUE(t, "p-chen p-farah p-dalia Mic 1");
	rt_ok(t, CH, "{\"type\":\"queue.move\",\"entry\":4,\"position\":0}");
	rt_ok(t, CH, "{\"type\":\"queue.grant\",\"entry\":5}"); /* Mic 1 */
	rt_ok(t, CH,
	      "{\"type\":\"hum.start\",\"question\":\"Second hum?\",\"options\":[\"Yes\","
	      "\"No\",\"Unsure\"]}");
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":2,\"option\":2}");
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"Anonymous?\",\"options\":[\"X\",\"Y\"]}");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":3,\"choices\":[1]}");
	rt_ok(t, P4, "{\"type\":\"poll.vote\",\"poll\":3,\"choices\":[0]}");
}

static void restart_rebuilds_the_same_room(void **state)
{
	struct rt *t = *state;
	meeting(t);
	json_t *before = room_snapshot(t->room);
	struct docs d1 = {0}, d2 = {0};
	export_all(t->room, &d1);
	int64_t head = room_head_seq(t->room);
	size_t len;
	char *log = rt_read_file(room_log_path(t->room), &len);
	assert_int_equal(rt_count_lines(log, len), (size_t)head);
	free(log);

	rt_reopen(t);
	assert_non_null(t->room);
	assert_int_equal(json_array_size(t->warnings), 0);
	assert_int_equal(room_head_seq(t->room), head);
	json_t *after = room_snapshot(t->room);
	rt_assert_same_snapshot(before, after);
	/* Nobody is connected after a restart. */
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(after, "participants"), i, p)
	    assert_false(json_is_true(json_object_get(p, "connected")));
	assert_int_equal(rt_int(after, "observers"), 0);
	/* What was under way still is. */
	assert_int_equal(rt_int(json_object_get(after, "hum"), "hum"), 2);
	json_t *f = json_object_get(json_object_get(after, "queue"), "floor");
	assert_string_equal(rt_str(f, "name"), "Mic 1");
	assert_string_equal(rt_str(f, "policy"), "chair");
	assert_false(json_is_true(json_object_get(json_object_get(after, "queue"), "open")));
	json_decref(before);
	json_decref(after);

	/* The record is a view of the log: the same bytes. */
	export_all(t->room, &d2);
	assert_same_docs(&d1, &d2);
	free_docs(&d1);
	free_docs(&d2);

	/* And a second restart changes nothing either. */
	before = room_snapshot(t->room);
	rt_reopen(t);
	after = room_snapshot(t->room);
	rt_assert_same_snapshot(before, after);
	json_decref(before);
	json_decref(after);
}

/* A restart forgets hum casts and anonymous ballots, and keeps the rest. */
static void open_hum_and_anonymous_poll_survive_without_casts(void **state)
{
	struct rt *t = *state;
	meeting(t);
	rt_reopen(t);
	rt_clear(t);
	for (int i = CH; i <= P4; i++)
		rt_attach(t, (enum rt_person)i);
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":2}");
	json_t *h = rt_last_event(t, "hum.ended");
	assert_int_equal(rt_int(h, "responded"), 0);
	assert_int_equal(rt_int(h, "eligible"), 6);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":3}");
	json_t *p = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(p, "voters"), 0);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(p, "counts"), 0)), 0);
}

/* Re-sent casts after the restart count as usual (the web client keeps its own). */
static void casts_resent_after_restart(void **state)
{
	struct rt *t = *state;
	meeting(t);
	rt_reopen(t);
	rt_attach(t, CH);
	rt_attach(t, P1);
	rt_attach(t, P4);
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":2,\"option\":2}");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":3,\"choices\":[1]}");
	rt_ok(t, P4, "{\"type\":\"poll.vote\",\"poll\":3,\"choices\":[0]}");
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":2}");
	assert_int_equal(rt_int(rt_last_event(t, "hum.ended"), "responded"), 1);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":3}");
	assert_int_equal(rt_int(rt_last_event(t, "poll.ended"), "voters"), 2);
}

/* A show of hands counts those who left unanswered as "not answered", after a restart too. */
static void not_answered_survives_restart(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Adopt?\",\"show_of_hands\":true}");
	rt_detach(t, P4, true);
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_advance(t, 1000);
	json_t *before = rt_last(t->lives, "poll.progress");
	json_int_t eligible = rt_int(before, "eligible");
	assert_true(eligible >= 8);
	rt_reopen(t);
	rt_attach(t, CH);
	rt_attach(t, P1);
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}"); /* re-sent */
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	json_t *e = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(e, "voters"), 1);
	assert_int_equal(rt_int(e, "eligible"), eligible);
	assert_int_equal(rt_int(e, "not_answered"), eligible - 1);
}

static void named_poll_keeps_its_ballots(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"Named\",\"options\":[\"A\",\"B\"],"
	      "\"anonymous\":false}");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	rt_ok(t, P2, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}");
	rt_ok(t, P3, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	rt_ok(t, P3, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[]}"); /* withdrawn */
	rt_reopen(t);
	rt_attach(t, CH);
	rt_clear(t);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	json_t *e = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(e, "voters"), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(e, "counts"), 0)), 2);
	json_t *ballots = json_object_get(e, "ballots");
	assert_int_equal(json_array_size(ballots), 2);
	assert_string_equal(rt_str(json_array_get(ballots, 0), "pid"), rt_pid(P1));
	assert_string_equal(rt_str(json_array_get(ballots, 1), "pid"), rt_pid(P2));
}

/* Everyone present at the restart gets their grace period from the time of loading. */
static void grace_restarts_from_loading(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	rt_raise(t, P2, NULL);
	t->now += 3600000; /* the server was down an hour */
	rt_reopen(t);
	rt_clear(t);
	rt_attach(t, CH);
	rt_attach(t, P2);
	rt_advance(t, RT_GRACE - 1);
	assert_int_equal(json_array_size(t->events), 0);
	rt_advance(t, 1);
	/* P1 held the floor and did not come back: floor.ended (left) then the departures. */
	assert_int_equal(rt_count(t->events, "floor.ended"), 1);
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "left");
	assert_int_equal(rt_count(t->events, "participant.left"), 7); /* P1, P3..P7, CAP */
	RT_ASSERT_QUEUE(t, "p-bruno");
}

/* The floor clock goes on after a restart: auto_end still ends an overdue floor. */
static void floor_clock_after_restart(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_ok(t, CH, "{\"type\":\"queue.policy\",\"time_limit_s\":60,\"auto_end\":true}");
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	t->now += 10000;
	rt_reopen(t);
	rt_clear(t);
	rt_attach(t, P1);
	rt_advance(t, 50000);
	assert_string_equal(rt_str(rt_last_event(t, "floor.ended"), "reason"), "time");
	assert_int_equal(rt_int(rt_last_event(t, "floor.ended"), "duration_ms"), 60000);
}

/* A flush that fails (here: the file may not grow, RLIMIT_FSIZE) rolls the room back to
 * what is durable -- and only that: what was never logged on purpose (hum casts,
 * anonymous ballots, who is eligible) belongs to the runtime and must outlive the rollback,
 * or every cast acknowledged so far would silently vanish. */
static void failed_flush_keeps_casts_and_ballots(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_ok(t, CH, "{\"type\":\"hum.start\",\"question\":\"Q\",\"options\":[\"a\",\"b\"]}");
	rt_ok(t, P1, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}");
	rt_ok(t, P2, "{\"type\":\"hum.cast\",\"hum\":1,\"option\":1}");
	rt_ok(t, CH,
	      "{\"type\":\"poll.start\",\"question\":\"P\",\"options\":[\"x\",\"y\"],"
	      "\"live_counts\":true}");
	rt_ok(t, P1, "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[1]}");
	json_t *before = room_snapshot(t->room);

	size_t len;
	free(rt_read_file(room_log_path(t->room), &len));
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)len;
	void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rt_clear(t);
	const char *why = NULL;
	json_t *result = NULL, *cmd = json_pack("{s:s}", "type", "queue.raise");
	assert_int_equal(
	    room_command(t->room, rt_who(P3), "queue.raise", cmd, t->now, &result, &why), ROOM_OK);
	json_decref(result);
	json_decref(cmd);
	rooms_flush(t->rs, NULL, NULL);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, was);
	assert_int_equal(json_array_size(t->durables), 1);
	assert_false(json_is_true(json_object_get(json_array_get(t->durables, 0), "ok")));

	/* Rolled back to what is durable: P3's hand never went up. */
	json_t *after = room_snapshot(t->room);
	rt_assert_json_equal(before, after, "the snapshot after a failed flush");
	json_decref(before);
	json_decref(after);
	t->last_seq = room_head_seq(t->room);

	/* The casts and the ballot are still there. */
	rt_ok(t, CH, "{\"type\":\"hum.end\",\"hum\":1}");
	json_t *h = rt_last_event(t, "hum.ended");
	assert_int_equal(rt_int(h, "responded"), 2);
	rt_ok(t, CH, "{\"type\":\"poll.end\",\"poll\":1}");
	json_t *p = rt_last_event(t, "poll.ended");
	assert_int_equal(rt_int(p, "voters"), 1);
	assert_int_equal(rt_int(p, "eligible"), 8);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(p, "counts"), 1)), 1);
}

/* --- broken logs --- */

static bool verifies(const char *path)
{
	FILE *null = fopen("/dev/null", "w");
	assert_non_null(null);
	bool ok = rooms_verify_file(path, null);
	fclose(null);
	return ok;
}

static void make_second_room(struct rt *t)
{
	struct room_settings s = {"second", "Second room",	    true,
				  false,    ROOM_VISIBILITY_PUBLIC, NULL};
	struct room *r = NULL;
	assert_int_equal(rooms_create(t->rs, &s, t->now, &r), ROOM_OK);
	struct room_identity who = *rt_who(P1);
	assert_int_equal(room_attach(r, &who, t->now), ROOM_OK);
	rt_flush(t);
}

static void tampered_log_refuses_only_its_room(void **state)
{
	struct rt *t = *state;
	make_second_room(t);
	rt_live(t);
	rt_raise(t, P1, NULL);
	char path[512];
	snprintf(path, sizeof path, "%s", room_log_path(t->room));
	rt_close(t);

	/* Change a name in line 3 (a participant.joined), keeping the JSON valid. */
	size_t len;
	char *log = rt_read_file(path, &len);
	char *at = strstr(log, "Alice Gov");
	assert_non_null(at);
	at[0] = 'E';
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(log, 1, len, f), len);
	fclose(f);

	rt_open(t);
	assert_null(t->room);
	assert_non_null(rooms_find(t->rs, "second"));
	assert_int_equal(rooms_count(t->rs), 1);
	assert_int_equal(json_array_size(t->warnings), 1);
	json_t *w = json_array_get(t->warnings, 0);
	assert_string_equal(rt_str(w, "room"), RT_ROOM);
	if (!strstr(rt_str(w, "what"), "refused to load: line 3"))
		fail_msg("warning: %s", rt_str(w, "what"));
	/* Never silently repaired, never adopted by a new room of the same id. */
	size_t len2;
	char *after = rt_read_file(path, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(after, log, len);
	free(after);
	struct room_settings s = {RT_ROOM, "Again", true, false, ROOM_VISIBILITY_PUBLIC, NULL};
	struct room *r = NULL;
	assert_int_equal(rooms_create(t->rs, &s, t->now, &r), ROOM_ECONFLICT);
	assert_false(verifies(path));
	free(log);
}

static void torn_tail_is_cut_with_a_warning(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_raise(t, P1, NULL);
	json_t *before = room_snapshot(t->room);
	char path[512];
	snprintf(path, sizeof path, "%s", room_log_path(t->room));
	size_t good_len;
	char *good = rt_read_file(path, &good_len);
	rt_close(t);
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	fputs("{\"data\":{\"entry\":2,\"kind\":\"speak\",\"loc", f); /* a crash mid-write */
	fclose(f);
	rt_open(t);
	assert_non_null(t->room);
	assert_int_equal(json_array_size(t->warnings), 1);
	assert_non_null(strstr(rt_str(json_array_get(t->warnings, 0), "what"), "torn"));
	json_t *after = room_snapshot(t->room);
	rt_assert_same_snapshot(before, after);
	json_decref(before);
	json_decref(after);
	size_t len;
	char *now = rt_read_file(path, &len);
	assert_int_equal(len, good_len);
	assert_memory_equal(now, good, len);
	free(now);
	free(good);
	/* The chain goes on from the last good line. */
	rt_attach(t, P2);
	rt_ok(t, P2, "{\"type\":\"queue.raise\"}");
	rt_reopen(t);
	assert_non_null(t->room);
	RT_ASSERT_QUEUE(t, "p-alice p-bruno");
}

/* A log whose chain verifies but whose events do not fit the room is refused, naming the
 * line, rather than folded into a guess. */
static void log_that_does_not_fold_is_refused(void **state)
{
	struct rt *t = *state;
	rt_close(t);
	char path[512];
	snprintf(path, sizeof path, "%s/rooms/bad-fold.jsonl", t->dir);
	static const struct {
		const char *kind, *data;
	} events[] = {
	    {"room.created", "{\"id\":\"bad-fold\",\"title\":\"T\"}"},
	    {"session.started", "{\"title\":\"T\"}"},
	    {"queue.removed", "{\"entry\":42}"}, /* no such entry */
	};
	struct log_file *lf = NULL;
	assert_int_equal(log_file_open(path, NULL, NULL, NULL, &lf, NULL), LOG_OK);
	for (size_t i = 0; i < 3; i++) {
		json_t *data = json_loads(events[i].data, 0, NULL);
		assert_int_equal(log_file_append(lf, events[i].kind, data, T0, NULL, NULL), LOG_OK);
		json_decref(data);
	}
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
	assert_true(verifies(path));
	rt_open(t);
	assert_non_null(t->room);
	assert_null(rooms_find(t->rs, "bad-fold"));
	assert_int_equal(json_array_size(t->warnings), 1);
	/* Which line, and why: not that it is bad JSON, but that the room cannot take it. */
	assert_string_equal(rt_str(json_array_get(t->warnings, 0), "what"),
			    "refused to load: line 3: queue.removed does not fit the room's state");
}

/* A log whose first event is for another room id is not that room. */
static void log_of_another_room_is_refused(void **state)
{
	struct rt *t = *state;
	rt_close(t);
	char from[512], to[512];
	snprintf(from, sizeof from, "%s/rooms/%s.jsonl", t->dir, RT_ROOM);
	snprintf(to, sizeof to, "%s/rooms/copy.jsonl", t->dir);
	assert_int_equal(link(from, to), 0);
	rt_open(t);
	assert_non_null(t->room);
	assert_null(rooms_find(t->rs, "copy"));
	assert_int_equal(json_array_size(t->warnings), 1);
	assert_string_equal(rt_str(json_array_get(t->warnings, 0), "what"),
			    "refused to load: line 1: room.created does not fit the room's state");
}

/* Writes a one-line log whose room.created data is data, for a room named id. */
static void write_created(struct rt *t, const char *id, const char *data)
{
	char path[512];
	snprintf(path, sizeof path, "%s/rooms/%s.jsonl", t->dir, id);
	struct log_file *lf = NULL;
	assert_int_equal(log_file_open(path, NULL, NULL, NULL, &lf, NULL), LOG_OK);
	json_t *d = json_loads(data, 0, NULL);
	assert_non_null(d);
	assert_int_equal(log_file_append(lf, "room.created", d, T0, NULL, NULL), LOG_OK);
	json_decref(d);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
}

/* Visibility is part of the room's definition: a private room is private after a
 * restart, a log from before visibility existed is public, and a value the server does
 * not know refuses the room rather than guessing (public would be the unsafe guess). */
static void visibility_survives_restart(void **state)
{
	struct rt *t = *state;
	struct room_settings s = {"closed", "Closed", true, false, ROOM_VISIBILITY_PRIVATE, NULL};
	struct room *r = NULL;
	assert_int_equal(rooms_create(t->rs, &s, t->now, &r), ROOM_OK);
	assert_int_equal(room_visibility(r), ROOM_VISIBILITY_PRIVATE);
	assert_int_equal(room_visibility(t->room), ROOM_VISIBILITY_PUBLIC);
	rt_close(t);
	write_created(t, "old", "{\"id\":\"old\",\"title\":\"Old\"}");
	write_created(t, "odd", "{\"id\":\"odd\",\"title\":\"O\",\"visibility\":\"secret\"}");
	rt_open(t);
	r = rooms_find(t->rs, "closed");
	assert_non_null(r);
	assert_int_equal(room_visibility(r), ROOM_VISIBILITY_PRIVATE);
	assert_int_equal(room_visibility(t->room), ROOM_VISIBILITY_PUBLIC);
	assert_non_null(rooms_find(t->rs, "old"));
	assert_int_equal(room_visibility(rooms_find(t->rs, "old")), ROOM_VISIBILITY_PUBLIC);
	assert_null(rooms_find(t->rs, "odd"));
	json_t *sum = room_summary(r);
	assert_string_equal(rt_str(sum, "visibility"), "private");
	json_decref(sum);
	json_t *snap = room_snapshot(r);
	assert_string_equal(rt_str(json_object_get(snap, "room"), "visibility"), "private");
	json_decref(snap);
}

/* Files in the rooms directory that are not logs of a valid room id are left alone. */
static void stray_files_are_ignored(void **state)
{
	struct rt *t = *state;
	rt_close(t);
	const char *names[] = {"Upper.jsonl", "x.json", ".jsonl", "a b.jsonl", "notes.txt"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/rooms/%s", t->dir, names[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs("garbage\n", f);
		fclose(f);
	}
	rt_open(t);
	assert_non_null(t->room);
	assert_int_equal(rooms_count(t->rs), 1);
	assert_int_equal(json_array_size(t->warnings), 0);
}

/* Resume: every durable event after since, in order, as the wire had it. */
static bool collect(void *ctx, const char *msg, size_t len)
{
	json_array_append_new(ctx, json_loadb(msg, len, 0, NULL));
	return false;
}

static void replay_since_gives_the_wire_messages(void **state)
{
	struct rt *t = *state;
	rt_live(t);
	rt_raise(t, P1, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	json_t *got = json_array();
	int64_t head = room_head_seq(t->room);
	assert_true(room_replay_since(t->room, head - 3, collect, got));
	assert_int_equal(json_array_size(got), 3);
	for (size_t i = 0; i < 3; i++)
		rt_assert_json_equal(json_array_get(t->events, json_array_size(t->events) - 3 + i),
				     json_array_get(got, i), "replayed event");
	json_array_clear(got);
	assert_true(room_replay_since(t->room, head, collect, got));
	assert_int_equal(json_array_size(got), 0);
	assert_false(room_replay_since(t->room, head + 1, collect, got));
	assert_false(room_replay_since(t->room, -1, collect, got));
	json_decref(got);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(restart_rebuilds_the_same_room),
	    T(open_hum_and_anonymous_poll_survive_without_casts),
	    T(casts_resent_after_restart),
	    T(not_answered_survives_restart),
	    T(named_poll_keeps_its_ballots),
	    T(grace_restarts_from_loading),
	    T(floor_clock_after_restart),
	    T(failed_flush_keeps_casts_and_ballots),
	    T(tampered_log_refuses_only_its_room),
	    T(torn_tail_is_cut_with_a_warning),
	    T(log_that_does_not_fold_is_refused),
	    T(log_of_another_room_is_refused),
	    T(stray_files_are_ignored),
	    T(visibility_survives_restart),
	    T(replay_since_gives_the_wire_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
