/*
 * The public record, folded from the log alone (DESIGN.md: the record is a view of the
 * log). One fold builds the record document that record.json is; the text minutes, the
 * WebVTT captions, the HTML page and polls.json are renderings of that document, so the
 * four can never disagree with each other or with the log they were read from.
 *
 * It ends with the chain's head: the seq and hash of the last line. Anyone who watched
 * the meeting live holds the hash of every event they saw, and can check that the
 * published log -- and therefore this record -- is the one they saw.
 *
 * The fold is incremental: a room keeps one (record_cache.c) and feeds it each event as
 * it becomes durable, so a request never re-reads the log. record_fold_from_log() is the
 * same fold over the file, for when the kept one cannot be trusted.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/record_cache.h"

struct record_fold {
	json_t *rec;
	json_t *people;	    /* pid -> attendance row */
	json_t *floor;	    /* the open floor row, or NULL */
	json_t *hum;	    /* the open hum row */
	json_t *polls_open; /* poll id (string) -> row */
	json_t *mics_open;  /* pid -> the open row of a chair's own microphone */
	struct queue_stats *stats;
	int64_t started_ms;
	int64_t last_seq;
	char last_hash[LOG_HASH_HEX_LEN + 1];
};

static const char *str_or(json_t *v, const char *fallback)
{
	return json_is_string(v) ? json_string_value(v) : fallback;
}

static json_t *arr(json_t *rec, const char *key)
{
	return json_object_get(rec, key);
}

static void on_room_created(struct record_fold *b, const struct log_record *e)
{
	json_object_set(json_object_get(b->rec, "room"), "title",
			json_object_get(e->data, "title"));
	json_object_set_new(json_object_get(b->rec, "room"), "created", json_string(e->ts));
	json_t *tz = json_object_get(e->data, "time_zone");
	if (json_is_string(tz))
		json_object_set(json_object_get(b->rec, "room"), "time_zone", tz);
}

static void on_session(struct record_fold *b, const struct log_record *e, bool start)
{
	json_t *s = json_object_get(b->rec, "session");
	if (start) {
		b->started_ms = e->ts_ms;
		json_object_set(s, "title", json_object_get(e->data, "title"));
		json_object_set_new(s, "started", json_string(e->ts));
		json_object_set_new(s, "status", json_string("live"));
	} else {
		json_object_set_new(s, "ended", json_string(e->ts));
		json_object_set(s, "duration_ms", json_object_get(e->data, "duration_ms"));
		json_object_set_new(s, "status", json_string("ended"));
	}
}

static void on_joined(struct record_fold *b, const struct log_record *e)
{
	const char *pid = json_string_value(json_object_get(e->data, "pid"));
	if (!pid)
		return;
	json_t *row = json_object_get(b->people, pid);
	if (!row) {
		row = json_pack("{s:s,s:[],s:[]}", "pid", pid, "joined", "left");
		json_object_set_new(b->people, pid, row);
		json_array_append(arr(b->rec, "attendance"), row);
	}
	const char *keys[] = {"name", "role", "group", "location"};
	for (int i = 0; i < 4; i++)
		json_object_set(row, keys[i], json_object_get(e->data, keys[i]));
	json_array_append_new(json_object_get(row, "joined"), json_string(e->ts));
}

static void on_left(struct record_fold *b, const struct log_record *e)
{
	const char *pid = json_string_value(json_object_get(e->data, "pid"));
	json_t *row = pid ? json_object_get(b->people, pid) : NULL;
	if (row)
		json_array_append_new(json_object_get(row, "left"),
				      json_pack("{s:s,s:O}", "ts", e->ts, "reason",
						json_object_get(e->data, "reason")));
}

/* Whose microphone carried a floor: an in-room speaker (an entry the chair added, a
 * chair in the room) talks into the room's microphones, which reach the mix through the
 * venue's desk; everyone else through their own. */
static json_t *voice_of(json_t *location)
{
	bool room = json_is_string(location) && strcmp(json_string_value(location), "room") == 0;
	return json_string(room ? "venue" : "own");
}

