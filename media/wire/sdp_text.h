/*
 * sdp_text -- the small text toolkit shared by sdp.c (parsing) and sdp_answer.c (the
 * answer): a span is a slice of the input that is never NUL-terminated, so every helper
 * takes a length and none reads past it. Private to the two SDP files; static inline so
 * that nothing here is a symbol of its own.
 */
#ifndef PLENARY_MEDIA_SDP_TEXT_H
#define PLENARY_MEDIA_SDP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct span {
	const char *p;
	size_t n;
};

static inline bool eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static inline bool ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return true;
}

/* Takes the next space-separated token off the front of *s. */
static inline bool next_token(struct span *s, struct span *tok)
{
	while (s->n > 0 && *s->p == ' ') {
		s->p++;
		s->n--;
	}
	if (s->n == 0)
		return false;
	size_t i = 0;
	while (i < s->n && s->p[i] != ' ')
		i++;
	*tok = (struct span){s->p, i};
	s->p += i;
	s->n -= i;
	return true;
}

static inline struct span trim(struct span s)
{
	while (s.n > 0 && (*s.p == ' ' || *s.p == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

/* Splits s at the first c; false (and *before = s) if there is none. */
static inline bool split(struct span s, char c, struct span *before, struct span *after)
{
	const char *at = s.n ? memchr(s.p, c, s.n) : NULL;
	if (at == NULL) {
		*before = s;
		*after = (struct span){s.p + s.n, 0};
		return false;
	}
	*before = (struct span){s.p, (size_t)(at - s.p)};
	*after = (struct span){at + 1, s.n - before->n - 1};
	return true;
}

static inline bool to_uint(struct span s, uint32_t max, uint32_t *out)
{
	if (s.n == 0 || s.n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static inline bool copy(char *dst, size_t cap, struct span s)
{
	if (s.n >= cap)
		return false;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return true;
}

static inline bool is_ice_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* RFC 8866 sect. 9 token-char. */
static inline bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2a || u == 0x2b || u == 0x2d ||
	       u == 0x2e || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) ||
	       (u >= 0x5e && u <= 0x7e);
}

static inline bool all(struct span s, bool (*ok)(char))
{
	for (size_t i = 0; i < s.n; i++)
		if (!ok(s.p[i]))
			return false;
	return true;
}

static inline bool is_token(struct span s, size_t max)
{
	return s.n >= 1 && s.n <= max && all(s, is_token_char);
}

static inline int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "XX:XX:...:XX", exactly len bytes. */
static inline bool parse_hex_pairs(struct span s, uint8_t *out, size_t len)
{
	if (s.n != len * 3 - 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		const char *h = s.p + i * 3;
		int hi = hex_value(h[0]), lo = hex_value(h[1]);
		if (hi < 0 || lo < 0 || (i + 1 < len && h[2] != ':'))
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

#endif
