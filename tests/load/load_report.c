/*
 * load_report -- the audio scenarios' report: one JSON object on stdout.
 *
 * What each number means (tests/load/README.md repeats it for readers of the output):
 * - join: per listener, from the start of its WebSocket connect to its first RTP packet
 *   (p50, p99, max); all_heard_s from the first listener's start to the last one's first
 *   packet, null unless every listener heard audio; the same for "connected".
 * - failures: listeners that never connected (a reason is kept for each), plus, when
 *   audio flowed at all, connected listeners that never heard any.
 * - loss_pct: over the measurement window, lost / expected by RTP sequence numbers, with
 *   silent listeners charged what the others received; null if nobody heard anything.
 * - latency_ms: onset latencies of the sampled listeners in the window, the tone's own
 *   codec delay subtracted: what the server (and the loopback path) adds.
 * - server: CPU seconds over the window (utime + stime), per listener-minute, and RSS
 *   growth from before the listeners joined to the end of the window, per listener.
 * - tool.cpu_cores: this process's own CPU over the window; the benchmark marks a run
 *   invalid when it nears the one core the tool is confined to.
 * - speaker.send_late_ms: how late the speakers' frames left their 20 ms schedule, in
 *   the window (a run with p99 over a frame is invalid); speaker.realtime: their thread
 *   got SCHED_FIFO (it needs the privilege; without it a busy machine delays them).
 * - sampled_decoding.onsets_unmatched: onsets whose frequency named no burst sent in the
 *   last burst_ids periods (load_tone.h); they fail the benchmark's latency targets.
 * - channels (--channels): the booths and their tones; the sampled channel listeners'
 *   check that they hear their own booth (one that does not is also a failure); the
 *   server's channel encodes per mixer tick and channel over the window, from /metrics,
 *   and its workers' 20 ms frames over the window, and those a starved worker skipped.
 * - ogg (--scenario ogg): the listen.ogg clients' pages, packets, bytes and page-sequence
 *   gaps over the window; loss_pct there is from the granule positions (the 20 ms
 *   packets a page's granule says were sent and no page brought), silent clients charged
 *   what the others received; latency is not measured (a player buffers anyway).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "load.h"

static const char *const system_names[] = {"plenary", "janus-audiobridge", "janus-streaming"};

static json_t *num(bool ok, double v)
{
	return ok ? json_real(v) : json_null();
}

static json_t *percentiles(struct sample_set *s, double scale)
{
	size_t n = s->n;
	json_t *o = json_pack("{s:i}", "samples", (int)n);
	static const struct {
		const char *name;
		double p;
	} ps[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"max", 100}};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		json_object_set_new(o, ps[i].name,
				    num(n > 0, stats_percentile(s->v, n, ps[i].p) * scale));
	return o;
}

/* Listener join times and failures, with a count per reason. */
static json_t *join_report(struct load_run *r, bool any_audio, unsigned *failures)
{
	struct sample_set to_audio, to_connect;
	sample_set_init(&to_audio, r->cfg->listeners + 1);
	sample_set_init(&to_connect, r->cfg->listeners + 1);
	uint64_t last_audio = 0, last_connect = 0;
	json_t *reasons = json_object();
	*failures = 0;
	for (unsigned i = 0; i < r->cfg->listeners; i++) {
		struct load_listener *l = &r->listeners[i];
		struct peer_view v;
		load_listener_view(r, i, &v);
		const char *why = l->failed[0]			       ? l->failed
				  : i >= r->started		       ? "never started"
				  : v.connected_ms == 0		       ? "did not connect in time"
				  : any_audio && v.first_audio_ms == 0 ? "connected, heard no audio"
								       : NULL;
		if (v.connected_ms) {
			(void)sample_set_add(&to_connect, (double)(v.connected_ms - l->started_ms));
			last_connect =
			    v.connected_ms > last_connect ? v.connected_ms : last_connect;
		}
		if (v.first_audio_ms) {
			(void)sample_set_add(&to_audio, (double)(v.first_audio_ms - l->started_ms));
			last_audio = v.first_audio_ms > last_audio ? v.first_audio_ms : last_audio;
		}
		if (why) {
			(*failures)++;
			json_int_t k = json_integer_value(json_object_get(reasons, why));
			json_object_set_new(reasons, why, json_integer(k + 1));
		}
	}
	unsigned n = r->cfg->listeners;
	json_t *o = json_pack(
	    "{s:o,s:o,s:o,s:o,s:o,s:o}", "p50_s",
	    num(to_audio.n > 0, stats_percentile(to_audio.v, to_audio.n, 50) / 1000), "p99_s",
	    num(to_audio.n > 0, stats_percentile(to_audio.v, to_audio.n, 99) / 1000), "max_s",
	    num(to_audio.n > 0, stats_percentile(to_audio.v, to_audio.n, 100) / 1000),
	    "connect_p50_s",
	    num(to_connect.n > 0, stats_percentile(to_connect.v, to_connect.n, 50) / 1000),
	    "all_connected_s",
	    num(to_connect.n == n && n > 0, (double)(last_connect - r->t_join0) / 1000),
	    "all_heard_s", num(to_audio.n == n && n > 0, (double)(last_audio - r->t_join0) / 1000));
	json_object_set_new(o, "failure_reasons", reasons);
	sample_set_fini(&to_audio);
	sample_set_fini(&to_connect);
	return o;
}

