/*
 * room_relay -- a room mixer's part in edges (issue 17): the tap on the stream an owner
 * sends, and relay mode on an edge, where the stream comes from the owner's frames
 * instead of the room's own mix (room_mixer.h; media/README.md, "Relay and taps").
 *
 * Continuity. An edge sends the pushed frames under its own room SSRC, through the room's
 * rtp_rewrite as forwarded packets: within a stretch of one source the frames' sequence
 * holes and timestamp gaps are kept (a loss upstream stays a loss, DTX stays a gap), and
 * a new stretch -- another source SSRC (a new owner), or a sequence number more than
 * RELAY_JUMP from the last (the same source restarted) -- continues the room's line at
 * last + 1 and the real time elapsed since the last packet. rtp_rewrite starts a stretch
 * only on a new SSRC, so it is given the stretch's number as one.
 *
 * The recording and listen.ogg follow the tick's 20 ms grid as on the owner: the floor
 * frames also go into a jitter buffer of the relay's own, pulled once per tick. So do an
 * interpretation channel's frames, each channel into its own buffer, once its stream and
 * recording have begun: at its first frame of the session, on the arrival path (the Ogg
 * writer and the buffer are allocated there, never on the tick). A channel is only known
 * here from its frames, which the owner sends while an interpreter is on air; until then
 * an edge has no stream for it (listen.ogg?lang= is 404 there, as on an owner before the
 * channel's first voice). From then on, a tick whose channel buffer has no frame records
 * the floor in the channel's stream, as an owner does when its booth is silent.
 */
#include "media/mix/room_mixer_internal.h"

#include <stdlib.h>
#include <string.h>

#define RELAY_JUMP 64 /* sequence numbers: beyond this, the source started again */

struct mixer_relay {
	struct jitter *jb; /* the floor, for the recording's timeline */
	/* Each channel's, for its stream and recording (NULL until its first frame while live),
	 * and what the tick pulled from it. */
	struct jitter *chan_jb[MIXER_CHANNELS];
	struct jitter_out chan_out[MIXER_CHANNELS];
	bool have_src;
	uint32_t src_ssrc;
	uint16_t src_seq;
	uint32_t stretch;			/* rtp_rewrite's name for the current stretch */
	uint16_t chan_seq[MIXER_CHANNEL_LISTS]; /* the source seq of a waiting channel frame */
	struct jitter_out out;
};

/* --- the tap (owner) ---------------------------------------------------------------------- */

void mixer_tap(const struct room_mixer *rm, const struct mixer_env *env, unsigned channel,
	       const struct rtp_build *b, const uint8_t *payload, size_t len)
{
	if (!env->tap || !env->tap->encoded || rm->relay || len == 0)
		return;
	struct media_frame f = {.room = rm->id,
				.channel = channel,
				.ssrc = rm->ssrc,
				.seq = b->seq,
				.timestamp = b->timestamp,
				.marker = b->marker,
				.opus = payload,
				.len = len};
	env->tap->encoded(env->tap->ctx, &f);
}

void mixer_tap_channels(const struct room_mixer *rm, const struct mixer_env *env,
			const struct rtp_build *b)
{
	if (!env->tap || !env->tap->encoded || !rm->channels)
		return;
	for (unsigned k = 0; k < MIXER_CHANNEL_LISTS; k++) {
		const struct mixer_channel *c = &rm->channels->ch[k];
		if (c->has_pkt)
			mixer_tap(rm, env, k + 1, b, c->payload, c->len);
	}
}

/* --- relay mode (edge) --------------------------------------------------------------------- */

void relay_free(struct room_mixer *rm)
{
	if (!rm->relay)
		return;
	jitter_destroy(rm->relay->jb);
	for (unsigned b = 0; b < MIXER_CHANNELS; b++)
		jitter_destroy(rm->relay->chan_jb[b]);
	free(rm->relay);
	rm->relay = NULL;
}

enum media_err room_mixer_relay(struct room_mixer *rm, bool on)
{
	if (!rm)
		return MEDIA_ERR_PARAM;
	if (!on) {
		relay_free(rm);
		return MEDIA_OK;
	}
	if (rm->relay)
		return MEDIA_OK;
	struct mixer_relay *r = calloc(1, sizeof *r);
	if (!r)
		return MEDIA_ERR_NOMEM;
	if (jitter_create(NULL, &r->jb) != JITTER_OK) {
		free(r);
		return MEDIA_ERR_NOMEM;
	}
	r->stretch = 1;
	rm->relay = r;
	rm->fwd = NULL; /* its own voices no longer go out */
	return MEDIA_OK;
}

