/*
 * Fan-out and the durability barrier.
 *
 * rooms/ reports each event as it is appended, before it is durable. Until rooms_flush()
 * at the end of the loop turn says the room's log is synced, everything the gateway would
 * send to that room's connections -- events, acks, live and private messages -- waits
 * here in order. Then it goes out: an event message is one shared buffer pushed by
 * reference onto every connection's queue (no copy, no allocation per listener). If the
 * flush failed, the events are dropped and each waiting ack becomes an `internal` error:
 * no one is ever told of something the log does not hold.
 *
 * A connection that joins while items wait sees only the items queued after it joined:
 * its own ack carries a snapshot that already includes the earlier ones.
 *
 * The media side hears of events and durability through gw->listener (fanout.h), so this
 * file knows nothing of it. Likewise what stream.c and media_glue.c keep per room rides
 * on the host as a struct room_host_extra, freed through the owner's function: the
 * fan-out is below them and calls none of their code by name.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/msg.h"
#include "gateway/server.h"

struct pending_item {
	uint64_t no;	 /* increasing per host: orders items against attachments */
	struct conn *to; /* NULL: everyone attached before this item */
	struct gw_msg *msg;
	int64_t seq; /* event seq, or 0 */
	bool is_ack; /* an ack that becomes an `internal` error if the flush fails */
	int64_t ack_id;
	bool has_ack_id;
};

struct room_host *gw_host_for(struct gateway *gw, struct room *room)
{
	struct room_host *h = room_host_data(room);
	if (h)
		return h;
	h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->gw = gw;
	h->room = room;
	base_list_init(&h->conns);
	room_set_host_data(room, h);
	return h;
}

struct room_host *gw_host_of(const struct conn *c)
{
	return c->room ? room_host_data(c->room) : NULL;
}

void gw_host_attach(struct room_host *h, struct conn *c)
{
	c->room = h->room;
	c->attached_item = h->next_item;
	base_list_insert_tail(h->conns.next, &c->room_link); /* before the first: newest first */
	h->n_conns++;
	gw_pid_index_add(&h->by_pid, c);
}

void gw_host_detach(struct room_host *h, struct conn *c)
{
	for (size_t i = 0; i < h->n_pending; i++)
		if (h->pending[i].to == c) {
			gw_msg_unref(h->pending[i].msg);
			h->pending[i].msg = NULL;
		}
	base_list_remove(&c->room_link);
	gw_pid_index_remove(&h->by_pid, c);
	c->room = NULL;
	h->n_conns--;
}

static bool push_pending(struct room_host *h, const struct pending_item *item)
{
	if (h->n_pending == h->cap_pending) {
		size_t cap = h->cap_pending ? h->cap_pending * 2 : 64;
		struct pending_item *grown = realloc(h->pending, cap * sizeof *grown);
		if (!grown)
			return false;
		h->pending = grown;
		h->cap_pending = cap;
	}
	h->pending[h->n_pending++] = *item;
	return true;
}

static void deliver(struct room_host *h, const struct pending_item *item)
{
	if (!item->msg)
		return;
	if (item->to) {
		gw_conn_send(item->to, item->msg);
		return;
	}
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
	{
		struct conn *c = BASE_CONTAINER_OF(node, struct conn, room_link);
		if (c->attached_item < item->no)
			gw_conn_send(c, item->msg);
	}
}

/* Takes the reference to m. Waits for durability if the room has anything pending. */
static void host_emit(struct room_host *h, struct conn *to, struct gw_msg *m, int64_t seq,
		      bool is_ack, json_t *ack_id)
{
	if (!m)
		return;
	struct pending_item item = {
	    .no = ++h->next_item, .to = to, .msg = m, .seq = seq, .is_ack = is_ack};
	if (ack_id) {
		item.has_ack_id = true;
		item.ack_id = json_integer_value(ack_id);
	}
	if (h->n_pending == 0 && seq == 0) {
		deliver(h, &item);
		gw_msg_unref(m);
		return;
	}
	if (!push_pending(h, &item)) {
		gw_error("out of memory queueing a message", "room=%s", room_id(h->room));
		gw_msg_unref(m);
	}
}

void gw_host_send(struct room_host *h, struct conn *c, struct gw_msg *m, bool is_ack,
		  json_t *ack_id)
{
	host_emit(h, c, m, 0, is_ack, ack_id);
}

void gw_host_reply(struct conn *c, json_t *v, bool is_ack, json_t *ack_id)
{
	struct room_host *h = gw_host_of(c);
	if (!h) {
		gw_conn_send_json(c, v);
		return;
	}
	host_emit(h, c, gw_msg_from_json(v), 0, is_ack, ack_id);
	json_decref(v);
}

void gw_host_reply_msg(struct conn *c, struct gw_msg *m, bool is_ack, json_t *ack_id)
{
	struct room_host *h = gw_host_of(c);
	if (!h) {
		gw_conn_send(c, m);
		gw_msg_unref(m);
		return;
	}
	host_emit(h, c, m, 0, is_ack, ack_id);
}

void gw_host_error(struct conn *c, json_t *id, enum room_err err, const char *message)
{
	json_t *reply = json_pack("{s:s,s:s,s:s}", "type", "error", "code", room_err_code(err),
				  "message", message ? message : room_err_code(err));
	if (!reply)
		return;
	if (id)
		json_object_set(reply, "id", id);
	gw_host_reply(c, reply, false, NULL);
}

void gw_host_pending_events_to(struct room_host *h, struct conn *c, int64_t after)
{
	size_t n = h->n_pending;
	for (size_t i = 0; i < n; i++) {
		struct pending_item *it = &h->pending[i];
		if (it->seq > after && !it->to && it->msg)
			host_emit(h, c, gw_msg_ref(it->msg), 0, false, NULL);
	}
}

