/*
 * The TZif reader (RFC 8536) and the POSIX TZ rule of its footer. Version 1 files are
 * read from their 32-bit block, later ones from the 64-bit block; the footer rule (e.g.
 * "CET-1CEST,M3.5.0,M10.5.0/3") answers for times past the last transition, which is
 * where a "slim" file leaves everything after its last rule change.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooms/rooms.h"
#include "rooms/tz.h"

#define TZ_FILE_MAX (256 * 1024)

/* A zone name as the database spells it ("Europe/Madrid", "UTC"): letters, digits and
 * / _ + -, no empty or dot-led part: nothing that could reach outside the database. */
static bool tz_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= TZ_NAME_MAX)
		return false;
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n)
		return false;
	for (const char *p = name; *p; p++) {
		bool part_start = p == name || p[-1] == '/';
		if (part_start && (*p == '/' || *p == '.'))
			return false;
	}
	return name[n - 1] != '/';
}

static int64_t be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	if (bytes == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

struct counts {
	int64_t isut, isstd, leap, time, type, chars;
};

static bool header(const unsigned char *p, size_t len, struct counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	c->isut = be(p + 20, 4);
	c->isstd = be(p + 24, 4);
	c->leap = be(p + 28, 4);
	c->time = be(p + 32, 4);
	c->type = be(p + 36, 4);
	c->chars = be(p + 40, 4);
	return c->isut >= 0 && c->isstd >= 0 && c->leap >= 0 && c->time >= 0 &&
	       c->time <= TZ_TRANS_MAX && c->type >= 1 && c->type <= TZ_TYPES_MAX &&
	       c->chars >= 1 && c->chars <= 256;
}

static size_t block_len(const struct counts *c, int tb)
{
	return (size_t)(c->time * tb + c->time + c->type * 6 + c->chars + c->leap * (tb + 4) +
			c->isstd + c->isut);
}

static bool read_block(const unsigned char *p, const struct counts *c, int tb, struct tz *z)
{
	const unsigned char *idx = p + c->time * tb, *types = idx + c->time;
	const unsigned char *chars = types + c->type * 6;
	z->n_trans = (int)c->time;
	z->n_types = (int)c->type;
	for (int i = 0; i < z->n_trans; i++) {
		z->trans[i] = be(p + (size_t)i * (size_t)tb, tb);
		z->trans_type[i] = idx[i];
		if (idx[i] >= c->type || (i && z->trans[i] <= z->trans[i - 1]))
			return false;
	}
	for (int i = 0; i < z->n_types; i++) {
		const unsigned char *t = types + i * 6;
		z->utoff[i] = (int32_t)be(t, 4);
		/* RFC 8536's range: within a day of UTC (no zone has ever been further). */
		if (t[5] >= c->chars || z->utoff[i] < -89999 || z->utoff[i] > 93599)
			return false;
		snprintf(z->abbr[i], TZ_ABBR_MAX, "%.*s", (int)(c->chars - t[5]),
			 (const char *)chars + t[5]);
	}
	return true;
}

/* --- the POSIX rule --- */

static const char *rule_name(const char *s, char out[TZ_ABBR_MAX])
{
	size_t n = 0;
	if (*s == '<') {
		const char *end = strchr(s, '>');
		if (!end || end - s - 1 < 3 || end - s - 1 >= TZ_ABBR_MAX)
			return NULL;
		snprintf(out, TZ_ABBR_MAX, "%.*s", (int)(end - s - 1), s + 1);
		return end + 1;
	}
	while (isalpha((unsigned char)s[n]))
		n++;
	if (n < 3 || n >= TZ_ABBR_MAX)
		return NULL;
	snprintf(out, TZ_ABBR_MAX, "%.*s", (int)n, s);
	return s + n;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536's extension); in seconds. */
static const char *rule_time(const char *s, int32_t *out)
{
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return NULL;
	long parts[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		char *end;
		parts[i] = strtol(s, &end, 10);
		if (end == s || end - s > 3 || parts[i] < 0 || parts[i] > (i ? 59 : 167))
			return NULL;
		s = end;
		if (*s != ':' || i == 2)
			break;
		s++;
	}
	*out = (int32_t)(sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]));
	return s;
}

static const char *rule_date(const char *s, struct tz_rule_date *d)
{
	char *end;
	d->secs = 7200; /* 02:00 unless said */
	if (*s == 'M') {
		d->kind = 'M';
		d->m = (int)strtol(s + 1, &end, 10);
		if (*end != '.')
			return NULL;
		d->w = (int)strtol(end + 1, &end, 10);
		if (*end != '.')
			return NULL;
		d->d = (int)strtol(end + 1, &end, 10);
		if (d->m < 1 || d->m > 12 || d->w < 1 || d->w > 5 || d->d < 0 || d->d > 6)
			return NULL;
	} else {
		d->kind = *s == 'J' ? 'J' : 'D';
		const char *num = *s == 'J' ? s + 1 : s;
		if (!isdigit((unsigned char)*num))
			return NULL;
		d->d = (int)strtol(num, &end, 10);
		if (d->d < (d->kind == 'J') || d->d > 365)
			return NULL;
	}
	s = end;
	if (*s == '/')
		s = rule_time(s + 1, &d->secs);
	return s;
}

