/*
 * Who is here: connections coming and going, the grace period, leaving for good, and
 * the presence counts.
 *
 * Only people with a voice or a pen (chairs, participants, captioners) are on the
 * record; observers are counted, never named. A person may hold several connections (a
 * laptop and a phone) and is one participant with one queue entry. A dropped connection
 * is not yet a departure: the person keeps their place for the grace period, and only
 * then does the record say they left (reason "timeout"); an explicit leave is at once.
 */
#include <string.h>

#include "base/lang.h"
#include "rooms/room_internal.h"

static bool same_identity(const struct person *p, const struct room_identity *who)
{
	return p->role == who->role && strcmp(p->name, who->name) == 0 &&
	       strcmp(p->group, who->group) == 0 && p->in_room == who->in_room &&
	       strcmp(p->lang, who->lang ? who->lang : "") == 0;
}

/* A new connection needs the current live state (the chairs' hum levels, a poll's
 * progress), but the host attaches it to the room's fan-out only after room_attach()
 * returns: mark the state dirty and let the clock send it, which the host runs at the
 * end of this loop turn. */
static void defer_live_state(struct room *r)
{
	if (r->hum.open)
		r->hum.levels_dirty = true;
	if (room_open_poll(r))
		r->poll_progress_dirty = true;
}

static bool identity_fits(const struct room_identity *who)
{
	/* An interpreter has a booth (a canonical tag: the gateway canonicalised the claim),
	 * nobody else has one. */
	bool lang_ok =
	    who->role == ROOM_ROLE_INTERPRETER
		? who->lang && base_lang_valid(who->lang) && strlen(who->lang) < ROOM_LANG_MAX
		: !who->lang || !who->lang[0];
	return who->pid && who->pid[0] && strlen(who->pid) < QUEUE_PID_MAX && who->name &&
	       strlen(who->name) < QUEUE_NAME_MAX && who->group &&
	       strlen(who->group) < QUEUE_GROUP_MAX && lang_ok;
}

/* Checks for someone the room knows, and what their return undoes. */
static enum room_err attach_known(struct room *r, struct person *p, const struct room_identity *who,
				  int64_t now_ms)
{
	if (p->removed)
		return ROOM_EFORBIDDEN; /* until a chair readmits them (moderation.c) */
	if (p->present && p->connections > 0 && p->role != who->role)
		return ROOM_ECONFLICT;
	/* A chair's mic left open by a server that stopped (no detach was logged) closes
	 * before they are back: it opens only when they ask again. */
	if (p->connections == 0 && p->mic_on)
		room_chair_mic_dropped(r, p, now_ms);
	return ROOM_OK;
}

enum room_err room_attach(struct room *r, const struct room_identity *who, int64_t now_ms)
{
	if (!identity_fits(who))
		return ROOM_EBAD_REQUEST;
	if (who->role == ROOM_ROLE_OBSERVER) {
		r->observers++;
		room_presence_changed(r, now_ms);
		defer_live_state(r);
		return ROOM_OK;
	}
	struct person *p = room_person(r, who->pid);
	enum room_err err = p ? attach_known(r, p, who, now_ms) : ROOM_OK;
	if (err != ROOM_OK)
		return err;
	p = room_person(r, who->pid);
	if (r->status == ROOM_ENDED) {
		/* The record is sealed: people may still come to read it, off the record. */
		if (!p) {
			if (!(p = room_person_add(r, who->pid)))
				return ROOM_EINTERNAL;
			snprintf(p->name, sizeof p->name, "%s", who->name);
			snprintf(p->group, sizeof p->group, "%s", who->group);
			p->role = who->role;
			p->in_room = who->in_room;
		}
	} else if (!p || !p->present || !same_identity(p, who)) {
		json_t *data = json_pack("{s:s,s:s,s:s,s:s,s:s}", "pid", who->pid, "name",
					 who->name, "role", room_role_name(who->role), "group",
					 who->group, "location", who->in_room ? "room" : "remote");
		if (data && who->role == ROOM_ROLE_INTERPRETER)
			json_object_set_new(data, "lang", json_string(who->lang));
		err = room_emit(r, "participant.joined", data, now_ms);
		if (err != ROOM_OK)
			return err;
		p = room_person(r, who->pid);
		if (!p)
			return ROOM_EINTERNAL;
	}
	p->connections++;
	p->dropped_ms = 0;
	struct poll *poll = room_open_poll(r);
	if (poll && room_is_voice(p->role))
		p->poll_eligible = true;
	room_presence_changed(r, now_ms);
	defer_live_state(r);
	return ROOM_OK;
}

void room_detach(struct room *r, const struct room_identity *who, bool leave, int64_t now_ms)
{
	if (who->role == ROOM_ROLE_OBSERVER) {
		if (r->observers)
			r->observers--;
		room_presence_changed(r, now_ms);
		return;
	}
	struct person *p = room_person(r, who->pid);
	if (!p || p->connections <= 0)
		return;
	if (--p->connections == 0) {
		if (r->status == ROOM_ENDED)
			p->dropped_ms = 0; /* sealed: nobody leaves the record any more */
		else if (leave && p->present)
			(void)room_person_leaves(r, p, "left", now_ms);
		else if (!p->removed) {
			p->dropped_ms = now_ms;
			room_chair_mic_dropped(r, p, now_ms); /* they cannot hear their mic now */
		}
	}
	if (r->hum.open)
		room_hum_levels_maybe(r, now_ms, false);
	room_presence_changed(r, now_ms);
}

enum room_err room_person_leaves(struct room *r, struct person *p, const char *reason, int64_t now)
{
	enum room_err err = ROOM_OK;
	char pid[QUEUE_PID_MAX];
	memcpy(pid, p->pid, sizeof pid); /* p may move when events add people */
	bool mic_was_open = room_mic_open(r, pid);
	if (r->queue.floor.active && strcmp(r->queue.floor.pid, pid) == 0)
		err = room_end_floor(r, QUEUE_END_LEFT, now);
	const struct queue_entry *e = queue_find_pid(&r->queue, pid);
	if (err == ROOM_OK && e)
		err = room_emit(
		    r, "queue.removed",
		    json_pack("{s:I,s:s}", "entry", (json_int_t)e->entry, "reason", "left"), now);
	if (err == ROOM_OK)
		err = room_emit(r, "participant.left",
				json_pack("{s:s,s:s}", "pid", pid, "reason", reason), now);
	if (err == ROOM_OK && mic_was_open && !room_mic_open(r, pid))
		room_mic_changed(r, pid, false); /* a chair's mic closes when they leave */
	p = room_person(r, pid);
	if (p) {
		p->dropped_ms = 0;
		p->hum_cast = -1;
	}
	return err;
}

void room_presence_changed(struct room *r, int64_t now_ms)
{
	size_t people = room_connected_people(r);
	if (people == r->presence_last_people && r->observers == r->presence_last_observers) {
		r->presence_dirty = false;
		return;
	}
	r->presence_dirty = true;
	if (now_ms - r->presence_sent_ms >= 1000) {
		r->presence_dirty = false;
		r->presence_sent_ms = now_ms;
		r->presence_last_people = people;
		r->presence_last_observers = r->observers;
		room_send_live(r, "presence",
			       json_pack("{s:I,s:I}", "participants", (json_int_t)people,
					 "observers", (json_int_t)r->observers));
	}
}
