/*
 * refresh -- token.refresh: a long meeting outlives the link someone joined with, and a
 * connection that drops after its token expired could not come back. The client asks for
 * a fresh token with the same claims well before expiry and keeps it for its next join.
 */
#ifndef PLENARY_GATEWAY_REFRESH_H
#define PLENARY_GATEWAY_REFRESH_H

#include <jansson.h>
#include <stdint.h>

#include "gateway/token.h"

struct conn;

/* The connection joined with this token: what a refresh needs (conn.token_exp, _life_s).
 * A token without iat lives from joined_s (seconds since the epoch; 0: now). */
void gw_token_remember(struct conn *c, const struct token_claims *claims, int64_t joined_s);

/* token.refresh {}: acks {token, exp}. unauthorized for a connection that joined without
 * a token (an anonymous observer). The envelope table's handler (session.c). */
void gw_token_refresh(struct conn *c, json_t *id, const char *type, json_t *msg);

#endif
