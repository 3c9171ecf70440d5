/*
 * lease_state -- when a node holds a room's owner lease, and what it does next: pure
 * (time passed in, no NATS), so its edges are unit-tested (tests/unit/gateway).
 * nats_lease.c runs it against a JetStream key-value bucket whose keys expire TTL after
 * their last write.
 *
 * Why the holder counts from when it *sent* its last successful write, not when the
 * answer came: the key expires TTL after the server stored it, which is after the send,
 * so a holder that stops believing itself owner at sent + TTL - margin has stopped
 * before any standby can have taken the key (the margin covers clocks drifting and a
 * loop turn). A refused compare-and-set means someone else wrote the key: lost at once.
 */
#ifndef PLENARY_GATEWAY_LEASE_STATE_H
#define PLENARY_GATEWAY_LEASE_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct gw_lease_timing {
	int64_t ttl_ms;	   /* the bucket's TTL */
	int64_t renew_ms;  /* a holder writes this often */
	int64_t poll_ms;   /* a standby tries to take the key this often */
	int64_t margin_ms; /* a holder gives up this long before the key can expire */
};
/* TTL/3 renewals, TTL/15 polls (at least 50 ms), TTL/6 margin. */
struct gw_lease_timing gw_lease_timing_for(int64_t ttl_ms);

enum gw_lease_role { GW_LEASE_STANDBY = 0, GW_LEASE_OWNER };
/* What a write to the bucket came to. */
enum gw_lease_result {
	GW_LEASE_OK,	    /* stored: *rev is the key's new revision */
	GW_LEASE_TAKEN,	    /* the key exists (create), or has another revision (update) */
	GW_LEASE_NO_ANSWER, /* timeout, no connection, no quorum */
};
enum gw_lease_action { GW_LEASE_WAIT, GW_LEASE_CLAIM, GW_LEASE_RENEW };

struct gw_lease_state {
	enum gw_lease_role role;
	uint64_t rev;	       /* owner: the revision the next renewal must find */
	int64_t held_until_ms; /* owner: past it this node must not write */
	int64_t next_ms;       /* when to act next */
};

/* What is due at now_ms. */
enum gw_lease_action gw_lease_due(const struct gw_lease_state *s, int64_t now_ms);
/* A claim (create if absent) sent at sent_ms came back with r: true if this node now owns. */
bool gw_lease_claimed(struct gw_lease_state *s, const struct gw_lease_timing *t,
		      enum gw_lease_result r, uint64_t rev, int64_t sent_ms, int64_t now_ms);
/* A renewal (update at s->rev) sent at sent_ms came back with r: true if the lease is
 * lost (another revision, or no answer until held_until). */
bool gw_lease_renewed(struct gw_lease_state *s, const struct gw_lease_timing *t,
		      enum gw_lease_result r, uint64_t rev, int64_t sent_ms, int64_t now_ms);
/* Whether this node may write for the room at now_ms. */
bool gw_lease_holds(const struct gw_lease_state *s, int64_t now_ms);

#endif
