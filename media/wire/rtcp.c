/*
 * Compound RTCP (RFC 3550 sect. 6): parsing, SR/RR/SDES builders, receiver statistics.
 *
 * Every packet starts with the same 4-byte header,
 *
 *    0                   1                   2                   3
 *   |V=2|P|   count |      PT       |       length (words - 1)      |
 *
 * so parsing is a loop that checks the header, slices the packet (minus padding, which
 * RFC 3550 A.2 allows only on the last one) and hands the body to a per-type function
 * that checks the body is as long as the type and count require before reading it.
 * Types we do not use (APP, RTPFB, PSFB, XR, unknown) are length-checked and counted.
 */
#include "media/wire/rtcp.h"
#include "media/wire/bytes.h"

#include <string.h>

/* RFC 3550 A.1 constants. */
#define SEQ_MOD	     (1u << 16)
#define MAX_DROPOUT  3000
#define MAX_MISORDER 100
#define LOST_MAX     0x7fffff
#define LOST_MIN     (-0x800000)
#define SDES_END     0
#define SDES_CNAME   1

const char *rtcp_strerror(enum rtcp_err err)
{
	switch (err) {
	case RTCP_OK:
		return "ok";
	case RTCP_ETRUNCATED:
		return "RTCP packet truncated: length runs past the end";
	case RTCP_EVERSION:
		return "RTCP version is not 2";
	case RTCP_EPADDING:
		return "RTCP padding on a packet that is not the last, or a bad pad count";
	case RTCP_ESHORT:
		return "RTCP packet shorter than its type and count require";
	case RTCP_ESDES:
		return "RTCP SDES chunk or item runs past its packet";
	case RTCP_EBYE:
		return "RTCP BYE reason runs past its packet";
	case RTCP_ETOO_MANY:
		return "RTCP compound has more report blocks, CNAMEs or BYE sources than allowed";
	case RTCP_EINVAL:
		return "invalid argument";
	case RTCP_ENOSPACE:
		return "buffer too small";
	}
	return "unknown RTCP error";
}

/* One packet: type, the count field, and its body without header and padding. */
struct packet {
	uint8_t type;
	uint8_t count;
	const uint8_t *body;
	size_t len;
};

static void read_block(const uint8_t *p, struct rtcp_report_block *rb)
{
	rb->ssrc = rd32(p);
	rb->fraction_lost = p[4];
	uint32_t lost = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	/* Sign-extend the 24-bit field. */
	rb->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	rb->ext_highest_seq = rd32(p + 8);
	rb->jitter = rd32(p + 12);
	rb->lsr = rd32(p + 16);
	rb->dlsr = rd32(p + 20);
}

static enum rtcp_err read_blocks(const uint8_t *p, unsigned n, uint32_t reporter,
				 struct rtcp_compound *out)
{
	if (n > RTCP_MAX_BLOCKS - out->n_reports)
		return RTCP_ETOO_MANY;
	for (unsigned i = 0; i < n; i++) {
		struct rtcp_report *r = &out->reports[out->n_reports++];
		r->reporter = reporter;
		read_block(p + (size_t)i * RTCP_REPORT_BLOCK_LEN, &r->block);
	}
	return RTCP_OK;
}

/* RFC 3550 sect. 6.4.1: SSRC, 20 bytes of sender info, then count report blocks. Bytes
 * after the blocks are profile-specific extensions, allowed and ignored. */
static enum rtcp_err parse_sr(const struct packet *pk, struct rtcp_compound *out)
{
	if (pk->len < 24 + (size_t)pk->count * RTCP_REPORT_BLOCK_LEN)
		return RTCP_ESHORT;
	const uint8_t *p = pk->body;
	uint32_t ssrc = rd32(p);
	if (!out->has_sr) {
		out->has_sr = true;
		out->sr.ssrc = ssrc;
		out->sr.ntp = (uint64_t)rd32(p + 4) << 32 | rd32(p + 8);
		out->sr.rtp_ts = rd32(p + 12);
		out->sr.packet_count = rd32(p + 16);
		out->sr.octet_count = rd32(p + 20);
	}
	return read_blocks(p + 24, pk->count, ssrc, out);
}

