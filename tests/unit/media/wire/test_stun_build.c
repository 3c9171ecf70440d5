/* Unit tests for media/wire/stun.c's builders: the Binding helpers round-tripped through the
 * parser, and every error of the helpers and the writer. */
#include "stun_helpers.h"

static void test_build_success(void **state)
{
	(void)state;
	uint8_t buf[128];
	size_t n = 0;
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, &addr6, pw(), PWLEN, &n), STUN_OK);
	assert_int_equal(n, 20 + 24 + 24 + 8);
	check_response(buf, n, &addr6);
	/* Byte for byte the RFC 5769 IPv4 response less its SOFTWARE attribute, up to the
	 * MAC (which then differs because SOFTWARE is gone). */
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, &addr4, pw(), PWLEN, &n), STUN_OK);
	check_response(buf, n, &addr4);
	assert_memory_equal(buf + 20, resp4_5769 + 36, 12);
	/* Too small by one byte, then errors. */
	assert_int_equal(stun_build_binding_success(buf, n - 1, tid5769, &addr4, pw(), PWLEN, &n),
			 STUN_ENOSPACE);
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, NULL, pw(), PWLEN, &n),
	    STUN_EINVAL);
	assert_int_equal(stun_build_binding_success(buf, sizeof buf, tid5769, &addr4, NULL, 0, &n),
			 STUN_EINVAL);
	assert_int_equal(stun_build_binding_success(buf, sizeof buf, NULL, &addr4, pw(), PWLEN, &n),
			 STUN_EINVAL);
	struct stun_addr bad = addr4;
	bad.family = 3;
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, &bad, pw(), PWLEN, &n),
	    STUN_EINVAL);
}

static void test_build_errors_responses(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
	struct stun_msg m;
	/* 401 without integrity. */
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 401, NULL, NULL, 0, NULL, 0, &n),
	    STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.type, STUN_BINDING_ERROR);
	assert_int_equal(m.class_, 3);
	assert_int_equal(m.error_code, 401);
	assert_int_equal(m.reason_len, strlen("Unauthenticated"));
	assert_int_equal(m.integrity_off, 0);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_OK);
	/* 487 with integrity. */
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 487, NULL, NULL, 0, pw(), PWLEN, &n),
	    STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.error_code, 487);
	assert_memory_equal(m.reason, "Role Conflict", m.reason_len);
	assert_int_equal(stun_check_integrity(buf, n, &m, pw(), PWLEN), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_OK);
	/* 420 with the unknown attributes, 400 and 500 with their phrases, a custom one. */
	const uint16_t unknown[] = {0x0040, 0x0041, 0x0042};
	assert_int_equal(stun_build_binding_error(buf, sizeof buf, tid5769, 420, NULL, unknown, 3,
						  pw(), PWLEN, &n),
			 STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.error_code, 420);
	const uint8_t want_list[] = {0x00, 0x0a, 0x00, 0x06, 0, 0x40, 0, 0x41, 0, 0x42, 0, 0};
	assert_memory_equal(buf + 20 + 4 + ((4 + strlen("Unknown Attribute") + 3) & ~(size_t)3),
			    want_list, sizeof want_list);
	const uint16_t codes[] = {400, 500, 600};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(stun_build_binding_error(buf, sizeof buf, tid5769, codes[i], NULL,
							  NULL, 0, NULL, 0, &n),
				 STUN_OK);
		assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
		assert_int_equal(m.error_code, codes[i]);
	}
	assert_int_equal(m.reason_len, 0);
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 400, "Nope", NULL, 0, NULL, 0, &n),
	    STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_memory_equal(m.reason, "Nope", 4);
	/* Errors: code out of range, unknown list NULL or too long, reason too long. */
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 299, NULL, NULL, 0, NULL, 0, &n),
	    STUN_EINVAL);
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 700, NULL, NULL, 0, NULL, 0, &n),
	    STUN_EINVAL);
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 420, NULL, NULL, 2, NULL, 0, &n),
	    STUN_EINVAL);
	uint16_t many[STUN_MAX_UNKNOWN + 1] = {0};
	assert_int_equal(stun_build_binding_error(buf, sizeof buf, tid5769, 420, NULL, many,
						  STUN_MAX_UNKNOWN + 1, NULL, 0, &n),
			 STUN_EINVAL);
	char reason[STUN_MAX_REASON + 2];
	memset(reason, 'x', sizeof reason - 1);
	reason[sizeof reason - 1] = 0;
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 400, reason, NULL, 0, NULL, 0, &n),
	    STUN_EINVAL);
	assert_int_equal(
	    stun_build_binding_error(buf, 30, tid5769, 400, NULL, NULL, 0, NULL, 0, &n),
	    STUN_ENOSPACE);
}

