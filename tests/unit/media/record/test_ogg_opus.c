/* Unit tests for media/record/ogg_opus.c: a stream is parsed back with libogg -- OpusHead alone on
 * the first page with the right fields, OpusTags on the second, granule positions that
 * grow by each packet's duration (DTX included), pages every flush_packets packets, EOS on
 * the last page; the header pages kept for late listeners are the stream's first bytes;
 * and, when opus-tools is installed, opusinfo accepts a file of a 440 Hz tone and opusdec
 * decodes it to the right length with the tone in it. Errors: order, tags, callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ogg/ogg.h>

#include "media/mix/opus_codec.h"
#include "media/record/ogg_opus.h"
#include "media/test_audio.h"

struct sink {
	uint8_t *data;
	size_t len, cap;
	size_t pages;
	int fail_after; /* > 0: fail the page after this many */
};

static int on_page(void *arg, const uint8_t *h, size_t hlen, const uint8_t *b, size_t blen)
{
	struct sink *s = arg;
	if (s->fail_after > 0 && s->pages >= (size_t)s->fail_after)
		return -1;
	if (s->len + hlen + blen > s->cap) {
		s->cap = (s->len + hlen + blen) * 2;
		s->data = realloc(s->data, s->cap);
		assert_non_null(s->data);
	}
	memcpy(s->data + s->len, h, hlen);
	memcpy(s->data + s->len + hlen, b, blen);
	s->len += hlen + blen;
	s->pages++;
	return 0;
}

