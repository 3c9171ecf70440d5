/*
 * The adaptive jitter buffer; jitter.h explains the policy, this file the mechanics.
 *
 * Storage: `slots` fixed slots indexed by extended sequence number modulo slots, each with
 * its own JITTER_MAX_PAYLOAD bytes from one block allocated at create. Sequence and
 * timestamp are extended to 64 bits so nothing here cares about wrap-around. Lookups scan
 * the slots (32 by default): cheaper than keeping them sorted, and O(slots) is the bound.
 *
 * Phases:
 *
 *   IDLE ──first packet──▶ PREFETCH ──target - 20 ms later──▶ PLAYING
 *    ▲                                                          │
 *    └──── underrun after a DTX frame, or longer than 100 ms ───┘
 *
 * Estimate: every packet's transit (arrival - timestamp, in 48 kHz samples) goes into a
 * window of the last JITTER_WINDOW; a sorted copy is kept incrementally (remove the value
 * leaving, insert the one arriving: O(window) per packet, no sort per tick), so the 95th
 * percentile and the minimum are two array reads. The RFC 3550 A.8 estimate runs beside
 * it in the RFC's Q4 fixed point.
 */
#include "media/mix/jitter.h"

#include <stdlib.h>
#include <string.h>

#include "media/wire/wire.h"

#define SAMPLES_PER_MS 48
#define FRAME	       JITTER_FRAME_SAMPLES
#define DTX_MAX_BYTES  2
#define HEADROOM_MIN   (5 * SAMPLES_PER_MS)
#define TOO_DEEP       (FRAME + FRAME / 2) /* above target: drop a frame */
#define TOO_SHALLOW    (FRAME / 2)	   /* below target: stretch a tick */
#define BURST_MARGIN   (2 * FRAME)	   /* above max_delay: drop at once */
#define FORCE_PULLS    25		   /* 0.5 s before touching speech */
#define DECAY_PULLS    4		   /* the target falls 1 ms per 4 ticks */

struct slot {
	bool used;
	bool marker;
	uint16_t len;
	int64_t seq; /* extended */
	int64_t ts;  /* extended */
	uint8_t *data;
};

enum phase { PHASE_IDLE, PHASE_PREFETCH, PHASE_PLAYING };

struct jitter {
	size_t n_slots;
	int64_t min_delay, max_delay; /* samples */
	struct slot *slots;
	uint8_t *payloads;

	/* The stream. */
	bool started;
	uint32_t ssrc;
	bool have_old_ssrc;
	uint32_t old_ssrc; /* the SSRC before the last change: its stragglers are late */
	struct rtp_seq_ext seq_ext;
	int64_t ts_max;	    /* highest extended timestamp seen */
	int64_t newest_end; /* end of the newest packet buffered, extended timestamp */
	enum phase phase;
	int64_t spurt_arrival_us;
	int64_t play_ts;    /* next frame to play */
	int64_t played_seq; /* highest sequence number played or passed */
	bool have_played;
	bool last_dtx;
	int underruns;

	/* The estimate. */
	bool have_transit;
	int64_t prev_transit;
	int64_t jitter_q4;
	int64_t window[JITTER_WINDOW]; /* in arrival order, a ring */
	int64_t sorted[JITTER_WINDOW];
	size_t window_len, window_pos;
	int64_t spread, target;
	int decay_count;

	/* Adapting. */
	int64_t level, level_avg;
	int over, under;

	struct jitter_stats stats;
};

const char *jitter_strerror(enum jitter_err err)
{
	switch (err) {
	case JITTER_OK:
		return "ok";
	case JITTER_EINVAL:
		return "invalid argument to the jitter buffer";
	case JITTER_ENOMEM:
		return "out of memory creating a jitter buffer";
	case JITTER_ETOOBIG:
		return "RTP payload too large for the jitter buffer";
	case JITTER_EDUPLICATE:
		return "duplicate RTP packet";
	case JITTER_ELATE:
		return "RTP packet arrived after its time to play";
	}
	return "unknown jitter buffer error";
}

static void reset_stream(struct jitter *jb)
{
	for (size_t i = 0; i < jb->n_slots; i++)
		jb->slots[i].used = false;
	jb->started = false;
	jb->phase = PHASE_IDLE;
	jb->have_played = false;
	jb->last_dtx = false;
	jb->underruns = 0;
	jb->have_transit = false;
	jb->jitter_q4 = 0;
	jb->window_len = 0;
	jb->window_pos = 0;
	jb->spread = 0;
	jb->target = jb->min_delay;
	jb->decay_count = 0;
	jb->level = 0;
	jb->level_avg = 0;
	jb->over = 0;
	jb->under = 0;
}

