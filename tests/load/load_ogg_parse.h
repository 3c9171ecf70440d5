/*
 * load_ogg_parse -- what one listen.ogg client of plenary-load reads, checked as it arrives:
 * the HTTP/1.1 response head, the chunked framing (RFC 9112 sect. 7.1), the Ogg pages
 * (RFC 3533: capture pattern, version, CRC) and the Opus packets on them (RFC 7845:
 * OpusHead, OpusTags, then audio; each packet's length in samples from its TOC byte,
 * RFC 6716 sect. 3.1).
 *
 * Loss is counted from what a page says against what it carries: a page's granule
 * position is the stream's sample count at the end of its last packet, so the samples
 * between two pages' granules that no packet on the later page accounts for were lost
 * (a page dropped on the way: the server's page ring was full, or it dropped a slow
 * client's pages). The first audio page only sets the baseline. Page sequence numbers
 * are checked too: a gap is counted in seq_gaps.
 *
 * Pure: bytes in, counts out; no I/O, no clock, no allocation (test_load_ogg_parse.c).
 */
#ifndef PLENARY_LOAD_OGG_PARSE_H
#define PLENARY_LOAD_OGG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OGG_READER_PAGE_MAX 16384 /* plenaryd's MEDIA_STREAM_PAGE_MAX */
#define OGG_READER_HEAD_MAX 2048  /* the response head */
#define OGG_SAMPLES_PER_MS  48	  /* Opus granule positions count 48 kHz samples */

struct ogg_count {
	uint64_t pages;	       /* audio pages (after OpusHead and OpusTags) */
	uint64_t packets;      /* audio packets on them */
	uint64_t samples;      /* their samples (TOC), at 48 kHz */
	uint64_t lost_samples; /* granule steps no packet accounts for */
	uint64_t seq_gaps;     /* pages missing by sequence number */
	uint64_t bytes;	       /* body bytes (the Ogg stream) */
};

enum ogg_reader_state {
	OGG_R_HEAD = 0, /* the response head, up to the empty line */
	OGG_R_SIZE,	/* a chunk's size line */
	OGG_R_DATA,	/* chunk_left bytes of data */
	OGG_R_DATA_END, /* the CRLF after a chunk's data */
	OGG_R_DONE,	/* the last chunk came: the stream ended */
	OGG_R_BAD,	/* error[] says why; nothing more is read */
};

struct ogg_reader {
	enum ogg_reader_state state;
	char head[OGG_READER_HEAD_MAX];
	size_t head_len;
	char line[24]; /* a chunk-size line so far */
	size_t line_len;
	size_t chunk_left;
	uint8_t page[OGG_READER_PAGE_MAX];
	size_t page_len;
	unsigned headers_seen; /* 0, 1 (OpusHead), 2 (OpusTags): then audio */
	bool have_seq, have_granule, eos;
	uint32_t next_seq;
	int64_t granule;
	struct ogg_count count;
	char error[96];
};

void ogg_reader_init(struct ogg_reader *r);
/* Reads data[0..len). false: the stream is broken (r->error says how) and r stays BAD;
 * data after the last chunk is an error too (nothing else was asked for). */
bool ogg_reader_feed(struct ogg_reader *r, const uint8_t *data, size_t len);
/* Whether the response head has come and was 200 with chunked framing. */
bool ogg_reader_streaming(const struct ogg_reader *r);

/* The Ogg CRC-32 of page[0..len) with its CRC field taken as zero. */
uint32_t ogg_page_crc(const uint8_t *page, size_t len);
/* The samples at 48 kHz in an Opus packet, from its TOC byte (and frame count byte);
 * 0 for a malformed packet. */
unsigned opus_packet_samples(const uint8_t *pkt, size_t len);

#endif
