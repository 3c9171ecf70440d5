/* Unit tests for base/lang.h: the tags a meeting uses pass (language, script, region,
 * variants, extensions, private use), tags out of RFC 5646's order or with a bad subtag
 * fail, the length bound holds, and the conventional case is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/lang.h"

static void good_tags(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "fr",
	    "es",
	    "zh-Hans",
	    "pt-BR",
	    "es-419",
	    "sr-Latn-RS",
	    "de-CH-1901",
	    "en-x-cart",
	    "x-whistled",
	    "ase",
	    "EN",
	    "zh-hans-cn",
	    "en-a-bbb-x-c",
	    "sl-rozaj-biske",
	    "en-US-u-islamcal",
	    "hy-Latn-IT-arevela",
	    "abcde",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(base_lang_valid(good[i]));
}

static void bad_tags(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",		 "f",	     "-",     "fr-",	      "-fr",  "fr--FR",
	    "abcd",	 "fr_FR",    "fr FR", "fr-FR-Latn",   "en-a", "en-x",
	    "en-a-x-b",	 "a-bc",     "123",   "fr-ABCDEFGHI", "été",  "fr-1",
	    "abcdefghi", "en-US-US",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(base_lang_valid(bad[i]));
	assert_false(base_lang_valid(NULL));
}

static void length_bound(void **state)
{
	(void)state;
	char tag[64] = "en-x";
	while (strlen(tag) + 9 <= BASE_LANG_MAX)
		strcat(tag, "-abcdefgh");
	assert_true(base_lang_valid(tag));
	while (strlen(tag) <= BASE_LANG_MAX)
		strcat(tag, "-a");
	assert_false(base_lang_valid(tag));
}

static void canonical_case(void **state)
{
	(void)state;
	char out[BASE_LANG_MAX + 1];
	assert_true(base_lang_canon("ZH-hans-cn", out, sizeof out));
	assert_string_equal(out, "zh-Hans-CN");
	assert_true(base_lang_canon("PT-br", out, sizeof out));
	assert_string_equal(out, "pt-BR");
	assert_true(base_lang_canon("FR", out, sizeof out));
	assert_string_equal(out, "fr");
	assert_true(base_lang_canon("en-A-BBB-X-CC", out, sizeof out));
	assert_string_equal(out, "en-a-bbb-x-cc");
	strcpy(out, "keep");
	assert_false(base_lang_canon("fr_FR", out, sizeof out));
	assert_string_equal(out, "keep");
	assert_false(base_lang_canon("pt-BR", out, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_tags),
	    cmocka_unit_test(bad_tags),
	    cmocka_unit_test(length_bound),
	    cmocka_unit_test(canonical_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
