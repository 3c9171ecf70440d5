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
#include "gateway/nats_log.h"
#include "gateway/refresh.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/token.h"
#include "gateway/turn.h"

struct gw_session_entry {
	char key[GW_SESSION_KEY_LEN + 1];
	char room[65];
	char pid[GW_PID_MAX];
	int64_t expires_ms; /* 0 while a connection uses it */
	int64_t issued_s;   /* wall clock, when its first connection joined */
	struct gw_session_entry *next;
};

#define SESSION_KEEP_MS (10 * 60 * 1000)

static size_t key_hash(const char *key, size_t cap)
{
	size_t h = 5381;
	for (const char *p = key; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % cap;
}

static struct gw_session_entry *session_find(struct gateway *gw, const char *key)
{
	if (!gw->resume.cap)
		return NULL;
	for (struct gw_session_entry *e = gw->resume.table[key_hash(key, gw->resume.cap)]; e;
	     e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static bool session_grow(struct gateway *gw)
{
	size_t cap = gw->resume.cap ? gw->resume.cap * 2 : 256;
	struct gw_session_entry **table = calloc(cap, sizeof *table);
	if (!table)
		return false;
	for (size_t i = 0; i < gw->resume.cap; i++) {
		struct gw_session_entry *e = gw->resume.table[i];
		while (e) {
			struct gw_session_entry *next = e->next;
			size_t h = key_hash(e->key, cap);
			e->next = table[h];
			table[h] = e;
			e = next;
		}
	}
	free(gw->resume.table);
	gw->resume.table = table;
	gw->resume.cap = cap;
	return true;
}

static bool session_issue(struct gateway *gw, struct conn *c, const char *room)
{
	if (gw->resume.len >= gw->resume.cap / 2 && !session_grow(gw))
		return false;
	struct gw_session_entry *e = calloc(1, sizeof *e);
	unsigned char raw[GW_SESSION_KEY_LEN / 2];
	if (!e || RAND_bytes(raw, sizeof raw) != 1) {
		free(e);
		return false;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(e->key + 2 * i, 3, "%02x", raw[i]);
	snprintf(e->room, sizeof e->room, "%s", room);
	snprintf(e->pid, sizeof e->pid, "%s", c->pid);
	e->issued_s = (int64_t)time(NULL);
	size_t h = key_hash(e->key, gw->resume.cap);
	e->next = gw->resume.table[h];
	gw->resume.table[h] = e;
	gw->resume.len++;
	memcpy(c->session, e->key, sizeof c->session);
	return true;
}

void gw_sessions_expire(struct gateway *gw, int64_t now_ms)
{
	/* Keys live ten minutes; a second late costs nothing, a scan on every clock tick of a
	 * busy room (the floor clock, hum levels) costs a walk over every key. */
	if (now_ms - gw->resume.swept_ms < 1000)
		return;
	gw->resume.swept_ms = now_ms;
	for (size_t i = 0; i < gw->resume.cap; i++) {
		struct gw_session_entry **pp = &gw->resume.table[i];
		while (*pp) {
			struct gw_session_entry *e = *pp;
			if (e->expires_ms && e->expires_ms <= now_ms) {
				*pp = e->next;
				free(e);
				gw->resume.len--;
			} else {
				pp = &e->next;
			}
		}
	}
}

void gw_sessions_free(struct gateway *gw)
{
	for (size_t i = 0; i < gw->resume.cap; i++) {
		struct gw_session_entry *e = gw->resume.table[i];
		while (e) {
			struct gw_session_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(gw->resume.table);
	gw->resume.table = NULL;
	gw->resume.cap = gw->resume.len = 0;
}

static void send_ack(struct conn *c, json_t *id, json_t *fields)
{
	json_t *ack = fields ? fields : json_object();
	json_object_set_new(ack, "type", json_string("ack"));
	if (id)
		json_object_set(ack, "id", id);
	gw_host_reply(c, ack, true, id);
}

/* --- join --- */

/* The join's ack with the snapshot ("state") spliced in as text: the roster is written
 * without jansson (rooms.h room_snapshot_text), which is most of a join's cost at a
 * plenary's size. */
static void send_join_ack(struct conn *c, json_t *id, json_t *fields, const struct room *room)
{
	json_object_set_new(fields, "type", json_string("ack"));
	if (id)
		json_object_set(fields, "id", id);
	size_t len = 0;
	char *state = room_snapshot_text(room, &len);
	struct gw_msg *m = state ? gw_msg_from_json_with(fields, "state", state, len) : NULL;
	free(state);
	json_decref(fields);
	if (!m) {
		gw_host_error(c, id, ROOM_EINTERNAL, "out of memory");
		return;
	}
	gw_host_reply_msg(c, m, true, id);
}

static void set_identity(struct conn *c, const char *pid, const char *name, enum room_role role,
			 const char *group, bool in_room, const char *lang)
{
	snprintf(c->lang, sizeof c->lang, "%s", lang);
	c->who.lang = c->lang[0] ? c->lang : NULL;
	snprintf(c->pid, sizeof c->pid, "%s", pid);
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->group, sizeof c->group, "%s", group);
	c->who.pid = c->pid;
	c->who.name = c->name;
	c->who.group = c->group;
	c->who.role = role;
	c->who.in_room = in_room;
}

/* A token that expired while its person was in the room still resumes them during the
 * grace period (docs/protocol.md "Losing the connection and resuming"): it must be good
 * in every other way and have been valid when this resume key was issued, the key must
 * be this person's in this room, and the person must still be on the record -- not yet
 * left when the grace period ran out. A revoked token is "token revoked"; anything else
 * stays "token expired". */
static enum token_err lapsed_resume(struct conn *c, struct room *room, const char *token,
				    json_t *resume, struct token_claims *claims, int64_t *joined_s)
{
	json_t *key = json_object_get(resume, "session");
	struct gw_session_entry *e =
	    json_is_string(key) ? session_find(c->gw, json_string_value(key)) : NULL;
	if (!e || strcmp(e->room, room_id(room)) != 0)
		return TOKEN_EEXPIRED;
	struct token_claims lapsed;
	enum token_err err = gw_token_verify_lapsed(c->gw, token, room_id(room), &lapsed);
	if (err == TOKEN_EREVOKED)
		return err; /* the revocation is the reason, not the expiry */
	if (err != TOKEN_OK || strcmp(lapsed.sub, e->pid) != 0 ||
	    lapsed.exp + TOKEN_SKEW_S <= e->issued_s || !room_on_record(room, lapsed.sub))
		return TOKEN_EEXPIRED;
	*claims = lapsed;
	*joined_s = e->issued_s; /* a lifetime without iat counts from the first join */
	return TOKEN_OK;
}

/* Who is joining: from a token, or an anonymous observer of a public room. */
static enum room_err join_identity(struct conn *c, struct room *room, json_t *msg, const char **why)
{
	json_t *token = json_object_get(msg, "token");
	if (token) {
		if (!json_is_string(token)) {
			*why = "token must be a string";
			return ROOM_EBAD_REQUEST;
		}
		struct token_claims claims;
		int64_t joined_s = 0;
		enum token_err terr =
		    gw_token_verify(c->gw, json_string_value(token), room_id(room), &claims);
		if (terr == TOKEN_EEXPIRED)
			terr = lapsed_resume(c, room, json_string_value(token),
					     json_object_get(msg, "resume"), &claims, &joined_s);
		if (terr != TOKEN_OK) {
			gw_debug("join refused", "conn=%llu reason=\"%s\"",
				 (unsigned long long)c->id, token_strerror(terr));
			*why = token_strerror(terr);
			return ROOM_EUNAUTHORIZED;
		}
		set_identity(c, claims.sub, claims.name, (enum room_role)claims.role, claims.group,
			     claims.in_room, claims.lang);
		snprintf(c->jti, sizeof c->jti, "%s", claims.jti);
		gw_token_remember(c, &claims, joined_s);
		return ROOM_OK;
	}
	/* A private room is not there for a stranger: the answer of a room that is not. */
	if (room_visibility(room) == ROOM_VISIBILITY_PRIVATE) {
		*why = "no such room";
		return ROOM_ENOT_FOUND;
	}
	json_t *role = json_object_get(msg, "role");
	json_t *name = json_object_get(msg, "name");
	if (!json_is_string(role) || strcmp(json_string_value(role), "observer") != 0) {
		*why = "a token is required (or role \"observer\" for a public room)";
		return ROOM_EUNAUTHORIZED;
	}
	if (name && (!json_is_string(name) || json_string_length(name) >= GW_NAME_MAX)) {
		*why = "name must be a string of at most 127 bytes";
		return ROOM_EBAD_REQUEST;
	}
	if (!room_public_observers(room)) {
		*why = "this room's observers need a token";
		return ROOM_EUNAUTHORIZED;
	}
	/* An anonymous observer who resumes keeps the id of their earlier session: that is
	 * what the resume key is checked against. Observers are never on the record, so the
	 * id is only a handle. */
	char pid[GW_PID_MAX];
	json_t *key = json_object_get(json_object_get(msg, "resume"), "session");
	struct gw_session_entry *e =
	    json_is_string(key) ? session_find(c->gw, json_string_value(key)) : NULL;
	if (e && strncmp(e->pid, "obs-", 4) == 0 && strcmp(e->room, room_id(room)) == 0) {
		snprintf(pid, sizeof pid, "%s", e->pid);
	} else {
		unsigned char raw[8];
		if (RAND_bytes(raw, sizeof raw) != 1)
			return ROOM_EINTERNAL;
		snprintf(pid, sizeof pid, "obs-%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1],
			 raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
	}
	set_identity(c, pid, name ? json_string_value(name) : "Observer", ROOM_ROLE_OBSERVER, "",
		     false, "");
	return ROOM_OK;
}

struct replay_ctx {
	struct conn *c;
	int64_t last;
};

static bool replay_one(void *ctx, const char *msg, size_t len)
{
	struct replay_ctx *rc = ctx;
	gw_host_send(gw_host_of(rc->c), rc->c, gw_msg_new(msg, len), false, NULL);
	return false;
}

/* Resume: every event after since, then the ack. False: send a fresh snapshot instead. */
static bool try_resume(struct conn *c, struct room *room, json_t *resume)
{
	json_t *key = json_object_get(resume, "session");
	json_t *since = json_object_get(resume, "since");
	if (!json_is_string(key) || !json_is_integer(since) || json_integer_value(since) < 0)
		return false;
	struct gw_session_entry *e = session_find(c->gw, json_string_value(key));
	if (!e || strcmp(e->room, room_id(room)) != 0 || strcmp(e->pid, c->pid) != 0)
		return false;
	int64_t from = json_integer_value(since);
	if (from > room_head_seq(room))
		return false;
	struct replay_ctx rc = {.c = c, .last = from};
	if (!room_replay_since(room, from, replay_one, &rc))
		return false;
	gw_host_pending_events_to(gw_host_of(c), c, from);
	/* The same key goes on working for the next drop. */
	memcpy(c->session, e->key, sizeof c->session);
	e->expires_ms = 0;
	return true;
}

/* A person a chair removed may not join or resume until readmitted (moderation). */
static bool refused_as_removed(struct room *room, const char *pid, char *why, size_t cap)
{
	const char *by = NULL, *reason = NULL;
	if (!room_removed(room, pid, &by, &reason))
		return false;
	snprintf(why, cap, "you were removed from this room by a chair (%s)%s%s", by,
		 reason[0] ? ": " : "", reason);
	return true;
}

/* One person, one role at a time: rooms/ refuses a second role among the people on the
 * record, but observers are not on it, so the connections tell (an observer's token for
 * someone connected as chair, or the other way round). */
static bool other_role_connected(const struct conn *c, struct room *room)
{
	struct room_host *h = room_host_data(room);
	if (!h)
		return false;
	if (gw_pid_index_ready(&h->by_pid))
		return gw_pid_index_other_role(&h->by_pid, c);
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
	{
		const struct conn *o = BASE_CONTAINER_OF(node, struct conn, room_link);
		if (o != c && o->who.role != c->who.role && strcmp(o->pid, c->pid) == 0)
			return true;
	}
	return false;
}

/* Who the token says they are may still not come in: removed by a chair, or already here
 * with another role. */
static enum room_err join_refusal(struct conn *c, struct room *room, char *removed, size_t cap,
				  const char **why)
{
	if (refused_as_removed(room, c->pid, removed, cap)) {
		*why = removed;
		return ROOM_EFORBIDDEN;
	}
	if (other_role_connected(c, room)) {
		*why = "you are already connected to this room with another role";
		return ROOM_ECONFLICT;
	}
	return ROOM_OK;
}

static void handle_join(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type;
	if (c->room) {
		gw_host_error(c, id, ROOM_ECONFLICT, "this connection has already joined a room");
		return;
	}
	json_t *room_name = json_object_get(msg, "room");
	json_t *resume = json_object_get(msg, "resume");
	if (!json_is_string(room_name) || (resume && !json_is_object(resume))) {
		gw_host_error(c, id, ROOM_EBAD_REQUEST, "join needs a room (string)");
		return;
	}
	struct room *room = rooms_find(c->gw->rooms, json_string_value(room_name));
	if (!room) {
		gw_host_error(c, id, ROOM_ENOT_FOUND, "no such room");
		return;
	}
	const char *why = NULL;
	char removed[400];
	enum room_err err = join_identity(c, room, msg, &why);
	if (err == ROOM_OK)
		err = join_refusal(c, room, removed, sizeof removed, &why);
	if (err == ROOM_OK)
		err = room_attach(room, &c->who, gw_now_ms());
	if (err != ROOM_OK) {
		gw_host_error(c, id, err, why ? why : "cannot join");
		return;
	}
	c->gw->metrics.connections[ROOM_ROLE_COUNT]--;
	c->gw->metrics.connections[c->who.role]++;
	struct room_host *h = gw_host_for(c->gw, room);
	gw_host_attach(h, c);
	bool resumed = resume && try_resume(c, room, resume);
	if (!c->session[0] && !session_issue(c->gw, c, room_id(room)))
		gw_warn("cannot issue a resume key", "conn=%llu", (unsigned long long)c->id);
	json_t *ack =
	    json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s,s:b},s:I}", "session", c->session, "you", "pid",
		      c->pid, "name", c->name, "role", room_role_name(c->who.role), "group",
		      c->group, "location", c->who.in_room ? "room" : "remote", "mic",
		      room_mic_open(room, c->pid), "seq", (json_int_t)room_head_seq(room));
	if (resume)
		json_object_set_new(ack, "resumed", json_boolean(resumed));
	/* Fresh TURN credentials on every join, a resume's too: the client makes a new peer
	 * connection after each one (docs/protocol.md). */
	json_t *ice = gw_turn_ice_servers(&c->gw->cfg, c->pid, (int64_t)time(NULL));
	if (ice)
		json_object_set_new(ack, "ice_servers", ice);
	/* One's own hum cast and ballot (never anyone else's): a second device or a client
	 * back from a restart can tell whether to send them again. */
	json_t *mine = room_private_state(room, c->pid);
	json_t *you = json_object_get(ack, "you");
	if (you && c->lang[0]) /* an interpreter's booth */
		json_object_set_new(you, "lang", json_string(c->lang));
	if (mine && you)
		json_object_update(you, mine);
	json_decref(mine);
	gw_info("joined", "conn=%llu room=%s role=%s resumed=%d", (unsigned long long)c->id,
		room_id(room), room_role_name(c->who.role), resumed);
	send_join_ack(c, id, ack, room);
}

static void handle_leave(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type, (void)msg;
	struct room_host *h = gw_host_of(c);
	gw_media_conn_closed(c);
	room_detach(h->room, &c->who, true, gw_now_ms());
	/* The departure must be durable before the ack, and the ack must reach this
	 * connection, which is about to leave the room's fan-out: sync now. */
	gw_flush_sync(c->gw);
	send_ack(c, id, NULL);
	gw_host_detach(h, c);
	c->gw->metrics.connections[c->who.role]--;
	c->gw->metrics.connections[ROOM_ROLE_COUNT]++;
}

static void handle_room_command(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	int64_t now = gw_now_ms();
	json_t *result = NULL;
	const char *why = NULL;
	if (strcmp(type, "caption") == 0)
		gw_media_tell_talkers(c->gw, c->room);
	enum room_err err = room_command(c->room, &c->who, type, msg, now, &result, &why);
	if (err != ROOM_OK) {
		gw_host_error(c, id, err, why);
		return;
	}
	send_ack(c, id, result);
	if (strcmp(type, "participant.remove") == 0)
		gw_moderation_removed(c, json_string_value(json_object_get(msg, "pid")));
}

static void handle_ping(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type, (void)msg;
	send_ack(c, id, NULL);
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
    {"join", handle_join, false, ROOM_CLASS_SESSION},
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

static void dispatch(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	const struct envelope_type *e = envelope_find(type);
	if (!e)
		gw_host_error(c, id, ROOM_EUNKNOWN_TYPE, "unknown message type");
	else if (!within_limits(c, id, type, e == &room_type ? room_command_class(type) : e->cls))
		return;
	else if (e->needs_join && !c->room)
		gw_host_error(c, id, ROOM_EUNAUTHORIZED, "join a room first");
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
		struct gw_session_entry *e = session_find(c->gw, c->session);
		if (e)
			e->expires_ms = gw_now_ms() + SESSION_KEEP_MS;
	}
	if (c->room) {
		struct room_host *h = gw_host_of(c);
		room_detach(h->room, &c->who, false, gw_now_ms());
		gw_host_detach(h, c);
		c->gw->metrics.connections[c->who.role]--;
		gw_schedule_flush(c->gw); /* a grace period starts: the clock must know */
	} else {
		c->gw->metrics.connections[ROOM_ROLE_COUNT]--;
	}
}
