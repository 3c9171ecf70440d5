/* Unit tests for media/wire/demux.c: RFC 7983 first-byte ranges at every boundary, and the
 * RFC 5761 RTP/RTCP split with and without the marker bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "media/wire/demux.h"

static enum demux_kind classify2(uint8_t b0, uint8_t b1)
{
	uint8_t buf[2] = {b0, b1};
	return demux_classify(buf, sizeof buf);
}

static void test_empty(void **state)
{
	(void)state;
	assert_int_equal(demux_classify(NULL, 0), DEMUX_UNKNOWN);
	uint8_t one = 0;
	assert_int_equal(demux_classify(&one, 0), DEMUX_UNKNOWN);
	assert_int_equal(demux_classify(NULL, 5), DEMUX_UNKNOWN);
}

static void test_first_byte_ranges(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 256; b++) {
		enum demux_kind want = DEMUX_UNKNOWN;
		if (b <= 3)
			want = DEMUX_STUN;
		else if (b >= 20 && b <= 63)
			want = DEMUX_DTLS;
		else if (b >= 128 && b <= 191)
			want = DEMUX_RTP; /* second byte 0 = PT 0 (PCMU) */
		assert_int_equal(classify2((uint8_t)b, 0), want);
	}
}

static void test_zrtp_and_turn_channel_unknown(void **state)
{
	(void)state;
	assert_int_equal(classify2(16, 0), DEMUX_UNKNOWN);
	assert_int_equal(classify2(19, 0), DEMUX_UNKNOWN);
	assert_int_equal(classify2(64, 0), DEMUX_UNKNOWN);
	assert_int_equal(classify2(79, 0), DEMUX_UNKNOWN);
	assert_int_equal(classify2(255, 0), DEMUX_UNKNOWN);
}

static void test_rtp_vs_rtcp(void **state)
{
	(void)state;
	/* RTCP packet types: SR 200, RR 201, SDES 202, BYE 203, APP 204, RTPFB 205, PSFB 206. */
	for (unsigned pt = 192; pt <= 223; pt++)
		assert_int_equal(classify2(0x80, (uint8_t)pt), DEMUX_RTCP);
	/* Payload types 64..95 without the marker are the other half of the same range. */
	assert_int_equal(classify2(0x80, 64), DEMUX_RTCP);
	assert_int_equal(classify2(0x80, 95), DEMUX_RTCP);
	/* Opus on 111, with and without the marker; boundaries 63 and 96. */
	assert_int_equal(classify2(0x80, 111), DEMUX_RTP);
	assert_int_equal(classify2(0x80, 0x80 | 111), DEMUX_RTP);
	assert_int_equal(classify2(0x80, 63), DEMUX_RTP);
	assert_int_equal(classify2(0x80, 0x80 | 63), DEMUX_RTP);
	assert_int_equal(classify2(0x80, 96), DEMUX_RTP);
	assert_int_equal(classify2(0x80, 0x80 | 96), DEMUX_RTP);
	/* One byte cannot be split. */
	uint8_t b = 0x80;
	assert_int_equal(demux_classify(&b, 1), DEMUX_UNKNOWN);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(demux_kind_name(DEMUX_STUN), "stun");
	assert_string_equal(demux_kind_name(DEMUX_DTLS), "dtls");
	assert_string_equal(demux_kind_name(DEMUX_RTP), "rtp");
	assert_string_equal(demux_kind_name(DEMUX_RTCP), "rtcp");
	assert_string_equal(demux_kind_name(DEMUX_UNKNOWN), "unknown");
	assert_string_equal(demux_kind_name((enum demux_kind)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_first_byte_ranges),
	    cmocka_unit_test(test_zrtp_and_turn_channel_unknown),
	    cmocka_unit_test(test_rtp_vs_rtcp),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
