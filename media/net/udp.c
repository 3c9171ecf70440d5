/*
 * udp -- see udp.h.
 */
#include "media/net/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* Socket buffers: a worker with thousands of listeners sends bursts of one packet each
 * every 20 ms; the default 208 KiB would drop some. The kernel caps this at rmem_max /
 * wmem_max unless we are privileged, which is fine. */
#define SOCKET_BUFFER (4 << 20)

bool udp_parse_ip(const char *ip, struct stun_addr *out)
{
	memset(out, 0, sizeof *out);
	if (ip == NULL)
		return false;
	if (inet_pton(AF_INET, ip, out->ip) == 1) {
		out->family = STUN_IPV4;
		return true;
	}
	if (inet_pton(AF_INET6, ip, out->ip) == 1) {
		out->family = STUN_IPV6;
		return true;
	}
	return false;
}

void udp_format_ip(const struct stun_addr *a, char *out, size_t cap)
{
	if (cap == 0)
		return;
	int af = a->family == STUN_IPV6 ? AF_INET6 : AF_INET;
	if (inet_ntop(af, a->ip, out, (socklen_t)cap) == NULL)
		out[0] = '\0';
}

bool udp_is_wildcard(const struct stun_addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->ip, zero, a->family == STUN_IPV6 ? 16 : 4) == 0;
}

bool udp_from_sockaddr(const struct sockaddr_storage *ss, struct stun_addr *out)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memset(out, 0, sizeof *out);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		out->family = STUN_IPV4;
		out->port = ntohs(in->sin_port);
		memcpy(out->ip, &in->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		out->port = ntohs(in6->sin6_port);
		if (memcmp(in6->sin6_addr.s6_addr, v4mapped, sizeof v4mapped) == 0) {
			out->family = STUN_IPV4;
			memcpy(out->ip, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			out->family = STUN_IPV6;
			memcpy(out->ip, in6->sin6_addr.s6_addr, 16);
		}
		return true;
	}
	return false;
}

socklen_t udp_to_sockaddr(const struct stun_addr *a, int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		if (a->family != STUN_IPV4)
			return 0;
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		memcpy(&in->sin_addr, a->ip, 4);
		return sizeof *in;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(a->port);
	if (a->family == STUN_IPV4) {
		in6->sin6_addr.s6_addr[10] = 0xff;
		in6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(in6->sin6_addr.s6_addr + 12, a->ip, 4);
	} else {
		memcpy(in6->sin6_addr.s6_addr, a->ip, 16);
	}
	return sizeof *in6;
}

int udp_open(struct stun_addr *local, int *fd_out)
{
	int family = local->family == STUN_IPV6 ? AF_INET6 : AF_INET;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int off = 0, size = SOCKET_BUFFER;
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	/* Arrival times for the jitter buffer (worker.c); without them, processing time. */
	int on = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
	/* DF on every IPv4 datagram, the path MTU ignored: a datagram with DF set needs no IP
	 * identification, and choosing one (a hashed, shared counter per destination) was ~2 %
	 * of the fan-out's CPU (perf, 2,000 listeners). Nothing we send comes near the MTU:
	 * media is a few hundred bytes, DTLS keeps to its configured MTU (dtls.h). */
	int probe = IP_PMTUDISC_PROBE;
	(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
	struct sockaddr_storage ss;
	socklen_t len = udp_to_sockaddr(local, family, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &(socklen_t){sizeof ss}) != 0) {
		int err = errno;
		close(fd);
		return err;
	}
	struct stun_addr bound;
	if (udp_from_sockaddr(&ss, &bound))
		local->port = bound.port;
	*fd_out = fd;
	return 0;
}

bool udp_send(int fd, int family, const struct stun_addr *to, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = udp_to_sockaddr(to, family, &ss);
	if (sl == 0)
		return false;
	ssize_t n;
	do
		n = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}
