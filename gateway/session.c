/*
 * The WebSocket session: the envelope of PROTOCOL.md and the connection-level commands
 * (ping, join with resume, leave, media.offer), in a table like rooms/commands.c's.
 * Everything that changes a room is handed to rooms/ as it came, with the identity the
 * token proved; the command table and the permission table live there, in one place.
 *
 * Order of checks for every message: valid JSON object (bad_request, connection stays
 * open) -> "id", if present, an integer, and "type" a string (bad_request) -> a type no
 * one knows is unknown_type -> the type's rate-limit class (and for a join the address)
 * has a token, else rate_limited -> before join only ping and join are allowed (unauthorized)
 * -> the handler, or for room commands the room, decides.
 *
 * No lws here: replies go through conn.h and the fan-out, so the unit tests drive this
 * file with real rooms and a fake connection.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/media_glue.h"
#include "gateway/moderation.h"
#include "gateway/msg.h"
#include "gateway/nats_edge.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_log.h"
#include "gateway/refresh.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/session_priv.h"
#include "gateway/token.h"
#include "gateway/turn.h"

void gw_session_ack(struct conn *c, json_t *id, json_t *fields)
{
	json_t *ack = fields ? fields : json_object();
	json_object_set_new(ack, "type", json_string("ack"));
	if (id)
		json_object_set(ack, "id", id);
	gw_host_reply(c, ack, true, id);
}

static void handle_leave(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type, (void)msg;
	struct room_host *h = gw_host_of(c);
	gw_media_conn_closed(c);
	if (c->gw->edge) { /* the owner lets them go; the ack when the edge folded it */
		gw_edge_forward(c, id, GW_FWD_LEAVE, NULL);
		return;
	}
	room_detach(h->room, &c->who, true, gw_now_ms());
	/* The departure must be durable before the ack, and the ack must reach this
	 * connection, which is about to leave the room's fan-out: sync now. */
	gw_flush_sync(c->gw);
	gw_session_leave_finish(c, id);
}

void gw_session_leave_finish(struct conn *c, json_t *id)
{
	struct room_host *h = gw_host_of(c);
	gw_session_ack(c, id, NULL);
	gw_host_detach(h, c);
	c->gw->metrics.connections[c->who.role]--;
	c->gw->metrics.connections[ROOM_ROLE_COUNT]++;
}

static void handle_room_command(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	int64_t now = gw_now_ms();
	json_t *result = NULL;
	const char *why = NULL;
	if (c->gw->edge) { /* the owner runs it; the answer comes back as if local */
		gw_edge_forward(c, id, GW_FWD_CMD, msg);
		return;
	}
	if (strcmp(type, "caption") == 0)
		gw_media_tell_talkers(c->gw, c->room);
	enum room_err err = room_command(c->room, &c->who, type, msg, now, &result, &why);
	if (err != ROOM_OK) {
		gw_host_error(c, id, err, why);
		return;
	}
	gw_session_ack(c, id, result);
	if (strcmp(type, "participant.remove") == 0)
		gw_moderation_removed(c, json_string_value(json_object_get(msg, "pid")));
}

static void handle_ping(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type, (void)msg;
	gw_session_ack(c, id, NULL);
}

static void handle_media_offer(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type;
	gw_media_offer(c, id, msg);
}

static void handle_media_channel(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type;
	gw_media_channel(c, id, msg);
}

typedef void (*envelope_fn)(struct conn *c, json_t *id, const char *type, json_t *msg);

/* The connection-level types; every other type the rooms know goes to room_command, which
 * holds the command and permission tables. needs_join: before join it is unauthorized. */
struct envelope_type {
	const char *type;
	envelope_fn handler;
	bool needs_join;
	enum room_cmd_class cls; /* its rate limit; room commands: rooms/commands.c's column */
};

static const struct envelope_type envelope_types[] = {
    {"ping", handle_ping, false, ROOM_CLASS_SESSION},
    {"join", gw_session_handle_join, false, ROOM_CLASS_SESSION},
    {"leave", handle_leave, true, ROOM_CLASS_SESSION},
    {"media.offer", handle_media_offer, true, ROOM_CLASS_SESSION},
    {"media.channel", handle_media_channel, true, ROOM_CLASS_SESSION},
    {"token.refresh", gw_token_refresh, true, ROOM_CLASS_SESSION},
};

static const struct envelope_type room_type = {NULL, handle_room_command, true, ROOM_CLASS_SESSION};

_Static_assert(GW_WS_LIMIT_CLASSES == ROOM_CLASS_COUNT, "config.h's classes are rooms.h's");

