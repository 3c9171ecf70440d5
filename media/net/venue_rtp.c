/*
 * A venue over plain RTP: its socket, its place in the room's mix, and the two codecs
 * an L16 desk needs. See venue_rtp.h for what it is; here is how.
 *
 * In: a datagram is checked (venue_rtp_check.c); Opus goes to room_mixer_audio as it
 * came, L16 is gathered into 20 ms frames, each encoded into one Opus packet with its own
 * sequence number and timestamp (the mixer's jitter buffer orders by them), then given to
 * the mixer the same way.
 * Out: the mixer sends the venue what it sends any member, through the member's sink
 * (fanout.h) instead of SRTP and the worker's socket: the plain packet leaves on the
 * venue's own socket, so the desk sees one address both ways. For L16 it is decoded first
 * and sent as two 10 ms packets.
 */
#include "media/net/venue_rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/net/udp.h"

#define VENUE_RX_BATCH 64 /* datagrams read per wake-up; the rest come back next turn */
#define VENUE_HALF     (VENUE_L16_FRAME / 2)

bool venue_parse_addr(const char *text, struct stun_addr *out)
{
	char ip[64];
	const char *colon = text ? strrchr(text, ':') : NULL;
	if (!colon || (size_t)(colon - text) >= sizeof ip || colon == text)
		return false;
	size_t n = (size_t)(colon - text);
	const char *start = text;
	if (text[0] == '[') {
		if (n < 3 || text[n - 1] != ']')
			return false;
		start++;
		n -= 2;
	}
	memcpy(ip, start, n);
	ip[n] = '\0';
	if (start == text && memchr(ip, ':', n))
		return false; /* IPv6 without brackets: "::1:5004" could be an address alone */
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port == 0 || port > 65535 || colon[1] == '+' ||
	    colon[1] == '-' || !udp_parse_ip(ip, out))
		return false;
	out->port = (uint16_t)port;
	return true;
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static bool send_plain(struct venue_rtp *v, const uint8_t *buf, size_t len)
{
	bool ok = udp_send(v->fd, v->family, &v->send_to, buf, len);
	if (ok && v->counters)
		count(&v->counters->sent);
	return ok;
}

/* Two 10 ms L16 packets from one 20 ms Opus packet (RFC 3551: L16 is big-endian). */
static bool send_l16(struct venue_rtp *v, const struct rtp_header *h)
{
	if (codec_decode(v->dec, h->payload, h->payload_len, v->out_pcm) != MEDIA_OK &&
	    codec_decode_plc(v->dec, v->out_pcm) != MEDIA_OK)
		return false;
	bool ok = true;
	for (int half = 0; half < 2; half++) {
		struct rtp_build b = {.payload_type = v->pt,
				      .marker = h->marker && half == 0,
				      .seq = v->out_seq++,
				      .timestamp = h->timestamp + (uint32_t)(half * VENUE_HALF),
				      .ssrc = h->ssrc};
		size_t hl;
		if (rtp_build_header(v->out_pkt, sizeof v->out_pkt, &b, &hl) != RTP_OK ||
		    hl + 2 * VENUE_HALF > sizeof v->out_pkt)
			return false;
		for (size_t i = 0; i < VENUE_HALF; i++) {
			uint16_t s = (uint16_t)v->out_pcm[half * VENUE_HALF + i];
			v->out_pkt[hl + 2 * i] = (uint8_t)(s >> 8);
			v->out_pkt[hl + 2 * i + 1] = (uint8_t)s;
		}
		ok = send_plain(v, v->out_pkt, hl + 2 * VENUE_HALF) && ok;
	}
	return ok;
}

/* fanout_sink.send: the mixer's plain packet for this venue (no SRTP: srtp is NULL). */
static bool sink_send(struct fanout_sink *self, const uint8_t *buf, size_t len)
{
	struct venue_rtp *v = BASE_CONTAINER_OF(self, struct venue_rtp, sink);
	if (v->codec == MEDIA_VENUE_OPUS)
		return send_plain(v, buf, len);
	struct rtp_header h;
	if (rtp_parse(buf, len, &h) != RTP_OK || h.payload_len == 0)
		return true; /* the mixer's keep-alive, empty: nothing to play */
	return send_l16(v, &h);
}

static enum media_err fail(char *why, size_t cap, enum media_err err, const char *what)
{
	if (why && cap)
		snprintf(why, cap, "%s", what);
	return err;
}

static enum media_err make_codecs(struct venue_rtp *v)
{
	if (v->codec != MEDIA_VENUE_L16)
		return MEDIA_OK;
	struct codec_encoder_config ec = {.complexity = -1, .loss_percent = 0, .disable_fec = true};
	enum media_err err = codec_encoder_create(&ec, &v->enc);
	return err == MEDIA_OK ? codec_decoder_create(&v->dec) : err;
}

