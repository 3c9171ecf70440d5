/* Unit tests for media/secure/dtls.c when things go wrong: retransmission of each lost
 * flight on a fake clock, the handshake timeout, garbage input, and misuse of the API. */
#include "dtls_helpers.h"

/* --- Retransmission and timeouts on the fake clock ------------------------------------- */

static void test_lost_client_hello_is_resent(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	assert_int_equal(dtls_session_start(p.cli, T0), DTLS_OK);
	assert_int_equal(drop_all(p.cli), 1);
	assert_int_equal(dtls_session_next_timeout(p.cli), T0 + 1000);
	assert_int_equal(dtls_session_handle_timeout(p.cli, T0 + 999), DTLS_OK);
	assert_int_equal(dtls_session_pending(p.cli), 0);
	assert_int_equal(dtls_session_handle_timeout(p.cli, T0 + 1000), DTLS_OK);
	assert_int_equal(dtls_session_pending(p.cli), 1);
	/* Lost again: the timeout doubles (RFC 6347 sect. 4.2.4.1). */
	drop_all(p.cli);
	assert_int_equal(dtls_session_next_timeout(p.cli), T0 + 3000);
	assert_int_equal(dtls_session_handle_timeout(p.cli, T0 + 2999), DTLS_OK);
	assert_int_equal(dtls_session_pending(p.cli), 0);
	assert_int_equal(dtls_session_handle_timeout(p.cli, T0 + 3000), DTLS_OK);
	run_handshake(&p, T0 + 3000);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	pair_free(&p);
}

static void test_lost_server_flight_is_resent(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	assert_int_equal(dtls_session_start(p.cli, T0), DTLS_OK);
	relay(p.cli, p.srv, T0, p.mtu, NULL);
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_HANDSHAKING);
	size_t flight = drop_all(p.srv);
	assert_true(flight >= 1);
	assert_int_equal(dtls_session_handle_timeout(p.srv, T0 + 500), DTLS_OK);
	assert_int_equal(dtls_session_pending(p.srv), 0);
	assert_int_equal(dtls_session_handle_timeout(p.srv, T0 + 1000), DTLS_OK);
	assert_int_equal(dtls_session_pending(p.srv), flight);
	/* The client's own timer fires too; the server drops its duplicate ClientHello. */
	assert_int_equal(dtls_session_handle_timeout(p.cli, T0 + 1000), DTLS_OK);
	relay(p.srv, p.cli, T0 + 1000, p.mtu, NULL);
	run_handshake(&p, T0 + 1000);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	pair_free(&p);
}

/* The server's last flight (ChangeCipherSpec, Finished) has no timer of its own: only the
 * client's retransmission of its flight can bring it back (RFC 6347 sect. 4.2.4). */
static void test_lost_final_flight_is_resent(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	assert_int_equal(dtls_session_start(p.cli, T0), DTLS_OK);
	relay(p.cli, p.srv, T0, p.mtu, NULL);
	relay(p.srv, p.cli, T0, p.mtu, NULL);
	relay(p.cli, p.srv, T0, p.mtu, NULL);
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_CONNECTED);
	assert_true(drop_all(p.srv) >= 1);
	assert_int_equal(dtls_session_state(p.cli), DTLS_STATE_HANDSHAKING);
	assert_int_equal(dtls_session_handle_timeout(p.cli, T0 + 1000), DTLS_OK);
	assert_true(dtls_session_pending(p.cli) >= 1);
	relay(p.cli, p.srv, T0 + 1000, p.mtu, NULL);
	assert_true(dtls_session_pending(p.srv) >= 1);
	relay(p.srv, p.cli, T0 + 1000, p.mtu, NULL);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	pair_free(&p);
}

static void test_handshake_timeout(void **state)
{
	(void)state;
	struct pair p;
	struct dtls_session_config srv = {.handshake_timeout_ms = 5000};
	pair_make(&p, &srv, NULL);
	assert_int_equal(dtls_session_start(p.cli, T0), DTLS_OK);
	relay(p.cli, p.srv, T0, p.mtu, NULL);
	drop_all(p.srv); /* and the client is never heard from again */
	uint64_t now = T0;
	while (dtls_session_state(p.srv) == DTLS_STATE_HANDSHAKING) {
		uint64_t next = dtls_session_next_timeout(p.srv);
		assert_true(next > now && next <= T0 + 5000);
		now = next;
		enum dtls_err err = dtls_session_handle_timeout(p.srv, now);
		drop_all(p.srv);
		assert_true(err == DTLS_OK || (err == DTLS_ERR_TIMEOUT && now == T0 + 5000));
	}
	assert_int_equal(now, T0 + 5000);
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_FAILED);
	assert_int_equal(dtls_session_failure(p.srv), DTLS_ERR_TIMEOUT);
	assert_int_equal(dtls_session_next_timeout(p.srv), UINT64_MAX);
	/* A failed session takes nothing more in. */
	uint8_t ch[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(dtls_session_feed(p.srv, ch, sizeof ch, now), DTLS_ERR_STATE);
	pair_free(&p);
}

/* --- Bad input ------------------------------------------------------------------------- */

