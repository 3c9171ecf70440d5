/*
 * load_media -- see load_media.h.
 *
 * Ownership: a peer is allocated by the signalling thread and kept on the media's list
 * for the report; its client belongs to the signalling thread until load_media_start
 * pushes it into a thread's inbox, and to that thread afterwards. The only fields both
 * threads touch are the atomics of struct load_peer (state, connected, first audio), the
 * window bounds and the burst send times; the report reads the rest after the threads
 * are joined.
 */
#include "load_media.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "load_interp.h"
#include "load_onset.h"

#define BATCH	     32
#define DGRAM_MAX    2048
#define TICK_US	     20000 /* ICE checks go every 50 ms at most: a tick per 20 ms keeps up */
#define FRAME_US     20000
#define MAX_BURSTS   8192 /* 2 h 16 min of 1 s bursts */
#define MATCH_BACK   10	  /* bursts looked at for a match: burst_ids (at most 8) + 2 */
#define LATENCY_MAX  500000
#define PACE_US	     2000 /* a busy thread wakes at most this often */
#define MAX_EVENTS   256
#define MAX_SPEAKERS 16

struct rx_thread;

struct load_peer {
	struct load_media *m;
	struct rx_thread *t;
	struct client *c;
	int fd; /* client_fd(c), kept here: the receive loop asks for it per wake-up */
	struct load_peer *next_all, *next_in;
	bool speaker, sampled, primary;
	const struct interp_voice *voice;   /* an interpreter: its booth's tone */
	int expect_ch;			    /* a sampled channel listener: its channel */
	unsigned n_ch;			    /* channels to tell apart, 0: a floor listener */
	uint64_t ch_ok, ch_wrong, ch_quiet; /* frames in the window: its booth, another, none */
	_Atomic int state;
	_Atomic uint64_t connected_ms, first_audio_ms;
	_Atomic bool started;
	/* owned by the media thread */
	struct seq_track all, win;
	struct codec_decoder *dec;
	struct onset_detector od;
	struct highpass hp; /* before od, when a speech source plays (load_speech.h) */
	uint16_t last_seq;
	uint32_t last_ts;
	bool have_last, gap, pending;
	uint64_t arrival_ns, next_send_us, pending_ns;
};

struct rx_thread {
	struct load_media *m;
	pthread_t th;
	bool running;
	bool speakers_only; /* the speakers' thread (below), woken by timer_fd */
	int ep, evfd, timer_fd;
	pthread_mutex_t mu;
	struct load_peer *inbox;
	struct load_peer **peers;
	size_t n, cap;
	struct load_peer *speakers[MAX_SPEAKERS];
	size_t n_speakers;
	struct sample_set lat, echo_lat;
	struct sample_set send_late; /* ms a speaker's frame left after it was due */
	uint64_t unmatched, after_gap, decode_errors, decoded, onsets, sent, sent_win, send_errors,
	    speaker_rx;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	_Alignas(8) char ctrl[BATCH][64];
	_Alignas(8) uint8_t buf[BATCH][DGRAM_MAX];
};

struct load_media {
	const struct load_tone *tone;
	const struct load_speech *speech;
	unsigned n_threads, next_thread;
	struct rx_thread *threads;
	_Atomic bool stop;
	_Atomic uint64_t win_start_us, win_end_us;
	uint64_t t0_us; /* the speakers' schedule: frame k is due at t0 + 20k ms */
	pthread_mutex_t list_mu;
	struct load_peer *all;
	bool have_primary;
	_Atomic uint64_t burst_ns[MAX_BURSTS]; /* wall-clock send time of each burst, 0 unknown */
	_Atomic bool speakers_realtime;	       /* the speakers' thread got SCHED_FIFO */
};

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

static bool in_window(const struct load_media *m, uint64_t now_us)
{
	return now_us >= atomic_load_explicit(&m->win_start_us, memory_order_relaxed) &&
	       now_us < atomic_load_explicit(&m->win_end_us, memory_order_relaxed);
}

/* More than a second skipped is a pause, not a DTX stretch to fill. */
#define DTX_SILENCE_MAX_FRAMES 50

/* --- onsets: a sampled peer decodes, and times each burst it hears ------------------- */

/* The send time of the burst a listener heard start at wall time t with id `id`, from the
 * last few bursts sent (tone_match_burst); 0 if none. */
