/*
 * Token buckets (ratelimit.h). A bucket holds up to burst tokens and gains per_s a
 * second; a command takes one. The per-address table is a chained hash like session.c's
 * resume keys; an address whose bucket is full again is no different from one never
 * seen, so the sweep frees it.
 */
#include "gateway/ratelimit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gw_addr_bucket {
	char addr[64];
	struct gw_bucket bucket;
	struct gw_addr_bucket *next;
};

int64_t gw_bucket_take(struct gw_bucket *b, const struct gw_rate *rate, int64_t now_ms)
{
	if (b->at_ms == 0)
		b->tokens = rate->burst;
	if (b->at_ms == 0 || now_ms < b->at_ms) /* new, or the clock went back */
		b->at_ms = now_ms;
	b->tokens += (double)(now_ms - b->at_ms) * rate->per_s / 1000.0;
	if (b->tokens > rate->burst)
		b->tokens = rate->burst;
	b->at_ms = now_ms;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	int64_t wait = (int64_t)((1.0 - b->tokens) * 1000.0 / rate->per_s) + 1;
	return wait > 0 ? wait : 1;
}

static size_t addr_hash(const char *addr, size_t cap)
{
	size_t h = 5381;
	for (const char *p = addr; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % cap;
}

static void addr_sweep(struct gw_addr_buckets *t, const struct gw_rate *rate, int64_t now_ms)
{
	int64_t full_ms = (int64_t)rate->burst * 1000 / rate->per_s + 1;
	for (size_t i = 0; i < t->cap; i++) {
		struct gw_addr_bucket **pp = &t->table[i];
		while (*pp) {
			struct gw_addr_bucket *e = *pp;
			if (now_ms - e->bucket.at_ms >= full_ms) {
				*pp = e->next;
				free(e);
				t->len--;
			} else {
				pp = &e->next;
			}
		}
	}
}

static bool addr_grow(struct gw_addr_buckets *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct gw_addr_bucket **table = calloc(cap, sizeof *table);
	if (!table)
		return false;
	for (size_t i = 0; i < t->cap; i++) {
		struct gw_addr_bucket *e = t->table[i];
		while (e) {
			struct gw_addr_bucket *next = e->next;
			size_t h = addr_hash(e->addr, cap);
			e->next = table[h];
			table[h] = e;
			e = next;
		}
	}
	free(t->table);
	t->table = table;
	t->cap = cap;
	return true;
}

static struct gw_addr_bucket *addr_entry(struct gw_addr_buckets *t, const char *addr)
{
	if (t->cap)
		for (struct gw_addr_bucket *e = t->table[addr_hash(addr, t->cap)]; e; e = e->next)
			if (strcmp(e->addr, addr) == 0)
				return e;
	if (t->len >= t->cap / 2 && !addr_grow(t))
		return NULL;
	struct gw_addr_bucket *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	snprintf(e->addr, sizeof e->addr, "%s", addr);
	size_t h = addr_hash(e->addr, t->cap);
	e->next = t->table[h];
	t->table[h] = e;
	t->len++;
	return e;
}

int64_t gw_addr_take(struct gw_addr_buckets *t, const char *addr, const struct gw_rate *rate,
		     int64_t now_ms)
{
	if (now_ms - t->swept_ms >= 1000) {
		t->swept_ms = now_ms;
		addr_sweep(t, rate, now_ms);
	}
	struct gw_addr_bucket *e = addr_entry(t, addr);
	return e ? gw_bucket_take(&e->bucket, rate, now_ms) : 0;
}

void gw_addr_buckets_free(struct gw_addr_buckets *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct gw_addr_bucket *e = t->table[i];
		while (e) {
			struct gw_addr_bucket *next = e->next;
			free(e);
			e = next;
		}
	}
	free(t->table);
	t->table = NULL;
	t->cap = t->len = 0;
}
