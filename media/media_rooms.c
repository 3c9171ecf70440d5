/*
 * media_rooms -- rooms as the gateway thread's media side knows them: each room is pinned
 * to one worker (its pin), and its session is recorded while live.
 *
 * A pin is made when a room first has audio (an offer or a session) and is never freed
 * before media_destroy: it holds the room's SSRC, which every answer of the room names
 * and so must not change while any browser may still hear the room, and the statistics
 * the worker's mixer publishes (which that worker may write until it has let the room
 * go). There are as many pins as rooms ever had audio, which rooms/ bounds. A room moves
 * to the least loaded worker only when it has neither peers nor a live session, i.e.
 * when nothing of it is on any worker.
 *
 * Recordings are named here, where the files can be looked at without touching the
 * tick: <recordings>/<room>/<start_ms>-NN.ogg, NN the first part number not taken, so a
 * process that restarts during a session starts part 02 rather than overwrite part 01.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/rand.h>

#include "media/media_internal.h"

/* --- rooms pinned to workers -------------------------------------------------------- */

static struct room_pin *pin_find(const struct media *m, const char *room)
{
	for (size_t i = 0; i < m->n_pins; i++)
		if (strcmp(m->pins[i]->room, room) == 0)
			return m->pins[i];
	return NULL;
}

static unsigned least_loaded(const struct media *m)
{
	unsigned best = 0;
	for (unsigned i = 1; i < m->n_workers; i++)
		if (m->worker_peers[i] < m->worker_peers[best])
			best = i;
	return best;
}

struct room_pin *media_pin_get(struct media *m, const char *room)
{
	struct room_pin *pin = pin_find(m, room);
	if (pin)
		return pin;
	if (m->n_pins == m->cap_pins) {
		size_t cap = m->cap_pins ? m->cap_pins * 2 : 16;
		struct room_pin **grown = realloc(m->pins, cap * sizeof *grown);
		if (grown == NULL)
			return NULL;
		m->pins = grown;
		m->cap_pins = cap;
	}
	pin = calloc(1, sizeof *pin);
	if (pin == NULL || RAND_bytes((unsigned char *)&pin->ssrc, sizeof pin->ssrc) != 1) {
		free(pin);
		return NULL;
	}
	pin->ssrc |= 1u; /* never 0, which some stacks treat as "none" */
	snprintf(pin->room, sizeof pin->room, "%s", room);
	pin->worker = least_loaded(m);
	m->pins[m->n_pins++] = pin;
	return pin;
}

unsigned media_pin_worker(struct media *m, struct room_pin *pin)
{
	if (pin->peers == 0 && !pin->live)
		pin->worker = least_loaded(m);
	return pin->worker;
}

void media_pin_remove(struct media *m, const char *room, unsigned worker)
{
	m->worker_peers[worker]--;
	struct room_pin *pin = pin_find(m, room);
	if (pin != NULL && pin->peers > 0)
		pin->peers--;
}

/* --- sessions and recordings -------------------------------------------------------- */

/* <dir>/<room>/<start_ms>-NN.ogg with the first NN not taken: a process that restarts
 * during a session starts a new file rather than overwrite the first part. */
static void recording_name(const struct media *m, const char *room, int64_t start_ms, char *name,
			   size_t cap)
{
	for (unsigned part = 1; part < 100; part++) {
		snprintf(name, cap, "%013lld-%02u", (long long)start_ms, part);
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s/%s.ogg",
			 m->recordings_dir ? m->recordings_dir : ".", room, name);
		if (!m->recordings_dir || stat(path, &st) != 0)
			return;
	}
}

static void iso_date(int64_t ms, char *out, size_t cap)
{
	if (ms < 0)
		ms = 0;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	/* The compiler cannot bound the fields: format into a roomy buffer, then copy. */
	char buf[96];
	int n =
	    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	size_t len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
	memcpy(out, buf, len);
	out[len] = '\0';
}

enum media_err media_room_session(struct media *m, const char *room, bool live, const char *title,
				  int64_t start_ms)
{
	if (m == NULL || room == NULL || room[0] == '\0' || strlen(room) > MEDIA_ROOM_MAX)
		return MEDIA_ERR_PARAM;
	struct room_pin *pin = media_pin_get(m, room);
	struct worker_session *s = pin ? calloc(1, sizeof *s) : NULL;
	if (s == NULL)
		return MEDIA_ERR_NOMEM;
	if (start_ms <= 0) { /* unknown: the session starts now, as far as the file knows */
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		start_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	}
	unsigned worker = media_pin_worker(m, pin); /* before live is set: a new room may move */
	pin->live = live;
	snprintf(s->room, sizeof s->room, "%s", room);
	s->live = live;
	s->ssrc = pin->ssrc;
	s->stats = &pin->stats;
	s->start_ms = start_ms;
	if (live) {
		recording_name(m, room, start_ms, s->name, sizeof s->name);
		snprintf(s->title, sizeof s->title, "%s", title ? title : "");
		iso_date(start_ms, s->date, sizeof s->date);
		if (RAND_bytes((unsigned char *)&s->serial, sizeof s->serial) != 1)
			s->serial = pin->ssrc;
	}
	/* Like CLOSE, a session's start or end must not be lost: wait for room. */
	worker_post_wait(m->workers[worker], &(struct ring_msg){.type = WORKER_SESSION, .ptr = s});
	return MEDIA_OK;
}

/* Whether name is a recording of channel ch: <base>.ogg for the floor (no ".ch" in it),
 * <base>.ch<ch>.ogg for a booth. */
static bool recording_of(const char *name, unsigned ch)
{
	size_t n = strlen(name);
	if (name[0] == '.' || n < 5 || strcmp(name + n - 4, ".ogg") != 0)
		return false;
	const char *mark = strstr(name, ".ch");
	if (ch == 0)
		return mark == NULL;
	char tail[24];
	snprintf(tail, sizeof tail, ".ch%u.ogg", ch);
	return mark != NULL && strcmp(mark, tail) == 0;
}

bool media_recording_latest(const struct media *m, const char *room, unsigned ch, char *path,
			    size_t cap)
{
	if (m == NULL || m->recordings_dir == NULL || room == NULL || strchr(room, '/') ||
	    room[0] == '.' || strlen(room) > MEDIA_ROOM_MAX)
		return false;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", m->recordings_dir, room);
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	char best[256] = "";
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strlen(e->d_name) >= sizeof best || !recording_of(e->d_name, ch))
			continue;
		if (strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof best, "%s", e->d_name);
	}
	closedir(d);
	if (best[0] == '\0')
		return false;
	int n = snprintf(path, cap, "%s/%s", dir, best);
	return n > 0 && (size_t)n < cap;
}

bool media_room_at(const struct media *m, size_t i, struct media_room_info *out)
{
	if (m == NULL || i >= m->n_pins)
		return false;
	const struct room_pin *pin = m->pins[i];
	const struct mixer_room_stats *st = &pin->stats;
	*out = (struct media_room_info){
	    .room = pin->room,
	    .listeners = atomic_load_explicit(&st->listeners, memory_order_relaxed),
	    .open_mics = atomic_load_explicit(&st->open_mics, memory_order_relaxed),
	    .packets_sent = atomic_load_explicit(&st->packets_sent, memory_order_relaxed),
	    .forwarding = atomic_load_explicit(&st->forwarding, memory_order_relaxed) != 0,
	    .recording = atomic_load_explicit(&st->recording, memory_order_relaxed) != 0};
	return true;
}
