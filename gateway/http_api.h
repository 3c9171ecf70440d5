/*
 * http_api -- the routes under /api/: rooms, tokens, the CART caption POST, signed URLs,
 * revocations (moderation.c), a room's record, log, streams and metrics. A table of
 * {method, path shape, gate, handler}. Handlers that change a room flush the log before
 * answering, so a 201 is as durable as a WebSocket ack.
 */
#ifndef PLENARY_GATEWAY_HTTP_API_H
#define PLENARY_GATEWAY_HTTP_API_H

struct gateway;
struct http_req;
struct lws;

/* Answers a request whose path starts with /api/ (404 for one no route takes). */
int gw_http_api(struct gateway *gw, struct lws *wsi, struct http_req *req);

#endif
