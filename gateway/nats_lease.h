/*
 * nats_lease -- each room's owner lease (--nats, docs/scale.md "Owner and standby").
 *
 * One node at a time owns a room: it holds the key <room> of the JetStream key-value
 * bucket PLENARY_OWNERS (value: {"node","url"}), whose keys expire lease_ttl_ms after their
 * last write. The owner renews it by compare-and-set on its revision; every other node
 * with the room is its standby and tries to create the key (only if absent) until the
 * owner stops renewing and the key expires. The taker catches the room up from its
 * JetStream subject and then serves it. A node that cannot renew in time, or finds the
 * key rewritten, stops writing for the room at once (lease_state.h says when), closes the
 * room's connections and refuses its commands; the expected-sequence check of nats_log
 * refuses whatever it still had on its way.
 *
 * Two threads talk to NATS -- one renews, the other claims, catches up and measures, so
 * a slow read never lets a lease lapse; the gateway thread never waits on them, except
 * for a room's creation (answered at once, so its lease is taken at once) and each room's
 * first claim at start. Results come back
 * through an eventfd the loop watches (gw_lease_drain). Everything here is for the
 * gateway thread unless said otherwise; without --nats gw->lease is NULL and every
 * room is this node's.
 */
#ifndef PLENARY_GATEWAY_NATS_LEASE_H
#define PLENARY_GATEWAY_NATS_LEASE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gateway;
struct gw_nats;
struct gw_lease;

#define GW_LEASE_BUCKET "PLENARY_OWNERS"
/* The close code for a room's connections when this node stops serving it: the standard
 * "service restart" (RFC 6455 registry), so clients reconnect (to the owner) and resume. */
#define GW_CLOSE_MOVED 1012

/* Binds (or makes: 3 replicas, or 1 on a smaller cluster) the bucket with ttl_ms. node
 * names this node in the lease; url (may be "") is where its clients reach it. */
struct gw_lease *gw_lease_open(struct gw_nats *n, const char *node, const char *url, int64_t ttl_ms,
			       char *err, size_t err_cap);
/* Starts the worker: call once the rooms are registered. */
bool gw_lease_start(struct gw_lease *l);
void gw_lease_close(struct gw_lease *l);
int gw_lease_event_fd(const struct gw_lease *l);

/* A room this node has (loaded or created): the worker claims or watches it. */
void gw_lease_add_room(struct gateway *gw, const char *room_id, int64_t head_seq);
/* Takes room_id's lease now, if nobody holds it or it names this node (a restart):
 * blocking, bounded by a fraction of the TTL, for a room being created here and for each
 * room at start (just caught up from JetStream), so they are served at once. false:
 * another node holds it, or NATS did not answer (the worker keeps trying). */
bool gw_lease_claim_now(struct gateway *gw, const char *room_id);
/* The worker's news (rooms taken over, leases lost), on the gateway thread. */
void gw_lease_drain(struct gateway *gw);

/* Whether this node serves room_id now: holds its lease and has caught it up. Always
 * true without --nats. Cheap: no allocation, no NATS. */
bool gw_lease_owns(const struct gateway *gw, const char *room_id);
/* The `unavailable` message for a room this node does not serve, and in url_out the
 * owner's --node-url when another node holds the lease and named one (else ""). */
void gw_lease_refusal(const struct gateway *gw, const char *room_id, char *out, size_t cap,
		      char *url_out, size_t url_cap);

/* /healthz's "node" and "rooms" ({id: {role, owner?, lag?}}) added to obj; show filters
 * the rooms (NULL: all). Nothing without --nats. */
void gw_lease_health(const struct gateway *gw, json_t *obj, bool (*show)(void *, const char *),
		     void *ctx);
/* /metrics' plenary_room_owner and plenary_room_lag_events appended to *text (malloc'd,
 * *len its length); unchanged without --nats or on OOM. */
void gw_lease_metrics(const struct gateway *gw, char **text, size_t *len,
		      bool (*show)(void *, const char *), void *ctx);

#endif
