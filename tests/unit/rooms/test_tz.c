/*
 * rooms/tz.c against the C library's own reading of the same tz database: for zones with
 * daylight saving in either hemisphere, half-hour and 45-minute offsets, and none at all,
 * at instants from 1970 to 2100 (past the last transition a file lists, where the footer
 * rule answers), the offset and abbreviation must be glibc's. And names: what the
 * database spells is taken, anything that could leave it is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rooms/rooms.h"
#include "rooms/tz.h"

static const char *const zones[] = {
    "UTC",
    "Europe/Madrid",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Asia/Kathmandu",
    "Africa/Casablanca",
    "America/St_Johns",
    "Europe/London",
    "Pacific/Apia",
};

static void same_as_libc(void **state)
{
	(void)state;
	static struct tz z;
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		assert_true(tz_load(zones[i], &z));
		setenv("TZ", zones[i], 1);
		tzset();
		/* Every 6 hours and 17 minutes from 1970 to 2100: every season, every hour. */
		for (int64_t t = 0; t < INT64_C(4102444800); t += 6 * 3600 + 17 * 60) {
			time_t tt = (time_t)t;
			struct tm tm;
			assert_non_null(localtime_r(&tt, &tm));
			char abbr[TZ_ABBR_MAX];
			int32_t off = tz_offset(&z, t, abbr);
			if (off != tm.tm_gmtoff || strcmp(abbr, tm.tm_zone) != 0)
				fail_msg("%s at %lld: ours %d %s, libc %ld %s", zones[i],
					 (long long)t, off, abbr, tm.tm_gmtoff, tm.tm_zone);
		}
	}
	unsetenv("TZ");
}

static void names(void **state)
{
	(void)state;
	assert_true(rooms_time_zone_valid("Europe/Madrid"));
	assert_true(rooms_time_zone_valid("America/Argentina/Buenos_Aires"));
	assert_true(rooms_time_zone_valid("Etc/GMT+3"));
	const char *bad[] = {"",	"Europe/Nowhere", "../etc/passwd",   "/etc/passwd",
			     "Europe/", "Europe//Madrid", "Europe/./Madrid", "Europe/.hidden",
			     "Europe",	"Europe/Madrid ", "europe/madrid\n", NULL};
	for (size_t i = 0; bad[i]; i++)
		assert_false(rooms_time_zone_valid(bad[i]));
	assert_false(rooms_time_zone_valid(NULL));
}

static void damaged_files(void **state)
{
	(void)state;
	static struct tz z;
	static const unsigned char junk[] = "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
	assert_false(tz_parse(junk, sizeof junk, &z));
	assert_false(tz_parse((const unsigned char *)"", 0, &z));
	assert_false(tz_parse((const unsigned char *)"not a zone file at all, just text", 33, &z));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(same_as_libc),
	    cmocka_unit_test(names),
	    cmocka_unit_test(damaged_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
