/* JWT HS256: signing and verifying round trips, and every way a token can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/token.h"

static const uint8_t secret[] = "unit-test-secret-0123456789";
#define SECRET_LEN (sizeof secret - 1)
#define NOW	   1800000000

static struct token_claims claims(void)
{
	struct token_claims c;
	memset(&c, 0, sizeof c);
	strcpy(c.room, "plenary-1");
	c.role = TOKEN_ROLE_PARTICIPANT;
	strcpy(c.name, "Ana María");
	strcpy(c.sub, "ana");
	strcpy(c.group, "civil_society");
	c.exp = NOW + 60;
	return c;
}

static char *sign(const struct token_claims *c)
{
	char *tok = NULL;
	assert_int_equal(token_sign(c, secret, SECRET_LEN, &tok), TOKEN_OK);
	return tok;
}

/* A token assembled by hand from header and payload JSON, signed with key. */
static char *forge(const char *header, const char *payload, const char *key)
{
	char h[1024], p[2048];
	assert_true(token_b64url_encode((const uint8_t *)header, strlen(header), h, sizeof h) > 0);
	assert_true(token_b64url_encode((const uint8_t *)payload, strlen(payload), p, sizeof p) >
		    0);
	char *out = malloc(4096);
	snprintf(out, 4096, "%s.%s", h, p);
	uint8_t mac[32];
	unsigned len = 0;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const uint8_t *)out, strlen(out), mac, &len);
	size_t n = strlen(out);
	out[n++] = '.';
	token_b64url_encode(mac, len, out + n, 4096 - n);
	return out;
}

static void round_trip(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, "plenary-1", NOW, &got), TOKEN_OK);
	assert_string_equal(got.name, "Ana María");
	assert_string_equal(got.sub, "ana");
	assert_string_equal(got.group, "civil_society");
	assert_int_equal(got.role, TOKEN_ROLE_PARTICIPANT);
	assert_false(got.in_room);
	assert_int_equal(got.exp, NOW + 60);
	/* Any room accepted when none is asked for. */
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_OK);
	free(tok);
}

static void wrong_room_and_expiry(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, "other", NOW, &got), TOKEN_EROOM);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, "plenary-1", NOW + 60, &got),
			 TOKEN_EEXPIRED);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, "plenary-1", NOW + 59, &got),
			 TOKEN_OK);
	free(tok);
}

static void bad_signature(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	const uint8_t other[] = "another-secret-entirely";
	assert_int_equal(token_verify(tok, other, sizeof other - 1, NULL, NOW, &got),
			 TOKEN_ESIGNATURE);
	/* Flip one character of the signature, of the payload. */
	size_t n = strlen(tok);
	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_ESIGNATURE);
	free(tok);
}

static void tampered_payload(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	size_t at = strcspn(tok, ".") + 3;
	tok[at] = tok[at] == 'x' ? 'y' : 'x';
	assert_int_not_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_OK);
	free(tok);
}

static void algorithm_is_never_chosen_by_the_token(void **state)
{
	(void)state;
	struct token_claims got;
	const char *payload = "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"sub\":\"s\"}";
	char *none = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(none, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_EALG);
	char *hs512 = forge("{\"alg\":\"HS512\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(hs512, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_EALG);
	char *noalg = forge("{\"typ\":\"JWT\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(noalg, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_EALG);
	char *ok = forge("{\"alg\":\"HS256\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(ok, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_OK);
	assert_int_equal(got.role, TOKEN_ROLE_CHAIR);
	assert_int_equal(got.exp, 0);
	free(none);
	free(hs512);
	free(noalg);
	free(ok);
}

static void claims_are_checked(void **state)
{
	(void)state;
	struct token_claims got;
	const char *bad[] = {
	    "{\"room\":\"r\",\"role\":\"emperor\",\"name\":\"x\"}",
	    "{\"room\":\"r\",\"role\":\"chair\"}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"\"}",
	    "{\"room\":\"R!\",\"role\":\"chair\",\"name\":\"x\"}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":5}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"exp\":\"soon\"}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"exp\":1.5}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"location\":\"moon\"}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"sub\":\"a\\u0000b\"}",
	    "[1,2]",
	    "{\"room\":\"r\",\"room\":\"s\",\"role\":\"chair\",\"name\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *tok = forge("{\"alg\":\"HS256\"}", bad[i], (const char *)secret);
		enum token_err err = token_verify(tok, secret, SECRET_LEN, NULL, NOW, &got);
		assert_true(err == TOKEN_ECLAIMS || err == TOKEN_EFORMAT);
		free(tok);
	}
}

static void malformed_tokens(void **state)
{
	(void)state;
	struct token_claims got;
	const char *bad[] = {"",    "abc",	   "a.b",      "a.b.c.d",
			     "...", "!!!.###.$$$", "e30.e30.", "e30.e30.e30"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(token_verify(bad[i], secret, SECRET_LEN, NULL, NOW, &got),
				     TOKEN_OK);
	char *huge = malloc(TOKEN_MAX_LEN + 10);
	memset(huge, 'a', TOKEN_MAX_LEN + 9);
	huge[TOKEN_MAX_LEN + 9] = '\0';
	assert_int_equal(token_verify(huge, secret, SECRET_LEN, NULL, NOW, &got), TOKEN_EFORMAT);
	free(huge);
}

static void sub_derived_when_absent(void **state)
{
	(void)state;
	struct token_claims a, b;
	const char *payload = "{\"room\":\"r\",\"role\":\"observer\",\"name\":\"x\"}";
	char *tok = forge("{\"alg\":\"HS256\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, &a), TOKEN_OK);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, &b), TOKEN_OK);
	assert_true(strncmp(a.sub, "t-", 2) == 0);
	assert_string_equal(a.sub, b.sub);
	free(tok);
}

static void base64url(void **state)
{
	(void)state;
	uint8_t out[16];
	size_t n;
	char enc[32];
	const uint8_t in[] = {0xfb, 0xff, 0xbf};
	assert_int_equal(token_b64url_encode(in, 3, enc, sizeof enc), 4);
	assert_string_equal(enc, "-_-_");
	assert_true(token_b64url_decode("-_-_", 4, out, sizeof out, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(out, in, 3);
	assert_false(token_b64url_decode("ab=", 3, out, sizeof out, &n));  /* padding */
	assert_false(token_b64url_decode("a", 1, out, sizeof out, &n));	   /* impossible length */
	assert_false(token_b64url_decode("ab+/", 4, out, sizeof out, &n)); /* plain base64 */
	assert_false(token_b64url_decode("AB", 2, out, sizeof out, &n));   /* non-zero spare bits */
	assert_true(token_b64url_decode("AA", 2, out, sizeof out, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(wrong_room_and_expiry),
	    cmocka_unit_test(bad_signature),
	    cmocka_unit_test(tampered_payload),
	    cmocka_unit_test(algorithm_is_never_chosen_by_the_token),
	    cmocka_unit_test(claims_are_checked),
	    cmocka_unit_test(malformed_tokens),
	    cmocka_unit_test(sub_derived_when_absent),
	    cmocka_unit_test(base64url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
