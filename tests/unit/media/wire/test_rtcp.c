/* Unit tests for media/wire/rtcp.c: compound parsing of every packet type we read or skip,
 * every error path, the SR/RR/SDES builders round-tripped through the parser, and the
 * RFC 3550 A.1/A.3/A.8 receiver statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/wire/rtcp.h"

static const struct rtcp_report_block block_a = {
    .ssrc = 0x11111111,
    .fraction_lost = 25,
    .cumulative_lost = -3,
    .ext_highest_seq = 0x00012345,
    .jitter = 77,
    .lsr = 0xaabbccdd,
    .dlsr = 65536,
};

static void test_build_parse_sr_sdes_bye(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t len = 0, n;
	struct rtcp_sender_info si = {.ssrc = 0xcafebabe,
				      .ntp = 0xe1234567890abcdeULL,
				      .rtp_ts = 48000,
				      .packet_count = 50,
				      .octet_count = 4000};
	struct rtcp_report_block blocks[2] = {block_a, block_a};
	blocks[1].ssrc = 0x22222222;
	blocks[1].cumulative_lost = 100000000; /* clamped to 0x7fffff */
	assert_int_equal(rtcp_build_sr(buf, sizeof buf, &si, blocks, 2, &n), RTCP_OK);
	assert_int_equal(n, 28 + 48);
	len += n;
	assert_int_equal(
	    rtcp_build_sdes_cname(buf + len, sizeof buf - len, si.ssrc, "PixXUoBf5aXFZQpm", 16, &n),
	    RTCP_OK);
	assert_int_equal(n, 28); /* 4 + 4 + 2 + 16 + 1 -> 28 */
	len += n;
	const uint8_t bye[] = {0x81, 203, 0, 2, 0xca, 0xfe, 0xba, 0xbe, 3, 'b', 'y', 'e'};
	memcpy(buf + len, bye, sizeof bye);
	len += sizeof bye;

	struct rtcp_compound c;
	assert_int_equal(rtcp_parse(buf, len, &c), RTCP_OK);
	assert_int_equal(c.n_packets, 3);
	assert_true(c.has_sr);
	assert_false(c.has_rr);
	assert_int_equal(c.sr.ssrc, si.ssrc);
	assert_true(c.sr.ntp == si.ntp);
	assert_int_equal(c.sr.rtp_ts, 48000);
	assert_int_equal(c.sr.packet_count, 50);
	assert_int_equal(c.sr.octet_count, 4000);
	assert_int_equal(c.n_reports, 2);
	assert_int_equal(c.reports[0].reporter, si.ssrc);
	assert_memory_equal(&c.reports[0].block, &block_a, sizeof block_a);
	assert_int_equal(c.reports[1].block.ssrc, 0x22222222);
	assert_int_equal(c.reports[1].block.cumulative_lost, 0x7fffff);
	assert_int_equal(c.n_cnames, 1);
	assert_int_equal(c.cnames[0].ssrc, si.ssrc);
	assert_int_equal(c.cnames[0].len, 16);
	assert_memory_equal(c.cnames[0].text, "PixXUoBf5aXFZQpm", 16);
	assert_int_equal(c.n_bye, 1);
	assert_int_equal(c.bye[0], 0xcafebabe);
	assert_int_equal(c.bye_reason_len, 3);
	assert_memory_equal(c.bye_reason, "bye", 3);
}

