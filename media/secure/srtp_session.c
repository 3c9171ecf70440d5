/*
 * srtp_session -- a thin, checked shell over libsrtp 2 for one peer.
 *
 * Why a shell at all: libsrtp's API takes an int length and trusts that the buffer has
 * room for the trailer; its errors are a long list most of which cannot happen here. This
 * file adds the bounds (cap in, lengths as size_t), the profile-to-policy mapping of
 * RFC 5764 / RFC 7714 and one error enum. It is also compiled on its own into
 * bench_srtp_system against Debian's NSS-based libsrtp2, so it depends on libsrtp and
 * libc only (dtls.h is used for the key struct, not for any code).
 *
 * Cost: protect is one libsrtp call plus a few comparisons. With libsrtp on OpenSSL a
 * 100-byte Opus packet takes about 0.4-0.6 us while the sessions' state fits in the
 * cache, and about 1-1.5 us round-robin over 10,000 sessions, where each protect touches
 * state that has left it; the library's own cost does not grow with the number of
 * sessions. Debian's NSS build does (tests/load/bench_srtp.c, media/SECURITY-LAYER.md).
 */
#include "media/secure/srtp_session.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

_Static_assert(MEDIA_SRTP_MAX_TRAILER >= SRTP_MAX_TRAILER_LEN + 4,
	       "room for the largest SRTP trailer plus the SRTCP index");

#define RTP_HEADER_LEN	12 /* RFC 3550 sect. 5.1 */
#define RTCP_HEADER_LEN 8  /* RFC 3550 sect. 6.4.1: header and SSRC */
#define SRTCP_INDEX_LEN 4  /* RFC 3711 sect. 3.4: E flag and SRTCP index */
#define TAG_LEN_CM_80	10 /* RFC 3711 sect. 4.2: HMAC-SHA1 truncated to 80 bits */
#define TAG_LEN_GCM	16 /* RFC 7714 sect. 7.3 */
#define MAX_PACKET	(INT_MAX - MEDIA_SRTP_MAX_TRAILER)

struct media_srtp {
	srtp_t in;  /* ssrc_any_inbound: remote key */
	srtp_t out; /* ssrc_any_outbound: local key */
	enum dtls_srtp_profile profile;
	size_t tag_len;
};

/* The once-per-process guard: the only mutable globals in this file. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_init_fail;

static const char *const error_names[] = {
    [MEDIA_SRTP_OK] = "ok",
    [MEDIA_SRTP_ERR_PARAM] = "invalid argument",
    [MEDIA_SRTP_ERR_NOMEM] = "out of memory",
    [MEDIA_SRTP_ERR_INIT] = "libsrtp failed to initialise",
    [MEDIA_SRTP_ERR_PROFILE] = "SRTP profile not supported",
    [MEDIA_SRTP_ERR_SPACE] = "no room for the SRTP trailer",
    [MEDIA_SRTP_ERR_MALFORMED] = "malformed RTP/RTCP packet",
    [MEDIA_SRTP_ERR_AUTH] = "SRTP authentication failed",
    [MEDIA_SRTP_ERR_REPLAY] = "SRTP replay",
    [MEDIA_SRTP_ERR_REPLAY_OLD] = "SRTP packet older than the replay window",
    [MEDIA_SRTP_ERR_CIPHER] = "SRTP cipher failure",
    [MEDIA_SRTP_ERR_KEY_EXPIRED] = "SRTP key usage limit reached",
    [MEDIA_SRTP_ERR_INTERNAL] = "libsrtp internal error",
};

const char *media_srtp_strerror(enum media_srtp_err err)
{
	if ((size_t)err < sizeof error_names / sizeof error_names[0] && error_names[err])
		return error_names[err];
	return "unknown SRTP error";
}

static enum media_srtp_err map_status(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return MEDIA_SRTP_OK;
	case srtp_err_status_auth_fail:
		return MEDIA_SRTP_ERR_AUTH;
	case srtp_err_status_replay_fail:
		return MEDIA_SRTP_ERR_REPLAY;
	case srtp_err_status_replay_old:
		return MEDIA_SRTP_ERR_REPLAY_OLD;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return MEDIA_SRTP_ERR_MALFORMED;
	case srtp_err_status_alloc_fail:
		return MEDIA_SRTP_ERR_NOMEM;
	case srtp_err_status_cipher_fail:
		return MEDIA_SRTP_ERR_CIPHER;
	case srtp_err_status_key_expired:
		return MEDIA_SRTP_ERR_KEY_EXPIRED;
	default:
		return MEDIA_SRTP_ERR_INTERNAL;
	}
}

static void init_libsrtp(void)
{
	init_status = srtp_init();
}

enum media_srtp_err media_srtp_global_init(void)
{
	if (pthread_once(&init_once, init_libsrtp) != 0)
		return MEDIA_SRTP_ERR_INIT;
	return init_status == srtp_err_status_ok ? MEDIA_SRTP_OK : MEDIA_SRTP_ERR_INIT;
}

void media_srtp_global_shutdown(void)
{
	if (init_status == srtp_err_status_ok)
		(void)srtp_shutdown();
	init_status = srtp_err_status_init_fail;
}

/* One direction's policy: the profile's transforms for RTP and RTCP (RFC 5764 sect.
 * 4.1.2, RFC 7714 sect. 14.2), master key followed by master salt as libsrtp wants. */
