/*
 * The owner runs edges' commands (nats_cmd.h).
 *
 * Requests and heartbeats arrive on libnats's threads; they are queued as they came and
 * the gateway thread runs them, so the rooms stay single-threaded. A command's answer
 * waits for its events to be committed (gw_flush_sync, as a leave's ack does), which
 * holds the loop for one JetStream round trip per forwarded command that writes: simple
 * and in order; a later slice can answer from the durable report instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/media_glue.h"
#include "gateway/moderation.h"
#include "gateway/nats_cmd.h"
#include "gateway/nats_cmd_msg.h"
#include "gateway/nats_edge_priv.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"
#include "gateway/server.h"

struct cmd_in {
	struct cmd_in *next;
	natsMsg *m;
	bool heartbeat;
};

/* A person connected through an edge: the identity their join carried. */
struct remote {
	struct remote *next;
	struct gw_fwd_req fr; /* node, conn, room, identity; no cmd */
	struct room_identity who;
};

struct edge_node {
	struct edge_node *next;
	char node[GW_FWD_NODE_MAX];
	int64_t last_ms;
};

struct gw_cmd {
	struct gateway *gw;
	struct gw_nats *n;
	natsSubscription *sub_cmd, *sub_hb;
	pthread_mutex_t mu; /* in, stop */
	pthread_cond_t cond;
	struct cmd_in *in, **in_tail;
	pthread_t ticker;
	bool ticker_started, stop;
	struct remote *remotes; /* gateway thread only, as nodes */
	struct edge_node *nodes;
};

static void wake(struct gw_cmd *k)
{
	uint64_t one = 1;
	if (write(k->n->efd, &one, sizeof one) != (ssize_t)sizeof one)
		gw_error("cannot wake the gateway thread", "error=\"%s\"", strerror(errno));
}

static void queue_msg(struct gw_cmd *k, natsMsg *m, bool heartbeat)
{
	struct cmd_in *in = malloc(sizeof *in);
	if (!in) {
		natsMsg_Destroy(m);
		return;
	}
	*in = (struct cmd_in){.m = m, .heartbeat = heartbeat};
	pthread_mutex_lock(&k->mu);
	*k->in_tail = in;
	k->in_tail = &in->next;
	pthread_mutex_unlock(&k->mu);
	wake(k);
}

static void on_cmd(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
	(void)nc, (void)sub;
	queue_msg(closure, m, false);
}

static void on_heartbeat(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
	(void)nc, (void)sub;
	queue_msg(closure, m, true);
}

