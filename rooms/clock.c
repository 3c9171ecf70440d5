/*
 * The room's clock. Nothing here reads a clock: the host calls rooms_tick() with the
 * time, and gets back when to call again. Four things are due by time:
 *   - grace periods: a person whose last connection dropped leaves after grace_ms;
 *   - the floor: a warning 30 s before the limit (live floor.warning), and at the limit
 *     either the end (auto_end, reason "time") or a last warning with remaining_s 0;
 *   - throttled live messages: presence at most once a second, the chairs' hum levels and
 *     everyone's poll progress at most twice a second.
 */
#include <stdint.h>

#include "rooms/room_internal.h"

#define LIVE_INTERVAL_MS     500
#define PRESENCE_INTERVAL_MS 1000

static int64_t earliest(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t tick_grace(struct room *r, int64_t now)
{
	int64_t next = INT64_MAX;
	if (r->status == ROOM_ENDED)
		return next; /* the record is sealed */
	for (size_t i = 0; i < r->n_people; i++) {
		struct person *p = &r->people[i];
		if (!p->present || p->connections > 0 || !p->dropped_ms)
			continue;
		int64_t due = p->dropped_ms + r->rs->grace_ms;
		if (due <= now)
			(void)room_person_leaves(r, p, "timeout", now);
		else
			next = earliest(next, due);
	}
	return next;
}

static int64_t tick_floor(struct room *r, int64_t now)
{
	for (int guard = 0; guard < 4; guard++) {
		int64_t at;
		enum queue_alarm alarm =
		    queue_next_alarm(&r->queue, r->floor_warned, r->floor_limit_passed, &at);
		if (alarm == QUEUE_ALARM_NONE)
			return INT64_MAX;
		if (at > now)
			return at;
		if (alarm == QUEUE_ALARM_WARNING) {
			r->floor_warned = true;
			int64_t left = queue_remaining_s(&r->queue, now);
			room_send_live(r, "floor.warning",
				       json_pack("{s:I,s:I}", "entry",
						 (json_int_t)r->queue.floor.entry, "remaining_s",
						 (json_int_t)(left > 0 ? left : 0)));
			continue;
		}
		r->floor_limit_passed = true;
		if (r->queue.auto_end) {
			(void)room_end_floor(r, QUEUE_END_TIME, now);
		} else {
			room_send_live(r, "floor.warning",
				       json_pack("{s:I,s:i}", "entry",
						 (json_int_t)r->queue.floor.entry, "remaining_s",
						 0));
		}
	}
	return INT64_MAX;
}

static int64_t tick_live(struct room *r, int64_t now)
{
	int64_t next = INT64_MAX;
	if (r->presence_dirty) {
		if (now - r->presence_sent_ms >= PRESENCE_INTERVAL_MS)
			room_presence_changed(r, now);
		else
			next = earliest(next, r->presence_sent_ms + PRESENCE_INTERVAL_MS);
	}
	if (r->hum.open && r->hum.levels_dirty) {
		if (now - r->hum.levels_sent_ms >= LIVE_INTERVAL_MS)
			room_hum_levels_maybe(r, now, true);
		else
			next = earliest(next, r->hum.levels_sent_ms + LIVE_INTERVAL_MS);
	}
	if (r->poll_progress_dirty) {
		if (now - r->poll_progress_sent_ms >= LIVE_INTERVAL_MS)
			room_poll_progress_maybe(r, now, true);
		else
			next = earliest(next, r->poll_progress_sent_ms + LIVE_INTERVAL_MS);
	}
	return next;
}

int64_t rooms_tick(struct rooms *rs, int64_t now_ms)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < rs->n_rooms; i++) {
		struct room *r = rs->rooms[i];
		/* A passive copy (a standby's) or a followed log (an edge's): what writes is
		 * the writer's clock's. */
		if (!r->passive && !rs->follow) {
			next = earliest(next, tick_grace(r, now_ms));
			next = earliest(next, tick_floor(r, now_ms));
		}
		next = earliest(next, tick_live(r, now_ms));
	}
	return next;
}
