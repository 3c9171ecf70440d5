/*
 * test_load_onset -- the onset detector on synthetic audio, and on the real encoded tone
 * through a real Opus decoder (the baseline plenary-load subtracts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "load_onset.h"
#include "load_tone.h"

#define FRAME 960

static void fill_tone(int16_t *pcm, size_t n, int amp, size_t start)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * 1000.0 * (double)(start + i) / 48000));
}

static void test_needs_quiet_before_first_onset(void **state)
{
	(void)state;
	struct onset_detector d;
	onset_init(&d, 2000, 500, 4800);
	int16_t pcm[FRAME];
	fill_tone(pcm, FRAME, 8000, 0);
	/* Joining in the middle of a burst: no onset. */
	assert_int_equal(onset_feed(&d, pcm, FRAME), -1);
	memset(pcm, 0, sizeof pcm);
	for (int i = 0; i < 4; i++) /* 80 ms of quiet: not yet armed */
		assert_int_equal(onset_feed(&d, pcm, FRAME), -1);
	assert_false(d.armed);
	assert_int_equal(onset_feed(&d, pcm, FRAME), -1); /* 100 ms: armed */
	assert_true(d.armed);
	/* A burst starting 300 samples into the frame. */
	fill_tone(pcm + 300, FRAME - 300, 8000, 0);
	long at = onset_feed(&d, pcm, FRAME);
	assert_true(at >= 300 && at < 310); /* where |sin| first reaches 1/4 */
	/* Zero crossings inside the burst never count again. */
	for (int i = 0; i < 10; i++) {
		fill_tone(pcm, FRAME, 8000, (size_t)(FRAME * (i + 1)));
		assert_int_equal(onset_feed(&d, pcm, FRAME), -1);
	}
}

static void test_short_gap_is_not_a_new_onset(void **state)
{
	(void)state;
	struct onset_detector d;
	onset_init(&d, 2000, 500, 4800);
	int16_t quiet[FRAME] = {0}, tone[FRAME];
	for (int i = 0; i < 6; i++)
		(void)onset_feed(&d, quiet, FRAME);
	fill_tone(tone, FRAME, 8000, 0);
	assert_int_equal(onset_feed(&d, tone, FRAME), 0 + 2); /* sin reaches 1/4 at sample 2 */
	/* A lost frame concealed as 20 ms of silence, then the burst goes on. */
	assert_int_equal(onset_feed(&d, quiet, FRAME), -1);
	assert_int_equal(onset_feed(&d, tone, FRAME), -1);
}

static void test_quiet_level_noise_arms(void **state)
{
	(void)state;
	struct onset_detector d;
	onset_init(&d, 2000, 500, 4800);
	int16_t noise[FRAME], tone[FRAME];
	for (int i = 0; i < FRAME; i++)
		noise[i] = (int16_t)((i * 7919) % 801 - 400); /* |x| <= 400: quiet */
	for (int i = 0; i < 5; i++)
		(void)onset_feed(&d, noise, FRAME);
	fill_tone(tone, FRAME, 8000, 0);
	assert_true(onset_feed(&d, tone, FRAME) >= 0);
}

/* The real tone, encoded and decoded: bursts are found once a period, and the baseline is
 * about the encoder's lookahead (312 samples at 48 kHz for VOIP), less a little pre-echo. */
static void test_tone_baseline(void **state)
{
	(void)state;
	static struct load_tone tone;
	struct tone_config cfg;
	char why[128];
	tone_config_defaults(&cfg);
	assert_true(tone_make(&cfg, &tone, why, sizeof why));
	assert_int_equal(tone.frames, 200); /* four periods, one per burst id */
	assert_true(tone.baseline > 200 && tone.baseline < 400);
	assert_int_equal(tone.level[0] < 30, 1);
	assert_int_equal(tone.level[20], 127);
	int16_t pcm[CODEC_FRAME];
	tone_pcm(&cfg, 50 + 3, pcm); /* a burst frame of the second period */
	assert_int_not_equal(pcm[10], 0);
	tone_pcm(&cfg, 50 + 10, pcm); /* just after the burst: silence */
	for (int i = 0; i < CODEC_FRAME; i++)
		assert_int_equal(pcm[i], 0);
	cfg.burst_frames = cfg.period_frames; /* nothing silent: refused */
	assert_false(tone_make(&cfg, &tone, why, sizeof why));
}