static void feed_garbage(struct dtls_session *s, enum dtls_state want)
{
	static const struct {
		uint8_t bytes[40];
		size_t len;
		enum dtls_err err;
	} cases[] = {
	    {{0x00, 0x01, 0x00, 0x00}, 4, DTLS_ERR_NOT_DTLS}, /* STUN */
	    {{0x80, 0x6f, 0x00, 0x01}, 4, DTLS_ERR_NOT_DTLS}, /* RTP */
	    {{19, 0xfe, 0xfd}, 3, DTLS_ERR_NOT_DTLS},	      /* below 20 */
	    {{64, 0xfe, 0xfd}, 3, DTLS_ERR_NOT_DTLS},	      /* above 63 */
	    {{22, 0xfe, 0xfd, 0, 0}, 5, DTLS_ERR_MALFORMED},  /* short header */
	    {{24, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 13, DTLS_ERR_MALFORMED},
	    {{22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 13, DTLS_ERR_MALFORMED}, /* TLS */
	    {{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2}, 15, DTLS_ERR_MALFORMED},
	    /* a good empty record, then 3 stray bytes */
	    {{21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9}, 16, DTLS_ERR_MALFORMED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(dtls_session_feed(s, cases[i].bytes, cases[i].len, T0),
				 cases[i].err);
		assert_int_equal(dtls_session_state(s), want);
		assert_int_equal(dtls_session_pending(s), 0);
	}
	uint8_t one = 22;
	assert_int_equal(dtls_session_feed(s, &one, 0, T0), DTLS_ERR_PARAM);
	assert_int_equal(dtls_session_feed(s, NULL, 1, T0), DTLS_ERR_PARAM);
}

static void test_garbage_changes_nothing(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	feed_garbage(p.srv, DTLS_STATE_NEW);
	assert_int_equal(dtls_session_next_timeout(p.srv), UINT64_MAX);
	/* Mid-handshake, with a flight out: still nothing, and the handshake goes on. */
	assert_int_equal(dtls_session_start(p.cli, T0), DTLS_OK);
	relay(p.cli, p.srv, T0, p.mtu, NULL);
	uint64_t next = dtls_session_next_timeout(p.srv);
	uint8_t flight[4][2048];
	size_t lens[4], n = 0;
	while (n < 4 && dtls_session_pending(p.srv)) {
		assert_int_equal(dtls_session_take(p.srv, flight[n], sizeof flight[n], &lens[n]),
				 DTLS_OK);
		n++;
	}
	feed_garbage(p.srv, DTLS_STATE_HANDSHAKING);
	assert_int_equal(dtls_session_next_timeout(p.srv), next);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(dtls_session_feed(p.cli, flight[i], lens[i], T0), DTLS_OK);
	run_handshake(&p, T0);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	feed_garbage(p.srv, DTLS_STATE_CONNECTED);
	pair_free(&p);
}

static void test_params_and_state_errors(void **state)
{
	(void)state;
	struct dtls_session *s = NULL;
	struct dtls_session_config cfg = {.role = DTLS_ROLE_SERVER};
	assert_int_equal(dtls_context_create(NULL), DTLS_ERR_PARAM);
	assert_int_equal(dtls_session_create(fx.server_ctx, &cfg, &s), DTLS_ERR_PARAM);
	cfg.remote_fingerprint = &fx.client_fp;
	cfg.mtu = DTLS_MTU_MIN - 1;
	assert_int_equal(dtls_session_create(fx.server_ctx, &cfg, &s), DTLS_ERR_PARAM);
	cfg.mtu = DTLS_MTU_MAX + 1;
	assert_int_equal(dtls_session_create(fx.server_ctx, &cfg, &s), DTLS_ERR_PARAM);
	cfg.mtu = 0;
	cfg.srtp_profiles = 0x10;
	assert_int_equal(dtls_session_create(fx.server_ctx, &cfg, &s), DTLS_ERR_PARAM);
	cfg.srtp_profiles = 0;
	assert_int_equal(dtls_session_create(NULL, &cfg, &s), DTLS_ERR_PARAM);
	assert_int_equal(dtls_session_create(fx.server_ctx, &cfg, &s), DTLS_OK);
	/* A server does not start; it cannot be released or keyed before it connects. */
	assert_int_equal(dtls_session_start(s, T0), DTLS_ERR_STATE);
	assert_int_equal(dtls_session_release_ssl(s), DTLS_ERR_STATE);
	struct dtls_srtp_keys k;
	assert_int_equal(dtls_session_srtp_keys(s, &k), DTLS_ERR_STATE);
	size_t len = 99;
	assert_int_equal(dtls_session_take(s, NULL, 0, &len), DTLS_OK);
	assert_int_equal(len, 0);
	assert_int_equal(dtls_session_close(s, T0), DTLS_OK);
	assert_int_equal(dtls_session_state(s), DTLS_STATE_CLOSED);
	assert_int_equal(dtls_session_close(s, T0), DTLS_OK);
	dtls_session_destroy(s);
	dtls_session_destroy(NULL);
	assert_int_equal(dtls_session_start(NULL, T0), DTLS_ERR_PARAM);
	assert_int_equal(dtls_session_handle_timeout(NULL, T0), DTLS_ERR_PARAM);
	assert_int_equal(dtls_session_close(NULL, T0), DTLS_ERR_PARAM);
}

static void test_take_needs_room(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	assert_int_equal(dtls_session_start(p.cli, T0), DTLS_OK);
	uint8_t small[16];
	size_t len;
	assert_int_equal(dtls_session_take(p.cli, small, sizeof small, &len), DTLS_ERR_SPACE);
	assert_int_equal(dtls_session_pending(p.cli), 1);
	run_handshake(&p, T0);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lost_client_hello_is_resent),
	    cmocka_unit_test(test_lost_server_flight_is_resent),
	    cmocka_unit_test(test_lost_final_flight_is_resent),
	    cmocka_unit_test(test_handshake_timeout),
	    cmocka_unit_test(test_garbage_changes_nothing),
	    cmocka_unit_test(test_params_and_state_errors),
	    cmocka_unit_test(test_take_needs_room),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