static json_t *server_report(struct load_run *r, double window_s, unsigned connected)
{
	const struct load_cfg *cfg = r->cfg;
	bool cpu = r->cpu_ok && window_s > 0 && r->cpu1_s >= r->cpu0_s;
	double cpu_s = r->cpu1_s - r->cpu0_s;
	double listener_min = (double)connected * window_s / 60.0;
	bool rss = r->rss_after_kb > 0 && r->rss_before_kb > 0 && connected > 0;
	double rss_delta = (double)r->rss_after_kb - (double)r->rss_before_kb;
	return json_pack(
	    "{s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "pid", (int)cfg->server_pid, "cpu_s", num(cpu, cpu_s),
	    "cpu_cores", num(cpu, cpu_s / window_s), "cpu_s_per_listener_min",
	    num(cpu && listener_min > 0, cpu_s / listener_min), "rss_kb_before",
	    num(rss, (double)r->rss_before_kb), "rss_kb_after", num(rss, (double)r->rss_after_kb),
	    "rss_kb_per_listener", num(rss, rss_delta / connected));
}

static json_t *media_json(struct media_report *m, double window_s)
{
	bool any = m->heard_in_window > 0;
	json_t *o =
	    json_pack("{s:o,s:{s:I,s:I,s:I,s:i,s:I}}", "loss_pct",
		      num(any && m->expected > 0, 100.0 * (double)m->lost / (double)m->expected),
		      "packets", "expected", (json_int_t)m->expected, "received",
		      (json_int_t)m->received, "lost", (json_int_t)m->lost, "silent_listeners",
		      (int)m->silent, "charged", (json_int_t)m->charged);
	json_object_set_new(o, "latency_ms", percentiles(&m->latency_ms, 1));
	if (m->echo_latency_ms.n > 0)
		json_object_set_new(o, "echo_latency_ms", percentiles(&m->echo_latency_ms, 1));
	json_object_set_new(o, "sampled_decoding",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "frames_decoded",
				      (json_int_t)m->decoded, "decode_errors",
				      (json_int_t)m->decode_errors, "srtp_errors",
				      (json_int_t)m->srtp_errors, "onsets", (json_int_t)m->onsets,
				      "onsets_unmatched", (json_int_t)m->onsets_unmatched,
				      "onsets_after_loss", (json_int_t)m->onsets_after_gap));
	json_object_set_new(
	    o, "speaker",
	    json_pack("{s:I,s:I,s:I,s:I,s:f,s:b}", "sent", (json_int_t)m->speaker_sent,
		      "sent_in_window", (json_int_t)m->speaker_sent_window, "send_errors",
		      (json_int_t)m->speaker_send_errors, "received",
		      (json_int_t)m->speaker_received, "packets_per_s_in_window",
		      window_s > 0 ? (double)m->speaker_sent_window / window_s : 0.0, "realtime",
		      m->speakers_realtime));
	if (m->speaker_late_ms.n > 0)
		json_object_set_new(json_object_get(o, "speaker"), "send_late_ms",
				    percentiles(&m->speaker_late_ms, 1));
	return o;
}

