/* Unit tests for media/mix/talk.c: voice activity with its hangover, closed-mic attempts (the
 * hold, the gaps that restart it, the throttle), and the forward-or-mix choice of a room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "media/mix/talk.h"

#define MS 1000

static struct talk_packet pkt(int64_t ms, size_t len, bool has_level, uint8_t level)
{
	return (struct talk_packet){
	    .now_us = ms * MS, .payload_len = len, .has_level = has_level, .level = level};
}

static void voice_hangover(void **state)
{
	(void)state;
	struct talk_voice v;
	talk_voice_init(&v);
	assert_false(talk_voice_active(&v, 0));
	struct talk_packet p = pkt(1000, 80, true, 20);
	talk_voice_packet(&v, &p);
	assert_true(talk_voice_active(&v, 1000 * MS));
	assert_true(talk_voice_active(&v, 1299 * MS));
	assert_false(talk_voice_active(&v, 1300 * MS)); /* TALK_HANGOVER_US later */
}

static void voice_ignores_dtx_and_quiet(void **state)
{
	(void)state;
	struct talk_voice v;
	talk_voice_init(&v);
	struct talk_packet dtx = pkt(0, 1, true, 10), quiet = pkt(20, 80, true, 90),
			   edge = pkt(40, 80, true, TALK_VOICE_LEVEL + 1);
	talk_voice_packet(&v, &dtx);
	talk_voice_packet(&v, &quiet);
	talk_voice_packet(&v, &edge);
	assert_false(talk_voice_active(&v, 60 * MS));
	/* Without the level extension a non-DTX packet is voice: a mix, never a lost word. */
	struct talk_packet nolevel = pkt(60, 80, false, 0);
	talk_voice_packet(&v, &nolevel);
	assert_true(talk_voice_active(&v, 60 * MS));
}

/* Sends loud packets every 20 ms from..to (ms) and returns how many reported. */
static int loud(struct talk_attempt *a, int64_t from, int64_t to, uint8_t level)
{
	int reports = 0;
	for (int64_t t = from; t < to; t += 20) {
		struct talk_packet p = pkt(t, 100, true, level);
		reports += talk_attempt_packet(a, &p);
	}
	return reports;
}

static void attempt_needs_a_hold(void **state)
{
	(void)state;
	struct talk_attempt a;
	talk_attempt_init(&a);
	assert_int_equal(loud(&a, 0, 280, 20), 0); /* a cough: under 300 ms */
	struct talk_attempt b;
	talk_attempt_init(&b);
	assert_int_equal(loud(&b, 0, 320, 20), 1);
	/* Quieter than TALK_ATTEMPT_LEVEL never counts. */
	struct talk_attempt c;
	talk_attempt_init(&c);
	assert_int_equal(loud(&c, 0, 2000, TALK_ATTEMPT_LEVEL + 1), 0);
	/* No level, no attempt. */
	struct talk_attempt d;
	talk_attempt_init(&d);
	for (int t = 0; t < 2000; t += 20) {
		struct talk_packet p = pkt(t, 100, false, 0);
		assert_false(talk_attempt_packet(&d, &p));
	}
}

static void attempt_gap_restarts_the_hold(void **state)
{
	(void)state;
	struct talk_attempt a;
	talk_attempt_init(&a);
	assert_int_equal(loud(&a, 0, 200, 20), 0);
	/* 100 ms of quiet packets: shorter than the gap, the hold goes on. */
	for (int t = 200; t < 300; t += 20) {
		struct talk_packet p = pkt(t, 100, true, 100);
		assert_false(talk_attempt_packet(&a, &p));
	}
	assert_int_equal(loud(&a, 300, 320, 20), 1);

	struct talk_attempt b;
	talk_attempt_init(&b);
	assert_int_equal(loud(&b, 0, 200, 20), 0);
	/* Nothing for 250 ms (DTX: no packets at all), then loud again: a new hold. */
	assert_int_equal(loud(&b, 450, 700, 20), 0);
	assert_int_equal(loud(&b, 700, 780, 20), 1);
}

static void attempt_is_throttled(void **state)
{
	(void)state;
	struct talk_attempt a;
	talk_attempt_init(&a);
	/* 5 s of talking into a closed mic: at 0.3 s, then every 2 s. */
	assert_int_equal(loud(&a, 0, 5000, 20), 3);
	/* Reset (the gate opened and closed) keeps the throttle. */
	talk_attempt_reset(&a);
	assert_int_equal(loud(&a, 5000, 5500, 20), 0);
}

static int choose(const char *active, const char *fwd, const char *drain, int current)
{
	struct talk_mic m[8];
	size_t n = 0;
	for (; active[n]; n++)
		m[n] = (struct talk_mic){.active = active[n] == '1',
					 .forwardable = fwd[n] == '1',
					 .draining = drain[n] == '1'};
	return talk_choose(m, n, current);
}

static void choose_forward_or_mix(void **state)
{
	(void)state;
	assert_int_equal(talk_choose(NULL, 0, -1), -1); /* nobody: mix (silence) */
	/* Mixing: one voice alone is forwarded ... */
	assert_int_equal(choose("01", "11", "00", -1), 1);
	/* ... unless its packets cannot go as they are, or another mic still plays audio. */
	assert_int_equal(choose("01", "10", "00", -1), -1);
	assert_int_equal(choose("01", "11", "10", -1), -1);
	assert_int_equal(choose("01", "11", "01", -1), 1); /* its own buffer may hold audio */
	/* Two voices: mix. */
	assert_int_equal(choose("11", "11", "00", -1), -1);
	assert_int_equal(choose("00", "11", "00", -1), -1);
}

static void choose_while_forwarding(void **state)
{
	(void)state;
	/* The forwarded voice pausing (not active) stays forwarded: no flapping. */
	assert_int_equal(choose("00", "11", "00", 0), 0);
	assert_int_equal(choose("10", "11", "00", 0), 0);
	/* A second voice starts: mix at once. */
	assert_int_equal(choose("11", "11", "00", 0), -1);
	/* The forwarded voice has stopped and another talks alone: forward that one ... */
	assert_int_equal(choose("01", "11", "00", 0), 1);
	/* ... once the first has nothing left to play. */
	assert_int_equal(choose("01", "11", "10", 0), -1);
	/* The forwarded voice's packets change shape: mix. */
	assert_int_equal(choose("10", "01", "00", 0), -1);
	/* A current index past the mics (the mic went): as if mixing. */
	assert_int_equal(choose("01", "11", "00", 5), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(voice_hangover),
	    cmocka_unit_test(voice_ignores_dtx_and_quiet),
	    cmocka_unit_test(attempt_needs_a_hold),
	    cmocka_unit_test(attempt_gap_restarts_the_hold),
	    cmocka_unit_test(attempt_is_throttled),
	    cmocka_unit_test(choose_forward_or_mix),
	    cmocka_unit_test(choose_while_forwarding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
