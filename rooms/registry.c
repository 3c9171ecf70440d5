/*
 * The registry: every room of this server, loaded from the data directory at start and
 * created on demand, and the group commit that makes their events durable.
 *
 * Loading replays each room's log through the fold. A log that does not verify or does
 * not fold is refused -- that room stays unloaded and the reason (with the line) is
 * reported -- while every other room loads normally. A torn tail is cut and reported.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rooms/record_cache.h"

bool rooms_valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	return n > 0 && n <= 64 && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static void warn(struct rooms *rs, const char *room, const char *what)
{
	if (rs->warn)
		rs->warn(rs->warn_ctx, room, what);
}

static int replay_into(void *ctx, const struct log_record *rec)
{
	struct room *r = ctx;
	if (!room_apply(r, rec->kind, rec->data, rec->ts_ms)) {
		/* The line is a good log line; the room cannot take it. Say so, not "bad JSON". */
		snprintf(r->message, sizeof r->message, "%s does not fit the room's state",
			 rec->kind);
		return 1;
	}
	r->head_seq = rec->seq;
	memcpy(r->head_hash, rec->hash, sizeof r->head_hash);
	record_cache_replayed(r, rec);
	return 0;
}

static bool add_room(struct rooms *rs, struct room *r)
{
	if (rs->n_rooms == rs->cap_rooms) {
		size_t cap = rs->cap_rooms ? rs->cap_rooms * 2 : 16;
		struct room **grown = realloc(rs->rooms, cap * sizeof *grown);
		if (!grown)
			return false;
		rs->rooms = grown;
		rs->cap_rooms = cap;
	}
	rs->rooms[rs->n_rooms++] = r;
	return true;
}

static void load_room(struct rooms *rs, const char *id, int64_t now_ms)
{
	struct room *r = room_new(rs, id);
	if (!r)
		return;
	struct log_open_report report;
	memset(&report, 0, sizeof report);
	r->replaying = true;
	enum log_err err = log_file_open(r->path, rs->log_io, replay_into, r, &r->log, &report);
	r->replaying = false;
	char what[256];
	if (err != LOG_OK) {
		snprintf(what, sizeof what, "refused to load: line %lld: %s",
			 (long long)report.bad_line,
			 r->message[0] ? r->message
				       : log_strerror(report.bad_why ? report.bad_why : err));
		warn(rs, id, what);
		room_free(r);
		return;
	}
	if (report.torn_bytes) {
		snprintf(what, sizeof what,
			 "cut a torn last line of %zu bytes (never acknowledged)",
			 report.torn_bytes);
		warn(rs, id, what);
	}
	if (!r->created) {
		/* An empty log: the room's creation was never acknowledged. */
		warn(rs, id, "empty log removed");
		unlink(r->path);
		room_free(r);
		return;
	}
	r->committed_seq = log_file_durable_seq(r->log);
	/* Nobody is connected after a restart: everyone's grace period starts now. */
	for (size_t i = 0; i < r->n_people && !rs->follow; i++)
		if (r->people[i].present)
			r->people[i].dropped_ms = now_ms;
	if (!add_room(rs, r))
		room_free(r);
}

struct room *rooms_load(struct rooms *rs, const char *id, int64_t now_ms)
{
	if (!rooms_valid_id(id) || rooms_find(rs, id))
		return NULL;
	load_room(rs, id, now_ms);
	return rooms_find(rs, id);
}

static bool is_log_name(const char *name, char *id, size_t cap)
{
	size_t n = strlen(name);
	if (n <= 6 || strcmp(name + n - 6, ".jsonl") != 0 || n - 6 >= cap)
		return false;
	memcpy(id, name, n - 6);
	id[n - 6] = '\0';
	return rooms_valid_id(id);
}

enum room_err rooms_open(const struct rooms_options *opt, const struct rooms_sink *sink,
			 struct rooms **out, char *err, size_t err_cap)
{
	struct rooms *rs = calloc(1, sizeof *rs);
	if (!rs)
		return ROOM_EINTERNAL;
	snprintf(rs->dir, sizeof rs->dir, "%s", opt->data_dir);
	rs->grace_ms = opt->grace_ms;
	rs->sink = *sink;
	rs->warn = opt->warn;
	rs->warn_ctx = opt->warn_ctx;
	rs->log_io = opt->log_io;
	rs->follow = opt->follow;
	char path[1100];
	snprintf(path, sizeof path, "%s/rooms", rs->dir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		free(rs);
		return ROOM_EINTERNAL;
	}
	DIR *dir = opendir(path);
	if (!dir) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		free(rs);
		return ROOM_EINTERNAL;
	}
	struct dirent *de;
	char id[65];
	while ((de = readdir(dir)) != NULL)
		if (is_log_name(de->d_name, id, sizeof id))
			load_room(rs, id, opt->now_ms);
	closedir(dir);
	*out = rs;
	return ROOM_OK;
}

