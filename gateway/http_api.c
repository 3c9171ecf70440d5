/*
 * The /api/ routes (http_api.h).
 */
#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway/access.h"
#include "gateway/http_api.h"
#include "gateway/http_gate.h"
#include "gateway/http_reply.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/media_glue.h"
#include "gateway/moderation.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_log.h"
#include "gateway/server.h"
#include "gateway/stream.h"
#include "gateway/token.h"

#include <openssl/rand.h>

static int get_rooms(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		     const char *arg)
{
	(void)r;
	(void)arg;
	bool admin = gw_http_admin_ok(gw, wsi);
	json_t *list = json_array();
	for (size_t i = 0; list && i < rooms_count(gw->rooms); i++) {
		struct room *room = rooms_at(gw->rooms, i);
		if (admin || (room_public_observers(room) &&
			      room_visibility(room) == ROOM_VISIBILITY_PUBLIC))
			json_array_append_new(list, room_summary(room));
	}
	return gw_http_respond_json(wsi, req, 200, list);
}

static int post_rooms(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		      const char *arg)
{
	(void)r;
	(void)arg;
	if (!gw_http_admin_ok(gw, wsi))
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "admin token required");
	json_t *body = gw_http_body_json(req);
	const char *id = NULL, *title = NULL, *visibility = "public", *tz = NULL;
	int public_observers = 1, reveal = 0;
	struct room_settings s = {.public_observers = true};
	if (!body ||
	    json_unpack(body, "{s:s,s?s,s?b,s?b,s?s,s?s}", "id", &id, "title", &title,
			"public_observers", &public_observers, "reveal_hum_counts", &reveal,
			"visibility", &visibility, "time_zone", &tz) != 0 ||
	    !room_visibility_parse(visibility, &s.visibility)) {
		json_decref(body);
		return gw_http_respond_error(
		    wsi, req, 400, ROOM_EBAD_REQUEST,
		    "expected {id, title?, public_observers?, reveal_hum_counts?, "
		    "visibility?: \"public\" | \"private\", time_zone?}");
	}
	if (tz && !rooms_time_zone_valid(tz)) {
		json_decref(body);
		return gw_http_respond_error(
		    wsi, req, 400, ROOM_EBAD_REQUEST,
		    "time_zone must be an IANA time zone such as \"Europe/Madrid\"");
	}
	s.time_zone = tz;
	s.id = id;
	s.title = title ? title : id;
	s.public_observers = public_observers;
	s.reveal_hum_counts = reveal;
	struct room *room = NULL;
	enum room_err err = rooms_create(gw->rooms, &s, gw_now_ms(), &room);
	json_decref(body);
	if (err == ROOM_ECONFLICT)
		return gw_http_respond_error(wsi, req, 409, err, "a room with this id exists");
	if (err != ROOM_OK)
		return gw_http_respond_error(wsi, req, err == ROOM_EBAD_REQUEST ? 400 : 500, err,
					     err == ROOM_EBAD_REQUEST
						 ? "room id must match [a-z0-9-]{1,64}"
						 : "cannot create the room");
	gw_flush_sync(gw);
	gw_info("room created", "room=%s", room_id(room));
	return gw_http_respond_json(wsi, req, 201, room_summary(room));
}

/* The body's lang into c: an interpreter's booth (a BCP 47 tag, canonical case), required
 * for that role and refused for any other. */
static bool token_lang(struct token_claims *c, const char *lang)
{
	if (c->role != TOKEN_ROLE_INTERPRETER)
		return lang == NULL;
	return lang && base_lang_canon(lang, c->lang, sizeof c->lang);
}

/* c signed, with a new jti; NULL if that fails. */
static char *sign_with_jti(struct gateway *gw, struct token_claims *c)
{
	char *tok = NULL;
	if (!token_new_jti(c->jti) || token_sign(c, gw->secret, gw->secret_len, &tok) != TOKEN_OK)
		return NULL;
	return tok;
}