bool room_mixer_relaying(const struct room_mixer *rm)
{
	return rm && rm->relay;
}

void room_mixer_hold(struct room_mixer *rm)
{
	rm->held = true;
}

/* A channel's frame waits for the floor frame of its tick (the same source seq). */
static bool stash(struct room_mixer *rm, const struct media_frame *f)
{
	unsigned k = f->channel - 1;
	if (!rm->channels || k >= MIXER_CHANNEL_LISTS || f->len > CODEC_MAX_PACKET)
		return false;
	struct mixer_channel *c = &rm->channels->ch[k];
	memcpy(c->payload, f->opus, f->len);
	c->len = f->len;
	c->has_pkt = true;
	c->fresh = false;
	rm->relay->chan_seq[k] = f->seq;
	return true;
}

/* Channel frames of another tick than the floor frame seq's are dropped. */
static void keep_channels(struct room_mixer *rm, uint16_t seq)
{
	for (unsigned k = 0; rm->channels && k < MIXER_CHANNEL_LISTS; k++) {
		struct mixer_channel *c = &rm->channels->ch[k];
		if (c->has_pkt && rm->relay->chan_seq[k] != seq)
			c->has_pkt = false;
	}
}

/* Whether f continues the source's current stretch. */
static bool same_stretch(const struct mixer_relay *r, const struct media_frame *f)
{
	int16_t d = (int16_t)(uint16_t)(f->seq - r->src_seq);
	return r->have_src && f->ssrc == r->src_ssrc && d <= RELAY_JUMP && d >= -RELAY_JUMP;
}

static void follow_source(struct mixer_relay *r, const struct media_frame *f)
{
	if (!same_stretch(r, f)) {
		r->stretch++;
		r->have_src = true;
		r->src_ssrc = f->ssrc;
		r->src_seq = f->seq;
	} else if ((int16_t)(uint16_t)(f->seq - r->src_seq) > 0) {
		r->src_seq = f->seq;
	}
}

static void record_insert(struct jitter *jb, uint32_t stretch, const struct media_frame *f,
			  int64_t now_us)
{
	struct jitter_packet jp = {.ssrc = stretch,
				   .seq = f->seq,
				   .timestamp = f->timestamp,
				   .marker = f->marker,
				   .payload = f->opus,
				   .len = f->len};
	(void)!jitter_insert(jb, &jp, now_us); /* late or duplicate: counted there */
}

/* A channel's frame into its stream's buffer while the session is live; its stream and
 * recording begin at its first frame of the session. A channel frame comes before its
 * tick's floor frame, so one of a new stretch takes the number the floor's will start. */
static bool record_channel_frame(struct room_mixer *rm, const struct media_frame *f, int64_t now_us)
{
	struct mixer_relay *r = rm->relay;
	unsigned b = f->channel - 1;
	if (!rm->rec.live || b >= MIXER_CHANNELS)
		return false;
	if (!r->chan_jb[b] && jitter_create(NULL, &r->chan_jb[b]) != JITTER_OK)
		return false;
	if (!rm->rec.chan[b].rm) { /* not begun this session */
		jitter_reset(r->chan_jb[b]);
		record_channel_start(rm, b);
	}
	record_insert(r->chan_jb[b], same_stretch(r, f) ? r->stretch : r->stretch + 1, f, now_us);
	return true;
}

/* A pushed frame as the packet of its stretch that rtp_rewrite maps onto the room's line:
 * the stretch's number stands for the source SSRC. */
static struct rtp_header source_header(const struct mixer_relay *r, const struct media_frame *f)
{
	return (struct rtp_header){.marker = f->marker,
				   .payload_type = 111,
				   .seq = f->seq,
				   .timestamp = f->timestamp,
				   .ssrc = r->stretch,
				   .payload = f->opus,
				   .payload_len = f->len};
}

