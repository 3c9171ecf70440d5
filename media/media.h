/*
 * media -- WebRTC audio for plenary rooms: ICE-lite, DTLS-SRTP, RTP/RTCP on one UDP port
 * per worker thread, and the Opus mixer. (Grows with the transport and mixer issues.)
 */
#ifndef PLENARY_MEDIA_H
#define PLENARY_MEDIA_H

#include <stdint.h>

/* Which libsrtp the build linked: "openssl" (built by scripts/build-libsrtp.sh) or
 * "system-nss" (Debian's, slower with many sessions). */
const char *media_srtp_backend(void);

/* Counters for /metrics, summed over the workers. */
#define MEDIA_TICK_BUCKETS 12
extern const double media_tick_bucket_bounds[MEDIA_TICK_BUCKETS]; /* seconds */
struct media_stats {
	uint64_t peers_connected;
	uint64_t rtp_packets_received;
	uint64_t rtp_packets_sent;
	uint64_t srtp_errors;
	uint64_t tick_buckets[MEDIA_TICK_BUCKETS + 1]; /* last: +Inf */
	uint64_t tick_count;
	double tick_sum_s;
};
struct media;
/* m may be NULL (no media side yet): all zeros. */
void media_stats_read(const struct media *m, struct media_stats *out);

#endif
