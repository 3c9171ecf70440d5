/* Unit tests for media/secure/dtls.c: full in-memory handshakes between a client and a server
 * session (datagrams passed by hand, time passed by hand), the SRTP keys they export,
 * fingerprint checks, retransmission of each lost flight on a fake clock, the handshake
 * timeout, garbage input, close_notify, and the memory an SSL object costs before it is
 * released. */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "media/secure/dtls.h"

#define T0 1000000u /* an arbitrary start for the fake clock, in ms */

struct fixture {
	struct dtls_context *server_ctx, *client_ctx;
	struct dtls_fingerprint server_fp, client_fp;
};

static struct fixture fx;

static int group_setup(void **state)
{
	(void)state;
	if (dtls_context_create(&fx.server_ctx) || dtls_context_create(&fx.client_ctx))
		return -1;
	const char *s = dtls_context_fingerprint(fx.server_ctx);
	const char *c = dtls_context_fingerprint(fx.client_ctx);
	if (dtls_fingerprint_parse(s, strlen(s), &fx.server_fp) ||
	    dtls_fingerprint_parse(c, strlen(c), &fx.client_fp))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dtls_context_destroy(fx.server_ctx);
	dtls_context_destroy(fx.client_ctx);
	return 0;
}

struct pair {
	struct dtls_session *srv, *cli;
	size_t mtu;
};

static void pair_make(struct pair *p, const struct dtls_session_config *base_srv,
		      const struct dtls_session_config *base_cli)
{
	struct dtls_session_config srv = {0}, cli = {0};
	if (base_srv)
		srv = *base_srv;
	if (base_cli)
		cli = *base_cli;
	srv.role = DTLS_ROLE_SERVER;
	cli.role = DTLS_ROLE_CLIENT;
	if (!srv.remote_fingerprint)
		srv.remote_fingerprint = &fx.client_fp;
	if (!cli.remote_fingerprint)
		cli.remote_fingerprint = &fx.server_fp;
	p->mtu = srv.mtu ? srv.mtu : DTLS_MTU_DEFAULT;
	assert_int_equal(dtls_session_create(fx.server_ctx, &srv, &p->srv), DTLS_OK);
	assert_int_equal(dtls_session_create(fx.client_ctx, &cli, &p->cli), DTLS_OK);
	assert_int_equal(dtls_session_state(p->srv), DTLS_STATE_NEW);
}

static void pair_free(struct pair *p)
{
	dtls_session_destroy(p->srv);
	dtls_session_destroy(p->cli);
}

/* Moves every queued datagram from one session into the other (or nowhere, to drop
 * them), checking the MTU; returns how many moved and the last feed result. */
static size_t relay(struct dtls_session *from, struct dtls_session *to, uint64_t now, size_t mtu,
		    enum dtls_err *last)
{
	uint8_t buf[2048];
	size_t len, n = 0;
	for (;;) {
		assert_int_equal(dtls_session_take(from, buf, sizeof buf, &len), DTLS_OK);
		if (len == 0)
			return n;
		assert_true(len <= mtu);
		n++;
		if (to) {
			enum dtls_err err = dtls_session_feed(to, buf, len, now);
			if (last)
				*last = err;
		}
	}
}

static size_t drop_all(struct dtls_session *from)
{
	return relay(from, NULL, 0, SIZE_MAX, NULL);
}

static void run_handshake(struct pair *p, uint64_t now)
{
	if (dtls_session_state(p->cli) == DTLS_STATE_NEW)
		assert_int_equal(dtls_session_start(p->cli, now), DTLS_OK);
	for (int i = 0; i < 8; i++) {
		relay(p->cli, p->srv, now, p->mtu, NULL);
		relay(p->srv, p->cli, now, p->mtu, NULL);
		if (dtls_session_pending(p->cli) == 0 && dtls_session_pending(p->srv) == 0)
			break;
	}
}

