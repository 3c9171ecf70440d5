/* Unit tests for media/mix/jitter.c, driven by a small network simulation: a sender makes a
 * 20 ms packet per period of its own clock (which may drift from ours), the network
 * delays, drops, reorders or duplicates them, and the receiver pulls every 20 ms of our
 * clock. Covered: steady state, single and burst loss with FEC hints, reordering,
 * duplicates, late packets, a network stall with a burst, DTX gaps, clock drift both ways,
 * adaptation of the target up and down, an SSRC change, sequence and timestamp
 * wrap-around, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/mix/jitter.h"

#define MAX_PACKETS 8192
#define SSRC	    0x5eed5eedu

struct pkt {
	int64_t arrival_us;
	uint16_t seq;
	uint32_t ts;
	uint8_t len;
	uint8_t data[3]; /* a TOC byte and the send index, so a played packet says who it is */
	uint32_t ssrc;
};

/* The sender and network, described by the test. */
struct net {
	size_t count;	     /* packets to send */
	double period_us;    /* sender's 20 ms, in our microseconds (drift) */
	int64_t base_delay;  /* one-way delay, us */
	int64_t jitter_us;   /* extra delay, uniform in [0, jitter_us) */
	size_t jitter_from;  /* ... for packets from this index */
	size_t jitter_until; /* ... up to this one */
	uint16_t seq0;
	uint32_t ts0;
	size_t talk, pause; /* DTX pattern: talk packets, then pause periods of silence */
};

struct sim {
	struct pkt *p;
	size_t n;
	struct jitter *jb;
	uint64_t rng;
	int64_t pull_phase_us;
	/* Results, per pull. */
	size_t pulls;
	enum jitter_kind kind[MAX_PACKETS * 2];
	int index[MAX_PACKETS * 2]; /* send index of a FRAME, or of the FEC packet, else -1 */
	bool fec[MAX_PACKETS * 2];
	uint32_t level[MAX_PACKETS * 2];
	uint32_t target[MAX_PACKETS * 2];
};

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static struct sim *sim_new(void)
{
	struct sim *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->p = calloc(MAX_PACKETS, sizeof *s->p);
	assert_non_null(s->p);
	assert_int_equal(jitter_create(NULL, &s->jb), JITTER_OK);
	s->rng = 0x9e3779b97f4a7c15ull;
	s->pull_phase_us = 7000;
	return s;
}

static void sim_free(struct sim *s)
{
	jitter_destroy(s->jb);
	free(s->p);
	free(s);
}

static void set_index(struct pkt *p, size_t i)
{
	p->data[0] = 0x78; /* SILK WB 20 ms, code 0 */
	p->data[1] = (uint8_t)(i >> 8);
	p->data[2] = (uint8_t)i;
}

static int index_of(const uint8_t *data, size_t len)
{
	return len == 3 ? (data[1] << 8 | data[2]) : -1;
}

/* Packets as the sender makes them. In a DTX pause the sender sends one 1-byte DTX packet
 * and then nothing, keeping sequence numbers contiguous (RFC 3551 / WebRTC behaviour). */
static void sim_send(struct sim *s, const struct net *n)
{
	size_t cycle = n->talk + n->pause;
	uint16_t seq = n->seq0;
	s->n = 0;
	for (size_t i = 0; i < n->count; i++) {
		size_t phase = cycle ? i % cycle : 0;
		if (cycle && phase > n->talk)
			continue; /* silent: no packet */
		struct pkt *p = &s->p[s->n++];
		p->ssrc = SSRC;
		p->seq = seq++;
		p->ts = n->ts0 + (uint32_t)(i * 960);
		set_index(p, i);
		p->len = cycle && phase == n->talk ? 1 : 3;
		int64_t jitter = 0;
		if (n->jitter_us && i >= n->jitter_from && i < n->jitter_until)
			jitter = (int64_t)(next_random(&s->rng) % (uint64_t)n->jitter_us);
		p->arrival_us = (int64_t)((double)i * n->period_us) + n->base_delay + jitter;
	}
}

