/*
 * log_line -- one line of the room log: its timestamp, its hash, its bytes.
 *
 * A line is the RFC 8785 serialisation of {"data","hash","kind","prev","seq","ts"} plus a
 * newline, and its hash is SHA-256 over prev (64 hex characters) followed by the JCS of
 * {"data","kind","seq","ts"}. Both are built as jansson objects and handed to jcs, rather
 * than pasted together from pieces, so "the line is the JCS of its object" holds by
 * construction and there is one serialiser to trust.
 *
 * Decoding is the mirror and deliberately strict: a line is accepted only if encoding
 * what was parsed gives back exactly the same bytes and the same hash. That one comparison
 * rejects whitespace, key order, escaping, number forms ("1.0", "-0", "1e2") and any other
 * way two lines could mean the same thing but hash differently.
 *
 * Timestamps are formatted and parsed by hand (days from the civil date, after Howard
 * Hinnant's algorithms) instead of gmtime/timegm: no locale or time zone can leak in,
 * and years 0000-9999 work the same everywhere.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooms/log.h"

#define MS_PER_DAY 86400000LL
#define TS_MIN_MS  (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define TS_MAX_MS  253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static const char zero_hash[LOG_HASH_HEX_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

const char *log_strerror(enum log_err err)
{
	static const char *const text[] = {
	    [LOG_OK] = "ok",
	    [LOG_EPARSE] = "not a log line (bad JSON, or missing, extra or mistyped fields)",
	    [LOG_ESEQ] = "seq does not follow the previous line",
	    [LOG_EPREV] = "prev is not the previous line's hash",
	    [LOG_EHASH] = "hash does not match the line's content",
	    [LOG_ENOTJCS] = "line is not in canonical form (RFC 8785)",
	    [LOG_EREAL] = "a number that is not an integer within +-(2^53 - 1)",
	    [LOG_EUTF8] = "invalid UTF-8",
	    [LOG_EIO] = "input/output error",
	    [LOG_ETOOBIG] = "too large",
	    [LOG_ENOMEM] = "out of memory",
	};
	if ((unsigned)err >= sizeof text / sizeof text[0] || !text[err])
		return "unknown error";
	return text[err];
}

void log_record_clear(struct log_record *rec)
{
	json_decref(rec->data);
	memset(rec, 0, sizeof *rec);
}

/* --- timestamps --- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void log_format_ts(int64_t ts_ms, char out[LOG_TS_LEN + 1])
{
	int y, mo, d;
	if (ts_ms < TS_MIN_MS)
		ts_ms = TS_MIN_MS;
	if (ts_ms > TS_MAX_MS)
		ts_ms = TS_MAX_MS;
	int64_t days = ts_ms / MS_PER_DAY, rem = ts_ms % MS_PER_DAY;
	if (rem < 0) { /* C division truncates; the calendar floors */
		days--;
		rem += MS_PER_DAY;
	}
	civil_from_days(days, &y, &mo, &d);
	/* The compiler cannot see that the clamp above keeps every field in range, so
	 * format into a roomy buffer and copy the fixed-width result. */
	char buf[64];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
		 (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
		 (int)(rem % 1000));
	memcpy(out, buf, LOG_TS_LEN);
	out[LOG_TS_LEN] = '\0';
}

/* Reads exactly n decimal digits. */
static bool digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

bool log_parse_ts(const char *ts, int64_t *ts_ms)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	int y, mo, d, h, mi, s, ms;
	if (!ts || strlen(ts) != LOG_TS_LEN)
		return false;
	for (int i = 0; i < LOG_TS_LEN; i++)
		if (shape[i] != 'd' && ts[i] != shape[i])
			return false;
	if (!digits(ts, 4, &y) || !digits(ts + 5, 2, &mo) || !digits(ts + 8, 2, &d) ||
	    !digits(ts + 11, 2, &h) || !digits(ts + 14, 2, &mi) || !digits(ts + 17, 2, &s) ||
	    !digits(ts + 20, 3, &ms))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
		return false;
	*ts_ms =
	    days_from_civil(y, mo, d) * MS_PER_DAY + h * 3600000LL + mi * 60000LL + s * 1000LL + ms;
	return true;
}

/* --- fields --- */

