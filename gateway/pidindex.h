/*
 * pidindex -- a room's connections by pid, for the one-role-per-person check at join.
 *
 * That check used to walk every connection of the room: a join cost O(connections) and
 * 10,000 observers joining cost O(n^2), a sixth of the server's time while they came in.
 * Here each connection is chained (conn.pid_next) into a bucket by the hash of its pid, so
 * a join looks only at the connections whose pid hashes alike. Intrusive: adding never
 * allocates except when the table doubles, and a table that cannot grow keeps working
 * with longer chains.
 */
#ifndef PLENARY_GATEWAY_PIDINDEX_H
#define PLENARY_GATEWAY_PIDINDEX_H

#include <stdbool.h>
#include <stddef.h>

struct conn;

struct gw_pid_index {
	struct conn **buckets; /* NULL until the first add */
	size_t cap, len;
	bool failed; /* the first table could not be made: nothing is indexed, ever */
};

/* c, with its pid and role set, joins the index; c must not be in it already. False when
 * not even the first table could be allocated: c is then not indexed and lookups fall back
 * to the caller's own list (gw_pid_index_ready). */
bool gw_pid_index_add(struct gw_pid_index *x, struct conn *c);
/* c leaves the index (a no-op if it is not in it). */
void gw_pid_index_remove(struct gw_pid_index *x, struct conn *c);
/* True unless the first table could not be made: the index then holds no one, and the
 * caller looks through its own list. */
bool gw_pid_index_ready(const struct gw_pid_index *x);
/* True when another connection than c in the index has c's pid and a different role. */
bool gw_pid_index_other_role(const struct gw_pid_index *x, const struct conn *c);
void gw_pid_index_free(struct gw_pid_index *x);

#endif