/* The sub asked for, or a random one. */
static void set_sub(struct token_claims *c, const char *sub)
{
	if (sub) {
		snprintf(c->sub, sizeof c->sub, "%s", sub);
		return;
	}
	unsigned char raw[8];
	if (RAND_bytes(raw, sizeof raw) != 1)
		raw[0] = 0;
	snprintf(c->sub, sizeof c->sub, "p-%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1],
		 raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
}

static int post_token(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		      const char *arg)
{
	(void)arg;
	if (!gw_http_admin_ok(gw, wsi))
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "admin token required");
	json_t *body = gw_http_body_json(req);
	const char *role = NULL, *name = NULL, *sub = NULL, *group = NULL, *location = NULL,
		   *lang = NULL;
	json_int_t max = gw->cfg.token_max_lifetime_s;
	json_int_t ttl = max < 86400 ? max : 86400;
	struct token_claims c;
	memset(&c, 0, sizeof c);
	if (!body ||
	    json_unpack(body, "{s:s,s:s,s?s,s?s,s?I,s?s,s?s}", "role", &role, "name", &name, "sub",
			&sub, "group", &group, "ttl_s", &ttl, "location", &location, "lang",
			&lang) != 0 ||
	    !token_role_parse(role, &c.role) || ttl <= 0 || ttl > max || strlen(name) == 0 ||
	    strlen(name) >= sizeof c.name ||
	    (sub && (strlen(sub) == 0 || strlen(sub) >= sizeof c.sub)) ||
	    (group && strlen(group) >= sizeof c.group) || !token_lang(&c, lang)) {
		json_decref(body);
		return gw_http_respond_error(
		    wsi, req, 400, ROOM_EBAD_REQUEST,
		    "expected {role, name, sub?, group?, ttl_s?, location?, lang?} with "
		    "ttl_s in [1, token_max_lifetime_s], and lang (a BCP 47 tag) for an "
		    "interpreter and no other role");
	}
	snprintf(c.room, sizeof c.room, "%s", room_id(r));
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.group, sizeof c.group, "%s", group ? group : "");
	c.in_room = location && strcmp(location, "room") == 0;
	set_sub(&c, sub);
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + ttl;
	json_decref(body);
	char *tok = sign_with_jti(gw, &c);
	if (!tok)
		return gw_http_respond_error(wsi, req, 500, ROOM_EINTERNAL, "cannot sign");
	json_t *out = json_pack("{s:s,s:s,s:s,s:I}", "token", tok, "sub", c.sub, "jti", c.jti,
				"exp", (json_int_t)c.exp);
	free(tok);
	return gw_http_respond_json(wsi, req, 200, out);
}

static const struct {
	const char *name;
	enum room_export what;
	const char *ctype;
} exports[] = {
    {"record.json", ROOM_EXPORT_JSON, "application/json"},
    {"record.txt", ROOM_EXPORT_TEXT, "text/plain; charset=utf-8"},
    {"record.vtt", ROOM_EXPORT_VTT, "text/vtt; charset=utf-8"},
    {"record.html", ROOM_EXPORT_HTML, "text/html; charset=utf-8"},
    {"polls.json", ROOM_EXPORT_POLLS, "application/json"},
};

/* How long the signed URLs that a private room's response hands out live: an hour, or
 * until the Bearer token that asked expires if sooner. */
static int64_t link_exp(const struct http_req *req)
{
	int64_t exp = (int64_t)time(NULL) + ACCESS_URL_MAX_S;
	if (req->bearer_exp > 0 && req->bearer_exp < exp)
		exp = req->bearer_exp;
	return exp;
}

struct link_signing {
	struct gateway *gw;
	struct room *r;
	int64_t exp;
};

/* The record page of a private room links its resources with signed URLs, so that its
 * reader (who came with a token or a signed URL) can follow them. */
static bool sign_link(void *ctx, const char *name, char *query, size_t cap)
{
	const struct link_signing *l = ctx;
	char path[160], sig[ACCESS_SIG_LEN + 1];
	int n = snprintf(path, sizeof path, "/api/rooms/%s/%s", room_id(l->r), name);
	if (n < 0 || (size_t)n >= sizeof path ||
	    !access_sign(l->gw->secret, l->gw->secret_len, path, l->exp, sig))
		return false;
	n = snprintf(query, cap, "exp=%lld&sig=%s", (long long)l->exp, sig);
	return n > 0 && (size_t)n < cap;
}

static int get_export(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		      const char *arg)
{
	struct link_signing signing = {gw, r, link_exp(req)};
	const struct room_link_signer signer = {sign_link, &signing};
	const struct room_link_signer *links =
	    room_visibility(r) == ROOM_VISIBILITY_PRIVATE ? &signer : NULL;
	for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++) {
		if (strcmp(arg, exports[i].name) != 0)
			continue;
		char lang[1024];
		const char *l = lws_get_urlarg_by_name(wsi, "lang=", lang, sizeof lang);
		char *doc = NULL;
		size_t len = 0;
		if (room_export_signed(r, exports[i].what, l, links, &doc, &len) != ROOM_OK)
			return gw_http_respond_error(wsi, req, 500, ROOM_EINTERNAL,
						     "cannot read the room's log");
		return gw_http_respond(wsi, req, 200, exports[i].ctype, doc, len);
	}
	return gw_http_respond_text(wsi, req, 404, "not found\n");
}