/* Puts the packets in arrival order (stable). */
static void sim_sort(struct sim *s)
{
	for (size_t i = 1; i < s->n; i++) {
		struct pkt t = s->p[i];
		size_t j = i;
		while (j > 0 && s->p[j - 1].arrival_us > t.arrival_us) {
			s->p[j] = s->p[j - 1];
			j--;
		}
		s->p[j] = t;
	}
}

static void sim_drop(struct sim *s, size_t index)
{
	for (size_t i = 0; i < s->n; i++)
		if (index_of(s->p[i].data, s->p[i].len) == (int)index)
			s->p[i].arrival_us = INT64_MAX; /* never arrives */
	sim_sort(s);
}

static struct pkt *sim_find(struct sim *s, size_t index)
{
	for (size_t i = 0; i < s->n; i++)
		if (index_of(s->p[i].data, s->p[i].len) == (int)index)
			return &s->p[i];
	fail();
	return NULL;
}

/* Runs pulls every 20 ms until `until_us`, inserting what arrived before each. */
static void sim_run(struct sim *s, int64_t until_us)
{
	size_t next = 0;
	for (int64_t t = s->pull_phase_us; t < until_us; t += 20000) {
		while (next < s->n && s->p[next].arrival_us <= t) {
			struct pkt *p = &s->p[next++];
			struct jitter_packet jp = {.ssrc = p->ssrc,
						   .seq = p->seq,
						   .timestamp = p->ts,
						   .payload = p->data,
						   .len = p->len};
			enum jitter_err err = jitter_insert(s->jb, &jp, p->arrival_us);
			assert_true(err == JITTER_OK || err == JITTER_ELATE ||
				    err == JITTER_EDUPLICATE);
		}
		struct jitter_out out;
		jitter_pull(s->jb, t, &out);
		struct jitter_stats st;
		jitter_get_stats(s->jb, &st);
		size_t k = s->pulls++;
		assert_true(k < MAX_PACKETS * 2);
		s->kind[k] = out.kind;
		s->fec[k] = out.fec;
		s->index[k] = out.payload ? index_of(out.payload, out.len) : -1;
		s->level[k] = st.level_ms;
		s->target[k] = st.target_ms;
	}
}

static struct jitter_stats stats(const struct sim *s)
{
	struct jitter_stats st;
	jitter_get_stats(s->jb, &st);
	return st;
}

/* Every FRAME result in order, and none twice. */
static void assert_frames_in_order(const struct sim *s)
{
	int last = -1;
	for (size_t k = 0; k < s->pulls; k++) {
		if (s->kind[k] != JITTER_FRAME || s->index[k] < 0) /* < 0: a DTX frame */
			continue;
		assert_true(s->index[k] > last);
		last = s->index[k];
	}
}

static size_t count_kind(const struct sim *s, enum jitter_kind kind, size_t from)
{
	size_t c = 0;
	for (size_t k = from; k < s->pulls; k++)
		c += s->kind[k] == kind;
	return c;
}

static struct net steady(size_t count)
{
	return (struct net){
	    .count = count, .period_us = 20000, .base_delay = 30000, .seq0 = 1000, .ts0 = 123456};
}

static void test_steady_state(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(500);
	sim_send(s, &n);
	sim_run(s, 11 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.played, 500);
	assert_int_equal(st.lost + st.late + st.dropped, 0);
	assert_int_equal(st.concealed, JITTER_PLC_MAX); /* the stream's end, as an underrun */
	assert_frames_in_order(s);
	/* Once started, a frame every tick until the end. */
	size_t first = 0;
	while (s->kind[first] != JITTER_FRAME)
		first++;
	for (size_t k = first; k < first + 500; k++)
		assert_int_equal(s->kind[k], JITTER_FRAME);
	/* No jitter: the target stays at the floor (20 ms + 5 ms headroom), and the delay
	 * from arrival to play is under 40 ms. */
	assert_true(st.target_ms <= 25);
	assert_true(first * 20 + 7 - 30 <= 40);
	sim_free(s);
}

