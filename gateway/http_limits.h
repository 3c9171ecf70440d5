/*
 * http_limits -- what one client address may take of the server (issue 13): a token bucket of
 * HTTP requests and a count of open connections, per address, in a fixed-size table.
 *
 * An address is an IPv4 address or an IPv6 /64 (one host's prefix). The table never
 * grows: it has GW_HLIM_SLOTS slots, an address hashes to a run of GW_HLIM_PROBE of
 * them, and a new address takes a free slot of its run or the least recently seen one
 * that has no open connection. When every slot of the run holds open connections the
 * new address is not tracked (gw_hlim_conn_open answers GW_HLIM_UNTRACKED): the
 * limits are for one greedy client, not a defence against a whole botnet.
 * No lws here, and the clock is a parameter, so unit tests drive it.
 */
#ifndef PLENARY_GATEWAY_HTTP_LIMITS_H
#define PLENARY_GATEWAY_HTTP_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/forwarded.h"

#define GW_HLIM_SLOTS	  4096
#define GW_HLIM_PROBE	  8
#define GW_HLIM_UNTRACKED (-1)

struct gw_hlim_addr {
	uint8_t b[16]; /* IPv4 as ::ffff:a.b.c.d, IPv6 with the low 64 bits zeroed */
};

struct gw_hlim_slot {
	struct gw_hlim_addr addr;
	bool used;
	uint32_t conns;
	double tokens;
	int64_t seen_ms; /* last refill, and what eviction goes by */
};

struct gw_hlim {
	double rate;	    /* requests a second; 0: no request limit */
	double burst;	    /* the bucket's size */
	uint32_t max_conns; /* per address; 0: no cap */
	struct gw_hlim_slot slots[GW_HLIM_SLOTS];
};

void gw_hlim_init(struct gw_hlim *l, int rate, int burst, int max_conns);

/* The table's key for ip: itself for IPv4, its /64 for IPv6. */
void gw_hlim_addr_from_ip(struct gw_hlim_addr *a, const struct gw_ip *ip);

/* A new connection: its slot (>= 0) to give back to gw_hlim_conn_close, or
 * GW_HLIM_UNTRACKED; *refuse when the address is at its cap (nothing is counted then). */
int gw_hlim_conn_open(struct gw_hlim *l, const struct gw_hlim_addr *a, int64_t now_ms,
		      bool *refuse);
void gw_hlim_conn_close(struct gw_hlim *l, int slot);

/* One request: 0 when it may go on, else the seconds until it may (Retry-After). */
int gw_hlim_request(struct gw_hlim *l, const struct gw_hlim_addr *a, int64_t now_ms);

#endif
