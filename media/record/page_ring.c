/*
 * Fixed slots behind base/spsc.h's indices; see page_ring.h.
 */
#include "media/record/page_ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/spsc.h"

struct slot {
	uint8_t kind;
	uint8_t channel;
	uint32_t len;
	char room[MEDIA_ROOM_MAX + 1];
	uint8_t data[PAGE_RING_SLOT_BYTES];
};

struct page_ring {
	struct base_spsc q;
	alignas(BASE_SPSC_CACHE_LINE) _Atomic uint64_t dropped;
	struct slot *slots; /* q's capacity of them */
};

struct page_ring *page_ring_create(size_t slots)
{
	if (slots == 0)
		slots = PAGE_RING_DEFAULT_SLOTS;
	if (slots > 4096)
		return NULL;
	struct page_ring *r = aligned_alloc(BASE_SPSC_CACHE_LINE, sizeof *r);
	if (!r)
		return NULL;
	memset(r, 0, sizeof *r);
	r->slots = base_spsc_init(&r->q, slots) ? malloc(slots * sizeof *r->slots) : NULL;
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

bool page_ring_push(struct page_ring *r, enum page_kind kind, const char *room, unsigned channel,
		    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (!r || !room || alen + blen > PAGE_RING_SLOT_BYTES || strlen(room) > MEDIA_ROOM_MAX ||
	    channel > UINT8_MAX)
		return r ? drop(r) : false;
	size_t i;
	if (!base_spsc_reserve(&r->q, &i))
		return drop(r);
	struct slot *s = &r->slots[i];
	s->kind = (uint8_t)kind;
	s->channel = (uint8_t)channel;
	s->len = (uint32_t)(alen + blen);
	memcpy(s->room, room, strlen(room) + 1);
	if (alen)
		memcpy(s->data, a, alen);
	if (blen)
		memcpy(s->data + alen, b, blen);
	base_spsc_publish(&r->q);
	return true;
}

bool page_ring_peek(struct page_ring *r, struct page_view *out)
{
	size_t i;
	if (!base_spsc_peek(&r->q, &i))
		return false;
	const struct slot *s = &r->slots[i];
	*out = (struct page_view){.kind = (enum page_kind)s->kind,
				  .room = s->room,
				  .channel = s->channel,
				  .data = s->data,
				  .len = s->len};
	return true;
}

void page_ring_release(struct page_ring *r)
{
	base_spsc_release(&r->q);
}

uint64_t page_ring_dropped(const struct page_ring *r)
{
	return r ? atomic_load_explicit(&r->dropped, memory_order_relaxed) : 0;
}

size_t page_ring_pushed(const struct page_ring *r)
{
	return base_spsc_published(&r->q);
}
