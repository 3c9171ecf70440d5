/*
 * fuzz_lang -- the language tag check (base/lang.c), which reads the lang claim of any
 * token and the lang of floor.lang, interp.take and media.channel. An input is one tag
 * (cut at its first NUL). A tag that passes must come back from base_lang_canon the same
 * length, still valid, and unchanged by a second canonicalisation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tag[64];
	size_t n = size < sizeof tag - 1 ? size : sizeof tag - 1;
	memcpy(tag, data, n);
	tag[n] = '\0';
	char out[BASE_LANG_MAX + 1], again[BASE_LANG_MAX + 1];
	if (!base_lang_valid(tag)) {
		if (base_lang_canon(tag, out, sizeof out))
			abort();
		return 0;
	}
	if (!base_lang_canon(tag, out, sizeof out) || strlen(out) != strlen(tag) ||
	    !base_lang_valid(out) || !base_lang_canon(out, again, sizeof again) ||
	    strcmp(out, again) != 0)
		abort();
	return 0;
}
