/*
 * The gateway's side of moderation: once a removal or a revocation is durable, the
 * connections it concerns are told why (a private message the client can show) and
 * closed with a close code of their own, so a client knows not to reconnect. Until the
 * close is through, whatever they send is refused.
 *
 * The revocation routes of the admin API live here too: they are this file's other
 * half (the decision is rooms/'s, room_token_revoke; the closing is here).
 */
#include <libwebsockets.h>
#include <string.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/http_reply.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/moderation.h"
#include "gateway/nats_log.h"
#include "gateway/server.h"

size_t gw_moderation_kick_removed(struct room_host *h, const char *pid, const char *by,
				  json_t *by_name, const char *reason)
{
	json_t *notice = json_pack("{s:s,s:s,s:{s:s,s:s,s:o}}", "type", "private", "kind",
				   "removed", "data", "pid", pid, "by", by, "by_name", by_name);
	if (notice && reason && reason[0])
		json_object_set_new(json_object_get(notice, "data"), "reason", json_string(reason));
	size_t n = gw_host_kick(h, pid, NULL, notice, GW_CLOSE_REMOVED, "removed by a chair");
	json_decref(notice);
	return n;
}

void gw_moderation_removed(struct conn *c, const char *pid)
{
	char who[GW_PID_MAX];
	snprintf(who, sizeof who, "%s", pid); /* pid is the command's, freed after us */
	gw_flush_sync(c->gw);
	const char *by = NULL, *reason = NULL;
	struct room_host *h = gw_host_of(c);
	if (!h || !room_removed(h->room, who, &by, &reason))
		return; /* the flush failed and rolled the removal back */
	size_t n = gw_moderation_kick_removed(h, who, by, json_string(c->name), reason);
	gw_info("participant removed", "room=%s pid=%s by=%s connections=%zu", room_id(h->room),
		who, by, n);
}

bool gw_moderation_admits(struct conn *c, json_t *id, const char *type)
{
	if (!c->kicked || strcmp(type, "ping") == 0)
		return true;
	bool removed = c->room && room_removed(c->room, c->pid, NULL, NULL);
	gw_host_error(c, id, removed ? ROOM_EFORBIDDEN : ROOM_EUNAUTHORIZED,
		      removed ? "you were removed from this room" : "token revoked");
	return false;
}

/* --- the admin API: /api/rooms/{id}/revocations --- */

size_t gw_moderation_kick_revoked(struct room_host *h, const char *sub, const char *jti,
				  const char *reason)
{
	json_t *notice = json_pack("{s:s,s:s,s:{}}", "type", "private", "kind", "revoked", "data");
	if (notice && reason && reason[0])
		json_object_set_new(json_object_get(notice, "data"), "reason", json_string(reason));
	size_t n = gw_host_kick(h, sub, jti, notice, GW_CLOSE_REVOKED, "token revoked");
	json_decref(notice);
	return n;
}

static void kick_revoked(struct gateway *gw, struct room *r, const char *sub, const char *jti,
			 const char *reason)
{
	struct room_host *h = room_host_data(r);
	if (!h)
		return;
	size_t n = gw_moderation_kick_revoked(h, sub, jti, reason);
	gw_info("token revoked", "room=%s by=%s connections=%zu", room_id(r), jti ? "jti" : "sub",
		n);
	(void)gw;
}

int gw_http_post_revocation(struct gateway *gw, struct lws *wsi, struct http_req *req,
			    struct room *r, const char *arg)
{
	(void)arg;
	if (!gw_http_admin_ok(gw, wsi))
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "admin token required");
	json_t *body = gw_http_body_json(req);
	const char *sub = NULL, *jti = NULL, *reason = NULL;
	bool already = false;
	enum room_err err = ROOM_EBAD_REQUEST;
	if (body &&
	    json_unpack(body, "{s?s,s?s,s?s !}", "sub", &sub, "jti", &jti, "reason", &reason) == 0)
		err = room_token_revoke(r, sub, jti, reason, gw_now_ms(), &already);
	if (err != ROOM_OK) {
		json_decref(body);
		return gw_http_respond_error(wsi, req, err == ROOM_EBAD_REQUEST ? 400 : 500, err,
					     err == ROOM_EBAD_REQUEST
						 ? "expected {sub} or {jti} (one, non-empty, at "
						   "most 127 bytes), and reason? (at most 200)"
						 : "cannot write the revocation");
	}
	int64_t head = room_head_seq(r);
	gw_flush_sync(gw);
	if (room_head_seq(r) < head) {
		json_decref(body);
		return gw_http_respond_error(wsi, req, 500, ROOM_EINTERNAL,
					     "the log could not be written");
	}
	if (!already)
		kick_revoked(gw, r, sub, jti, reason);
	json_t *out = json_pack("{s:s,s:s,s:b}", sub ? "sub" : "jti", sub ? sub : jti, "by",
				"admin", "already", already);
	if (out && reason && reason[0])
		json_object_set_new(out, "reason", json_string(reason));
	json_decref(body);
	return gw_http_respond_json(wsi, req, already ? 200 : 201, out);
}

/* Lifting a revocation: the query names it, as a DELETE carries no body here. */
int gw_http_delete_revocation(struct gateway *gw, struct lws *wsi, struct http_req *req,
			      struct room *r, const char *arg)
{
	(void)arg;
	if (!gw_http_admin_ok(gw, wsi))
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "admin token required");
	/* lws copies every argument into the buffer while looking (see http.c's CART). */
	char subbuf[512], jtibuf[512];
	const char *sub = lws_get_urlarg_by_name(wsi, "sub=", subbuf, sizeof subbuf);
	const char *jti = lws_get_urlarg_by_name(wsi, "jti=", jtibuf, sizeof jtibuf);
	enum room_err err = room_token_unrevoke(r, sub, jti, gw_now_ms());
	if (err == ROOM_ENOT_FOUND)
		return gw_http_respond_error(wsi, req, 404, err, "no such revocation");
	if (err != ROOM_OK)
		return gw_http_respond_error(wsi, req, err == ROOM_EBAD_REQUEST ? 400 : 500, err,
					     err == ROOM_EBAD_REQUEST
						 ? "expected ?sub=... or ?jti=... (one)"
						 : "cannot write the change");
	int64_t head = room_head_seq(r);
	gw_flush_sync(gw);
	if (room_head_seq(r) < head)
		return gw_http_respond_error(wsi, req, 500, ROOM_EINTERNAL,
					     "the log could not be written");
	return gw_http_respond_json(
	    wsi, req, 200,
	    json_pack("{s:s,s:s}", sub ? "sub" : "jti", sub ? sub : jti, "by", "admin"));
}

int gw_http_get_revocations(struct gateway *gw, struct lws *wsi, struct http_req *req,
			    struct room *r, const char *arg)
{
	(void)arg;
	if (!gw_http_admin_ok(gw, wsi))
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "admin token required");
	return gw_http_respond_json(wsi, req, 200, room_revocations(r));
}
