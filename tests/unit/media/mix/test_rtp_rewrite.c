/* Unit tests for media/mix/rtp_rewrite.c: one outbound stream across mix -> forward -> mix ->
 * forward (another speaker) switches, checked packet by packet for contiguous sequence
 * numbers and timestamps that follow real time; upstream loss and DTX gaps kept while
 * forwarding; reordered packets sent once; stragglers from before a switch and duplicates
 * refused; sequence and timestamp wrap-around; a speaker's sequence jump; bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/mix/rtp_rewrite.h"

#define FRAME	  960
#define OUR_SSRC  0xabcdef01u
#define SPEAKER_A 0x11111111u
#define SPEAKER_B 0x22222222u

/* What the listener sees, and checks on every packet. */
struct listener {
	bool have;
	uint16_t seq;
	uint32_t ts;
	int64_t time; /* our clock when it was sent */
	size_t packets, markers;
};

/* Every packet: our SSRC and payload type, the next sequence number, a later timestamp
 * that has advanced by the elapsed time (to within a frame, as switches round). */
static void receive(struct listener *l, const struct rtp_build *b, int64_t now)
{
	assert_int_equal(b->ssrc, OUR_SSRC);
	assert_int_equal(b->payload_type, 111);
	if (l->have) {
		assert_int_equal((uint16_t)(l->seq + 1), b->seq);
		int64_t dts = (int32_t)(b->timestamp - l->ts);
		int64_t dt = now - l->time;
		assert_true(dts > 0);
		assert_true(dts >= dt - FRAME / 2 && dts <= dt + FRAME / 2);
	}
	l->have = true;
	l->seq = b->seq;
	l->ts = b->timestamp;
	l->time = now;
	l->packets++;
	l->markers += b->marker;
}

static struct rtp_header speaker_pkt(uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	return (struct rtp_header){.ssrc = ssrc, .seq = seq, .timestamp = ts, .payload_type = 109};
}

static void mix_ticks(struct rtp_rewrite *rw, struct listener *l, int64_t *now, int n)
{
	for (int i = 0; i < n; i++) {
		struct rtp_build b = {0};
		assert_int_equal(rtp_rewrite_mix(rw, *now, &b), MEDIA_OK);
		receive(l, &b, *now);
		*now += FRAME;
	}
}

/* A speaker's packets, arriving with a little jitter of their own around our clock. */
static void forward_run(struct rtp_rewrite *rw, struct listener *l, int64_t *now, uint32_t ssrc,
			uint16_t *seq, uint32_t *ts, int n)
{
	for (int i = 0; i < n; i++) {
		struct rtp_header h = speaker_pkt(ssrc, (*seq)++, *ts);
		*ts += FRAME;
		int64_t arrival = *now + (i % 3) * 50; /* ~1 ms of jitter */
		struct rtp_build b = {0};
		assert_int_equal(rtp_rewrite_forward(rw, &h, arrival, &b), MEDIA_OK);
		receive(l, &b, arrival);
		*now += FRAME;
	}
}

static void check_switches(uint16_t seq0, uint32_t ts0, uint16_t a_seq, uint32_t a_ts)
{
	struct rtp_rewrite rw;
	struct listener l = {0};
	assert_int_equal(rtp_rewrite_init(&rw, OUR_SSRC, seq0, ts0, 111), MEDIA_OK);
	assert_int_equal(rtp_rewrite_mode(&rw), RTP_REWRITE_NONE);
	int64_t now = 1000000;
	mix_ticks(&rw, &l, &now, 30);
	assert_int_equal(l.ts, ts0 + 29 * FRAME);
	uint32_t b_ts = 7;
	uint16_t b_seq = 60000;
	forward_run(&rw, &l, &now, SPEAKER_A, &a_seq, &a_ts, 100);
	assert_int_equal(rtp_rewrite_mode(&rw), RTP_REWRITE_FORWARD);
	now += 3 * FRAME + 100; /* a gap before the mix takes over */
	mix_ticks(&rw, &l, &now, 40);
	forward_run(&rw, &l, &now, SPEAKER_A, &a_seq, &a_ts, 50);
	forward_run(&rw, &l, &now, SPEAKER_B, &b_seq, &b_ts, 50);
	mix_ticks(&rw, &l, &now, 10);
	assert_int_equal(l.packets, 280);
	assert_int_equal(l.markers, 6); /* the first packet, and each of the five switches */
	assert_int_equal(l.seq, (uint16_t)(seq0 + 279));
}

