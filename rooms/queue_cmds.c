/*
 * The speaking queue's commands. queue/ holds the rules (who may raise, who is next by
 * the policy); these handlers check the fields, ask queue/ to decide, and turn each
 * decision into events. The events carry everything the fold needs (entry ids, the
 * policy that chose a speaker, limits), so replay never has to decide anything again.
 */
#include <string.h>

#include "rooms/room_internal.h"

static enum room_err queue_error(struct room_cmd_ctx *ctx, enum queue_err qe)
{
	switch (qe) {
	case QUEUE_OK:
		return ROOM_OK;
	case QUEUE_EQUEUED:
		ctx->message = "you already have a place in the queue";
		break;
	case QUEUE_EHOLDING:
		ctx->message = "you hold the floor";
		break;
	case QUEUE_ECLOSED:
		ctx->message = "the queue is closed (points of order only)";
		break;
	case QUEUE_EEMPTY:
		ctx->message = "nobody is waiting";
		break;
	case QUEUE_ENOFLOOR:
		ctx->message = "nobody holds the floor";
		break;
	case QUEUE_ENOTFOUND:
		ctx->message = "no such entry";
		return ROOM_ENOT_FOUND;
	case QUEUE_EINVAL:
		ctx->message = "invalid value";
		return ROOM_EBAD_REQUEST;
	case QUEUE_EFULL:
		ctx->message = "the queue is full";
		break;
	case QUEUE_ENOMEM:
		return ROOM_EINTERNAL;
	}
	return ROOM_ECONFLICT;
}

static bool parse_kind(struct room_cmd_ctx *ctx, enum queue_kind *kind)
{
	const char *name = NULL;
	*kind = QUEUE_KIND_SPEAK;
	if (!field_string(ctx, "kind", false, 32, &name))
		return false;
	if (name && !queue_kind_parse(name, kind)) {
		ctx->message = "kind must be speak, point_of_order, clarify or reply";
		return false;
	}
	return true;
}

static enum room_err emit_raised(struct room_cmd_ctx *ctx, const char *pid, const char *name,
				 const char *group, bool in_room, enum queue_kind kind)
{
	int64_t entry = ctx->r->queue.next_entry;
	json_t *data =
	    json_pack("{s:I,s:o,s:s,s:s,s:s,s:s}", "entry", (json_int_t)entry, "pid",
		      pid ? json_string(pid) : json_null(), "name", name, "group", group,
		      "location", in_room ? "room" : "remote", "kind", queue_kind_name(kind));
	enum room_err err = room_emit(ctx->r, "queue.raised", data, ctx->now);
	if (err == ROOM_OK)
		ctx->result = json_pack("{s:I}", "entry", (json_int_t)entry);
	return err;
}

enum room_err cmd_queue_raise(struct room_cmd_ctx *ctx)
{
	enum queue_kind kind;
	if (!parse_kind(ctx, &kind))
		return ROOM_EBAD_REQUEST;
	enum queue_err qe = queue_check_raise(&ctx->r->queue, ctx->who->pid, kind, false);
	if (qe != QUEUE_OK)
		return queue_error(ctx, qe);
	return emit_raised(ctx, ctx->who->pid, ctx->who->name, ctx->who->group, ctx->who->in_room,
			   kind);
}

enum room_err cmd_queue_lower(struct room_cmd_ctx *ctx)
{
	const struct queue_entry *e = queue_find_pid(&ctx->r->queue, ctx->who->pid);
	if (!e) {
		ctx->message = "you have no place in the queue";
		return ROOM_ENOT_FOUND;
	}
	return room_emit(
	    ctx->r, "queue.lowered",
	    json_pack("{s:I,s:s}", "entry", (json_int_t)e->entry, "pid", ctx->who->pid), ctx->now);
}

enum room_err cmd_queue_add(struct room_cmd_ctx *ctx)
{
	const char *name = NULL, *group = NULL;
	enum queue_kind kind;
	if (!field_string(ctx, "name", true, QUEUE_NAME_MAX - 1, &name) ||
	    !field_string(ctx, "group", false, QUEUE_GROUP_MAX - 1, &group) ||
	    !parse_kind(ctx, &kind))
		return ROOM_EBAD_REQUEST;
	if (!name[0]) {
		ctx->message = "name must not be empty";
		return ROOM_EBAD_REQUEST;
	}
	enum queue_err qe = queue_check_raise(&ctx->r->queue, "", kind, true);
	if (qe != QUEUE_OK)
		return queue_error(ctx, qe);
	return emit_raised(ctx, NULL, name, group ? group : "", true, kind);
}

