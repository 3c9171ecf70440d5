/* libFuzzer target for media/wire/rtp.c: parses any input; on success looks up every
 * extension id in both forms and the audio level, extends the sequence number, rebuilds
 * the header and requires the rebuilt header to parse to the same fields. */
#include <stddef.h>
#include <stdint.h>

#include "media/wire/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void lookups(const struct rtp_header *h)
{
	for (unsigned id = 0; id < 256; id++) {
		const uint8_t *d;
		size_t n;
		if (rtp_find_extension(h, (uint8_t)id, &d, &n) == RTP_OK)
			must(d >= h->ext_data && d + n <= h->ext_data + h->ext_len);
		bool voice;
		uint8_t level;
		if (rtp_audio_level(h, (uint8_t)id, &voice, &level) == RTP_OK)
			must(level <= 127);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_header h;
	if (rtp_parse(data, size, &h) != RTP_OK)
		return 0;
	must(h.header_len + h.payload_len + h.padding_len == size);
	lookups(&h);
	struct rtp_seq_ext ext = {0};
	int64_t first = rtp_seq_extend(&ext, h.seq);
	int64_t again = rtp_seq_extend(&ext, (uint16_t)(h.seq + h.payload_type));
	must(first == h.seq && again >= first);

	uint8_t out[RTP_HEADER_LEN_WITH_LEVEL];
	size_t n = 0;
	struct rtp_build b = {
	    h.marker, h.payload_type,	      h.seq,	       h.timestamp,
	    h.ssrc,   (uint8_t)(size & 0xff), (size & 1) != 0, (uint8_t)(h.seq & 0x7f)};
	must(rtp_build_header(out, sizeof out, &b, &n) == RTP_OK);
	struct rtp_header r;
	must(rtp_parse(out, n, &r) == RTP_OK);
	must(r.seq == h.seq && r.timestamp == h.timestamp && r.ssrc == h.ssrc &&
	     r.payload_type == h.payload_type && r.marker == h.marker);
	if (b.audio_level_id != 0) {
		bool voice;
		uint8_t level;
		must(rtp_audio_level(&r, b.audio_level_id, &voice, &level) == RTP_OK);
		must(voice == b.voice && level == b.level);
	}
	return 0;
}
