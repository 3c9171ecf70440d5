/*
 * A room's ring of inbound frames (relay_link.h).
 */
#include "media/net/relay_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/net/ring.h"

enum media_err relay_link_create(const char *room, uint32_t ssrc, struct mixer_room_stats *stats,
				 unsigned worker, int wake_fd, struct relay_link **out)
{
	struct relay_link *l = calloc(1, sizeof *l);
	if (!l)
		return MEDIA_ERR_NOMEM;
	l->slots = calloc(LINK_SLOTS, sizeof *l->slots);
	if (!l->slots || !base_spsc_init(&l->q, LINK_SLOTS)) {
		free(l->slots);
		free(l);
		return MEDIA_ERR_NOMEM;
	}
	snprintf(l->room, sizeof l->room, "%s", room);
	l->ssrc = ssrc;
	l->stats = stats;
	l->worker = worker;
	l->wake_fd = wake_fd;
	*out = l;
	return MEDIA_OK;
}

void relay_link_destroy(struct relay_link *l)
{
	if (!l)
		return;
	free(l->slots);
	free(l->remotes);
	free(l);
}

bool relay_link_push(struct relay_link *l, const struct link_slot *s, const uint8_t *opus)
{
	size_t i;
	if (s->len > MEDIA_FRAME_MAX || !base_spsc_reserve(&l->q, &i))
		return false;
	struct link_slot *d = &l->slots[i];
	/* The header fields, then only the frame's bytes: a slot is 1.3 KB, a frame ~100 B. */
	memcpy(d, s, offsetof(struct link_slot, opus));
	memcpy(d->opus, opus, s->len);
	base_spsc_publish(&l->q);
	ring_wake(l->wake_fd);
	return true;
}