static const struct queue_entry *entry_field(struct room_cmd_ctx *ctx, enum room_err *err)
{
	int64_t entry = 0;
	if (!field_int(ctx, "entry", true, 0, INT64_MAX, &entry)) {
		*err = ROOM_EBAD_REQUEST;
		return NULL;
	}
	const struct queue_entry *e = queue_find_entry(&ctx->r->queue, entry);
	if (!e) {
		ctx->message = "no such entry (it may have been lowered, removed or granted)";
		*err = ROOM_ENOT_FOUND;
	}
	return e;
}

enum room_err cmd_queue_remove(struct room_cmd_ctx *ctx)
{
	enum room_err err = ROOM_OK;
	const struct queue_entry *e = entry_field(ctx, &err);
	if (!e)
		return err;
	return room_emit(ctx->r, "queue.removed",
			 json_pack("{s:I,s:s}", "entry", (json_int_t)e->entry, "reason", "chair"),
			 ctx->now);
}

enum room_err cmd_queue_move(struct room_cmd_ctx *ctx)
{
	enum room_err err = ROOM_OK;
	const struct queue_entry *e = entry_field(ctx, &err);
	if (!e)
		return err;
	int64_t position = 0;
	int64_t waiting = (int64_t)ctx->r->queue.count;
	if (!field_int(ctx, "position", true, 0, waiting - 1, &position))
		return ROOM_EBAD_REQUEST;
	return room_emit(
	    ctx->r, "queue.moved",
	    json_pack("{s:I,s:I}", "entry", (json_int_t)e->entry, "position", (json_int_t)position),
	    ctx->now);
}

enum room_err cmd_queue_open(struct room_cmd_ctx *ctx)
{
	if (ctx->r->queue.open)
		return ROOM_OK; /* already open: nothing to record */
	return room_emit(ctx->r, "queue.opened", json_object(), ctx->now);
}

enum room_err cmd_queue_close(struct room_cmd_ctx *ctx)
{
	if (!ctx->r->queue.open)
		return ROOM_OK;
	return room_emit(ctx->r, "queue.closed", json_object(), ctx->now);
}

enum room_err cmd_queue_policy(struct room_cmd_ctx *ctx)
{
	const struct queue *q = &ctx->r->queue;
	const char *name = NULL;
	enum queue_policy policy = q->policy;
	int64_t limit = q->time_limit_s;
	bool auto_end = q->auto_end;
	if (!field_string(ctx, "policy", false, 32, &name) ||
	    !field_int(ctx, "time_limit_s", false, 0, 86400, &limit) ||
	    !field_bool(ctx, "auto_end", &auto_end))
		return ROOM_EBAD_REQUEST;
	if (name && !queue_policy_parse(name, &policy)) {
		ctx->message = "policy must be fifo, groups_round_robin or alternate_location";
		return ROOM_EBAD_REQUEST;
	}
	return room_emit(ctx->r, "queue.policy",
			 json_pack("{s:s,s:I,s:b}", "policy", queue_policy_name(policy),
				   "time_limit_s", (json_int_t)limit, "auto_end", auto_end),
			 ctx->now);
}

