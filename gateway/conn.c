/*
 * A connection's send side, without the socket: messages are shared (gw_msg) and queued
 * by reference in a ring per connection; the transport (ws.c) is asked to write when the
 * ring stops being empty and takes messages in order with gw_conn_peek / gw_conn_next.
 *
 * A peer that stops reading lets its kernel buffer fill, lws stops calling back, and the
 * ring grows; past cfg.send_queue_bytes the connection is dropped. Memory per connection
 * is therefore bounded, and one slow reader never delays the room.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/conn.h"
#include "gateway/logging.h"
#include "gateway/server.h"

struct conn *gw_conn_create(struct gateway *gw, const struct conn_io *io, void *io_ctx)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->gw = gw;
	c->io = io;
	c->io_ctx = io_ctx;
	c->id = ++gw->next_conn_id;
	c->q_cap = 16;
	c->q = calloc(c->q_cap, sizeof *c->q);
	if (!c->q) {
		free(c);
		return NULL;
	}
	base_list_init(&c->room_link);
	base_list_init(&c->write_link);
	/* Before the first: newest first, as the list has always been. */
	base_list_insert_tail(gw->conns.next, &c->link);
	gw->metrics.connections[ROOM_ROLE_COUNT]++;
	return c;
}

void gw_conn_destroy(struct conn *c)
{
	base_list_remove(&c->link);
	base_list_remove(&c->write_link);
	for (size_t i = 0; i < c->q_len; i++)
		gw_msg_unref(c->q[(c->q_head + i) % c->q_cap]);
	free(c->q);
	free(c->rx);
	free(c->tx_rest);
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
	c->io->drop(c);
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
		c->io->want_write(c);
}

struct gw_msg *gw_conn_next(struct conn *c)
{
	if (c->q_len == 0)
		return NULL;
	struct gw_msg *m = c->q[c->q_head];
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
	c->q_bytes -= m->len;
	return m;
}

struct gw_msg *gw_conn_peek(const struct conn *c)
{
	return c->q_len ? c->q[c->q_head] : NULL;
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
