/*
 * ring -- a bounded single-producer/single-consumer queue of small fixed-size messages,
 * and the eventfd that wakes its consumer (DESIGN.md principle 5: threads own data,
 * queues connect them).
 *
 * The gateway thread and each media worker talk through two of these, one per direction.
 * A message is a 24-byte struct copied into a slot, so pushing and popping allocate
 * nothing and take no lock. The indices and their synchronisation are base/spsc.h's: a
 * push publishes with a release store that the pop reads with an acquire load, so
 * whatever the producer wrote before a push (the message, and any object a message points
 * to) is visible to the consumer after the matching pop.
 *
 * Wake-ups are separate from the ring because one eventfd may serve several rings (every
 * worker's event ring wakes the one gateway loop). The rule that avoids lost wake-ups is
 * simple and costs one write(2) per batch, not per message: the producer calls ring_wake
 * after every batch of pushes; the consumer drains the eventfd first and the ring after,
 * so a push that lands after the drain of the eventfd always has a wake-up behind it.
 *
 * Bounded on purpose: a full ring is reported to the producer (ring_push returns false),
 * who decides -- the gateway answers `unavailable`, a worker keeps the event on the peer
 * and posts it again on its next tick. Nothing here blocks.
 */
#ifndef PLENARY_MEDIA_RING_H
#define PLENARY_MEDIA_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "base/spsc.h"
#include "media/media.h"

#define RING_MAX_SLOTS (1u << 20)

/* One message. What type, arg, ptr and u64 mean is up to the two sides. */
struct ring_msg {
	uint32_t type;
	uint32_t arg;
	void *ptr;
	uint64_t u64;
};

struct ring {
	struct base_spsc q;
	struct ring_msg *slots; /* q's capacity of them */
};

/* Allocates capacity slots (a power of two, 2..RING_MAX_SLOTS). Errors: MEDIA_ERR_PARAM,
 * MEDIA_ERR_NOMEM. On error *r is left empty and ring_fini is still safe. */
BASE_WUR enum media_err ring_init(struct ring *r, size_t capacity);
/* Frees the slots. Messages still queued are dropped: the caller drains first if they
 * own anything. NULL and a failed ring are fine. */
void ring_fini(struct ring *r);

/* Producer only. Copies *m into the ring; false when it is full (nothing changed). */
BASE_WUR bool ring_push(struct ring *r, const struct ring_msg *m);
/* Producer only: how many pushes would succeed now (at least; the consumer may be
 * freeing more). */
size_t ring_space(struct ring *r);

/* Consumer only. Moves the oldest message into *out; false when the ring is empty. */
BASE_WUR bool ring_pop(struct ring *r, struct ring_msg *out);

/* A non-blocking, close-on-exec eventfd for wake-ups; *fd is -1 on error.
 * Errors: MEDIA_ERR_SYSTEM. */
BASE_WUR enum media_err ring_wake_open(int *fd);
/* Makes fd readable (adds 1). Safe from any thread; never blocks (an eventfd counter
 * cannot overflow in practice: it would take 2^64 - 2 writes). */
void ring_wake(int fd);
/* Resets fd to not readable; returns how many wakes it had collected (0 if none). */
uint64_t ring_wake_drain(int fd);

#endif