static void test_rr_and_skipped_types(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t len = 0, n;
	assert_int_equal(rtcp_build_rr(buf, sizeof buf, 7, &block_a, 1, &n), RTCP_OK);
	assert_int_equal(n, 32);
	len += n;
	const uint8_t rest[] = {
	    0x80, 204, 0, 2, 0, 0, 0, 7, 'P', 'L', 'N', 'R', /* APP */
	    0x8f, 205, 0, 2, 0, 0, 0, 7, 0,   0,   0,	8,   /* transport-cc */
	    0x81, 206, 0, 2, 0, 0, 0, 7, 0,   0,   0,	8,   /* PLI */
	    0x80, 207, 0, 1, 0, 0, 0, 7,		     /* XR */
	    0x80, 210, 0, 0,				     /* unknown */
	    0x80, 201, 0, 1, 0, 0, 0, 9,		     /* empty RR */
	    0x80, 202, 0, 0,				     /* SDES, 0 chunks */
	    0x80, 203, 0, 0,				     /* BYE, 0 sources */
	    0xa0, 203, 0, 1, 0, 0, 0, 4,		     /* padded BYE */
	};
	memcpy(buf + len, rest, sizeof rest);
	len += sizeof rest;
	struct rtcp_compound c;
	assert_int_equal(rtcp_parse(buf, len, &c), RTCP_OK);
	assert_int_equal(c.n_packets, 10);
	assert_true(c.has_rr);
	assert_int_equal(c.rr_ssrc, 7);
	assert_int_equal(c.n_reports, 1);
	assert_int_equal(c.reports[0].block.cumulative_lost, -3);
	assert_int_equal(c.n_app, 1);
	assert_int_equal(c.n_rtpfb, 1);
	assert_int_equal(c.n_psfb, 1);
	assert_int_equal(c.n_other, 2);
	assert_int_equal(c.n_bye, 0);
	assert_null(c.bye_reason);
}

static void test_sdes_items(void **state)
{
	(void)state;
	/* Two chunks: NOTE item then CNAME "ab" ending exactly on a boundary minus one byte;
	 * then a chunk with only a terminator. */
	const uint8_t pkt[] = {
	    0x82, 202, 0, 5, 0, 0, 0, 1, 7, 1, 'x', 1, 2, 'a', 'b', 0, /* chunk 1 */
	    0,	  0,   0, 2, 0, 0, 0, 0,			       /* chunk 2 */
	};
	struct rtcp_compound c;
	assert_int_equal(rtcp_parse(pkt, sizeof pkt, &c), RTCP_OK);
	assert_int_equal(c.n_cnames, 1);
	assert_int_equal(c.cnames[0].ssrc, 1);
	assert_int_equal(c.cnames[0].len, 2);
}

static void test_header_errors(void **state)
{
	(void)state;
	struct rtcp_compound c;
	assert_int_equal(rtcp_parse(NULL, 0, &c), RTCP_ETRUNCATED);
	const uint8_t three[] = {0x80, 201, 0};
	assert_int_equal(rtcp_parse(three, sizeof three, &c), RTCP_ETRUNCATED);
	const uint8_t long_len[] = {0x80, 201, 0, 2, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(long_len, sizeof long_len, &c), RTCP_ETRUNCATED);
	const uint8_t trailing[] = {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80};
	assert_int_equal(rtcp_parse(trailing, sizeof trailing, &c), RTCP_ETRUNCATED);
	const uint8_t v1[] = {0x40, 201, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(v1, sizeof v1, &c), RTCP_EVERSION);
	const uint8_t v2_then_v0[] = {0x80, 201, 0, 1, 0, 0, 0, 1, 0x00, 201, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(v2_then_v0, sizeof v2_then_v0, &c), RTCP_EVERSION);
}

static void test_padding_errors(void **state)
{
	(void)state;
	struct rtcp_compound c;
	const uint8_t not_last[] = {0xa0, 201, 0, 1, 0, 0, 0, 4, 0x80, 201, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(not_last, sizeof not_last, &c), RTCP_EPADDING);
	const uint8_t zero[] = {0xa0, 201, 0, 1, 0, 0, 0, 0};
	assert_int_equal(rtcp_parse(zero, sizeof zero, &c), RTCP_EPADDING);
	const uint8_t too_big[] = {0xa0, 201, 0, 1, 0, 0, 0, 5};
	assert_int_equal(rtcp_parse(too_big, sizeof too_big, &c), RTCP_EPADDING);
	/* Padding that leaves an RR without its SSRC. */
	const uint8_t eats_body[] = {0xa0, 201, 0, 1, 0, 0, 0, 4};
	assert_int_equal(rtcp_parse(eats_body, sizeof eats_body, &c), RTCP_ESHORT);
}

