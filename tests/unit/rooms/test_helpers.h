/*
 * rooms/test_helpers.h -- a header-only harness for the room tests: rooms driven through
 * rooms.h alone, with no sockets and a fake clock.
 *
 * Each test gets its own data directory (under /dev/shm when it exists, so the thousands
 * of fdatasyncs a randomized test makes cost nothing; PLENARY_TEST_TMP overrides), a
 * registry opened on it with a sink that records everything the rooms tell the host --
 * events, live and private messages, mic gates, durability -- as parsed JSON, and one room
 * under test. Commands are written as JSON text, run through room_command() and flushed
 * at once, like one loop turn of the gateway.
 *
 * rt_fail() is the property "bad input gets a clear error and changes nothing" (DESIGN.md
 * principle 6) in one call: it checks the error code and that the snapshot, the head, the
 * log file's bytes and the messages sent are exactly as before.
 *
 * The snapshot helpers drop what is runtime only (participants[].connected, observers,
 * presence) so that a room rebuilt from its log can be compared with the one that wrote it.
 */
#ifndef PLENARY_TEST_ROOMS_HELPERS_H
#define PLENARY_TEST_ROOMS_HELPERS_H

/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rooms/rooms.h"

#define T0	 INT64_C(1795341600000) /* 2026-11-22T10:00:00.000Z */
#define RT_ROOM	 "plenary-1"
#define RT_GRACE INT64_C(20000)

/* --- the cast: who takes part in the tests --- */

enum rt_person {
	CH,  /* chair */
	CH2, /* a second chair */
	P1,  /* participants: P1..P6 in four groups, P6 in the room */
	P2,
	P3,
	P4,
	P5,
	P6,
	P7, /* no group */
	CAP,
	OBS,
	VEN,	/* the room's sound desk */
	INT_FR, /* interpreters: two for the French booth, one for the Spanish */
	INT_FR2,
	INT_ES,
	RT_CAST
};

static inline const struct room_identity *rt_who(enum rt_person i)
{
	static const struct room_identity cast[RT_CAST] = {
	    [CH] = {"chair-ana", "Ana Chair", ROOM_ROLE_CHAIR, "", false, NULL},
	    [CH2] = {"chair-bo", "Bo Cochair", ROOM_ROLE_CHAIR, "technical", true, NULL},
	    [P1] = {"p-alice", "Alice Gov", ROOM_ROLE_PARTICIPANT, "government", false, NULL},
	    [P2] = {"p-bruno", "Bruno Civ", ROOM_ROLE_PARTICIPANT, "civil_society", false, NULL},
	    [P3] = {"p-chen", "Chen Tech", ROOM_ROLE_PARTICIPANT, "technical", false, NULL},
	    [P4] = {"p-dalia", "Dalia Gov", ROOM_ROLE_PARTICIPANT, "government", false, NULL},
	    [P5] = {"p-emeka", "Emeka Civ", ROOM_ROLE_PARTICIPANT, "civil_society", false, NULL},
	    [P6] = {"p-farah", "Farah Acad", ROOM_ROLE_PARTICIPANT, "academia", true, NULL},
	    [P7] = {"p-gus", "Gus Nogroup", ROOM_ROLE_PARTICIPANT, "", false, NULL},
	    [CAP] = {"cap-kim", "Kim Cart", ROOM_ROLE_CAPTIONER, "", false, NULL},
	    [OBS] = {"obs-1", "Watcher", ROOM_ROLE_OBSERVER, "", false, NULL},
	    [VEN] = {"venue-desk", "Room sound", ROOM_ROLE_VENUE, "", true, NULL},
	    [INT_FR] = {"int-fr-1", "Odile Booth", ROOM_ROLE_INTERPRETER, "", false, "fr"},
	    [INT_FR2] = {"int-fr-2", "Paul Booth", ROOM_ROLE_INTERPRETER, "", false, "fr"},
	    [INT_ES] = {"int-es-1", "Sol Cabina", ROOM_ROLE_INTERPRETER, "", false, "es"},
	};
	return &cast[i];
}

/* --- the harness --- */

