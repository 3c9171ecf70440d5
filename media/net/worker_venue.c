/*
 * worker_venue -- the plain-RTP venues (venue_rtp.h) on their room's worker: a venue is a
 * member of the room's mixer for the life of the process, its gate open while the room's
 * session is live (PROTOCOL.md: the venue's microphone is open while the session is live),
 * and its socket is one more descriptor in the worker's loop. A worker holds a few venues
 * at most, so one epoll key stands for all of them and a wake-up reads each.
 */
#include "media/net/worker.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct venue_rtp *venue_at(struct base_list *node)
{
	return BASE_CONTAINER_OF(node, struct venue_rtp, link);
}

static void gate(struct worker *w, struct venue_rtp *v, bool open)
{
	if (room_mixer_gate(&v->member, open) != MEDIA_OK)
		atomic_fetch_add_explicit(&w->counters.mixer.gate_errors, 1, memory_order_relaxed);
}

void worker_venue_add(struct worker *w, struct venue_rtp *v, uint64_t key)
{
	struct room_mixer *rm = worker_rooms_get(w, v->room, v->ssrc, v->stats);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = key};
	if (!rm || room_mixer_join(rm, &v->member) != MEDIA_OK) {
		fprintf(stderr, "media worker %u: room %s: the RTP venue could not join\n",
			w->index, v->room);
		venue_rtp_destroy(v);
		return;
	}
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, v->fd, &ev) != 0) {
		fprintf(stderr, "media worker %u: room %s: the RTP venue's socket: epoll_ctl\n",
			w->index, v->room);
		room_mixer_leave(&v->member);
		venue_rtp_destroy(v);
		return;
	}
	v->counters = &w->counters.venue;
	room_mixer_keyed(&v->member); /* it hears the room from now on */
	if (room_mixer_live(rm))
		gate(w, v, true);
	base_list_insert_tail(&w->venues, &v->link);
}

void worker_venue_readable(struct worker *w)
{
	struct mixer_env env;
	worker_rooms_env(w, &env);
	int64_t now = now_us();
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->venues)
	venue_rtp_receive(venue_at(node), &env, now);
}

void worker_venue_session(struct worker *w, const char *room, bool live)
{
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->venues)
	{
		struct venue_rtp *v = venue_at(node);
		if (strcmp(v->room, room) == 0)
			gate(w, v, live);
	}
}

void worker_venue_fini(struct worker *w)
{
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->venues)
	{
		struct venue_rtp *v = venue_at(node);
		base_list_remove(node);
		room_mixer_leave(&v->member);
		venue_rtp_destroy(v);
	}
}
