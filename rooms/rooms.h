/*
 * rooms -- plenary rooms as pure state over a durable, hash-chained log.
 *
 * DESIGN.md principle 1, the log is the room: every change to a room is an event that is
 * appended to the room's log, then applied to the room's state by the same function
 * that replays the log after a restart, so the state is always a fold over the log.
 * Principle 2, rooms are pure: a command plus the state gives events or an error; time
 * is passed in; nothing here touches a socket or a thread. The one exception is the log's
 * file (append, fdatasync, replay), which lives in this module and touches only the
 * room's own files under the data directory.
 *
 * Durability is group commit. room_command() and friends append events to the log's
 * pending buffer and apply them at once (so the next command in the same loop turn sees
 * them), and report them to the host through rooms_sink.event. The host holds every
 * message it would send for that room until rooms_flush() -- called once at the end of a
 * loop turn -- reports the room durable (rooms_sink.durable with ok = true). If the flush
 * fails, the room is rebuilt from what is durable and durable(ok = false) tells the host
 * to drop what it held and answer the commands with `internal`: nothing acknowledged is
 * ever lost, and nothing unacknowledged is ever told.
 *
 * What is never logged: who hummed what, and anonymous ballots. They live in memory only
 * (room state that is not a fold over the log, on purpose), and a restart forgets them.
 * Connections are not logged either: who is connected right now is runtime state.
 *
 * Threading: one thread (the gateway's) owns every room. Sink callbacks are called from
 * inside rooms_* and room_* calls and must not call back into this module.
 */
#ifndef PLENARY_ROOMS_H
#define PLENARY_ROOMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/attr.h"

enum room_err {
	ROOM_OK = 0,
	ROOM_EBAD_REQUEST,  /* malformed, missing or mistyped field */
	ROOM_EUNKNOWN_TYPE, /* no such command */
	ROOM_EUNAUTHORIZED, /* no or bad token, expired; command before join */
	ROOM_EFORBIDDEN,    /* the role may not do this */
	ROOM_ENOT_FOUND,    /* room, entry, hum, poll */
	ROOM_ECONFLICT,	    /* the state does not allow it */
	ROOM_ERATE_LIMITED,
	ROOM_ETOO_LARGE,
	ROOM_EUNAVAILABLE,
	ROOM_EINTERNAL,
};
/* The wire's error code for err ("bad_request", ...). */
const char *room_err_code(enum room_err err);

enum room_role {
	ROOM_ROLE_CHAIR = 0,
	ROOM_ROLE_PARTICIPANT,
	ROOM_ROLE_OBSERVER,
	ROOM_ROLE_CAPTIONER,
	ROOM_ROLE_VENUE,      /* the room's sound desk: its mic is the in-room speakers' voice */
	ROOM_ROLE_INTERPRETER /* a booth's interpreter (identity lang): its mic is a channel's */
};
#define ROOM_ROLE_COUNT 6
const char *room_role_name(enum room_role role);
bool room_role_parse(const char *name, enum room_role *out);

/* Who is acting. Strings are borrowed for the duration of the call. */
struct room_identity {
	const char *pid; /* stable person id (the token's sub); observers get a random one */
	const char *name;
	enum room_role role;
	const char *group; /* "" when none */
	bool in_room;	   /* location "room" rather than "remote" */
	const char *lang;  /* an interpreter's booth, a BCP 47 tag (base/lang.h); else NULL */
};

struct room;
struct rooms;
struct log_io;

