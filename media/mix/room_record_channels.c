/*
 * The interpretation channels' live streams (listen.ogg?lang=), beside the floor's
 * (room_record.c). A channel's stream carries, tick by tick, what a WebRTC listener of
 * that channel hears: the channel's own frame while an interpreter is on air, the floor's
 * packet otherwise. So it runs on the session's timeline like the floor's stream, with no
 * gap when the booth is empty or changes hands.
 *
 * A stream starts when the session starts for a channel the mixer already has (a voice
 * was made ready for it before), or when its first voice is made ready during the
 * session (the worker's message, not the tick: the Ogg writer is allocated there). It
 * ends with the session. The tick only writes into writers that exist.
 */
#include "media/mix/room_mixer_internal.h"

#include <stdio.h>

static int on_page(void *arg, const uint8_t *h, size_t hlen, const uint8_t *b, size_t blen)
{
	struct chan_live *cl = arg;
	struct room_record *r = &cl->rm->rec;
	/* A full ring drops the page and counts it, as for the floor. */
	if (cl->started && r->pages)
		(void)!page_ring_push(r->pages, PAGE_DATA, cl->rm->id, cl->channel, h, hlen, b,
				      blen);
	return 0;
}

void record_channel_start(struct room_mixer *rm, unsigned b)
{
	struct room_record *r = &rm->rec;
	if (b >= MIXER_CHANNELS || !r->live || !r->pages || r->chan[b].ogg)
		return;
	struct chan_live *cl = &r->chan[b];
	char room[MEDIA_ROOM_MAX + 8], title[RECORDER_TITLE_MAX + 16], date[RECORDER_DATE_MAX + 8];
	snprintf(room, sizeof room, "ROOM=%s", rm->id);
	snprintf(title, sizeof title, "SESSION=%s", r->title);
	snprintf(date, sizeof date, "DATE=%s", r->date);
	*cl = (struct chan_live){.rm = rm, .channel = b + 1};
	struct oggopus_config oc = {.serial = r->serial + b + 1,
				    .channels = 1,
				    .pre_skip = r->pre_skip,
				    .vendor = "plenary",
				    .tags = {room, title, date},
				    .on_page = on_page,
				    .arg = cl};
	if (oggopus_create(&oc, &cl->ogg) != MEDIA_OK)
		return;
	if (oggopus_start(cl->ogg) != MEDIA_OK) {
		oggopus_destroy(cl->ogg);
		cl->ogg = NULL;
		return;
	}
	const uint8_t *head;
	size_t len;
	oggopus_headers(cl->ogg, &head, &len);
	(void)!page_ring_push(r->pages, PAGE_BEGIN, rm->id, cl->channel, head, len, NULL, 0);
	cl->started = true;
}

void record_channels(struct room_mixer *rm, const uint8_t *pub, size_t len)
{
	struct room_record *r = &rm->rec;
	for (unsigned b = 0; b < MIXER_CHANNELS; b++) {
		struct chan_live *cl = &r->chan[b];
		if (!cl->ogg)
			continue;
		struct mixer_channel *c = rm->channels ? &rm->channels->ch[b] : NULL;
		if (c && c->fresh && c->len > 0)
			(void)!oggopus_write(cl->ogg, c->payload, c->len, RTP_REWRITE_FRAME);
		else
			(void)!oggopus_write(cl->ogg, pub, len, RTP_REWRITE_FRAME);
		if (c)
			c->fresh = false;
	}
}

void record_channels_end(struct room_mixer *rm)
{
	struct room_record *r = &rm->rec;
	for (unsigned b = 0; b < MIXER_CHANNELS; b++) {
		struct chan_live *cl = &r->chan[b];
		if (!cl->ogg)
			continue;
		(void)!oggopus_finish(cl->ogg); /* the EOS page goes out through on_page */
		if (r->pages)
			(void)!page_ring_push(r->pages, PAGE_END, rm->id, cl->channel, NULL, 0,
					      NULL, 0);
		oggopus_destroy(cl->ogg);
		*cl = (struct chan_live){0};
	}
}