static int64_t limit_now(const struct gateway *gw)
{
	return gw->limit_clock_ms ? gw->limit_clock_ms() : gw_now_ms();
}

/* Rate limits (docs/protocol.md "Limits"): false, and rate_limited with the class and
 * the wait, when this connection's bucket for cls, or for a join its address's, is
 * empty. Refused commands reach no room, so they write nothing to the log. */
/* Like the HTTP limits: a loopback peer is a reverse proxy on this host (every client
 * behind it shares its address) unless limit_loopback says it is not. */
static bool join_limited_address(const struct gateway *gw, const struct conn *c)
{
	const char *addr = c->addr;
	if (c->addr_limited)
		return addr[0] != '\0';
	bool loopback = strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
			strncmp(addr, "::ffff:127.", 11) == 0;
	return addr[0] != '\0' && (!loopback || gw->cfg.http.limit_loopback);
}

static bool within_limits(struct conn *c, json_t *id, const char *type, enum room_cmd_class cls)
{
	int64_t now = limit_now(c->gw);
	int64_t wait = gw_bucket_take(&c->limits[cls], &c->gw->cfg.ws_limits[cls], now);
	const char *what = room_cmd_class_name(cls);
	if (!wait && strcmp(type, "join") == 0 && join_limited_address(c->gw, c)) {
		wait =
		    gw_addr_take(&c->gw->join_limits, c->addr, &c->gw->cfg.join_per_address, now);
		what = "join from this address";
	}
	if (!wait)
		return true;
	char why[160];
	snprintf(why, sizeof why, "too many %s commands; retry in %lld ms", what, (long long)wait);
	gw_host_error(c, id, ROOM_ERATE_LIMITED, why);
	return false;
}

/* NULL for a type no one knows (unknown_type, checked before the join). */
static const struct envelope_type *envelope_find(const char *type)
{
	for (size_t i = 0; i < sizeof envelope_types / sizeof envelope_types[0]; i++)
		if (strcmp(envelope_types[i].type, type) == 0)
			return &envelope_types[i];
	return room_command_known(type) ? &room_type : NULL;
}

/* --nats: a room this node stopped serving (its lease lost) takes nothing more from the
 * connections it is closing. */
static bool served_here(struct conn *c, json_t *id)
{
	return !c->room || gw_session_served_here(c, id, c->room);
}

static void dispatch(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	const struct envelope_type *e = envelope_find(type);
	if (!e)
		gw_host_error(c, id, ROOM_EUNKNOWN_TYPE, "unknown message type");
	else if (!within_limits(c, id, type, e == &room_type ? room_command_class(type) : e->cls))
		return;
	else if (e->needs_join && !c->room)
		gw_host_error(c, id, ROOM_EUNAUTHORIZED, "join a room first");
	else if (e->needs_join && !served_here(c, id))
		return;
	else if (!gw_moderation_admits(c, id, type))
		return;
	else
		e->handler(c, id, type, msg);
}

void gw_session_message(struct conn *c, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		gw_host_error(c, NULL, ROOM_EBAD_REQUEST,
			      msg ? "expected a JSON object" : "invalid JSON");
		return;
	}
	json_t *id = json_object_get(msg, "id");
	json_t *type = json_object_get(msg, "type");
	if (id && !json_is_integer(id))
		gw_host_error(c, NULL, ROOM_EBAD_REQUEST, "id must be an integer");
	else if (!json_is_string(type))
		gw_host_error(c, id, ROOM_EBAD_REQUEST, "type must be a string");
	else
		dispatch(c, id, json_string_value(type), msg);
	json_decref(msg);
	/* Commands that log nothing (a hum cast, an anonymous vote, a join) still change
	 * what the room's clock owes (throttled live levels and progress): run it at the end
	 * of this loop turn, with the flush. */
	gw_schedule_flush(c->gw);
}

void gw_session_closed(struct conn *c)
{
	gw_media_conn_closed(c);
	if (c->session[0]) {
		struct gw_session_entry *e = gw_session_find(c->gw, c->session);
		if (e)
			e->expires_ms = gw_now_ms() + SESSION_KEEP_MS;
	}
	if (c->room) {
		struct room_host *h = gw_host_of(c);
		if (c->gw->edge)
			gw_edge_forward(c, NULL, GW_FWD_DROP, NULL);
		else
			room_detach(h->room, &c->who, false, gw_now_ms());
		gw_host_detach(h, c);
		c->gw->metrics.connections[c->who.role]--;
		gw_schedule_flush(c->gw); /* a grace period starts: the clock must know */
	} else {
		c->gw->metrics.connections[ROOM_ROLE_COUNT]--;
	}
}
