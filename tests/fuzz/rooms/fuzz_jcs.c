/*
 * fuzz_jcs -- RFC 8785 serialisation of whatever jansson can parse (rooms/jcs.c).
 *
 * Canonical form must be a fixed point: parse arbitrary bytes, serialise canonically,
 * parse that, serialise again, and the two outputs must be byte-identical. Anything jcs
 * refuses must be something the log refuses on purpose (a real or an unsafe integer);
 * invalid UTF-8 or excess depth cannot come out of jansson's parser, so either would be a
 * disagreement between the two and is a failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooms/log.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *v = json_loadb((const char *)data, size, flags, &jerr);
	if (!v)
		return 0;
	char *first = NULL, *second = NULL;
	size_t first_len = 0, second_len = 0;
	enum log_err err = jcs_serialize(v, &first, &first_len);
	json_decref(v);
	if (err == LOG_EREAL || err == LOG_ENOMEM)
		return 0;
	CHECK(err == LOG_OK);
	CHECK(strlen(first) == first_len); /* NULs are escaped, never raw */
	for (size_t i = 0; i < first_len; i++)
		CHECK((unsigned char)first[i] >= 0x20); /* so are all controls */

	json_t *again = json_loadb(first, first_len, flags | JSON_REJECT_DUPLICATES, &jerr);
	CHECK(again != NULL);
	CHECK(jcs_serialize(again, &second, &second_len) == LOG_OK);
	json_decref(again);
	CHECK(second_len == first_len && memcmp(first, second, first_len) == 0);
	free(first);
	free(second);
	return 0;
}
