/*
 * rooms/helpers.c -- the room tests' harness (test_helpers.h says what it is for): the
 * cast, the sink, opening and closing the room, running commands. What the tests check
 * with (files, snapshots, "nothing changes", what was sent, common scenes) is in
 * helpers_check.c.
 */
#include "test_helpers.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct room_identity *rt_who(enum rt_person i)
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

json_t *rt_parse(const char *msg, size_t len)
{
	json_error_t jerr;
	json_t *v = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		fail_msg("the sink got invalid JSON (%s): %.*s", jerr.text, (int)len, msg);
	return v;
}

void rt_sink_event(void *ctx, struct room *room, int64_t seq, const char *msg, size_t len)
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

void rt_sink_live(void *ctx, struct room *room, const char *msg, size_t len)
{
	struct rt *t = ctx;
	(void)room;
	json_t *v = rt_parse(msg, len);
	if (strcmp(json_string_value(json_object_get(v, "type")), "live") != 0 ||
	    json_object_get(v, "seq"))
		fail_msg("malformed live message: %.*s", (int)len, msg);
	json_array_append_new(t->lives, v);
}

void rt_sink_private(void *ctx, struct room *room, const char *pid, enum room_role role,
		     const char *msg, size_t len)
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

void rt_sink_mic(void *ctx, struct room *room, const char *pid, bool open)
{
	struct rt *t = ctx;
	(void)room;
	json_array_append_new(t->mics, json_pack("{s:s,s:b}", "pid", pid, "open", open));
}

void rt_sink_durable(void *ctx, struct room *room, bool ok)
{
	struct rt *t = ctx;
	json_array_append_new(t->durables, json_pack("{s:s,s:b}", "room", room_id(room), "ok", ok));
}

bool rt_sink_replicate(void *ctx, struct room *room, int64_t first_seq, const char *lines,
		       size_t len, bool wait)
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

void rt_warn(void *ctx, const char *room, const char *what)
{
	struct rt *t = ctx;
	json_array_append_new(t->warnings, json_pack("{s:s,s:s}", "room", room, "what", what));
}

void rt_clear(struct rt *t)
{
	json_array_clear(t->events);
	json_array_clear(t->lives);
	json_array_clear(t->privates);
	json_array_clear(t->mics);
	json_array_clear(t->durables);
	json_array_clear(t->warnings);
}

void rt_open(struct rt *t)
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

void rt_close(struct rt *t)
{
	rooms_close(t->rs);
	t->rs = NULL;
	t->room = NULL;
}

void rt_reopen(struct rt *t)
{
	rt_close(t);
	rt_open(t);
}

const char *rt_tmp_base(void)
{
	const char *env = getenv("PLENARY_TEST_TMP");
	if (env && env[0])
		return env;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

void rt_init_settings(struct rt *t, bool public_observers, bool reveal_hum_counts)
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

void rt_init(struct rt *t)
{
	rt_init_settings(t, true, false);
}

static int rt_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rt_fini(struct rt *t)
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

int rt_setup(void **state)
{
	struct rt *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	rt_init(t);
	*state = t;
	return 0;
}

int rt_teardown(void **state)
{
	struct rt *t = *state;
	rt_fini(t);
	free(t);
	return 0;
}

void rt_flush(struct rt *t)
{
	rooms_flush(t->rs, NULL, NULL);
	assert_false(rooms_dirty(t->rs));
}

void rt_advance(struct rt *t, int64_t ms)
{
	t->now += ms;
	rooms_tick(t->rs, t->now);
	rt_flush(t);
}

void rt_attach(struct rt *t, enum rt_person who)
{
	assert_int_equal(room_attach(t->room, rt_who(who), t->now), ROOM_OK);
	rt_flush(t);
}

void rt_detach(struct rt *t, enum rt_person who, bool leave)
{
	room_detach(t->room, rt_who(who), leave, t->now);
	rt_flush(t);
}

enum room_err rt_run_json(struct rt *t, const struct room_identity *who, json_t *cmd)
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

enum room_err rt_vrun(struct rt *t, const struct room_identity *who, const char *fmt, va_list ap)
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

enum room_err rt_run(struct rt *t, enum rt_person who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum room_err err = rt_vrun(t, rt_who(who), fmt, ap);
	va_end(ap);
	return err;
}

json_t *rt_ok(struct rt *t, enum rt_person who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum room_err err = rt_vrun(t, rt_who(who), fmt, ap);
	va_end(ap);
	if (err != ROOM_OK)
		fail_msg("%.300s: %s (%s)", t->text, room_err_code(err), t->message);
	return t->result;
}

enum room_err rt_run_as(struct rt *t, const struct room_identity *who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum room_err err = rt_vrun(t, who, fmt, ap);
	va_end(ap);
	return err;
}

json_t *rt_ok_as(struct rt *t, const struct room_identity *who, const char *fmt, ...)
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

int64_t rt_result_int(struct rt *t, const char *key)
{
	json_t *v = json_object_get(t->result, key);
	if (!json_is_integer(v))
		fail_msg("the ack has no integer '%s'", key);
	return json_integer_value(v);
}
