/*
 * The ICE-lite answer to a parsed offer (JSEP RFC 8829 sect. 5.3, RFC 8839, RFC 8842).
 *
 * Printed with a bounded writer whose overflow becomes SDP_ENOSPACE, after every local
 * parameter has been checked, so a bad configuration cannot put a broken line (or a CRLF
 * injected through a parameter) into what the browser receives. The offer struct is
 * read, never written.
 */
#include "media/wire/sdp.h"
#include "media/wire/sdp_text.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define OPUS_FMTP	"minptime=10;useinbandfec=1;usedtx=1"
#define SHA256_TEXT_LEN 95 /* 32 hex pairs and 31 colons */

struct writer {
	char *buf;
	size_t cap;
	size_t len;
	bool full;
};

static void put(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
	if (w->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len) {
		w->full = true;
		return;
	}
	w->len += (size_t)n;
}

static bool valid_str(const char *s, size_t min, size_t max, bool (*ok)(char))
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, max + 1);
	return n >= min && n <= max && all((struct span){s, n}, ok);
}

static bool is_cname_char(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f;
}

static bool valid_sha256(const char *s)
{
	uint8_t digest[32];
	return s != NULL && strnlen(s, SHA256_TEXT_LEN + 1) == SHA256_TEXT_LEN &&
	       parse_hex_pairs((struct span){s, SHA256_TEXT_LEN}, digest, sizeof digest);
}

/* AF_INET or AF_INET6 for a numeric address, 0 otherwise. */
static int ip_family(const char *ip)
{
	unsigned char tmp[16];
	if (ip == NULL || strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN)
		return 0;
	if (inet_pton(AF_INET, ip, tmp) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, tmp) == 1)
		return AF_INET6;
	return 0;
}

static bool valid_msid(const char *s)
{
	if (s == NULL)
		return true;
	size_t n = strnlen(s, SDP_MAX_MSID + 1);
	if (n > SDP_MAX_MSID)
		return false;
	struct span v = {s, n}, a, b, c;
	return next_token(&v, &a) && is_token(a, 64) && (!next_token(&v, &b) || is_token(b, 64)) &&
	       !next_token(&v, &c) && s[0] != ' ' && (n == 0 || s[n - 1] != ' ');
}

static bool valid_local(const struct sdp_local *l)
{
	if (!valid_str(l->ice_ufrag, 4, SDP_MAX_ICE, is_ice_char) ||
	    !valid_str(l->ice_pwd, 22, SDP_MAX_ICE, is_ice_char) || !valid_sha256(l->fingerprint) ||
	    !valid_str(l->cname, 1, SDP_MAX_CNAME, is_cname_char) || !valid_msid(l->msid))
		return false;
	if (l->candidates == NULL || l->n_candidates == 0 || l->n_candidates > SDP_MAX_CANDIDATES ||
	    l->candidates[0].tcp)
		return false;
	for (size_t i = 0; i < l->n_candidates; i++)
		if (ip_family(l->candidates[i].ip) == 0 || l->candidates[i].port == 0)
			return false;
	return true;
}

/* RFC 3264 sect. 6.1 as JSEP applies it; recvonly when we have nothing to send. */
static enum sdp_direction answer_direction(enum sdp_direction offered, bool send)
{
	switch (offered) {
	case SDP_SENDRECV:
		return send ? SDP_SENDRECV : SDP_RECVONLY;
	case SDP_RECVONLY:
		return send ? SDP_SENDONLY : SDP_INACTIVE;
	case SDP_SENDONLY:
		return SDP_RECVONLY;
	case SDP_INACTIVE:
		break;
	}
	return SDP_INACTIVE;
}

static const char *direction_name(enum sdp_direction d)
{
	static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	return names[d];
}

static bool mid_bundled(const struct sdp_offer *o, const char *mid)
{
	for (size_t i = 0; i < o->n_bundle; i++)
		if (mid[0] != '\0' && strcmp(o->bundle[i], mid) == 0)
			return true;
	return false;
}

/* JSEP sect. 5.3.1: a rejected m-section keeps its media type, proto and formats, with
 * port 0, and its mid. */
static void put_rejected(struct writer *w, const struct sdp_media *m)
{
	put(w, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto, m->fmts);
	if (m->mid[0] != '\0')
		put(w, "a=mid:%s\r\n", m->mid);
}

/* RFC 8445 sect. 5.1.2.1: host type preference 126, distinct local preferences in the
 * order given, component 1. ICE-TCP (RFC 6544 sect. 4.2): below every UDP candidate, type
 * preference 90 (as libwebrtc gives TCP host candidates), local preference
 * 2^13 * direction-pref (4: passive) + other-pref, distinct in the order given. */