enum media_err venue_rtp_create(const struct media_venue_rtp *cfg, uint32_t ssrc,
				struct mixer_room_stats *stats, struct venue_rtp **out, char *why,
				size_t why_cap)
{
	*out = NULL;
	if (!cfg || !cfg->room || !cfg->room[0] || strlen(cfg->room) > MEDIA_ROOM_MAX ||
	    cfg->payload_type > 127)
		return fail(why, why_cap, MEDIA_ERR_PARAM, "venue: bad room or payload type");
	struct venue_rtp *v = calloc(1, sizeof *v);
	if (!v)
		return fail(why, why_cap, MEDIA_ERR_NOMEM, "venue: out of memory");
	v->fd = -1;
	snprintf(v->room, sizeof v->room, "%s", cfg->room);
	v->ssrc = ssrc;
	v->stats = stats;
	v->codec = cfg->codec;
	v->pt = cfg->payload_type;
	enum media_err err = MEDIA_OK;
	if (!venue_parse_addr(cfg->listen, &v->local) ||
	    !venue_parse_addr(cfg->send_to, &v->send_to))
		err =
		    fail(why, why_cap, MEDIA_ERR_PARAM, "venue: listen and send_to are ADDR:PORT");
	else if (udp_open(&v->local, &v->fd) != 0)
		err = fail(why, why_cap, MEDIA_ERR_SYSTEM, "venue: cannot bind the listen address");
	else if ((err = make_codecs(v)) != MEDIA_OK)
		(void)fail(why, why_cap, err, "venue: the codec could not be made");
	if (err != MEDIA_OK) {
		venue_rtp_destroy(v);
		return err;
	}
	v->family = v->local.family == STUN_IPV6 ? AF_INET6 : AF_INET;
	v->sink.send = sink_send;
	v->member.sink = &v->sink;
	v->member.payload_type = v->pt;
	*out = v;
	return MEDIA_OK;
}

void venue_rtp_destroy(struct venue_rtp *v)
{
	if (!v)
		return;
	if (v->fd >= 0)
		close(v->fd);
	codec_encoder_destroy(v->enc);
	codec_decoder_destroy(v->dec);
	free(v);
}

/* A full 20 ms L16 frame: one Opus packet for the mixer, numbered as its own stream. */
static void l16_frame(struct venue_rtp *v, const struct mixer_env *env, int64_t now_us)
{
	uint8_t *pkt = v->in_pkt;
	size_t len;
	bool dtx;
	v->in.n = 0;
	if (codec_encode(v->enc, v->in.pcm, pkt, CODEC_MAX_PACKET, &len, &dtx) != MEDIA_OK)
		return;
	struct rtp_header h = {.payload_type = v->pt,
			       .seq = v->in_seq++,
			       .timestamp = v->in_ts,
			       .ssrc = v->ssrc ^ 0x5eed,
			       .payload = pkt,
			       .payload_len = len};
	v->in_ts += CODEC_FRAME;
	struct talk_packet tp = {.now_us = now_us, .payload_len = len};
	(void)room_mixer_audio(&v->member, &h, &tp, env);
}

static void take(struct venue_rtp *v, const uint8_t *buf, size_t len, const struct mixer_env *env,
		 int64_t now_us)
{
	struct rtp_header h;
	enum venue_drop d = venue_rtp_check(buf, len, v->codec, v->pt, &h);
	if (d != VENUE_OK) {
		/* The operator's first clue to a silent desk (a wrong payload type, a codec that
		 * is not the configured one): the 1st, 2nd, 4th, 8th... drop is logged. */
		uint64_t n =
		    atomic_fetch_add_explicit(&v->counters->dropped, 1, memory_order_relaxed);
		if ((n & (n + 1)) == 0)
			fprintf(stderr,
				"RTP venue of room %s: datagram dropped (%s), %llu so far\n",
				v->room, venue_drop_name(d), (unsigned long long)n + 1);
		return;
	}
	count(&v->counters->received);
	if (v->codec == MEDIA_VENUE_OPUS) {
		struct talk_packet tp = {.now_us = now_us, .payload_len = h.payload_len};
		(void)room_mixer_audio(&v->member, &h, &tp, env);
		return;
	}
	size_t from = 0;
	while (venue_l16_gather(&v->in, h.payload, h.payload_len, &from))
		l16_frame(v, env, now_us);
}

void venue_rtp_receive(struct venue_rtp *v, const struct mixer_env *env, int64_t now_us)
{
	uint8_t buf[2048];
	for (int i = 0; i < VENUE_RX_BATCH; i++) {
		ssize_t n = recv(v->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return; /* EAGAIN: all read; anything else: try again next wake-up */
		if ((size_t)n > sizeof buf)
			count(&v->counters->dropped); /* over any MTU: no packet of a desk */
		else
			take(v, buf, (size_t)n, env, now_us);
	}
}