static void on_floor_granted(struct record_fold *b, const struct log_record *e)
{
	json_t *row = json_deep_copy(e->data);
	json_object_set_new(row, "voice", voice_of(json_object_get(e->data, "location")));
	json_object_set_new(row, "started", json_string(e->ts));
	json_object_set_new(row, "offset_ms",
			    json_integer(b->started_ms ? e->ts_ms - b->started_ms : 0));
	json_array_append_new(arr(b->rec, "floors"), row);
	b->floor = row;
}

static void on_floor_ended(struct record_fold *b, const struct log_record *e)
{
	if (!b->floor)
		return;
	json_t *f = b->floor;
	b->floor = NULL;
	json_object_set_new(f, "ended", json_string(e->ts));
	json_object_set(f, "duration_ms", json_object_get(e->data, "duration_ms"));
	json_object_set(f, "reason", json_object_get(e->data, "reason"));
	int64_t raised_ms = 0, started_ms = 0;
	const char *raised = json_string_value(json_object_get(f, "raised"));
	const char *started = json_string_value(json_object_get(f, "started"));
	if (!raised || !log_parse_ts(raised, &raised_ms) || !started ||
	    !log_parse_ts(started, &started_ms))
		raised_ms = started_ms;
	enum queue_location loc = QUEUE_LOC_REMOTE;
	queue_location_parse(str_or(json_object_get(f, "location"), "remote"), &loc);
	json_t *pid = json_object_get(f, "pid");
	/* Out of memory only leaves a row out of the statistics; the record stands. */
	(void)!queue_stats_add(b->stats, json_is_string(pid) ? json_string_value(pid) : "",
			       str_or(json_object_get(f, "name"), ""),
			       str_or(json_object_get(f, "group"), ""), loc, started_ms - raised_ms,
			       json_integer_value(json_object_get(e->data, "duration_ms")));
}

static void on_floor_extended(struct record_fold *b, const struct log_record *e)
{
	if (b->floor)
		json_object_set(b->floor, "limit_s", json_object_get(e->data, "limit_s"));
}

static void on_caption(struct record_fold *b, const struct log_record *e)
{
	json_t *row =
	    json_pack("{s:I,s:s,s:O,s:O,s:O,s:O}", "seq", (json_int_t)e->seq, "ts", e->ts, "lang",
		      json_object_get(e->data, "lang"), "text", json_object_get(e->data, "text"),
		      "speaker", json_object_get(e->data, "speaker"), "offset_ms",
		      json_object_get(e->data, "offset_ms"));
	json_array_append_new(arr(b->rec, "captions"), row);
}

static void on_hum(struct record_fold *b, const struct log_record *e, bool start)
{
	if (start) {
		json_decref(b->hum);
		b->hum = json_pack("{s:s}", "started", e->ts);
		return;
	}
	json_t *row = json_deep_copy(e->data);
	json_object_set(row, "started", json_object_get(b->hum, "started"));
	json_object_set_new(row, "ended", json_string(e->ts));
	json_array_append_new(arr(b->rec, "hums"), row);
	json_decref(b->hum);
	b->hum = NULL;
}

static void on_poll(struct record_fold *b, const struct log_record *e, bool start)
{
	char key[32];
	snprintf(key, sizeof key, "%lld",
		 (long long)json_integer_value(json_object_get(e->data, "poll")));
	if (start) {
		json_object_set_new(b->polls_open, key, json_pack("{s:s}", "started", e->ts));
		return;
	}
	json_t *row = json_deep_copy(e->data);
	json_t *open = json_object_get(b->polls_open, key);
	json_object_set(row, "started", json_object_get(open, "started"));
	json_object_set_new(row, "ended", json_string(e->ts));
	json_array_append_new(arr(b->rec, "polls"), row);
	json_object_del(b->polls_open, key);
}

/* Moderation is on the record as it happened: removals, readmissions, revocations and
 * mutes of the floor holder, each with who acted. */
static void on_moderation(struct record_fold *b, const struct log_record *e)
{
	json_t *row = json_deep_copy(e->data);
	json_object_set_new(row, "kind", json_string(e->kind));
	json_object_set_new(row, "ts", json_string(e->ts));
	json_array_append_new(arr(b->rec, "moderation"), row);
}

