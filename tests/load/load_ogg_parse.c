/*
 * load_ogg_parse -- see load_ogg_parse.h. Three layers, each handing the next what it
 * took apart: the head (once), the chunks (bytes of the body), the pages (whole pages
 * out of the body, however the chunks cut them).
 */
#include "load_ogg_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool fail(struct ogg_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct ogg_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	r->state = OGG_R_BAD;
	return false;
}

void ogg_reader_init(struct ogg_reader *r)
{
	memset(r, 0, sizeof *r);
}

bool ogg_reader_streaming(const struct ogg_reader *r)
{
	return r->state != OGG_R_HEAD && r->state != OGG_R_BAD;
}

/* --- Ogg and Opus ------------------------------------------------------------------------ */

uint32_t ogg_page_crc(const uint8_t *page, size_t len)
{
	static uint32_t table[256];
	if (table[1] == 0) /* filled once; the same values from any thread */
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i << 24;
			for (int k = 0; k < 8; k++)
				c = c & 0x80000000u ? c << 1 ^ 0x04c11db7u : c << 1;
			table[i] = c;
		}
	uint32_t crc = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = i >= 22 && i < 26 ? 0 : page[i];
		crc = crc << 8 ^ table[(crc >> 24 ^ b) & 0xff];
	}
	return crc;
}

