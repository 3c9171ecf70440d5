/*
 * load_jwt -- HS256 tokens (RFC 7519) for plenary-load's virtual clients, signed with the
 * server's token secret, so a run of thousands of clients needs no admin API round trip
 * per client. PROTOCOL.md "Joining" lists the claims.
 */
#ifndef PLENARY_LOAD_JWT_H
#define PLENARY_LOAD_JWT_H

#include <stdbool.h>
#include <stddef.h>

struct jwt_claims {
	const char *room, *role, *name, *sub;
	const char *lang; /* an interpreter's booth, or NULL */
	long long exp;	  /* seconds since the epoch; 0 for none */
};

/* Writes header.payload.signature (NUL-terminated) into out[0..cap); false if it does
 * not fit or HMAC fails. */
bool jwt_sign_hs256(const char *secret, const struct jwt_claims *c, char *out, size_t cap);

/* base64url without padding (RFC 7515 sect. 2) of in[0..n) into out[0..cap); returns
 * the length written, or 0 if it does not fit. Exposed for the unit test. */
size_t jwt_base64url(const unsigned char *in, size_t n, char *out, size_t cap);

#endif
