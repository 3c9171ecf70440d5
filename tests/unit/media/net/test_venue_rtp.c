/* The plain-RTP venue's pure parts: what a desk's datagram must be (venue_rtp_check), L16
 * gathered into 20 ms frames across packets of any size, and the addresses of the
 * configuration. The socket and the mix are tested end to end with ffmpeg
 * (tests/integration/venue_rtp.test.mjs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "media/net/venue_rtp.h"

/* An RTP packet of payload type pt with the payload p[0..n) into buf; returns its length. */
static size_t packet(uint8_t *buf, uint8_t pt, const uint8_t *p, size_t n)
{
	const uint8_t head[12] = {0x80, pt, 0, 1, 0, 0, 3, 0xc0, 0, 0, 0, 7};
	memcpy(buf, head, sizeof head);
	if (n)
		memcpy(buf + sizeof head, p, n);
	return sizeof head + n;
}

static void opus_check(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct rtp_header h;
	const uint8_t twenty[] = {0xf8, 0xff, 0xfe}; /* CELT FB 20 ms, one frame */
	const uint8_t forty[] = {0xf9, 0xff, 0xfe};  /* two 20 ms frames */
	size_t n = packet(buf, 97, twenty, sizeof twenty);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_OK);
	assert_int_equal(h.payload_len, 3);
	assert_ptr_equal(h.payload, buf + 12);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 96, &h), VENUE_EPT);
	n = packet(buf, 97, forty, sizeof forty);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_EOPUS);
	n = packet(buf, 97, (const uint8_t[]){0x03}, 1); /* code 3 without its count */
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_EOPUS);
	n = packet(buf, 97, NULL, 0);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_EEMPTY);
	buf[0] = 0x40; /* version 1 */
	assert_int_equal(venue_rtp_check(buf, 14, MEDIA_VENUE_OPUS, 97, &h), VENUE_EBAD_RTP);
	assert_int_equal(venue_rtp_check(buf, 5, MEDIA_VENUE_OPUS, 97, &h), VENUE_EBAD_RTP);
	assert_string_equal(venue_drop_name(VENUE_EPT),
			    "another payload type than the configured one");
}

static void l16_check(void **state)
{
	(void)state;
	static uint8_t buf[12 + 2 * VENUE_L16_FRAME + 2], pcm[2 * VENUE_L16_FRAME + 2];
	struct rtp_header h;
	size_t n = packet(buf, 100, pcm, 2 * VENUE_L16_FRAME);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_L16, 100, &h), VENUE_OK);
	n = packet(buf, 100, pcm, 2 * VENUE_L16_FRAME + 2); /* over 20 ms */
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_L16, 100, &h), VENUE_EL16);
	n = packet(buf, 100, pcm, 7); /* half a sample */
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_L16, 100, &h), VENUE_EL16);
}

/* 700-sample packets: the first frame fills in the second packet, 440 samples carry on. */
static void l16_gathered(void **state)
{
	(void)state;
	static uint8_t be[1400];
	for (size_t i = 0; i < 700; i++) {
		int16_t s = (int16_t)(i * 40 - 14000);
		be[2 * i] = (uint8_t)((uint16_t)s >> 8);
		be[2 * i + 1] = (uint8_t)s;
	}
	struct venue_l16 f = {.n = 0};
	size_t from = 0;
	assert_false(venue_l16_gather(&f, be, sizeof be, &from));
	assert_int_equal(f.n, 700);
	assert_int_equal(from, 700);
	from = 0;
	assert_true(venue_l16_gather(&f, be, sizeof be, &from));
	assert_int_equal(from, 260);
	assert_int_equal(f.pcm[0], -14000);
	assert_int_equal(f.pcm[699], 699 * 40 - 14000);
	assert_int_equal(f.pcm[700], -14000); /* the second packet's first sample */
	f.n = 0;
	assert_false(venue_l16_gather(&f, be, sizeof be, &from));
	assert_int_equal(f.n, 440);
	assert_int_equal(f.pcm[0], 260 * 40 - 14000);
}

static void addresses(void **state)
{
	(void)state;
	struct stun_addr a;
	assert_true(venue_parse_addr("127.0.0.1:5004", &a));
	assert_int_equal(a.family, STUN_IPV4);
	assert_int_equal(a.port, 5004);
	assert_true(venue_parse_addr("[::1]:65535", &a));
	assert_int_equal(a.family, STUN_IPV6);
	assert_int_equal(a.port, 65535);
	const char *bad[] = {"",
			     "127.0.0.1",
			     "127.0.0.1:0",
			     "127.0.0.1:65536",
			     "127.0.0.1:+5",
			     "127.0.0.1:5x",
			     "localhost:5004",
			     "::1:5004",
			     "[::1:5004",
			     "[::1]5004",
			     ":5004",
			     "[]:5004",
			     "127.0.0.1:",
			     "127.0.0.1:-5004",
			     NULL};
	for (size_t i = 0; bad[i]; i++)
		assert_false(venue_parse_addr(bad[i], &a));
	assert_false(venue_parse_addr(NULL, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(opus_check),
	    cmocka_unit_test(l16_check),
	    cmocka_unit_test(l16_gathered),
	    cmocka_unit_test(addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
