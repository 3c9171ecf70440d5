/*
 * The answers of HTTP routes (http_reply.h). A response is built whole in memory; http.c
 * writes it in pieces as lws says the socket can take them.
 */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http_reply.h"
#include "gateway/server.h"

static int send_headers(struct lws *wsi, unsigned status, const char *ctype, size_t len,
			const char *cache, int retry_after)
{
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	char retry[16];
	int rl = snprintf(retry, sizeof retry, "%d", retry_after);
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
					(const unsigned char *)"nosniff", 7, &p, end) ||
	    lws_add_http_header_by_name(
		wsi, (const unsigned char *)"cache-control:", (const unsigned char *)cache,
		(int)strlen(cache), &p, end) ||
	    (retry_after > 0 &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
					 (const unsigned char *)retry, rl, &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return 0;
}

/* Takes ownership of body (malloc'd). */
int gw_http_respond(struct lws *wsi, struct http_req *req, unsigned status, const char *ctype,
		    char *body, size_t len)
{
	free(req->resp);
	req->resp = body;
	req->resp_len = len;
	req->resp_sent = 0;
	if (send_headers(wsi, status, ctype, len, "no-store", req->retry_after))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

int gw_http_respond_text(struct lws *wsi, struct http_req *req, unsigned status, const char *text)
{
	size_t len = strlen(text);
	char *body = malloc(len + 1);
	if (!body)
		return -1;
	memcpy(body, text, len + 1);
	return gw_http_respond(wsi, req, status, "text/plain; charset=utf-8", body, len);
}

/* Consumes v. */
int gw_http_respond_json(struct lws *wsi, struct http_req *req, unsigned status, json_t *v)
{
	char *body = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!body)
		return gw_http_respond_text(wsi, req, 500, "internal error\n");
	size_t len = strlen(body);
	char *with_nl = realloc(body, len + 2);
	if (!with_nl) {
		free(body);
		return -1;
	}
	with_nl[len] = '\n';
	return gw_http_respond(wsi, req, status, "application/json", with_nl, len + 1);
}

int gw_http_respond_error(struct lws *wsi, struct http_req *req, unsigned status, enum room_err err,
			  const char *message)
{
	return gw_http_respond_json(
	    wsi, req, status,
	    json_pack("{s:s,s:s}", "code", room_err_code(err), "message", message));
}

bool gw_http_admin_ok(struct gateway *gw, struct lws *wsi)
{
	if (!gw->admin_enabled)
		return false;
	char auth[600];
	int n = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n <= 7 || strncmp(auth, "Bearer ", 7) != 0)
		return false;
	size_t want = strlen(gw->admin_token);
	size_t got = (size_t)n - 7;
	/* Constant time over the expected length, whatever was sent. */
	unsigned char diff = got != want;
	for (size_t i = 0; i < want; i++)
		diff |= (unsigned char)(gw->admin_token[i] ^ (i < got ? auth[7 + i] : 0));
	return diff == 0;
}

json_t *gw_http_body_json(struct http_req *req)
{
	if (!req->body || req->body_too_large)
		return NULL;
	json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (v && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}
