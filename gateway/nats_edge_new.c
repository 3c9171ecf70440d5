/*
 * Rooms made since an edge started (nats_edge.h): the forwarder thread looks at the
 * stream's subjects every few seconds; a room it does not know is read whole from its
 * subject there -- off the gateway thread, since reading waits on JetStream -- and handed
 * to the gateway thread, which writes its file, loads it and follows its subject from
 * after what was read. A room that cannot be read is tried again at the next look.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/logging.h"
#include "gateway/nats_edge_priv.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"

bool gw_edge_know(struct gw_edge *e, const char *id)
{
	struct edge_known *k = calloc(1, sizeof *k);
	if (!k)
		return false;
	snprintf(k->id, sizeof k->id, "%s", id);
	k->next = e->known;
	e->known = k;
	return true;
}

static bool known(const struct gw_edge *e, const char *id)
{
	for (const struct edge_known *k = e->known; k; k = k->next)
		if (strcmp(k->id, id) == 0)
			return true;
	return false;
}

struct gather {
	char *buf;
	size_t len, cap;
};

static bool gather_line(void *ctx, const char *line, size_t len)
{
	struct gather *g = ctx;
	return gw_nats_append_line(&g->buf, &g->len, &g->cap, line, len);
}

/* Reads the room and hands it over; false to try again later. */
static bool read_new_room(struct gw_edge *e, const char *id)
{
	uint64_t sseq = 0;
	int64_t seq = 0;
	char err[256];
	struct gather g = {0};
	struct edge_new_room *nr = NULL;
	bool ok = gw_nats_last(e->n, id, &sseq, &seq, NULL, NULL) && sseq > 0 &&
		  gw_nats_read_subject(e->n->js, id, sseq, gather_line, &g, err, sizeof err) &&
		  (nr = calloc(1, sizeof *nr)) != NULL;
	if (!ok) {
		free(g.buf);
		return false;
	}
	snprintf(nr->id, sizeof nr->id, "%s", id);
	nr->sseq = sseq;
	nr->lines = g.buf;
	nr->len = g.len;
	pthread_mutex_lock(&e->mu);
	nr->next = e->new_rooms;
	e->new_rooms = nr;
	pthread_mutex_unlock(&e->mu);
	gw_edge_wake(e);
	return true;
}

void gw_edge_discover(struct gw_edge *e)
{
	jsOptions o;
	jsOptions_Init(&o);
	o.Stream.Info.SubjectsFilter = GW_NATS_SUBJECT_PREFIX "*.log";
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	if (js_GetStreamInfo(&si, e->n->js, GW_NATS_STREAM, &o, &jerr) != NATS_OK)
		return; /* NATS away: the next look */
	const jsStreamStateSubjects *subjects = si->State.Subjects;
	for (int i = 0; subjects && i < subjects->Count; i++) {
		char id[65];
		if (gw_nats_subject_room(subjects->List[i].Subject, id, sizeof id) &&
		    !known(e, id) && read_new_room(e, id) && !gw_edge_know(e, id))
			gw_error("edge: out of memory", "room=%s", id);
	}
	jsStreamInfo_Destroy(si);
}

void gw_edge_new_free(struct gw_edge *e)
{
	while (e->known) {
		struct edge_known *next = e->known->next;
		free(e->known);
		e->known = next;
	}
	while (e->new_rooms) {
		struct edge_new_room *next = e->new_rooms->next;
		free(e->new_rooms->lines);
		free(e->new_rooms);
		e->new_rooms = next;
	}
}
