/*
 * test_load_speech -- the listeners' high-pass (what keeps the bursts identifiable over the
 * mixing rows' speech) on pure tones, and the speech loader on files it must take or refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load_speech.h"
#include "load_tone.h"

#define RATE 48000

/* Peak of a tone of hz after the filter, once it settled (the second half of 0.5 s). */
static int filtered_peak(double hz, int amp)
{
	struct highpass h;
	highpass_init(&h, SPEECH_HIGHPASS_HZ);
	int16_t pcm[RATE / 2];
	for (size_t i = 0; i < sizeof pcm / sizeof pcm[0]; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * hz * (double)i / RATE));
	highpass_run(&h, pcm, sizeof pcm / sizeof pcm[0]);
	int peak = 0;
	for (size_t i = RATE / 4; i < sizeof pcm / sizeof pcm[0]; i++)
		peak = abs(pcm[i]) > peak ? abs(pcm[i]) : peak;
	return peak;
}

static void test_highpass_keeps_bursts_and_drops_speech_band(void **state)
{
	(void)state;
	/* Every burst frequency passes within 1 dB (0.89 of its amplitude)... */
	for (int hz = 1000; hz <= 2500; hz += TONE_ID_STEP_HZ) {
		int peak = filtered_peak(hz, 8000);
		assert_true(peak > 7100 && peak <= 8100);
	}
	/* ...and the low-passed speech band falls below the detector's quiet level (500 for
	 * the default tone) even at full scale: 400 Hz by > 24 dB, 200 Hz by > 45 dB. */
	assert_true(filtered_peak(400, 30000) < 30000 / 15);
	assert_true(filtered_peak(200, 30000) < 30000 / 170);
}

static char *write_pcm(size_t samples, int amp)
{
	static char path[] = "/tmp/test_load_speech_XXXXXX";
	strcpy(path, "/tmp/test_load_speech_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	for (size_t i = 0; i < samples; i++) {
		int16_t s = (int16_t)lrint(amp * sin(2 * M_PI * 300.0 * (double)i / RATE));
		assert_int_equal(fwrite(&s, sizeof s, 1, f), 1);
	}
	fclose(f);
	return path;
}

static void test_speech_loads_and_encodes_every_frame(void **state)
{
	(void)state;
	struct tone_config cfg;
	tone_config_defaults(&cfg);
	char why[200] = "";
	struct load_speech sp;
	char *path = write_pcm(2 * RATE + 100, 6000); /* 2 s and a part frame, dropped */
	assert_true(speech_load(path, &cfg, &sp, why, sizeof why));
	unlink(path);
	assert_int_equal(sp.frames, 100);
	for (size_t i = 0; i < sp.frames; i++) {
		assert_true(sp.len[i] > 3); /* DTX off: a real frame each time */
		assert_true(sp.level[i] < 30);
	}
	assert_true(sp.active_pct > 99.9);
	speech_free(&sp);
	assert_null(sp.pkt);
}

static void test_speech_refuses_what_it_cannot_use(void **state)
{
	(void)state;
	struct tone_config cfg;
	tone_config_defaults(&cfg);
	char why[200] = "";
	struct load_speech sp;
	assert_false(speech_load("/nonexistent/speech.s16", &cfg, &sp, why, sizeof why));
	assert_non_null(strstr(why, "cannot open"));
	char *path = write_pcm(RATE / 2, 6000); /* half a second: too short to loop */
	why[0] = '\0';
	assert_false(speech_load(path, &cfg, &sp, why, sizeof why));
	unlink(path);
	assert_non_null(strstr(why, "1 to 60 s"));
	assert_null(sp.pkt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_highpass_keeps_bursts_and_drops_speech_band),
	    cmocka_unit_test(test_speech_loads_and_encodes_every_frame),
	    cmocka_unit_test(test_speech_refuses_what_it_cannot_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
