/*
 * spsc -- the indices of a bounded single-producer/single-consumer ring: the part every
 * ring of the project used to write for itself (DESIGN.md principle 5: threads own data,
 * queues connect them).
 *
 * The core owns no slots. A ring keeps its own array of `capacity` entries, of whatever
 * type it carries, and asks the core which one to fill or read next:
 *
 *   producer:  if (base_spsc_reserve(&q, &i)) { fill slots[i]; base_spsc_publish(&q); }
 *   consumer:  while (base_spsc_peek(&q, &i)) { use slots[i]; base_spsc_release(&q); }
 *
 * The one convention for the two indices, both free-running counters (a size_t wraps
 * after 2^64 messages, never in practice; unsigned arithmetic would stay right anyway)
 * masked to a slot only on access, so no slot is wasted and tail - head is the fill:
 *
 *   head  the next slot the consumer reads; only the consumer writes it
 *   tail  the next slot the producer writes; only the producer writes it
 *
 *   empty: head == tail        full: tail - head == capacity
 *
 * The synchronisation is one pairing each way. base_spsc_publish stores tail + 1 with
 * release, and the consumer loads tail with acquire: whatever the producer wrote before
 * publishing (the slot, and any object the slot points to) is visible to the consumer
 * once it sees the new tail. base_spsc_release stores head + 1 with release, and the
 * producer loads head with acquire: the consumer is done reading a slot before the
 * producer may overwrite it. Each side also keeps its last view of the other's index
 * (on its own cache line), and loads the other's index only when that view says full or
 * empty, so a busy ring does not bounce one cache line between two cores per message.
 *
 * Nothing here allocates, blocks, makes a system call or takes a lock; wake-ups (an
 * eventfd, a semaphore) are the ring's business, around these calls. Bounded on purpose:
 * what to do when full (drop and count, retry next tick, answer "busy") is the
 * producer's decision.
 *
 * Threads: base_spsc_init before either side starts; the producer calls only reserve,
 * publish, space and published; the consumer only peek and release.
 */
#ifndef PLENARY_BASE_SPSC_H
#define PLENARY_BASE_SPSC_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/attr.h"

#define BASE_SPSC_CACHE_LINE 64

struct base_spsc {
	/* The consumer's line. */
	alignas(BASE_SPSC_CACHE_LINE) _Atomic size_t head; /* next slot to read */
	size_t tail_cache;				   /* last tail the consumer saw */
	/* The producer's line. */
	alignas(BASE_SPSC_CACHE_LINE) _Atomic size_t tail; /* next slot to write */
	size_t head_cache;				   /* last head the producer saw */
	/* Read-only after init. */
	alignas(BASE_SPSC_CACHE_LINE) size_t mask; /* capacity - 1 */
};

/* Makes q empty with capacity slots: a power of two, at least 2 (a ring's own upper
 * bound is its own to check). False, and q empty with no slots, otherwise. */
BASE_WUR bool base_spsc_init(struct base_spsc *q, size_t capacity);

/* The number of slots (0 after a failed init). */
static inline size_t base_spsc_capacity(const struct base_spsc *q)
{
	return q->mask ? q->mask + 1 : 0;
}

/* Producer. Sets *slot to the slot to fill next; false when the ring is full. Calling
 * it again before publishing gives the same slot. */
static inline bool base_spsc_reserve(struct base_spsc *q, size_t *slot)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	if (tail - q->head_cache > q->mask) {
		/* Looks full: refresh our view of the consumer's progress. */
		q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
		if (tail - q->head_cache > q->mask)
			return false;
	}
	*slot = tail & q->mask;
	return true;
}

/* Producer. Hands the reserved slot to the consumer. */
static inline void base_spsc_publish(struct base_spsc *q)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
}

/* Producer. How many slots could be reserved and published now (at least: the consumer
 * may be freeing more). */
static inline size_t base_spsc_space(struct base_spsc *q)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
	return q->mask + 1 - (tail - q->head_cache);
}

/* Producer. Slots published so far, a free-running count (compare two readings to see
 * whether anything was published in between). */
static inline size_t base_spsc_published(const struct base_spsc *q)
{
	return atomic_load_explicit(&q->tail, memory_order_relaxed);
}

/* Consumer. Sets *slot to the oldest published slot; false when the ring is empty.
 * Calling it again before releasing gives the same slot. */
static inline bool base_spsc_peek(struct base_spsc *q, size_t *slot)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	if (head == q->tail_cache) {
		/* Looks empty: refresh our view of the producer's progress. */
		q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
		if (head == q->tail_cache)
			return false;
	}
	*slot = head & q->mask;
	return true;
}

/* Consumer. Gives the peeked slot back to the producer; its contents must not be read
 * afterwards. Only after a successful base_spsc_peek. */
static inline void base_spsc_release(struct base_spsc *q)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
}

#endif
