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
#define LIFE	   TOKEN_LIFETIME_DEFAULT_S
#define SKEW	   TOKEN_SKEW_S

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
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, "plenary-1", NOW, LIFE, &got),
			 TOKEN_OK);
	assert_string_equal(got.name, "Ana María");
	assert_string_equal(got.sub, "ana");
	assert_string_equal(got.group, "civil_society");
	assert_int_equal(got.role, TOKEN_ROLE_PARTICIPANT);
	assert_false(got.in_room);
	assert_int_equal(got.exp, NOW + 60);
	/* Any room accepted when none is asked for. */
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &got), TOKEN_OK);
	free(tok);
}

static void wrong_room_and_expiry(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, "other", NOW, LIFE, &got),
			 TOKEN_EROOM);
	/* exp is NOW + 60; the skew allowance keeps it good for SKEW seconds more. */
	assert_int_equal(
	    token_verify(tok, secret, SECRET_LEN, "plenary-1", NOW + 60 + SKEW, LIFE, &got),
	    TOKEN_EEXPIRED);
	assert_int_equal(
	    token_verify(tok, secret, SECRET_LEN, "plenary-1", NOW + 59 + SKEW, LIFE, &got),
	    TOKEN_OK);
	free(tok);
}

/* For a resume in the grace period only (session.c): past exp passes, nothing else does. */
static void lapsed_passes_only_expiry(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	int64_t later = NOW + 60 + SKEW + 7200;
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, "plenary-1", later, LIFE, &got),
			 TOKEN_EEXPIRED);
	memset(&got, 0, sizeof got);
	assert_int_equal(
	    token_verify_lapsed(tok, secret, SECRET_LEN, "plenary-1", later, LIFE, &got), TOKEN_OK);
	assert_string_equal(got.sub, "ana");
	assert_int_equal(got.exp, NOW + 60);
	assert_int_equal(token_verify_lapsed(tok, secret, SECRET_LEN, "other", later, LIFE, &got),
			 TOKEN_EROOM);
	assert_int_equal(token_verify_lapsed(tok, (const uint8_t *)"another secret", 14,
					     "plenary-1", later, LIFE, &got),
			 TOKEN_ESIGNATURE);
	free(tok);
	/* Not yet valid, or a lifetime over the bound, stay refused. */
	c.nbf = NOW + 3600;
	c.exp = NOW + 7200;
	tok = sign(&c);
	assert_int_equal(token_verify_lapsed(tok, secret, SECRET_LEN, "plenary-1", NOW, LIFE, &got),
			 TOKEN_ENOTYET);
	free(tok);
	c.nbf = 0;
	c.iat = NOW;
	c.exp = NOW + LIFE + 1;
	tok = sign(&c);
	assert_int_equal(
	    token_verify_lapsed(tok, secret, SECRET_LEN, "plenary-1", NOW + 2 * LIFE, LIFE, &got),
	    TOKEN_ELIFETIME);
	free(tok);
}

static void bad_signature(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	const uint8_t other[] = "another-secret-entirely";
	assert_int_equal(token_verify(tok, other, sizeof other - 1, NULL, NOW, LIFE, &got),
			 TOKEN_ESIGNATURE);
	/* Flip one character of the signature, of the payload. */
	size_t n = strlen(tok);
	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &got),
			 TOKEN_ESIGNATURE);
	free(tok);
}

static void tampered_payload(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	char *tok = sign(&c);
	size_t at = strcspn(tok, ".") + 3;
	tok[at] = tok[at] == 'x' ? 'y' : 'x';
	assert_int_not_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &got),
			     TOKEN_OK);
	free(tok);
}

