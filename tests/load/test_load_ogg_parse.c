/*
 * test_load_ogg_parse -- the listen.ogg client's reader against streams built with libogg
 * (an independent writer and CRC): a clean stream in any cut, a lost page, a bad CRC, a
 * wrong status or framing, a granule that goes back, and the Opus TOC's sample counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <ogg/ogg.h>

#include "load_ogg_parse.h"

#define FRAME	 960 /* 20 ms at 48 kHz */
#define PER_PAGE 10
#define MAX_BODY 65536

static const char HEAD[] = "HTTP/1.1 200 OK\r\ncontent-type: audio/ogg\r\n"
			   "Transfer-Encoding: chunked\r\ncache-control: no-store\r\n\r\n";

struct stream {
	uint8_t body[MAX_BODY]; /* the Ogg pages */
	size_t len;
	size_t page_at[16]; /* where each page starts */
	size_t pages;
};

static void add_page(struct stream *s, const ogg_page *og)
{
	s->page_at[s->pages++] = s->len;
	memcpy(s->body + s->len, og->header, (size_t)og->header_len);
	s->len += (size_t)og->header_len;
	memcpy(s->body + s->len, og->body, (size_t)og->body_len);
	s->len += (size_t)og->body_len;
}

/* OpusHead, OpusTags, then audio pages of PER_PAGE 20 ms CELT packets each. */
static void make_stream(struct stream *s, int audio_pages)
{
	memset(s, 0, sizeof *s);
	ogg_stream_state os;
	ogg_stream_init(&os, 1234);
	ogg_page og;
	unsigned char head[19] = "OpusHead\x01\x01";
	unsigned char tags[16] = "OpusTags";
	ogg_packet op = {.packet = head, .bytes = sizeof head, .b_o_s = 1};
	ogg_stream_packetin(&os, &op);
	while (ogg_stream_flush(&os, &og))
		add_page(s, &og);
	op = (ogg_packet){.packet = tags, .bytes = sizeof tags, .packetno = 1};
	ogg_stream_packetin(&os, &op);
	while (ogg_stream_flush(&os, &og))
		add_page(s, &og);
	unsigned char pkt[60];
	memset(pkt, 0x55, sizeof pkt);
	pkt[0] = 0xf8; /* config 31 (CELT FB, 20 ms), one frame */
	int64_t granule = 0;
	for (int p = 0; p < audio_pages; p++) {
		for (int k = 0; k < PER_PAGE; k++) {
			granule += FRAME;
			op = (ogg_packet){.packet = pkt,
					  .bytes = sizeof pkt,
					  .granulepos = granule,
					  .e_o_s = p == audio_pages - 1 && k == PER_PAGE - 1,
					  .packetno = 2 + p * PER_PAGE + k};
			ogg_stream_packetin(&os, &op);
		}
		while (ogg_stream_flush(&os, &og))
			add_page(s, &og);
	}
	ogg_stream_clear(&os);
}

/* The head, then body[from..to) in chunks of `chunk` bytes, optionally the last chunk. */
static size_t http(uint8_t *out, size_t cap, const uint8_t *body, size_t len, size_t chunk,
		   bool last)
{
	size_t n = (size_t)snprintf((char *)out, cap, "%s", HEAD);
	for (size_t off = 0; off < len; off += chunk) {
		size_t c = len - off < chunk ? len - off : chunk;
		n += (size_t)snprintf((char *)out + n, cap - n, "%zx\r\n", c);
		memcpy(out + n, body + off, c);
		n += c;
		memcpy(out + n, "\r\n", 2);
		n += 2;
	}
	if (last)
		n += (size_t)snprintf((char *)out + n, cap - n, "0\r\n\r\n");
	return n;
}

static uint8_t wire[2 * MAX_BODY];
static struct stream st;
static struct ogg_reader rd;

static void test_clean_stream_any_cut(void **state)
{
	(void)state;
	make_stream(&st, 5);
	const size_t chunks[] = {1, 7, 100, 4096, MAX_BODY};
	const size_t feeds[] = {1, 3, 64, sizeof wire};
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
		for (size_t f = 0; f < sizeof feeds / sizeof feeds[0]; f++) {
			size_t n = http(wire, sizeof wire, st.body, st.len, chunks[c], true);
			ogg_reader_init(&rd);
			for (size_t off = 0; off < n; off += feeds[f]) {
				size_t k = n - off < feeds[f] ? n - off : feeds[f];
				assert_true(ogg_reader_feed(&rd, wire + off, k));
			}
			assert_int_equal(rd.state, OGG_R_DONE);
			assert_true(rd.eos);
			assert_int_equal(rd.count.pages, 5);
			assert_int_equal(rd.count.packets, 5 * PER_PAGE);
			assert_int_equal(rd.count.samples, 5 * PER_PAGE * FRAME);
			assert_int_equal(rd.count.lost_samples, 0);
			assert_int_equal(rd.count.seq_gaps, 0);
			assert_int_equal(rd.count.bytes, st.len);
		}
	/* Our CRC is libogg's. */
	assert_int_equal(ogg_page_crc(st.body, st.page_at[1]),
			 (uint32_t)st.body[22] | (uint32_t)st.body[23] << 8 |
			     (uint32_t)st.body[24] << 16 | (uint32_t)st.body[25] << 24);
}

