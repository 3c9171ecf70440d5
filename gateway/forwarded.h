/*
 * forwarded -- who the client is behind a trusted reverse proxy (docs/protocol.md "Limits").
 *
 * The per-address limits key on the TCP peer. Behind a reverse proxy every client is the
 * proxy, so when the peer is one the configuration trusts (trusted_proxies: addresses or
 * CIDR prefixes) the client is read from X-Forwarded-For. Each proxy appends the address
 * it received the request from, and a client can put anything it likes in front, so only
 * the right end can be believed: the client is the rightmost entry that is not itself a
 * trusted proxy (the reasoning of RFC 7239 sect. 8.1). A header from a peer that is not
 * trusted means nothing and is ignored. Pure functions over bytes; no lws here.
 */
#ifndef PLENARY_GATEWAY_FORWARDED_H
#define PLENARY_GATEWAY_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_PROXIES_MAX 32

/* An address; IPv4 as ::ffff:a.b.c.d, so one prefix length counts over 128 bits. */
struct gw_ip {
	uint8_t b[16];
};

struct gw_cidr {
	struct gw_ip net; /* the bits past the prefix are zero */
	uint8_t bits;	  /* 0..128 (an IPv4 /n is 96 + n) */
};

struct gw_proxies {
	size_t n;
	struct gw_cidr nets[GW_PROXIES_MAX];
};

/* "192.0.2.1" or "2001:db8::1" (len bytes, no NUL needed); false for anything else. */
bool gw_ip_parse(const char *s, size_t len, struct gw_ip *out);

/* An address or a prefix, "10.0.0.0/8", "fd00::/8"; false for a bad address, a length
 * out of range or with bits set past the prefix ("10.0.0.1/8" is refused, not rounded). */
bool gw_cidr_parse(const char *s, size_t len, struct gw_cidr *out);

/* From a struct sockaddr (AF_INET or AF_INET6); false for any other family. */
bool gw_ip_from_sockaddr(struct gw_ip *out, const void *sockaddr);

/* 127.0.0.0/8 or ::1. */
bool gw_ip_loopback(const struct gw_ip *ip);

/* ip as text (IPv4 dotted, IPv6 per RFC 5952) into out; cap at least INET6_ADDRSTRLEN. */
void gw_ip_format(const struct gw_ip *ip, char *out, size_t cap);

/* Whether ip is in one of p's prefixes. */
bool gw_proxies_trust(const struct gw_proxies *p, const struct gw_ip *ip);

enum gw_xff {
	GW_XFF_NONE,	  /* no entries: the peer is the client */
	GW_XFF_CLIENT,	  /* *client is the rightmost entry that is not a trusted proxy */
	GW_XFF_MALFORMED, /* an entry that is not an address: believe none of it */
};

/* The client named by an X-Forwarded-For value (entries separated by commas, optional
 * spaces or tabs around them; several header lines arrive joined by commas). When every
 * entry is a trusted proxy the leftmost is the client. */
enum gw_xff gw_xff_client(const struct gw_proxies *p, const char *hdr, size_t len,
			  struct gw_ip *client);

#endif