static void algorithm_is_never_chosen_by_the_token(void **state)
{
	(void)state;
	struct token_claims got;
	const char *payload =
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"sub\":\"s\",\"exp\":1800000060}";
	char *none = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(none, secret, SECRET_LEN, NULL, NOW, LIFE, &got), TOKEN_EALG);
	char *hs512 = forge("{\"alg\":\"HS512\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(hs512, secret, SECRET_LEN, NULL, NOW, LIFE, &got),
			 TOKEN_EALG);
	char *noalg = forge("{\"typ\":\"JWT\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(noalg, secret, SECRET_LEN, NULL, NOW, LIFE, &got),
			 TOKEN_EALG);
	char *ok = forge("{\"alg\":\"HS256\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(ok, secret, SECRET_LEN, NULL, NOW, LIFE, &got), TOKEN_OK);
	assert_int_equal(got.role, TOKEN_ROLE_CHAIR);
	assert_int_equal(got.exp, NOW + 60);
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
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"exp\":1900000000,\"nbf\":\"now\"}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"exp\":1900000000,\"iat\":1.5}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"exp\":1900000000,\"iat\":-5}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"location\":\"moon\"}",
	    "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"sub\":\"a\\u0000b\"}",
	    "[1,2]",
	    "{\"room\":\"r\",\"room\":\"s\",\"role\":\"chair\",\"name\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *tok = forge("{\"alg\":\"HS256\"}", bad[i], (const char *)secret);
		enum token_err err = token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &got);
		assert_true(err == TOKEN_ECLAIMS || err == TOKEN_EFORMAT);
		free(tok);
	}
}

/* An interpreter's token carries its booth: a well-formed BCP 47 tag, kept in its
 * conventional case; without one (or with a bad one) it is refused, and so is a lang on any
 * other role. token_sign refuses to make what token_verify would refuse. */
static void interpreter_needs_a_lang(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	c.role = TOKEN_ROLE_INTERPRETER;
	char *tok = NULL;
	assert_int_equal(token_sign(&c, secret, SECRET_LEN, &tok), TOKEN_ECLAIMS);
	strcpy(c.lang, "fr_FR");
	assert_int_equal(token_sign(&c, secret, SECRET_LEN, &tok), TOKEN_ECLAIMS);
	strcpy(c.lang, "zh-Hans");
	tok = sign(&c);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &got), TOKEN_OK);
	assert_int_equal(got.role, TOKEN_ROLE_INTERPRETER);
	assert_string_equal(got.lang, "zh-Hans");
	free(tok);
	c.role = TOKEN_ROLE_PARTICIPANT;
	assert_int_equal(token_sign(&c, secret, SECRET_LEN, &tok), TOKEN_ECLAIMS);

	const char *const cases[][2] = {
	    {"{\"room\":\"r\",\"role\":\"interpreter\",\"name\":\"x\",\"exp\":1800000060,"
	     "\"lang\":\"PT-br\"}",
	     "pt-BR"},
	    {"{\"room\":\"r\",\"role\":\"interpreter\",\"name\":\"x\",\"exp\":1800000060}", NULL},
	    {"{\"room\":\"r\",\"role\":\"interpreter\",\"name\":\"x\",\"exp\":1800000060,"
	     "\"lang\":\"\"}",
	     NULL},
	    {"{\"room\":\"r\",\"role\":\"interpreter\",\"name\":\"x\",\"exp\":1800000060,"
	     "\"lang\":\"fr-FR-Latn\"}",
	     NULL},
	    {"{\"room\":\"r\",\"role\":\"interpreter\",\"name\":\"x\",\"exp\":1800000060,"
	     "\"lang\":[\"fr\"]}",
	     NULL},
	    {"{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\",\"exp\":1800000060,"
	     "\"lang\":\"fr\"}",
	     NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = forge("{\"alg\":\"HS256\"}", cases[i][0], (const char *)secret);
		enum token_err err = token_verify(t, secret, SECRET_LEN, NULL, NOW, LIFE, &got);
		if (cases[i][1]) {
			assert_int_equal(err, TOKEN_OK);
			assert_string_equal(got.lang, cases[i][1]);
		} else {
			assert_int_equal(err, TOKEN_ECLAIMS);
		}
		free(t);
	}
}

