/*
 * What the gateway's fuzz targets (fuzz_http, fuzz_session, fuzz_static_path) share: what
 * every target does (tests/fuzz/fuzz_support.h: CHECK, a scratch directory, its removal),
 * and a signed token for a test identity.
 */
#ifndef PLENARY_TESTS_FUZZ_GATEWAY_SUPPORT_H
#define PLENARY_TESTS_FUZZ_GATEWAY_SUPPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/token.h"
#include "tests/fuzz/fuzz_support.h"

/* A token good for a week for sub in room ("Fuzz <sub>"); the caller frees it. */
static inline char *fuzz_sign(const char *secret, const char *room, enum token_role role,
			      const char *sub, const char *group)
{
	struct token_claims c;
	memset(&c, 0, sizeof c);
	snprintf(c.room, sizeof c.room, "%s", room);
	c.role = role;
	snprintf(c.name, sizeof c.name, "Fuzz %s", sub);
	snprintf(c.sub, sizeof c.sub, "%s", sub);
	snprintf(c.group, sizeof c.group, "%s", group ? group : "");
	c.exp = (int64_t)time(NULL) + 7 * 86400;
	char *tok = NULL;
	CHECK(token_sign(&c, (const uint8_t *)secret, strlen(secret), &tok) == TOKEN_OK);
	return tok;
}

#endif
