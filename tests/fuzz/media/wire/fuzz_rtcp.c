/* libFuzzer target for media/wire/rtcp.c: parses any input as a compound packet; on success
 * rebuilds its report blocks and CNAMEs and requires them to parse back unchanged. Then
 * drives the RFC 3550 receiver statistics with the input read as (seq, timestamp,
 * arrival) triples, to catch arithmetic the sanitizers object to. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/wire/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void rebuild(const struct rtcp_compound *c)
{
	static uint8_t out[RTCP_MAX_BLOCKS * RTCP_REPORT_BLOCK_LEN + 64];
	struct rtcp_report_block blocks[RTCP_MAX_BLOCKS];
	for (size_t i = 0; i < c->n_reports; i++)
		blocks[i] = c->reports[i].block;
	size_t n = 0;
	struct rtcp_compound back;
	if (c->has_sr) {
		must(rtcp_build_sr(out, sizeof out, &c->sr, blocks, c->n_reports, &n) == RTCP_OK);
		must(rtcp_parse(out, n, &back) == RTCP_OK);
		must(back.sr.ntp == c->sr.ntp && back.sr.octet_count == c->sr.octet_count);
	} else {
		must(rtcp_build_rr(out, sizeof out, c->rr_ssrc, blocks, c->n_reports, &n) ==
		     RTCP_OK);
		must(rtcp_parse(out, n, &back) == RTCP_OK);
	}
	must(back.n_reports == c->n_reports);
	for (size_t i = 0; i < c->n_reports; i++)
		must(memcmp(&back.reports[i].block, &blocks[i], sizeof blocks[i]) == 0);
	for (size_t i = 0; i < c->n_cnames; i++) {
		if (c->cnames[i].len == 0)
			continue;
		must(rtcp_build_sdes_cname(out, sizeof out, c->cnames[i].ssrc,
					   (const char *)c->cnames[i].text, c->cnames[i].len,
					   &n) == RTCP_OK);
		must(rtcp_parse(out, n, &back) == RTCP_OK);
		must(back.n_cnames == 1 && back.cnames[0].len == c->cnames[i].len &&
		     memcmp(back.cnames[0].text, c->cnames[i].text, c->cnames[i].len) == 0);
	}
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void receiver_stats(const uint8_t *data, size_t size)
{
	if (size < 3)
		return;
	struct rtcp_rx rx;
	rtcp_rx_init(&rx, (uint16_t)(data[0] << 8 | data[1]), data[2] % 3);
	struct rtcp_report_block rb;
	for (size_t off = 3; off + 10 <= size; off += 10) {
		uint16_t seq = (uint16_t)(data[off] << 8 | data[off + 1]);
		if (rtcp_rx_update_seq(&rx, seq))
			rtcp_rx_update_jitter(&rx, rd32(data + off + 2), rd32(data + off + 6));
		if (data[off] & 1)
			rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	}
	rtcp_rx_fill_report(&rx, 1, 0, 0, &rb);
	must(rb.cumulative_lost >= -0x800000 && rb.cumulative_lost <= 0x7fffff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtcp_compound c;
	if (rtcp_parse(data, size, &c) == RTCP_OK) {
		must(c.n_packets > 0);
		rebuild(&c);
	}
	receiver_stats(data, size);
	return 0;
}
