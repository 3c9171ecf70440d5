/*
 * load_onset -- see load_onset.h.
 */
#include "load_onset.h"

void onset_init(struct onset_detector *d, int threshold, int quiet_level, uint32_t quiet_samples)
{
	d->threshold = threshold;
	d->quiet_level = quiet_level;
	d->quiet_need = quiet_samples;
	d->quiet_run = 0;
	d->armed = false;
}

long onset_feed(struct onset_detector *d, const int16_t *pcm, size_t n)
{
	long found = -1;
	for (size_t i = 0; i < n; i++) {
		int a = pcm[i] < 0 ? -(int)pcm[i] : pcm[i];
		if (d->armed && found < 0 && a >= d->threshold) {
			found = (long)i;
			d->armed = false;
			d->quiet_run = 0;
			continue;
		}
		if (a >= d->quiet_level) {
			d->quiet_run = 0;
			continue;
		}
		if (d->quiet_run < d->quiet_need && ++d->quiet_run == d->quiet_need)
			d->armed = true;
	}
	return found;
}
