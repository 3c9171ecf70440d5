/*
 * nats_edge -- a node that serves rooms it does not own (--edge with --nats,
 * docs/scale.md "Edges").
 *
 * The log is the room: an edge loads each room from its file (caught up from JetStream
 * at start by gw_nats_reconcile), follows it (rooms_options.follow: its own clock writes
 * nothing), and then folds every new line of the room's subject, delivered by an ordered
 * JetStream consumer, through rooms_adopt -- the line is checked to continue the chain,
 * applied, synced to the local file and told to the edge's clients exactly as the owner
 * told its own. A line that does not follow is refused, logged, and the subscription is
 * made again from the last line folded. The edge never publishes to the log.
 *
 * Its clients' joins, leaves and room commands go to the room's owner by NATS
 * request/reply (nats_cmd_msg.h; the owner side is nats_cmd.h). The owner answers once
 * the command's events are committed, with the room's seq then; the edge holds that ack
 * (or error) until it has folded up to that seq, so its client sees the events before
 * the ack, as a client of the owner does. Every hand-over from libnats's threads to the
 * gateway thread goes through a list under a mutex and the eventfd nats_log.h's loop
 * watcher already watches.
 */
#ifndef PLENARY_GATEWAY_NATS_EDGE_H
#define PLENARY_GATEWAY_NATS_EDGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gateway/nats_cmd_msg.h"

struct conn;
struct gateway;
struct gw_edge;
struct room;

/* After the rooms load: subscribes to every room's subject and starts the forwarder and
 * its heartbeat. NULL with the reason in err. */
struct gw_edge *gw_edge_start(struct gateway *gw, char *err, size_t err_cap);
/* Unsubscribes and stops the forwarder (before gw_nats_close); gw_edge_free after it. */
void gw_edge_stop(struct gw_edge *e);
void gw_edge_free(struct gw_edge *e);
/* On the gateway thread, when the NATS eventfd woke the loop: folds the lines that
 * arrived and answers the clients whose commands came back. */
void gw_edge_drain(struct gateway *gw);

/* session.c's hooks on an edge. A join whose identity and local checks passed: the
 * owner attaches the person, then gw_session_join_finish. resume is kept for that. */
void gw_edge_join(struct conn *c, struct room *room, json_t *id, json_t *resume);
/* A leave (then gw_session_leave_finish), a closed connection (GW_FWD_DROP, nobody to
 * answer) or a room command (cmd: the client's object). */
void gw_edge_forward(struct conn *c, json_t *id, enum gw_fwd_op op, json_t *cmd);

/* /healthz's "rooms": {id: {role, seq, seen, lag}} for every room (private ones only with
 * all); NULL without --nats. On an owner the role is "owner" and the lag 0. */
json_t *gw_nats_roles(struct gateway *gw, bool all);
/* The same as Prometheus text lines (malloc'd, *len), "" without --nats. */
char *gw_nats_roles_metrics(struct gateway *gw, bool all, size_t *len);

#endif
