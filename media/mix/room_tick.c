/*
 * The room's 20 ms tick (room_mixer.h has the picture; media/MIXER.md the components).
 *
 *   decide   forward one voice or mix (talk_choose), switching here and only here
 *   pull     every listed mic: jitter_pull -> decode | FEC | PLC | nothing -> gate fade
 *   forward  the voice's packets went out as they came; the tick only records the one
 *            its jitter buffer plays now (so the file follows the session clock)
 *   mix      sum -> limit -> encode once; an open mic that spoke gets its mix-minus,
 *            encoded for it alone; the packets share one seq and timestamp; a tick whose
 *            every packet is DTX sends nothing
 *   settle   mics whose gate closed and whose fade has played leave mics[]
 *
 * Every mic is decoded every tick, forwarding or not: decoding is cheap (tens of
 * microseconds, against hundreds for an encode) and keeps each decoder's state on the
 * stream, so a switch to mixing starts from a warm decoder instead of a click.
 *
 * Silence costs nothing: a room with no open mic and no live session returns at once,
 * and while every open mic is silent and the last public encode was DTX, the DTX packet
 * is reused for the recording instead of encoding silence again.
 */
#include "media/mix/room_mixer_internal.h"

#include <string.h>

static int64_t arrival_of(const struct mixer_mic *mic, uint16_t seq)
{
	size_t k = seq % MIXER_ARRIVALS;
	return mic->arrival_seq[k] == seq ? mic->arrival_us[k] : 0;
}

/* --- decide ------------------------------------------------------------------------------ */

struct burst {
	struct room_mixer *rm;
	const struct mixer_env *env;
	int64_t now_us;
};

static void burst_one(void *ctx, const struct jitter_packet *p)
{
	struct burst *b = ctx;
	struct rtp_header h = {.marker = p->marker,
			       .payload_type = b->rm->fwd->member->payload_type,
			       .seq = p->seq,
			       .timestamp = p->timestamp,
			       .ssrc = p->ssrc,
			       .payload = p->payload,
			       .payload_len = p->len};
	int64_t arrival = arrival_of(b->rm->fwd, p->seq);
	mixer_forward(b->rm, b->env, &h, arrival ? arrival : b->now_us, b->now_us);
}

/* Forwarding starts: what the voice's jitter buffer holds unplayed goes out now, so the
 * listeners miss nothing the mix had not played yet. */
static void to_forward(struct room_mixer *rm, const struct mixer_env *env, struct mixer_mic *mic,
		       int64_t now_us)
{
	rm->fwd = mic;
	struct burst b = {.rm = rm, .env = env, .now_us = now_us};
	jitter_peek(mic->jb, burst_one, &b);
}

static void decide(struct room_mixer *rm, const struct mixer_env *env, int64_t now_us)
{
	struct talk_mic tm[MIX_MAX_INPUTS];
	int current = -1;
	for (size_t i = 0; i < rm->n_mics; i++) {
		const struct mixer_mic *mic = rm->mics[i];
		/* An interpreter's mic is its channel's, never the floor's voice. */
		bool open = mic->member->gate && !mic->member->voice_ch;
		tm[i] = (struct talk_mic){.active = open && talk_voice_active(&mic->voice, now_us),
					  .forwardable = open && mic->forwardable,
					  .draining = jitter_holding(mic->jb)};
		if (mic == rm->fwd)
			current = (int)i;
	}
	/* With a channel on air, every stream takes the tick's seq and timestamp (channels.h). */
	int choice = channels_voiced(rm) ? -1 : talk_choose(tm, rm->n_mics, current);
	if (choice == current)
		return;
	if (choice < 0)
		rm->fwd = NULL; /* the mix resumes from the jitter timeline */
	else
		to_forward(rm, env, rm->mics[choice], now_us);
}

/* --- pull -------------------------------------------------------------------------------- */

