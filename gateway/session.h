/*
 * session -- the envelope of PROTOCOL.md and the connection-level commands (ping, join
 * with resume, leave, media.offer); everything else goes to rooms/ as it came. No lws:
 * replies leave through conn.h and the fan-out.
 */
#ifndef PLENARY_GATEWAY_SESSION_H
#define PLENARY_GATEWAY_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct gateway;
struct gw_session_entry;
struct room;

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

/* The ends of a join and a leave, and an ack, for an edge (nats_edge.h) whose owner
 * answered: the join's ack with mic and mine (the owner's room_mic_open and
 * room_private_state; borrowed), a leave's ack and the connection's detach; fields
 * consumed (NULL: a bare ack). */
void gw_session_join_finish(struct conn *c, struct room *room, json_t *id, json_t *resume, bool mic,
			    json_t *mine);
void gw_session_leave_finish(struct conn *c, json_t *id);
void gw_session_ack(struct conn *c, json_t *id, json_t *fields);

#endif
