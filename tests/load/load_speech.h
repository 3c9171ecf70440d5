/*
 * load_speech -- what the speakers other than the timed one say in the mixing scenarios:
 * continuous speech, not the tone's bursts (which are 80 % silence and would let a mixer
 * idle between them). The benchmark renders a text with espeak-ng, low-passes it well
 * below the lowest burst frequency and resamples it to 48 kHz mono s16le (bench.mjs); it
 * is read here once, encoded once with the tone's Opus settings (DTX off) and looped, so
 * sending it costs no more than sending the tone.
 *
 * The timed speaker's bursts must stay identifiable in a mix that is never quiet: with a
 * speech source, the sampled listeners high-pass what they decode (a 4th-order Butterworth
 * at SPEECH_HIGHPASS_HZ) before the onset detector, which then sees the bursts (1 kHz and
 * up) over a residue of the speech far below its quiet level; the tone's baseline is
 * measured through the same filter, so the filter's own delay is not counted as the
 * server's (load_tone.c).
 */
#ifndef PLENARY_LOAD_SPEECH_H
#define PLENARY_LOAD_SPEECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load_tone.h"

#define SPEECH_MAX_FRAMES  3000 /* a loop of at most 60 s */
#define SPEECH_HIGHPASS_HZ 800

struct load_speech {
	size_t frames;
	uint8_t (*pkt)[CODEC_MAX_PACKET];
	size_t *len;
	uint8_t *level;	   /* RFC 6464 -dBov of each frame, 127 for silence */
	double active_pct; /* frames louder than -50 dBov: what a voice detector calls speech */
};

/* Reads raw 48 kHz mono s16le PCM from path (whole 20 ms frames, 1 s to 60 s) and encodes it
 * with cfg's bitrate and complexity. On failure why gets a sentence and out holds nothing. */
bool speech_load(const char *path, const struct tone_config *cfg, struct load_speech *out,
		 char *why, size_t cap);
void speech_free(struct load_speech *s);

/* The listeners' high-pass filter: two biquads, direct form I. */
struct highpass {
	double b[2][3], a[2][2]; /* per stage: b0 b1 b2, a1 a2 (a0 = 1) */
	double x[2][2], y[2][2]; /* per stage: the last two inputs and outputs */
};

void highpass_init(struct highpass *h, double cutoff_hz);
/* Filters pcm in place. Pure but for h's state. */
void highpass_run(struct highpass *h, int16_t *pcm, size_t n);

#endif
