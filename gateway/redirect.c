/*
 * The --redirect-http listener's one answer: 301 to https://<Host without its
 * port>[:<HTTPS port unless 443>]<path>[?<query>].
 *
 * The Host header is the only part taken from the request that is not a path, so it is
 * held to a name's shape (letters, digits, dots, hyphens) or an address literal: a
 * Location built from it cannot carry another header or point at a userinfo@ trick.
 * Redirecting to whatever name the visitor used, rather than a configured one, is what
 * nginx's "return 301 https://$host$request_uri" does; the certificate decides which
 * names work.
 */
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "gateway/redirect.h"
#include "gateway/server.h"

static bool only(const char *s, size_t n, const char *set)
{
	return strspn(s, set) >= n;
}

/* host without its port into out; false unless a name, IPv4 or [IPv6] and a numeric port. */
static bool host_part(const char *host, char *out, size_t cap)
{
	static const char name[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
	size_t n;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		n = close ? (size_t)(close - host) + 1 : 0;
		if (n < 3 || !only(host + 1, n - 2, "0123456789abcdefABCDEF:."))
			return false;
	} else {
		n = strcspn(host, ":");
		if (n == 0 || !only(host, n, name))
			return false;
	}
	if (host[n] != '\0' &&
	    (host[n] != ':' || !only(host + n + 1, strlen(host + n + 1), "0123456789")))
		return false;
	if (n >= cap)
		return false;
	memcpy(out, host, n);
	out[n] = '\0';
	return true;
}

static bool plain_byte(unsigned char c, const char *extra)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && (strchr("-._~!$&'()*+,;=/:@", c) || strchr(extra, c));
}

static bool append_escaped(char **p, const char *end, const char *s, const char *extra)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = plain_byte(c, extra);
		if (end - *p <= (plain ? 1 : 3))
			return false;
		if (plain) {
			*(*p)++ = (char)c;
			continue;
		}
		*(*p)++ = '%';
		*(*p)++ = hex[c >> 4];
		*(*p)++ = hex[c & 15];
	}
	return true;
}

bool gw_redirect_location(const char *host, int https_port, const char *path, const char *query,
			  char *out, size_t cap)
{
	char name[256];
	if (!host || !host_part(host, name, sizeof name) || !path || path[0] != '/')
		return false;
	int n = https_port == 443 ? snprintf(out, cap, "https://%s", name)
				  : snprintf(out, cap, "https://%s:%d", name, https_port);
	if (n < 0 || (size_t)n >= cap)
		return false;
	char *p = out + n;
	const char *end = out + cap;
	if (!append_escaped(&p, end, path, ""))
		return false;
	if (query && query[0]) {
		if (end - p <= 1)
			return false;
		*p++ = '?';
		if (!append_escaped(&p, end, query, "?"))
			return false;
	}
	*p = '\0';
	return true;
}

/* The query as the client sent it, its arguments joined with '&' again. */
static void query_of(struct lws *wsi, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; used + 1 < cap; i++) {
		char frag[512];
		if (lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) <= 0)
			break;
		int n = snprintf(out + used, cap - used, "%s%s", used ? "&" : "", frag);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
}

int gw_http_redirect(struct gateway *gw, struct lws *wsi, const char *uri)
{
	char host[256], query[1024], loc[2048];
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
		host[0] = '\0';
	query_of(wsi, query, sizeof query);
	if (!gw_redirect_location(host, gw->port, uri, query, loc, sizeof loc)) {
		lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST,
				       "a Host header naming this server is needed");
		return -1;
	}
	unsigned char buf[LWS_PRE + sizeof loc + 512];
	unsigned char *p = buf + LWS_PRE, *end = buf + sizeof buf - 1;
	if (lws_http_redirect(wsi, HTTP_STATUS_MOVED_PERMANENTLY, (const unsigned char *)loc,
			      (int)strlen(loc), &p, end) < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}
