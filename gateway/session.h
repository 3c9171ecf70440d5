/*
 * session -- the envelope of PROTOCOL.md and the connection-level commands (ping, join
 * with resume, leave, media.offer); everything else goes to rooms/ as it came. No lws:
 * replies leave through conn.h and the fan-out.
 */
#ifndef PLENARY_GATEWAY_SESSION_H
#define PLENARY_GATEWAY_SESSION_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct gateway;
struct gw_session_entry;

/* Resume keys: opaque random strings mapped to the person they were issued to, in a
 * small hash table, in memory only (after a restart a resume gets a fresh snapshot,
 * which is what PROTOCOL.md asks for an unknown session). */
struct gw_resume_keys {
	struct gw_session_entry **table;
	size_t cap, len;
	int64_t swept_ms; /* when expired keys were last looked for */
};

/* One complete text message from c. Every outcome is a message to c (an ack or an
 * error); the connection always stays open. */
void gw_session_message(struct conn *c, const char *text, size_t len);
/* The connection is gone: its resume key starts to expire, it leaves its room (which
 * starts the grace period) and its media peer is closed. */
void gw_session_closed(struct conn *c);
/* Frees the keys whose ten minutes are up; cheap to call on every clock tick. */
void gw_sessions_expire(struct gateway *gw, int64_t now_ms);
void gw_sessions_free(struct gateway *gw);

#endif
