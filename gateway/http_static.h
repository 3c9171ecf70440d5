/*
 * http_static -- the web client's files from --web-root: validators (ETag from size and
 * modification time, 304 on a match) so a participant on a poor link downloads the client
 * once, and text files gzipped (gzip.h) for clients that take it.
 */
#ifndef PLENARY_GATEWAY_HTTP_STATIC_H
#define PLENARY_GATEWAY_HTTP_STATIC_H

struct gateway;
struct http_req;
struct lws;

int gw_http_static(struct gateway *gw, struct lws *wsi, struct http_req *req);

#endif
