/*
 * The owner lease's reads of the room log (nats_lease_priv.h), on the lease worker: the
 * catch-up of a room just taken -- what its JetStream subject holds past this node's
 * copy, handed to the gateway thread -- a standby's lag behind the subject, and the rooms
 * other nodes made since this one started (their subjects), so it stands by for them too.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/logging.h"
#include "gateway/nats_lease_priv.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"

/* Reads the subject past local_seq and sets the log's position to its end (no one else
 * writes while this node holds the lease: the old owner stopped before it lapsed). */
static bool catch_up(struct gw_lease *l, const char *room_id, int64_t local_seq, char **lines,
		     size_t *len)
{
	struct gw_nats *n = l->nats;
	struct gw_nats_lines g = {.after = local_seq};
	char err[256] = "";
	uint64_t sseq = 0;
	int64_t seq = 0;
	pthread_mutex_lock(&n->pub_mu);
	struct nats_subject_pos *p = gw_nats_pos(n, room_id);
	bool ok = p && gw_nats_last(n, room_id, &sseq, &seq, NULL, NULL);
	if (ok && seq > local_seq)
		ok = gw_nats_read_subject(n->js, room_id, sseq, gw_nats_lines_after, &g, err,
					  sizeof err);
	if (ok) {
		p->sseq = sseq;
		p->known = true;
	}
	pthread_mutex_unlock(&n->pub_mu);
	if (!ok) {
		gw_warn("cannot catch the room up from JetStream yet", "room=%s error=\"%s\"",
			room_id, err);
		free(g.buf);
		return false;
	}
	*lines = g.buf;
	*len = g.len;
	return true;
}

void gw_lease_hand_over(struct gw_lease *l, struct lease_room *r, int64_t local_seq)
{
	char *lines = NULL;
	size_t len = 0;
	if (!catch_up(l, r->room_id, local_seq, &lines, &len))
		return;
	pthread_mutex_lock(&l->mu);
	if (r->catch_up && gw_lease_holds(&r->st, gw_lease_mono_ms())) {
		r->catch_up = false;
		r->lag = 0;
		gw_lease_post_news(l, r, LEASE_ACQUIRED, lines, len);
		lines = NULL;
	}
	pthread_mutex_unlock(&l->mu);
	free(lines);
}

/* Standby: how far behind the owner this node's copy is, about once a second. */
void gw_lease_measure_lag(struct gw_lease *l, struct lease_room *r, int64_t local_seq)
{
	uint64_t sseq;
	int64_t seq;
	pthread_mutex_lock(&l->nats->pub_mu);
	bool ok = gw_nats_last(l->nats, r->room_id, &sseq, &seq, NULL, NULL);
	pthread_mutex_unlock(&l->nats->pub_mu);
	pthread_mutex_lock(&l->mu);
	r->lag = ok ? seq - local_seq : -1;
	pthread_mutex_unlock(&l->mu);
}

/* One room's due work, mu held on entry and on return. */

/* Reads room's whole subject for the gateway thread (FOUND), or leaves the entry to be
 * tried again at the next discovery. */
static void found(struct gw_lease *l, struct lease_room *r)
{
	struct gw_nats *n = l->nats;
	struct gw_nats_lines g = {.after = 0};
	char err[256] = "";
	uint64_t sseq = 0;
	int64_t seq = 0;
	pthread_mutex_lock(&n->pub_mu);
	bool ok =
	    gw_nats_last(n, r->room_id, &sseq, &seq, NULL, NULL) && seq > 0 &&
	    gw_nats_read_subject(n->js, r->room_id, sseq, gw_nats_lines_after, &g, err, sizeof err);
	pthread_mutex_unlock(&n->pub_mu);
	pthread_mutex_lock(&l->mu);
	if (ok) {
		r->found_posted = true;
		gw_lease_post_news(l, r, LEASE_FOUND, g.buf, g.len);
		g.buf = NULL;
	}
	pthread_mutex_unlock(&l->mu);
	free(g.buf);
}

/* The room ids of the stream's subjects, through fn. false if JetStream did not answer. */
static bool each_subject(struct gw_nats *n, void (*fn)(void *ctx, const char *id), void *ctx)
{
	jsOptions o;
	jsOptions_Init(&o);
	o.Stream.Info.SubjectsFilter = GW_NATS_SUBJECT_PREFIX "*.log";
	jsStreamInfo *si = NULL;
	if (js_GetStreamInfo(&si, n->js, GW_NATS_STREAM, &o, NULL) != NATS_OK)
		return false;
	const jsStreamStateSubjects *subjects = si->State.Subjects;
	for (int i = 0; subjects && i < subjects->Count; i++) {
		char id[80];
		if (gw_nats_subject_room(subjects->List[i].Subject, id, sizeof id))
			fn(ctx, id);
	}
	jsStreamInfo_Destroy(si);
	return true;
}

static void note_subject(void *ctx, const char *id)
{
	struct gw_lease *l = ctx;
	pthread_mutex_lock(&l->mu);
	struct lease_room *r = gw_lease_find(l, id);
	if (!r && (r = gw_lease_insert(l, id, 0)) != NULL)
		r->unloaded = true;
	pthread_mutex_unlock(&l->mu);
}

void gw_lease_discover(struct gw_lease *l)
{
	if (!each_subject(l->nats, note_subject, l))
		return;
	pthread_mutex_lock(&l->mu);
	for (struct lease_room *r = l->rooms; r; r = r->next) {
		if (!r->unloaded || r->found_posted)
			continue;
		pthread_mutex_unlock(&l->mu);
		found(l, r);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
}
