/*
 * Unit tests of rooms/jcs.c: RFC 8785 canonical JSON as the room log hashes it.
 *
 * The expected outputs are RFC 8785's own examples where it has one (sections 3.2.2.2,
 * 3.2.3 and 3.2.4), minus the real numbers, which the log refuses on purpose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rooms/log.h"

/* Serialises v (taking ownership) and returns the output, or NULL with *err set. */
static char *jcs_of(json_t *v, enum log_err *err)
{
	char *out = NULL;
	size_t len = 0;
	*err = jcs_serialize(v, &out, &len);
	if (!*err)
		assert_int_equal(strlen(out), len);
	json_decref(v);
	return out;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v)
		fail_msg("test input does not parse: %s", jerr.text);
	return v;
}

static void assert_jcs(const char *input, const char *expected)
{
	enum log_err err;
	char *out = jcs_of(parse(input), &err);
	assert_int_equal(err, LOG_OK);
	assert_string_equal(out, expected);
	free(out);
}

static void assert_jcs_fails(json_t *v, enum log_err expected)
{
	enum log_err err;
	char *out = jcs_of(v, &err);
	assert_int_equal(err, expected);
	assert_null(out);
}

/* RFC 8785 section 3.2.3: the sorting example. U+1F600 (a surrogate pair in UTF-16) sorts
 * before U+FB33 although its UTF-8 bytes (F0..) are greater than U+FB33's (EF..). */
