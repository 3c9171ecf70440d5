/*
 * The room mixer's members and gates, and what happens when a packet arrives; the tick is
 * in room_tick.c, the recording in room_record.c (room_mixer.h has the picture).
 *
 * Who hears what. A member that is keyed ("listening") and whose gate is closed sits in
 * the public fan-out list (dests[]), a compact array the fan-out walks every time the room
 * sends: one entry is an SRTP session, an address and a payload type, so 5,000 listeners
 * are ~250 KB walked in order, never the peers themselves. A member whose gate is open
 * leaves that list: its mic is in mics[], and a send gives it either its own mix-minus or
 * the public packet, appended to dests[] for that one call (the array keeps room for
 * MIX_MAX_INPUTS of them, so a send never grows it). Membership of dests[] is exactly
 * "listening and gate closed"; every function here keeps that true.
 */
#include "media/mix/room_mixer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BITRATE 32000

/* The latency histograms' bounds (media.h), beside the code that fills them. */
const double media_latency_bucket_bounds[MEDIA_LATENCY_BUCKETS] = {
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.0175,
    0.02,   0.025,  0.03,  0.04,   0.05,  0.06,	  0.08, 0.1,	0.2};

/* --- lifecycle -------------------------------------------------------------------------- */

enum media_err room_mixer_create(const struct room_mixer_config *cfg, struct room_mixer **out)
{
	if (!cfg || !out || !cfg->room || !cfg->room[0] || strlen(cfg->room) > MEDIA_ROOM_MAX)
		return MEDIA_ERR_PARAM;
	struct room_mixer *rm = calloc(1, sizeof *rm);
	if (!rm)
		return MEDIA_ERR_NOMEM;
	snprintf(rm->id, sizeof rm->id, "%s", cfg->room);
	rm->ssrc = cfg->ssrc;
	rm->stats = cfg->stats;
	rm->last_seq = (uint16_t)(cfg->first_seq - 1);
	rm->rec.stream = -1;
	mix_limiter_init(&rm->lim);
	struct codec_encoder_config ec = {.bitrate = cfg->bitrate ? cfg->bitrate : DEFAULT_BITRATE,
					  .complexity = -1,
					  .loss_percent = -1};
	if (rtp_rewrite_init(&rm->rw, cfg->ssrc, cfg->first_seq, cfg->first_ts, 111) != MEDIA_OK) {
		free(rm);
		return MEDIA_ERR_PARAM;
	}
	if (codec_encoder_create(&ec, &rm->enc) != MEDIA_OK) {
		free(rm);
		return MEDIA_ERR_CODEC;
	}
	*out = rm;
	return MEDIA_OK;
}

void room_mixer_destroy(struct room_mixer *rm, const struct mixer_env *env)
{
	if (!rm)
		return;
	record_end(rm, env);
	channels_free(rm);
	relay_free(rm);
	codec_encoder_destroy(rm->enc);
	free(rm->dests);
	free(rm->dest_member);
	free(rm);
}

const char *room_mixer_id(const struct room_mixer *rm)
{
	return rm->id;
}

bool room_mixer_idle(const struct room_mixer *rm)
{
	return rm->n_members == 0 && !rm->rec.live && !rm->held;
}

void mixer_publish(struct room_mixer *rm)
{
	if (!rm->stats)
		return;
	size_t listeners = rm->n_dests, open = 0;
	for (size_t i = 0; i < rm->n_mics; i++) {
		struct mixer_member *m = rm->mics[i]->member;
		if (m->gate) {
			open++;
			listeners += m->listening;
		}
	}
	atomic_store_explicit(&rm->stats->listeners, listeners, memory_order_relaxed);
	atomic_store_explicit(&rm->stats->open_mics, open, memory_order_relaxed);
	atomic_store_explicit(&rm->stats->packets_sent, rm->packets, memory_order_relaxed);
	atomic_store_explicit(&rm->stats->forwarding, rm->fwd != NULL, memory_order_relaxed);
	atomic_store_explicit(&rm->stats->recording, rm->rec.live, memory_order_relaxed);
}

/* --- the public fan-out list -------------------------------------------------------------- */

static void member_dest(const struct mixer_member *m, struct fanout_dest *d)
{
	*d = (struct fanout_dest){.srtp = m->srtp,
				  .addr = m->addr,
				  .addr_len = m->addr_len,
				  .payload_type = m->payload_type,
				  .sink = m->sink};
}

