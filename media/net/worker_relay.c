/*
 * worker_relay -- edges on a media worker (issue 17; relay_link.h): the rooms fed from
 * other nodes. A link is taken in on its first command and kept until the worker stops;
 * it holds its room's mixer, which is then never dropped as idle.
 *
 *   edge:   pushed frames of the owner's stream -> room_mixer_relay_frame (sent on at
 *           once); an open mic of a peer here -> the mic tap, not the mix
 *   owner:  pushed frames of an edge's open mic -> its remote member, a mixer_member with
 *           no SRTP session, fed through room_mixer_audio exactly as a local peer's
 *           packets are. While its gate is open it is keyed, with a sink that hands what
 *           the mixer sends it (the room, or its own mix-minus while it speaks) to the
 *           tap with its pid: the edge gives that to the participant's peer (LINK_OWN),
 *           so a speaker on an edge hears the chair as one on the owner does.
 *
 * The drain and the mic tap allocate nothing; a remote member is made on its first gate
 * command.
 */
#include "media/net/worker.h"

#include "media/wire/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REMOTE_PT 111 /* the payload type remote frames are said to have; any will do */

struct remote_mic {
	struct mixer_member member;
	char pid[MEDIA_PID_MAX + 1];
	uint32_t ssrc; /* made up: tells its jitter buffer and rtp_rewrite who speaks */
	/* What the mixer sends it, plain RTP (no SRTP session), goes to the tap. */
	struct fanout_sink sink;
	const struct mixer_tap *tap;
	const char *room; /* its link's */
};

/* The sink of a remote member: the room's packet for it, back into a frame for the tap. */
static bool remote_send(struct fanout_sink *self, const uint8_t *buf, size_t len)
{
	struct remote_mic *r = BASE_CONTAINER_OF(self, struct remote_mic, sink);
	struct rtp_header h;
	if (!r->tap->encoded || rtp_parse(buf, len, &h) != RTP_OK || h.payload_len == 0 ||
	    h.payload_len > MEDIA_FRAME_MAX)
		return false;
	struct media_frame f = {.room = r->room,
				.ssrc = h.ssrc,
				.seq = h.seq,
				.timestamp = h.timestamp,
				.marker = h.marker,
				.opus = h.payload,
				.len = h.payload_len,
				.pid = r->pid};
	r->tap->encoded(r->tap->ctx, &f);
	return true;
}

static _Atomic uint32_t remote_ssrcs; /* distinct across the workers, for readable logs */

static void count_error(struct worker *w)
{
	atomic_fetch_add_explicit(&w->counters.mixer.gate_errors, 1, memory_order_relaxed);
}

static bool take_in(struct worker *w, struct relay_link *l)
{
	if (l->rm)
		return true;
	if (w->n_links == w->cap_links) {
		size_t cap = w->cap_links ? w->cap_links * 2 : 4;
		struct relay_link **grown = realloc(w->links, cap * sizeof *grown);
		if (!grown)
			return false;
		w->links = grown;
		w->cap_links = cap;
	}
	struct room_mixer *rm = worker_rooms_get(w, l->room, l->ssrc, l->stats);
	if (!rm)
		return false;
	room_mixer_hold(rm);
	l->rm = rm;
	w->links[w->n_links++] = l;
	return true;
}

void worker_relay_cmd(struct worker *w, struct relay_link *l, bool on)
{
	if (!take_in(w, l) || room_mixer_relay(l->rm, on) != MEDIA_OK)
		count_error(w);
}

static struct remote_mic *remote_find(const struct relay_link *l, const char *pid)
{
	for (size_t i = 0; i < l->n_remotes; i++)
		if (strcmp(l->remotes[i]->pid, pid) == 0)
			return l->remotes[i];
	return NULL;
}

static struct remote_mic *remote_make(struct worker *w, struct relay_link *l, const char *pid)
{
	if (l->n_remotes == l->cap_remotes) {
		size_t cap = l->cap_remotes ? l->cap_remotes * 2 : 4;
		struct remote_mic **grown = realloc(l->remotes, cap * sizeof *grown);
		if (!grown)
			return NULL;
		l->remotes = grown;
		l->cap_remotes = cap;
	}
	struct remote_mic *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	snprintf(r->pid, sizeof r->pid, "%s", pid);
	r->ssrc = atomic_fetch_add_explicit(&remote_ssrcs, 1, memory_order_relaxed) + 1;
	r->sink.send = remote_send;
	r->tap = &w->tap;
	r->room = l->room;
	if (room_mixer_join(l->rm, &r->member) != MEDIA_OK) {
		free(r);
		return NULL;
	}
	r->member.payload_type = REMOTE_PT;
	r->member.sink = &r->sink; /* srtp NULL: plain RTP, as to a venue's desk */
	l->remotes[l->n_remotes++] = r;
	return r;
}

