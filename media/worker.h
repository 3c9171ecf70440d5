/*
 * worker -- one media thread: an epoll loop over one UDP socket, a 20 ms timerfd and the
 * eventfd of its command ring; the peers of the rooms pinned to it (private to media/).
 *
 * Ownership. worker_init and worker_fini run on the thread that owns the media object
 * (the gateway's); between worker_start and worker_stop everything below the "worker
 * thread" line is touched only by the worker's own thread. The two threads share exactly
 * the two rings (commands in, events out), the eventfds that wake each side, and the
 * counters, which are relaxed atomics.
 *
 * Commands (gateway -> worker): ADD a peer made by peer_create (ownership moves with
 * it), CLOSE it (the worker frees it and answers GONE), MIC (the gate), STOP.
 * Events (worker -> gateway): STATE (a peer's public state changed) and GONE (the worker
 * has freed the peer; the gateway may free its handle). Events for a peer are in order,
 * and GONE is the last.
 */
#ifndef PLENARY_MEDIA_WORKER_H
#define PLENARY_MEDIA_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"
#include "media/peer.h"
#include "media/peer_table.h"
#include "media/ring.h"

#define WORKER_WUR __attribute__((warn_unused_result))

#define WORKER_TICK_MS	   20
#define WORKER_RING_SLOTS  8192
#define WORKER_RX_BATCH	   32
#define WORKER_RX_BUF	   2048 /* a datagram over 1500 bytes is no WebRTC packet of ours */
#define WORKER_SWEEP_TICKS 50	/* each peer's slow timers run once per 50 ticks (1 s) */

enum worker_cmd { WORKER_ADD = 1, WORKER_CLOSE, WORKER_MIC, WORKER_STOP };
enum worker_event { WORKER_EV_STATE = 1, WORKER_EV_GONE };

struct worker_config {
	unsigned index;
	struct stun_addr bind; /* port 0: ephemeral */
	int gateway_fd;	       /* eventfd that wakes the gateway; not owned */
	bool echo;
	uint64_t seed; /* for the peer table's hashes */
};

struct worker {
	unsigned index;
	int sock, epfd, timer_fd, wake_fd, gateway_fd;
	int family; /* AF_INET or AF_INET6: the socket's */
	struct stun_addr local;
	struct ring cmds;   /* gateway -> worker */
	struct ring events; /* worker -> gateway */
	struct media_counters counters;
	pthread_t thread;
	bool started;
	bool echo;

	/* --- worker thread --- */
	bool stop;
	bool posted; /* events pushed since the gateway was last woken */
	struct peer_table table;
	struct peer *peers; /* every peer, for the sweep */
	size_t n_peers;
	struct peer *sweep;	  /* where the slow-timer sweep resumes */
	struct peer *handshaking; /* peers whose DTLS timers run every tick */
	struct peer *backlog;	  /* state changes the event ring had no room for */
	struct peer *graveyard;	  /* closed peers whose GONE did not fit yet */
	uint8_t *rx;		  /* WORKER_RX_BATCH buffers of WORKER_RX_BUF, aligned */
	uint8_t *tx;		  /* scratch for outgoing packets */
};

/* Opens the socket (bind address and port from cfg), timerfd, epoll and wake eventfd,
 * the two rings and the buffers. On error, why names the failing call. Errors:
 * MEDIA_ERR_SYSTEM, MEDIA_ERR_NOMEM. worker_fini is safe after a failure. */
WORKER_WUR enum media_err worker_init(struct worker *w, const struct worker_config *cfg, char *why,
				      size_t why_cap);
/* Starts the thread (all signals blocked in it). Errors: MEDIA_ERR_SYSTEM. */
WORKER_WUR enum media_err worker_start(struct worker *w);
/* Posts STOP and joins the thread; a worker never started is fine. */
void worker_stop(struct worker *w);
/* After worker_stop: frees every peer still owned (sending nothing) and closes
 * everything. The gateway's handles of those peers are the caller's to free. */
void worker_fini(struct worker *w);

/* Gateway side. Pushes a command and wakes the worker; false if the ring is full. */
bool worker_post(struct worker *w, const struct ring_msg *m);
/* The same, but waits (yielding) for room: for commands that must not be lost, such as
 * CLOSE. The worker drains its ring on every loop turn, so the wait is short. */
void worker_post_wait(struct worker *w, const struct ring_msg *m);

#endif
