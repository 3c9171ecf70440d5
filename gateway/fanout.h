/*
 * fanout -- the durability barrier and the per-room fan-out; it is the rooms' sink.
 *
 * Everything the gateway sends to a room's connections waits here, in order, until the
 * room's log is synced; then events go out as one shared buffer pushed by reference onto
 * every connection's ring. Whoever else needs to hear of the room's events (the media
 * side: session starts and ends, the mic gate) registers a fanout_listener instead of
 * being called by name.
 */
#ifndef PLENARY_GATEWAY_FANOUT_H
#define PLENARY_GATEWAY_FANOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/list.h"
#include "gateway/pidindex.h"
#include "rooms/rooms.h"

struct conn;
struct gateway;
struct gw_msg;
struct pending_item;

/* Per-room state of a file above the fan-out, which the host holds without knowing its
 * type: the fan-out sits below them and must not name them. Its owner sets free (never
 * NULL with data) with data; gw_host_free_all calls it. */
struct room_host_extra {
	void *data;
	void (*free)(void *data);
};

/* What the gateway keeps per room (room_host_data): who is connected, and what waits
 * for durability. Created on first use, freed by gw_host_free_all. */
struct room_host {
	struct gateway *gw;
	struct room *room;
	struct base_list conns; /* conn.room_link, newest first: the fan-out's order */
	size_t n_conns;
	struct gw_pid_index by_pid; /* the same connections by pid: the join's role check */
	uint64_t next_item;
	struct pending_item *pending;
	size_t n_pending, cap_pending;
	/* With a replicated log (nats_log.h): the last item of the batch out with the
	 * replica. A successful flush releases only up to it; 0 when nothing is sealed. */
	uint64_t sealed_item;
	struct room_host_extra session; /* media_glue.c: a session change awaiting durability */
	struct room_host_extra listen;	/* stream.c: the listen.ogg clients */
};

/* Told of the rooms' events, on the gateway thread, from inside rooms/ calls: a
 * listener must not call back into rooms/ or send to connections. Any member may be
 * NULL. */
struct fanout_listener {
	/* An event was appended to h's log; it is not durable yet. */
	void (*event)(void *ctx, struct room_host *h, const char *msg, size_t len);
	/* h's log was flushed (ok) or rolled back to its durable state (!ok). */
	void (*durable)(void *ctx, struct room_host *h, bool ok);
	/* pid's microphone opened or closed in room. */
	void (*mic)(void *ctx, struct room *room, const char *pid, bool open);
	void *ctx;
};

/* The sink to give rooms_open: reports go to gw's rooms' hosts and gw->listener. */
struct rooms_sink gw_fanout_sink(struct gateway *gw);
/* room's host, created if need be; NULL on OOM. */
struct room_host *gw_host_for(struct gateway *gw, struct room *room);
/* The host of the room c joined; NULL while c has joined none. */
struct room_host *gw_host_of(const struct conn *c);
/* c joins h's fan-out (c->room becomes h's room). */
void gw_host_attach(struct room_host *h, struct conn *c);
/* c leaves h's fan-out; what was held back for c alone is dropped. */
void gw_host_detach(struct room_host *h, struct conn *c);
/* Sends m (taking the caller's reference) to one connection of the room, after whatever
 * is waiting for durability. An ack (is_ack) becomes an `internal` error with ack_id if
 * the flush fails. */
void gw_host_send(struct room_host *h, struct conn *c, struct gw_msg *m, bool is_ack,
		  json_t *ack_id);
/* A reply to c (consumes v): after whatever its room holds back, or at once if c has
 * joined no room. is_ack and ack_id as for gw_host_send. */
void gw_host_reply(struct conn *c, json_t *v, bool is_ack, json_t *ack_id);
/* The same with the message made already (one reference, taken). */
void gw_host_reply_msg(struct conn *c, struct gw_msg *m, bool is_ack, json_t *ack_id);
/* An `error` reply to c (PROTOCOL.md codes), with the request's id if there was one. */
void gw_host_error(struct conn *c, json_t *id, enum room_err err, const char *message);
/* Queues to c the pending event messages with seq > after, in order, for a resume. */
void gw_host_pending_events_to(struct room_host *h, struct conn *c, int64_t after);
/* Moderation (docs/protocol.md "Moderation"): every connection of h whose pid is pid or
 * whose join token's jti is jti (either may be NULL) is sent notice (not consumed) and
 * then closed with code and reason, after what it was already sent; it is marked kicked.
 * Call once what caused it is durable. Returns how many connections. */
size_t gw_host_kick(struct room_host *h, const char *pid, const char *jti, const json_t *notice,
		    int code, const char *reason);
/* The room's batch was handed to the replica: what is queued so far belongs to it, what
 * comes later waits for a later batch. */
void gw_host_seal(struct room_host *h);
/* At shutdown, after the last flush: frees every host and what it still holds. */
void gw_host_free_all(struct gateway *gw);

#endif