static void assert_connected_with(struct pair *p, enum dtls_srtp_profile profile)
{
	assert_int_equal(dtls_session_state(p->srv), DTLS_STATE_CONNECTED);
	assert_int_equal(dtls_session_state(p->cli), DTLS_STATE_CONNECTED);
	struct dtls_srtp_keys ks, kc;
	assert_int_equal(dtls_session_srtp_keys(p->srv, &ks), DTLS_OK);
	assert_int_equal(dtls_session_srtp_keys(p->cli, &kc), DTLS_OK);
	assert_int_equal(ks.profile, profile);
	assert_int_equal(kc.profile, profile);
	assert_int_equal(ks.key_len, 16);
	assert_int_equal(ks.salt_len, profile == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14);
	/* What one side sends with is what the other receives with, and the two directions
	 * differ (RFC 5764 sect. 4.2). */
	assert_memory_equal(kc.local_key, ks.remote_key, 16);
	assert_memory_equal(kc.remote_key, ks.local_key, 16);
	assert_memory_equal(kc.local_salt, ks.remote_salt, ks.salt_len);
	assert_memory_equal(kc.remote_salt, ks.local_salt, ks.salt_len);
	assert_memory_not_equal(ks.local_key, ks.remote_key, 16);
	assert_int_equal(dtls_session_next_timeout(p->srv), UINT64_MAX);
	assert_int_equal(dtls_session_next_timeout(p->cli), UINT64_MAX);
}

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

/* --- Closing and releasing ------------------------------------------------------------- */

static void test_close_notify(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	run_handshake(&p, T0);
	assert_int_equal(dtls_session_close(p.cli, T0 + 5), DTLS_OK);
	assert_int_equal(dtls_session_state(p.cli), DTLS_STATE_CLOSED);
	assert_int_equal(dtls_session_failure(p.cli), DTLS_OK);
	enum dtls_err last = DTLS_OK;
	assert_int_equal(relay(p.cli, p.srv, T0 + 5, p.mtu, &last), 1);
	assert_int_equal(last, DTLS_ERR_PEER_CLOSED);
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_CLOSED);
	assert_int_equal(dtls_session_failure(p.srv), DTLS_ERR_PEER_CLOSED);
	/* The server answered in kind; the client is already closed. */
	last = DTLS_OK;
	assert_int_equal(relay(p.srv, p.cli, T0 + 5, p.mtu, &last), 1);
	assert_int_equal(last, DTLS_ERR_STATE);
	pair_free(&p);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static void test_release_ssl_after_keying(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	run_handshake(&p, T0);
	assert_connected_with(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	struct dtls_srtp_keys before, after;
	assert_int_equal(dtls_session_srtp_keys(p.srv, &before), DTLS_OK);

	size_t connected = heap_in_use();
	assert_int_equal(dtls_session_release_ssl(p.srv), DTLS_OK);
	size_t released = heap_in_use();
	assert_true(dtls_session_released(p.srv));
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_CONNECTED);
	assert_int_equal(dtls_session_srtp_keys(p.srv, &after), DTLS_OK);
	assert_memory_equal(&before, &after, sizeof before);
	assert_int_equal(dtls_session_release_ssl(p.srv), DTLS_OK);

	/* DTLS from the peer is now ignored (here an application_data record). */
	uint8_t record[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 2, 0xab, 0xcd};
	assert_int_equal(dtls_session_feed(p.srv, record, sizeof record, T0), DTLS_ERR_RELEASED);
	assert_int_equal(dtls_session_pending(p.srv), 0);

	/* Measure before anything else changes the heap, then close: nothing is sent. */
	dtls_session_destroy(p.srv);
	size_t gone = heap_in_use();
#ifndef PLENARY_SANITIZED
	/* ASan replaces malloc and mallinfo2 knows nothing of it; measure only without.
	 * The heap counters are process-wide and glibc caches some freed chunks, so the
	 * bounds are loose: measured ~56 KB and 512 bytes. */
	long with_ssl = (long)connected - (long)gone, without = (long)released - (long)gone;
	print_message("dtls server session: %ld bytes connected with its SSL, %ld bytes after "
		      "dtls_session_release_ssl\n",
		      with_ssl, without);
	assert_true(with_ssl > 16 * 1024);
	assert_true(without < 4 * 1024);
#else
	(void)connected;
	(void)released;
	(void)gone;
#endif
	dtls_session_destroy(p.cli);
}

