/*
 * What load_media's files share: load_media.c (the threads, the signalling thread's
 * side), load_media_io.c (a thread's receiving, sending and timers), load_media_onset.c
 * (a sampled peer's decoding and onsets) and load_media_report.c (the sums after the
 * threads are joined). Ownership is load_media.c's top comment.
 */
#ifndef PLENARY_LOAD_MEDIA_INTERNAL_H
#define PLENARY_LOAD_MEDIA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "load_media.h"
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
	bool speakers_only; /* the speakers' thread (load_media.c), woken by timer_fd */
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

static inline bool in_window(const struct load_media *m, uint64_t now_us)
{
	return now_us >= atomic_load_explicit(&m->win_start_us, memory_order_relaxed) &&
	       now_us < atomic_load_explicit(&m->win_end_us, memory_order_relaxed);
}

/* Copies the client's state into the peer's atomic, noting when it connected. */
void load_peer_mirror_state(struct load_peer *p);
/* Reads every datagram waiting on the peer's socket, BATCH at a time. */
void load_media_receive(struct rx_thread *t, struct load_peer *p);
/* Sends every frame of the schedule that is due; a thread that was held up catches up. */
void load_media_speak(struct load_peer *p, uint64_t now_us);
/* client_tick for every peer of the thread that is due. */
void load_media_tick(struct rx_thread *t, uint64_t now_us);
/* Makes the peer a sampled one: a decoder, kernel arrival times, an onset detector.
 * false when out of memory or the socket refuses SO_TIMESTAMPNS. */
bool load_peer_sample(struct load_peer *p);

#endif