static void close_mic(struct record_fold *b, const char *pid, const struct log_record *e,
		      json_t *by)
{
	json_t *row = pid ? json_object_get(b->mics_open, pid) : NULL;
	if (!row)
		return;
	int64_t opened_ms = 0;
	log_parse_ts(json_string_value(json_object_get(row, "opened")), &opened_ms);
	json_object_set_new(row, "closed", json_string(e->ts));
	json_object_set_new(row, "duration_ms", json_integer(e->ts_ms - opened_ms));
	json_object_set(row, "closed_by", by ? by : json_null());
	json_object_del(b->mics_open, pid);
}

/* A chair's own microphone, open to closed, so that what the mix carried besides the
 * floor holder is attributable. The floor holder's mutes go to moderation. */
static void on_mic(struct record_fold *b, const struct log_record *e, bool open)
{
	const char *pid = json_string_value(json_object_get(e->data, "pid"));
	bool floor = b->floor &&
		     json_equal(json_object_get(b->floor, "pid"), json_object_get(e->data, "pid"));
	if (floor) {
		on_moderation(b, e);
		if (open || !json_object_get(b->mics_open, pid ? pid : ""))
			return;
	}
	if (!open) {
		close_mic(b, pid, e, json_object_get(e->data, "by"));
		return;
	}
	json_t *row = json_pack("{s:s,s:O,s:s,s:I}", "pid", pid ? pid : "", "by",
				json_object_get(e->data, "by"), "opened", e->ts, "offset_ms",
				(json_int_t)(b->started_ms ? e->ts_ms - b->started_ms : 0));
	json_t *who = pid ? json_object_get(b->people, pid) : NULL;
	json_object_set(row, "name", json_object_get(who, "name"));
	json_object_set_new(row, "voice", voice_of(json_object_get(who, "location")));
	json_array_append_new(arr(b->rec, "chair_mics"), row);
	json_object_set(b->mics_open, pid ? pid : "", row);
}

/* Whatever is still open closes when its chair leaves or the session ends. */
static void close_mics(struct record_fold *b, const char *pid, const struct log_record *e)
{
	if (pid) {
		close_mic(b, pid, e, NULL);
		return;
	}
	const char *key;
	json_t *row, *keys = json_array();
	json_object_foreach(b->mics_open, key, row) json_array_append_new(keys, json_string(key));
	size_t i;
	json_t *k;
	json_array_foreach(keys, i, k) close_mic(b, json_string_value(k), e, NULL);
	json_decref(keys);
}

static bool fold_moderation(struct record_fold *b, const struct log_record *e)
{
	const char *k = e->kind;
	if (strcmp(k, "participant.removed") == 0 || strcmp(k, "participant.readmitted") == 0 ||
	    strcmp(k, "token.revoked") == 0 || strcmp(k, "token.unrevoked") == 0)
		on_moderation(b, e);
	else if (strcmp(k, "mic.opened") == 0 || strcmp(k, "mic.closed") == 0)
		on_mic(b, e, k[4] == 'o');
	else
		return false;
	if (strcmp(k, "participant.removed") == 0)
		close_mics(b, json_string_value(json_object_get(e->data, "pid")), e);
	return true;
}

void record_fold_event(struct record_fold *b, const struct log_record *e)
{
	const char *k = e->kind;
	b->last_seq = e->seq;
	memcpy(b->last_hash, e->hash, sizeof b->last_hash);
	record_interp_event(b->rec, e);
	if (strcmp(k, "participant.left") == 0)
		close_mics(b, json_string_value(json_object_get(e->data, "pid")), e);
	else if (strcmp(k, "session.ended") == 0)
		close_mics(b, NULL, e);
	if (fold_moderation(b, e))
		return;
	if (strcmp(k, "room.created") == 0)
		on_room_created(b, e);
	else if (strcmp(k, "session.started") == 0 || strcmp(k, "session.ended") == 0)
		on_session(b, e, k[8] == 's');
	else if (strcmp(k, "participant.joined") == 0)
		on_joined(b, e);
	else if (strcmp(k, "participant.left") == 0)
		on_left(b, e);
	else if (strcmp(k, "floor.granted") == 0)
		on_floor_granted(b, e);
	else if (strcmp(k, "floor.ended") == 0)
		on_floor_ended(b, e);
	else if (strcmp(k, "floor.extended") == 0)
		on_floor_extended(b, e);
	else if (strcmp(k, "caption") == 0)
		on_caption(b, e);
	else if (strcmp(k, "hum.started") == 0 || strcmp(k, "hum.ended") == 0)
		on_hum(b, e, k[4] == 's');
	else if (strcmp(k, "poll.started") == 0 || strcmp(k, "poll.ended") == 0)
		on_poll(b, e, k[5] == 's');
}