void worker_relay_gate(struct worker *w, struct link_gate *g)
{
	struct relay_link *l = g->link;
	struct remote_mic *r = take_in(w, l) ? remote_find(l, g->pid) : NULL;
	if (!r && g->open && l->rm)
		r = remote_make(w, l, g->pid);
	if (g->open && (!r || room_mixer_gate(&r->member, true) != MEDIA_OK)) {
		count_error(w);
	} else if (g->open) {
		/* It hears the room through the edge while its mic is open here. */
		if (!r->member.listening && w->tap.encoded)
			room_mixer_keyed(&r->member);
	} else if (r) {
		(void)!room_mixer_gate(&r->member, false);
		room_mixer_unkeyed(&r->member); /* the edge's relay of the room is what it hears */
	}
	free(g);
}

static void take_frame(struct relay_link *l, const struct link_slot *s, const struct mixer_env *env,
		       int64_t now_us)
{
	if (s->kind == LINK_RELAY || s->kind == LINK_OWN) {
		struct media_frame f = {.room = l->room,
					.channel = s->channel,
					.ssrc = s->ssrc,
					.seq = s->seq,
					.timestamp = s->timestamp,
					.marker = s->marker,
					.opus = s->opus,
					.len = s->len,
					.pid = s->kind == LINK_OWN ? s->pid : NULL};
		if (f.pid)
			(void)room_mixer_relay_own(l->rm, env, &f);
		else
			(void)room_mixer_relay_frame(l->rm, env, &f, now_us);
		return;
	}
	struct remote_mic *r = remote_find(l, s->pid);
	if (!r)
		return; /* never gated: nothing of theirs is mixed */
	struct rtp_header h = {.marker = s->marker,
			       .payload_type = REMOTE_PT,
			       .seq = s->seq,
			       .timestamp = s->timestamp,
			       .ssrc = r->ssrc,
			       .payload = s->opus,
			       .payload_len = s->len};
	struct talk_packet tp = {.now_us = now_us,
				 .payload_len = s->len,
				 .has_level = s->level >= 0,
				 .level = (uint8_t)(s->level >= 0 ? s->level : 127)};
	(void)room_mixer_audio(&r->member, &h, &tp, env); /* no mic.attempt across nodes */
}

void worker_relay_drain(struct worker *w)
{
	if (w->n_links == 0)
		return;
	struct mixer_env env;
	worker_rooms_env(w, &env);
	for (size_t i = 0; i < w->n_links; i++) {
		struct relay_link *l = w->links[i];
		size_t slot;
		while (base_spsc_peek(&l->q, &slot)) {
			take_frame(l, &l->slots[slot], &env, env.clock_us());
			base_spsc_release(&l->q);
		}
	}
}

bool worker_relay_mic(struct worker *w, struct peer *p, const struct rtp_header *h,
		      const struct talk_packet *tp)
{
	if (!room_mixer_relaying(p->member.room) || !p->mic_open)
		return false;
	if (!w->tap.mic || h->payload_type != p->opus_pt)
		return true;
	room_mixer_relay_voice(&p->member, tp);
	struct media_mic_frame f = {.room = p->room,
				    .pid = p->pid,
				    .seq = h->seq,
				    .timestamp = h->timestamp,
				    .marker = h->marker,
				    .level = tp->has_level ? tp->level : -1,
				    .opus = h->payload,
				    .len = h->payload_len};
	w->tap.mic(w->tap.ctx, &f);
	return true;
}

void worker_relay_fini(struct worker *w)
{
	for (size_t i = 0; i < w->n_links; i++) {
		struct relay_link *l = w->links[i];
		for (size_t k = 0; k < l->n_remotes; k++) {
			room_mixer_leave(&l->remotes[k]->member);
			free(l->remotes[k]);
		}
		l->n_remotes = 0;
		l->rm = NULL;
	}
	free(w->links);
	w->links = NULL;
	w->n_links = w->cap_links = 0;
}
