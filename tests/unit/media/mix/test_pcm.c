/* Unit tests for media/mix/pcm.c: 32-bit sums, the soft limiter (no wrap-around at four
 * full-scale inputs, bit-exact for quiet input, continuous output, recovery), mix-minus,
 * and the gate's fades (no step larger than the signal's own at open and close). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/mix/pcm.h"
#include "media/test_audio.h"

#define FRAMES 50 /* one second */

static void sine_frame(int16_t *pcm, double hz, double amp, size_t frame)
{
	for (size_t i = 0; i < MIX_FRAME; i++)
		pcm[i] = test_sine_sample(hz, amp, frame * MIX_FRAME + i);
}

static int32_t abs32(int32_t v)
{
	return v < 0 ? -v : v;
}

static void test_sum_and_minus(void **state)
{
	(void)state;
	int16_t a[MIX_FRAME], b[MIX_FRAME];
	int32_t acc[MIX_FRAME], minus[MIX_FRAME];
	for (size_t i = 0; i < MIX_FRAME; i++) {
		a[i] = 32767;
		b[i] = (int16_t)(i - 480);
	}
	const int16_t *in[] = {a, NULL, b, a};
	mix_sum(acc, in, 4);
	for (size_t i = 0; i < MIX_FRAME; i++)
		assert_int_equal(acc[i], 2 * 32767 + (int32_t)i - 480);
	mix_minus(acc, b, minus);
	for (size_t i = 0; i < MIX_FRAME; i++)
		assert_int_equal(minus[i], 2 * 32767);
	mix_sum(acc, in, 0);
	for (size_t i = 0; i < MIX_FRAME; i++)
		assert_int_equal(acc[i], 0);
}

/* Four full-scale sines in phase: the sum reaches 4 x 32767. The output must stay within
 * the ceiling, keep the sign of the input (a wrap-around flips it), never step by more
 * than the input itself does (the limiter only turns down), and once the first peak has
 * set the gain, be a smooth sine at about the ceiling. */
static void test_limiter_no_wraparound(void **state)
{
	(void)state;
	struct mix_limiter l;
	mix_limiter_init(&l);
	int16_t s[MIX_FRAME], out[MIX_FRAME];
	int32_t acc[MIX_FRAME];
	int32_t prev_in = 0, prev_out = 0, max_step = 0;
	for (size_t f = 0; f < FRAMES; f++) {
		sine_frame(s, 440, 32767, f);
		const int16_t *in[] = {s, s, s, s};
		mix_sum(acc, in, 4);
		mix_limit(&l, acc, out, MIX_FRAME);
		for (size_t i = 0; i < MIX_FRAME; i++) {
			assert_true(abs32(out[i]) <= MIX_LIMIT_CEILING);
			assert_false((acc[i] > 0 && out[i] < 0) || (acc[i] < 0 && out[i] > 0));
			int32_t step = abs32(out[i] - prev_out);
			assert_true(step <= abs32(acc[i] - prev_in) + 2);
			if (f > 0 && step > max_step)
				max_step = step;
			prev_in = acc[i];
			prev_out = out[i];
		}
	}
	/* A 440 Hz sine at the ceiling steps at most 2 pi 440 / 48000 x 29204 = 1682. */
	assert_true(max_step <= 1800);
}

static void test_limiter_transparent_when_quiet(void **state)
{
	(void)state;
	struct mix_limiter l;
	mix_limiter_init(&l);
	int16_t a[MIX_FRAME], b[MIX_FRAME], out[MIX_FRAME];
	int32_t acc[MIX_FRAME];
	for (size_t f = 0; f < FRAMES; f++) {
		sine_frame(a, 440, 12000, f);
		sine_frame(b, 1000, 12000, f);
		const int16_t *in[] = {a, b};
		mix_sum(acc, in, 2);
		mix_limit(&l, acc, out, MIX_FRAME);
		for (size_t i = 0; i < MIX_FRAME; i++)
			assert_int_equal(out[i], acc[i]);
	}
}

/* After a loud burst the gain comes back to exactly 1 within a second of quiet input. */
static void test_limiter_recovers(void **state)
{
	(void)state;
	struct mix_limiter l;
	mix_limiter_init(&l);
	int16_t s[MIX_FRAME], out[MIX_FRAME];
	int32_t acc[MIX_FRAME];
	sine_frame(s, 440, 32767, 0);
	const int16_t *loud[] = {s, s, s};
	mix_sum(acc, loud, 3);
	mix_limit(&l, acc, out, MIX_FRAME);
	assert_true(l.gain < 0.5f);
	size_t f = 1;
	for (; f < FRAMES && l.gain < 1.0f; f++) {
		sine_frame(s, 440, 8000, f);
		const int16_t *quiet[] = {s};
		mix_sum(acc, quiet, 1);
		mix_limit(&l, acc, out, MIX_FRAME);
	}
	assert_true(l.gain == 1.0f);
	sine_frame(s, 440, 8000, f);
	const int16_t *quiet[] = {s};
	mix_sum(acc, quiet, 1);
	mix_limit(&l, acc, out, MIX_FRAME);
	assert_memory_equal(out, s, sizeof s);
}

