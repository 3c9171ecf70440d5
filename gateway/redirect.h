/*
 * redirect -- the --redirect-http listener: every plain-HTTP request gets a 301 to the
 * same path on plenaryd's HTTPS address, and nothing else is served there (no files, no
 * API, no WebSocket), so nothing is ever sent in the clear but the way to HTTPS.
 */
#ifndef PLENARY_GATEWAY_REDIRECT_H
#define PLENARY_GATEWAY_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>

struct gateway;
struct lws;

/* The Location for a plain-HTTP request: "https://" host "[:" https_port "]" path
 * "[?" query "]". host is the request's Host header, whose port is dropped; the port is
 * written unless it is 443. Bytes of path and query outside RFC 3986's unreserved and
 * sub-delims (and / : @, and ? in the query) are percent-encoded again (lws hands them
 * decoded). query may be NULL or "". False when host is empty or not a DNS name, an IPv4
 * address or a bracketed IPv6 address (so no header can be smuggled through it), path
 * does not start with '/', or out is too small. */
bool gw_redirect_location(const char *host, int https_port, const char *path, const char *query,
			  char *out, size_t cap);

/* LWS_CALLBACK_HTTP on the redirect vhost: writes the 301 (or a 400 without a usable
 * Host) and ends the transaction. 0, or -1 for lws to close the connection. */
int gw_http_redirect(struct gateway *gw, struct lws *wsi, const char *uri);

#endif
