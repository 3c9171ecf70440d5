/*
 * tcp -- ICE-TCP on a media worker (RFC 6544, passive host candidates only): the
 * listening socket beside the worker's UDP socket, and its connections, each carrying
 * RFC 4571 frames (media/wire/rfc4571.h) that go through the same demux, ICE-lite, DTLS
 * and SRTP as a datagram (private to media/).
 *
 * Why: hotel and corporate networks that drop UDP still let a browser open a TCP
 * connection. A browser offers active TCP candidates, so against our passive one it
 * connects to the worker's TCP port and sends its checks framed; a USE-CANDIDATE check on
 * a connection makes that connection the peer's path (peer.tcp), and everything the
 * server sends the peer -- STUN answers, DTLS, SRTP, SRTCP, the room's fan-out -- goes
 * out framed on it.
 *
 * Bounds, so a connection can neither hold the worker up nor grow:
 *   - reading: at most one frame (RFC4571_MAX_FRAME) plus what one read adds is kept per
 *     connection; a frame announcing more closes the connection at once;
 *   - writing: a send is a copy into a bounded buffer (TCP_TX_CAP) and, when nothing is
 *     waiting, a non-blocking write; a packet that does not fit is dropped whole (a frame
 *     is never cut: the stream would be lost) and counted, like a full UDP buffer;
 *   - time: a connection that has not carried an authenticated STUN check within
 *     TCP_AUTH_TIMEOUT_MS is closed (nothing unauthenticated is kept long), one without a
 *     check for ICE_CONSENT_TIMEOUT_MS too, and one whose peer ended lingers
 *     TCP_LINGER_MS for its last bytes (a close_notify) before it is closed;
 *   - number: at most TCP_MAX_CONNS per worker; more are accepted and closed at once.
 * Buffers are allocated when a connection is accepted, never on the packet path.
 *
 * One thread: the worker's. The worker owns the list of connections and calls these
 * functions from its epoll loop; tcp.c holds no pointer to a peer's internals beyond the
 * opaque back-pointer `peer`, which the worker keeps in step with peer.tcp.
 */
#ifndef PLENARY_MEDIA_TCP_H
#define PLENARY_MEDIA_TCP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "base/list.h"
#include "media/mix/mix.h"
#include "media/wire/wire.h"

#define TCP_RX_CAP	    (2 * (RFC4571_HEADER + RFC4571_MAX_FRAME))
#define TCP_TX_CAP	    (32 * 1024) /* ~1.5 s of a room's stream at 160-byte packets */
#define TCP_AUTH_TIMEOUT_MS 5000u
#define TCP_LINGER_MS	    2000u
#define TCP_MAX_CONNS	    1024
#define TCP_BACKLOG	    128

struct peer;

struct tcp_conn {
	int fd, epfd;		   /* epfd: the worker's, to ask for EPOLLOUT when writes wait */
	struct stun_addr remote;   /* remote.tcp is set: ICE's candidate for this connection */
	struct peer *peer;	   /* the peer whose nominated path this is; NULL: none */
	bool authenticated;	   /* a check on it authenticated as some peer */
	bool want_out;		   /* EPOLLOUT is registered */
	uint64_t deadline_ms;	   /* closed by tcp_expired once the clock passes this */
	struct fanout_sink sink;   /* the room's fan-out sends through this */
	_Atomic uint64_t *dropped; /* the worker's counter of packets the buffer had no room for */
	size_t rx_len;
	size_t tx_off, tx_len; /* pending bytes: tx[tx_off .. tx_off + tx_len) */
	struct base_list link; /* on the worker's connections */
	uint8_t *tx;	       /* TCP_TX_CAP bytes */
	uint8_t rx[TCP_RX_CAP];
};

/* Opens a non-blocking, close-on-exec TCP socket bound to *local (port 0: ephemeral),
 * listening, and writes the bound port back. Returns 0 or an errno value. */
BASE_WUR int tcp_listen(struct stun_addr *local, int *fd_out);

/* Accepts one waiting connection on listen_fd and registers it with epfd for reading
 * (epoll data: the connection's pointer). *out is NULL when nothing waits or the
 * connection was refused (too many, out of memory: it is closed at once). The caller
 * lists and owns *out; deadline: now_ms + TCP_AUTH_TIMEOUT_MS. Returns false when accept
 * has nothing more to give (EAGAIN or an error), true to call again. */
bool tcp_accept(int listen_fd, int epfd, size_t n_conns, uint64_t now_ms, _Atomic uint64_t *dropped,
		struct tcp_conn **out);

/* Called for each whole frame read from c; the frame may be changed in place. */
typedef void (*tcp_frame_fn)(void *ctx, struct tcp_conn *c, uint8_t *frame, size_t len);

/* Reads what is waiting on c and hands every whole frame to fn, in order. Returns false
 * when c is finished -- the peer closed it, an error, or a frame over RFC4571_MAX_FRAME --
 * and the caller should tcp_conn_destroy it. fn must not destroy c. */
BASE_WUR bool tcp_conn_read(struct tcp_conn *c, tcp_frame_fn fn, void *ctx);

/* Sends buf[0..len) as one frame: written at once if nothing waits, else queued (EPOLLOUT
 * then finishes it). False if it was dropped whole: no room (counted in *c->dropped), or
 * len over 65535. Never blocks or allocates. */
bool tcp_conn_send(struct tcp_conn *c, const uint8_t *buf, size_t len);

/* EPOLLOUT on c: writes what waits. False when the connection is broken. */
BASE_WUR bool tcp_conn_flush(struct tcp_conn *c);

/* Closes the socket and frees c (the caller has unlisted it and detached its peer). */
void tcp_conn_destroy(struct tcp_conn *c);

#endif
