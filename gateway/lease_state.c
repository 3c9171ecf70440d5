/*
 * The owner lease's state machine (lease_state.h): pure, the clock passed in.
 */
#include "gateway/lease_state.h"

struct gw_lease_timing gw_lease_timing_for(int64_t ttl_ms)
{
	struct gw_lease_timing t = {.ttl_ms = ttl_ms,
				    .renew_ms = ttl_ms / 3,
				    .poll_ms = ttl_ms / 15,
				    .margin_ms = ttl_ms / 6};
	if (t.poll_ms < 50)
		t.poll_ms = 50;
	return t;
}

enum gw_lease_action gw_lease_due(const struct gw_lease_state *s, int64_t now_ms)
{
	if (now_ms < s->next_ms)
		return GW_LEASE_WAIT;
	return s->role == GW_LEASE_OWNER ? GW_LEASE_RENEW : GW_LEASE_CLAIM;
}

static void to_standby(struct gw_lease_state *s, const struct gw_lease_timing *t, int64_t now_ms)
{
	s->role = GW_LEASE_STANDBY;
	s->rev = 0;
	s->held_until_ms = 0;
	s->next_ms = now_ms + t->poll_ms;
}

static void hold(struct gw_lease_state *s, const struct gw_lease_timing *t, uint64_t rev,
		 int64_t sent_ms)
{
	s->role = GW_LEASE_OWNER;
	s->rev = rev;
	s->held_until_ms = sent_ms + t->ttl_ms - t->margin_ms;
	s->next_ms = sent_ms + t->renew_ms;
}

bool gw_lease_claimed(struct gw_lease_state *s, const struct gw_lease_timing *t,
		      enum gw_lease_result r, uint64_t rev, int64_t sent_ms, int64_t now_ms)
{
	/* A claim answered too late to be of use (past what it would hold) is not taken:
	 * the next poll finds the key ours or expired. */
	if (r != GW_LEASE_OK || rev == 0 || now_ms >= sent_ms + t->ttl_ms - t->margin_ms) {
		to_standby(s, t, now_ms);
		return false;
	}
	hold(s, t, rev, sent_ms);
	return true;
}

bool gw_lease_renewed(struct gw_lease_state *s, const struct gw_lease_timing *t,
		      enum gw_lease_result r, uint64_t rev, int64_t sent_ms, int64_t now_ms)
{
	if (s->role != GW_LEASE_OWNER)
		return false;
	if (r == GW_LEASE_OK && rev != 0 && now_ms < s->held_until_ms) {
		hold(s, t, rev, sent_ms);
		return false;
	}
	if (r == GW_LEASE_NO_ANSWER && now_ms < s->held_until_ms) {
		s->next_ms = now_ms + t->poll_ms; /* try again soon, still the owner */
		return false;
	}
	to_standby(s, t, now_ms);
	return true;
}

bool gw_lease_holds(const struct gw_lease_state *s, int64_t now_ms)
{
	return s->role == GW_LEASE_OWNER && now_ms < s->held_until_ms;
}
