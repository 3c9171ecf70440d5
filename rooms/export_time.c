/*
 * Times on the record's pages: each in the meeting's time zone (the room's time_zone,
 * read from the system's tz database) and in UTC, so that a reader in the venue and one
 * anywhere else both read the right hour, and durations as h:mm:ss.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/export.h"
#include "rooms/tz.h"

void rec_clock_init(struct rec_clock *c, json_t *rec)
{
	memset(c, 0, sizeof *c);
	const char *name = rec_str(json_object_get(rec, "room"), "time_zone");
	if (!name[0] || strcmp(name, "UTC") == 0)
		return;
	c->zone = malloc(sizeof *c->zone);
	if (c->zone && !tz_load(name, c->zone)) {
		free(c->zone);
		c->zone = NULL;
	}
	if (c->zone)
		snprintf(c->name, sizeof c->name, "%s", name);
}

void rec_clock_fini(struct rec_clock *c)
{
	free(c->zone);
	c->zone = NULL;
}

struct civil {
	long long y;
	int m, d, wday, hh, mm, ss;
};

static struct civil civil_of(long long secs)
{
	struct civil c;
	long long days = secs / 86400 - (secs % 86400 < 0), rem = secs - days * 86400;
	c.wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	c.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	c.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	c.y = yoe + era * 400 + (c.m <= 2);
	c.hh = (int)(rem / 3600);
	c.mm = (int)(rem / 60 % 60);
	c.ss = (int)(rem % 60);
	return c;
}

static void date(struct sbuf *b, const struct civil *c)
{
	static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					   "Thursday", "Friday", "Saturday"};
	static const char *const months[] = {"January",	  "February", "March",	  "April",
					     "May",	  "June",     "July",	  "August",
					     "September", "October",  "November", "December"};
	sb_printf(b, "%s %d %s %lld, ", days[c->wday], c->d, months[c->m - 1], c->y);
}

void sb_when(struct sbuf *b, const struct rec_clock *c, const char *ts, bool with_date, bool html)
{
	int64_t ms;
	if (!ts || !log_parse_ts(ts, &ms)) {
		sb_escaped(b, ts && ts[0] ? ts : "-");
		return;
	}
	long long secs = (long long)(ms / 1000 - (ms % 1000 < 0));
	struct civil utc = civil_of(secs);
	if (html)
		sb_printf(b, "<time datetime=\"%s\">", ts);
	if (c->zone) {
		char abbr[TZ_ABBR_MAX];
		int32_t off = tz_offset(c->zone, secs, abbr);
		struct civil local = civil_of(secs + off);
		if (with_date)
			date(b, &local);
		sb_printf(b, "%02d:%02d:%02d ", local.hh, local.mm, local.ss);
		sb_escaped(b, abbr);
		sb_printf(b, " (");
		if (with_date && (local.d != utc.d || local.m != utc.m))
			date(b, &utc);
		sb_printf(b, "%02d:%02d:%02d UTC)", utc.hh, utc.mm, utc.ss);
	} else {
		if (with_date)
			date(b, &utc);
		sb_printf(b, "%02d:%02d:%02d UTC", utc.hh, utc.mm, utc.ss);
	}
	if (html)
		sb_printf(b, "</time>");
}

void sb_hms(struct sbuf *b, long long ms)
{
	long long s = (ms < 0 ? -ms : ms) / 1000;
	sb_printf(b, "%s%lld:%02lld:%02lld", ms < 0 ? "-" : "", s / 3600, s / 60 % 60, s % 60);
}
