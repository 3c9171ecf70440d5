/*
 * load_speech -- see load_speech.h.
 */
#include "load_speech.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define SPEECH_VOICE_LEVEL 50 /* -dBov: louder is voice, as media/mix/talk.h decides */

void speech_free(struct load_speech *s)
{
	free(s->pkt);
	free(s->len);
	free(s->level);
	memset(s, 0, sizeof *s);
}

/* The whole file, as whole frames; NULL (why set) if it is not 1..60 s of them. */
static int16_t *read_pcm(const char *path, size_t *frames, char *why, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, cap, "speech: cannot open %s", path);
		return NULL;
	}
	size_t max = (size_t)SPEECH_MAX_FRAMES * CODEC_FRAME;
	int16_t *pcm = malloc((max + 1) * sizeof *pcm);
	size_t n = pcm ? fread(pcm, sizeof *pcm, max + 1, f) : 0;
	bool err = ferror(f) != 0;
	fclose(f);
	*frames = n / CODEC_FRAME;
	if (pcm == NULL || err || n > max || *frames < 50) {
		snprintf(why, cap, "speech: %s must be 1 to 60 s of 48 kHz mono s16le", path);
		free(pcm);
		return NULL;
	}
	return pcm;
}

static bool encode_loop(const struct tone_config *cfg, const int16_t *pcm, struct load_speech *s,
			char *why, size_t cap)
{
	struct codec_encoder_config ec = {.bitrate = cfg->bitrate,
					  .complexity = cfg->complexity,
					  .loss_percent = 10,
					  .disable_dtx = true};
	struct codec_encoder *enc;
	enum media_err err = codec_encoder_create(&ec, &enc);
	if (err != MEDIA_OK) {
		snprintf(why, cap, "opus encoder: %s", media_strerror(err));
		return false;
	}
	/* Twice round, keeping the second: the loop point is seamless, as the tone's is. */
	size_t active = 0;
	for (size_t f = 0; f < 2 * s->frames && err == MEDIA_OK; f++) {
		size_t slot = f % s->frames;
		const int16_t *frame = pcm + slot * CODEC_FRAME;
		bool dtx;
		s->level[slot] = tone_frame_level(frame);
		active += f >= s->frames && s->level[slot] < SPEECH_VOICE_LEVEL;
		err = codec_encode(enc, frame, s->pkt[slot], CODEC_MAX_PACKET, &s->len[slot], &dtx);
	}
	codec_encoder_destroy(enc);
	if (err != MEDIA_OK) {
		snprintf(why, cap, "opus encode: %s", media_strerror(err));
		return false;
	}
	s->active_pct = 100.0 * (double)active / (double)s->frames;
	return true;
}

bool speech_load(const char *path, const struct tone_config *cfg, struct load_speech *out,
		 char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	size_t frames;
	int16_t *pcm = read_pcm(path, &frames, why, cap);
	if (pcm == NULL)
		return false;
	out->frames = frames;
	out->pkt = malloc(frames * sizeof *out->pkt);
	out->len = calloc(frames, sizeof *out->len);
	out->level = calloc(frames, sizeof *out->level);
	bool ok = out->pkt && out->len && out->level;
	if (!ok)
		snprintf(why, cap, "speech: out of memory");
	ok = ok && encode_loop(cfg, pcm, out, why, cap);
	free(pcm);
	if (!ok)
		speech_free(out);
	return ok;
}

/* Butterworth of order 4 as two biquads (RBJ's high-pass) with the poles' Q. */
void highpass_init(struct highpass *h, double cutoff_hz)
{
	static const double q[2] = {0.54119610, 1.30656296};
	memset(h, 0, sizeof *h);
	double w = 2.0 * M_PI * cutoff_hz / CODEC_RATE, c = cos(w);
	for (int s = 0; s < 2; s++) {
		double alpha = sin(w) / (2.0 * q[s]), a0 = 1.0 + alpha;
		h->b[s][0] = (1.0 + c) / 2.0 / a0;
		h->b[s][1] = -(1.0 + c) / a0;
		h->b[s][2] = h->b[s][0];
		h->a[s][0] = -2.0 * c / a0;
		h->a[s][1] = (1.0 - alpha) / a0;
	}
}

static double stage(struct highpass *h, int s, double x)
{
	double y = h->b[s][0] * x + h->b[s][1] * h->x[s][0] + h->b[s][2] * h->x[s][1] -
		   h->a[s][0] * h->y[s][0] - h->a[s][1] * h->y[s][1];
	h->x[s][1] = h->x[s][0];
	h->x[s][0] = x;
	h->y[s][1] = h->y[s][0];
	h->y[s][0] = y;
	return y;
}

void highpass_run(struct highpass *h, int16_t *pcm, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double y = stage(h, 1, stage(h, 0, pcm[i]));
		pcm[i] = (int16_t)(y > 32767 ? 32767 : y < -32768 ? -32768 : lrint(y));
	}
}
