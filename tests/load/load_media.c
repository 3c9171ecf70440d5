/*
 * load_media -- see load_media.h.
 *
 * Ownership: a peer is allocated by the signalling thread and kept on the media's list
 * for the report; its client belongs to the signalling thread until load_media_start
 * pushes it into a thread's inbox, and to that thread afterwards. The only fields both
 * threads touch are the atomics of struct load_peer (state, connected, first audio), the
 * window bounds and the burst send times; the report reads the rest after the threads
 * are joined.
 *
 * A thread's receiving, sending and timers are in load_media_io.c, a sampled peer's
 * decoding and onsets in load_media_onset.c, the report in load_media_report.c.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "load_media_internal.h"

uint64_t load_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t load_real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void adopt(struct rx_thread *t, struct load_peer *p)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct load_peer **v = realloc(t->peers, cap * sizeof *v);
		if (v == NULL)
			return; /* the peer is never serviced: it will show as not connected */
		t->peers = v;
		t->cap = cap;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, p->fd, &ev) != 0)
		return;
	t->peers[t->n++] = p;
	if (p->speaker && t->n_speakers < MAX_SPEAKERS)
		t->speakers[t->n_speakers++] = p;
	client_tick(p->c, load_mono_us() / 1000); /* the first check goes out now */
	load_peer_mirror_state(p);
}

static void drain_inbox(struct rx_thread *t)
{
	uint64_t v;
	if (read(t->evfd, &v, sizeof v) < 0) {
		/* nothing to read: another wake-up got it */
	}
	pthread_mutex_lock(&t->mu);
	struct load_peer *list = t->inbox;
	t->inbox = NULL;
	pthread_mutex_unlock(&t->mu);
	while (list) {
		struct load_peer *p = list;
		list = p->next_in;
		adopt(t, p);
	}
}

/* The next time something is due: a load_media_tick, or a speaker's next frame. */
static uint64_t next_due(const struct rx_thread *t, uint64_t next_tick_us)
{
	uint64_t until = next_tick_us;
	for (size_t i = 0; i < t->n_speakers; i++)
		if (t->speakers[i]->next_send_us && t->speakers[i]->next_send_us < until)
			until = t->speakers[i]->next_send_us;
	return until;
}

static void drain_timer(struct rx_thread *t)
{
	uint64_t expirations;
	if (read(t->timer_fd, &expirations, sizeof expirations) < 0) {
		/* not expired after all: load_media_speak goes by the clock anyway */
	}
}

/* Everything ready, MAX_EVENTS at a time; the first wait may block for timeout_ms. */
static void receive_ready(struct rx_thread *t, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n;
	do {
		n = epoll_wait(t->ep, evs, MAX_EVENTS, timeout_ms);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				drain_inbox(t);
			else if (evs[i].data.ptr == t)
				drain_timer(t);
			else
				load_media_receive(t, evs[i].data.ptr);
		}
		timeout_ms = 0;
	} while (n == MAX_EVENTS);
}

/* A busy thread sleeps out the rest of PACE_US after each turn, so datagrams gather in
 * their sockets and one wake-up reads hundreds of them instead of one: the generator's
 * cost per packet stays low enough for thousands of listeners on one core. Nothing
 * measured suffers: sampled listeners' arrival times are the kernel's, and a speaker
 * notes the real time of each send. */
static void pace(uint64_t woke_us, uint64_t due_us)
{
	uint64_t until = woke_us + PACE_US < due_us ? woke_us + PACE_US : due_us;
	uint64_t now = load_mono_us();
	if (until > now) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(until - now) * 1000};
		nanosleep(&ts, NULL);
	}
}

static void *thread_main(void *arg)
{
	struct rx_thread *t = arg;
	uint64_t next_tick = load_mono_us();
	while (!atomic_load(&t->m->stop)) {
		uint64_t now = load_mono_us(), due = next_due(t, next_tick);
		receive_ready(t, due > now ? (int)((due - now + 999) / 1000) : 0);
		uint64_t woke = load_mono_us();
		for (size_t i = 0; i < t->n_speakers; i++)
			load_media_speak(t->speakers[i], woke);
		if (woke >= next_tick) {
			load_media_tick(t, woke);
			next_tick = woke + TICK_US;
		}
		pace(woke, next_due(t, next_tick));
	}
	return NULL;
}