static uint64_t matching_burst(struct load_media *m, uint64_t t, int id)
{
	const struct tone_config *cfg = &m->tone->cfg;
	uint64_t sent[MATCH_BACK];
	size_t n = (size_t)cfg->burst_ids + 2;
	uint64_t now_us = load_mono_us();
	uint64_t b =
	    (now_us > m->t0_us ? (now_us - m->t0_us) / FRAME_US : 0) / (uint64_t)cfg->period_frames;
	if (n > b + 1)
		n = (size_t)b + 1;
	uint64_t first = b + 1 - n;
	for (size_t i = 0; i < n; i++)
		sent[i] = atomic_load(&m->burst_ns[(first + i) % MAX_BURSTS]);
	return tone_match_burst(cfg, sent, first, n, id, t);
}

/* An onset: where it was heard, to be matched once its crossings name the burst. */
static void begin_onset(struct load_peer *p, long at)
{
	p->pending = false;
	if (!in_window(p->m, load_mono_us()))
		return;
	if (p->gap) { /* the burst's first frame may be the one lost: not a clean mark */
		p->t->after_gap++;
		return;
	}
	p->pending = true;
	p->pending_ns = p->arrival_ns + (uint64_t)at * 1000000000u / CODEC_RATE;
}

static void note_onset(struct load_peer *p, long crossings)
{
	struct rx_thread *t = p->t;
	p->pending = false;
	int id = tone_id_of_crossings(&p->m->tone->cfg, (uint32_t)crossings);
	uint64_t heard = p->pending_ns;
	uint64_t sent = matching_burst(p->m, heard, id);
	if (sent == 0) {
		t->unmatched++;
		return;
	}
	double ms =
	    ((double)(heard - sent) - (double)p->m->tone->baseline * 1e9 / CODEC_RATE) / 1e6;
	(void)sample_set_add(p->speaker ? &t->echo_lat : &t->lat, ms);
}

static void on_audio(void *ctx, const struct rtp_header *h)
{
	struct load_peer *p = ctx;
	int16_t pcm[CODEC_FRAME];
	p->gap = p->have_last && (uint16_t)(h->seq - p->last_seq) != 1;
	/* A sender in DTX (Plenary's mix, an AudioBridge) sends nothing while quiet: frames
	 * skipped by the timestamp with no sequence gap are silence, and arm the detector. */
	uint32_t frames = p->have_last ? (h->timestamp - p->last_ts) / CODEC_FRAME : 1;
	if (!p->gap && frames > 1) {
		static const int16_t quiet[CODEC_FRAME];
		for (uint32_t i = 1; i < frames && i <= DTX_SILENCE_MAX_FRAMES; i++)
			(void)onset_feed(&p->od, quiet, CODEC_FRAME);
	}
	p->last_seq = h->seq;
	p->last_ts = h->timestamp;
	p->have_last = true;
	if (codec_decode(p->dec, h->payload, h->payload_len, pcm) != MEDIA_OK) {
		p->t->decode_errors++;
		return;
	}
	p->t->decoded++;
	if (p->n_ch && p->expect_ch >= 0) {
		if (in_window(p->m, load_mono_us())) {
			int heard = interp_dominant(pcm, CODEC_FRAME, p->n_ch);
			*(heard == p->expect_ch ? &p->ch_ok
			  : heard < 0		? &p->ch_quiet
						: &p->ch_wrong) += 1;
		}
		return;
	}
	if (p->m->tone->cfg.highpass)
		highpass_run(&p->hp, pcm, CODEC_FRAME);
	long at = onset_feed(&p->od, pcm, CODEC_FRAME);
	p->t->onsets += at >= 0;
	if (at >= 0)
		begin_onset(p, at);
	long crossings = onset_take_crossings(&p->od);
	if (crossings >= 0 && p->pending)
		note_onset(p, crossings);
}

/* --- receiving -------------------------------------------------------------------------- */

static void mirror_state(struct load_peer *p)
{
	enum client_state s = client_state(p->c);
	if ((int)s == atomic_load_explicit(&p->state, memory_order_relaxed))
		return;
	atomic_store(&p->state, (int)s);
	if (s == CLIENT_CONNECTED)
		atomic_store(&p->connected_ms, load_mono_us() / 1000);
}

/* An RTP packet (not RTCP, RFC 5761 sect. 4) to a connected peer: counted from its clear
 * header; sampled peers also decrypt and decode it. */
static bool count_rtp(struct load_peer *p, const uint8_t *buf, size_t len, uint64_t now_us)
{
	if (len < 12 || buf[0] < 128 || buf[0] > 191 || (buf[1] >= 192 && buf[1] <= 223) ||
	    atomic_load_explicit(&p->state, memory_order_relaxed) != CLIENT_CONNECTED)
		return false;
	if (p->speaker) {
		p->t->speaker_rx++;
		return !p->sampled;
	}
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
	if (!p->all.started)
		atomic_store(&p->first_audio_ms, now_us / 1000);
	seq_track_add(&p->all, seq);
	if (in_window(p->m, now_us))
		seq_track_add(&p->win, seq);
	return !p->sampled;
}

