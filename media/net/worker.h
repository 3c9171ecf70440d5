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
 * it), CLOSE it (the worker frees it and answers GONE), MIC (the gate), SESSION (a room's
 * session starts or ends; a struct worker_session whose ownership moves with it), STOP.
 * Events (worker -> gateway): STATE (a peer's public state changed), GONE (the worker
 * has freed the peer; the gateway may free its handle) and ATTEMPT (someone talks into a
 * closed mic; arg is the level). Events for a peer are in order, and GONE is the last.
 * The rooms' live Ogg pages travel in a page ring of their own (page_ring.h), drained by
 * the gateway on the same wake-up.
 *
 * The worker keeps a room mixer (room_mixer.h) for every room that has peers on it or a
 * live session, and runs them all on its tick.
 */
#ifndef PLENARY_MEDIA_WORKER_H
#define PLENARY_MEDIA_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "base/list.h"
#include "media/media.h"
#include "media/mix/mix.h"
#include "media/net/peer.h"
#include "media/net/relay_link.h"
#include "media/net/ring.h"
#include "media/net/tcp.h"
#include "media/record/record.h"
#include "media/secure/secure.h"

#define WORKER_TICK_MS	   20
#define WORKER_RING_SLOTS  8192
#define WORKER_RX_BATCH	   32
#define WORKER_RX_BUF	   2048 /* a datagram over 1500 bytes is no WebRTC packet of ours */
#define WORKER_SWEEP_TICKS 50	/* each peer's slow timers run once per 50 ticks (1 s) */
#define WORKER_PAGE_SLOTS  32	/* live Ogg pages in flight to the gateway (page_ring.h) */
#define WORKER_CATCH_UP	   5	/* missed ticks run in full; older ones only keep time */

enum worker_cmd {
	WORKER_ADD = 1,
	WORKER_CLOSE,
	WORKER_MIC,
	WORKER_SESSION,
	WORKER_STOP,
	WORKER_VENUE,	/* a plain-RTP venue (venue_rtp.h) moves in for good; ownership moves */
	WORKER_CHANNEL, /* arg: the channel the peer hears (channels.h: 0 the floor) */
	WORKER_VOICE,	/* arg: the channel the peer's mic feeds */
	WORKER_RELAY,	/* ptr: a relay_link (taken in for good); arg: relay mode on or off */
	WORKER_REMOTE	/* ptr: a struct link_gate (relay_link.h), freed by the worker */
};
enum worker_event { WORKER_EV_STATE = 1, WORKER_EV_GONE, WORKER_EV_ATTEMPT };

struct worker_config {
	unsigned index;
	struct stun_addr bind; /* port 0: ephemeral */
	bool tcp;	       /* ICE-TCP: a listening TCP socket beside the UDP one (tcp.h) */
	uint16_t tcp_port;     /* its port; 0: ephemeral */
	int gateway_fd;	       /* eventfd that wakes the gateway; not owned */
	bool echo;
	uint64_t seed;		    /* for the peer table's hashes */
	const char *recordings_dir; /* NULL: no recordings */
	int mix_bitrate;	    /* 0: the mixer's default */
	struct mixer_tap tap;	    /* edges' taps (room_mixer.h); members may be NULL */
};

/* A SESSION command: made by the gateway thread, freed by the worker. */
struct worker_session {
	char room[MEDIA_ROOM_MAX + 1];
	bool live;
	uint32_t ssrc; /* the room's (its pin's) */
	struct mixer_room_stats *stats;
	char name[RECORDER_NAME_MAX + 1];
	char title[RECORDER_TITLE_MAX + 1];
	char date[RECORDER_DATE_MAX + 1];
	int64_t start_ms; /* realtime */
	uint32_t serial;
};

struct worker {
	unsigned index;
	int sock, epfd, timer_fd, wake_fd, gateway_fd;
	int family; /* AF_INET or AF_INET6: the socket's */
	struct stun_addr local;
	int tcp_sock;		    /* -1: no ICE-TCP */
	struct stun_addr tcp_local; /* its bound address and port */
	struct ring cmds;	    /* gateway -> worker */
	struct ring events;	    /* worker -> gateway */
	struct media_counters counters;
	pthread_t thread;
	bool started;
	bool echo;

