/*
 * fuzz_command -- the room's command decoder and handlers (rooms/commands.c and the
 * *_cmds.c, hum.c, poll.c, captions.c behind it), through rooms.h as the gateway uses them.
 *
 * A data directory is made once (under /dev/shm when it can be, so the fdatasyncs cost
 * nothing) and a live room set up in it with a few people: two chairs, participants in
 * groups, one of them in the room, a captioner and an observer; P1 holds the floor, P2
 * waits, hum 1 and poll 1 are open. The state carries over from input to input -- so the
 * fuzzer can walk a meeting -- and is set up afresh every RESET_EVERY inputs, or when the
 * session has ended.
 *
 * An input is one or more commands, each a byte that picks the sender followed by a JSON
 * value: '0'..'7' pick a person (see cast[]); any other byte picks one with its low three
 * bits and, with the others, moves the clock on, drops or brings back that person's
 * connection. The JSON goes to room_command() as the gateway would pass it.
 *
 * Beyond "no crash, no leak": a command that fails leaves the snapshot, the head and the
 * pending log exactly as they were and sends nothing; after any command one person has at
 * most one queue entry and the floor holder none; every flush keeps head == the log's
 * lines; and at each reset the registry is closed and reopened, and the room rebuilt from
 * its log must give the same snapshot (runtime fields aside: who is connected, observers,
 * and the open mics, since a chair's open mic needs a connection).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rooms/rooms.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0	    INT64_C(1795341600000)
#define RESET_EVERY 64

static const struct room_identity cast[8] = {
    {"c1", "Chair One", ROOM_ROLE_CHAIR, "", false, NULL},
    {"c2", "Chair Two", ROOM_ROLE_CHAIR, "technical", true, NULL},
    {"p1", "Pat One", ROOM_ROLE_PARTICIPANT, "government", false, NULL},
    {"p2", "Pat Two", ROOM_ROLE_PARTICIPANT, "civil_society", false, NULL},
    {"p3", "Pat Three", ROOM_ROLE_PARTICIPANT, "", false, NULL},
    {"cap", "Cart", ROOM_ROLE_CAPTIONER, "", false, NULL},
    {"obs", "Watcher", ROOM_ROLE_OBSERVER, "", false, NULL},
    {"p4", "Pat Four", ROOM_ROLE_PARTICIPANT, "academia", true, NULL},
};

static struct {
	char dir[256];
	struct rooms *rs;
	struct room *room;
	char id[65];
	int64_t now;
	long rooms_made;
	long inputs;
	int connections[8];
	size_t events; /* messages the sink got, of any kind */
} S;

static void on_event(void *ctx, struct room *room, int64_t seq, const char *msg, size_t len)
{
	(void)ctx;
	(void)room;
	(void)seq;
	json_t *v = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
	CHECK(v != NULL);
	json_decref(v);
	S.events++;
}

static void on_live(void *ctx, struct room *room, const char *msg, size_t len)
{
	on_event(ctx, room, 0, msg, len);
}

static void on_private(void *ctx, struct room *room, const char *pid, enum room_role role,
		       const char *msg, size_t len)
{
	(void)pid;
	(void)role;
	on_event(ctx, room, 0, msg, len);
}

static void on_mic(void *ctx, struct room *room, const char *pid, bool open)
{
	(void)ctx;
	(void)room;
	(void)open;
	CHECK(pid && pid[0]);
	S.events++;
}

static void on_warn(void *ctx, const char *room, const char *what)
{
	(void)ctx;
	fprintf(stderr, "rooms: %s: %s\n", room, what);
	abort(); /* every log we write must load again */
}

static void cleanup(void)
{
	rooms_close(S.rs);
	S.rs = NULL;
	if (S.dir[0])
		fuzz_rm_tree(S.dir);
}

