/*
 * A room's sound between nodes as bytes (gateway/nats_media_wire.h): a stream frame, an
 * own mix and a mic packet go out and come back field for field; every malformed message is refused
 * with its reason, and a decoder never reads past what it was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gateway/nats_media_wire.h"

static const uint8_t opus[] = {0x78, 0x01, 0x02, 0x03, 0x04};

static struct media_frame a_frame(void)
{
	return (struct media_frame){.room = "r1",
				    .channel = 3,
				    .ssrc = 0xdeadbeef,
				    .seq = 65535,
				    .timestamp = 0x01020304,
				    .marker = true,
				    .opus = opus,
				    .len = sizeof opus};
}

static struct media_mic_frame a_mic(void)
{
	return (struct media_mic_frame){.room = "r1",
					.pid = "ana-42",
					.seq = 7,
					.timestamp = 960,
					.marker = false,
					.level = 30,
					.opus = opus,
					.len = sizeof opus};
}

static void a_frame_comes_back_as_sent(void **state)
{
	(void)state;
	uint8_t buf[GW_MEDIA_WIRE_MAX];
	struct media_frame f = a_frame();
	size_t n = gw_media_wire_frame(&f, buf, sizeof buf);
	assert_int_equal(n, GW_MEDIA_WIRE_HEAD + sizeof opus);
	struct media_frame back = {.room = "kept", .pid = "stale"};
	char pid[MEDIA_PID_MAX + 1];
	assert_int_equal(gw_media_wire_read_frame(buf, n, &back, pid), GW_MEDIA_WIRE_OK);
	assert_string_equal(back.room, "kept"); /* the subject's, not the bytes' */
	assert_null(back.pid);			/* the room's frame, for everyone */
	assert_int_equal(back.channel, 3);
	assert_int_equal(back.ssrc, 0xdeadbeef);
	assert_int_equal(back.seq, 65535);
	assert_int_equal(back.timestamp, 0x01020304);
	assert_true(back.marker);
	assert_int_equal(back.len, sizeof opus);
	assert_memory_equal(back.opus, opus, sizeof opus);
	assert_ptr_equal(back.opus, buf + GW_MEDIA_WIRE_HEAD); /* not copied */
}

static void an_own_mix_comes_back_with_its_pid(void **state)
{
	(void)state;
	uint8_t buf[GW_MEDIA_WIRE_MAX];
	struct media_frame f = a_frame();
	f.channel = 0;
	f.pid = "ana-42";
	size_t n = gw_media_wire_frame(&f, buf, sizeof buf);
	assert_int_equal(n, GW_MEDIA_WIRE_HEAD + strlen("ana-42") + sizeof opus);
	assert_int_equal(buf[0], 'O');
	struct media_frame back = {.room = "kept"};
	char pid[MEDIA_PID_MAX + 1];
	assert_int_equal(gw_media_wire_read_frame(buf, n, &back, pid), GW_MEDIA_WIRE_OK);
	assert_ptr_equal(back.pid, pid);
	assert_string_equal(back.pid, "ana-42");
	assert_int_equal(back.channel, 0);
	assert_int_equal(back.ssrc, 0xdeadbeef);
	assert_int_equal(back.seq, 65535);
	assert_int_equal(back.timestamp, 0x01020304);
	assert_int_equal(back.len, sizeof opus);
	assert_memory_equal(back.opus, opus, sizeof opus);
	/* Not a mic packet, though it names a participant. */
	struct media_mic_frame mback;
	assert_int_equal(gw_media_wire_read_mic(buf, n, &mback, pid), GW_MEDIA_WIRE_KIND);
	/* Own mixes are of the floor; an empty pid is no pid. */
	f.channel = 1;
	assert_int_equal(gw_media_wire_frame(&f, buf, sizeof buf), 0);
	f.channel = 0;
	f.pid = "";
	assert_int_equal(gw_media_wire_frame(&f, buf, sizeof buf), 0);
	/* Malformed: a channel, no pid, a NUL in the pid. */
	f.pid = "ana-42";
	n = gw_media_wire_frame(&f, buf, sizeof buf);
	uint8_t bad[GW_MEDIA_WIRE_MAX];
	memcpy(bad, buf, n);
	bad[1] = 1;
	assert_int_equal(gw_media_wire_read_frame(bad, n, &back, pid), GW_MEDIA_WIRE_FIELD);
	memcpy(bad, buf, n);
	bad[3] = 0;
	assert_int_equal(gw_media_wire_read_frame(bad, n, &back, pid), GW_MEDIA_WIRE_FIELD);
	memcpy(bad, buf, n);
	bad[GW_MEDIA_WIRE_HEAD] = '\0';
	assert_int_equal(gw_media_wire_read_frame(bad, n, &back, pid), GW_MEDIA_WIRE_PID);
}

static void a_mic_comes_back_as_sent(void **state)
{
	(void)state;
	uint8_t buf[GW_MEDIA_WIRE_MAX];
	struct media_mic_frame f = a_mic();
	size_t n = gw_media_wire_mic(&f, buf, sizeof buf);
	assert_int_equal(n, GW_MEDIA_WIRE_HEAD + strlen("ana-42") + sizeof opus);
	struct media_mic_frame back = {0};
	char pid[MEDIA_PID_MAX + 1];
	assert_int_equal(gw_media_wire_read_mic(buf, n, &back, pid), GW_MEDIA_WIRE_OK);
	assert_string_equal(back.pid, "ana-42");
	assert_ptr_equal(back.pid, pid);
	assert_int_equal(back.seq, 7);
	assert_int_equal(back.timestamp, 960);
	assert_false(back.marker);
	assert_int_equal(back.level, 30);
	assert_memory_equal(back.opus, opus, sizeof opus);
	/* An unknown level travels as unknown. */
	f.level = -1;
	n = gw_media_wire_mic(&f, buf, sizeof buf);
	assert_int_equal(gw_media_wire_read_mic(buf, n, &back, pid), GW_MEDIA_WIRE_OK);
	assert_int_equal(back.level, -1);
}