static void test_switches_are_continuous(void **state)
{
	(void)state;
	check_switches(1000, 5000, 40000, 123456789);
	/* Our sequence and timestamp wrap during the run, and so do the speaker's. */
	check_switches(65500, 0xffffffffu - 50 * FRAME, 65530, 0xfffffff0u);
}

/* While forwarding, the speaker's loss stays a hole and its DTX gap a timestamp gap. */
static void test_forward_keeps_loss_and_gaps(void **state)
{
	(void)state;
	struct rtp_rewrite rw;
	assert_int_equal(rtp_rewrite_init(&rw, OUR_SSRC, 100, 0, 111), MEDIA_OK);
	struct rtp_build b;
	struct rtp_header h = speaker_pkt(SPEAKER_A, 500, 9000);
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 0, &b), MEDIA_OK);
	assert_int_equal(b.seq, 100);
	assert_int_equal(b.timestamp, 0);
	assert_true(b.marker);
	h = speaker_pkt(SPEAKER_A, 502, 9000 + 2 * FRAME); /* 501 lost */
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 2 * FRAME, &b), MEDIA_OK);
	assert_int_equal(b.seq, 102);
	assert_int_equal(b.timestamp, 2 * FRAME);
	assert_false(b.marker);
	h = speaker_pkt(SPEAKER_A, 503, 9000 + 22 * FRAME); /* 400 ms of DTX */
	h.marker = true;
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 22 * FRAME, &b), MEDIA_OK);
	assert_int_equal(b.seq, 103);
	assert_int_equal(b.timestamp, 22 * FRAME);
	assert_true(b.marker); /* the speaker's own talk-spurt marker is kept */
	/* 501 turns up late: it is sent once, in its place. */
	h = speaker_pkt(SPEAKER_A, 501, 9000 + FRAME);
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 23 * FRAME, &b), MEDIA_OK);
	assert_int_equal(b.seq, 101);
	assert_int_equal(b.timestamp, FRAME);
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 23 * FRAME, &b), MEDIA_ERR_STALE);
	h = speaker_pkt(SPEAKER_A, 503, 9000 + 22 * FRAME); /* duplicate of the newest */
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 23 * FRAME, &b), MEDIA_ERR_STALE);
	/* A straggler from before the switch would reuse one of our earlier numbers. */
	h = speaker_pkt(SPEAKER_A, 499, 9000 - FRAME);
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 23 * FRAME, &b), MEDIA_ERR_STALE);
	/* The next mix packet continues after the newest, 1 frame after its arrival. */
	assert_int_equal(rtp_rewrite_mix(&rw, 23 * FRAME, &b), MEDIA_OK);
	assert_int_equal(b.seq, 104);
	assert_int_equal(b.timestamp, 23 * FRAME);
	assert_true(b.marker);
}

/* A speaker's stream that jumps (a restart with the same SSRC) is re-anchored, not
 * followed; a mix packet in the same tick as the previous one is refused. */
static void test_jumps_and_time(void **state)
{
	(void)state;
	struct rtp_rewrite rw;
	assert_int_equal(rtp_rewrite_init(&rw, OUR_SSRC, 10, 0, 111), MEDIA_OK);
	struct rtp_build b;
	struct rtp_header h = speaker_pkt(SPEAKER_A, 100, 0);
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 0, &b), MEDIA_OK);
	h = speaker_pkt(SPEAKER_A, 20000, 5);
	assert_int_equal(rtp_rewrite_forward(&rw, &h, FRAME, &b), MEDIA_OK);
	assert_int_equal(b.seq, 11);
	assert_int_equal(b.timestamp, FRAME);
	assert_true(b.marker);
	assert_int_equal(rtp_rewrite_mix(&rw, 2 * FRAME, &b), MEDIA_OK);
	assert_int_equal(rtp_rewrite_mix(&rw, 2 * FRAME, &b), MEDIA_ERR_STALE);
	assert_int_equal(rtp_rewrite_mix(&rw, 3 * FRAME, &b), MEDIA_OK);
	assert_int_equal(b.seq, 13);
	/* A switch sooner than a frame after the last packet still advances by a frame. */
	h = speaker_pkt(SPEAKER_B, 1, 1);
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 3 * FRAME + 10, &b), MEDIA_OK);
	assert_int_equal(b.timestamp, 4 * FRAME);
}

