/* Unit tests for media/wire/rtp.c: header parsing with CSRCs, padding and both RFC 8285
 * extension forms, the RFC 6464 audio level, the header builder, and sequence-number
 * arithmetic across the 16-bit wrap. Every rtp_err a parser returns is provoked here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/wire/rtp.h"

/* A Chrome-style Opus packet: marker, PT 111, seq 0x1234, ts 0xdeadbeef, ssrc 0x11223344,
 * one-byte extensions: id 1 audio level (V=1, 42), id 3 two bytes, padding, then payload. */
static const uint8_t pkt_one_byte[] = {
    0x90, 0xef, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
    0x11, 0x22, 0x33, 0x44, 0xbe, 0xde, 0x00, 0x02, /* profile, 2 words */
    0x10, 0xaa, 0x00, 0x31,			    /* id 1 L=0 value 0xaa; padding 0; id 3 L=1 */
    0x01, 0x02, 0x00, 0x00,			    /* id 3 data, padding */
    0xfc, 0xff, 0xfe,				    /* payload */
};

static void test_parse_basic(void **state)
{
	(void)state;
	const uint8_t pkt[] = {0x80, 0x6f, 0xff, 0xff, 0, 0, 0, 160, 0, 0, 0, 7, 1, 2, 3};
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), RTP_OK);
	assert_false(h.marker);
	assert_false(h.padding);
	assert_false(h.extension);
	assert_int_equal(h.payload_type, 111);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.timestamp, 160);
	assert_int_equal(h.ssrc, 7);
	assert_int_equal(h.header_len, 12);
	assert_int_equal(h.payload_len, 3);
	assert_ptr_equal(h.payload, pkt + 12);
	const uint8_t *d;
	size_t n;
	assert_int_equal(rtp_find_extension(&h, 1, &d, &n), RTP_ENO_EXTENSION);
	/* Empty payload is fine. */
	assert_int_equal(rtp_parse(pkt, 12, &h), RTP_OK);
	assert_int_equal(h.payload_len, 0);
}

static void test_parse_one_byte_extension(void **state)
{
	(void)state;
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt_one_byte, sizeof pkt_one_byte, &h), RTP_OK);
	assert_true(h.marker);
	assert_int_equal(h.payload_type, 111);
	assert_int_equal(h.seq, 0x1234);
	assert_int_equal(h.timestamp, 0xdeadbeef);
	assert_int_equal(h.ssrc, 0x11223344);
	assert_int_equal(h.ext_profile, RTP_EXT_ONE_BYTE);
	assert_int_equal(h.ext_len, 8);
	assert_int_equal(h.header_len, 24);
	assert_int_equal(h.payload_len, 3);
	bool voice;
	uint8_t level;
	assert_int_equal(rtp_audio_level(&h, 1, &voice, &level), RTP_OK);
	assert_true(voice);
	assert_int_equal(level, 42);
	const uint8_t *d;
	size_t n;
	assert_int_equal(rtp_find_extension(&h, 3, &d, &n), RTP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(d[0], 1);
	assert_int_equal(d[1], 2);
	assert_int_equal(rtp_find_extension(&h, 2, &d, &n), RTP_ENOT_FOUND);
	assert_int_equal(rtp_find_extension(&h, 0, &d, &n), RTP_ENOT_FOUND);
	assert_int_equal(rtp_find_extension(&h, 15, &d, &n), RTP_ENOT_FOUND);
	/* id 3 is two bytes long: not an audio level. */
	assert_int_equal(rtp_audio_level(&h, 3, &voice, &level), RTP_EBAD_LEVEL);
	assert_int_equal(rtp_audio_level(&h, 4, &voice, &level), RTP_ENOT_FOUND);
}

static void test_one_byte_id15_stops(void **state)
{
	(void)state;
	const uint8_t pkt[] = {0x90, 0x6f, 0,	 1,    0,    0,	   0,	 0,    0,    0,
			       0,    1,	   0xbe, 0xde, 0x00, 0x01, 0xf0, 0x10, 0x05, 0x00};
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), RTP_OK);
	bool voice;
	uint8_t level;
	assert_int_equal(rtp_audio_level(&h, 1, &voice, &level), RTP_ENOT_FOUND);
}

