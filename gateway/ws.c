/*
 * The lws side of a WebSocket connection: assembling messages from frames, and writing
 * what conn.c queued when lws says the socket can take it.
 *
 * Receive rules (PROTOCOL.md "Transport"): one JSON object per text message; a message
 * over 64 KiB closes the connection with 1009, a binary frame with 1003. Fragments are
 * gathered into one buffer, bounded by the same limit.
 *
 * Send: a connection whose ring stops being empty goes on gw->ws_ready, and before the
 * loop waits again (gw_ws_write_ready) every queued message (up to GW_WS_BATCH_MAX bytes)
 * goes out as its own text frame, all in one write (wsbatch.h). Asking lws for a
 * SERVER_WRITEABLE callback instead costs each connection an EPOLLOUT round trip (two
 * epoll_ctl and an event), which was most of a caption's cost to 10,000 observers
 * (docs/profiles.md); the callback is kept for what the socket did not take at once (lws
 * holds it and asks for it itself), for a ring longer than a batch, and for the
 * moderation close, which waits for what came before it.
 */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/client_addr.h"
#include "gateway/conn.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/ws.h"
#include "gateway/wsbatch.h"

static void want_write(struct conn *c)
{
	/* Not now: other events of this loop turn may follow for the same connection, and
	 * they go in the same write. */
	if (!base_list_linked(&c->write_link))
		base_list_insert_tail(&c->gw->ws_ready, &c->write_link);
}

static void drop(struct conn *c)
{
	/* Not inside this connection's callback, so ask lws to close it from the loop. */
	lws_set_timeout(c->io_ctx, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static const struct conn_io lws_io = {.want_write = want_write, .drop = drop};

struct conn *gw_ws_open(struct gateway *gw, struct lws *wsi)
{
	struct conn *c = gw_conn_create(gw, &lws_io, wsi);
	/* The TCP peer, or behind a trusted proxy the client it forwards for; "" when the
	 * address is not limited (unknown, or loopback without limit_loopback). */
	struct gw_ip ip;
	bool limited = false;
	if (c && gw_client_addr(gw, wsi, true, &ip, &limited) && limited) {
		gw_ip_format(&ip, c->addr, sizeof c->addr);
		c->addr_limited = true;
	}
	return c;
}

void gw_ws_closed(struct conn *c)
{
	gw_session_closed(c);
	gw_conn_destroy(c);
}

static int close_with(struct conn *c, enum lws_close_status status, const char *why);

/* A batch of frames is bytes lws must not frame again: LWS_WRITE_RAW (= LWS_WRITE_HTTP)
 * goes straight to lws_issue_raw, through TLS when there is TLS. No extension is
 * negotiated (no permessage-deflate: the protocol sets none), so the frames are final.
 * lws takes it all: what the socket refuses it keeps and flushes before it calls us
 * writable again. */
static ssize_t write_raw(void *ctx, const unsigned char *p, size_t n)
{
	int w = lws_write(ctx, (unsigned char *)p, n, LWS_WRITE_RAW);
	return w < 0 ? -1 : w;
}

/* One message per callback, framed by lws: for a WebSocket inside another connection
 * (ws over h2, which the http/1.1-only ALPN should never let happen), where raw bytes
 * would bypass the outer framing. */
static int write_one(struct conn *c)
{
	struct gw_msg *m = gw_conn_peek(c);
	if (!m || m->close_code)
		return 0;
	m = gw_conn_next(c);
	c->gw->metrics.ws_writes++;
	int n = lws_write(c->io_ctx, m->payload, m->len, LWS_WRITE_TEXT);
	gw_msg_unref(m);
	return n < 0 ? -1 : 1;
}

/* From the loop, outside any callback of c's: writes its batch straight to the socket when
 * nothing is pending before it. */
static void write_now(struct conn *c)
{
	struct lws *wsi = c->io_ctx;
	if (c->closing)
		return;
	if (lws_get_network_wsi(wsi) != wsi || lws_partial_buffered(wsi) ||
	    gw_wsbatch_has_rest(c)) {
		lws_callback_on_writable(wsi);
		return;
	}
	if (gw_wsbatch_write(&c->gw->ws_batch, c, GW_WS_BATCH_MAX, write_raw, wsi) < 0) {
		c->closing = true;
		drop(c);
		return;
	}
	c->gw->metrics.ws_direct_writes++;
	if (c->q_len || gw_wsbatch_has_rest(c))
		lws_callback_on_writable(wsi);
}

void gw_ws_write_ready(struct gateway *gw)
{
	while (!base_list_empty(&gw->ws_ready)) {
		struct conn *c = BASE_CONTAINER_OF(gw->ws_ready.next, struct conn, write_link);
		base_list_remove(&c->write_link);
		write_now(c);
	}
}

int gw_ws_writable(struct conn *c)
{
	if (c->closing)
		return -1;
	struct lws *wsi = c->io_ctx;
	int r = lws_get_network_wsi(wsi) == wsi
		    ? gw_wsbatch_write(&c->gw->ws_batch, c, GW_WS_BATCH_MAX, write_raw, wsi)
		    : write_one(c);
	if (r < 0)
		return -1;
	struct gw_msg *m = r == 0 ? gw_conn_next(c) : NULL;
	if (m) {
		/* The moderation close (docs/protocol.md): after what was queued before it. */
		close_with(c, (enum lws_close_status)m->close_code, (const char *)m->payload);
		gw_msg_unref(m);
		return -1;
	}
	if (c->q_len || gw_wsbatch_has_rest(c))
		lws_callback_on_writable(wsi);
	return 0;
}

static int close_with(struct conn *c, enum lws_close_status status, const char *why)
{
	lws_close_reason(c->io_ctx, status, (unsigned char *)why, strlen(why));
	c->closing = true;
	return -1;
}

int gw_ws_receive(struct conn *c, const void *in, size_t len)
{
	struct lws *wsi = c->io_ctx;
	if (c->closing)
		return -1;
	if (lws_frame_is_binary(wsi))
		return close_with(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "text frames only");
	size_t remaining = lws_remaining_packet_payload(wsi);
	if (c->rx_len + len + remaining > GW_MAX_MESSAGE)
		return close_with(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message over 64 KiB");
	bool whole = lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi) && remaining == 0 &&
		     c->rx_len == 0;
	if (whole) {
		/* The common case: one frame, one lws buffer. Parse in place. */
		c->gw->metrics.ws_messages_in++;
		gw_session_message(c, in, len);
		return c->closing ? -1 : 0;
	}
	if (!c->rx) {
		c->rx = malloc(GW_MAX_MESSAGE);
		if (!c->rx)
			return close_with(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
					  "out of memory");
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (remaining == 0 && lws_is_final_fragment(wsi)) {
		c->gw->metrics.ws_messages_in++;
		size_t n = c->rx_len;
		c->rx_len = 0;
		gw_session_message(c, c->rx, n);
		free(c->rx);
		c->rx = NULL;
	}
	return c->closing ? -1 : 0;
}
