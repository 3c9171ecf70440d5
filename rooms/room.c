/*
 * A room: its people, snapshot and summary, and who is connected.
 *
 * People are kept in an array in order of first appearance (the order of the record).
 * Connections are counted per person; when the last one goes the grace period starts
 * (dropped_ms), and the clock (clock.c) makes them leave if they do not come back.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/record_cache.h"

static const char *const role_names[ROOM_ROLE_COUNT] = {"chair",     "participant", "observer",
							"captioner", "venue",	    "interpreter"};

const char *room_role_name(enum room_role role)
{
	return (unsigned)role < ROOM_ROLE_COUNT ? role_names[role] : "?";
}

bool room_role_parse(const char *name, enum room_role *out)
{
	for (int i = 0; i < ROOM_ROLE_COUNT; i++)
		if (strcmp(name, role_names[i]) == 0) {
			*out = (enum room_role)i;
			return true;
		}
	return false;
}

bool room_is_voice(enum room_role role)
{
	return role == ROOM_ROLE_CHAIR || role == ROOM_ROLE_PARTICIPANT;
}

struct room *room_new(struct rooms *rs, const char *id)
{
	struct room *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->rs = rs;
	snprintf(r->id, sizeof r->id, "%s", id);
	snprintf(r->path, sizeof r->path, "%s/rooms/%s.jsonl", rs->dir, id);
	r->record = record_cache_new(id);
	if (!r->record) {
		free(r);
		return NULL;
	}
	queue_init(&r->queue);
	memset(r->head_hash, '0', LOG_HASH_HEX_LEN);
	r->head_hash[LOG_HASH_HEX_LEN] = '\0';
	return r;
}

void room_free(struct room *r)
{
	if (!r)
		return;
	if (r->log)
		log_file_close(r->log);
	queue_fini(&r->queue);
	for (size_t i = 0; i < r->n_people; i++)
		free(r->people[i].cids);
	record_cache_free(r->record);
	free(r->people);
	free(r->polls);
	free(r->revoked);
	free(r);
}

const char *room_id(const struct room *r)
{
	return r->id;
}

bool room_public_observers(const struct room *r)
{
	return r->public_observers;
}

enum room_visibility room_visibility(const struct room *r)
{
	return r->visibility;
}

static const char *room_visibility_name(enum room_visibility v)
{
	return v == ROOM_VISIBILITY_PRIVATE ? "private" : "public";
}

bool room_visibility_parse(const char *name, enum room_visibility *out)
{
	if (strcmp(name, "public") == 0)
		*out = ROOM_VISIBILITY_PUBLIC;
	else if (strcmp(name, "private") == 0)
		*out = ROOM_VISIBILITY_PRIVATE;
	else
		return false;
	return true;
}

void room_set_host_data(struct room *r, void *data)
{
	r->host_data = data;
}

void *room_host_data(const struct room *r)
{
	return r->host_data;
}

int64_t room_head_seq(const struct room *r)
{
	return r->head_seq;
}

const char *room_log_path(const struct room *r)
{
	return r->path;
}

struct person *room_person(struct room *r, const char *pid)
{
	for (size_t i = 0; i < r->n_people; i++)
		if (strcmp(r->people[i].pid, pid) == 0)
			return &r->people[i];
	return NULL;
}

struct person *room_person_add(struct room *r, const char *pid)
{
	if (r->n_people >= ROOM_PEOPLE_MAX || strlen(pid) >= QUEUE_PID_MAX)
		return NULL;
	if (r->n_people == r->cap_people) {
		size_t cap = r->cap_people ? r->cap_people * 2 : 16;
		struct person *grown = realloc(r->people, cap * sizeof *grown);
		if (!grown)
			return NULL;
		r->people = grown;
		r->cap_people = cap;
	}
	struct person *p = &r->people[r->n_people++];
	memset(p, 0, sizeof *p);
	snprintf(p->pid, sizeof p->pid, "%s", pid);
	p->hum_cast = -1;
	p->cart_seq = -1;
	return p;
}

struct poll *room_poll(struct room *r, int64_t id)
{
	for (size_t i = 0; i < r->n_polls; i++)
		if (r->polls[i].id == id)
			return &r->polls[i];
	return NULL;
}

struct poll *room_open_poll(struct room *r)
{
	for (size_t i = 0; i < r->n_polls; i++)
		if (r->polls[i].open)
			return &r->polls[i];
	return NULL;
}

size_t room_connected_people(const struct room *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_people; i++)
		n += r->people[i].present && r->people[i].connections > 0;
	return n;
}

/* A microphone open by the person's role rather than by the floor: a chair's once opened,
 * the venue's desk (the room's own microphones) all session long, an interpreter's while
 * they hold their booth (interp.c). */
