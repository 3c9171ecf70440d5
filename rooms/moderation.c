/*
 * Moderation on the record: a chair removes a disruptive person and readmits them, opens
 * and closes microphones; the token issuer (the admin API) revokes tokens.
 *
 * Each is an event, so everything it does is a fold and survives a restart: a removed
 * person's sub may not join again until readmitted, a revoked token stays refused, a
 * muted floor holder stays muted. The events name who acted (`by`, the chair's pid, or
 * "admin"), because the record is only trustworthy if moderation is visible in it.
 *
 * Microphones (the mic gate, room_mic_open): the floor holder's opens with the floor and
 * a chair may close it without ending the floor (floor_muted) and open it again; a
 * chair's own opens only when that chair asks (mic_on) and closes when they ask, when
 * their last connection goes, when they leave and when the session ends. A chair is never
 * heard by surprise under the person who holds the floor.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/room_internal.h"

static bool copy(char *dst, size_t cap, const char *src)
{
	if (!src || strlen(src) >= cap)
		return false;
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

static bool holds_floor(const struct room *r, const char *pid)
{
	return r->queue.floor.active && r->queue.floor.pid[0] &&
	       strcmp(r->queue.floor.pid, pid) == 0;
}

/* The person a chair's command names: not_found (and a message) when there is none on
 * the record. Observers never are. */
static struct person *target(struct room_cmd_ctx *ctx, const char **pid)
{
	if (!field_string(ctx, "pid", true, QUEUE_PID_MAX - 1, pid))
		return NULL;
	struct person *p = room_person(ctx->r, *pid);
	if (!p)
		ctx->message = "no such participant";
	return p;
}

/* --- participant.remove / participant.readmit --- */

static enum room_err remove_check(struct room_cmd_ctx *ctx, const struct person *p)
{
	if (ctx->r->status == ROOM_ENDED) {
		ctx->message = "the session has ended: the record is sealed";
		return ROOM_ECONFLICT;
	}
	if (strcmp(p->pid, ctx->who->pid) == 0) {
		ctx->message = "you cannot remove yourself";
		return ROOM_EFORBIDDEN;
	}
	if (p->role == ROOM_ROLE_CHAIR) {
		ctx->message = "a chair cannot be removed: chairs are appointed by whoever issues "
			       "the room's tokens, who can revoke a chair's token";
		return ROOM_EFORBIDDEN;
	}
	if (p->removed) {
		ctx->message = "this person has already been removed";
		return ROOM_ECONFLICT;
	}
	return ROOM_OK;
}

enum room_err cmd_participant_remove(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	const char *pid = NULL, *reason = NULL;
	struct person *p = target(ctx, &pid);
	if (!p)
		return pid ? ROOM_ENOT_FOUND : ROOM_EBAD_REQUEST;
	if (!field_string(ctx, "reason", false, ROOM_REASON_MAX - 1, &reason))
		return ROOM_EBAD_REQUEST;
	enum room_err err = remove_check(ctx, p);
	if (err != ROOM_OK)
		return err;
	char who[QUEUE_PID_MAX];
	memcpy(who, p->pid, sizeof who); /* p may move when events add people */
	bool mic_was_open = room_mic_open(r, who);
	if (holds_floor(r, who))
		err = room_end_floor(r, QUEUE_END_REMOVED, ctx->now);
	const struct queue_entry *e = queue_find_pid(&r->queue, who);
	if (err == ROOM_OK && e)
		err = room_emit(
		    r, "queue.removed",
		    json_pack("{s:I,s:s}", "entry", (json_int_t)e->entry, "reason", "removed"),
		    ctx->now);
	if (err != ROOM_OK)
		return err;
	json_t *data = json_pack("{s:s,s:s}", "pid", who, "by", ctx->who->pid);
	if (data && reason && reason[0])
		json_object_set_new(data, "reason", json_string(reason));
	err = room_emit(r, "participant.removed", data, ctx->now);
	if (err == ROOM_OK && mic_was_open && !room_mic_open(r, who))
		room_mic_changed(r, who, false);
	return err;
}