/* A chair token for room r with the time claims in extra (",\"exp\":N..."), verified at
 * now with at most life seconds of lifetime. */
static enum token_err timed(const char *extra, int64_t now, int64_t life)
{
	char payload[512];
	snprintf(payload, sizeof payload, "{\"room\":\"r\",\"role\":\"chair\",\"name\":\"x\"%s}",
		 extra);
	char *tok = forge("{\"alg\":\"HS256\"}", payload, (const char *)secret);
	struct token_claims got;
	enum token_err err = token_verify(tok, secret, SECRET_LEN, "r", now, life, &got);
	free(tok);
	return err;
}

static enum token_err timed_at(const char *fmt, int64_t a, int64_t b, int64_t now, int64_t life)
{
	char extra[256];
	snprintf(extra, sizeof extra, fmt, (long long)a, (long long)b);
	return timed(extra, now, life);
}

static void exp_is_required(void **state)
{
	(void)state;
	assert_int_equal(timed("", NOW, LIFE), TOKEN_ENOEXP);
	assert_int_equal(timed(",\"iat\":1800000000,\"nbf\":1800000000", NOW, LIFE), TOKEN_ENOEXP);
	assert_string_equal(token_strerror(TOKEN_ENOEXP), "token has no expiry");
	/* token_sign leaves a zero exp out, so such a token is refused too. */
	struct token_claims c = claims(), got;
	c.exp = 0;
	char *tok = sign(&c);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &got),
			 TOKEN_ENOEXP);
	free(tok);
}

static void exp_has_the_skew_allowance(void **state)
{
	(void)state;
	const char *f = ",\"exp\":%lld%.0lld";
	assert_int_equal(timed_at(f, NOW, 0, NOW + SKEW - 1, LIFE), TOKEN_OK);
	assert_int_equal(timed_at(f, NOW, 0, NOW + SKEW, LIFE), TOKEN_EEXPIRED);
	assert_int_equal(timed(",\"exp\":0", NOW, LIFE), TOKEN_EEXPIRED);
	assert_string_equal(token_strerror(TOKEN_EEXPIRED), "token expired");
}

static void nbf_is_honoured(void **state)
{
	(void)state;
	const char *f = ",\"exp\":%lld,\"nbf\":%lld";
	assert_int_equal(timed_at(f, NOW + 3600, NOW + SKEW, NOW, LIFE), TOKEN_OK);
	assert_int_equal(timed_at(f, NOW + 3600, NOW + SKEW + 1, NOW, LIFE), TOKEN_ENOTYET);
	assert_int_equal(timed_at(f, NOW + 3600, NOW - 600, NOW, LIFE), TOKEN_OK);
	assert_string_equal(token_strerror(TOKEN_ENOTYET), "token not yet valid");
}

static void iat_in_the_future_is_refused(void **state)
{
	(void)state;
	const char *f = ",\"exp\":%lld,\"iat\":%lld";
	assert_int_equal(timed_at(f, NOW + 3600, NOW + SKEW, NOW, LIFE), TOKEN_OK);
	assert_int_equal(timed_at(f, NOW + 3600, NOW + SKEW + 1, NOW, LIFE), TOKEN_EFUTURE);
	assert_string_equal(token_strerror(TOKEN_EFUTURE), "token issued in the future");
}

