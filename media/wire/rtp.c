/*
 * RTP header parsing and building (RFC 3550 sect. 5.1, RFC 8285, RFC 6464).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |           synchronization source (SSRC) identifier            |
 *   |            contributing source (CSRC) identifiers  (CC x)     |
 *   |   defined by profile (0xBEDE) |        length (words)         |  if X
 *   |                        header extension ...                   |
 *   |                 payload ...           | padding ... | pad cnt |  if P
 *
 * rtp_parse checks only what every consumer needs to be safe (sizes, version, padding);
 * the extension body is walked lazily by rtp_find_extension, because the mixer asks for
 * one element (the audio level) and most packets carry two or three.
 */
#include "media/wire/rtp.h"
#include "media/wire/bytes.h"

#include <string.h>

const char *rtp_strerror(enum rtp_err err)
{
	switch (err) {
	case RTP_OK:
		return "ok";
	case RTP_ETRUNCATED:
		return "RTP packet shorter than the 12-byte fixed header";
	case RTP_EVERSION:
		return "RTP version is not 2";
	case RTP_ECSRC_OVERRUN:
		return "RTP CSRC list runs past the end of the packet";
	case RTP_EEXT_OVERRUN:
		return "RTP header extension runs past the end of the packet";
	case RTP_EPADDING:
		return "RTP padding count is zero or larger than the packet";
	case RTP_ENO_EXTENSION:
		return "RTP packet has no RFC 8285 header extension";
	case RTP_ENOT_FOUND:
		return "RTP header extension element not present";
	case RTP_EEXT_ELEMENT:
		return "RTP header extension element runs past the extension block";
	case RTP_EBAD_LEVEL:
		return "RTP audio level element is not one byte long";
	case RTP_EINVAL:
		return "invalid argument";
	case RTP_ENOSPACE:
		return "buffer too small";
	}
	return "unknown RTP error";
}

/* The extension block: 16-bit profile, 16-bit length in 32-bit words, then the body. */
static enum rtp_err parse_extension(const uint8_t *buf, size_t len, size_t *off,
				    struct rtp_header *out)
{
	if (len - *off < 4)
		return RTP_EEXT_OVERRUN;
	out->ext_profile = rd16(buf + *off);
	size_t words = rd16(buf + *off + 2);
	*off += 4;
	if (words * 4 > len - *off)
		return RTP_EEXT_OVERRUN;
	out->ext_data = buf + *off;
	out->ext_len = words * 4;
	*off += words * 4;
	return RTP_OK;
}

enum rtp_err rtp_parse(const uint8_t *buf, size_t len, struct rtp_header *out)
{
	if (buf == NULL || len < RTP_HEADER_LEN)
		return RTP_ETRUNCATED;
	if (buf[0] >> 6 != 2)
		return RTP_EVERSION;
	memset(out, 0, sizeof *out);
	out->padding = (buf[0] & 0x20) != 0;
	out->extension = (buf[0] & 0x10) != 0;
	out->csrc_count = buf[0] & 0x0f;
	out->marker = (buf[1] & 0x80) != 0;
	out->payload_type = buf[1] & 0x7f;
	out->seq = rd16(buf + 2);
	out->timestamp = rd32(buf + 4);
	out->ssrc = rd32(buf + 8);

	size_t off = RTP_HEADER_LEN;
	if ((size_t)out->csrc_count * 4 > len - off)
		return RTP_ECSRC_OVERRUN;
	for (unsigned i = 0; i < out->csrc_count; i++, off += 4)
		out->csrc[i] = rd32(buf + off);
	if (out->extension) {
		enum rtp_err err = parse_extension(buf, len, &off, out);
		if (err != RTP_OK)
			return err;
	}
	size_t end = len;
	if (out->padding) {
		/* RFC 3550 sect. 5.1: the count includes itself, so 0 is malformed. */
		uint8_t pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return RTP_EPADDING;
		out->padding_len = pad;
		end -= pad;
	}
	out->header_len = off;
	out->payload = buf + off;
	out->payload_len = end - off;
	return RTP_OK;
}

/* RFC 8285 sect. 4.2: a byte of ID (4 bits) and L (4 bits), then L+1 bytes of data. */
static enum rtp_err find_one_byte(const uint8_t *p, size_t n, uint8_t id, const uint8_t **data,
				  size_t *len)
{
	size_t i = 0;
	while (i < n) {
		uint8_t elem_id = p[i] >> 4;
		size_t elem_len = (size_t)(p[i] & 0x0f) + 1;
		if (elem_id == 0) { /* padding byte */
			i++;
			continue;
		}
		if (elem_id == 15) /* reserved: stop processing here */
			return RTP_ENOT_FOUND;
		if (elem_len > n - i - 1)
			return RTP_EEXT_ELEMENT;
		if (elem_id == id) {
			*data = p + i + 1;
			*len = elem_len;
			return RTP_OK;
		}
		i += 1 + elem_len;
	}
	return RTP_ENOT_FOUND;
}

