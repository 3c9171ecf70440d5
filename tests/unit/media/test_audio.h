/* Audio helpers for the mixer's unit tests: a sine generator and a Goertzel detector.
 * The tests link only plenary_media and cmocka, not libm, so cosine is a short series. */
#ifndef PLENARY_TEST_MEDIA_AUDIO_H
#define PLENARY_TEST_MEDIA_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#define TEST_PI 3.14159265358979323846

/* cos(x) for any x: reduce to [-pi, pi], then a Taylor series to x^20 (error < 1e-9). */
static inline double test_cos(double x)
{
	double two_pi = 2.0 * TEST_PI;
	x -= two_pi * (double)(long long)(x / two_pi);
	if (x > TEST_PI)
		x -= two_pi;
	if (x < -TEST_PI)
		x += two_pi;
	double term = 1.0, sum = 1.0, x2 = x * x;
	for (int k = 1; k <= 10; k++) {
		term *= -x2 / (double)((2 * k - 1) * (2 * k));
		sum += term;
	}
	return sum;
}

static inline double test_sin(double x)
{
	return test_cos(x - TEST_PI / 2.0);
}

/* Sample n of a sine of frequency hz and amplitude amp at 48 kHz. */
static inline int16_t test_sine_sample(double hz, double amp, size_t n)
{
	double v = amp * test_sin(2.0 * TEST_PI * hz * (double)n / 48000.0);
	return (int16_t)(v >= 0 ? v + 0.5 : v - 0.5);
}

/* Power of frequency hz in pcm[0..n) (Goertzel), normalised by n^2. */
static inline double test_goertzel(const int16_t *pcm, size_t n, double hz)
{
	double coeff = 2.0 * test_cos(2.0 * TEST_PI * hz / 48000.0);
	double s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = (double)pcm[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((double)n * (double)n);
}

/* The frequency in [lo, hi] (step hz) with the most power. */
static inline double test_peak_frequency(const int16_t *pcm, size_t n, double lo, double hi,
					 double step)
{
	double best = lo, best_power = -1;
	for (double f = lo; f <= hi; f += step) {
		double p = test_goertzel(pcm, n, f);
		if (p > best_power) {
			best_power = p;
			best = f;
		}
	}
	return best;
}

#endif