static enum media_err decode(struct mixer_mic *mic)
{
	const struct jitter_out *o = &mic->out;
	enum media_err err;
	if (o->kind == JITTER_FRAME)
		err = codec_decode(mic->dec, o->payload, o->len, mic->pcm);
	else if (o->fec)
		err = codec_decode_fec(mic->dec, o->payload, o->len, mic->pcm);
	else
		err = codec_decode_plc(mic->dec, mic->pcm);
	if (err != MEDIA_OK) /* a corrupt packet: conceal it instead */
		err = codec_decode_plc(mic->dec, mic->pcm);
	return err;
}

static void pull(struct mixer_mic *mic, int64_t tick_us)
{
	mic->has_pcm = mic->speaks = mic->own = false;
	mic->played_arrival_us = 0;
	jitter_pull(mic->jb, tick_us, &mic->out);
	if (mic->out.kind == JITTER_SILENCE)
		return;
	if (mic->out.kind == JITTER_FRAME)
		mic->played_arrival_us = arrival_of(mic, mic->out.seq);
	if (decode(mic) != MEDIA_OK)
		return;
	mic->has_pcm = true;
	mic->speaks = !(mic->out.kind == JITTER_FRAME && mic->out.dtx);
	mix_gate_apply(&mic->gate, mic->pcm);
}

/* --- forward ----------------------------------------------------------------------------- */

static void forward_tick(struct room_mixer *rm, const struct mixer_env *env)
{
	const struct jitter_out *o = &rm->fwd->out;
	if (o->kind == JITTER_FRAME && o->len > 0 && o->len <= RECORDER_MAX_PACKET)
		record_packet(rm, env, o->payload, o->len);
	else
		record_filler(rm, env);
}

/* --- mix --------------------------------------------------------------------------------- */

/* The public packet into rm->payload; false when encoding failed. */
static bool encode_public(struct room_mixer *rm, const struct mixer_env *env, size_t inputs,
			  size_t *len, bool *dtx)
{
	if (inputs == 0 && rm->public_dtx) { /* still silent: the last DTX packet will do */
		memcpy(rm->payload, rm->dtx_pkt, rm->dtx_len);
		*len = rm->dtx_len;
		*dtx = true;
		return true;
	}
	mix_limit(&rm->lim, rm->acc, rm->out, MIX_FRAME);
	if (codec_encode(rm->enc, rm->out, rm->payload, sizeof rm->payload, len, dtx) != MEDIA_OK)
		return false;
	atomic_fetch_add_explicit(&env->counters->encoded, 1, memory_order_relaxed);
	rm->public_dtx = *dtx && *len <= sizeof rm->dtx_pkt;
	if (rm->public_dtx) {
		memcpy(rm->dtx_pkt, rm->payload, *len);
		rm->dtx_len = *len;
	}
	return true;
}

/* Mix-minus for every open mic that spoke this tick; true if any is worth sending. */
static bool encode_own(struct room_mixer *rm)
{
	bool any = false;
	for (size_t i = 0; i < rm->n_mics; i++) {
		struct mixer_mic *mic = rm->mics[i];
		if (!mic->speaks || !mic->member->gate || !mic->member->listening ||
		    mic->member->voice_ch) /* an interpreter hears the floor as it is */
			continue;
		mix_minus(rm->acc, mic->pcm, rm->minus);
		mix_limit(&mic->lim, rm->minus, rm->out, MIX_FRAME);
		bool dtx;
		if (codec_encode(mic->enc, rm->out, mic->own_pkt, sizeof mic->own_pkt,
				 &mic->own_len, &dtx) != MEDIA_OK)
			continue; /* it takes the public packet instead */
		mic->own = true;
		any |= !dtx;
	}
	return any;
}

