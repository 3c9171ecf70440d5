/*
 * An edge folds its rooms from JetStream (nats_edge.h): one ordered push consumer per
 * room subject, starting after the last line the room's file holds; each message is
 * copied on libnats's thread into a list and the gateway thread folds it.
 *
 * Why fold by log seq rather than trust the consumer's order alone: a re-made
 * subscription may deliver again what was folded, and a gap must never be papered over.
 * So a line at or below the room's head is skipped, the next one is adopted (rooms_adopt
 * checks the chain), and anything else -- a gap, a line that does not chain -- is
 * refused, logged, and the subscription is made again from the last line folded. A line
 * refused twice in a row stays refused (the room stops advancing, and says so in the
 * log, /healthz and /metrics) rather than spinning on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/nats_edge.h"
#include "gateway/nats_edge_priv.h"
#include "gateway/nats_live.h"
#include "gateway/nats_log.h"
#include "gateway/nats_media.h"
#include "gateway/nats_priv.h"
#include "gateway/server.h"

void gw_edge_wake(struct gw_edge *e)
{
	uint64_t one = 1;
	if (write(e->n->efd, &one, sizeof one) != (ssize_t)sizeof one)
		gw_error("cannot wake the gateway thread", "error=\"%s\"", strerror(errno));
}

/* libnats's thread: the message, copied, to the gateway thread. */
static void on_line(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
	(void)nc, (void)sub;
	struct edge_room *er = closure;
	struct gw_edge *e = er->e;
	jsMsgMetaData *meta = NULL;
	size_t len = (size_t)natsMsg_GetDataLength(m);
	struct edge_line *l = NULL;
	if (natsMsg_GetMetaData(&meta, m) == NATS_OK)
		l = malloc(sizeof *l + len + 1);
	if (l) {
		*l = (struct edge_line){.room = er,
					.sseq = meta->Sequence.Stream,
					.pending = meta->NumPending,
					.len = len + 1};
		memcpy(l->data, natsMsg_GetData(m), len);
		l->data[len] = '\n';
		pthread_mutex_lock(&e->mu);
		*e->lines_tail = l;
		e->lines_tail = &l->next;
		pthread_mutex_unlock(&e->mu);
		gw_edge_wake(e);
	} else {
		gw_error("cannot take a line of the room's log", "room=%s", er->id);
	}
	jsMsgMetaData_Destroy(meta);
	natsMsg_Destroy(m);
}

static bool subscribe_room(struct gw_edge *e, struct edge_room *er)
{
	char subject[GW_NATS_SUBJECT_MAX];
	if (!gw_nats_subject(er->id, subject, sizeof subject))
		return false;
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Stream = GW_NATS_STREAM;
	so.Ordered = true;
	so.Config.DeliverPolicy = er->applied_sseq ? js_DeliverByStartSequence : js_DeliverAll;
	so.Config.OptStartSeq = er->applied_sseq + 1;
	jsErrCode jerr = 0;
	natsStatus s = js_Subscribe(&er->sub, e->n->js, subject, on_line, er, NULL, &so, &jerr);
	if (s != NATS_OK)
		gw_error("cannot follow the room's subject", "room=%s status=\"%s\" code=%d",
			 er->id, natsStatus_GetText(s), (int)jerr);
	return s == NATS_OK;
}

static void resync(struct gw_edge *e, struct edge_room *er, const char *why)
{
	gw_warn("re-following the room's subject from the last line folded",
		"room=%s reason=\"%s\" from_sseq=%" PRIu64, er->id, why, er->applied_sseq + 1);
	natsSubscription_Unsubscribe(er->sub);
	natsSubscription_Destroy(er->sub);
	er->sub = NULL;
	er->resyncs++;
	e->resyncs++;
	if (!subscribe_room(e, er))
		gw_error("the room no longer follows JetStream", "room=%s", er->id);
}

static void fold_line(struct gw_edge *e, struct edge_line *l)
{
	struct edge_room *er = l->room;
	struct room *room = rooms_find(e->gw->rooms, er->id);
	int64_t seq;
	if (!room || l->sseq <= er->applied_sseq)
		return;
	bool parsed = gw_nats_line_seq(l->data, l->len - 1, &seq);
	if (parsed && seq + (int64_t)l->pending > er->seen)
		er->seen = seq + (int64_t)l->pending;
	int64_t head = room_head_seq(room);
	if (parsed && seq <= head) {
		er->applied_sseq = l->sseq;
		return;
	}
	if (parsed && seq == head + 1 && rooms_adopt(e->gw->rooms, room, l->data, l->len)) {
		er->applied_sseq = l->sseq;
		gw_edge_moderate(e->gw, room, l->data, l->len);
		return;
	}
	e->refused++;
	gw_error("refused a line of the room's subject: it does not continue the room's log",
		 "room=%s sseq=%" PRIu64 " seq=%" PRId64 " head=%" PRId64, er->id, l->sseq,
		 parsed ? seq : -1, head);
	if (er->refused_sseq == l->sseq)
		return;
	er->refused_sseq = l->sseq;
	resync(e, er, parsed && seq > head + 1 ? "a gap" : "a line that does not chain");
}

