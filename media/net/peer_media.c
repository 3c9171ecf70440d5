/*
 * peer_media -- SRTP, RTP and RTCP of a connected peer: what arrives is authenticated and
 * decrypted (RFC 3711 with the replay window of srtp_session.h), counted (RFC 3550 A.1,
 * A.3, A.8 through rtcp_rx), and its RFC 6464 audio level noted; RTCP is parsed for the
 * browser's sender reports (our LSR/DLSR) and its report blocks about us (RTT); every
 * few seconds we send a compound of SR or RR and SDES CNAME (RFC 3550 sect. 6.1, which
 * RFC 8834 sect. 4.1 keeps for WebRTC).
 *
 * Test-only echo (env->echo): a decrypted Opus packet goes straight back to the peer
 * under our SSRC and our sequence numbers, protected with our key -- enough for a browser
 * to play it and show inbound-rtp statistics before the mixer exists. It copies the
 * packet once into the worker's scratch buffer; nothing is allocated.
 *
 * Every failure here is a dropped packet and a counter: a browser's audio is never
 * worth a state change, except through the consent and DTLS rules of peer.c.
 */
#include "media/net/peer.h"

#include <string.h>

#include "media/wire/wire.h"

#define OPUS_CLOCK_HZ	   48000u
#define NTP_FRAC_PER_MS(x) (((uint64_t)(x) << 16) / 1000u) /* ms -> 1/65536 s */

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint32_t next_random(struct peer *p)
{
	/* xorshift32: report timing only, not a secret. */
	uint32_t x = p->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	p->rng = x ? x : 1;
	return p->rng;
}

/* RFC 3550 sect. 6.3.1: the interval is randomised over [0.5, 1.5] times its value so
 * that reports of many peers do not synchronise. */
static uint64_t report_interval(struct peer *p)
{
	return PEER_REPORT_INTERVAL_MS / 2 + next_random(p) % PEER_REPORT_INTERVAL_MS;
}

void peer_media_start(struct peer *p, const struct peer_env *env)
{
	p->out_seq = (uint16_t)next_random(p);
	p->out_ts_offset = next_random(p);
	/* The first report goes out soon (half an interval, sect. 6.3.2) so the browser's
	 * statistics have our SSRC early. */
	p->next_report_ms = env->now_ms + PEER_REPORT_INTERVAL_MS / 4;
}

/* The packet authenticated under the exported keys: the browser has finished the
 * handshake, and the SSL object's memory can go (dtls.h). */
static void proven(struct peer *p)
{
	if (p->ssl_released)
		return;
	if (dtls_session_release_ssl(p->dtls) == DTLS_OK)
		p->ssl_released = true;
}

static void note_receive(struct peer *p, const struct peer_env *env, const struct rtp_header *h)
{
	if (!p->have_remote || h->ssrc != p->remote_ssrc) {
		/* A new source (first packet, or the browser replaced its track). The SSRC is
		 * authenticated by SRTP, so no probation (rtcp.h). */
		rtcp_rx_init(&p->rx, h->seq, 0);
		p->have_remote = true;
		p->remote_ssrc = h->ssrc;
	}
	if (rtcp_rx_update_seq(&p->rx, h->seq))
		rtcp_rx_update_jitter(&p->rx, h->timestamp,
				      (uint32_t)(env->now_us * (OPUS_CLOCK_HZ / 1000u) / 1000u));
	p->level_fresh = false;
	if (p->audio_level_id != 0) {
		bool voice;
		uint8_t level;
		if (rtp_audio_level(h, p->audio_level_id, &voice, &level) == RTP_OK) {
			p->voice = voice;
			p->level = level;
			p->level_fresh = true;
		}
	}
}

static void send_protected_rtp(struct peer *p, const struct peer_env *env, size_t len,
			       size_t payload_len, uint32_t ts)
{
	size_t out_len;
	if (media_srtp_protect_rtp(p->srtp, env->scratch, len, env->scratch_cap, &out_len) !=
	    MEDIA_SRTP_OK)
		return;
	env->send(env->ctx, p, env->scratch, out_len);
	count(&env->counters->rtp_sent);
	p->sent_packets++;
	p->sent_octets += (uint32_t)payload_len;
	p->last_out_ts = ts;
	p->last_out_ms = env->now_ms;
}

