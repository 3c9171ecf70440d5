/*
 * What the gateway's fuzz targets (fuzz_http, fuzz_session, fuzz_static_path) share: a
 * check that aborts with its place (libFuzzer then keeps the input), a scratch directory
 * in memory when it can be, its removal, and a signed token for a test identity.
 */
#ifndef PLENARY_TESTS_FUZZ_GATEWAY_SUPPORT_H
#define PLENARY_TESTS_FUZZ_GATEWAY_SUPPORT_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/token.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                 \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Removes a directory and what is in it, if it is there. */
static inline void fuzz_rm_tree(const char *path)
{
	nftw(path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory plenary-fuzz-<name>-XXXXXX in /dev/shm (or /tmp), its path in dir. */
static inline void fuzz_scratch_dir(char *dir, size_t cap, const char *name)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, cap, "%s/plenary-fuzz-%s-XXXXXX", base, name);
	CHECK(mkdtemp(dir) != NULL);
}

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
