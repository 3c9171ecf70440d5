/*
 * A room's sound between nodes over core NATS (nats_media.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/logging.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_log.h"
#include "gateway/nats_media.h"
#include "gateway/nats_media_wire.h"
#include "gateway/nats_priv.h"
#include "gateway/server.h"
#include "media/media.h"

/* 512 slots of 1.4 KB: 10 s of a floor alone, a second of a floor and nine channels. */
#define RING_SLOTS    512
#define SUBJECT_MEDIA "media"
#define SUBJECT_MIC   "mic"

struct out_slot {
	char room[MEDIA_ROOM_MAX + 1];
	bool mic;
	uint16_t len;
	uint8_t data[GW_MEDIA_WIRE_MAX];
};

/* An edge's subscription to one room's stream. */
struct room_sub {
	struct room_sub *next;
	struct gw_nats_media *nm;
	char room[MEDIA_ROOM_MAX + 1];
	natsSubscription *sub;
};

struct gw_nats_media {
	struct gateway *gw;
	natsConnection *nc;
	bool edge;

	/* The ring: producers (media workers) write at head, the publisher reads at tail. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct out_slot *slots;
	size_t head, tail; /* free-running; head - tail <= RING_SLOTS */
	bool stop;
	pthread_t publisher;
	bool publisher_started;

	/* What the subscriptions push into: NULL once stopping (push_mu). */
	pthread_mutex_t push_mu;
	struct media *media;
	natsSubscription *mics; /* an owner's */
	struct room_sub *rooms; /* an edge's; gateway thread */

	atomic_uint_fast64_t published, dropped, received, refused;
};

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static bool subject(const char *room, const char *what, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s.%s", GW_NATS_SUBJECT_PREFIX, room, what);
	return n > 0 && (size_t)n < cap;
}

/* --- out: the taps (media workers) and the publisher ------------------------------------- */

/* A worker thread: one copy into the ring, or a drop. */
static void enqueue(struct gw_nats_media *nm, const char *room, bool mic, const void *f)
{
	size_t room_len = strlen(room);
	if (room_len > MEDIA_ROOM_MAX) {
		count(&nm->dropped);
		return;
	}
	pthread_mutex_lock(&nm->mu);
	if (nm->stop || nm->head - nm->tail == RING_SLOTS) {
		pthread_mutex_unlock(&nm->mu);
		count(&nm->dropped);
		return;
	}
	struct out_slot *s = &nm->slots[nm->head % RING_SLOTS];
	size_t len = mic ? gw_media_wire_mic(f, s->data, sizeof s->data)
			 : gw_media_wire_frame(f, s->data, sizeof s->data);
	if (len) {
		memcpy(s->room, room, room_len + 1);
		s->mic = mic;
		s->len = (uint16_t)len;
		nm->head++;
		pthread_cond_signal(&nm->cond);
	}
	pthread_mutex_unlock(&nm->mu);
	if (!len)
		count(&nm->dropped);
}

static void on_encoded(void *ctx, const struct media_frame *f)
{
	enqueue(ctx, f->room, false, f);
}

static void on_mic_frame(void *ctx, const struct media_mic_frame *f)
{
	enqueue(ctx, f->room, true, f);
}

/* The publisher thread. A frame of a room this node no longer serves is not sent: a
 * fenced owner's leftover sound (a desk still feeding it) must not mix with the new
 * owner's on the edges. */
static void publish(struct gw_nats_media *nm, const struct out_slot *s)
{
	char subj[GW_NATS_SUBJECT_MAX + 8];
	if (!s->mic && !gw_lease_owns(nm->gw, s->room))
		return;
	if (!subject(s->room, s->mic ? SUBJECT_MIC : SUBJECT_MEDIA, subj, sizeof subj) ||
	    natsConnection_Publish(nm->nc, subj, s->data, s->len) != NATS_OK) {
		count(&nm->dropped);
		return;
	}
	count(&nm->published);
}