enum room_err cmd_participant_readmit(struct room_cmd_ctx *ctx)
{
	const char *pid = NULL;
	struct person *p = target(ctx, &pid);
	if (!p)
		return pid ? ROOM_ENOT_FOUND : ROOM_EBAD_REQUEST;
	if (!p->removed) {
		ctx->message = "this person has not been removed";
		return ROOM_ECONFLICT;
	}
	return room_emit(ctx->r, "participant.readmitted",
			 json_pack("{s:s,s:s}", "pid", p->pid, "by", ctx->who->pid), ctx->now);
}

bool room_apply_removed(struct room *r, const json_t *d, int64_t ts)
{
	const char *pid, *by, *reason = "";
	(void)ts;
	if (json_unpack((json_t *)d, "{s:s,s:s,s?s}", "pid", &pid, "by", &by, "reason", &reason) !=
	    0)
		return false;
	struct person *p = room_person(r, pid);
	if (!p || p->removed || p->role == ROOM_ROLE_CHAIR || holds_floor(r, pid) ||
	    queue_find_pid(&r->queue, pid) || !copy(p->removed_by, sizeof p->removed_by, by) ||
	    !copy(p->removed_reason, sizeof p->removed_reason, reason))
		return false;
	p->removed = true;
	p->present = false; /* off the list of participants; the snapshot lists the removed */
	p->hum_cast = -1;
	p->dropped_ms = 0;
	p->mic_on = false;
	return true;
}

bool room_apply_readmitted(struct room *r, const json_t *d, int64_t ts)
{
	const char *pid, *by;
	(void)ts;
	if (json_unpack((json_t *)d, "{s:s,s:s}", "pid", &pid, "by", &by) != 0)
		return false;
	struct person *p = room_person(r, pid);
	if (!p || !p->removed)
		return false;
	p->removed = false;
	p->removed_by[0] = p->removed_reason[0] = '\0';
	return true;
}

bool room_removed(struct room *r, const char *pid, const char **by, const char **reason)
{
	const struct person *p = pid ? room_person(r, pid) : NULL;
	if (!p || !p->removed)
		return false;
	if (by)
		*by = p->removed_by;
	if (reason)
		*reason = p->removed_reason;
	return true;
}

/* --- mic.open / mic.close --- */

enum room_err cmd_mic_open(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	const char *pid = NULL;
	struct person *p = target(ctx, &pid);
	bool floor = pid && holds_floor(r, pid);
	if (!p && !floor)
		return pid ? ROOM_ENOT_FOUND : ROOM_EBAD_REQUEST;
	if (room_mic_open(r, pid)) {
		ctx->message = "this microphone is already open";
		return ROOM_ECONFLICT;
	}
	bool self = strcmp(pid, ctx->who->pid) == 0;
	if (!floor && p->role == ROOM_ROLE_CHAIR && !self) {
		ctx->message =
		    "a chair opens only their own microphone (you may close a co-chair's)";
		return ROOM_EFORBIDDEN;
	}
	if (!floor && p->role != ROOM_ROLE_CHAIR) {
		ctx->message =
		    "only a chair's or the floor holder's microphone can be opened: give "
		    "this person the floor";
		return ROOM_ECONFLICT;
	}
	enum room_err err = room_emit(
	    r, "mic.opened", json_pack("{s:s,s:s}", "pid", pid, "by", ctx->who->pid), ctx->now);
	if (err == ROOM_OK && room_mic_open(r, pid))
		room_mic_changed(r, pid, true);
	return err;
}