/* Wakes the loop every second: an edge gone silent is noticed without any message. */
static void *ticker_main(void *arg)
{
	struct gw_cmd *k = arg;
	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		struct timespec at;
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_sec += 1;
		if (pthread_cond_timedwait(&k->cond, &k->mu, &at) == ETIMEDOUT)
			wake(k);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* --- who is where (gateway thread) --- */

static struct edge_node *node_seen(struct gw_cmd *k, const char *node)
{
	struct edge_node *e = k->nodes;
	while (e && strcmp(e->node, node) != 0)
		e = e->next;
	if (!e && gw_fwd_node_valid(node) && (e = calloc(1, sizeof *e)) != NULL) {
		snprintf(e->node, sizeof e->node, "%s", node);
		e->next = k->nodes;
		k->nodes = e;
	}
	if (e)
		e->last_ms = gw_now_ms();
	return e;
}

static struct remote **remote_find(struct gw_cmd *k, const char *node, uint64_t conn)
{
	struct remote **pp = &k->remotes;
	while (*pp && !((*pp)->fr.conn == conn && strcmp((*pp)->fr.node, node) == 0))
		pp = &(*pp)->next;
	return pp;
}

static struct remote *remote_add(struct gw_cmd *k, const struct gw_fwd_req *r)
{
	struct remote *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = *r;
	p->fr.cmd = NULL;
	p->who = (struct room_identity){.pid = p->fr.pid,
					.name = p->fr.name,
					.role = p->fr.role,
					.group = p->fr.group,
					.in_room = p->fr.in_room,
					.lang = p->fr.lang[0] ? p->fr.lang : NULL};
	p->next = k->remotes;
	k->remotes = p;
	return p;
}

/* Drops one remote participant: with leave they leave now, else their grace starts. */
static void remote_remove(struct gw_cmd *k, struct remote **pp, bool leave)
{
	struct remote *p = *pp;
	struct room *room = rooms_find(k->gw->rooms, p->fr.room);
	if (room)
		room_detach(room, &p->who, leave, gw_now_ms());
	*pp = p->next;
	free(p);
	gw_schedule_flush(k->gw);
}

static void drop_dead_edges(struct gw_cmd *k)
{
	int64_t now = gw_now_ms();
	for (struct edge_node **pp = &k->nodes; *pp;) {
		struct edge_node *e = *pp;
		if (now - e->last_ms < GW_CMD_EDGE_DEAD_MS) {
			pp = &e->next;
			continue;
		}
		size_t n = 0;
		for (struct remote **rp = &k->remotes; *rp;)
			if (strcmp((*rp)->fr.node, e->node) == 0)
				remote_remove(k, rp, false), n++;
			else
				rp = &(*rp)->next;
		if (n)
			gw_warn("edge: no heartbeat; its people's connections count as dropped",
				"node=%s people=%zu", e->node, n);
		*pp = e->next;
		free(e);
	}
}

/* --- running a request --- */

/* Commits what the command wrote before the answer; a rollback is `internal`. */
static void commit(struct gw_cmd *k, struct room *room, struct gw_fwd_reply *a)
{
	int64_t want = room_head_seq(room);
	gw_flush_sync(k->gw);
	a->head = room_head_seq(room);
	if (a->head < want && a->err == ROOM_OK) {
		a->err = ROOM_EINTERNAL;
		snprintf(a->message, sizeof a->message, "the event could not be stored");
	}
}

static void fail(struct gw_fwd_reply *a, enum room_err err, const char *why)
{
	a->err = err;
	const char *text = why ? why : room_err_code(err);
	size_t n = strlen(text);
	if (n >= sizeof a->message)
		n = sizeof a->message - 1; /* a reason a chair wrote may be long: cut */
	memcpy(a->message, text, n);
	a->message[n] = '\0';
}

/* Attaches the person of r as a remote participant: NULL (a failed) if they may not. */
static struct remote *attach(struct gw_cmd *k, struct room *room, const struct gw_fwd_req *r,
			     struct gw_fwd_reply *a)
{
	const char *by = NULL, *reason = NULL;
	char why[400];
	if (room_removed(room, r->pid, &by, &reason)) {
		snprintf(why, sizeof why, "you were removed from this room by a chair (%s)%s%s", by,
			 reason[0] ? ": " : "", reason);
		fail(a, ROOM_EFORBIDDEN, why);
		return NULL;
	}
	struct remote *p = remote_add(k, r);
	if (!p) {
		fail(a, ROOM_EINTERNAL, "out of memory");
		return NULL;
	}
	enum room_err err = room_attach(room, &p->who, gw_now_ms());
	if (err != ROOM_OK) {
		k->remotes = p->next; /* remote_add put it first */
		free(p);
		fail(a, err, "cannot join");
		return NULL;
	}
	return p;
}

static void run_join(struct gw_cmd *k, struct room *room, const struct gw_fwd_req *r,
		     struct gw_fwd_reply *a)
{
	if (*remote_find(k, r->node, r->conn)) {
		fail(a, ROOM_ECONFLICT, "this connection has already joined a room");
		return;
	}
	if (!attach(k, room, r, a))
		return;
	commit(k, room, a);
	a->mic = room_mic_open(room, r->pid);
	a->mine = room_private_state(room, r->pid);
}

/* A participant.remove sent from an edge: this node's own connections of that person
 * are closed as for a chair of its own (the edge closes its). */
static void kick_removed(struct gw_cmd *k, struct room *room, const char *pid, const char *chair)
{
	const char *by = NULL, *reason = NULL;
	if (!pid || !room_removed(room, pid, &by, &reason))
		return;
	json_t *notice = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "type", "private", "kind",
				   "removed", "data", "pid", pid, "by", by, "by_name", chair);
	if (notice && reason[0])
		json_object_set_new(json_object_get(notice, "data"), "reason", json_string(reason));
	gw_host_kick(gw_host_for(k->gw, room), pid, NULL, notice, GW_CLOSE_REMOVED,
		     "removed by a chair");
	json_decref(notice);
}

static void run_cmd(struct gw_cmd *k, struct room *room, struct remote *p,
		    const struct gw_fwd_req *r, struct gw_fwd_reply *a)
{
	const char *type = json_string_value(json_object_get(r->cmd, "type"));
	const char *why = NULL;
	json_t *result = NULL;
	if (strcmp(type, "caption") == 0)
		gw_media_tell_talkers(k->gw, room);
	enum room_err err = room_command(room, &p->who, type, r->cmd, gw_now_ms(), &result, &why);
	if (err != ROOM_OK) {
		a->head = room_head_seq(room);
		{
			fail(a, err, why);
			return;
		}
	}
	a->result = result;
	commit(k, room, a);
	if (a->err == ROOM_OK && strcmp(type, "participant.remove") == 0)
		kick_removed(k, room, json_string_value(json_object_get(r->cmd, "pid")),
			     p->fr.name);
}