/* The run of lines from l on that continue the room's head one after the other, adopted
 * as one batch -- one sync, as the owner's group commit -- when it is two or more. Returns
 * the line after the run, or l when there is no such run or the batch was refused (the
 * room is then as before, and fold_line takes the lines one by one and names the bad one). */
static struct edge_line *fold_run(struct gw_edge *e, struct edge_line *l)
{
	struct edge_room *er = l->room;
	struct room *room = rooms_find(e->gw->rooms, er->id);
	int64_t want = room ? room_head_seq(room) + 1 : 0, seq = 0, last_seq = 0;
	size_t total = 0, n = 0;
	struct edge_line *k = l, *last = NULL;
	for (; room && k && k->room == er && k->sseq > er->applied_sseq &&
	       gw_nats_line_seq(k->data, k->len - 1, &seq) && seq == want;
	     k = k->next, want++, n++) {
		total += k->len;
		last = k;
		last_seq = seq;
	}
	char *buf = n >= 2 ? malloc(total) : NULL;
	if (!buf)
		return l;
	size_t at = 0;
	for (struct edge_line *i = l; i != k; i = i->next) {
		memcpy(buf + at, i->data, i->len);
		at += i->len;
	}
	bool ok = rooms_adopt(e->gw->rooms, room, buf, total);
	if (ok)
		gw_edge_moderate(e->gw, room, buf, total);
	free(buf);
	if (!ok)
		return l;
	gw_debug("edge: folded a run of lines in one sync", "room=%s lines=%zu", er->id, n);
	er->applied_sseq = last->sseq;
	if (last_seq + (int64_t)last->pending > er->seen)
		er->seen = last_seq + (int64_t)last->pending;
	return k;
}

static void fold_lines(struct gw_edge *e)
{
	pthread_mutex_lock(&e->mu);
	struct edge_line *l = e->lines;
	e->lines = NULL;
	e->lines_tail = &e->lines;
	pthread_mutex_unlock(&e->mu);
	while (l) {
		struct edge_line *after = fold_run(e, l);
		if (after == l) {
			after = l->next;
			fold_line(e, l);
		}
		while (l != after) {
			struct edge_line *next = l->next;
			free(l);
			l = next;
		}
	}
}

static void take_new_rooms(struct gw_edge *e);

void gw_edge_drain(struct gateway *gw)
{
	if (!gw->edge)
		return;
	take_new_rooms(gw->edge);
	fold_lines(gw->edge);
	gw_live_drain(gw->edge);
	gw_edge_fwd_drain(gw->edge);
}

/* "edge-" and 8 random hex digits: a restarted edge is a new node, whose people the
 * owner lets go when the old one's heartbeat stops. */
static bool make_node_id(char *out, size_t cap)
{
	unsigned char raw[4];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return false;
	snprintf(out, cap, "edge-%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3]);
	return true;
}

/* Follows room from after stream sequence applied_sseq (0: from the subject's start). */
static bool follow_room(struct gw_edge *e, struct room *room, uint64_t applied_sseq)
{
	struct edge_room *er = calloc(1, sizeof *er);
	if (!er)
		return false;
	er->e = e;
	snprintf(er->id, sizeof er->id, "%s", room_id(room));
	er->seen = room_head_seq(room);
	er->applied_sseq = applied_sseq;
	er->next = e->rooms;
	e->rooms = er;
	/* Without the sound the room still works (its listeners hear nothing): said, not fatal. */
	if (!gw_nats_media_follow(e->gw->nats_media, er->id))
		gw_error("the room's sound is not relayed here", "room=%s", er->id);
	return subscribe_room(e, er) && gw_live_follow(e, er->id);
}

static bool follow_rooms(struct gw_edge *e, char *err, size_t err_cap)
{
	for (size_t i = 0; i < rooms_count(e->gw->rooms); i++) {
		struct room *room = rooms_at(e->gw->rooms, i);
		/* Where reconcile left the subject, if it knows: else from the start. */
		uint64_t applied = 0;
		pthread_mutex_lock(&e->n->pub_mu);
		struct nats_subject_pos *p = gw_nats_pos(e->n, room_id(room));
		if (p && p->known)
			applied = p->sseq;
		pthread_mutex_unlock(&e->n->pub_mu);
		if (!gw_edge_know(e, room_id(room)) || !follow_room(e, room, applied)) {
			snprintf(err, err_cap, "room %s: cannot follow its subject", room_id(room));
			return false;
		}
	}
	return true;
}

/* A room made on another node since the edge started (nats_edge_new.c found it and read
 * it): its file, the room, and following it from after what was read. */
static void take_new_room(struct gw_edge *e, struct edge_new_room *nr)
{
	char err[256];
	struct room *room = NULL;
	if (rooms_find(e->gw->rooms, nr->id))
		return;
	if (rooms_log_extend(e->gw->cfg.data_dir, nr->id, nr->lines, nr->len, err, sizeof err))
		room = rooms_load(e->gw->rooms, nr->id, gw_now_ms());
	else
		gw_error("edge: cannot write a new room's log", "room=%s error=\"%s\"", nr->id,
			 err);
	if (room && follow_room(e, room, nr->sseq))
		gw_info("edge: following a room made since start", "room=%s seq=%lld", nr->id,
			(long long)room_head_seq(room));
	else if (room)
		gw_error("edge: cannot follow a new room's subject", "room=%s", nr->id);
}

static void take_new_rooms(struct gw_edge *e)
{
	pthread_mutex_lock(&e->mu);
	struct edge_new_room *nr = e->new_rooms;
	e->new_rooms = NULL;
	pthread_mutex_unlock(&e->mu);
	while (nr) {
		struct edge_new_room *next = nr->next;
		take_new_room(e, nr);
		free(nr->lines);
		free(nr);
		nr = next;
	}
}

struct gw_edge *gw_edge_start(struct gateway *gw, char *err, size_t err_cap)
{
	struct gw_edge *e = calloc(1, sizeof *e);
	if (!e) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	e->gw = gw;
	e->n = gw->nats;
	e->lines_tail = &e->lines;
	e->lives_tail = &e->lives;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cond, NULL);
	if (!make_node_id(e->node, sizeof e->node) || !follow_rooms(e, err, err_cap) ||
	    !gw_edge_fwd_start(e)) {
		if (!err[0])
			snprintf(err, err_cap, "cannot start the edge's forwarder");
		gw_edge_stop(e);
		gw_edge_free(e);
		return NULL;
	}
	gw_info("edge: following rooms from JetStream", "node=%s rooms=%zu", e->node,
		rooms_count(gw->rooms));
	return e;
}

