/*
 * load_media -- the media side of plenary-load: a few threads, each owning a share of the
 * virtual clients' WebRTC peers (tests/support/client.h), that receive with recvmmsg, keep ICE
 * and DTLS going, count every listener's packets and loss, decode a sample of listeners
 * to time the tone's onsets, and send the speakers' pre-encoded tone every 20 ms.
 *
 *   signalling thread (lws)                   media thread i (epoll over its sockets)
 *   client_create, offer, answer ---inbox---> epoll_ctl ADD; from then on it owns the peer:
 *   (the client is the caller's until          recvmmsg 32 at a time ->
 *    load_media_start, the thread's after)       RTP in the clear: seq counted (all peers)
 *                                                RTP, sampled: SRTP unprotect, Opus decode,
 *   load_peer_view: atomics <---------------       onset -> latency sample
 *   (connected, first audio, state)              STUN, DTLS, RTCP: client_receive
 *                                              every 10 ms: client_tick where due
 *                                            the speakers' thread (its own): a timerfd on
 *                                              the schedule's grid; every due frame sent,
 *                                              a late one caught up, never skipped
 *
 * Counting listeners' packets needs no decryption: the RTP header travels in the clear
 * (RFC 3711), so only the sampled listeners pay for SRTP and Opus, as the issue asks.
 * Sampled listeners' sockets carry SO_TIMESTAMPNS, so a packet's arrival time is the
 * kernel's, not the moment a busy load thread got round to it; the speaker notes the
 * wall-clock time just before it hands each burst's first frame to the kernel. Both are
 * CLOCK_REALTIME on the same machine, in the same process.
 *
 * All speakers follow one schedule (frame k is due at start + 20k ms), so with several of
 * them the bursts coincide and the onsets stay unambiguous; the first speaker notes the
 * send times. Packets and onsets count towards the report only inside the measurement
 * window (load_media_window), so joining and warm-up do not dilute it.
 */
#ifndef PLENARY_LOAD_MEDIA_H
#define PLENARY_LOAD_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load_speech.h"
#include "load_stats.h"
#include "load_tone.h"
#include "support/client.h"

#define LOAD_MEDIA_MAX_THREADS 16

struct load_media;
struct load_peer;

struct load_media_config {
	unsigned threads;	      /* 1..LOAD_MEDIA_MAX_THREADS */
	const struct load_tone *tone; /* must outlive the media */
	/* NULL, or what the speakers other than the first say (load_speech.h); must outlive
	 * the media */
	const struct load_speech *speech;
};

/* Starts the threads. NULL on failure (why gets a sentence). */
struct load_media *load_media_create(const struct load_media_config *cfg, char *why, size_t cap);
/* Stops the threads if running and frees every peer and its client. NULL is fine. */
void load_media_destroy(struct load_media *m);

/* A peer for client c (whose ownership passes to the media at once, but which the caller
 * may keep using from its own thread until load_media_start). A speaker sends the tone; a
 * sampled peer decodes what it receives and measures onsets (a speaker may be sampled
 * too: with --media-echo it hears itself). NULL when out of memory. */
struct load_peer *load_peer_add(struct load_media *m, struct client *c, bool speaker, bool sampled);
struct interp_voice;
/* An interpreter's peer: a speaker that sends its booth's tone (load_interp.h), never
 * the timed bursts. */
struct load_peer *load_voice_add(struct load_media *m, struct client *c,
				 const struct interp_voice *voice);
/* Before load_media_start: a sampled listener of channel ch (of n) checks that what it
 * decodes is that channel's tone instead of timing onsets. */
void load_peer_expect(struct load_peer *p, int ch, unsigned n);
/* Hands the peer to a media thread (round robin); the caller must not touch its client
 * again. */
void load_media_start(struct load_media *m, struct load_peer *p);

struct peer_view {
	enum client_state state;
	uint64_t connected_ms;	 /* monotonic ms when CONNECTED, 0 before */
	uint64_t first_audio_ms; /* monotonic ms of the first RTP packet, 0 before */
	bool started;		 /* handed to a thread */
};
/* What the signalling thread may read at any time. */
void load_peer_view(const struct load_peer *p, struct peer_view *out);

/* Sets the measurement window, monotonic microseconds [start, end). */
void load_media_window(struct load_media *m, uint64_t start_us, uint64_t end_us);

/* Stops and joins the threads; after it, load_media_report may read everything. */
void load_media_stop(struct load_media *m);

struct media_report {
	size_t listeners, connected, heard, heard_in_window;
	uint64_t expected, received, lost; /* in the window, listeners only */
	size_t silent;			   /* connected listeners that got nothing in the window */
	uint64_t charged;		   /* packets charged to them as lost */
	struct sample_set latency_ms;	   /* onset latencies, baseline subtracted */
	struct sample_set echo_latency_ms; /* the same, measured by sampled speakers */
	struct sample_set speaker_late_ms; /* how late the speakers' frames left, in the window */
	uint64_t onsets_unmatched, onsets_after_gap, decode_errors, decoded, onsets;
	uint64_t speaker_sent, speaker_sent_window, speaker_send_errors, speaker_received;
	bool speakers_realtime; /* their thread ran SCHED_FIFO (load_media.c) */
	uint64_t srtp_errors;
	size_t sampled;
	/* sampled channel listeners: how many, how many did not hear their channel, and
	 * their window's frames of it, of another booth, and with no booth's tone */
	size_t ch_checked, ch_wrong_listeners;
	uint64_t ch_frames_ok, ch_frames_wrong, ch_frames_quiet;
};
/* Adds up every listener (after load_media_stop). window_s charges silent listeners with
 * the packets the others received, per second. out must be freed with
 * media_report_fini. */
void load_media_report(struct load_media *m, double window_s, struct media_report *out);
void media_report_fini(struct media_report *r);

/* Monotonic and wall clocks, as the media threads read them. */
uint64_t load_mono_us(void);
uint64_t load_real_ns(void);

#endif