#define TYPE_PREF_HOST_UDP 126u
#define TYPE_PREF_HOST_TCP 90u
#define DIRECTION_PASSIVE  4u

static void put_candidates(struct writer *w, const struct sdp_local *l)
{
	size_t n_udp = 0, n_tcp = 0;
	for (size_t i = 0; i < l->n_candidates; i++) {
		const struct sdp_candidate *c = &l->candidates[i];
		if (c->tcp) {
			uint32_t local = DIRECTION_PASSIVE << 13 | (uint32_t)(8191 - n_tcp++);
			uint32_t prio = TYPE_PREF_HOST_TCP << 24 | local << 8 | 255u;
			put(w, "a=candidate:%zu 1 tcp %u %s %u typ host tcptype passive\r\n", i + 1,
			    prio, c->ip, c->port);
		} else {
			uint32_t prio =
			    TYPE_PREF_HOST_UDP << 24 | (uint32_t)(65535 - n_udp++) << 8 | 255u;
			put(w, "a=candidate:%zu 1 udp %u %s %u typ host\r\n", i + 1, prio, c->ip,
			    c->port);
		}
	}
	put(w, "a=end-of-candidates\r\n");
}

static void put_audio(struct writer *w, const struct sdp_media *m, const struct sdp_local *l)
{
	const struct sdp_candidate *c0 = &l->candidates[0];
	enum sdp_direction dir = answer_direction(m->direction, l->send);
	bool sending = dir == SDP_SENDRECV || dir == SDP_SENDONLY;
	put(w, "m=audio %u %s %d\r\n", c0->port, m->proto, m->opus_pt);
	put(w, "c=IN %s %s\r\n", ip_family(c0->ip) == AF_INET6 ? "IP6" : "IP4", c0->ip);
	if (m->mid[0] != '\0')
		put(w, "a=mid:%s\r\n", m->mid);
	put(w, "a=%s\r\n", direction_name(dir));
	put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ice_ufrag, l->ice_pwd);
	put(w, "a=fingerprint:sha-256 %s\r\n", l->fingerprint);
	put(w, "a=setup:passive\r\na=rtcp-mux\r\n");
	put(w, "a=rtpmap:%d opus/48000/2\r\n", m->opus_pt);
	put(w, "a=fmtp:%d %s\r\n", m->opus_pt, OPUS_FMTP);
	if (m->audio_level_id != 0)
		put(w, "a=extmap:%u %s\r\n", m->audio_level_id, AUDIO_LEVEL_URI);
	if (sending && l->msid != NULL)
		put(w, "a=msid:%s\r\n", l->msid);
	if (sending)
		put(w, "a=ssrc:%u cname:%s\r\n", l->ssrc, l->cname);
	put_candidates(w, l);
}

enum sdp_err sdp_build_answer(const struct sdp_offer *offer, const struct sdp_local *local,
			      char *out, size_t cap, size_t *out_len)
{
	if (offer == NULL || local == NULL || out == NULL || out_len == NULL || cap == 0 ||
	    offer->audio < 0 || (size_t)offer->audio >= offer->n_media)
		return SDP_EINVAL;
	out[0] = '\0';
	const struct sdp_media *audio = &offer->media[offer->audio];
	/* We are ICE-lite and always the DTLS server (RFC 8842 sect. 5.3). */
	if (audio->setup == SDP_SETUP_PASSIVE || audio->setup == SDP_SETUP_HOLDCONN)
		return SDP_ESETUP_ROLE;
	if (!valid_local(local))
		return SDP_EBAD_LOCAL;
	struct writer w = {out, cap, 0, false};
	put(&w, "v=0\r\no=- %llu %llu IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
	    (unsigned long long)local->session_id, (unsigned long long)local->session_version);
	put(&w, "a=ice-lite\r\n");
	if (mid_bundled(offer, audio->mid))
		put(&w, "a=group:BUNDLE %s\r\n", audio->mid);
	if (offer->extmap_allow_mixed)
		put(&w, "a=extmap-allow-mixed\r\n");
	for (size_t i = 0; i < offer->n_media; i++) {
		if ((int)i == offer->audio)
			put_audio(&w, audio, local);
		else
			put_rejected(&w, &offer->media[i]);
	}
	if (w.full) {
		out[0] = '\0';
		return SDP_ENOSPACE;
	}
	*out_len = w.len;
	return SDP_OK;
}
