/*
 * The room's private types, shared by the files of rooms/ (and its unit tests).
 *
 * A room's fields fall in two kinds, and the split is the design:
 *   durable state -- a fold over the log: room_apply() is the only function that changes
 *     it, both live (right after an event is appended) and when replaying;
 *   runtime state -- who is connected right now, hum casts and anonymous ballots,
 *     throttles and alarms. Never logged, rebuilt empty after a restart.
 */
#ifndef PLENARY_ROOMS_ROOM_INTERNAL_H
#define PLENARY_ROOMS_ROOM_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "queue/queue.h"
#include "rooms/log.h"
#include "rooms/rooms.h"

#define ROOM_TITLE_MAX	       201
#define ROOM_HUM_OPTIONS_MAX   5
#define ROOM_POLL_OPTIONS_MAX  20
#define ROOM_QUESTION_MAX      1001 /* bytes with NUL */
#define ROOM_OPTION_MAX	       201
#define ROOM_CAPTION_CHARS_MAX 2000
#define ROOM_LANG_MAX	       36
#define ROOM_LANGS_MAX	       16
#define ROOM_PEOPLE_MAX	       100000
#define ROOM_REASON_MAX	       201 /* a removal's or revocation's reason, bytes with NUL */
#define ROOM_REVOKED_MAX       100000
#define ROOM_JTI_MAX	       64
#define ROOM_CID_MAX	       65 /* a caption's cid: 1 to 64 printable ASCII characters + NUL */
#define ROOM_CIDS_KEPT	       64 /* the last cids remembered per person (captions.c) */
#define ROOM_BOOTHS_MAX	       16 /* interpretation booths (languages) per room */

enum room_status { ROOM_SCHEDULED = 0, ROOM_LIVE, ROOM_ENDED };

/* A person's last caption ids, a ring (durable: a fold over the caption events). */
struct room_cids {
	char id[ROOM_CIDS_KEPT][ROOM_CID_MAX];
	int next;
};

/* What a client says of its microphone (mic.status); UNKNOWN until it says anything. */
enum room_mic_state {
	ROOM_MIC_UNKNOWN = 0,
	ROOM_MIC_NONE,
	ROOM_MIC_REFUSED,
	ROOM_MIC_MUTED,
	ROOM_MIC_READY
};

struct person {
	char pid[QUEUE_PID_MAX];
	char name[QUEUE_NAME_MAX];
	char group[QUEUE_GROUP_MAX];
	enum room_role role;
	bool in_room;
	bool present; /* durable: joined and not left */
	/* runtime */
	int connections;
	int64_t dropped_ms; /* when the last connection went; 0 while connected */
	int hum_cast;	    /* option index, -1 none (memory only, never logged) */
	int64_t cart_seq;   /* last CART caption seq seen from this captioner (durable) */
	/* durable: moderation (moderation.c) */
	bool removed; /* participant.removed and not readmitted: may not join */
	char removed_by[QUEUE_PID_MAX];
	char removed_reason[ROOM_REASON_MAX]; /* "" when none was given */
	bool mic_on;			      /* a chair opened their own microphone */
	bool poll_eligible; /* chair/participant present while the open poll was open */
	uint32_t ballot;    /* bitmask of choices in the open poll (memory only if anonymous) */
	bool has_ballot;
	/* Durable: the last caption cids; allocated on this person's first one. */
	struct room_cids *cids;
	/* Runtime: the last mic.status. */
	enum room_mic_state mic;
	/* Durable: an interpreter's booth (participant.joined's lang), canonical; else "". */
	char lang[ROOM_LANG_MAX];
};

/* An interpretation booth: made by its first interp.taken, kept for the room's life (its
 * channel is known even while nobody is on air). Durable. */
struct room_booth {
	char lang[ROOM_LANG_MAX];
	char pid[QUEUE_PID_MAX]; /* who is on air; "" for nobody */
	int64_t since_ms;
};

struct hum {
	bool open;
	int64_t id;
	char question[ROOM_QUESTION_MAX];
	char options[ROOM_HUM_OPTIONS_MAX][ROOM_OPTION_MAX];
	int n_options;
	int64_t started_ms;
	/* runtime: throttle of the chairs' live levels */
	bool levels_dirty;
	int64_t levels_sent_ms;
};

struct poll {
	int64_t id;
	bool open;
	char question[ROOM_QUESTION_MAX];
	char options[ROOM_POLL_OPTIONS_MAX][ROOM_OPTION_MAX];
	int n_options;
	bool multiple, anonymous, live_counts, show_of_hands;
	int64_t started_ms, ended_ms;
};

