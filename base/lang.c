/*
 * A language tag is read subtag by subtag through a small state machine: each state says
 * which kinds of subtag may come next (RFC 5646 sect. 2.1's ABNF, in order), so a tag like
 * "fr-FR-Latn" (script after region) fails where the order breaks.
 */
#include "base/lang.h"

#include <ctype.h>
#include <string.h>

enum lang_at { AT_START, AT_LANGUAGE, AT_SCRIPT, AT_REGION, AT_VARIANT, AT_EXT, AT_PRIVATE };

struct subtag {
	const char *s;
	size_t n;
	bool alpha, digit; /* all letters, all digits */
};

static bool all(const struct subtag *t, int (*is)(int))
{
	for (size_t i = 0; i < t->n; i++)
		if (!is((unsigned char)t->s[i]))
			return false;
	return true;
}

static bool is_variant(const struct subtag *t)
{
	return (t->n >= 5 && t->n <= 8) || (t->n == 4 && isdigit((unsigned char)t->s[0]));
}

/* After a singleton: x opens the private use part; another letter or digit an extension
 * (but never first: a tag starts with its language). */
static int after_singleton(enum lang_at at, const struct subtag *t)
{
	if (t->s[0] == 'x' || t->s[0] == 'X')
		return AT_PRIVATE;
	return at == AT_START ? -1 : AT_EXT;
}

/* Script, region and variants, each in its place after the language. */
static int after_language(enum lang_at at, const struct subtag *t)
{
	if (at == AT_LANGUAGE && t->n == 4 && t->alpha)
		return AT_SCRIPT;
	if (at <= AT_SCRIPT && ((t->n == 2 && t->alpha) || (t->n == 3 && t->digit)))
		return AT_REGION;
	if (at <= AT_VARIANT && is_variant(t))
		return AT_VARIANT;
	return -1;
}

/* The next state after subtag t in state at, or -1 when t may not come there. */
static int next_state(enum lang_at at, const struct subtag *t)
{
	if (at == AT_PRIVATE)
		return AT_PRIVATE;
	if (t->n == 1)
		return after_singleton(at, t);
	if (at == AT_START)
		return t->alpha && (t->n <= 3 || t->n >= 5) ? AT_LANGUAGE : -1;
	if (at == AT_EXT)
		return AT_EXT;
	return after_language(at, t);
}

static void canon_subtag(char *s, size_t n, enum lang_at at)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (at == AT_SCRIPT)
		s[0] = (char)toupper((unsigned char)s[0]);
	else if (at == AT_REGION)
		for (size_t i = 0; i < n; i++)
			s[i] = (char)toupper((unsigned char)s[i]);
}

/* Checks tag; with out, writes it there in conventional case as it goes. */
static bool walk(const char *tag, char *out)
{
	size_t len = strlen(tag);
	if (len == 0 || len > BASE_LANG_MAX)
		return false;
	enum lang_at at = AT_START;
	bool pending = false; /* a singleton (or x) still waits for its first subtag */
	for (size_t i = 0; i <= len;) {
		size_t n = strcspn(tag + i, "-");
		struct subtag t = {tag + i, n, false, false};
		if (n == 0 || n > 8)
			return false;
		t.alpha = all(&t, isalpha);
		t.digit = all(&t, isdigit);
		if (!t.alpha && !t.digit && !all(&t, isalnum))
			return false;
		int nx = next_state(at, &t);
		if (nx < 0 || (pending && n == 1 && at != AT_PRIVATE))
			return false;
		pending = n == 1 && at != AT_PRIVATE;
		at = (enum lang_at)nx;
		if (out)
			canon_subtag(out + i, n, pending ? AT_EXT : at);
		i += n + 1;
	}
	return !pending;
}

bool base_lang_valid(const char *tag)
{
	return tag && walk(tag, NULL);
}

bool base_lang_canon(const char *tag, char *out, size_t cap)
{
	if (!base_lang_valid(tag) || cap <= strlen(tag))
		return false;
	memcpy(out, tag, strlen(tag) + 1);
	return walk(out, out);
}
