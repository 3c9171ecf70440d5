/*
 * rooms/test_helpers.h -- a harness for the room tests: rooms driven through rooms.h
 * alone, with no sockets and a fake clock. The functions are in helpers.c, linked into
 * every room test (tests/CMakeLists.txt).
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

const struct room_identity *rt_who(enum rt_person i);

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

json_t *rt_parse(const char *msg, size_t len);

void rt_sink_event(void *ctx, struct room *room, int64_t seq, const char *msg, size_t len);

void rt_sink_live(void *ctx, struct room *room, const char *msg, size_t len);

void rt_sink_private(void *ctx, struct room *room, const char *pid, enum room_role role,
		     const char *msg, size_t len);

void rt_sink_mic(void *ctx, struct room *room, const char *pid, bool open);

void rt_sink_durable(void *ctx, struct room *room, bool ok);

bool rt_sink_replicate(void *ctx, struct room *room, int64_t first_seq, const char *lines,
		       size_t len, bool wait);

void rt_warn(void *ctx, const char *room, const char *what);

void rt_clear(struct rt *t);

/* Opens the registry on t->dir (the room under test, if it loaded, in t->room). */
void rt_open(struct rt *t);

void rt_close(struct rt *t);

/* A restart: close the registry and open it again on the same directory. */
void rt_reopen(struct rt *t);

const char *rt_tmp_base(void);

/* A fresh data directory and registry, and the room under test created and durable. */
void rt_init_settings(struct rt *t, bool public_observers, bool reveal_hum_counts);

void rt_init(struct rt *t);

void rt_fini(struct rt *t);

/* cmocka fixtures: *state is a struct rt. */
int rt_setup(void **state);

int rt_teardown(void **state);

/* The end of a loop turn. */
void rt_flush(struct rt *t);

/* The clock moves on by ms: timers due run, then the turn ends. */
void rt_advance(struct rt *t, int64_t ms);

void rt_attach(struct rt *t, enum rt_person who);

void rt_detach(struct rt *t, enum rt_person who, bool leave);

/* Runs a command given as a JSON object: room_command() then the flush. */
enum room_err rt_run_json(struct rt *t, const struct room_identity *who, json_t *cmd);

/* Runs a command written as printf-style JSON text. */
enum room_err rt_vrun(struct rt *t, const struct room_identity *who, const char *fmt, va_list ap);

enum room_err rt_run(struct rt *t, enum rt_person who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Asserts the command succeeds; returns the ack's fields (borrowed until the next run). */
json_t *rt_ok(struct rt *t, enum rt_person who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, as anyone (people made up by a test rather than from the cast). */
enum room_err rt_run_as(struct rt *t, const struct room_identity *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

json_t *rt_ok_as(struct rt *t, const struct room_identity *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The ack's integer field key of the last command. */
int64_t rt_result_int(struct rt *t, const char *key);

/* --- files --- */

char *rt_read_file(const char *path, size_t *len);

size_t rt_count_lines(const char *buf, size_t len);

/* --- snapshots --- */

/* The snapshot without what is runtime only: participants[].connected, observers,
 * presence, and mics (a chair's open mic needs a connection). A new reference. */
json_t *rt_stable(json_t *snapshot);

json_t *rt_stable_snapshot(const struct room *r);

void rt_assert_json_equal(json_t *want, json_t *got, const char *what);

/* Compares two snapshots ignoring the runtime-only fields. */
void rt_assert_same_snapshot(json_t *want, json_t *got);

/* --- "nothing changes" --- */

struct rt_state {
	json_t *snapshot; /* the whole snapshot, runtime fields included */
	int64_t head;
	char *log;
	size_t log_len;
	size_t events, lives, privates, mics;
};

void rt_capture(struct rt *t, struct rt_state *s);

void rt_release(struct rt_state *s);

void rt_assert_unchanged(struct rt *t, struct rt_state *before, const char *what);

/* Asserts the command fails with want and changes nothing at all. */
void rt_vfail(struct rt *t, const struct room_identity *who, enum room_err want, const char *fmt,
	      va_list ap);

void rt_fail(struct rt *t, enum rt_person who, enum room_err want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void rt_fail_as(struct rt *t, const struct room_identity *who, enum room_err want, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

/* A crowd of made-up participants: crowd[i] has pid "crowd-<i>" and a group of its own
 * kind (groups[i % n_groups]). The strings live in the crowd. */
#define RT_CROWD_MAX 64
struct rt_crowd {
	struct room_identity who[RT_CROWD_MAX];
	char pid[RT_CROWD_MAX][32];
	char name[RT_CROWD_MAX][32];
};

void rt_crowd_init(struct rt_crowd *c, const char *const *groups, size_t n_groups);

void rt_attach_as(struct rt *t, const struct room_identity *who);

/* --- reading what was sent --- */

/* How many events of this kind the sink got (kind NULL: all). */
size_t rt_count(const json_t *list, const char *kind);

/* The data of the last message of this kind in list (borrowed), or fails. */
json_t *rt_last(const json_t *list, const char *kind);

json_t *rt_last_event(struct rt *t, const char *kind);

/* The kinds of the events since index from, joined by spaces, into buf. */
const char *rt_kinds_from(struct rt *t, size_t from, char *buf, size_t cap);

#define RT_ASSERT_KINDS(t, from, want)                                                             \
	do {                                                                                       \
		char kinds_[1024];                                                                 \
		assert_string_equal(rt_kinds_from((t), (from), kinds_, sizeof kinds_), (want));    \
	} while (0)

/* Common field reads. */
int64_t rt_int(json_t *obj, const char *key);

const char *rt_str(json_t *obj, const char *key);

/* --- common scenes --- */

/* Attaches everyone in the cast but CH2 and the venue, and starts the session. */
void rt_live(struct rt *t);

/* pid of a cast member, for JSON text. */
const char *rt_pid(enum rt_person who);

/* Raises who's hand (kind speak unless given); returns the entry id. */
int64_t rt_raise(struct rt *t, enum rt_person who, const char *kind);

/* The snapshot's queue entries as a list of pids (names for pid null), space separated. */
const char *rt_queue_pids(struct rt *t, char *buf, size_t cap);

#define RT_ASSERT_QUEUE(t, want)                                                                   \
	do {                                                                                       \
		char q_[1024];                                                                     \
		assert_string_equal(rt_queue_pids((t), q_, sizeof q_), (want));                    \
	} while (0)

/* The snapshot's floor (a new reference; JSON null when nobody holds it). */
json_t *rt_floor(struct rt *t);

#endif
