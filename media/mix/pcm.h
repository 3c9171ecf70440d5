/*
 * pcm -- summing 20 ms PCM frames of open microphones: a 32-bit accumulator, a soft limiter
 * that turns the sum back into int16 without wrap-around, mix-minus-self for an open-mic
 * holder, and the mic gate's short fades.
 *
 * The mixer tick of a room, with these pieces:
 *
 *   for each open mic m:   mix_gate_apply(&gate[m], decoded[m])      (fade in / out)
 *   mix_sum(acc, decoded, n)                                         (32-bit sum)
 *   mix_limit(&public_limiter, acc, public_pcm)          -> encode once for every listener
 *   for each open mic m:   mix_minus(acc, decoded[m], minus)         (everyone but m)
 *                          mix_limit(&own_limiter[m], minus, own_pcm) -> encode for m
 *
 * Frames are MIX_FRAME samples of mono 48 kHz audio. Everything is caller-allocated
 * (struct mix_limiter and struct mix_gate are plain structs to embed; fields are private),
 * nothing allocates, nothing fails on valid pointers, and every function is reentrant.
 *
 * The limiter. Two voices at full level sum to twice full scale; converting that to int16
 * by truncation wraps around (a loud crack), by clamping it squares the waveform off (a
 * harsh buzz). The limiter is a peak limiter without look-ahead: a gain that drops
 * instantly to the value that keeps a sample at the ceiling and recovers with a 60 ms
 * time constant. While the gain is 1 -- every sample of a quiet mix -- the output is the
 * input bit for bit. It works on the gain, not on the waveform, so the output is
 * continuous and a loud sum is turned down rather than distorted; the instant attack can
 * shorten the very first peak of a loud onset, which is inaudible at speech levels.
 * Look-ahead would remove that at the cost of latency, which a live floor needs more.
 * The gain state is per output stream: the public mix and each mix-minus have their own.
 *
 * The gate. When a mic opens or closes the signal must not step from silence to mid-wave
 * (a click): the gate ramps its gain linearly over MIX_FADE_SAMPLES (5 ms). A closed gate
 * that has finished fading reports mix_gate_silent, so the caller can skip decoding.
 */
#ifndef PLENARY_MEDIA_MIX_PCM_H
#define PLENARY_MEDIA_MIX_PCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIX_RATE	 48000
#define MIX_FRAME	 960 /* 20 ms at 48 kHz, mono */
#define MIX_FADE_SAMPLES 240 /* 5 ms: long enough not to click, short enough to keep words */
#define MIX_MAX_INPUTS	 16  /* open mics one room can sum (chairs plus the floor) */

/* The limiter's ceiling: -1 dBFS, so the Opus encoder's own overshoot has room. */
#define MIX_LIMIT_CEILING 29204

struct mix_limiter {
	float gain; /* private: 1.0 = transparent */
	float release;
};

/* Sets the limiter to transparent (gain 1). */
void mix_limiter_init(struct mix_limiter *l);

/* Writes acc[0..n) to out[0..n) through the limiter: |out| <= MIX_LIMIT_CEILING always,
 * out == acc wherever the gain is 1 (every sample of a mix that never went above the
 * ceiling, once a previous loud passage has been released). acc and out must not
 * overlap. */
void mix_limit(struct mix_limiter *l, const int32_t *acc, int16_t *out, size_t n);

/* acc[i] = the sum of in[k][i] over k < n_inputs, for i < MIX_FRAME. n_inputs 0 gives
 * silence. NULL entries in `in` are skipped (a mic with nothing to add this tick). */
void mix_sum(int32_t acc[MIX_FRAME], const int16_t *const *in, size_t n_inputs);

/* out[i] = acc[i] - self[i]: the mix without one contributor. self must be exactly what
 * was summed into acc for that contributor (after its gate). */
void mix_minus(const int32_t acc[MIX_FRAME], const int16_t self[MIX_FRAME], int32_t out[MIX_FRAME]);

struct mix_gate {
	int32_t pos; /* private: 0 = fully closed .. MIX_FADE_SAMPLES = fully open */
	bool open;
};

/* A gate that starts fully open or fully closed (no fade at start). */
void mix_gate_init(struct mix_gate *g, bool open);
/* Opens or closes the gate; the change fades in over the following samples. Setting the
 * state it already has does nothing. */
void mix_gate_set(struct mix_gate *g, bool open);
/* Applies the gate to pcm[0..MIX_FRAME) in place. */
void mix_gate_apply(struct mix_gate *g, int16_t pcm[MIX_FRAME]);
/* True when the gate is closed and its fade-out has finished: the output would be all
 * zeros, so the caller can skip the input. */
bool mix_gate_silent(const struct mix_gate *g);

#endif
