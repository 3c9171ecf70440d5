/*
 * load_stats -- the arithmetic of plenary-load's report, kept pure so it is unit-tested
 * (tests/load/test_load_stats.c): RTP sequence tracking for loss, and percentiles.
 *
 * Loss is counted the way RFC 3550 appendix A.3 counts it: the 16-bit sequence number is
 * extended with a cycle count, "expected" is the extended highest minus the extended first
 * plus one, and "lost" is expected minus received (so duplicates can make it negative,
 * which we clamp). A listener that receives nothing at all has no sequence range; the
 * caller charges it with what it should have received over the window instead.
 *
 * Percentiles use the nearest-rank method on a sorted copy: p50 of {1,2,3,4} is 2, p99 of
 * 100 samples is the 99th smallest. No interpolation, so every reported value is one that
 * was measured.
 */
#ifndef PLENARY_LOAD_STATS_H
#define PLENARY_LOAD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seq_track {
	bool started;
	uint16_t max_seq;  /* highest sequence number seen, 16 bits */
	uint32_t cycles;   /* wraps of max_seq, shifted left 16 */
	uint32_t base_ext; /* extended sequence number of the first packet */
	uint64_t received; /* packets counted, duplicates included */
};

/* Starts empty. */
void seq_track_init(struct seq_track *t);
/* Counts one packet. A sequence number behind the highest (by less than half the number
 * space) is a late packet or a duplicate: counted, but the range does not move. Ahead by
 * less than half the space moves the highest, across a wrap if need be. */
void seq_track_add(struct seq_track *t, uint16_t seq);
/* Packets the range [first, highest] should hold; 0 before the first packet. */
uint64_t seq_track_expected(const struct seq_track *t);
/* expected - received, never below 0. */
uint64_t seq_track_lost(const struct seq_track *t);

/* A growable array of samples with a ceiling: past max, samples are dropped and counted. */
struct sample_set {
	double *v;
	size_t n, cap, max;
	uint64_t dropped;
};
void sample_set_init(struct sample_set *s, size_t max);
void sample_set_fini(struct sample_set *s);
/* Appends x; false (and counted in dropped) when full or out of memory. */
bool sample_set_add(struct sample_set *s, double x);
/* Appends every sample of from. */
void sample_set_merge(struct sample_set *into, const struct sample_set *from);

/* The p-th percentile (0 < p <= 100) of v[0..n) by nearest rank; sorts v in place.
 * Returns 0 when n is 0 (the caller reports null). */
double stats_percentile(double *v, size_t n, double p);

#endif
