/*
 * load_ws -- see load_ws.h.
 *
 * The one subtle part is the end of a connection. lws may report a failed connect from
 * inside lws_client_connect_via_info, before the owner has the handle, and the wsi's last
 * callback (WSI_DESTROY) may come before or after the owner is told. So the owner hears
 * on_close exactly once and never from inside ws_connect (such failures wait on a list
 * that the tick delivers), and the handle is freed only when both the owner has been told
 * and lws is done with the wsi.
 *
 * The loop is libev's (epoll), not lws's default poll(): with 10,000 connections every
 * poll() walks every socket, and the tool, not the server, became what the caption
 * fan-out measured. libev comes with Debian's libwebsockets-dev (lws's evlib plugin).
 */
#include "load_ws.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

struct ws_msg {
	struct ws_msg *next;
	size_t len;
	unsigned char buf[]; /* LWS_PRE + len */
};

struct ws_conn {
	struct load_ws *w;
	struct lws *wsi;
	const struct ws_handlers *h;
	void *user;
	struct ws_msg *head, *tail;
	size_t queued;
	char *rx;
	size_t rx_len, rx_cap;
	bool in_connect, closing, closed, told, wsi_gone;
	const char *why;
	struct ws_conn *next_dead;
};

struct load_ws {
	struct lws_context *ctx;
	struct ev_loop *loop;
	lws_sorted_usec_list_t sul;
	unsigned tick_ms;
	void (*tick)(void *);
	void *tick_user;
	struct ws_conn *dead; /* closed before the owner could be told */
	unsigned count;
};

static void maybe_free(struct ws_conn *c)
{
	if (!c->told || !c->wsi_gone)
		return;
	while (c->head) {
		struct ws_msg *m = c->head;
		c->head = m->next;
		free(m);
	}
	c->w->count--;
	free(c->rx);
	free(c);
}

static void tell(struct ws_conn *c)
{
	c->told = true;
	if (c->h->on_close)
		c->h->on_close(c->user, c, c->why ? c->why : "closed");
	maybe_free(c);
}

/* The connection is over (once): tell the owner now, or at the next tick if we are still
 * inside ws_connect. */
static void finish(struct ws_conn *c, const char *why)
{
	if (c->closed)
		return;
	c->closed = true;
	c->why = why;
	if (c->in_connect) {
		c->next_dead = c->w->dead;
		c->w->dead = c;
		return;
	}
	tell(c);
}

static void deliver_dead(struct load_ws *w)
{
	while (w->dead) {
		struct ws_conn *c = w->dead;
		w->dead = c->next_dead;
		tell(c);
	}
}

