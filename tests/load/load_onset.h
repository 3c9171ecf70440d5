/*
 * load_onset -- finds where a tone burst starts in decoded audio, sample-exact, so that
 * plenary-load can measure mouth-to-ear latency through a server that may re-encode
 * (Janus AudioBridge, Plenary's mixer) as well as through one that forwards packets.
 *
 * The speaker sends bursts of a tone separated by silence (load_tone.h). A listener feeds
 * every decoded 20 ms frame here; the detector is armed by a stretch of quiet (every
 * sample below quiet_level for quiet_samples in a row) and fires at the first sample
 * whose magnitude reaches threshold. Re-arming needs the quiet stretch again, so the
 * zero crossings inside a burst never count as a second onset, and a lost or concealed
 * frame in the middle of a burst does not either. Codec pre-echo can raise the first
 * crossing a little before the true start; the tool measures that offset once on its own
 * encode/decode (the baseline) and subtracts it.
 *
 * After an onset it counts the zero crossings of the next id_window samples (across calls),
 * which name the burst (load_tone.h); onset_take_crossings hands the count over once.
 *
 * Pure: no clock, no allocation. Unit-tested in tests/load/test_load_onset.c.
 */
#ifndef PLENARY_LOAD_ONSET_H
#define PLENARY_LOAD_ONSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct onset_detector {
	int threshold;	     /* |sample| that marks the onset */
	int quiet_level;     /* |sample| below which a sample counts as quiet */
	uint32_t quiet_need; /* quiet samples in a row that arm the detector */
	uint32_t quiet_run;
	bool armed;
	uint32_t id_window; /* samples after an onset whose crossings are counted */
	uint32_t id_left;   /* of them still to come; 0 when not counting */
	uint32_t crossings;
	int last_sign;
	bool crossings_ready;
};

/* threshold > quiet_level > 0; quiet_samples > 0. Starts disarmed: the first onset comes
 * after a quiet stretch, never from joining in the middle of a burst. */
void onset_init(struct onset_detector *d, int threshold, int quiet_level, uint32_t quiet_samples);

/* Feeds pcm[0..n); returns the index in it of the onset, or -1 if none started here.
 * Reports at most one per call, which is exact as long as quiet_samples is longer than a
 * call's n (two onsets need a quiet stretch between them). */
long onset_feed(struct onset_detector *d, const int16_t *pcm, size_t n);

/* After an onset: the zero crossings in the id_window samples from it (the onset sample
 * first), once they are all fed; -1 before that, and after the count was taken once.
 * id_window is 0 (no counting) unless set after onset_init. */
long onset_take_crossings(struct onset_detector *d);

#endif