/* RFC 8285 sect. 4.3: a byte of ID, a byte of length (0..255), then the data. */
static enum rtp_err find_two_byte(const uint8_t *p, size_t n, uint8_t id, const uint8_t **data,
				  size_t *len)
{
	size_t i = 0;
	while (i < n) {
		if (p[i] == 0) { /* padding byte */
			i++;
			continue;
		}
		if (n - i < 2 || p[i + 1] > n - i - 2)
			return RTP_EEXT_ELEMENT;
		size_t elem_len = p[i + 1];
		if (p[i] == id) {
			*data = p + i + 2;
			*len = elem_len;
			return RTP_OK;
		}
		i += 2 + elem_len;
	}
	return RTP_ENOT_FOUND;
}

enum rtp_err rtp_find_extension(const struct rtp_header *hdr, uint8_t id, const uint8_t **data,
				size_t *len)
{
	if (!hdr->extension || hdr->ext_data == NULL)
		return RTP_ENO_EXTENSION;
	if (id == 0)
		return RTP_ENOT_FOUND;
	if (hdr->ext_profile == RTP_EXT_ONE_BYTE) {
		if (id > 14)
			return RTP_ENOT_FOUND;
		return find_one_byte(hdr->ext_data, hdr->ext_len, id, data, len);
	}
	if ((hdr->ext_profile & RTP_EXT_TWO_BYTE_MASK) == RTP_EXT_TWO_BYTE)
		return find_two_byte(hdr->ext_data, hdr->ext_len, id, data, len);
	return RTP_ENO_EXTENSION;
}

enum rtp_err rtp_audio_level(const struct rtp_header *hdr, uint8_t id, bool *voice, uint8_t *level)
{
	const uint8_t *data;
	size_t len;
	enum rtp_err err = rtp_find_extension(hdr, id, &data, &len);
	if (err != RTP_OK)
		return err;
	if (len != 1)
		return RTP_EBAD_LEVEL;
	*voice = (data[0] & 0x80) != 0;
	*level = data[0] & 0x7f;
	return RTP_OK;
}

enum rtp_err rtp_build_header(uint8_t *buf, size_t cap, const struct rtp_build *b, size_t *out_len)
{
	if (buf == NULL || b == NULL || out_len == NULL || b->payload_type > 127 || b->level > 127)
		return RTP_EINVAL;
	bool ext = b->audio_level_id != 0;
	size_t need = ext ? RTP_HEADER_LEN_WITH_LEVEL : RTP_HEADER_LEN;
	if (cap < need)
		return RTP_ENOSPACE;
	buf[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0));
	buf[1] = (uint8_t)((b->marker ? 0x80 : 0) | b->payload_type);
	wr16(buf + 2, b->seq);
	wr32(buf + 4, b->timestamp);
	wr32(buf + 8, b->ssrc);
	if (ext) {
		uint8_t value = (uint8_t)((b->voice ? 0x80 : 0) | b->level);
		wr16(buf + 14, 1); /* one 32-bit word of elements */
		if (b->audio_level_id <= 14) {
			wr16(buf + 12, RTP_EXT_ONE_BYTE);
			buf[16] = (uint8_t)(b->audio_level_id << 4); /* L = 0: one byte */
			buf[17] = value;
			buf[18] = 0;
			buf[19] = 0;
		} else {
			wr16(buf + 12, RTP_EXT_TWO_BYTE);
			buf[16] = b->audio_level_id;
			buf[17] = 1;
			buf[18] = value;
			buf[19] = 0;
		}
	}
	*out_len = need;
	return RTP_OK;
}

int64_t rtp_seq_extend(struct rtp_seq_ext *ext, uint16_t seq)
{
	if (!ext->started) {
		ext->started = true;
		ext->max_seq = seq;
		ext->cycles = 0;
		return seq;
	}
	if (rtp_seq_newer(seq, ext->max_seq)) {
		if (seq < ext->max_seq) /* moved forward across the wrap */
			ext->cycles += 65536;
		ext->max_seq = seq;
		return ext->cycles + seq;
	}
	if (seq > ext->max_seq) /* older, from before the last wrap */
		return ext->cycles - 65536 + seq;
	return ext->cycles + seq;
}
