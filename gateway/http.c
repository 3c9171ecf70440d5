/*
 * HTTP: the web client's files, health and metrics, the admin API and the public record.
 *
 * Each request gets a small state (struct http_req): the body, bounded (64 KiB unless
 * configured), and a
 * response built whole in memory and written in pieces as lws says the socket can take
 * them -- except files (the log, a recording), which lws serves itself, and listen.ogg,
 * a live stream that stream.c writes as its pages come. Routing is a table of {method,
 * path shape, gate, handler}. Handlers that change a room flush the log before answering,
 * so a 201 is as durable as a WebSocket ack.
 *
 * The gate is who may reach a room's route when the room is private (PROTOCOL.md, second
 * version): a Bearer token for that room (any role, checked as a join checks it) or the
 * admin token, or for what a media player fetches a signed URL (access.h). A stranger who
 * sends nothing gets exactly the 404 of a room that does not exist; a bad or expired token
 * or signature 401; a good token for another room 403. Public rooms are not gated.
 */
#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway/access.h"
#include "gateway/client_addr.h"
#include "gateway/gzip.h"
#include "gateway/http.h"
#include "gateway/http_limits.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/media_glue.h"
#include "gateway/moderation.h"
#include "gateway/server.h"
#include "gateway/static_files.h"
#include "gateway/stream.h"
#include "gateway/token.h"

#include <openssl/rand.h>

#define HTTP_CHUNK 16384

struct http_req {
	int method;
	char uri[600];
	char *body;
	size_t body_len;
	size_t body_seen; /* what arrived, kept or not: the slow-body check */
	int64_t start_ms; /* the headers' arrival */
	bool body_too_large;
	int retry_after; /* a 429's Retry-After, seconds */
	bool answered;	 /* before the body's end (413, 429): close once it is sent */
	char *resp;
	size_t resp_len, resp_sent;
	struct gw_stream_client *stream; /* listen.ogg: the response is a live stream */
	int64_t bearer_exp; /* the gate's Bearer token's exp; 0 for none or the admin token */
};

/* --- responses --- */

static int send_headers(struct lws *wsi, unsigned status, const char *ctype, size_t len,
			const char *cache, int retry_after)
{
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	char retry[16];
	int rl = snprintf(retry, sizeof retry, "%d", retry_after);
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
					(const unsigned char *)"nosniff", 7, &p, end) ||
	    lws_add_http_header_by_name(
		wsi, (const unsigned char *)"cache-control:", (const unsigned char *)cache,
		(int)strlen(cache), &p, end) ||
	    (retry_after > 0 &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
					 (const unsigned char *)retry, rl, &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return 0;
}

/* Takes ownership of body (malloc'd). */
static int respond(struct lws *wsi, struct http_req *req, unsigned status, const char *ctype,
		   char *body, size_t len)
{
	free(req->resp);
	req->resp = body;
	req->resp_len = len;
	req->resp_sent = 0;
	if (send_headers(wsi, status, ctype, len, "no-store", req->retry_after))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int respond_text(struct lws *wsi, struct http_req *req, unsigned status, const char *text)
{
	size_t len = strlen(text);
	char *body = malloc(len + 1);
	if (!body)
		return -1;
	memcpy(body, text, len + 1);
	return respond(wsi, req, status, "text/plain; charset=utf-8", body, len);
}

/* Consumes v. */
static int respond_json(struct lws *wsi, struct http_req *req, unsigned status, json_t *v)
{
	char *body = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!body)
		return respond_text(wsi, req, 500, "internal error\n");
	size_t len = strlen(body);
	char *with_nl = realloc(body, len + 2);
	if (!with_nl) {
		free(body);
		return -1;
	}
	with_nl[len] = '\n';
	return respond(wsi, req, status, "application/json", with_nl, len + 1);
}

static int respond_error(struct lws *wsi, struct http_req *req, unsigned status, enum room_err err,
			 const char *message)
{
	return respond_json(wsi, req, status,
			    json_pack("{s:s,s:s}", "code", room_err_code(err), "message", message));
}

