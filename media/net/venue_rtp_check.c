/*
 * What a venue's desk sends, checked before anything else looks at it: the RTP header
 * (rtp_parse), the payload type the configuration agreed, and a payload the mixer can
 * take -- a 20 ms Opus packet, or whole big-endian 16-bit samples. Pure: the fuzzer
 * (tests/fuzz/media/net/fuzz_venue_rtp.c) drives it with any bytes.
 */
#include "media/net/venue_rtp.h"

const char *venue_drop_name(enum venue_drop d)
{
	switch (d) {
	case VENUE_OK:
		return "ok";
	case VENUE_EBAD_RTP:
		return "not an RTP version 2 packet";
	case VENUE_EPT:
		return "another payload type than the configured one";
	case VENUE_EEMPTY:
		return "no payload";
	case VENUE_EL16:
		return "an L16 payload of an odd number of bytes or over 20 ms";
	case VENUE_EOPUS:
		return "not a 20 ms Opus packet";
	}
	return "?";
}

enum venue_drop venue_rtp_check(const uint8_t *buf, size_t len, enum media_venue_codec codec,
				uint8_t pt, struct rtp_header *out)
{
	if (rtp_parse(buf, len, out) != RTP_OK)
		return VENUE_EBAD_RTP;
	if (out->payload_type != pt)
		return VENUE_EPT;
	if (out->payload_len == 0)
		return VENUE_EEMPTY;
	if (codec == MEDIA_VENUE_L16)
		return out->payload_len % 2 == 0 && out->payload_len <= VENUE_L16_FRAME * 2
			   ? VENUE_OK
			   : VENUE_EL16;
	return codec_packet_samples(out->payload, out->payload_len) == CODEC_FRAME ? VENUE_OK
										   : VENUE_EOPUS;
}

bool venue_l16_gather(struct venue_l16 *f, const uint8_t *be, size_t len, size_t *from)
{
	size_t samples = len / 2;
	while (*from < samples && f->n < VENUE_L16_FRAME) {
		const uint8_t *s = be + 2 * *from;
		f->pcm[f->n++] = (int16_t)(uint16_t)((unsigned)s[0] << 8 | s[1]);
		(*from)++;
	}
	return f->n == VENUE_L16_FRAME;
}
