/* libFuzzer target for media/net/venue_rtp_check.c and venue_rtp.c's address parser: what
 * a plain-RTP venue's desk may send, and what an operator may write in venue_rtp.
 *
 * The first byte picks the codec (bit 0: L16, else Opus) and the payload type (96 + bits
 * 1..5); the rest is the datagram. A packet venue_rtp_check takes must have its payload
 * inside the datagram and fit its codec (an even L16 length of at most 20 ms, a 20 ms Opus
 * packet); gathering its L16 samples must take each exactly once into frames that never
 * overflow. The same bytes, as text, go through venue_parse_addr, whose result must be a
 * port of 1..65535. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/net/venue_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void gather(const struct rtp_header *h)
{
	struct venue_l16 f = {.n = (size_t)h->seq % VENUE_L16_FRAME}; /* any fill to start */
	size_t start = f.n, from = 0, frames = 0;
	while (venue_l16_gather(&f, h->payload, h->payload_len, &from)) {
		must(f.n == VENUE_L16_FRAME);
		f.n = 0;
		frames++;
	}
	must(f.n <= VENUE_L16_FRAME && from == h->payload_len / 2);
	must(start + from == frames * VENUE_L16_FRAME + f.n);
}

static void address(const uint8_t *data, size_t size)
{
	char text[80];
	size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	struct stun_addr a;
	if (venue_parse_addr(text, &a))
		must(a.port >= 1 && (a.family == STUN_IPV4 || a.family == STUN_IPV6));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	address(data, size);
	if (size < 1)
		return 0;
	enum media_venue_codec codec = (data[0] & 1) ? MEDIA_VENUE_L16 : MEDIA_VENUE_OPUS;
	uint8_t pt = (uint8_t)(96 + ((data[0] >> 1) & 31));
	const uint8_t *buf = data + 1;
	size_t len = size - 1;
	struct rtp_header h;
	enum venue_drop d = venue_rtp_check(buf, len, codec, pt, &h);
	must(venue_drop_name(d) != NULL);
	if (d != VENUE_OK)
		return 0;
	must(h.payload_type == pt && h.payload_len > 0);
	must(h.payload >= buf && h.payload + h.payload_len <= buf + len);
	if (codec == MEDIA_VENUE_L16) {
		must(h.payload_len % 2 == 0 && h.payload_len <= VENUE_L16_FRAME * 2);
		gather(&h);
	} else {
		must(codec_packet_samples(h.payload, h.payload_len) == CODEC_FRAME);
	}
	return 0;
}
