/*
 * rfc4571 -- framing of STUN, DTLS, RTP and RTCP over a TCP connection (RFC 4571 sect. 2,
 * as ICE-TCP uses it, RFC 6544 sect. 3): every packet is preceded by its length as a
 * 16-bit big-endian number, and nothing else is on the stream.
 *
 * A pure splitter: the caller reads the connection into a buffer of its own and asks
 * rfc4571_split what the front of that buffer holds -- a whole frame (where its payload
 * starts and how long it is), not enough bytes yet, or a length no packet of ours can have
 * (the stream is then useless: there is no way to find the next frame, so the caller
 * closes the connection). A frame is at most RFC4571_MAX_FRAME bytes: the largest
 * datagram the same peer would send over UDP (an Ethernet MTU) with a little margin, so
 * a connection's reassembly buffer is bounded by RFC4571_MAX_FRAME + 2.
 *
 * A zero-length frame is a frame (RFC 4571 does not forbid it); it carries no packet, and
 * the caller's first-byte demux drops it.
 *
 * No state, no allocation, no I/O: safe from any thread.
 */
#ifndef PLENARY_MEDIA_RFC4571_H
#define PLENARY_MEDIA_RFC4571_H

#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define RFC4571_HEADER	  2
#define RFC4571_MAX_FRAME 1600 /* bytes of one frame's payload */

enum rfc4571_err {
	RFC4571_OK = 0,	  /* a whole frame is at the front */
	RFC4571_EPARTIAL, /* not yet: fewer bytes than the header or the frame it announces */
	RFC4571_ETOOBIG,  /* the announced length is over the limit: close the connection */
	RFC4571_EINVAL,	  /* NULL argument */
	RFC4571_ENOSPACE, /* (rfc4571_put_header) the payload does not fit a frame */
};

/* A constant English phrase; never NULL. */
const char *rfc4571_strerror(enum rfc4571_err err);

/* What the front of buf[0..len) holds, for frames of at most max bytes (0: the default,
 * RFC4571_MAX_FRAME; never more than 65535). On RFC4571_OK the payload is
 * buf[RFC4571_HEADER .. RFC4571_HEADER + *payload_len) and *consumed is the whole frame's
 * size; on any error both are untouched. Errors: RFC4571_EPARTIAL, RFC4571_ETOOBIG (known
 * as soon as the header is in), RFC4571_EINVAL. */
BASE_WUR enum rfc4571_err rfc4571_split(const uint8_t *buf, size_t len, size_t max,
					size_t *payload_len, size_t *consumed);

/* Writes the 2-byte header of a payload_len-byte frame into out. Errors: RFC4571_EINVAL
 * (NULL), RFC4571_ENOSPACE (payload_len over 65535). */
BASE_WUR enum rfc4571_err rfc4571_put_header(uint8_t out[RFC4571_HEADER], size_t payload_len);

#endif