struct rt {
	char dir[256];
	struct rooms *rs;
	struct room *room; /* the room under test (RT_ROOM) */
	int64_t now;	   /* the fake clock */
	int64_t grace_ms;
	int64_t last_seq; /* the last event seq the sink saw, to check there is no gap */
	/* What the sink was told, in order, as parsed JSON. */
	json_t *events;	  /* the wire messages {"type":"event",...} */
	json_t *lives;	  /* {"type":"live",...} */
	json_t *privates; /* {"pid":s|null,"role":s,"kind":s,"data":{...}} */
	json_t *mics;	  /* {"pid":s,"open":b} */
	json_t *durables; /* {"room":s,"ok":b} */
	json_t *warnings; /* {"room":s,"what":s} (load warnings) */
	/* The last command's outcome. */
	enum room_err err;
	json_t *result; /* the ack's fields (owned), NULL on error */
	char message[256];
	char text[16384]; /* the last command as run */
	/* A replica (rooms_sink.replicate) when replica is set: takes every batch, records
	 * its lines in replicated and answers wait calls with replica_ok. */
	bool replica;
	bool replica_ok;
	json_t *replicated;	     /* {"first":I,"lines":s,"wait":b} */
	const struct log_io *log_io; /* the log files' system calls (NULL: the real ones) */
};

static inline json_t *rt_parse(const char *msg, size_t len)
{
	json_error_t jerr;
	json_t *v = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		fail_msg("the sink got invalid JSON (%s): %.*s", jerr.text, (int)len, msg);
	return v;
}

static inline void rt_sink_event(void *ctx, struct room *room, int64_t seq, const char *msg,
				 size_t len)
{
	struct rt *t = ctx;
	json_t *v = rt_parse(msg, len);
	if (room == t->room) {
		if (seq != t->last_seq + 1)
			fail_msg("event seq %lld after %lld: a gap", (long long)seq,
				 (long long)t->last_seq);
		t->last_seq = seq;
	}
	if (json_integer_value(json_object_get(v, "seq")) != seq ||
	    strcmp(json_string_value(json_object_get(v, "type")), "event") != 0 ||
	    !json_is_string(json_object_get(v, "ts")) ||
	    !json_is_string(json_object_get(v, "kind")) ||
	    !json_is_object(json_object_get(v, "data")) ||
	    strlen(json_string_value(json_object_get(v, "hash"))) != 64)
		fail_msg("malformed event message: %.*s", (int)len, msg);
	json_array_append_new(t->events, v);
}

static inline void rt_sink_live(void *ctx, struct room *room, const char *msg, size_t len)
{
	struct rt *t = ctx;
	(void)room;
	json_t *v = rt_parse(msg, len);
	if (strcmp(json_string_value(json_object_get(v, "type")), "live") != 0 ||
	    json_object_get(v, "seq"))
		fail_msg("malformed live message: %.*s", (int)len, msg);
	json_array_append_new(t->lives, v);
}

static inline void rt_sink_private(void *ctx, struct room *room, const char *pid,
				   enum room_role role, const char *msg, size_t len)
{
	struct rt *t = ctx;
	(void)room;
	json_t *v = rt_parse(msg, len);
	if (strcmp(json_string_value(json_object_get(v, "type")), "private") != 0 ||
	    json_object_get(v, "seq"))
		fail_msg("malformed private message: %.*s", (int)len, msg);
	json_array_append_new(
	    t->privates, json_pack("{s:o,s:s,s:O,s:O}", "pid", pid ? json_string(pid) : json_null(),
				   "role", room_role_name(role), "kind", json_object_get(v, "kind"),
				   "data", json_object_get(v, "data")));
	json_decref(v);
}

static inline void rt_sink_mic(void *ctx, struct room *room, const char *pid, bool open)
{
	struct rt *t = ctx;
	(void)room;
	json_array_append_new(t->mics, json_pack("{s:s,s:b}", "pid", pid, "open", open));
}

static inline void rt_sink_durable(void *ctx, struct room *room, bool ok)
{
	struct rt *t = ctx;
	json_array_append_new(t->durables, json_pack("{s:s,s:b}", "room", room_id(room), "ok", ok));
}

static inline bool rt_sink_replicate(void *ctx, struct room *room, int64_t first_seq,
				     const char *lines, size_t len, bool wait)
{
	struct rt *t = ctx;
	(void)room;
	if (!t->replicated)
		t->replicated = json_array();
	json_array_append_new(t->replicated,
			      json_pack("{s:I,s:s%,s:b}", "first", (json_int_t)first_seq, "lines",
					lines, len, "wait", wait));
	return wait ? t->replica_ok : true;
}

