/*
 * ogg_opus -- an Ogg Opus stream writer (RFC 7845) on libogg, for the session recording
 * and the live listen-only stream: the same pages serve both.
 *
 *   page 0: OpusHead (alone, RFC 7845 sect. 3)       }  oggopus_headers() returns these
 *   page 1: OpusTags (vendor, ROOM=, SESSION=, DATE=) }  for a listener that joins later
 *   page 2..: audio, a page every `flush_packets` packets (10 = 200 ms by default)
 *   last page: end of stream (EOS flag)
 *
 * Timeline. Every packet advances the granule position by its duration (960 for 20 ms),
 * DTX placeholders included, so silence is kept and sample t of the decoded recording is
 * tick t / 960 of the session: caption offsets line up with the audio. Pre-skip is the
 * encoder's lookahead (codec_encoder_lookahead): decoders drop those first samples, which
 * is exactly the encoder's delay, so the decoded audio starts at the session's start.
 *
 * End of stream needs the EOS flag on the last packet's page, and which packet is last is
 * only known at oggopus_finish. So the writer holds the most recent packet back and
 * submits it with the next one (or with EOS at finish): pages are one packet late, which
 * costs the live stream 20 ms.
 *
 * Flushing. Live listeners want small pages often; files want few pages. A page every
 * flush_packets packets (or sooner when libogg's page fills) is the compromise: at 10
 * packets, ~200 ms of latency and ~1 % overhead (27 + 10 bytes of page header per ~1 KB).
 *
 * Pages go to a callback the caller gives (the recorder writes them to a file; the
 * stream sends them). It runs inside oggopus_write / oggopus_finish / oggopus_start on
 * the caller's thread; a non-zero return makes the writer fail (sticky
 * MEDIA_ERR_SYSTEM), e.g. on a write error.
 *
 * Ownership: create/destroy. libogg allocates its stream buffers at create (16 KiB of body,
 * 1024 lacing values); a flush interval of 20 ms voice packets fills a fraction of that, so
 * they never grow and writing allocates nothing. One thread at a time.
 */
#ifndef PLENARY_MEDIA_OGG_OPUS_H
#define PLENARY_MEDIA_OGG_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"

#define OGGOPUS_MAX_PACKET	 1275 /* one Opus frame */
#define OGGOPUS_MAX_TAGS	 8
#define OGGOPUS_MAX_TAG_BYTES	 512  /* one "KEY=value" or the vendor string */
#define OGGOPUS_DEFAULT_FLUSH	 10   /* packets per page: 200 ms of 20 ms packets */
#define OGGOPUS_MAX_HEADER_BYTES 8192 /* both header pages, as oggopus_headers returns */

/* Called with each finished page: header bytes then body bytes (write both, in order).
 * Return 0, or non-zero to fail the writer. */
typedef int (*oggopus_page_fn)(void *arg, const uint8_t *header, size_t header_len,
			       const uint8_t *body, size_t body_len);

struct oggopus_config {
	uint32_t serial;		    /* the Ogg stream serial number (pick it at random) */
	uint8_t channels;		    /* 1 or 2; 0 = 1 */
	uint16_t pre_skip;		    /* codec_encoder_lookahead() */
	const char *vendor;		    /* NULL = "plenary" */
	const char *tags[OGGOPUS_MAX_TAGS]; /* "KEY=value" (RFC 7845 sect. 5.2); NULL ends */
	unsigned flush_packets; /* packets per page, 1..255; 0 = OGGOPUS_DEFAULT_FLUSH */
	oggopus_page_fn on_page;
	void *arg;
};

struct oggopus;

/* Builds the OpusHead and OpusTags pages (kept for oggopus_headers). Nothing is sent yet.
 * Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC. The caller owns *out; free with
 * oggopus_destroy. */
BASE_WUR enum media_err oggopus_create(const struct oggopus_config *cfg, struct oggopus **out);
/* NULL is fine. Does not finish the stream: call oggopus_finish first for a complete one. */
void oggopus_destroy(struct oggopus *w);

/* Hands the two header pages to the callback. Errors: MEDIA_ERR_STATE (twice),
 * MEDIA_ERR_SYSTEM. */
BASE_WUR enum media_err oggopus_start(struct oggopus *w);

/* Adds one Opus packet of `samples` 48 kHz samples (960 for 20 ms; a DTX placeholder too).
 * Errors: MEDIA_ERR_PARAM (NULL, empty, samples 0 or > 5760), MEDIA_ERR_TOOBIG,
 * MEDIA_ERR_STATE, MEDIA_ERR_CODEC, MEDIA_ERR_SYSTEM. */
BASE_WUR enum media_err oggopus_write(struct oggopus *w, const uint8_t *pkt, size_t len,
				      uint32_t samples);

/* Ends the stream: the held packet goes out with the EOS flag and every page is flushed.
 * A stream with no audio packet gets none: it ends after its headers (an EOS page with
 * an empty packet would not be valid Opus). Errors: MEDIA_ERR_STATE, MEDIA_ERR_CODEC,
 * MEDIA_ERR_SYSTEM. */
BASE_WUR enum media_err oggopus_finish(struct oggopus *w);

/* The two header pages, concatenated, for a listener joining mid-stream: send them, then
 * the pages that follow. Valid until oggopus_destroy. */
void oggopus_headers(const struct oggopus *w, const uint8_t **data, size_t *len);

/* Granule position after the last packet written: the sum of the packets' durations
 * (RFC 7845 sect. 4: the playable length is this minus pre-skip). */
int64_t oggopus_granule(const struct oggopus *w);

#endif
