/*
 * What the rooms' log targets (fuzz_log_extend, fuzz_room_replay) share beyond
 * tests/fuzz/fuzz_support.h: one data directory per process, made on the first input and
 * removed at exit, and the path of room "r"'s log file in it. Each target is one
 * translation unit, so the directory's names are this file's statics.
 */
#ifndef PLENARY_TESTS_FUZZ_ROOMS_H
#define PLENARY_TESTS_FUZZ_ROOMS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz_support.h"

static char fuzz_dir[256];	/* the data directory */
static char fuzz_log_path[512]; /* <fuzz_dir>/rooms/r.jsonl */

static inline void fuzz_rooms_cleanup(void)
{
	if (fuzz_dir[0])
		fuzz_rm_tree(fuzz_dir);
}

/* Makes the data directory plenary-fuzz-<name>-XXXXXX (with its rooms/ folder when
 * make_rooms) on the first call; later calls do nothing. */
static inline void fuzz_rooms_setup(const char *name, bool make_rooms)
{
	if (fuzz_dir[0])
		return;
	fuzz_scratch_dir(fuzz_dir, sizeof fuzz_dir, name);
	atexit(fuzz_rooms_cleanup);
	if (make_rooms) {
		char rooms[300];
		snprintf(rooms, sizeof rooms, "%s/rooms", fuzz_dir);
		CHECK(mkdir(rooms, 0755) == 0);
	}
	snprintf(fuzz_log_path, sizeof fuzz_log_path, "%s/rooms/r.jsonl", fuzz_dir);
}

#endif