/* RFC 3550 sect. 6.4.2: SSRC, then count report blocks. */
static enum rtcp_err parse_rr(const struct packet *pk, struct rtcp_compound *out)
{
	if (pk->len < 4 + (size_t)pk->count * RTCP_REPORT_BLOCK_LEN)
		return RTCP_ESHORT;
	uint32_t ssrc = rd32(pk->body);
	if (!out->has_rr) {
		out->has_rr = true;
		out->rr_ssrc = ssrc;
	}
	return read_blocks(pk->body + 4, pk->count, ssrc, out);
}

/* One SDES chunk at *off: SSRC, items of (type, length, text), ended by a zero type and
 * padded with zeros to the next 32-bit boundary (RFC 3550 sect. 6.5). */
static enum rtcp_err parse_sdes_chunk(const struct packet *pk, size_t *off,
				      struct rtcp_compound *out)
{
	const uint8_t *p = pk->body;
	size_t n = pk->len, i = *off;
	if (n - i < 4)
		return RTCP_ESDES;
	uint32_t ssrc = rd32(p + i);
	i += 4;
	for (;;) {
		if (i >= n)
			return RTCP_ESDES;
		if (p[i] == SDES_END)
			break;
		if (n - i < 2 || p[i + 1] > n - i - 2)
			return RTCP_ESDES;
		if (p[i] == SDES_CNAME) {
			if (out->n_cnames == RTCP_MAX_CNAMES)
				return RTCP_ETOO_MANY;
			struct rtcp_cname *c = &out->cnames[out->n_cnames++];
			c->ssrc = ssrc;
			c->text = p + i + 2;
			c->len = p[i + 1];
		}
		i += 2 + (size_t)p[i + 1];
	}
	/* Skip the terminating zero and the padding; the boundary may not pass the end. */
	i = (i + 4) & ~(size_t)3;
	if (i > n)
		return RTCP_ESDES;
	*off = i;
	return RTCP_OK;
}

static enum rtcp_err parse_sdes(const struct packet *pk, struct rtcp_compound *out)
{
	size_t off = 0;
	for (unsigned c = 0; c < pk->count; c++) {
		enum rtcp_err err = parse_sdes_chunk(pk, &off, out);
		if (err != RTCP_OK)
			return err;
	}
	return RTCP_OK;
}

/* RFC 3550 sect. 6.6: count SSRCs, then optionally a length-prefixed reason. */
static enum rtcp_err parse_bye(const struct packet *pk, struct rtcp_compound *out)
{
	size_t ids = (size_t)pk->count * 4;
	if (pk->len < ids)
		return RTCP_ESHORT;
	if (pk->count > RTCP_MAX_BYE - out->n_bye)
		return RTCP_ETOO_MANY;
	for (unsigned i = 0; i < pk->count; i++)
		out->bye[out->n_bye++] = rd32(pk->body + (size_t)i * 4);
	if (pk->len > ids) {
		uint8_t rlen = pk->body[ids];
		if (rlen > pk->len - ids - 1)
			return RTCP_EBYE;
		if (out->bye_reason == NULL) {
			out->bye_reason = pk->body + ids + 1;
			out->bye_reason_len = rlen;
		}
	}
	return RTCP_OK;
}

static enum rtcp_err parse_body(const struct packet *pk, struct rtcp_compound *out)
{
	switch (pk->type) {
	case RTCP_SR:
		return parse_sr(pk, out);
	case RTCP_RR:
		return parse_rr(pk, out);
	case RTCP_SDES:
		return parse_sdes(pk, out);
	case RTCP_BYE:
		return parse_bye(pk, out);
	case RTCP_APP: /* SSRC and a 4-character name, RFC 3550 sect. 6.7 */
		if (pk->len < 8)
			return RTCP_ESHORT;
		out->n_app++;
		return RTCP_OK;
	case RTCP_RTPFB: /* sender and media SSRC, RFC 4585 sect. 6.1 */
	case RTCP_PSFB:
		if (pk->len < 8)
			return RTCP_ESHORT;
		if (pk->type == RTCP_RTPFB)
			out->n_rtpfb++;
		else
			out->n_psfb++;
		return RTCP_OK;
	default:
		out->n_other++;
		return RTCP_OK;
	}
}

