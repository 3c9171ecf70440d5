/* Unit tests for media/secure/ice_lite.c and media/secure/peer_table.c: the ICE-lite decision as a
 * pure function over a peer table -- right and wrong ufrags, bad or missing integrity and
 * fingerprint, responses and indications, role conflict (487) and unknown attributes
 * (420), address learning from USE-CANDIDATE (and moving, and taking an address from
 * another peer), consent freshness on a fake clock -- and the table's two indexes under
 * many insertions and removals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/secure/ice_lite.h"
#include "media/secure/peer_table.h"
#include "media/wire/stun.h"

#define T0 5000000u /* the fake clock's start, ms */

static const char ufrag_a[] = "AAAAbbbbCCCCdddd", pwd_a[] = "passwordpasswordpassw0rd";
static const char ufrag_b[] = "BBBBccccDDDDeeee", pwd_b[] = "anotherpasswordanotherp";
static const char remote_a[] = "Rm1a", remote_b[] = "Rm2b";

struct fx {
	struct peer_table t;
	struct ice_peer a, b;
	uint8_t req[512], reply[ICE_REPLY_MAX];
	size_t req_len;
	struct ice_result r;
};

static struct stun_addr addr(uint8_t last, uint16_t port)
{
	struct stun_addr x = {.family = STUN_IPV4, .port = port, .ip = {192, 0, 2, last}};
	return x;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	peer_table_init(&f->t, 42);
	ice_peer_init(&f->a, ufrag_a, pwd_a, remote_a, T0);
	ice_peer_init(&f->b, ufrag_b, pwd_b, remote_b, T0);
	if (!peer_table_reserve(&f->t, 2) || !peer_table_add(&f->t, &f->a) ||
	    !peer_table_add(&f->t, &f->b))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	peer_table_fini(&f->t);
	free(f);
	return 0;
}

/* A Binding request as a browser sends it. */
static void request(struct fx *f, const char *username, const char *key, bool use_candidate,
		    enum stun_role role)
{
	struct stun_binding_request req = {.tid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
					   .username = username,
					   .priority = 1853824767,
					   .role = role,
					   .tie_breaker = 0x1122334455667788ull,
					   .use_candidate = use_candidate,
					   .key = (const uint8_t *)key,
					   .key_len = strlen(key)};
	assert_int_equal(stun_build_binding_request(f->req, sizeof f->req, &req, &f->req_len),
			 STUN_OK);
}

static enum ice_err handle(struct fx *f, const struct stun_addr *from, uint64_t now)
{
	return ice_lite_handle(&f->t, f->req, f->req_len, from, now, f->reply, sizeof f->reply,
			       &f->r);
}

static void test_success_response(void **state)
{
	struct fx *f = *state;
	struct stun_addr from = addr(7, 50000);
	request(f, "AAAAbbbbCCCCdddd:Rm1a", pwd_a, false, STUN_ROLE_CONTROLLING);
	assert_int_equal(handle(f, &from, T0 + 100), ICE_OK);
	assert_ptr_equal(f->r.peer, &f->a);
	assert_false(f->r.learned);
	assert_int_equal(f->r.error_code, 0);
	assert_false(f->a.has_addr);
	assert_int_equal(f->a.last_consent_ms, T0 + 100);
	assert_int_equal(f->a.checks, 1);
	/* The response: success, same transaction, our source address, signed with our
	 * password (RFC 8445 sect. 7.3.1.3), fingerprinted. */
	struct stun_msg msg;
	assert_int_equal(stun_parse(f->reply, f->r.reply_len, &msg), STUN_OK);
	assert_int_equal(msg.type, STUN_BINDING_SUCCESS);
	assert_memory_equal(msg.tid, f->req + 8, STUN_TID_LEN);
	assert_true(msg.has_mapped);
	assert_int_equal(msg.mapped.port, 50000);
	assert_memory_equal(msg.mapped.ip, from.ip, 4);
	assert_int_equal(stun_check_fingerprint(f->reply, f->r.reply_len, &msg), STUN_OK);
	assert_int_equal(stun_check_integrity(f->reply, f->r.reply_len, &msg,
					      (const uint8_t *)pwd_a, strlen(pwd_a)),
			 STUN_OK);
	assert_null(peer_table_by_addr(&f->t, &from));
}

static void expect_drop(struct fx *f, enum ice_err want)
{
	struct stun_addr from = addr(9, 40000);
	uint64_t consent = f->a.last_consent_ms;
	uint32_t checks = f->a.checks;
	bool had = f->a.has_addr;
	assert_int_equal(handle(f, &from, T0 + 500), want);
	assert_null(f->r.peer);
	assert_int_equal(f->r.reply_len, 0);
	assert_int_equal(f->a.has_addr, had);
	assert_int_equal(f->a.last_consent_ms, consent);
	assert_int_equal(f->a.checks, checks);
}