static void test_one_byte_element_overrun(void **state)
{
	(void)state;
	/* id 1 with L=7 (8 bytes) in a 4-byte block. */
	const uint8_t pkt[] = {0x90, 0x6f, 0,	 1,    0,    0,	   0,	 0,    0,    0,
			       0,    1,	   0xbe, 0xde, 0x00, 0x01, 0x17, 0x10, 0x05, 0x00};
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), RTP_OK);
	const uint8_t *d;
	size_t n;
	assert_int_equal(rtp_find_extension(&h, 1, &d, &n), RTP_EEXT_ELEMENT);
	assert_int_equal(rtp_find_extension(&h, 2, &d, &n), RTP_EEXT_ELEMENT);
}

static void test_two_byte_extension(void **state)
{
	(void)state;
	const uint8_t pkt[] = {
	    0x90, 0x6f, 0,    1,    0,	  0,	0,    0,    0,
	    0,	  0,	1,    0x10, 0x00, 0x00, 0x03, 0x00, /* padding */
	    0x16, 0x00,					    /* id 22, empty */
	    0x17, 0x01, 0x85,				    /* id 23, one byte: V=1 level 5 */
	    0x20, 0x01, 0x7f, 0x00, 0x00, 0x00,		    /* id 32 one byte, padding */
	};
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), RTP_OK);
	const uint8_t *d;
	size_t n;
	assert_int_equal(rtp_find_extension(&h, 22, &d, &n), RTP_OK);
	assert_int_equal(n, 0);
	bool voice;
	uint8_t level;
	assert_int_equal(rtp_audio_level(&h, 23, &voice, &level), RTP_OK);
	assert_true(voice);
	assert_int_equal(level, 5);
	assert_int_equal(rtp_audio_level(&h, 32, &voice, &level), RTP_OK);
	assert_false(voice);
	assert_int_equal(level, 127);
	assert_int_equal(rtp_audio_level(&h, 22, &voice, &level), RTP_EBAD_LEVEL);
	assert_int_equal(rtp_find_extension(&h, 99, &d, &n), RTP_ENOT_FOUND);
}

static void test_two_byte_element_overrun(void **state)
{
	(void)state;
	const uint8_t pkt_len[] = {0x90, 0x6f, 0,    1,	   0,	 0,    0,    0,	   0,	 0,
				   0,	 1,    0x10, 0x00, 0x00, 0x01, 0x05, 0x03, 0xaa, 0xbb};
	const uint8_t pkt_hdr[] = {0x90, 0x6f, 0,    1,	   0,	 0,    0,    0,	   0,	 0,
				   0,	 1,    0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05};
	struct rtp_header h;
	const uint8_t *d;
	size_t n;
	assert_int_equal(rtp_parse(pkt_len, sizeof pkt_len, &h), RTP_OK);
	assert_int_equal(rtp_find_extension(&h, 5, &d, &n), RTP_EEXT_ELEMENT);
	assert_int_equal(rtp_parse(pkt_hdr, sizeof pkt_hdr, &h), RTP_OK);
	assert_int_equal(rtp_find_extension(&h, 5, &d, &n), RTP_EEXT_ELEMENT);
}

static void test_unknown_profile(void **state)
{
	(void)state;
	const uint8_t pkt[] = {0x90, 0x6f, 0,	 1,    0,    0,	   0,	 0,    0,    0,
			       0,    1,	   0xab, 0xcd, 0x00, 0x01, 0x10, 0x00, 0x00, 0x00};
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), RTP_OK);
	const uint8_t *d;
	size_t n;
	assert_int_equal(rtp_find_extension(&h, 1, &d, &n), RTP_ENO_EXTENSION);
}

