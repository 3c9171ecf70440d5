/*
 * stream -- GET listen.ogg: the room's live Ogg pages over chunked HTTP/1.1, a bounded
 * buffer per client (a slow one is dropped).
 */
#ifndef PLENARY_GATEWAY_STREAM_H
#define PLENARY_GATEWAY_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"

struct gateway;
struct gw_stream_client;
struct lws;
struct room;

/* Whether the room's live stream is running (its session is live). channel: 0 the
 * floor, b + 1 the interpretation channel of booth b (once its stream began). */
bool gw_stream_live(struct gateway *gw, struct room *room, unsigned channel);
/* Starts the response for one client of that channel; *slot is the request's pointer to
 * it, cleared when the client is freed. Returns 0, or -1 to close the connection. */
int gw_stream_listen(struct gateway *gw, struct lws *wsi, struct room *room, unsigned channel,
		     struct gw_stream_client **slot);
int gw_stream_writable(struct gw_stream_client *c);
void gw_stream_closed(struct gw_stream_client *c);
/* A piece of a room's live stream (channel as above) from the media side. */
void gw_stream_media(struct gateway *gw, const char *room, unsigned channel,
		     enum media_stream_kind kind, const uint8_t *data, size_t len);

#endif