static void test_wrong_ufrags(void **state)
{
	struct fx *f = *state;
	request(f, "AAAAbbbbCCCCdddX:Rm1a", pwd_a, true, STUN_ROLE_CONTROLLING);
	expect_drop(f, ICE_EUNKNOWN_UFRAG);
	request(f, "AAAAbbbbCCCCdddd:Rm2b", pwd_a, true, STUN_ROLE_CONTROLLING);
	expect_drop(f, ICE_EREMOTE_UFRAG);
	request(f, "AAAAbbbbCCCCdddd:Rm1", pwd_a, true, STUN_ROLE_CONTROLLING);
	expect_drop(f, ICE_EREMOTE_UFRAG);
	request(f, "Rm1a:AAAAbbbbCCCCdddd", pwd_a, true, STUN_ROLE_CONTROLLING); /* swapped */
	expect_drop(f, ICE_EUNKNOWN_UFRAG);
	request(f, "AAAAbbbbCCCCdddd", pwd_a, true, STUN_ROLE_CONTROLLING); /* no colon */
	expect_drop(f, ICE_ENO_USERNAME);
	/* Peer b's ufrag with peer a's password: the ufrag picks b, whose password fails. */
	request(f, "BBBBccccDDDDeeee:Rm2b", pwd_a, true, STUN_ROLE_CONTROLLING);
	expect_drop(f, ICE_EINTEGRITY);
	assert_false(f->b.has_addr);
}