static void add_dest(struct room_mixer *rm, struct mixer_member *m)
{
	if (m->listen_ch) { /* a channel's listener: its channel's list (channels.c) */
		channels_add_dest(rm, m);
		return;
	}
	m->dest = rm->n_dests++;
	member_dest(m, &rm->dests[m->dest]);
	rm->dest_member[m->dest] = m;
}

static void remove_dest(struct room_mixer *rm, struct mixer_member *m)
{
	if (m->listen_ch) {
		channels_remove_dest(rm, m);
		return;
	}
	size_t last = --rm->n_dests;
	if (m->dest != last) {
		rm->dests[m->dest] = rm->dests[last];
		rm->dest_member[m->dest] = rm->dest_member[last];
		rm->dest_member[m->dest]->dest = m->dest;
	}
}

/* Room for every member plus the open mics a send appends, so no send ever grows it. */
static bool reserve(struct room_mixer *rm, size_t members)
{
	size_t need = members + MIX_MAX_INPUTS;
	if (need <= rm->cap_dests)
		return true;
	size_t cap = rm->cap_dests ? rm->cap_dests * 2 : 64;
	while (cap < need)
		cap *= 2;
	struct fanout_dest *d = realloc(rm->dests, cap * sizeof *d);
	if (!d)
		return false;
	rm->dests = d;
	struct mixer_member **dm = realloc(rm->dest_member, cap * sizeof *dm);
	if (!dm)
		return false;
	rm->dest_member = dm;
	rm->cap_dests = cap;
	return true;
}

/* --- members ----------------------------------------------------------------------------- */

enum media_err room_mixer_join(struct room_mixer *rm, struct mixer_member *m)
{
	if (!rm || !m || m->room)
		return MEDIA_ERR_PARAM;
	if (!reserve(rm, rm->n_members + 1))
		return MEDIA_ERR_NOMEM;
	m->room = rm;
	m->listening = m->gate = false;
	m->listen_ch = m->voice_ch = 0; /* the worker sets them again once it is in */
	m->mic = NULL;
	talk_attempt_init(&m->attempt);
	rm->n_members++;
	return MEDIA_OK;
}

static void mic_destroy(struct mixer_mic *mic)
{
	if (!mic)
		return;
	jitter_destroy(mic->jb);
	codec_decoder_destroy(mic->dec);
	codec_encoder_destroy(mic->enc);
	free(mic);
}

void mixer_unlist(struct room_mixer *rm, struct mixer_mic *mic)
{
	for (size_t i = 0; i < rm->n_mics; i++) {
		if (rm->mics[i] != mic)
			continue;
		rm->mics[i] = rm->mics[--rm->n_mics];
		break;
	}
	if (rm->fwd == mic)
		rm->fwd = NULL;
	mic->listed = false;
	jitter_reset(mic->jb); /* a later opening starts a fresh talk spurt */
}

/* m's listen_ch becomes ch, and the channels' counts of who chose them follow. */
static void choose(struct room_mixer *rm, struct mixer_member *m, uint8_t ch)
{
	if (m->listen_ch)
		rm->channels->ch[m->listen_ch - 1].chosen--;
	if (ch)
		rm->channels->ch[ch - 1].chosen++;
	m->listen_ch = ch;
}

void room_mixer_leave(struct mixer_member *m)
{
	struct room_mixer *rm = m ? m->room : NULL;
	if (!rm)
		return;
	if (m->listening && !m->gate)
		remove_dest(rm, m);
	if (m->mic && m->mic->listed)
		mixer_unlist(rm, m->mic);
	mic_destroy(m->mic);
	m->mic = NULL;
	choose(rm, m, 0);
	m->voice_ch = 0;
	m->listening = m->gate = false;
	m->room = NULL;
	rm->n_members--;
	mixer_publish(rm);
}

/* libsrtp allocates a stream on a session's first packet of an SSRC: protect a throw-away
 * packet now, at the sequence number last sent, so the first real one (the next) does
 * not allocate on the tick. */
static void warm(const struct room_mixer *rm, struct mixer_member *m)
{
	uint8_t buf[RTP_HEADER_LEN + 8 + MEDIA_SRTP_MAX_TRAILER] __attribute__((aligned(16)));
	struct rtp_build b = {.payload_type = m->payload_type,
			      .seq = rm->last_seq,
			      .timestamp = rm->last_ts,
			      .ssrc = rm->ssrc};
	size_t hl, out;
	if (rtp_build_header(buf, sizeof buf, &b, &hl) != RTP_OK)
		return;
	memset(buf + hl, 0xf8, 8);
	(void)!media_srtp_protect_rtp(m->srtp, buf, hl + 8, sizeof buf, &out);
}

