/* Unit tests for media/secure/dtls.c: fingerprints, and full in-memory handshakes between a
 * client and a server session (datagrams passed by hand, time passed by hand), the SRTP
 * keys they export and the fingerprint checks. Lost flights and bad input are
 * test_dtls_faults.c's, closing and releasing test_dtls_lifetime.c's. */
#include "dtls_helpers.h"

/* --- Fingerprints ---------------------------------------------------------------------- */

static void test_fingerprint_text(void **state)
{
	(void)state;
	const char *fp = dtls_context_fingerprint(fx.server_ctx);
	assert_int_equal(strlen(fp), strlen("sha-256 ") + 32 * 3 - 1);
	assert_memory_equal(fp, "sha-256 ", 8);
	for (size_t i = 8; fp[i]; i++)
		assert_true((i - 8) % 3 == 2
				? fp[i] == ':'
				: (fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'A' && fp[i] <= 'F'));
	assert_int_equal(fx.server_fp.hash, DTLS_HASH_SHA256);
	assert_int_equal(fx.server_fp.len, 32);
	/* Two contexts, two keys. */
	assert_string_not_equal(fp, dtls_context_fingerprint(fx.client_ctx));
}

static void test_fingerprint_parse(void **state)
{
	(void)state;
	struct dtls_fingerprint f;
	char text[DTLS_FINGERPRINT_TEXT_MAX + 8];
	/* Case-insensitive hash name and hex, blanks around. */
	snprintf(text, sizeof text, "  SHA-256\t%s ", dtls_context_fingerprint(fx.server_ctx) + 8);
	for (char *c = text + 10; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	assert_int_equal(dtls_fingerprint_parse(text, strlen(text), &f), DTLS_OK);
	assert_memory_equal(f.digest, fx.server_fp.digest, 32);
	assert_int_equal(dtls_fingerprint_parse("sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:"
						"0d:0e:0f:10:11:12:13",
						65, &f),
			 DTLS_OK);
	assert_int_equal(f.hash, DTLS_HASH_SHA1);
	assert_int_equal(f.len, 20);
	static const char *const bad[] = {
	    "",
	    "sha-256",
	    "sha-256 ",
	    "md5 00:01",
	    "sha-256 00:01",
	    "sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:",
	    "sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:1",
	    "sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:1g",
	    "sha-1 0001:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14",
	    "sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(dtls_fingerprint_parse(bad[i], strlen(bad[i]), &f),
				 DTLS_ERR_BAD_FINGERPRINT);
	assert_int_equal(dtls_fingerprint_parse(NULL, 0, &f), DTLS_ERR_PARAM);
}

/* --- Handshakes ------------------------------------------------------------------------ */

static void test_handshake_gcm(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	run_handshake(&p, T0);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	assert_false(dtls_session_released(p.srv));
	assert_int_equal(dtls_session_failure(p.srv), DTLS_OK);
	pair_free(&p);
}

/* Certificate rotation: the owner drops a context while a session made from it has not
 * handshaken yet; the session keeps it (ASan would see it freed under the session), and
 * the handshake completes with that context's certificate. */
static void test_session_outlives_its_context(void **state)
{
	(void)state;
	struct dtls_context *old;
	assert_int_equal(dtls_context_create_at(1700000000, &old), DTLS_OK);
	assert_int_equal(dtls_context_made_s(old), 1700000000);
	struct dtls_fingerprint old_fp;
	const char *text = dtls_context_fingerprint(old);
	assert_int_equal(dtls_fingerprint_parse(text, strlen(text), &old_fp), DTLS_OK);
	struct dtls_session_config srv = {.role = DTLS_ROLE_SERVER,
					  .remote_fingerprint = &fx.client_fp};
	struct dtls_session_config cli = {.role = DTLS_ROLE_CLIENT, .remote_fingerprint = &old_fp};
	struct pair p = {.mtu = DTLS_MTU_DEFAULT};
	assert_int_equal(dtls_session_create(old, &srv, &p.srv), DTLS_OK);
	dtls_context_destroy(old); /* the owner's reference: a new certificate took over */
	assert_int_equal(dtls_session_create(fx.client_ctx, &cli, &p.cli), DTLS_OK);
	run_handshake(&p, T0);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	pair_free(&p); /* and the last reference with it */
}

static void test_handshake_cm80_when_offered_alone(void **state)
{
	(void)state;
	struct pair p;
	struct dtls_session_config cli = {.srtp_profiles = DTLS_OFFER_CM_80};
	pair_make(&p, NULL, &cli);
	run_handshake(&p, T0);
	assert_connected_with(&p, DTLS_SRTP_AES128_CM_SHA1_80);
	pair_free(&p);
}

static void test_no_common_profile_fails(void **state)
{
	(void)state;
	struct pair p;
	struct dtls_session_config srv = {.srtp_profiles = DTLS_OFFER_GCM};
	struct dtls_session_config cli = {.srtp_profiles = DTLS_OFFER_CM_80};
	pair_make(&p, &srv, &cli);
	run_handshake(&p, T0);
	/* The server answers without use_srtp; the client cannot key SRTP and gives up. */
	assert_int_equal(dtls_session_state(p.cli), DTLS_STATE_FAILED);
	assert_int_equal(dtls_session_failure(p.cli), DTLS_ERR_NO_SRTP);
	assert_int_not_equal(dtls_session_state(p.srv), DTLS_STATE_CONNECTED);
	pair_free(&p);
}

/* A small MTU splits the server's certificate flight across datagrams; relay() checks
 * that none is larger than the MTU. */
static void test_small_mtu_fragments(void **state)
{
	(void)state;
	struct pair p;
	struct dtls_session_config srv = {.mtu = DTLS_MTU_MIN}, cli = {.mtu = DTLS_MTU_MIN};
	pair_make(&p, &srv, &cli);
	assert_int_equal(dtls_session_start(p.cli, T0), DTLS_OK);
	relay(p.cli, p.srv, T0, DTLS_MTU_MIN, NULL);
	assert_true(dtls_session_pending(p.srv) >= 3);
	run_handshake(&p, T0);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	pair_free(&p);
}

static void test_server_rejects_wrong_fingerprint(void **state)
{
	(void)state;
	struct pair p;
	struct dtls_fingerprint wrong = fx.client_fp;
	wrong.digest[31] ^= 1;
	struct dtls_session_config srv = {.remote_fingerprint = &wrong};
	pair_make(&p, &srv, NULL);
	run_handshake(&p, T0);
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_FAILED);
	assert_int_equal(dtls_session_failure(p.srv), DTLS_ERR_FINGERPRINT);
	/* The server's alert reached the client. */
	assert_int_equal(dtls_session_state(p.cli), DTLS_STATE_FAILED);
	assert_int_equal(dtls_session_failure(p.cli), DTLS_ERR_HANDSHAKE);
	struct dtls_srtp_keys k;
	assert_int_equal(dtls_session_srtp_keys(p.srv, &k), DTLS_ERR_STATE);
	pair_free(&p);
}