/* Echo mode: the packet back under our SSRC, sequence numbers and timestamp offset. */
static void echo(struct peer *p, const struct peer_env *env, const struct rtp_header *h)
{
	if (!p->send || h->payload_type != p->opus_pt)
		return;
	struct rtp_build b = {.marker = h->marker,
			      .payload_type = p->opus_pt,
			      .seq = p->out_seq,
			      .timestamp = h->timestamp + p->out_ts_offset,
			      .ssrc = p->local_ssrc,
			      .audio_level_id = p->audio_level_id,
			      .voice = p->voice,
			      .level = p->level};
	size_t hl;
	if (env->scratch_cap < MEDIA_SRTP_MAX_TRAILER ||
	    rtp_build_header(env->scratch, env->scratch_cap, &b, &hl) != RTP_OK ||
	    hl + h->payload_len > env->scratch_cap - MEDIA_SRTP_MAX_TRAILER)
		return;
	memcpy(env->scratch + hl, h->payload, h->payload_len);
	p->out_seq++;
	send_protected_rtp(p, env, hl + h->payload_len, h->payload_len, b.timestamp);
}

void peer_on_rtp(struct peer *p, const struct peer_env *env, uint8_t *buf, size_t len)
{
	if (p->state != PEER_CONNECTED || p->srtp == NULL) {
		count(&env->counters->dropped);
		return;
	}
	size_t plain;
	if (media_srtp_unprotect_rtp(p->srtp, buf, len, &plain) != MEDIA_SRTP_OK) {
		p->srtp_errors++;
		count(&env->counters->srtp_errors);
		return;
	}
	proven(p);
	p->rtp_received++;
	count(&env->counters->rtp_received);
	struct rtp_header h;
	if (rtp_parse(buf, plain, &h) != RTP_OK) {
		count(&env->counters->dropped);
		return;
	}
	note_receive(p, env, &h);
	if (env->echo)
		echo(p, env, &h);
	else if (env->audio)
		env->audio(env->ctx, p, env, &h);
}

/* RFC 3550 sect. 6.4.1: RTT = now - LSR - DLSR, in 1/65536 s, from a report block about
 * what we send. */
static void note_report(struct peer *p, const struct peer_env *env,
			const struct rtcp_report_block *rb)
{
	if (rb->ssrc != p->local_ssrc || rb->lsr == 0)
		return;
	uint32_t rtt = rtcp_ntp_mid32(env->ntp) - rb->lsr - rb->dlsr;
	if (rtt < (60u << 16)) /* anything over a minute is a clock glitch */
		p->rtt_ms = (uint32_t)(((uint64_t)rtt * 1000u) >> 16);
}

void peer_on_rtcp(struct peer *p, const struct peer_env *env, uint8_t *buf, size_t len)
{
	if (p->state != PEER_CONNECTED || p->srtp == NULL) {
		count(&env->counters->dropped);
		return;
	}
	size_t plain;
	if (media_srtp_unprotect_rtcp(p->srtp, buf, len, &plain) != MEDIA_SRTP_OK) {
		p->srtp_errors++;
		count(&env->counters->srtp_errors);
		return;
	}
	proven(p);
	p->rtcp_received++;
	count(&env->counters->rtcp_received);
	struct rtcp_compound c;
	if (rtcp_parse(buf, plain, &c) != RTCP_OK) {
		count(&env->counters->dropped);
		return;
	}
	if (c.has_sr) {
		p->last_sr_mid = rtcp_ntp_mid32(c.sr.ntp);
		p->last_sr_ms = env->now_ms;
	}
	for (size_t i = 0; i < c.n_reports; i++)
		note_report(p, env, &c.reports[i].block);
}

/* What our SR says about the stream this peer receives: the room's (room_mixer.h), or in
 * echo mode the peer's own. False before anything was sent. */