static void open_rooms(void)
{
	struct rooms_sink sink = {NULL, on_event, on_live, on_private, on_mic, NULL, NULL};
	struct rooms_options opt = {
	    .data_dir = S.dir, .grace_ms = 20000, .now_ms = S.now, .warn = on_warn};
	char err[256];
	CHECK(rooms_open(&opt, &sink, &S.rs, err, sizeof err) == ROOM_OK);
}

static json_t *stable_snapshot(void)
{
	json_t *s = room_snapshot(S.room);
	json_object_del(s, "observers");
	json_object_del(s, "mics"); /* a chair's open mic needs a connection: runtime */
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(s, "participants"), i, p)
	{
		json_object_del(p, "connected");
		json_object_del(p, "mic"); /* runtime: mic.status */
	}
	return s;
}

static void run(const struct room_identity *who, const char *json)
{
	json_t *cmd = json_loads(json, 0, NULL), *result = NULL;
	const char *message;
	CHECK(cmd != NULL);
	CHECK(room_command(S.room, who, json_string_value(json_object_get(cmd, "type")), cmd, S.now,
			   &result, &message) == ROOM_OK);
	json_decref(result);
	json_decref(cmd);
}

/* A fresh room: the meeting every input starts from. */
static void baseline(void)
{
	snprintf(S.id, sizeof S.id, "fuzz-%ld", ++S.rooms_made);
	struct room_settings s = {
	    S.id, "Fuzzing", true, S.rooms_made % 2 == 0, ROOM_VISIBILITY_PUBLIC, NULL};
	CHECK(rooms_create(S.rs, &s, S.now, &S.room) == ROOM_OK);
	memset(S.connections, 0, sizeof S.connections);
	for (int i = 0; i < 8; i++) {
		CHECK(room_attach(S.room, &cast[i], S.now) == ROOM_OK);
		S.connections[i] = 1;
	}
	run(&cast[0], "{\"type\":\"session.start\",\"title\":\"Fuzz\"}");
	run(&cast[0], "{\"type\":\"queue.policy\",\"time_limit_s\":60,\"auto_end\":true}");
	run(&cast[2], "{\"type\":\"queue.raise\"}");
	run(&cast[0], "{\"type\":\"queue.next\"}");
	run(&cast[3], "{\"type\":\"queue.raise\"}");
	run(&cast[0],
	    "{\"type\":\"hum.start\",\"question\":\"Hum?\",\"options\":[\"Yes\",\"No\"]}");
	run(&cast[0], "{\"type\":\"poll.start\",\"question\":\"Poll?\",\"options\":[\"A\",\"B\","
		      "\"C\"],\"multiple\":true,\"live_counts\":true}");
	rooms_flush(S.rs, NULL, NULL);
}

/* Closes and reopens the registry: the room must come back the same. Then starts over
 * in an empty directory, so the registry never grows. */
static void reset(void)
{
	if (S.room) {
		json_t *before = stable_snapshot();
		rooms_flush(S.rs, NULL, NULL);
		rooms_close(S.rs);
		open_rooms();
		S.room = rooms_find(S.rs, S.id);
		CHECK(S.room != NULL);
		json_t *after = stable_snapshot();
		CHECK(json_equal(before, after));
		json_decref(before);
		json_decref(after);
		rooms_close(S.rs);
		char path[512];
		snprintf(path, sizeof path, "%s/rooms/%s.jsonl", S.dir, S.id);
		CHECK(unlink(path) == 0);
		open_rooms();
	}
	baseline();
}

static void setup_once(void)
{
	if (S.rs)
		return;
	fuzz_scratch_dir(S.dir, sizeof S.dir, "command");
	atexit(cleanup);
	S.now = T0;
	open_rooms();
	baseline();
}

