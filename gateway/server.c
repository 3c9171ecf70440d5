/*
 * The server: one libwebsockets context on one thread, owning every room.
 *
 * The protocol callback only translates lws reasons into calls on http.c, ws.c and
 * session.c. Two timers run on the loop (libev timers), never a thread of their own: the
 * flush, scheduled to run right after the current loop turn whenever an event was
 * appended (group commit: one fdatasync per room per turn, then the fan-out), and the
 * room clock (floor limits, grace periods, throttled live messages), set to the earliest
 * deadline any room has.
 *
 * Signals arrive through a signalfd adopted into the loop, so SIGTERM and SIGINT are
 * handled like any other event: stop taking work, flush what was acknowledged, close.
 *
 * The loop is libev's on epoll, under lws (LWS_SERVER_OPTION_LIBEV with our own loop):
 * lws's default poll() walks every socket on every turn, which with 10,000 observers is
 * most of what the server does. libev comes with Debian's libwebsockets-dev.
 */
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/internal.h"
#include "gateway/logging.h"

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
		pss->conn = gw_conn_create(gw, wsi);
		return pss->conn ? 0 : -1;
	case LWS_CALLBACK_RECEIVE:
		return pss->conn ? gw_conn_receive(pss->conn, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->conn ? gw_conn_writable(pss->conn) : -1;
	case LWS_CALLBACK_CLOSED:
		if (pss->conn)
			gw_conn_destroy(pss->conn);
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
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static int callback_raw(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			size_t len)
{
	struct gateway *gw = lws_context_user(lws_get_context(wsi));
	if (reason == LWS_CALLBACK_RAW_RX_FILE && lws_get_socket_fd(wsi) == gw->signal_fd) {
		struct signalfd_siginfo si;
		if (read(gw->signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
			gw_info("signal received, shutting down", "signal=%u", si.ssi_signo);
			gw->stopping = true;
		}
		return 0;
	}
	if (reason == LWS_CALLBACK_RAW_RX_FILE && lws_get_socket_fd(wsi) == gw->media_fd)
		return gw_media_wake(gw);
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"plenary.v1", callback_plenary, sizeof(struct pss), 4096, 0, NULL, 0},
    {"plenary-raw", callback_raw, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void observe_fsync(void *ctx, uint64_t ns)
{
	gw_metrics_observe_fsync(&((struct gateway *)ctx)->metrics, ns);
}

void gw_flush(struct gateway *gw)
{
	rooms_flush(gw->rooms, observe_fsync, gw);
}

static void run_clock(struct gateway *gw)
{
	int64_t now = gw_now_ms();
	int64_t next = rooms_tick(gw->rooms, now);
	if (rooms_dirty(gw->rooms))
		gw_flush(gw);
	gw_sessions_expire(gw, now);
	/* Sessions expire lazily; look at least every 10 s. */
	if (next > now + 10000)
		next = now + 10000;
	gw_schedule_tick(gw, next);
}

static void on_flush(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = t->data;
	gw->flush_scheduled = false;
	gw_flush(gw);
	run_clock(gw);
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = t->data;
	gw->tick_at = 0;
	run_clock(gw);
}

void gw_schedule_flush(struct gateway *gw)
{
	if (gw->flush_scheduled || !gw->ctx || gw->stopping)
		return;
	gw->flush_scheduled = true;
	/* Due now: libev runs it in the next loop turn, after every message of this one. */
	ev_timer_set(&gw->flush_timer, 0., 0.);
	ev_timer_start(gw->loop, &gw->flush_timer);
}

void gw_schedule_tick(struct gateway *gw, int64_t at_ms)
{
	if (!gw->ctx || gw->stopping || at_ms == INT64_MAX)
		return;
	if (gw->tick_at && gw->tick_at <= at_ms)
		return;
	gw->tick_at = at_ms;
	int64_t delay_ms = at_ms - gw_now_ms();
	if (delay_ms < 0)
		delay_ms = 0;
	ev_timer_stop(gw->loop, &gw->tick_timer);
	ev_timer_set(&gw->tick_timer, (double)delay_ms / 1000. + 1e-6, 0.);
	ev_timer_start(gw->loop, &gw->tick_timer);
}

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

static bool open_rooms(struct gateway *gw)
{
	struct rooms_sink sink = gw_rooms_sink_template;
	sink.ctx = gw;
	struct rooms_options opt = {.data_dir = gw->cfg.data_dir,
				    .grace_ms = (int64_t)gw->cfg.grace_s * 1000,
				    .now_ms = gw_now_ms(),
				    .warn = room_load_warning,
				    .warn_ctx = gw};
	char err[256];
	if (rooms_open(&opt, &sink, &gw->rooms, err, sizeof err) != ROOM_OK) {
		gw_error("cannot open rooms", "error=\"%s\"", err);
		return false;
	}
	for (size_t i = 0; i < gw->cfg.n_rooms; i++) {
		const struct gw_room_decl *d = &gw->cfg.rooms[i];
		if (rooms_find(gw->rooms, d->id))
			continue;
		struct room_settings s = {.id = d->id,
					  .title = d->title,
					  .public_observers = d->public_observers,
					  .reveal_hum_counts = d->reveal_hum_counts};
		struct room *room;
		if (rooms_create(gw->rooms, &s, gw_now_ms(), &room) != ROOM_OK) {
			gw_error("cannot create declared room", "room=%s", d->id);
			return false;
		}
	}
	rooms_flush(gw->rooms, NULL, NULL);
	return true;
}

static bool setup_signals(struct gateway *gw)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return false;
	signal(SIGPIPE, SIG_IGN);
	gw->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return gw->signal_fd >= 0;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static bool start_lws(struct gateway *gw)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = gw->cfg.listen_port;
	info.iface = gw->cfg.listen_addr[0] && strcmp(gw->cfg.listen_addr, "0.0.0.0") != 0
			 ? gw->cfg.listen_addr
			 : NULL;
	info.protocols = protocols;
	info.user = gw;
	info.options =
	    LWS_SERVER_OPTION_DISABLE_IPV6 * (info.iface == NULL) | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.timeout_secs = 30;
	info.ka_time = 0;
	gw->loop = ev_loop_new(EVBACKEND_EPOLL);
	if (!gw->loop)
		return false;
	void *loops[] = {gw->loop};
	info.options |= LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	ev_init(&gw->flush_timer, on_flush);
	ev_init(&gw->tick_timer, on_tick);
	gw->flush_timer.data = gw->tick_timer.data = gw;
	gw->ctx = lws_create_context(&info);
	if (!gw->ctx)
		return false;
	gw->vhost = lws_get_vhost_by_name(gw->ctx, "default");
	gw->port = gw->vhost ? lws_get_vhost_listen_port(gw->vhost) : gw->cfg.listen_port;
	lws_sock_file_fd_type fd = {.filefd = gw->signal_fd};
	if (!lws_adopt_descriptor_vhost(gw->vhost, LWS_ADOPT_RAW_FILE_DESC, fd, "plenary-raw",
					NULL)) {
		gw_error("cannot watch signals", NULL);
		return false;
	}
	return true;
}

int gateway_run(const struct gw_config *cfg)
{
	struct gateway *gw = calloc(1, sizeof *gw);
	if (!gw)
		return 1;
	int rc = 1;
	gw->cfg = *cfg;
	gw->signal_fd = -1;
	gw->media_fd = -1;
	lws_set_log_level(LLL_ERR | LLL_WARN, log_from_lws);
	raise_fd_limit();
	char err[256];
	const char *admin = getenv("PLENARY_ADMIN_TOKEN");
	if (admin && *admin) {
		snprintf(gw->admin_token, sizeof gw->admin_token, "%s", admin);
		gw->admin_enabled = true;
	}
	if (!ensure_dir(cfg->data_dir) || !setup_signals(gw))
		goto out;
	if (!gw_secret_load(cfg->data_dir, true, gw->secret, sizeof gw->secret, &gw->secret_len,
			    err, sizeof err)) {
		gw_error("token secret", "error=\"%s\"", err);
		goto out;
	}
	if (!open_rooms(gw) || !start_lws(gw) || !gw_media_start(gw))
		goto out;
	gw_media_resume_sessions(gw);
	if (strcmp(media_srtp_backend(), "openssl") != 0)
		gw_warn("SRTP is the system libsrtp2 (NSS): per-packet cost grows with sessions",
			"backend=%s", media_srtp_backend());
	gw_info("listening", "addr=%s:%d data=\"%s\" admin_api=%s",
		cfg->listen_addr[0] ? cfg->listen_addr : "0.0.0.0", gw->port, cfg->data_dir,
		gw->admin_enabled ? "on" : "off");
	run_clock(gw);
	while (!gw->stopping)
		ev_run(gw->loop, EVRUN_ONCE);
	gw_flush(gw);
	rc = 0;
out:
	if (gw->ctx)
		lws_context_destroy(gw->ctx);
	gw->ctx = NULL;
	if (gw->loop) {
		ev_timer_stop(gw->loop, &gw->flush_timer);
		ev_timer_stop(gw->loop, &gw->tick_timer);
		ev_loop_destroy(gw->loop);
	}
	gw->loop = NULL;
	gw_media_stop(gw);
	if (gw->rooms) {
		rooms_flush(gw->rooms, NULL, NULL);
		gw_host_free_all(gw);
		rooms_close(gw->rooms);
	}
	gw_sessions_free(gw);
	/* The signalfd was handed to lws, which closed it with the context. */
	gw_info("stopped", "exit=%d", rc);
	free(gw);
	return rc;
}