/* How a room tells its host what to send. */
struct rooms_sink {
	void *ctx;
	/* An event was appended (not yet durable). msg is the complete wire message
	 * {"type":"event","seq","ts","kind","data","hash"}, serialised once for everyone. */
	void (*event)(void *ctx, struct room *room, int64_t seq, const char *msg, size_t len);
	/* A live message for everyone in the room, never logged: {"type":"live",...}. */
	void (*live)(void *ctx, struct room *room, const char *msg, size_t len);
	/* A private message for every connection of person pid, or, with pid NULL, for
	 * every connection whose role is role (hum levels for chairs). */
	void (*private_msg)(void *ctx, struct room *room, const char *pid, enum room_role role,
			    const char *msg, size_t len);
	/* The mic gate for pid changed: the media side must open or close its audio. */
	void (*mic)(void *ctx, struct room *room, const char *pid, bool open);
	/* rooms_flush() finished this room: ok, or failed and rolled back. */
	void (*durable)(void *ctx, struct room *room, bool ok);
	/* NULL unless the log is replicated (gateway/nats_log.h). Called by rooms_flush right
	 * after a room's batch was fsynced, with the batch's exact lines (records first_seq
	 * onwards, each ending in a newline; borrowed for the call). Returning true takes the
	 * batch: durable is then not called until the host calls rooms_replicated, and the
	 * room is not flushed again before (later events wait, in order). false refuses it:
	 * the room is rolled back as after a failed fsync. With wait (a room's creation, which
	 * is answered at once) the host returns only once the replica holds the batch (true)
	 * or refused it (false), and must not call rooms_replicated for it. */
	bool (*replicate)(void *ctx, struct room *room, int64_t first_seq, const char *lines,
			  size_t len, bool wait);
};

struct rooms_options {
	const char *data_dir; /* rooms live in data_dir/rooms/<id>.jsonl */
	int64_t grace_ms;     /* how long a dropped person keeps their place */
	int64_t now_ms;	      /* the time of loading (grace periods restart from it) */
	void (*warn)(void *ctx, const char *room, const char *what); /* load warnings */
	void *warn_ctx;
	/* The log files' system calls (rooms/log.h); NULL is the real ones. For tests that
	 * make a sync or a truncation fail. */
	const struct log_io *log_io;
	/* The rooms follow a log another node writes (an edge, docs/scale.md): their clock
	 * never writes (no grace-period departures, no floor end at the limit; the writer's
	 * clock does that and its events arrive), and only rooms_adopt adds events. */
	bool follow;
};

/* --- the registry --- */

/* Loads every room found in data_dir/rooms. A room whose log is broken is not loaded;
 * its reason is reported through warn and in the error text, and the others still load.
 * Fails (ROOM_EINTERNAL) only if the directory cannot be created or read. */
BASE_WUR enum room_err rooms_open(const struct rooms_options *opt, const struct rooms_sink *sink,
				  struct rooms **out, char *err, size_t err_cap);
void rooms_close(struct rooms *rs);

/* Who may read a room's HTTP resources (record, log, streams, recording, polls): anyone,
 * or only holders of a token for the room (PROTOCOL.md, second version). Zero is public,
 * so a room made without saying is what every room was before. */
enum room_visibility { ROOM_VISIBILITY_PUBLIC = 0, ROOM_VISIBILITY_PRIVATE };
/* "public" or "private"; false for anything else. */
bool room_visibility_parse(const char *name, enum room_visibility *out);

struct room_settings {
	const char *id; /* [a-z0-9-]{1,64} */
	const char *title;
	bool public_observers;
	bool reveal_hum_counts;
	enum room_visibility visibility;
	/* The meeting's time zone, an IANA name ("Europe/Madrid") for the record's pages;
	 * NULL or "UTC" is UTC. Written in room.created only when it is another. */
	const char *time_zone;
};
bool rooms_valid_id(const char *id);
/* Whether name is a zone of the system's tz database (tzdata). */
bool rooms_time_zone_valid(const char *name);
/* Creates a room (its log's first event is room.created). ROOM_EBAD_REQUEST for a bad id
 * or title, ROOM_ECONFLICT if it exists, ROOM_EINTERNAL if its file cannot be made.
 * Durable after the next rooms_flush(). */
BASE_WUR enum room_err rooms_create(struct rooms *rs, const struct room_settings *settings,
				    int64_t now_ms, struct room **out);
struct room *rooms_find(struct rooms *rs, const char *id);
/* Loads data_dir/rooms/<id>.jsonl after rooms_open, as rooms_open loads each room: for a
 * room another node made, whose log this node has just copied (rooms_log_extend; an
 * edge's or a standby's, gateway/nats_edge.h and nats_lease.h).
 * NULL if id is loaded already, not a room id, or its log does not load (told to warn). */
struct room *rooms_load(struct rooms *rs, const char *id, int64_t now_ms);
/* The loaded rooms, by index (a room whose log refused to load is not among them). */
size_t rooms_count(const struct rooms *rs);
struct room *rooms_at(struct rooms *rs, size_t i);