/* The speakers' thread: their frames go out on a timer of absolute deadlines, the
 * schedule's own grid (t0 + 20k ms; a periodic timerfd does not drift), on a thread that
 * has nothing else to do. On a listener thread a frame waited for a whole turn of
 * receiving, which with thousands of listeners on a loaded machine made the speakers
 * late, then skip frames: the room then sent fewer than 50 packets a second. On a
 * machine busy with other work a timer is not enough (the thread waited 200-400 ms for a
 * CPU at nice -10), so it asks for SCHED_FIFO at the lowest real-time priority: a few
 * sends per 20 ms, which no other thread can then delay. Without the privilege it stays
 * as it is, and the report says so. */
static void *speaker_main(void *arg)
{
	struct rx_thread *t = arg;
	struct sched_param sp = {.sched_priority = 1};
	atomic_store(&t->m->speakers_realtime,
		     pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0);
	while (!atomic_load(&t->m->stop)) {
		receive_ready(t, -1); /* the timer, a speaker's datagram, the inbox, or stop */
		uint64_t now = load_mono_us();
		for (size_t i = 0; i < t->n_speakers; i++)
			load_media_speak(t->speakers[i], now);
		load_media_tick(t, now);
	}
	return NULL;
}

static bool arm_timer(struct rx_thread *t)
{
	uint64_t first = t->m->t0_us + FRAME_US;
	struct itimerspec its = {.it_interval = {.tv_sec = 0, .tv_nsec = FRAME_US * 1000L},
				 .it_value = {.tv_sec = (time_t)(first / 1000000u),
					      .tv_nsec = (long)(first % 1000000u) * 1000L}};
	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = t};
	return t->timer_fd >= 0 &&
	       timerfd_settime(t->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0 &&
	       epoll_ctl(t->ep, EPOLL_CTL_ADD, t->timer_fd, &ev) == 0;
}

static bool thread_init(struct rx_thread *t, struct load_media *m, bool speakers_only)
{
	t->m = m;
	t->speakers_only = speakers_only;
	t->timer_fd = -1;
	pthread_mutex_init(&t->mu, NULL);
	sample_set_init(&t->lat, LATENCY_MAX);
	sample_set_init(&t->echo_lat, LATENCY_MAX);
	sample_set_init(&t->send_late, LATENCY_MAX);
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (t->ep < 0 || t->evfd < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, t->evfd, &ev) != 0 ||
	    (speakers_only && !arm_timer(t)))
		return false;
	t->running =
	    pthread_create(&t->th, NULL, speakers_only ? speaker_main : thread_main, t) == 0;
	return t->running;
}

struct load_media *load_media_create(const struct load_media_config *cfg, char *why, size_t cap)
{
	if (cfg->threads < 1 || cfg->threads > LOAD_MEDIA_MAX_THREADS || cfg->tone == NULL) {
		snprintf(why, cap, "media: 1..%d threads and a tone are needed",
			 LOAD_MEDIA_MAX_THREADS);
		return NULL;
	}
	struct load_media *m = calloc(1, sizeof *m);
	/* threads[0] is the speakers', the others the listeners' */
	struct rx_thread *threads = calloc(cfg->threads + 1, sizeof *threads);
	if (m == NULL || threads == NULL) {
		free(m);
		free(threads);
		snprintf(why, cap, "media: out of memory");
		return NULL;
	}
	m->tone = cfg->tone;
	m->speech = cfg->speech;
	m->threads = threads;
	m->t0_us = load_mono_us();
	pthread_mutex_init(&m->list_mu, NULL);
	atomic_store(&m->win_start_us, UINT64_MAX);
	atomic_store(&m->win_end_us, UINT64_MAX);
	for (unsigned i = 0; i <= cfg->threads; i++) {
		m->n_threads = i + 1;
		if (!thread_init(&threads[i], m, i == 0)) {
			snprintf(why, cap, "media: thread %u could not start", i);
			load_media_destroy(m);
			return NULL;
		}
	}
	return m;
}