static bool parse_rule(const char *s, struct tz *z)
{
	int32_t off;
	if (!(s = rule_name(s, z->std_abbr)) || !(s = rule_time(s, &off)))
		return false;
	z->std_off = -off; /* POSIX counts west of Greenwich */
	z->has_rule = true;
	if (!*s)
		return true;
	if (!(s = rule_name(s, z->dst_abbr)))
		return false;
	z->dst_off = z->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = rule_time(s, &off)))
			return false;
		z->dst_off = -off;
	}
	if (*s++ != ',' || !(s = rule_date(s, &z->start)) || *s++ != ',' ||
	    !(s = rule_date(s, &z->end)) || *s)
		return false;
	z->has_dst = true;
	return true;
}

static bool footer(const unsigned char *p, size_t len, struct tz *z)
{
	if (len < 2 || p[0] != '\n')
		return false;
	const unsigned char *nl = memchr(p + 1, '\n', len - 1);
	if (!nl || nl - p - 1 >= 128)
		return false;
	char rule[128];
	snprintf(rule, sizeof rule, "%.*s", (int)(nl - p - 1), (const char *)p + 1);
	return !rule[0] || parse_rule(rule, z);
}

bool tz_parse(const unsigned char *p, size_t len, struct tz *z)
{
	struct counts c;
	memset(z, 0, sizeof *z);
	if (!header(p, len, &c) || len < 44 + block_len(&c, 4))
		return false;
	if (p[4] < '2')
		return read_block(p + 44, &c, 4, z);
	size_t at = 44 + block_len(&c, 4);
	if (!header(p + at, len - at, &c) || len - at - 44 < block_len(&c, 8) ||
	    !read_block(p + at + 44, &c, 8, z))
		return false;
	at += 44 + block_len(&c, 8);
	return footer(p + at, len - at, z);
}

bool tz_load(const char *name, struct tz *out)
{
	if (!tz_name_ok(name))
		return false;
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	unsigned char *buf = malloc(TZ_FILE_MAX);
	size_t len = buf ? fread(buf, 1, TZ_FILE_MAX, f) : 0;
	bool ok = buf && !ferror(f) && len < TZ_FILE_MAX && tz_parse(buf, len, out);
	fclose(f);
	free(buf);
	return ok;
}

/* --- offsets --- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t year_of(int64_t days)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The day (days since 1970-01-01) a rule date falls on in year y. */
static int64_t rule_day(const struct tz_rule_date *d, int64_t y)
{
	if (d->kind == 'J')
		return days_from_civil(y, 1, 1) + d->d - 1 + (leap(y) && d->d >= 60);
	if (d->kind == 'D')
		return days_from_civil(y, 1, 1) + d->d;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t first = days_from_civil(y, d->m, 1);
	int wday = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	int64_t day = (d->d - wday + 7) % 7 + (int64_t)(d->w - 1) * 7;
	int len = mdays[d->m - 1] + (d->m == 2 && leap(y));
	while (day >= len)
		day -= 7;
	return first + day;
}

static int32_t by_rule(const struct tz *z, int64_t t, char abbr[TZ_ABBR_MAX])
{
	bool dst = false;
	if (z->has_dst) {
		int64_t y = year_of((t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0));
		int64_t start = rule_day(&z->start, y) * 86400 + z->start.secs - z->std_off;
		int64_t end = rule_day(&z->end, y) * 86400 + z->end.secs - z->dst_off;
		dst = start < end ? t >= start && t < end : !(t >= end && t < start);
	}
	snprintf(abbr, TZ_ABBR_MAX, "%s", dst ? z->dst_abbr : z->std_abbr);
	return dst ? z->dst_off : z->std_off;
}

int32_t tz_offset(const struct tz *z, int64_t utc_s, char abbr[TZ_ABBR_MAX])
{
	if (z->n_trans && utc_s >= z->trans[z->n_trans - 1] && z->has_rule)
		return by_rule(z, utc_s, abbr);
	if (!z->n_trans && z->has_rule)
		return by_rule(z, utc_s, abbr);
	int type = 0;
	int lo = 0, hi = z->n_trans; /* the last transition at or before utc_s */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (z->trans[mid] <= utc_s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0)
		type = z->trans_type[lo - 1];
	snprintf(abbr, TZ_ABBR_MAX, "%s", z->abbr[type]);
	return z->utoff[type];
}

bool rooms_time_zone_valid(const char *name)
{
	struct tz *z = malloc(sizeof *z);
	bool ok = z && tz_load(name, z);
	free(z);
	return ok;
}