void room_mixer_keyed(struct mixer_member *m)
{
	struct room_mixer *rm = m ? m->room : NULL;
	if (!rm || m->listening || (!m->srtp && !m->sink))
		return;
	if (m->srtp)
		warm(rm, m);
	m->listening = true;
	m->base_packets = rm->packets;
	m->base_octets = rm->octets;
	if (!m->gate)
		add_dest(rm, m);
	mixer_publish(rm);
}

void room_mixer_unkeyed(struct mixer_member *m)
{
	struct room_mixer *rm = m ? m->room : NULL;
	if (!rm || !m->listening)
		return;
	if (!m->gate)
		remove_dest(rm, m);
	m->listening = false;
	mixer_publish(rm);
}

/* --- gates --------------------------------------------------------------------------------- */

static enum media_err mic_create(struct mixer_member *m)
{
	struct mixer_mic *mic = calloc(1, sizeof *mic);
	if (!mic)
		return MEDIA_ERR_NOMEM;
	mic->member = m;
	mix_limiter_init(&mic->lim);
	enum media_err err = MEDIA_OK;
	if (jitter_create(NULL, &mic->jb) != JITTER_OK)
		err = MEDIA_ERR_NOMEM;
	else if (codec_decoder_create(&mic->dec) != MEDIA_OK ||
		 codec_encoder_create(NULL, &mic->enc) != MEDIA_OK)
		err = MEDIA_ERR_CODEC;
	if (err) {
		mic_destroy(mic);
		return err;
	}
	m->mic = mic;
	return MEDIA_OK;
}

static enum media_err open_gate(struct room_mixer *rm, struct mixer_member *m)
{
	if (!m->mic) {
		enum media_err err = mic_create(m);
		if (err)
			return err;
	}
	struct mixer_mic *mic = m->mic;
	if (!mic->listed) {
		if (rm->n_mics == MIX_MAX_INPUTS)
			return MEDIA_ERR_FULL;
		rm->mics[rm->n_mics++] = mic;
		mic->listed = true;
		mix_gate_init(&mic->gate, false);
		talk_voice_init(&mic->voice);
		mic->forwardable = false;
	}
	mix_gate_set(&mic->gate, true); /* fades in, or back in if it was fading out */
	if (m->listening)
		remove_dest(rm, m);
	m->gate = true;
	return MEDIA_OK;
}

/* One voice per channel, whatever order the gate messages came in: the gate closes the
 * voice m would join before m opens. */
static void close_other_voice(struct room_mixer *rm, struct mixer_member *m)
{
	for (size_t i = 0; m->voice_ch && i < rm->n_mics; i++) {
		struct mixer_member *o = rm->mics[i]->member;
		if (o != m && o->gate && o->voice_ch == m->voice_ch)
			(void)!room_mixer_gate(o, false);
	}
}

enum media_err room_mixer_gate(struct mixer_member *m, bool open)
{
	struct room_mixer *rm = m ? m->room : NULL;
	if (!rm)
		return MEDIA_ERR_PARAM;
	if (open == m->gate)
		return MEDIA_OK;
	talk_attempt_reset(&m->attempt);
	enum media_err err = MEDIA_OK;
	if (open) {
		close_other_voice(rm, m);
		err = open_gate(rm, m);
	} else {
		/* The mic stays in mics[] until its fade-out has played (room_tick.c). */
		m->gate = false;
		if (m->mic && m->mic->listed)
			mix_gate_set(&m->mic->gate, false);
		if (m->listening)
			add_dest(rm, m);
	}
	mixer_publish(rm);
	return err;
}

/* --- interpretation channels --------------------------------------------------------------- */

enum media_err room_mixer_channel(struct mixer_member *m, unsigned ch)
{
	struct room_mixer *rm = m ? m->room : NULL;
	if (!rm || ch > MIXER_CHANNEL_LISTS)
		return MEDIA_ERR_PARAM;
	if (ch == m->listen_ch)
		return MEDIA_OK;
	if (ch && !channels_reserve(rm, ch - 1, 1))
		return MEDIA_ERR_NOMEM;
	bool listed = m->listening && !m->gate;
	if (listed)
		remove_dest(rm, m);
	choose(rm, m, (uint8_t)ch);
	if (listed)
		add_dest(rm, m);
	return MEDIA_OK;
}