static void test_short_errors(void **state)
{
	(void)state;
	struct rtcp_compound c;
	const uint8_t sr_no_info[] = {0x80, 200, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(sr_no_info, sizeof sr_no_info, &c), RTCP_ESHORT);
	uint8_t sr_rc1[28] = {0x81, 200, 0, 6};
	assert_int_equal(rtcp_parse(sr_rc1, sizeof sr_rc1, &c), RTCP_ESHORT);
	uint8_t rr_rc2[32] = {0x82, 201, 0, 7};
	assert_int_equal(rtcp_parse(rr_rc2, sizeof rr_rc2, &c), RTCP_ESHORT);
	const uint8_t rr_empty[] = {0x80, 201, 0, 0};
	assert_int_equal(rtcp_parse(rr_empty, sizeof rr_empty, &c), RTCP_ESHORT);
	const uint8_t app[] = {0x80, 204, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(app, sizeof app, &c), RTCP_ESHORT);
	const uint8_t rtpfb[] = {0x81, 205, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(rtpfb, sizeof rtpfb, &c), RTCP_ESHORT);
	const uint8_t psfb[] = {0x81, 206, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(psfb, sizeof psfb, &c), RTCP_ESHORT);
	const uint8_t bye[] = {0x82, 203, 0, 1, 0, 0, 0, 1};
	assert_int_equal(rtcp_parse(bye, sizeof bye, &c), RTCP_ESHORT);
}

