/*
 * load_media_onset -- a sampled peer decodes what it hears and times each burst of the
 * tone against the moment the primary speaker sent it (load_media.h); a sampled channel
 * listener checks instead that it hears its own booth (load_interp.h).
 */
#include <stdatomic.h>
#include <sys/socket.h>

#include "load_interp.h"
#include "load_media_internal.h"

/* More than a second skipped is a pause, not a DTX stretch to fill. */
#define DTX_SILENCE_MAX_FRAMES 50

/* The send time of the burst a listener heard start at wall time t with id `id`, from the
 * last few bursts sent (tone_match_burst); 0 if none. */
static uint64_t matching_burst(struct load_media *m, uint64_t t, int id)
{
	const struct tone_config *cfg = &m->tone->cfg;
	uint64_t sent[MATCH_BACK];
	size_t n = (size_t)cfg->burst_ids + 2;
	uint64_t now_us = load_mono_us();
	uint64_t b =
	    (now_us > m->t0_us ? (now_us - m->t0_us) / FRAME_US : 0) / (uint64_t)cfg->period_frames;
	if (n > b + 1)
		n = (size_t)b + 1;
	uint64_t first = b + 1 - n;
	for (size_t i = 0; i < n; i++)
		sent[i] = atomic_load(&m->burst_ns[(first + i) % MAX_BURSTS]);
	return tone_match_burst(cfg, sent, first, n, id, t);
}

/* An onset: where it was heard, to be matched once its crossings name the burst. */
static void begin_onset(struct load_peer *p, long at)
{
	p->pending = false;
	if (!in_window(p->m, load_mono_us()))
		return;
	if (p->gap) { /* the burst's first frame may be the one lost: not a clean mark */
		p->t->after_gap++;
		return;
	}
	p->pending = true;
	p->pending_ns = p->arrival_ns + (uint64_t)at * 1000000000u / CODEC_RATE;
}

static void note_onset(struct load_peer *p, long crossings)
{
	struct rx_thread *t = p->t;
	p->pending = false;
	int id = tone_id_of_crossings(&p->m->tone->cfg, (uint32_t)crossings);
	uint64_t heard = p->pending_ns;
	uint64_t sent = matching_burst(p->m, heard, id);
	if (sent == 0) {
		t->unmatched++;
		return;
	}
	double ms =
	    ((double)(heard - sent) - (double)p->m->tone->baseline * 1e9 / CODEC_RATE) / 1e6;
	(void)sample_set_add(p->speaker ? &t->echo_lat : &t->lat, ms);
}

static void on_audio(void *ctx, const struct rtp_header *h)
{
	struct load_peer *p = ctx;
	int16_t pcm[CODEC_FRAME];
	p->gap = p->have_last && (uint16_t)(h->seq - p->last_seq) != 1;
	/* A sender in DTX (Plenary's mix, an AudioBridge) sends nothing while quiet: frames
	 * skipped by the timestamp with no sequence gap are silence, and arm the detector. */
	uint32_t frames = p->have_last ? (h->timestamp - p->last_ts) / CODEC_FRAME : 1;
	if (!p->gap && frames > 1) {
		static const int16_t quiet[CODEC_FRAME];
		for (uint32_t i = 1; i < frames && i <= DTX_SILENCE_MAX_FRAMES; i++)
			(void)onset_feed(&p->od, quiet, CODEC_FRAME);
	}
	p->last_seq = h->seq;
	p->last_ts = h->timestamp;
	p->have_last = true;
	if (codec_decode(p->dec, h->payload, h->payload_len, pcm) != MEDIA_OK) {
		p->t->decode_errors++;
		return;
	}
	p->t->decoded++;
	if (p->n_ch && p->expect_ch >= 0) {
		if (in_window(p->m, load_mono_us())) {
			int heard = interp_dominant(pcm, CODEC_FRAME, p->n_ch);
			*(heard == p->expect_ch ? &p->ch_ok
			  : heard < 0		? &p->ch_quiet
						: &p->ch_wrong) += 1;
		}
		return;
	}
	if (p->m->tone->cfg.highpass)
		highpass_run(&p->hp, pcm, CODEC_FRAME);
	long at = onset_feed(&p->od, pcm, CODEC_FRAME);
	p->t->onsets += at >= 0;
	if (at >= 0)
		begin_onset(p, at);
	long crossings = onset_take_crossings(&p->od);
	if (crossings >= 0 && p->pending)
		note_onset(p, crossings);
}

bool load_peer_sample(struct load_peer *p)
{
	const struct load_tone *tone = p->m->tone;
	int on = 1;
	if (codec_decoder_create(&p->dec) != MEDIA_OK ||
	    setsockopt(client_fd(p->c), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0)
		return false;
	onset_init(&p->od, tone->onset_threshold, tone->onset_quiet_level,
		   tone->onset_quiet_samples);
	p->od.id_window = TONE_ID_WINDOW;
	highpass_init(&p->hp, SPEECH_HIGHPASS_HZ);
	client_on_audio(p->c, on_audio, p);
	return true;
}
