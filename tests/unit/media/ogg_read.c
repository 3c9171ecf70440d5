/*
 * media/ogg_read.c -- see ogg_read.h.
 */
#include "media/ogg_read.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void take_page(ogg_stream_state *os, ogg_page *og, const struct ogg_visit *v, size_t *index)
{
	assert_int_equal(ogg_stream_pagein(os, og), 0);
	ogg_packet op;
	while (ogg_stream_packetout(os, &op) == 1)
		if (v->packet)
			v->packet(v->ctx, &op, (*index)++);
	if (v->page)
		v->page(v->ctx, og);
}

void ogg_read(const char *path, const struct ogg_visit *v)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	ogg_sync_state oy;
	ogg_stream_state os;
	ogg_sync_init(&oy);
	bool started = false;
	size_t index = 0;
	for (;;) {
		char *buf = ogg_sync_buffer(&oy, 4096);
		size_t n = fread(buf, 1, 4096, fp);
		assert_int_equal(ogg_sync_wrote(&oy, (long)n), 0);
		ogg_page og;
		while (ogg_sync_pageout(&oy, &og) == 1) {
			if (!started)
				assert_int_equal(ogg_stream_init(&os, ogg_page_serialno(&og)), 0);
			started = true;
			take_page(&os, &og, v, &index);
		}
		if (n == 0)
			break;
	}
	fclose(fp);
	assert_true(started);
	ogg_stream_clear(&os);
	ogg_sync_clear(&oy);
}

bool ogg_has_tag(const ogg_packet *op, const char *tag)
{
	return memmem(op->packet, (size_t)op->bytes, tag, strlen(tag)) != NULL;
}
