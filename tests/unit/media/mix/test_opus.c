/* Unit tests for media/mix/opus_codec.c: a 440 Hz sine encoded and decoded back still peaks at
 * 440 Hz (Goertzel); the encoder's settings (bitrate, DTX on silence, lookahead); packet
 * loss concealment; FEC recovery of a lost frame from the next packet, which must be
 * closer to the original than plain concealment; bad packets and arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/mix/opus_codec.h"
#include "media/test_audio.h"

#define SECONDS 2
#define FRAMES	(SECONDS * 50)

struct clip {
	uint8_t pkt[FRAMES][CODEC_MAX_PACKET];
	size_t len[FRAMES];
	bool dtx[FRAMES];
	int16_t pcm[FRAMES * CODEC_FRAME];
};

/* Clips are about 300 KiB: on the heap, one per test. */
static struct clip *clip_new(void)
{
	struct clip *c = calloc(1, sizeof *c);
	assert_non_null(c);
	return c;
}

static void encode_sine(struct codec_encoder *e, double hz, double amp, struct clip *c)
{
	for (size_t f = 0; f < FRAMES; f++) {
		int16_t *pcm = c->pcm + f * CODEC_FRAME;
		for (size_t i = 0; i < CODEC_FRAME; i++)
			pcm[i] = test_sine_sample(hz, amp, f * CODEC_FRAME + i);
		assert_int_equal(
		    codec_encode(e, pcm, c->pkt[f], sizeof c->pkt[f], &c->len[f], &c->dtx[f]),
		    MEDIA_OK);
	}
}

static struct codec_encoder *make_encoder(int loss)
{
	struct codec_encoder_config cfg = {
	    .bitrate = 32000, .complexity = -1, .loss_percent = loss};
	struct codec_encoder *e;
	assert_int_equal(codec_encoder_create(&cfg, &e), MEDIA_OK);
	return e;
}

/* With the default complexity DTX must not take the steady tone for noise (it does at
 * complexity 5: see DEFAULT_COMPLEXITY in opus_codec.c). */
static void test_roundtrip_440(void **state)
{
	(void)state;
	struct codec_encoder *e = make_encoder(10);
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	struct clip *clip = clip_new();
	encode_sine(e, 440, 10000, clip);
	int16_t *out = clip->pcm; /* the input is not needed again */
	size_t bytes = 0;
	for (size_t f = 0; f < FRAMES; f++) {
		assert_false(clip->dtx[f]);
		bytes += clip->len[f];
		assert_int_equal(codec_decode(d, clip->pkt[f], clip->len[f], out + f * CODEC_FRAME),
				 MEDIA_OK);
	}
	/* 32 kbit/s is 80 bytes per frame on average; allow the encoder its VBR. */
	assert_true(bytes / FRAMES > 40 && bytes / FRAMES < 140);
	/* Skip the first 100 ms (encoder start-up), measure the rest. */
	size_t skip = 5 * CODEC_FRAME, n = FRAMES * CODEC_FRAME - skip;
	double peak = test_peak_frequency(out + skip, n, 200, 2000, 5);
	assert_true(peak >= 435 && peak <= 445);
	assert_true(test_goertzel(out + skip, n, 440) > 100 * test_goertzel(out + skip, n, 1760));
	free(clip);
	codec_decoder_destroy(d);
	codec_encoder_destroy(e);
}

static void test_lookahead_and_dtx(void **state)
{
	(void)state;
	struct codec_encoder *e;
	assert_int_equal(codec_encoder_create(NULL, &e), MEDIA_OK);
	uint16_t la = codec_encoder_lookahead(e);
	assert_true(la > 0 && la < 1000); /* 312 for VOIP at 48 kHz in libopus 1.3 */
	int16_t silence[CODEC_FRAME] = {0};
	uint8_t pkt[CODEC_MAX_PACKET];
	size_t len;
	bool dtx = false, any_dtx = false;
	for (int f = 0; f < 50; f++) {
		assert_int_equal(codec_encode(e, silence, pkt, sizeof pkt, &len, &dtx), MEDIA_OK);
		if (dtx) {
			any_dtx = true;
			assert_true(len <= 2);
		}
	}
	assert_true(any_dtx);
	codec_encoder_destroy(e);
}

static double error_energy(const int16_t *a, const int16_t *b, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)a[i] - (double)b[i];
		sum += d * d;
	}
	return sum;
}