enum room_err cmd_mic_close(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	const char *pid = NULL;
	struct person *p = target(ctx, &pid);
	if (!p && !(pid && holds_floor(r, pid)))
		return pid ? ROOM_ENOT_FOUND : ROOM_EBAD_REQUEST;
	if (!room_mic_open(r, pid)) {
		ctx->message = "this microphone is not open";
		return ROOM_ECONFLICT;
	}
	if (p && p->role == ROOM_ROLE_VENUE) {
		/* Its gate follows the session alone: a mic.closed here would change nothing. */
		ctx->message = "the venue's microphone is open while the session is live: the "
			       "sound desk mutes the room";
		return ROOM_ECONFLICT;
	}
	enum room_err err = room_emit(
	    r, "mic.closed", json_pack("{s:s,s:s}", "pid", pid, "by", ctx->who->pid), ctx->now);
	if (err == ROOM_OK && !room_mic_open(r, pid))
		room_mic_changed(r, pid, false);
	return err;
}

void room_chair_mic_dropped(struct room *r, struct person *p, int64_t now)
{
	if (!p->mic_on || r->status != ROOM_LIVE)
		return;
	char pid[QUEUE_PID_MAX];
	memcpy(pid, p->pid, sizeof pid);
	/* The gate may already read closed (no connection left): tell the media side anyway. */
	if (room_emit(r, "mic.closed",
		      json_pack("{s:s,s:n,s:s}", "pid", pid, "by", "reason", "disconnected"),
		      now) == ROOM_OK &&
	    !room_mic_open(r, pid))
		room_mic_changed(r, pid, false);
}

/* mic.opened / mic.closed: the floor holder's gate (floor_muted), a chair's own (mic_on).
 * Closing a chair who holds the floor closes both, so "closed" means silent. */
bool room_apply_mic(struct room *r, const json_t *d, int64_t ts, bool open)
{
	const char *pid;
	json_t *by;
	(void)ts;
	if (json_unpack((json_t *)d, "{s:s,s:o}", "pid", &pid, "by", &by) != 0 ||
	    !(json_is_string(by) || json_is_null(by)) || r->status != ROOM_LIVE)
		return false;
	struct person *p = room_person(r, pid);
	bool floor = holds_floor(r, pid), chair = p && p->role == ROOM_ROLE_CHAIR;
	if (open && floor && r->floor_muted)
		r->floor_muted = false;
	else if (open && chair)
		p->mic_on = true;
	else if (open)
		return false;
	if (!open && !floor && !chair)
		return false;
	if (!open && floor)
		r->floor_muted = true;
	if (!open && chair)
		p->mic_on = false;
	return true;
}

json_t *room_snapshot_mics(const struct room *r)
{
	json_t *out = json_array();
	for (size_t i = 0; i < r->n_people; i++)
		if (room_person_mic_open(r, &r->people[i]))
			json_array_append_new(out, json_string(r->people[i].pid));
	const char *holder = r->queue.floor.pid;
	if (r->queue.floor.active && holder[0] && !room_person((struct room *)r, holder) &&
	    room_mic_open(r, holder))
		json_array_append_new(out, json_string(holder));
	return out;
}

json_t *room_snapshot_removed(const struct room *r)
{
	json_t *out = json_array();
	for (size_t i = 0; i < r->n_people; i++) {
		const struct person *p = &r->people[i];
		if (!p->removed)
			continue;
		json_t *row =
		    json_pack("{s:s,s:s,s:s,s:s,s:s}", "pid", p->pid, "name", p->name, "role",
			      room_role_name(p->role), "group", p->group, "by", p->removed_by);
		if (row && p->removed_reason[0])
			json_object_set_new(row, "reason", json_string(p->removed_reason));
		json_array_append_new(out, row);
	}
	return out;
}

/* --- token revocation (the admin API) --- */

static const struct revoked *find_revoked(const struct room *r, bool by_jti, const char *value)
{
	for (size_t i = 0; value && value[0] && i < r->n_revoked; i++)
		if (r->revoked[i].by_jti == by_jti && strcmp(r->revoked[i].value, value) == 0)
			return &r->revoked[i];
	return NULL;
}

bool room_token_revoked(const struct room *r, const char *sub, const char *jti)
{
	return find_revoked(r, false, sub) || find_revoked(r, true, jti);
}

