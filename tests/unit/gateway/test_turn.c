/* TURN REST credentials (gateway/turn.c) against vectors computed outside this project:
 *
 *   printf '%s' '1700000600:ana' | openssl dgst -sha1 -hmac north -binary | base64
 *
 * (and the same with Python's hmac module), and the join ack's ice_servers built from
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/turn.h"

static void credential_vectors(void **state)
{
	(void)state;
	char out[GW_TURN_CREDENTIAL_LEN + 1];
	/* coturn's example secret ("north", /etc/turnserver.conf). */
	assert_true(gw_turn_credential("north", "1700000600:ana", out));
	assert_string_equal(out, "CUniVFvDjgPnZ3VOzvcSzL4PGY4=");
	/* A key longer than SHA-1's 64-byte block, which HMAC hashes first. */
	const char *long_key =
	    "a much longer shared secret, 64 bytes or more, which HMAC hashes first!!";
	assert_true(strlen(long_key) > 64);
	assert_true(gw_turn_credential(long_key, "1700000600:obs-0123456789abcdef", out));
	assert_string_equal(out, "yBZ3GuBtHQjgUd7h26Wg1K7sxh8=");
	/* One character of the username changes the credential. */
	assert_true(gw_turn_credential("north", "1700000601:ana", out));
	assert_string_not_equal(out, "CUniVFvDjgPnZ3VOzvcSzL4PGY4=");
}

static void ice_servers(void **state)
{
	(void)state;
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	assert_null(gw_turn_ice_servers(&cfg, "ana", 1700000000)); /* no TURN: no field */
	cfg.n_turn = 2;
	snprintf(cfg.turn[0].urls[0], sizeof cfg.turn[0].urls[0], "turn:h:3478?transport=udp");
	snprintf(cfg.turn[0].urls[1], sizeof cfg.turn[0].urls[1], "turns:h:5349?transport=tcp");
	cfg.turn[0].n_urls = 2;
	snprintf(cfg.turn[0].secret, sizeof cfg.turn[0].secret, "north");
	cfg.turn[0].ttl_s = 600;
	snprintf(cfg.turn[1].urls[0], sizeof cfg.turn[1].urls[0], "stun:s");
	cfg.turn[1].n_urls = 1;
	snprintf(cfg.turn[1].secret, sizeof cfg.turn[1].secret, "other");
	cfg.turn[1].ttl_s = 60;

	json_t *servers = gw_turn_ice_servers(&cfg, "ana", 1700000000);
	assert_non_null(servers);
	assert_int_equal(json_array_size(servers), 2);
	json_t *first = json_array_get(servers, 0);
	assert_int_equal(json_object_size(first), 3); /* urls, username, credential: no secret */
	assert_string_equal(json_string_value(json_object_get(first, "username")),
			    "1700000600:ana");
	assert_string_equal(json_string_value(json_object_get(first, "credential")),
			    "CUniVFvDjgPnZ3VOzvcSzL4PGY4=");
	json_t *urls = json_object_get(first, "urls");
	assert_int_equal(json_array_size(urls), 2);
	assert_string_equal(json_string_value(json_array_get(urls, 1)),
			    "turns:h:5349?transport=tcp");
	json_t *second = json_array_get(servers, 1);
	assert_string_equal(json_string_value(json_object_get(second, "username")),
			    "1700000060:ana");
	char *text = json_dumps(servers, 0);
	assert_null(strstr(text, "north"));
	assert_null(strstr(text, "other"));
	free(text);
	json_decref(servers);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(credential_vectors),
	    cmocka_unit_test(ice_servers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
