/*
 * srtp_session -- SRTP and SRTCP for one peer (RFC 3711, RFC 7714), on libsrtp 2.
 *
 * A media_srtp is made from the keys a dtls_session exported: the local key and salt
 * protect what we send, the remote ones unprotect what we receive. Any SSRC is accepted in
 * each direction (libsrtp's ssrc_any_outbound / ssrc_any_inbound templates), since a
 * browser's SSRC need not be in its SDP. libsrtp allows one wildcard template per srtp_t,
 * so there are two libsrtp sessions inside, one per direction.
 *
 * Packets are processed in place in the caller's buffer. Protecting appends a trailer (the
 * authentication tag, and for SRTCP the 4-byte E flag and index), so the buffer needs room
 * after the packet: media_srtp_trailer_len() says exactly how much for this session's
 * profile, and MEDIA_SRTP_MAX_TRAILER (libsrtp's SRTP_MAX_TRAILER_LEN, which includes
 * the largest MKI, plus the SRTCP index) is enough for any. Buffers should be 4-byte
 * aligned: libsrtp reads headers as 32-bit words.
 *
 * Allocation: create/destroy (libsrtp allocates its own streams, so a caller-allocated
 * get_size/init form could not hold everything anyway). Our protect and unprotect
 * allocate nothing. libsrtp allocates once per new SSRC: protect clones the outbound
 * template on the first packet of an SSRC, unprotect clones the inbound one on the first
 * packet of an SSRC that authenticates -- so a forged packet cannot make it allocate.
 *
 * Threads: a media_srtp belongs to one thread at a time. media_srtp_global_init runs
 * srtp_init() once per process (pthread_once), and media_srtp_create calls it, so nobody
 * has to remember; media_srtp_global_shutdown is for the very end of main().
 */
#ifndef PLENARY_MEDIA_SRTP_SESSION_H
#define PLENARY_MEDIA_SRTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/secure/dtls.h"

/* Room to leave after a packet so that protecting it can never run out of buffer:
 * SRTP_MAX_TRAILER_LEN (16-byte tag + 128-byte MKI) + 4 for the SRTCP index. */
#define MEDIA_SRTP_MAX_TRAILER 148

/* The replay window for SRTP (RFC 3711 sect. 3.3.2 asks for at least 64). 1024 packets
 * is 20 s of 20 ms audio: reordering never gets near it, and it costs 128 bytes. */
#define MEDIA_SRTP_REPLAY_WINDOW 1024

enum media_srtp_err {
	MEDIA_SRTP_OK = 0,
	MEDIA_SRTP_ERR_PARAM,	    /* NULL, bad key lengths, length out of range */
	MEDIA_SRTP_ERR_NOMEM,	    /* an allocation failed */
	MEDIA_SRTP_ERR_INIT,	    /* srtp_init() failed (libsrtp's self-tests) */
	MEDIA_SRTP_ERR_PROFILE,	    /* a profile this libsrtp cannot do */
	MEDIA_SRTP_ERR_SPACE,	    /* no room in the buffer for the trailer */
	MEDIA_SRTP_ERR_MALFORMED,   /* not an RTP/RTCP packet, or too short */
	MEDIA_SRTP_ERR_AUTH,	    /* authentication failed: forged, damaged or wrong key */
	MEDIA_SRTP_ERR_REPLAY,	    /* this packet index was seen already */
	MEDIA_SRTP_ERR_REPLAY_OLD,  /* the index is older than the replay window */
	MEDIA_SRTP_ERR_CIPHER,	    /* the cipher failed */
	MEDIA_SRTP_ERR_KEY_EXPIRED, /* 2^48 packets under one key (RFC 3711 sect. 9.2) */
	MEDIA_SRTP_ERR_INTERNAL,    /* any other libsrtp status */
};

/* A constant English phrase; never NULL. */
const char *media_srtp_strerror(enum media_srtp_err err);

/* Initialises libsrtp once per process; thread-safe, cheap after the first call.
 * Errors: MEDIA_SRTP_ERR_INIT (and every later call reports it again). */
