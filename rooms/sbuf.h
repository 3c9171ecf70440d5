/*
 * A growable text buffer with a ceiling, for the renderings of the record (private to
 * rooms/). Once an allocation fails, every later call is a no-op and failed stays set,
 * so a renderer checks once at the end.
 */
#ifndef PLENARY_ROOMS_SBUF_H
#define PLENARY_ROOMS_SBUF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SBUF_MAX (256u << 20)

struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Escapes & < > " for HTML and WebVTT; drops carriage returns. */
void sb_escaped(struct sbuf *b, const char *s);
/* 00:01:02 (or 00:01:02.345 with millis) */
void sb_clock(struct sbuf *b, long long ms, bool millis);

/* Record field access that tolerates absence: "" and 0. */
const char *rec_str(json_t *obj, const char *key);
long long rec_num(json_t *obj, const char *key);

#endif
