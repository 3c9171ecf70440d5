/*
 * gw_msg_from_json_with: an object serialised with one member of ready-made JSON text
 * appended (a join ack's snapshot, written without jansson).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "gateway/msg.h"

static void appended_last(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:s,s:i}", "type", "ack", "id", 7);
	const char raw[] = "{\"a\":[1,\"x\"]}";
	struct gw_msg *m = gw_msg_from_json_with(v, "state", raw, strlen(raw));
	assert_non_null(m);
	assert_string_equal((const char *)m->payload,
			    "{\"type\":\"ack\",\"id\":7,\"state\":{\"a\":[1,\"x\"]}}");
	assert_int_equal(m->len, strlen((const char *)m->payload));
	assert_int_equal(m->close_code, 0);
	gw_msg_unref(m);
	json_decref(v);
}

static void into_an_empty_object(void **state)
{
	(void)state;
	json_t *v = json_object();
	struct gw_msg *m = gw_msg_from_json_with(v, "state", "null", 4);
	assert_non_null(m);
	assert_string_equal((const char *)m->payload, "{\"state\":null}");
	gw_msg_unref(m);
	json_decref(v);
}

static void not_an_object(void **state)
{
	(void)state;
	json_t *v = json_pack("[i]", 1);
	assert_null(gw_msg_from_json_with(v, "state", "1", 1));
	assert_null(gw_msg_from_json_with(NULL, "state", "1", 1));
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(appended_last),
	    cmocka_unit_test(into_an_empty_object),
	    cmocka_unit_test(not_an_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
