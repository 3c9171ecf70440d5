/*
 * token -- JWT (RFC 7519) with HS256, the join credential of PROTOCOL.md "Joining".
 *
 * Only HS256 is accepted: the header's alg must be exactly "HS256" (never "none", never
 * another algorithm chosen by the token), the signature is compared in constant time,
 * and every claim is type-checked and bounded before anything reads it. A token that
 * fails any check is simply unauthorized; the reason goes to the debug log and the
 * error's message, never the token itself.
 *
 * Time (RFC 7519 sect. 4.1.4-4.1.6): exp is required, so no token lives for ever; nbf and
 * iat, when present, are honoured; and exp may lie at most max_lifetime_s after iat (or,
 * without iat, after now), so a leaked token is bounded even when whoever minted it
 * chose a far exp. Clocks of the minter and of plenaryd differ a little, so each time
 * check allows TOKEN_SKEW_S: a token is good until exp + TOKEN_SKEW_S, from
 * nbf - TOKEN_SKEW_S, and may have an iat up to TOKEN_SKEW_S ahead of now.
 */
#ifndef PLENARY_GATEWAY_TOKEN_H
#define PLENARY_GATEWAY_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "base/lang.h"

#define TOKEN_MAX_LEN	4096
#define TOKEN_ROOM_MAX	65
#define TOKEN_FIELD_MAX 128 /* name, sub: bytes including the NUL */
#define TOKEN_GROUP_MAX 64
#define TOKEN_JTI_MAX	64 /* bytes including the NUL */

#define TOKEN_SKEW_S		 60	      /* clock-skew allowance on exp, nbf and iat */
#define TOKEN_LIFETIME_DEFAULT_S (30 * 86400) /* token_max_lifetime_s when unset */
#define TOKEN_LIFETIME_MIN_S	 60
#define TOKEN_LIFETIME_MAX_S	 (366 * 86400)	/* the most it can be configured to */
#define TOKEN_TIME_MAX		 253402300799LL /* 9999-12-31T23:59:59Z: bounds the sums */

enum token_role {
	TOKEN_ROLE_CHAIR = 0,
	TOKEN_ROLE_PARTICIPANT,
	TOKEN_ROLE_OBSERVER,
	TOKEN_ROLE_CAPTIONER,
	TOKEN_ROLE_VENUE,      /* same order as enum room_role: session.c casts one to the other */
	TOKEN_ROLE_INTERPRETER /* needs the claim lang (its booth) */
};
bool token_role_parse(const char *name, enum token_role *out);

enum token_err {
	TOKEN_OK = 0,
	TOKEN_EFORMAT,	  /* not three base64url parts of JSON objects */
	TOKEN_EALG,	  /* alg is not HS256 */
	TOKEN_ESIGNATURE, /* signature does not match */
	TOKEN_ECLAIMS,	  /* a claim is missing, mistyped, unknown (role) or too long; an
			   * interpreter without a valid lang, or a lang on another role */
	TOKEN_EEXPIRED,	  /* exp + TOKEN_SKEW_S is not after now */
	TOKEN_ENOEXP,	  /* no exp claim */
	TOKEN_ENOTYET,	  /* nbf is more than TOKEN_SKEW_S after now */
	TOKEN_EFUTURE,	  /* iat is more than TOKEN_SKEW_S after now */
	TOKEN_ELIFETIME,  /* exp lies more than the maximum lifetime after iat (or now) */
	TOKEN_EROOM,	  /* room claim is another room */
	TOKEN_ENOMEM,
	TOKEN_EREVOKED, /* the admin revoked its sub or jti for the room (gw_token_verify) */
};
const char *token_strerror(enum token_err err);

struct token_claims {
	char room[TOKEN_ROOM_MAX];
	enum token_role role;
	char name[TOKEN_FIELD_MAX];
	char sub[TOKEN_FIELD_MAX];   /* a stable id derived from the signature when absent */
	char group[TOKEN_GROUP_MAX]; /* "" when absent */
	char jti[TOKEN_JTI_MAX];     /* "" when absent: the id a single token is revoked by */
	bool in_room;		     /* optional claim location: "room" */
	/* An interpreter's booth, a BCP 47 tag in its conventional case (base/lang.h): required
	 * for role interpreter, refused for any other role; "" otherwise. */
	char lang[BASE_LANG_MAX + 1];
	int64_t exp; /* seconds since the epoch; required to verify */
	int64_t nbf; /* 0 when absent */
	int64_t iat; /* 0 when absent */
};

/* Verifies token against secret at now (seconds since the epoch) for room (NULL: any),
 * allowing at most max_lifetime_s between iat (or now) and exp. Fills *claims only on
 * TOKEN_OK. Checks in order: format, alg, signature, claims, then ENOEXP, EEXPIRED,
 * ENOTYET, EFUTURE, ELIFETIME, and last EROOM. */
BASE_WUR enum token_err token_verify(const char *token, const uint8_t *secret, size_t secret_len,
				     const char *room, int64_t now, int64_t max_lifetime_s,
				     struct token_claims *claims);

/* token_verify, except that a token past its exp passes (every other check holds). Only
 * for a resume, where the resume key and the room's grace period bound what a lapsed
 * token may still do (gateway/session.c). */
BASE_WUR enum token_err token_verify_lapsed(const char *token, const uint8_t *secret,
					    size_t secret_len, const char *room, int64_t now,
					    int64_t max_lifetime_s, struct token_claims *claims);

/* Signs claims (exp, nbf, iat 0 and group "" are left out) into a malloc'd token. */
BASE_WUR enum token_err token_sign(const struct token_claims *claims, const uint8_t *secret,
				   size_t secret_len, char **out);

/* Fills out with a random jti (32 hex digits), so that this one token can be revoked
 * (POST /api/rooms/{id}/revocations {jti}). False if the random source fails. */
BASE_WUR bool token_new_jti(char out[TOKEN_JTI_MAX]);

/* base64url without padding (RFC 4648 sect. 5). decode returns false on any character
 * outside the alphabet, on padding, or on an impossible length. */
size_t token_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
bool token_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