void load_media_stop(struct load_media *m)
{
	atomic_store(&m->stop, true);
	for (unsigned i = 0; i < m->n_threads; i++) {
		struct rx_thread *t = &m->threads[i];
		uint64_t one = 1;
		if (t->evfd >= 0 && write(t->evfd, &one, sizeof one) < 0) {
			/* the thread still wakes at its next tick */
		}
		if (t->running)
			pthread_join(t->th, NULL);
		t->running = false;
	}
}

void load_media_destroy(struct load_media *m)
{
	if (m == NULL)
		return;
	load_media_stop(m);
	while (m->all) {
		struct load_peer *p = m->all;
		m->all = p->next_all;
		client_destroy(p->c);
		codec_decoder_destroy(p->dec);
		free(p);
	}
	for (unsigned i = 0; i < m->n_threads; i++) {
		struct rx_thread *t = &m->threads[i];
		if (t->ep >= 0)
			close(t->ep);
		if (t->evfd >= 0)
			close(t->evfd);
		if (t->timer_fd >= 0)
			close(t->timer_fd);
		free(t->peers);
		sample_set_fini(&t->lat);
		sample_set_fini(&t->echo_lat);
		sample_set_fini(&t->send_late);
		pthread_mutex_destroy(&t->mu);
	}
	pthread_mutex_destroy(&m->list_mu);
	free(m->threads);
	free(m);
}

struct load_peer *load_peer_add(struct load_media *m, struct client *c, bool speaker, bool sampled)
{
	struct load_peer *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->m = m;
	p->c = c;
	p->fd = client_fd(c);
	p->speaker = speaker;
	p->sampled = sampled;
	seq_track_init(&p->all);
	seq_track_init(&p->win);
	atomic_store(&p->state, (int)client_state(c));
	if (sampled && !load_peer_sample(p)) {
		codec_decoder_destroy(p->dec);
		free(p);
		return NULL;
	}
	pthread_mutex_lock(&m->list_mu);
	if (speaker && !m->have_primary)
		p->primary = m->have_primary = true;
	p->next_all = m->all;
	m->all = p;
	pthread_mutex_unlock(&m->list_mu);
	return p;
}

struct load_peer *load_voice_add(struct load_media *m, struct client *c,
				 const struct interp_voice *voice)
{
	/* Not the primary: the floor speaker's bursts are the timed ones. */
	pthread_mutex_lock(&m->list_mu);
	bool had = m->have_primary;
	m->have_primary = true;
	pthread_mutex_unlock(&m->list_mu);
	struct load_peer *p = load_peer_add(m, c, true, false);
	pthread_mutex_lock(&m->list_mu);
	m->have_primary = had;
	pthread_mutex_unlock(&m->list_mu);
	if (p)
		p->voice = voice;
	return p;
}

void load_peer_expect(struct load_peer *p, int ch, unsigned n)
{
	p->expect_ch = ch;
	p->n_ch = n;
}

void load_media_start(struct load_media *m, struct load_peer *p)
{
	struct rx_thread *t =
	    p->speaker ? &m->threads[0] : &m->threads[1 + m->next_thread++ % (m->n_threads - 1)];
	p->t = t;
	atomic_store(&p->started, true);
	pthread_mutex_lock(&t->mu);
	p->next_in = t->inbox;
	t->inbox = p;
	pthread_mutex_unlock(&t->mu);
	uint64_t one = 1;
	if (write(t->evfd, &one, sizeof one) < 0) {
		/* the counter is full: the thread is awake already */
	}
}

void load_peer_view(const struct load_peer *p, struct peer_view *out)
{
	out->state = (enum client_state)atomic_load(&p->state);
	out->connected_ms = atomic_load(&p->connected_ms);
	out->first_audio_ms = atomic_load(&p->first_audio_ms);
	out->started = atomic_load(&p->started);
}

void load_media_window(struct load_media *m, uint64_t start_us, uint64_t end_us)
{
	atomic_store(&m->win_end_us, end_us);
	atomic_store(&m->win_start_us, start_us);
}
