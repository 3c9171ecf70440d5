/*
 * An edge's clients' commands, forwarded to the room's owner (nats_edge.h).
 *
 * One forwarder thread sends them one at a time, in the order the clients sent them
 * (natsConnection_Request, bounded by nats_timeout_ms), and between requests publishes
 * the edge's heartbeat, by which the owner knows its remote participants are still
 * there. Answers come back to the gateway thread, which holds each until the edge has
 * folded the room up to the seq the owner answered with, then tells the client; a
 * request nobody answered in time is `internal` (it may have happened, as a timed-out
 * publish may: docs/protocol.md), one no node listens for is `unavailable`.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/nats_edge.h"
#include "gateway/nats_edge_priv.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"
#include "gateway/server.h"
#include "gateway/session.h"

/* Which node answers for a room: the one subject every owner listens on. The lease
 * (owner failover) replaces this with the subject of the node holding the room. */
static bool owner_subject(const char *room, char *out, size_t cap)
{
	if (!rooms_valid_id(room))
		return false;
	int n = snprintf(out, cap, "%s%s.cmd", GW_NATS_SUBJECT_PREFIX, room);
	return n > 0 && (size_t)n < cap;
}

static void ask_owner(struct gw_edge *e, struct edge_req *r)
{
	char subject[GW_NATS_SUBJECT_MAX];
	natsMsg *m = NULL;
	natsStatus s = owner_subject(r->fr.room, subject, sizeof subject)
			   ? natsConnection_Request(&m, e->n->nc, subject, r->text, (int)r->len,
						    e->n->timeout_ms)
			   : NATS_INVALID_ARG;
	if (s == NATS_OK &&
	    gw_fwd_reply_parse(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), &r->reply)) {
		natsMsg_Destroy(m);
		return;
	}
	natsMsg_Destroy(m);
	r->reply.err = s == NATS_NO_RESPONDERS ? ROOM_EUNAVAILABLE : ROOM_EINTERNAL;
	snprintf(r->reply.message, sizeof r->reply.message, "%s",
		 s == NATS_NO_RESPONDERS ? "no node serves this room's commands right now"
		 : s == NATS_TIMEOUT	 ? "the room's owner did not answer in time; the command "
					   "may still have happened"
					 : "the room's owner gave no usable answer");
	gw_warn("edge: a forwarded command failed", "room=%s op=%s status=\"%s\"", r->fr.room,
		gw_fwd_op_name(r->fr.op), natsStatus_GetText(s));
}

static void heartbeat(struct gw_edge *e)
{
	natsConnection_PublishString(e->n->nc, GW_EDGE_HEARTBEAT_SUBJECT, e->node);
	gw_edge_wake(e); /* held answers past their deadline are looked at */
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The next request, or NULL after waiting at most until the next heartbeat is due. */
static struct edge_req *next_request(struct gw_edge *e, int64_t beat_due)
{
	pthread_mutex_lock(&e->mu);
	if (!e->todo && !e->stop && beat_due > mono_ms()) {
		struct timespec at;
		clock_gettime(CLOCK_REALTIME, &at);
		int64_t wait = beat_due - mono_ms();
		at.tv_sec += wait / 1000;
		at.tv_nsec += (wait % 1000) * 1000000;
		if (at.tv_nsec >= 1000000000) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&e->cond, &e->mu, &at);
	}
	struct edge_req *r = e->stop ? NULL : e->todo;
	if (r)
		e->todo = r->next;
	pthread_mutex_unlock(&e->mu);
	return r;
}

/* The heartbeat goes out every second whether or not requests keep the thread busy: the
 * owner must not take a busy edge for a dead one. */
