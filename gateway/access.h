/*
 * access -- signed URLs for a private room's HTTP resources (PROTOCOL.md, second version:
 * "a private room's HTTP resources need a Bearer token for that room or a signed URL").
 *
 * A media player (<audio src>, a download link) cannot send an Authorization header, so a
 * client holding a token asks for a URL that carries its own proof: ?exp=E&sig=S, where S
 * is the base64url HMAC-SHA256 of "PATH|E" (PATH the URL's path, without the query) under
 * a key derived from the token secret, and E a Unix time at most ACCESS_URL_MAX_S away.
 * The key is derived (HMAC-SHA256 of a fixed label under the secret) so that a signed URL
 * can never be mistaken for, or turned into, a token signature. Rotating the secret voids
 * every URL as it voids every token.
 */
#ifndef PLENARY_GATEWAY_ACCESS_H
#define PLENARY_GATEWAY_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define ACCESS_URL_MAX_S 3600 /* the longest a signed URL lives */
#define ACCESS_SIG_LEN	 43   /* base64url of 32 bytes, no padding */

/* Writes the signature of path at exp into sig (ACCESS_SIG_LEN characters and a NUL).
 * False only if OpenSSL fails. */
BASE_WUR bool access_sign(const uint8_t *secret, size_t secret_len, const char *path, int64_t exp,
			  char sig[ACCESS_SIG_LEN + 1]);

enum access_sig {
	ACCESS_SIG_OK = 0,
	ACCESS_SIG_BAD,	    /* not a signature of this path and expiry, or exp malformed */
	ACCESS_SIG_EXPIRED, /* a true signature whose time is over (exp <= now) */
};

/* Checks a signed URL's sig and exp (exp_text as it came in the query: decimal digits
 * only) for path at now, comparing in constant time. An exp further than
 * ACCESS_URL_MAX_S ahead of now is ACCESS_SIG_BAD even when signed, so no URL outlives
 * the rule whatever clock signed it. */
enum access_sig access_check(const uint8_t *secret, size_t secret_len, const char *path,
			     const char *sig, const char *exp_text, int64_t now);

#endif
