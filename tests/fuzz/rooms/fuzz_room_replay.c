/*
 * fuzz_room_replay -- a room rebuilt from a log whose chain is intact but whose events are
 * anything (rooms/apply.c, registry.c, record.c and the export_*.c renderings).
 *
 * fuzz_log_replay feeds raw bytes to the log file, where nearly every input dies at the
 * hash check. Here the input is a list of events, one JSON object per line,
 * {"kind":"...","data":{...}}, which this target chains into a valid log (the first one
 * made room.created for room "r" unless the input starts with its own), so the fuzzer
 * reaches the fold: a log written by something else, or tampered with by someone who
 * rewrote the chain.
 *
 * The promises: the room either loads or is refused with a warning, never a crash; a room
 * that loads gives a snapshot and all five exports (the JSON ones parse); commands a chair
 * then sends on that state either succeed or change nothing; and after them, the registry
 * reopened from disk rebuilds the same snapshot -- whatever the fold accepted, the handlers
 * never write an event the fold then refuses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rooms/log.h"
#include "rooms/rooms.h"
#include "tests/fuzz/rooms/fuzz_rooms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 INT64_C(1795341600000)

static int warnings;

static void on_warn(void *ctx, const char *room, const char *what)
{
	(void)ctx;
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s: %s\n", room, what);
	warnings++;
}

static struct rooms *open_rooms(int64_t now)
{
	struct rooms_sink sink = {0};
	struct rooms_options opt = {
	    .data_dir = fuzz_dir, .grace_ms = 20000, .now_ms = now, .warn = on_warn};
	struct rooms *rs = NULL;
	char err[256];
	CHECK(rooms_open(&opt, &sink, &rs, err, sizeof err) == ROOM_OK);
	return rs;
}

/* Chains the input's events into the log file; returns the time of the last one. */
static int64_t write_log(const uint8_t *data, size_t size)
{
	struct log_file *lf = NULL;
	CHECK(log_file_open(fuzz_log_path, NULL, NULL, NULL, &lf, NULL) == LOG_OK);
	int64_t ts = T0;
	bool first = true;
	for (size_t at = 0; at < size;) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
		json_t *ev = json_loadb((const char *)data + at, len, JSON_REJECT_DUPLICATES, NULL);
		at += len + 1;
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		json_t *d = json_object_get(ev, "data");
		if (first && (!kind || strcmp(kind, "room.created") != 0)) {
			json_t *created = json_pack("{s:s,s:s}", "id", "r", "title", "Replayed");
			CHECK(log_file_append(lf, "room.created", created, ts, NULL, NULL) ==
			      LOG_OK);
			json_decref(created);
		}
		first = false;
		json_int_t dt = json_integer_value(json_object_get(ev, "dt"));
		if (dt > 0 && dt < INT64_C(86400000))
			ts += dt;
		if (kind && json_is_object(d))
			(void)log_file_append(lf, kind, d, ts, NULL, NULL); /* refused: skipped */
		json_decref(ev);
	}
	CHECK(log_file_flush(lf, NULL) == LOG_OK);
	log_file_close(lf);
	return ts;
}

static json_t *stable_snapshot(struct room *r)
{
	json_t *s = room_snapshot(r);
	CHECK(s != NULL);
	json_object_del(s, "observers");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(s, "participants"), i, p)
	{
		json_object_del(p, "connected");
		json_object_del(p, "mic"); /* runtime: mic.status */
	}
	return s;
}

static void check_exports(struct room *r)
{
	for (int what = ROOM_EXPORT_JSON; what <= ROOM_EXPORT_POLLS; what++) {
		char *doc = NULL;
		size_t len = 0;
		CHECK(room_export(r, (enum room_export)what, NULL, &doc, &len) == ROOM_OK);
		CHECK(doc && strlen(doc) == len);
		if (what == ROOM_EXPORT_JSON || what == ROOM_EXPORT_POLLS) {
			json_t *v = json_loadb(doc, len, 0, NULL);
			CHECK(v != NULL);
			json_decref(v);
		}
		free(doc);
	}
}

/* A chair does what a chair would do next: each command succeeds or changes nothing. */
static void chair_acts(struct rooms *rs, struct room *r, int64_t now)
{
	static const struct room_identity chair = {"fuzz-chair", "Chair", ROOM_ROLE_CHAIR,
						   "",		 false,	  NULL};
	if (room_attach(r, &chair, now) != ROOM_OK)
		return; /* the pid is someone else already */
	json_t *snap = room_snapshot(r);
	json_t *hum = json_object_get(json_object_get(snap, "hum"), "hum");
	json_t *polls = json_object_get(snap, "polls");
	json_int_t poll = (json_int_t)json_array_size(polls);
	json_t *cmds = json_pack(
	    "[{s:s},{s:s},{s:s,s:o},{s:s,s:I},{s:s,s:i},{s:s,s:s,s:s,s:b},{s:s},{s:s},{s:s}]",
	    "type", "queue.next", "type", "queue.raise", "type", "hum.end", "hum",
	    hum ? json_incref(hum) : json_integer(1), "type", "poll.end", "poll", poll, "type",
	    "floor.extend", "seconds", 30, "type", "caption", "lang", "en", "text", "x", "final", 1,
	    "type", "floor.end", "type", "queue.lower", "type", "session.end");
	json_decref(snap);
	CHECK(cmds != NULL);
	size_t i;
	json_t *cmd;
	json_array_foreach(cmds, i, cmd)
	{
		json_t *before = room_snapshot(r), *result = NULL;
		int64_t head = room_head_seq(r);
		const char *message = NULL;
		enum room_err err =
		    room_command(r, &chair, json_string_value(json_object_get(cmd, "type")), cmd,
				 now, &result, &message);
		CHECK(err != ROOM_EINTERNAL);
		if (err != ROOM_OK) {
			json_t *after = room_snapshot(r);
			CHECK(json_equal(before, after) && room_head_seq(r) == head);
			json_decref(after);
		}
		json_decref(result);
		json_decref(before);
	}
	json_decref(cmds);
	room_detach(r, &chair, false, now);
	rooms_tick(rs, now + 3600000);
	rooms_flush(rs, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_rooms_setup("replay", true);
	int64_t now = write_log(data, size) + 1000;
	warnings = 0;
	struct rooms *rs = open_rooms(now);
	struct room *r = rooms_find(rs, "r");
	CHECK(r != NULL || warnings > 0);
	if (r) {
		check_exports(r);
		chair_acts(rs, r, now);
		check_exports(r);
		json_t *before = stable_snapshot(r);
		rooms_close(rs);
		warnings = 0;
		rs = open_rooms(now);
		r = rooms_find(rs, "r");
		CHECK(r != NULL && warnings == 0);
		json_t *after = stable_snapshot(r);
		CHECK(json_equal(before, after));
		json_decref(before);
		json_decref(after);
	}
	rooms_close(rs);
	unlink(fuzz_log_path);
	return 0;
}