static void *forwarder_main(void *arg)
{
	struct gw_edge *e = arg;
	int64_t beat_due = mono_ms() + GW_EDGE_HEARTBEAT_MS;
	for (;;) {
		struct edge_req *r = next_request(e, beat_due);
		if (mono_ms() >= beat_due) {
			heartbeat(e);
			gw_edge_discover(e); /* rooms made since */
			beat_due = mono_ms() + GW_EDGE_HEARTBEAT_MS;
		}
		if (!r) {
			pthread_mutex_lock(&e->mu);
			bool stop = e->stop;
			pthread_mutex_unlock(&e->mu);
			if (stop)
				return NULL;
			continue;
		}
		ask_owner(e, r);
		pthread_mutex_lock(&e->mu);
		r->next = e->done;
		e->done = r; /* reversed: the drain puts them back in order */
		pthread_mutex_unlock(&e->mu);
		gw_edge_wake(e);
	}
}

bool gw_edge_fwd_start(struct gw_edge *e)
{
	heartbeat(e);
	e->worker_started = pthread_create(&e->worker, NULL, forwarder_main, e) == 0;
	return e->worker_started;
}

void gw_edge_fwd_stop(struct gw_edge *e)
{
	if (!e->worker_started)
		return;
	pthread_mutex_lock(&e->mu);
	e->stop = true;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->worker, NULL);
	e->worker_started = false;
}

static void req_free(struct edge_req *r)
{
	gw_fwd_req_clear(&r->fr);
	gw_fwd_reply_clear(&r->reply);
	json_decref(r->id);
	json_decref(r->resume);
	free(r->text);
	free(r);
}

void gw_edge_fwd_free(struct gw_edge *e)
{
	while (e->all) {
		struct edge_req *next = e->all->all_next;
		req_free(e->all);
		e->all = next;
	}
	e->todo = e->done = e->waiting = NULL;
}

/* --- the gateway thread --- */

static struct conn *conn_by_id(struct gateway *gw, uint64_t id)
{
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &gw->conns)
	{
		struct conn *c = BASE_CONTAINER_OF(node, struct conn, link);
		if (c->id == id)
			return c;
	}
	return NULL;
}

static void send_req(struct gw_edge *e, struct edge_req *r)
{
	r->text = gw_fwd_req_encode(&r->fr, &r->len);
	if (!r->text) {
		r->reply.err = ROOM_EINTERNAL;
		snprintf(r->reply.message, sizeof r->reply.message, "cannot forward the command");
	}
	r->all_next = e->all;
	e->all = r;
	pthread_mutex_lock(&e->mu);
	if (r->text) {
		struct edge_req **tail = &e->todo;
		while (*tail)
			tail = &(*tail)->next;
		*tail = r;
	} else {
		r->next = e->done; /* the forwarder's order: newest first */
		e->done = r;
	}
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->mu);
	if (!r->text)
		gw_edge_wake(e);
}

static struct edge_req *req_for(struct conn *c, struct room *room, json_t *id, enum gw_fwd_op op)
{
	struct gw_edge *e = c->gw->edge;
	struct edge_req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fr.op = op;
	snprintf(r->fr.node, sizeof r->fr.node, "%s", e->node);
	r->fr.conn = c->id;
	snprintf(r->fr.room, sizeof r->fr.room, "%s", room_id(room));
	snprintf(r->fr.pid, sizeof r->fr.pid, "%s", c->pid);
	snprintf(r->fr.name, sizeof r->fr.name, "%s", c->name);
	snprintf(r->fr.group, sizeof r->fr.group, "%s", c->group);
	snprintf(r->fr.lang, sizeof r->fr.lang, "%s", c->lang);
	r->fr.role = c->who.role;
	r->fr.in_room = c->who.in_room;
	r->id = json_incref(id);
	return r;
}

static bool join_pending(struct gw_edge *e, uint64_t conn)
{
	for (struct edge_req *r = e->all; r; r = r->all_next)
		if (r->fr.conn == conn && r->fr.op == GW_FWD_JOIN)
			return true;
	return false;
}