static bool hex64_valid(const char *s)
{
	for (int i = 0; i < LOG_HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[LOG_HASH_HEX_LEN] == '\0';
}

/* Kinds are names like "floor.granted": a small alphabet keeps them safe in file names,
 * metrics labels and exports, and means no escaping rule can differ between readers. */
static bool kind_valid(const char *kind, size_t len)
{
	if (len == 0 || len > LOG_KIND_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = kind[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool fields_valid(int64_t seq, const char *ts, const char *kind, const json_t *data)
{
	int64_t ms;
	return seq >= 1 && log_parse_ts(ts, &ms) && kind && kind_valid(kind, strlen(kind)) &&
	       json_is_object(data);
}

/* {"data","kind","seq","ts"}: the part of a line that its hash covers, after prev. */
static json_t *content_object(int64_t seq, const char *ts, const char *kind, const json_t *data)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	/* data is only borrowed: set (not set_new) takes a reference, decref gives it back. */
	if (json_object_set(o, "data", (json_t *)data) ||
	    json_object_set_new(o, "kind", json_string(kind)) ||
	    json_object_set_new(o, "seq", json_integer(seq)) ||
	    json_object_set_new(o, "ts", json_string(ts))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* --- hash --- */

static bool sha256_hex(const char *prev, const char *content, size_t len,
		       char out[LOG_HASH_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
		  EVP_DigestUpdate(ctx, prev, LOG_HASH_HEX_LEN) &&
		  EVP_DigestUpdate(ctx, content, len) && EVP_DigestFinal_ex(ctx, md, &md_len) &&
		  md_len == sizeof md;
	EVP_MD_CTX_free(ctx);
	for (size_t i = 0; ok && i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[LOG_HASH_HEX_LEN] = '\0';
	return ok;
}

enum log_err log_compute_hash(const char prev[LOG_HASH_HEX_LEN + 1], int64_t seq, const char *ts,
			      const char *kind, const json_t *data, char out[LOG_HASH_HEX_LEN + 1])
{
	if (!prev || !hex64_valid(prev) || !fields_valid(seq, ts, kind, data))
		return LOG_EPARSE;
	json_t *o = content_object(seq, ts, kind, data);
	if (!o)
		return LOG_ENOMEM;
	char *content = NULL;
	size_t len = 0;
	enum log_err err = jcs_serialize(o, &content, &len);
	json_decref(o);
	if (!err && !sha256_hex(prev, content, len, out))
		err = LOG_ENOMEM;
	free(content);
	return err;
}

/* --- encode --- */

enum log_err log_encode_line(const struct log_record *rec, char **line, size_t *len)
{
	*line = NULL;
	if (!fields_valid(rec->seq, rec->ts, rec->kind, rec->data) || !hex64_valid(rec->prev) ||
	    !hex64_valid(rec->hash))
		return LOG_EPARSE;
	json_t *o = content_object(rec->seq, rec->ts, rec->kind, rec->data);
	if (!o || json_object_set_new(o, "prev", json_string(rec->prev)) ||
	    json_object_set_new(o, "hash", json_string(rec->hash))) {
		json_decref(o);
		return LOG_ENOMEM;
	}
	char *s = NULL;
	size_t n = 0;
	enum log_err err = jcs_serialize(o, &s, &n);
	json_decref(o);
	if (err)
		return err;
	if (n > LOG_LINE_MAX) {
		free(s);
		return LOG_ETOOBIG;
	}
	s[n] = '\n'; /* jcs leaves room for its NUL, which becomes the newline */
	*line = s;
	*len = n + 1;
	return LOG_OK;
}

/* --- decode --- */

static enum log_err load_error(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_invalid_utf8:
		return LOG_EUTF8;
	case json_error_numeric_overflow:
		return LOG_EREAL;
	case json_error_duplicate_key: /* never canonical; and what other readers say too */
		return LOG_ENOTJCS;
	default:
		return LOG_EPARSE;
	}
}

static bool copy_string(const json_t *v, char *out, size_t cap)
{
	if (!json_is_string(v) || json_string_length(v) >= cap ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return false;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return true;
}

/* Moves the six fields of o into rec, checking their types (LOG_EPARSE). */
static enum log_err take_fields(const json_t *o, struct log_record *rec)
{
	const json_t *seq = json_object_get(o, "seq");
	if (!json_is_object(o) || json_object_size(o) != 6 || !json_is_integer(seq) ||
	    !copy_string(json_object_get(o, "ts"), rec->ts, sizeof rec->ts) ||
	    !copy_string(json_object_get(o, "kind"), rec->kind, sizeof rec->kind) ||
	    !copy_string(json_object_get(o, "prev"), rec->prev, sizeof rec->prev) ||
	    !copy_string(json_object_get(o, "hash"), rec->hash, sizeof rec->hash))
		return LOG_EPARSE;
	rec->seq = json_integer_value(seq);
	rec->data = json_incref(json_object_get(o, "data"));
	if (!log_parse_ts(rec->ts, &rec->ts_ms) || !hex64_valid(rec->prev) ||
	    !hex64_valid(rec->hash) || !fields_valid(rec->seq, rec->ts, rec->kind, rec->data))
		return LOG_EPARSE;
	return LOG_OK;
}

/* Encoding what was parsed must give back the very same bytes, and the same hash. */
static enum log_err check_canonical(const char *line, size_t len, const struct log_record *rec)
{
	char *again = NULL, hash[LOG_HASH_HEX_LEN + 1];
	size_t again_len = 0;
	enum log_err err = log_encode_line(rec, &again, &again_len);
	if (err == LOG_ETOOBIG)
		err = LOG_ENOTJCS; /* a shorter line cannot re-encode longer unless padded */
	if (!err && (again_len != len + 1 || memcmp(again, line, len) != 0))
		err = LOG_ENOTJCS;
	free(again);
	if (!err)
		err = log_compute_hash(rec->prev, rec->seq, rec->ts, rec->kind, rec->data, hash);
	if (!err && strcmp(hash, rec->hash) != 0)
		err = LOG_EHASH;
	return err;
}

enum log_err log_decode_line(const char *line, size_t len, struct log_record *rec)
{
	json_error_t jerr;
	memset(rec, 0, sizeof *rec);
	if (len > LOG_LINE_MAX)
		return LOG_ETOOBIG;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!o)
		return load_error(&jerr);
	enum log_err err = take_fields(o, rec);
	json_decref(o);
	if (!err)
		err = check_canonical(line, len, rec);
	if (err)
		log_record_clear(rec);
	return err;
}

/* --- the chain --- */

void log_chain_init(struct log_chain *chain)
{
	chain->seq = 0;
	memcpy(chain->hash, zero_hash, sizeof chain->hash);
}

enum log_err log_chain_next(struct log_chain *chain, const char *line, size_t len,
			    struct log_record *rec)
{
	enum log_err err = log_decode_line(line, len, rec);
	if (!err && rec->seq != chain->seq + 1)
		err = LOG_ESEQ;
	if (!err && strcmp(rec->prev, chain->hash) != 0)
		err = LOG_EPREV;
	if (err) {
		log_record_clear(rec);
		return err;
	}
	chain->seq = rec->seq;
	memcpy(chain->hash, rec->hash, sizeof chain->hash);
	return LOG_OK;
}
