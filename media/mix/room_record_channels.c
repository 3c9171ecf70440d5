/*
 * The interpretation channels' live streams (listen.ogg?lang=) and recordings
 * (recording.ogg?lang=), beside the floor's (room_record.c). A channel's stream and file
 * carry, tick by tick, what a WebRTC listener of that channel hears: the channel's own
 * frame while an interpreter is on air, the floor's packet otherwise. So they run on the
 * session's timeline like the floor's, with no gap when the booth is empty or changes
 * hands.
 *
 * Both start when the session starts for a channel the mixer already has (a voice was
 * made ready for it before), or when its first voice is made ready during the session
 * (the worker's message, not the tick: the live Ogg writer is allocated there), and end
 * with the session. On an edge, which mixes nothing, they start at the channel's first
 * relayed frame of the session, and the channel's frame of each tick is the one the owner
 * sent with the floor frame played (room_relay.c). A file begun late starts with filler
 * frames for the session so far (the recorder's writer makes them), so sample t of every
 * file of a session is session time t, as in the floor's. The tick only writes into
 * writers and recorder streams that exist (recorder_push copies into its ring: nothing
 * allocated), and retries a recorder_begin the full ring refused, each failed tick adding
 * one frame of lead.
 *
 * The file is <recordings>/<room>/<floor's name>.ch<b + 1>.ogg: the booth's index, which
 * never changes for the room's life (the gateway maps ?lang= to it).
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

static void live_start(struct room_mixer *rm, struct chan_live *cl)
{
	struct room_record *r = &rm->rec;
	char room[MEDIA_ROOM_MAX + 8], title[RECORDER_TITLE_MAX + 16], date[RECORDER_DATE_MAX + 8];
	snprintf(room, sizeof room, "ROOM=%s", rm->id);
	snprintf(title, sizeof title, "SESSION=%s", r->title);
	snprintf(date, sizeof date, "DATE=%s", r->date);
	struct oggopus_config oc = {.serial = r->serial + cl->channel,
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

/* Opens the channel's file; false while the recorder's ring is full (try next tick). */
static bool file_begin(struct room_mixer *rm, struct chan_live *cl)
{
	struct room_record *r = &rm->rec;
	char name[RECORDER_NAME_MAX + 16];
	snprintf(name, sizeof name, "%s.ch%u", r->name, cl->channel);
	struct recorder_session s = {.subdir = rm->id,
				     .name = name,
				     .room = rm->id,
				     .title = r->title,
				     .date = r->date,
				     .pre_skip = r->pre_skip,
				     .serial = r->serial + cl->channel,
				     .lead_packets = cl->lead};
	enum media_err err = recorder_begin(r->recorder, &s, &cl->stream);
	if (err == MEDIA_ERR_FULL)
		return false;
	cl->file_due = false;
	cl->file = err == MEDIA_OK; /* else a bad name, too many files: not recorded */
	return true;
}

void record_channel_start(struct room_mixer *rm, unsigned b)
{
	struct room_record *r = &rm->rec;
	if (b >= MIXER_CHANNELS || !r->live)
		return;
	struct chan_live *cl = &r->chan[b];
	cl->rm = rm;
	cl->channel = b + 1;
	if (rm->channels) /* a frame left from a tick before it started is not this tick's */
		rm->channels->ch[b].fresh = false;
	if (r->pages && !cl->ogg)
		live_start(rm, cl);
	if (r->recorder && !cl->file && !cl->file_due) {
		cl->lead = r->at;
		cl->file_due = true;
		(void)file_begin(rm, cl);
	}
}

static void channel_packet(struct room_record *r, struct chan_live *cl, const uint8_t *pkt,
			   size_t len)
{
	if (cl->ogg)
		(void)!oggopus_write(cl->ogg, pkt, len, RTP_REWRITE_FRAME);
	if (cl->file_due && !file_begin(cl->rm, cl))
		cl->lead++; /* this tick becomes part of the lead */
	else if (cl->file)
		(void)!recorder_push(r->recorder, cl->stream, pkt, len, RTP_REWRITE_FRAME);
}

/* Channel b's own frame of this tick: encoded here this tick, or relayed from the owner. */
static bool channel_frame(struct room_mixer *rm, unsigned b, const uint8_t **p, size_t *len)
{
	if (rm->relay)
		return relay_channel_frame(rm, b, p, len);
	struct mixer_channel *c = rm->channels ? &rm->channels->ch[b] : NULL;
	if (!c || !c->fresh)
		return false;
	c->fresh = false;
	*p = c->payload;
	*len = c->len;
	return c->len > 0;
}

void record_channels(struct room_mixer *rm, const uint8_t *pub, size_t len)
{
	struct room_record *r = &rm->rec;
	for (unsigned b = 0; b < MIXER_CHANNELS; b++) {
		struct chan_live *cl = &r->chan[b];
		if (!cl->ogg && !cl->file && !cl->file_due)
			continue;
		const uint8_t *own;
		size_t own_len;
		if (channel_frame(rm, b, &own, &own_len) && own_len <= RECORDER_MAX_PACKET)
			channel_packet(r, cl, own, own_len);
		else
			channel_packet(r, cl, pub, len);
	}
}

void record_channels_end(struct room_mixer *rm, const struct mixer_env *env)
{
	struct room_record *r = &rm->rec;
	for (unsigned b = 0; b < MIXER_CHANNELS; b++) {
		struct chan_live *cl = &r->chan[b];
		/* A full ring refuses the end: the writer then ends the file when it stops. */
		if (cl->file && env && env->recorder)
			(void)!recorder_end(env->recorder, cl->stream);
		if (cl->ogg) {
			(void)!oggopus_finish(cl->ogg); /* the EOS page goes out through on_page */
			if (r->pages)
				(void)!page_ring_push(r->pages, PAGE_END, rm->id, cl->channel, NULL,
						      0, NULL, 0);
			oggopus_destroy(cl->ogg);
		}
		*cl = (struct chan_live){0};
	}
}
