/*
 * join, with resume (docs/protocol.md "Joining" and "Losing the connection and
 * resuming"): who the token says someone is, whether they may come in (removed, another
 * role already here, a room this node does not serve), the resume of a dropped
 * connection, and the ack with the snapshot. session.c dispatches to it.
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
#include "gateway/token.h"
#include "gateway/turn.h"

#include "gateway/session_priv.h"

/* The join's ack with the snapshot ("state") spliced in as text: the roster is written
 * without jansson (rooms.h room_snapshot_text), which is most of a join's cost at a
 * plenary's size. */
static void send_join_ack(struct conn *c, json_t *id, json_t *fields, const struct room *room)
{
	/* "type" and "id" first: a reader that looks for the reply's type near either end of
	 * a message (plenary-load's listeners skip events that way) finds it before a roster
	 * of a few hundred kilobytes. */
	json_t *ack = json_pack("{s:s}", "type", "ack");
	if (ack && id)
		json_object_set(ack, "id", id);
	if (ack)
		json_object_update(ack, fields);
	json_decref(fields);
	size_t len = 0;
	char *state = ack ? room_snapshot_text(room, &len) : NULL;
	struct gw_msg *m = state ? gw_msg_from_json_with(ack, "state", state, len) : NULL;
	free(state);
	json_decref(ack);
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
	    json_is_string(key) ? gw_session_find(c->gw, json_string_value(key)) : NULL;
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
	    json_is_string(key) ? gw_session_find(c->gw, json_string_value(key)) : NULL;
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
	struct gw_session_entry *e = gw_session_find(c->gw, json_string_value(key));
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

/* --nats: a room whose lease another node holds (or none yet) is not joined here. */
bool gw_session_served_here(struct conn *c, json_t *id, struct room *room)
{
	if (gw_lease_owns(c->gw, room_id(room)))
		return true;
	char why[1200], url[512];
	gw_lease_refusal(c->gw, room_id(room), why, sizeof why, url, sizeof url);
	/* owner_url: where a client goes next by itself (docs/protocol.md, Error codes). */
	json_t *reply = json_pack("{s:s,s:s,s:s}", "type", "error", "code",
				  room_err_code(ROOM_EUNAVAILABLE), "message", why);
	if (reply && url[0])
		json_object_set_new(reply, "owner_url", json_string(url));
	if (reply && id)
		json_object_set(reply, "id", id);
	if (reply)
		gw_host_reply(c, reply, false, NULL);
	return false;
}

/* The room a join names, if it exists and this node serves it; else NULL, answered. */
static struct room *join_target(struct conn *c, json_t *id, const char *name)
{
	struct room *room = rooms_find(c->gw->rooms, name);
	if (!room)
		gw_host_error(c, id, ROOM_ENOT_FOUND, "no such room");
	return room && gw_session_served_here(c, id, room) ? room : NULL;
}

void gw_session_handle_join(struct conn *c, json_t *id, const char *type, json_t *msg)
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
	struct room *room = join_target(c, id, json_string_value(room_name));
	if (!room)
		return;
	const char *why = NULL;
	char removed[400];
	enum room_err err = join_identity(c, room, msg, &why);
	if (err == ROOM_OK)
		err = join_refusal(c, room, removed, sizeof removed, &why);
	if (err == ROOM_OK && c->gw->edge) {
		gw_edge_join(c, room, id, resume); /* the owner attaches them */
		return;
	}
	if (err == ROOM_OK)
		err = room_attach(room, &c->who, gw_now_ms());
	if (err != ROOM_OK) {
		gw_host_error(c, id, err, why ? why : "cannot join");
		return;
	}
	json_t *mine = room_private_state(room, c->pid);
	gw_session_join_finish(c, room, id, resume, room_mic_open(room, c->pid), mine);
	json_decref(mine);
}

void gw_session_join_finish(struct conn *c, struct room *room, json_t *id, json_t *resume, bool mic,
			    json_t *mine)
{
	c->gw->metrics.connections[ROOM_ROLE_COUNT]--;
	c->gw->metrics.connections[c->who.role]++;
	struct room_host *h = gw_host_for(c->gw, room);
	gw_host_attach(h, c);
	bool resumed = resume && try_resume(c, room, resume);
	if (!c->session[0] && !gw_session_issue(c->gw, c, room_id(room)))
		gw_warn("cannot issue a resume key", "conn=%llu", (unsigned long long)c->id);
	json_t *ack = json_pack(
	    "{s:s,s:{s:s,s:s,s:s,s:s,s:s,s:b},s:I}", "session", c->session, "you", "pid", c->pid,
	    "name", c->name, "role", room_role_name(c->who.role), "group", c->group, "location",
	    c->who.in_room ? "room" : "remote", "mic", mic, "seq", (json_int_t)room_head_seq(room));
	if (resume)
		json_object_set_new(ack, "resumed", json_boolean(resumed));
	/* Fresh TURN credentials on every join, a resume's too: the client makes a new peer
	 * connection after each one (docs/protocol.md). */
	json_t *ice = gw_turn_ice_servers(&c->gw->cfg, c->pid, (int64_t)time(NULL));
	if (ice)
		json_object_set_new(ack, "ice_servers", ice);
	/* One's own hum cast and ballot (never anyone else's): a second device or a client
	 * back from a restart can tell whether to send them again. */
	json_t *you = json_object_get(ack, "you");
	if (you && c->lang[0]) /* an interpreter's booth */
		json_object_set_new(you, "lang", json_string(c->lang));
	if (mine && you)
		json_object_update(you, mine);
	gw_info("joined", "conn=%llu room=%s role=%s resumed=%d", (unsigned long long)c->id,
		room_id(room), room_role_name(c->who.role), resumed);
	send_join_ack(c, id, ack, room);
}