static void test_build_request(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
	struct stun_msg m;
	struct stun_binding_request req = {
	    .username = "AiHX:plnr",
	    .priority = 0x6e0001ff,
	    .role = STUN_ROLE_CONTROLLING,
	    .tie_breaker = 0x0102030405060708ULL,
	    .use_candidate = true,
	    .key = (const uint8_t *)"4ON/ySff9rBCVPX8NJJOLahY",
	    .key_len = 24,
	};
	memcpy(req.tid, tid5769, 12);
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "AiHX:plnr", 9);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_int_equal(m.role, STUN_ROLE_CONTROLLING);
	assert_true(m.tie_breaker == 0x0102030405060708ULL);
	assert_true(m.use_candidate);
	assert_int_equal(stun_check_integrity(buf, n, &m, req.key, req.key_len), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_OK);
	/* Padding bytes after the 9-byte username are zero. */
	assert_int_equal(buf[20 + 4 + 9], 0);

	req.role = STUN_ROLE_CONTROLLED;
	req.use_candidate = false;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.role, STUN_ROLE_CONTROLLED);
	assert_false(m.use_candidate);
	req.role = STUN_ROLE_NONE;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.role, STUN_ROLE_NONE);

	/* Errors. */
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, NULL, &n), STUN_EINVAL);
	req.username = NULL;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_EINVAL);
	static char longname[STUN_MAX_USERNAME + 2];
	memset(longname, 'u', sizeof longname - 1);
	req.username = longname;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_EINVAL);
	req.username = "a:b";
	req.key = NULL;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_EINVAL);
	req.key = (const uint8_t *)"k";
	assert_int_equal(stun_build_binding_request(buf, 40, &req, &n), STUN_ENOSPACE);
}

static void test_writer_errors(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
	struct stun_writer w;
	stun_writer_init(&w, buf, 19, STUN_BINDING_REQUEST, tid5769);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, NULL, 64, STUN_BINDING_REQUEST, tid5769);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	stun_writer_init(&w, buf, 64, 0xc001, tid5769);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	stun_writer_init(&w, buf, 64, STUN_BINDING_REQUEST, NULL);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* NULL value with a length; error stays sticky over later successes. */
	stun_writer_init(&w, buf, 64, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add(&w, STUN_ATTR_USERNAME, NULL, 3);
	stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, 1);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* Oversize value. */
	static uint8_t big[70000];
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, big, sizeof big);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* Order: after MESSAGE-INTEGRITY only FINGERPRINT, after FINGERPRINT nothing. */
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, 1);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EORDER);
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_fingerprint(&w);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EORDER);
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_fingerprint(&w);
	stun_writer_add_fingerprint(&w);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EORDER);
	/* Keys. */
	static const uint8_t long_key[STUN_MAX_KEY + 1];
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_integrity(&w, long_key, sizeof long_key);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_integrity(&w, pw(), 0);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* No room for the u64, the address, the integrity, the fingerprint. */
	stun_writer_init(&w, buf, 31, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLING, 1);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 31, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_xor_address(&w, &addr4);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 43, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 27, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_fingerprint(&w);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 27, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_error_code(&w, 400, NULL);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	assert_int_equal(stun_writer_finish(NULL, &n), STUN_EINVAL);
	assert_int_equal(stun_writer_finish(&w, NULL), STUN_EINVAL);
	/* A capacity above STUN_MAX_LEN is capped: what we build, we can parse. */
	static uint8_t huge[4000];
	static uint8_t value[1600];
	stun_writer_init(&w, huge, sizeof huge, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, value, sizeof value);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = STUN_OK; e <= STUN_ECRYPTO; e++)
		assert_string_not_equal(stun_strerror((enum stun_err)e), "unknown STUN error");
	assert_string_equal(stun_strerror((enum stun_err)1000), "unknown STUN error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_success), cmocka_unit_test(test_build_errors_responses),
	    cmocka_unit_test(test_build_request), cmocka_unit_test(test_writer_errors),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
