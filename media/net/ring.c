/*
 * ring -- the SPSC queue of ring.h: a slot array of messages behind base/spsc.h's
 * indices, and the eventfd wake-ups.
 */
#include "media/net/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum media_err ring_init(struct ring *r, size_t capacity)
{
	if (r == NULL)
		return MEDIA_ERR_PARAM;
	memset(r, 0, sizeof *r);
	if (capacity > RING_MAX_SLOTS || !base_spsc_init(&r->q, capacity))
		return MEDIA_ERR_PARAM;
	r->slots = calloc(capacity, sizeof *r->slots);
	return r->slots == NULL ? MEDIA_ERR_NOMEM : MEDIA_OK;
}

void ring_fini(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	r->slots = NULL;
}

bool ring_push(struct ring *r, const struct ring_msg *m)
{
	size_t i;
	if (!base_spsc_reserve(&r->q, &i))
		return false;
	r->slots[i] = *m;
	base_spsc_publish(&r->q);
	return true;
}

size_t ring_space(struct ring *r)
{
	return base_spsc_space(&r->q);
}

bool ring_pop(struct ring *r, struct ring_msg *out)
{
	size_t i;
	if (!base_spsc_peek(&r->q, &i))
		return false;
	*out = r->slots[i];
	base_spsc_release(&r->q);
	return true;
}

enum media_err ring_wake_open(int *fd)
{
	*fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return *fd < 0 ? MEDIA_ERR_SYSTEM : MEDIA_OK;
}

void ring_wake(int fd)
{
	uint64_t one = 1;
	/* EAGAIN only if the counter is at its maximum, which means readable anyway. */
	ssize_t n;
	do
		n = write(fd, &one, sizeof one);
	while (n < 0 && errno == EINTR);
}

uint64_t ring_wake_drain(int fd)
{
	uint64_t count = 0;
	ssize_t n;
	do
		n = read(fd, &count, sizeof count);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof count ? count : 0;
}
