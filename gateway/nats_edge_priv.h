/*
 * nats_edge_priv -- what nats_edge.c (folding) and nats_edge_fwd.c (forwarding) share.
 */
#ifndef PLENARY_GATEWAY_NATS_EDGE_PRIV_H
#define PLENARY_GATEWAY_NATS_EDGE_PRIV_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/nats_cmd_msg.h"

#define GW_EDGE_HEARTBEAT_SUBJECT "plenary.edge.hb"
#define GW_EDGE_HEARTBEAT_MS	  1000

struct gateway;
struct gw_edge;
struct room;

/* One line of a room's subject, from a libnats thread to the gateway thread. */
struct edge_line {
	struct edge_line *next;
	struct edge_room *room;
	uint64_t sseq, pending; /* its stream sequence; how many followed it then */
	size_t len;		/* with the '\n' added for rooms_adopt */
	char data[];
};

/* A live or private message from the owner, from a libnats thread to the gateway thread
 * (nats_live.c). */
struct edge_live {
	struct edge_live *next;
	char room[65];
	bool private_msg;
	char pid[GW_PID_MAX]; /* "" for a message to a role */
	enum room_role role;
	size_t len;
	char data[];
};

/* The live and private subscriptions of one room (nats_live.c). */
struct edge_live_sub {
	struct edge_live_sub *next;
	struct gw_edge *e;
	char room[65];
	natsSubscription *live, *private_msg;
};

/* A room made on another node since the edge started, read whole from its subject up to
 * stream sequence sseq, from the forwarder thread to the gateway thread. */
struct edge_new_room {
	struct edge_new_room *next;
	char id[65];
	uint64_t sseq;
	char *lines; /* each ending in '\n' */
	size_t len;
};

/* A room id the forwarder knows of (its thread only, after start). */
struct edge_known {
	struct edge_known *next;
	char id[65];
};

/* A room the edge follows. applied_sseq, seen, refused_sseq: gateway thread only. */
struct edge_room {
	struct edge_room *next;
	struct gw_edge *e;
	char id[65];
	natsSubscription *sub;
	uint64_t applied_sseq; /* the last stream sequence folded or skipped (0: none) */
	int64_t seen;	       /* the highest log seq known on the subject */
	uint64_t refused_sseq; /* the last line refused: not re-synced for twice */
	uint64_t resyncs;
};

/* A forwarded request, from the gateway thread to the forwarder and back. */
struct edge_req {
	struct edge_req *next;	   /* todo, done, waiting */
	struct edge_req *all_next; /* every request not yet answered (gateway thread) */
	struct gw_fwd_req fr;	   /* what was sent (identity kept for a late drop) */
	json_t *id, *resume;
	char *text;
	size_t len;
	struct gw_fwd_reply reply;
	int64_t deadline_ms;
};

struct gw_edge {
	struct gateway *gw;
	struct gw_nats *n;
	char node[GW_FWD_NODE_MAX];
	pthread_mutex_t mu; /* todo, done, lines, stop */
	pthread_cond_t cond;
	pthread_t worker;
	bool worker_started, stop;
	struct edge_req *todo, *done;
	struct edge_line *lines, **lines_tail;
	struct edge_live *lives, **lives_tail; /* under mu */
	struct edge_live_sub *live_subs;
	struct edge_new_room *new_rooms; /* under mu */
	struct edge_known *known;	 /* the gateway thread before start, then the forwarder */
	struct edge_room *rooms;
	struct edge_req *waiting, *all; /* gateway thread only */
	uint64_t refused, resyncs;
};

/* nats_edge_fwd.c */
bool gw_edge_fwd_start(struct gw_edge *e);
void gw_edge_fwd_stop(struct gw_edge *e);
void gw_edge_fwd_free(struct gw_edge *e);
/* Takes what came back, then answers what has been folded far enough. */
void gw_edge_fwd_drain(struct gw_edge *e);
void gw_edge_wake(struct gw_edge *e);

/* nats_edge_mod.c: after lines (each ending in '\n') were folded into room, the
 * removals and revocations among them close this edge's connections concerned. */
void gw_edge_moderate(struct gateway *gw, struct room *room, const char *lines, size_t len);

/* nats_edge_new.c: rooms the stream holds that the edge does not follow yet, looked for
 * by the forwarder thread (gw_edge_discover, every few seconds) and handed over. */
bool gw_edge_know(struct gw_edge *e, const char *id);
void gw_edge_discover(struct gw_edge *e);
void gw_edge_new_free(struct gw_edge *e);

/* nats_live.c: unsubscribes (gw_edge_stop) and frees (gw_edge_free) what it made. */
void gw_live_unfollow(struct gw_edge *e);
void gw_live_free(struct gw_edge *e);

#endif
