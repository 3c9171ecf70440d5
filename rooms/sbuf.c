#include "rooms/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool sb_reserve(struct sbuf *b, size_t more)
{
	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *grown = cap <= SBUF_MAX ? realloc(b->p, cap) : NULL;
	if (!grown) {
		b->failed = true;
		return false;
	}
	b->p = grown;
	b->cap = cap;
	return true;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Formats straight into the room left, and only when it does not fit grows the buffer and
 * formats again: one pass for nearly every call (a big record is many small pieces). */
void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	size_t room = b->cap - b->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->cap ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (b->cap)
			b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		if (!sb_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sb_escaped(struct sbuf *b, const char *s)
{
	while (s && *s) {
		size_t plain = strcspn(s, "&<>\"\r");
		if (plain)
			sb_put(b, s, plain);
		s += plain;
		switch (*s) {
		case '&':
			sb_put(b, "&amp;", 5);
			break;
		case '<':
			sb_put(b, "&lt;", 4);
			break;
		case '>':
			sb_put(b, "&gt;", 4);
			break;
		case '"':
			sb_put(b, "&quot;", 6);
			break;
		default: /* '\r' is dropped; '\0' ends the loop */
			break;
		}
		if (*s)
			s++;
	}
}

void sb_clock(struct sbuf *b, long long ms, bool millis)
{
	if (ms < 0)
		ms = 0;
	sb_printf(b, millis ? "%02lld:%02lld:%02lld.%03lld" : "%02lld:%02lld:%02lld", ms / 3600000,
		  ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

const char *rec_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

long long rec_num(json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}
