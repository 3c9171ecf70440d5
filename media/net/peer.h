/*
 * peer -- one browser's WebRTC audio connection, owned by the media worker its room is
 * pinned to (private to media/).
 *
 * A peer is made on the gateway thread from a parsed offer (peer_create: the DTLS
 * session and everything fixed-size, so a bad offer or a failed allocation is reported to
 * the WebSocket at once), handed to its worker through the command ring, and from then on
 * touched only by that worker. It ties the protocol objects together -- ICE-lite state
 * (ice_lite.h), a DTLS server session (dtls.h), SRTP keys (srtp_session.h), RTP/RTCP
 * receive statistics (rtcp.h) -- and moves through one state machine:
 *
 *          USE-CANDIDATE check           DTLS done, SRTP keyed
 *   NEW -----------------------> HANDSHAKING ---------------------> CONNECTED
 *    |                               |                                  |
 *    | no check for 30 s             | DTLS alert, bad fingerprint,     | consent lost (30 s),
 *    |                               | no SRTP profile, 30 s timeout    | fatal alert
 *    +------------------------------>+--------------------------------->+----------> FAILED
 *    |                               |                                  |
 *    +------ gateway closes it ----->+----- or the browser's -----------+----------> CLOSED
 *                                           close_notify
 *
 * FAILED and CLOSED are final: the peer leaves the worker's indexes (its datagrams are
 * dropped) and waits for the gateway to close its handle. The gateway sees "connecting"
 * for NEW and HANDSHAKING (media_state_of). peer_set_state is the only function that
 * changes p->state; it asserts the transition is in the table, keeps the connected-peers
 * gauge right and tells the worker (env->changed) so the change is posted.
 *
 * Everything a peer does to the outside goes through struct peer_env: the time, the
 * send function, the worker's counters and a scratch buffer. So peer.c and peer_media.c
 * hold no socket, read no clock and allocate nothing per packet (libsrtp allocates once
 * per new SSRC, OpenSSL during the handshake).
 */
#ifndef PLENARY_MEDIA_PEER_H
#define PLENARY_MEDIA_PEER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "base/list.h"
#include "media/media.h"
#include "media/mix/mix.h"
#include "media/net/venue_rtp.h"
#include "media/secure/secure.h"
#include "media/wire/wire.h"

#define PEER_HANDSHAKE_TIMEOUT_MS 30000u /* from nomination to SRTP keys */
#define PEER_REPORT_INTERVAL_MS	  5000u	 /* RFC 3550 sect. 6.2 minimum, randomised 0.5-1.5x */
#define PEER_CNAME_MAX		  16

enum peer_state {
	PEER_NEW = 0,	  /* waiting for a USE-CANDIDATE check */
	PEER_HANDSHAKING, /* address known, DTLS in progress */
	PEER_CONNECTED,	  /* SRTP keyed */
	PEER_FAILED,	  /* final */
	PEER_CLOSED,	  /* final */
};
#define PEER_STATE_COUNT 5

/* What the gateway is told: connecting, connected, failed, closed. */
enum media_state media_state_of(enum peer_state s);

/* Worker counters, summed over workers by media_stats_read. Written by one worker with
 * relaxed atomic adds, read by anyone: exact per counter, not a consistent snapshot. */
struct media_counters {
	_Atomic uint64_t peers_connected; /* a gauge */
	_Atomic uint64_t rtp_received;
	_Atomic uint64_t rtp_sent;
	_Atomic uint64_t srtp_errors;
	_Atomic uint64_t rtcp_received;
	_Atomic uint64_t rtcp_sent;
	_Atomic uint64_t stun_answered;
	_Atomic uint64_t dropped;	 /* datagrams nobody claimed, malformed or refused */
	_Atomic uint64_t tcp_accepted;	 /* ICE-TCP connections accepted */
	_Atomic uint64_t tcp_dropped;	 /* packets an ICE-TCP connection had no room for */
	struct venue_rtp_counters venue; /* the plain-RTP venues' datagrams (venue_rtp.h) */
	_Atomic uint64_t tick_buckets[MEDIA_TICK_BUCKETS + 1];
	_Atomic uint64_t tick_count;
	_Atomic uint64_t tick_sum_ns;
	/* Points of the 20 ms grid the worker passed, and those it came to too late to mix
	 * (worker.c: more than WORKER_CATCH_UP behind, only the recordings kept time). */
	_Atomic uint64_t frames;
	_Atomic uint64_t frames_skipped;
	struct mixer_counters mixer; /* the rooms' streams (room_mixer.h) */
};

