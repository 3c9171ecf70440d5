/*
 * jitter -- the adaptive jitter buffer of one open microphone: RTP packets go in as they
 * arrive, and every 20 ms tick takes out what to play -- a packet, a loss to conceal
 * (with the next packet when its in-band FEC can recover it), or silence.
 *
 *   insert(packet, arrival) ──▶ [ slots by sequence number ] ──▶ pull(now) every 20 ms
 *                                  │                               ├ FRAME   decode it
 *   transit = arrival - timestamp ─┴▶ jitter estimate ▶ target     ├ LOST    FEC / PLC
 *                                                                  └ SILENCE (DTX, idle)
 *
 * Delay. The buffer's level is how much audio it holds ahead of the play point (ms of RTP
 * timestamp from the frame about to play to the end of the newest packet). The target
 * level is 20 + spread + headroom, clamped to [min_delay, max_delay] (20..120 ms): spread
 * is the 95th percentile minus the minimum of the transit time (arrival - timestamp) over
 * the last JITTER_WINDOW packets, i.e. how much later than the fastest packet 95 % of the
 * packets come; headroom is the RFC 3550 A.8 interarrival jitter, at least 5 ms. The
 * target rises at once when the network gets worse and falls slowly (12.5 ms/s) when it
 * gets better, so one quiet second after a bad one does not invite the next underrun.
 *
 * Adapting. At the start of a talk spurt (first packet, or after silence) the buffer
 * waits target - 20 ms before playing: the natural moment to change the delay, as nobody
 * hears silence stretched. During a spurt a smoothed level is compared with the target:
 * too deep by more than 1.5 frames and a frame is dropped -- at once if it is a DTX frame
 * or a DTX gap, otherwise after 0.5 s of being too deep (or at once above max_delay +
 * 40 ms, after a burst); too shallow and a silent tick is inserted -- at once in silence,
 * otherwise by a concealed frame after 0.5 s. An underrun (nothing to play, nothing
 * newer) does not advance the play point either: the decoder conceals and the late
 * packet is still played when it comes, so a network stall grows the delay instead of
 * losing audio. The price: a loss that empties the buffer looks like a stall until the
 * next packet comes, so it costs a frame of delay that the shrink gives back later (at a
 * 20 ms level, any loss does). Clock drift between the sender and our tick is the same thing
 * slowly: a fast sender fills the buffer and frames are dropped, a slow one drains it and frames
 * are stretched.
 *
 * Lost or DTX? Both leave a hole in the timestamps. RTP tells them apart: a sender in DTX
 * keeps sequence numbers contiguous across the gap, a lost packet leaves a sequence hole.
 * A packet of at most 2 bytes is a DTX frame (a bare Opus TOC, possibly with one byte
 * of comfort noise).
 *
 * Ownership: create/destroy; every slot and payload buffer is allocated at create, insert
 * and pull allocate nothing, take no lock and cost O(slots). One buffer belongs to one
 * thread. One SSRC at a time: a packet from another SSRC restarts the buffer, and
 * stragglers from the SSRC before are then dropped as late.
 * Frames are JITTER_FRAME_SAMPLES (20 ms) long; a sender packetising otherwise is played
 * one packet per tick, which is wrong but bounded.
 */
#ifndef PLENARY_MEDIA_JITTER_H
#define PLENARY_MEDIA_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define JITTER_FRAME_SAMPLES 960 /* 20 ms of RTP timestamp at 48 kHz */
#define JITTER_FRAME_MS	     20
#define JITTER_MAX_PAYLOAD   1280 /* an Opus frame is at most 1275 bytes */
#define JITTER_DEFAULT_SLOTS 32	  /* 640 ms of 20 ms packets */
#define JITTER_WINDOW	     128  /* packets in the transit-time percentile window */
#define JITTER_PLC_MAX	     5	  /* concealed frames before an underrun counts as silence */

enum jitter_err {
	JITTER_OK = 0,
	JITTER_EINVAL,	   /* NULL argument, or a configuration value out of range */
	JITTER_ENOMEM,	   /* create: allocation failed */
	JITTER_ETOOBIG,	   /* insert: payload longer than JITTER_MAX_PAYLOAD; dropped */
	JITTER_EDUPLICATE, /* insert: this sequence number is already buffered; dropped */
	JITTER_ELATE,	   /* insert: its time to play has passed; dropped and counted */
};

/* A static English phrase for err; never NULL. */
const char *jitter_strerror(enum jitter_err err);