	/* --- worker thread --- */
	bool stop;
	bool posted;	    /* events pushed since the gateway was last woken */
	size_t pages_woken; /* page_ring_pushed when the gateway was last woken */
	struct peer_table table;
	struct base_list peers; /* every peer (peer.link), for the sweep */
	size_t n_peers;
	struct base_list *sweep;      /* where the slow-timer sweep resumes; &peers: the start */
	struct base_list handshaking; /* peers whose DTLS timers run every tick (hs_link) */
	struct base_list backlog;     /* state changes the event ring had no room for (bl_link) */
	struct base_list graveyard;   /* closed peers whose GONE did not fit yet (link) */
	struct base_list conns;	      /* ICE-TCP connections (tcp_conn.link) */
	size_t n_conns;
	unsigned conn_ticks;	   /* ticks since the connections' deadlines were last checked */
	bool conns_due;		   /* check them after this loop turn's events */
	uint8_t *rx;		   /* WORKER_RX_BATCH buffers of WORKER_RX_BUF, aligned */
	uint8_t *tx;		   /* scratch for outgoing packets */
	struct room_mixer **rooms; /* every room with peers here or a live session */
	size_t n_rooms, cap_rooms;
	struct fanout *fanout;	   /* batch buffers, shared by the rooms */
	struct base_list venues;   /* plain-RTP venues of rooms here (venue_rtp.link) */
	struct recorder *recorder; /* NULL: no recordings */
	int mix_bitrate;
	int64_t tick_us; /* the current tick on the 20 ms grid; 0 before the first */
	struct mixer_tap tap;
	struct relay_link **links; /* rooms fed from other nodes (worker_relay.c) */
	size_t n_links, cap_links;

	/* --- shared with the gateway --- */
	struct page_ring *pages; /* the rooms' live Ogg pages */
};

/* Opens the socket (bind address and port from cfg; and the ICE-TCP listener), timerfd, epoll and
 * wake eventfd, the two rings and the buffers. On error, why names the failing call. Errors:
 * MEDIA_ERR_SYSTEM, MEDIA_ERR_NOMEM. worker_fini is safe after a failure. */
BASE_WUR enum media_err worker_init(struct worker *w, const struct worker_config *cfg, char *why,
				    size_t why_cap);
/* Starts the thread (all signals blocked in it). Errors: MEDIA_ERR_SYSTEM. */
BASE_WUR enum media_err worker_start(struct worker *w);
/* Posts STOP and joins the thread; a worker never started is fine. */
void worker_stop(struct worker *w);
/* After worker_stop: frees every peer still owned (sending nothing) and closes
 * everything. The gateway's handles of those peers are the caller's to free. */
void worker_fini(struct worker *w);

/* worker_rooms.c: the rooms' mixers on the worker thread. */
/* A peer is added: it joins its room's mixer (made if need be). False: out of memory. */
BASE_WUR bool worker_rooms_add(struct worker *w, struct peer *p);
/* The peer's state changed: CONNECTED starts its listening, FAILED and CLOSED end it. */
void worker_rooms_state(struct worker *w, struct peer *p);
/* The peer is being closed: it leaves its room (destroyed if nothing else keeps it). */
void worker_rooms_remove(struct worker *w, struct peer *p);
/* The MIC command. */
void worker_rooms_mic(struct worker *w, struct peer *p, bool open);
/* WORKER_CHANNEL and WORKER_VOICE: kept on the peer, and applied in its room's mixer. */
void worker_rooms_channel(struct worker *w, struct peer *p, unsigned ch, bool voice);
/* The SESSION command; frees s. */
void worker_rooms_session(struct worker *w, struct worker_session *s);
/* peer_env.audio: the gate, the mixer, and ATTEMPT events. */
void worker_rooms_audio(void *ctx, struct peer *p, const struct peer_env *env,
			const struct rtp_header *h);