/* What a peer publishes for the gateway's handle (media_peer_stats): written by the
 * worker about once a second, read by the gateway, all relaxed. Lives in the handle, which
 * outlives the peer. */
struct peer_shared {
	_Atomic uint64_t packets_received;
	_Atomic uint64_t packets_lost;
	_Atomic uint64_t packets_sent;
	_Atomic uint64_t srtp_errors;
	_Atomic uint64_t rtcp_received;
	_Atomic uint32_t jitter_us;
	_Atomic uint32_t rtt_ms;
	_Atomic uint32_t audio_level; /* RFC 6464 -dBov, 127 = silence */
	_Atomic uint32_t voice;
	_Atomic uint32_t state; /* enum media_state */
	/* Monotonic ms (CLOCK_MONOTONIC) of its last voice through an open mic, 0 never:
	 * stored by the worker as each such packet arrives (not once a second), so the
	 * gateway can credit a caption to whoever is talking (media_peer_talked_ms_ago). */
	_Atomic uint64_t talked_ms;
};

struct peer;
struct tcp_conn;

/* The worker, as a peer sees it during one call. */
struct peer_env {
	uint64_t now_ms; /* monotonic */
	uint64_t now_us; /* the same clock in microseconds (jitter) */
	/* When the datagram being handled reached the socket, on the same clock: the kernel's
	 * receive timestamp, so a busy tick's delay is not taken for network jitter. now_us
	 * when there is no datagram or no timestamp. */
	uint64_t arrival_us;
	uint64_t ntp; /* wall clock as NTP 32.32 (RTCP sender reports, RTT) */
	struct media_counters *counters;
	/* Sends a packet to the peer on its path: its nominated address over UDP, or framed
	 * on its ICE-TCP connection (p->tcp). */
	void (*send)(void *ctx, struct peer *p, const uint8_t *buf, size_t len);
	void (*changed)(void *ctx, struct peer *p, enum peer_state from);
	/* An authenticated RTP packet of the peer's audio (not called in echo mode): the
	 * worker's mic gate and mixer take it from here. */
	void (*audio)(void *ctx, struct peer *p, const struct peer_env *env,
		      const struct rtp_header *h);
	void *ctx;
	uint8_t *scratch; /* 4-byte aligned, for building outgoing packets */
	size_t scratch_cap;
	bool echo; /* test-only: loop each peer's audio back to it */
};

struct peer {
	struct ice_peer ice;  /* credentials, address, consent */
	struct tcp_conn *tcp; /* the nominated ICE-TCP connection (ice.addr.tcp); NULL: UDP */
	enum peer_state state;
	void *handle; /* the gateway's, passed back in events; never dereferenced here */
	struct peer_shared *shared;
	struct dtls_session *dtls;
	struct media_srtp *srtp;
	bool ssl_released;	     /* the peer proved it has the keys: SSL object freed */
	bool send;		     /* the answer says we send audio */
	bool mic_open;		     /* the room's mic gate for this person (for the mixer) */
	uint8_t listen_ch, voice_ch; /* interpretation channels (mixer_member's, kept here) */
	bool closing;		     /* the gateway closed it: no more events */
	uint8_t opus_pt;
	uint8_t audio_level_id; /* 0: not negotiated */
	uint32_t local_ssrc;
	char cname[PEER_CNAME_MAX + 1];
	uint64_t handshake_deadline_ms;
	uint32_t rng; /* xorshift state for report jitter */

