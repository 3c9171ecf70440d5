/*
 * fanout -- deliver one RTP packet to many listeners: per listener, copy it, SRTP-protect
 * it with that listener's own session, and send the lot in batches with sendmmsg(2) on the
 * worker's UDP socket.
 *
 * This is the whole per-listener cost of DESIGN.md principle 3 (encode once, encrypt per
 * listener), so it is built to be nothing but that: the packet is encoded once, the copy
 * is ~100 bytes, protect is one AES pass, and the send is amortised over a batch of
 * FANOUT_DEFAULT_BATCH messages per system call.
 *
 * Buffers belong to the batch, not the listener. A batch's packets only need to live until
 * sendmmsg returns, so the fanout owns `batch` packet buffers (16-byte aligned, room for
 * the SRTP trailer) and reuses them: 64 x 1.6 KiB stays in L1/L2 however many thousand
 * listeners there are, where a buffer per listener would stream megabytes through the
 * cache every tick.
 *
 * The payload type is written per listener: each browser's answer uses the payload type
 * of its own offer (Chrome 111, Firefox 109), so the one packet may need a different
 * byte 1 per listener (the marker bit is kept).
 *
 * Failures are per listener and do not stop the others: a protect error (e.g. the
 * listener's key expired) or a send error is counted in struct fanout_result and the loop
 * goes on. The socket should be non-blocking (MSG_DONTWAIT is passed anyway): when its
 * buffer is full the rest of that batch is counted as send errors rather than waited for,
 * because the tick must never block.
 *
 * Ownership: create/destroy; fanout_send allocates nothing (libsrtp itself allocates once
 * when a session protects its first packet of an SSRC -- see srtp_session.h -- so a
 * caller that cares warms a new listener's session outside the tick). The dests array and
 * the sessions it points to are the caller's, borrowed for the call. One thread.
 */
#ifndef PLENARY_MEDIA_FANOUT_H
#define PLENARY_MEDIA_FANOUT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/attr.h"
#include "media/media.h"
#include "media/secure/secure.h"

#define FANOUT_DEFAULT_BATCH 64
#define FANOUT_MAX_BATCH     1024 /* the kernel's UIO_MAXIOV caps one sendmmsg call */
#define FANOUT_MAX_PACKET    1400 /* plaintext RTP; what fits a 1500 MTU with SRTP */

union fanout_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* A listener reached over a stream instead of the UDP socket (ICE-TCP: the worker's
 * connection, media/net/tcp.h). send queues one protected packet and returns at once,
 * false if it was dropped (the connection's bounded buffer is full); it must not block
 * or allocate. */
struct fanout_sink {
	bool (*send)(struct fanout_sink *self, const uint8_t *buf, size_t len);
};

/* One listener, as the caller keeps it (an array of these per room is the fan-out list). */
struct fanout_dest {
	struct media_srtp
	    *srtp;		/* the listener's session; borrowed. NULL: sent plain (sink only) */
	union fanout_addr addr; /* where to send */
	socklen_t addr_len;
	uint8_t payload_type;	  /* the listener's Opus payload type, 0..127 */
	struct fanout_sink *sink; /* NULL: addr over the UDP socket; else this stream */
};

struct fanout_result {
	size_t sent;		      /* datagrams the kernel accepted */
	size_t protect_errors;	      /* listeners whose protect failed */
	size_t send_errors;	      /* datagrams the kernel refused or that were dropped */
	enum media_srtp_err srtp_err; /* the last protect error, 0 when none */
	int send_errno;		      /* the last send errno, 0 when none */
};

struct fanout;

/* batch: messages per sendmmsg call, 1..FANOUT_MAX_BATCH, 0 = FANOUT_DEFAULT_BATCH.
 * Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM. The caller owns *out; free with fanout_destroy. */
BASE_WUR enum media_err fanout_create(size_t batch, struct fanout **out);
/* NULL is fine. */
void fanout_destroy(struct fanout *f);

/* Sends the plaintext RTP packet pkt[0..len) to dests[0..n) through the UDP socket fd and
 * sets *res (counts for this call). Errors (nothing is sent): MEDIA_ERR_PARAM (NULL, len <
 * 12), MEDIA_ERR_TOOBIG. Per-listener failures are not errors of the call; see *res. */
BASE_WUR enum media_err fanout_send(struct fanout *f, int fd, const uint8_t *pkt, size_t len,
				    const struct fanout_dest *dests, size_t n,
				    struct fanout_result *res);

#endif
