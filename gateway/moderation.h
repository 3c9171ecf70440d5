/*
 * moderation -- the gateway's side of removals and token revocations (docs/protocol.md
 * "Moderation"): telling the connections concerned and closing them, refusing what they
 * send meanwhile, and the admin API's revocations routes.
 *
 * rooms/ decides and logs (participant.removed, token.revoked); this file acts on the
 * connections only once that is durable, so nobody is ever thrown out by an event the log
 * does not hold.
 */
#ifndef PLENARY_GATEWAY_MODERATION_H
#define PLENARY_GATEWAY_MODERATION_H

#include <stdbool.h>
#include <stddef.h>

#include "rooms/rooms.h"

struct conn;
struct gateway;
struct http_req;
struct lws;
struct room_host;

/* The WebSocket close codes (private range, RFC 6455 sect. 7.4.2), mnemonic of HTTP's. */
#define GW_CLOSE_REVOKED 4401 /* the connection's token was revoked */
#define GW_CLOSE_REMOVED 4403 /* a chair removed the person from the room */

/* A chair (c) removed pid: flushes the room's log, and if the removal is durable sends
 * every connection of pid the private `removed` message and closes it. */
void gw_moderation_removed(struct conn *c, const char *pid);
/* Whether c may still send type: a kicked connection gets an error (sent here) for
 * everything but ping. */
bool gw_moderation_admits(struct conn *c, json_t *id, const char *type);

/* Every connection of pid in h gets the private `removed` message (by, by_name -- a
 * reference taken --, reason if any) and is closed; how many. Once participant.removed is
 * durable: on this node, or an edge that folded it. */
size_t gw_moderation_kick_removed(struct room_host *h, const char *pid, const char *by,
				  json_t *by_name, const char *reason);
/* Every connection of h with that sub (or jti) gets the private `revoked` message (with
 * reason, if any) and is closed; how many. Once the token.revoked event is durable: on
 * this node, or an edge that folded it. */
size_t gw_moderation_kick_revoked(struct room_host *h, const char *sub, const char *jti,
				  const char *reason);

/* POST, DELETE (?sub= or ?jti=) and GET /api/rooms/{id}/revocations (admin). */
int gw_http_post_revocation(struct gateway *gw, struct lws *wsi, struct http_req *req,
			    struct room *r, const char *arg);
int gw_http_delete_revocation(struct gateway *gw, struct lws *wsi, struct http_req *req,
			      struct room *r, const char *arg);
int gw_http_get_revocations(struct gateway *gw, struct lws *wsi, struct http_req *req,
			    struct room *r, const char *arg);

#endif