static bool sender_info(const struct peer *p, const struct peer_env *env,
			struct rtcp_sender_info *si)
{
	if (room_mixer_sender_info(&p->member, env->now_ms, &si->packet_count, &si->octet_count,
				   &si->rtp_ts))
		return true;
	if (p->sent_packets == 0)
		return false;
	uint64_t since = env->now_ms - p->last_out_ms;
	si->rtp_ts = p->last_out_ts + (uint32_t)(since * (OPUS_CLOCK_HZ / 1000u));
	si->packet_count = p->sent_packets;
	si->octet_count = p->sent_octets;
	return true;
}

/* SR when we have sent since the start, else RR; one report block about the browser's
 * stream if it sends; then SDES CNAME. Returns the plaintext length, 0 on failure. */
static size_t build_report(struct peer *p, const struct peer_env *env, size_t cap)
{
	uint8_t *buf = env->scratch;
	struct rtcp_report_block rb;
	size_t nb = 0, len = 0, n = 0;
	if (p->have_remote) {
		uint32_t dlsr = 0;
		if (p->last_sr_mid != 0)
			dlsr = (uint32_t)NTP_FRAC_PER_MS(env->now_ms - p->last_sr_ms);
		rtcp_rx_fill_report(&p->rx, p->remote_ssrc, p->last_sr_mid, dlsr, &rb);
		nb = 1;
	}
	enum rtcp_err err;
	struct rtcp_sender_info si = {.ssrc = p->local_ssrc, .ntp = env->ntp};
	if (sender_info(p, env, &si)) {
		err = rtcp_build_sr(buf, cap, &si, &rb, nb, &n);
	} else {
		err = rtcp_build_rr(buf, cap, p->local_ssrc, &rb, nb, &n);
	}
	if (err != RTCP_OK)
		return 0;
	len = n;
	if (rtcp_build_sdes_cname(buf + len, cap - len, p->local_ssrc, p->cname, strlen(p->cname),
				  &n) != RTCP_OK)
		return 0;
	return len + n;
}

void peer_send_report(struct peer *p, const struct peer_env *env)
{
	if (p->state != PEER_CONNECTED || p->srtp == NULL || !p->ice.has_addr ||
	    env->now_ms < p->next_report_ms || env->scratch_cap <= MEDIA_SRTP_MAX_TRAILER)
		return;
	p->next_report_ms = env->now_ms + report_interval(p);
	size_t len = build_report(p, env, env->scratch_cap - MEDIA_SRTP_MAX_TRAILER);
	if (len == 0 || media_srtp_protect_rtcp(p->srtp, env->scratch, len, env->scratch_cap,
						&len) != MEDIA_SRTP_OK)
		return;
	env->send(env->ctx, p, env->scratch, len);
	count(&env->counters->rtcp_sent);
}

/* Cumulative packets lost (RFC 3550 A.3) without starting a new report interval. */
static uint64_t packets_lost(const struct rtcp_rx *rx)
{
	uint32_t expected = rx->cycles + rx->max_seq - rx->base_seq + 1;
	return expected > rx->received ? expected - rx->received : 0;
}

void peer_publish(struct peer *p)
{
	struct peer_shared *s = p->shared;
	if (s == NULL)
		return;
	uint64_t jitter_ts = p->rx.jitter_q4 >> 4;
	uint64_t jitter_us = jitter_ts * 1000000u / OPUS_CLOCK_HZ;
	atomic_store_explicit(&s->packets_received, p->rtp_received, memory_order_relaxed);
	atomic_store_explicit(&s->packets_lost, p->have_remote ? packets_lost(&p->rx) : 0,
			      memory_order_relaxed);
	atomic_store_explicit(&s->packets_sent, p->sent_packets, memory_order_relaxed);
	atomic_store_explicit(&s->srtp_errors, p->srtp_errors, memory_order_relaxed);
	atomic_store_explicit(&s->rtcp_received, p->rtcp_received, memory_order_relaxed);
	atomic_store_explicit(&s->jitter_us,
			      jitter_us > UINT32_MAX ? UINT32_MAX : (uint32_t)jitter_us,
			      memory_order_relaxed);
	atomic_store_explicit(&s->rtt_ms, p->rtt_ms, memory_order_relaxed);
	atomic_store_explicit(&s->audio_level, p->level, memory_order_relaxed);
	atomic_store_explicit(&s->voice, p->voice, memory_order_relaxed);
}