static struct oggopus *make_writer(struct sink *s, uint16_t pre_skip)
{
	struct oggopus_config cfg = {
	    .serial = 0x1234,
	    .pre_skip = pre_skip,
	    .tags = {"ROOM=ietf-120-plenary", "SESSION=Opening plenary", "DATE=2024-07-22"},
	    .on_page = on_page,
	    .arg = s,
	};
	struct oggopus *w;
	assert_int_equal(oggopus_create(&cfg, &w), MEDIA_OK);
	return w;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* What parsing a stream found. */
struct parsed {
	size_t pages, packets;
	int64_t granules[512];
	size_t packets_on_page[512];
	bool eos_last, eos_elsewhere;
	uint8_t head[19];
	char tags[1024];
	size_t tags_len;
};

static void check_page(ogg_stream_state *os, ogg_page *og, struct parsed *p)
{
	assert_int_equal(ogg_stream_pagein(os, og), 0);
	size_t i = p->pages++;
	assert_true(i < 512);
	p->granules[i] = ogg_page_granulepos(og);
	if (ogg_page_eos(og))
		p->eos_last = true;
	else if (p->eos_last)
		p->eos_elsewhere = true;
	assert_int_equal(ogg_page_bos(og) != 0, i == 0);
	ogg_packet op;
	size_t n = 0;
	while (ogg_stream_packetout(os, &op) == 1) {
		if (p->packets == 0) {
			assert_int_equal(op.bytes, 19);
			memcpy(p->head, op.packet, 19);
		} else if (p->packets == 1) {
			assert_true((size_t)op.bytes < sizeof p->tags);
			memcpy(p->tags, op.packet, (size_t)op.bytes);
			p->tags_len = (size_t)op.bytes;
		}
		p->packets++;
		n++;
	}
	p->packets_on_page[i] = n;
}

static void parse(const uint8_t *data, size_t len, struct parsed *p)
{
	memset(p, 0, sizeof *p);
	ogg_sync_state oy;
	ogg_stream_state os;
	ogg_sync_init(&oy);
	char *buf = ogg_sync_buffer(&oy, (long)len);
	memcpy(buf, data, len);
	assert_int_equal(ogg_sync_wrote(&oy, (long)len), 0);
	ogg_page og;
	bool started = false;
	while (ogg_sync_pageout(&oy, &og) == 1) {
		if (!started)
			assert_int_equal(ogg_stream_init(&os, ogg_page_serialno(&og)), 0);
		started = true;
		check_page(&os, &og, p);
	}
	assert_true(started);
	ogg_stream_clear(&os);
	ogg_sync_clear(&oy);
}

static void test_headers_and_granules(void **state)
{
	(void)state;
	struct sink s = {0};
	struct oggopus *w = make_writer(&s, 312);
	assert_int_equal(oggopus_start(w), MEDIA_OK);
	uint8_t pkt[80] = {0x78};
	uint8_t dtx[1] = {0x78};
	for (int i = 0; i < 95; i++) {
		bool silent = i >= 40 && i < 60;
		assert_int_equal(oggopus_write(w, silent ? dtx : pkt, silent ? 1 : sizeof pkt, 960),
				 MEDIA_OK);
	}
	assert_int_equal(oggopus_granule(w), 95 * 960);
	assert_int_equal(oggopus_finish(w), MEDIA_OK);
	struct parsed p;
	parse(s.data, s.len, &p);
	/* OpusHead: version 1, mono, pre-skip, 48 kHz, gain 0, family 0 (RFC 7845 5.1). */
	assert_memory_equal(p.head, "OpusHead", 8);
	assert_int_equal(p.head[8], 1);
	assert_int_equal(p.head[9], 1);
	assert_int_equal(p.head[10] | p.head[11] << 8, 312);
	assert_int_equal(le32(p.head + 12), 48000);
	assert_int_equal(p.head[16] | p.head[17] << 8 | p.head[18], 0);
	assert_int_equal(p.packets_on_page[0], 1);
	assert_int_equal(p.packets_on_page[1], 1);
	assert_int_equal(p.granules[0], 0);
	assert_int_equal(p.granules[1], 0);
	/* OpusTags: vendor, then three comments. */
	assert_memory_equal(p.tags, "OpusTags", 8);
	uint32_t vlen = le32((uint8_t *)p.tags + 8);
	assert_memory_equal(p.tags + 12, "plenary", vlen);
	assert_int_equal(le32((uint8_t *)p.tags + 12 + vlen), 3);
	assert_non_null(memmem(p.tags, p.tags_len, "SESSION=Opening plenary", 23));
	/* Audio: 95 packets, 10 per page, granules the running sum of 960s. */
	assert_int_equal(p.packets, 97);
	assert_int_equal(p.pages, 2 + 10);
	size_t total = 0;
	for (size_t i = 2; i < p.pages; i++) {
		total += p.packets_on_page[i];
		assert_int_equal(p.granules[i], (int64_t)total * 960);
		assert_true(p.packets_on_page[i] <= 10);
	}
	assert_int_equal(total, 95);
	assert_true(p.eos_last);
	assert_false(p.eos_elsewhere);
	/* The kept headers are the stream's first two pages, byte for byte. */
	const uint8_t *hdr;
	size_t hlen;
	oggopus_headers(w, &hdr, &hlen);
	assert_true(hlen > 27 + 19 && hlen < s.len);
	assert_memory_equal(hdr, s.data, hlen);
	oggopus_destroy(w);
	free(s.data);
}

static void test_errors(void **state)
{
	(void)state;
	struct sink s = {0};
	struct oggopus *w;
	struct oggopus_config cfg = {.on_page = on_page, .arg = &s, .tags = {"NOEQUALS"}};
	assert_int_equal(oggopus_create(&cfg, &w), MEDIA_ERR_PARAM);
	cfg.tags[0] = "=value";
	assert_int_equal(oggopus_create(&cfg, &w), MEDIA_ERR_PARAM);
	cfg.tags[0] = NULL;
	cfg.channels = 3;
	assert_int_equal(oggopus_create(&cfg, &w), MEDIA_ERR_PARAM);
	cfg.channels = 1;
	cfg.on_page = NULL;
	assert_int_equal(oggopus_create(&cfg, &w), MEDIA_ERR_PARAM);
	w = make_writer(&s, 0);
	uint8_t pkt[1276] = {0x78};
	assert_int_equal(oggopus_write(w, pkt, 10, 960), MEDIA_ERR_STATE);
	assert_int_equal(oggopus_finish(w), MEDIA_ERR_STATE);
	assert_int_equal(oggopus_start(w), MEDIA_OK);
	assert_int_equal(oggopus_start(w), MEDIA_ERR_STATE);
	assert_int_equal(oggopus_write(w, pkt, sizeof pkt, 960), MEDIA_ERR_TOOBIG);
	assert_int_equal(oggopus_write(w, pkt, 0, 960), MEDIA_ERR_PARAM);
	assert_int_equal(oggopus_write(w, pkt, 10, 0), MEDIA_ERR_PARAM);
	/* The callback fails on the next page: the writer stays failed. */
	s.fail_after = (int)s.pages;
	int rc = MEDIA_OK;
	for (int i = 0; i < 30 && rc == MEDIA_OK; i++)
		rc = oggopus_write(w, pkt, 10, 960);
	assert_int_equal(rc, MEDIA_ERR_SYSTEM);
	assert_int_equal(oggopus_write(w, pkt, 10, 960), MEDIA_ERR_STATE);
	oggopus_destroy(w);
	oggopus_destroy(NULL);
	free(s.data);
}

/* --- With opus-tools ------------------------------------------------------------------- */

static bool have_tool(const char *name)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* 3 s: a 440 Hz tone for 2 s, then 1 s of silence (DTX). */
static void write_tone_file(const char *path, size_t *frames, uint16_t *pre_skip)
{
	struct codec_encoder *e;
	assert_int_equal(codec_encoder_create(NULL, &e), MEDIA_OK);
	struct sink s = {0};
	struct oggopus *w = make_writer(&s, codec_encoder_lookahead(e));
	*pre_skip = codec_encoder_lookahead(e);
	assert_int_equal(oggopus_start(w), MEDIA_OK);
	*frames = 150;
	for (size_t f = 0; f < *frames; f++) {
		int16_t pcm[CODEC_FRAME];
		for (size_t i = 0; i < CODEC_FRAME; i++)
			pcm[i] = f < 100 ? test_sine_sample(440, 12000, f * CODEC_FRAME + i) : 0;
		uint8_t pkt[CODEC_MAX_PACKET];
		size_t len;
		bool dtx;
		assert_int_equal(codec_encode(e, pcm, pkt, sizeof pkt, &len, &dtx), MEDIA_OK);
		assert_int_equal(oggopus_write(w, pkt, len, CODEC_FRAME), MEDIA_OK);
	}
	assert_int_equal(oggopus_finish(w), MEDIA_OK);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(s.data, 1, s.len, fp), s.len);
	assert_int_equal(fclose(fp), 0);
	oggopus_destroy(w);
	codec_encoder_destroy(e);
	free(s.data);
}