/* The end of a loop turn: writes and fdatasyncs every room with pending events (one
 * sync per room), then calls sink.durable for each. fsync_ns_cb, if set, observes each
 * sync's duration. Returns how many rooms were flushed. */
size_t rooms_flush(struct rooms *rs, void (*fsync_ns_cb)(void *ctx, uint64_t ns), void *ctx);
bool rooms_dirty(const struct rooms *rs);
/* The replica's answer for the batch room's sink.replicate took: ok commits it (durable
 * is called with true); !ok takes the room back to its last committed record -- the file
 * is truncated, later pending events dropped, the room rebuilt -- and durable is called
 * with false, as after a failed fsync. Ignored when no batch is outstanding. */
void rooms_replicated(struct rooms *rs, struct room *room, bool ok);
/* The replica holds lines (each ending in a newline) past the room's committed end that
 * the room rolled back (a batch whose refusal came from a timeout, yet was stored): the
 * room takes them as events -- applied, reported through sink.event, synced, committed
 * (sink.durable) -- if they chain exactly on its committed end and nothing is pending.
 * false, the room unchanged, otherwise. */
bool rooms_adopt(struct rooms *rs, struct room *room, const char *lines, size_t len);

/* A copy this node does not own (a standby's: gateway/nats_lease.h): the room's clock
 * stops -- its timers would write events (a grace period's end, the floor's) that only
 * the owner may write -- until passive is cleared. Clearing it restarts, at now_ms, the
 * grace period of everyone on the record not connected here, as a restart does; the
 * floor's clock goes on from its event. */
void room_set_passive(struct room *r, bool passive, int64_t now_ms);

/* Timers of every room (floor clock, grace periods, throttled live messages): runs what
 * is due at now_ms and returns the next due time (INT64_MAX if none). Passive rooms
 * (room_set_passive) are left alone. */
int64_t rooms_tick(struct rooms *rs, int64_t now_ms);

/* --- a room --- */

const char *room_id(const struct room *r);
bool room_public_observers(const struct room *r);
enum room_visibility room_visibility(const struct room *r);
/* The host's own pointer for this room (its connection list). */
void room_set_host_data(struct room *r, void *data);
void *room_host_data(const struct room *r);

/* The snapshot of PROTOCOL.md "Room snapshot" (a new reference). */
json_t *room_snapshot(const struct room *r);
/* The same snapshot serialised (the same members; "participants" comes last), written
 * without building the roster in jansson: for a join's ack. A malloc'd string of *len
 * bytes plus a NUL, or NULL on OOM. */
char *room_snapshot_text(const struct room *r, size_t *len);
/* {id,title,status,participants,observers} for GET /api/rooms (a new reference). */
json_t *room_summary(const struct room *r);
int64_t room_head_seq(const struct room *r);

/* A connection of this person joins. Chairs, participants and captioners joining for the
 * first time (or again after leaving) produce participant.joined; observers only change
 * the presence count. ROOM_ECONFLICT if the pid is already known with another role. */
BASE_WUR enum room_err room_attach(struct room *r, const struct room_identity *who, int64_t now_ms);
/* Is this person's microphone open in the mix: the session is live and they hold the
 * floor (and no chair closed their mic since), or they are a chair who opened their own
 * (mic.open) and is connected, or an interpreter on air in their booth (whose mic feeds
 * their booth's channel, not the floor), or the venue. (The join ack tells a new connection; later
 * changes come as private mic messages and sink.mic.) */
bool room_mic_open(const struct room *r, const char *pid);
/* The role pid holds in the room; false if nobody by that pid is in it. */
bool room_person_role(const struct room *r, const char *pid, enum room_role *role);
/* The pids (at most cap, pointers into the room, valid until its next change) of the
 * people whose microphone is open now, as room_mic_open says: how a node that takes a
 * room over opens the gates of those it does not connect itself. Their number. */
size_t room_open_mics(const struct room *r, const char **pids, size_t cap);

/* --- interpretation (docs/protocol.md "Interpretation") --- */

/* Whether the room has a booth (a channel) for lang (canonical case, base/lang.h): one
 * was taken at least once. listen.ogg?lang= and recording.ogg?lang= answer 404 otherwise. */
