/*
 * session_priv -- what the files of the WebSocket session share: session.c (the envelope
 * and dispatch), session_join.c (join and resume), session_keys.c (the resume keys).
 * Only they include it.
 */
#ifndef PLENARY_GATEWAY_SESSION_PRIV_H
#define PLENARY_GATEWAY_SESSION_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/session.h"

struct conn;
struct gateway;
struct room;

struct gw_session_entry {
	char key[GW_SESSION_KEY_LEN + 1];
	char room[65];
	char pid[GW_PID_MAX];
	int64_t expires_ms; /* 0 while a connection uses it */
	int64_t issued_s;   /* wall clock, when its first connection joined */
	struct gw_session_entry *next;
};

/* How long a key outlives its last connection. */
#define SESSION_KEEP_MS (10 * 60 * 1000)

/* The live entry of key, or NULL. */
struct gw_session_entry *gw_session_find(struct gateway *gw, const char *key);
/* A fresh key for c's person in room, into c->session; false on OOM or no randomness. */
bool gw_session_issue(struct gateway *gw, struct conn *c, const char *room);
/* --nats: whether this node serves room now (a standby does not); if not, answers id
 * with `unavailable`, naming the owner. */
bool gw_session_served_here(struct conn *c, json_t *id, struct room *room);
/* The "join" command (session_join.c). */
void gw_session_handle_join(struct conn *c, json_t *id, const char *type, json_t *msg);

#endif