static void test_lost_page(void **state)
{
	(void)state;
	make_stream(&st, 5);
	/* Drop the third audio page (page index 4): one sequence gap, 10 packets lost. */
	uint8_t body[MAX_BODY];
	size_t a = st.page_at[4], b = st.page_at[5];
	memcpy(body, st.body, a);
	memcpy(body + a, st.body + b, st.len - b);
	size_t n = http(wire, sizeof wire, body, st.len - (b - a), 333, false);
	ogg_reader_init(&rd);
	assert_true(ogg_reader_feed(&rd, wire, n));
	assert_int_equal(rd.state, OGG_R_SIZE); /* still streaming */
	assert_int_equal(rd.count.pages, 4);
	assert_int_equal(rd.count.packets, 4 * PER_PAGE);
	assert_int_equal(rd.count.seq_gaps, 1);
	assert_int_equal(rd.count.lost_samples, PER_PAGE * FRAME);
}

static void expect_error(const uint8_t *data, size_t n, const char *why)
{
	ogg_reader_init(&rd);
	assert_false(ogg_reader_feed(&rd, data, n));
	assert_int_equal(rd.state, OGG_R_BAD);
	assert_non_null(strstr(rd.error, why));
	assert_false(ogg_reader_feed(&rd, (const uint8_t *)"x", 1)); /* stays bad */
}

static void test_broken_streams(void **state)
{
	(void)state;
	make_stream(&st, 3);
	size_t n = http(wire, sizeof wire, st.body, st.len, 500, true);
	wire[strlen(HEAD) + 5 + st.page_at[3] + 40] ^= 1; /* a byte of an audio page's body */
	expect_error(wire, n, "CRC");

	const char *nf = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
	expect_error((const uint8_t *)nf, strlen(nf), "status 404");
	const char *plain = "HTTP/1.1 200 OK\r\ncontent-type: audio/ogg\r\n\r\nOggS";
	expect_error((const uint8_t *)plain, strlen(plain), "not chunked");
	char bad_size[256];
	int k = snprintf(bad_size, sizeof bad_size, "%szz\r\n", HEAD);
	expect_error((const uint8_t *)bad_size, (size_t)k, "chunk-size");
	char no_ogg[256];
	k = snprintf(no_ogg, sizeof no_ogg, "%s5\r\nhello\r\n", HEAD);
	expect_error((const uint8_t *)no_ogg, (size_t)k, "capture pattern");
	n = http(wire, sizeof wire, st.body, st.len, 500, true);
	memcpy(wire + n, "junk", 4);
	expect_error(wire, n + 4, "after the last chunk");

	/* Audio pages swapped: the sequence and the granule go back. */
	uint8_t body[MAX_BODY];
	size_t p2 = st.page_at[2], p3 = st.page_at[3], p4 = st.page_at[4];
	memcpy(body, st.body, p2);
	memcpy(body + p2, st.body + p3, p4 - p3);
	memcpy(body + p2 + (p4 - p3), st.body + p2, p3 - p2);
	n = http(wire, sizeof wire, body, p4, 4096, false);
	expect_error(wire, n, "went back");
}

static void test_opus_samples(void **state)
{
	(void)state;
	const uint8_t silk10[] = {0x00}, silk20[] = {0x08}, silk60[] = {0x18};
	const uint8_t hybrid20[] = {0x68}, celt2_5[] = {0x80}, celt20[] = {0xf8};
	const uint8_t two[] = {0xf9}, three[] = {0xfb, 0x03}, too_long[] = {0xfb, 0x30};
	assert_int_equal(opus_packet_samples(silk10, 1), 480);
	assert_int_equal(opus_packet_samples(silk20, 1), 960);
	assert_int_equal(opus_packet_samples(silk60, 1), 2880);
	assert_int_equal(opus_packet_samples(hybrid20, 1), 960);
	assert_int_equal(opus_packet_samples(celt2_5, 1), 120);
	assert_int_equal(opus_packet_samples(celt20, 1), 960);
	assert_int_equal(opus_packet_samples(two, 1), 1920);
	assert_int_equal(opus_packet_samples(three, 2), 2880);
	assert_int_equal(opus_packet_samples(three, 1), 0); /* the count byte is missing */
	assert_int_equal(opus_packet_samples(too_long, 2), 0);
	assert_int_equal(opus_packet_samples(celt20, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_stream_any_cut),
	    cmocka_unit_test(test_lost_page),
	    cmocka_unit_test(test_broken_streams),
	    cmocka_unit_test(test_opus_samples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