static void on_receive(struct ws_conn *c, struct lws *wsi, const void *in, size_t len)
{
	if (c->rx_len + len > WS_MAX_MESSAGE) {
		c->rx_len = 0; /* too large: dropped whole */
		return;
	}
	if (c->rx_len + len + 1 > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 4096;
		while (cap < c->rx_len + len + 1)
			cap *= 2;
		char *rx = realloc(c->rx, cap);
		if (rx == NULL)
			return;
		c->rx = rx;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
		return;
	c->rx[c->rx_len] = '\0';
	size_t n = c->rx_len;
	c->rx_len = 0;
	if (!lws_frame_is_binary(wsi) && c->h->on_message)
		c->h->on_message(c->user, c, c->rx, n);
}

static int on_writeable(struct ws_conn *c, struct lws *wsi)
{
	if (c->closing)
		return -1;
	struct ws_msg *m = c->head;
	if (m == NULL)
		return 0;
	if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
		return -1;
	c->head = m->next;
	if (c->head == NULL)
		c->tail = NULL;
	c->queued--;
	free(m);
	if (c->head)
		lws_callback_on_writable(wsi);
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	(void)user;
	struct ws_conn *c = lws_get_opaque_user_data(wsi);
	if (c == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c->h->on_open)
			c->h->on_open(c->user, c);
		if (c->head || c->closing)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_receive(c, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writeable(c, wsi);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		finish(c, "connection error");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		finish(c, "closed by peer");
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		lws_set_opaque_user_data(wsi, NULL);
		c->wsi = NULL;
		c->wsi_gone = true;
		finish(c, "closed");
		maybe_free(c);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {"plenary-load", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_tick(lws_sorted_usec_list_t *sul)
{
	struct load_ws *w = lws_container_of(sul, struct load_ws, sul);
	deliver_dead(w);
	if (w->tick)
		w->tick(w->tick_user);
	lws_sul_schedule(w->ctx, 0, &w->sul, on_tick, (lws_usec_t)w->tick_ms * LWS_US_PER_MS);
}

struct load_ws *ws_create(unsigned max_conns, unsigned tick_ms, void (*tick)(void *),
			  void *tick_user)
{
	struct load_ws *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	lws_set_log_level(LLL_ERR, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	/* No fd_limit_per_thread: with it set, lws looks a socket's wsi up by walking every
	 * slot (O(connections) per event); without it, by index, sized from RLIMIT_NOFILE,
	 * which load_main.c raises. */
	(void)max_conns;
	info.timeout_secs = 30;
	w->loop = ev_loop_new(EVBACKEND_EPOLL);
	if (w->loop == NULL) {
		free(w);
		return NULL;
	}
	void *loops[] = {w->loop};
	info.options |= LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	w->ctx = lws_create_context(&info);
	if (w->ctx == NULL) {
		ev_loop_destroy(w->loop);
		free(w);
		return NULL;
	}
	w->tick_ms = tick_ms ? tick_ms : 10;
	w->tick = tick;
	w->tick_user = tick_user;
	lws_sul_schedule(w->ctx, 0, &w->sul, on_tick, (lws_usec_t)w->tick_ms * LWS_US_PER_MS);
	return w;
}

void ws_destroy(struct load_ws *w)
{
	if (w == NULL)
		return;
	lws_sul_cancel(&w->sul);
	lws_context_destroy(w->ctx);
	ev_loop_destroy(w->loop);
	deliver_dead(w);
	free(w);
}

struct ws_conn *ws_connect(struct load_ws *w, const char *host, int port, const char *path,
			   const char *subprotocol, const struct ws_handlers *h, void *user)
{
	struct ws_conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->w = w;
	c->h = h;
	c->user = user;
	w->count++;
	struct lws_client_connect_info ci;
	memset(&ci, 0, sizeof ci);
	ci.context = w->ctx;
	ci.address = host;
	ci.port = port;
	ci.path = path;
	ci.host = host;
	ci.origin = host;
	ci.protocol = subprotocol;
	ci.local_protocol_name = protocols[0].name;
	ci.opaque_user_data = c;
	ci.pwsi = &c->wsi;
	c->in_connect = true;
	struct lws *wsi = lws_client_connect_via_info(&ci);
	c->in_connect = false;
	if (wsi == NULL) {
		c->wsi_gone = true;
		c->wsi = NULL;
		if (!c->closed) {
			c->closed = true;
			c->why = "connect refused";
			c->next_dead = w->dead;
			w->dead = c;
		}
	}
	return c;
}

bool ws_send(struct ws_conn *c, const char *text, size_t len)
{
	if (c->closed || c->closing)
		return false;
	struct ws_msg *m = malloc(sizeof *m + LWS_PRE + len);
	if (m == NULL)
		return false;
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued++;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
	return true;
}

size_t ws_pending(const struct ws_conn *c)
{
	return c->queued;
}

void ws_close(struct ws_conn *c)
{
	if (c->closed || c->closing)
		return;
	c->closing = true;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

void ws_service(struct load_ws *w, int timeout_ms)
{
	/* One pass: the tick's timer (every tick_ms) bounds the wait. */
	(void)timeout_ms;
	ev_run(w->loop, EVRUN_ONCE);
}

unsigned ws_count(const struct load_ws *w)
{
	return w->count;
}
