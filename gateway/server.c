/*
 * The server: one libwebsockets context on one thread, owning every room; start and
 * stop.
 *
 * The protocol callback only translates lws reasons into calls on http.c and ws.c (the
 * libwebsockets habit: the callback is a switch, the work is elsewhere). The loop and
 * its timers, signals and the media eventfd are loop.c's; lws runs on that loop.
 *
 * With --tls-cert and --tls-key the one listener speaks only TLS (HTTPS and WSS): lws
 * reads the pair at start, after tls.c has checked it, and hands us its SSL_CTX
 * (LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS) for the policy and for SIGHUP's
 * reload. ALPN offers http/1.1 only: listen.ogg is chunked by hand and the WebSocket is
 * an HTTP/1.1 upgrade, neither of which HTTP/2 would carry as written. Every response of
 * that listener carries Strict-Transport-Security (a vhost header, which lws adds to
 * each status line it writes). --redirect-http is a second vhost, plain HTTP, whose one
 * answer is a 301 to the HTTPS address.
 */
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "gateway/fanout.h"
#include "gateway/gateway.h"
#include "gateway/gzip.h"
#include "gateway/http.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/media_glue.h"
#include "gateway/nats_cmd.h"
#include "gateway/nats_edge.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_live.h"
#include "gateway/nats_log.h"
#include "gateway/nats_media.h"
#include "gateway/redirect.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/tls.h"
#include "gateway/ws.h"
#include "gateway/wsbatch.h"

struct pss {
	struct conn *conn;
	struct http_req *req;
};

static bool is_ws_path(struct lws *wsi)
{
	char uri[16];
	int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
	return n == 3 && strcmp(uri, "/ws") == 0;
}