/* Through a real encode and decode, every burst's crossings name its own id. */
static void test_crossings_name_the_burst(void **state)
{
	(void)state;
	static struct load_tone tone;
	struct tone_config cfg;
	char why[128];
	tone_config_defaults(&cfg);
	assert_true(tone_make(&cfg, &tone, why, sizeof why));
	struct codec_decoder *dec;
	assert_int_equal(codec_decoder_create(&dec), MEDIA_OK);
	struct onset_detector d;
	onset_init(&d, tone.onset_threshold, tone.onset_quiet_level, tone.onset_quiet_samples);
	d.id_window = TONE_ID_WINDOW;
	int16_t pcm[CODEC_FRAME];
	int named = 0;
	for (size_t f = 0; f < 3 * tone.frames; f++) {
		assert_int_equal(
		    codec_decode(dec, tone.pkt[f % tone.frames], tone.len[f % tone.frames], pcm),
		    MEDIA_OK);
		(void)onset_feed(&d, pcm, CODEC_FRAME);
		long crossings = onset_take_crossings(&d);
		if (crossings < 0)
			continue;
		/* The burst of the period this frame is in (the onset is near its start). */
		uint64_t burst = f / (size_t)cfg.period_frames;
		assert_int_equal(tone_id_of_crossings(&cfg, (uint32_t)crossings),
				 (int)(burst % (uint64_t)cfg.burst_ids));
		assert_int_equal(onset_take_crossings(&d), -1); /* handed over once */
		named++;
	}
	codec_decoder_destroy(dec);
	assert_true(named >= 11); /* every burst after the first quiet stretch */
	assert_int_equal(tone_id_of_crossings(&cfg, 20), 0);
	assert_int_equal(tone_id_of_crossings(&cfg, 50), 3);
	assert_int_equal(tone_id_of_crossings(&cfg, 25), -1); /* between two: nothing */
	assert_int_equal(tone_id_of_crossings(&cfg, 90), -1); /* above them all */
}

/* Synthetic onsets against bursts sent once a second: a delay longer than a period is
 * matched to its own burst, never read as a short delay to the next one. */
static void test_late_onset_is_not_a_short_delay(void **state)
{
	(void)state;
	struct tone_config cfg;
	tone_config_defaults(&cfg); /* 1 s period, 4 ids */
	const uint64_t s = 1000000000u, t0 = 100 * s;
	uint64_t sent[8];
	for (int i = 0; i < 8; i++)
		sent[i] = t0 + (uint64_t)i * s; /* bursts 20..27 */
	uint64_t first = 20;
	/* Burst 25 (id 1) heard 1.2 s late: 1.2 s, not 0.2 s after burst 26. */
	uint64_t heard = sent[5] + 1200000000u;
	assert_int_equal(tone_match_burst(&cfg, sent, first, 8, 25 % 4, heard), sent[5]);
	/* Burst 23 (id 3) heard 3.5 s late: still its own. */
	heard = sent[3] + 3500000000u;
	assert_int_equal(tone_match_burst(&cfg, sent, first, 8, 23 % 4, heard), sent[3]);
	/* On time: the burst just sent. */
	heard = sent[7] + 30000000u;
	assert_int_equal(tone_match_burst(&cfg, sent, first, 8, 27 % 4, heard), sent[7]);
	/* An onset no burst explains (its frequency unknown, or its burst not yet sent, or
	 * older than the horizon of 4 periods): unmatched. */
	assert_int_equal(tone_match_burst(&cfg, sent, first, 8, -1, heard), 0);
	assert_int_equal(tone_match_burst(&cfg, sent, first, 3, 23 % 4, sent[2] + 1000), 0);
	assert_int_equal(tone_match_burst(&cfg, sent + 4, first + 4, 1, 24 % 4, sent[4] + 4 * s),
			 0);
	/* With a single id (the old scheme) the same 1.2 s reads as 0.2 s: why ids exist. */
	cfg.burst_ids = 1;
	heard = sent[5] + 1200000000u;
	assert_int_equal(tone_match_burst(&cfg, sent, first, 8, 0, heard), sent[6]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_needs_quiet_before_first_onset),
	    cmocka_unit_test(test_short_gap_is_not_a_new_onset),
	    cmocka_unit_test(test_quiet_level_noise_arms),
	    cmocka_unit_test(test_tone_baseline),
	    cmocka_unit_test(test_crossings_name_the_burst),
	    cmocka_unit_test(test_late_onset_is_not_a_short_delay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