static void observe_mix(struct room_mixer *rm, const struct mixer_env *env, int64_t sent_us)
{
	struct mixer_counters *c = env->counters;
	for (size_t i = 0; i < rm->n_mics; i++)
		if (rm->mics[i]->played_arrival_us)
			mixer_observe(c->latency_mix, &c->latency_mix_count, &c->latency_mix_sum_ns,
				      (sent_us - rm->mics[i]->played_arrival_us) * 1000);
}

static void send_mix(struct room_mixer *rm, const struct mixer_env *env, int64_t tick_us,
		     size_t plen)
{
	struct rtp_build b = {0};
	if (rtp_rewrite_mix(&rm->rw, MIXER_SAMPLES_PER_US(tick_us), &b) != MEDIA_OK)
		return;
	b.marker |= !rm->sent_last_tick; /* RFC 3551 sect. 4.1: the start of a talk spurt */
	size_t len = mixer_build(rm, &b, rm->payload, plen);
	int64_t leaving = env->clock_us(); /* as for forwarding: copies start to leave */
	mixer_tap_channels(rm, env, &b);   /* an edge's channel frames wait for the floor's */
	mixer_tap(rm, env, 0, &b, rm->payload, plen);
	if (len)
		mixer_send_public(rm, env, len, NULL, true);
	for (size_t i = 0; i < rm->n_mics; i++) {
		struct mixer_mic *mic = rm->mics[i];
		if (mic->own && (len = mixer_build(rm, &b, mic->own_pkt, mic->own_len)) != 0)
			mixer_send_own(rm, env, mic, len);
	}
	channels_send(rm, env, &b);
	mixer_sent(rm, b.seq, b.timestamp, plen, leaving);
	rm->sent_last_tick = true;
	observe_mix(rm, env, leaving);
}

static void mix_tick(struct room_mixer *rm, const struct mixer_env *env, int64_t tick_us)
{
	const int16_t *in[MIX_MAX_INPUTS];
	size_t k = 0;
	for (size_t i = 0; i < rm->n_mics; i++)
		if (rm->mics[i]->has_pcm && !rm->mics[i]->member->voice_ch)
			in[k++] = rm->mics[i]->pcm;
	mix_sum(rm->acc, in, k);
	size_t plen;
	bool dtx;
	if (!encode_public(rm, env, k, &plen, &dtx)) {
		record_filler(rm, env);
		return;
	}
	bool own = k > 0 && encode_own(rm);
	bool chan = channels_encode(rm, env); /* once per channel on air */
	/* After the channels' encodes: their live streams take this tick's frames with it. */
	record_packet(rm, env, rm->payload, plen);
	if (dtx && !own && !chan) { /* nothing worth a datagram */
		channels_clear(rm);
		rm->sent_last_tick = false;
		return;
	}
	send_mix(rm, env, tick_us, plen);
}

/* --- the tick ---------------------------------------------------------------------------- */

static void settle(struct room_mixer *rm)
{
	for (size_t i = rm->n_mics; i-- > 0;) {
		struct mixer_mic *mic = rm->mics[i];
		if (!mic->member->gate && (mix_gate_silent(&mic->gate) || !mic->has_pcm))
			mixer_unlist(rm, mic);
	}
}

void room_mixer_tick(struct room_mixer *rm, const struct mixer_env *env, int64_t tick_us)
{
	if (rm->relay) { /* an edge: the stream is the owner's (room_relay.c) */
		relay_tick(rm, env, tick_us);
		return;
	}
	if (rm->n_mics == 0 && !rm->rec.live)
		return;
	decide(rm, env, tick_us);
	for (size_t i = 0; i < rm->n_mics; i++)
		pull(rm->mics[i], tick_us);
	if (rm->fwd)
		forward_tick(rm, env);
	else if (rm->n_mics > 0)
		mix_tick(rm, env, tick_us);
	else
		record_filler(rm, env);
	settle(rm);
	mixer_publish(rm);
}

void room_mixer_skip(struct room_mixer *rm, const struct mixer_env *env)
{
	record_filler(rm, env);
}