bool room_channel_exists(const struct room *r, const char *lang);
/* The index of lang's booth (0.., in the order booths were first taken; it never changes
 * for the room's life), or -1: how the media numbers channels. */
int room_channel_index(const struct room *r, const char *lang);
/* The pid of the interpreter on air in lang's booth, or NULL (no booth, or nobody). */
const char *room_channel_voice(const struct room *r, const char *lang);

/* --- moderation (docs/protocol.md "Moderation") --- */

/* Whether a chair removed pid (participant.removed, not since readmitted); if so *by (the
 * chair's pid) and *reason ("" if none given) point into the room until its next change.
 * room_attach refuses such a person with ROOM_EFORBIDDEN. by and reason may be NULL. */
bool room_removed(struct room *r, const char *pid, const char **by, const char **reason);
/* The admin revokes a token for this room by its sub or by its jti (exactly one non-NULL):
 * event token.revoked {sub|jti, reason?, by:"admin"}. Revoking what is already revoked
 * writes nothing and sets *already. ROOM_EBAD_REQUEST for an empty or too long value or a
 * reason over 200 bytes. Durable after the next rooms_flush(). */
BASE_WUR enum room_err room_token_revoke(struct room *r, const char *sub, const char *jti,
					 const char *reason, int64_t now_ms, bool *already);
/* Lifts a revocation (exactly one of sub and jti): event token.unrevoked {sub|jti,
 * by:"admin"}. ROOM_ENOT_FOUND if it is not revoked, ROOM_EBAD_REQUEST as for revoking. */
BASE_WUR enum room_err room_token_unrevoke(struct room *r, const char *sub, const char *jti,
					   int64_t now_ms);
/* Whether a token with this sub or this jti (either may be NULL or "") is revoked. */
bool room_token_revoked(const struct room *r, const char *sub, const char *jti);
/* [{sub|jti, reason?, by, ts}] in order of revocation (a new reference). */
json_t *room_revocations(const struct room *r);
/* Whether pid is on the room's record right now: joined and not yet left (connected, or
 * in the grace period after their last connection dropped). */
bool room_on_record(const struct room *r, const char *pid);

/* What this person alone may see of their own state in the open hum and poll: their
 * current cast {hum, option|null} and ballot {poll, choices}, so a second device or a
 * reconnecting client knows whether to send them again. A new object (possibly empty). */
json_t *room_private_state(const struct room *r, const char *pid);

/* A connection of this person is gone. With leave (an explicit {"type":"leave"}) and no
 * other connection of theirs, they leave at once (participant.left reason "left");
 * otherwise, when it was their last connection, the grace period starts and
 * participant.left (reason "timeout") follows unless they attach again in time. */
void room_detach(struct room *r, const struct room_identity *who, bool leave, int64_t now_ms);

/* Runs one command from the wire for who. type is the command's "type"; cmd the whole
 * object (fields are validated here; "type" and "id" are ignored). On ROOM_OK, *result
 * is the ack's extra fields (a new object, possibly empty). On error, *message says what
 * was wrong, for humans. Nothing changes on error. */
BASE_WUR enum room_err room_command(struct room *r, const struct room_identity *who,
				    const char *type, json_t *cmd, int64_t now_ms, json_t **result,
				    const char **message);
/* Whether type is a room command, and whether role may send it (PROTOCOL.md
 * "Permissions"); the gateway uses it for its own commands' docs and checks too. */
bool room_command_known(const char *type);
bool room_command_allowed(const char *type, enum room_role role);

/* Each command's rate-limit class, a column of the command table: the gateway keeps a
 * token bucket per connection and class (docs/protocol.md "Limits"). SESSION is the
 * connection-level commands' (ping, join, leave, media.offer), which rooms/ does not know:
 * room_command_class answers it for any type not in the table. */
enum room_cmd_class {
	ROOM_CLASS_SESSION,
	ROOM_CLASS_QUEUE,   /* a hand: queue.raise, queue.lower, floor.end */
	ROOM_CLASS_SENSE,   /* hum.cast, poll.vote */
	ROOM_CLASS_CHAIR,   /* the chair's commands */
	ROOM_CLASS_CAPTION, /* caption */
	ROOM_CLASS_COUNT
};
enum room_cmd_class room_command_class(const char *type);
const char *room_cmd_class_name(enum room_cmd_class cls);

