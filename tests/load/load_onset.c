/*
 * load_onset -- see load_onset.h.
 */
#include "load_onset.h"

void onset_init(struct onset_detector *d, int threshold, int quiet_level, uint32_t quiet_samples)
{
	*d = (struct onset_detector){
	    .threshold = threshold, .quiet_level = quiet_level, .quiet_need = quiet_samples};
}

/* Counts sign changes of the samples after an onset; zeros carry no sign. */
static void count_crossing(struct onset_detector *d, int16_t x)
{
	int sign = x > 0 ? 1 : x < 0 ? -1 : 0;
	if (sign != 0 && d->last_sign != 0 && sign != d->last_sign)
		d->crossings++;
	if (sign != 0)
		d->last_sign = sign;
	if (--d->id_left == 0)
		d->crossings_ready = true;
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
			d->id_left = d->id_window;
			d->crossings = 0;
			d->last_sign = 0;
			d->crossings_ready = false;
		}
		if (d->id_left > 0)
			count_crossing(d, pcm[i]);
		if (found == (long)i)
			continue;
		if (a >= d->quiet_level) {
			d->quiet_run = 0;
			continue;
		}
		if (d->quiet_run < d->quiet_need && ++d->quiet_run == d->quiet_need)
			d->armed = true;
	}
	return found;
}

long onset_take_crossings(struct onset_detector *d)
{
	if (!d->crossings_ready)
		return -1;
	d->crossings_ready = false;
	return (long)d->crossings;
}
