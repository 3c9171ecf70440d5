/*
 * nats_lease_priv -- what the owner lease's files share: nats_lease.c (the bucket, the
 * worker and the renewer), nats_lease_sync.c (the worker's reads of the room log) and
 * nats_lease_room.c (the gateway thread's side). Only they include it.
 */
#ifndef PLENARY_GATEWAY_NATS_LEASE_PRIV_H
#define PLENARY_GATEWAY_NATS_LEASE_PRIV_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/lease_state.h"

/* One room's lease. Never freed before the lease itself, so pointers stay valid; the
 * list only grows, at its head. */
struct lease_room {
	struct lease_room *next;
	char room_id[65];
	/* Under gw_lease.mu: */
	struct gw_lease_state st;
	int64_t local_seq; /* the room's head here when it was last standby */
	char owner[640];   /* the lease's value as last read; "" unknown */
	int64_t lag;	   /* standby: subject's last seq - local_seq; -1 unknown */
	bool catch_up;	   /* owner, not yet caught up and handed to the gateway thread */
	bool broken;	   /* could not take the room over: never claims again */
	bool unloaded;	   /* found in the stream, not yet loaded here: not claimed */
	bool found_posted; /* unloaded, and its log is on its way to the gateway thread */
	/* The worker's alone: */
	int64_t lag_next_ms;
	/* Written by the gateway thread alone, and read and written under mu (gw_lease_owns
	 * reads it from the media publisher's thread too). */
	bool serving;
};

enum lease_news { LEASE_ACQUIRED, LEASE_LOST, LEASE_FOUND };

struct lease_event {
	struct lease_event *next;
	struct lease_room *room;
	enum lease_news kind;
	char *lines; /* ACQUIRED: the subject past local_seq; FOUND: all of it; '\n' after each */
	size_t len;
};

struct gw_lease {
	struct gw_nats *nats;
	jsCtx *js; /* its own: each call waits at most a fraction of the TTL */
	kvStore *kv;
	char node[128];
	char value[512]; /* what this node writes: {"node","url"} */
	struct gw_lease_timing t;
	int efd;
	pthread_t worker, renewer; /* claims, catch-ups, lag; renewals alone (nats_lease.c) */
	bool started, renewer_started;
	pthread_mutex_t mu;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	bool stop;
	struct lease_room *rooms;
	struct lease_event *events, **events_tail;
	int64_t discover_next_ms; /* the worker's alone */
};

/* Monotonic milliseconds: the lease's clock (wall clock jumps must not move it). */
int64_t gw_lease_mono_ms(void);
/* Under mu: the room's entry, NULL if none. */
struct lease_room *gw_lease_find(const struct gw_lease *l, const char *room_id);
/* Under mu: a new entry (standby, claim due now). NULL on OOM. */
struct lease_room *gw_lease_insert(struct gw_lease *l, const char *room_id, int64_t head_seq);
/* Takes the room's key if nobody holds it, or if it names this node (a restart): *sent
 * when the deciding write was sent; owner gets the value seen (this node's if taken). */
enum gw_lease_result gw_lease_try_claim(struct gw_lease *l, const char *room_id, uint64_t *rev,
					int64_t *sent, char *owner, size_t cap);
void gw_lease_free_events(struct lease_event *e);
/* Under mu: news for the gateway thread (lines, malloc'd, become the event's). */
void gw_lease_post_news(struct gw_lease *l, struct lease_room *r, enum lease_news kind, char *lines,
			size_t len);
/* nats_lease_sync.c, on the worker without mu: a room just taken is read from its
 * subject past local_seq and handed over (LEASE_ACQUIRED) if still held; a standby's lag. */
void gw_lease_hand_over(struct gw_lease *l, struct lease_room *r, int64_t local_seq);
void gw_lease_measure_lag(struct gw_lease *l, struct lease_room *r, int64_t local_seq);
/* nats_lease_sync.c, on the worker without mu: rooms of the stream this node has not
 * loaded (made by another node since this one started) are read whole and handed to the
 * gateway thread (LEASE_FOUND), which loads them as their standby. */
void gw_lease_discover(struct gw_lease *l);

#endif
