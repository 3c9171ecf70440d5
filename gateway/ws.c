/*
 * The lws side of a WebSocket connection: assembling messages from frames, and writing
 * what conn.c queued when lws says the socket can take it.
 *
 * Receive rules (PROTOCOL.md "Transport"): one JSON object per text message; a message
 * over 64 KiB closes the connection with 1009, a binary frame with 1003. Fragments are
 * gathered into one buffer, bounded by the same limit.
 *
 * Send: we write one message per SERVER_WRITEABLE callback, as lws asks, and ask for
 * another callback while the ring is not empty.
 */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/client_addr.h"
#include "gateway/conn.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/ws.h"

static void want_write(struct conn *c)
{
	lws_callback_on_writable(c->io_ctx);
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

int gw_ws_writable(struct conn *c)
{
	if (c->closing)
		return -1;
	struct gw_msg *m = gw_conn_next(c);
	if (!m)
		return 0;
	if (m->close_code) {
		/* The moderation close (docs/protocol.md): after what was queued before it. */
		close_with(c, (enum lws_close_status)m->close_code, (const char *)m->payload);
		gw_msg_unref(m);
		return -1;
	}
	int n = lws_write(c->io_ctx, m->payload, m->len, LWS_WRITE_TEXT);
	gw_msg_unref(m);
	if (n < 0)
		return -1;
	if (c->q_len)
		lws_callback_on_writable(c->io_ctx);
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
