/*
 * Ogg Opus encapsulation; see ogg_opus.h for the page layout and the timeline.
 *
 * The two header packets are built by hand (RFC 7845 sect. 5.1 and 5.2: little-endian
 * fields after a magic signature) and each flushed to a page of its own, as the RFC
 * requires: the identification header alone on the first page, the comment header
 * finishing the second. Both pages are copied into the writer so a late listener can get
 * them without libogg.
 *
 * Audio packets are held back by one (the EOS problem, see the header). libogg puts a
 * packet's granule position on the page where the packet ends, so pages carry the
 * cumulative duration of the packets they finish, which is what RFC 7845 sect. 4 asks.
 */
#include "media/record/ogg_opus.h"

#include <stdlib.h>
#include <string.h>

#include <ogg/ogg.h>

#define HEAD_LEN    19
#define OPUS_RATE   48000
#define MAX_SAMPLES 5760 /* 120 ms, the longest Opus packet */
#define TAGS_MAX_BYTES                                                                             \
	(8 + 4 + OGGOPUS_MAX_TAG_BYTES + 4 + OGGOPUS_MAX_TAGS * (4 + OGGOPUS_MAX_TAG_BYTES))

enum state { ST_NEW, ST_STARTED, ST_FINISHED, ST_FAILED };

