/*
 * lang -- the syntax of a BCP 47 language tag (RFC 5646 sect. 2.1), for an interpreter's
 * booth (the token's lang claim), the floor's language and a listener's channel.
 *
 * Syntax only: "fr", "zh-Hans", "pt-BR", "es-419", "sr-Latn-RS", "de-CH-1901", "en-x-cart"
 * pass; whether a subtag is in IANA's registry is not checked (the registry changes, and
 * a meeting may well use a tag this machine's copy would not know). Tags are compared
 * case-insensitively by RFC 5646 sect. 2.1.1, so base_lang_canon also writes the tag in
 * its conventional case (language lower, script title, region upper): "FR" and "fr" are
 * one booth, one channel.
 */
#ifndef PLENARY_BASE_LANG_H
#define PLENARY_BASE_LANG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/attr.h"

/* The longest tag accepted, in bytes without the NUL: RFC 5646 sect. 4.4.1 asks for at
 * least 35 and calls longer tags rare. */
#define BASE_LANG_MAX 35

/* Whether tag (NUL-terminated) is a well-formed language tag of at most BASE_LANG_MAX
 * bytes: language (2-3 letters, or 5-8), then in order an optional script (4 letters),
 * region (2 letters or 3 digits), variants (5-8 alphanumerics, or a digit and 3), extensions
 * (a singleton other than x and subtags of 2-8), and a private use part (x and subtags of
 * 1-8); or a private use tag alone ("x-..."). */
bool base_lang_valid(const char *tag);

/* base_lang_valid, and the tag in its conventional case into out (cap >= BASE_LANG_MAX + 1).
 * False (out untouched) for an invalid tag. */
BASE_WUR bool base_lang_canon(const char *tag, char *out, size_t cap);

#endif
