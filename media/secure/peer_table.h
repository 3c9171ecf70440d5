/*
 * peer_table -- a worker's two indexes of its peers: by our ICE ufrag (how a STUN check
 * finds its peer, DESIGN.md principle 4) and by the address ICE learned (how DTLS, SRTP
 * and SRTCP datagrams find theirs).
 *
 * Two open-addressing hash tables with linear probing and backward-shift deletion, over
 * pointers to struct ice_peer (embedded in each media peer), so a lookup is a hash and a
 * few pointer compares and a removal leaves no tombstones. Capacity is reserved when a peer
 * is added (peer_table_reserve, which may allocate), never on the packet path: learning
 * an address from a check only moves entries within what is reserved. Both tables stay
 * at most half full.
 *
 * Not thread-safe: a table belongs to the worker that owns its peers. Hashes are seeded
 * per table (the seed comes from the caller) so that addresses chosen by an attacker
 * cannot be aimed at one chain.
 */
#ifndef PLENARY_MEDIA_PEER_TABLE_H
#define PLENARY_MEDIA_PEER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/secure/ice_lite.h"

struct peer_table {
	struct ice_peer **by_ufrag;
	struct ice_peer **by_addr;
	size_t cap; /* slots in each table: 0 or a power of two */
	size_t n;   /* peers in by_ufrag */
	size_t n_addr;
	uint64_t seed;
};

/* An empty table; nothing allocated until peer_table_reserve. */
void peer_table_init(struct peer_table *t, uint64_t seed);
/* Frees the indexes (the peers belong to the caller). */
void peer_table_fini(struct peer_table *t);

/* Makes room for n peers (both indexes at most half full), rehashing if it grows.
 * Returns false if memory ran out; the table is then unchanged. */
BASE_WUR bool peer_table_reserve(struct peer_table *t, size_t n);

/* Adds p by its ufrag (and its address, if it has one). Needs room reserved. Returns false
 * if another peer has the same ufrag or there is no room; the table is then unchanged. */
BASE_WUR bool peer_table_add(struct peer_table *t, struct ice_peer *p);
/* Removes p from both indexes; a peer not in the table is fine. */
void peer_table_remove(struct peer_table *t, struct ice_peer *p);

struct ice_peer *peer_table_by_ufrag(const struct peer_table *t, const uint8_t *ufrag, size_t len);
struct ice_peer *peer_table_by_addr(const struct peer_table *t, const struct stun_addr *addr);

/* Gives p the address a (ICE learned it): p leaves its old address, and a peer that held a
 * leaves it (has_addr false). Never allocates. */
void peer_table_set_addr(struct peer_table *t, struct ice_peer *p, const struct stun_addr *a);
/* p forgets its address (it failed or closed): datagrams from there find no peer. */
void peer_table_clear_addr(struct peer_table *t, struct ice_peer *p);

#endif
