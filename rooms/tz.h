/*
 * Time zones for the record's pages (private to rooms/): an IANA zone read from the
 * system's tz database (TZif files, RFC 8536; Debian's tzdata), with the POSIX rule of
 * its footer for times past the last transition. Read on the thread that asks, into the
 * caller's struct: no process-wide TZ variable is touched, so other threads' clocks are
 * never disturbed.
 */
#ifndef PLENARY_ROOMS_TZ_H
#define PLENARY_ROOMS_TZ_H

#include <stdbool.h>
#include <stdint.h>

#define TZ_NAME_MAX  64
#define TZ_ABBR_MAX  16
#define TZ_TRANS_MAX 2400
#define TZ_TYPES_MAX 64

struct tz_rule_date {
	char kind; /* 'M' month.week.day, 'J' Julian 1-365, 'D' day 0-365 */
	int m, w, d;
	int32_t secs; /* local time of day of the change */
};

struct tz {
	int n_trans, n_types;
	int64_t trans[TZ_TRANS_MAX];
	uint8_t trans_type[TZ_TRANS_MAX];
	int32_t utoff[TZ_TYPES_MAX];
	char abbr[TZ_TYPES_MAX][TZ_ABBR_MAX];
	/* The footer rule (std only when !has_dst). */
	bool has_rule, has_dst;
	int32_t std_off, dst_off; /* seconds east of UTC */
	char std_abbr[TZ_ABBR_MAX], dst_abbr[TZ_ABBR_MAX];
	struct tz_rule_date start, end;
};

/* Loads name from TZDIR (or /usr/share/zoneinfo). False for a bad name, a missing file
 * or one that is not TZif. */
bool tz_load(const char *name, struct tz *out);
/* Parses a TZif file's bytes (tz_load's reader; the fuzz target's entry). */
bool tz_parse(const unsigned char *p, size_t len, struct tz *out);
/* Seconds east of UTC at utc_s, and the zone's abbreviation then ("CET", "+03"). */
int32_t tz_offset(const struct tz *z, int64_t utc_s, char abbr[TZ_ABBR_MAX]);

#endif