static bool room_own_mic_on(const struct room *r, const struct person *p)
{
	if (p->role == ROOM_ROLE_INTERPRETER)
		return room_interp_on_air(r, p);
	if (!p->present || p->connections == 0)
		return false;
	return p->role == ROOM_ROLE_VENUE || (p->role == ROOM_ROLE_CHAIR && p->mic_on);
}

bool room_mic_open(const struct room *r, const char *pid)
{
	if (r->status != ROOM_LIVE || !pid || !pid[0])
		return false;
	if (r->queue.floor.active && strcmp(r->queue.floor.pid, pid) == 0 && !r->floor_muted)
		return true;
	/* A chair's own microphone: opened by that chair (mic.opened), and only while one of
	 * their connections is here (after a restart nobody is, until they come back). */
	for (size_t i = 0; i < r->n_people; i++)
		if (strcmp(r->people[i].pid, pid) == 0)
			return room_own_mic_on(r, &r->people[i]);
	return false;
}

bool room_person_role(const struct room *r, const char *pid, enum room_role *role)
{
	for (size_t i = 0; pid && i < r->n_people; i++)
		if (strcmp(r->people[i].pid, pid) == 0) {
			*role = r->people[i].role;
			return true;
		}
	return false;
}

size_t room_open_mics(const struct room *r, const char **pids, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_people && n < cap; i++)
		if (room_person_mic_open(r, &r->people[i]))
			pids[n++] = r->people[i].pid;
	return n;
}

bool room_person_mic_open(const struct room *r, const struct person *p)
{
	if (r->status != ROOM_LIVE || !p->pid[0])
		return false;
	if (r->queue.floor.active && strcmp(r->queue.floor.pid, p->pid) == 0 && !r->floor_muted)
		return true;
	return room_own_mic_on(r, p);
}

static const char *status_name(enum room_status s)
{
	return s == ROOM_LIVE ? "live" : s == ROOM_ENDED ? "ended" : "scheduled";
}

static json_t *ts_or_null(int64_t ms)
{
	if (!ms)
		return json_null();
	char ts[LOG_TS_LEN + 1];
	log_format_ts(ms, ts);
	return json_string(ts);
}

static json_t *snapshot_queue(const struct room *r)
{
	const struct queue *q = &r->queue;
	json_t *entries = json_array();
	const struct queue_entry *order[QUEUE_MAX_ENTRIES];
	size_t n = queue_order(q, order, QUEUE_MAX_ENTRIES);
	for (size_t i = 0; i < n && i < QUEUE_MAX_ENTRIES; i++) {
		const struct queue_entry *e = order[i];
		json_array_append_new(
		    entries,
		    json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:o}", "entry", (json_int_t)e->entry, "pid",
			      e->pid[0] ? json_string(e->pid) : json_null(), "name", e->name,
			      "group", e->group, "location", queue_location_name(e->location),
			      "kind", queue_kind_name(e->kind), "raised",
			      ts_or_null(e->raised_ms)));
	}
	json_t *floor = json_null();
	if (q->floor.active) {
		const struct queue_floor *f = &q->floor;
		floor = json_pack(
		    "{s:I,s:o,s:s,s:s,s:s,s:s,s:o,s:i,s:s}", "entry", (json_int_t)f->entry, "pid",
		    f->pid[0] ? json_string(f->pid) : json_null(), "name", f->name, "group",
		    f->group, "location", queue_location_name(f->location), "kind",
		    queue_kind_name(f->kind), "started", ts_or_null(f->started_ms), "limit_s",
		    (int)f->limit_s, "policy", queue_chosen_name(f->chosen));
	}
	/* What a client needs to keep predicting the order as events arrive: whether the
	 * chair's order is in force, and when each group and location last had the floor. */
	json_t *groups = json_object();
	for (size_t i = 0; i < q->group_count; i++)
		json_object_set_new(groups, q->groups[i].group,
				    json_integer((json_int_t)q->groups[i].last_turn));
	json_t *out = json_pack(
	    "{s:b,s:s,s:i,s:b,s:o,s:o,s:b,s:I,s:o,s:o}", "open", q->open, "policy",
	    queue_policy_name(q->policy), "time_limit_s", (int)q->time_limit_s, "auto_end",
	    q->auto_end, "entries", entries, "floor", floor, "chair_order", q->chair_order, "turns",
	    (json_int_t)q->turns, "group_turns", groups, "last_location",
	    q->has_last_location ? json_string(queue_location_name(q->last_location))
				 : json_null());
	return out;
}

static json_t *snapshot_hum(const struct room *r)
{
	if (!r->hum.open)
		return json_null();
	json_t *options = json_array();
	for (int i = 0; i < r->hum.n_options; i++)
		json_array_append_new(options, json_string(r->hum.options[i]));
	return json_pack("{s:I,s:s,s:o,s:o}", "hum", (json_int_t)r->hum.id, "question",
			 r->hum.question, "options", options, "started",
			 ts_or_null(r->hum.started_ms));
}

