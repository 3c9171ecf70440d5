/*
 * The recording writer thread and its ring; see recorder.h for the idea.
 *
 * The ring: `capacity` fixed entries behind base/spsc.h's indices. The producer fills an
 * entry and publishes it (a release store); the writer sees it (an acquire load),
 * consumes it, and gives it back. The semaphore is only a wake-up: the writer
 * sleeps in sem_wait when the ring is empty and every push posts, so a wake-up is never
 * lost; a few spurious ones (the writer drained more than one post's worth) cost nothing.
 *
 * Per-stream state is split by owner: the producer keeps which ids are open and the next
 * packet index of each (so it can number dropped packets); the writer keeps the file, the
 * Ogg writer and the next index it expects. They never read each other's half.
 *
 * Everything past the ring is off the tick, so the writer does plain blocking I/O and may
 * allocate (oggopus_create) when a stream begins.
 */
#include "media/record/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/spsc.h"
#include "media/record/ogg_opus.h"

#define FILLER_TOC 0xF8 /* CELT fullband 20 ms, code 0, until a real TOC is seen */

enum kind { ENTRY_BEGIN, ENTRY_PACKET, ENTRY_END };

struct begin_info {
	char subdir[RECORDER_NAME_MAX + 1]; /* "" for none */
	char name[RECORDER_NAME_MAX + 1];
	char room[RECORDER_ROOM_MAX + 1];
	char title[RECORDER_TITLE_MAX + 1];
	char date[RECORDER_DATE_MAX + 1];
	uint16_t pre_skip;
	uint32_t serial;
};

struct entry {
	uint8_t kind;
	uint8_t stream;
	uint16_t len;
	uint32_t samples;
	uint64_t index; /* PACKET: its index in the stream; END: packets in the stream */
	union {
		uint8_t pkt[RECORDER_MAX_PACKET];
		struct begin_info begin;
	} u;
};

/* The writer's half of a stream. */
struct wstream {
	bool open;
	bool failed;
	int fd;
	int dir_fd; /* the file's directory: the subdirectory's own, or -1 for the recorder's */
	struct oggopus *ogg;
	uint64_t next_index;
	uint32_t last_samples;
	uint8_t last_toc;
	struct recorder *r;
};

struct recorder {
	/* Shared. */
	struct base_spsc q;
	struct entry *ring; /* q's capacity of them */
	_Atomic bool stop, paused;
	sem_t wake;
	pthread_t thread;
	bool thread_started, stopped;
	int dir_fd;
	unsigned flush_packets;
	_Atomic uint64_t pushed, dropped, written, filled, files_done, io_errors;
	/* The producer's half of each stream. */
	bool p_open[RECORDER_MAX_STREAMS];
	uint64_t p_next[RECORDER_MAX_STREAMS];
	/* The writer's half. */
	struct wstream w[RECORDER_MAX_STREAMS];
};

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* --- Writer side ----------------------------------------------------------------------- */

static int write_page(void *arg, const uint8_t *h, size_t hlen, const uint8_t *b, size_t blen)
{
	struct wstream *s = arg;
	struct iovec iov[2] = {{(void *)h, hlen}, {(void *)b, blen}};
	int i = 0;
	while (i < 2) {
		ssize_t n = writev(s->fd, iov + i, 2 - i);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		size_t done = (size_t)n;
		while (i < 2 && done >= iov[i].iov_len)
			done -= iov[i++].iov_len;
		if (i < 2) {
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + done;
			iov[i].iov_len -= done;
		}
	}
	return 0;
}

static void stream_fail(struct wstream *s)
{
	if (!s->failed)
		count(&s->r->io_errors, 1);
	s->failed = true;
}