BASE_WUR enum media_srtp_err media_srtp_global_init(void);
/* Shuts libsrtp down. Call once, at process end, after every media_srtp is destroyed and
 * no thread can create one: libsrtp cannot be initialised again afterwards. */
void media_srtp_global_shutdown(void);

struct media_srtp;

/* Makes a session from keys (profile, key and salt lengths as in struct dtls_srtp_keys).
 * The keys are copied into libsrtp and wiped from the stack; keys itself is not touched.
 * Errors: MEDIA_SRTP_ERR_PARAM (NULL, lengths that do not fit the profile),
 * MEDIA_SRTP_ERR_PROFILE, MEDIA_SRTP_ERR_NOMEM, MEDIA_SRTP_ERR_INIT, MEDIA_SRTP_ERR_INTERNAL.
 * The caller owns *out and frees it with media_srtp_destroy. */
BASE_WUR enum media_srtp_err media_srtp_create(const struct dtls_srtp_keys *keys,
					       struct media_srtp **out);
/* Frees the session (libsrtp wipes its keys). NULL is fine. */
void media_srtp_destroy(struct media_srtp *s);

enum dtls_srtp_profile media_srtp_profile(const struct media_srtp *s);
/* Bytes protecting adds to an RTP (rtcp false) or RTCP packet under this session's
 * profile: 16 / 20 for AES-GCM, 10 / 14 for AES-CM with HMAC-SHA1-80. */
size_t media_srtp_trailer_len(const struct media_srtp *s, bool rtcp);

/* A hint that s will protect a packet soon: starts loading its outbound libsrtp session
 * (s itself should have been prefetched a little earlier, since this reads it). Changes
 * nothing; NULL is fine. */
void media_srtp_prefetch(const struct media_srtp *s);

/* Protects the RTP packet pkt[0..len) in place; pkt has cap bytes, and on success
 * pkt[0..*out_len) is the SRTP packet. Errors: MEDIA_SRTP_ERR_PARAM, MEDIA_SRTP_ERR_SPACE
 * (cap < len + trailer), MEDIA_SRTP_ERR_MALFORMED (not RTP version 2, or a header longer
 * than the packet), MEDIA_SRTP_ERR_REPLAY (this sequence number was protected already),
 * MEDIA_SRTP_ERR_KEY_EXPIRED, MEDIA_SRTP_ERR_CIPHER, MEDIA_SRTP_ERR_NOMEM (first packet of
 * a new SSRC), MEDIA_SRTP_ERR_INTERNAL. On error the buffer may have been changed. */
BASE_WUR enum media_srtp_err media_srtp_protect_rtp(struct media_srtp *s, uint8_t *pkt, size_t len,
						    size_t cap, size_t *out_len);

/* Verifies and decrypts the SRTP packet pkt[0..len) in place; on success pkt[0..*out_len)
 * is the RTP packet. Errors: MEDIA_SRTP_ERR_PARAM, MEDIA_SRTP_ERR_MALFORMED,
 * MEDIA_SRTP_ERR_AUTH, MEDIA_SRTP_ERR_REPLAY, MEDIA_SRTP_ERR_REPLAY_OLD,
 * MEDIA_SRTP_ERR_KEY_EXPIRED, MEDIA_SRTP_ERR_CIPHER, MEDIA_SRTP_ERR_NOMEM,
 * MEDIA_SRTP_ERR_INTERNAL. A packet that fails leaves the replay window as it was, but not
 * necessarily its buffer: AES-GCM decrypts in place before it checks the tag. */
BASE_WUR enum media_srtp_err media_srtp_unprotect_rtp(struct media_srtp *s, uint8_t *pkt,
						      size_t len, size_t *out_len);

/* The same for RTCP compound packets (RFC 3711 sect. 3.4; every SRTCP packet is
 * encrypted). Same errors, with the RTCP trailer. */
BASE_WUR enum media_srtp_err media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *pkt, size_t len,
						     size_t cap, size_t *out_len);
BASE_WUR enum media_srtp_err media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *pkt,
						       size_t len, size_t *out_len);

#endif
