/*
 * http_gate -- who may reach a room's HTTP route when the room is private (PROTOCOL.md,
 * second version): a Bearer token for that room (any role, checked as a join checks it)
 * or the admin token, or for what a media player fetches a signed URL (access.h). A
 * stranger who sends nothing gets exactly the 404 of a room that does not exist; a bad or
 * expired token or signature 401; a good token for another room 403. Public rooms are not
 * gated.
 */
#ifndef PLENARY_GATEWAY_HTTP_GATE_H
#define PLENARY_GATEWAY_HTTP_GATE_H

struct gateway;
struct http_req;
struct lws;
struct room;

enum gate {
	GATE_NONE,  /* the admin API: its own check, whatever the room */
	GATE_OWN,   /* the handler checks a credential; a private room with none sent is 404 */
	GATE_READ,  /* a private room's resource: Bearer for the room, admin, or signed URL */
	GATE_TOKEN, /* Bearer for the room or admin in any room (404 in a private one) */
};
#define GATE_PASS 1 /* not 0 or -1, what a handler returns */

/* GATE_PASS when the request may reach the room's handler; otherwise what answering it
 * returned. */
int gw_http_gate(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		 enum gate g);
/* Byte for byte the answer for a room that does not exist. */
int gw_http_no_such_room(struct lws *wsi, struct http_req *req);

#endif
