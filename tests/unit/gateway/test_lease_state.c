/*
 * The owner lease's state machine (gateway/lease_state.h): when a node may write for a
 * room, and when it must stop -- before any standby can have taken the key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/lease_state.h"

static const int64_t TTL = 3000;

static void timing_is_within_the_ttl(void **state)
{
	(void)state;
	struct gw_lease_timing t = gw_lease_timing_for(TTL);
	assert_int_equal(t.ttl_ms, 3000);
	assert_int_equal(t.renew_ms, 1000);
	assert_int_equal(t.poll_ms, 200);
	assert_int_equal(t.margin_ms, 500);
	/* Two renewals can fail and the third still come before the holder gives up. */
	assert_true(2 * t.renew_ms < t.ttl_ms - t.margin_ms);
	assert_int_equal(gw_lease_timing_for(300).poll_ms, 50); /* never a busy loop */
}

static void a_standby_claims_when_due(void **state)
{
	(void)state;
	struct gw_lease_timing t = gw_lease_timing_for(TTL);
	struct gw_lease_state s = {0};
	assert_int_equal(gw_lease_due(&s, 0), GW_LEASE_CLAIM);
	assert_false(gw_lease_holds(&s, 0));
	/* Someone else holds it: poll again later. */
	assert_false(gw_lease_claimed(&s, &t, GW_LEASE_TAKEN, 0, 0, 10));
	assert_int_equal(s.role, GW_LEASE_STANDBY);
	assert_int_equal(gw_lease_due(&s, 100), GW_LEASE_WAIT);
	assert_int_equal(gw_lease_due(&s, 210), GW_LEASE_CLAIM);
	/* No answer is no lease either. */
	assert_false(gw_lease_claimed(&s, &t, GW_LEASE_NO_ANSWER, 0, 210, 700));
	assert_false(gw_lease_holds(&s, 700));
}

static void an_owner_holds_from_when_it_sent(void **state)
{
	(void)state;
	struct gw_lease_timing t = gw_lease_timing_for(TTL);
	struct gw_lease_state s = {0};
	assert_true(gw_lease_claimed(&s, &t, GW_LEASE_OK, 7, 1000, 1400));
	assert_int_equal(s.role, GW_LEASE_OWNER);
	assert_int_equal(s.rev, 7);
	/* Counted from the send (1000), not the answer (1400): the key expires TTL after the
	 * server stored it, which is after the send. */
	assert_int_equal(s.held_until_ms, 1000 + TTL - t.margin_ms);
	assert_true(gw_lease_holds(&s, 3499));
	assert_false(gw_lease_holds(&s, 3500));
	assert_int_equal(gw_lease_due(&s, 1999), GW_LEASE_WAIT);
	assert_int_equal(gw_lease_due(&s, 2000), GW_LEASE_RENEW);
	/* Renewed: held from the renewal's send. */
	assert_false(gw_lease_renewed(&s, &t, GW_LEASE_OK, 8, 2000, 2100));
	assert_int_equal(s.rev, 8);
	assert_true(gw_lease_holds(&s, 4499));
	assert_false(gw_lease_holds(&s, 4500));
}

static void a_claim_answered_too_late_is_not_taken(void **state)
{
	(void)state;
	struct gw_lease_timing t = gw_lease_timing_for(TTL);
	struct gw_lease_state s = {0};
	assert_false(gw_lease_claimed(&s, &t, GW_LEASE_OK, 3, 0, TTL - t.margin_ms));
	assert_int_equal(s.role, GW_LEASE_STANDBY);
	assert_false(gw_lease_claimed(&s, &t, GW_LEASE_OK, 0, 0, 1)); /* no revision */
}

static void a_rewritten_key_is_lost_at_once(void **state)
{
	(void)state;
	struct gw_lease_timing t = gw_lease_timing_for(TTL);
	struct gw_lease_state s = {0};
	assert_true(gw_lease_claimed(&s, &t, GW_LEASE_OK, 1, 0, 5));
	assert_true(gw_lease_renewed(&s, &t, GW_LEASE_TAKEN, 0, 1000, 1005));
	assert_int_equal(s.role, GW_LEASE_STANDBY);
	assert_false(gw_lease_holds(&s, 1005));
	assert_int_equal(gw_lease_due(&s, 1205), GW_LEASE_CLAIM);
	/* A renewal's answer once standby changes nothing. */
	assert_false(gw_lease_renewed(&s, &t, GW_LEASE_OK, 9, 1000, 1006));
	assert_int_equal(s.role, GW_LEASE_STANDBY);
}

static void no_answer_keeps_trying_until_held_until(void **state)
{
	(void)state;
	struct gw_lease_timing t = gw_lease_timing_for(TTL);
	struct gw_lease_state s = {0};
	assert_true(gw_lease_claimed(&s, &t, GW_LEASE_OK, 1, 0, 5));
	/* NATS away: each failed renewal retries a poll later, still the owner. */
	assert_false(gw_lease_renewed(&s, &t, GW_LEASE_NO_ANSWER, 0, 1000, 1500));
	assert_int_equal(s.role, GW_LEASE_OWNER);
	assert_int_equal(gw_lease_due(&s, 1700), GW_LEASE_RENEW);
	assert_false(gw_lease_renewed(&s, &t, GW_LEASE_NO_ANSWER, 0, 1700, 2400));
	assert_true(gw_lease_holds(&s, 2400));
	/* Past held_until without an answer: lost, before the key can have expired. */
	assert_true(gw_lease_renewed(&s, &t, GW_LEASE_NO_ANSWER, 0, 2400, 2500));
	assert_int_equal(s.role, GW_LEASE_STANDBY);
	/* And a success that comes back after held_until is a loss too: the gateway had
	 * already stopped writing, and a standby may be about to take the key. */
	assert_true(gw_lease_claimed(&s, &t, GW_LEASE_OK, 2, 3000, 3001));
	assert_true(gw_lease_renewed(&s, &t, GW_LEASE_OK, 3, 4000, 5600));
	assert_false(gw_lease_holds(&s, 5600));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(timing_is_within_the_ttl),
	    cmocka_unit_test(a_standby_claims_when_due),
	    cmocka_unit_test(an_owner_holds_from_when_it_sent),
	    cmocka_unit_test(a_claim_answered_too_late_is_not_taken),
	    cmocka_unit_test(a_rewritten_key_is_lost_at_once),
	    cmocka_unit_test(no_answer_keeps_trying_until_held_until),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
