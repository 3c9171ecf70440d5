/*
 * The owner lease on the gateway thread (nats_lease.h): which rooms this node serves,
 * taking a room over once the worker caught it up, letting it go when the lease is lost,
 * and what /healthz and /metrics say about it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/media_glue.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_lease_priv.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"
#include "gateway/server.h"

void gw_lease_add_room(struct gateway *gw, const char *room_id, int64_t head_seq)
{
	struct gw_lease *l = gw->lease;
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	if (!gw_lease_find(l, room_id) && !gw_lease_insert(l, room_id, head_seq))
		gw_error("out of memory for a room's lease", "room=%s", room_id);
	pthread_mutex_unlock(&l->mu);
}

bool gw_lease_claim_now(struct gateway *gw, const char *room_id)
{
	struct gw_lease *l = gw->lease;
	if (!l)
		return true;
	char owner[640];
	uint64_t rev = 0;
	int64_t sent;
	enum gw_lease_result res = gw_lease_try_claim(l, room_id, &rev, &sent, owner, sizeof owner);
	pthread_mutex_lock(&l->mu);
	struct lease_room *r = gw_lease_find(l, room_id);
	if (!r)
		r = gw_lease_insert(l, room_id, 0);
	if (r && owner[0])
		snprintf(r->owner, sizeof r->owner, "%s", owner);
	bool took = r && r->st.role == GW_LEASE_STANDBY &&
		    gw_lease_claimed(&r->st, &l->t, res, rev, sent, gw_lease_mono_ms());
	if (took) {
		r->serving = true; /* new, or just caught up from JetStream at start */
		r->lag = 0;
	}
	pthread_mutex_unlock(&l->mu);
	struct room *room = gw->rooms ? rooms_find(gw->rooms, room_id) : NULL;
	if (room)
		room_set_passive(room, !took, gw_now_ms());
	if (took)
		gw_info("serving the room as its owner", "room=%s node=%s", room_id, l->node);
	else
		gw_info("the room's owner lease is held elsewhere (or NATS did not answer): "
			"standby for it",
			"room=%s node=%s", room_id, l->node);
	return took;
}

/* The worker read the subject past local_seq; the room takes what it does not hold. */
static bool adopt_tail(struct gateway *gw, struct room *room, const char *lines, size_t len)
{
	/* A standby's own timers may have left a batch pending (refused, not written): out
	 * of the way first, so the room stands on its committed end. */
	gw_flush(gw);
	int64_t head = room_head_seq(room);
	size_t at = 0;
	while (at < len) {
		const char *nl = memchr(lines + at, '\n', len - at);
		int64_t seq;
		if (!nl || !gw_nats_line_seq(lines + at, (size_t)(nl - (lines + at)), &seq))
			return false;
		if (seq > head)
			break;
		at = (size_t)(nl - lines) + 1;
	}
	return at == len || rooms_adopt(gw->rooms, room, lines + at, len - at);
}

static void acquired(struct gateway *gw, struct lease_room *r, const char *lines, size_t len)
{
	struct room *room = rooms_find(gw->rooms, r->room_id);
	int64_t from = room ? room_head_seq(room) : 0;
	if (!room || !adopt_tail(gw, room, lines, len)) {
		gw_error("cannot take the room over: its JetStream log does not continue this "
			 "node's; not serving it (restart plenaryd to catch it up)",
			 "room=%s", r->room_id);
		pthread_mutex_lock(&gw->lease->mu);
		r->broken = true;
		pthread_mutex_unlock(&gw->lease->mu);
		return;
	}
	pthread_mutex_lock(&gw->lease->mu);
	r->serving = true;
	pthread_mutex_unlock(&gw->lease->mu);
	room_set_passive(room, false, gw_now_ms());
	gw_media_remote_gates(gw, room);
	gw_info("serving the room as its owner", "room=%s caught_up_from=%" PRId64 " seq=%" PRId64,
		r->room_id, from, room_head_seq(room));
}

/* A room another node made since this one started: its log copied here and loaded, as
 * its standby. */
