/*
 * HTTP: a request's life -- its per-address limits (http_limits.h: 429 with Retry-After,
 * 413, slow bodies cut off), its body, bounded (64 KiB unless configured), the dispatch to
 * /healthz, /metrics, the API (http_api.c) or the web client's files (http_static.c), and
 * the writing of the response in pieces as lws says the socket can take them -- except
 * files (the log, a recording), which lws serves itself, and listen.ogg, a live stream
 * that stream.c writes as its pages come.
 */
#include <inttypes.h>
#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/client_addr.h"
#include "gateway/http.h"
#include "gateway/http_api.h"
#include "gateway/http_limits.h"
#include "gateway/http_reply.h"
#include "gateway/http_static.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/nats_edge.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_media.h"
#include "gateway/server.h"
#include "gateway/stream.h"

#define HTTP_CHUNK 16384

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

static bool metrics_shows(void *ctx, const char *room)
{
	struct room *r = rooms_find(ctx, room);
	return r && room_visibility(r) == ROOM_VISIBILITY_PUBLIC;
}

/* --nats: each room's role and lag after the rest (NULL, text freed, on OOM). */
static char *append_roles(struct gateway *gw, struct lws *wsi, char *text, size_t *len)
{
	size_t more = 0;
	char *roles = gw_nats_roles_metrics(gw, gw_http_admin_ok(gw, wsi), &more);
	char *all = roles ? realloc(text, *len + more + 1) : NULL;
	if (all) {
		memcpy(all + *len, roles, more + 1);
		*len += more;
	} else {
		free(text);
	}
	free(roles);
	return all;
}

/* --nats: the sound between nodes (nats_media.h), node-wide (NULL, text freed, on OOM). */
static char *append_relay(const struct gateway *gw, char *text, size_t *len)
{
	struct gw_nats_media_stats st;
	gw_nats_media_read_stats(gw->nats_media, &st);
	struct media_stats ms;
	media_stats_read(gw->media, &ms);
	char add[800];
	int n = snprintf(add, sizeof add,
			 "# TYPE plenary_relay_published_total counter\n"
			 "plenary_relay_published_total %" PRIu64 "\n"
			 "# TYPE plenary_relay_dropped_total counter\n"
			 "plenary_relay_dropped_total %" PRIu64 "\n"
			 "# TYPE plenary_relay_received_total counter\n"
			 "plenary_relay_received_total %" PRIu64 "\n"
			 "# TYPE plenary_relay_refused_total counter\n"
			 "plenary_relay_refused_total %" PRIu64 "\n"
			 "# TYPE plenary_relay_own_sent_total counter\n"
			 "plenary_relay_own_sent_total %" PRIu64 "\n",
			 st.published, st.dropped, st.received, st.refused, ms.relay_own_sent);
	char *all = n > 0 && (size_t)n < sizeof add ? realloc(text, *len + (size_t)n + 1) : NULL;
	if (!all) {
		free(text);
		return NULL;
	}
	memcpy(all + *len, add, (size_t)n + 1);
	*len += (size_t)n;
	return all;
}

static int serve_metrics(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	struct media_stats ms;
	media_stats_read(gw->media, &ms);
	size_t len = 0;
	/* A private room's name is not for strangers: its rows only with the admin token. */
	struct gw_metrics_rooms only_public = {.show = metrics_shows, .ctx = gw->rooms};
	bool admin = gw_http_admin_ok(gw, wsi);
	char *text = gw_metrics_render(&gw->metrics, gw->media, &ms, rooms_count(gw->rooms),
				       admin ? NULL : &only_public, &len);
	/* --nats: an owner or standby says its leases; an edge the rooms it follows. */
	if (gw->lease)
		gw_lease_metrics(gw, &text, &len, admin ? NULL : metrics_shows, gw->rooms);
	else if (text && gw->edge)
		text = append_roles(gw, wsi, text, &len);
	if (text && gw->nats_media)
		text = append_relay(gw, text, &len);
	if (!text)
		return gw_http_respond_text(wsi, req, 500, "internal error\n");
	return gw_http_respond(wsi, req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
			       len);
}

/* {"status":"ok"}, and with --nats this node's name and role for each room: owner or
 * standby (with the standby's lag) from the leases, or edge (with its folding lag).
 * Private rooms only with the admin token. */
static int serve_health(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	json_t *v = json_pack("{s:s}", "status", "ok");
	bool admin = gw_http_admin_ok(gw, wsi);
	if (v && gw->lease) {
		gw_lease_health(gw, v, admin ? NULL : metrics_shows, gw->rooms);
	} else if (v && gw->edge) {
		json_t *rooms = gw_nats_roles(gw, admin);
		json_object_set_new(v, "node", json_string(gw->cfg.node));
		if (rooms)
			json_object_set_new(v, "rooms", rooms);
	}
	return gw_http_respond_json(wsi, req, 200, v);
}

static int dispatch(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	gw->metrics.http_requests++;
	if (req->method == LWSHUMETH_GET && strcmp(req->uri, "/healthz") == 0)
		return serve_health(gw, wsi, req);
	if (req->method == LWSHUMETH_GET && strcmp(req->uri, "/metrics") == 0)
		return serve_metrics(gw, wsi, req);
	if (strncmp(req->uri, "/api/", 5) == 0)
		return gw_http_api(gw, wsi, req);
	return gw_http_static(gw, wsi, req);
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
	return gw_http_respond_error(wsi, req, 429, ROOM_ERATE_LIMITED, msg) ? -1 : 1;
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
	return gw_http_respond_error(wsi, req, 413, ROOM_ETOO_LARGE, msg);
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
		return gw_http_respond_text(wsi, req, 414, "URI too long\n");
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