static uint64_t kernel_time_ns(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(cm), sizeof ts);
			return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	return load_real_ns();
}

static int read_batch(struct rx_thread *t, int fd)
{
	for (int i = 0; i < BATCH; i++) {
		t->iov[i] = (struct iovec){.iov_base = t->buf[i], .iov_len = DGRAM_MAX};
		t->msgs[i].msg_hdr = (struct msghdr){.msg_name = &t->from[i],
						     .msg_namelen = sizeof t->from[i],
						     .msg_iov = &t->iov[i],
						     .msg_iovlen = 1,
						     .msg_control = t->ctrl[i],
						     .msg_controllen = sizeof t->ctrl[i]};
	}
	return recvmmsg(fd, t->msgs, BATCH, MSG_DONTWAIT, NULL);
}

static void receive(struct rx_thread *t, struct load_peer *p)
{
	int n;
	do {
		n = read_batch(t, p->fd);
		uint64_t now_us = load_mono_us();
		for (int i = 0; i < n; i++) {
			size_t len = t->msgs[i].msg_len;
			if (count_rtp(p, t->buf[i], len, now_us))
				continue;
			if (p->sampled)
				p->arrival_ns = kernel_time_ns(&t->msgs[i].msg_hdr);
			client_receive(p->c, t->buf[i], len, &t->from[i], now_us / 1000);
		}
		mirror_state(p);
	} while (n == BATCH);
}

/* --- sending and timers ----------------------------------------------------------------- */

/* The timed speaker (the primary) sends the tone; the others the speech, if there is one. */
static enum client_err send_speech(struct load_peer *p, uint64_t k)
{
	const struct load_speech *sp = p->m->speech;
	size_t slot = (size_t)(k % sp->frames);
	return client_send_audio(p->c, sp->pkt[slot], sp->len[slot], (uint32_t)(k * CODEC_FRAME),
				 sp->level[slot], sp->level[slot] < 127);
}

static void send_frame(struct load_peer *p, uint64_t k)
{
	const struct load_tone *tone = p->m->tone;
	size_t slot = (size_t)(k % tone->frames);
	uint64_t period = (uint64_t)tone->cfg.period_frames;
	if (k % period == 0 && p->primary)
		atomic_store(&p->m->burst_ns[(k / period) % MAX_BURSTS], load_real_ns());
	enum client_err err =
	    p->voice ? client_send_audio(p->c, p->voice->pkt, p->voice->len,
					 (uint32_t)(k * CODEC_FRAME), p->voice->level, true)
	    : !p->primary && p->m->speech
		? send_speech(p, k)
		: client_send_audio(p->c, tone->pkt[slot], tone->len[slot],
				    (uint32_t)(k * CODEC_FRAME), tone->level[slot],
				    tone->level[slot] < 127);
	if (err != CLIENT_OK) {
		p->t->send_errors++;
		return;
	}
	p->t->sent++;
	p->t->sent_win += in_window(p->m, load_mono_us());
}

/* Sends every frame of the schedule that is due. A thread that was held up catches up,
 * each frame with its own timestamp, rather than skip ahead: a skip would be frames the
 * server never had, and the room's stream would follow the tool's lateness (issue 14's
 * note). The first frame is the schedule's slot of the moment it connected. */
static void speak(struct load_peer *p, uint64_t now_us)
{
	if (atomic_load_explicit(&p->state, memory_order_relaxed) != CLIENT_CONNECTED)
		return;
	uint64_t t0 = p->m->t0_us;
	if (p->next_send_us == 0)
		p->next_send_us = t0 + (now_us - t0) / FRAME_US * FRAME_US;
	bool measured = in_window(p->m, now_us);
	while (p->next_send_us <= now_us) {
		/* The tool's own send jitter: what the server's jitter buffer has to absorb. */
		if (measured)
			(void)sample_set_add(&p->t->send_late,
					     (double)(now_us - p->next_send_us) / 1000.0);
		send_frame(p, (p->next_send_us - t0) / FRAME_US);
		p->next_send_us += FRAME_US;
	}
}

static void tick(struct rx_thread *t, uint64_t now_us)
{
	for (size_t i = 0; i < t->n; i++) {
		struct load_peer *p = t->peers[i];
		if (now_us / 1000 >= client_next_timeout(p->c)) {
			client_tick(p->c, now_us / 1000);
			mirror_state(p);
		}
	}
}

