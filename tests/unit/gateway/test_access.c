/* Signed URLs (gateway/access.c) against a vector computed outside this project, with
 * Python's hmac module:
 *
 *   k = hmac.new(SECRET, b'plenary signed url v1', sha256).digest()
 *   base64.urlsafe_b64encode(hmac.new(k, b'/api/rooms/closed/listen.ogg|1700000000',
 *                                     sha256).digest()).rstrip(b'=')
 *
 * and every way a URL can be wrong: another path, another expiry, a changed character,
 * the wrong secret, a malformed expiry, an expired one, one signed too far ahead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "gateway/access.h"

#define SECRET "integration-test-secret-0123456789abcdef"
#define PATH   "/api/rooms/closed/listen.ogg"
#define VECTOR "apGQWvXDDYmpKjAWdZRjliYNmpi3z0rsb88ZJ1fQd04"
#define EXP    1700000000

static const uint8_t *secret = (const uint8_t *)SECRET;
static const size_t secret_len = sizeof SECRET - 1;

static void signs_the_vector(void **state)
{
	(void)state;
	char sig[ACCESS_SIG_LEN + 1];
	assert_true(access_sign(secret, secret_len, PATH, EXP, sig));
	assert_string_equal(sig, VECTOR);
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, "1700000000", EXP - 60),
			 ACCESS_SIG_OK);
}

static void refuses_what_it_did_not_sign(void **state)
{
	(void)state;
	int64_t now = EXP - 60;
	assert_int_equal(access_check(secret, secret_len, "/api/rooms/closed/recording.ogg", VECTOR,
				      "1700000000", now),
			 ACCESS_SIG_BAD);
	assert_int_equal(access_check(secret, secret_len, "/api/rooms/other/listen.ogg", VECTOR,
				      "1700000000", now),
			 ACCESS_SIG_BAD);
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, "1700000001", now),
			 ACCESS_SIG_BAD);
	char tampered[] = VECTOR;
	tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
	assert_int_equal(access_check(secret, secret_len, PATH, tampered, "1700000000", now),
			 ACCESS_SIG_BAD);
	assert_int_equal(
	    access_check((const uint8_t *)"another secret", 14, PATH, VECTOR, "1700000000", now),
	    ACCESS_SIG_BAD);
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR VECTOR, "1700000000", now),
			 ACCESS_SIG_BAD);
	assert_int_equal(access_check(secret, secret_len, PATH, NULL, "1700000000", now),
			 ACCESS_SIG_BAD);
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, NULL, now), ACCESS_SIG_BAD);
}

static void refuses_malformed_expiries(void **state)
{
	(void)state;
	const char *bad[] = {"",     "+1700000000",    "-1",   "1700000000 ",
			     "0x65", "17000000001234", "1.7e9"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, bad[i], EXP - 60),
				 ACCESS_SIG_BAD);
}

static void time_bounds(void **state)
{
	(void)state;
	/* Good until exp, not at it. */
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, "1700000000", EXP - 1),
			 ACCESS_SIG_OK);
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, "1700000000", EXP),
			 ACCESS_SIG_EXPIRED);
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, "1700000000", EXP + 1),
			 ACCESS_SIG_EXPIRED);
	/* An hour ahead is the most; a true signature further out is still refused. */
	assert_int_equal(
	    access_check(secret, secret_len, PATH, VECTOR, "1700000000", EXP - ACCESS_URL_MAX_S),
	    ACCESS_SIG_OK);
	assert_int_equal(access_check(secret, secret_len, PATH, VECTOR, "1700000000",
				      EXP - ACCESS_URL_MAX_S - 1),
			 ACCESS_SIG_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signs_the_vector),
	    cmocka_unit_test(refuses_what_it_did_not_sign),
	    cmocka_unit_test(refuses_malformed_expiries),
	    cmocka_unit_test(time_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