/* A second packet of a tick already forwarded gets that tick's seq and timestamp, and
 * nothing moves; a tick not sent, a straggler, another stretch or a mix get none. */
static void test_copy_of_a_sent_tick(void **state)
{
	(void)state;
	struct rtp_rewrite rw;
	assert_int_equal(rtp_rewrite_init(&rw, OUR_SSRC, 10, 0, 111), MEDIA_OK);
	struct rtp_build b, c;
	struct rtp_header h = speaker_pkt(SPEAKER_A, 100, 0);
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_ERR_STALE); /* nothing sent yet */
	for (uint16_t s = 100; s < 105; s++) {
		if (s == 102)
			continue; /* lost upstream */
		h = speaker_pkt(SPEAKER_A, s, (uint32_t)(s - 100) * FRAME);
		assert_int_equal(rtp_rewrite_forward(&rw, &h, (s - 100) * FRAME, &b), MEDIA_OK);
	}
	h = speaker_pkt(SPEAKER_A, 104, 4 * FRAME);
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_OK);
	assert_int_equal(c.seq, b.seq);
	assert_int_equal(c.timestamp, b.timestamp);
	assert_int_equal(c.ssrc, OUR_SSRC);
	h = speaker_pkt(SPEAKER_A, 101, FRAME); /* an earlier tick, sent: its own numbers */
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_OK);
	assert_int_equal(c.seq, (uint16_t)(b.seq - 3));
	assert_int_equal(c.timestamp, b.timestamp - 3 * FRAME);
	h = speaker_pkt(SPEAKER_A, 102, 2 * FRAME); /* lost: never sent */
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_ERR_STALE);
	h = speaker_pkt(SPEAKER_A, 105, 5 * FRAME); /* not sent yet */
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_ERR_STALE);
	h = speaker_pkt(SPEAKER_A, 99, 0); /* before the stretch */
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_ERR_STALE);
	h = speaker_pkt(SPEAKER_B, 104, 4 * FRAME); /* another stretch */
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_ERR_STALE);
	/* Nothing moved: the next forward continues the line. */
	h = speaker_pkt(SPEAKER_A, 105, 5 * FRAME);
	struct rtp_build n;
	assert_int_equal(rtp_rewrite_forward(&rw, &h, 5 * FRAME, &n), MEDIA_OK);
	assert_int_equal(n.seq, (uint16_t)(b.seq + 1));
	assert_false(n.marker);
	assert_int_equal(rtp_rewrite_mix(&rw, 6 * FRAME, &n), MEDIA_OK);
	assert_int_equal(rtp_rewrite_copy(&rw, &h, &c), MEDIA_ERR_STALE); /* a mix now */
	assert_int_equal(rtp_rewrite_copy(NULL, &h, &c), MEDIA_ERR_PARAM);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct rtp_rewrite rw;
	struct rtp_build b;
	struct rtp_header h = speaker_pkt(1, 1, 1);
	assert_int_equal(rtp_rewrite_init(&rw, 1, 1, 1, 128), MEDIA_ERR_PARAM);
	assert_int_equal(rtp_rewrite_init(NULL, 1, 1, 1, 111), MEDIA_ERR_PARAM);
	assert_int_equal(rtp_rewrite_init(&rw, 1, 1, 1, 111), MEDIA_OK);
	assert_int_equal(rtp_rewrite_mix(&rw, 0, NULL), MEDIA_ERR_PARAM);
	assert_int_equal(rtp_rewrite_forward(&rw, NULL, 0, &b), MEDIA_ERR_PARAM);
	assert_int_equal(rtp_rewrite_forward(NULL, &h, 0, &b), MEDIA_ERR_PARAM);
	assert_int_equal(rtp_rewrite_mode(NULL), RTP_REWRITE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_switches_are_continuous),
	    cmocka_unit_test(test_forward_keeps_loss_and_gaps),
	    cmocka_unit_test(test_jumps_and_time),
	    cmocka_unit_test(test_copy_of_a_sent_tick),
	    cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
