/*
 * JWT HS256: split, decode, check the header, check the signature in constant time,
 * then and only then parse the claims. Nothing from an unverified payload is trusted,
 * and the algorithm never comes from the token (RFC 8725 sect. 2.1 and 3.1).
 */
#include "gateway/token.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {"chair",     "participant", "observer",
					 "captioner", "venue",	     "interpreter"};
#define N_ROLES (sizeof role_names / sizeof role_names[0])

static const char *token_role_name(enum token_role role)
{
	return (unsigned)role < N_ROLES ? role_names[role] : "?";
}

bool token_role_parse(const char *name, enum token_role *out)
{
	for (unsigned i = 0; i < N_ROLES; i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*out = (enum token_role)i;
			return true;
		}
	}
	return false;
}

const char *token_strerror(enum token_err err)
{
	switch (err) {
	case TOKEN_OK:
		return "ok";
	case TOKEN_EFORMAT:
		return "malformed token";
	case TOKEN_EALG:
		return "unsupported algorithm";
	case TOKEN_ESIGNATURE:
		return "bad signature";
	case TOKEN_ECLAIMS:
		return "bad claims";
	case TOKEN_EEXPIRED:
		return "token expired";
	case TOKEN_ENOEXP:
		return "token has no expiry";
	case TOKEN_ENOTYET:
		return "token not yet valid";
	case TOKEN_EFUTURE:
		return "token issued in the future";
	case TOKEN_ELIFETIME:
		return "token lifetime exceeds the maximum";
	case TOKEN_EROOM:
		return "token is for another room";
	case TOKEN_ENOMEM:
		return "out of memory";
	case TOKEN_EREVOKED:
		return "token revoked";
	}
	return "unknown error";
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t token_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t chunk = len - i < 3 ? len - i : 3;
		if (chunk > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (chunk > 2)
			v |= in[i + 2];
		for (size_t k = 0; k < chunk + 1; k++) {
			if (n + 1 >= cap)
				return 0;
			out[n++] = b64url[(v >> (18 - 6 * k)) & 63];
		}
	}
	if (n >= cap)
		return 0;
	out[n] = '\0';
	return n;
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

bool token_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (len % 4 == 1)
		return false;
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value(in[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return false;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, or two encodings would decode to the same bytes. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return false;
	*out_len = n;
	return true;
}

static json_t *decode_json_part(const char *part, size_t len)
{
	uint8_t buf[TOKEN_MAX_LEN];
	size_t n;
	if (!token_b64url_decode(part, len, buf, sizeof buf, &n))
		return NULL;
	json_t *v = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (v && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static bool copy_claim(json_t *payload, const char *key, char *out, size_t cap, bool required)
{
	json_t *v = json_object_get(payload, key);
	if (!v) {
		out[0] = '\0';
		return !required;
	}
	if (!json_is_string(v))
		return false;
	size_t len = json_string_length(v);
	if (len == 0 || len >= cap || memchr(json_string_value(v), '\0', len))
		return false;
	memcpy(out, json_string_value(v), len + 1);
	return true;
}

static bool room_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* A NumericDate (RFC 7519 sect. 2), here whole seconds in [0, TOKEN_TIME_MAX] so that
 * no sum or difference of two of them can overflow. Absent: *out 0, true. */
static bool time_claim(json_t *payload, const char *key, int64_t *out, bool *present)
{
	json_t *v = json_object_get(payload, key);
	*out = 0;
	if (present)
		*present = v != NULL;
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > TOKEN_TIME_MAX)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* An interpreter's booth: a well-formed tag, kept in its conventional case, so "FR" and "fr"
 * are one booth; no other role carries one. */
static bool lang_claim(json_t *payload, struct token_claims *c)
{
	char raw[BASE_LANG_MAX + 1];
	c->lang[0] = '\0';
	if (!copy_claim(payload, "lang", raw, sizeof raw, false))
		return false;
	if (c->role != TOKEN_ROLE_INTERPRETER)
		return raw[0] == '\0';
	return base_lang_canon(raw, c->lang, sizeof c->lang);
}

static enum token_err parse_claims(json_t *payload, const uint8_t sig[32], struct token_claims *c)
{
	char role[16];
	if (!copy_claim(payload, "room", c->room, sizeof c->room, true) ||
	    !room_id_valid(c->room) || !copy_claim(payload, "role", role, sizeof role, true) ||
	    !token_role_parse(role, &c->role) ||
	    !copy_claim(payload, "name", c->name, sizeof c->name, true) ||
	    !copy_claim(payload, "sub", c->sub, sizeof c->sub, false) ||
	    !copy_claim(payload, "group", c->group, sizeof c->group, false) ||
	    !copy_claim(payload, "jti", c->jti, sizeof c->jti, false))
		return TOKEN_ECLAIMS;
	char location[8];
	if (!copy_claim(payload, "location", location, sizeof location, false))
		return TOKEN_ECLAIMS;
	if (location[0] && strcmp(location, "room") != 0 && strcmp(location, "remote") != 0)
		return TOKEN_ECLAIMS;
	c->in_room = strcmp(location, "room") == 0;
	if (!lang_claim(payload, c))
		return TOKEN_ECLAIMS;
	bool has_exp = false;
	if (!time_claim(payload, "exp", &c->exp, &has_exp) ||
	    !time_claim(payload, "nbf", &c->nbf, NULL) ||
	    !time_claim(payload, "iat", &c->iat, NULL))
		return TOKEN_ECLAIMS;
	if (!has_exp)
		return TOKEN_ENOEXP;
	if (!c->sub[0]) {
		/* No sub: the token itself is the identity, stable for as long as it lives. */
		char hex[17];
		for (int i = 0; i < 8; i++)
			snprintf(hex + 2 * i, 3, "%02x", sig[i]);
		snprintf(c->sub, sizeof c->sub, "t-%s", hex);
	}
	return TOKEN_OK;
}

/* The three parts of a compact JWS; false unless there are exactly two dots. */
static bool split_token(const char *token, size_t len, const char **dot1, const char **dot2)
{
	*dot1 = memchr(token, '.', len);
	*dot2 = *dot1 ? memchr(*dot1 + 1, '.', len - (size_t)(*dot1 + 1 - token)) : NULL;
	return *dot1 && *dot2 && !memchr(*dot2 + 1, '.', len - (size_t)(*dot2 + 1 - token));
}

/* RFC 8725 sect. 3.1: the algorithm is ours to choose, never the token's. */
static enum token_err check_header(const char *part, size_t len)
{
	json_t *header = decode_json_part(part, len);
	if (!header)
		return TOKEN_EFORMAT;
	json_t *alg = json_object_get(header, "alg");
	bool hs256 = json_is_string(alg) && strcmp(json_string_value(alg), "HS256") == 0;
	json_decref(header);
	return hs256 ? TOKEN_OK : TOKEN_EALG;
}

/* HMAC-SHA256 over "header.payload" (signed_len bytes) against the signature part. */
static enum token_err check_signature(const char *token, size_t signed_len, const char *sig_b64,
				      size_t sig_b64_len, const uint8_t *secret, size_t secret_len,
				      uint8_t sig[32])
{
	uint8_t raw[64];
	size_t sig_len;
	if (!token_b64url_decode(sig_b64, sig_b64_len, raw, sizeof raw, &sig_len) || sig_len != 32)
		return TOKEN_ESIGNATURE;
	memcpy(sig, raw, 32);
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const uint8_t *)token, signed_len, mac,
		  &mac_len) ||
	    mac_len != 32)
		return TOKEN_ENOMEM;
	return CRYPTO_memcmp(mac, sig, 32) == 0 ? TOKEN_OK : TOKEN_ESIGNATURE;
}

/* RFC 7519 sect. 4.1.4-4.1.6 with TOKEN_SKEW_S of leeway each way (token.h). Without
 * iat the lifetime is counted from now, and the minter's clock may be ahead of ours, so
 * the allowance is granted there too: exp up to now + max + TOKEN_SKEW_S. */
static enum token_err check_times(const struct token_claims *c, int64_t now, int64_t max_lifetime_s,
				  bool lapsed_ok)
{
	if (!lapsed_ok && c->exp + TOKEN_SKEW_S <= now)
		return TOKEN_EEXPIRED;
	if (c->nbf > now + TOKEN_SKEW_S)
		return TOKEN_ENOTYET;
	if (c->iat > now + TOKEN_SKEW_S)
		return TOKEN_EFUTURE;
	int64_t from = c->iat ? c->iat : now + TOKEN_SKEW_S;
	if (c->exp - from > max_lifetime_s)
		return TOKEN_ELIFETIME;
	return TOKEN_OK;
}

static enum token_err verify(const char *token, const uint8_t *secret, size_t secret_len,
			     const char *room, int64_t now, int64_t max_lifetime_s, bool lapsed_ok,
			     struct token_claims *claims)
{
	size_t len = strnlen(token, TOKEN_MAX_LEN + 1);
	const char *dot1, *dot2;
	if (len == 0 || len > TOKEN_MAX_LEN || !split_token(token, len, &dot1, &dot2))
		return TOKEN_EFORMAT;
	enum token_err err = check_header(token, (size_t)(dot1 - token));
	if (err != TOKEN_OK)
		return err;
	uint8_t sig[32];
	const char *sig_b64 = dot2 + 1;
	err = check_signature(token, (size_t)(dot2 - token), sig_b64,
			      len - (size_t)(sig_b64 - token), secret, secret_len, sig);
	if (err != TOKEN_OK)
		return err;

	json_t *payload = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!payload)
		return TOKEN_EFORMAT;
	struct token_claims c;
	memset(&c, 0, sizeof c);
	err = parse_claims(payload, sig, &c);
	json_decref(payload);
	if (err != TOKEN_OK)
		return err;
	err = check_times(&c, now, max_lifetime_s, lapsed_ok);
	if (err != TOKEN_OK)
		return err;
	if (room && strcmp(room, c.room) != 0)
		return TOKEN_EROOM;
	*claims = c;
	return TOKEN_OK;
}