/* The samples of a 16-bit mono WAV file (opusdec's output), on the heap. */
static int16_t *read_wav(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	static const size_t max = 48000 * 10;
	uint8_t *buf = malloc(max * 2 + 4096);
	assert_non_null(buf);
	size_t len = fread(buf, 1, max * 2 + 4096, fp);
	fclose(fp);
	uint8_t *data = memmem(buf, len < 512 ? len : 512, "data", 4);
	assert_non_null(data);
	size_t bytes = le32(data + 4);
	assert_true(data + 8 + bytes <= buf + len);
	*n = bytes / 2;
	int16_t *pcm = malloc(bytes + 2);
	assert_non_null(pcm);
	for (size_t i = 0; i < *n; i++)
		pcm[i] = (int16_t)(data[8 + 2 * i] | data[9 + 2 * i] << 8);
	free(buf);
	return pcm;
}

static void test_opus_tools_decode(void **state)
{
	(void)state;
	if (!have_tool("opusdec") || !have_tool("opusinfo")) {
		print_message("opus-tools not installed (scripts/install-deps.sh); skipped\n");
		skip();
	}
	char dir[] = "/tmp/plenary-ogg-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char ogg[64], wav[64], cmd[256];
	snprintf(ogg, sizeof ogg, "%s/tone.ogg", dir);
	snprintf(wav, sizeof wav, "%s/tone.wav", dir);
	size_t frames;
	uint16_t pre_skip;
	write_tone_file(ogg, &frames, &pre_skip);
	/* opusinfo validates the stream and says WARNING about anything odd. */
	snprintf(cmd, sizeof cmd, "opusinfo %s 2>&1 | grep -qi -e warning -e error", ogg);
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "opusdec --quiet --rate 48000 %s %s", ogg, wav);
	assert_int_equal(system(cmd), 0);
	size_t n;
	int16_t *pcm = read_wav(wav, &n);
	/* Everything but the pre-skip, which is the encoder's delay. */
	assert_int_equal(n, frames * CODEC_FRAME - pre_skip);
	double peak = test_peak_frequency(pcm + 4800, 48000, 200, 2000, 5);
	assert_true(peak >= 435 && peak <= 445);
	/* The timeline: the tone ends at 2.0 s of the decoded file, give or take 10 ms. */
	double tone = test_goertzel(pcm + 2 * 48000 - 1440, 960, 440);
	double after = test_goertzel(pcm + 2 * 48000 + 480, 960, 440);
	assert_true(tone > 1000 * after + 1e-9);
	free(pcm);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headers_and_granules),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_opus_tools_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
