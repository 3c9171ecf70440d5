/*
 * jcs -- the JSON Canonicalization Scheme (RFC 8785) for the room log.
 *
 * The log's hash chain is only as good as the agreement on which bytes are hashed: an
 * archivist re-checking a published log in Python or JavaScript must produce exactly the
 * bytes we did. RFC 8785 fixes those bytes: no whitespace, object members sorted by the
 * UTF-16 code units of their names (section 3.2.3), strings escaped minimally (3.2.2.2),
 * numbers as ECMAScript writes them (3.2.2.3). jansson's dumper is not used because it
 * sorts keys by bytes, escapes "/" and cannot be told to follow 3.2.2.2.
 *
 * Trade-off: the log holds no real numbers, so instead of porting ECMAScript's
 * shortest-round-trip double formatting we accept only integers that a double holds
 * exactly (|n| <= 2^53 - 1), for which ECMAScript's form is plain decimal. A real, or a
 * larger integer, is LOG_EREAL: it is a bug in the caller, caught before it reaches disk.
 *
 * UTF-8 is validated here (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF) because jansson trusts strings built with its _nocheck functions, and a chain
 * over invalid UTF-8 would be read differently by every other implementation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooms/log.h"

#define JCS_SAFE_INT 9007199254740991LL /* 2^53 - 1, RFC 8785 section 3.2.2.3 */

/* A growable output buffer; always NUL-terminated when p is not NULL. */
struct jcs_buf {
	char *p;
	size_t len, cap;
};

/* One object member, borrowed from the object while it is being written. */
struct jcs_member {
	const char *key;
	size_t key_len;
	const json_t *value;
};

static enum log_err put_value(struct jcs_buf *b, const json_t *v, int depth);

static enum log_err buf_put(struct jcs_buf *b, const char *s, size_t n)
{
	if (n >= b->cap - b->len || !b->p) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len <= n) {
			if (cap > SIZE_MAX / 2)
				return LOG_ENOMEM;
			cap *= 2;
		}
		char *p = realloc(b->p, cap);
		if (!p)
			return LOG_ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return LOG_OK;
}

/* Decodes one UTF-8 sequence at s (n bytes available) per RFC 3629's table, so overlong
 * forms, surrogates and code points above U+10FFFF are refused. Returns its length, or 0
 * if it is not valid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		*cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		*cp = c & 0x0F;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		*cp = c & 0x07;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* RFC 8785 section 3.2.2.2: only '"', '\\' and the C0 controls are escaped; the five
 * controls with a short form use it, the others \u00xx with lowercase hex. Everything
 * else, including DEL, U+2028 and '/', is written as it is. Puts the escape for byte c in
 * esc and returns its length, or 0 if c needs none. */
static size_t escape_of(unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789abcdef";
	static const char short_form[0x20] = {
	    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r'};
	esc[0] = '\\';
	if (c == '"' || c == '\\') {
		esc[1] = (char)c;
		return 2;
	}
	if (c >= 0x20)
		return 0;
	if (short_form[c]) {
		esc[1] = short_form[c];
		return 2;
	}
	memcpy(esc + 1, "u00", 3);
	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 15];
	return 6;
}

static enum log_err put_string(struct jcs_buf *b, const char *s, size_t n)
{
	if (!utf8_valid(s, n))
		return LOG_EUTF8;
	enum log_err err = buf_put(b, "\"", 1);
	size_t run = 0; /* start of the bytes not yet written */
	for (size_t i = 0; i < n && !err; i++) {
		char esc[6];
		size_t esc_len = escape_of((unsigned char)s[i], esc);
		if (!esc_len)
			continue;
		err = buf_put(b, s + run, i - run);
		if (!err)
			err = buf_put(b, esc, esc_len);
		run = i + 1;
	}
	if (!err)
		err = buf_put(b, s + run, n - run);
	if (!err)
		err = buf_put(b, "\"", 1);
	return err;
}

/* Maps a code point to a number whose order is the order of its UTF-16 code units
 * (section 3.2.3). A code point above U+FFFF is written as a surrogate pair starting with
 * 0xD800..0xDBFF, so it sorts after U+D7FF and before U+E000..U+FFFF; shifting that upper
 * BMP block above U+10FFFF gives the same order. Within the pairs, code point order is
 * code unit order. */
