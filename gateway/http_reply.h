/*
 * http_reply -- what every HTTP route answers with: the request's state (struct
 * http_req), a response built whole in memory and written in pieces by http.c, JSON
 * errors in the protocol's {code, message} shape, the admin token's check and a JSON body.
 */
#ifndef PLENARY_GATEWAY_HTTP_REPLY_H
#define PLENARY_GATEWAY_HTTP_REPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rooms/rooms.h"

struct gateway;
struct lws;
struct gw_stream_client;

struct http_req {
	int method;
	char uri[600];
	char *body;
	size_t body_len;
	size_t body_seen; /* what arrived, kept or not: the slow-body check */
	int64_t start_ms; /* the headers' arrival */
	bool body_too_large;
	int retry_after; /* a 429's Retry-After, seconds */
	bool answered;	 /* before the body's end (413, 429): close once it is sent */
	char *resp;
	size_t resp_len, resp_sent;
	struct gw_stream_client *stream; /* listen.ogg: the response is a live stream */
	int64_t bearer_exp; /* the gate's Bearer token's exp; 0 for none or the admin token */
};

/* Takes ownership of body (malloc'd); http.c writes it as the socket takes it. */
int gw_http_respond(struct lws *wsi, struct http_req *req, unsigned status, const char *ctype,
		    char *body, size_t len);
int gw_http_respond_text(struct lws *wsi, struct http_req *req, unsigned status, const char *text);
/* Consumes v. */
int gw_http_respond_json(struct lws *wsi, struct http_req *req, unsigned status, json_t *v);
int gw_http_respond_error(struct lws *wsi, struct http_req *req, unsigned status, enum room_err err,
			  const char *message);
/* Authorization: Bearer <the admin token>, compared in constant time. */
bool gw_http_admin_ok(struct gateway *gw, struct lws *wsi);
/* The body as a JSON object; NULL if absent, too large, not JSON or not an object. */
json_t *gw_http_body_json(struct http_req *req);

#endif
