/* Unit tests for media/wire/stun.c on the RFC 5769 sample messages: parsed, verified and
 * rebuilt byte for byte, and refused once tampered with or missing a check. */
#include "stun_helpers.h"

static void test_rfc5769_request(void **state)
{
	(void)state;
	struct stun_msg m;
	assert_int_equal(stun_parse(req5769, sizeof req5769, &m), STUN_OK);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.method, 1);
	assert_int_equal(m.class_, 0);
	assert_memory_equal(m.tid, tid5769, 12);
	assert_int_equal(m.length, sizeof req5769);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_true(m.has_priority);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_int_equal(m.role, STUN_ROLE_CONTROLLED);
	assert_true(m.tie_breaker == 0x932ff9b151263b36ULL);
	assert_false(m.use_candidate);
	assert_int_equal(m.integrity_off, 76);
	assert_int_equal(m.fingerprint_off, 100);
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(stun_check_fingerprint(req5769, sizeof req5769, &m), STUN_OK);
	assert_int_equal(stun_check_integrity(req5769, sizeof req5769, &m, pw(), PWLEN), STUN_OK);
	const uint8_t *a, *b;
	size_t al, bl;
	assert_true(stun_username_split(&m, &a, &al, &b, &bl));
	assert_int_equal(al, 4);
	assert_memory_equal(a, "evtj", 4);
	assert_int_equal(bl, 4);
	assert_memory_equal(b, "h6vY", 4);
}

static void test_rfc5769_request_rebuilt(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct stun_writer w;
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	w.pad = ' ';
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, "STUN test client", 16);
	stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ULL);
	stun_writer_add(&w, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	stun_writer_add_fingerprint(&w);
	size_t n = 0;
	assert_int_equal(stun_writer_finish(&w, &n), STUN_OK);
	assert_int_equal(n, sizeof req5769);
	assert_memory_equal(buf, req5769, n);
}

static void rebuild_response(const uint8_t *want, size_t want_len, const struct stun_addr *a)
{
	uint8_t buf[256];
	struct stun_writer w;
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_SUCCESS, tid5769);
	w.pad = ' ';
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
	stun_writer_add_xor_address(&w, a);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	stun_writer_add_fingerprint(&w);
	size_t n = 0;
	assert_int_equal(stun_writer_finish(&w, &n), STUN_OK);
	assert_int_equal(n, want_len);
	assert_memory_equal(buf, want, n);
}

static void test_rfc5769_responses(void **state)
{
	(void)state;
	check_response(resp4_5769, sizeof resp4_5769, &addr4);
	check_response(resp6_5769, sizeof resp6_5769, &addr6);
	rebuild_response(resp4_5769, sizeof resp4_5769, &addr4);
	rebuild_response(resp6_5769, sizeof resp6_5769, &addr6);
}

static void test_tampered(void **state)
{
	(void)state;
	uint8_t buf[sizeof req5769];
	struct stun_msg m;
	/* A flipped byte in PRIORITY: both checks fail. */
	memcpy(buf, req5769, sizeof buf);
	buf[45] ^= 1;
	assert_int_equal(stun_parse(buf, sizeof buf, &m), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, sizeof buf, &m), STUN_EFINGERPRINT);
	assert_int_equal(stun_check_integrity(buf, sizeof buf, &m, pw(), PWLEN), STUN_EINTEGRITY);
	/* Wrong password. */
	assert_int_equal(stun_parse(req5769, sizeof req5769, &m), STUN_OK);
	assert_int_equal(
	    stun_check_integrity(req5769, sizeof req5769, &m, (const uint8_t *)"wrong", 5),
	    STUN_EINTEGRITY);
	/* A flipped byte in the MAC itself. */
	memcpy(buf, req5769, sizeof buf);
	buf[90] ^= 0x80;
	assert_int_equal(stun_parse(buf, sizeof buf, &m), STUN_OK);
	assert_int_equal(stun_check_integrity(buf, sizeof buf, &m, pw(), PWLEN), STUN_EINTEGRITY);
	/* A flipped byte in the CRC. */
	memcpy(buf, req5769, sizeof buf);
	buf[107] ^= 1;
	assert_int_equal(stun_parse(buf, sizeof buf, &m), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, sizeof buf, &m), STUN_EFINGERPRINT);
	assert_int_equal(stun_check_integrity(buf, sizeof buf, &m, pw(), PWLEN), STUN_OK);
}

static void test_checks_absent_and_invalid(void **state)
{
	(void)state;
	struct stun_msg m;
	const uint8_t prio[] = {0x00, 0x24, 0x00, 0x04, 1, 2, 3, 4};
	uint8_t buf[64];
	size_t n = mk(buf, STUN_BINDING_REQUEST, prio, sizeof prio);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_ENO_FINGERPRINT);
	assert_int_equal(stun_check_integrity(buf, n, &m, pw(), PWLEN), STUN_ENO_INTEGRITY);
	assert_false(stun_username_split(&m, &(const uint8_t *){0}, &(size_t){0},
					 &(const uint8_t *){0}, &(size_t){0}));
	assert_int_equal(stun_check_fingerprint(buf, n - 4, &m), STUN_EINVAL);
	assert_int_equal(stun_check_fingerprint(NULL, n, &m), STUN_EINVAL);
	assert_int_equal(stun_check_fingerprint(buf, n, NULL), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n - 4, &m, pw(), PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(NULL, n, &m, pw(), PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n, NULL, pw(), PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n, &m, NULL, PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n, &m, pw(), 0), STUN_EINVAL);
	/* A forged struct whose offsets do not fit the buffer. */
	assert_int_equal(stun_parse(req5769, sizeof req5769, &m), STUN_OK);
	struct stun_msg forged = m;
	forged.fingerprint_off = 96;
	assert_int_equal(stun_check_fingerprint(req5769, sizeof req5769, &forged), STUN_EINVAL);
	forged.integrity_off = 100;
	assert_int_equal(stun_check_integrity(req5769, sizeof req5769, &forged, pw(), PWLEN),
			 STUN_EINVAL);
	static const uint8_t big_key[STUN_MAX_KEY + 1];
	assert_int_equal(stun_check_integrity(req5769, sizeof req5769, &m, big_key, sizeof big_key),
			 STUN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc5769_request),
	    cmocka_unit_test(test_rfc5769_request_rebuilt),
	    cmocka_unit_test(test_rfc5769_responses),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_checks_absent_and_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
