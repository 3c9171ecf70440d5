/*
 * test_load_interp -- plenary-load's interpretation channels: the --channels list, the
 * spread of listeners over the floor and the booths, and the check that tells a booth's
 * tone from another's, on tones encoded and decoded through Opus as the listeners get them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "load_interp.h"

static void test_langs(void **state)
{
	(void)state;
	struct interp_langs l;
	assert_true(interp_parse_langs("fr,es,zh-Hans", &l));
	assert_int_equal(l.n, 3);
	assert_string_equal(l.lang[2], "zh-Hans");
	assert_true(interp_parse_langs("fr", &l));
	assert_int_equal(l.n, 1);
	const char *bad[] = {
	    "", ",", "fr,", "fr,,es", "fr es", "a,b,c,d,e", "averyveryverylongtag"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(interp_parse_langs(bad[i], &l));
}

static void test_spread(void **state)
{
	(void)state;
	unsigned count[4] = {0};
	for (unsigned i = 0; i < 2000; i++)
		count[interp_listener_channel(i, 3) + 1]++;
	for (int c = 0; c < 4; c++)
		assert_int_equal(count[c], 500);
	assert_int_equal(interp_listener_channel(7, 0), -1); /* no booths: all on the floor */
}

/* Each booth's tone, through its own encoder and a decoder, is heard as that booth; a
 * quiet frame and a floor burst (1 kHz) as none. */
static void test_dominant(void **state)
{
	(void)state;
	struct tone_config cfg;
	tone_config_defaults(&cfg);
	for (unsigned ch = 0; ch < INTERP_MAX_CHANNELS; ch++) {
		struct interp_voice v;
		char why[128];
		assert_true(interp_voice_make(ch, &cfg, &v, why, sizeof why));
		struct codec_decoder *d = NULL;
		assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
		int16_t pcm[CODEC_FRAME];
		for (int f = 0; f < 5; f++)
			assert_int_equal(codec_decode(d, v.pkt, v.len, pcm), MEDIA_OK);
		assert_int_equal(interp_dominant(pcm, CODEC_FRAME, INTERP_MAX_CHANNELS), (int)ch);
		codec_decoder_destroy(d);
	}
	int16_t pcm[CODEC_FRAME] = {0};
	assert_int_equal(interp_dominant(pcm, CODEC_FRAME, 3), -1);
	for (size_t i = 0; i < CODEC_FRAME; i++)
		pcm[i] = (int16_t)lrint(8000 * sin(2 * M_PI * 1000 * (double)i / CODEC_RATE));
	assert_int_equal(interp_dominant(pcm, CODEC_FRAME, 3), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_langs),
	    cmocka_unit_test(test_spread),
	    cmocka_unit_test(test_dominant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