static enum jitter_err check_config(const struct jitter_config *cfg, struct jitter_config *c)
{
	*c = cfg ? *cfg : (struct jitter_config){0};
	if (c->slots == 0)
		c->slots = JITTER_DEFAULT_SLOTS;
	if (c->min_delay_ms == 0)
		c->min_delay_ms = 20;
	if (c->max_delay_ms == 0)
		c->max_delay_ms = 120;
	if (c->slots < 8 || c->slots > 1024 || c->min_delay_ms < JITTER_FRAME_MS ||
	    c->min_delay_ms > c->max_delay_ms ||
	    c->max_delay_ms + 2 * JITTER_FRAME_MS > c->slots * JITTER_FRAME_MS)
		return JITTER_EINVAL;
	return JITTER_OK;
}

enum jitter_err jitter_create(const struct jitter_config *cfg, struct jitter **out)
{
	struct jitter_config c;
	if (!out || check_config(cfg, &c) != JITTER_OK)
		return JITTER_EINVAL;
	struct jitter *jb = calloc(1, sizeof *jb);
	if (!jb)
		return JITTER_ENOMEM;
	jb->n_slots = c.slots;
	jb->min_delay = (int64_t)c.min_delay_ms * SAMPLES_PER_MS;
	jb->max_delay = (int64_t)c.max_delay_ms * SAMPLES_PER_MS;
	jb->slots = calloc(c.slots, sizeof *jb->slots);
	jb->payloads = malloc(c.slots * JITTER_MAX_PAYLOAD);
	if (!jb->slots || !jb->payloads) {
		jitter_destroy(jb);
		return JITTER_ENOMEM;
	}
	for (size_t i = 0; i < c.slots; i++)
		jb->slots[i].data = jb->payloads + i * JITTER_MAX_PAYLOAD;
	reset_stream(jb);
	*out = jb;
	return JITTER_OK;
}

void jitter_destroy(struct jitter *jb)
{
	if (!jb)
		return;
	free(jb->slots);
	free(jb->payloads);
	free(jb);
}

void jitter_reset(struct jitter *jb)
{
	if (jb)
		reset_stream(jb);
}

/* --- Estimate ------------------------------------------------------------------------- */

static void sorted_remove(struct jitter *jb, int64_t v)
{
	size_t n = jb->window_len, i = 0;
	while (i < n && jb->sorted[i] != v)
		i++;
	if (i < n)
		memmove(&jb->sorted[i], &jb->sorted[i + 1], (n - i - 1) * sizeof v);
}

static void sorted_insert(struct jitter *jb, size_t n, int64_t v)
{
	size_t i = n;
	while (i > 0 && jb->sorted[i - 1] > v) {
		jb->sorted[i] = jb->sorted[i - 1];
		i--;
	}
	jb->sorted[i] = v;
}

static void window_add(struct jitter *jb, int64_t transit)
{
	size_t n = jb->window_len;
	if (n == JITTER_WINDOW) {
		sorted_remove(jb, jb->window[jb->window_pos]);
		n--;
	} else {
		jb->window_len++;
	}
	sorted_insert(jb, n, transit);
	jb->window[jb->window_pos] = transit;
	jb->window_pos = (jb->window_pos + 1) % JITTER_WINDOW;
	size_t p95 = (jb->window_len - 1) * 95 / 100;
	jb->spread = jb->sorted[p95] - jb->sorted[0];
}