static json_t *snapshot_polls(const struct room *r)
{
	json_t *polls = json_array();
	for (size_t i = 0; i < r->n_polls; i++) {
		const struct poll *p = &r->polls[i];
		json_t *options = json_array();
		for (int k = 0; k < p->n_options; k++)
			json_array_append_new(options, json_string(p->options[k]));
		json_array_append_new(polls, json_pack("{s:I,s:s,s:o,s:b,s:b,s:b,s:b,s:b}", "poll",
						       (json_int_t)p->id, "question", p->question,
						       "options", options, "multiple", p->multiple,
						       "anonymous", p->anonymous, "live_counts",
						       p->live_counts, "show_of_hands",
						       p->show_of_hands, "open", p->open));
	}
	return polls;
}

/* Everything of the snapshot but "participants" (snapshot_text.c writes that part as
 * text for a join's ack). */
json_t *room_snapshot_core(const struct room *r)
{
	json_t *langs = json_array();
	for (int i = 0; i < r->n_langs; i++)
		json_array_append_new(langs, json_string(r->langs[i]));
	json_t *snap = json_pack(
	    "{s:{s:s,s:s,s:s,s:s,s:o,s:o,s:s},s:{s:I,s:s},s:I,s:o,s:o,s:o,s:{s:o}}", "room", "id",
	    r->id, "title", r->title, "session_title",
	    r->session_title[0] ? r->session_title : r->title, "status", status_name(r->status),
	    "started", ts_or_null(r->started_ms), "ended", ts_or_null(r->ended_ms), "visibility",
	    room_visibility_name(r->visibility), "head", "seq", (json_int_t)r->head_seq, "hash",
	    r->head_hash, "observers", (json_int_t)r->observers, "queue", snapshot_queue(r), "hum",
	    snapshot_hum(r), "polls", snapshot_polls(r), "captions", "languages", langs);
	/* Moderation (docs/protocol.md "Moderation"): whom a chair removed, whose mics are
	 * open. */
	if (snap) {
		json_object_set_new(snap, "removed", room_snapshot_removed(r));
		json_object_set_new(snap, "mics", room_snapshot_mics(r));
		room_snapshot_interp(r, snap);
	}
	return snap;
}

json_t *room_snapshot(const struct room *r)
{
	json_t *snap = room_snapshot_core(r);
	json_t *people = json_array();
	for (size_t i = 0; i < r->n_people; i++) {
		const struct person *p = &r->people[i];
		if (!p->present)
			continue;
		const char *mic = room_mic_state_name(p->mic);
		json_t *who =
		    json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:o}", "pid", p->pid, "name", p->name,
			      "role", room_role_name(p->role), "group", p->group, "location",
			      p->in_room ? "room" : "remote", "connected", p->connections > 0,
			      "mic", mic ? json_string(mic) : json_null());
		/* An interpreter's booth, as participant.joined says: a client that joins
		 * late still knows each booth's team (who can take over). */
		if (who && p->lang[0])
			json_object_set_new(who, "lang", json_string(p->lang));
		json_array_append_new(people, who);
	}
	if (snap)
		json_object_set_new(snap, "participants", people);
	else
		json_decref(people);
	return snap;
}

json_t *room_summary(const struct room *r)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:s}", "id", r->id, "title", r->title, "status",
			 status_name(r->status), "participants",
			 (json_int_t)room_connected_people(r), "observers",
			 (json_int_t)r->observers, "public_observers", r->public_observers,
			 "visibility", room_visibility_name(r->visibility));
}

bool room_on_record(const struct room *r, const char *pid)
{
	for (size_t i = 0; i < r->n_people; i++)
		if (strcmp(r->people[i].pid, pid) == 0)
			return r->people[i].present;
	return false;
}

json_t *room_private_state(const struct room *r, const char *pid)
{
	json_t *out = json_object();
	const struct person *p = NULL;
	for (size_t i = 0; i < r->n_people; i++)
		if (strcmp(r->people[i].pid, pid) == 0)
			p = &r->people[i];
	if (!p || !out)
		return out;
	if (r->hum.open)
		json_object_set_new(
		    out, "hum",
		    json_pack("{s:I,s:o}", "hum", (json_int_t)r->hum.id, "option",
			      p->hum_cast >= 0 ? json_integer(p->hum_cast) : json_null()));
	for (size_t i = 0; i < r->n_polls; i++) {
		const struct poll *poll = &r->polls[i];
		if (!poll->open)
			continue;
		json_t *choices = json_array();
		for (int k = 0; k < poll->n_options && p->has_ballot; k++)
			if ((p->ballot >> k) & 1)
				json_array_append_new(choices, json_integer(k));
		json_object_set_new(
		    out, "ballot",
		    json_pack("{s:I,s:o}", "poll", (json_int_t)poll->id, "choices", choices));
	}
	return out;
}
