/*
 * Fixed slots behind two free-running counters; see page_ring.h. head - tail is the fill
 * level (unsigned wrap-around keeps it right); the producer writes a slot and publishes it
 * with a release store of head, the consumer reads head with an acquire load and frees the
 * slot with a release store of tail.
 */
#include "media/record/page_ring.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint8_t kind;
	uint32_t len;
	char room[MEDIA_ROOM_MAX + 1];
	uint8_t data[PAGE_RING_SLOT_BYTES];
};

struct page_ring {
	alignas(64) _Atomic size_t head; /* producer writes */
	alignas(64) _Atomic size_t tail; /* consumer writes */
	alignas(64) _Atomic uint64_t dropped;
	size_t mask;
	struct slot *slots;
};

struct page_ring *page_ring_create(size_t slots)
{
	if (slots == 0)
		slots = PAGE_RING_DEFAULT_SLOTS;
	if (slots < 2 || slots > 4096 || (slots & (slots - 1)) != 0)
		return NULL;
	struct page_ring *r = aligned_alloc(64, sizeof *r);
	if (!r)
		return NULL;
	memset(r, 0, sizeof *r);
	r->mask = slots - 1;
	r->slots = malloc(slots * sizeof *r->slots);
	if (!r->slots) {
		free(r);
		return NULL;
	}
	return r;
}

void page_ring_destroy(struct page_ring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

static bool drop(struct page_ring *r)
{
	atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
	return false;
}

bool page_ring_push(struct page_ring *r, enum page_kind kind, const char *room, const uint8_t *a,
		    size_t alen, const uint8_t *b, size_t blen)
{
	if (!r || !room || alen + blen > PAGE_RING_SLOT_BYTES || strlen(room) > MEDIA_ROOM_MAX)
		return r ? drop(r) : false;
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail > r->mask)
		return drop(r);
	struct slot *s = &r->slots[head & r->mask];
	s->kind = (uint8_t)kind;
	s->len = (uint32_t)(alen + blen);
	memcpy(s->room, room, strlen(room) + 1);
	if (alen)
		memcpy(s->data, a, alen);
	if (blen)
		memcpy(s->data + alen, b, blen);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

bool page_ring_peek(struct page_ring *r, struct page_view *out)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (head == tail)
		return false;
	const struct slot *s = &r->slots[tail & r->mask];
	*out = (struct page_view){
	    .kind = (enum page_kind)s->kind, .room = s->room, .data = s->data, .len = s->len};
	return true;
}

void page_ring_release(struct page_ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

uint64_t page_ring_dropped(const struct page_ring *r)
{
	return r ? atomic_load_explicit(&r->dropped, memory_order_relaxed) : 0;
}

size_t page_ring_pushed(const struct page_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_relaxed);
}
