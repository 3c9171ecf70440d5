/*
 * msg -- an outgoing WebSocket text message, serialised once and shared by reference
 * among every connection it goes to. Fan-out to N connections costs N pointer pushes
 * and N reference counts, never N copies or N allocations. The buffer keeps LWS_PRE
 * bytes of headroom in front, as lws_write() requires; since server frames are never
 * masked, the header lws writes there is the same for every connection.
 */
#ifndef PLENARY_GATEWAY_MSG_H
#define PLENARY_GATEWAY_MSG_H

#include <jansson.h>
#include <stddef.h>

struct gw_msg {
	unsigned refs;
	/* Not a message but the end of the connection: a WebSocket close with this code and
	 * the payload as its reason, once everything queued before it is written. 0 for a
	 * text message. */
	int close_code;
	size_t len;
	unsigned char *payload; /* buf + LWS_PRE */
	unsigned char buf[];
};

/* A message holding a copy of text (len bytes); one reference. NULL on OOM. */
struct gw_msg *gw_msg_new(const char *text, size_t len);
/* A close (see close_code) with reason (at most 123 bytes); one reference. NULL on OOM. */
struct gw_msg *gw_msg_close(int code, const char *reason);
/* A message holding v serialised compactly; one reference. NULL on OOM. */
struct gw_msg *gw_msg_from_json(const json_t *v);
/* v serialised with one more member last, "key": raw, where raw is JSON text already (a
 * snapshot written without jansson: rooms.h room_snapshot_text). NULL on OOM. */
struct gw_msg *gw_msg_from_json_with(const json_t *v, const char *key, const char *raw,
				     size_t raw_len);
struct gw_msg *gw_msg_ref(struct gw_msg *m);
void gw_msg_unref(struct gw_msg *m);

#endif