/* --- the thread ------------------------------------------------------------------------- */

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
	mirror_state(p);
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

/* The next time something is due: a tick, or a speaker's next frame. */
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
		/* not expired after all: speak() goes by the clock anyway */
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
				receive(t, evs[i].data.ptr);
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
			speak(t->speakers[i], woke);
		if (woke >= next_tick) {
			tick(t, woke);
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
			speak(t->speakers[i], now);
		tick(t, now);
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

/* --- the signalling thread's side -------------------------------------------------------- */

static bool make_sampled(struct load_peer *p)
{
	const struct load_tone *tone = p->m->tone;
	int on = 1;
	if (codec_decoder_create(&p->dec) != MEDIA_OK ||
	    setsockopt(client_fd(p->c), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0)
		return false;
	onset_init(&p->od, tone->onset_threshold, tone->onset_quiet_level,
		   tone->onset_quiet_samples);
	p->od.id_window = TONE_ID_WINDOW;
	highpass_init(&p->hp, SPEECH_HIGHPASS_HZ);
	client_on_audio(p->c, on_audio, p);
	return true;
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
	if (sampled && !make_sampled(p)) {
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

/* --- the report --------------------------------------------------------------------------- */

static void add_listener(struct media_report *r, const struct load_peer *p)
{
	struct client_stats cs;
	r->listeners++;
	client_stats(p->c, &cs);
	r->srtp_errors += cs.srtp_errors;
	if (atomic_load(&p->connected_ms) != 0)
		r->connected++;
	if (p->all.started)
		r->heard++;
	if (p->sampled)
		r->sampled++;
	if (p->sampled && p->n_ch && p->expect_ch >= 0) {
		r->ch_checked++;
		r->ch_frames_ok += p->ch_ok;
		r->ch_frames_wrong += p->ch_wrong;
		r->ch_frames_quiet += p->ch_quiet;
		/* Its own booth in most frames, another booth in under 1 in 10 of those it heard
		 * one in: a quiet frame (concealment, a gap) is not a wrong channel. */
		uint64_t all = p->ch_ok + p->ch_wrong + p->ch_quiet;
		r->ch_wrong_listeners +=
		    p->ch_ok * 2 <= all || p->ch_wrong * 10 > p->ch_ok + p->ch_wrong;
	}
	if (!p->win.started) {
		if (atomic_load(&p->connected_ms) != 0)
			r->silent++;
		return;
	}
	r->heard_in_window++;
	r->expected += seq_track_expected(&p->win);
	r->received += p->win.received;
	r->lost += seq_track_lost(&p->win);
}

void load_media_report(struct load_media *m, double window_s, struct media_report *out)
{
	memset(out, 0, sizeof *out);
	sample_set_init(&out->latency_ms, (size_t)LATENCY_MAX * (LOAD_MEDIA_MAX_THREADS + 1));
	sample_set_init(&out->echo_latency_ms, (size_t)LATENCY_MAX * (LOAD_MEDIA_MAX_THREADS + 1));
	sample_set_init(&out->speaker_late_ms, (size_t)LATENCY_MAX * (LOAD_MEDIA_MAX_THREADS + 1));
	for (struct load_peer *p = m->all; p; p = p->next_all)
		if (!p->speaker)
			add_listener(out, p);
	/* A connected listener that got nothing while others did lost what they got. */
	if (out->heard_in_window > 0 && out->silent > 0 && window_s > 0) {
		uint64_t per_listener = out->expected / out->heard_in_window;
		out->charged = per_listener * out->silent;
		out->expected += out->charged;
		out->lost += out->charged;
	}
	for (unsigned i = 0; i < m->n_threads; i++) {
		struct rx_thread *t = &m->threads[i];
		sample_set_merge(&out->latency_ms, &t->lat);
		sample_set_merge(&out->echo_latency_ms, &t->echo_lat);
		sample_set_merge(&out->speaker_late_ms, &t->send_late);
		out->onsets_unmatched += t->unmatched;
		out->onsets_after_gap += t->after_gap;
		out->decode_errors += t->decode_errors;
		out->decoded += t->decoded;
		out->onsets += t->onsets;
		out->speaker_sent += t->sent;
		out->speaker_sent_window += t->sent_win;
		out->speaker_send_errors += t->send_errors;
		out->speaker_received += t->speaker_rx;
	}
	out->speakers_realtime = atomic_load(&m->speakers_realtime);
}

void media_report_fini(struct media_report *r)
{
	sample_set_fini(&r->latency_ms);
	sample_set_fini(&r->echo_latency_ms);
	sample_set_fini(&r->speaker_late_ms);
}
