/*
 * load_ogg -- see load_ogg.h. One thread reads every client; the signalling thread only
 * connects them (a non-blocking connect and epoll_ctl, both safe from any thread) and
 * reads their atomics.
 */
#include "load_ogg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_BUF 65536
#define EVENTS	 256

struct ogg_client {
	int fd;
	bool sent; /* the request went out */
	struct ogg_reader rd;
	struct ogg_count at_start, at_end; /* rd.count when the window opened and closed */
	bool noted_start, noted_end;
	_Atomic uint64_t connected_ms, first_audio_ms;
	_Atomic bool failed; /* set after why, so why is complete when it reads true */
	char why[96];
};

struct load_ogg {
	struct sockaddr_in addr;
	char request[512];
	size_t request_len;
	unsigned n;
	struct ogg_client *c;
	int epfd;
	pthread_t thread;
	bool running;
	_Atomic bool stop;
	_Atomic uint64_t window_start_us, window_end_us;
	uint8_t buf[READ_BUF];
};

static void client_fail(struct load_ogg *o, struct ogg_client *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void client_fail(struct load_ogg *o, struct ogg_client *c, const char *fmt, ...)
{
	if (atomic_load(&c->failed))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	atomic_store_explicit(&c->failed, true, memory_order_release);
	if (c->fd >= 0) {
		(void)epoll_ctl(o->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

static void on_writable(struct load_ogg *o, struct ogg_client *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		client_fail(o, c, "connect: %s", strerror(err ? err : errno));
		return;
	}
	/* The request is a few hundred bytes: a fresh socket's buffer takes it whole. */
	ssize_t w = send(c->fd, o->request, o->request_len, MSG_NOSIGNAL);
	if (w != (ssize_t)o->request_len) {
		client_fail(o, c, "sending the request: %s", w < 0 ? strerror(errno) : "short");
		return;
	}
	c->sent = true;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (epoll_ctl(o->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		client_fail(o, c, "epoll_ctl: %s", strerror(errno));
}

static void note_progress(struct ogg_client *c)
{
	uint64_t now = load_mono_us() / 1000;
	if (atomic_load_explicit(&c->connected_ms, memory_order_relaxed) == 0 &&
	    ogg_reader_streaming(&c->rd))
		atomic_store(&c->connected_ms, now);
	if (atomic_load_explicit(&c->first_audio_ms, memory_order_relaxed) == 0 &&
	    c->rd.count.packets > 0)
		atomic_store(&c->first_audio_ms, now);
}

static void on_readable(struct load_ogg *o, struct ogg_client *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, o->buf, sizeof o->buf, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			client_fail(o, c, "%s",
				    r == 0 ? "the server closed the stream" : strerror(errno));
			return;
		}
		if (!ogg_reader_feed(&c->rd, o->buf, (size_t)r)) {
			client_fail(o, c, "stream: %s", c->rd.error);
			return;
		}
		if (r < (ssize_t)sizeof o->buf)
			break;
	}
	note_progress(c);
}

/* Every client's counts when the window opens and when it closes: each client is only
 * touched by this thread, so the notes and the counts agree. */
static void note_window(struct load_ogg *o)
{
	uint64_t start = atomic_load(&o->window_start_us), end = atomic_load(&o->window_end_us);
	if (start == 0)
		return;
	uint64_t now = load_mono_us();
	for (unsigned i = 0; i < o->n; i++) {
		struct ogg_client *c = &o->c[i];
		if (!c->noted_start && now >= start) {
			c->at_start = c->rd.count;
			c->noted_start = true;
		}
		if (!c->noted_end && now >= end) {
			c->at_end = c->rd.count;
			c->noted_end = true;
		}
	}
}

static void *run(void *arg)
{
	struct load_ogg *o = arg;
	while (!atomic_load(&o->stop)) {
		struct epoll_event ev[EVENTS];
		int n = epoll_wait(o->epfd, ev, EVENTS, 10);
		for (int i = 0; i < n; i++) {
			struct ogg_client *c = ev[i].data.ptr;
			if (c->fd < 0)
				continue;
			if (!c->sent)
				on_writable(o, c);
			else
				on_readable(o, c);
		}
		note_window(o);
	}
	return NULL;
}

struct load_ogg *load_ogg_create(const char *host, int port, const char *room, unsigned n,
				 char *why, size_t cap)
{
	struct load_ogg *o = calloc(1, sizeof *o);
	if (!o || !(o->c = calloc(n ? n : 1, sizeof *o->c))) {
		snprintf(why, cap, "out of memory for %u listen.ogg clients", n);
		free(o);
		return NULL;
	}
	o->n = n;
	o->epfd = -1;
	for (unsigned i = 0; i < n; i++) {
		o->c[i].fd = -1;
		ogg_reader_init(&o->c[i].rd);
	}
	o->addr.sin_family = AF_INET;
	o->addr.sin_port = htons((uint16_t)port);
	int len = snprintf(o->request, sizeof o->request,
			   "GET /api/rooms/%s/listen.ogg HTTP/1.1\r\nHost: %s:%d\r\n"
			   "User-Agent: plenary-load\r\nAccept: audio/ogg\r\n\r\n",
			   room, host, port);
	if (inet_pton(AF_INET, host, &o->addr.sin_addr) != 1 || len <= 0 ||
	    (size_t)len >= sizeof o->request) {
		snprintf(why, cap, "listen.ogg: %s is not a numeric IPv4 address", host);
		load_ogg_destroy(o);
		return NULL;
	}
	o->request_len = (size_t)len;
	o->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (o->epfd < 0 || pthread_create(&o->thread, NULL, run, o) != 0) {
		snprintf(why, cap, "listen.ogg thread: %s", strerror(errno));
		load_ogg_destroy(o);
		return NULL;
	}
	o->running = true;
	return o;
}

bool load_ogg_add(struct load_ogg *o, unsigned i)
{
	struct ogg_client *c = &o->c[i];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		client_fail(o, c, "socket: %s", strerror(errno));
		return false;
	}
	if (connect(fd, (struct sockaddr *)&o->addr, sizeof o->addr) != 0 && errno != EINPROGRESS) {
		client_fail(o, c, "connect: %s", strerror(errno));
		close(fd);
		return false;
	}
	c->fd = fd; /* before epoll_ctl: the thread may see it at once */
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	if (epoll_ctl(o->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		c->fd = -1;
		close(fd);
		client_fail(o, c, "epoll_ctl: %s", strerror(errno));
		return false;
	}
	return true;
}

void load_ogg_view(const struct load_ogg *o, unsigned i, struct peer_view *out)
{
	const struct ogg_client *c = &o->c[i];
	memset(out, 0, sizeof *out);
	out->connected_ms = atomic_load(&c->connected_ms);
	out->first_audio_ms = atomic_load(&c->first_audio_ms);
	out->started = true;
	out->state = atomic_load_explicit(&c->failed, memory_order_acquire) ? CLIENT_FAILED
		     : out->connected_ms				    ? CLIENT_CONNECTED
									    : CLIENT_NEW;
}

const char *load_ogg_failed(const struct load_ogg *o, unsigned i)
{
	const struct ogg_client *c = &o->c[i];
	return atomic_load_explicit(&c->failed, memory_order_acquire) ? c->why : NULL;
}

void load_ogg_window(struct load_ogg *o, uint64_t start_us, uint64_t end_us)
{
	atomic_store(&o->window_end_us, end_us);
	atomic_store(&o->window_start_us, start_us);
}

void load_ogg_stop(struct load_ogg *o)
{
	if (!o || !o->running)
		return;
	atomic_store(&o->stop, true);
	pthread_join(o->thread, NULL);
	o->running = false;
}

void load_ogg_destroy(struct load_ogg *o)
{
	if (!o)
		return;
	load_ogg_stop(o);
	for (unsigned i = 0; i < o->n; i++)
		if (o->c[i].fd >= 0)
			close(o->c[i].fd);
	if (o->epfd >= 0)
		close(o->epfd);
	free(o->c);
	free(o);
}

static void add_counts(struct ogg_count *sum, const struct ogg_count *a, const struct ogg_count *b)
{
	sum->pages += b->pages - a->pages;
	sum->packets += b->packets - a->packets;
	sum->samples += b->samples - a->samples;
	sum->lost_samples += b->lost_samples - a->lost_samples;
	sum->seq_gaps += b->seq_gaps - a->seq_gaps;
	sum->bytes += b->bytes - a->bytes;
}

void load_ogg_report(const struct load_ogg *o, struct ogg_report *out)
{
	memset(out, 0, sizeof *out);
	for (unsigned i = 0; i < o->n; i++) {
		const struct ogg_client *c = &o->c[i];
		if (atomic_load(&c->connected_ms))
			out->connected++;
		if (atomic_load(&c->first_audio_ms))
			out->heard++;
		if (!c->noted_start || !c->noted_end)
			continue;
		if (c->at_end.packets > c->at_start.packets)
			out->heard_in_window++;
		else if (atomic_load(&c->connected_ms))
			out->silent++;
		add_counts(&out->window, &c->at_start, &c->at_end);
	}
}
