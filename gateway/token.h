/*
 * token -- JWT (RFC 7519) with HS256, the join credential of PROTOCOL.md "Joining".
 *
 * Only HS256 is accepted: the header's alg must be exactly "HS256" (never "none", never
 * another algorithm chosen by the token), the signature is compared in constant time,
 * and every claim is type-checked and bounded before anything reads it. A token that
 * fails any check is simply unauthorized; the reason goes to the debug log, never the
 * token itself.
 */
#ifndef PLENARY_GATEWAY_TOKEN_H
#define PLENARY_GATEWAY_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define TOKEN_MAX_LEN	4096
#define TOKEN_ROOM_MAX	65
#define TOKEN_FIELD_MAX 128 /* name, sub: bytes including the NUL */
#define TOKEN_GROUP_MAX 64

enum token_role {
	TOKEN_ROLE_CHAIR = 0,
	TOKEN_ROLE_PARTICIPANT,
	TOKEN_ROLE_OBSERVER,
	TOKEN_ROLE_CAPTIONER
};
bool token_role_parse(const char *name, enum token_role *out);

enum token_err {
	TOKEN_OK = 0,
	TOKEN_EFORMAT,	  /* not three base64url parts of JSON objects */
	TOKEN_EALG,	  /* alg is not HS256 */
	TOKEN_ESIGNATURE, /* signature does not match */
	TOKEN_ECLAIMS,	  /* a claim is missing, mistyped, unknown (role) or too long */
	TOKEN_EEXPIRED,	  /* exp is in the past */
	TOKEN_EROOM,	  /* room claim is another room */
	TOKEN_ENOMEM,
};
const char *token_strerror(enum token_err err);

struct token_claims {
	char room[TOKEN_ROOM_MAX];
	enum token_role role;
	char name[TOKEN_FIELD_MAX];
	char sub[TOKEN_FIELD_MAX];   /* a stable id derived from the signature when absent */
	char group[TOKEN_GROUP_MAX]; /* "" when absent */
	bool in_room;		     /* optional claim location: "room" */
	int64_t exp;		     /* 0 when absent: no expiry */
};

/* Verifies token against secret at now (seconds since the epoch) for room (NULL: any).
 * Fills *claims only on TOKEN_OK. */
BASE_WUR enum token_err token_verify(const char *token, const uint8_t *secret, size_t secret_len,
				     const char *room, int64_t now, struct token_claims *claims);

/* Signs claims (exp 0 leaves it out, group "" leaves it out) into a malloc'd token. */
BASE_WUR enum token_err token_sign(const struct token_claims *claims, const uint8_t *secret,
				   size_t secret_len, char **out);

/* base64url without padding (RFC 4648 sect. 5). decode returns false on any character
 * outside the alphabet, on padding, or on an impossible length. */
size_t token_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
bool token_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