enum media_err room_mixer_voice(struct mixer_member *m, unsigned ch)
{
	struct room_mixer *rm = m ? m->room : NULL;
	if (!rm || ch > MIXER_CHANNELS)
		return MEDIA_ERR_PARAM;
	if (ch == m->voice_ch)
		return MEDIA_OK;
	enum media_err err = ch ? channels_voice_ready(rm, ch - 1) : MEDIA_OK;
	if (err != MEDIA_OK)
		return err;
	if (ch)
		record_channel_start(rm, ch - 1); /* the channel's listen.ogg, while live */
	bool open = m->gate;
	if (open) /* it moves between mixes closed, so it is never in two */
		(void)!room_mixer_gate(m, false);
	m->voice_ch = (uint8_t)ch;
	return open ? room_mixer_gate(m, true) : MEDIA_OK;
}

/* --- sending ------------------------------------------------------------------------------ */

size_t mixer_build(struct room_mixer *rm, const struct rtp_build *b, const uint8_t *payload,
		   size_t len)
{
	size_t hl;
	if (rtp_build_header(rm->pkt, sizeof rm->pkt, b, &hl) != RTP_OK ||
	    len > sizeof rm->pkt - hl)
		return 0;
	memcpy(rm->pkt + hl, payload, len);
	return hl + len;
}

static void count_result(const struct mixer_env *env, const struct fanout_result *res)
{
	struct mixer_counters *c = env->counters;
	atomic_fetch_add_explicit(&c->packets_sent, res->sent, memory_order_relaxed);
	if (res->send_errors)
		atomic_fetch_add_explicit(&c->send_errors, res->send_errors, memory_order_relaxed);
	if (res->protect_errors)
		atomic_fetch_add_explicit(&c->protect_errors, res->protect_errors,
					  memory_order_relaxed);
}

void mixer_send_public(struct room_mixer *rm, const struct mixer_env *env, size_t len,
		       const struct mixer_mic *skip, bool skip_own)
{
	size_t n = rm->n_dests;
	/* A relayed room's stream was mixed on the owner with its open mics in it, and no
	 * mix-minus comes back for them: they would hear themselves a round trip late. */
	for (size_t i = 0; !rm->relay && i < rm->n_mics; i++) {
		const struct mixer_mic *mic = rm->mics[i];
		const struct mixer_member *m = mic->member;
		if (mic == skip || !m->gate || !m->listening || (skip_own && mic->own) ||
		    m->listen_ch)
			continue;
		member_dest(m, &rm->dests[n++]); /* cap_dests leaves room for these */
	}
	channels_send_public(rm, env, len); /* channels with no voice now hear the floor */
	if (n == 0)
		return;
	/* Timed, so /metrics can say what a listener costs per packet in the real server. */
	int64_t t0 = env->clock_us();
	struct fanout_result res;
	if (fanout_send(env->fanout, env->fd, rm->pkt, len, rm->dests, n, &res) == MEDIA_OK)
		count_result(env, &res);
	atomic_fetch_add_explicit(&env->counters->fanout_us, (uint64_t)(env->clock_us() - t0),
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&env->counters->fanout_dests, n, memory_order_relaxed);
}

void mixer_send_own(struct room_mixer *rm, const struct mixer_env *env, const struct mixer_mic *mic,
		    size_t len)
{
	struct fanout_dest d;
	member_dest(mic->member, &d);
	struct fanout_result res;
	if (fanout_send(env->fanout, env->fd, rm->pkt, len, &d, 1, &res) == MEDIA_OK)
		count_result(env, &res);
}

void mixer_sent(struct room_mixer *rm, uint16_t seq, uint32_t ts, size_t payload_len,
		int64_t now_us)
{
	rm->packets++;
	rm->octets += (uint32_t)payload_len;
	if (rtp_seq_newer(seq, rm->last_seq)) { /* a reordered forward leaves the head alone */
		rm->last_seq = seq;
		rm->last_ts = ts;
		rm->last_us = now_us;
	}
}

