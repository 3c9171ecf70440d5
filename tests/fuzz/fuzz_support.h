/*
 * What every fuzz target may share: a check that aborts with its place (libFuzzer then
 * keeps the input), a scratch directory in memory when it can be, and its removal. The
 * gateway's targets add a signed token (gateway/fuzz_support.h), the rooms' a data
 * directory for room "r" (rooms/fuzz_rooms.h).
 */
#ifndef PLENARY_TESTS_FUZZ_SUPPORT_H
#define PLENARY_TESTS_FUZZ_SUPPORT_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A malloc'd copy of exactly size bytes (at least one allocated), so that ASan sees a read
 * one past the input's end; NULL on OOM. */
static inline void *fuzz_exact_copy(const void *data, size_t size)
{
	void *copy = malloc(size ? size : 1);
	if (copy && size)
		memcpy(copy, data, size);
	return copy;
}

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

#endif