/* RFC 3550 A.8: J += (|D| - J) / 16, with J kept times 16. */
static void update_estimate(struct jitter *jb, int64_t ts, int64_t now_us)
{
	int64_t transit = now_us * SAMPLES_PER_MS / 1000 - ts;
	if (jb->have_transit) {
		int64_t d = transit - jb->prev_transit;
		jb->jitter_q4 += (d < 0 ? -d : d) - ((jb->jitter_q4 + 8) >> 4);
	}
	jb->prev_transit = transit;
	jb->have_transit = true;
	window_add(jb, transit);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Rises at once, falls by 1 ms every DECAY_PULLS ticks. */
static void update_target(struct jitter *jb)
{
	int64_t headroom = jb->jitter_q4 >> 4;
	if (headroom < HEADROOM_MIN)
		headroom = HEADROOM_MIN;
	int64_t want = clamp64(FRAME + jb->spread + headroom, jb->min_delay, jb->max_delay);
	if (want >= jb->target) {
		jb->target = want;
		jb->decay_count = 0;
	} else if (++jb->decay_count >= DECAY_PULLS) {
		jb->decay_count = 0;
		jb->target -= SAMPLES_PER_MS;
		if (jb->target < want)
			jb->target = want;
	}
}

/* --- Insert --------------------------------------------------------------------------- */

static int64_t extend_ts(struct jitter *jb, uint32_t ts)
{
	int64_t ext = jb->ts_max + (int32_t)(ts - (uint32_t)jb->ts_max);
	if (ext > jb->ts_max)
		jb->ts_max = ext;
	return ext;
}

/* False for a straggler of the SSRC we switched away from: following it back would reset
 * the buffer twice for one packet. */
static bool start_stream(struct jitter *jb, uint32_t ssrc, uint32_t ts)
{
	if (jb->started && ssrc != jb->ssrc) {
		if (jb->have_old_ssrc && ssrc == jb->old_ssrc)
			return false;
		jb->have_old_ssrc = true;
		jb->old_ssrc = jb->ssrc;
		reset_stream(jb);
		jb->stats.ssrc_changes++;
	}
	if (jb->started)
		return true;
	jb->started = true;
	jb->ssrc = ssrc;
	memset(&jb->seq_ext, 0, sizeof jb->seq_ext);
	jb->ts_max = ts;
	return true;
}

static bool is_late(const struct jitter *jb, int64_t seq, int64_t ts)
{
	if (jb->have_played && seq <= jb->played_seq)
		return true;
	return jb->phase == PHASE_PLAYING && ts < jb->play_ts;
}

static bool any_buffered(const struct jitter *jb)
{
	for (size_t i = 0; i < jb->n_slots; i++)
		if (jb->slots[i].used)
			return true;
	return false;
}

/* The slot for seq: free, or holding an older packet to evict. */
static enum jitter_err claim_slot(struct jitter *jb, int64_t seq, struct slot **out)
{
	int64_t n = (int64_t)jb->n_slots;
	struct slot *s = &jb->slots[((seq % n) + n) % n];
	if (s->used && s->seq == seq) {
		jb->stats.duplicates++;
		return JITTER_EDUPLICATE;
	}
	if (s->used && s->seq > seq) { /* a whole buffer older than what is held */
		jb->stats.late++;
		return JITTER_ELATE;
	}
	if (s->used)
		jb->stats.overflow++;
	*out = s;
	return JITTER_OK;
}

static void store(struct jitter *jb, struct slot *s, const struct jitter_packet *p, int64_t seq,
		  int64_t ts, int64_t now_us)
{
	s->used = false;
	bool was_empty = !any_buffered(jb);
	*s = (struct slot){.used = true,
			   .marker = p->marker,
			   .len = (uint16_t)p->len,
			   .seq = seq,
			   .ts = ts,
			   .data = s->data};
	if (p->len)
		memcpy(s->data, p->payload, p->len);
	if (was_empty || ts + FRAME > jb->newest_end)
		jb->newest_end = ts + FRAME;
	if (jb->phase == PHASE_IDLE) {
		jb->phase = PHASE_PREFETCH;
		jb->spurt_arrival_us = now_us;
	}
}

enum jitter_err jitter_insert(struct jitter *jb, const struct jitter_packet *p, int64_t now_us)
{
	if (!jb || !p || (!p->payload && p->len))
		return JITTER_EINVAL;
	if (p->len > JITTER_MAX_PAYLOAD)
		return JITTER_ETOOBIG;
	jb->stats.received++;
	if (!start_stream(jb, p->ssrc, p->timestamp)) {
		jb->stats.late++;
		return JITTER_ELATE;
	}
	int64_t seq = rtp_seq_extend(&jb->seq_ext, p->seq);
	int64_t ts = extend_ts(jb, p->timestamp);
	update_estimate(jb, ts, now_us);
	if (is_late(jb, seq, ts)) {
		jb->stats.late++;
		return JITTER_ELATE;
	}
	struct slot *s;
	enum jitter_err err = claim_slot(jb, seq, &s);
	if (!err)
		store(jb, s, p, seq, ts, now_us);
	return err;
}

/* --- Pull ----------------------------------------------------------------------------- */

/* The buffered packet with the lowest timestamp >= from, or NULL. */
static struct slot *earliest_from(struct jitter *jb, int64_t from)
{
	struct slot *best = NULL;
	for (size_t i = 0; i < jb->n_slots; i++) {
		struct slot *s = &jb->slots[i];
		if (s->used && s->ts >= from && (!best || s->ts < best->ts))
			best = s;
	}
	return best;
}

/* Frees what the play point has passed (after a drop, a skip or a resync). */
static void purge_before(struct jitter *jb, int64_t ts)
{
	for (size_t i = 0; i < jb->n_slots; i++)
		if (jb->slots[i].used && jb->slots[i].ts < ts)
			jb->slots[i].used = false;
}

static void pass_seq(struct jitter *jb, int64_t seq)
{
	if (!jb->have_played || seq > jb->played_seq)
		jb->played_seq = seq;
	jb->have_played = true;
}

static void maybe_start(struct jitter *jb, int64_t now_us)
{
	int64_t wait_us = (jb->target - FRAME) * 1000 / SAMPLES_PER_MS;
	if (now_us - jb->spurt_arrival_us < wait_us)
		return;
	struct slot *first = earliest_from(jb, INT64_MIN);
	if (!first) {
		jb->phase = PHASE_IDLE;
		return;
	}
	/* After a burst, start no deeper than the target: the older frames are skipped. */
	struct slot *start = earliest_from(jb, jb->newest_end - jb->target);
	if (!start)
		start = first;
	for (size_t i = 0; i < jb->n_slots; i++)
		if (jb->slots[i].used && jb->slots[i].ts < start->ts)
			jb->stats.dropped++;
	purge_before(jb, start->ts);
	jb->play_ts = start->ts;
	pass_seq(jb, start->seq - 1);
	jb->phase = PHASE_PLAYING;
	jb->level_avg = jb->newest_end - jb->play_ts;
	jb->over = jb->under = 0;
	jb->underruns = 0;
	jb->last_dtx = false;
}

static void emit_frame(struct jitter *jb, struct slot *s, struct jitter_out *out)
{
	out->kind = JITTER_FRAME;
	out->payload = s->data;
	out->len = s->len;
	out->dtx = s->len <= DTX_MAX_BYTES;
	out->marker = s->marker;
	out->seq = (uint16_t)s->seq;
	out->timestamp = (uint32_t)s->ts;
	jb->play_ts = s->ts + FRAME;
	pass_seq(jb, s->seq);
	s->used = false;
	jb->stats.played++;
	jb->underruns = 0;
	jb->last_dtx = out->dtx;
}

/* Nothing to play and nothing newer: conceal without advancing, so the late packet still
 * plays when it comes; give up after JITTER_PLC_MAX frames or after DTX. */
static void underrun(struct jitter *jb, struct jitter_out *out)
{
	jb->underruns++;
	if (jb->last_dtx || jb->underruns > JITTER_PLC_MAX) {
		jb->phase = PHASE_IDLE;
		jb->level = 0;
		return; /* out is SILENCE */
	}
	out->kind = JITTER_LOST;
	jb->stats.concealed++;
}

static void lost_frame(struct jitter *jb, struct slot *next, struct jitter_out *out)
{
	out->kind = JITTER_LOST;
	if (next->ts < jb->play_ts + 2 * FRAME) {
		out->fec = true;
		out->payload = next->data;
		out->len = next->len;
		jb->stats.fec++;
	}
	jb->stats.lost++;
	jb->play_ts += FRAME;
	jb->underruns = 0;
	jb->last_dtx = false;
}

/* A sequence hole longer than the concealment limit: jump to the next packet. */
static void resync(struct jitter *jb, struct slot *next, struct jitter_out *out)
{
	int64_t missing = next->seq - jb->played_seq - 1;
	jb->stats.lost += (uint64_t)(missing > 0 ? missing : 0);
	emit_frame(jb, next, out);
}

static bool is_dtx_gap(const struct jitter *jb, const struct slot *next)
{
	return next && next->seq == jb->played_seq + 1;
}

/* Too deep: skip the frame at the play point (a DTX frame, a DTX gap, or when forced any
 * frame). Returns true when it skipped. */
static bool shrink(struct jitter *jb, struct slot *s, struct slot *next)
{
	bool force = jb->level > jb->max_delay + BURST_MARGIN || jb->over >= FORCE_PULLS;
	bool silent = s ? s->len <= DTX_MAX_BYTES : is_dtx_gap(jb, next);
	if (!(s || next) || !(silent || force))
		return false;
	if (s) {
		pass_seq(jb, s->seq);
		s->used = false;
	}
	jb->play_ts += FRAME;
	purge_before(jb, jb->play_ts);
	jb->stats.dropped++;
	jb->level_avg -= FRAME;
	jb->over = 0;
	return true;
}

/* Too shallow: play a silent or concealed tick without advancing. */
static bool stretch(struct jitter *jb, struct slot *s, struct slot *next, struct jitter_out *out)
{
	bool silent = s ? s->len <= DTX_MAX_BYTES : (is_dtx_gap(jb, next) || jb->last_dtx);
	if (!silent && jb->under < FORCE_PULLS)
		return false;
	out->kind = silent ? JITTER_SILENCE : JITTER_LOST;
	jb->stats.stretched++;
	jb->level_avg += FRAME;
	jb->under = 0;
	return true;
}

static void find(struct jitter *jb, struct slot **s, struct slot **next)
{
	struct slot *e = earliest_from(jb, jb->play_ts);
	bool here = e && e->ts < jb->play_ts + FRAME;
	*s = here ? e : NULL;
	*next = here ? NULL : e;
}

/* Decides about the delay before playing; true when out is already filled. */
static bool adapt(struct jitter *jb, struct slot **s, struct slot **next, struct jitter_out *out)
{
	if (jb->level_avg > jb->target + TOO_DEEP || jb->level > jb->max_delay + BURST_MARGIN) {
		jb->over++;
		jb->under = 0;
		if (shrink(jb, *s, *next))
			find(jb, s, next);
		return false;
	}
	jb->over = 0;
	if (jb->level_avg < jb->target - TOO_SHALLOW && (*s || *next)) {
		jb->under++;
		return stretch(jb, *s, *next, out);
	}
	jb->under = 0;
	return false;
}

static void play(struct jitter *jb, struct jitter_out *out)
{
	int64_t level = jb->newest_end - jb->play_ts;
	jb->level = level > 0 ? level : 0;
	jb->level_avg += (jb->level - jb->level_avg) / 16;
	struct slot *s, *next;
	find(jb, &s, &next);
	if (adapt(jb, &s, &next, out))
		return;
	if (s)
		emit_frame(jb, s, out);
	else if (!next)
		underrun(jb, out);
	else if (is_dtx_gap(jb, next))
		jb->play_ts += FRAME; /* silence until the next talk spurt */
	else if (next->ts - jb->play_ts > JITTER_PLC_MAX * FRAME)
		resync(jb, next, out);
	else
		lost_frame(jb, next, out);
}

void jitter_pull(struct jitter *jb, int64_t now_us, struct jitter_out *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	out->kind = JITTER_SILENCE;
	if (!jb)
		return;
	update_target(jb);
	if (jb->phase == PHASE_PREFETCH)
		maybe_start(jb, now_us);
	if (jb->phase == PHASE_PLAYING)
		play(jb, out);
	else
		jb->level = 0;
}

bool jitter_holding(const struct jitter *jb)
{
	return jb && any_buffered(jb);
}

/* The buffered packet with the lowest sequence number above after, or NULL. */
static const struct slot *next_by_seq(const struct jitter *jb, int64_t after)
{
	const struct slot *best = NULL;
	for (size_t i = 0; i < jb->n_slots; i++) {
		const struct slot *s = &jb->slots[i];
		if (s->used && s->seq > after && (!best || s->seq < best->seq))
			best = s;
	}
	return best;
}

size_t jitter_peek(const struct jitter *jb, jitter_visit_fn fn, void *ctx)
{
	if (!jb || !fn)
		return 0;
	size_t n = 0;
	/* O(slots^2) over 32 slots, once per switch: simpler than keeping an order. */
	for (const struct slot *s = next_by_seq(jb, INT64_MIN); s; s = next_by_seq(jb, s->seq)) {
		struct jitter_packet p = {.ssrc = jb->ssrc,
					  .seq = (uint16_t)s->seq,
					  .timestamp = (uint32_t)s->ts,
					  .marker = s->marker,
					  .payload = s->data,
					  .len = s->len};
		fn(ctx, &p);
		n++;
	}
	return n;
}

void jitter_get_stats(const struct jitter *jb, struct jitter_stats *out)
{
	if (!jb || !out)
		return;
	*out = jb->stats;
	out->jitter_ms = (uint32_t)((jb->jitter_q4 >> 4) / SAMPLES_PER_MS);
	out->spread_ms = (uint32_t)(jb->spread / SAMPLES_PER_MS);
	out->target_ms = (uint32_t)(jb->target / SAMPLES_PER_MS);
	out->level_ms = (uint32_t)(jb->level / SAMPLES_PER_MS);
}
