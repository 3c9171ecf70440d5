/*
 * load_stats -- see load_stats.h.
 */
#include "load_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void seq_track_init(struct seq_track *t)
{
	memset(t, 0, sizeof *t);
}

void seq_track_add(struct seq_track *t, uint16_t seq)
{
	if (!t->started) {
		t->started = true;
		t->max_seq = seq;
		t->base_ext = seq;
		t->received = 1;
		return;
	}
	t->received++;
	uint16_t delta = (uint16_t)(seq - t->max_seq);
	if (delta == 0 || delta >= 0x8000u)
		return; /* a duplicate, or late: behind the highest */
	if (seq < t->max_seq)
		t->cycles += 1u << 16;
	t->max_seq = seq;
}

uint64_t seq_track_expected(const struct seq_track *t)
{
	if (!t->started)
		return 0;
	uint64_t highest = (uint64_t)t->cycles + t->max_seq;
	return highest - t->base_ext + 1;
}

uint64_t seq_track_lost(const struct seq_track *t)
{
	uint64_t expected = seq_track_expected(t);
	return expected > t->received ? expected - t->received : 0;
}

void sample_set_init(struct sample_set *s, size_t max)
{
	memset(s, 0, sizeof *s);
	s->max = max;
}

void sample_set_fini(struct sample_set *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

bool sample_set_add(struct sample_set *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		if (cap > s->max)
			cap = s->max;
		double *v = cap > s->cap ? realloc(s->v, cap * sizeof *v) : NULL;
		if (v == NULL) {
			s->dropped++;
			return false;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return true;
}

void sample_set_merge(struct sample_set *into, const struct sample_set *from)
{
	for (size_t i = 0; i < from->n; i++)
		(void)sample_set_add(into, from->v[i]);
	into->dropped += from->dropped;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double stats_percentile(double *v, size_t n, double p)
{
	if (n == 0 || p <= 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	double rank = ceil(p / 100.0 * (double)n);
	size_t i = rank < 1 ? 0 : (size_t)rank - 1;
	return v[i < n ? i : n - 1];
}
