/*
 * load_jwt -- see load_jwt.h.
 */
#include "load_jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

size_t jwt_base64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
	if (need + 1 > cap)
		return 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = abc[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = abc[v & 63];
	}
	out[o] = '\0';
	return o;
}

static char *claims_json(const struct jwt_claims *c)
{
	json_t *o = json_pack("{s:s,s:s,s:s}", "room", c->room, "role", c->role, "name", c->name);
	if (o == NULL)
		return NULL;
	if (c->sub)
		json_object_set_new(o, "sub", json_string(c->sub));
	if (c->lang)
		json_object_set_new(o, "lang", json_string(c->lang));
	if (c->exp)
		json_object_set_new(o, "exp", json_integer(c->exp));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

bool jwt_sign_hs256(const char *secret, const struct jwt_claims *c, char *out, size_t cap)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *payload = claims_json(c);
	if (payload == NULL)
		return false;
	size_t h = jwt_base64url((const unsigned char *)header, strlen(header), out, cap);
	size_t p = h ? jwt_base64url((const unsigned char *)payload, strlen(payload), out + h + 1,
				     cap - h - 1)
		     : 0;
	free(payload);
	if (h == 0 || p == 0)
		return false;
	out[h] = '.';
	size_t signed_len = h + 1 + p;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)out, signed_len,
		 mac, &mac_len) == NULL ||
	    signed_len + 2 > cap)
		return false;
	out[signed_len] = '.';
	return jwt_base64url(mac, mac_len, out + signed_len + 1, cap - signed_len - 1) > 0;
}