static int get_log(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		   const char *arg)
{
	(void)gw;
	(void)arg;
	(void)req;
	int n =
	    lws_serve_http_file(wsi, room_log_path(r), "application/jsonl; charset=utf-8", NULL, 0);
	if (n < 0)
		return -1;
	if (n > 0 && lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* ?lang= on listen.ogg and recording.ogg: a channel's stream and recording. Not a BCP 47
 * tag is 400; a language the room has no channel for is 404. *ch is the media's number
 * of the channel (booth index + 1, as media_channel.c numbers it; 0 without lang: the
 * floor). True when *res is the answer already. */
static bool channel_query(struct lws *wsi, struct http_req *req, struct room *r, unsigned *ch,
			  int *res)
{
	char buf[64], tag[BASE_LANG_MAX + 1];
	const char *lang = lws_get_urlarg_by_name(wsi, "lang=", buf, sizeof buf);
	*ch = 0;
	if (!lang)
		return false;
	if (!base_lang_canon(lang, tag, sizeof tag)) {
		*res = gw_http_respond_error(wsi, req, 400, ROOM_EBAD_REQUEST,
					     "lang must be a BCP 47 language tag");
		return true;
	}
	int i = room_channel_index(r, tag);
	if (!room_channel_exists(r, tag) || i < 0 || i >= MEDIA_CHANNELS) {
		*res = gw_http_respond_error(wsi, req, 404, ROOM_ENOT_FOUND,
					     "this room has no channel in that language");
		return true;
	}
	*ch = (unsigned)i + 1;
	return false;
}

static int get_listen(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		      const char *arg)
{
	(void)arg;
	int res;
	unsigned ch;
	if (channel_query(wsi, req, r, &ch, &res))
		return res;
	if (!gw_stream_live(gw, r, ch))
		return gw_http_respond_error(
		    wsi, req, 404, ROOM_ENOT_FOUND,
		    ch ? "this channel has no stream: the session is not live, or no interpreter "
			 "has yet been ready in its booth this session"
		       : "the room's session is not live: there is nothing to listen to");
	return gw_stream_listen(gw, wsi, r, ch, &req->stream);
}

static int get_recording(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
			 const char *arg)
{
	(void)arg;
	int res;
	unsigned ch;
	if (channel_query(wsi, req, r, &ch, &res))
		return res;
	char path[4096];
	/* A channel's own file only: the floor is never served in a channel's name. */
	if (!media_recording_latest(gw->media, room_id(r), ch, path, sizeof path))
		return gw_http_respond_error(
		    wsi, req, 404, ROOM_ENOT_FOUND,
		    ch ? "this channel has no recording yet: no interpreter has been ready in its "
			 "booth during a session"
		       : "the room has no recording yet");
	/* While the session is live this is what the recorder has written so far. */
	static const char headers[] = "x-content-type-options: nosniff\r\n"
				      "cache-control: no-store\r\n";
	int n = lws_serve_http_file(wsi, path, "audio/ogg", headers, (int)sizeof headers - 1);
	if (n < 0)
		return -1;
	if (n > 0 && lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* Posts the caption and answers only once it is durable. A failed flush rolls the room
 * back to what is on disk: the caption was then never written and must not be answered
 * 200 (the writer retries the same seq). */
static int caption_answer(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
			  const struct room_identity *who, const char *lang, long long n)
{
	bool duplicate = false;
	const char *why = NULL;
	if (!gw_lease_owns(gw, room_id(r)))
		return gw_http_respond_error(wsi, req, 503, ROOM_EUNAVAILABLE,
					     "this node does not serve the room now (--nats: a "
					     "standby); post to its owner");
	gw_media_tell_talkers(gw, r);
	enum room_err err = room_caption_post(r, who, lang, n, req->body ? req->body : "",
					      req->body_len, gw_now_ms(), &duplicate, &why);
	if (err == ROOM_ECONFLICT)
		return gw_http_respond_error(wsi, req, 409, err, why ? why : "session not live");
	if (err != ROOM_OK)
		return gw_http_respond_error(wsi, req, err == ROOM_EINTERNAL ? 500 : 400, err,
					     why ? why : "bad caption");
	int64_t head = room_head_seq(r);
	gw_flush_sync(gw);
	if (room_head_seq(r) < head)
		return gw_http_respond_error(wsi, req, 500, ROOM_EINTERNAL,
					     "the log could not be written");
	return gw_http_respond_json(wsi, req, 200, json_pack("{s:b}", "duplicate", duplicate));
}

static int post_caption(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
			const char *arg)
{
	(void)arg;
	/* lws copies every argument into the buffer while looking for the one asked for, so
	 * each buffer must hold the longest argument (the token), not just its own. */
	char tokbuf[TOKEN_MAX_LEN + 8], seqbuf[TOKEN_MAX_LEN + 8], langbuf[TOKEN_MAX_LEN + 8];
	const char *tok = lws_get_urlarg_by_name(wsi, "token=", tokbuf, sizeof tokbuf);
	const char *seq = lws_get_urlarg_by_name(wsi, "seq=", seqbuf, sizeof seqbuf);
	const char *lang = lws_get_urlarg_by_name(wsi, "lang=", langbuf, sizeof langbuf);
	if (lang && strlen(lang) > 35)
		return gw_http_respond_error(wsi, req, 400, ROOM_EBAD_REQUEST, "lang is too long");
	struct token_claims c;
	enum token_err terr = tok ? gw_token_verify(gw, tok, room_id(r), &c) : TOKEN_EFORMAT;
	if (terr != TOKEN_OK)
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     tok ? token_strerror(terr) : "a token is required");
	if (c.role != TOKEN_ROLE_CAPTIONER && c.role != TOKEN_ROLE_CHAIR)
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "a captioner or chair token is required");
	char *end = NULL;
	long long n = seq ? strtoll(seq, &end, 10) : -1;
	if (!seq || *seq == '\0' || *end != '\0' || n < 0 || req->body_too_large)
		return gw_http_respond_error(wsi, req, 400, ROOM_EBAD_REQUEST,
					     "seq must be a non-negative integer");
	struct room_identity who = {.pid = c.sub,
				    .name = c.name,
				    .role = (enum room_role)c.role,
				    .group = c.group,
				    .in_room = c.in_room};
	return caption_answer(gw, wsi, req, r, &who, lang ? lang : "en", n);
}

/* The room's resources a signed URL may open: what its GET routes serve. */
static bool signable(const char *last)
{
	static const char *const files[] = {"log", "listen.ogg", "recording.ogg", "metrics"};
	for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
		if (strcmp(last, exports[i].name) == 0)
			return true;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (strcmp(last, files[i]) == 0)
			return true;
	return false;
}

/* A URL for a media player or a download link, which cannot send the Bearer header the
 * gate has just checked: valid for an hour, or until that token expires if sooner. */
static int post_signed_url(struct gateway *gw, struct lws *wsi, struct http_req *req,
			   struct room *r, const char *arg)
{
	(void)arg;
	json_t *body = gw_http_body_json(req);
	const char *path = NULL;
	char prefix[96];
	size_t plen = (size_t)snprintf(prefix, sizeof prefix, "/api/rooms/%s/", room_id(r));
	if (!body || json_unpack(body, "{s:s}", "path", &path) != 0 ||
	    strncmp(path, prefix, plen) != 0 || !signable(path + plen)) {
		json_decref(body);
		return gw_http_respond_error(
		    wsi, req, 400, ROOM_EBAD_REQUEST,
		    "expected {path}: one of this room's readable resources, "
		    "/api/rooms/{id}/record.json and so on");
	}
	int64_t exp = link_exp(req);
	char sig[ACCESS_SIG_LEN + 1], url[256];
	bool ok = access_sign(gw->secret, gw->secret_len, path, exp, sig);
	if (ok)
		snprintf(url, sizeof url, "%s?exp=%lld&sig=%s", path, (long long)exp, sig);
	json_decref(body);
	if (!ok)
		return gw_http_respond_error(wsi, req, 500, ROOM_EINTERNAL, "cannot sign");
	return gw_http_respond_json(wsi, req, 200,
				    json_pack("{s:s,s:I}", "url", url, "exp", (json_int_t)exp));
}

/* The per-room rows of /metrics for one room, which /metrics leaves out for a private
 * room unless the admin token is sent. */
static int get_room_metrics(struct gateway *gw, struct lws *wsi, struct http_req *req,
			    struct room *r, const char *arg)
{
	(void)arg;
	size_t len = 0;
	char *text = gw_metrics_render_room(gw->media, room_id(r), &len);
	if (!text)
		return gw_http_respond_text(wsi, req, 500, "internal error\n");
	return gw_http_respond(wsi, req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
			       len);
}

/* --- routing --- */

typedef int (*route_fn)(struct gateway *, struct lws *, struct http_req *, struct room *,
			const char *);

static const struct {
	int method;
	const char *path; /* "/api/rooms" exactly, or a room route's last segment; "*" any */
	bool room_route;
	enum gate gate;
	route_fn fn;
} routes[] = {
    {LWSHUMETH_GET, "/api/rooms", false, GATE_NONE, get_rooms},
    {LWSHUMETH_POST, "/api/rooms", false, GATE_NONE, post_rooms},
    {LWSHUMETH_POST, "tokens", true, GATE_OWN, post_token},
    {LWSHUMETH_POST, "caption", true, GATE_OWN, post_caption},
    {LWSHUMETH_POST, "signed-url", true, GATE_TOKEN, post_signed_url},
    {LWSHUMETH_POST, "revocations", true, GATE_NONE, gw_http_post_revocation},
    {LWSHUMETH_GET, "revocations", true, GATE_NONE, gw_http_get_revocations},
    {LWSHUMETH_DELETE, "revocations", true, GATE_NONE, gw_http_delete_revocation},
    {LWSHUMETH_GET, "log", true, GATE_READ, get_log},
    {LWSHUMETH_GET, "listen.ogg", true, GATE_READ, get_listen},
    {LWSHUMETH_GET, "recording.ogg", true, GATE_READ, get_recording},
    {LWSHUMETH_GET, "metrics", true, GATE_READ, get_room_metrics},
    {LWSHUMETH_GET, "*", true, GATE_READ, get_export},
};

/* An edge writes no room's log (nats_edge.h): the API's writes are the owner's. */
static bool edge_refuses(const struct gateway *gw, const struct http_req *req)
{
	size_t n = strlen(req->uri);
	bool ends_caption = n > 8 && strcmp(req->uri + n - 8, "/caption") == 0;
	bool ends_revocations = n > 12 && strcmp(req->uri + n - 12, "/revocations") == 0;
	return gw->cfg.edge &&
	       ((req->method == LWSHUMETH_POST &&
		 (strcmp(req->uri, "/api/rooms") == 0 || ends_caption || ends_revocations)) ||
		(req->method == LWSHUMETH_DELETE && ends_revocations));
}

int gw_http_api(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	const char *uri = req->uri;
	if (strncmp(uri, "/api/", 5) != 0)
		return gw_http_respond_text(wsi, req, 404, "not found\n");
	if (edge_refuses(gw, req))
		return gw_http_respond_error(
		    wsi, req, 503, ROOM_EUNAVAILABLE,
		    "this node is an edge: send writes to the room's owner");
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (!routes[i].room_route && req->method == routes[i].method &&
		    strcmp(uri, routes[i].path) == 0)
			return routes[i].fn(gw, wsi, req, NULL, NULL);
	const char *prefix = "/api/rooms/";
	if (strncmp(uri, prefix, strlen(prefix)) != 0)
		return gw_http_respond_text(wsi, req, 404, "not found\n");
	const char *id = uri + strlen(prefix);
	const char *slash = strchr(id, '/');
	if (!slash || strchr(slash + 1, '/') || (size_t)(slash - id) > 64)
		return gw_http_respond_text(wsi, req, 404, "not found\n");
	char room_name[65];
	memcpy(room_name, id, (size_t)(slash - id));
	room_name[slash - id] = '\0';
	const char *last = slash + 1;
	struct room *r = rooms_valid_id(room_name) ? rooms_find(gw->rooms, room_name) : NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!routes[i].room_route || req->method != routes[i].method ||
		    (strcmp(routes[i].path, "*") != 0 && strcmp(routes[i].path, last) != 0))
			continue;
		if (!r)
			return gw_http_no_such_room(wsi, req);
		int g = gw_http_gate(gw, wsi, req, r, routes[i].gate);
		return g == GATE_PASS ? routes[i].fn(gw, wsi, req, r, last) : g;
	}
	return gw_http_respond_text(wsi, req, 404, "not found\n");
}
