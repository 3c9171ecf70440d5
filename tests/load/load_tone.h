/*
 * load_tone -- what every speaker of plenary-load says: bursts of a tone with silence
 * between them (by default 200 ms of 1 kHz every second), encoded once at start with
 * libopus and then looped, so sending costs nothing but the SRTP protect.
 *
 * The bursts are the marks the listeners look for (load_onset.h): the time the speaker
 * sent a burst's first frame, against the time a listener decoded that burst's first
 * sample, is the mouth-to-ear latency through the server. The encoder runs over two
 * periods and the second is kept, so the loop starts from an encoder that has settled on
 * silence, and the loop point is seamless. DTX is off (a browser's default), so the
 * speaker sends a packet every 20 ms and the listeners can count loss by sequence number.
 *
 * The baseline: decoding our own packets, the onset shows up `baseline` samples after
 * the burst's first sample (the encoder's lookahead, less a little pre-echo). A server
 * that forwards packets adds nothing to that; one that decodes, mixes and re-encodes adds
 * its own lookahead and buffering, which is server-added latency and is counted.
 */
#ifndef PLENARY_LOAD_TONE_H
#define PLENARY_LOAD_TONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/mix/opus_codec.h"

#define TONE_MAX_FRAMES 250 /* a period of at most 5 s */

struct tone_config {
	int freq_hz;	   /* 1000 */
	int amplitude;	   /* peak, 1..32767; 8000 (about -12 dBFS) */
	int bitrate;	   /* Opus bits/s; the same on both servers under test */
	int complexity;	   /* Opus complexity 0..10 */
	int period_frames; /* 20 ms frames from one burst start to the next; 50 */
	int burst_frames;  /* frames of tone at the start of each period; 10 */
};

struct load_tone {
	struct tone_config cfg;
	size_t frames; /* = cfg.period_frames */
	uint8_t pkt[TONE_MAX_FRAMES][CODEC_MAX_PACKET];
	size_t len[TONE_MAX_FRAMES];
	uint8_t level[TONE_MAX_FRAMES]; /* RFC 6464 -dBov of the frame, 127 for silence */
	long baseline;			/* onset offset of our own encode + decode, samples */
	/* The detector settings that go with this tone (load_onset.h). */
	int onset_threshold, onset_quiet_level;
	uint32_t onset_quiet_samples;
};

/* Fills the defaults above. */
void tone_config_defaults(struct tone_config *cfg);

/* The PCM of frame `frame` (counting from a burst start): the tone during the first
 * burst_frames of each period, digital silence after. Pure. */
void tone_pcm(const struct tone_config *cfg, uint64_t frame, int16_t pcm[CODEC_FRAME]);

/* Encodes one period and measures the baseline. On failure, why gets a sentence. */
bool tone_make(const struct tone_config *cfg, struct load_tone *out, char *why, size_t cap);

#endif
