/*
 * ring -- the SPSC queue of ring.h. Indices run freely (size_t wraps after 2^64 pushes,
 * never in practice) and are masked on access, so "full" is tail - head == capacity and
 * no slot is wasted.
 */
#include "media/net/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

const char *ring_strerror(enum ring_err err)
{
	switch (err) {
	case RING_OK:
		return "ok";
	case RING_ERR_PARAM:
		return "invalid ring capacity or argument";
	case RING_ERR_NOMEM:
		return "out of memory";
	case RING_ERR_SYSTEM:
		return "eventfd failed";
	}
	return "unknown ring error";
}

enum ring_err ring_init(struct ring *r, size_t capacity)
{
	if (r == NULL)
		return RING_ERR_PARAM;
	memset(r, 0, sizeof *r);
	if (capacity < 2 || capacity > RING_MAX_SLOTS || (capacity & (capacity - 1)) != 0)
		return RING_ERR_PARAM;
	r->slots = calloc(capacity, sizeof *r->slots);
	if (r->slots == NULL)
		return RING_ERR_NOMEM;
	r->mask = capacity - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return RING_OK;
}

void ring_fini(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	r->slots = NULL;
	r->mask = 0;
}

bool ring_push(struct ring *r, const struct ring_msg *m)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (tail - r->head_cache > r->mask) {
		/* Looks full: refresh our view of the consumer's progress. */
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail - r->head_cache > r->mask)
			return false;
	}
	r->slots[tail & r->mask] = *m;
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

size_t ring_space(struct ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
	return r->mask + 1 - (tail - r->head_cache);
}

bool ring_pop(struct ring *r, struct ring_msg *out)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (head == r->tail_cache) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (head == r->tail_cache)
			return false;
	}
	*out = r->slots[head & r->mask];
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

enum ring_err ring_wake_open(int *fd)
{
	*fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return *fd < 0 ? RING_ERR_SYSTEM : RING_OK;
}

void ring_wake(int fd)
{
	uint64_t one = 1;
	/* EAGAIN only if the counter is at its maximum, which means readable anyway. */
	ssize_t n;
	do
		n = write(fd, &one, sizeof one);
	while (n < 0 && errno == EINTR);
}

uint64_t ring_wake_drain(int fd)
{
	uint64_t count = 0;
	ssize_t n;
	do
		n = read(fd, &count, sizeof count);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof count ? count : 0;
}