void mixer_observe(_Atomic uint64_t *buckets, _Atomic uint64_t *count, _Atomic uint64_t *sum,
		   int64_t ns)
{
	if (ns < 0)
		ns = 0;
	double s = (double)ns / 1e9;
	size_t i = 0;
	while (i < MEDIA_LATENCY_BUCKETS && s > media_latency_bucket_bounds[i])
		i++;
	atomic_fetch_add_explicit(&buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(sum, (uint64_t)ns, memory_order_relaxed);
}

/* See MIXER_KEEPALIVE: the speaker gets the packet's header with an empty frame (its
 * TOC, code 0, no data: silence to a decoder). */
static void keep_alive(struct room_mixer *rm, const struct mixer_env *env,
		       const struct rtp_build *b, const struct rtp_header *in)
{
	struct mixer_mic *speaker = rm->fwd;
	if (!speaker || !speaker->member->listening || ++speaker->quiet < MIXER_KEEPALIVE ||
	    in->payload_len == 0)
		return;
	uint8_t empty = (uint8_t)(in->payload[0] & 0xFC);
	size_t len = mixer_build(rm, b, &empty, 1);
	if (len)
		mixer_send_own(rm, env, speaker, len);
	speaker->quiet = 0;
}

void mixer_forward(struct room_mixer *rm, const struct mixer_env *env, const struct rtp_header *in,
		   int64_t arrival_us, int64_t now_us)
{
	struct rtp_build b = {0};
	if (rtp_rewrite_forward(&rm->rw, in, MIXER_SAMPLES_PER_US(now_us), &b) != MEDIA_OK)
		return; /* a duplicate, or a straggler from before the switch */
	size_t len = mixer_build(rm, &b, in->payload, in->payload_len);
	if (!len)
		return;
	/* The latency is the packet's arrival to its copies starting to leave; the fan-out's
	 * own time per listener is plenary_mixer_fanout_seconds_total. */
	int64_t leaving = env->clock_us();
	mixer_tap(rm, env, 0, &b, in->payload, in->payload_len);
	mixer_send_public(rm, env, len, rm->fwd, false);
	keep_alive(rm, env, &b, in);
	mixer_sent(rm, b.seq, b.timestamp, in->payload_len, leaving);
	rm->sent_last_tick = true;
	struct mixer_counters *c = env->counters;
	atomic_fetch_add_explicit(&c->forwarded, 1, memory_order_relaxed);
	mixer_observe(c->latency_fwd, &c->latency_fwd_count, &c->latency_fwd_sum_ns,
		      (leaving - arrival_us) * 1000);
}

/* --- arrivals ------------------------------------------------------------------------------ */

bool room_mixer_audio(struct mixer_member *m, const struct rtp_header *h,
		      const struct talk_packet *tp, const struct mixer_env *env)
{
	struct room_mixer *rm = m ? m->room : NULL;
	struct mixer_mic *mic = m ? m->mic : NULL;
	if (!rm)
		return false;
	if (!m->gate || !mic || !mic->listed) /* closed: never decoded (DESIGN.md principle 3) */
		return talk_attempt_packet(&m->attempt, tp);
	if (h->payload_type != m->payload_type)
		return false; /* not Opus (comfort noise, DTMF): nothing to mix */
	talk_voice_packet(&mic->voice, tp);
	mic->forwardable = codec_packet_samples(h->payload, h->payload_len) == RTP_REWRITE_FRAME;
	size_t k = h->seq % MIXER_ARRIVALS;
	mic->arrival_us[k] = tp->now_us;
	mic->arrival_seq[k] = h->seq;
	struct jitter_packet jp = {.ssrc = h->ssrc,
				   .seq = h->seq,
				   .timestamp = h->timestamp,
				   .marker = h->marker,
				   .payload = h->payload,
				   .len = h->payload_len};
	(void)!jitter_insert(mic->jb, &jp, tp->now_us); /* late or duplicate: counted there */
	if (rm->fwd == mic)
		mixer_forward(rm, env, h, tp->now_us, tp->now_us);
	return false;
}

bool room_mixer_talking(const struct mixer_member *m, int64_t now_us)
{
	return m && m->room && m->gate && m->mic && m->mic->listed &&
	       talk_voice_active(&m->mic->voice, now_us);
}

/* --- sessions and reports ------------------------------------------------------------------- */

enum media_err room_mixer_session(struct room_mixer *rm, const struct mixer_env *env,
				  const struct mixer_session *s)
{
	if (!rm || !s)
		return MEDIA_ERR_PARAM;
	enum media_err err = MEDIA_OK;
	if (s->live && !rm->rec.live)
		record_begin(rm, env, s, &err);
	else if (!s->live && rm->rec.live)
		record_end(rm, env);
	mixer_publish(rm);
	return err;
}

bool room_mixer_sender_info(const struct mixer_member *m, uint64_t now_ms, uint32_t *packets,
			    uint32_t *octets, uint32_t *rtp_ts)
{
	const struct room_mixer *rm = m ? m->room : NULL;
	if (!rm || !m->listening || rm->packets == m->base_packets)
		return false;
	*packets = rm->packets - m->base_packets;
	*octets = rm->octets - m->base_octets;
	int64_t since_us = (int64_t)now_ms * 1000 - rm->last_us;
	*rtp_ts = rm->last_ts + (uint32_t)MIXER_SAMPLES_PER_US(since_us > 0 ? since_us : 0);
	return true;
}