static inline void rt_warn(void *ctx, const char *room, const char *what)
{
	struct rt *t = ctx;
	json_array_append_new(t->warnings, json_pack("{s:s,s:s}", "room", room, "what", what));
}

static inline void rt_clear(struct rt *t)
{
	json_array_clear(t->events);
	json_array_clear(t->lives);
	json_array_clear(t->privates);
	json_array_clear(t->mics);
	json_array_clear(t->durables);
	json_array_clear(t->warnings);
}

/* Opens the registry on t->dir (the room under test, if it loaded, in t->room). */
static inline void rt_open(struct rt *t)
{
	struct rooms_sink sink = {t,	       rt_sink_event,	rt_sink_live, rt_sink_private,
				  rt_sink_mic, rt_sink_durable, NULL};
	if (t->replica)
		sink.replicate = rt_sink_replicate;
	struct rooms_options opt = {.data_dir = t->dir,
				    .grace_ms = t->grace_ms,
				    .now_ms = t->now,
				    .warn = rt_warn,
				    .warn_ctx = t,
				    .log_io = t->log_io};
	char err[256] = "";
	assert_int_equal(rooms_open(&opt, &sink, &t->rs, err, sizeof err), ROOM_OK);
	t->room = rooms_find(t->rs, RT_ROOM);
	t->last_seq = t->room ? room_head_seq(t->room) : 0;
}

static inline void rt_close(struct rt *t)
{
	rooms_close(t->rs);
	t->rs = NULL;
	t->room = NULL;
}

/* A restart: close the registry and open it again on the same directory. */
static inline void rt_reopen(struct rt *t)
{
	rt_close(t);
	rt_open(t);
}