static void test_client_rejects_wrong_fingerprint(void **state)
{
	(void)state;
	struct pair p;
	/* The client expects the certificate of a different context. */
	struct dtls_session_config cli = {.remote_fingerprint = &fx.client_fp};
	pair_make(&p, NULL, &cli);
	run_handshake(&p, T0);
	assert_int_equal(dtls_session_state(p.cli), DTLS_STATE_FAILED);
	assert_int_equal(dtls_session_failure(p.cli), DTLS_ERR_FINGERPRINT);
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_FAILED);
	pair_free(&p);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(dtls_state_name(DTLS_STATE_NEW), "new");
	assert_string_equal(dtls_state_name(DTLS_STATE_HANDSHAKING), "handshaking");
	assert_string_equal(dtls_state_name(DTLS_STATE_CONNECTED), "connected");
	assert_string_equal(dtls_state_name(DTLS_STATE_FAILED), "failed");
	assert_string_equal(dtls_state_name(DTLS_STATE_CLOSED), "closed");
	assert_string_equal(dtls_state_name((enum dtls_state)99), "unknown");
	for (int e = DTLS_OK; e <= DTLS_ERR_OVERFLOW; e++)
		assert_string_not_equal(dtls_strerror((enum dtls_err)e), "unknown DTLS error");
	assert_string_equal(dtls_strerror((enum dtls_err)999), "unknown DTLS error");
	assert_string_equal(dtls_srtp_profile_name(DTLS_SRTP_AEAD_AES_128_GCM),
			    "SRTP_AEAD_AES_128_GCM");
	assert_string_equal(dtls_srtp_profile_name(DTLS_SRTP_AES128_CM_SHA1_80),
			    "SRTP_AES128_CM_SHA1_80");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fingerprint_text),
	    cmocka_unit_test(test_fingerprint_parse),
	    cmocka_unit_test(test_handshake_gcm),
	    cmocka_unit_test(test_session_outlives_its_context),
	    cmocka_unit_test(test_handshake_cm80_when_offered_alone),
	    cmocka_unit_test(test_no_common_profile_fails),
	    cmocka_unit_test(test_small_mtu_fragments),
	    cmocka_unit_test(test_server_rejects_wrong_fingerprint),
	    cmocka_unit_test(test_client_rejects_wrong_fingerprint),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