/* ICE moved a connected peer to a new address: its fan-out entry follows. */
void worker_rooms_moved(struct worker *w, struct peer *p);
/* Every room's tick (the 20 ms grid point tick_us); skip: a tick missed so long ago that
 * only its place in the recordings is kept (room_mixer_skip). */
void worker_rooms_tick(struct worker *w, int64_t tick_us, bool skip);
/* After the thread stopped: every room ends its session and is freed. */
void worker_rooms_fini(struct worker *w);
/* The mixer environment as of now, and the room's mixer (made if need be; NULL: out of
 * memory), for the venues. */
void worker_rooms_env(struct worker *w, struct mixer_env *e);
struct room_mixer *worker_rooms_get(struct worker *w, const char *room, uint32_t ssrc,
				    struct mixer_room_stats *stats);
/* worker_venue.c: plain-RTP venues on the worker thread (venue_rtp.h). */
/* The VENUE command: v joins its room's mixer, open if the session is live, and its
 * socket joins the loop under key. A venue that cannot join is destroyed (logged). */
void worker_venue_add(struct worker *w, struct venue_rtp *v, uint64_t key);
/* Some venue's socket is readable. */
void worker_venue_readable(struct worker *w);
/* The room's session went live or ended: its venues' gates follow. */
void worker_venue_session(struct worker *w, const char *room, bool live);
/* After the thread stopped (before worker_rooms_fini): every venue leaves and is freed. */
void worker_venue_fini(struct worker *w);
/* worker_relay.c: edges on the worker thread (relay_link.h). */
/* WORKER_RELAY: the link's room is relayed (on) or mixes its own again. */
void worker_relay_cmd(struct worker *w, struct relay_link *l, bool on);
/* WORKER_REMOTE: a remote participant's gate; frees g. */
void worker_relay_gate(struct worker *w, struct link_gate *g);
/* Every link's waiting frames into its room (after each wake-up). */
void worker_relay_drain(struct worker *w);
/* An authenticated packet of p: true when it was an open mic of a relayed room, handed
 * to the mic tap (or dropped) instead of the mix. */
bool worker_relay_mic(struct worker *w, struct peer *p, const struct rtp_header *h,
		      const struct talk_packet *tp);
/* After the thread stopped (before worker_rooms_fini): remote mics leave their rooms. */
void worker_relay_fini(struct worker *w);
/* worker_tcp.c: ICE-TCP connections on the worker thread (tcp.h). */
/* The listening socket is readable: accept what waits. */
void worker_tcp_accept(struct worker *w);
/* epoll events on a connection: read its frames (each to worker_packet), write what
 * waits; a finished connection is closed (and its peer, if it was the peer's path, fails). */
void worker_tcp_event(struct worker *w, struct tcp_conn *c, uint32_t events);
/* A check on conn (NULL: UDP) nominated p: conn becomes p's path, or UDP does. */
void worker_tcp_path(struct worker *w, struct peer *p, struct tcp_conn *conn);
/* p ended (FAILED, CLOSED): its connection lingers TCP_LINGER_MS for its last bytes. */
void worker_tcp_detach(struct worker *w, struct peer *p);
/* Closes the connections whose deadline passed (outside the loop's event batch). */
void worker_tcp_expire(struct worker *w);
/* After the thread stopped: closes every connection. */
void worker_tcp_fini(struct worker *w);
/* worker.c: one packet -- a datagram, or a frame of conn (NULL for UDP) -- from `from`. */
void worker_packet(struct worker *w, const struct peer_env *env, uint8_t *buf, size_t len,
		   const struct stun_addr *from, struct tcp_conn *conn);
/* worker.c: the peer environment as of now. */
void worker_env(struct worker *w, struct peer_env *env);

/* Posts an event to the gateway (worker.c). */
bool worker_push_event(struct worker *w, uint32_t type, uint32_t arg, void *handle);

/* Gateway side. Pushes a command and wakes the worker; false if the ring is full. */
bool worker_post(struct worker *w, const struct ring_msg *m);
/* The same, but waits (yielding) for room: for commands that must not be lost, such as
 * CLOSE. The worker drains its ring on every loop turn, so the wait is short. */
void worker_post_wait(struct worker *w, const struct ring_msg *m);

#endif