static void test_single_and_burst_loss(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(300);
	sim_send(s, &n);
	sim_drop(s, 100);
	for (size_t i = 200; i < 203; i++)
		sim_drop(s, i);
	sim_run(s, 7 * 1000000);
	struct jitter_stats st = stats(s);
	/* Three lost in a row empty the buffer: until 203 comes that looks like an underrun
	 * (conceal, wait), which costs two frames of delay, shed again later. */
	assert_int_equal(st.played + st.dropped, 296);
	assert_true(st.dropped <= 2);
	assert_int_equal(st.lost, 4);
	assert_int_equal(st.fec, 2); /* 100 from 101; 202 from 203 */
	assert_int_equal(st.late, 0);
	/* 1 for the single loss (at a 20 ms level it too empties the buffer), 2 for the
	 * burst, JITTER_PLC_MAX at the end of the stream. */
	assert_true(st.concealed <= 3 + JITTER_PLC_MAX);
	for (size_t k = 1; k < s->pulls; k++) {
		if (s->kind[k] != JITTER_LOST)
			continue;
		if (s->fec[k]) /* the hint is the very next packet, played next tick */
			assert_int_equal(s->index[k + 1], s->index[k]);
	}
	assert_frames_in_order(s);
	sim_free(s);
}

static void test_reorder_and_duplicate(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(200);
	sim_send(s, &n);
	/* 50 arrives after 51 and 52 (still in time), 80 twice. */
	sim_find(s, 50)->arrival_us += 30000;
	struct pkt dup = *sim_find(s, 80);
	dup.arrival_us += 5000;
	s->p[s->n++] = dup;
	sim_sort(s);
	sim_run(s, 5 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.played, 200);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.lost + st.late, 0);
	assert_frames_in_order(s);
	sim_free(s);
}

static void test_late_packet(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(200);
	sim_send(s, &n);
	sim_find(s, 60)->arrival_us += 300000; /* 300 ms late: long after 61 played */
	sim_sort(s);
	sim_run(s, 5 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.played, 199);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.fec, 1);
	assert_int_equal(st.late, 1);
	sim_free(s);
}

/* The network stalls for 80 ms, then delivers everything at once: nothing is lost or late
 * (the buffer waits, concealing), and the delay comes back down afterwards. */
static void test_stall_and_burst(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(500);
	sim_send(s, &n);
	int64_t release = s->p[100].arrival_us + 80000;
	for (size_t i = 100; i < 105; i++)
		s->p[i].arrival_us = release;
	sim_run(s, 11 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.late + st.lost, 0);
	assert_true(st.concealed >= 3);
	assert_true(st.played + st.dropped == 500);
	assert_frames_in_order(s);
	/* The extra 80 ms are shed within 3 s of the burst. */
	assert_true(s->level[s->pulls - 120] <= st.target_ms + 30);
	assert_true(st.dropped >= 2);
	sim_free(s);
}

/* A longer outage (300 ms) ends the talk spurt; the burst restarts at the target delay
 * rather than playing 300 ms behind. The outage raises the target (the burst's transit
 * times are in the window), which comes back down once they have left it. */
static void test_outage_restart(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(900);
	sim_send(s, &n);
	int64_t release = s->p[100].arrival_us + 300000;
	for (size_t i = 100; i < 115; i++)
		s->p[i].arrival_us = release;
	sim_run(s, 19 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.concealed, 2 * JITTER_PLC_MAX); /* the outage and the end */
	assert_true(st.dropped >= 10);
	assert_int_equal(st.played + st.dropped, 900);
	size_t k = 105;
	while (s->kind[k] != JITTER_FRAME)
		k++;
	assert_true(s->level[k] <= 120 + 20);
	assert_true(s->level[s->pulls - 60] <= 60);
	sim_free(s);
}

/* Talk 1 s, pause 0.5 s with one DTX packet: silence in the gaps, never loss. */
static void test_dtx_gaps(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(750);
	n.talk = 50;
	n.pause = 25;
	sim_send(s, &n);
	sim_run(s, 16 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.lost + st.late + st.concealed, 0);
	assert_int_equal(st.played + st.dropped, s->n);
	assert_frames_in_order(s);
	assert_true(count_kind(s, JITTER_SILENCE, 20) >= 9 * 20);
	sim_free(s);
}

