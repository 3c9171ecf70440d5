/*
 * client_addr -- which address a connection or request counts against for the per-address
 * limits (docs/protocol.md "Limits"): the TCP peer, or, when the peer is a trusted proxy,
 * the client its X-Forwarded-For names (forwarded.h). The lws side of forwarded.c.
 */
#ifndef PLENARY_GATEWAY_CLIENT_ADDR_H
#define PLENARY_GATEWAY_CLIENT_ADDR_H

#include <stdbool.h>

#include "gateway/forwarded.h"

struct gateway;
struct lws;

/* False when the peer's address is unknown. Else *ip is the address to count against and
 * *limited whether to count at all: not for loopback (a reverse proxy on this host) unless
 * limit_loopback -- but always for a trusted proxy's own address, when its header is
 * missing or malformed (logged); and not for a trusted proxy when headers is false (a
 * new connection, before any header: it carries many clients' requests). */
bool gw_client_addr(const struct gateway *gw, struct lws *wsi, bool headers, struct gw_ip *ip,
		    bool *limited);

#endif
