/*
 * peer_table -- see peer_table.h. Linear probing keeps a lookup to one or two cache lines
 * at half load; deletion shifts the following entries of the cluster back into the hole
 * (Knuth 6.4, algorithm R), so no tombstones accumulate as browsers come and go.
 */
#include "media/secure/peer_table.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 16

/* A 64-bit finaliser (splitmix64) over FNV-1a, seeded: cheap, and good enough that keys
 * picked by someone else spread over the table. */
static uint64_t mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static uint64_t hash_bytes(uint64_t seed, const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return mix(h);
}

static size_t addr_ip_len(const struct stun_addr *a)
{
	return a->family == STUN_IPV6 ? 16 : 4;
}

static uint64_t hash_addr(uint64_t seed, const struct stun_addr *a)
{
	uint8_t key[19];
	key[0] = (uint8_t)(a->family | (a->tcp ? 0x80 : 0));
	key[1] = (uint8_t)(a->port >> 8);
	key[2] = (uint8_t)a->port;
	memcpy(key + 3, a->ip, addr_ip_len(a));
	return hash_bytes(seed, key, 3 + addr_ip_len(a));
}

static uint64_t hash_ufrag(uint64_t seed, const struct ice_peer *p)
{
	return hash_bytes(seed, (const uint8_t *)p->ufrag, strlen(p->ufrag));
}

bool ice_addr_equal(const struct stun_addr *a, const struct stun_addr *b)
{
	return a->family == b->family && a->port == b->port && a->tcp == b->tcp &&
	       memcmp(a->ip, b->ip, addr_ip_len(a)) == 0;
}

void peer_table_init(struct peer_table *t, uint64_t seed)
{
	memset(t, 0, sizeof *t);
	t->seed = seed;
}

void peer_table_fini(struct peer_table *t)
{
	free(t->by_ufrag);
	free(t->by_addr);
	t->by_ufrag = t->by_addr = NULL;
	t->cap = t->n = t->n_addr = 0;
}

/* Where key hash h would go in table tab, skipping occupied slots. */
static void put(struct ice_peer **tab, size_t cap, uint64_t h, struct ice_peer *p)
{
	size_t i = (size_t)h & (cap - 1);
	while (tab[i] != NULL)
		i = (i + 1) & (cap - 1);
	tab[i] = p;
}

bool peer_table_reserve(struct peer_table *t, size_t n)
{
	if (n <= t->cap / 2)
		return true;
	size_t cap = t->cap ? t->cap : MIN_CAP;
	while (n > cap / 2) {
		if (cap > SIZE_MAX / 2 / sizeof(void *))
			return false;
		cap *= 2;
	}
	struct ice_peer **u = calloc(cap, sizeof *u), **a = calloc(cap, sizeof *a);
	if (u == NULL || a == NULL) {
		free(u);
		free(a);
		return false;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (t->by_ufrag[i] != NULL)
			put(u, cap, hash_ufrag(t->seed, t->by_ufrag[i]), t->by_ufrag[i]);
		if (t->by_addr[i] != NULL)
			put(a, cap, hash_addr(t->seed, &t->by_addr[i]->addr), t->by_addr[i]);
	}
	free(t->by_ufrag);
	free(t->by_addr);
	t->by_ufrag = u;
	t->by_addr = a;
	t->cap = cap;
	return true;
}

/* Removes the entry at slot i, shifting later members of its cluster back so every
 * remaining entry stays reachable from its home slot. hash_of gives an entry's hash. */
static void erase(struct ice_peer **tab, size_t cap, size_t i, uint64_t seed,
		  uint64_t (*hash_of)(uint64_t seed, const struct ice_peer *p))
{
	size_t hole = i;
	for (size_t j = (i + 1) & (cap - 1); tab[j] != NULL; j = (j + 1) & (cap - 1)) {
		size_t home = (size_t)hash_of(seed, tab[j]) & (cap - 1);
		/* tab[j] may move into the hole unless its home lies cyclically in (hole, j]. */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!stays) {
			tab[hole] = tab[j];
			hole = j;
		}
	}
	tab[hole] = NULL;
}

