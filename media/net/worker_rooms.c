/*
 * worker_rooms -- the rooms' mixers on a media worker: which room a peer is in, the
 * commands that concern rooms (MIC, SESSION), the audio of every authenticated RTP packet,
 * and the tick over every room. The mixing itself is room_mixer.h's; this file only ties
 * it to the worker's peers, socket, recorder and page ring.
 *
 * A room is made when its first peer is added or its session starts, and freed as soon as
 * it has neither (room_mixer_idle) -- on the command path, never on the tick. A worker
 * holds a few rooms, so they are a plain array searched by id.
 *
 * In echo mode (a test-only switch) peers echo their own audio and the mixer sends
 * nothing: both would use the room's SSRC with different sequence numbers.
 */
#include "media/net/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "media/net/udp.h"

#define MAX_LEAD_MS (24 * 3600 * 1000LL)

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void worker_rooms_env(struct worker *w, struct mixer_env *e)
{
	*e = (struct mixer_env){.fd = w->sock,
				.fanout = w->fanout,
				.recorder = w->recorder,
				.pages = w->pages,
				.counters = &w->counters.mixer,
				.clock_us = mono_us,
				.tap = &w->tap};
}

static struct room_mixer *find(const struct worker *w, const char *id)
{
	for (size_t i = 0; i < w->n_rooms; i++)
		if (strcmp(room_mixer_id(w->rooms[i]), id) == 0)
			return w->rooms[i];
	return NULL;
}

struct room_mixer *worker_rooms_get(struct worker *w, const char *id, uint32_t ssrc,
				    struct mixer_room_stats *stats)
{
	struct room_mixer *rm = find(w, id);
	if (rm)
		return rm;
	if (w->n_rooms == w->cap_rooms) {
		size_t cap = w->cap_rooms ? w->cap_rooms * 2 : 8;
		struct room_mixer **grown = realloc(w->rooms, cap * sizeof *grown);
		if (!grown)
			return NULL;
		w->rooms = grown;
		w->cap_rooms = cap;
	}
	/* RFC 3550 sect. 5.1: the first sequence number and timestamp are random. */
	struct {
		uint16_t seq;
		uint32_t ts;
	} r = {0};
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r.ts = (uint32_t)mono_us();
	struct room_mixer_config cfg = {.room = id,
					.ssrc = ssrc,
					.first_seq = r.seq,
					.first_ts = r.ts,
					.bitrate = w->mix_bitrate,
					.stats = stats};
	if (room_mixer_create(&cfg, &rm) != MEDIA_OK)
		return NULL;
	w->rooms[w->n_rooms++] = rm;
	return rm;
}

static void drop_if_idle(struct worker *w, struct room_mixer *rm)
{
	if (!rm || !room_mixer_idle(rm))
		return;
	for (size_t i = 0; i < w->n_rooms; i++) {
		if (w->rooms[i] != rm)
			continue;
		w->rooms[i] = w->rooms[--w->n_rooms];
		break;
	}
	struct mixer_env env;
	worker_rooms_env(w, &env);
	room_mixer_destroy(rm, &env);
}

bool worker_rooms_add(struct worker *w, struct peer *p)
{
	struct room_mixer *rm = worker_rooms_get(w, p->room, p->local_ssrc, p->room_stats);
	if (!rm)
		return false;
	p->member.payload_type = p->opus_pt;
	p->member.pid = p->pid[0] ? p->pid : NULL; /* an edge's own mixes from the owner name it */
	if (room_mixer_join(rm, &p->member) != MEDIA_OK) {
		drop_if_idle(w, rm);
		return false;
	}
	if ((p->listen_ch && room_mixer_channel(&p->member, p->listen_ch) != MEDIA_OK) ||
	    (p->voice_ch && room_mixer_voice(&p->member, p->voice_ch) != MEDIA_OK) ||
	    (p->mic_open && room_mixer_gate(&p->member, true) != MEDIA_OK))
		atomic_fetch_add_explicit(&w->counters.mixer.gate_errors, 1, memory_order_relaxed);
	return true;
}

static void keyed(struct worker *w, struct peer *p)
{
	struct sockaddr_storage ss;
	socklen_t len = udp_to_sockaddr(&p->ice.addr, w->family, &ss);
	if (len == 0 || len > sizeof p->member.addr)
		return;
	memcpy(&p->member.addr, &ss, len);
	p->member.addr_len = len;
	p->member.sink = p->tcp ? &p->tcp->sink : NULL; /* ICE-TCP: framed on its connection */
	p->member.srtp = p->srtp;
	room_mixer_keyed(&p->member);
}

