/*
 * token.refresh. The new token has the claims the connection joined with (room, role,
 * name, sub -- the derived t-... one made explicit, so the pid stays -- group, location),
 * iat now, and a lifetime no longer than the original token's (exp - iat, or without iat
 * exp - the moment of the join) nor than token_max_lifetime_s: a refresh never turns a
 * two-hour link into a month-long one, it only moves the same window on. nbf is left out:
 * the token is valid now.
 *
 * A connection may refresh even after its token expired: it is still in the room (a
 * joined connection stays until it drops, docs/protocol.md), and a resume in the grace
 * period with a lapsed token (session.c) then gets a good token at once. Whoever holds
 * the connection could already act in the room for as long as it lasts; a refresh lets
 * them come back after a drop, not do more.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/refresh.h"
#include "gateway/server.h"

void gw_token_remember(struct conn *c, const struct token_claims *claims, int64_t joined_s)
{
	int64_t from = claims->iat ? claims->iat : joined_s ? joined_s : (int64_t)time(NULL);
	c->token_exp = claims->exp;
	c->token_life_s = claims->exp > from ? claims->exp - from : 1;
}

void gw_token_refresh(struct conn *c, json_t *id, const char *type, json_t *msg)
{
	(void)type, (void)msg;
	if (!c->token_exp) {
		gw_host_error(c, id, ROOM_EUNAUTHORIZED,
			      "you joined without a token: there is none to refresh");
		return;
	}
	/* A refresh must not outlive a revocation or a removal that is on the record. */
	if (room_token_revoked(c->room, c->pid, c->jti) ||
	    room_removed(c->room, c->pid, NULL, NULL)) {
		gw_host_error(c, id, ROOM_EUNAUTHORIZED, "token revoked");
		return;
	}
	int64_t life = c->token_life_s;
	if (life > c->gw->cfg.token_max_lifetime_s)
		life = c->gw->cfg.token_max_lifetime_s;
	struct token_claims t;
	memset(&t, 0, sizeof t);
	snprintf(t.room, sizeof t.room, "%s", room_id(c->room));
	t.role = (enum token_role)c->who.role;
	snprintf(t.name, sizeof t.name, "%s", c->name);
	snprintf(t.sub, sizeof t.sub, "%s", c->pid);
	snprintf(t.group, sizeof t.group, "%s", c->group);
	snprintf(t.jti, sizeof t.jti, "%s", c->jti);
	t.in_room = c->who.in_room;
	t.iat = (int64_t)time(NULL);
	t.exp = t.iat + life;
	char *tok = NULL;
	if (token_sign(&t, c->gw->secret, c->gw->secret_len, &tok) != TOKEN_OK) {
		gw_host_error(c, id, ROOM_EINTERNAL, "cannot sign a token");
		return;
	}
	c->token_exp = t.exp;
	json_t *ack =
	    json_pack("{s:s,s:s,s:I}", "type", "ack", "token", tok, "exp", (json_int_t)t.exp);
	free(tok);
	if (id)
		json_object_set(ack, "id", id);
	gw_info("token refreshed", "conn=%llu exp=%lld", (unsigned long long)c->id,
		(long long)t.exp);
	gw_host_reply(c, ack, true, id);
}
