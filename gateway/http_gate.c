/*
 * The gate of a private room's routes (http_gate.h).
 */
#include <libwebsockets.h>
#include <string.h>
#include <time.h>

#include "gateway/access.h"
#include "gateway/http_gate.h"
#include "gateway/http_reply.h"
#include "gateway/server.h"
#include "gateway/token.h"

int gw_http_no_such_room(struct lws *wsi, struct http_req *req)
{
	return gw_http_respond_error(wsi, req, 404, ROOM_ENOT_FOUND, "no such room");
}

/* auth: the Authorization header as sent (n its length, < 0 if it did not fit). */
static int gate_bearer(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		       const char *auth, int n)
{
	if (gw_http_admin_ok(gw, wsi))
		return GATE_PASS;
	if (n <= 7 || strncmp(auth, "Bearer ", 7) != 0)
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "expected Authorization: Bearer <token for the room>");
	struct token_claims c;
	enum token_err terr = gw_token_verify(gw, auth + 7, room_id(r), &c);
	if (terr == TOKEN_EROOM)
		return gw_http_respond_error(wsi, req, 403, ROOM_EFORBIDDEN,
					     "the token is for another room");
	if (terr != TOKEN_OK)
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     token_strerror(terr));
	req->bearer_exp = c.exp;
	return GATE_PASS;
}

static int gate_signed(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	/* lws copies each argument into the buffer while looking (see post_caption). */
	char sigbuf[TOKEN_MAX_LEN + 8], expbuf[TOKEN_MAX_LEN + 8];
	const char *sig = lws_get_urlarg_by_name(wsi, "sig=", sigbuf, sizeof sigbuf);
	const char *exp = lws_get_urlarg_by_name(wsi, "exp=", expbuf, sizeof expbuf);
	if (!sig && !exp)
		return gw_http_no_such_room(wsi, req);
	switch (access_check(gw->secret, gw->secret_len, req->uri, sig, exp, time(NULL))) {
	case ACCESS_SIG_OK:
		return GATE_PASS;
	case ACCESS_SIG_EXPIRED:
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "signed URL expired");
	default:
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "signed URL not valid");
	}
}

int gw_http_gate(struct gateway *gw, struct lws *wsi, struct http_req *req, struct room *r,
		 enum gate g)
{
	bool hidden = room_visibility(r) == ROOM_VISIBILITY_PRIVATE;
	if (g == GATE_NONE || (!hidden && g != GATE_TOKEN))
		return GATE_PASS;
	char auth[TOKEN_MAX_LEN + 16];
	int n = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
	bool sent = n != 0 || lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0;
	if (g == GATE_OWN) {
		char tok[TOKEN_MAX_LEN + 8];
		if (sent || lws_get_urlarg_by_name(wsi, "token=", tok, sizeof tok))
			return GATE_PASS;
		return gw_http_no_such_room(wsi, req);
	}
	if (sent)
		return gate_bearer(gw, wsi, req, r, auth, n);
	if (g == GATE_READ)
		return gate_signed(gw, wsi, req);
	if (!hidden)
		return gw_http_respond_error(wsi, req, 401, ROOM_EUNAUTHORIZED,
					     "expected Authorization: Bearer <token for the room>");
	return gw_http_no_such_room(wsi, req);
}