static void test_csrc_and_padding(void **state)
{
	(void)state;
	const uint8_t pkt[] = {0xa2, 0x00, 0, 1, 0, 0, 0,  0,	 0,    0, 0, 1, 0,
			       0,    0,	   9, 0, 0, 0, 10, 0x55, 0x66, 0, 0, 3};
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), RTP_OK);
	assert_int_equal(h.csrc_count, 2);
	assert_int_equal(h.csrc[0], 9);
	assert_int_equal(h.csrc[1], 10);
	assert_true(h.padding);
	assert_int_equal(h.padding_len, 3);
	assert_int_equal(h.header_len, 20);
	assert_int_equal(h.payload_len, 2);
	assert_int_equal(h.payload[0], 0x55);
}

static void test_errors(void **state)
{
	(void)state;
	struct rtp_header h;
	const uint8_t ok[12] = {0x80};
	assert_int_equal(rtp_parse(NULL, 0, &h), RTP_ETRUNCATED);
	assert_int_equal(rtp_parse(ok, 11, &h), RTP_ETRUNCATED);
	uint8_t v1[12] = {0x40};
	assert_int_equal(rtp_parse(v1, sizeof v1, &h), RTP_EVERSION);
	uint8_t v0[12] = {0x00};
	assert_int_equal(rtp_parse(v0, sizeof v0, &h), RTP_EVERSION);
	/* CC = 2 but only one CSRC present. */
	uint8_t csrc[16] = {0x82};
	assert_int_equal(rtp_parse(csrc, sizeof csrc, &h), RTP_ECSRC_OVERRUN);
	/* X set but no room for the extension header. */
	uint8_t ext_hdr[14] = {0x90};
	assert_int_equal(rtp_parse(ext_hdr, sizeof ext_hdr, &h), RTP_EEXT_OVERRUN);
	/* Extension header says 2 words, one present. */
	uint8_t ext_body[20] = {0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 2};
	assert_int_equal(rtp_parse(ext_body, sizeof ext_body, &h), RTP_EEXT_OVERRUN);
	/* Padding count 0, and larger than what follows the header. */
	uint8_t pad0[14] = {0xa0};
	assert_int_equal(rtp_parse(pad0, sizeof pad0, &h), RTP_EPADDING);
	uint8_t pad_big[14] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
	assert_int_equal(rtp_parse(pad_big, sizeof pad_big, &h), RTP_EPADDING);
	/* Padding that eats the whole payload is fine. */
	uint8_t pad_all[14] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	assert_int_equal(rtp_parse(pad_all, sizeof pad_all, &h), RTP_OK);
	assert_int_equal(h.payload_len, 0);
}

static void test_build(void **state)
{
	(void)state;
	uint8_t buf[32];
	size_t n = 0;
	struct rtp_build b = {.marker = true,
			      .payload_type = 111,
			      .seq = 65535,
			      .timestamp = 960,
			      .ssrc = 0xcafebabe};
	assert_int_equal(rtp_build_header(buf, sizeof buf, &b, &n), RTP_OK);
	assert_int_equal(n, RTP_HEADER_LEN);
	const uint8_t want[] = {0x80, 0xef, 0xff, 0xff, 0, 0, 0x03, 0xc0, 0xca, 0xfe, 0xba, 0xbe};
	assert_memory_equal(buf, want, sizeof want);

	b.audio_level_id = 1;
	b.voice = true;
	b.level = 30;
	assert_int_equal(rtp_build_header(buf, sizeof buf, &b, &n), RTP_OK);
	assert_int_equal(n, RTP_HEADER_LEN_WITH_LEVEL);
	const uint8_t want_ext[] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0x80 | 30, 0, 0};
	assert_memory_equal(buf + 12, want_ext, sizeof want_ext);
	struct rtp_header h;
	assert_int_equal(rtp_parse(buf, n, &h), RTP_OK);
	bool voice;
	uint8_t level;
	assert_int_equal(rtp_audio_level(&h, 1, &voice, &level), RTP_OK);
	assert_true(voice);
	assert_int_equal(level, 30);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.payload_len, 0);

	/* ids above 14 need the two-byte form. */
	b.audio_level_id = 20;
	b.voice = false;
	b.level = 127;
	assert_int_equal(rtp_build_header(buf, sizeof buf, &b, &n), RTP_OK);
	assert_int_equal(rtp_parse(buf, n, &h), RTP_OK);
	assert_int_equal(h.ext_profile, RTP_EXT_TWO_BYTE);
	assert_int_equal(rtp_audio_level(&h, 20, &voice, &level), RTP_OK);
	assert_false(voice);
	assert_int_equal(level, 127);
}