static void check_queue(void)
{
	json_t *snap = room_snapshot(S.room);
	json_t *q = json_object_get(snap, "queue");
	json_t *floor = json_object_get(q, "floor");
	const char *holder =
	    json_is_object(floor) ? json_string_value(json_object_get(floor, "pid")) : NULL;
	json_t *entries = json_object_get(q, "entries");
	size_t i, k;
	json_t *e, *o;
	json_array_foreach(entries, i, e)
	{
		const char *pid = json_string_value(json_object_get(e, "pid"));
		if (!pid)
			continue;
		CHECK(!holder || strcmp(pid, holder) != 0);
		json_array_foreach(entries, k, o)
		{
			const char *other = json_string_value(json_object_get(o, "pid"));
			CHECK(k == i || !other || strcmp(pid, other) != 0);
		}
	}
	json_decref(snap);
}

static void check_log(void)
{
	FILE *f = fopen(room_log_path(S.room), "rb");
	CHECK(f != NULL);
	int64_t lines = 0;
	int c;
	while ((c = getc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	CHECK(lines == room_head_seq(S.room));
}

/* The sender byte's side effects: the clock, a dropped or returning connection. */
static const struct room_identity *sender(uint8_t b)
{
	if (b >= '0' && b <= '7')
		return &cast[b - '0'];
	int i = b & 7;
	static const int64_t advance[8] = {0, 0, 0, 250, 1000, 10000, 31000, 300000};
	int64_t dt = advance[(b >> 3) & 7];
	if (dt) {
		S.now += dt;
		rooms_tick(S.rs, S.now);
	}
	if ((b & 0x40) && S.connections[i] < 3) {
		/* A person a chair removed may not come back until readmitted. */
		enum room_err err = room_attach(S.room, &cast[i], S.now);
		CHECK(err == ROOM_OK ||
		      (err == ROOM_EFORBIDDEN && room_removed(S.room, cast[i].pid, NULL, NULL)));
		S.connections[i] += err == ROOM_OK;
	}
	if ((b & 0x80) && S.connections[i] > 0) {
		room_detach(S.room, &cast[i], (b & 0x40) != 0, S.now);
		S.connections[i]--;
	}
	return &cast[i];
}

static void one(const struct room_identity *who, json_t *cmd)
{
	const char *type = json_string_value(json_object_get(cmd, "type"));
	json_t *before = room_snapshot(S.room);
	int64_t head = room_head_seq(S.room);
	bool dirty = rooms_dirty(S.rs);
	size_t events = S.events;
	json_t *result = NULL;
	const char *message = NULL;
	enum room_err err =
	    room_command(S.room, who, type ? type : "", cmd, S.now, &result, &message);
	if (err != ROOM_OK) {
		CHECK(result == NULL && message != NULL);
		CHECK(err != ROOM_EINTERNAL);
		CHECK(room_head_seq(S.room) == head && rooms_dirty(S.rs) == dirty);
		CHECK(S.events == events);
		json_t *after = room_snapshot(S.room);
		CHECK(json_equal(before, after));
		json_decref(after);
	} else {
		CHECK(result != NULL && json_is_object(result));
		json_decref(result);
	}
	json_decref(before);
	check_queue();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	size_t at = 0;
	for (int n = 0; at < size && n < 16; n++) {
		const struct room_identity *who = sender(data[at++]);
		json_error_t jerr;
		json_t *cmd = json_loadb((const char *)data + at, size - at,
					 JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
		if (!cmd)
			break;
		at += jerr.position ? (size_t)jerr.position : size - at;
		/* Observers get a random pid at the gateway and are never people in the room;
		 * everyone else sends only while attached. */
		if (who->role == ROOM_ROLE_OBSERVER || S.connections[who - cast] > 0)
			one(who, cmd);
		json_decref(cmd);
		if (n % 4 == 3)
			rooms_flush(S.rs, NULL, NULL);
	}
	rooms_flush(S.rs, NULL, NULL);
	if (++S.inputs % 16 == 0)
		check_log();
	json_t *snap = room_snapshot(S.room);
	bool ended =
	    strcmp(json_string_value(json_object_get(json_object_get(snap, "room"), "status")),
		   "ended") == 0;
	json_decref(snap);
	if (ended || S.inputs % RESET_EVERY == 0)
		reset();
	return 0;
}