void gw_edge_join(struct conn *c, struct room *room, json_t *id, json_t *resume)
{
	struct gw_edge *e = c->gw->edge;
	if (join_pending(e, c->id)) {
		gw_host_error(c, id, ROOM_ECONFLICT, "this connection is already joining a room");
		return;
	}
	struct edge_req *r = req_for(c, room, id, GW_FWD_JOIN);
	if (!r) {
		gw_host_error(c, id, ROOM_EINTERNAL, "out of memory");
		return;
	}
	r->resume = json_incref(resume);
	send_req(e, r);
}

void gw_edge_forward(struct conn *c, json_t *id, enum gw_fwd_op op, json_t *cmd)
{
	struct edge_req *r = c->room ? req_for(c, c->room, id, op) : NULL;
	if (!r) {
		if (op != GW_FWD_DROP)
			gw_host_error(c, id, ROOM_EINTERNAL, "out of memory");
		return;
	}
	r->fr.cmd = json_incref(cmd);
	send_req(c->gw->edge, r);
}

/* The person the owner attached is gone from this edge before their join was told:
 * the owner lets them go as for any dropped connection. */
static void drop_late_join(struct gw_edge *e, struct edge_req *j)
{
	struct edge_req *r = calloc(1, sizeof *r);
	if (!r)
		return;
	r->fr = j->fr;
	r->fr.cmd = NULL;
	r->fr.op = GW_FWD_DROP;
	send_req(e, r);
}

static void tell(struct gw_edge *e, struct edge_req *r)
{
	struct conn *c = conn_by_id(e->gw, r->fr.conn);
	struct gw_fwd_reply *a = &r->reply;
	if (r->fr.op == GW_FWD_DROP)
		return;
	if (!c) {
		if (r->fr.op == GW_FWD_JOIN && a->err == ROOM_OK)
			drop_late_join(e, r);
		return;
	}
	struct room *room = rooms_find(e->gw->rooms, r->fr.room);
	if (a->err != ROOM_OK) {
		gw_host_error(c, r->id, a->err, a->message);
	} else if (r->fr.op == GW_FWD_JOIN && room) {
		gw_session_join_finish(c, room, r->id, r->resume, a->mic, a->mine);
	} else if (c->room && r->fr.op == GW_FWD_LEAVE) {
		gw_session_leave_finish(c, r->id);
	} else if (c->room) {
		/* (A removal's connections were closed as it was folded: nats_edge_mod.c.) */
		gw_session_ack(c, r->id, a->result ? json_deep_copy(a->result) : NULL);
	}
}

/* Folded far enough for r's answer (or waited long enough: told anyway, the events
 * follow as they are folded). */
static bool ready(struct gw_edge *e, const struct edge_req *r, int64_t now)
{
	struct room *room = rooms_find(e->gw->rooms, r->fr.room);
	return !room || room_head_seq(room) >= r->reply.head || now >= r->deadline_ms;
}

static void unlink_all(struct gw_edge *e, struct edge_req *r)
{
	for (struct edge_req **pp = &e->all; *pp; pp = &(*pp)->all_next)
		if (*pp == r) {
			*pp = r->all_next;
			return;
		}
}

/* In order: an answer waits for those before it, so a client's acks keep their order. */
static void tell_ready(struct gw_edge *e)
{
	int64_t now = gw_now_ms();
	while (e->waiting && ready(e, e->waiting, now)) {
		struct edge_req *r = e->waiting;
		e->waiting = r->next;
		unlink_all(e, r);
		tell(e, r);
		req_free(r);
	}
}

void gw_edge_fwd_drain(struct gw_edge *e)
{
	pthread_mutex_lock(&e->mu);
	struct edge_req *done = e->done;
	e->done = NULL;
	pthread_mutex_unlock(&e->mu);
	struct edge_req *in_order = NULL;
	while (done) {
		struct edge_req *next = done->next;
		done->next = in_order;
		in_order = done;
		done = next;
	}
	struct edge_req **tail = &e->waiting;
	while (*tail)
		tail = &(*tail)->next;
	*tail = in_order;
	for (struct edge_req *r = in_order; r; r = r->next)
		r->deadline_ms = gw_now_ms() + e->n->timeout_ms;
	tell_ready(e);
}