static void lifetime_is_bounded(void **state)
{
	(void)state;
	/* From iat: exp - iat at most life, whatever now is. */
	const char *f = ",\"exp\":%lld,\"iat\":%lld";
	assert_int_equal(timed_at(f, NOW + LIFE, NOW, NOW, LIFE), TOKEN_OK);
	assert_int_equal(timed_at(f, NOW + LIFE + 1, NOW, NOW, LIFE), TOKEN_ELIFETIME);
	assert_int_equal(timed_at(f, NOW + 3500, NOW - 100, NOW, 3600), TOKEN_OK);
	assert_int_equal(timed_at(f, NOW + 3501, NOW - 100, NOW, 3600), TOKEN_ELIFETIME);
	/* Without iat, from now, with the skew allowance for the minter's clock. */
	const char *g = ",\"exp\":%lld%.0lld";
	assert_int_equal(timed_at(g, NOW + LIFE + SKEW, 0, NOW, LIFE), TOKEN_OK);
	assert_int_equal(timed_at(g, NOW + LIFE + SKEW + 1, 0, NOW, LIFE), TOKEN_ELIFETIME);
	assert_int_equal(timed_at(g, NOW + 3600 + SKEW + 1, 0, NOW, 3600), TOKEN_ELIFETIME);
	/* A far exp cannot overflow the arithmetic: it is refused as a claim. */
	assert_int_equal(timed(",\"exp\":9223372036854775807", NOW, LIFE), TOKEN_ECLAIMS);
	assert_int_equal(timed(",\"exp\":-1", NOW, LIFE), TOKEN_ECLAIMS);
	assert_string_equal(token_strerror(TOKEN_ELIFETIME), "token lifetime exceeds the maximum");
}

static void time_claims_round_trip(void **state)
{
	(void)state;
	struct token_claims c = claims(), got;
	c.iat = NOW - 10;
	c.nbf = NOW - 5;
	char *tok = sign(&c);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &got), TOKEN_OK);
	assert_int_equal(got.iat, NOW - 10);
	assert_int_equal(got.nbf, NOW - 5);
	assert_int_equal(got.exp, NOW + 60);
	free(tok);
}

static void malformed_tokens(void **state)
{
	(void)state;
	struct token_claims got;
	const char *bad[] = {"",    "abc",	   "a.b",      "a.b.c.d",
			     "...", "!!!.###.$$$", "e30.e30.", "e30.e30.e30"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(
		    token_verify(bad[i], secret, SECRET_LEN, NULL, NOW, LIFE, &got), TOKEN_OK);
	char *huge = malloc(TOKEN_MAX_LEN + 10);
	memset(huge, 'a', TOKEN_MAX_LEN + 9);
	huge[TOKEN_MAX_LEN + 9] = '\0';
	assert_int_equal(token_verify(huge, secret, SECRET_LEN, NULL, NOW, LIFE, &got),
			 TOKEN_EFORMAT);
	free(huge);
}

static void sub_derived_when_absent(void **state)
{
	(void)state;
	struct token_claims a, b;
	const char *payload =
	    "{\"room\":\"r\",\"role\":\"observer\",\"name\":\"x\",\"exp\":1800000060}";
	char *tok = forge("{\"alg\":\"HS256\"}", payload, (const char *)secret);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &a), TOKEN_OK);
	assert_int_equal(token_verify(tok, secret, SECRET_LEN, NULL, NOW, LIFE, &b), TOKEN_OK);
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
	    cmocka_unit_test(interpreter_needs_a_lang),
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(wrong_room_and_expiry),
	    cmocka_unit_test(lapsed_passes_only_expiry),
	    cmocka_unit_test(bad_signature),
	    cmocka_unit_test(tampered_payload),
	    cmocka_unit_test(algorithm_is_never_chosen_by_the_token),
	    cmocka_unit_test(claims_are_checked),
	    cmocka_unit_test(exp_is_required),
	    cmocka_unit_test(exp_has_the_skew_allowance),
	    cmocka_unit_test(nbf_is_honoured),
	    cmocka_unit_test(iat_in_the_future_is_refused),
	    cmocka_unit_test(lifetime_is_bounded),
	    cmocka_unit_test(time_claims_round_trip),
	    cmocka_unit_test(malformed_tokens),
	    cmocka_unit_test(sub_derived_when_absent),
	    cmocka_unit_test(base64url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
