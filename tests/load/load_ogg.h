/*
 * load_ogg -- the listen.ogg scenario's listeners: N plain HTTP/1.1 clients of
 * GET /api/rooms/ROOM/listen.ogg, all read by one thread (epoll over their sockets), each
 * checking its stream as it comes (load_ogg_parse.h: chunks, Ogg pages, CRCs, Opus
 * packets, granule steps).
 *
 *   signalling thread                        the ogg thread
 *   load_ogg_add: socket, connect,  ------>  EPOLLOUT: the request; EPOLLIN: read, parse
 *                 epoll_ctl ADD              window start/end: every client's counts noted
 *   load_ogg_view: atomics  <--------------  connected (a 200 with chunked framing), first
 *                                            audio page, failed (why)
 *
 * A listener "connected" when its response head came, and "heard" at its first audio
 * page. Loss is what the granule positions say was sent and no page brought, counted
 * inside the measurement window only.
 */
#ifndef PLENARY_LOAD_OGG_H
#define PLENARY_LOAD_OGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load_media.h"
#include "load_ogg_parse.h"

struct load_ogg;

/* Starts the thread for n clients of http://host:port/api/rooms/room/listen.ogg. NULL on
 * failure (why gets a sentence). */
struct load_ogg *load_ogg_create(const char *host, int port, const char *room, unsigned n,
				 char *why, size_t cap);
/* Stops the thread if running and closes every client. NULL is fine. */
void load_ogg_destroy(struct load_ogg *o);

/* Connects client i (0..n-1; once). false: it failed at once (load_ogg_failed says why). */
bool load_ogg_add(struct load_ogg *o, unsigned i);
/* What the signalling thread may read at any time (connected, heard, failed). */
void load_ogg_view(const struct load_ogg *o, unsigned i, struct peer_view *out);
/* Why client i failed, or NULL. */
const char *load_ogg_failed(const struct load_ogg *o, unsigned i);
/* The measurement window, monotonic microseconds [start, end). */
void load_ogg_window(struct load_ogg *o, uint64_t start_us, uint64_t end_us);
/* Stops and joins the thread; after it, load_ogg_report may read everything. */
void load_ogg_stop(struct load_ogg *o);

struct ogg_report {
	size_t connected, heard, heard_in_window, silent;
	struct ogg_count window; /* every client's counts over the window, added up */
};
void load_ogg_report(const struct load_ogg *o, struct ogg_report *out);

#endif
