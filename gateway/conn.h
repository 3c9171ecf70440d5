/*
 * conn -- one WebSocket connection as the session and the fan-out see it: who it is, the
 * room it joined, and its send ring. No lws here: the shell (ws.c) fills in struct
 * conn_io, so a unit test can stand in for the socket.
 *
 * A connection sits below the fan-out (fanout.h): it knows the room it joined, not the
 * room's fan-out state, and sends only what it is given. Replies that must wait behind
 * the room's undurable events (acks, errors) go through the fan-out (gw_host_reply).
 *
 * The send ring holds shared messages (gw_msg) by reference and is bounded in bytes
 * (cfg.send_queue_bytes); a connection that stops reading fills it and is dropped rather
 * than allowed to grow, so one slow phone on a train never costs the room anything.
 */
#ifndef PLENARY_GATEWAY_CONN_H
#define PLENARY_GATEWAY_CONN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/lang.h"
#include "base/list.h"
#include "gateway/msg.h"
#include "gateway/ratelimit.h"
#include "rooms/rooms.h"

#define GW_SESSION_KEY_LEN 32
#define GW_PID_MAX	   128
#define GW_NAME_MAX	   128
#define GW_GROUP_MAX	   64
#define GW_JTI_MAX	   64

struct conn;
struct gateway;

/* What the connection asks of its transport. Both are called from the gateway thread,
 * possibly while another connection's callback runs, never re-entering the session. */
struct conn_io {
	/* The ring went from empty to non-empty: write when the socket can take more. */
	void (*want_write)(struct conn *c);
	/* The connection stopped reading and must go; the transport closes it later, from
	 * the loop, not from inside this call. */
	void (*drop)(struct conn *c);
};

struct conn {
	struct gateway *gw;
	const struct conn_io *io;
	void *io_ctx; /* the transport's own handle (the lws wsi) */
	uint64_t id;
	struct base_list link;	    /* on gw->conns: every connection of the server */
	struct base_list room_link; /* on its room's fan-out list while joined (fanout.c) */
	/* On the transport's list of connections to write before the loop waits (ws.c). */
	struct base_list write_link;
	struct room *room;	/* the room joined, NULL until then (set by the fan-out) */
	uint64_t attached_item; /* fan-out items after this one are ours */
	struct room_identity who;
	char pid[GW_PID_MAX];
	struct conn *pid_next; /* its room's connections by pid (pidindex.h) */
	bool pid_indexed;
	char name[GW_NAME_MAX];
	char group[GW_GROUP_MAX];
	char lang[BASE_LANG_MAX + 1]; /* an interpreter's booth (the token's lang); else "" */
	/* The channel its audio carries (media.channel), "" for the floor; and whether with
	 * the floor underneath at -18 dB. */
	char channel[BASE_LANG_MAX + 1];
	bool floor_under;
	char session[GW_SESSION_KEY_LEN + 1];
	char jti[GW_JTI_MAX]; /* the join token's jti, "" if none: revocation by jti */
	bool kicked;	      /* removed or its token revoked: told, and closing */
	bool closing;
	struct media_peer *peer; /* this connection's WebRTC audio, NULL if none */
	int64_t attempt_ms;	 /* when a mic.attempt about this connection last went out */
	/* The token it joined with (token.refresh, refresh.c): its exp and its lifetime, the
	 * most a refreshed one may have. 0: no token (an anonymous observer). */
	int64_t token_exp, token_life_s;

	/* Receive: fragments of one message (ws.c). */
	char *rx;
	size_t rx_len;

	struct gw_msg **q;
	size_t q_cap, q_head, q_len, q_bytes;
	/* What a short write left of a batch of frames (wsbatch.c); NULL almost always. */
	unsigned char *tx_rest;
	size_t tx_rest_len, tx_rest_off;

	/* Rate limits: a token bucket per command class (ratelimit.h, PROTOCOL.md rate_limited),
	 * and the peer's address for the per-address join limit ("" if unknown). */
	struct gw_bucket limits[GW_WS_LIMIT_CLASSES];
	char addr[64];
	/* addr was chosen by gw_client_addr (client_addr.h), which already applied the loopback
	 * rule: limit it as it is (a trusted proxy's own loopback address included). */
	bool addr_limited;
};

/* A new, not yet joined connection, linked into gw->conns and counted. NULL on OOM. The
 * caller owns it and ends it with gw_session_closed and then gw_conn_destroy. */
struct conn *gw_conn_create(struct gateway *gw, const struct conn_io *io, void *io_ctx);
/* Unlinks and frees c and whatever is still queued. */
void gw_conn_destroy(struct conn *c);
/* Queues m (taking a new reference); drops the connection if it stopped reading. */
void gw_conn_send(struct conn *c, struct gw_msg *m);
void gw_conn_send_json(struct conn *c, json_t *v); /* consumes v */
/* The oldest queued message, whose reference passes to the caller; NULL when empty. */
struct gw_msg *gw_conn_next(struct conn *c);
/* The oldest queued message, left queued (no reference passes); NULL when empty. */
struct gw_msg *gw_conn_peek(const struct conn *c);

#endif
