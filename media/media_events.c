/*
 * media_events -- the workers' events and live pages, drained on the gateway thread and
 * turned into the caller's callbacks. GONE is the last event about a peer: its handle is
 * freed here, and its room's pin told.
 */
#include <stdlib.h>

#include "media/media_internal.h"

static void handle_gone(struct media *m, struct media_peer *h)
{
	media_pin_remove(m, h->room, h->worker);
	base_list_remove(&h->link);
	free(h);
}

static size_t deliver(struct media_peer *h, const struct ring_msg *msg,
		      const struct media_callbacks *cb, void *ctx)
{
	if (h->closed)
		return 0;
	if (msg->type == WORKER_EV_STATE && cb->state) {
		cb->state(ctx, h->user, (enum media_state)msg->arg);
		return 1;
	}
	if (msg->type == WORKER_EV_ATTEMPT && cb->attempt) {
		cb->attempt(ctx, h->user, (uint8_t)msg->arg);
		return 1;
	}
	return 0;
}

static size_t drain_pages(struct worker *w, const struct media_callbacks *cb, void *ctx)
{
	size_t n = 0;
	struct page_view v;
	while (page_ring_peek(w->pages, &v)) {
		if (cb->stream) {
			cb->stream(ctx, v.room, v.channel, (enum media_stream_kind)v.kind, v.data,
				   v.len);
			n++;
		}
		page_ring_release(w->pages);
	}
	return n;
}

size_t media_dispatch_all(struct media *m, const struct media_callbacks *cb, void *ctx)
{
	size_t delivered = 0;
	ring_wake_drain(m->event_fd);
	for (unsigned i = 0; i < m->n_workers; i++) {
		struct ring_msg msg;
		while (ring_pop(&m->workers[i]->events, &msg)) {
			if (msg.type == WORKER_EV_GONE)
				handle_gone(m, msg.ptr);
			else
				delivered += deliver(msg.ptr, &msg, cb, ctx);
		}
		delivered += drain_pages(m->workers[i], cb, ctx);
	}
	return delivered;
}
