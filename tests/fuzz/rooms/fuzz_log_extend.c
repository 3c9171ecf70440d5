/*
 * fuzz_log_extend -- lines from elsewhere (the JetStream copy of a room's log, gateway/
 * nats_sync.c) checked before they are trusted: rooms_lines_follow decides whether lines
 * may be published or appended, rooms_log_extend appends them to a room's file.
 *
 * The promises: whatever the bytes, no crash; the two agree -- the file is extended exactly
 * when the lines follow, and then holds exactly those bytes, which `plenaryd verify`
 * accepts; lines that do not follow leave the file as it was (here: empty). The input
 * starts with an optional first line that plays the part of the last line both copies
 * hold when it is a valid line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rooms/rooms.h"
#include "tests/fuzz/rooms/fuzz_rooms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *read_all(size_t *len)
{
	FILE *f = fopen(fuzz_log_path, "rb");
	if (!f) {
		*len = 0;
		return NULL;
	}
	char *buf = malloc(1 << 22);
	CHECK(buf != NULL);
	*len = fread(buf, 1, 1 << 22, f);
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_rooms_setup("extend", false);
	const char *in = (const char *)data;
	int64_t bad = 0;
	/* With a first line that follows nothing but itself: the chain after it. */
	const char *nl = memchr(in, '\n', size);
	if (nl)
		(void)rooms_lines_follow(in, (size_t)(nl - in), nl + 1,
					 size - (size_t)(nl - in) - 1, &bad);
	/* From the start: against a new room file. */
	bool follows = rooms_lines_follow(NULL, 0, in, size, &bad);
	char err[512];
	unlink(fuzz_log_path);
	bool extended = rooms_log_extend(fuzz_dir, "r", in, size, err, sizeof err);
	size_t len;
	char *file = read_all(&len);
	CHECK(extended == (follows && size > 0) || (size == 0 && extended));
	if (extended) {
		CHECK(len == size && (size == 0 || memcmp(file, in, size) == 0));
		FILE *devnull = fopen("/dev/null", "w");
		CHECK(devnull != NULL);
		CHECK(size == 0 || rooms_verify_file(fuzz_log_path, devnull));
		fclose(devnull);
	} else {
		CHECK(len == 0);
	}
	free(file);
	return 0;
}