unsigned opus_packet_samples(const uint8_t *pkt, size_t len)
{
	if (len < 1)
		return 0;
	unsigned config = pkt[0] >> 3;
	unsigned frame; /* samples per frame at 48 kHz (RFC 6716 table 2) */
	static const unsigned silk[] = {480, 960, 1920, 2880}; /* 10, 20, 40, 60 ms */
	if (config < 12)
		frame = silk[config & 3];
	else if (config < 16)
		frame = config & 1 ? 960 : 480; /* hybrid: 10, 20 ms */
	else
		frame = 120u << (config & 3); /* CELT: 2.5, 5, 10, 20 ms */
	unsigned code = pkt[0] & 3;
	unsigned frames = code == 0 ? 1 : code < 3 ? 2 : len >= 2 ? (pkt[1] & 0x3fu) : 0;
	unsigned total = frame * frames;
	return total > 5760 ? 0 : total; /* more than 120 ms is not a packet */
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* OpusHead, then OpusTags, each alone on its page (RFC 7845 sect. 3). */
static bool header_page(struct ogg_reader *r, const uint8_t *body, size_t len)
{
	static const char *const magic[] = {"OpusHead", "OpusTags"};
	if (len < 8 || memcmp(body, magic[r->headers_seen], 8) != 0)
		return fail(r, "page %u is not %s", r->headers_seen, magic[r->headers_seen]);
	r->headers_seen++;
	return true;
}

/* An audio page: its packets (the lacing values; a packet ends on a value below 255) and
 * what its granule position says was sent. */
static bool audio_page(struct ogg_reader *r, const uint8_t *p, size_t len)
{
	unsigned nseg = p[26];
	const uint8_t *body = p + 27 + nseg;
	size_t off = 0, pkt_len = 0;
	uint64_t samples = 0, packets = 0;
	for (unsigned s = 0; s < nseg; s++) {
		pkt_len += p[27 + s];
		if (p[27 + s] == 255)
			continue;
		unsigned n = opus_packet_samples(body + off, pkt_len);
		if (n == 0 && pkt_len > 0)
			return fail(r, "an Opus packet with no valid TOC");
		samples += n;
		packets++;
		off += pkt_len;
		pkt_len = 0;
	}
	if (pkt_len != 0 || body + off != p + len)
		return fail(r, "a page ends inside a packet (plenaryd's pages hold whole ones)");
	int64_t granule = (int64_t)((uint64_t)le32(p + 6) | (uint64_t)le32(p + 10) << 32);
	if (r->have_granule && granule != -1) {
		int64_t step = granule - r->granule;
		if (step < (int64_t)samples)
			return fail(r, "granule position went back or short (%lld)",
				    (long long)step);
		r->count.lost_samples += (uint64_t)step - samples;
	}
	if (granule != -1) {
		r->granule = granule;
		r->have_granule = true;
	}
	r->count.pages++;
	r->count.packets += packets;
	r->count.samples += samples;
	return true;
}

static bool page_done(struct ogg_reader *r, const uint8_t *p, size_t len)
{
	if (p[4] != 0)
		return fail(r, "Ogg version %u", p[4]);
	if (ogg_page_crc(p, len) != le32(p + 22))
		return fail(r, "page CRC mismatch");
	uint32_t seq = le32(p + 18);
	if (r->have_seq && seq != r->next_seq) {
		if (seq < r->next_seq)
			return fail(r, "page sequence went back (%u after %u)", seq,
				    r->next_seq - 1);
		r->count.seq_gaps += seq - r->next_seq;
	}
	r->have_seq = true;
	r->next_seq = seq + 1;
	if (r->eos)
		return fail(r, "a page after the end-of-stream page");
	r->eos = (p[5] & 0x04) != 0;
	size_t body = 27u + p[26];
	if (r->headers_seen < 2)
		return header_page(r, p + body, len - body);
	return audio_page(r, p, len);
}

/* The page's whole length once enough of it is in, else how much must come first. */
static size_t page_need(const struct ogg_reader *r)
{
	if (r->page_len < 27)
		return 27;
	size_t need = 27u + r->page[26];
	if (r->page_len < need)
		return need;
	for (unsigned s = 0; s < r->page[26]; s++)
		need += r->page[27 + s];
	return need;
}

/* Body bytes: gathered into whole pages, however the chunks cut them. */
static bool body_bytes(struct ogg_reader *r, const uint8_t *d, size_t len)
{
	r->count.bytes += len;
	while (len > 0) {
		size_t need = page_need(r);
		if (need > sizeof r->page)
			return fail(r, "an Ogg page of %zu bytes", need);
		size_t take = need - r->page_len < len ? need - r->page_len : len;
		memcpy(r->page + r->page_len, d, take);
		r->page_len += take;
		d += take;
		len -= take;
		if (r->page_len >= 4 && memcmp(r->page, "OggS", 4) != 0)
			return fail(r, "no Ogg capture pattern where a page starts");
		if (r->page_len < need || page_need(r) != need)
			continue;
		if (!page_done(r, r->page, r->page_len))
			return false;
		r->page_len = 0;
	}
	return true;
}

/* --- HTTP ---------------------------------------------------------------------------------- */

/* The head up to its empty line; the rest of data is the body's. Returns the bytes it took,
 * or -1 (BAD). */
static long head_bytes(struct ogg_reader *r, const uint8_t *d, size_t len)
{
	size_t take = 0;
	while (take < len && r->state == OGG_R_HEAD) {
		if (r->head_len + 1 >= sizeof r->head)
			return fail(r, "a response head over %zu bytes", sizeof r->head) ? 0 : -1;
		r->head[r->head_len++] = (char)d[take++];
		r->head[r->head_len] = '\0';
		if (r->head_len >= 4 && memcmp(r->head + r->head_len - 4, "\r\n\r\n", 4) == 0)
			r->state = OGG_R_SIZE;
	}
	if (r->state == OGG_R_HEAD)
		return (long)take;
	int status = 0;
	if (sscanf(r->head, "HTTP/1.1 %d", &status) != 1 || status != 200)
		return fail(r, "HTTP status %d", status) ? 0 : -1;
	bool chunked = false;
	for (const char *h = strstr(r->head, "\r\n"); h && !chunked; h = strstr(h + 2, "\r\n"))
		chunked = strncasecmp(h + 2, "transfer-encoding:", 18) == 0 &&
			  strstr(h + 20, "chunked") != NULL;
	if (!chunked)
		return fail(r, "the response is not chunked") ? 0 : -1;
	return (long)take;
}

/* A chunk-size line: hex digits, an optional extension, CRLF. */
static bool size_byte(struct ogg_reader *r, uint8_t c)
{
	if (c != '\n') {
		if (r->line_len + 1 >= sizeof r->line)
			return fail(r, "a chunk-size line too long");
		r->line[r->line_len++] = (char)c;
		return true;
	}
	r->line[r->line_len] = '\0';
	char *end;
	unsigned long n = strtoul(r->line, &end, 16);
	r->line_len = 0;
	if (end == r->line || (*end != '\r' && *end != ';'))
		return fail(r, "a bad chunk-size line");
	r->chunk_left = n;
	r->state = n == 0 ? OGG_R_DONE : OGG_R_DATA;
	return true;
}

static bool chunk_bytes(struct ogg_reader *r, const uint8_t *d, size_t len)
{
	while (len > 0) {
		if (r->state == OGG_R_DONE)
			return r->line_len + len <= 2 ? (r->line_len += len, true)
						      : fail(r, "bytes after the last chunk");
		if (r->state == OGG_R_SIZE) {
			if (!size_byte(r, *d))
				return false;
			d++, len--;
			continue;
		}
		if (r->state == OGG_R_DATA_END) {
			if (*d != (r->line_len == 0 ? '\r' : '\n'))
				return fail(r, "no CRLF after a chunk");
			r->line_len = r->line_len == 0 ? 1 : 0;
			r->state = r->line_len ? OGG_R_DATA_END : OGG_R_SIZE;
			d++, len--;
			continue;
		}
		size_t take = r->chunk_left < len ? r->chunk_left : len;
		if (!body_bytes(r, d, take))
			return false;
		r->chunk_left -= take;
		d += take, len -= take;
		if (r->chunk_left == 0)
			r->state = OGG_R_DATA_END;
	}
	return true;
}

bool ogg_reader_feed(struct ogg_reader *r, const uint8_t *data, size_t len)
{
	if (r->state == OGG_R_BAD)
		return false;
	if (r->state == OGG_R_HEAD) {
		long took = head_bytes(r, data, len);
		if (took < 0)
			return false;
		data += took;
		len -= (size_t)took;
	}
	return len == 0 || chunk_bytes(r, data, len);
}