static void found(struct gateway *gw, struct lease_room *r, const char *lines, size_t len)
{
	char err[300] = "";
	struct room *room = rooms_find(gw->rooms, r->room_id);
	if (!room && rooms_log_extend(gw->cfg.data_dir, r->room_id, lines, len, err, sizeof err))
		room = rooms_load(gw->rooms, r->room_id, gw_now_ms());
	if (!room) {
		gw_error("cannot stand by for a room another node made", "room=%s error=\"%s\"",
			 r->room_id, err);
		return; /* stays unloaded: never claimed here */
	}
	room_set_passive(room, true, gw_now_ms());
	pthread_mutex_lock(&gw->lease->mu);
	r->local_seq = room_head_seq(room);
	r->unloaded = false;
	pthread_mutex_unlock(&gw->lease->mu);
	gw_info("standby for a room another node made", "room=%s seq=%" PRId64, r->room_id,
		room_head_seq(room));
}

static void lost(struct gateway *gw, struct lease_room *r)
{
	pthread_mutex_lock(&gw->lease->mu);
	r->serving = false;
	pthread_mutex_unlock(&gw->lease->mu);
	struct room *room = rooms_find(gw->rooms, r->room_id);
	if (!room)
		return;
	room_set_passive(room, true, gw_now_ms());
	pthread_mutex_lock(&gw->lease->mu);
	r->local_seq = room_head_seq(room);
	pthread_mutex_unlock(&gw->lease->mu);
	struct room_host *h = gw_host_for(gw, room);
	size_t n =
	    h ? gw_host_close_all(h, GW_CLOSE_MOVED, "this node no longer serves the room") : 0;
	gw_warn("closed the room's connections: this node no longer serves the room",
		"room=%s conns=%zu", r->room_id, n);
}

void gw_lease_drain(struct gateway *gw)
{
	struct gw_lease *l = gw->lease;
	uint64_t count;
	if (read(l->efd, &count, sizeof count) < 0 && errno != EAGAIN)
		gw_error("cannot read the lease eventfd", "error=\"%s\"", strerror(errno));
	pthread_mutex_lock(&l->mu);
	struct lease_event *e = l->events;
	l->events = NULL;
	l->events_tail = &l->events;
	pthread_mutex_unlock(&l->mu);
	for (struct lease_event *i = e; i; i = i->next) {
		if (i->kind == LEASE_ACQUIRED)
			acquired(gw, i->room, i->lines ? i->lines : "", i->len);
		else if (i->kind == LEASE_FOUND)
			found(gw, i->room, i->lines ? i->lines : "", i->len);
		else
			lost(gw, i->room);
	}
	/* The flush runs the rooms' clock too: a room taken over has timers again. */
	if (e)
		gw_schedule_flush(gw);
	gw_lease_free_events(e);
}

bool gw_lease_owns(const struct gateway *gw, const char *room_id)
{
	struct gw_lease *l = gw->lease;
	if (!l)
		return true;
	pthread_mutex_lock(&l->mu);
	const struct lease_room *r = gw_lease_find(l, room_id);
	bool owns = r && r->serving && gw_lease_holds(&r->st, gw_lease_mono_ms());
	pthread_mutex_unlock(&l->mu);
	return owns;
}

/* Who holds room_id's lease as this node last saw it (the lease's value); "" unknown. */
static void lease_owner(const struct gateway *gw, const char *room_id, char *out, size_t cap)
{
	struct gw_lease *l = gw->lease;
	out[0] = '\0';
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	const struct lease_room *r = gw_lease_find(l, room_id);
	if (r)
		snprintf(out, cap, "%s", r->owner);
	pthread_mutex_unlock(&l->mu);
}

void gw_lease_refusal(const struct gateway *gw, const char *room_id, char *out, size_t cap,
		      char *url_out, size_t url_cap)
{
	char owner[640];
	lease_owner(gw, room_id, owner, sizeof owner);
	json_t *v = owner[0] ? json_loads(owner, 0, NULL) : NULL;
	const char *node = json_string_value(json_object_get(v, "node"));
	const char *url = json_string_value(json_object_get(v, "url"));
	bool elsewhere = node && strcmp(node, gw->lease->node) != 0;
	if (elsewhere)
		snprintf(out, cap, "this node (%s) is a standby for the room; its owner is %s%s%s",
			 gw->lease->node, node, url && url[0] ? " at " : "", url ? url : "");
	else
		snprintf(out, cap,
			 "this node (%s) does not serve the room right now (no owner, or taking it "
			 "over); try again shortly",
			 gw->lease->node);
	snprintf(url_out, url_cap, "%s", elsewhere && url ? url : "");
	json_decref(v);
}