static void test_sdes_errors(void **state)
{
	(void)state;
	struct rtcp_compound c;
	/* SC = 2, one chunk present. */
	const uint8_t missing_chunk[] = {0x82, 202, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0};
	assert_int_equal(rtcp_parse(missing_chunk, sizeof missing_chunk, &c), RTCP_ESDES);
	/* Chunk shorter than its SSRC. */
	const uint8_t no_ssrc[] = {0x81, 202, 0, 0};
	assert_int_equal(rtcp_parse(no_ssrc, sizeof no_ssrc, &c), RTCP_ESDES);
	/* Item length past the packet. */
	const uint8_t item_long[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b'};
	assert_int_equal(rtcp_parse(item_long, sizeof item_long, &c), RTCP_ESDES);
	/* Item header cut after the type byte. */
	const uint8_t item_cut[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b', 0, 0, 0, 0};
	uint8_t cut[sizeof item_cut];
	memcpy(cut, item_cut, sizeof cut);
	cut[12] = 5; /* NOTE type, where the terminator was, as the last byte -> no length */
	cut[3] = 2;  /* 12 bytes: the type byte sits at the very end */
	assert_int_equal(rtcp_parse(cut, 12, &c), RTCP_ESDES);
	/* No terminator before the end. */
	const uint8_t no_end[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b'};
	assert_int_equal(rtcp_parse(no_end, sizeof no_end, &c), RTCP_ESDES);
	/* Terminator present but the 32-bit boundary lies past the end of the (padded)
	 * packet: padding of 1 leaves body "ssrc 1 1 'a' 0" of 8 bytes, boundary at 8 -> ok;
	 * make the item 2 bytes so the terminator lands at offset 8 -> boundary 12 > 11. */
	const uint8_t pad_past[] = {0xa1, 202, 0, 3, 0, 0, 0, 1, 1, 2, 'a', 'b', 0, 0, 0, 4};
	assert_int_equal(rtcp_parse(pad_past, sizeof pad_past, &c), RTCP_ESDES);
	/* Item type byte as the last byte of the body. */
	const uint8_t type_last[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 6};
	assert_int_equal(rtcp_parse(type_last, sizeof type_last, &c), RTCP_ESDES);
}

static void test_bye_errors(void **state)
{
	(void)state;
	struct rtcp_compound c;
	const uint8_t reason_long[] = {0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'a', 'b', 'c'};
	assert_int_equal(rtcp_parse(reason_long, sizeof reason_long, &c), RTCP_EBYE);
}

static void test_too_many(void **state)
{
	(void)state;
	struct rtcp_compound c;
	static uint8_t buf[2048];
	size_t len = 0, n;
	struct rtcp_report_block blocks[RTCP_MAX_BLOCKS];
	memset(blocks, 0, sizeof blocks);
	assert_int_equal(rtcp_build_rr(buf, sizeof buf, 1, blocks, RTCP_MAX_BLOCKS, &n), RTCP_OK);
	len += n;
	assert_int_equal(rtcp_parse(buf, len, &c), RTCP_OK);
	assert_int_equal(c.n_reports, RTCP_MAX_BLOCKS);
	assert_int_equal(rtcp_build_rr(buf + len, sizeof buf - len, 2, blocks, 1, &n), RTCP_OK);
	len += n;
	assert_int_equal(rtcp_parse(buf, len, &c), RTCP_ETOO_MANY);

	/* 32 CNAMEs in two SDES packets. */
	len = 0;
	for (int p = 0; p < 2; p++) {
		uint8_t *h = buf + len;
		len += 4;
		for (int i = 0; i < 16; i++) {
			const uint8_t chunk[] = {0, 0, 0, (uint8_t)i, 1, 1, 'x', 0};
			memcpy(buf + len, chunk, sizeof chunk);
			len += sizeof chunk;
		}
		h[0] = 0x80 | 16;
		h[1] = 202;
		h[2] = 0;
		h[3] = (uint8_t)((16 * 8) / 4);
	}
	assert_int_equal(rtcp_parse(buf, len, &c), RTCP_ETOO_MANY);

	/* 31 + 1 BYE sources. */
	memset(buf, 0, sizeof buf);
	buf[0] = 0x80 | 31;
	buf[1] = 203;
	buf[3] = 31;
	buf[128] = 0x81;
	buf[129] = 203;
	buf[131] = 1;
	assert_int_equal(rtcp_parse(buf, 128, &c), RTCP_OK);
	assert_int_equal(c.n_bye, 31);
	assert_int_equal(rtcp_parse(buf, 136, &c), RTCP_ETOO_MANY);
}

static void test_builder_errors(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n;
	struct rtcp_sender_info si = {0};
	struct rtcp_report_block blocks[32];
	memset(blocks, 0, sizeof blocks);
	assert_int_equal(rtcp_build_sr(NULL, 64, &si, NULL, 0, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sr(buf, 64, NULL, NULL, 0, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sr(buf, 64, &si, NULL, 0, NULL), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sr(buf, 64, &si, NULL, 1, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sr(buf, 64, &si, blocks, 32, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sr(buf, 27, &si, NULL, 0, &n), RTCP_ENOSPACE);
	assert_int_equal(rtcp_build_sr(buf, 51, &si, blocks, 1, &n), RTCP_ENOSPACE);
	assert_int_equal(rtcp_build_sr(buf, 28, &si, NULL, 0, &n), RTCP_OK);
	assert_int_equal(n, 28);
	assert_int_equal(rtcp_build_rr(NULL, 64, 1, NULL, 0, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_rr(buf, 64, 1, NULL, 0, NULL), RTCP_EINVAL);
	assert_int_equal(rtcp_build_rr(buf, 64, 1, NULL, 2, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_rr(buf, 64, 1, blocks, 32, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_rr(buf, 7, 1, NULL, 0, &n), RTCP_ENOSPACE);
	assert_int_equal(rtcp_build_sdes_cname(NULL, 64, 1, "a", 1, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sdes_cname(buf, 64, 1, NULL, 1, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sdes_cname(buf, 64, 1, "a", 1, NULL), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sdes_cname(buf, 64, 1, "a", 0, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sdes_cname(buf, 64, 1, "a", 256, &n), RTCP_EINVAL);
	assert_int_equal(rtcp_build_sdes_cname(buf, 11, 1, "a", 1, &n), RTCP_ENOSPACE);
	/* 10 + 2 bytes of CNAME leave no room for the terminator: 16 bytes. */
	assert_int_equal(rtcp_build_sdes_cname(buf, 15, 1, "ab", 2, &n), RTCP_ENOSPACE);
	assert_int_equal(rtcp_build_sdes_cname(buf, 16, 1, "ab", 2, &n), RTCP_OK);
	assert_int_equal(n, 16);
	assert_int_equal(buf[12], 0);
}

static void test_lost_clamp_negative(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n;
	struct rtcp_report_block b = {.cumulative_lost = -100000000};
	assert_int_equal(rtcp_build_rr(buf, sizeof buf, 1, &b, 1, &n), RTCP_OK);
	struct rtcp_compound c;
	assert_int_equal(rtcp_parse(buf, n, &c), RTCP_OK);
	assert_int_equal(c.reports[0].block.cumulative_lost, -0x800000);
}

static void test_rx_loss_and_wrap(void **state)
{
	(void)state;
	struct rtcp_rx rx;
	struct rtcp_report_block rb;
	rtcp_rx_init(&rx, 65530, 0);
	/* 65530..65535, 0..3 with 65533 and 1 lost: 10 expected, 8 received. */
	const uint16_t seqs[] = {65530, 65531, 65532, 65534, 65535, 0, 2, 3};
	for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
		assert_true(rtcp_rx_update_seq(&rx, seqs[i]));
	rtcp_rx_fill_report(&rx, 42, 5, 6, &rb);
	assert_int_equal(rb.ssrc, 42);
	assert_int_equal(rb.ext_highest_seq, 65536 + 3);
	assert_int_equal(rb.cumulative_lost, 2);
	assert_int_equal(rb.fraction_lost, (2 << 8) / 10);
	assert_int_equal(rb.lsr, 5);
	assert_int_equal(rb.dlsr, 6);
	/* Next interval: 4 arrives twice (duplicate), nothing lost -> fraction 0, and the
	 * duplicate lowers the cumulative count (RFC 3550 6.4.1 allows negative). */
	assert_true(rtcp_rx_update_seq(&rx, 4));
	assert_true(rtcp_rx_update_seq(&rx, 4));
	assert_true(rtcp_rx_update_seq(&rx, 4));
	rtcp_rx_fill_report(&rx, 42, 0, 0, &rb);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.cumulative_lost, 0);
	/* Nothing received in an interval: fraction 0 by A.3 (expected_interval 0). */
	rtcp_rx_fill_report(&rx, 42, 0, 0, &rb);
	assert_int_equal(rb.fraction_lost, 0);
	/* Everything in an interval lost bar the last: 255 at most. */
	assert_true(rtcp_rx_update_seq(&rx, 1000));
	rtcp_rx_fill_report(&rx, 42, 0, 0, &rb);
	assert_int_equal(rb.fraction_lost, ((996 - 1) << 8) / 996);
}

static void test_rx_fraction_saturates(void **state)
{
	(void)state;
	struct rtcp_rx rx;
	struct rtcp_report_block rb;
	rtcp_rx_init(&rx, 10, 0);
	assert_true(rtcp_rx_update_seq(&rx, 10));
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	/* Pretend the next interval expected packets but received none: the A.3 formula
	 * would give 256. */
	rx.max_seq = 20;
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	assert_int_equal(rb.fraction_lost, 255);
	assert_int_equal(rb.cumulative_lost, 10);
	/* Lost count beyond 24 bits clamps. */
	rx.cycles = 1000u << 16;
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	assert_int_equal(rb.cumulative_lost, 0x7fffff);
	rx.cycles = 0;
	rx.received = 20000000;
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	assert_int_equal(rb.cumulative_lost, -0x800000);
}

static void test_rx_probation_and_jump(void **state)
{
	(void)state;
	struct rtcp_rx rx;
	rtcp_rx_init(&rx, 100, 2);
	assert_false(rtcp_rx_update_seq(&rx, 100)); /* first of two in sequence */
	assert_false(rtcp_rx_update_seq(&rx, 500)); /* out of sequence: start again */
	assert_true(rtcp_rx_update_seq(&rx, 501));  /* two in sequence: valid now */
	assert_int_equal(rx.base_seq, 501);
	assert_true(rtcp_rx_update_seq(&rx, 502));
	assert_int_equal(rx.received, 2);
	/* A jump of 10000: ignored once, accepted when the next follows it. */
	assert_false(rtcp_rx_update_seq(&rx, 10502));
	assert_true(rtcp_rx_update_seq(&rx, 10503));
	assert_int_equal(rx.base_seq, 10503);
	assert_int_equal(rx.received, 1);
	/* A reordered packet 50 behind is counted, max unchanged. */
	assert_true(rtcp_rx_update_seq(&rx, 10453));
	assert_int_equal(rx.max_seq, 10503);
	/* Probation across the wrap: 65535 then 0 is in sequence. */
	rtcp_rx_init(&rx, 65535, 1);
	assert_true(rtcp_rx_update_seq(&rx, 65535));
	rtcp_rx_init(&rx, 65535, 2);
	assert_false(rtcp_rx_update_seq(&rx, 65535));
	assert_true(rtcp_rx_update_seq(&rx, 0));
}

static void test_rx_jitter(void **state)
{
	(void)state;
	struct rtcp_rx rx;
	struct rtcp_report_block rb;
	rtcp_rx_init(&rx, 0, 0);
	/* Packets every 960 ticks; arrivals alternate +0 / +160 late: |D| = 160 each time
	 * after the first, so J converges to 160. */
	uint32_t ts = 4000000000u; /* wraps during the test */
	for (int i = 0; i < 400; i++) {
		uint32_t arrival = ts + 123456u + ((i & 1) ? 160u : 0u);
		rtcp_rx_update_jitter(&rx, ts, arrival);
		ts += 960;
	}
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	assert_in_range(rb.jitter, 155, 160);
	/* One step from zero is |D|/16. */
	rtcp_rx_init(&rx, 0, 0);
	rtcp_rx_update_jitter(&rx, 0, 1000);
	rtcp_rx_update_jitter(&rx, 960, 1000 + 960 + 320);
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	assert_int_equal(rb.jitter, 20);
	/* Early rather than late counts the same. */
	rtcp_rx_init(&rx, 0, 0);
	rtcp_rx_update_jitter(&rx, 0, 1000);
	rtcp_rx_update_jitter(&rx, 960, 1000 + 960 - 320);
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	assert_int_equal(rb.jitter, 20);
}

static void test_ntp_mid(void **state)
{
	(void)state;
	assert_int_equal(rtcp_ntp_mid32(0x1122334455667788ULL), 0x33445566);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = RTCP_OK; e <= RTCP_ENOSPACE; e++)
		assert_string_not_equal(rtcp_strerror((enum rtcp_err)e), "unknown RTCP error");
	assert_string_equal(rtcp_strerror((enum rtcp_err) - 1), "unknown RTCP error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_parse_sr_sdes_bye),
	    cmocka_unit_test(test_rr_and_skipped_types),
	    cmocka_unit_test(test_sdes_items),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_padding_errors),
	    cmocka_unit_test(test_short_errors),
	    cmocka_unit_test(test_sdes_errors),
	    cmocka_unit_test(test_bye_errors),
	    cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_builder_errors),
	    cmocka_unit_test(test_lost_clamp_negative),
	    cmocka_unit_test(test_rx_loss_and_wrap),
	    cmocka_unit_test(test_rx_fraction_saturates),
	    cmocka_unit_test(test_rx_probation_and_jump),
	    cmocka_unit_test(test_rx_jitter),
	    cmocka_unit_test(test_ntp_mid),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
