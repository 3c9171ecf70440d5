/*
 * load_tone -- what every speaker of plenary-load says: bursts of a tone with silence
 * between them (by default 200 ms every second), encoded once at start with libopus and
 * then looped, so sending costs nothing but the SRTP protect.
 *
 * Each burst says which it is: burst b is a tone of freq_hz + (b % burst_ids) *
 * TONE_ID_STEP_HZ (1, 1.5, 2, 2.5 kHz by default), and a listener tells them apart by
 * counting zero crossings just after the onset (load_onset.h). A listener's onset is
 * matched to the latest burst of its own frequency, so a delay of up to burst_ids periods
 * (4 s) is measured as what it is; a late onset is never taken for a short delay to the
 * burst after its own. An onset whose frequency is none of them matches nothing and is
 * counted as unmatched.
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

#define TONE_MAX_FRAMES 250 /* a loop (burst_ids periods) of at most 5 s */
#define TONE_ID_STEP_HZ 500 /* between the frequencies of consecutive burst ids */
#define TONE_ID_WINDOW	480 /* samples after an onset whose crossings name the burst */

struct tone_config {
	int freq_hz;	   /* 1000: the frequency of burst id 0 */
	int amplitude;	   /* peak, 1..32767; 8000 (about -12 dBFS) */
	int bitrate;	   /* Opus bits/s; the same on both servers under test */
	int complexity;	   /* Opus complexity 0..10 */
	int period_frames; /* 20 ms frames from one burst start to the next; 50 */
	int burst_frames;  /* frames of tone at the start of each period; 10 */
	int burst_ids;	   /* distinct burst frequencies, 1..8; 4 */
	bool highpass;	   /* listeners high-pass before the detector (load_speech.h) */
};

struct load_tone {
	struct tone_config cfg;
	size_t frames; /* the loop: cfg.period_frames * cfg.burst_ids */
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

/* The frequency of burst `burst` (counting from the first). Pure. */
int tone_burst_freq(const struct tone_config *cfg, uint64_t burst);

/* The burst id whose frequency gives `crossings` zero crossings in TONE_ID_WINDOW samples,
 * or -1 if none is within a quarter of the spacing. Pure. */
int tone_id_of_crossings(const struct tone_config *cfg, uint32_t crossings);

/* The send time of the burst an onset heard at `heard` (ns) belongs to. sent[i] is the
 * send time of burst first + i (0: not sent), for n bursts up to the latest. The match is
 * the latest burst with id `id` (b % burst_ids) sent no later than `heard` and less than
 * burst_ids periods before it; 0 if none or id < 0. Pure. */
uint64_t tone_match_burst(const struct tone_config *cfg, const uint64_t *sent, uint64_t first,
			  size_t n, int id, uint64_t heard);

/* The PCM of frame `frame` (counting from a burst start): the tone of the burst's own
 * frequency during the first burst_frames of each period, digital silence after. Pure. */
void tone_pcm(const struct tone_config *cfg, uint64_t frame, int16_t pcm[CODEC_FRAME]);

/* RFC 6464: the level of a 20 ms frame in -dBov, 0 (loudest) to 127 (silence). Pure. */
uint8_t tone_frame_level(const int16_t pcm[CODEC_FRAME]);

/* Encodes one period and measures the baseline (through the high-pass if cfg->highpass). On
 * failure, why gets a sentence. */
bool tone_make(const struct tone_config *cfg, struct load_tone *out, char *why, size_t cap);

#endif