size_t gw_host_kick(struct room_host *h, const char *pid, const char *jti, const json_t *notice,
		    int code, const char *reason)
{
	size_t n = 0;
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
	{
		struct conn *c = BASE_CONTAINER_OF(node, struct conn, room_link);
		bool match = (pid && strcmp(c->pid, pid) == 0) ||
			     (jti && jti[0] && strcmp(c->jti, jti) == 0);
		if (!match || c->kicked)
			continue;
		c->kicked = true;
		host_emit(h, c, gw_msg_from_json(notice), 0, false, NULL);
		host_emit(h, c, gw_msg_close(code, reason), 0, false, NULL);
		n++;
	}
	return n;
}

void gw_host_seal(struct room_host *h)
{
	h->sealed_item = h->next_item;
}

/* Releases what a successful flush covered: everything, or with a replica only the sealed
 * batch -- the items after it describe events not yet replicated and keep waiting. */
static size_t released_part(const struct room_host *h, bool ok)
{
	size_t n = 0;
	if (!ok || !h->sealed_item)
		return h->n_pending;
	while (n < h->n_pending && h->pending[n].no <= h->sealed_item)
		n++;
	/* What came after the batch but before the next event depends on nothing unreplicated
	 * (and no later flush might come for it). */
	while (n < h->n_pending && h->pending[n].seq == 0)
		n++;
	return n;
}

static void release(struct room_host *h, bool ok)
{
	size_t n = released_part(h, ok);
	h->sealed_item = 0;
	for (size_t i = 0; i < n; i++) {
		struct pending_item *it = &h->pending[i];
		if (ok || (it->to && !it->is_ack)) {
			/* After a failed flush only replies to one connection (errors) still
			 * hold; events and broadcasts described what was rolled back. */
			deliver(h, it);
		} else if (it->is_ack && it->to && it->msg) {
			json_t *err = json_pack(
			    "{s:s,s:s,s:s}", "type", "error", "code", "internal", "message",
			    "the room's log could not be written; nothing changed");
			if (err && it->has_ack_id)
				json_object_set_new(err, "id", json_integer(it->ack_id));
			if (err)
				gw_conn_send_json(it->to, err);
		}
		gw_msg_unref(it->msg);
	}
	memmove(h->pending, h->pending + n, (h->n_pending - n) * sizeof *h->pending);
	h->n_pending -= n;
}

static void sink_event(void *ctx, struct room *room, int64_t seq, const char *msg, size_t len)
{
	struct gateway *gw = ctx;
	struct room_host *h = gw_host_for(gw, room);
	gw->metrics.events_total++;
	if (h) {
		host_emit(h, NULL, gw_msg_new(msg, len), seq, false, NULL);
		if (gw->listener.event)
			gw->listener.event(gw->listener.ctx, h, msg, len);
	}
	gw_schedule_flush(gw);
}

static void sink_live(void *ctx, struct room *room, const char *msg, size_t len)
{
	struct room_host *h = gw_host_for(ctx, room);
	if (h)
		host_emit(h, NULL, gw_msg_new(msg, len), 0, false, NULL);
}

static void sink_private(void *ctx, struct room *room, const char *pid, enum room_role role,
			 const char *msg, size_t len)
{
	struct room_host *h = gw_host_for(ctx, room);
	if (!h)
		return;
	struct gw_msg *m = gw_msg_new(msg, len);
	if (!m)
		return;
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
	{
		struct conn *c = BASE_CONTAINER_OF(node, struct conn, room_link);
		bool to_them = pid ? strcmp(c->pid, pid) == 0 : c->who.role == role;
		if (to_them)
			host_emit(h, c, gw_msg_ref(m), 0, false, NULL);
	}
	gw_msg_unref(m);
}

static void sink_mic(void *ctx, struct room *room, const char *pid, bool open)
{
	struct gateway *gw = ctx;
	if (gw->listener.mic)
		gw->listener.mic(gw->listener.ctx, room, pid, open);
}

static void sink_durable(void *ctx, struct room *room, bool ok)
{
	struct gateway *gw = ctx;
	struct room_host *h = room_host_data(room);
	if (!ok) {
		gw->metrics.fsync_failures++;
		gw_error("log flush failed; room rolled back to its durable state", "room=%s",
			 room_id(room));
	}
	if (h) {
		release(h, ok);
		if (gw->listener.durable)
			gw->listener.durable(gw->listener.ctx, h, ok);
	}
}

struct rooms_sink gw_fanout_sink(struct gateway *gw)
{
	return (struct rooms_sink){.ctx = gw,
				   .event = sink_event,
				   .live = sink_live,
				   .private_msg = sink_private,
				   .mic = sink_mic,
				   .durable = sink_durable};
}

static void extra_free(struct room_host_extra *x)
{
	if (x->data)
		x->free(x->data);
	*x = (struct room_host_extra){0};
}

void gw_host_free_all(struct gateway *gw)
{
	for (size_t i = 0; i < rooms_count(gw->rooms); i++) {
		struct room *room = rooms_at(gw->rooms, i);
		struct room_host *h = room_host_data(room);
		if (!h)
			continue;
		for (size_t k = 0; k < h->n_pending; k++)
			gw_msg_unref(h->pending[k].msg);
		extra_free(&h->listen);
		extra_free(&h->session);
		free(h->pending);
		gw_pid_index_free(&h->by_pid);
		free(h);
		room_set_host_data(room, NULL);
	}
}
