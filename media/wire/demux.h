/*
 * demux -- which protocol a datagram on the media port carries.
 *
 * Plenary runs ICE-lite, DTLS and SRTP/SRTCP on one UDP socket per media worker (DESIGN.md
 * principle 4), so every datagram is first classified by its first byte as RFC 7983
 * sect. 7 prescribes, and RTP is told from RTCP by the second byte (RFC 5761 sect. 4).
 * This is a classifier, not a validator: it looks at no more than two bytes and says which
 * parser to hand the datagram to; that parser (stun_parse, DTLS, rtp_parse after SRTP
 * unprotect, rtcp_parse after SRTCP unprotect) does the checking.
 *
 * Pure function: no state, no allocation, safe from any thread.
 */
#ifndef PLENARY_MEDIA_DEMUX_H
#define PLENARY_MEDIA_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum demux_kind {
	DEMUX_UNKNOWN = 0, /* empty, or a range we do not speak (ZRTP, TURN channel, other) */
	DEMUX_STUN,	   /* first byte 0..3 */
	DEMUX_DTLS,	   /* first byte 20..63 */
	DEMUX_RTP,	   /* first byte 128..191, payload type outside 64..95 */
	DEMUX_RTCP,	   /* first byte 128..191, second byte & 0x7f in 64..95 */
};

/* Classifies buf[0..len). Never fails: anything it cannot place is DEMUX_UNKNOWN, which
 * the caller drops. An RTP/RTCP first byte with len < 2 is DEMUX_UNKNOWN too, since the
 * second byte is what tells them apart. buf may be NULL when len is 0. */
enum demux_kind demux_classify(const uint8_t *buf, size_t len);

/* A short constant name for logs and metrics ("stun", "dtls", ...); never NULL. */
const char *demux_kind_name(enum demux_kind kind);

#endif
