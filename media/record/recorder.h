/*
 * recorder -- writes the rooms' encoded public mix to Ogg Opus files on a thread of its own,
 * so the 20 ms tick never touches the disk.
 *
 *   tick (producer) ── recorder_push ──▶ [ bounded SPSC ring ] ──▶ writer thread
 *                                                                  ├ ogg_opus pages
 *                                                                  └ write(2), fsync at end
 *
 * One recorder per media worker: the worker's tick thread is the only producer and the
 * recorder's thread the only consumer, so the ring is a single-producer/single-consumer
 * queue of fixed-size entries with two atomic indices: no lock, no allocation, no system
 * call on the tick but a sem_post (which only enters the kernel when the writer is asleep
 * waiting). When the ring is full the packet is dropped and counted: a slow disk costs
 * the recording a gap, never the live audio a tick. A gap does not shift the recording's
 * timeline: each packet carries its index in the stream, and the writer fills a hole with
 * one-byte Opus frames (a bare TOC, code 0, no data: RFC 6716 sect. 3.2.1 says decoders
 * conceal those) so sample positions still match the session clock.
 *
 * A stream is one room session: recorder_begin opens <dir>/<name>.ogg, or
 * <dir>/<subdir>/<name>.ogg (the subdirectory made if need be), truncating, with OpusTags
 * ROOM=, SESSION= and DATE=; recorder_end finishes it (EOS page), fsyncs the file and its
 * directory, and closes it. Streams are multiplexed on the one ring; up to
 * RECORDER_MAX_STREAMS at a time.
 *
 * A stream may start late: lead_packets filler frames come first (the writer makes them,
 * so the tick pushes nothing for them), which is how a recording begun after its
 * session's start -- the worker got the news a few milliseconds late, or the process
 * restarted mid-session -- still has sample t at session time t.
 *
 * Threads: recorder_begin, recorder_push, recorder_end and recorder_stop are called by the
 * one producer thread; recorder_stats from any thread. recorder_stop drains the ring,
 * ends every stream still open (so each file is complete), and joins the thread.
 *
 * Ownership: create/destroy; the ring (capacity x ~1.3 KiB) is allocated at create.
 */
#ifndef PLENARY_MEDIA_RECORDER_H
#define PLENARY_MEDIA_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"

#define RECORDER_MAX_PACKET	  1275 /* one Opus frame */
#define RECORDER_MAX_STREAMS	  64
#define RECORDER_DEFAULT_CAPACITY 1024 /* entries: 20 s of one room, 2 s of ten */
#define RECORDER_NAME_MAX	  64   /* file name, without ".ogg" */
#define RECORDER_ROOM_MAX	  128
#define RECORDER_TITLE_MAX	  256
#define RECORDER_DATE_MAX	  40

struct recorder_config {
	const char *dir;	/* where the files go; must exist */
	size_t capacity;	/* ring entries, a power of two 16..65536; 0 = default */
	unsigned flush_packets; /* packets per Ogg page; 0 = OGGOPUS_DEFAULT_FLUSH */
	bool paused;		/* the writer waits for recorder_resume (tests, late start) */
};

struct recorder;

/* Opens dir and starts the writer thread. Errors: MEDIA_ERR_PARAM (NULL, bad capacity),
 * MEDIA_ERR_NOMEM, MEDIA_ERR_SYSTEM (the directory cannot be opened, or the thread not
 * started). The caller owns *out; free with recorder_destroy. */
BASE_WUR enum media_err recorder_create(const struct recorder_config *cfg, struct recorder **out);
/* Stops (see recorder_stop) and frees. NULL is fine. */
void recorder_destroy(struct recorder *r);

/* Lets a recorder created paused start writing. */
void recorder_resume(struct recorder *r);

/* Drains the ring, ends every open stream, joins the writer. Idempotent. */
void recorder_stop(struct recorder *r);

/* One room session's file. name, subdir: 1..RECORDER_NAME_MAX of [A-Za-z0-9._-], not
 * starting with '.' (subdir NULL: none); room, title, date: the tags' values (UTF-8, up to
 * the _MAX lengths; NULL = empty). */
struct recorder_session {
	const char *subdir;
	const char *name;
	const char *room;
	const char *title;
	const char *date;
	uint16_t pre_skip;     /* codec_encoder_lookahead() */
	uint32_t serial;       /* Ogg serial number */
	uint64_t lead_packets; /* filler frames (of 960 samples) before the first packet */
};

/* Starts a stream and sets *stream to its id. Errors: MEDIA_ERR_PARAM (a name or tag too
 * long or with bad bytes), MEDIA_ERR_FULL (RECORDER_MAX_STREAMS are open, or the ring is
 * full: try again next tick; nothing changed), MEDIA_ERR_STATE (the recorder stopped). */
BASE_WUR enum media_err recorder_begin(struct recorder *r, const struct recorder_session *s,
				       int *stream);

/* Queues one Opus packet of `samples` samples (960 = 20 ms) for stream. Errors:
 * MEDIA_ERR_PARAM (len 0 or > RECORDER_MAX_PACKET, samples 0), MEDIA_ERR_STATE (no such
 * open stream, or the recorder stopped), MEDIA_ERR_FULL (dropped, counted, and filled in
 * the file). */
BASE_WUR enum media_err recorder_push(struct recorder *r, int stream, const uint8_t *pkt,
				      size_t len, uint32_t samples);

/* Ends stream: the file gets its EOS page and is fsynced; the id is free again. Errors:
 * MEDIA_ERR_STATE (no such open stream, or the recorder stopped), MEDIA_ERR_FULL (try
 * again next tick; the stream stays open). */
BASE_WUR enum media_err recorder_end(struct recorder *r, int stream);

struct recorder_stats {
	uint64_t pushed;     /* packets queued */
	uint64_t dropped;    /* packets dropped because the ring was full */
	uint64_t written;    /* packets written to files */
	uint64_t filled;     /* filler frames written for dropped packets */
	uint64_t files_done; /* streams ended, fsynced and closed */
	uint64_t io_errors;  /* failed open/write/fsync (the stream stops being written) */
};

void recorder_get_stats(const struct recorder *r, struct recorder_stats *out);

#endif