static enum room_err grant(struct room_cmd_ctx *ctx, int64_t entry, enum queue_chosen why)
{
	struct room *r = ctx->r;
	if (r->queue.floor.active) {
		enum room_err err = room_end_floor(r, QUEUE_END_CHAIR, ctx->now);
		if (err != ROOM_OK)
			return err;
	}
	const struct queue_entry *e = queue_find_entry(&r->queue, entry);
	if (!e)
		return ROOM_EINTERNAL;
	char pid[QUEUE_PID_MAX];
	memcpy(pid, e->pid, sizeof pid);
	char raised[LOG_TS_LEN + 1];
	log_format_ts(e->raised_ms, raised);
	json_t *data =
	    json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:i,s:s,s:s}", "entry", (json_int_t)e->entry, "pid",
		      e->pid[0] ? json_string(e->pid) : json_null(), "name", e->name, "group",
		      e->group, "location", queue_location_name(e->location), "kind",
		      queue_kind_name(e->kind), "limit_s", (int)r->queue.time_limit_s, "policy",
		      queue_chosen_name(why), "raised", raised);
	enum room_err err = room_emit(r, "floor.granted", data, ctx->now);
	if (err == ROOM_OK)
		room_mic_changed(r, pid, true);
	if (err == ROOM_OK)
		ctx->result = json_pack("{s:I}", "entry", (json_int_t)entry);
	return err;
}

enum room_err cmd_queue_next(struct room_cmd_ctx *ctx)
{
	int64_t entry;
	enum queue_chosen why;
	enum queue_err qe = queue_pick(&ctx->r->queue, &entry, &why);
	if (qe != QUEUE_OK)
		return queue_error(ctx, qe);
	return grant(ctx, entry, why);
}

enum room_err cmd_queue_grant(struct room_cmd_ctx *ctx)
{
	enum room_err err = ROOM_OK;
	const struct queue_entry *e = entry_field(ctx, &err);
	if (!e)
		return err;
	return grant(ctx, e->entry, QUEUE_CHOSEN_CHAIR);
}

enum room_err room_end_floor(struct room *r, enum queue_end_reason reason, int64_t now)
{
	const struct queue_floor *f = &r->queue.floor;
	if (!f->active)
		return ROOM_ECONFLICT;
	char pid[QUEUE_PID_MAX];
	memcpy(pid, f->pid, sizeof pid);
	int64_t duration = now - f->started_ms;
	enum room_err err =
	    room_emit(r, "floor.ended",
		      json_pack("{s:I,s:o,s:s,s:I}", "entry", (json_int_t)f->entry, "pid",
				pid[0] ? json_string(pid) : json_null(), "reason",
				queue_end_reason_name(reason), "duration_ms",
				(json_int_t)(duration > 0 ? duration : 0)),
		      now);
	if (err == ROOM_OK && pid[0] && !room_mic_open(r, pid))
		room_mic_changed(r, pid, false);
	return err;
}

enum room_err cmd_floor_end(struct room_cmd_ctx *ctx)
{
	const struct queue_floor *f = &ctx->r->queue.floor;
	bool holder = f->active && f->pid[0] && strcmp(f->pid, ctx->who->pid) == 0;
	/* PROTOCOL.md "Permissions": a participant may end the floor only as its holder, so
	 * one who does not hold it is forbidden -- also when nobody does. */
	if (ctx->who->role != ROOM_ROLE_CHAIR && !holder) {
		ctx->message = "only a chair or the floor holder may end the floor";
		return ROOM_EFORBIDDEN;
	}
	if (!f->active) {
		ctx->message = "nobody holds the floor";
		return ROOM_ECONFLICT;
	}
	return room_end_floor(ctx->r, holder ? QUEUE_END_YIELDED : QUEUE_END_CHAIR, ctx->now);
}

enum room_err cmd_floor_extend(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	int64_t seconds = 0;
	if (!field_int(ctx, "seconds", true, 1, 3600, &seconds))
		return ROOM_EBAD_REQUEST;
	const struct queue_floor *f = &r->queue.floor;
	if (!f->active) {
		ctx->message = "nobody holds the floor";
		return ROOM_ECONFLICT;
	}
	/* A floor without a limit gets one: what it has used so far plus the extension. A
	 * wall clock that stepped back gives no negative use, which the fold would refuse. */
	int64_t used_ms = ctx->now > f->started_ms ? ctx->now - f->started_ms : 0;
	int64_t base = f->limit_s > 0 ? f->limit_s : (used_ms + 999) / 1000;
	int64_t limit = base + seconds;
	if (limit > 86400 * 2)
		limit = 86400 * 2;
	return room_emit(r, "floor.extended",
			 json_pack("{s:I,s:I,s:I}", "entry", (json_int_t)f->entry, "limit_s",
				   (json_int_t)limit, "seconds", (json_int_t)seconds),
			 ctx->now);
}
