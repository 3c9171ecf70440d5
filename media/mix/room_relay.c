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
 * frames also go into a jitter buffer of the relay's own, pulled once per tick. An
 * interpretation channel's stream and recording follow the floor's frame by frame: once
 * they have begun (at the channel's first frame of the session, on the arrival path: the
 * Ogg writer and the channel's ring are allocated there, never on the tick), its frames
 * wait in a ring by sequence number, and the tick takes the one of the floor frame it
 * played (the same seq and timestamp: the owner sends a tick's channel frames with its
 * floor's). So the channel never runs ahead of or behind the floor, a loss or a stretch
 * of the floor's buffer is the channel's too, and a tick whose floor frame has no channel
 * frame (the booth silent on the owner) records the floor, as the owner does. A channel is
 * only known here from its frames, which the owner sends while an interpreter is on air;
 * until then an edge has no stream for it (listen.ogg?lang= is 404 there, as on an owner
 * before the channel's first voice).
 */
#include "media/mix/room_mixer_internal.h"

#include <stdlib.h>
#include <string.h>

#define RELAY_JUMP 64 /* sequence numbers: beyond this, the source started again */
/* Channel frames kept for the floor's buffer to catch up with: more than its deepest delay. */
#define RELAY_CHAN_SLOTS 64

struct chan_slot {
	bool used;
	uint16_t seq;
	uint32_t timestamp;
	uint16_t len;
	uint8_t payload[CODEC_MAX_PACKET];
};

struct chan_ring {
	struct chan_slot slot[RELAY_CHAN_SLOTS];
};

struct mixer_relay {
	struct jitter *jb; /* the floor, for the recording's timeline */
	/* Each channel's frames for its stream and recording (NULL until its first frame while
	 * live), and the one this tick took (len 0: none). */
	struct chan_ring *chan[MIXER_CHANNELS];
	const uint8_t *chan_pkt[MIXER_CHANNELS];
	size_t chan_len[MIXER_CHANNELS];
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
		free(rm->relay->chan[b]);
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

static void follow_source(struct mixer_relay *r, const struct media_frame *f)
{
	int16_t d = (int16_t)(uint16_t)(f->seq - r->src_seq);
	if (!r->have_src || f->ssrc != r->src_ssrc || d > RELAY_JUMP || d < -RELAY_JUMP) {
		r->stretch++;
		r->have_src = true;
		r->src_ssrc = f->ssrc;
		r->src_seq = f->seq;
	} else if (d > 0) {
		r->src_seq = f->seq;
	}
}

static void record_insert(struct room_mixer *rm, const struct media_frame *f, int64_t now_us)
{
	if (!rm->rec.live)
		return;
	struct jitter_packet jp = {.ssrc = rm->relay->stretch,
				   .seq = f->seq,
				   .timestamp = f->timestamp,
				   .marker = f->marker,
				   .payload = f->opus,
				   .len = f->len};
	(void)!jitter_insert(rm->relay->jb, &jp, now_us); /* late or duplicate: counted there */
}

/* A channel's frame kept for its stream while the session is live, until the tick plays
 * the floor frame of the same seq and timestamp; the stream and recording begin at the
 * channel's first frame of the session. */
static bool record_channel_frame(struct room_mixer *rm, const struct media_frame *f)
{
	struct mixer_relay *r = rm->relay;
	unsigned b = f->channel - 1;
	if (!rm->rec.live || b >= MIXER_CHANNELS)
		return false;
	if (!r->chan[b] && !(r->chan[b] = calloc(1, sizeof *r->chan[b])))
		return false;
	if (!rm->rec.chan[b].rm) /* not begun this session */
		record_channel_start(rm, b);
	struct chan_slot *s = &r->chan[b]->slot[f->seq % RELAY_CHAN_SLOTS];
	*s = (struct chan_slot){
	    .used = true, .seq = f->seq, .timestamp = f->timestamp, .len = (uint16_t)f->len};
	memcpy(s->payload, f->opus, f->len);
	return true;
}

/* The channels' frames of the floor frame the tick took (o), for record_channels. */
static void take_channel_frames(struct mixer_relay *r, const struct jitter_out *o)
{
	for (unsigned b = 0; b < MIXER_CHANNELS; b++) {
		r->chan_len[b] = 0;
		if (!r->chan[b] || o->kind != JITTER_FRAME)
			continue;
		struct chan_slot *s = &r->chan[b]->slot[o->seq % RELAY_CHAN_SLOTS];
		if (s->used && s->seq == o->seq && s->timestamp == o->timestamp) {
			r->chan_pkt[b] = s->payload;
			r->chan_len[b] = s->len;
			s->used = false;
		}
	}
}

void relay_session_begin(struct room_mixer *rm)
{
	struct mixer_relay *r = rm->relay;
	/* What the last session left unplayed is not this one's. */
	jitter_reset(r->jb);
	for (unsigned b = 0; b < MIXER_CHANNELS; b++) {
		r->chan_len[b] = 0;
		for (size_t i = 0; r->chan[b] && i < RELAY_CHAN_SLOTS; i++)
			r->chan[b]->slot[i].used = false;
	}
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
		bool recorded = record_channel_frame(rm, f);
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
	record_insert(rm, f, now_us);
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
		struct jitter_out *o = &r->out;
		jitter_pull(r->jb, tick_us, o);
		take_channel_frames(r, o);
		if (o->kind == JITTER_FRAME && o->len > 0 && o->len <= RECORDER_MAX_PACKET)
			record_packet(rm, env, o->payload, o->len);
		else
			record_filler(rm, env);
	}
	mixer_publish(rm);
}

bool relay_channel_frame(struct room_mixer *rm, unsigned b, const uint8_t **payload, size_t *len)
{
	struct mixer_relay *r = rm->relay;
	if (r->chan_len[b] == 0)
		return false;
	*payload = r->chan_pkt[b];
	*len = r->chan_len[b];
	r->chan_len[b] = 0; /* once: a tick skipped after it records no stale frame */
	return true;
}