static void test_bad_integrity_and_fingerprint(void **state)
{
	struct fx *f = *state;
	request(f, "AAAAbbbbCCCCdddd:Rm1a", "not-the-password-at-all", true, STUN_ROLE_CONTROLLING);
	expect_drop(f, ICE_EINTEGRITY);

	/* A flipped bit in the last byte breaks the CRC first. */
	request(f, "AAAAbbbbCCCCdddd:Rm1a", pwd_a, true, STUN_ROLE_CONTROLLING);
	f->req[f->req_len - 1] ^= 1;
	expect_drop(f, ICE_EFINGERPRINT);

	/* Written by hand: integrity without a fingerprint, and a fingerprint without
	 * integrity. */
	const uint8_t tid[STUN_TID_LEN] = {9};
	const char *user = "AAAAbbbbCCCCdddd:Rm1a";
	struct stun_writer w;
	stun_writer_init(&w, f->req, sizeof f->req, STUN_BINDING_REQUEST, tid);
	stun_writer_add(&w, STUN_ATTR_USERNAME, user, strlen(user));
	stun_writer_add(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_writer_add_integrity(&w, (const uint8_t *)pwd_a, strlen(pwd_a));
	assert_int_equal(stun_writer_finish(&w, &f->req_len), STUN_OK);
	expect_drop(f, ICE_ENO_FINGERPRINT);

	stun_writer_init(&w, f->req, sizeof f->req, STUN_BINDING_REQUEST, tid);
	stun_writer_add(&w, STUN_ATTR_USERNAME, user, strlen(user));
	stun_writer_add(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_writer_add_fingerprint(&w);
	assert_int_equal(stun_writer_finish(&w, &f->req_len), STUN_OK);
	expect_drop(f, ICE_ENO_INTEGRITY);
}

static void test_not_requests_and_junk(void **state)
{
	struct fx *f = *state;
	/* A success response and an indication (a keep-alive) are never answered. */
	request(f, "AAAAbbbbCCCCdddd:Rm1a", pwd_a, true, STUN_ROLE_CONTROLLING);
	f->req[0] = 0x01;
	f->req[1] = 0x01;
	expect_drop(f, ICE_ENOT_REQUEST);
	f->req[1] = 0x11;
	f->req[0] = 0x00;
	expect_drop(f, ICE_ENOT_REQUEST);
	static const uint8_t junk[] = {0, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42};
	memcpy(f->req, junk, sizeof junk);
	f->req_len = sizeof junk;
	expect_drop(f, ICE_EMALFORMED);
	f->req_len = 0;
	expect_drop(f, ICE_EMALFORMED);
	struct stun_addr from = addr(1, 1);
	assert_int_equal(
	    ice_lite_handle(NULL, f->req, 0, &from, 0, f->reply, sizeof f->reply, &f->r),
	    ICE_EINVAL);
}

static void test_role_conflict_487(void **state)
{
	struct fx *f = *state;
	struct stun_addr from = addr(7, 50000);
	request(f, "AAAAbbbbCCCCdddd:Rm1a", pwd_a, true, STUN_ROLE_CONTROLLED);
	assert_int_equal(handle(f, &from, T0 + 1000), ICE_OK);
	assert_int_equal(f->r.error_code, STUN_ERR_ROLE_CONFLICT);
	assert_false(f->r.learned);
	assert_false(f->a.has_addr);
	assert_int_equal(f->a.last_consent_ms, T0); /* not a successful check */
	struct stun_msg msg;
	assert_int_equal(stun_parse(f->reply, f->r.reply_len, &msg), STUN_OK);
	assert_int_equal(msg.type, STUN_BINDING_ERROR);
	assert_int_equal(msg.error_code, 487);
	assert_int_equal(stun_check_integrity(f->reply, f->r.reply_len, &msg,
					      (const uint8_t *)pwd_a, strlen(pwd_a)),
			 STUN_OK);
}

static void test_unknown_attribute_420(void **state)
{
	struct fx *f = *state;
	const uint8_t tid[STUN_TID_LEN] = {3};
	const char *user = "AAAAbbbbCCCCdddd:Rm1a";
	struct stun_writer w;
	stun_writer_init(&w, f->req, sizeof f->req, STUN_BINDING_REQUEST, tid);
	stun_writer_add(&w, STUN_ATTR_USERNAME, user, strlen(user));
	stun_writer_add_u32(&w, 0x0777, 1); /* comprehension-required, unknown */
	stun_writer_add_integrity(&w, (const uint8_t *)pwd_a, strlen(pwd_a));
	stun_writer_add_fingerprint(&w);
	assert_int_equal(stun_writer_finish(&w, &f->req_len), STUN_OK);
	struct stun_addr from = addr(7, 50000);
	assert_int_equal(handle(f, &from, T0), ICE_OK);
	assert_int_equal(f->r.error_code, STUN_ERR_UNKNOWN_ATTRIBUTE);
	struct stun_msg msg;
	assert_int_equal(stun_parse(f->reply, f->r.reply_len, &msg), STUN_OK);
	assert_int_equal(msg.error_code, 420);
}

static void test_use_candidate_learns_and_moves(void **state)
{
	struct fx *f = *state;
	struct stun_addr first = addr(7, 50000), second = addr(8, 50001);
	request(f, "AAAAbbbbCCCCdddd:Rm1a", pwd_a, true, STUN_ROLE_CONTROLLING);
	assert_int_equal(handle(f, &first, T0 + 10), ICE_OK);
	assert_true(f->r.learned);
	assert_true(f->a.has_addr);
	assert_ptr_equal(peer_table_by_addr(&f->t, &first), &f->a);
	/* The same nomination again learns nothing new. */
	assert_int_equal(handle(f, &first, T0 + 20), ICE_OK);
	assert_false(f->r.learned);
	/* A nomination from elsewhere (the browser changed networks) moves the peer. */
	assert_int_equal(handle(f, &second, T0 + 30), ICE_OK);
	assert_true(f->r.learned);
	assert_null(peer_table_by_addr(&f->t, &first));
	assert_ptr_equal(peer_table_by_addr(&f->t, &second), &f->a);
	/* Peer b nominating a's address takes it: a has none now. */
	request(f, "BBBBccccDDDDeeee:Rm2b", pwd_b, true, STUN_ROLE_CONTROLLING);
	assert_int_equal(handle(f, &second, T0 + 40), ICE_OK);
	assert_ptr_equal(f->r.peer, &f->b);
	assert_ptr_equal(peer_table_by_addr(&f->t, &second), &f->b);
	assert_false(f->a.has_addr);
	peer_table_remove(&f->t, &f->b);
	assert_null(peer_table_by_addr(&f->t, &second));
	assert_null(peer_table_by_ufrag(&f->t, (const uint8_t *)ufrag_b, strlen(ufrag_b)));
	expect_drop(f, ICE_EUNKNOWN_UFRAG);
}

static void test_consent_fake_clock(void **state)
{
	struct fx *f = *state;
	assert_false(ice_lite_consent_expired(&f->a, T0));
	assert_false(ice_lite_consent_expired(&f->a, T0 + ICE_CONSENT_TIMEOUT_MS - 1));
	assert_true(ice_lite_consent_expired(&f->a, T0 + ICE_CONSENT_TIMEOUT_MS));
	/* A check renews it... */
	struct stun_addr home = addr(7, 50000), other = addr(9, 9999);
	request(f, "AAAAbbbbCCCCdddd:Rm1a", pwd_a, true, STUN_ROLE_CONTROLLING);
	assert_int_equal(handle(f, &home, T0 + 20000), ICE_OK);
	assert_false(ice_lite_consent_expired(&f->a, T0 + 49999));
	assert_true(ice_lite_consent_expired(&f->a, T0 + 50000));
	/* ...but after a pair is chosen, only a check on that pair does (RFC 7675). */
	request(f, "AAAAbbbbCCCCdddd:Rm1a", pwd_a, false, STUN_ROLE_CONTROLLING);
	assert_int_equal(handle(f, &other, T0 + 40000), ICE_OK);
	assert_true(ice_lite_consent_expired(&f->a, T0 + 50000));
	assert_int_equal(handle(f, &home, T0 + 45000), ICE_OK);
	assert_false(ice_lite_consent_expired(&f->a, T0 + 74999));
	assert_true(ice_lite_consent_expired(&f->a, T0 + 75000));
	/* A bad check renews nothing. */
	request(f, "AAAAbbbbCCCCdddd:Rm1a", "wrong-password-wrong-pass", false,
		STUN_ROLE_CONTROLLING);
	assert_int_equal(handle(f, &home, T0 + 70000), ICE_EINTEGRITY);
	assert_true(ice_lite_consent_expired(&f->a, T0 + 75000));
}

/* Many peers in and out, in an order that exercises backward-shift deletion across
 * clusters and the table's growth: every peer still present is found by both keys. */
static void test_table_churn(void **state)
{
	(void)state;
	enum { N = 2000 };
	static struct ice_peer peers[N];
	struct peer_table t;
	peer_table_init(&t, 7);
	for (unsigned i = 0; i < N; i++) {
		char ufrag[ICE_UFRAG_LEN + 1];
		snprintf(ufrag, sizeof ufrag, "u%015u", i * 2654435761u);
		ice_peer_init(&peers[i], ufrag, pwd_a, "Rm1a", T0);
		assert_true(peer_table_reserve(&t, t.n + 1));
		assert_true(peer_table_add(&t, &peers[i]));
		struct stun_addr a = addr((uint8_t)i, (uint16_t)(1000 + i));
		peer_table_set_addr(&t, &peers[i], &a);
	}
	assert_false(peer_table_add(&t, &peers[5])); /* already in */
	struct ice_peer dup;
	ice_peer_init(&dup, peers[9].ufrag, pwd_a, "x123", T0);
	assert_false(peer_table_add(&t, &dup)); /* same ufrag */
	for (unsigned i = 0; i < N; i += 3)
		peer_table_remove(&t, &peers[i]);
	for (unsigned i = 1; i < N; i += 7)
		peer_table_clear_addr(&t, &peers[i]);
	for (unsigned i = 0; i < N; i++) {
		struct ice_peer *p = &peers[i];
		struct stun_addr a = addr((uint8_t)i, (uint16_t)(1000 + i));
		bool in = i % 3 != 0, has = in && i % 7 != 1;
		assert_ptr_equal(
		    peer_table_by_ufrag(&t, (const uint8_t *)p->ufrag, strlen(p->ufrag)),
		    in ? p : NULL);
		assert_ptr_equal(peer_table_by_addr(&t, &a), has ? p : NULL);
	}
	assert_int_equal(t.n, N - (N + 2) / 3);
	peer_table_fini(&t);
}

static void test_credentials_and_names(void **state)
{
	(void)state;
	char u1[ICE_UFRAG_LEN + 1], p1[ICE_PWD_LEN + 1], u2[ICE_UFRAG_LEN + 1], p2[ICE_PWD_LEN + 1];
	assert_true(ice_make_credentials(u1, p1));
	assert_true(ice_make_credentials(u2, p2));
	assert_int_equal(strlen(u1), ICE_UFRAG_LEN);
	assert_int_equal(strlen(p1), ICE_PWD_LEN);
	assert_string_not_equal(u1, u2);
	for (const char *c = p1; *c; c++)
		assert_non_null(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *c));
	for (int e = ICE_OK; e <= ICE_EINVAL; e++)
		assert_non_null(ice_strerror((enum ice_err)e));
	assert_string_equal(ice_strerror((enum ice_err)999), "unknown ICE error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_success_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_ufrags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_integrity_and_fingerprint, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_requests_and_junk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_role_conflict_487, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_attribute_420, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_use_candidate_learns_and_moves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_consent_fake_clock, setup, teardown),
	    cmocka_unit_test(test_table_churn),
	    cmocka_unit_test(test_credentials_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