/* --scenario ogg: the listeners' side of the report from the HTTP clients (the media
 * report then holds only the speakers). A client that failed at any time is a failure. */
static json_t *ogg_json(struct load_run *r, struct media_report *m)
{
	struct ogg_report o;
	load_ogg_report(r->ogg, &o);
	for (unsigned i = 0; i < r->started; i++)
		if (load_ogg_failed(r->ogg, i))
			load_listener_fail(r, i, "%s", load_ogg_failed(r->ogg, i));
	const uint64_t frame = 20 * OGG_SAMPLES_PER_MS;
	uint64_t lost = (o.window.lost_samples + frame / 2) / frame;
	uint64_t per_heard = o.heard_in_window ? o.window.packets / o.heard_in_window : 0;
	m->listeners = r->cfg->listeners;
	m->connected = o.connected;
	m->heard = o.heard;
	m->heard_in_window = o.heard_in_window;
	m->silent = o.silent;
	m->charged = per_heard * o.silent;
	m->received = o.window.packets;
	m->lost = lost + m->charged;
	m->expected = m->received + m->lost;
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "pages", (json_int_t)o.window.pages,
			 "packets", (json_int_t)o.window.packets, "bytes",
			 (json_int_t)o.window.bytes, "samples", (json_int_t)o.window.samples,
			 "lost_samples", (json_int_t)o.window.lost_samples, "page_seq_gaps",
			 (json_int_t)o.window.seq_gaps);
}

/* --channels: the booths, the sampled channel listeners' check, and the server's
 * channel encodes per mixer tick and channel over the window (1.0 is one encode each);
 * and the workers' 20 ms frames over the window, those skipped apart: a room that sends
 * fewer than 50 packets a second with no frame skipped was given less to send (its voices'
 * packets came late or not at all), with frames skipped the server was starved of CPU. */
static json_t *channels_json(struct load_run *r, const struct media_report *m)
{
	const struct interp_langs *l = &r->cfg->langs;
	json_t *langs = json_array();
	for (unsigned ch = 0; ch < l->n; ch++)
		json_array_append_new(langs, json_pack("{s:s,s:i}", "lang", l->lang[ch], "tone_hz",
						       interp_freq_hz(ch)));
	const struct interp_metrics *a = &r->metrics0, *b = &r->metrics1;
	double enc = b->encodes - a->encodes, ticks = b->ticks - a->ticks;
	bool ok = r->metrics_ok && ticks > 0 && enc >= 0;
	return json_pack(
	    "{s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:I,s:I,s:I}", "langs", langs, "encodes",
	    num(ok, enc), "ticks", num(ok, ticks), "server_frames",
	    num(r->metrics_ok, b->frames - a->frames), "server_frames_skipped",
	    num(r->metrics_ok, b->frames_skipped - a->frames_skipped),
	    "encodes_per_tick_per_channel", num(ok, enc / ticks / l->n), "listeners_checked",
	    (int)m->ch_checked, "listeners_wrong_channel", (int)m->ch_wrong_listeners,
	    "frames_own_channel", (json_int_t)m->ch_frames_ok, "frames_other_booth",
	    (json_int_t)m->ch_frames_wrong, "frames_quiet", (json_int_t)m->ch_frames_quiet);
}

