/*
 * Signed URLs (access.h). Pure: the secret, the path and the clock come in; nothing is
 * kept between calls.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "gateway/access.h"
#include "gateway/token.h"

static const char key_label[] = "plenary signed url v1";

static bool mac(const uint8_t *secret, size_t secret_len, const char *path, int64_t exp,
		uint8_t out[32])
{
	uint8_t key[32];
	unsigned key_len = 0, out_len = 0;
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)key_label,
		  sizeof key_label - 1, key, &key_len) ||
	    key_len != sizeof key)
		return false;
	char msg[1200];
	int n = snprintf(msg, sizeof msg, "%s|%lld", path, (long long)exp);
	bool ok = n > 0 && (size_t)n < sizeof msg &&
		  HMAC(EVP_sha256(), key, (int)sizeof key, (const unsigned char *)msg, (size_t)n,
		       out, &out_len) &&
		  out_len == 32;
	OPENSSL_cleanse(key, sizeof key);
	return ok;
}

bool access_sign(const uint8_t *secret, size_t secret_len, const char *path, int64_t exp,
		 char sig[ACCESS_SIG_LEN + 1])
{
	uint8_t m[32];
	if (!mac(secret, secret_len, path, exp, m))
		return false;
	return token_b64url_encode(m, sizeof m, sig, ACCESS_SIG_LEN + 1) == ACCESS_SIG_LEN;
}

/* Decimal digits only, no sign, at most 12 of them (a Unix time before the year 33658). */
static bool parse_exp(const char *text, int64_t *out)
{
	size_t n = strlen(text);
	if (n == 0 || n > 12 || strspn(text, "0123456789") != n)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (text[i] - '0');
	*out = v;
	return true;
}

enum access_sig access_check(const uint8_t *secret, size_t secret_len, const char *path,
			     const char *sig, const char *exp_text, int64_t now)
{
	int64_t exp = 0;
	char want[ACCESS_SIG_LEN + 1];
	if (!sig || !exp_text || !parse_exp(exp_text, &exp) || strlen(sig) != ACCESS_SIG_LEN ||
	    !access_sign(secret, secret_len, path, exp, want))
		return ACCESS_SIG_BAD;
	if (CRYPTO_memcmp(want, sig, ACCESS_SIG_LEN) != 0)
		return ACCESS_SIG_BAD;
	if (exp <= now)
		return ACCESS_SIG_EXPIRED;
	if (exp - now > ACCESS_URL_MAX_S)
		return ACCESS_SIG_BAD;
	return ACCESS_SIG_OK;
}