/* The sender's clock runs 0.5 % fast (25x a bad crystal) for 60 s: the buffer drops
 * frames, or restarts at the target at each talk spurt, and its level stays bounded. */
static void check_fast_sender(size_t talk, size_t pause, uint64_t min_dropped)
{
	struct sim *s = sim_new();
	struct net n = steady(3000);
	n.period_us = 19900;
	n.talk = talk;
	n.pause = pause;
	sim_send(s, &n);
	sim_run(s, 61 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.lost + st.late, 0);
	assert_true(st.dropped >= min_dropped);
	uint32_t max_level = 0;
	for (size_t k = 500; k < s->pulls; k++)
		if (s->level[k] > max_level)
			max_level = s->level[k];
	assert_true(max_level <= 80);
	assert_frames_in_order(s);
	sim_free(s);
}

static void test_drift_fast_sender(void **state)
{
	(void)state;
	check_fast_sender(0, 0, 10);   /* continuous speech: frames must be dropped */
	check_fast_sender(100, 20, 0); /* every talk spurt starts afresh at the target */
}

/* The sender's clock runs 0.5 % slow: the buffer stretches, every packet is played. */
static void test_drift_slow_sender(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(3000);
	n.period_us = 20100;
	sim_send(s, &n);
	sim_run(s, 62 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.lost + st.late + st.dropped, 0);
	assert_int_equal(st.played, 3000);
	assert_true(st.stretched + st.concealed >= 10);
	assert_frames_in_order(s);
	sim_free(s);
}

/* 10 s of 0..70 ms jitter, then 30 s of none: the target rises to cover it (few late
 * packets once adapted) and then falls back. */
static void test_adaptation_up_and_down(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(2000);
	n.jitter_us = 70000;
	n.jitter_from = 0;
	n.jitter_until = 500;
	sim_send(s, &n);
	sim_sort(s);
	sim_run(s, 41 * 1000000);
	struct jitter_stats st = stats(s);
	/* High during the jitter, 7 s in. */
	assert_true(s->target[350] >= 70);
	/* Late drops only while the target was still climbing: under 2 %. */
	assert_true(st.late * 50 < 500);
	/* Back down 30 s after the jitter stopped. */
	assert_true(st.target_ms <= 30);
	assert_true(s->level[s->pulls - 1] <= 60);
	sim_free(s);
}

static void test_ssrc_change_and_wrap(void **state)
{
	(void)state;
	struct sim *s = sim_new();
	struct net n = steady(200);
	n.seq0 = 65500;
	n.ts0 = 0xffffffffu - 960 * 50;
	sim_send(s, &n);
	for (size_t i = 120; i < s->n; i++) {
		s->p[i].ssrc = SSRC + 1; /* the browser restarted its stream */
		s->p[i].seq = (uint16_t)(s->p[i].seq + 7000);
		s->p[i].ts += 5000000;
	}
	struct pkt straggler = s->p[110]; /* from the old SSRC, after the change */
	straggler.arrival_us = s->p[125].arrival_us + 1;
	s->p[s->n++] = straggler;
	sim_sort(s);
	sim_run(s, 5 * 1000000);
	struct jitter_stats st = stats(s);
	assert_int_equal(st.ssrc_changes, 1);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.lost, 0);
	assert_true(st.played >= 195);
	assert_frames_in_order(s);
	sim_free(s);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct jitter *jb;
	struct jitter_config bad = {.slots = 4};
	assert_int_equal(jitter_create(&bad, &jb), JITTER_EINVAL);
	bad = (struct jitter_config){.min_delay_ms = 200, .max_delay_ms = 100};
	assert_int_equal(jitter_create(&bad, &jb), JITTER_EINVAL);
	bad = (struct jitter_config){.slots = 8, .max_delay_ms = 200};
	assert_int_equal(jitter_create(&bad, &jb), JITTER_EINVAL);
	assert_int_equal(jitter_create(NULL, NULL), JITTER_EINVAL);
	assert_int_equal(jitter_create(NULL, &jb), JITTER_OK);
	static const uint8_t big[JITTER_MAX_PAYLOAD + 1];
	struct jitter_packet p = {
	    .ssrc = 1, .seq = 1, .timestamp = 1, .payload = big, .len = sizeof big};
	assert_int_equal(jitter_insert(jb, &p, 0), JITTER_ETOOBIG);
	p.payload = NULL;
	assert_int_equal(jitter_insert(jb, &p, 0), JITTER_EINVAL);
	assert_int_equal(jitter_insert(jb, NULL, 0), JITTER_EINVAL);
	struct jitter_out out;
	jitter_pull(jb, 0, &out);
	assert_int_equal(out.kind, JITTER_SILENCE);
	jitter_pull(NULL, 0, &out);
	assert_int_equal(out.kind, JITTER_SILENCE);
	jitter_destroy(jb);
	jitter_destroy(NULL);
	assert_string_equal(jitter_strerror(JITTER_ELATE),
			    "RTP packet arrived after its time to play");
}