static void make_policy(srtp_policy_t *p, enum dtls_srtp_profile profile, srtp_ssrc_type_t type,
			uint8_t *key)
{
	memset(p, 0, sizeof *p);
	if (profile == DTLS_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
	}
	p->ssrc.type = type;
	p->key = key;
	p->window_size = MEDIA_SRTP_REPLAY_WINDOW;
	/* A listener's packets are each protected once; a repeat is a bug upstream, and
	 * re-encrypting different data under one index would reuse a keystream. */
	p->allow_repeat_tx = 0;
}

static enum media_srtp_err check_keys(const struct dtls_srtp_keys *k)
{
	if (k->profile != DTLS_SRTP_AES128_CM_SHA1_80 && k->profile != DTLS_SRTP_AEAD_AES_128_GCM)
		return MEDIA_SRTP_ERR_PROFILE;
	size_t salt = k->profile == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14;
	if (k->key_len != 16 || k->salt_len != salt)
		return MEDIA_SRTP_ERR_PARAM;
	return MEDIA_SRTP_OK;
}

static enum media_srtp_err make_direction(srtp_t *out, enum dtls_srtp_profile profile,
					  srtp_ssrc_type_t type, const uint8_t *key, size_t key_len,
					  const uint8_t *salt, size_t salt_len)
{
	uint8_t material[DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX];
	srtp_policy_t policy;
	memcpy(material, key, key_len);
	memcpy(material + key_len, salt, salt_len);
	make_policy(&policy, profile, type, material);
	srtp_err_status_t st = srtp_create(out, &policy);
	explicit_bzero(material, sizeof material);
	if (st != srtp_err_status_ok) {
		*out = NULL;
		return st == srtp_err_status_bad_param ? MEDIA_SRTP_ERR_PROFILE : map_status(st);
	}
	return MEDIA_SRTP_OK;
}

enum media_srtp_err media_srtp_create(const struct dtls_srtp_keys *keys, struct media_srtp **out)
{
	if (!keys || !out)
		return MEDIA_SRTP_ERR_PARAM;
	enum media_srtp_err err = media_srtp_global_init();
	if (err)
		return err;
	if ((err = check_keys(keys)))
		return err;
	struct media_srtp *s = calloc(1, sizeof *s);
	if (!s)
		return MEDIA_SRTP_ERR_NOMEM;
	s->profile = keys->profile;
	s->tag_len = keys->profile == DTLS_SRTP_AEAD_AES_128_GCM ? TAG_LEN_GCM : TAG_LEN_CM_80;
	err = make_direction(&s->in, keys->profile, ssrc_any_inbound, keys->remote_key,
			     keys->key_len, keys->remote_salt, keys->salt_len);
	if (!err)
		err = make_direction(&s->out, keys->profile, ssrc_any_outbound, keys->local_key,
				     keys->key_len, keys->local_salt, keys->salt_len);
	if (err) {
		media_srtp_destroy(s);
		return err;
	}
	*out = s;
	return MEDIA_SRTP_OK;
}