	/* Receive side. */
	bool have_remote;
	uint32_t remote_ssrc;
	struct rtcp_rx rx;
	uint64_t rtp_received, srtp_errors, rtcp_received;
	bool voice;
	uint8_t level;
	bool level_fresh;     /* the last packet carried the RFC 6464 level */
	uint32_t last_sr_mid; /* LSR for our report blocks (RFC 3550 sect. 6.4.1) */
	uint64_t last_sr_ms;
	uint32_t rtt_ms;

	/* Send side. */
	uint16_t out_seq;
	uint32_t out_ts_offset;
	uint32_t last_out_ts;
	uint64_t last_out_ms;
	uint32_t sent_packets, sent_octets;
	uint64_t next_report_ms;

	/* The worker's bookkeeping (worker.c). */
	struct base_list link;	  /* on the worker's peers; once closed, on its graveyard */
	struct base_list hs_link; /* on its handshaking list: DTLS timers run every tick */
	struct base_list bl_link; /* on its backlog: a state change not yet posted (ring full) */
	uint32_t reported;	  /* enum media_state last posted */
	unsigned worker;
	char room[MEDIA_ROOM_MAX + 1];
	char pid[MEDIA_PID_MAX + 1];	     /* media_offer.pid: named in an edge's mic tap */
	struct mixer_room_stats *room_stats; /* the room pin's, for a room made for this peer */
	struct mixer_member member;	     /* the peer in its room's mixer */
};

/* What peer_create needs; strings are copied. */
struct peer_config {
	struct dtls_context *dtls;
	const struct dtls_fingerprint *remote_fingerprint;
	const char *ufrag, *pwd, *remote_ufrag;
	const char *room;
	bool send;
	bool mic_open;
	int opus_pt;
	uint8_t audio_level_id;
	uint32_t local_ssrc;
	const char *cname;
	uint64_t now_ms;
	void *handle;
	struct peer_shared *shared;
	struct mixer_room_stats *room_stats;
};

/* Makes a peer in state NEW with its DTLS server session. Runs on the gateway thread;
 * the worker owns the peer once it is posted. Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM,
 * MEDIA_ERR_CRYPTO. */
BASE_WUR enum media_err peer_create(const struct peer_config *cfg, struct peer **out);
/* Frees the DTLS and SRTP state (wiping keys). Sends nothing. NULL is fine. */
void peer_destroy(struct peer *p);
/* Frees DTLS and SRTP now but keeps the struct (a closed peer waiting to be reported). */
void peer_release(struct peer *p);

/* The one transition function (see the diagram). */
void peer_set_state(struct peer *p, const struct peer_env *env, enum peer_state to);

/* ICE chose this peer's address (a USE-CANDIDATE check): NEW -> HANDSHAKING. */
void peer_nominated(struct peer *p, const struct peer_env *env);
/* A datagram from the peer's address that is not STUN, classified by demux. */
void peer_on_datagram(struct peer *p, const struct peer_env *env, enum demux_kind kind,
		      uint8_t *buf, size_t len);
/* Every tick, for handshaking peers: DTLS retransmission and the handshake timeouts. */
void peer_timers(struct peer *p, const struct peer_env *env);
/* About once a second for every peer: consent, RTCP reports, published statistics. */
void peer_slow_tick(struct peer *p, const struct peer_env *env);
/* The gateway closed the peer: a close_notify if DTLS can still send one, then CLOSED. */
void peer_close(struct peer *p, const struct peer_env *env);

/* peer_media.c: SRTP, RTP and RTCP of a CONNECTED peer. */
void peer_on_rtp(struct peer *p, const struct peer_env *env, uint8_t *buf, size_t len);
void peer_on_rtcp(struct peer *p, const struct peer_env *env, uint8_t *buf, size_t len);
/* Sends a receiver or sender report when one is due. */
void peer_send_report(struct peer *p, const struct peer_env *env);
/* Writes the peer's statistics into p->shared. */
void peer_publish(struct peer *p);
/* Sets up the send side when SRTP is keyed. */
void peer_media_start(struct peer *p, const struct peer_env *env);

#endif
