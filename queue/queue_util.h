/* queue/queue_util.h -- what queue.c and stats.c share: the injectable allocator and
 * bounded strings. Internal to queue/; not part of its public header. */
#ifndef PLENARY_QUEUE_UTIL_H
#define PLENARY_QUEUE_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue.h"

/* The injected allocator if set (tests make growth fail), else the C library's. */
static inline void *queue_mem(queue_alloc_fn alloc, void *ctx, void *ptr, size_t size)
{
	if (ptr == NULL && size == 0)
		return NULL;
	if (alloc != NULL)
		return alloc(ctx, ptr, size);
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, size);
}

/* True if s is a string that fits in a buffer of max bytes with its NUL. */
static inline bool queue_fits(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max) < max;
}

/* Copies a string already checked by queue_fits(); bounded anyway, so a bug stays inside
 * dst. */
static inline void queue_copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#endif
