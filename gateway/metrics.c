/*
 * Prometheus text format 0.0.4: HELP and TYPE lines, then samples. Histograms are
 * cumulative buckets with le labels, then _sum and _count.
 */
#include "gateway/metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double fsync_bounds[GW_FSYNC_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
						      0.005,  0.01,    0.025,  0.05,  0.1};

void gw_metrics_observe_fsync(struct gw_metrics *m, uint64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i = 0;
	while (i < GW_FSYNC_BUCKETS && s > fsync_bounds[i])
		i++;
	m->fsync_buckets[i]++;
	m->fsync_count++;
	m->fsync_sum_s += s;
}

struct text {
	char *buf;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	if (t->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap * 2 + (size_t)n;
		char *grown = realloc(t->buf, cap);
		if (!grown) {
			t->failed = true;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
}

static void counter(struct text *t, const char *name, const char *help, uint64_t v)
{
	put(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

static void gauge(struct text *t, const char *name, const char *help, uint64_t v)
{
	put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

static void histogram(struct text *t, const char *name, const char *help, const double *bounds,
		      size_t n, const uint64_t *buckets, uint64_t count, double sum)
{
	put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t cumulative = 0;
	for (size_t i = 0; i < n; i++) {
		cumulative += buckets[i];
		put(t, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
		    (unsigned long long)cumulative);
	}
	cumulative += buckets[n];
	put(t, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
	    (unsigned long long)cumulative, name, sum, name, (unsigned long long)count);
}

/* One gauge or counter per room that has had audio (and that rooms shows), labelled by
 * room. */
static void per_room(struct text *t, const struct media *media,
		     const struct gw_metrics_rooms *rooms)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
	    {"plenary_room_listeners", "gauge", "Peers hearing the room's stream"},
	    {"plenary_room_open_mics", "gauge", "Open microphones in the room's mix"},
	    {"plenary_room_packets_sent_total", "counter", "Packets of the room's stream"},
	    {"plenary_room_forwarding", "gauge", "1 while one voice is forwarded as it came"},
	    {"plenary_room_recording", "gauge", "1 while the room's session is recorded"},
	};
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
		put(t, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
		    families[f].name, families[f].type);
		struct media_room_info r;
		for (size_t i = 0; media_room_at(media, i, &r); i++) {
			if (rooms && !rooms->show(rooms->ctx, r.room))
				continue;
			uint64_t v[] = {r.listeners, r.open_mics, r.packets_sent, r.forwarding,
					r.recording};
			put(t, "%s{room=\"%s\"} %llu\n", families[f].name, r.room,
			    (unsigned long long)v[f]);
		}
	}
}

static void mixer(struct text *t, const struct media_stats *media)
{
	put(t, "# HELP plenary_mixer_latency_seconds From a packet's arrival to the packet it "
	       "became leaving, by how it left\n# TYPE plenary_mixer_latency_seconds histogram\n");
	const uint64_t *buckets[] = {media->latency_mix_buckets, media->latency_fwd_buckets};
	const uint64_t counts[] = {media->latency_mix_count, media->latency_fwd_count};
	const double sums[] = {media->latency_mix_sum_s, media->latency_fwd_sum_s};
	static const char *const modes[] = {"mix", "forward"};
	for (size_t k = 0; k < 2; k++) {
		uint64_t cumulative = 0;
		for (size_t i = 0; i <= MEDIA_LATENCY_BUCKETS; i++) {
			cumulative += buckets[k][i];
			char le[32];
			if (i < MEDIA_LATENCY_BUCKETS)
				snprintf(le, sizeof le, "%g", media_latency_bucket_bounds[i]);
			else
				snprintf(le, sizeof le, "+Inf");
			put(t, "plenary_mixer_latency_seconds_bucket{mode=\"%s\",le=\"%s\"} %llu\n",
			    modes[k], le, (unsigned long long)cumulative);
		}
		put(t, "plenary_mixer_latency_seconds_sum{mode=\"%s\"} %.9f\n", modes[k], sums[k]);
		put(t, "plenary_mixer_latency_seconds_count{mode=\"%s\"} %llu\n", modes[k],
		    (unsigned long long)counts[k]);
	}
	counter(t, "plenary_mixer_encodes_total", "Public mixes encoded (once for every listener)",
		media->mixes_encoded);
	counter(t, "plenary_mixer_channel_encodes_total",
		"Interpretation channels' frames encoded (once per channel on air and tick, "
		"whatever its listeners)",
		media->channel_encodes);
	counter(t, "plenary_mixer_frames_total",
		"20 ms frames of the media workers' clock passed (50 a second per worker)",
		media->frames);
	counter(t, "plenary_mixer_frames_skipped_total",
		"Frames a worker reached over 100 ms late: recorded as filler, nothing sent",
		media->frames_skipped);
	counter(t, "plenary_mixer_forwarded_total",
		"Speakers' packets forwarded to listeners without transcoding",
		media->packets_forwarded);
	counter(t, "plenary_mixer_send_errors_total", "Packets of the rooms' streams not sent",
		media->send_errors);
	put(t,
	    "# HELP plenary_mixer_fanout_seconds_total Time spent protecting and sending the "
	    "public packets to listeners\n# TYPE plenary_mixer_fanout_seconds_total counter\n"
	    "plenary_mixer_fanout_seconds_total %.6f\n",
	    media->fanout_s);
	counter(t, "plenary_mixer_fanout_packets_total",
		"Packets protected and sent in that time (one per listener per packet)",
		media->fanout_packets);
	counter(t, "plenary_mixer_gate_errors_total", "Microphone gates that could not open",
		media->gate_errors);
	counter(t, "plenary_listen_pages_dropped_total",
		"Live Ogg pages dropped on the way to listen.ogg clients",
		media->stream_pages_dropped);
	counter(t, "plenary_recording_packets_dropped_total",
		"Packets the recording writer was too slow for (filled with silence)",
		media->recording_dropped);
	counter(t, "plenary_ice_tcp_connections_total",
		"ICE-TCP connections accepted (peers whose networks block UDP)",
		media->tcp_accepted);
	counter(t, "plenary_ice_tcp_packets_dropped_total",
		"Packets dropped because an ICE-TCP connection's send buffer was full",
		media->tcp_dropped);
	counter(t, "plenary_venue_rtp_packets_received_total",
		"Datagrams from plain-RTP venue desks taken into the mix", media->venue_received);
	counter(t, "plenary_venue_rtp_packets_dropped_total",
		"Datagrams from plain-RTP venue desks refused (not RTP, wrong type, bad payload)",
		media->venue_dropped);
	counter(t, "plenary_venue_rtp_packets_sent_total",
		"Datagrams sent to plain-RTP venue desks", media->venue_sent);
}

static char *text_done(struct text *t, size_t *len)
{
	if (t->failed) {
		free(t->buf);
		return NULL;
	}
	*len = t->len;
	return t->buf;
}

static bool only_one(void *ctx, const char *room)
{
	return strcmp(ctx, room) == 0;
}

char *gw_metrics_render_room(const struct media *media_handle, const char *room, size_t *len)
{
	struct text t = {.buf = malloc(1024), .cap = 1024};
	if (!t.buf)
		return NULL;
	struct gw_metrics_rooms one = {.show = only_one, .ctx = (void *)room};
	per_room(&t, media_handle, &one);
	return text_done(&t, len);
}

char *gw_metrics_render(const struct gw_metrics *m, const struct media *media_handle,
			const struct media_stats *media, size_t n_rooms,
			const struct gw_metrics_rooms *rooms, size_t *len)
{
	struct text t = {.buf = malloc(8192), .cap = 8192};
	if (!t.buf)
		return NULL;
	put(&t, "# HELP plenary_connections WebSocket connections by role\n"
		"# TYPE plenary_connections gauge\n");
	for (int r = 0; r <= ROOM_ROLE_COUNT; r++) {
		put(&t, "plenary_connections{role=\"%s\"} %llu\n",
		    r < ROOM_ROLE_COUNT ? room_role_name((enum room_role)r) : "none",
		    (unsigned long long)m->connections[r]);
	}
	counter(&t, "plenary_events_total", "Events appended to room logs", m->events_total);
	gauge(&t, "plenary_rooms", "Rooms loaded", n_rooms);
	gauge(&t, "plenary_rooms_refused", "Rooms whose log refused to load", m->rooms_refused);
	counter(&t, "plenary_ws_messages_received_total", "WebSocket messages received",
		m->ws_messages_in);
	counter(&t, "plenary_ws_messages_sent_total", "WebSocket messages queued for sending",
		m->ws_messages_out);
	counter(&t, "plenary_ws_writes_total",
		"Writes of WebSocket frames to sockets (the messages queued meanwhile go in one)",
		m->ws_writes);
	counter(&t, "plenary_ws_direct_writes_total",
		"Of those, the ones written before the loop waited, without a writable callback",
		m->ws_direct_writes);
	counter(&t, "plenary_ws_slow_consumers_dropped_total",
		"Connections dropped because they stopped reading", m->ws_slow_dropped);
	counter(&t, "plenary_http_requests_total", "HTTP requests", m->http_requests);
	counter(&t, "plenary_http_connections_refused_total",
		"Connections closed at once: their address had max_conns_per_addr open",
		m->http_refused);
	counter(&t, "plenary_http_rate_limited_total", "HTTP requests answered 429",
		m->http_rate_limited);
	counter(&t, "plenary_http_slow_bodies_closed_total",
		"Connections closed for a body under http_body_min_rate", m->http_slow_closed);
	gauge(&t, "plenary_peers", "WebRTC peers connected", media->peers_connected);
	counter(&t, "plenary_rtp_packets_received_total", "RTP packets received",
		media->rtp_packets_received);
	counter(&t, "plenary_rtp_packets_sent_total", "RTP packets sent", media->rtp_packets_sent);
	counter(&t, "plenary_srtp_errors_total", "SRTP unprotect failures", media->srtp_errors);
	histogram(&t, "plenary_mixer_tick_seconds", "Time spent in one mixer tick",
		  media_tick_bucket_bounds, MEDIA_TICK_BUCKETS, media->tick_buckets,
		  media->tick_count, media->tick_sum_s);
	mixer(&t, media);
	per_room(&t, media_handle, rooms);
	histogram(&t, "plenary_log_fsync_seconds", "Time spent in one log fdatasync", fsync_bounds,
		  GW_FSYNC_BUCKETS, m->fsync_buckets, m->fsync_count, m->fsync_sum_s);
	counter(&t, "plenary_log_fsync_failures_total", "Log flushes that failed and rolled back",
		m->fsync_failures);
	put(&t,
	    "# HELP plenary_srtp_backend Which libsrtp build is linked\n"
	    "# TYPE plenary_srtp_backend gauge\nplenary_srtp_backend{backend=\"%s\"} 1\n",
	    media_srtp_backend());
	return text_done(&t, len);
}
