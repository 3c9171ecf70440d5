/*
 * The messages edges and owners exchange (gateway/nats_cmd_msg.h): a request and a reply
 * survive encoding whole, and what is not exactly a request -- the owner reads these from
 * the network -- is refused with a reason and leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gateway/nats_cmd_msg.h"

static struct gw_fwd_req sample(enum gw_fwd_op op)
{
	struct gw_fwd_req r = {
	    .op = op, .conn = 42, .role = ROOM_ROLE_INTERPRETER, .in_room = true};
	strcpy(r.node, "edge-0a1b2c3d");
	strcpy(r.room, "plenary-1");
	strcpy(r.pid, "p-ana");
	strcpy(r.name, "Ana \"A\" Ñúñez");
	strcpy(r.group, "ietf");
	strcpy(r.lang, "fr");
	if (op == GW_FWD_CMD)
		r.cmd = json_pack("{s:s,s:i,s:s}", "type", "caption", "id", 7, "text", "hi");
	return r;
}

static void a_request_round_trips(void **state)
{
	(void)state;
	for (int op = GW_FWD_JOIN; op <= GW_FWD_CMD; op++) {
		struct gw_fwd_req r = sample((enum gw_fwd_op)op), back;
		size_t len = 0;
		char *text = gw_fwd_req_encode(&r, &len);
		assert_non_null(text);
		assert_int_equal(len, strlen(text));
		char err[128];
		assert_true(gw_fwd_req_parse(text, len, &back, err, sizeof err));
		assert_int_equal(back.op, op);
		assert_string_equal(back.node, r.node);
		assert_int_equal(back.conn, 42);
		assert_string_equal(back.room, r.room);
		assert_string_equal(back.pid, r.pid);
		assert_string_equal(back.name, r.name);
		assert_string_equal(back.group, r.group);
		assert_string_equal(back.lang, "fr");
		assert_int_equal(back.role, ROOM_ROLE_INTERPRETER);
		assert_true(back.in_room);
		if (op == GW_FWD_CMD)
			assert_true(json_equal(back.cmd, r.cmd));
		else
			assert_null(back.cmd);
		free(text);
		gw_fwd_req_clear(&r);
		gw_fwd_req_clear(&back);
	}
}

static void what_is_not_a_request_is_refused(void **state)
{
	(void)state;
	const char *who = "\"who\":{\"pid\":\"p\",\"name\":\"n\",\"role\":\"participant\","
			  "\"group\":\"\",\"location\":\"remote\"}";
	char good[512];
	snprintf(good, sizeof good,
		 "{\"v\":1,\"op\":\"join\",\"node\":\"e-1\",\"conn\":1,\"room\":\"r\",%s}", who);
	struct gw_fwd_req out;
	char err[128];
	assert_true(gw_fwd_req_parse(good, strlen(good), &out, err, sizeof err));
	gw_fwd_req_clear(&out);
	const char *bad[] = {
	    "",
	    "[]",
	    "{\"v\":2,\"op\":\"join\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",%s}",
	    "{\"v\":1,\"op\":\"jump\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",%s}",
	    "{\"v\":1,\"op\":\"join\",\"node\":\"E.*\",\"conn\":1,\"room\":\"r\",%s}",
	    "{\"v\":1,\"op\":\"join\",\"node\":\"e\",\"conn\":-1,\"room\":\"r\",%s}",
	    "{\"v\":1,\"op\":\"join\",\"node\":\"e\",\"conn\":1,\"room\":\"a.b\",%s}",
	    "{\"v\":1,\"op\":\"cmd\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",%s}",
	    "{\"v\":1,\"op\":\"join\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",%s,\"cmd\":{"
	    "\"type\":"
	    "\"queue.raise\"}}",
	    "{\"v\":1,\"op\":\"cmd\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",%s,\"cmd\":{\"type\":"
	    "\"join\"}}",
	    "{\"v\":1,\"op\":\"cmd\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",%s,\"cmd\":[1]}",
	    "{\"v\":1,\"op\":\"join\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",\"who\":{\"pid\":"
	    "\"\","
	    "\"name\":\"n\",\"role\":\"participant\",\"group\":\"\",\"location\":\"remote\"}}",
	    "{\"v\":1,\"op\":\"join\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",\"who\":{\"pid\":"
	    "\"p\","
	    "\"name\":\"n\",\"role\":\"king\",\"group\":\"\",\"location\":\"remote\"}}",
	    "{\"v\":1,\"op\":\"join\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",\"who\":{\"pid\":"
	    "\"p\","
	    "\"name\":\"n\",\"role\":\"chair\",\"group\":\"\",\"location\":\"moon\"}}",
	    NULL};
	for (int i = 0; bad[i]; i++) {
		char text[1024];
		snprintf(text, sizeof text, bad[i], who);
		err[0] = '\0';
		assert_false(gw_fwd_req_parse(text, strlen(text), &out, err, sizeof err));
		assert_true(err[0] != '\0');
		assert_null(out.cmd);
		assert_string_equal(out.pid, "");
	}
	char long_pid[400] =
	    "{\"v\":1,\"op\":\"join\",\"node\":\"e\",\"conn\":1,\"room\":\"r\",\"who\":{"
	    "\"pid\":\"";
	size_t n = strlen(long_pid);
	memset(long_pid + n, 'x', GW_PID_MAX);
	strcpy(long_pid + n + GW_PID_MAX,
	       "\",\"name\":\"n\",\"role\":\"chair\",\"group\":\"\",\"location\":\"room\"}}");
	assert_false(gw_fwd_req_parse(long_pid, strlen(long_pid), &out, err, sizeof err));
}

static void a_reply_round_trips(void **state)
{
	(void)state;
	struct gw_fwd_reply ok = {.err = ROOM_OK, .head = 17, .mic = true};
	ok.result = json_pack("{s:i}", "hum", 3);
	ok.mine = json_pack("{s:{s:i}}", "cast", "hum", 3);
	size_t len;
	char *text = gw_fwd_reply_encode(&ok, &len);
	struct gw_fwd_reply back;
	assert_true(gw_fwd_reply_parse(text, len, &back));
	assert_int_equal(back.err, ROOM_OK);
	assert_int_equal(back.head, 17);
	assert_true(back.mic);
	assert_true(json_equal(back.result, ok.result));
	assert_true(json_equal(back.mine, ok.mine));
	free(text);
	gw_fwd_reply_clear(&back);
	gw_fwd_reply_clear(&ok);

	for (int e = ROOM_EBAD_REQUEST; e <= ROOM_EINTERNAL; e++) {
		struct gw_fwd_reply bad = {.err = (enum room_err)e, .head = 5};
		strcpy(bad.message, "why");
		text = gw_fwd_reply_encode(&bad, &len);
		assert_true(gw_fwd_reply_parse(text, len, &back));
		assert_int_equal(back.err, e);
		assert_string_equal(back.message, "why");
		assert_null(back.result);
		free(text);
		gw_fwd_reply_clear(&back);
	}
	assert_false(gw_fwd_reply_parse("{\"ok\":true}", 11, &back));
	assert_false(gw_fwd_reply_parse("{\"ok\":true,\"head\":1,\"result\":[]}", 32, &back));
	assert_null(back.result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_request_round_trips),
	    cmocka_unit_test(what_is_not_a_request_is_refused),
	    cmocka_unit_test(a_reply_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
