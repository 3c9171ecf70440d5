/*
 * spsc -- setting up the ring indices of spsc.h; everything on the hot path is inline in
 * the header.
 */
#include "base/spsc.h"

#include <string.h>

bool base_spsc_init(struct base_spsc *q, size_t capacity)
{
	memset(q, 0, sizeof *q);
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	if (capacity < 2 || (capacity & (capacity - 1)) != 0)
		return false;
	q->mask = capacity - 1;
	return true;
}