enum token_err token_verify(const char *token, const uint8_t *secret, size_t secret_len,
			    const char *room, int64_t now, int64_t max_lifetime_s,
			    struct token_claims *claims)
{
	return verify(token, secret, secret_len, room, now, max_lifetime_s, false, claims);
}

enum token_err token_verify_lapsed(const char *token, const uint8_t *secret, size_t secret_len,
				   const char *room, int64_t now, int64_t max_lifetime_s,
				   struct token_claims *claims)
{
	return verify(token, secret, secret_len, room, now, max_lifetime_s, true, claims);
}

static char *b64url_json(json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return NULL;
	size_t len = strlen(text);
	size_t cap = len * 4 / 3 + 4;
	char *out = malloc(cap);
	if (out && token_b64url_encode((const uint8_t *)text, len, out, cap) == 0 && len) {
		free(out);
		out = NULL;
	}
	free(text);
	return out;
}

static bool set_time(json_t *payload, const char *key, int64_t value)
{
	return value == 0 || json_object_set_new(payload, key, json_integer(value)) == 0;
}

/* What token_verify would refuse is not signed: an interpreter needs its booth, and no
 * other role has one. */
static bool lang_fits_role(const struct token_claims *c)
{
	if (c->role != TOKEN_ROLE_INTERPRETER)
		return c->lang[0] == '\0';
	return base_lang_valid(c->lang);
}