static void test_rfc8785_sorting(void **state)
{
	(void)state;
	assert_jcs("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\","
		   " \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\","
		   " \"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\","
		   " \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}",
		   "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
		   "\"\xc2\x80\":\"Control\","
		   "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		   "\"\xe2\x82\xac\":\"Euro Sign\","
		   "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		   "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* Where UTF-16 order and byte order disagree: U+E000..U+FFFF against U+10000 and up. */
static void test_utf16_order_not_byte_order(void **state)
{
	(void)state;
	assert_jcs("{\"\\ue000\":1,\"\\ud800\\udc00\":2,\"\\ud7ff\":3,\"\\uffff\":4}",
		   "{\"\xed\x9f\xbf\":3,\"\xf0\x90\x80\x80\":2,\"\xee\x80\x80\":1,"
		   "\"\xef\xbf\xbf\":4}");
	/* A prefix sorts first; the empty name before everything. */
	assert_jcs("{\"b\":1,\"aa\":2,\"a\":3,\"\":4}", "{\"\":4,\"a\":3,\"aa\":2,\"b\":1}");
}

/* RFC 8785 section 3.2.4's example without its "numbers" member. */
static void test_rfc8785_strings_and_literals(void **state)
{
	(void)state;
	assert_jcs("{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
		   " \"literals\": [null, true, false]}",
		   "{\"literals\":[null,true,false],"
		   "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* Section 3.2.2.2: the five short escapes, \u00xx in lowercase for the other controls, and
 * nothing else escaped: not DEL, not U+2028, not '/'. */
static void test_string_escaping(void **state)
{
	(void)state;
	char raw[40];
	size_t n = 0;
	for (int c = 1; c < 0x20; c++)
		raw[n++] = (char)c;
	raw[n++] = 0x7f;
	enum log_err err;
	char *out = jcs_of(json_stringn(raw, n), &err);
	assert_int_equal(err, LOG_OK);
	assert_string_equal(out, "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n"
				 "\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014"
				 "\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d"
				 "\\u001e\\u001f\x7f\"");
	free(out);
	out = jcs_of(json_stringn("a\0b", 3), &err);
	assert_int_equal(err, LOG_OK);
	assert_string_equal(out, "\"a\\u0000b\"");
	free(out);
	assert_jcs("\"\\u2028/\\u00e9\"", "\"\xe2\x80\xa8/\xc3\xa9\"");
	assert_jcs("{\"k\\\"\\n\":\"v\"}", "{\"k\\\"\\n\":\"v\"}");
}

static void test_nesting(void **state)
{
	(void)state;
	assert_jcs("{ \"b\" : [ { \"z\" : 1 , \"a\" : { \"y\" : [ ] , \"x\" : { } } } ] ,"
		   " \"a\" : \"s\" }",
		   "{\"a\":\"s\",\"b\":[{\"a\":{\"x\":{},\"y\":[]},\"z\":1}]}");
	assert_jcs("[]", "[]");
	assert_jcs("{}", "{}");
	assert_jcs("\"\"", "\"\"");
	assert_jcs("[null,true,false,\"x\",[1,[2,[3]]]]", "[null,true,false,\"x\",[1,[2,[3]]]]");
}

static void test_integers(void **state)
{
	(void)state;
	assert_jcs("[0,-0,1,-1,100,9007199254740991,-9007199254740991]",
		   "[0,0,1,-1,100,9007199254740991,-9007199254740991]");
	assert_jcs_fails(json_integer(9007199254740992LL), LOG_EREAL);
	assert_jcs_fails(json_integer(-9007199254740992LL), LOG_EREAL);
	assert_jcs_fails(json_integer(INT64_MIN), LOG_EREAL);
}

/* Section 3.2.4's numbers are all reals: the log refuses every one, even 4.50 and 1E30,
 * and even 1.0, which is an integer in value but a real to jansson. */
static void test_reals_rejected(void **state)
{
	(void)state;
	static const char *const reals[] = {"333333333.33333329",
					    "1E30",
					    "4.50",
					    "2e-3",
					    "0.000000000000000000000000001",
					    "1.0",
					    "-0.0"};
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
		char doc[96];
		snprintf(doc, sizeof doc, "{\"a\":[1,{\"b\":%s}]}", reals[i]);
		assert_jcs_fails(parse(doc), LOG_EREAL);
	}
}

static void test_invalid_utf8_rejected(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "\xff",		/* never valid */
	    "\xc3\x28",		/* bad continuation */
	    "\xc0\xaf",		/* overlong '/' */
	    "\xe0\x80\xaf",	/* overlong, three bytes */
	    "\xed\xa0\x80",	/* a UTF-16 surrogate, U+D800 */
	    "\xf4\x90\x80\x80", /* above U+10FFFF */
	    "\xe2\x82",		/* truncated */
	    "ok\x80",		/* a lone continuation byte */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_jcs_fails(json_string_nocheck(bad[i]), LOG_EUTF8);
		json_t *o = json_object();
		json_object_set_new_nocheck(o, bad[i], json_true());
		assert_jcs_fails(o, LOG_EUTF8);
	}
	/* The edges that are valid. */
	assert_jcs("\"\\u0080\\u07ff\\u0800\\ud7ff\\ue000\\uffff\\ud800\\udc00\\udbff\\udfff\"",
		   "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
		   "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
}

static json_t *nested_arrays(int depth)
{
	json_t *v = json_array();
	for (int i = 1; i < depth; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, v);
		v = outer;
	}
	return v;
}

/* As deep as jansson's parser goes and no deeper, so whatever jcs writes can be read. */
static void test_depth_limit(void **state)
{
	(void)state;
	enum log_err err;
	char *out = jcs_of(nested_arrays(JCS_DEPTH_MAX), &err);
	assert_int_equal(err, LOG_OK);
	json_error_t jerr;
	json_t *back = json_loads(out, 0, &jerr);
	assert_non_null(back);
	json_decref(back);
	free(out);
	assert_jcs_fails(nested_arrays(JCS_DEPTH_MAX + 1), LOG_ETOOBIG);
	assert_int_equal(jcs_serialize(NULL, &out, NULL), LOG_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc8785_sorting),
	    cmocka_unit_test(test_utf16_order_not_byte_order),
	    cmocka_unit_test(test_rfc8785_strings_and_literals),
	    cmocka_unit_test(test_string_escaping),
	    cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_reals_rejected),
	    cmocka_unit_test(test_invalid_utf8_rejected),
	    cmocka_unit_test(test_depth_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
