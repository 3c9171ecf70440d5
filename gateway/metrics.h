/*
 * metrics -- the gateway's counters and the Prometheus text exposition of /metrics
 * (names from PROTOCOL.md "HTTP"). Owned by the gateway thread; media counters are read
 * from the media side at render time.
 */
#ifndef PLENARY_GATEWAY_METRICS_H
#define PLENARY_GATEWAY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"
#include "rooms/rooms.h"

#define GW_FSYNC_BUCKETS 10

struct gw_metrics {
	uint64_t connections[ROOM_ROLE_COUNT + 1]; /* by role; the last: not joined yet */
	uint64_t events_total;
	uint64_t ws_messages_in;
	uint64_t ws_messages_out;
	uint64_t ws_writes; /* writes of frames to sockets: a batch of messages is one */
	/* of those, the batches written before the loop waited, with no writable callback */
	uint64_t ws_direct_writes;
	uint64_t ws_slow_dropped;
	uint64_t http_requests;
	uint64_t http_refused;	    /* connections over the per-address cap */
	uint64_t http_rate_limited; /* requests answered 429 */
	uint64_t http_slow_closed;  /* bodies trickled under the minimum rate */
	uint64_t fsync_buckets[GW_FSYNC_BUCKETS + 1];
	uint64_t fsync_count;
	double fsync_sum_s;
	uint64_t fsync_failures;
	uint64_t rooms_refused; /* rooms whose log did not load */
};

void gw_metrics_observe_fsync(struct gw_metrics *m, uint64_t ns);

/* Which rooms' per-room rows (plenary_room_*{room}) to show: true to show room. A
 * private room's rows, its name included, are for those who may read the room. */
struct gw_metrics_rooms {
	bool (*show)(void *ctx, const char *room);
	void *ctx;
};

/* Renders the exposition (malloc'd). media_handle may be NULL (no per-room rows); rooms
 * NULL shows every room's rows. */
char *gw_metrics_render(const struct gw_metrics *m, const struct media *media_handle,
			const struct media_stats *media, size_t n_rooms,
			const struct gw_metrics_rooms *rooms, size_t *len);

/* Renders only the per-room families for one room (malloc'd): GET /api/rooms/{id}/metrics.
 * A room that has had no audio has the families and no samples. */
char *gw_metrics_render_room(const struct media *media_handle, const char *room, size_t *len);

#endif
