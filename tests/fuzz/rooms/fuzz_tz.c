/*
 * fuzz_tz -- the TZif reader and its POSIX footer rule (rooms/tz.c), which the record's
 * pages use to show times in the meeting's time zone. Its files come from the system's
 * tz database, not from users, but a damaged or foreign file must be refused, never read
 * out of bounds. An input is a whole file; one that parses is asked for offsets from
 * the far past to the far future, which must stay within a week and a day of UTC (the
 * most a POSIX rule can say: 167:59:59, and an hour more for its summer time) with a short,
 * terminated abbreviation. The corpus is a few of Debian's zone files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooms/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tz z;
	if (!tz_parse(data, size, &z))
		return 0;
	static const int64_t at[] = {INT64_MIN / 4, -2208988800, 0,	     1795341600,
				     1800000000,    2200000000,	 4102444800, INT64_MAX / 4};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		char abbr[TZ_ABBR_MAX];
		int32_t off = tz_offset(&z, at[i], abbr);
		if (memchr(abbr, '\0', sizeof abbr) == NULL || off < -7 * 86400 ||
		    off > 7 * 86400) {
			fprintf(stderr, "bad offset %d at %lld\n", off, (long long)at[i]);
			abort();
		}
	}
	return 0;
}
