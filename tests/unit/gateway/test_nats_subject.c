/*
 * The JetStream log's naming (gateway/nats_log.h): one subject per room, and only for a
 * valid room id, so no id can name a wildcard or another room's subject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"

static void subject_of_a_room(void **state)
{
	(void)state;
	char out[GW_NATS_SUBJECT_MAX];
	assert_true(gw_nats_subject("plenary-1", out, sizeof out));
	assert_string_equal(out, "plenary.room.plenary-1.log");
	char id[65];
	memset(id, 'a', 64);
	id[64] = '\0';
	assert_true(gw_nats_subject(id, out, sizeof out)); /* the longest id fits */
	assert_int_equal(strlen(out), strlen("plenary.room.") + 64 + strlen(".log"));
}

static void no_subject_for_what_is_not_a_room_id(void **state)
{
	(void)state;
	char out[GW_NATS_SUBJECT_MAX];
	const char *bad[] = {"", "a.b", "*", ">", "a*", "Room", "a b", NULL};
	for (int i = 0; bad[i]; i++)
		assert_false(gw_nats_subject(bad[i], out, sizeof out));
	char small[8];
	assert_false(gw_nats_subject("plenary-1", small, sizeof small));
}

/* Back from a stream's subject to its room, as the readers of the stream list rooms. */
static void room_of_a_subject(void **state)
{
	(void)state;
	char id[65], out[GW_NATS_SUBJECT_MAX];
	assert_true(gw_nats_subject_room("plenary.room.plenary-1.log", id, sizeof id));
	assert_string_equal(id, "plenary-1");
	memset(id, 'a', 64);
	id[64] = '\0';
	assert_true(gw_nats_subject(id, out, sizeof out));
	assert_true(gw_nats_subject_room(out, id, sizeof id)); /* the longest id comes back */
	assert_int_equal(strlen(id), 64);
	const char *bad[] = {"plenary.room..log",
			     "plenary.room.a.cmd",
			     "plenary.room.A.log",
			     "other.room.a.log",
			     "plenary.room.a.b.log",
			     "plenary.room.a",
			     "plenary.room.a.log.x",
			     "",
			     NULL};
	for (int i = 0; bad[i]; i++)
		assert_false(gw_nats_subject_room(bad[i], id, sizeof id));
	char small[4];
	assert_false(gw_nats_subject_room("plenary.room.plenary-1.log", small, sizeof small));
}

static void urls_are_logged_without_passwords(void **state)
{
	(void)state;
	char out[256];
	gw_nats_redact("nats://a:4222,tls://user:s3cret@b.example:4222,nats://tok@c:1", out,
		       sizeof out);
	assert_string_equal(out, "nats://a:4222,tls://***@b.example:4222,nats://***@c:1");
	gw_nats_redact("", out, sizeof out);
	assert_string_equal(out, "");
	char small[12];
	gw_nats_redact("nats://user:pw@host:4222", small, sizeof small);
	assert_null(strstr(small, "pw")); /* cut short, never the password */
	assert_true(strlen(small) < sizeof small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(urls_are_logged_without_passwords),
	    cmocka_unit_test(subject_of_a_room),
	    cmocka_unit_test(no_subject_for_what_is_not_a_room_id),
	    cmocka_unit_test(room_of_a_subject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
