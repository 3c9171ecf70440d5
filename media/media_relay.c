/*
 * media_relay -- edges (issue 17) as the gateway and the transport see them: the rooms
 * fed from other nodes (media.h, "Edges"; media/README.md, "Relay and taps").
 *
 * A room's link (net/relay_link.h) is made by its first media_room_relay or
 * media_remote_mic, and kept until media_destroy: it pins the room to its worker for good
 * (like a venue, it counts as a peer that never leaves), so the ring a push writes into is
 * always the one its worker drains. Pushes come from the transport's threads, so the
 * table of links and each ring's producer side are under one lock; the worker's side
 * takes no lock. The lock is held for a lookup among a few rooms and one copy of a frame.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"

static pthread_mutex_t links_lock = PTHREAD_MUTEX_INITIALIZER;

static bool room_ok(const char *room)
{
	return room && room[0] && strlen(room) <= MEDIA_ROOM_MAX;
}

/* Under the lock. */
static struct relay_link *link_find(const struct media *m, const char *room)
{
	for (size_t i = 0; i < m->n_links; i++)
		if (strcmp(m->links[i]->room, room) == 0)
			return m->links[i];
	return NULL;
}

static bool link_append(struct media *m, struct relay_link *l)
{
	pthread_mutex_lock(&links_lock);
	bool ok = true;
	if (m->n_links == m->cap_links) {
		size_t cap = m->cap_links ? m->cap_links * 2 : 8;
		struct relay_link **grown = realloc(m->links, cap * sizeof *grown);
		ok = grown != NULL;
		if (ok) {
			m->links = grown;
			m->cap_links = cap;
		}
	}
	if (ok)
		m->links[m->n_links++] = l;
	pthread_mutex_unlock(&links_lock);
	return ok;
}

/* Gateway thread (the only one that adds links). */
static enum media_err link_get(struct media *m, const char *room, struct relay_link **out)
{
	pthread_mutex_lock(&links_lock);
	*out = link_find(m, room);
	pthread_mutex_unlock(&links_lock);
	if (*out)
		return MEDIA_OK;
	struct room_pin *pin = media_pin_get(m, room);
	if (!pin)
		return MEDIA_ERR_NOMEM;
	unsigned worker = media_pin_worker(m, pin);
	struct relay_link *l;
	enum media_err err = relay_link_create(room, pin->ssrc, &pin->stats, worker,
					       m->workers[worker]->wake_fd, &l);
	if (err != MEDIA_OK)
		return err;
	if (!link_append(m, l)) {
		relay_link_destroy(l);
		return MEDIA_ERR_NOMEM;
	}
	pin->peers++; /* never released: the link stays on this worker */
	m->worker_peers[worker]++;
	*out = l;
	return MEDIA_OK;
}

enum media_err media_room_relay(struct media *m, const char *room, bool on)
{
	if (!m || !room_ok(room))
		return MEDIA_ERR_PARAM;
	struct relay_link *l;
	enum media_err err = link_get(m, room, &l);
	if (err != MEDIA_OK)
		return err;
	/* Like a session's start, relay mode must not be lost: wait for room. */
	worker_post_wait(m->workers[l->worker],
			 &(struct ring_msg){.type = WORKER_RELAY, .arg = on, .ptr = l});
	return MEDIA_OK;
}

enum media_err media_remote_mic(struct media *m, const char *room, const char *pid, bool open)
{
	if (!m || !room_ok(room) || !pid || !pid[0] || strlen(pid) > MEDIA_PID_MAX)
		return MEDIA_ERR_PARAM;
	struct relay_link *l;
	enum media_err err = link_get(m, room, &l);
	if (err != MEDIA_OK)
		return err;
	struct link_gate *g = calloc(1, sizeof *g);
	if (!g)
		return MEDIA_ERR_NOMEM;
	g->link = l;
	g->open = open;
	memcpy(g->pid, pid, strlen(pid) + 1);
	worker_post_wait(m->workers[l->worker],
			 &(struct ring_msg){.type = WORKER_REMOTE, .ptr = g});
	return MEDIA_OK;
}

static enum media_err push(struct media *m, const char *room, const struct link_slot *s,
			   const uint8_t *opus)
{
	pthread_mutex_lock(&links_lock);
	struct relay_link *l = link_find(m, room);
	enum media_err err = !l				   ? MEDIA_ERR_STATE
			     : relay_link_push(l, s, opus) ? MEDIA_OK
							   : MEDIA_ERR_FULL;
	pthread_mutex_unlock(&links_lock);
	if (err == MEDIA_ERR_FULL)
		atomic_fetch_add_explicit(&m->relay_dropped, 1, memory_order_relaxed);
	return err;
}

enum media_err media_relay_push(struct media *m, const struct media_frame *f)
{
	if (!m || !f || !room_ok(f->room) || !f->opus || f->len == 0 || f->len > MEDIA_FRAME_MAX ||
	    f->channel > 2 * MEDIA_CHANNELS ||
	    (f->pid && (!f->pid[0] || strlen(f->pid) > MEDIA_PID_MAX || f->channel != 0)))
		return MEDIA_ERR_PARAM;
	struct link_slot s = {.kind = f->pid ? LINK_OWN : LINK_RELAY,
			      .channel = (uint8_t)f->channel,
			      .marker = f->marker,
			      .seq = f->seq,
			      .timestamp = f->timestamp,
			      .ssrc = f->ssrc,
			      .len = (uint16_t)f->len};
	if (f->pid)
		memcpy(s.pid, f->pid, strlen(f->pid) + 1);
	return push(m, f->room, &s, f->opus);
}

enum media_err media_remote_mic_push(struct media *m, const struct media_mic_frame *f)
{
	if (!m || !f || !room_ok(f->room) || !f->pid || !f->pid[0] ||
	    strlen(f->pid) > MEDIA_PID_MAX || !f->opus || f->len == 0 || f->len > MEDIA_FRAME_MAX ||
	    f->level > 127)
		return MEDIA_ERR_PARAM;
	struct link_slot s = {.kind = LINK_MIC,
			      .marker = f->marker,
			      .level = (int16_t)(f->level < 0 ? -1 : f->level),
			      .seq = f->seq,
			      .timestamp = f->timestamp,
			      .len = (uint16_t)f->len};
	memcpy(s.pid, f->pid, strlen(f->pid) + 1);
	return push(m, f->room, &s, f->opus);
}

void media_links_free(struct media *m)
{
	for (size_t i = 0; i < m->n_links; i++)
		relay_link_destroy(m->links[i]);
	free(m->links);
	m->links = NULL;
	m->n_links = m->cap_links = 0;
}