enum room_err room_token_revoke(struct room *r, const char *sub, const char *jti,
				const char *reason, int64_t now_ms, bool *already)
{
	*already = false;
	bool by_jti = jti != NULL;
	const char *value = by_jti ? jti : sub;
	if ((sub != NULL) == by_jti || !value[0] || strlen(value) >= QUEUE_PID_MAX ||
	    (reason && strlen(reason) >= ROOM_REASON_MAX))
		return ROOM_EBAD_REQUEST;
	if (find_revoked(r, by_jti, value)) {
		*already = true;
		return ROOM_OK;
	}
	json_t *data = json_pack("{s:s,s:s}", by_jti ? "jti" : "sub", value, "by", "admin");
	if (data && reason && reason[0])
		json_object_set_new(data, "reason", json_string(reason));
	return room_emit(r, "token.revoked", data, now_ms);
}

enum room_err room_token_unrevoke(struct room *r, const char *sub, const char *jti, int64_t now_ms)
{
	bool by_jti = jti != NULL;
	const char *value = by_jti ? jti : sub;
	if ((sub != NULL) == by_jti || !value[0] || strlen(value) >= QUEUE_PID_MAX)
		return ROOM_EBAD_REQUEST;
	if (!find_revoked(r, by_jti, value))
		return ROOM_ENOT_FOUND;
	return room_emit(r, "token.unrevoked",
			 json_pack("{s:s,s:s}", by_jti ? "jti" : "sub", value, "by", "admin"),
			 now_ms);
}

bool room_apply_unrevoked(struct room *r, const json_t *d, int64_t ts)
{
	const char *sub = NULL, *jti = NULL, *by;
	(void)ts;
	if (json_unpack((json_t *)d, "{s?s,s?s,s:s}", "sub", &sub, "jti", &jti, "by", &by) != 0 ||
	    (sub != NULL) == (jti != NULL))
		return false;
	const struct revoked *v = find_revoked(r, jti != NULL, jti ? jti : sub);
	if (!v)
		return false;
	size_t i = (size_t)(v - r->revoked);
	memmove(&r->revoked[i], &r->revoked[i + 1], (r->n_revoked - i - 1) * sizeof *r->revoked);
	r->n_revoked--;
	return true;
}

bool room_apply_revoked(struct room *r, const json_t *d, int64_t ts)
{
	const char *sub = NULL, *jti = NULL, *reason = "", *by;
	if (json_unpack((json_t *)d, "{s?s,s?s,s?s,s:s}", "sub", &sub, "jti", &jti, "reason",
			&reason, "by", &by) != 0 ||
	    (sub != NULL) == (jti != NULL) || r->n_revoked >= ROOM_REVOKED_MAX)
		return false;
	if (r->n_revoked == r->cap_revoked) {
		size_t cap = r->cap_revoked ? r->cap_revoked * 2 : 8;
		struct revoked *grown = realloc(r->revoked, cap * sizeof *grown);
		if (!grown)
			return false;
		r->revoked = grown;
		r->cap_revoked = cap;
	}
	struct revoked *v = &r->revoked[r->n_revoked];
	memset(v, 0, sizeof *v);
	v->by_jti = jti != NULL;
	v->ts_ms = ts;
	if (!copy(v->value, sizeof v->value, jti ? jti : sub) ||
	    !copy(v->reason, sizeof v->reason, reason))
		return false;
	r->n_revoked++;
	return true;
}

json_t *room_revocations(const struct room *r)
{
	json_t *out = json_array();
	for (size_t i = 0; i < r->n_revoked; i++) {
		const struct revoked *v = &r->revoked[i];
		char ts[LOG_TS_LEN + 1];
		log_format_ts(v->ts_ms, ts);
		json_t *row = json_pack("{s:s,s:s,s:s}", v->by_jti ? "jti" : "sub", v->value, "by",
					"admin", "ts", ts);
		if (row && v->reason[0])
			json_object_set_new(row, "reason", json_string(v->reason));
		json_array_append_new(out, row);
	}
	return out;
}