void worker_rooms_state(struct worker *w, struct peer *p)
{
	if (w->echo)
		return;
	if (p->state == PEER_CONNECTED && p->srtp && p->ice.has_addr)
		keyed(w, p);
	else if (p->state == PEER_FAILED || p->state == PEER_CLOSED)
		room_mixer_unkeyed(&p->member);
}

void worker_rooms_moved(struct worker *w, struct peer *p)
{
	if (w->echo || !p->member.listening)
		return;
	room_mixer_unkeyed(&p->member);
	keyed(w, p);
}

void worker_rooms_remove(struct worker *w, struct peer *p)
{
	struct room_mixer *rm = p->member.room;
	room_mixer_leave(&p->member);
	drop_if_idle(w, rm);
}

void worker_rooms_mic(struct worker *w, struct peer *p, bool open)
{
	p->mic_open = open;
	if (p->member.room && room_mixer_gate(&p->member, open) != MEDIA_OK)
		atomic_fetch_add_explicit(&w->counters.mixer.gate_errors, 1, memory_order_relaxed);
}

void worker_rooms_channel(struct worker *w, struct peer *p, unsigned ch, bool voice)
{
	if (ch > (voice ? MEDIA_CHANNELS : 2 * MEDIA_CHANNELS))
		return;
	if (voice)
		p->voice_ch = (uint8_t)ch;
	else
		p->listen_ch = (uint8_t)ch;
	if (!p->member.room)
		return; /* applied when it joins */
	enum media_err err =
	    voice ? room_mixer_voice(&p->member, ch) : room_mixer_channel(&p->member, ch);
	if (err != MEDIA_OK)
		atomic_fetch_add_explicit(&w->counters.mixer.gate_errors, 1, memory_order_relaxed);
}

void worker_rooms_session(struct worker *w, struct worker_session *s)
{
	struct room_mixer *rm = worker_rooms_get(w, s->room, s->ssrc, s->stats);
	if (rm) {
		struct mixer_env env;
		worker_rooms_env(w, &env);
		/* A start more than a day ago is a clock gone wrong, not a session: no lead. */
		int64_t late_ms = wall_ms() - s->start_ms;
		bool plausible = late_ms > 0 && late_ms < MAX_LEAD_MS;
		struct mixer_session ms = {.live = s->live,
					   .name = s->name,
					   .title = s->title,
					   .date = s->date,
					   .lead_packets =
					       plausible ? (uint64_t)late_ms / WORKER_TICK_MS : 0,
					   .serial = s->serial};
		if (room_mixer_session(rm, &env, &ms) != MEDIA_OK)
			fprintf(stderr, "media worker %u: room %s: the live stream did not start\n",
				w->index, s->room);
		worker_venue_session(w, s->room, s->live);
		drop_if_idle(w, rm);
	}
	free(s);
}

void worker_rooms_audio(void *ctx, struct peer *p, const struct peer_env *env,
			const struct rtp_header *h)
{
	struct worker *w = ctx;
	struct mixer_env menv;
	worker_rooms_env(w, &menv);
	struct talk_packet tp = {.now_us = (int64_t)env->arrival_us,
				 .payload_len = h->payload_len,
				 .has_level = p->level_fresh,
				 .level = p->level};
	/* On an edge, an open mic goes to the owner's mixer (worker_relay.c), not this one. */
	if (!worker_relay_mic(w, p, h, &tp) && room_mixer_audio(&p->member, h, &tp, &menv) &&
	    p->handle && !p->closing)
		(void)worker_push_event(w, WORKER_EV_ATTEMPT, p->level, p->handle);
	/* Who talks, for the gateway's captions: one relaxed store, on the packet's arrival
	 * (the talk hangover counts from it), no lock and nothing allocated. */
	if (p->shared && room_mixer_talking(&p->member, tp.now_us))
		atomic_store_explicit(&p->shared->talked_ms, env->now_ms ? env->now_ms : 1,
				      memory_order_relaxed);
}

void worker_rooms_tick(struct worker *w, int64_t tick_us, bool skip)
{
	if (w->echo || w->n_rooms == 0)
		return;
	struct mixer_env env;
	worker_rooms_env(w, &env);
	for (size_t i = 0; i < w->n_rooms; i++) {
		if (skip)
			room_mixer_skip(w->rooms[i], &env);
		else
			room_mixer_tick(w->rooms[i], &env, tick_us);
	}
}

void worker_rooms_fini(struct worker *w)
{
	struct mixer_env env;
	worker_rooms_env(w, &env);
	for (size_t i = 0; i < w->n_rooms; i++)
		room_mixer_destroy(w->rooms[i], &env);
	free(w->rooms);
	w->rooms = NULL;
	w->n_rooms = w->cap_rooms = 0;
}
