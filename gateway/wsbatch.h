/*
 * wsbatch -- a connection's queued messages framed back to back and written at once.
 *
 * When 2,000 people join, each connection is owed a participant.joined per joiner; one
 * write per message made delivery cost events x connections syscalls. Instead, when a
 * connection can take more, every message in its ring (up to a bound) is framed as its own
 * WebSocket text frame into one buffer and written with one call: the wire is unchanged
 * (one JSON message per WebSocket message) and the cost is one write per connection per
 * flush. No lws here: the writer is a function, so a unit test can stand in for the
 * socket and cut writes short.
 */
#ifndef PLENARY_GATEWAY_WSBATCH_H
#define PLENARY_GATEWAY_WSBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conn;

#define GW_WS_HEADER_MAX 10 /* RFC 6455: 2 bytes, +2 for 126..65535, +8 beyond */

/* The scratch buffer batches are built in, shared by every connection of the gateway
 * thread (a batch lives only for one write). buf keeps pre bytes of headroom in front of
 * the frames, what lws asks of any buffer it is given. Grows to the largest batch, rarely. */
struct gw_wsbatch {
	unsigned char *buf;
	size_t cap;
	size_t pre;
};

/* Writes n bytes at p; returns how many were taken (short: the rest later), -1 on error. */
typedef ssize_t (*gw_ws_write_fn)(void *ctx, const unsigned char *p, size_t n);

/* The header of a final, unmasked text frame of len payload bytes (a server's frame) into
 * out, which has GW_WS_HEADER_MAX bytes; returns its length. */
size_t gw_ws_frame_header(unsigned char *out, uint64_t len);

/* One write for c: first what a short write left over (c->tx_rest), else every queued
 * message up to the first close, framed in order while the batch stays within limit bytes
 * (the first message always goes, whatever its size). Returns 1 if something was written
 * or is left over, 0 if there was nothing to write (the ring is empty or a close is next),
 * -1 on a write error or out of memory (the connection must close). */
int gw_wsbatch_write(struct gw_wsbatch *b, struct conn *c, size_t limit, gw_ws_write_fn write,
		     void *ctx);
/* True while c has bytes that a short write left over. */
bool gw_wsbatch_has_rest(const struct conn *c);
void gw_wsbatch_free(struct gw_wsbatch *b);

#endif
