/*
 * A room session's recording and live stream: while the session is live, every tick's
 * public packet -- the mix, the forwarded voice's own packet, a DTX packet, or a one-byte
 * filler when there is none -- goes to two places:
 *
 *   recorder_push      the recorder's thread writes it to
 *                      <recordings>/<room>/<name>.ogg (no disk I/O on the tick)
 *   oggopus_write      the live writer's pages go into the worker's page ring, and the
 *                      gateway serves them as listen.ogg (headers first, as a BEGIN record)
 *
 * One packet per tick, whatever happens, is what keeps sample t of the file at session
 * time t, so captions' offset_ms line up with the audio. The file starts with the
 * session's lead (the frames between the session's start and the worker hearing of it,
 * made by the recorder's writer, not here). A recorder_begin refused because the ring was
 * full is retried every tick, each failed tick adding one frame of lead.
 *
 * The two Ogg streams carry the same packets and the same serial, but the live one starts
 * at this worker's start of the session, without the lead: a live listener has no use for
 * silence from before they came.
 */
#include "media/mix/room_mixer_internal.h"

#include <stdio.h>
#include <string.h>

#define FILLER_TOC 0xF8 /* CELT fullband 20 ms mono, code 0: until a real packet is seen */

static int on_page(void *arg, const uint8_t *h, size_t hlen, const uint8_t *b, size_t blen)
{
	struct room_mixer *rm = arg;
	/* A full ring drops the page and counts it; the stream goes on. */
	if (rm->rec.pages)
		(void)!page_ring_push(rm->rec.pages, PAGE_DATA, rm->id, 0, h, hlen, b, blen);
	return 0;
}

static enum media_err live_begin(struct room_mixer *rm, const struct mixer_env *env)
{
	struct room_record *r = &rm->rec;
	char room[MEDIA_ROOM_MAX + 8], title[RECORDER_TITLE_MAX + 16], date[RECORDER_DATE_MAX + 8];
	snprintf(room, sizeof room, "ROOM=%s", rm->id);
	snprintf(title, sizeof title, "SESSION=%s", r->title);
	snprintf(date, sizeof date, "DATE=%s", r->date);
	struct oggopus_config oc = {.serial = r->serial,
				    .channels = 1,
				    .pre_skip = r->pre_skip,
				    .vendor = "plenary",
				    .tags = {room, title, date},
				    .on_page = on_page,
				    .arg = rm};
	r->pages = NULL; /* the header pages go as one BEGIN record, below */
	if (oggopus_create(&oc, &r->ogg) != MEDIA_OK)
		return MEDIA_ERR_NOMEM;
	if (oggopus_start(r->ogg) != MEDIA_OK) {
		oggopus_destroy(r->ogg);
		r->ogg = NULL;
		return MEDIA_ERR_NOMEM;
	}
	const uint8_t *head;
	size_t len;
	oggopus_headers(r->ogg, &head, &len);
	(void)!page_ring_push(env->pages, PAGE_BEGIN, rm->id, 0, head, len, NULL, 0);
	r->pages = env->pages;
	return MEDIA_OK;
}

/* Opens the file; false while the recorder's ring is full (try again next tick). */
static bool file_begin(struct room_mixer *rm, const struct mixer_env *env)
{
	struct room_record *r = &rm->rec;
	struct recorder_session s = {.subdir = rm->id,
				     .name = r->name,
				     .room = rm->id,
				     .title = r->title,
				     .date = r->date,
				     .pre_skip = r->pre_skip,
				     .serial = r->serial,
				     .lead_packets = r->lead};
	enum media_err err = recorder_begin(env->recorder, &s, &r->stream);
	if (err == MEDIA_ERR_FULL)
		return false;
	r->begin_due = false;
	if (err != MEDIA_OK)
		r->stream = -1; /* a bad name, too many files: this session is not recorded */
	return true;
}

void record_begin(struct room_mixer *rm, const struct mixer_env *env, const struct mixer_session *s,
		  enum media_err *err)
{
	struct room_record *r = &rm->rec;
	snprintf(r->name, sizeof r->name, "%s", s->name ? s->name : "");
	snprintf(r->title, sizeof r->title, "%s", s->title ? s->title : "");
	snprintf(r->date, sizeof r->date, "%s", s->date ? s->date : "");
	r->lead = s->lead_packets;
	r->at = s->lead_packets;
	r->recorder = r->name[0] != '\0' ? env->recorder : NULL;
	r->serial = s->serial;
	r->pre_skip = codec_encoder_lookahead(rm->enc);
	r->last_toc = FILLER_TOC;
	r->stream = -1;
	r->live = true;
	if (rm->relay)
		relay_session_begin(rm);
	r->begin_due = env->recorder != NULL && r->name[0] != '\0';
	if (r->begin_due)
		(void)file_begin(rm, env);
	if (env->pages)
		*err = live_begin(rm, env);
	for (unsigned b = 0; rm->channels && b < MIXER_CHANNELS; b++)
		if (rm->channels->ch[b].enc)
			record_channel_start(rm, b);
}

void record_end(struct room_mixer *rm, const struct mixer_env *env)
{
	struct room_record *r = &rm->rec;
	if (!r->live)
		return;
	r->live = false;
	r->begin_due = false;
	/* A full ring refuses the end: the writer then ends the file when it stops. */
	if (r->stream >= 0 && env && env->recorder)
		(void)!recorder_end(env->recorder, r->stream);
	r->stream = -1;
	if (r->ogg) {
		(void)!oggopus_finish(r->ogg); /* the EOS page goes out through on_page */
		if (r->pages)
			(void)!page_ring_push(r->pages, PAGE_END, rm->id, 0, NULL, 0, NULL, 0);
		oggopus_destroy(r->ogg);
		r->ogg = NULL;
	}
	record_channels_end(rm, env);
	r->pages = NULL;
	r->recorder = NULL;
}

void record_packet(struct room_mixer *rm, const struct mixer_env *env, const uint8_t *pkt,
		   size_t len)
{
	struct room_record *r = &rm->rec;
	if (!r->live || len == 0)
		return;
	r->last_toc = pkt[0];
	if (r->begin_due && !file_begin(rm, env))
		r->lead++; /* this tick becomes part of the lead */
	else if (r->stream >= 0)
		(void)!recorder_push(env->recorder, r->stream, pkt, len, RTP_REWRITE_FRAME);
	if (r->ogg)
		(void)!oggopus_write(r->ogg, pkt, len, RTP_REWRITE_FRAME);
	record_channels(rm, pkt, len);
	r->at++;
}

void record_filler(struct room_mixer *rm, const struct mixer_env *env)
{
	/* The same configuration as the last packet, code 0, no frame data: RFC 6716 sect.
	 * 3.2.1 has decoders conceal it, so the timeline advances with no sound of its own. */
	uint8_t filler = (uint8_t)(rm->rec.last_toc & 0xFC);
	record_packet(rm, env, &filler, 1);
}

bool room_mixer_live(const struct room_mixer *rm)
{
	return rm->rec.live;
}