static enum media_err open_ogg(struct wstream *s, const struct begin_info *b)
{
	char room[RECORDER_ROOM_MAX + 8], title[RECORDER_TITLE_MAX + 16];
	char date[RECORDER_DATE_MAX + 8];
	snprintf(room, sizeof room, "ROOM=%s", b->room);
	snprintf(title, sizeof title, "SESSION=%s", b->title);
	snprintf(date, sizeof date, "DATE=%s", b->date);
	struct oggopus_config oc = {
	    .serial = b->serial,
	    .channels = 1,
	    .pre_skip = b->pre_skip,
	    .vendor = "plenary",
	    .tags = {room, title, date},
	    .flush_packets = s->r->flush_packets,
	    .on_page = write_page,
	    .arg = s,
	};
	enum media_err err = oggopus_create(&oc, &s->ogg);
	if (!err)
		err = oggopus_start(s->ogg);
	return err;
}

/* The directory the file goes in: the recorder's, or a subdirectory of it (made now). */
static int open_dir(struct recorder *r, const char *subdir)
{
	if (!subdir[0])
		return r->dir_fd;
	if (mkdirat(r->dir_fd, subdir, 0755) != 0 && errno != EEXIST)
		return -1;
	return openat(r->dir_fd, subdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void w_begin(struct recorder *r, struct wstream *s, const struct begin_info *b)
{
	char file[RECORDER_NAME_MAX + 8];
	snprintf(file, sizeof file, "%s.ogg", b->name);
	*s = (struct wstream){.open = true,
			      .fd = -1,
			      .dir_fd = -1,
			      .r = r,
			      .last_samples = 960,
			      .last_toc = FILLER_TOC};
	int dir = open_dir(r, b->subdir);
	if (dir >= 0 && dir != r->dir_fd)
		s->dir_fd = dir;
	if (dir >= 0)
		s->fd = openat(dir, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->fd < 0 || open_ogg(s, b) != MEDIA_OK)
		stream_fail(s);
}

static void w_write(struct wstream *s, const uint8_t *pkt, size_t len, uint32_t samples)
{
	if (s->failed)
		return;
	if (oggopus_write(s->ogg, pkt, len, samples) != MEDIA_OK)
		stream_fail(s);
}

/* Writes filler frames for packets the producer dropped, up to index. */
static void w_fill(struct wstream *s, uint64_t index)
{
	uint8_t filler = (uint8_t)(s->last_toc & 0xFC); /* same config, code 0, no data */
	for (; s->next_index < index; s->next_index++) {
		w_write(s, &filler, 1, s->last_samples);
		count(&s->r->filled, 1);
	}
}

static void w_packet(struct wstream *s, const struct entry *e)
{
	w_fill(s, e->index);
	w_write(s, e->u.pkt, e->len, e->samples);
	s->next_index = e->index + 1;
	s->last_toc = e->u.pkt[0];
	s->last_samples = e->samples;
	count(&s->r->written, 1);
}

static void w_end(struct wstream *s, uint64_t total)
{
	if (!s->open)
		return;
	w_fill(s, total);
	if (!s->failed && oggopus_finish(s->ogg) != MEDIA_OK)
		stream_fail(s);
	if (!s->failed && fsync(s->fd) != 0)
		stream_fail(s);
	if (!s->failed && fsync(s->dir_fd >= 0 ? s->dir_fd : s->r->dir_fd) != 0)
		stream_fail(s);
	if (!s->failed)
		count(&s->r->files_done, 1);
	if (s->fd >= 0)
		close(s->fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	oggopus_destroy(s->ogg);
	*s = (struct wstream){.fd = -1, .dir_fd = -1};
}

static void consume(struct recorder *r, const struct entry *e)
{
	struct wstream *s = &r->w[e->stream];
	switch (e->kind) {
	case ENTRY_BEGIN:
		w_begin(r, s, &e->u.begin);
		break;
	case ENTRY_PACKET:
		if (s->open)
			w_packet(s, e);
		break;
	case ENTRY_END:
		w_end(s, e->index);
		break;
	}
}

static void drain(struct recorder *r)
{
	size_t i;
	while (base_spsc_peek(&r->q, &i)) {
		consume(r, &r->ring[i]);
		base_spsc_release(&r->q);
	}
}

static void *writer_main(void *arg)
{
	struct recorder *r = arg;
	for (;;) {
		while (sem_wait(&r->wake) != 0 && errno == EINTR)
			;
		bool stopping = atomic_load(&r->stop);
		if (stopping || !atomic_load(&r->paused))
			drain(r);
		if (stopping)
			break;
	}
	/* Streams the producer never ended still get a complete file. */
	for (size_t i = 0; i < RECORDER_MAX_STREAMS; i++)
		w_end(&r->w[i], r->w[i].next_index);
	return NULL;
}

/* --- Producer side --------------------------------------------------------------------- */

/* The next free entry, or NULL when the ring is full. */
static struct entry *ring_reserve(struct recorder *r)
{
	size_t i;
	return base_spsc_reserve(&r->q, &i) ? &r->ring[i] : NULL;
}

static void ring_publish(struct recorder *r)
{
	base_spsc_publish(&r->q);
	sem_post(&r->wake);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* A plain file name: no '/', no leading '.', so it cannot leave the directory or hide. */
static bool valid_name(const char *name)
{
	size_t len = name ? strnlen(name, RECORDER_NAME_MAX + 1) : 0;
	if (len == 0 || len > RECORDER_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(name[i]))
			return false;
	return true;
}

/* Copies src (NULL = "") into dst[0..cap]; false when it does not fit. */
static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t len = src ? strnlen(src, cap + 1) : 0;
	if (len > cap)
		return false;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static bool fill_begin(struct begin_info *b, const struct recorder_session *s)
{
	b->pre_skip = s->pre_skip;
	b->serial = s->serial;
	b->subdir[0] = '\0';
	if (s->subdir &&
	    !(valid_name(s->subdir) && copy_str(b->subdir, RECORDER_NAME_MAX, s->subdir)))
		return false;
	return valid_name(s->name) && copy_str(b->name, RECORDER_NAME_MAX, s->name) &&
	       copy_str(b->room, RECORDER_ROOM_MAX, s->room) &&
	       copy_str(b->title, RECORDER_TITLE_MAX, s->title) &&
	       copy_str(b->date, RECORDER_DATE_MAX, s->date);
}

enum media_err recorder_begin(struct recorder *r, const struct recorder_session *s, int *stream)
{
	if (!r || !s || !stream)
		return MEDIA_ERR_PARAM;
	if (r->stopped)
		return MEDIA_ERR_STATE;
	int id = 0;
	while (id < RECORDER_MAX_STREAMS && r->p_open[id])
		id++;
	if (id == RECORDER_MAX_STREAMS)
		return MEDIA_ERR_FULL;
	struct entry *e = ring_reserve(r);
	if (!e)
		return MEDIA_ERR_FULL;
	if (!fill_begin(&e->u.begin, s))
		return MEDIA_ERR_PARAM;
	e->kind = ENTRY_BEGIN;
	e->stream = (uint8_t)id;
	ring_publish(r);
	r->p_open[id] = true;
	r->p_next[id] = s->lead_packets; /* the writer fills indices 0..lead with filler */
	*stream = id;
	return MEDIA_OK;
}

static bool open_stream(const struct recorder *r, int stream)
{
	return stream >= 0 && stream < RECORDER_MAX_STREAMS && r->p_open[stream];
}

enum media_err recorder_push(struct recorder *r, int stream, const uint8_t *pkt, size_t len,
			     uint32_t samples)
{
	if (!r || !pkt || len == 0 || len > RECORDER_MAX_PACKET || samples == 0)
		return MEDIA_ERR_PARAM;
	if (r->stopped)
		return MEDIA_ERR_STATE;
	if (!open_stream(r, stream))
		return MEDIA_ERR_STATE;
	uint64_t index = r->p_next[stream]++; /* numbered even if dropped: the gap is filled */
	struct entry *e = ring_reserve(r);
	if (!e) {
		count(&r->dropped, 1);
		return MEDIA_ERR_FULL;
	}
	e->kind = ENTRY_PACKET;
	e->stream = (uint8_t)stream;
	e->len = (uint16_t)len;
	e->samples = samples;
	e->index = index;
	memcpy(e->u.pkt, pkt, len);
	ring_publish(r);
	count(&r->pushed, 1);
	return MEDIA_OK;
}

enum media_err recorder_end(struct recorder *r, int stream)
{
	if (!r)
		return MEDIA_ERR_PARAM;
	if (r->stopped)
		return MEDIA_ERR_STATE;
	if (!open_stream(r, stream))
		return MEDIA_ERR_STATE;
	struct entry *e = ring_reserve(r);
	if (!e)
		return MEDIA_ERR_FULL;
	e->kind = ENTRY_END;
	e->stream = (uint8_t)stream;
	e->index = r->p_next[stream];
	ring_publish(r);
	r->p_open[stream] = false;
	return MEDIA_OK;
}

/* --- Lifecycle ------------------------------------------------------------------------- */

static bool valid_capacity(size_t c)
{
	return c >= 16 && c <= 65536 && (c & (c - 1)) == 0;
}

static enum media_err start(struct recorder *r, const struct recorder_config *cfg)
{
	size_t capacity = cfg->capacity ? cfg->capacity : RECORDER_DEFAULT_CAPACITY;
	r->flush_packets = cfg->flush_packets;
	atomic_init(&r->paused, cfg->paused);
	r->dir_fd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dir_fd < 0)
		return MEDIA_ERR_SYSTEM;
	if (!base_spsc_init(&r->q, capacity))
		return MEDIA_ERR_PARAM; /* checked in recorder_create: not reached */
	r->ring = calloc(capacity, sizeof *r->ring);
	if (!r->ring)
		return MEDIA_ERR_NOMEM;
	if (sem_init(&r->wake, 0, 0) != 0)
		return MEDIA_ERR_SYSTEM;
	if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
		sem_destroy(&r->wake);
		return MEDIA_ERR_SYSTEM;
	}
	r->thread_started = true;
	return MEDIA_OK;
}

enum media_err recorder_create(const struct recorder_config *cfg, struct recorder **out)
{
	if (!out || !cfg || !cfg->dir || (cfg->capacity && !valid_capacity(cfg->capacity)))
		return MEDIA_ERR_PARAM;
	struct recorder *r = aligned_alloc(BASE_SPSC_CACHE_LINE, sizeof *r); /* q's alignment */
	if (!r)
		return MEDIA_ERR_NOMEM;
	memset(r, 0, sizeof *r);
	r->dir_fd = -1;
	enum media_err err = start(r, cfg);
	if (err) {
		recorder_destroy(r);
		return err;
	}
	*out = r;
	return MEDIA_OK;
}

void recorder_resume(struct recorder *r)
{
	if (!r)
		return;
	atomic_store(&r->paused, false);
	sem_post(&r->wake);
}

void recorder_stop(struct recorder *r)
{
	if (!r || r->stopped)
		return;
	r->stopped = true;
	if (!r->thread_started)
		return;
	atomic_store(&r->stop, true);
	sem_post(&r->wake);
	pthread_join(r->thread, NULL);
	sem_destroy(&r->wake);
}

void recorder_destroy(struct recorder *r)
{
	if (!r)
		return;
	recorder_stop(r);
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	free(r->ring);
	free(r);
}

void recorder_get_stats(const struct recorder *r, struct recorder_stats *out)
{
	if (!r || !out)
		return;
	out->pushed = atomic_load_explicit(&r->pushed, memory_order_relaxed);
	out->dropped = atomic_load_explicit(&r->dropped, memory_order_relaxed);
	out->written = atomic_load_explicit(&r->written, memory_order_relaxed);
	out->filled = atomic_load_explicit(&r->filled, memory_order_relaxed);
	out->files_done = atomic_load_explicit(&r->files_done, memory_order_relaxed);
	out->io_errors = atomic_load_explicit(&r->io_errors, memory_order_relaxed);
}