void rooms_close(struct rooms *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_rooms; i++)
		room_free(rs->rooms[i]);
	free(rs->rooms);
	free(rs);
}

struct room *rooms_find(struct rooms *rs, const char *id)
{
	for (size_t i = 0; i < rs->n_rooms; i++)
		if (strcmp(rs->rooms[i]->id, id) == 0)
			return rs->rooms[i];
	return NULL;
}

size_t rooms_count(const struct rooms *rs)
{
	return rs->n_rooms;
}

struct room *rooms_at(struct rooms *rs, size_t i)
{
	return i < rs->n_rooms ? rs->rooms[i] : NULL;
}

/* A new room's first line: synced, and held by the replica (if any) before the creation is
 * answered. */
static bool flush_created(struct rooms *rs, struct room *r)
{
	size_t len;
	int64_t first;
	const char *lines = log_file_pending(r->log, &len, &first);
	if (log_file_flush(r->log, NULL) != LOG_OK)
		return false;
	return !rs->sink.replicate || rs->sink.replicate(rs->sink.ctx, r, first, lines, len, true);
}

enum room_err rooms_create(struct rooms *rs, const struct room_settings *s, int64_t now_ms,
			   struct room **out)
{
	bool zoned = s->time_zone && strcmp(s->time_zone, "UTC") != 0;
	if (!rooms_valid_id(s->id) || !s->title || !s->title[0] ||
	    strlen(s->title) >= ROOM_TITLE_MAX || (zoned && !rooms_time_zone_valid(s->time_zone)))
		return ROOM_EBAD_REQUEST;
	if (rooms_find(rs, s->id))
		return ROOM_ECONFLICT;
	struct room *r = room_new(rs, s->id);
	if (!r)
		return ROOM_EINTERNAL;
	/* Never adopt a file we did not load: it may be a room that refused to load. */
	if (access(r->path, F_OK) == 0) {
		room_free(r);
		return ROOM_ECONFLICT;
	}
	struct log_open_report report;
	if (log_file_open(r->path, rs->log_io, replay_into, r, &r->log, &report) != LOG_OK ||
	    !add_room(rs, r)) {
		room_free(r);
		return ROOM_EINTERNAL;
	}
	json_t *data =
	    json_pack("{s:s,s:s,s:b,s:b}", "id", s->id, "title", s->title, "public_observers",
		      s->public_observers, "reveal_hum_counts", s->reveal_hum_counts);
	/* Only a private room says so: a public room's first line is what it always was. */
	if (data && s->visibility == ROOM_VISIBILITY_PRIVATE)
		json_object_set_new(data, "visibility", json_string("private"));
	if (data && zoned) /* likewise: a room in UTC says nothing */
		json_object_set_new(data, "time_zone", json_string(s->time_zone));
	if (room_emit(r, "room.created", data, now_ms) != ROOM_OK || !flush_created(rs, r)) {
		rs->n_rooms--;
		unlink(r->path);
		room_free(r);
		return ROOM_EINTERNAL;
	}
	r->committed_seq = log_file_durable_seq(r->log);
	record_cache_flushed(r, true, r->committed_seq);
	if (rs->sink.durable)
		rs->sink.durable(rs->sink.ctx, r, true);
	*out = r;
	return ROOM_OK;
}

void room_set_passive(struct room *r, bool passive, int64_t now_ms)
{
	if (r->passive && !passive)
		for (size_t i = 0; i < r->n_people; i++)
			if (r->people[i].present && r->people[i].connections == 0)
				r->people[i].dropped_ms = now_ms;
	r->passive = passive;
}

bool rooms_dirty(const struct rooms *rs)
{
	for (size_t i = 0; i < rs->n_rooms; i++)
		if (log_file_has_pending(rs->rooms[i]->log))
			return true;
	return false;
}

/* The runtime state of a person that the log never held: who is connected, and -- while
 * the same hum or poll is still open after the rollback -- their hum cast, their anonymous
 * ballot and whether they count as eligible. Without it a failed flush would silently
 * forget every cast and ballot acknowledged so far. */
