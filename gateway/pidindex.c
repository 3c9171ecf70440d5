/*
 * A room's connections by pid (pidindex.h): separate chaining through conn.pid_next, the
 * table doubled when it holds as many connections as buckets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/conn.h"
#include "gateway/pidindex.h"

static size_t pid_hash(const char *pid, size_t cap)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)pid; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return (size_t)(h & (cap - 1));
}

static void grow(struct gw_pid_index *x)
{
	size_t cap = x->cap ? x->cap * 2 : 64;
	struct conn **b = calloc(cap, sizeof *b);
	if (!b)
		return; /* longer chains, still right */
	for (size_t i = 0; i < x->cap; i++) {
		struct conn *c = x->buckets[i];
		while (c) {
			struct conn *next = c->pid_next;
			size_t h = pid_hash(c->pid, cap);
			c->pid_next = b[h];
			b[h] = c;
			c = next;
		}
	}
	free(x->buckets);
	x->buckets = b;
	x->cap = cap;
}

bool gw_pid_index_add(struct gw_pid_index *x, struct conn *c)
{
	if (x->failed)
		return false;
	if (x->len >= x->cap)
		grow(x);
	if (!x->buckets) {
		x->failed = true;
		return false;
	}
	size_t h = pid_hash(c->pid, x->cap);
	c->pid_next = x->buckets[h];
	x->buckets[h] = c;
	c->pid_indexed = true;
	x->len++;
	return true;
}

void gw_pid_index_remove(struct gw_pid_index *x, struct conn *c)
{
	if (!c->pid_indexed)
		return;
	struct conn **pp = &x->buckets[pid_hash(c->pid, x->cap)];
	while (*pp && *pp != c)
		pp = &(*pp)->pid_next;
	if (*pp)
		*pp = c->pid_next;
	c->pid_next = NULL;
	c->pid_indexed = false;
	x->len--;
}

bool gw_pid_index_ready(const struct gw_pid_index *x)
{
	return !x->failed;
}

bool gw_pid_index_other_role(const struct gw_pid_index *x, const struct conn *c)
{
	if (!x->buckets)
		return false;
	for (const struct conn *o = x->buckets[pid_hash(c->pid, x->cap)]; o; o = o->pid_next)
		if (o != c && o->who.role != c->who.role && strcmp(o->pid, c->pid) == 0)
			return true;
	return false;
}

void gw_pid_index_free(struct gw_pid_index *x)
{
	free(x->buckets);
	*x = (struct gw_pid_index){0};
}