/* A revoked token (token.revoked): by its sub or by its jti, never both. */
struct revoked {
	bool by_jti;
	char value[QUEUE_PID_MAX];
	char reason[ROOM_REASON_MAX];
	int64_t ts_ms;
};

struct rooms {
	char dir[1024];
	int64_t grace_ms;
	struct rooms_sink sink;
	struct room **rooms;
	size_t n_rooms, cap_rooms;
	void (*warn)(void *ctx, const char *room, const char *what);
	void *warn_ctx;
	const struct log_io *log_io;
};

struct room {
	struct rooms *rs;
	void *host_data;
	struct log_file *log;
	char path[1100];

	/* durable */
	char id[65];
	char title[ROOM_TITLE_MAX];
	char session_title[ROOM_TITLE_MAX];
	bool public_observers, reveal_hum_counts;
	enum room_visibility visibility;
	bool created;
	enum room_status status;
	int64_t started_ms, ended_ms;
	struct person *people;
	size_t n_people, cap_people;
	struct queue queue;
	bool
	    floor_muted; /* a chair closed the floor holder's mic (mic.closed); a new floor opens */
	struct revoked *revoked;
	size_t n_revoked, cap_revoked;
	struct hum hum;
	int64_t hums_started;
	struct poll *polls;
	size_t n_polls, cap_polls;
	char langs[ROOM_LANGS_MAX][ROOM_LANG_MAX];
	int n_langs;
	struct room_booth booths[ROOM_BOOTHS_MAX];
	int n_booths;
	char floor_lang[ROOM_LANG_MAX]; /* floor.lang; "" until declared */
	int64_t head_seq;
	char head_hash[LOG_HASH_HEX_LEN + 1];
	/* Durable and, with a replica (rooms_sink.replicate), acknowledged by it: what
	 * clients may be told of. replicating: a batch is out with the replica. */
	int64_t committed_seq;
	bool replicating;
	struct record_cache *record; /* the record's fold, kept as events become durable */

	/* runtime */
	size_t observers;
	bool floor_warned, floor_limit_passed;
	bool presence_dirty;
	int64_t presence_sent_ms;
	size_t presence_last_people, presence_last_observers;
	bool poll_progress_dirty;
	int64_t poll_progress_sent_ms;
	bool replaying;
	char message[200]; /* the last error message for a caller (fields.c) */
	/* room_set_talkers: who the media side heard lately, most recent first. */
	char talkers[ROOM_TALKERS_MAX][QUEUE_PID_MAX];
	size_t n_talkers;
};

/* room.c */
struct room *room_new(struct rooms *rs, const char *id);
void room_free(struct room *r);
struct person *room_person(struct room *r, const char *pid);
/* room_mic_open for a person already found: listing every open mic stays O(people). */
bool room_person_mic_open(const struct room *r, const struct person *p);
struct person *room_person_add(struct room *r, const char *pid);
struct poll *room_open_poll(struct room *r);
struct poll *room_poll(struct room *r, int64_t id);
bool room_is_voice(enum room_role role); /* chair or participant */
size_t room_connected_people(const struct room *r);

/* apply.c: the fold. Returns false if the event does not fit the state (a log that
 * cannot be replayed is refused, never patched). */
bool room_apply(struct room *r, const char *kind, const json_t *data, int64_t ts_ms);

/* emit.c: append an event to the log, apply it, and tell the host. Takes data. */
enum room_err room_emit(struct room *r, const char *kind, json_t *data, int64_t now_ms);
void room_send_live(struct room *r, const char *kind, json_t *data); /* takes data */
void room_send_private(struct room *r, const char *pid, enum room_role role, const char *kind,
		       json_t *data); /* takes data */
void room_mic_changed(struct room *r, const char *pid, bool open);
void room_presence_changed(struct room *r, int64_t now_ms);

/* The command handlers, one file per area. Each validates its fields, decides and emits.
 * They run after the table's role check; *result may be set to the ack's fields. */
struct room_cmd_ctx {
	struct room *r;
	const struct room_identity *who;
	json_t *cmd;
	int64_t now;
	json_t *result;
	const char *message;
};
typedef enum room_err (*room_cmd_fn)(struct room_cmd_ctx *ctx);

