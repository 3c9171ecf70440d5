/*
 * media/ogg_read.h -- reading back an Ogg Opus file a test had recorded, with libogg (not
 * our writer's code): each page and each packet in order, to a test's callbacks. Used by
 * record/test_recorder.c and mix/test_channel_recording.c.
 */
#ifndef PLENARY_TEST_MEDIA_OGG_READ_H
#define PLENARY_TEST_MEDIA_OGG_READ_H

#include <stdbool.h>
#include <stddef.h>

#include <ogg/ogg.h>

struct ogg_visit {
	void (*page)(void *ctx, const ogg_page *og); /* after its packets are taken in */
	/* index 0 is OpusHead, 1 OpusTags, audio from 2. */
	void (*packet)(void *ctx, const ogg_packet *op, size_t index);
	void *ctx;
};

/* Reads the file at path, which must exist and hold one logical stream of one page or more;
 * a NULL callback is skipped. */
void ogg_read(const char *path, const struct ogg_visit *v);
/* Whether a packet (OpusTags) holds the comment tag, e.g. "ROOM=plenary". */
bool ogg_has_tag(const ogg_packet *op, const char *tag);

#endif