static json_t *warnings_json(const struct load_run *r)
{
	json_t *a = json_array();
	for (size_t off = 0; off < r->warnings_len; off += strlen(r->warnings + off) + 1)
		json_array_append_new(a, json_string(r->warnings + off));
	return a;
}

void load_report_audio(struct load_run *r)
{
	const struct load_cfg *cfg = r->cfg;
	double window_s =
	    r->t_window1 > r->t_window0 ? (double)(r->t_window1 - r->t_window0) / 1000 : 0;
	struct media_report m;
	memset(&m, 0, sizeof m);
	if (r->media)
		load_media_report(r->media, window_s, &m);
	json_t *ogg = r->ogg ? ogg_json(r, &m) : NULL;
	unsigned failures = 0;
	json_t *o =
	    json_pack("{s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:f}", "scenario",
		      cfg->scenario == SCN_STORM ? "storm"
		      : r->ogg			 ? "ogg"
						 : "listeners",
		      "system", system_names[cfg->system], "listeners", (int)cfg->listeners,
		      "speakers", (int)cfg->speakers, "sampled", (int)m.sampled, "connected",
		      (int)m.connected, "heard", (int)m.heard, "window_s", window_s);
	json_object_set_new(o, "join", join_report(r, m.heard > 0, &failures));
	/* A sampled channel listener that did not hear its own booth failed too. */
	if (m.ch_wrong_listeners > 0) {
		failures += (unsigned)m.ch_wrong_listeners;
		json_object_set_new(json_object_get(json_object_get(o, "join"), "failure_reasons"),
				    "did not hear its channel",
				    json_integer((json_int_t)m.ch_wrong_listeners));
	}
	json_object_set_new(o, "failures", json_integer(failures));
	if (cfg->langs.n)
		json_object_set_new(o, "channels", channels_json(r, &m));
	json_t *media = media_json(&m, window_s);
	json_object_update(o, media);
	json_decref(media);
	if (ogg)
		json_object_set_new(o, "ogg", ogg);
	json_object_set_new(o, "server", server_report(r, window_s, (unsigned)m.connected));
	double tool = r->tool_cpu1_s - r->tool_cpu0_s;
	json_object_set_new(o, "tool",
			    json_pack("{s:i,s:o}", "threads", (int)cfg->threads, "cpu_cores",
				      num(window_s > 0 && tool >= 0, tool / window_s)));
	json_object_set_new(o, "config",
			    json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:f,s:s,s:f,s:i}", "bitrate",
				      cfg->tone.bitrate, "complexity", cfg->tone.complexity,
				      "expected_loss", cfg->expected_loss, "join_rate",
				      cfg->join_rate, "warmup_s", cfg->warmup_s, "duration_s",
				      cfg->duration_s, "tone_baseline_ms",
				      (double)r->tone.baseline * 1000.0 / CODEC_RATE, "speaker",
				      cfg->system != SYS_PLENARY ? "audiobridge participant"
				      : cfg->speaker_is_chair	 ? "chair"
								 : "participant given the floor",
				      "tone_period_s", cfg->tone.period_frames * 0.02,
				      "tone_burst_ids", cfg->tone.burst_ids));
	/* The other speakers' source: the tone, or continuous speech (load_speech.h). */
	json_object_set_new(json_object_get(o, "config"), "other_speakers",
			    r->speech.frames ? json_pack("{s:s,s:f,s:f}", "source", "speech",
							 "loop_s", r->speech.frames * 0.02,
							 "voice_active_pct", r->speech.active_pct)
					     : json_pack("{s:s}", "source", "tone"));
	json_object_set_new(o, "warnings", warnings_json(r));
	json_object_set_new(o, "error", r->why[0] ? json_string(r->why) : json_null());
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	printf("%s\n", text ? text : "{}");
	fflush(stdout);
	free(text);
	json_decref(o);
	media_report_fini(&m);
}