static void test_close_after_release_sends_nothing(void **state)
{
	(void)state;
	struct pair p;
	pair_make(&p, NULL, NULL);
	run_handshake(&p, T0);
	assert_int_equal(dtls_session_release_ssl(p.srv), DTLS_OK);
	assert_int_equal(dtls_session_close(p.cli, T0 + 1), DTLS_OK);
	enum dtls_err last = DTLS_OK;
	assert_int_equal(relay(p.cli, p.srv, T0 + 1, p.mtu, &last), 1);
	assert_int_equal(last, DTLS_ERR_RELEASED);
	assert_int_equal(dtls_session_close(p.srv, T0 + 2), DTLS_OK);
	assert_int_equal(dtls_session_state(p.srv), DTLS_STATE_CLOSED);
	assert_int_equal(dtls_session_pending(p.srv), 0);
	pair_free(&p);
}

/* The contexts are shared read-only by worker threads, each owning its sessions. Plain
 * asserts, not cmocka's, since cmocka is not thread-safe; the TSan build checks races. */
static void *handshakes_in_thread(void *arg)
{
	int *ok = arg;
	for (int i = 0; i < 10; i++) {
		struct pair p;
		struct dtls_session_config srv = {.role = DTLS_ROLE_SERVER,
						  .remote_fingerprint = &fx.client_fp};
		struct dtls_session_config cli = {.role = DTLS_ROLE_CLIENT,
						  .remote_fingerprint = &fx.server_fp};
		p.mtu = DTLS_MTU_DEFAULT;
		if (dtls_session_create(fx.server_ctx, &srv, &p.srv) ||
		    dtls_session_create(fx.client_ctx, &cli, &p.cli) ||
		    dtls_session_start(p.cli, T0))
			return NULL;
		uint8_t buf[2048];
		size_t len;
		for (int round = 0; round < 8; round++) {
			struct dtls_session *from = round % 2 ? p.srv : p.cli;
			struct dtls_session *to = round % 2 ? p.cli : p.srv;
			while (dtls_session_take(from, buf, sizeof buf, &len) == DTLS_OK && len)
				if (dtls_session_feed(to, buf, len, T0) != DTLS_OK)
					return NULL;
		}
		bool done = dtls_session_state(p.srv) == DTLS_STATE_CONNECTED &&
			    dtls_session_state(p.cli) == DTLS_STATE_CONNECTED;
		pair_free(&p);
		if (!done)
			return NULL;
	}
	*ok = 1;
	return NULL;
}

static void test_threads_share_contexts(void **state)
{
	(void)state;
	pthread_t threads[4];
	int ok[4] = {0};
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, handshakes_in_thread, &ok[i]),
				 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(ok[i], 1);
	}
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
	    cmocka_unit_test(test_lost_client_hello_is_resent),
	    cmocka_unit_test(test_lost_server_flight_is_resent),
	    cmocka_unit_test(test_lost_final_flight_is_resent),
	    cmocka_unit_test(test_handshake_timeout),
	    cmocka_unit_test(test_garbage_changes_nothing),
	    cmocka_unit_test(test_params_and_state_errors),
	    cmocka_unit_test(test_take_needs_room),
	    cmocka_unit_test(test_close_notify),
	    cmocka_unit_test(test_release_ssl_after_keying),
	    cmocka_unit_test(test_close_after_release_sends_nothing),
	    cmocka_unit_test(test_threads_share_contexts),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
