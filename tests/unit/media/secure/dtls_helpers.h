/*
 * media/secure/dtls_helpers.h -- what the DTLS tests share (test_dtls_handshake.c,
 * test_dtls_faults.c, test_dtls_lifetime.c): a server and a client context made once per
 * program, a session pair between them, a relay that passes datagrams by hand on a fake
 * clock, and the check that a handshake ended with matching SRTP keys.
 *
 * Header-only and static inline, so each test stays one program.
 */
#ifndef PLENARY_TEST_MEDIA_SECURE_DTLS_HELPERS_H
#define PLENARY_TEST_MEDIA_SECURE_DTLS_HELPERS_H

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

static inline int group_setup(void **state)
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

static inline int group_teardown(void **state)
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

static inline void pair_make(struct pair *p, const struct dtls_session_config *base_srv,
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

static inline void pair_free(struct pair *p)
{
	dtls_session_destroy(p->srv);
	dtls_session_destroy(p->cli);
}

/* Moves every queued datagram from one session into the other (or nowhere, to drop
 * them), checking the MTU; returns how many moved and the last feed result. */
static inline size_t relay(struct dtls_session *from, struct dtls_session *to, uint64_t now,
			   size_t mtu, enum dtls_err *last)
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

static inline size_t drop_all(struct dtls_session *from)
{
	return relay(from, NULL, 0, SIZE_MAX, NULL);
}

static inline void run_handshake(struct pair *p, uint64_t now)
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

static inline void assert_connected_with(struct pair *p, enum dtls_srtp_profile profile)
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

#endif
