/*
 * ratelimit -- token buckets for the WebSocket rate limits (docs/protocol.md "Limits"):
 * one per connection and command class (conn.h), and one per client address for joins,
 * in a small hash table. Time comes in as an argument: no clock is read here.
 */
#ifndef PLENARY_GATEWAY_RATELIMIT_H
#define PLENARY_GATEWAY_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/config.h"

struct gw_bucket {
	double tokens;
	int64_t at_ms; /* last refill; 0: never used, starts full */
};

/* Takes one token at now_ms. 0: allowed; otherwise refused, and the milliseconds until
 * a token is back (at least 1). */
int64_t gw_bucket_take(struct gw_bucket *b, const struct gw_rate *rate, int64_t now_ms);

struct gw_addr_bucket;
struct gw_addr_buckets {
	struct gw_addr_bucket **table;
	size_t cap, len;
	int64_t swept_ms; /* when buckets full again were last freed */
};

/* gw_bucket_take for the bucket of addr (created full). Buckets that have refilled are
 * forgotten, at most once a second. Out of memory: allowed. */
int64_t gw_addr_take(struct gw_addr_buckets *t, const char *addr, const struct gw_rate *rate,
		     int64_t now_ms);
void gw_addr_buckets_free(struct gw_addr_buckets *t);

#endif
