/*
 * Summing, limiting and gating 20 ms frames; see pcm.h for the idea.
 *
 * The limiter keeps one float gain per output stream. Per sample: the gain first recovers
 * a little towards 1 (one-pole release), then, if the sample times the gain would pass
 * the ceiling, the gain drops to exactly ceiling / |sample|. The output is sample * gain,
 * so it is continuous wherever the input is, and never above the ceiling. When the gain
 * has recovered to within 1e-4 of 1 (-0.001 dB) it snaps to 1, and from then on samples
 * go through untouched: "transparent below the threshold" is exact, not approximate.
 *
 * Floats: 960 multiplications per stream per tick cost well under a microsecond, and a
 * float gain avoids the fixed-point rounding that would make the quiet path inexact. No
 * libm: the release coefficient 1 - exp(-1 / (tau * rate)) is 1 / (tau * rate) to within
 * one part in 5,000 for tau = 60 ms, and rounding is done by hand.
 */
#include "media/mix/pcm.h"

#include <string.h>

#define RELEASE_SECONDS 0.060f
#define GAIN_SNAP	0.9999f

void mix_limiter_init(struct mix_limiter *l)
{
	l->gain = 1.0f;
	/* One-pole coefficient for a 60 ms time constant at 48 kHz. */
	l->release = 1.0f / (RELEASE_SECONDS * (float)MIX_RATE);
}

static int32_t round_float(float v)
{
	return (int32_t)(v >= 0.0f ? v + 0.5f : v - 0.5f);
}

static int16_t clamp_ceiling(int32_t v)
{
	if (v > MIX_LIMIT_CEILING)
		return MIX_LIMIT_CEILING;
	if (v < -MIX_LIMIT_CEILING)
		return -MIX_LIMIT_CEILING;
	return (int16_t)v;
}

/* One sample while the limiter is active (gain < 1, or the sample is over the ceiling). */
static int16_t limit_sample(struct mix_limiter *l, int32_t x)
{
	float g = l->gain + (1.0f - l->gain) * l->release;
	float a = x < 0 ? -(float)x : (float)x;
	if (a * g > (float)MIX_LIMIT_CEILING)
		g = (float)MIX_LIMIT_CEILING / a;
	if (g > GAIN_SNAP)
		g = 1.0f;
	l->gain = g;
	return clamp_ceiling(round_float((float)x * g));
}

void mix_limit(struct mix_limiter *l, const int32_t *acc, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int32_t x = acc[i];
		/* The common case, a quiet mix: bit-exact pass-through. */
		if (l->gain == 1.0f && x <= MIX_LIMIT_CEILING && x >= -MIX_LIMIT_CEILING)
			out[i] = (int16_t)x;
		else
			out[i] = limit_sample(l, x);
	}
}

void mix_sum(int32_t acc[MIX_FRAME], const int16_t *const *in, size_t n_inputs)
{
	memset(acc, 0, MIX_FRAME * sizeof acc[0]);
	for (size_t k = 0; k < n_inputs; k++) {
		const int16_t *pcm = in[k];
		if (!pcm)
			continue;
		for (size_t i = 0; i < MIX_FRAME; i++)
			acc[i] += pcm[i];
	}
}

void mix_minus(const int32_t acc[MIX_FRAME], const int16_t self[MIX_FRAME], int32_t out[MIX_FRAME])
{
	for (size_t i = 0; i < MIX_FRAME; i++)
		out[i] = acc[i] - self[i];
}

void mix_gate_init(struct mix_gate *g, bool open)
{
	g->open = open;
	g->pos = open ? MIX_FADE_SAMPLES : 0;
}

void mix_gate_set(struct mix_gate *g, bool open)
{
	/* The ramp continues from wherever it is, so a gate toggled mid-fade reverses
	 * smoothly instead of jumping to the far end. */
	g->open = open;
}

bool mix_gate_silent(const struct mix_gate *g)
{
	return !g->open && g->pos == 0;
}

void mix_gate_apply(struct mix_gate *g, int16_t pcm[MIX_FRAME])
{
	if (g->open && g->pos == MIX_FADE_SAMPLES)
		return;
	if (mix_gate_silent(g)) {
		memset(pcm, 0, MIX_FRAME * sizeof pcm[0]);
		return;
	}
	int32_t step = g->open ? 1 : -1;
	for (size_t i = 0; i < MIX_FRAME; i++) {
		int32_t p = g->pos + step;
		if (p >= 0 && p <= MIX_FADE_SAMPLES)
			g->pos = p;
		pcm[i] = (int16_t)((int32_t)pcm[i] * g->pos / MIX_FADE_SAMPLES);
	}
}
