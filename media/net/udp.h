/*
 * udp -- the UDP socket under a media worker or a test client (private to media/), and
 * conversions between struct sockaddr and the struct stun_addr every other file of media/
 * uses for addresses.
 *
 * stun_addr (family, port and 4 or 16 bytes, host order) is what ICE learns, what
 * peer_table hashes and what XOR-MAPPED-ADDRESS carries, so datagrams are converted once
 * on the way in and once on the way out. An IPv4 peer reaching a dual-stack IPv6 socket
 * arrives as ::ffff:a.b.c.d; it is folded to IPv4 here, so the same browser has the same
 * address whichever socket it reached.
 */
#ifndef PLENARY_MEDIA_UDP_H
#define PLENARY_MEDIA_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/attr.h"
#include "media/wire/wire.h"

/* Parses a numeric IPv4 or IPv6 address (no port) into *out with port 0. */
BASE_WUR bool udp_parse_ip(const char *ip, struct stun_addr *out);
/* Writes the address (no port) as text; cap of 46 (INET6_ADDRSTRLEN) always suffices. */
void udp_format_ip(const struct stun_addr *a, char *out, size_t cap);
/* True for 0.0.0.0 and ::. */
bool udp_is_wildcard(const struct stun_addr *a);

/* Opens a non-blocking, close-on-exec UDP socket bound to `local` (its port 0 for an
 * ephemeral one) and writes the bound address back into *local. IPv6 sockets are
 * dual-stack. Returns 0 or an errno value. */
BASE_WUR int udp_open(struct stun_addr *local, int *fd_out);

/* Datagram source to stun_addr (v4-mapped IPv6 folded to IPv4); false for another
 * family. */
bool udp_from_sockaddr(const struct sockaddr_storage *ss, struct stun_addr *out);
/* stun_addr to a sockaddr for a socket of `family` (AF_INET or AF_INET6; IPv4 to an
 * IPv6 socket is v4-mapped). Returns the length, 0 if it cannot be expressed. */
socklen_t udp_to_sockaddr(const struct stun_addr *a, int family, struct sockaddr_storage *ss);

/* Sends one datagram without blocking; false if the kernel refused it (a full socket
 * buffer drops it, as UDP would). */
bool udp_send(int fd, int family, const struct stun_addr *to, const void *buf, size_t len);

#endif
