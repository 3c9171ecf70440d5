/*
 * page_ring -- the Ogg pages of the rooms' live streams on their way from a media worker
 * to the gateway thread, which serves them as listen.ogg (DESIGN.md principle 5: threads
 * own data, queues connect them).
 *
 * The worker's tick writes each room's public packets into that room's live Ogg writer
 * (ogg_opus.h); every finished page is copied into the next free slot here and published.
 * The gateway drains the ring whenever the worker's eventfd wakes it (media_dispatch_all),
 * hands each page to the room's HTTP clients, and frees the slot. Records are of three
 * kinds: BEGIN (a stream starts; its data is the OpusHead and OpusTags pages, kept by
 * the gateway for clients who join later), DATA (one page), END (the stream ended after
 * the pages before it).
 *
 * Single producer, single consumer, fixed slots of PAGE_RING_SLOT_BYTES behind
 * base/spsc.h's indices (a release store publishes a slot, an acquire load sees it), and
 * nothing is allocated after create. A full ring drops the page and counts it: a
 * stalled gateway costs listen.ogg clients a page (Ogg's page sequence numbers show the
 * gap to a player), never the tick a wait. A page larger than a slot (impossible for the
 * 10-packet pages ogg_opus.h makes: 10 x 1275 bytes plus headers) is dropped the same way.
 */
#ifndef PLENARY_MEDIA_PAGE_RING_H
#define PLENARY_MEDIA_PAGE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"

#define PAGE_RING_SLOT_BYTES	MEDIA_STREAM_PAGE_MAX
#define PAGE_RING_DEFAULT_SLOTS 64

enum page_kind { PAGE_BEGIN = 1, PAGE_DATA, PAGE_END };

struct page_ring;

/* A record as the consumer sees it; pointers are valid until page_ring_release. */
struct page_view {
	enum page_kind kind;
	const char *room;
	unsigned channel; /* 0: the room's floor; b + 1: interpretation channel (booth) b */
	const uint8_t *data;
	size_t len;
};

/* slots: a power of two, 2..4096; 0 = PAGE_RING_DEFAULT_SLOTS. Returns NULL when out of
 * memory or slots is bad. Free with page_ring_destroy. */
struct page_ring *page_ring_create(size_t slots);
/* NULL is fine. */
void page_ring_destroy(struct page_ring *r);

/* Producer. Publishes one record of the room's stream channel (page_view.channel): a[0..alen)
 * then b[0..blen) (an Ogg page's header and body). False when the ring is full or the
 * record too large: dropped and counted. */
BASE_WUR bool page_ring_push(struct page_ring *r, enum page_kind kind, const char *room,
			     unsigned channel, const uint8_t *a, size_t alen, const uint8_t *b,
			     size_t blen);

/* Consumer. The oldest record, or false when there is none. */
BASE_WUR bool page_ring_peek(struct page_ring *r, struct page_view *out);
/* Consumer. Frees the record page_ring_peek returned. */
void page_ring_release(struct page_ring *r);

/* Records published so far (a free-running count; the producer compares it with what it
 * last woke the consumer for). */
size_t page_ring_pushed(const struct page_ring *r);

/* Records dropped so far (any thread). */
uint64_t page_ring_dropped(const struct page_ring *r);

#endif