static uint32_t utf16_rank(uint32_t cp)
{
	return cp >= 0xE000 && cp <= 0xFFFF ? cp + 0x200000 : cp;
}

/* Keys were validated before sorting, so every decode succeeds. */
static int member_cmp(const void *pa, const void *pb)
{
	const struct jcs_member *a = pa, *b = pb;
	const unsigned char *sa = (const unsigned char *)a->key,
			    *sb = (const unsigned char *)b->key;
	size_t ia = 0, ib = 0;
	while (ia < a->key_len && ib < b->key_len) {
		uint32_t ca = 0, cb = 0;
		ia += utf8_decode(sa + ia, a->key_len - ia, &ca);
		ib += utf8_decode(sb + ib, b->key_len - ib, &cb);
		if (ca != cb)
			return utf16_rank(ca) < utf16_rank(cb) ? -1 : 1;
	}
	return (ia < a->key_len) - (ib < b->key_len);
}

static enum log_err collect_members(const json_t *obj, struct jcs_member *m, size_t n)
{
	size_t i = 0;
	for (void *it = json_object_iter((json_t *)obj); it && i < n;
	     it = json_object_iter_next((json_t *)obj, it), i++) {
		m[i].key = json_object_iter_key(it);
		m[i].key_len = json_object_iter_key_len(it);
		m[i].value = json_object_iter_value(it);
		if (!utf8_valid(m[i].key, m[i].key_len))
			return LOG_EUTF8;
	}
	return i == n ? LOG_OK : LOG_EPARSE; /* the object changed under us */
}

static enum log_err put_object(struct jcs_buf *b, const json_t *obj, int depth)
{
	size_t n = json_object_size(obj);
	struct jcs_member *m = n ? calloc(n, sizeof *m) : NULL;
	if (n && !m)
		return LOG_ENOMEM;
	enum log_err err = collect_members(obj, m, n);
	if (!err && n > 1)
		qsort(m, n, sizeof *m, member_cmp);
	if (!err)
		err = buf_put(b, "{", 1);
	for (size_t i = 0; i < n && !err; i++) {
		if (i)
			err = buf_put(b, ",", 1);
		if (!err)
			err = put_string(b, m[i].key, m[i].key_len);
		if (!err)
			err = buf_put(b, ":", 1);
		if (!err)
			err = put_value(b, m[i].value, depth + 1);
	}
	if (!err)
		err = buf_put(b, "}", 1);
	free(m);
	return err;
}

static enum log_err put_array(struct jcs_buf *b, const json_t *arr, int depth)
{
	enum log_err err = buf_put(b, "[", 1);
	for (size_t i = 0; i < json_array_size(arr) && !err; i++) {
		if (i)
			err = buf_put(b, ",", 1);
		if (!err)
			err = put_value(b, json_array_get(arr, i), depth + 1);
	}
	return err ? err : buf_put(b, "]", 1);
}

static enum log_err put_integer(struct jcs_buf *b, json_int_t v)
{
	char num[24];
	if (v > JCS_SAFE_INT || v < -JCS_SAFE_INT)
		return LOG_EREAL;
	int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, v);
	return buf_put(b, num, (size_t)n);
}

/* depth counts the arrays and objects v is inside of, as jansson's parser does. */
static enum log_err put_value(struct jcs_buf *b, const json_t *v, int depth)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return depth >= JCS_DEPTH_MAX ? LOG_ETOOBIG : put_object(b, v, depth);
	case JSON_ARRAY:
		return depth >= JCS_DEPTH_MAX ? LOG_ETOOBIG : put_array(b, v, depth);
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return put_integer(b, json_integer_value(v));
	case JSON_REAL:
		return LOG_EREAL;
	case JSON_TRUE:
		return buf_put(b, "true", 4);
	case JSON_FALSE:
		return buf_put(b, "false", 5);
	case JSON_NULL:
		return buf_put(b, "null", 4);
	}
	return LOG_EPARSE;
}

enum log_err jcs_serialize(const json_t *v, char **out, size_t *len)
{
	struct jcs_buf b = {0};
	*out = NULL;
	enum log_err err = v ? put_value(&b, v, 0) : LOG_EPARSE;
	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return LOG_OK;
}