void gw_edge_stop(struct gw_edge *e)
{
	if (!e)
		return;
	for (struct edge_room *er = e->rooms; er; er = er->next) {
		natsSubscription_Unsubscribe(er->sub);
		natsSubscription_Destroy(er->sub);
		er->sub = NULL;
	}
	gw_live_unfollow(e);
	gw_edge_fwd_stop(e);
}

void gw_edge_free(struct gw_edge *e)
{
	if (!e)
		return;
	gw_edge_fwd_free(e);
	gw_live_free(e);
	gw_edge_new_free(e);
	while (e->lines) {
		struct edge_line *next = e->lines->next;
		free(e->lines);
		e->lines = next;
	}
	while (e->rooms) {
		struct edge_room *next = e->rooms->next;
		free(e->rooms);
		e->rooms = next;
	}
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cond);
	free(e);
}

/* --- role and lag --- */

static struct edge_room *edge_room_of(struct gw_edge *e, const char *id)
{
	for (struct edge_room *er = e ? e->rooms : NULL; er; er = er->next)
		if (strcmp(er->id, id) == 0)
			return er;
	return NULL;
}

static json_t *room_role(struct gateway *gw, struct room *room)
{
	int64_t head = room_head_seq(room);
	struct edge_room *er = edge_room_of(gw->edge, room_id(room));
	int64_t seen = er && er->seen > head ? er->seen : head;
	return json_pack("{s:s,s:I,s:I,s:I}", "role", gw->cfg.edge ? "edge" : "owner", "seq",
			 (json_int_t)head, "seen", (json_int_t)seen, "lag",
			 (json_int_t)(seen - head));
}

json_t *gw_nats_roles(struct gateway *gw, bool all)
{
	if (!gw->nats)
		return NULL;
	json_t *rooms = json_object();
	for (size_t i = 0; rooms && i < rooms_count(gw->rooms); i++) {
		struct room *room = rooms_at(gw->rooms, i);
		if (all || room_visibility(room) == ROOM_VISIBILITY_PUBLIC)
			json_object_set_new(rooms, room_id(room), room_role(gw, room));
	}
	return rooms;
}

char *gw_nats_roles_metrics(struct gateway *gw, bool all, size_t *len)
{
	json_t *rooms = gw_nats_roles(gw, all);
	char *out = NULL;
	size_t cap = 0;
	FILE *f = open_memstream(&out, &cap);
	if (!f) {
		json_decref(rooms);
		return NULL;
	}
	if (rooms)
		fputs("# TYPE plenary_room_edge gauge\n# TYPE plenary_room_lag_events gauge\n", f);
	const char *id;
	json_t *v;
	json_object_foreach(rooms, id, v)
	{
		bool edge = strcmp(json_string_value(json_object_get(v, "role")), "edge") == 0;
		fprintf(f, "plenary_room_edge{room=\"%s\"} %d\n", id, edge);
		fprintf(f,
			"plenary_room_lag_events{room=\"%s\",role=\"%s\"} %" JSON_INTEGER_FORMAT
			"\n",
			id, edge ? "edge" : "owner", json_integer_value(json_object_get(v, "lag")));
	}
	json_decref(rooms);
	fclose(f);
	*len = cap;
	return out;
}
