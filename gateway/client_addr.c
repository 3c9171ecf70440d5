/*
 * The client's address for the per-address limits (client_addr.h).
 */
#include "gateway/client_addr.h"

#include <libwebsockets.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/logging.h"
#include "gateway/server.h"

/* X-Forwarded-For longer than this is taken as malformed: ~60 hops of IPv6. */
#define XFF_MAX 2048

static bool from_header(const struct gateway *gw, struct lws *wsi, const struct gw_ip *peer,
			struct gw_ip *ip)
{
	char xff[XFF_MAX];
	int len = lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR);
	if (len <= 0)
		return false;
	enum gw_xff r = GW_XFF_MALFORMED;
	if (len < (int)sizeof xff &&
	    lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) == len)
		r = gw_xff_client(&gw->cfg.http.trusted_proxies, xff, (size_t)len, ip);
	if (r == GW_XFF_MALFORMED) {
		char who[INET6_ADDRSTRLEN];
		gw_ip_format(peer, who, sizeof who);
		gw_warn("X-Forwarded-For malformed",
			"proxy=%s bytes=%d: limiting the proxy's address", who, len);
	}
	return r == GW_XFF_CLIENT;
}

bool gw_client_addr(const struct gateway *gw, struct lws *wsi, bool headers, struct gw_ip *ip,
		    bool *limited)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fd = (int)lws_get_socket_fd(wsi);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    !gw_ip_from_sockaddr(ip, &ss))
		return false;
	bool loopback_free = !gw->cfg.http.limit_loopback;
	if (!gw_proxies_trust(&gw->cfg.http.trusted_proxies, ip)) {
		*limited = !(loopback_free && gw_ip_loopback(ip));
		return true;
	}
	*limited = false;
	if (!headers)
		return true;
	struct gw_ip peer = *ip;
	if (!from_header(gw, wsi, &peer, ip)) {
		*ip = peer;
		*limited = true; /* the proxy's own address: never exempt */
		return true;
	}
	*limited = !(loopback_free && gw_ip_loopback(ip));
	return true;
}