static void keep_runtime(const struct room *old_room, struct room *fresh, struct person *p,
			 const struct person *old)
{
	p->connections = old->connections;
	p->dropped_ms = old->dropped_ms;
	p->mic = old->mic;
	if (old_room->hum.open && fresh->hum.open && old_room->hum.id == fresh->hum.id)
		p->hum_cast = old->hum_cast;
	const struct poll *was = NULL;
	for (size_t i = 0; i < old_room->n_polls; i++)
		if (old_room->polls[i].open)
			was = &old_room->polls[i];
	const struct poll *now = room_open_poll(fresh);
	if (was && now && was->id == now->id) {
		p->poll_eligible = old->poll_eligible;
		if (now->anonymous) {
			p->ballot = old->ballot;
			p->has_ballot = old->has_ballot;
		}
	}
}

struct rebuild {
	struct room *room;
	int64_t upto;
	bool failed;
};

static int rebuild_one(void *ctx, const struct log_record *rec)
{
	struct rebuild *b = ctx;
	if (rec->seq > b->upto)
		return 1;
	if (replay_into(b->room, rec) == 0)
		return 0;
	b->failed = true;
	return 1;
}

/* After a failed flush: rebuild the durable state from what is on disk up to the last
 * committed record, keeping the runtime state (keep_runtime). Only up to it: when the
 * file could not be cut back, it still holds lines nobody was told of, and the room must
 * not show them (the file is then marked broken, so nothing more is appended). */
static void room_rebuild(struct room *r)
{
	struct room *fresh = room_new(r->rs, r->id);
	if (!fresh)
		return;
	struct rebuild b = {fresh, r->committed_seq, false};
	fresh->replaying = true;
	enum log_err err = log_file_read_since(r->log, 0, rebuild_one, &b);
	fresh->replaying = false;
	if (err != LOG_OK || b.failed || fresh->head_seq != r->committed_seq) {
		warn(r->rs, r->id, "cannot re-read the log after a failed flush");
		room_free(fresh);
		return;
	}
	for (size_t i = 0; i < r->n_people; i++) {
		const struct person *old = &r->people[i];
		struct person *p = room_person(fresh, old->pid);
		if (!p && old->connections > 0)
			p = room_person_add(fresh, old->pid);
		if (p)
			keep_runtime(r, fresh, p, old);
	}
	fresh->observers = r->observers;
	fresh->passive = r->passive;
	fresh->log = r->log;
	fresh->host_data = r->host_data;
	fresh->committed_seq = r->committed_seq;
	r->log = NULL;
	struct room tmp = *r;
	*r = *fresh;
	*fresh = tmp;
	room_free(fresh);
}

/* Rolls room back to its last committed record, as a failed flush does. After a failed
 * flush the file is there already (log_file_flush rolled it back): no second truncation,
 * whose own sync could fail and break a log that is fine. */
static void roll_back_room(struct room *r)
{
	bool file_ahead =
	    log_file_durable_seq(r->log) > r->committed_seq || log_file_has_pending(r->log);
	if (file_ahead && log_file_truncate_to(r->log, r->committed_seq) != LOG_OK)
		warn(r->rs, r->id,
		     "cannot truncate the log back to its last committed record: the room "
		     "refuses further events until restarted");
	record_cache_flushed(r, false, r->committed_seq);
	room_rebuild(r);
}

static void committed(struct rooms *rs, struct room *r, bool ok)
{
	if (ok) {
		r->committed_seq = log_file_durable_seq(r->log);
		record_cache_flushed(r, true, r->committed_seq);
	} else {
		roll_back_room(r);
	}
	if (rs->sink.durable)
		rs->sink.durable(rs->sink.ctx, r, ok);
}

/* One room's group commit. Without a replica a synced batch is committed at once; with
 * one it is handed over and the room holds until rooms_replicated. */
static void flush_room(struct rooms *rs, struct room *r,
		       void (*fsync_ns_cb)(void *ctx, uint64_t ns), void *ctx)
{
	uint64_t ns = 0;
	size_t len;
	int64_t first;
	const char *lines = log_file_pending(r->log, &len, &first);
	bool ok = log_file_flush(r->log, &ns) == LOG_OK;
	if (fsync_ns_cb)
		fsync_ns_cb(ctx, ns);
	if (ok && rs->sink.replicate) {
		r->replicating = rs->sink.replicate(rs->sink.ctx, r, first, lines, len, false);
		if (r->replicating)
			return;
		ok = false;
	}
	committed(rs, r, ok);
}