void media_srtp_destroy(struct media_srtp *s)
{
	if (!s)
		return;
	if (s->in)
		(void)srtp_dealloc(s->in);
	if (s->out)
		(void)srtp_dealloc(s->out);
	free(s);
}

enum dtls_srtp_profile media_srtp_profile(const struct media_srtp *s)
{
	return s ? s->profile : DTLS_SRTP_NONE;
}

size_t media_srtp_trailer_len(const struct media_srtp *s, bool rtcp)
{
	if (!s)
		return MEDIA_SRTP_MAX_TRAILER;
	return s->tag_len + (rtcp ? SRTCP_INDEX_LEN : 0);
}

/* Version 2 and at least a fixed header: the rest (CSRCs, extension) libsrtp checks. */
static bool looks_like(const uint8_t *pkt, size_t len, size_t min)
{
	return len >= min && len <= MAX_PACKET && (pkt[0] >> 6) == 2;
}

void media_srtp_prefetch(const struct media_srtp *s)
{
	if (s)
		__builtin_prefetch(s->out);
}

enum media_srtp_err media_srtp_protect_rtp(struct media_srtp *s, uint8_t *pkt, size_t len,
					   size_t cap, size_t *out_len)
{
	if (!s || !pkt || !out_len)
		return MEDIA_SRTP_ERR_PARAM;
	if (!looks_like(pkt, len, RTP_HEADER_LEN))
		return MEDIA_SRTP_ERR_MALFORMED;
	if (cap < len + s->tag_len)
		return MEDIA_SRTP_ERR_SPACE;
	int n = (int)len;
	srtp_err_status_t st = srtp_protect(s->out, pkt, &n);
	if (st != srtp_err_status_ok)
		return map_status(st);
	*out_len = (size_t)n;
	return MEDIA_SRTP_OK;
}

enum media_srtp_err media_srtp_unprotect_rtp(struct media_srtp *s, uint8_t *pkt, size_t len,
					     size_t *out_len)
{
	if (!s || !pkt || !out_len)
		return MEDIA_SRTP_ERR_PARAM;
	if (!looks_like(pkt, len, RTP_HEADER_LEN + s->tag_len))
		return MEDIA_SRTP_ERR_MALFORMED;
	int n = (int)len;
	srtp_err_status_t st = srtp_unprotect(s->in, pkt, &n);
	if (st != srtp_err_status_ok)
		return map_status(st);
	*out_len = (size_t)n;
	return MEDIA_SRTP_OK;
}

enum media_srtp_err media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *pkt, size_t len,
					    size_t cap, size_t *out_len)
{
	if (!s || !pkt || !out_len)
		return MEDIA_SRTP_ERR_PARAM;
	if (!looks_like(pkt, len, RTCP_HEADER_LEN))
		return MEDIA_SRTP_ERR_MALFORMED;
	if (cap < len + s->tag_len + SRTCP_INDEX_LEN)
		return MEDIA_SRTP_ERR_SPACE;
	int n = (int)len;
	srtp_err_status_t st = srtp_protect_rtcp(s->out, pkt, &n);
	if (st != srtp_err_status_ok)
		return map_status(st);
	*out_len = (size_t)n;
	return MEDIA_SRTP_OK;
}

enum media_srtp_err media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *pkt, size_t len,
					      size_t *out_len)
{
	if (!s || !pkt || !out_len)
		return MEDIA_SRTP_ERR_PARAM;
	if (!looks_like(pkt, len, RTCP_HEADER_LEN + SRTCP_INDEX_LEN + s->tag_len))
		return MEDIA_SRTP_ERR_MALFORMED;
	int n = (int)len;
	srtp_err_status_t st = srtp_unprotect_rtcp(s->in, pkt, &n);
	if (st != srtp_err_status_ok)
		return map_status(st);
	*out_len = (size_t)n;
	return MEDIA_SRTP_OK;
}