bool room_mixer_relay_frame(struct room_mixer *rm, const struct mixer_env *env,
			    const struct media_frame *f, int64_t now_us)
{
	struct mixer_relay *r = rm ? rm->relay : NULL;
	if (!r || !f || !f->opus || f->len == 0 || f->len > CODEC_MAX_PACKET)
		return false;
	if (f->channel > 0) {
		bool recorded = record_channel_frame(rm, f, now_us);
		return stash(rm, f) || recorded;
	}
	follow_source(r, f);
	struct rtp_header h = source_header(r, f);
	struct rtp_build b = {0};
	size_t len = 0;
	if (rtp_rewrite_forward(&rm->rw, &h, MIXER_SAMPLES_PER_US(now_us), &b) == MEDIA_OK)
		len = mixer_build(rm, &b, f->opus, f->len);
	if (!len) { /* a duplicate or a straggler: nothing of this tick goes out */
		channels_clear(rm);
		return false;
	}
	keep_channels(rm, f->seq);
	int64_t leaving = env->clock_us();
	mixer_send_public(rm, env, len, NULL, false); /* channels without a frame: the floor */
	channels_send(rm, env, &b);
	mixer_sent(rm, b.seq, b.timestamp, f->len, leaving);
	rm->sent_last_tick = true;
	if (rm->rec.live)
		record_insert(r->jb, r->stretch, f, now_us);
	atomic_fetch_add_explicit(&env->counters->forwarded, 1, memory_order_relaxed);
	return true;
}

static struct mixer_mic *open_mic_of(const struct room_mixer *rm, const char *pid)
{
	for (size_t i = 0; i < rm->n_mics; i++) {
		const struct mixer_member *m = rm->mics[i]->member;
		if (m->gate && m->listening && m->pid && strcmp(m->pid, pid) == 0)
			return rm->mics[i];
	}
	return NULL;
}

bool room_mixer_relay_own(struct room_mixer *rm, const struct mixer_env *env,
			  const struct media_frame *f)
{
	struct mixer_relay *r = rm ? rm->relay : NULL;
	if (!r || !f || !f->pid || f->channel || !f->opus || f->len == 0 ||
	    f->len > CODEC_MAX_PACKET || !r->have_src || f->ssrc != r->src_ssrc)
		return false;
	struct mixer_mic *mic = open_mic_of(rm, f->pid);
	if (!mic)
		return false;
	struct rtp_header h = source_header(r, f);
	struct rtp_build b = {0};
	size_t len = 0;
	if (rtp_rewrite_copy(&rm->rw, &h, &b) == MEDIA_OK)
		len = mixer_build(rm, &b, f->opus, f->len);
	if (!len)
		return false;
	mixer_send_own(rm, env, mic, len);
	atomic_fetch_add_explicit(&env->counters->relay_own, 1, memory_order_relaxed);
	return true;
}

void room_mixer_relay_voice(struct mixer_member *m, const struct talk_packet *tp)
{
	if (m && m->gate && m->mic && m->mic->listed)
		talk_voice_packet(&m->mic->voice, tp);
}

void relay_tick(struct room_mixer *rm, const struct mixer_env *env, int64_t tick_us)
{
	for (size_t i = rm->n_mics; i-- > 0;) /* nothing of theirs is mixed here */
		if (!rm->mics[i]->member->gate)
			mixer_unlist(rm, rm->mics[i]);
	if (rm->rec.live) {
		struct mixer_relay *r = rm->relay;
		for (unsigned b = 0; b < MIXER_CHANNELS; b++) {
			r->chan_out[b].kind = JITTER_SILENCE;
			if (r->chan_jb[b] && rm->rec.chan[b].rm)
				jitter_pull(r->chan_jb[b], tick_us, &r->chan_out[b]);
		}
		struct jitter_out *o = &r->out;
		jitter_pull(r->jb, tick_us, o);
		if (o->kind == JITTER_FRAME && o->len > 0 && o->len <= RECORDER_MAX_PACKET)
			record_packet(rm, env, o->payload, o->len);
		else
			record_filler(rm, env);
	}
	mixer_publish(rm);
}

bool relay_channel_frame(const struct room_mixer *rm, unsigned b, const uint8_t **payload,
			 size_t *len)
{
	const struct jitter_out *o = &rm->relay->chan_out[b];
	if (o->kind != JITTER_FRAME || o->len == 0)
		return false;
	*payload = o->payload;
	*len = o->len;
	return true;
}
