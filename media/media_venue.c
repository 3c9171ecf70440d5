/*
 * media_venue -- the plain-RTP venues as the gateway thread sets them up: parse the
 * configuration's addresses, open the socket here (so a bad or busy address is an error
 * at start, with its reason), and hand the venue to its room's worker for good. The room
 * counts it as a peer that never leaves, which keeps the room pinned to that worker:
 * a venue's socket and its member of the mix cannot move.
 */
#include <stdio.h>
#include <string.h>

#include "media/media_internal.h"

bool media_venue_addr_valid(const char *text)
{
	struct stun_addr a;
	return venue_parse_addr(text, &a);
}

enum media_err media_venue_rtp_add(struct media *m, const struct media_venue_rtp *cfg, char *why,
				   size_t why_cap)
{
	if (!m || !cfg || !cfg->room || !cfg->room[0] || strlen(cfg->room) > MEDIA_ROOM_MAX) {
		if (why && why_cap)
			snprintf(why, why_cap, "venue: bad room id");
		return MEDIA_ERR_PARAM;
	}
	struct room_pin *pin = media_pin_get(m, cfg->room);
	if (!pin) {
		if (why && why_cap)
			snprintf(why, why_cap, "venue: out of memory");
		return MEDIA_ERR_NOMEM;
	}
	struct venue_rtp *v;
	enum media_err err = venue_rtp_create(cfg, pin->ssrc, &pin->stats, &v, why, why_cap);
	if (err != MEDIA_OK)
		return err;
	unsigned worker = media_pin_worker(m, pin);
	pin->peers++; /* never released: the venue stays on this worker */
	m->worker_peers[worker]++;
	worker_post_wait(m->workers[worker], &(struct ring_msg){.type = WORKER_VENUE, .ptr = v});
	return MEDIA_OK;
}