struct oggopus {
	ogg_stream_state os;
	enum state state;
	oggopus_page_fn on_page;
	void *arg;
	unsigned flush_packets, since_page;
	int64_t granule, packetno;
	bool have_held;
	size_t held_len;
	int64_t held_granule;
	uint8_t held[OGGOPUS_MAX_PACKET];
	/* The header pages, each stored as its header bytes then its body bytes. */
	size_t page_len[2], page_header_len[2];
	size_t headers_len;
	uint8_t headers[OGGOPUS_MAX_HEADER_BYTES];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* RFC 7845 sect. 5.1, channel mapping family 0 (mono or stereo). */
static void build_head(const struct oggopus_config *c, uint8_t head[HEAD_LEN])
{
	memcpy(head, "OpusHead", 8);
	head[8] = 1; /* version */
	head[9] = c->channels;
	put16(head + 10, c->pre_skip);
	put32(head + 12, OPUS_RATE); /* input sample rate, informational */
	put16(head + 16, 0);	     /* output gain */
	head[18] = 0;		     /* mapping family */
}

/* A user comment is "KEY=value" with a non-empty key of printable ASCII but '='
 * (RFC 7845 sect. 5.2, after the Vorbis comment rules). */
static bool valid_tag(const char *t)
{
	size_t len = strnlen(t, OGGOPUS_MAX_TAG_BYTES + 1);
	const char *eq = memchr(t, '=', len);
	if (len > OGGOPUS_MAX_TAG_BYTES || !eq || eq == t)
		return false;
	for (const char *k = t; k < eq; k++)
		if (*k < 0x20 || *k > 0x7d)
			return false;
	return true;
}

/* RFC 7845 sect. 5.2. Returns the length, or 0 when a tag or the vendor is invalid. */
static size_t build_tags(const struct oggopus_config *c, uint8_t *out)
{
	const char *vendor = c->vendor ? c->vendor : "plenary";
	size_t vlen = strnlen(vendor, OGGOPUS_MAX_TAG_BYTES + 1);
	if (vlen > OGGOPUS_MAX_TAG_BYTES)
		return 0;
	memcpy(out, "OpusTags", 8);
	put32(out + 8, (uint32_t)vlen);
	memcpy(out + 12, vendor, vlen);
	size_t n = 0, pos = 12 + vlen + 4;
	for (; n < OGGOPUS_MAX_TAGS && c->tags[n]; n++) {
		if (!valid_tag(c->tags[n]))
			return 0;
		size_t tlen = strlen(c->tags[n]);
		put32(out + pos, (uint32_t)tlen);
		memcpy(out + pos + 4, c->tags[n], tlen);
		pos += 4 + tlen;
	}
	put32(out + 12 + vlen, (uint32_t)n);
	return pos;
}

/* Submits one header packet and flushes it to a page of its own, kept in w->headers. */
static enum media_err header_page(struct oggopus *w, int i, uint8_t *data, size_t len)
{
	ogg_packet op = {.packet = data,
			 .bytes = (long)len,
			 .b_o_s = i == 0,
			 .granulepos = 0,
			 .packetno = w->packetno++};
	ogg_page og;
	if (ogg_stream_packetin(&w->os, &op) != 0 || ogg_stream_flush(&w->os, &og) == 0)
		return MEDIA_ERR_CODEC;
	size_t plen = (size_t)og.header_len + (size_t)og.body_len;
	if (w->headers_len + plen > sizeof w->headers)
		return MEDIA_ERR_PARAM;
	memcpy(w->headers + w->headers_len, og.header, (size_t)og.header_len);
	memcpy(w->headers + w->headers_len + og.header_len, og.body, (size_t)og.body_len);
	w->page_len[i] = plen;
	w->page_header_len[i] = (size_t)og.header_len;
	w->headers_len += plen;
	return MEDIA_OK;
}

static enum media_err check_config(const struct oggopus_config *cfg)
{
	if (!cfg || !cfg->on_page || cfg->channels > 2 || cfg->flush_packets > 255)
		return MEDIA_ERR_PARAM;
	return MEDIA_OK;
}

static enum media_err build_headers(struct oggopus *w, const struct oggopus_config *c)
{
	uint8_t head[HEAD_LEN];
	uint8_t *tags = malloc(TAGS_MAX_BYTES);
	if (!tags)
		return MEDIA_ERR_NOMEM;
	size_t tags_len = build_tags(c, tags);
	enum media_err err = tags_len ? MEDIA_OK : MEDIA_ERR_PARAM;
	build_head(c, head);
	if (!err)
		err = header_page(w, 0, head, sizeof head);
	if (!err)
		err = header_page(w, 1, tags, tags_len);
	free(tags);
	return err;
}

enum media_err oggopus_create(const struct oggopus_config *cfg, struct oggopus **out)
{
	if (!out || check_config(cfg))
		return MEDIA_ERR_PARAM;
	struct oggopus_config c = *cfg;
	if (c.channels == 0)
		c.channels = 1;
	struct oggopus *w = calloc(1, sizeof *w);
	if (!w)
		return MEDIA_ERR_NOMEM;
	if (ogg_stream_init(&w->os, (int)c.serial) != 0) {
		free(w);
		return MEDIA_ERR_NOMEM;
	}
	w->on_page = c.on_page;
	w->arg = c.arg;
	w->flush_packets = c.flush_packets ? c.flush_packets : OGGOPUS_DEFAULT_FLUSH;
	enum media_err err = build_headers(w, &c);
	if (err) {
		oggopus_destroy(w);
		return err;
	}
	*out = w;
	return MEDIA_OK;
}

void oggopus_destroy(struct oggopus *w)
{
	if (!w)
		return;
	ogg_stream_clear(&w->os);
	free(w);
}

static enum media_err emit(struct oggopus *w, const uint8_t *header, size_t hlen,
			   const uint8_t *body, size_t blen)
{
	if (w->on_page(w->arg, header, hlen, body, blen) != 0) {
		w->state = ST_FAILED;
		return MEDIA_ERR_SYSTEM;
	}
	return MEDIA_OK;
}

enum media_err oggopus_start(struct oggopus *w)
{
	if (!w)
		return MEDIA_ERR_PARAM;
	if (w->state != ST_NEW)
		return MEDIA_ERR_STATE;
	w->state = ST_STARTED;
	const uint8_t *p = w->headers;
	for (int i = 0; i < 2; i++) {
		size_t h = w->page_header_len[i];
		enum media_err err = emit(w, p, h, p + h, w->page_len[i] - h);
		if (err)
			return err;
		p += w->page_len[i];
	}
	return MEDIA_OK;
}

/* Hands libogg's finished pages to the callback: full ones, or with force everything. */
static enum media_err drain_pages(struct oggopus *w, bool force)
{
	ogg_page og;
	while (force ? ogg_stream_flush(&w->os, &og) : ogg_stream_pageout(&w->os, &og)) {
		enum media_err err =
		    emit(w, og.header, (size_t)og.header_len, og.body, (size_t)og.body_len);
		if (err)
			return err;
		w->since_page = 0;
	}
	return MEDIA_OK;
}

static enum media_err submit_held(struct oggopus *w, bool eos)
{
	ogg_packet op = {.packet = w->held,
			 .bytes = (long)w->held_len,
			 .e_o_s = eos,
			 .granulepos = w->held_granule,
			 .packetno = w->packetno++};
	w->have_held = false;
	if (ogg_stream_packetin(&w->os, &op) != 0) {
		w->state = ST_FAILED;
		return MEDIA_ERR_CODEC;
	}
	w->since_page++;
	enum media_err err = drain_pages(w, false);
	if (!err && (eos || w->since_page >= w->flush_packets))
		err = drain_pages(w, true);
	return err;
}

enum media_err oggopus_write(struct oggopus *w, const uint8_t *pkt, size_t len, uint32_t samples)
{
	if (!w || !pkt || len == 0 || samples == 0 || samples > MAX_SAMPLES)
		return MEDIA_ERR_PARAM;
	if (len > OGGOPUS_MAX_PACKET)
		return MEDIA_ERR_TOOBIG;
	if (w->state != ST_STARTED)
		return MEDIA_ERR_STATE;
	if (w->have_held) {
		enum media_err err = submit_held(w, false);
		if (err)
			return err;
	}
	memcpy(w->held, pkt, len);
	w->held_len = len;
	w->granule += samples;
	w->held_granule = w->granule;
	w->have_held = true;
	return MEDIA_OK;
}

enum media_err oggopus_finish(struct oggopus *w)
{
	if (!w)
		return MEDIA_ERR_PARAM;
	if (w->state != ST_STARTED)
		return MEDIA_ERR_STATE;
	enum media_err err = MEDIA_OK;
	if (w->have_held)
		err = submit_held(w, true);
	if (!err)
		err = drain_pages(w, true);
	if (!err)
		w->state = ST_FINISHED;
	return err;
}

void oggopus_headers(const struct oggopus *w, const uint8_t **data, size_t *len)
{
	*data = w ? w->headers : NULL;
	*len = w ? w->headers_len : 0;
}

int64_t oggopus_granule(const struct oggopus *w)
{
	return w ? w->granule : 0;
}