static inline const char *rt_tmp_base(void)
{
	const char *env = getenv("PLENARY_TEST_TMP");
	if (env && env[0])
		return env;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* A fresh data directory and registry, and the room under test created and durable. */
static inline void rt_init_settings(struct rt *t, bool public_observers, bool reveal_hum_counts)
{
	memset(t, 0, sizeof *t);
	snprintf(t->dir, sizeof t->dir, "%s/plenary-rtest-XXXXXX", rt_tmp_base());
	assert_non_null(mkdtemp(t->dir));
	t->now = T0;
	t->grace_ms = RT_GRACE;
	t->events = json_array();
	t->lives = json_array();
	t->privates = json_array();
	t->mics = json_array();
	t->durables = json_array();
	t->warnings = json_array();
	rt_open(t);
	struct room_settings s = {RT_ROOM,	     "Opening plenary",	     public_observers,
				  reveal_hum_counts, ROOM_VISIBILITY_PUBLIC, NULL};
	assert_int_equal(rooms_create(t->rs, &s, t->now, &t->room), ROOM_OK);
	assert_non_null(t->room);
	assert_int_equal(room_head_seq(t->room), 1);
	t->last_seq = 1;
	rt_clear(t);
}

static inline void rt_init(struct rt *t)
{
	rt_init_settings(t, true, false);
}

static inline int rt_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void rt_fini(struct rt *t)
{
	if (t->rs)
		rt_close(t);
	json_decref(t->result);
	t->result = NULL;
	json_decref(t->events);
	json_decref(t->lives);
	json_decref(t->privates);
	json_decref(t->mics);
	json_decref(t->durables);
	json_decref(t->warnings);
	json_decref(t->replicated);
	if (t->dir[0])
		nftw(t->dir, rt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	t->dir[0] = '\0';
}

/* cmocka fixtures: *state is a struct rt. */
static inline int rt_setup(void **state)
{
	struct rt *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	rt_init(t);
	*state = t;
	return 0;
}

static inline int rt_teardown(void **state)
{
	struct rt *t = *state;
	rt_fini(t);
	free(t);
	return 0;
}

/* The end of a loop turn. */
static inline void rt_flush(struct rt *t)
{
	rooms_flush(t->rs, NULL, NULL);
	assert_false(rooms_dirty(t->rs));
}

/* The clock moves on by ms: timers due run, then the turn ends. */
static inline void rt_advance(struct rt *t, int64_t ms)
{
	t->now += ms;
	rooms_tick(t->rs, t->now);
	rt_flush(t);
}

static inline void rt_attach(struct rt *t, enum rt_person who)
{
	assert_int_equal(room_attach(t->room, rt_who(who), t->now), ROOM_OK);
	rt_flush(t);
}

static inline void rt_detach(struct rt *t, enum rt_person who, bool leave)
{
	room_detach(t->room, rt_who(who), leave, t->now);
	rt_flush(t);
}

/* Runs a command given as a JSON object: room_command() then the flush. */
static inline enum room_err rt_run_json(struct rt *t, const struct room_identity *who, json_t *cmd)
{
	json_decref(t->result);
	t->result = NULL;
	t->message[0] = '\0';
	const char *type = json_string_value(json_object_get(cmd, "type"));
	const char *message = NULL;
	t->err = room_command(t->room, who, type ? type : "", cmd, t->now, &t->result, &message);
	if (message)
		snprintf(t->message, sizeof t->message, "%s", message);
	if (t->err == ROOM_OK)
		assert_non_null(t->result);
	else
		assert_null(t->result);
	rt_flush(t);
	return t->err;
}

/* Runs a command written as printf-style JSON text. */
static inline enum room_err rt_vrun(struct rt *t, const struct room_identity *who, const char *fmt,
				    va_list ap)
{
	vsnprintf(t->text, sizeof t->text, fmt, ap);
	json_error_t jerr;
	json_t *cmd = json_loads(t->text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!cmd)
		fail_msg("test bug: bad JSON %s (%s)", t->text, jerr.text);
	enum room_err err = rt_run_json(t, who, cmd);
	json_decref(cmd);
	return err;
}

static inline enum room_err rt_run(struct rt *t, enum rt_person who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline enum room_err rt_run(struct rt *t, enum rt_person who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum room_err err = rt_vrun(t, rt_who(who), fmt, ap);
	va_end(ap);
	return err;
}

/* Asserts the command succeeds; returns the ack's fields (borrowed until the next run). */
static inline json_t *rt_ok(struct rt *t, enum rt_person who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline json_t *rt_ok(struct rt *t, enum rt_person who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum room_err err = rt_vrun(t, rt_who(who), fmt, ap);
	va_end(ap);
	if (err != ROOM_OK)
		fail_msg("%.300s: %s (%s)", t->text, room_err_code(err), t->message);
	return t->result;
}

/* The same, as anyone (people made up by a test rather than from the cast). */
static inline enum room_err rt_run_as(struct rt *t, const struct room_identity *who,
				      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline enum room_err rt_run_as(struct rt *t, const struct room_identity *who,
				      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum room_err err = rt_vrun(t, who, fmt, ap);
	va_end(ap);
	return err;
}

static inline json_t *rt_ok_as(struct rt *t, const struct room_identity *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline json_t *rt_ok_as(struct rt *t, const struct room_identity *who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum room_err err = rt_vrun(t, who, fmt, ap);
	va_end(ap);
	if (err != ROOM_OK)
		fail_msg("%.300s as %s: %s (%s)", t->text, who->pid, room_err_code(err),
			 t->message);
	return t->result;
}

/* The ack's integer field key of the last command. */
static inline int64_t rt_result_int(struct rt *t, const char *key)
{
	json_t *v = json_object_get(t->result, key);
	if (!json_is_integer(v))
		fail_msg("the ack has no integer '%s'", key);
	return json_integer_value(v);
}

/* --- files --- */

static inline char *rt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*len = 0;
		return NULL;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static inline size_t rt_count_lines(const char *buf, size_t len)
{
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	return lines;
}

/* --- snapshots --- */

/* The snapshot without what is runtime only: participants[].connected, observers,
 * presence, and mics (a chair's open mic needs a connection). A new reference. */
static inline json_t *rt_stable(json_t *snapshot)
{
	json_t *s = json_deep_copy(snapshot);
	json_object_del(s, "observers");
	json_object_del(s, "mics");
	json_object_del(s, "presence");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(s, "participants"), i, p)
	{
		json_object_del(p, "connected");
		json_object_del(p, "mic"); /* runtime: mic.status */
	}
	return s;
}

static inline json_t *rt_stable_snapshot(const struct room *r)
{
	json_t *snap = room_snapshot(r);
	assert_non_null(snap);
	json_t *s = rt_stable(snap);
	json_decref(snap);
	return s;
}

static inline void rt_assert_json_equal(json_t *want, json_t *got, const char *what)
{
	if (json_equal(want, got))
		return;
	char *a = json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS);
	char *b = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
	print_error("%s differ\n--- want\n%s\n--- got\n%s\n", what, a, b);
	free(a);
	free(b);
	fail();
}

/* Compares two snapshots ignoring the runtime-only fields. */
static inline void rt_assert_same_snapshot(json_t *want, json_t *got)
{
	json_t *a = rt_stable(want), *b = rt_stable(got);
	rt_assert_json_equal(a, b, "snapshots");
	json_decref(a);
	json_decref(b);
}

/* --- "nothing changes" --- */

struct rt_state {
	json_t *snapshot; /* the whole snapshot, runtime fields included */
	int64_t head;
	char *log;
	size_t log_len;
	size_t events, lives, privates, mics;
};

static inline void rt_capture(struct rt *t, struct rt_state *s)
{
	s->snapshot = room_snapshot(t->room);
	s->head = room_head_seq(t->room);
	s->log = rt_read_file(room_log_path(t->room), &s->log_len);
	s->events = json_array_size(t->events);
	s->lives = json_array_size(t->lives);
	s->privates = json_array_size(t->privates);
	s->mics = json_array_size(t->mics);
}

static inline void rt_release(struct rt_state *s)
{
	json_decref(s->snapshot);
	free(s->log);
	memset(s, 0, sizeof *s);
}

static inline void rt_assert_unchanged(struct rt *t, struct rt_state *before, const char *what)
{
	struct rt_state after;
	rt_capture(t, &after);
	if (after.head != before->head)
		fail_msg("%s: head moved from %lld to %lld", what, (long long)before->head,
			 (long long)after.head);
	rt_assert_json_equal(before->snapshot, after.snapshot, what);
	if (after.log_len != before->log_len || memcmp(after.log, before->log, after.log_len) != 0)
		fail_msg("%s: the log file changed", what);
	if (after.events != before->events || after.lives != before->lives ||
	    after.privates != before->privates || after.mics != before->mics)
		fail_msg("%s: messages were sent", what);
	rt_release(&after);
}

/* Asserts the command fails with want and changes nothing at all. */
static inline void rt_vfail(struct rt *t, const struct room_identity *who, enum room_err want,
			    const char *fmt, va_list ap)
{
	struct rt_state before;
	rt_capture(t, &before);
	enum room_err err = rt_vrun(t, who, fmt, ap);
	if (err != want)
		fail_msg("%.300s: got %s (%s), expected %s", t->text, room_err_code(err),
			 t->message, room_err_code(want));
	if (!t->message[0])
		fail_msg("%.300s: %s without a message", t->text, room_err_code(err));
	rt_assert_unchanged(t, &before, t->text);
	rt_release(&before);
}

static inline void rt_fail(struct rt *t, enum rt_person who, enum room_err want, const char *fmt,
			   ...) __attribute__((format(printf, 4, 5)));
static inline void rt_fail(struct rt *t, enum rt_person who, enum room_err want, const char *fmt,
			   ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vfail(t, rt_who(who), want, fmt, ap);
	va_end(ap);
}

static inline void rt_fail_as(struct rt *t, const struct room_identity *who, enum room_err want,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static inline void rt_fail_as(struct rt *t, const struct room_identity *who, enum room_err want,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vfail(t, who, want, fmt, ap);
	va_end(ap);
}

/* A crowd of made-up participants: crowd[i] has pid "crowd-<i>" and a group of its own
 * kind (groups[i % n_groups]). The strings live in the crowd. */
#define RT_CROWD_MAX 64
struct rt_crowd {
	struct room_identity who[RT_CROWD_MAX];
	char pid[RT_CROWD_MAX][32];
	char name[RT_CROWD_MAX][32];
};

static inline void rt_crowd_init(struct rt_crowd *c, const char *const *groups, size_t n_groups)
{
	for (int i = 0; i < RT_CROWD_MAX; i++) {
		snprintf(c->pid[i], sizeof c->pid[i], "crowd-%02d", i);
		snprintf(c->name[i], sizeof c->name[i], "Person %02d", i);
		c->who[i] = (struct room_identity){c->pid[i],
						   c->name[i],
						   ROOM_ROLE_PARTICIPANT,
						   n_groups ? groups[(size_t)i % n_groups] : "",
						   false,
						   NULL};
	}
}

static inline void rt_attach_as(struct rt *t, const struct room_identity *who)
{
	assert_int_equal(room_attach(t->room, who, t->now), ROOM_OK);
	rt_flush(t);
}

/* --- reading what was sent --- */

/* How many events of this kind the sink got (kind NULL: all). */
static inline size_t rt_count(const json_t *list, const char *kind)
{
	size_t n = 0, i;
	json_t *m;
	json_array_foreach(list, i, m)
	{
		const char *k = json_string_value(json_object_get(m, "kind"));
		n += !kind || (k && strcmp(k, kind) == 0);
	}
	return n;
}

/* The data of the last message of this kind in list (borrowed), or fails. */
static inline json_t *rt_last(const json_t *list, const char *kind)
{
	for (size_t i = json_array_size(list); i-- > 0;) {
		json_t *m = json_array_get(list, i);
		const char *k = json_string_value(json_object_get(m, "kind"));
		if (k && strcmp(k, kind) == 0)
			return json_object_get(m, "data");
	}
	fail_msg("no message of kind %s", kind);
	return NULL;
}

static inline json_t *rt_last_event(struct rt *t, const char *kind)
{
	return rt_last(t->events, kind);
}

/* The kinds of the events since index from, joined by spaces, into buf. */
static inline const char *rt_kinds_from(struct rt *t, size_t from, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = from; i < json_array_size(t->events); i++) {
		const char *k =
		    json_string_value(json_object_get(json_array_get(t->events, i), "kind"));
		int n = snprintf(buf + used, cap - used, "%s%s", used ? " " : "", k);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

#define RT_ASSERT_KINDS(t, from, want)                                                             \
	do {                                                                                       \
		char kinds_[1024];                                                                 \
		assert_string_equal(rt_kinds_from((t), (from), kinds_, sizeof kinds_), (want));    \
	} while (0)

/* Common field reads. */
static inline int64_t rt_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("no integer '%s'", key);
	return json_integer_value(v);
}

static inline const char *rt_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		fail_msg("no string '%s'", key);
	return json_string_value(v);
}

/* --- common scenes --- */

/* Attaches everyone in the cast but CH2 and the venue, and starts the session. */
static inline void rt_live(struct rt *t)
{
	for (int i = CH; i < INT_FR; i++) /* interpreters join where a test wants them */
		if (i != CH2 && i != VEN)
			rt_attach(t, (enum rt_person)i);
	rt_ok(t, CH, "{\"type\":\"session.start\",\"title\":\"Day 1\"}");
}

/* pid of a cast member, for JSON text. */
static inline const char *rt_pid(enum rt_person who)
{
	return rt_who(who)->pid;
}

/* Raises who's hand (kind speak unless given); returns the entry id. */
static inline int64_t rt_raise(struct rt *t, enum rt_person who, const char *kind)
{
	if (kind)
		rt_ok(t, who, "{\"type\":\"queue.raise\",\"kind\":\"%s\"}", kind);
	else
		rt_ok(t, who, "{\"type\":\"queue.raise\"}");
	return rt_result_int(t, "entry");
}

/* The snapshot's queue entries as a list of pids (names for pid null), space separated. */
static inline const char *rt_queue_pids(struct rt *t, char *buf, size_t cap)
{
	json_t *snap = room_snapshot(t->room);
	size_t used = 0, i;
	json_t *e;
	buf[0] = '\0';
	json_array_foreach(json_object_get(json_object_get(snap, "queue"), "entries"), i, e)
	{
		json_t *pid = json_object_get(e, "pid");
		const char *s = json_is_string(pid) ? json_string_value(pid) : rt_str(e, "name");
		int n = snprintf(buf + used, cap - used, "%s%s", used ? " " : "", s);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
	json_decref(snap);
	return buf;
}

#define RT_ASSERT_QUEUE(t, want)                                                                   \
	do {                                                                                       \
		char q_[1024];                                                                     \
		assert_string_equal(rt_queue_pids((t), q_, sizeof q_), (want));                    \
	} while (0)

/* The snapshot's floor (a new reference; JSON null when nobody holds it). */
static inline json_t *rt_floor(struct rt *t)
{
	json_t *snap = room_snapshot(t->room);
	json_t *f = json_incref(json_object_get(json_object_get(snap, "queue"), "floor"));
	json_decref(snap);
	return f;
}

#endif