enum room_err cmd_session_start(struct room_cmd_ctx *ctx);
enum room_err cmd_session_end(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_raise(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_lower(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_add(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_remove(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_move(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_open(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_close(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_policy(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_next(struct room_cmd_ctx *ctx);
enum room_err cmd_queue_grant(struct room_cmd_ctx *ctx);
enum room_err cmd_floor_end(struct room_cmd_ctx *ctx);
enum room_err cmd_floor_extend(struct room_cmd_ctx *ctx);
enum room_err cmd_hum_start(struct room_cmd_ctx *ctx);
enum room_err cmd_hum_cast(struct room_cmd_ctx *ctx);
enum room_err cmd_hum_end(struct room_cmd_ctx *ctx);
enum room_err cmd_poll_start(struct room_cmd_ctx *ctx);
enum room_err cmd_poll_vote(struct room_cmd_ctx *ctx);
enum room_err cmd_poll_end(struct room_cmd_ctx *ctx);
enum room_err cmd_caption(struct room_cmd_ctx *ctx);
enum room_err cmd_participant_remove(struct room_cmd_ctx *ctx);
enum room_err cmd_participant_readmit(struct room_cmd_ctx *ctx);
enum room_err cmd_mic_open(struct room_cmd_ctx *ctx);
enum room_err cmd_mic_close(struct room_cmd_ctx *ctx);

/* moderation.c: the fold of the moderation events (apply.c's table calls these). */
bool room_apply_removed(struct room *r, const json_t *d, int64_t ts);
bool room_apply_readmitted(struct room *r, const json_t *d, int64_t ts);
bool room_apply_mic(struct room *r, const json_t *d, int64_t ts, bool open);
bool room_apply_revoked(struct room *r, const json_t *d, int64_t ts);
bool room_apply_unrevoked(struct room *r, const json_t *d, int64_t ts);
/* A chair's own mic was left open by a connection that is gone: mic.closed. */
void room_chair_mic_dropped(struct room *r, struct person *p, int64_t now);
/* Snapshot parts: who was removed, and whose mics are open. */
json_t *room_snapshot_removed(const struct room *r);
json_t *room_snapshot_core(const struct room *r);
json_t *room_snapshot_mics(const struct room *r);
enum room_err cmd_mic_status(struct room_cmd_ctx *ctx);

/* interp.c: booths, their handover and the floor's language. */
enum room_err cmd_interp_take(struct room_cmd_ctx *ctx);
enum room_err cmd_floor_lang(struct room_cmd_ctx *ctx);
bool room_apply_interp_taken(struct room *r, const json_t *d, int64_t ts);
bool room_apply_floor_lang(struct room *r, const json_t *d, int64_t ts);
/* The fold of participant.left for booths: a leaving interpreter goes off air. */
void room_interp_person_left(struct room *r, const char *pid);
bool room_interp_on_air(const struct room *r, const struct person *p);
/* The snapshot's "floor_lang" and "booths". */
void room_snapshot_interp(const struct room *r, json_t *snap);

/* captions.c: remembering a person's caption id (the fold). */
bool room_cid_remember(struct person *p, const char *cid);
/* mic_status.c: the snapshot's name of a state (NULL for UNKNOWN). */
const char *room_mic_state_name(enum room_mic_state s);

/* Shared by handlers: the floor ends (event), the hum and the poll close (events). */
enum room_err room_end_floor(struct room *r, enum queue_end_reason reason, int64_t now);
enum room_err room_end_hum(struct room *r, int64_t now);
enum room_err room_end_poll(struct room *r, int64_t now);
/* A person leaves for good: their entry goes, their floor ends, participant.left. */
enum room_err room_person_leaves(struct room *r, struct person *p, const char *reason, int64_t now);
/* Chairs' live hum levels and everyone's poll progress, throttled by the clock. */
void room_hum_levels_maybe(struct room *r, int64_t now, bool force);
void room_poll_progress_maybe(struct room *r, int64_t now, bool force);
void room_hum_forget_casts(struct room *r);
void room_poll_forget_ballots(struct room *r);

/* Field helpers for handlers (fields.c). Each returns false and sets ctx->message when
 * the field is present but wrong, or absent and required. */
bool field_string(struct room_cmd_ctx *ctx, const char *key, bool required, size_t max_bytes,
		  const char **out);
bool field_int(struct room_cmd_ctx *ctx, const char *key, bool required, int64_t lo, int64_t hi,
	       int64_t *out);
bool field_bool(struct room_cmd_ctx *ctx, const char *key, bool *out);
/* "options": an array of min..max non-empty strings; *out is borrowed from the command. */
bool field_options(struct room_cmd_ctx *ctx, int min, int max, json_t **out);
size_t utf8_chars(const char *s, size_t len);
bool utf8_valid(const char *s, size_t len);

#endif
