/*
 * nats_cmd -- the owner's side of edges (docs/scale.md, "Edges"): a --nats node without
 * --edge answers the requests edges forward for their clients (nats_cmd_msg.h) on
 * plenary.room.<id>.cmd, running each for a "remote participant" -- a person whose
 * connection lives on another node -- exactly as for a connection of its own, and
 * answering only once the command's events are committed (file and JetStream).
 *
 * Presence of an edge's people: each edge publishes a heartbeat every second; an edge
 * silent for GW_CMD_EDGE_DEAD_MS has its people dropped as if their connections had
 * closed (the grace period starts; participant.left "timeout" follows unless they join
 * again, on any node).
 */
#ifndef PLENARY_GATEWAY_NATS_CMD_H
#define PLENARY_GATEWAY_NATS_CMD_H

#include <stdbool.h>
#include <stddef.h>

struct gateway;
struct gw_cmd;

#define GW_CMD_EDGE_DEAD_MS 5000

/* After the rooms load, with gw->nats: subscribes. NULL with the reason in err. */
struct gw_cmd *gw_cmd_start(struct gateway *gw, char *err, size_t err_cap);
/* Unsubscribes and stops the ticker (before gw_nats_close); gw_cmd_free after it. */
void gw_cmd_stop(struct gw_cmd *k);
void gw_cmd_free(struct gw_cmd *k);
/* On the gateway thread, when the NATS eventfd woke the loop. */
void gw_cmd_drain(struct gateway *gw);

#endif
