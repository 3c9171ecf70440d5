/*
 * rtp_rewrite -- the header of the one RTP stream a room sends to its listeners, whether a
 * packet is our own encoded mix or a speaker's packet forwarded untouched ("one voice, no
 * transcoding": when exactly one open mic is talking, its Opus packets go straight to the
 * listeners, with lower latency and the speaker's own quality).
 *
 * Listeners must see one continuous stream: one SSRC, sequence numbers that never jump or
 * repeat, timestamps that follow real time. So the rewriter keeps the outbound state and
 * maps each source onto it:
 *
 *   mix:      seq = last + 1;  ts = where our clock says (now, in 48 kHz samples)
 *   forward:  seq = in_seq + seq_offset;  ts = in_ts + ts_offset
 *
 * The offsets are fixed at each switch (mix -> forward, forward -> mix, or forwarding a
 * different speaker), so that the first packet after the switch has sequence number
 * last + 1 and a timestamp last_ts + the real time elapsed since the last packet, rounded
 * to whole 20 ms frames (at least one frame: two packets never share a timestamp). Within
 * a forwarded stretch the speaker's own sequence holes and timestamp gaps are kept, so a
 * listener still sees an upstream loss as a loss (and recovers it from the next packet's
 * FEC, which is forwarded intact) and a DTX gap as a gap. The first packet after a switch
 * has the marker bit set, which tells the listener's jitter buffer that the timing may
 * have moved (RFC 3551 sect. 4.1 uses it for the start of a talk spurt).
 *
 * A forwarded packet is accepted only if its rewritten sequence number is new: after the
 * highest sent, or one of the 64 before it not yet sent (reordered). Everything else (a
 * straggler from before the switch, a duplicate) is refused with MEDIA_ERR_STALE, because
 * sending a sequence number twice would be a replay to the listener's SRTP.
 *
 * Header extensions and CSRCs of a forwarded packet are not carried: their ids were
 * negotiated with the speaker, not with the listeners. The caller builds a fresh header
 * from the struct rtp_build this fills (rtp_build_header, with our own audio level if
 * wanted) and appends the payload.
 *
 * Time ("now") is the worker's monotonic clock in 48 kHz samples (any origin): the tick's
 * time for a mix packet, the arrival time for a forwarded one. Caller-allocated, no
 * allocation, one owner thread; fields are private.
 */
#ifndef PLENARY_MEDIA_RTP_REWRITE_H
#define PLENARY_MEDIA_RTP_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"
#include "media/wire/wire.h"

#define RTP_REWRITE_FRAME 960 /* 20 ms at 48 kHz */

enum rtp_rewrite_mode { RTP_REWRITE_NONE, RTP_REWRITE_MIX, RTP_REWRITE_FORWARD };

struct rtp_rewrite {
	/* private */
	uint32_t ssrc;
	uint8_t payload_type;
	enum rtp_rewrite_mode mode;
	bool sent_any;
	uint16_t last_seq;
	uint32_t last_ts;
	int64_t last_time;
	/* mix */
	uint32_t mix_ts_base;
	int64_t mix_time_base;
	/* forward */
	uint32_t fwd_ssrc;
	uint16_t seq_offset;
	uint32_t ts_offset;
	uint64_t sent_mask; /* bit k: last_seq - k was sent in this forwarded stretch */
	uint16_t fwd_first_seq;
};

/* Our stream: ssrc, the first sequence number and timestamp (random, RFC 3550 sect. 5.1)
 * and the payload type. Errors: MEDIA_ERR_PARAM. */
BASE_WUR enum media_err rtp_rewrite_init(struct rtp_rewrite *rw, uint32_t ssrc, uint16_t first_seq,
					 uint32_t first_ts, uint8_t payload_type);

/* The header for our own mix packet of the tick at now: fills b's marker, payload type,
 * seq, timestamp and ssrc (the audio level fields are left alone). Errors:
 * MEDIA_ERR_PARAM, MEDIA_ERR_STALE (now not after the previous mix packet: two
 * packets in one tick); nothing changes on error. */
BASE_WUR enum media_err rtp_rewrite_mix(struct rtp_rewrite *rw, int64_t now, struct rtp_build *b);

/* The header for forwarding the speaker's packet in (parsed with rtp_parse), which arrived
 * at now. Errors: MEDIA_ERR_PARAM, MEDIA_ERR_STALE; nothing changes on error. */
BASE_WUR enum media_err rtp_rewrite_forward(struct rtp_rewrite *rw, const struct rtp_header *in,
					    int64_t now, struct rtp_build *b);

/* The header that the packet in of the current forwarded stretch was sent with: for a
 * second, different packet of the same tick to a listener that was not sent the first
 * (an edge's open mic gets the owner's own mix for it instead of the room's frame).
 * Changes nothing. Errors: MEDIA_ERR_PARAM; MEDIA_ERR_STALE when in is not of the
 * current forwarded stretch or its packet was not sent. */
BASE_WUR enum media_err rtp_rewrite_copy(const struct rtp_rewrite *rw, const struct rtp_header *in,
					 struct rtp_build *b);
/* The mode of the last packet sent (RTP_REWRITE_NONE before the first). */
enum rtp_rewrite_mode rtp_rewrite_mode(const struct rtp_rewrite *rw);

#endif