static json_t *stats_rows(struct queue_stats *st, enum queue_stat_by by)
{
	const struct queue_stat_row *rows = NULL;
	size_t n = queue_stats_rows(st, by, &rows);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct queue_stat_row *row = &rows[i];
		json_t *j =
		    json_pack("{s:s,s:i,s:I,s:I,s:I}",
			      by == QUEUE_STATS_PERSON	? "pid"
			      : by == QUEUE_STATS_GROUP ? "group"
							: "location",
			      row->key, "interventions", (int)row->interventions, "total_ms",
			      (json_int_t)row->total_ms, "median_ms", (json_int_t)row->median_ms,
			      "mean_wait_ms", (json_int_t)row->mean_wait_ms);
		if (by == QUEUE_STATS_PERSON) {
			json_object_set_new(j, "name", json_string(row->name));
			json_object_set_new(j, "group", json_string(row->group));
		}
		json_array_append_new(out, j);
	}
	return out;
}

struct record_fold *record_fold_new(const char *room_id)
{
	struct record_fold *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->rec = json_pack("{s:{s:s},s:{s:s},s:[],s:[],s:[],s:[],s:[],s:[],s:[]}", "room", "id",
			   room_id, "session", "status", "scheduled", "attendance", "floors",
			   "captions", "hums", "polls", "chair_mics", "moderation");
	b->people = json_object();
	b->polls_open = json_object();
	b->mics_open = json_object();
	b->stats = queue_stats_create();
	if (!b->rec || !b->people || !b->polls_open || !b->mics_open || !b->stats) {
		record_fold_free(b);
		return NULL;
	}
	return b;
}

void record_fold_free(struct record_fold *b)
{
	if (!b)
		return;
	json_decref(b->rec);
	json_decref(b->people);
	json_decref(b->polls_open);
	json_decref(b->mics_open);
	json_decref(b->hum);
	queue_stats_destroy(b->stats);
	free(b);
}

int64_t record_fold_seq(const struct record_fold *b)
{
	return b->last_seq;
}

/* The parts that summarise the whole (statistics, head) are set anew each time; a key
 * that is already there keeps its place, so the document's order is the same however
 * many times it was finished. */
json_t *record_fold_doc(struct record_fold *b)
{
	json_object_set_new(b->rec, "statistics",
			    json_pack("{s:o,s:o,s:o}", "persons",
				      stats_rows(b->stats, QUEUE_STATS_PERSON), "groups",
				      stats_rows(b->stats, QUEUE_STATS_GROUP), "locations",
				      stats_rows(b->stats, QUEUE_STATS_LOCATION)));
	json_object_set_new(b->rec, "head",
			    json_pack("{s:I,s:s}", "seq", (json_int_t)b->last_seq, "hash",
				      b->last_seq ? b->last_hash : ""));
	json_object_set_new(b->rec, "verification",
			    json_pack("{s:s,s:s}", "log", "log", "how",
				      "Each line of the log is {seq,ts,kind,data,prev,hash}; hash "
				      "is hex SHA-256 of prev followed by the RFC 8785 "
				      "canonical JSON of {seq,ts,kind,data}. The last line's "
				      "hash is head.hash."));
	return b->rec;
}

static int fold_one(void *ctx, const struct log_record *e)
{
	record_fold_event(ctx, e);
	return 0;
}

struct record_fold *record_fold_from_log(struct room *r)
{
	struct record_fold *b = record_fold_new(r->id);
	if (b && log_file_read_since(r->log, 0, fold_one, b) != LOG_OK) {
		record_fold_free(b);
		b = NULL;
	}
	return b;
}