int gw_http_writable(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	(void)gw;
	if (req && req->stream)
		return gw_stream_writable(req->stream);
	if (!req || !req->resp)
		return -1;
	size_t left = req->resp_len - req->resp_sent;
	size_t n = left > HTTP_CHUNK ? HTTP_CHUNK : left;
	unsigned char buf[LWS_PRE + HTTP_CHUNK];
	memcpy(buf + LWS_PRE, req->resp + req->resp_sent, n);
	bool last = n == left;
	if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
	    (int)n)
		return -1;
	req->resp_sent += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	free(req->resp);
	req->resp = NULL;
	if (req->answered)
		return -1; /* the rest of the body is unread: no keep-alive */
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* --- helpers --- */

static bool admin_ok(struct gateway *gw, struct lws *wsi)
{
	if (!gw->admin_enabled)
		return false;
	char auth[600];
	int n = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n <= 7 || strncmp(auth, "Bearer ", 7) != 0)
		return false;
	size_t want = strlen(gw->admin_token);
	size_t got = (size_t)n - 7;
	/* Constant time over the expected length, whatever was sent. */
	unsigned char diff = got != want;
	for (size_t i = 0; i < want; i++)
		diff |= (unsigned char)(gw->admin_token[i] ^ (i < got ? auth[7 + i] : 0));
	return diff == 0;
}