/* Slices the packet at buf[*off..len) and advances *off past it. */
static enum rtcp_err next_packet(const uint8_t *buf, size_t len, size_t *off, struct packet *pk)
{
	const uint8_t *p = buf + *off;
	size_t left = len - *off;
	if (left < RTCP_HEADER_LEN)
		return RTCP_ETRUNCATED;
	if (p[0] >> 6 != 2)
		return RTCP_EVERSION;
	size_t size = ((size_t)rd16(p + 2) + 1) * 4;
	if (size > left)
		return RTCP_ETRUNCATED;
	pk->type = p[1];
	pk->count = p[0] & 0x1f;
	pk->body = p + RTCP_HEADER_LEN;
	pk->len = size - RTCP_HEADER_LEN;
	if (p[0] & 0x20) {
		uint8_t pad = p[size - 1];
		if (size != left || pad == 0 || pad > pk->len)
			return RTCP_EPADDING;
		pk->len -= pad;
	}
	*off += size;
	return RTCP_OK;
}

enum rtcp_err rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_compound *out)
{
	memset(out, 0, sizeof *out);
	if (buf == NULL || len == 0)
		return RTCP_ETRUNCATED;
	size_t off = 0;
	while (off < len) {
		struct packet pk;
		enum rtcp_err err = next_packet(buf, len, &off, &pk);
		if (err == RTCP_OK)
			err = parse_body(&pk, out);
		if (err != RTCP_OK)
			return err;
		out->n_packets++;
	}
	return RTCP_OK;
}

static void write_header(uint8_t *p, uint8_t count, uint8_t type, size_t size)
{
	p[0] = (uint8_t)(0x80 | count);
	p[1] = type;
	wr16(p + 2, (uint16_t)(size / 4 - 1));
}

static void write_block(uint8_t *p, const struct rtcp_report_block *rb)
{
	int32_t lost = rb->cumulative_lost;
	if (lost > LOST_MAX)
		lost = LOST_MAX;
	if (lost < LOST_MIN)
		lost = LOST_MIN;
	uint32_t l24 = (uint32_t)lost & 0xffffff;
	wr32(p, rb->ssrc);
	p[4] = rb->fraction_lost;
	p[5] = (uint8_t)(l24 >> 16);
	p[6] = (uint8_t)(l24 >> 8);
	p[7] = (uint8_t)l24;
	wr32(p + 8, rb->ext_highest_seq);
	wr32(p + 12, rb->jitter);
	wr32(p + 16, rb->lsr);
	wr32(p + 20, rb->dlsr);
}

enum rtcp_err rtcp_build_sr(uint8_t *buf, size_t cap, const struct rtcp_sender_info *si,
			    const struct rtcp_report_block *blocks, size_t n, size_t *out_len)
{
	if (buf == NULL || si == NULL || out_len == NULL || n > RTCP_MAX_BLOCKS ||
	    (n > 0 && blocks == NULL))
		return RTCP_EINVAL;
	size_t size = RTCP_HEADER_LEN + 24 + n * RTCP_REPORT_BLOCK_LEN;
	if (cap < size)
		return RTCP_ENOSPACE;
	write_header(buf, (uint8_t)n, RTCP_SR, size);
	wr32(buf + 4, si->ssrc);
	wr32(buf + 8, (uint32_t)(si->ntp >> 32));
	wr32(buf + 12, (uint32_t)si->ntp);
	wr32(buf + 16, si->rtp_ts);
	wr32(buf + 20, si->packet_count);
	wr32(buf + 24, si->octet_count);
	for (size_t i = 0; i < n; i++)
		write_block(buf + 28 + i * RTCP_REPORT_BLOCK_LEN, &blocks[i]);
	*out_len = size;
	return RTCP_OK;
}

enum rtcp_err rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
			    const struct rtcp_report_block *blocks, size_t n, size_t *out_len)
{
	if (buf == NULL || out_len == NULL || n > RTCP_MAX_BLOCKS || (n > 0 && blocks == NULL))
		return RTCP_EINVAL;
	size_t size = RTCP_HEADER_LEN + 4 + n * RTCP_REPORT_BLOCK_LEN;
	if (cap < size)
		return RTCP_ENOSPACE;
	write_header(buf, (uint8_t)n, RTCP_RR, size);
	wr32(buf + 4, ssrc);
	for (size_t i = 0; i < n; i++)
		write_block(buf + 8 + i * RTCP_REPORT_BLOCK_LEN, &blocks[i]);
	*out_len = size;
	return RTCP_OK;
}