/* --- /healthz and /metrics --- */

struct lease_view {
	char room_id[65];
	bool owner;
	char owner_node[128];
	int64_t lag;
};

/* The entry as seen now (under mu). */
static void view_of(const struct gw_lease *l, const struct lease_room *r, struct lease_view *v)
{
	snprintf(v->room_id, sizeof v->room_id, "%s", r->room_id);
	v->owner = r->serving && gw_lease_holds(&r->st, gw_lease_mono_ms());
	v->lag = v->owner ? 0 : r->lag;
	v->owner_node[0] = '\0';
	json_t *val = r->owner[0] ? json_loads(r->owner, 0, NULL) : NULL;
	const char *node = json_string_value(json_object_get(val, "node"));
	if (node)
		snprintf(v->owner_node, sizeof v->owner_node, "%s", node);
	json_decref(val);
	(void)l;
}

void gw_lease_health(const struct gateway *gw, json_t *obj, bool (*show)(void *, const char *),
		     void *ctx)
{
	struct gw_lease *l = gw->lease;
	if (!l)
		return;
	json_t *rooms = json_object();
	pthread_mutex_lock(&l->mu);
	for (const struct lease_room *r = l->rooms; r && rooms; r = r->next) {
		struct lease_view v;
		if (show && !show(ctx, r->room_id))
			continue;
		view_of(l, r, &v);
		json_t *one = json_pack("{s:s}", "role", v.owner ? "owner" : "standby");
		if (one && v.owner_node[0])
			json_object_set_new(one, "owner", json_string(v.owner_node));
		if (one && v.lag >= 0)
			json_object_set_new(one, "lag", json_integer(v.lag));
		struct room *room = rooms_find(gw->rooms, v.room_id);
		if (one && room) /* the last event this node holds, as an edge says it */
			json_object_set_new(one, "seq", json_integer(room_head_seq(room)));
		json_object_set_new(rooms, v.room_id, one);
	}
	pthread_mutex_unlock(&l->mu);
	json_object_set_new(obj, "node", json_string(l->node));
	json_object_set_new(obj, "rooms", rooms);
}

static bool append(char **text, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool append(char **text, size_t *len, size_t *cap, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line)
		return false;
	if (*len + (size_t)n + 1 > *cap) {
		size_t grown_cap = (*len + (size_t)n + 1) * 2;
		char *grown = realloc(*text, grown_cap);
		if (!grown)
			return false;
		*text = grown;
		*cap = grown_cap;
	}
	memcpy(*text + *len, line, (size_t)n + 1);
	*len += (size_t)n;
	return true;
}

/* One family's samples: lag (plenary_room_lag_events) or not (plenary_room_owner). */
static bool metric_family(const struct gw_lease *l, bool lag, char **text, size_t *len, size_t *cap,
			  bool (*show)(void *, const char *), void *ctx)
{
	bool ok = append(text, len, cap, "%s",
			 lag ? "# HELP plenary_room_lag_events How many events a standby's copy "
			       "of the room is behind its JetStream subject.\n"
			       "# TYPE plenary_room_lag_events gauge\n"
			     : "# HELP plenary_room_owner 1 if this node owns the room now, 0 if "
			       "it is the room's standby.\n# TYPE plenary_room_owner gauge\n");
	for (const struct lease_room *r = l->rooms; ok && r; r = r->next) {
		struct lease_view v;
		if (show && !show(ctx, r->room_id))
			continue;
		view_of(l, r, &v);
		if (!lag)
			ok = append(text, len, cap,
				    "plenary_room_owner{room=\"%s\",node=\"%s\"} %d\n", v.room_id,
				    l->node, v.owner ? 1 : 0);
		else if (v.lag >= 0)
			ok = append(text, len, cap,
				    "plenary_room_lag_events{room=\"%s\"} %" PRId64 "\n", v.room_id,
				    v.lag);
	}
	return ok;
}

void gw_lease_metrics(const struct gateway *gw, char **text, size_t *len,
		      bool (*show)(void *, const char *), void *ctx)
{
	struct gw_lease *l = gw->lease;
	if (!l || !*text)
		return;
	size_t cap = *len + 1;
	pthread_mutex_lock(&l->mu);
	if (metric_family(l, false, text, len, &cap, show, ctx))
		metric_family(l, true, text, len, &cap, show, ctx);
	pthread_mutex_unlock(&l->mu);
}