/* Who is talking now (or was within the last moment) among the room's open microphones,
 * as the media side heard them, most recent first (n may be 0; at most ROOM_TALKERS_MAX
 * are kept). Captions lag speech, so a caption credits the floor holder if they are among
 * them, else the first of them on the record, else the floor holder as before; the host
 * sets this before it passes on a caption (room_command's "caption", room_caption_post)
 * and it stays until set again. */
#define ROOM_TALKERS_MAX 4
void room_set_talkers(struct room *r, const char *const *pids, size_t n);

/* A final caption posted over HTTP by a CART writer (PROTOCOL.md "Captions"). seq is the
 * captioner's counter: a seq at or below the last one seen from this captioner is
 * accepted and ignored (*duplicate = true). ROOM_ECONFLICT if the session is not live. */
BASE_WUR enum room_err room_caption_post(struct room *r, const struct room_identity *who,
					 const char *lang, int64_t seq, const char *text,
					 size_t len, int64_t now_ms, bool *duplicate,
					 const char **message);

/* Resume: calls fn with each durable event's wire message after since, in order. Returns
 * false if since is not a point in this room's log (in the future) or the log cannot be
 * read; fn's return value true stops early. */
bool room_replay_since(struct room *r, int64_t since,
		       bool (*fn)(void *ctx, const char *msg, size_t len), void *ctx);

/* --- the public record (PROTOCOL.md "HTTP"): derived from the log alone --- */

enum room_export {
	ROOM_EXPORT_JSON,
	ROOM_EXPORT_TEXT,
	ROOM_EXPORT_VTT,
	ROOM_EXPORT_HTML,
	ROOM_EXPORT_POLLS
};
/* A malloc'd document. lang selects the captions language of the VTT export (NULL: "en"
 * or the first language). ROOM_EINTERNAL if the log cannot be read. */
BASE_WUR enum room_err room_export(struct room *r, enum room_export what, const char *lang,
				   char **out, size_t *len);
/* A private room's record page links its recording, captions and log with signed URLs:
 * sign writes into query (cap bytes) what to add to the room's resource name ("log",
 * "record.vtt"), e.g. "exp=E&sig=S", and returns false if it cannot. */
struct room_link_signer {
	bool (*sign)(void *ctx, const char *name, char *query, size_t cap);
	void *ctx;
};
/* room_export() with the page's links signed by links (NULL: plain links, as
 * room_export()). A signed page is rendered for each request, not kept. */
BASE_WUR enum room_err room_export_signed(struct room *r, enum room_export what, const char *lang,
					  const struct room_link_signer *links, char **out,
					  size_t *len);
/* The raw log file's path (GET /api/rooms/{id}/log). */
const char *room_log_path(const struct room *r);

/* plenaryd verify FILE: checks a log's chain; prints the last seq and hash or the first
 * bad line to out. Returns true when the chain is intact. */
bool rooms_verify_file(const char *path, FILE *out);
/* Before rooms_open: appends lines (each ending in a newline) that continue the chain of
 * data_dir/rooms/<room_id>.jsonl (made if absent), fsynced. For a node whose file is
 * behind the room's log held elsewhere. Nothing is written unless every line follows;
 * false with the line and reason in err. */
bool rooms_log_extend(const char *data_dir, const char *room_id, const char *lines, size_t len,
		      char *err, size_t err_cap);
/* Before rooms_open: moves the lines past seq keep of data_dir/rooms/<room_id>.jsonl to
 * <room_id>.jsonl.unreplicated-<keep + 1> beside it (synced), then truncates the file to
 * keep lines (synced). For a node whose last lines never reached the replicated log and
 * were overtaken there by another writer's: never acknowledged, kept for a person to
 * look at, no longer the room. false with the reason in err, the file untouched. */
bool rooms_log_set_aside(const char *data_dir, const char *room_id, int64_t keep, char *err,
			 size_t err_cap);
/* Whether lines (each ending in a newline) are valid log lines that continue the chain
 * after prev (one line without its newline; NULL: from the first line). For a copy about
 * to receive them: nothing is ever sent on that a loader would refuse. *bad_seq gets the
 * seq of the first line that does not follow. */
bool rooms_lines_follow(const char *prev, size_t prev_len, const char *lines, size_t len,
			int64_t *bad_seq);

#endif