enum rtcp_err rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname,
				    size_t cname_len, size_t *out_len)
{
	if (buf == NULL || cname == NULL || out_len == NULL || cname_len == 0 || cname_len > 255)
		return RTCP_EINVAL;
	/* header, SSRC, CNAME item (type, length, text), at least one zero, pad to 4. */
	size_t size = (RTCP_HEADER_LEN + 4 + 2 + cname_len + 1 + 3) & ~(size_t)3;
	if (cap < size)
		return RTCP_ENOSPACE;
	memset(buf, 0, size);
	write_header(buf, 1, RTCP_SDES, size);
	wr32(buf + 4, ssrc);
	buf[8] = SDES_CNAME;
	buf[9] = (uint8_t)cname_len;
	memcpy(buf + 10, cname, cname_len);
	*out_len = size;
	return RTCP_OK;
}

/* RFC 3550 A.1 init_seq. */
static void rx_restart(struct rtcp_rx *rx, uint16_t seq)
{
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
	rx->cycles = 0;
	rx->received = 0;
	rx->received_prior = 0;
	rx->expected_prior = 0;
}

void rtcp_rx_init(struct rtcp_rx *rx, uint16_t seq, uint32_t probation)
{
	memset(rx, 0, sizeof *rx);
	rx_restart(rx, seq);
	rx->probation = probation;
	if (probation > 0)
		rx->max_seq = (uint16_t)(seq - 1); /* so the first packet is "in sequence" */
}

bool rtcp_rx_update_seq(struct rtcp_rx *rx, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - rx->max_seq);
	if (rx->probation > 0) {
		/* A.1 compares with max_seq + 1 in int, which misses the wrap; we do not. */
		if (seq == (uint16_t)(rx->max_seq + 1)) {
			rx->probation--;
			rx->max_seq = seq;
			if (rx->probation == 0) {
				rx_restart(rx, seq);
				rx->received++;
				return true;
			}
		} else {
			rx->probation = 1; /* MIN_SEQUENTIAL - 1 */
			rx->max_seq = seq;
		}
		return false;
	}
	if (udelta < MAX_DROPOUT) {
		if (seq < rx->max_seq) /* in order, with a permissible gap, across the wrap */
			rx->cycles += SEQ_MOD;
		rx->max_seq = seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: believe it only if the next packet follows it. */
		if (seq != rx->bad_seq) {
			rx->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return false;
		}
		rx_restart(rx, seq);
	}
	/* else a duplicate or reordered packet: counted, max unchanged */
	rx->received++;
	return true;
}

void rtcp_rx_update_jitter(struct rtcp_rx *rx, uint32_t rtp_ts, uint32_t arrival)
{
	uint32_t transit = arrival - rtp_ts;
	if (!rx->have_transit) {
		rx->have_transit = true;
		rx->transit = transit;
		return;
	}
	/* |D(i-1,i)| as the difference of two transit times, modulo 2^32. */
	int32_t d = (int32_t)(transit - rx->transit);
	uint64_t ad = d < 0 ? (uint64_t)(-(int64_t)d) : (uint64_t)d;
	rx->transit = transit;
	/* J += (|D| - J) / 16, kept << 4 so integer arithmetic loses nothing (A.8). */
	rx->jitter_q4 = rx->jitter_q4 + ad - ((rx->jitter_q4 + 8) >> 4);
}

void rtcp_rx_fill_report(struct rtcp_rx *rx, uint32_t ssrc, uint32_t lsr, uint32_t dlsr,
			 struct rtcp_report_block *rb)
{
	uint32_t extended_max = rx->cycles + rx->max_seq;
	uint32_t expected = extended_max - rx->base_seq + 1;
	int64_t lost = (int64_t)expected - (int64_t)rx->received;
	if (lost > LOST_MAX)
		lost = LOST_MAX;
	if (lost < LOST_MIN)
		lost = LOST_MIN;
	uint32_t expected_interval = expected - rx->expected_prior;
	rx->expected_prior = expected;
	uint32_t received_interval = rx->received - rx->received_prior;
	rx->received_prior = rx->received;
	int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
	uint32_t fraction = 0;
	if (expected_interval != 0 && lost_interval > 0) {
		uint64_t f = ((uint64_t)lost_interval << 8) / expected_interval;
		fraction = f > 255 ? 255 : (uint32_t)f; /* all lost would be 256 */
	}
	uint64_t jitter = rx->jitter_q4 >> 4;
	rb->ssrc = ssrc;
	rb->fraction_lost = (uint8_t)fraction;
	rb->cumulative_lost = (int32_t)lost;
	rb->ext_highest_seq = extended_max;
	rb->jitter = jitter > UINT32_MAX ? UINT32_MAX : (uint32_t)jitter;
	rb->lsr = lsr;
	rb->dlsr = dlsr;
}