static int callback_plenary(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			    size_t len)
{
	struct gateway *gw = lws_context_user(lws_get_context(wsi));
	struct pss *pss = user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return is_ws_path(wsi) && !gw->stopping ? 0 : 1;
	case LWS_CALLBACK_ESTABLISHED:
		pss->conn = gw_ws_open(gw, wsi);
		return pss->conn ? 0 : -1;
	case LWS_CALLBACK_RECEIVE:
		return pss->conn ? gw_ws_receive(pss->conn, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->conn ? gw_ws_writable(pss->conn) : -1;
	case LWS_CALLBACK_CLOSED:
		if (pss->conn)
			gw_ws_closed(pss->conn);
		pss->conn = NULL;
		return 0;
	case LWS_CALLBACK_HTTP:
		return gw_http_request(gw, wsi, &pss->req, in);
	case LWS_CALLBACK_HTTP_BODY:
		return gw_http_body(gw, wsi, pss->req, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return gw_http_body_done(gw, wsi, pss->req);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return gw_http_writable(gw, wsi, pss->req);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		gw_http_closed(gw, pss ? pss->req : NULL);
		if (pss)
			pss->req = NULL;
		return 0;
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		return gw_http_conn_open(gw, wsi);
	case LWS_CALLBACK_WSI_DESTROY:
		gw_http_conn_closed(gw, wsi);
		return 0;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		/* The HTTPS listener's SSL_CTX (in user): its policy, and kept for SIGHUP. */
		gw->tls_ctx = user;
		return gw_tls_harden(user) ? 0 : 1;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols protocols[] = {
    /* tx_packet_size: what lws writes to the socket per call, at least a batch of frames
     * (ws.c); less and lws would copy every bigger batch's tail aside. */
    {"plenary.v1", callback_plenary, sizeof(struct pss), 4096, 0, NULL, GW_WS_BATCH_MAX},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* The --redirect-http vhost: a 301 to HTTPS for every request, no WebSocket. */
static int callback_redirect(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			     void *in, size_t len)
{
	struct gateway *gw = lws_context_user(lws_get_context(wsi));
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return 1;
	case LWS_CALLBACK_HTTP:
		return gw_http_redirect(gw, wsi, in);
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols redirect_protocols[] = {
    {"plenary.redirect", callback_redirect, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void log_from_lws(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		n--;
	gw_log(level == LLL_ERR ? GW_LOG_ERROR : GW_LOG_WARN, "libwebsockets", "detail=\"%.*s\"",
	       (int)n, line);
}

static void room_load_warning(void *ctx, const char *room, const char *what)
{
	struct gateway *gw = ctx;
	gw_warn("room log", "room=%s problem=\"%s\"", room, what);
	if (strstr(what, "refused"))
		gw->metrics.rooms_refused++;
}

static bool ensure_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return true;
	gw_error("cannot create directory", "path=\"%s\" error=\"%s\"", path, strerror(errno));
	return false;
}

/* --nats: connected, and every room's file agreeing with JetStream, before rooms load. */
static bool start_nats(struct gateway *gw)
{
	if (!gw->cfg.nats_urls[0])
		return true;
	char err[512];
	gw->nats = gw_nats_open(gw->cfg.nats_urls, gw->cfg.nats_timeout_ms, err, sizeof err);
	if (gw->nats) {
		gw_nats_set_read_only(gw->nats, gw->cfg.edge);
		if (!gw->cfg.edge) /* an edge owns no room, so it holds no lease */
			gw->lease = gw_lease_open(gw->nats, gw->cfg.node, gw->cfg.node_url,
						  gw->cfg.lease_ttl_ms, err, sizeof err);
	}
	if (gw->nats && (gw->cfg.edge || gw->lease) &&
	    gw_nats_reconcile(gw->nats, gw->cfg.data_dir, err, sizeof err)) {
		char shown[1024];
		gw_nats_redact(gw->cfg.nats_urls, shown, sizeof shown);
		gw_info("room logs replicated to NATS JetStream", "urls=\"%s\" stream=%s", shown,
			GW_NATS_STREAM);
		if (gw->lease)
			gw_info("owner leases", "node=%s bucket=%s ttl_ms=%d", gw->cfg.node,
				GW_LEASE_BUCKET, gw->cfg.lease_ttl_ms);
		else
			gw_info("edge: following every room, owning none", "node=%s", gw->cfg.node);
		return true;
	}
	gw_error("NATS JetStream", "error=\"%s\"", err);
	return false;
}

static bool open_rooms(struct gateway *gw)
{
	struct rooms_sink sink = gw_fanout_sink(gw);
	if (gw->nats && !gw->cfg.edge)
		sink.replicate = gw_nats_replicate;
	gw_live_sink(gw, &sink);
	struct rooms_options opt = {.data_dir = gw->cfg.data_dir,
				    .grace_ms = (int64_t)gw->cfg.grace_s * 1000,
				    .now_ms = gw_now_ms(),
				    .warn = room_load_warning,
				    .warn_ctx = gw,
				    .follow = gw->cfg.edge};
	char err[256];
	if (rooms_open(&opt, &sink, &gw->rooms, err, sizeof err) != ROOM_OK) {
		gw_error("cannot open rooms", "error=\"%s\"", err);
		return false;
	}
	for (size_t i = 0; i < gw->cfg.n_rooms && !gw->cfg.edge; i++) { /* edges make none */
		const struct gw_room_decl *d = &gw->cfg.rooms[i];
		if (rooms_find(gw->rooms, d->id))
			continue;
		struct room_settings s = {.id = d->id,
					  .title = d->title,
					  .public_observers = d->public_observers,
					  .reveal_hum_counts = d->reveal_hum_counts,
					  .visibility = d->private_room ? ROOM_VISIBILITY_PRIVATE
									: ROOM_VISIBILITY_PUBLIC,
					  .time_zone = d->time_zone};
		struct room *room;
		if (rooms_create(gw->rooms, &s, gw_now_ms(), &room) != ROOM_OK) {
			gw_error("cannot create declared room", "room=%s", d->id);
			return false;
		}
	}
	rooms_flush(gw->rooms, NULL, NULL);
	return true;
}

/* Up to the hard limit, but not past GW_FD_LIMIT: lws sizes its descriptor table to the soft
 * limit when the context is made, and on every close Debian's lws 4.1 scans the whole of
 * it (a sanity check kept in its build; docs/profiles.md). At systemd's usual hard limit
 * of 524288 that is a 4 MB scan per closed connection, and a meeting's end or a network
 * blip closing 10,000 of them would hold the gateway thread for seconds. An operator who
 * set a higher soft limit keeps it. */
#define GW_FD_LIMIT 65536

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= GW_FD_LIMIT ||
	    rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max < GW_FD_LIMIT ? rl.rlim_max : GW_FD_LIMIT;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* "" and "0.0.0.0" are every IPv4 address: lws's NULL interface, without IPv6. */
static const char *iface_of(const char *addr)
{
	return addr[0] && strcmp(addr, "0.0.0.0") != 0 ? addr : NULL;
}

static void tls_options(const struct gateway *gw, struct lws_context_creation_info *info)
{
	static const struct lws_protocol_vhost_options hsts = {
	    NULL, NULL, "strict-transport-security:", GW_TLS_HSTS};
	if (!gw->cfg.tls_cert[0])
		return;
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = gw->cfg.tls_cert;
	info->ssl_private_key_filepath = gw->cfg.tls_key;
	info->ssl_cipher_list = GW_TLS12_CIPHERS;
	info->tls1_3_plus_cipher_list = GW_TLS13_CIPHERS;
	info->alpn = "http/1.1";
	info->headers = &hsts;
}

static bool start_redirect(struct gateway *gw)
{
	if (gw->cfg.redirect_port < 0)
		return true;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.vhost_name = "redirect";
	info.port = gw->cfg.redirect_port;
	info.iface = iface_of(gw->cfg.redirect_addr);
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (info.iface == NULL);
	info.protocols = redirect_protocols;
	info.timeout_secs = 30;
	struct lws_vhost *vh = lws_create_vhost(gw->ctx, &info);
	if (!vh) {
		gw_error("cannot listen for --redirect-http", "addr=%s:%d",
			 gw->cfg.redirect_addr[0] ? gw->cfg.redirect_addr : "0.0.0.0",
			 gw->cfg.redirect_port);
		return false;
	}
	gw->redirect_port = lws_get_vhost_listen_port(vh);
	return true;
}

static bool start_lws(struct gateway *gw)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = gw->cfg.listen_port;
	info.iface = iface_of(gw->cfg.listen_addr);
	info.protocols = protocols;
	info.user = gw;
	info.options =
	    LWS_SERVER_OPTION_DISABLE_IPV6 * (info.iface == NULL) | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.timeout_secs = 30;
	info.timeout_secs_ah_idle = (unsigned)gw->cfg.http.header_timeout_s;
	info.ka_time = 0;
	void *loops[] = {gw->loop.ev};
	info.options |= LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	tls_options(gw, &info);
	gw->ctx = lws_create_context(&info);
	if (!gw->ctx || (gw->cfg.tls_cert[0] && !gw->tls_ctx)) {
		gw_error("cannot listen", "addr=%s:%d tls=%s",
			 gw->cfg.listen_addr[0] ? gw->cfg.listen_addr : "0.0.0.0",
			 gw->cfg.listen_port, gw->cfg.tls_cert[0] ? "on" : "off");
		return false;
	}
	gw->vhost = lws_get_vhost_by_name(gw->ctx, "default");
	gw->port = gw->vhost ? lws_get_vhost_listen_port(gw->vhost) : gw->cfg.listen_port;
	return start_redirect(gw);
}

/* The NATS eventfd: published batches, and on an edge folded lines and answers, on an
 * owner edges' requests. */
static void nats_wake(struct gateway *gw)
{
	gw_nats_drain(gw);
	gw_edge_drain(gw);
	gw_cmd_drain(gw);
}

/* After the rooms load: an edge follows them, an owner answers edges. */
static bool start_edges(struct gateway *gw)
{
	char err[256] = "";
	if (!gw->nats)
		return true;
	if (gw->cfg.edge)
		gw->edge = gw_edge_start(gw, err, sizeof err);
	else
		gw->cmd = gw_cmd_start(gw, err, sizeof err);
	if (!gw->edge && !gw->cmd)
		gw_error("NATS edges", "error=\"%s\"", err);
	return gw->edge || gw->cmd;
}

/* SIGHUP: the certificate renewed in place. A pair that does not load keeps the old. */
static void reload_tls(struct gateway *gw)
{
	char who[400], err[2400];
	if (gw_tls_reload(gw->tls_ctx, gw->cfg.tls_cert, gw->cfg.tls_key, who, sizeof who, err,
			  sizeof err))
		gw_info("TLS certificate reloaded", "%s", who);
	else
		gw_error("TLS certificate not reloaded, the old one stays", "error=\"%s\"", err);
}

/* Before anything listens: a bad pair stops plenaryd here, with the reason. */
/* Every room this node has is claimed, or watched as its standby. */
static bool start_leases(struct gateway *gw)
{
	for (size_t i = 0; i < rooms_count(gw->rooms); i++) {
		struct room *r = rooms_at(gw->rooms, i);
		gw_lease_add_room(gw, room_id(r), room_head_seq(r));
		if (!gw_lease_owns(gw, room_id(r)))
			gw_lease_claim_now(gw, room_id(r));
	}
	gw_loop_watch_lease(gw, gw_lease_event_fd(gw->lease));
	if (gw_lease_start(gw->lease))
		return true;
	gw_error("cannot start the lease worker", "node=%s", gw->cfg.node);
	return false;
}

static bool check_tls(struct gateway *gw)
{
	char err[2400];
	if (!gw->cfg.tls_cert[0] ||
	    gw_tls_check_pair(gw->cfg.tls_cert, gw->cfg.tls_key, err, sizeof err))
		return true;
	gw_error("cannot use the TLS certificate", "error=\"%s\"", err);
	return false;
}

/* With --nats, the rooms' sound between nodes rides on the media taps, set before media
 * starts and fed once it runs. */
static bool start_media(struct gateway *gw)
{
	if (gw->nats && !(gw->nats_media = gw_nats_media_open(gw, gw->cfg.edge))) {
		gw_error("cannot start relaying sound over NATS", "error=\"out of memory\"");
		return false;
	}
	if (!gw_media_start(gw))
		return false;
	if (gw->nats_media && !gw_nats_media_start(gw->nats_media, gw->media)) {
		gw_error("cannot subscribe to the edges' microphones",
			 "subject=plenary.room.*.mic");
		return false;
	}
	return true;
}

static bool start(struct gateway *gw)
{
	char err[256];
	if (!check_tls(gw) || !ensure_dir(gw->cfg.data_dir) || !gw_loop_signals(gw))
		return false;
	if (!gw_secret_load(gw->cfg.data_dir, true, gw->secret, sizeof gw->secret, &gw->secret_len,
			    err, sizeof err)) {
		gw_error("token secret", "error=\"%s\"", err);
		return false;
	}
	/* The layers above the loop and the fan-out, registered from here so that the
	 * calls between the gateway's files only go down. */
	struct gw_loop_handlers on_loop = {.clock = gw_sessions_expire,
					   .media = gw_media_wake,
					   .reload = gw->cfg.tls_cert[0] ? reload_tls : NULL,
					   .nats = nats_wake,
					   .lease = gw_lease_drain,
					   .before_wait = gw_ws_write_ready};
	gw->listener = gw_media_listener(gw);
	if (!start_nats(gw) || !open_rooms(gw) || !gw_loop_start(gw, &on_loop) || !start_lws(gw) ||
	    !start_media(gw))
		return false;
	gw_loop_watch_media(gw, media_event_fd(gw->media));
	if (gw->nats)
		gw_loop_watch_nats(gw, gw_nats_event_fd(gw->nats));
	if ((gw->lease && !start_leases(gw)) || !start_edges(gw))
		return false;
	gw_media_resume_sessions(gw);
	return true;
}

int gateway_run(const struct gw_config *cfg)
{
	struct gateway *gw = calloc(1, sizeof *gw);
	if (!gw)
		return 1;
	int rc = 1;
	gw->cfg = *cfg;
	base_list_init(&gw->conns);
	base_list_init(&gw->ws_ready);
	gw->loop.signal_fd = -1;
	gw->ws_batch.pre = LWS_PRE;
	lws_set_log_level(LLL_ERR | LLL_WARN, log_from_lws);
	raise_fd_limit();
	const char *admin = getenv("PLENARY_ADMIN_TOKEN");
	if (admin && *admin) {
		snprintf(gw->admin_token, sizeof gw->admin_token, "%s", admin);
		gw->admin_enabled = true;
	}
	if (!start(gw))
		goto out;
	if (strcmp(media_srtp_backend(), "openssl") != 0)
		gw_warn("SRTP is the system libsrtp2 (NSS): per-packet cost grows with sessions",
			"backend=%s", media_srtp_backend());
	gw_info("listening", "addr=%s:%d data=\"%s\" admin_api=%s tls=%s",
		cfg->listen_addr[0] ? cfg->listen_addr : "0.0.0.0", gw->port, cfg->data_dir,
		gw->admin_enabled ? "on" : "off", gw->tls_ctx ? "on" : "off");
	if (gw->tls_ctx) {
		char who[400];
		gw_tls_describe(gw->tls_ctx, who, sizeof who);
		gw_info("TLS certificate", "%s", who);
	}
	if (gw->redirect_port)
		gw_info("redirecting plain HTTP to HTTPS", "addr=%s:%d",
			cfg->redirect_addr[0] ? cfg->redirect_addr : "0.0.0.0", gw->redirect_port);
	gw_loop_run(gw);
	gw_flush_sync(gw);
	rc = 0;
out:
	if (gw->ctx)
		lws_context_destroy(gw->ctx);
	gw->ctx = NULL;
	/* Before media_destroy closes the eventfd the loop watches. */
	gw_loop_stop(gw);
	gw_nats_media_stop(gw->nats_media); /* nothing pushed into media after this */
	gw_media_stop(gw);
	if (gw->rooms) {
		rooms_flush(gw->rooms, NULL, NULL);
		gw_nats_wait_idle(gw);
		gw_host_free_all(gw);
		rooms_close(gw->rooms);
	}
	gw_lease_close(gw->lease);
	gw_edge_stop(gw->edge);
	gw_cmd_stop(gw->cmd);
	gw_nats_close(gw->nats);
	gw_nats_media_free(gw->nats_media);
	gw_edge_free(gw->edge);
	gw_cmd_free(gw->cmd);
	gw_sessions_free(gw);
	gw_addr_buckets_free(&gw->join_limits);
	free(gw->http_limits);
	gw_gzip_destroy(gw->gzip);
	gw_wsbatch_free(&gw->ws_batch);
	gw_info("stopped", "exit=%d", rc);
	free(gw);
	return rc;
}