static void run(struct gw_cmd *k, const struct gw_fwd_req *r, struct gw_fwd_reply *a)
{
	struct room *room = rooms_find(k->gw->rooms, r->room);
	if (!room) {
		fail(a, ROOM_ENOT_FOUND, "no such room");
		return;
	}
	if (r->op == GW_FWD_JOIN) {
		run_join(k, room, r, a);
		return;
	}
	struct remote **pp = remote_find(k, r->node, r->conn);
	if (*pp && strcmp((*pp)->fr.room, r->room) != 0) {
		fail(a, ROOM_EUNAUTHORIZED, "join a room first");
		return;
	}
	if (!*pp && r->op == GW_FWD_DROP) {
		a->head = room_head_seq(room); /* gone already (an edge silent too long) */
		return;
	}
	/* A connection the owner does not know (it restarted, or dropped a silent edge's
	 * people) is still joined on its edge, which has checked it: attached again, with the
	 * identity every request carries, as a client of its own would join again. */
	if (!*pp && !attach(k, room, r, a))
		return;
	pp = remote_find(k, r->node, r->conn);
	if (r->op == GW_FWD_CMD) {
		run_cmd(k, room, *pp, r, a);
		return;
	}
	remote_remove(k, pp, r->op == GW_FWD_LEAVE);
	if (r->op == GW_FWD_LEAVE)
		commit(k, room, a);
	else
		a->head = room_head_seq(room);
}

static void answer(struct gw_cmd *k, natsMsg *m)
{
	struct gw_fwd_req r;
	struct gw_fwd_reply a = {0};
	char why[160];
	if (gw_fwd_req_parse(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), &r, why,
			     sizeof why)) {
		if (!gw_lease_owns(k->gw, r.room)) {
			/* A standby (or a fenced owner) hears the room's subject too: the owner
			 * answers; a second answer could only race it. */
			gw_fwd_req_clear(&r);
			return;
		}
		node_seen(k, r.node);
		run(k, &r, &a);
	} else {
		gw_warn("edge: a forwarded request refused", "why=\"%s\"", why);
		fail(&a, ROOM_EBAD_REQUEST, why);
	}
	size_t len = 0;
	char *text = gw_fwd_reply_encode(&a, &len);
	const char *reply = natsMsg_GetReply(m);
	if (text && reply)
		natsConnection_Publish(k->n->nc, reply, text, (int)len);
	free(text);
	gw_fwd_req_clear(&r);
	gw_fwd_reply_clear(&a);
}

void gw_cmd_drain(struct gateway *gw)
{
	struct gw_cmd *k = gw->cmd;
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	struct cmd_in *in = k->in;
	k->in = NULL;
	k->in_tail = &k->in;
	pthread_mutex_unlock(&k->mu);
	while (in) {
		struct cmd_in *next = in->next;
		if (in->heartbeat) {
			char node[GW_FWD_NODE_MAX];
			snprintf(node, sizeof node, "%.*s", natsMsg_GetDataLength(in->m),
				 natsMsg_GetData(in->m));
			node_seen(k, node);
		} else {
			answer(k, in->m);
		}
		natsMsg_Destroy(in->m);
		free(in);
		in = next;
	}
	drop_dead_edges(k);
}

struct gw_cmd *gw_cmd_start(struct gateway *gw, char *err, size_t err_cap)
{
	struct gw_cmd *k = calloc(1, sizeof *k);
	if (!k) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	k->gw = gw;
	k->n = gw->nats;
	k->in_tail = &k->in;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cond, NULL);
	natsStatus s = natsConnection_Subscribe(&k->sub_cmd, k->n->nc,
						GW_NATS_SUBJECT_PREFIX "*.cmd", on_cmd, k);
	if (s == NATS_OK)
		s = natsConnection_Subscribe(&k->sub_hb, k->n->nc, GW_EDGE_HEARTBEAT_SUBJECT,
					     on_heartbeat, k);
	k->ticker_started = s == NATS_OK && pthread_create(&k->ticker, NULL, ticker_main, k) == 0;
	if (!k->ticker_started) {
		snprintf(err, err_cap, "cannot listen for edges' commands: %s",
			 natsStatus_GetText(s));
		gw_cmd_stop(k);
		gw_cmd_free(k);
		return NULL;
	}
	return k;
}

void gw_cmd_stop(struct gw_cmd *k)
{
	if (!k)
		return;
	natsSubscription_Unsubscribe(k->sub_cmd);
	natsSubscription_Unsubscribe(k->sub_hb);
	if (k->ticker_started) {
		pthread_mutex_lock(&k->mu);
		k->stop = true;
		pthread_cond_signal(&k->cond);
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->ticker, NULL);
		k->ticker_started = false;
	}
}

void gw_cmd_free(struct gw_cmd *k)
{
	if (!k)
		return;
	natsSubscription_Destroy(k->sub_cmd);
	natsSubscription_Destroy(k->sub_hb);
	while (k->in) {
		struct cmd_in *next = k->in->next;
		natsMsg_Destroy(k->in->m);
		free(k->in);
		k->in = next;
	}
	while (k->remotes) {
		struct remote *next = k->remotes->next;
		free(k->remotes);
		k->remotes = next;
	}
	while (k->nodes) {
		struct edge_node *next = k->nodes->next;
		free(k->nodes);
		k->nodes = next;
	}
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cond);
	free(k);
}