struct jitter_config {
	size_t slots;	       /* packets held, 8..1024; 0 = JITTER_DEFAULT_SLOTS */
	uint32_t min_delay_ms; /* 0 = 20 */
	uint32_t max_delay_ms; /* 0 = 120; min <= max <= slots * 20 - 40 */
};

struct jitter;

/* cfg may be NULL for the defaults. Errors: JITTER_EINVAL, JITTER_ENOMEM. The caller owns
 * *out and frees it with jitter_destroy. */
BASE_WUR enum jitter_err jitter_create(const struct jitter_config *cfg, struct jitter **out);
/* NULL is fine. */
void jitter_destroy(struct jitter *jb);

/* Forgets every packet and the stream's timing (not the counters), as for a new SSRC. */
void jitter_reset(struct jitter *jb);

/* One received RTP packet (after SRTP unprotect and rtp_parse). */
struct jitter_packet {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t timestamp;
	bool marker;
	const uint8_t *payload; /* copied by insert */
	size_t len;
};

/* Buffers a copy of p, which arrived at now_us (any monotonic microsecond clock, the same
 * one pull uses). Errors: JITTER_EINVAL, JITTER_ETOOBIG, JITTER_EDUPLICATE, JITTER_ELATE;
 * the packet is dropped and counted then, and nothing else changes. A packet that does not
 * fit because the buffer already spans `slots` packets evicts the oldest one (counted as
 * overflow). */
BASE_WUR enum jitter_err jitter_insert(struct jitter *jb, const struct jitter_packet *p,
				       int64_t now_us);

enum jitter_kind {
	JITTER_SILENCE = 0, /* nothing to play: not talking, DTX, or waiting to start */
	JITTER_FRAME,	    /* play payload */
	JITTER_LOST,	    /* conceal this frame; if fec, recover it from payload */
};

struct jitter_out {
	enum jitter_kind kind;
	const uint8_t *payload; /* FRAME: the packet; LOST with fec: the next packet */
	size_t len;
	bool fec;	    /* LOST: payload's in-band FEC can recover the lost frame */
	bool dtx;	    /* FRAME: a DTX frame (<= 2 bytes): the sender is silent */
	bool marker;	    /* FRAME: the packet's marker bit */
	uint16_t seq;	    /* FRAME: the packet's sequence number and timestamp */
	uint32_t timestamp; /* FRAME: the packet's timestamp */
};

/* What to play for the tick at now_us. Never fails. out->payload points into the buffer
 * and stays valid until the next jitter_insert, jitter_pull or jitter_reset. */
void jitter_pull(struct jitter *jb, int64_t now_us, struct jitter_out *out);

/* Calls fn for every buffered packet not yet played, oldest first, without taking it out:
 * what a caller that switches from mixing to forwarding sends at once so that nothing the
 * mix has not played yet is skipped. The packet (payload pointing into the buffer) is
 * valid only during the call; fn must not call back into jb. Returns how many. */
typedef void (*jitter_visit_fn)(void *ctx, const struct jitter_packet *p);
size_t jitter_peek(const struct jitter *jb, jitter_visit_fn fn, void *ctx);

/* True while the buffer holds packets not yet played (a talk spurt is still draining). */
bool jitter_holding(const struct jitter *jb);

struct jitter_stats {
	uint64_t received;     /* insert calls with a valid packet */
	uint64_t played;       /* FRAME results */
	uint64_t lost;	       /* LOST results for a sequence hole (one per missing frame) */
	uint64_t fec;	       /* ... of which the next packet was there for FEC */
	uint64_t concealed;    /* LOST results while waiting on an underrun */
	uint64_t late;	       /* dropped: arrived after their time to play */
	uint64_t duplicates;   /* dropped: already buffered */
	uint64_t overflow;     /* evicted: the buffer spanned more than `slots` packets */
	uint64_t dropped;      /* frames skipped to shrink the delay */
	uint64_t stretched;    /* ticks inserted to grow the delay */
	uint64_t ssrc_changes; /* restarts for a new SSRC */
	uint32_t jitter_ms;    /* RFC 3550 A.8 interarrival jitter */
	uint32_t spread_ms;    /* 95th percentile minus minimum transit, last window */
	uint32_t target_ms;    /* current target level */
	uint32_t level_ms;     /* current level (0 when not playing) */
};

void jitter_get_stats(const struct jitter *jb, struct jitter_stats *out);

#endif