struct peeked {
	uint16_t seq[8];
	uint8_t first[8];
	size_t n;
};

static void note_peek(void *ctx, const struct jitter_packet *p)
{
	struct peeked *k = ctx;
	if (k->n < 8) {
		k->seq[k->n] = p->seq;
		k->first[k->n] = p->len ? p->payload[0] : 0;
	}
	k->n++;
}

/* What a switch to forwarding sends at once: the unplayed packets, in order, untouched. */
static void test_peek_and_holding(void **state)
{
	(void)state;
	struct jitter *jb;
	assert_int_equal(jitter_create(NULL, &jb), JITTER_OK);
	assert_false(jitter_holding(jb));
	struct peeked k = {0};
	assert_int_equal(jitter_peek(jb, note_peek, &k), 0);
	/* Arrive out of order: 65534, 1, 65535, 0 (across the wrap). */
	static const uint16_t seqs[] = {65534, 1, 65535, 0};
	for (size_t i = 0; i < 4; i++) {
		uint8_t payload[3] = {(uint8_t)(0x40 + seqs[i] % 4), 1, 2};
		struct jitter_packet p = {.ssrc = 7,
					  .seq = seqs[i],
					  .timestamp = (uint32_t)(seqs[i] * 960u),
					  .payload = payload,
					  .len = sizeof payload};
		assert_int_equal(jitter_insert(jb, &p, (int64_t)i * 20000), JITTER_OK);
	}
	assert_true(jitter_holding(jb));
	assert_int_equal(jitter_peek(jb, note_peek, &k), 4);
	static const uint16_t want[] = {65534, 65535, 0, 1};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(k.seq[i], want[i]);
		assert_int_equal(k.first[i], 0x40 + want[i] % 4);
	}
	assert_true(jitter_holding(jb));
	/* Peeking takes nothing out: the frames still play in order (a burst starts no
	 * deeper than the target, so the oldest may be skipped). */
	struct jitter_out out;
	size_t next = 0, played = 0;
	for (int64_t t = 100000; t < 400000; t += 20000) {
		jitter_pull(jb, t, &out);
		if (out.kind != JITTER_FRAME)
			continue;
		while (next < 4 && want[next] != out.seq)
			next++;
		assert_true(next < 4);
		played++;
	}
	assert_true(played >= 2);
	assert_false(jitter_holding(jb));
	assert_int_equal(jitter_peek(NULL, note_peek, &k), 0);
	jitter_destroy(jb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_steady_state),
	    cmocka_unit_test(test_single_and_burst_loss),
	    cmocka_unit_test(test_reorder_and_duplicate),
	    cmocka_unit_test(test_late_packet),
	    cmocka_unit_test(test_stall_and_burst),
	    cmocka_unit_test(test_outage_restart),
	    cmocka_unit_test(test_dtx_gaps),
	    cmocka_unit_test(test_drift_fast_sender),
	    cmocka_unit_test(test_drift_slow_sender),
	    cmocka_unit_test(test_adaptation_up_and_down),
	    cmocka_unit_test(test_ssrc_change_and_wrap),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_peek_and_holding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