/* A square wave at the sum's extremes (+-4 x 32767): the output is continuous between
 * frames (the limiter's state carries over) and never wraps. */
static void test_limiter_continuity_across_frames(void **state)
{
	(void)state;
	struct mix_limiter l;
	mix_limiter_init(&l);
	int32_t acc[MIX_FRAME];
	int16_t out[MIX_FRAME];
	for (size_t f = 0; f < 10; f++) {
		for (size_t i = 0; i < MIX_FRAME; i++)
			acc[i] = ((f * MIX_FRAME + i) / 240) % 2 ? 4 * 32767 : -4 * 32767;
		mix_limit(&l, acc, out, MIX_FRAME);
		for (size_t i = 0; i < MIX_FRAME; i++) {
			assert_true(abs32(out[i]) <= MIX_LIMIT_CEILING);
			assert_true((acc[i] > 0) == (out[i] > 0));
		}
	}
}

/* Opening and closing the gate on a full-scale 440 Hz sine, at several phases of the
 * sine: no sample step larger than the sine's own plus one fade step. */
static void check_gate_steps(size_t toggle_frame, size_t offset)
{
	struct mix_gate g;
	mix_gate_init(&g, false);
	int16_t pcm[MIX_FRAME];
	int32_t prev = 0, max_step = 0;
	size_t n = offset;
	for (size_t f = 0; f < 12; f++) {
		if (f == toggle_frame)
			mix_gate_set(&g, true);
		if (f == toggle_frame + 5)
			mix_gate_set(&g, false);
		for (size_t i = 0; i < MIX_FRAME; i++)
			pcm[i] = test_sine_sample(440, 32767, n++);
		mix_gate_apply(&g, pcm);
		for (size_t i = 0; i < MIX_FRAME; i++) {
			int32_t step = abs32(pcm[i] - prev);
			if (step > max_step)
				max_step = step;
			prev = pcm[i];
		}
	}
	assert_true(mix_gate_silent(&g));
	assert_int_equal(prev, 0);
	/* sine step 1887 + 32767 / 240 = 137 per fade step */
	assert_true(max_step <= 1887 + 137 + 2);
}

static void test_gate_fades(void **state)
{
	(void)state;
	for (size_t offset = 0; offset < 109; offset += 27)
		check_gate_steps(2, offset);
}

static void test_gate_states(void **state)
{
	(void)state;
	struct mix_gate g;
	int16_t pcm[MIX_FRAME], ref[MIX_FRAME];
	for (size_t i = 0; i < MIX_FRAME; i++)
		ref[i] = pcm[i] = (int16_t)(1000 + i);
	mix_gate_init(&g, true);
	mix_gate_apply(&g, pcm);
	assert_memory_equal(pcm, ref, sizeof pcm); /* open: untouched */
	assert_false(mix_gate_silent(&g));
	mix_gate_set(&g, false);
	assert_false(mix_gate_silent(&g)); /* still fading */
	mix_gate_apply(&g, pcm);
	assert_int_equal(pcm[MIX_FADE_SAMPLES], 0);
	assert_true(pcm[0] > 0 && pcm[0] < ref[0]);
	assert_true(mix_gate_silent(&g));
	memcpy(pcm, ref, sizeof pcm);
	mix_gate_apply(&g, pcm);
	for (size_t i = 0; i < MIX_FRAME; i++)
		assert_int_equal(pcm[i], 0);
	/* Toggled mid-fade, it turns around where it is. */
	mix_gate_set(&g, true);
	memcpy(pcm, ref, sizeof pcm);
	mix_gate_apply(&g, pcm);
	assert_int_equal(pcm[MIX_FADE_SAMPLES + 10], ref[MIX_FADE_SAMPLES + 10]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sum_and_minus),
	    cmocka_unit_test(test_limiter_no_wraparound),
	    cmocka_unit_test(test_limiter_transparent_when_quiet),
	    cmocka_unit_test(test_limiter_recovers),
	    cmocka_unit_test(test_limiter_continuity_across_frames),
	    cmocka_unit_test(test_gate_fades),
	    cmocka_unit_test(test_gate_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