/* One line the replica holds, re-made by the room: the same event after the same head
 * gives the same bytes, which the hash check confirms. */
static bool adopt_line(struct room *r, const char *line, size_t len)
{
	struct log_record rec;
	struct log_chain chain;
	chain.seq = r->head_seq;
	memcpy(chain.hash, r->head_hash, sizeof chain.hash);
	if (log_chain_next(&chain, line, len, &rec) != LOG_OK)
		return false;
	bool ok = room_emit(r, rec.kind, json_incref(rec.data), rec.ts_ms) == ROOM_OK &&
		  strcmp(r->head_hash, rec.hash) == 0;
	log_record_clear(&rec);
	return ok;
}

/* Which of the room's people (by index: people are only ever appended) have an open
 * mic now; NULL on OOM or nobody yet. */
static bool *open_mics(const struct room *r, size_t *n)
{
	*n = r->n_people;
	bool *open = *n ? calloc(*n, sizeof *open) : NULL;
	for (size_t i = 0; open && i < *n; i++)
		open[i] = room_person_mic_open(r, &r->people[i]);
	return open;
}

/* Lines folded here (an edge, a standby taking over) change microphones without a command
 * on this node: the sink hears of each that opened or closed, as the command would have
 * told it on the owner. */
static void tell_mic_changes(struct room *r, const bool *was, size_t n_was)
{
	for (size_t i = 0; i < r->n_people; i++) {
		bool now = room_person_mic_open(r, &r->people[i]);
		if (now != (was && i < n_was && was[i]))
			room_mic_changed(r, r->people[i].pid, now);
	}
}

bool rooms_adopt(struct rooms *rs, struct room *room, const char *lines, size_t len)
{
	if (room->replicating || log_file_has_pending(room->log))
		return false;
	size_t n_was;
	bool *was = open_mics(room, &n_was);
	bool ok = true;
	for (size_t at = 0; ok && at < len;) {
		const char *nl = memchr(lines + at, '\n', len - at);
		size_t line_len = nl ? (size_t)(nl - (lines + at)) : len - at;
		ok = nl && adopt_line(room, lines + at, line_len);
		at += line_len + 1;
	}
	ok = ok && log_file_flush(room->log, NULL) == LOG_OK;
	committed(rs, room, ok);
	if (ok)
		tell_mic_changes(room, was, n_was);
	free(was);
	return ok;
}

void rooms_replicated(struct rooms *rs, struct room *room, bool ok)
{
	if (!room->replicating)
		return;
	room->replicating = false;
	committed(rs, room, ok);
}

size_t rooms_flush(struct rooms *rs, void (*fsync_ns_cb)(void *ctx, uint64_t ns), void *ctx)
{
	size_t flushed = 0;
	for (size_t i = 0; i < rs->n_rooms; i++) {
		struct room *r = rs->rooms[i];
		if (r->replicating || !log_file_has_pending(r->log))
			continue;
		flush_room(rs, r, fsync_ns_cb, ctx);
		flushed++;
	}
	return flushed;
}

struct replay_wire {
	bool (*fn)(void *ctx, const char *msg, size_t len);
	void *ctx;
	bool failed;
	int64_t upto; /* the committed end: synced but unreplicated events are not told */
};

static int wire_one(void *ctx, const struct log_record *rec)
{
	struct replay_wire *w = ctx;
	if (rec->seq > w->upto)
		return 1;
	json_t *msg =
	    json_pack("{s:s,s:I,s:s,s:s,s:O,s:s}", "type", "event", "seq", (json_int_t)rec->seq,
		      "ts", rec->ts, "kind", rec->kind, "data", rec->data, "hash", rec->hash);
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text) {
		w->failed = true; /* a resume cut short must not pass for a whole one */
		return 1;
	}
	bool stop = w->fn(w->ctx, text, strlen(text));
	free(text);
	return stop ? 1 : 0;
}

bool room_replay_since(struct room *r, int64_t since,
		       bool (*fn)(void *ctx, const char *msg, size_t len), void *ctx)
{
	/* Clients only ever see durable events, so a point past the durable end is not one
	 * they can have seen. */
	if (since < 0 || since > r->committed_seq)
		return false;
	struct replay_wire w = {.fn = fn, .ctx = ctx, .upto = r->committed_seq};
	return log_file_read_since(r->log, since, wire_one, &w) == LOG_OK && !w.failed;
}

bool rooms_verify_file(const char *path, FILE *out)
{
	return log_verify_file(path, out) == LOG_OK;
}