static void test_build_errors(void **state)
{
	(void)state;
	uint8_t buf[32];
	size_t n = 99;
	struct rtp_build b = {.payload_type = 128};
	assert_int_equal(rtp_build_header(buf, sizeof buf, &b, &n), RTP_EINVAL);
	b.payload_type = 111;
	b.level = 128;
	assert_int_equal(rtp_build_header(buf, sizeof buf, &b, &n), RTP_EINVAL);
	b.level = 0;
	assert_int_equal(rtp_build_header(NULL, sizeof buf, &b, &n), RTP_EINVAL);
	assert_int_equal(rtp_build_header(buf, sizeof buf, NULL, &n), RTP_EINVAL);
	assert_int_equal(rtp_build_header(buf, sizeof buf, &b, NULL), RTP_EINVAL);
	assert_int_equal(rtp_build_header(buf, 11, &b, &n), RTP_ENOSPACE);
	b.audio_level_id = 1;
	assert_int_equal(rtp_build_header(buf, 19, &b, &n), RTP_ENOSPACE);
	assert_int_equal(n, 99);
}

static void test_seq_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(rtp_seq_diff(2, 65535), 3);
	assert_int_equal(rtp_seq_diff(65535, 2), -3);
	assert_int_equal(rtp_seq_diff(7, 7), 0);
	assert_true(rtp_seq_newer(0, 65535));
	assert_false(rtp_seq_newer(65535, 0));
	assert_false(rtp_seq_newer(5, 5));
	assert_int_equal(rtp_seq_diff(32767, 0), 32767);
	assert_int_equal(rtp_seq_diff(32768, 0), -32768);
}

static void test_seq_extend(void **state)
{
	(void)state;
	struct rtp_seq_ext e = {0};
	assert_int_equal(rtp_seq_extend(&e, 65534), 65534);
	assert_int_equal(rtp_seq_extend(&e, 65535), 65535);
	assert_int_equal(rtp_seq_extend(&e, 1), 65537);	    /* wrapped, 0 lost */
	assert_int_equal(rtp_seq_extend(&e, 0), 65536);	    /* late, after the wrap */
	assert_int_equal(rtp_seq_extend(&e, 65533), 65533); /* late, before the wrap */
	assert_int_equal(rtp_seq_extend(&e, 1), 65537);	    /* duplicate */
	assert_int_equal(rtp_seq_extend(&e, 2), 65538);
	assert_int_equal(e.max_seq, 2);

	/* Before the first packet, across a wrap: negative. */
	struct rtp_seq_ext f = {0};
	assert_int_equal(rtp_seq_extend(&f, 3), 3);
	assert_int_equal(rtp_seq_extend(&f, 65535), -1);
	assert_int_equal(f.max_seq, 3);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = RTP_OK; e <= RTP_ENOSPACE; e++) {
		const char *s = rtp_strerror((enum rtp_err)e);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown RTP error");
	}
	assert_string_equal(rtp_strerror((enum rtp_err)999), "unknown RTP error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_basic),
	    cmocka_unit_test(test_parse_one_byte_extension),
	    cmocka_unit_test(test_one_byte_id15_stops),
	    cmocka_unit_test(test_one_byte_element_overrun),
	    cmocka_unit_test(test_two_byte_extension),
	    cmocka_unit_test(test_two_byte_element_overrun),
	    cmocka_unit_test(test_unknown_profile),
	    cmocka_unit_test(test_csrc_and_padding),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_build_errors),
	    cmocka_unit_test(test_seq_arithmetic),
	    cmocka_unit_test(test_seq_extend),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