static void *publisher_main(void *arg)
{
	struct gw_nats_media *nm = arg;
	pthread_mutex_lock(&nm->mu);
	for (;;) {
		while (nm->head == nm->tail && !nm->stop)
			pthread_cond_wait(&nm->cond, &nm->mu);
		if (nm->stop)
			break;
		size_t from = nm->tail, to = nm->head;
		pthread_mutex_unlock(&nm->mu);
		/* Slots between tail and head are the publisher's until tail moves past them. */
		for (size_t i = from; i != to; i++)
			publish(nm, &nm->slots[i % RING_SLOTS]);
		pthread_mutex_lock(&nm->mu);
		nm->tail = to;
	}
	pthread_mutex_unlock(&nm->mu);
	return NULL;
}

/* --- in: the subscriptions (libnats threads) --------------------------------------------- */

static void push_frame(struct gw_nats_media *nm, struct media_frame *f, natsMsg *msg)
{
	char pid[MEDIA_PID_MAX + 1];
	enum gw_media_wire_err err = gw_media_wire_read_frame(
	    (const uint8_t *)natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), f, pid);
	enum media_err merr = MEDIA_ERR_STATE;
	if (err == GW_MEDIA_WIRE_OK) {
		pthread_mutex_lock(&nm->push_mu);
		if (nm->media)
			merr = media_relay_push(nm->media, f);
		pthread_mutex_unlock(&nm->push_mu);
	} else {
		gw_debug("a relayed frame refused", "room=%s error=\"%s\"", f->room,
			 gw_media_wire_strerror(err));
	}
	count(merr == MEDIA_OK ? &nm->received : &nm->refused);
}

static void on_room_frame(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct room_sub *rs = closure;
	struct media_frame f = {.room = rs->room};
	(void)nc, (void)sub;
	push_frame(rs->nm, &f, msg);
	natsMsg_Destroy(msg);
}

/* "plenary.room.<id>.mic" to id; false for any other subject. */
static bool mic_subject_room(const char *subj, char *id, size_t cap)
{
	size_t pre = sizeof GW_NATS_SUBJECT_PREFIX - 1, suf = sizeof "." SUBJECT_MIC - 1;
	size_t n = subj ? strlen(subj) : 0;
	if (n <= pre + suf || strncmp(subj, GW_NATS_SUBJECT_PREFIX, pre) != 0 ||
	    strcmp(subj + n - suf, "." SUBJECT_MIC) != 0 || n - pre - suf >= cap)
		return false;
	memcpy(id, subj + pre, n - pre - suf);
	id[n - pre - suf] = '\0';
	return rooms_valid_id(id);
}

static void on_mic(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct gw_nats_media *nm = closure;
	char room[MEDIA_ROOM_MAX + 1], pid[MEDIA_PID_MAX + 1];
	struct media_mic_frame f = {.room = room};
	enum media_err merr = MEDIA_ERR_PARAM;
	(void)nc, (void)sub;
	if (mic_subject_room(natsMsg_GetSubject(msg), room, sizeof room) &&
	    gw_media_wire_read_mic((const uint8_t *)natsMsg_GetData(msg),
				   (size_t)natsMsg_GetDataLength(msg), &f,
				   pid) == GW_MEDIA_WIRE_OK) {
		pthread_mutex_lock(&nm->push_mu);
		if (nm->media)
			merr = media_remote_mic_push(nm->media, &f);
		pthread_mutex_unlock(&nm->push_mu);
	}
	count(merr == MEDIA_OK ? &nm->received : &nm->refused);
	natsMsg_Destroy(msg);
}

/* --- life ---------------------------------------------------------------------------------- */

struct gw_nats_media *gw_nats_media_open(struct gateway *gw, bool edge)
{
	struct gw_nats_media *nm = calloc(1, sizeof *nm);
	if (!nm)
		return NULL;
	nm->gw = gw;
	nm->nc = gw->nats->nc;
	nm->edge = edge;
	nm->slots = calloc(RING_SLOTS, sizeof *nm->slots);
	pthread_mutex_init(&nm->mu, NULL);
	pthread_cond_init(&nm->cond, NULL);
	pthread_mutex_init(&nm->push_mu, NULL);
	nm->publisher_started =
	    nm->slots && pthread_create(&nm->publisher, NULL, publisher_main, nm) == 0;
	if (!nm->publisher_started) {
		gw_nats_media_free(nm);
		return NULL;
	}
	return nm;
}