enum token_err token_sign(const struct token_claims *c, const uint8_t *secret, size_t secret_len,
			  char **out)
{
	char *head = NULL, *body = NULL, *result = NULL;
	if (!lang_fits_role(c))
		return TOKEN_ECLAIMS;
	enum token_err err = TOKEN_ENOMEM;
	json_t *header = json_pack("{s:s,s:s}", "alg", "HS256", "typ", "JWT");
	json_t *payload = json_pack("{s:s,s:s,s:s,s:s}", "room", c->room, "role",
				    token_role_name(c->role), "name", c->name, "sub", c->sub);
	if (!header || !payload)
		goto fail;
	if (c->group[0] && json_object_set_new(payload, "group", json_string(c->group)) != 0)
		goto fail;
	if (c->in_room && json_object_set_new(payload, "location", json_string("room")) != 0)
		goto fail;
	if (c->jti[0] && json_object_set_new(payload, "jti", json_string(c->jti)) != 0)
		goto fail;
	if (c->lang[0] && json_object_set_new(payload, "lang", json_string(c->lang)) != 0)
		goto fail;
	if (!set_time(payload, "exp", c->exp) || !set_time(payload, "nbf", c->nbf) ||
	    !set_time(payload, "iat", c->iat))
		goto fail;
	head = b64url_json(header);
	body = b64url_json(payload);
	if (!head || !body)
		goto fail;
	size_t signed_len = strlen(head) + 1 + strlen(body);
	result = malloc(signed_len + 1 + 44);
	if (!result)
		goto fail;
	snprintf(result, signed_len + 1, "%s.%s", head, body);
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const uint8_t *)result, signed_len, mac,
		  &mac_len))
		goto fail;
	result[signed_len] = '.';
	if (token_b64url_encode(mac, mac_len, result + signed_len + 1, 44) == 0)
		goto fail;
	*out = result;
	result = NULL;
	err = TOKEN_OK;
fail:
	free(result);
	free(head);
	free(body);
	json_decref(header);
	json_decref(payload);
	return err;
}

bool token_new_jti(char out[TOKEN_JTI_MAX])
{
	unsigned char id[16];
	if (RAND_bytes(id, sizeof id) != 1)
		return false;
	for (size_t i = 0; i < sizeof id; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
	return true;
}