static json_t *parse_body(struct http_req *req)
{
	if (!req->body || req->body_too_large)
		return NULL;
	json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (v && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* For the routes of other files (moderation.c). */
int gw_http_respond_json(struct lws *wsi, struct http_req *req, unsigned status, json_t *v)
{
	return respond_json(wsi, req, status, v);
}

int gw_http_respond_error(struct lws *wsi, struct http_req *req, unsigned status, enum room_err err,
			  const char *message)
{
	return respond_error(wsi, req, status, err, message);
}

bool gw_http_admin_ok(struct gateway *gw, struct lws *wsi)
{
	return admin_ok(gw, wsi);
}

json_t *gw_http_body_json(struct http_req *req)
{
	return parse_body(req);
}

/* --- handlers --- */

static int get_rooms(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		     const char *arg)
{
	(void)r;
	(void)arg;
	bool admin = admin_ok(gw, wsi);
	json_t *list = json_array();
	for (size_t i = 0; list && i < rooms_count(gw->rooms); i++) {
		struct room *room = rooms_at(gw->rooms, i);
		if (admin || (room_public_observers(room) &&
			      room_visibility(room) == ROOM_VISIBILITY_PUBLIC))
			json_array_append_new(list, room_summary(room));
	}
	return respond_json(wsi, req, 200, list);
}

static int post_rooms(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		      const char *arg)
{
	(void)r;
	(void)arg;
	if (!admin_ok(gw, wsi))
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED, "admin token required");
	json_t *body = parse_body(req);
	const char *id = NULL, *title = NULL, *visibility = "public", *tz = NULL;
	int public_observers = 1, reveal = 0;
	struct room_settings s = {.public_observers = true};
	if (!body ||
	    json_unpack(body, "{s:s,s?s,s?b,s?b,s?s,s?s}", "id", &id, "title", &title,
			"public_observers", &public_observers, "reveal_hum_counts", &reveal,
			"visibility", &visibility, "time_zone", &tz) != 0 ||
	    !room_visibility_parse(visibility, &s.visibility)) {
		json_decref(body);
		return respond_error(wsi, req, 400, ROOM_EBAD_REQUEST,
				     "expected {id, title?, public_observers?, reveal_hum_counts?, "
				     "visibility?: \"public\" | \"private\", time_zone?}");
	}
	if (tz && !rooms_time_zone_valid(tz)) {
		json_decref(body);
		return respond_error(
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
		return respond_error(wsi, req, 409, err, "a room with this id exists");
	if (err != ROOM_OK)
		return respond_error(wsi, req, err == ROOM_EBAD_REQUEST ? 400 : 500, err,
				     err == ROOM_EBAD_REQUEST ? "room id must match [a-z0-9-]{1,64}"
							      : "cannot create the room");
	gw_flush(gw);
	gw_info("room created", "room=%s", room_id(room));
	return respond_json(wsi, req, 201, room_summary(room));
}

/* c signed, with a new jti; NULL if that fails. */
static char *sign_with_jti(struct gateway *gw, struct token_claims *c)
{
	char *tok = NULL;
	if (!token_new_jti(c->jti) || token_sign(c, gw->secret, gw->secret_len, &tok) != TOKEN_OK)
		return NULL;
	return tok;
}

static int post_token(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		      const char *arg)
{
	(void)arg;
	if (!admin_ok(gw, wsi))
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED, "admin token required");
	json_t *body = parse_body(req);
	const char *role = NULL, *name = NULL, *sub = NULL, *group = NULL, *location = NULL;
	json_int_t max = gw->cfg.token_max_lifetime_s;
	json_int_t ttl = max < 86400 ? max : 86400;
	struct token_claims c;
	memset(&c, 0, sizeof c);
	if (!body ||
	    json_unpack(body, "{s:s,s:s,s?s,s?s,s?I,s?s}", "role", &role, "name", &name, "sub",
			&sub, "group", &group, "ttl_s", &ttl, "location", &location) != 0 ||
	    !token_role_parse(role, &c.role) || ttl <= 0 || ttl > max || strlen(name) == 0 ||
	    strlen(name) >= sizeof c.name ||
	    (sub && (strlen(sub) == 0 || strlen(sub) >= sizeof c.sub)) ||
	    (group && strlen(group) >= sizeof c.group)) {
		json_decref(body);
		return respond_error(wsi, req, 400, ROOM_EBAD_REQUEST,
				     "expected {role, name, sub?, group?, ttl_s?, location?} with "
				     "ttl_s in [1, token_max_lifetime_s]");
	}
	snprintf(c.room, sizeof c.room, "%s", room_id(r));
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.group, sizeof c.group, "%s", group ? group : "");
	c.in_room = location && strcmp(location, "room") == 0;
	if (sub) {
		snprintf(c.sub, sizeof c.sub, "%s", sub);
	} else {
		unsigned char raw[8];
		if (RAND_bytes(raw, sizeof raw) != 1)
			raw[0] = 0;
		snprintf(c.sub, sizeof c.sub, "p-%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1],
			 raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
	}
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + ttl;
	json_decref(body);
	char *tok = sign_with_jti(gw, &c);
	if (!tok)
		return respond_error(wsi, req, 500, ROOM_EINTERNAL, "cannot sign");
	json_t *out = json_pack("{s:s,s:s,s:s,s:I}", "token", tok, "sub", c.sub, "jti", c.jti,
				"exp", (json_int_t)c.exp);
	free(tok);
	return respond_json(wsi, req, 200, out);
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
			return respond_error(wsi, req, 500, ROOM_EINTERNAL,
					     "cannot read the room's log");
		return respond(wsi, req, 200, exports[i].ctype, doc, len);
	}
	return respond_text(wsi, req, 404, "not found\n");
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

static int get_listen(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		      const char *arg)
{
	(void)arg;
	if (!gw_stream_live(gw, r))
		return respond_error(
		    wsi, req, 404, ROOM_ENOT_FOUND,
		    "the room's session is not live: there is nothing to listen to");
	return gw_stream_listen(gw, wsi, r, &req->stream);
}

static int get_recording(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
			 const char *arg)
{
	(void)arg;
	char path[4096];
	if (!media_recording_latest(gw->media, room_id(r), path, sizeof path))
		return respond_error(wsi, req, 404, ROOM_ENOT_FOUND,
				     "the room has no recording yet");
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
	gw_media_tell_talkers(gw, r);
	enum room_err err = room_caption_post(r, who, lang, n, req->body ? req->body : "",
					      req->body_len, gw_now_ms(), &duplicate, &why);
	if (err == ROOM_ECONFLICT)
		return respond_error(wsi, req, 409, err, why ? why : "session not live");
	if (err != ROOM_OK)
		return respond_error(wsi, req, err == ROOM_EINTERNAL ? 500 : 400, err,
				     why ? why : "bad caption");
	int64_t head = room_head_seq(r);
	gw_flush(gw);
	if (room_head_seq(r) < head)
		return respond_error(wsi, req, 500, ROOM_EINTERNAL, "the log could not be written");
	return respond_json(wsi, req, 200, json_pack("{s:b}", "duplicate", duplicate));
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
		return respond_error(wsi, req, 400, ROOM_EBAD_REQUEST, "lang is too long");
	struct token_claims c;
	enum token_err terr = tok ? gw_token_verify(gw, tok, room_id(r), &c) : TOKEN_EFORMAT;
	if (terr != TOKEN_OK)
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
				     tok ? token_strerror(terr) : "a token is required");
	if (c.role != TOKEN_ROLE_CAPTIONER && c.role != TOKEN_ROLE_CHAIR)
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
				     "a captioner or chair token is required");
	char *end = NULL;
	long long n = seq ? strtoll(seq, &end, 10) : -1;
	if (!seq || *seq == '\0' || *end != '\0' || n < 0 || req->body_too_large)
		return respond_error(wsi, req, 400, ROOM_EBAD_REQUEST,
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
	json_t *body = parse_body(req);
	const char *path = NULL;
	char prefix[96];
	size_t plen = (size_t)snprintf(prefix, sizeof prefix, "/api/rooms/%s/", room_id(r));
	if (!body || json_unpack(body, "{s:s}", "path", &path) != 0 ||
	    strncmp(path, prefix, plen) != 0 || !signable(path + plen)) {
		json_decref(body);
		return respond_error(wsi, req, 400, ROOM_EBAD_REQUEST,
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
		return respond_error(wsi, req, 500, ROOM_EINTERNAL, "cannot sign");
	return respond_json(wsi, req, 200,
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
		return respond_text(wsi, req, 500, "internal error\n");
	return respond(wsi, req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

/* --- the gate of a private room's routes --- */

enum gate {
	GATE_NONE,  /* the admin API: its own check, whatever the room */
	GATE_OWN,   /* the handler checks a credential; a private room with none sent is 404 */
	GATE_READ,  /* a private room's resource: Bearer for the room, admin, or signed URL */
	GATE_TOKEN, /* Bearer for the room or admin in any room (404 in a private one) */
};
#define GATE_PASS 1 /* not 0 or -1, what a handler returns */

static int no_such_room(struct lws *wsi, struct http_req *req)
{
	return respond_error(wsi, req, 404, ROOM_ENOT_FOUND, "no such room");
}

/* auth: the Authorization header as sent (n its length, < 0 if it did not fit). */
static int gate_bearer(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		       const char *auth, int n)
{
	if (admin_ok(gw, wsi))
		return GATE_PASS;
	if (n <= 7 || strncmp(auth, "Bearer ", 7) != 0)
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
				     "expected Authorization: Bearer <token for the room>");
	struct token_claims c;
	enum token_err terr = gw_token_verify(gw, auth + 7, room_id(r), &c);
	if (terr == TOKEN_EROOM)
		return respond_error(wsi, req, 403, ROOM_EFORBIDDEN,
				     "the token is for another room");
	if (terr != TOKEN_OK)
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED, token_strerror(terr));
	req->bearer_exp = c.exp;
	return GATE_PASS;
}

static int gate_signed(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	/* lws copies each argument into the buffer while looking (see post_caption). */
	char sigbuf[TOKEN_MAX_LEN + 8], expbuf[TOKEN_MAX_LEN + 8];
	const char *sig = lws_get_urlarg_by_name(wsi, "sig=", sigbuf, sizeof sigbuf);
	const char *exp = lws_get_urlarg_by_name(wsi, "exp=", expbuf, sizeof expbuf);
	if (!sig && !exp)
		return no_such_room(wsi, req);
	switch (access_check(gw->secret, gw->secret_len, req->uri, sig, exp, time(NULL))) {
	case ACCESS_SIG_OK:
		return GATE_PASS;
	case ACCESS_SIG_EXPIRED:
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED, "signed URL expired");
	default:
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED, "signed URL not valid");
	}
}

/* GATE_PASS when the request may reach the room's handler; otherwise what answering it
 * returned. */
static int gate(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		enum gate g)
{
	bool hidden = room_visibility(r) == ROOM_VISIBILITY_PRIVATE;
	if (g == GATE_NONE || (!hidden && g != GATE_TOKEN))
		return GATE_PASS;
	char auth[TOKEN_MAX_LEN + 16];
	int n = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
	bool sent = n != 0 || lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0;
	if (g == GATE_OWN) {
		char tok[TOKEN_MAX_LEN + 8];
		if (sent || lws_get_urlarg_by_name(wsi, "token=", tok, sizeof tok))
			return GATE_PASS;
		return no_such_room(wsi, req);
	}
	if (sent)
		return gate_bearer(gw, wsi, req, r, auth, n);
	if (g == GATE_READ)
		return gate_signed(gw, wsi, req);
	if (!hidden)
		return respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
				     "expected Authorization: Bearer <token for the room>");
	return no_such_room(wsi, req);
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

static int route(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	const char *uri = req->uri;
	if (strncmp(uri, "/api/", 5) != 0)
		return respond_text(wsi, req, 404, "not found\n");
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (!routes[i].room_route && req->method == routes[i].method &&
		    strcmp(uri, routes[i].path) == 0)
			return routes[i].fn(gw, wsi, req, NULL, NULL);
	const char *prefix = "/api/rooms/";
	if (strncmp(uri, prefix, strlen(prefix)) != 0)
		return respond_text(wsi, req, 404, "not found\n");
	const char *id = uri + strlen(prefix);
	const char *slash = strchr(id, '/');
	if (!slash || strchr(slash + 1, '/') || (size_t)(slash - id) > 64)
		return respond_text(wsi, req, 404, "not found\n");
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
			return no_such_room(wsi, req);
		int g = gate(gw, wsi, req, r, routes[i].gate);
		return g == GATE_PASS ? routes[i].fn(gw, wsi, req, r, last) : g;
	}
	return respond_text(wsi, req, 404, "not found\n");
}

static int respond_not_modified(struct lws *wsi, const char *etag)
{
	unsigned char buf[LWS_PRE + 512];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_NOT_MODIFIED, NULL, 0, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"etag:",
					(const unsigned char *)etag, (int)strlen(etag), &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* A text file gzipped (gzip.h) when the client takes it; 1 when it did not answer. */
static int serve_gzip(struct gateway *gw, struct lws *wsi, struct http_req *req, const char *path,
		      const char *mime, const char *etag)
{
	char ae[256];
	const char *data = NULL;
	size_t len = 0;
	if (!gw_gzip_worth(mime) ||
	    lws_hdr_copy(wsi, ae, sizeof ae, WSI_TOKEN_HTTP_ACCEPT_ENCODING) <= 0 ||
	    !gw_gzip_accepted(ae) || !(gw->gzip || (gw->gzip = gw_gzip_create())) ||
	    !gw_gzip_get(gw->gzip, path, etag, &data, &len))
		return 1;
	char *body = malloc(len);
	if (!body)
		return -1;
	memcpy(body, data, len);
	free(req->resp);
	req->resp = body;
	req->resp_len = len;
	req->resp_sent = 0;
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	static const char extra[] =
	    "x-content-type-options: nosniff\r\ncache-control: "
	    "no-cache\r\ncontent-encoding: gzip\r\nvary: accept-encoding\r\n";
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, mime, len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"etag:",
					(const unsigned char *)etag, (int)strlen(etag), &p, end) ||
	    end - p < (ptrdiff_t)sizeof extra)
		return -1;
	memcpy(p, extra, sizeof extra - 1);
	p += sizeof extra - 1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int serve_static(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	char path[1200];
	const char *mime = NULL;
	if (req->method != LWSHUMETH_GET ||
	    !gw_static_resolve(gw->cfg.web_root, req->uri, path, sizeof path, &mime))
		return respond_text(wsi, req, 404, "not found\n");
	/* Validators, so a participant on a poor link downloads the client once: the ETag is
	 * the file's size and modification time, and a matching If-None-Match gets a 304. */
	struct stat st;
	char etag[64], seen[96], headers[256];
	if (stat(path, &st) != 0)
		return respond_text(wsi, req, 404, "not found\n");
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
		     (unsigned long long)st.st_mtim.tv_nsec);
	/* The gzipped bytes are another representation: their own validator. */
	char etag_gz[72];
	snprintf(etag_gz, sizeof etag_gz, "%.*s-gz\"", (int)strlen(etag) - 1, etag);
	if (lws_hdr_copy(wsi, seen, sizeof seen, WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 &&
	    (strcmp(seen, etag) == 0 || strcmp(seen, etag_gz) == 0))
		return respond_not_modified(wsi, seen);
	int gz = serve_gzip(gw, wsi, req, path, mime, etag_gz);
	if (gz <= 0)
		return gz;
	/* "vary": a cache must not give these bytes to a client that asked for gzip. */
	int hl = snprintf(headers, sizeof headers,
			  "x-content-type-options: nosniff\r\ncache-control: no-cache\r\n"
			  "etag: %s\r\nvary: accept-encoding\r\n",
			  etag);
	int n = lws_serve_http_file(wsi, path, mime, headers, hl);
	if (n < 0)
		return -1;
	if (n > 0 && lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static bool metrics_shows(void *ctx, const char *room)
{
	struct room *r = rooms_find(ctx, room);
	return r && room_visibility(r) == ROOM_VISIBILITY_PUBLIC;
}

static int serve_metrics(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	struct media_stats ms;
	media_stats_read(gw->media, &ms);
	size_t len = 0;
	/* A private room's name is not for strangers: its rows only with the admin token. */
	struct gw_metrics_rooms only_public = {.show = metrics_shows, .ctx = gw->rooms};
	char *text = gw_metrics_render(&gw->metrics, gw->media, &ms, rooms_count(gw->rooms),
				       admin_ok(gw, wsi) ? NULL : &only_public, &len);
	if (!text)
		return respond_text(wsi, req, 500, "internal error\n");
	return respond(wsi, req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static int dispatch(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	gw->metrics.http_requests++;
	if (req->method == LWSHUMETH_GET && strcmp(req->uri, "/healthz") == 0)
		return respond_json(wsi, req, 200, json_pack("{s:s}", "status", "ok"));
	if (req->method == LWSHUMETH_GET && strcmp(req->uri, "/metrics") == 0)
		return serve_metrics(gw, wsi, req);
	if (strncmp(req->uri, "/api/", 5) == 0)
		return route(gw, wsi, req);
	return serve_static(gw, wsi, req);
}

/* --- per-address limits (http_limits.h) --- */

/* The table key of the address this request or connection counts against; false when it
 * is not limited (client_addr.h: unknown, loopback, a trusted proxy's new connection). */
static bool peer_addr(const struct gateway *gw, struct lws *wsi, bool headers,
		      struct gw_hlim_addr *a)
{
	struct gw_ip ip;
	bool limited = false;
	if (!gw_client_addr(gw, wsi, headers, &ip, &limited) || !limited)
		return false;
	gw_hlim_addr_from_ip(a, &ip);
	return true;
}

static struct gw_hlim *limits_of(struct gateway *gw)
{
	if (!gw->http_limits) {
		gw->http_limits = malloc(sizeof *gw->http_limits);
		if (gw->http_limits)
			gw_hlim_init(gw->http_limits, gw->cfg.http.rate_per_s,
				     gw->cfg.http.rate_burst, gw->cfg.http.conns_per_addr);
	}
	return gw->http_limits;
}

int gw_http_conn_open(struct gateway *gw, struct lws *wsi)
{
	struct gw_hlim *l = limits_of(gw);
	struct gw_hlim_addr a;
	bool refuse = false;
	if (!l || !peer_addr(gw, wsi, false, &a))
		return 0;
	int slot = gw_hlim_conn_open(l, &a, gw_now_ms(), &refuse);
	if (refuse) {
		gw->metrics.http_refused++;
		return -1;
	}
	if (slot >= 0)
		lws_set_opaque_user_data(wsi, (void *)(intptr_t)(slot + 1));
	return 0;
}

void gw_http_conn_closed(struct gateway *gw, struct lws *wsi)
{
	intptr_t slot = (intptr_t)lws_get_opaque_user_data(wsi);
	if (slot <= 0 || !gw->http_limits)
		return;
	gw_hlim_conn_close(gw->http_limits, (int)(slot - 1));
	lws_set_opaque_user_data(wsi, NULL);
}

/* The API, /metrics and /healthz count against the address's request rate; the web
 * client's files do not (a venue behind one NAT loads them all at once, and lws serves
 * them from disk at little cost). 0: go on; otherwise answered 429. */
static int rate_check(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	struct gw_hlim *l = limits_of(gw);
	struct gw_hlim_addr a;
	bool counted = strncmp(req->uri, "/api/", 5) == 0 || strcmp(req->uri, "/metrics") == 0 ||
		       strcmp(req->uri, "/healthz") == 0;
	if (!counted || !l || !peer_addr(gw, wsi, true, &a))
		return 0;
	int wait = gw_hlim_request(l, &a, gw_now_ms());
	if (wait == 0)
		return 0;
	gw->metrics.http_rate_limited++;
	req->retry_after = wait;
	req->answered = req->method == LWSHUMETH_POST;
	char msg[80];
	snprintf(msg, sizeof msg, "too many requests from this address: retry in %d s", wait);
	return respond_error(wsi, req, 429, ROOM_ERATE_LIMITED, msg) ? -1 : 1;
}

static size_t body_max(const struct gateway *gw)
{
	return (size_t)gw->cfg.http.body_max_kb << 10;
}

static int too_large(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	char msg[64];
	snprintf(msg, sizeof msg, "body over %d KiB", gw->cfg.http.body_max_kb);
	req->answered = true;
	return respond_error(wsi, req, 413, ROOM_ETOO_LARGE, msg);
}

int gw_http_request(struct gateway *gw, struct lws *wsi, struct http_req **reqp, const char *uri)
{
	char *uri_ptr = NULL;
	int uri_len = 0;
	int method = lws_http_get_uri_and_method(wsi, &uri_ptr, &uri_len);
	/* A keep-alive connection reuses its per-session data: drop the last request. */
	gw_http_closed(gw, *reqp);
	*reqp = NULL;
	struct http_req *req = calloc(1, sizeof *req);
	if (!req)
		return -1;
	*reqp = req;
	req->method = method;
	req->start_ms = gw_now_ms();
	if (strlen(uri) >= sizeof req->uri)
		return respond_text(wsi, req, 414, "URI too long\n");
	snprintf(req->uri, sizeof req->uri, "%s", uri);
	int limited = rate_check(gw, wsi, req);
	if (limited)
		return limited < 0 ? -1 : 0;
	if (method != LWSHUMETH_POST)
		return dispatch(gw, wsi, req);
	/* An announced body over the limit is refused before any of it is read. */
	char cl[32];
	if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
	    strtoull(cl, NULL, 10) > body_max(gw))
		return too_large(gw, wsi, req);
	return 0; /* wait for the body */
}

/* A body trickled in: after the header timeout's grace, it must average at least
 * http_body_min_rate bytes a second since the headers, or the connection is closed. */
static bool too_slow(const struct gateway *gw, const struct http_req *req)
{
	int64_t grace_ms = (int64_t)gw->cfg.http.header_timeout_s * 1000;
	int64_t elapsed = gw_now_ms() - req->start_ms - grace_ms;
	return gw->cfg.http.body_min_rate > 0 && elapsed > 0 &&
	       (double)req->body_seen * 1000.0 < (double)gw->cfg.http.body_min_rate * elapsed;
}

int gw_http_body(struct gateway *gw, struct lws *wsi, struct http_req *req, const void *in,
		 size_t len)
{
	if (!req)
		return 0;
	req->body_seen += len;
	if (too_slow(gw, req)) {
		gw->metrics.http_slow_closed++;
		return -1;
	}
	if (req->answered || len == 0)
		return 0;
	if (req->body_len + len > body_max(gw))
		return too_large(gw, wsi, req); /* a body without Content-Length, grown over */
	char *grown = realloc(req->body, req->body_len + len + 1);
	if (!grown)
		return -1;
	req->body = grown;
	memcpy(req->body + req->body_len, in, len);
	req->body_len += len;
	req->body[req->body_len] = '\0';
	return 0;
}

int gw_http_body_done(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	if (!req)
		return -1;
	if (req->answered)
		return 0;
	return dispatch(gw, wsi, req);
}

void gw_http_closed(struct gateway *gw, struct http_req *req)
{
	(void)gw;
	if (!req)
		return;
	gw_stream_closed(req->stream);
	free(req->body);
	free(req->resp);
	free(req);
}
