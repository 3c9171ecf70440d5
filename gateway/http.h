/*
 * http -- the HTTP routes: web client, health, metrics, admin API, the public record and
 * listen.ogg. The protocol callback in server.c calls these for the HTTP reasons; each
 * returns 0, or -1 for lws to close the connection. *reqp / req is the request's state,
 * kept in lws's per-session data and freed by gw_http_closed.
 */
#ifndef PLENARY_GATEWAY_HTTP_H
#define PLENARY_GATEWAY_HTTP_H

#include <stddef.h>

struct gateway;
struct http_req;
struct lws;

int gw_http_request(struct gateway *gw, struct lws *wsi, struct http_req **reqp, const char *uri);
int gw_http_body(struct gateway *gw, struct lws *wsi, struct http_req *req, const void *in,
		 size_t len);
int gw_http_body_done(struct gateway *gw, struct lws *wsi, struct http_req *req);
int gw_http_writable(struct gateway *gw, struct lws *wsi, struct http_req *req);
void gw_http_closed(struct gateway *gw, struct http_req *req);

/* A connection accepted (HTTP or, after its upgrade, WebSocket) and one gone: the count of
 * its client address's open connections. -1: the address is at its cap, close it. */
int gw_http_conn_open(struct gateway *gw, struct lws *wsi);
void gw_http_conn_closed(struct gateway *gw, struct lws *wsi);

#endif