static uint64_t hash_peer_addr(uint64_t seed, const struct ice_peer *p)
{
	return hash_addr(seed, &p->addr);
}

static size_t find_slot(struct ice_peer **tab, size_t cap, uint64_t h, const struct ice_peer *p)
{
	for (size_t i = (size_t)h & (cap - 1); tab[i] != NULL; i = (i + 1) & (cap - 1))
		if (tab[i] == p)
			return i;
	return SIZE_MAX;
}

static void addr_remove(struct peer_table *t, struct ice_peer *p)
{
	if (!p->has_addr || t->cap == 0)
		return;
	size_t i = find_slot(t->by_addr, t->cap, hash_addr(t->seed, &p->addr), p);
	if (i != SIZE_MAX) {
		erase(t->by_addr, t->cap, i, t->seed, hash_peer_addr);
		t->n_addr--;
	}
}

bool peer_table_add(struct peer_table *t, struct ice_peer *p)
{
	if (p->in_table || t->n + 1 > t->cap / 2)
		return false;
	if (peer_table_by_ufrag(t, (const uint8_t *)p->ufrag, strlen(p->ufrag)) != NULL)
		return false;
	put(t->by_ufrag, t->cap, hash_ufrag(t->seed, p), p);
	t->n++;
	p->in_table = true;
	if (p->has_addr) {
		p->has_addr = false;
		struct stun_addr a = p->addr;
		peer_table_set_addr(t, p, &a);
	}
	return true;
}

void peer_table_remove(struct peer_table *t, struct ice_peer *p)
{
	if (!p->in_table)
		return;
	addr_remove(t, p);
	size_t i = find_slot(t->by_ufrag, t->cap, hash_ufrag(t->seed, p), p);
	if (i != SIZE_MAX) {
		erase(t->by_ufrag, t->cap, i, t->seed, hash_ufrag);
		t->n--;
	}
	p->in_table = false;
}

struct ice_peer *peer_table_by_ufrag(const struct peer_table *t, const uint8_t *ufrag, size_t len)
{
	if (t->cap == 0 || len > ICE_UFRAG_LEN)
		return NULL;
	uint64_t h = hash_bytes(t->seed, ufrag, len);
	for (size_t i = (size_t)h & (t->cap - 1); t->by_ufrag[i] != NULL;
	     i = (i + 1) & (t->cap - 1)) {
		const struct ice_peer *p = t->by_ufrag[i];
		if (strlen(p->ufrag) == len && memcmp(p->ufrag, ufrag, len) == 0)
			return t->by_ufrag[i];
	}
	return NULL;
}

struct ice_peer *peer_table_by_addr(const struct peer_table *t, const struct stun_addr *addr)
{
	if (t->cap == 0 || t->n_addr == 0)
		return NULL;
	uint64_t h = hash_addr(t->seed, addr);
	for (size_t i = (size_t)h & (t->cap - 1); t->by_addr[i] != NULL; i = (i + 1) & (t->cap - 1))
		if (ice_addr_equal(&t->by_addr[i]->addr, addr))
			return t->by_addr[i];
	return NULL;
}

void peer_table_set_addr(struct peer_table *t, struct ice_peer *p, const struct stun_addr *a)
{
	if (p->has_addr && ice_addr_equal(&p->addr, a))
		return;
	if (p->in_table) {
		struct ice_peer *holder = peer_table_by_addr(t, a);
		if (holder != NULL)
			peer_table_clear_addr(t, holder);
		addr_remove(t, p);
	}
	p->addr = *a;
	p->has_addr = true;
	if (p->in_table) {
		/* n_addr <= n <= cap / 2: there is always a free slot. */
		put(t->by_addr, t->cap, hash_addr(t->seed, a), p);
		t->n_addr++;
	}
}

void peer_table_clear_addr(struct peer_table *t, struct ice_peer *p)
{
	if (p->in_table)
		addr_remove(t, p);
	p->has_addr = false;
}