/* Decode the clip with frame `lost` missing, recovered by FEC (use_fec) or PLC. Returns
 * the recovered frame's error against the clean decode. */
static double decode_with_loss(const struct clip *clip, size_t lost, bool use_fec,
			       const int16_t *clean)
{
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	int16_t pcm[CODEC_FRAME];
	double err = 0;
	for (size_t f = 0; f <= lost + 1; f++) {
		if (f == lost && use_fec)
			assert_int_equal(
			    codec_decode_fec(d, clip->pkt[f + 1], clip->len[f + 1], pcm), MEDIA_OK);
		else if (f == lost)
			assert_int_equal(codec_decode_plc(d, pcm), MEDIA_OK);
		else
			assert_int_equal(codec_decode(d, clip->pkt[f], clip->len[f], pcm),
					 MEDIA_OK);
		if (f == lost)
			err = error_energy(pcm, clean + f * CODEC_FRAME, CODEC_FRAME);
	}
	codec_decoder_destroy(d);
	return err;
}

static void test_plc_and_fec(void **state)
{
	(void)state;
	struct codec_encoder *e = make_encoder(30);
	struct clip *clip = clip_new();
	/* A warbling tone, so concealment (which extrapolates) cannot be perfect. */
	for (size_t f = 0; f < FRAMES; f++) {
		int16_t *pcm = clip->pcm + f * CODEC_FRAME;
		double hz = 300 + 200 * (double)(f % 7);
		for (size_t i = 0; i < CODEC_FRAME; i++)
			pcm[i] = test_sine_sample(hz, 8000, f * CODEC_FRAME + i);
		assert_int_equal(codec_encode(e, pcm, clip->pkt[f], sizeof clip->pkt[f],
					      &clip->len[f], &clip->dtx[f]),
				 MEDIA_OK);
	}
	int16_t *clean = clip->pcm; /* overwritten with the clean decode */
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	for (size_t f = 0; f < FRAMES; f++)
		assert_int_equal(
		    codec_decode(d, clip->pkt[f], clip->len[f], clean + f * CODEC_FRAME), MEDIA_OK);
	codec_decoder_destroy(d);
	double fec_err = 0, plc_err = 0;
	for (size_t lost = 20; lost < 80; lost += 7) {
		fec_err += decode_with_loss(clip, lost, true, clean);
		plc_err += decode_with_loss(clip, lost, false, clean);
	}
	assert_true(plc_err > 0);
	assert_true(fec_err < plc_err / 2);
	free(clip);
	codec_encoder_destroy(e);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	int16_t pcm[CODEC_FRAME];
	uint8_t junk[3] = {0xff, 0xff, 0xff};
	assert_int_equal(codec_decode(d, junk, 0, pcm), MEDIA_ERR_PACKET);
	assert_int_equal(codec_decode(d, NULL, 3, pcm), MEDIA_ERR_PARAM);
	assert_int_equal(codec_decode(d, junk, sizeof junk, pcm), MEDIA_ERR_PACKET);
	/* A 40 ms packet (TOC config 3 = SILK NB 40 ms) does not fit a 20 ms frame. */
	uint8_t long_pkt[2] = {3 << 3, 0};
	assert_int_equal(codec_decode(d, long_pkt, sizeof long_pkt, pcm), MEDIA_ERR_PACKET);
	assert_int_equal(codec_decode_plc(d, pcm), MEDIA_OK);
	assert_int_equal(codec_decode_plc(NULL, pcm), MEDIA_ERR_PARAM);
	codec_decoder_destroy(d);
	codec_decoder_destroy(NULL);
	struct codec_encoder *e;
	struct codec_encoder_config bad = {.bitrate = 1000};
	assert_int_equal(codec_encoder_create(&bad, &e), MEDIA_ERR_PARAM);
	bad = (struct codec_encoder_config){.complexity = 11};
	assert_int_equal(codec_encoder_create(&bad, &e), MEDIA_ERR_PARAM);
	assert_int_equal(codec_encoder_create(NULL, &e), MEDIA_OK);
	uint8_t small[CODEC_MAX_PACKET - 1];
	size_t len;
	bool dtx;
	int16_t noise[CODEC_FRAME] = {0};
	assert_int_equal(codec_encode(e, noise, small, sizeof small, &len, &dtx), MEDIA_ERR_TOOBIG);
	codec_encoder_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_440),
	    cmocka_unit_test(test_lookahead_and_dtx),
	    cmocka_unit_test(test_plc_and_fec),
	    cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
