/*
 * X-Forwarded-For and the trusted proxies' prefixes (forwarded.h). Addresses are parsed by
 * inet_pton from a bounded copy, so nothing here reads past len.
 */
#include "gateway/forwarded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool gw_ip_parse(const char *s, size_t len, struct gw_ip *out)
{
	char buf[INET6_ADDRSTRLEN];
	if (len == 0 || len >= sizeof buf || memchr(s, '\0', len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, buf, out->b + 12) == 1) {
		memcpy(out->b, v4mapped, sizeof v4mapped);
		return true;
	}
	return inet_pton(AF_INET6, buf, out->b) == 1;
}

static bool is_v4(const struct gw_ip *ip)
{
	return memcmp(ip->b, v4mapped, sizeof v4mapped) == 0;
}

/* Whether a and b agree on their first bits bits. */
static bool same_prefix(const struct gw_ip *a, const struct gw_ip *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a->b, b->b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[whole] & mask) == (b->b[whole] & mask);
}

bool gw_cidr_parse(const char *s, size_t len, struct gw_cidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	if (!gw_ip_parse(s, alen, &out->net))
		return false;
	unsigned max = is_v4(&out->net) ? 32 : 128, bits = max;
	if (slash) {
		size_t nlen = len - alen - 1;
		if (nlen == 0 || nlen > 3)
			return false;
		bits = 0;
		for (size_t i = 0; i < nlen; i++) {
			char d = slash[1 + i];
			if (d < '0' || d > '9' || (i == 0 && d == '0' && nlen > 1))
				return false;
			bits = bits * 10 + (unsigned)(d - '0');
		}
		if (bits > max)
			return false;
	}
	out->bits = (uint8_t)(max == 32 ? 96 + bits : bits);
	/* Host bits set mean the prefix is not what its writer thought: refuse, don't round. */
	struct gw_ip zero = out->net;
	for (unsigned i = out->bits; i < 128; i++)
		zero.b[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return memcmp(&zero, &out->net, sizeof zero) == 0;
}

bool gw_ip_from_sockaddr(struct gw_ip *out, const void *sockaddr)
{
	const struct sockaddr *sa = sockaddr;
	memset(out, 0, sizeof *out);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = sockaddr;
		memcpy(out->b, v4mapped, sizeof v4mapped);
		memcpy(out->b + 12, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *in6 = sockaddr;
	memcpy(out->b, &in6->sin6_addr, 16);
	return true;
}

bool gw_ip_loopback(const struct gw_ip *ip)
{
	static const uint8_t v6[16] = {[15] = 1};
	return (is_v4(ip) && ip->b[12] == 127) || memcmp(ip->b, v6, 16) == 0;
}

void gw_ip_format(const struct gw_ip *ip, char *out, size_t cap)
{
	bool v4 = is_v4(ip);
	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? ip->b + 12 : ip->b, out, (socklen_t)cap) &&
	    cap > 0)
		out[0] = '\0';
}

bool gw_proxies_trust(const struct gw_proxies *p, const struct gw_ip *ip)
{
	for (size_t i = 0; i < p->n && i < GW_PROXIES_MAX; i++)
		if (same_prefix(&p->nets[i].net, ip, p->nets[i].bits))
			return true;
	return false;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The entry that ends at end (exclusive): where it starts (after the comma before it, or
 * 0) in *start, and the bounds of its text without blanks in *a and *b. */
static void entry_before(const char *hdr, size_t end, size_t *start, size_t *a, size_t *b)
{
	size_t s = end;
	while (s > 0 && hdr[s - 1] != ',')
		s--;
	*start = s;
	while (s < end && blank(hdr[s]))
		s++;
	while (end > s && blank(hdr[end - 1]))
		end--;
	*a = s;
	*b = end;
}

enum gw_xff gw_xff_client(const struct gw_proxies *p, const char *hdr, size_t len,
			  struct gw_ip *client)
{
	size_t i = 0;
	while (i < len && blank(hdr[i]))
		i++;
	if (i == len)
		return GW_XFF_NONE;
	/* Right to left; what lies left of the first untrusted entry is never looked at, so
	 * garbage a client put in front cannot make the header malformed. */
	size_t end = len;
	for (;;) {
		size_t start, a, b;
		entry_before(hdr, end, &start, &a, &b);
		struct gw_ip ip;
		if (a == b || !gw_ip_parse(hdr + a, b - a, &ip))
			return GW_XFF_MALFORMED;
		*client = ip;
		if (start == 0 || !gw_proxies_trust(p, &ip))
			return GW_XFF_CLIENT;
		end = start - 1;
	}
}
