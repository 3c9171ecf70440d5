/*
 * load_media_report -- every listener and thread added up, after load_media_stop joined
 * the threads (so nothing here races them).
 */
#include <stdatomic.h>
#include <string.h>

#include "load_media_internal.h"

static void add_listener(struct media_report *r, const struct load_peer *p)
{
	struct client_stats cs;
	r->listeners++;
	client_stats(p->c, &cs);
	r->srtp_errors += cs.srtp_errors;
	if (atomic_load(&p->connected_ms) != 0)
		r->connected++;
	if (p->all.started)
		r->heard++;
	if (p->sampled)
		r->sampled++;
	if (p->sampled && p->n_ch && p->expect_ch >= 0) {
		r->ch_checked++;
		r->ch_frames_ok += p->ch_ok;
		r->ch_frames_wrong += p->ch_wrong;
		r->ch_frames_quiet += p->ch_quiet;
		/* Its own booth in most frames, another booth in under 1 in 10 of those it heard
		 * one in: a quiet frame (concealment, a gap) is not a wrong channel. */
		uint64_t all = p->ch_ok + p->ch_wrong + p->ch_quiet;
		r->ch_wrong_listeners +=
		    p->ch_ok * 2 <= all || p->ch_wrong * 10 > p->ch_ok + p->ch_wrong;
	}
	if (!p->win.started) {
		if (atomic_load(&p->connected_ms) != 0)
			r->silent++;
		return;
	}
	r->heard_in_window++;
	r->expected += seq_track_expected(&p->win);
	r->received += p->win.received;
	r->lost += seq_track_lost(&p->win);
}

void load_media_report(struct load_media *m, double window_s, struct media_report *out)
{
	memset(out, 0, sizeof *out);
	sample_set_init(&out->latency_ms, (size_t)LATENCY_MAX * (LOAD_MEDIA_MAX_THREADS + 1));
	sample_set_init(&out->echo_latency_ms, (size_t)LATENCY_MAX * (LOAD_MEDIA_MAX_THREADS + 1));
	sample_set_init(&out->speaker_late_ms, (size_t)LATENCY_MAX * (LOAD_MEDIA_MAX_THREADS + 1));
	for (struct load_peer *p = m->all; p; p = p->next_all)
		if (!p->speaker)
			add_listener(out, p);
	/* A connected listener that got nothing while others did lost what they got. */
	if (out->heard_in_window > 0 && out->silent > 0 && window_s > 0) {
		uint64_t per_listener = out->expected / out->heard_in_window;
		out->charged = per_listener * out->silent;
		out->expected += out->charged;
		out->lost += out->charged;
	}
	for (unsigned i = 0; i < m->n_threads; i++) {
		struct rx_thread *t = &m->threads[i];
		sample_set_merge(&out->latency_ms, &t->lat);
		sample_set_merge(&out->echo_latency_ms, &t->echo_lat);
		sample_set_merge(&out->speaker_late_ms, &t->send_late);
		out->onsets_unmatched += t->unmatched;
		out->onsets_after_gap += t->after_gap;
		out->decode_errors += t->decode_errors;
		out->decoded += t->decoded;
		out->onsets += t->onsets;
		out->speaker_sent += t->sent;
		out->speaker_sent_window += t->sent_win;
		out->speaker_send_errors += t->send_errors;
		out->speaker_received += t->speaker_rx;
	}
	out->speakers_realtime = atomic_load(&m->speakers_realtime);
}

void media_report_fini(struct media_report *r)
{
	sample_set_fini(&r->latency_ms);
	sample_set_fini(&r->echo_latency_ms);
	sample_set_fini(&r->speaker_late_ms);
}