void gw_nats_media_taps(struct gw_nats_media *nm, struct media_options *opt)
{
	if (!nm)
		return;
	opt->tap_ctx = nm;
	if (nm->edge)
		opt->on_mic_frame = on_mic_frame;
	else
		opt->on_encoded = on_encoded;
}

bool gw_nats_media_start(struct gw_nats_media *nm, struct media *m)
{
	char subj[GW_NATS_SUBJECT_MAX + 8];
	pthread_mutex_lock(&nm->push_mu);
	nm->media = m;
	pthread_mutex_unlock(&nm->push_mu);
	if (nm->edge)
		return true;
	return subject("*", SUBJECT_MIC, subj, sizeof subj) &&
	       natsConnection_Subscribe(&nm->mics, nm->nc, subj, on_mic, nm) == NATS_OK;
}

bool gw_nats_media_follow(struct gw_nats_media *nm, const char *room)
{
	char subj[GW_NATS_SUBJECT_MAX + 8];
	if (!nm || !nm->edge || !nm->media || strlen(room) > MEDIA_ROOM_MAX)
		return false;
	enum media_err err = media_room_relay(nm->media, room, true);
	if (err != MEDIA_OK) {
		gw_error("cannot relay the room's sound", "room=%s error=\"%s\"", room,
			 media_strerror(err));
		return false;
	}
	struct room_sub *rs = calloc(1, sizeof *rs);
	if (!rs || !subject(room, SUBJECT_MEDIA, subj, sizeof subj)) {
		free(rs);
		return false;
	}
	rs->nm = nm;
	memcpy(rs->room, room, strlen(room) + 1);
	rs->next = nm->rooms;
	nm->rooms = rs;
	return natsConnection_Subscribe(&rs->sub, nm->nc, subj, on_room_frame, rs) == NATS_OK;
}

void gw_nats_media_stop(struct gw_nats_media *nm)
{
	if (!nm)
		return;
	pthread_mutex_lock(&nm->push_mu);
	nm->media = NULL;
	pthread_mutex_unlock(&nm->push_mu);
	if (nm->mics)
		natsSubscription_Unsubscribe(nm->mics);
	for (struct room_sub *rs = nm->rooms; rs; rs = rs->next)
		if (rs->sub)
			natsSubscription_Unsubscribe(rs->sub);
	pthread_mutex_lock(&nm->mu);
	nm->stop = true;
	pthread_cond_signal(&nm->cond);
	pthread_mutex_unlock(&nm->mu);
	if (nm->publisher_started)
		pthread_join(nm->publisher, NULL);
	nm->publisher_started = false;
}

void gw_nats_media_free(struct gw_nats_media *nm)
{
	if (!nm)
		return;
	gw_nats_media_stop(nm);
	natsSubscription_Destroy(nm->mics);
	while (nm->rooms) {
		struct room_sub *next = nm->rooms->next;
		natsSubscription_Destroy(nm->rooms->sub);
		free(nm->rooms);
		nm->rooms = next;
	}
	pthread_mutex_destroy(&nm->push_mu);
	pthread_cond_destroy(&nm->cond);
	pthread_mutex_destroy(&nm->mu);
	free(nm->slots);
	free(nm);
}

void gw_nats_media_read_stats(const struct gw_nats_media *nm, struct gw_nats_media_stats *out)
{
	*out = (struct gw_nats_media_stats){0};
	if (!nm)
		return;
	out->published = atomic_load_explicit(&nm->published, memory_order_relaxed);
	out->dropped = atomic_load_explicit(&nm->dropped, memory_order_relaxed);
	out->received = atomic_load_explicit(&nm->received, memory_order_relaxed);
	out->refused = atomic_load_explicit(&nm->refused, memory_order_relaxed);
}
