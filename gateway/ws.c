/*
 * WebSocket connections: assembling messages from frames, and a send queue that never
 * blocks the loop.
 *
 * Receive rules (PROTOCOL.md "Transport"): one JSON object per text message; a message
 * over 64 KiB closes the connection with 1009, a binary frame with 1003. Fragments are
 * gathered into one buffer, bounded by the same limit.
 *
 * Send: messages are shared (gw_msg) and queued by reference in a ring per connection.
 * lws tells us when the socket can take more (SERVER_WRITEABLE); we write one message
 * per callback, as lws asks. A peer that stops reading lets its kernel buffer fill, lws
 * stops calling back, and the ring grows; past cfg.send_queue_bytes the connection is
 * dropped. Memory per connection is therefore bounded, and one slow phone on a train
 * never delays the room.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/internal.h"
#include "gateway/logging.h"

struct conn *gw_conn_create(struct gateway *gw, struct lws *wsi)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->gw = gw;
	c->wsi = wsi;
	c->id = ++gw->next_conn_id;
	c->q_cap = 16;
	c->q = calloc(c->q_cap, sizeof *c->q);
	if (!c->q) {
		free(c);
		return NULL;
	}
	c->next = gw->conns;
	if (gw->conns)
		gw->conns->prev = c;
	gw->conns = c;
	gw->metrics.connections[ROOM_ROLE_COUNT]++;
	return c;
}

void gw_conn_destroy(struct conn *c)
{
	struct gateway *gw = c->gw;
	gw_session_closed(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		gw->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	for (size_t i = 0; i < c->q_len; i++)
		gw_msg_unref(c->q[(c->q_head + i) % c->q_cap]);
	free(c->q);
	free(c->rx);
	free(c);
}

static bool queue_grow(struct conn *c)
{
	size_t cap = c->q_cap * 2;
	struct gw_msg **q = malloc(cap * sizeof *q);
	if (!q)
		return false;
	for (size_t i = 0; i < c->q_len; i++)
		q[i] = c->q[(c->q_head + i) % c->q_cap];
	free(c->q);
	c->q = q;
	c->q_cap = cap;
	c->q_head = 0;
	return true;
}

static void drop_slow(struct conn *c)
{
	c->closing = true;
	c->gw->metrics.ws_slow_dropped++;
	gw_info("dropping slow connection", "conn=%llu queued_bytes=%zu", (unsigned long long)c->id,
		c->q_bytes);
	/* Not inside this connection's callback, so ask lws to close it from the loop. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void gw_conn_send(struct conn *c, struct gw_msg *m)
{
	if (c->closing || !m)
		return;
	if (c->q_bytes + m->len > c->gw->cfg.send_queue_bytes ||
	    (c->q_len == c->q_cap && !queue_grow(c))) {
		drop_slow(c);
		return;
	}
	c->q[(c->q_head + c->q_len) % c->q_cap] = gw_msg_ref(m);
	c->q_len++;
	c->q_bytes += m->len;
	c->gw->metrics.ws_messages_out++;
	if (c->q_len == 1)
		lws_callback_on_writable(c->wsi);
}

void gw_conn_send_json(struct conn *c, json_t *v)
{
	struct gw_msg *m = gw_msg_from_json(v);
	json_decref(v);
	if (!m) {
		gw_error("cannot serialise message", "conn=%llu", (unsigned long long)c->id);
		return;
	}
	gw_conn_send(c, m);
	gw_msg_unref(m);
}

void gw_conn_error(struct conn *c, json_t *id, enum room_err err, const char *message)
{
	json_t *reply = json_pack("{s:s,s:s,s:s}", "type", "error", "code", room_err_code(err),
				  "message", message ? message : room_err_code(err));
	if (!reply)
		return;
	if (id)
		json_object_set(reply, "id", id);
	if (c->host)
		gw_host_send(c->host, c, gw_msg_from_json(reply), false, NULL);
	else
		gw_conn_send_json(c, json_incref(reply));
	json_decref(reply);
}

int gw_conn_writable(struct conn *c)
{
	if (c->closing)
		return -1;
	if (c->q_len == 0)
		return 0;
	struct gw_msg *m = c->q[c->q_head];
	int n = lws_write(c->wsi, m->payload, m->len, LWS_WRITE_TEXT);
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
	c->q_bytes -= m->len;
	gw_msg_unref(m);
	if (n < 0)
		return -1;
	if (c->q_len)
		lws_callback_on_writable(c->wsi);
	return 0;
}

static int close_with(struct conn *c, enum lws_close_status status, const char *why)
{
	lws_close_reason(c->wsi, status, (unsigned char *)why, strlen(why));
	c->closing = true;
	return -1;
}

int gw_conn_receive(struct conn *c, const void *in, size_t len)
{
	if (c->closing)
		return -1;
	if (lws_frame_is_binary(c->wsi))
		return close_with(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "text frames only");
	size_t remaining = lws_remaining_packet_payload(c->wsi);
	if (c->rx_len + len + remaining > GW_MAX_MESSAGE)
		return close_with(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message over 64 KiB");
	bool whole = lws_is_first_fragment(c->wsi) && lws_is_final_fragment(c->wsi) &&
		     remaining == 0 && c->rx_len == 0;
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
	if (remaining == 0 && lws_is_final_fragment(c->wsi)) {
		c->gw->metrics.ws_messages_in++;
		size_t n = c->rx_len;
		c->rx_len = 0;
		gw_session_message(c, c->rx, n);
		free(c->rx);
		c->rx = NULL;
	}
	return c->closing ? -1 : 0;
}
