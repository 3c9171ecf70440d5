/*
 * media_stats -- what the workers publish in atomics (per peer, per worker, per mixer),
 * read on the gateway thread with relaxed loads: each figure is a counter or a gauge of
 * its own, so no two need to be read at one instant.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "media/media_internal.h"

int64_t media_peer_talked_ms_ago(const struct media_peer *p)
{
	uint64_t at = atomic_load_explicit(&p->shared.talked_ms, memory_order_relaxed);
	if (at == 0)
		return -1;
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono); /* the workers' clock (worker_env) */
	uint64_t now = (uint64_t)mono.tv_sec * 1000u + (uint64_t)mono.tv_nsec / 1000000u;
	return now > at ? (int64_t)(now - at) : 0;
}

void media_peer_stats(const struct media_peer *p, struct media_peer_stats *out)
{
	const struct peer_shared *s = &p->shared;
	memset(out, 0, sizeof *out);
	out->state = (enum media_state)atomic_load_explicit(&s->state, memory_order_relaxed);
	out->packets_received = atomic_load_explicit(&s->packets_received, memory_order_relaxed);
	out->packets_lost = atomic_load_explicit(&s->packets_lost, memory_order_relaxed);
	out->packets_sent = atomic_load_explicit(&s->packets_sent, memory_order_relaxed);
	out->srtp_errors = atomic_load_explicit(&s->srtp_errors, memory_order_relaxed);
	out->rtcp_received = atomic_load_explicit(&s->rtcp_received, memory_order_relaxed);
	out->jitter_us = atomic_load_explicit(&s->jitter_us, memory_order_relaxed);
	out->rtt_ms = atomic_load_explicit(&s->rtt_ms, memory_order_relaxed);
	out->audio_level = (uint8_t)atomic_load_explicit(&s->audio_level, memory_order_relaxed);
	out->voice = atomic_load_explicit(&s->voice, memory_order_relaxed) != 0;
}

static void read_mixer(struct worker *w, struct media_stats *out, uint64_t *mix_ns,
		       uint64_t *fwd_ns)
{
	struct mixer_counters *c = &w->counters.mixer;
#define READ(f) atomic_load_explicit(&c->f, memory_order_relaxed)
	out->rtp_packets_sent += READ(packets_sent);
	for (size_t b = 0; b <= MEDIA_LATENCY_BUCKETS; b++) {
		out->latency_mix_buckets[b] += READ(latency_mix[b]);
		out->latency_fwd_buckets[b] += READ(latency_fwd[b]);
	}
	out->latency_mix_count += READ(latency_mix_count);
	out->latency_fwd_count += READ(latency_fwd_count);
	*mix_ns += READ(latency_mix_sum_ns);
	*fwd_ns += READ(latency_fwd_sum_ns);
	out->mixes_encoded += READ(encoded);
	out->channel_encodes += READ(channel_encoded);
	out->packets_forwarded += READ(forwarded);
	out->relay_own_sent += READ(relay_own);
	out->send_errors += READ(send_errors) + READ(protect_errors);
	out->gate_errors += READ(gate_errors);
	out->fanout_s += (double)READ(fanout_us) / 1e6;
	out->fanout_packets += READ(fanout_dests);
#undef READ
	out->stream_pages_dropped += page_ring_dropped(w->pages);
	if (w->recorder) {
		struct recorder_stats rs;
		recorder_get_stats(w->recorder, &rs);
		out->recording_dropped += rs.dropped;
	}
}

void media_stats_read(const struct media *m, struct media_stats *out)
{
	memset(out, 0, sizeof *out);
	if (m == NULL)
		return;
	out->relay_dropped = atomic_load_explicit(&m->relay_dropped, memory_order_relaxed);
	uint64_t tick_ns = 0, mix_ns = 0, fwd_ns = 0;
	for (unsigned i = 0; i < m->n_workers; i++) {
		struct media_counters *c = &m->workers[i]->counters;
#define READ(f) atomic_load_explicit(&c->f, memory_order_relaxed)
		out->peers_connected += READ(peers_connected);
		out->rtp_packets_received += READ(rtp_received);
		out->rtp_packets_sent += READ(rtp_sent);
		out->srtp_errors += READ(srtp_errors);
		out->tcp_accepted += READ(tcp_accepted);
		out->tcp_dropped += READ(tcp_dropped);
		out->venue_received += READ(venue.received);
		out->venue_dropped += READ(venue.dropped);
		out->venue_sent += READ(venue.sent);
		for (size_t b = 0; b <= MEDIA_TICK_BUCKETS; b++)
			out->tick_buckets[b] += READ(tick_buckets[b]);
		out->tick_count += READ(tick_count);
		tick_ns += READ(tick_sum_ns);
		out->frames += READ(frames);
		out->frames_skipped += READ(frames_skipped);
#undef READ
		read_mixer(m->workers[i], out, &mix_ns, &fwd_ns);
	}
	out->tick_sum_s = (double)tick_ns / 1e9;
	out->latency_mix_sum_s = (double)mix_ns / 1e9;
	out->latency_fwd_sum_s = (double)fwd_ns / 1e9;
}
