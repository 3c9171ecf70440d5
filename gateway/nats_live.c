/*
 * Live and private messages from an owner to its edges (nats_live.h).
 *
 * Published on the gateway thread as they are made (libnats buffers; nothing waits), and
 * only ever sent on: no subject but the room's own, no answer expected. An edge hands what
 * arrives to its gateway thread through the same list-and-eventfd as the log's lines, and
 * sends it through its own fan-out exactly as a message its rooms had made.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/nats_edge_priv.h"
#include "gateway/nats_live.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"
#include "gateway/server.h"

#define HDR_PID	 "Plenary-Pid"
#define HDR_ROLE "Plenary-Role"

static bool subject_of(const char *room, const char *what, char *out, size_t cap)
{
	if (!rooms_valid_id(room))
		return false;
	int n = snprintf(out, cap, "%s%s.%s", GW_NATS_SUBJECT_PREFIX, room, what);
	return n > 0 && (size_t)n < cap;
}

static void publish(struct gateway *gw, struct room *room, bool private_msg, const char *pid,
		    enum room_role role, const char *msg, size_t len)
{
	char subject[GW_NATS_SUBJECT_MAX + 8];
	natsMsg *m = NULL;
	if (!subject_of(room_id(room), private_msg ? "private" : "live", subject, sizeof subject))
		return;
	natsStatus s = natsMsg_Create(&m, subject, NULL, msg, (int)len);
	if (s == NATS_OK && private_msg)
		s = pid ? natsMsgHeader_Set(m, HDR_PID, pid)
			: natsMsgHeader_Set(m, HDR_ROLE, room_role_name(role));
	if (s == NATS_OK)
		s = natsConnection_PublishMsg(gw->nats->nc, m);
	natsMsg_Destroy(m);
	if (s != NATS_OK)
		gw_debug("a live message did not go to the edges", "room=%s status=\"%s\"",
			 room_id(room), natsStatus_GetText(s));
}

static void live_out(void *ctx, struct room *room, const char *msg, size_t len)
{
	struct rooms_sink own = gw_fanout_sink(ctx);
	own.live(own.ctx, room, msg, len);
	publish(ctx, room, false, NULL, ROOM_ROLE_CHAIR, msg, len);
}

static void private_out(void *ctx, struct room *room, const char *pid, enum room_role role,
			const char *msg, size_t len)
{
	struct rooms_sink own = gw_fanout_sink(ctx);
	own.private_msg(own.ctx, room, pid, role, msg, len);
	publish(ctx, room, true, pid, role, msg, len);
}

void gw_live_sink(struct gateway *gw, struct rooms_sink *sink)
{
	if (!gw->nats)
		return;
	sink->live = gw->cfg.edge ? NULL : live_out;
	sink->private_msg = gw->cfg.edge ? NULL : private_out;
}

/* --- the edge --- */

static struct edge_live *copy_in(struct edge_live_sub *ls, natsMsg *m, bool private_msg)
{
	size_t len = (size_t)natsMsg_GetDataLength(m);
	struct edge_live *l = calloc(1, sizeof *l + len);
	if (!l)
		return NULL;
	snprintf(l->room, sizeof l->room, "%s", ls->room);
	l->private_msg = private_msg;
	l->len = len;
	memcpy(l->data, natsMsg_GetData(m), len);
	if (!private_msg)
		return l;
	/* To one person, or to a role's connections: a message that says neither is dropped. */
	const char *pid = NULL, *role = NULL;
	if (natsMsgHeader_Get(m, HDR_PID, &pid) == NATS_OK && pid && pid[0] &&
	    strlen(pid) < sizeof l->pid) {
		snprintf(l->pid, sizeof l->pid, "%s", pid);
		return l;
	}
	if (natsMsgHeader_Get(m, HDR_ROLE, &role) == NATS_OK && role &&
	    room_role_parse(role, &l->role))
		return l;
	free(l);
	return NULL;
}

static void on_message(natsMsg *m, struct edge_live_sub *ls, bool private_msg)
{
	struct gw_edge *e = ls->e;
	struct edge_live *l = copy_in(ls, m, private_msg);
	natsMsg_Destroy(m);
	if (!l)
		return;
	pthread_mutex_lock(&e->mu);
	*e->lives_tail = l;
	e->lives_tail = &l->next;
	pthread_mutex_unlock(&e->mu);
	gw_edge_wake(e);
}

static void on_live(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
	(void)nc, (void)sub;
	on_message(m, closure, false);
}

static void on_private(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
	(void)nc, (void)sub;
	on_message(m, closure, true);
}

bool gw_live_follow(struct gw_edge *e, const char *room)
{
	char live[GW_NATS_SUBJECT_MAX + 8], priv[GW_NATS_SUBJECT_MAX + 8];
	struct edge_live_sub *ls = calloc(1, sizeof *ls);
	if (!ls || !subject_of(room, "live", live, sizeof live) ||
	    !subject_of(room, "private", priv, sizeof priv)) {
		free(ls);
		return false;
	}
	ls->e = e;
	snprintf(ls->room, sizeof ls->room, "%s", room);
	ls->next = e->live_subs;
	e->live_subs = ls;
	return natsConnection_Subscribe(&ls->live, e->n->nc, live, on_live, ls) == NATS_OK &&
	       natsConnection_Subscribe(&ls->private_msg, e->n->nc, priv, on_private, ls) ==
		   NATS_OK;
}

void gw_live_drain(struct gw_edge *e)
{
	pthread_mutex_lock(&e->mu);
	struct edge_live *l = e->lives;
	e->lives = NULL;
	e->lives_tail = &e->lives;
	pthread_mutex_unlock(&e->mu);
	struct rooms_sink own = gw_fanout_sink(e->gw);
	while (l) {
		struct edge_live *next = l->next;
		struct room *room = rooms_find(e->gw->rooms, l->room);
		if (room && l->private_msg)
			own.private_msg(own.ctx, room, l->pid[0] ? l->pid : NULL, l->role, l->data,
					l->len);
		else if (room)
			own.live(own.ctx, room, l->data, l->len);
		free(l);
		l = next;
	}
}

void gw_live_unfollow(struct gw_edge *e)
{
	for (struct edge_live_sub *ls = e->live_subs; ls; ls = ls->next) {
		natsSubscription_Unsubscribe(ls->live);
		natsSubscription_Unsubscribe(ls->private_msg);
	}
}

void gw_live_free(struct gw_edge *e)
{
	while (e->live_subs) {
		struct edge_live_sub *next = e->live_subs->next;
		natsSubscription_Destroy(e->live_subs->live);
		natsSubscription_Destroy(e->live_subs->private_msg);
		free(e->live_subs);
		e->live_subs = next;
	}
	while (e->lives) {
		struct edge_live *next = e->lives->next;
		free(e->lives);
		e->lives = next;
	}
}