static void what_does_not_fit_is_not_written(void **state)
{
	(void)state;
	uint8_t buf[GW_MEDIA_WIRE_MAX];
	struct media_frame f = a_frame();
	f.channel = 2 * MEDIA_CHANNELS + 1;
	assert_int_equal(gw_media_wire_frame(&f, buf, sizeof buf), 0);
	f = a_frame();
	f.len = 0;
	assert_int_equal(gw_media_wire_frame(&f, buf, sizeof buf), 0);
	f = a_frame();
	assert_int_equal(gw_media_wire_frame(&f, buf, GW_MEDIA_WIRE_HEAD + 2), 0); /* too small */
	struct media_mic_frame m = a_mic();
	m.pid = "";
	assert_int_equal(gw_media_wire_mic(&m, buf, sizeof buf), 0);
	char long_pid[MEDIA_PID_MAX + 2];
	memset(long_pid, 'p', sizeof long_pid - 1);
	long_pid[sizeof long_pid - 1] = '\0';
	m = a_mic();
	m.pid = long_pid;
	assert_int_equal(gw_media_wire_mic(&m, buf, sizeof buf), 0);
	m = a_mic();
	m.level = 128;
	assert_int_equal(gw_media_wire_mic(&m, buf, sizeof buf), 0);
}

static void malformed_messages_are_refused_with_their_reason(void **state)
{
	(void)state;
	uint8_t buf[GW_MEDIA_WIRE_MAX];
	struct media_frame f = a_frame(), back;
	size_t n = gw_media_wire_frame(&f, buf, sizeof buf);
	char pid[MEDIA_PID_MAX + 1];
	struct media_mic_frame mback;

	assert_int_equal(gw_media_wire_read_frame(buf, GW_MEDIA_WIRE_HEAD, &back, pid),
			 GW_MEDIA_WIRE_SHORT); /* no Opus byte */
	assert_int_equal(gw_media_wire_read_frame(NULL, 0, &back, pid), GW_MEDIA_WIRE_SHORT);
	assert_int_equal(gw_media_wire_read_mic(buf, n, &mback, pid), GW_MEDIA_WIRE_KIND);
	uint8_t bad[GW_MEDIA_WIRE_MAX];
	memcpy(bad, buf, n);
	bad[1] = 2 * MEDIA_CHANNELS + 1;
	assert_int_equal(gw_media_wire_read_frame(bad, n, &back, pid), GW_MEDIA_WIRE_FIELD);
	memcpy(bad, buf, n);
	bad[2] = 0x80; /* an unknown flag */
	assert_int_equal(gw_media_wire_read_frame(bad, n, &back, pid), GW_MEDIA_WIRE_FIELD);
	memcpy(bad, buf, n);
	bad[3] = 2; /* a pid on a stream frame */
	assert_int_equal(gw_media_wire_read_frame(bad, n, &back, pid), GW_MEDIA_WIRE_FIELD);
	/* More Opus than a packet can hold. */
	uint8_t big[GW_MEDIA_WIRE_HEAD + MEDIA_FRAME_MAX + 1] = {0};
	memcpy(big, buf, GW_MEDIA_WIRE_HEAD);
	assert_int_equal(gw_media_wire_read_frame(big, sizeof big, &back, pid),
			 GW_MEDIA_WIRE_PAYLOAD);
	assert_int_equal(gw_media_wire_read_frame(big, sizeof big - 1, &back, pid),
			 GW_MEDIA_WIRE_OK);

	struct media_mic_frame m = a_mic();
	n = gw_media_wire_mic(&m, buf, sizeof buf);
	memcpy(bad, buf, n);
	bad[GW_MEDIA_WIRE_HEAD + 1] = '\0';
	assert_int_equal(gw_media_wire_read_mic(bad, n, &mback, pid), GW_MEDIA_WIRE_PID);
	memcpy(bad, buf, n);
	bad[1] = 200; /* neither a level nor "unknown" */
	assert_int_equal(gw_media_wire_read_mic(bad, n, &mback, pid), GW_MEDIA_WIRE_FIELD);
	memcpy(bad, buf, n);
	bad[3] = 0; /* no pid */
	assert_int_equal(gw_media_wire_read_mic(bad, n, &mback, pid), GW_MEDIA_WIRE_FIELD);
	memcpy(bad, buf, n);
	bad[3] = (uint8_t)(n - GW_MEDIA_WIRE_HEAD); /* the pid eats the payload */
	assert_int_equal(gw_media_wire_read_mic(bad, n, &mback, pid), GW_MEDIA_WIRE_SHORT);
	memcpy(bad, buf, n);
	bad[13] = 1; /* an SSRC on a mic packet */
	assert_int_equal(gw_media_wire_read_mic(bad, n, &mback, pid), GW_MEDIA_WIRE_FIELD);
	for (int e = GW_MEDIA_WIRE_OK; e <= GW_MEDIA_WIRE_PAYLOAD; e++)
		assert_non_null(gw_media_wire_strerror((enum gw_media_wire_err)e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_frame_comes_back_as_sent),
	    cmocka_unit_test(an_own_mix_comes_back_with_its_pid),
	    cmocka_unit_test(a_mic_comes_back_as_sent),
	    cmocka_unit_test(what_does_not_fit_is_not_written),
	    cmocka_unit_test(malformed_messages_are_refused_with_their_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
