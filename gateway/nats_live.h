/*
 * nats_live -- the room's messages that are never logged (live and private messages,
 * docs/protocol.md), carried from a room's owner to its edges over core NATS (no
 * JetStream: they are for now, and lost with a connection as they would be locally).
 *
 * The owner publishes each, as its own clients get it, on plenary.room.<id>.live or
 * .private (headers Plenary-Pid, or Plenary-Role for a message to a role's connections);
 * an edge's rooms send none of their own (their state is folded, not lived: their
 * presence and hum levels would be wrong), and tell their clients what the owner sent.
 */
#ifndef PLENARY_GATEWAY_NATS_LIVE_H
#define PLENARY_GATEWAY_NATS_LIVE_H

#include <stdbool.h>

#include "rooms/rooms.h"

struct gateway;
struct gw_edge;

/* The rooms' sink as this node needs it: on an owner (--nats, not --edge) live and
 * private messages are also published; on an edge they are not made locally at all. */
void gw_live_sink(struct gateway *gw, struct rooms_sink *sink);

/* An edge: subscribes to room's live and private subjects; what arrives goes through the
 * edge's list to gw_live_drain on the gateway thread. false if NATS refused. */
bool gw_live_follow(struct gw_edge *e, const char *room);
/* On the gateway thread: tells the edge's clients what arrived. */
void gw_live_drain(struct gw_edge *e);

#endif
