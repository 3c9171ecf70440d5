/*
 * The web client's files (http_static.h).
 */
#include <libwebsockets.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/gzip.h"
#include "gateway/http_reply.h"
#include "gateway/http_static.h"
#include "gateway/server.h"
#include "gateway/static_files.h"

static int respond_not_modified(struct lws *wsi, const char *etag)
{
	unsigned char buf[LWS_PRE + 512];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_NOT_MODIFIED, NULL, 0, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"etag:",
					(const unsigned char *)etag, (int)strlen(etag), &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* A text file gzipped (gzip.h) when the client takes it; 1 when it did not answer. */
static int serve_gzip(struct gateway *gw, struct lws *wsi, struct http_req *req, const char *path,
		      const char *mime, const char *etag)
{
	char ae[256];
	const char *data = NULL;
	size_t len = 0;
	if (!gw_gzip_worth(mime) ||
	    lws_hdr_copy(wsi, ae, sizeof ae, WSI_TOKEN_HTTP_ACCEPT_ENCODING) <= 0 ||
	    !gw_gzip_accepted(ae) || !(gw->gzip || (gw->gzip = gw_gzip_create())) ||
	    !gw_gzip_get(gw->gzip, path, etag, &data, &len))
		return 1;
	char *body = malloc(len);
	if (!body)
		return -1;
	memcpy(body, data, len);
	free(req->resp);
	req->resp = body;
	req->resp_len = len;
	req->resp_sent = 0;
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	static const char extra[] =
	    "x-content-type-options: nosniff\r\ncache-control: "
	    "no-cache\r\ncontent-encoding: gzip\r\nvary: accept-encoding\r\n";
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, mime, len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"etag:",
					(const unsigned char *)etag, (int)strlen(etag), &p, end) ||
	    end - p < (ptrdiff_t)sizeof extra)
		return -1;
	memcpy(p, extra, sizeof extra - 1);
	p += sizeof extra - 1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

int gw_http_static(struct gateway *gw, struct lws *wsi, struct http_req *req)
{
	char path[1200];
	const char *mime = NULL;
	if (req->method != LWSHUMETH_GET ||
	    !gw_static_resolve(gw->cfg.web_root, req->uri, path, sizeof path, &mime))
		return gw_http_respond_text(wsi, req, 404, "not found\n");
	/* Validators, so a participant on a poor link downloads the client once: the ETag is
	 * the file's size and modification time, and a matching If-None-Match gets a 304. */
	struct stat st;
	char etag[64], seen[96], headers[256];
	if (stat(path, &st) != 0)
		return gw_http_respond_text(wsi, req, 404, "not found\n");
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
		     (unsigned long long)st.st_mtim.tv_nsec);
	/* The gzipped bytes are another representation: their own validator. */
	char etag_gz[72];
	snprintf(etag_gz, sizeof etag_gz, "%.*s-gz\"", (int)strlen(etag) - 1, etag);
	if (lws_hdr_copy(wsi, seen, sizeof seen, WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 &&
	    (strcmp(seen, etag) == 0 || strcmp(seen, etag_gz) == 0))
		return respond_not_modified(wsi, seen);
	int gz = serve_gzip(gw, wsi, req, path, mime, etag_gz);
	if (gz <= 0)
		return gz;
	/* "vary": a cache must not give these bytes to a client that asked for gzip. */
	int hl = snprintf(headers, sizeof headers,
			  "x-content-type-options: nosniff\r\ncache-control: no-cache\r\n"
			  "etag: %s\r\nvary: accept-encoding\r\n",
			  etag);
	int n = lws_serve_http_file(wsi, path, mime, headers, hl);
	if (n < 0)
		return -1;
	if (n > 0 && lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}
