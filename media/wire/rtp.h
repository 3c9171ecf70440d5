/*
 * rtp -- RTP fixed header (RFC 3550 sect. 5.1), header extensions (RFC 8285 one-byte and
 * two-byte forms), the client-to-mixer audio level (RFC 6464), and sequence-number
 * arithmetic.
 *
 * Everything here works on plaintext RTP, i.e. after srtp_unprotect on receive and before
 * srtp_protect on send. Parsers take (const uint8_t *buf, size_t len, struct out *), keep
 * pointers into buf (no copies, no allocation), and leave *out unspecified on
 * error: the caller must not use it then. Builders write into a caller buffer of a given
 * capacity and never past it. All functions are pure and thread-safe except the
 * rtp_seq_ext helpers, which update the caller's struct.
 */
#ifndef PLENARY_MEDIA_RTP_H
#define PLENARY_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define RTP_HEADER_LEN	      12 /* fixed part, RFC 3550 sect. 5.1 */
#define RTP_MAX_CSRC	      15
#define RTP_EXT_ONE_BYTE      0xBEDEu /* RFC 8285 sect. 4.2 */
#define RTP_EXT_TWO_BYTE      0x1000u /* RFC 8285 sect. 4.3, low 4 bits are "appbits" */
#define RTP_EXT_TWO_BYTE_MASK 0xFFF0u
/* Header built by rtp_build_header with an audio level: 12 + 4 (extension header) + 4. */
#define RTP_HEADER_LEN_WITH_LEVEL 20

enum rtp_err {
	RTP_OK = 0,
	RTP_ETRUNCATED,	   /* shorter than the 12-byte fixed header */
	RTP_EVERSION,	   /* version field is not 2 */
	RTP_ECSRC_OVERRUN, /* CSRC list runs past the end */
	RTP_EEXT_OVERRUN,  /* extension header or its declared length runs past the end */
	RTP_EPADDING, /* P set, but the pad count is 0 or larger than what follows the header */
	RTP_ENO_EXTENSION, /* lookup: no header extension, or not in a RFC 8285 form */
	RTP_ENOT_FOUND,	   /* lookup: the extension block has no element with that id */
	RTP_EEXT_ELEMENT,  /* lookup: an element before or at the id overruns the block */
	RTP_EBAD_LEVEL,	   /* audio level element is not 1 byte long (RFC 6464 sect. 3) */
	RTP_EINVAL,	   /* builder: NULL argument, payload type or level > 127 */
	RTP_ENOSPACE,	   /* builder: the caller's buffer is too small */
};

/* A static English phrase for err; never NULL. */
const char *rtp_strerror(enum rtp_err err);

/* A parsed header. Pointers point into the buffer given to rtp_parse and are valid as long
 * as it is. */
struct rtp_header {
	bool padding;
	bool extension;
	bool marker;
	uint8_t csrc_count;
	uint8_t payload_type; /* 0..127 */
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	uint16_t ext_profile;	 /* "defined by profile" field; 0 when !extension */
	const uint8_t *ext_data; /* extension body after its 4-byte header; NULL when absent */
	size_t ext_len;		 /* bytes, a multiple of 4 */
	size_t header_len;	 /* offset of the payload */
	const uint8_t *payload;
	size_t payload_len;  /* excludes padding */
	uint8_t padding_len; /* 0 when !padding */
};

/* Parses the RTP header in buf[0..len). Checks the version, that the CSRC list and the
 * extension block fit, and that the padding count (RFC 3550 sect. 5.1: the last byte,
 * counting itself) is >= 1 and fits after the header. Does not look inside the extension
 * block (see rtp_find_extension). A zero-length payload is valid.
 * Returns RTP_OK, RTP_ETRUNCATED, RTP_EVERSION, RTP_ECSRC_OVERRUN, RTP_EEXT_OVERRUN or
 * RTP_EPADDING; buf may be NULL only when len is 0 (RTP_ETRUNCATED). */
BASE_WUR enum rtp_err rtp_parse(const uint8_t *buf, size_t len, struct rtp_header *out);

/* Finds the RFC 8285 element with local identifier id (1..14 one-byte form, 1..255
 * two-byte form) and points *data and *len at its value. Padding bytes (id 0) are skipped; in
 * the one-byte form id 15 stops the walk (sect. 4.2).
 * Returns RTP_OK, RTP_ENO_EXTENSION, RTP_ENOT_FOUND or RTP_EEXT_ELEMENT. */
BASE_WUR enum rtp_err rtp_find_extension(const struct rtp_header *hdr, uint8_t id,
					 const uint8_t **data, size_t *len);

/* RFC 6464 client-to-mixer audio level, looked up by the extmap id the SDP negotiated:
 * *voice is the V flag, *level is 0..127 in -dBov (0 loudest, 127 silence).
 * Returns RTP_OK, the errors of rtp_find_extension, or RTP_EBAD_LEVEL. */
BASE_WUR enum rtp_err rtp_audio_level(const struct rtp_header *hdr, uint8_t id, bool *voice,
				      uint8_t *level);

/* What rtp_build_header writes. audio_level_id 0 means no extension; 1..14 uses the
 * one-byte form, 15..255 the two-byte form (which needs a=extmap-allow-mixed). */
struct rtp_build {
	bool marker;
	uint8_t payload_type;
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint8_t audio_level_id;
	bool voice;
	uint8_t level; /* 0..127 -dBov */
};

/* Writes the header (12 bytes, or RTP_HEADER_LEN_WITH_LEVEL with an audio level) into
 * buf[0..cap) and sets *out_len; the payload goes right after it. No CSRCs, no padding.
 * Returns RTP_OK, RTP_EINVAL or RTP_ENOSPACE (nothing written on error). */
BASE_WUR enum rtp_err rtp_build_header(uint8_t *buf, size_t cap, const struct rtp_build *b,
				       size_t *out_len);

/* Sequence numbers compare in serial-number arithmetic (RFC 1982 with 16 bits):
 * rtp_seq_diff(a, b) is how far a is ahead of b, in -32768..32767, so 2 is 3 ahead of
 * 65535. rtp_seq_newer(a, b) is rtp_seq_diff(a, b) > 0. */
static inline int32_t rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int32_t)(int16_t)(uint16_t)(a - b);
}

static inline bool rtp_seq_newer(uint16_t a, uint16_t b)
{
	return rtp_seq_diff(a, b) > 0;
}

/* Extends 16-bit sequence numbers with a rollover count, for ordering across wraps (the
 * jitter buffer) -- RFC 3550 A.1's "cycles" without its validity rules, which live in
 * rtcp_rx. Owned and zero-initialised by the caller; one per SSRC. */
struct rtp_seq_ext {
	bool started;
	uint16_t max_seq; /* highest sequence number seen */
	int64_t cycles;	  /* multiple of 65536 */
};

/* Returns the extended sequence number of seq and advances the highest one seen when seq
 * is newer. A packet older than the highest (up to 32767 back) keeps the cycle it belongs
 * to, so the value is negative only for a packet from before the first one seen, across
 * a wrap. */
int64_t rtp_seq_extend(struct rtp_seq_ext *ext, uint16_t seq);

#endif
