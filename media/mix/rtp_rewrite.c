/*
 * Sequence and timestamp continuity for the outbound stream; see rtp_rewrite.h.
 *
 * All arithmetic is modulo 2^16 (sequence) and 2^32 (timestamp), so wrap-around needs no
 * code: offsets are added with unsigned overflow and compared with rtp_seq_diff.
 *
 * A forwarded sequence number that jumps ahead by more than MAX_DROPOUT (RFC 3550 A.1's
 * value) is taken as the speaker's stream restarting, and handled as a switch: following
 * the jump would put the same hole in our stream.
 */
#include "media/mix/rtp_rewrite.h"

#define FRAME	    RTP_REWRITE_FRAME
#define MAX_DROPOUT 3000
#define MASK_BITS   64

enum media_err rtp_rewrite_init(struct rtp_rewrite *rw, uint32_t ssrc, uint16_t first_seq,
				uint32_t first_ts, uint8_t payload_type)
{
	if (!rw || payload_type > 127)
		return MEDIA_ERR_PARAM;
	*rw = (struct rtp_rewrite){
	    .ssrc = ssrc,
	    .payload_type = payload_type,
	    .mode = RTP_REWRITE_NONE,
	    .last_seq = (uint16_t)(first_seq - 1),
	    .last_ts = first_ts - FRAME,
	};
	return MEDIA_OK;
}

enum rtp_rewrite_mode rtp_rewrite_mode(const struct rtp_rewrite *rw)
{
	return rw ? rw->mode : RTP_REWRITE_NONE;
}

/* The timestamp of the first packet after a switch: the last one plus the real time since
 * it, in whole frames, at least one. */
static uint32_t switch_ts(const struct rtp_rewrite *rw, int64_t now)
{
	if (!rw->sent_any)
		return rw->last_ts + FRAME;
	int64_t frames = (now - rw->last_time + FRAME / 2) / FRAME;
	if (frames < 1)
		frames = 1;
	return rw->last_ts + (uint32_t)(frames * FRAME);
}

static void fill(const struct rtp_rewrite *rw, bool marker, uint16_t seq, uint32_t ts,
		 struct rtp_build *b)
{
	b->marker = marker;
	b->payload_type = rw->payload_type;
	b->seq = seq;
	b->timestamp = ts;
	b->ssrc = rw->ssrc;
}

static void commit(struct rtp_rewrite *rw, enum rtp_rewrite_mode mode, uint16_t seq, uint32_t ts,
		   int64_t now)
{
	rw->mode = mode;
	rw->sent_any = true;
	rw->last_seq = seq;
	rw->last_ts = ts;
	rw->last_time = now;
}

enum media_err rtp_rewrite_mix(struct rtp_rewrite *rw, int64_t now, struct rtp_build *b)
{
	if (!rw || !b)
		return MEDIA_ERR_PARAM;
	uint16_t seq = (uint16_t)(rw->last_seq + 1);
	bool marker = rw->mode != RTP_REWRITE_MIX;
	uint32_t ts;
	if (marker) {
		ts = switch_ts(rw, now);
		rw->mix_ts_base = ts;
		rw->mix_time_base = now;
	} else {
		if (now <= rw->last_time)
			return MEDIA_ERR_STALE;
		ts = rw->mix_ts_base + (uint32_t)(now - rw->mix_time_base);
	}
	fill(rw, marker, seq, ts, b);
	commit(rw, RTP_REWRITE_MIX, seq, ts, now);
	return MEDIA_OK;
}

/* First packet of a forwarded stretch: fix the offsets so it continues our stream. */
static void start_forward(struct rtp_rewrite *rw, const struct rtp_header *in, int64_t now,
			  struct rtp_build *b)
{
	uint16_t seq = (uint16_t)(rw->last_seq + 1);
	uint32_t ts = switch_ts(rw, now);
	rw->fwd_ssrc = in->ssrc;
	rw->fwd_first_seq = in->seq;
	rw->seq_offset = (uint16_t)(seq - in->seq);
	rw->ts_offset = ts - in->timestamp;
	rw->sent_mask = 1;
	fill(rw, true, seq, ts, b);
	commit(rw, RTP_REWRITE_FORWARD, seq, ts, now);
}

enum media_err rtp_rewrite_copy(const struct rtp_rewrite *rw, const struct rtp_header *in,
				struct rtp_build *b)
{
	if (!rw || !in || !b)
		return MEDIA_ERR_PARAM;
	if (rw->mode != RTP_REWRITE_FORWARD || in->ssrc != rw->fwd_ssrc ||
	    rtp_seq_diff(in->seq, rw->fwd_first_seq) < 0)
		return MEDIA_ERR_STALE;
	uint16_t seq = (uint16_t)(in->seq + rw->seq_offset);
	int32_t back = -rtp_seq_diff(seq, rw->last_seq);
	if (back < 0 || back >= MASK_BITS || !((rw->sent_mask >> back) & 1))
		return MEDIA_ERR_STALE;
	fill(rw, in->marker, seq, in->timestamp + rw->ts_offset, b);
	return MEDIA_OK;
}

enum media_err rtp_rewrite_forward(struct rtp_rewrite *rw, const struct rtp_header *in, int64_t now,
				   struct rtp_build *b)
{
	if (!rw || !in || !b)
		return MEDIA_ERR_PARAM;
	uint16_t seq = (uint16_t)(in->seq + rw->seq_offset);
	int32_t ahead = rtp_seq_diff(seq, rw->last_seq);
	if (rw->mode != RTP_REWRITE_FORWARD || in->ssrc != rw->fwd_ssrc || ahead > MAX_DROPOUT) {
		start_forward(rw, in, now, b);
		return MEDIA_OK;
	}
	if (rtp_seq_diff(in->seq, rw->fwd_first_seq) < 0)
		return MEDIA_ERR_STALE;
	uint32_t ts = in->timestamp + rw->ts_offset;
	if (ahead <= 0) { /* reordered: send it once, leave the stream's head alone */
		uint32_t back = (uint32_t)-ahead;
		if (back >= MASK_BITS || (rw->sent_mask >> back) & 1)
			return MEDIA_ERR_STALE;
		rw->sent_mask |= (uint64_t)1 << back;
		fill(rw, in->marker, seq, ts, b);
		return MEDIA_OK;
	}
	rw->sent_mask = ahead >= MASK_BITS ? 1 : (rw->sent_mask << ahead) | 1;
	fill(rw, in->marker, seq, ts, b);
	commit(rw, RTP_REWRITE_FORWARD, seq, ts, now);
	return MEDIA_OK;
}
