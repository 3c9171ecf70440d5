/*
 * load_run -- the audio scenarios (one speaker and N listeners; the join storm) as a
 * sequence of phases, stepped by the signalling thread's tick:
 *
 * (--scenario ogg: the same phases, the listeners plain HTTP clients of listen.ogg,
 * load_ogg.h, instead of WebRTC peers.)
 *
 *   SETUP ----speakers connected and heard by the room----> JOINING
 *     |  30 s                                                 | join_rate listeners/s
 *     v                                                       v  (a storm: N in 5 s)
 *   fail ("the speaker ...")                               SETTLING
 *                                       every listener connected and hearing audio,
 *                                       or failed, or join_timeout / hear_timeout passed
 *                                                             v
 *                                     WARMUP (warmup_s) -> MEASURE (duration_s) -> DONE
 *
 * The server's CPU is read at both ends of the window and its RSS before the listeners
 * join and at the end of the window, so both are charged to the listeners. A run never
 * hangs on a server that sends nothing: each wait has a deadline, and what was missing
 * goes into the report as a warning.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "load.h"
#include "load_proc.h"

#define SETUP_TIMEOUT_MS 30000
#define TICK_MS		 50 /* phases and joins; lws polls every socket per wake-up */

uint64_t load_now_ms(void)
{
	return load_mono_us() / 1000;
}

void load_warn(struct load_run *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "plenary-load: warning: %s\n", line);
	size_t n = strlen(line) + 1;
	if (r->warnings_len + n <= sizeof r->warnings) {
		memcpy(r->warnings + r->warnings_len, line, n);
		r->warnings_len += n;
	}
}

void load_listener_view(const struct load_run *r, unsigned i, struct peer_view *out)
{
	const struct load_listener *l = &r->listeners[i];
	memset(out, 0, sizeof *out);
	if (r->ogg && i < r->started)
		load_ogg_view(r->ogg, i, out);
	else if (l->peer)
		load_peer_view(l->peer, out);
}

void load_listener_fail(struct load_run *r, unsigned i, const char *fmt, ...)
{
	struct load_listener *l = &r->listeners[i];
	if (l->failed[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->failed, sizeof l->failed, fmt, ap);
	va_end(ap);
}

void load_fatal(struct load_run *r, const char *fmt, ...)
{
	if (r->why[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
}

static double tool_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void enter(struct load_run *r, enum load_phase ph, uint64_t deadline)
{
	static const char *const names[] = {"setup",   "joining", "settling",
					    "warm-up", "measure", "done"};
	r->phase = ph;
	r->phase_deadline = deadline;
	fprintf(stderr, "plenary-load: %s (%.1f s)\n", names[ph],
		(double)(load_now_ms() - r->t_setup) / 1000);
}

static void step_setup(struct load_run *r, uint64_t now)
{
	int ready = r->drv->speaker_ready(r);
	if (ready == 0 && now < r->phase_deadline)
		return;
	if (ready <= 0) {
		load_fatal(r, "the speaker did not connect, or the room did not hear it, in %d s",
			   SETUP_TIMEOUT_MS / 1000);
		enter(r, PH_DONE, 0);
		return;
	}
	if (r->cfg->server_pid > 0)
		(void)proc_rss_kb(r->cfg->server_pid, &r->rss_before_kb);
	r->t_join0 = now;
	enter(r, PH_JOINING, 0);
}

static void step_joining(struct load_run *r, uint64_t now)
{
	double due = (double)(now - r->t_join0) / 1000.0 * r->cfg->join_rate + 1;
	unsigned n = r->cfg->listeners;
	while (r->started < n && (double)r->started < due) {
		r->listeners[r->started].started_ms = now;
		if (r->ogg)
			(void)load_ogg_add(r->ogg, r->started);
		else
			r->drv->add_listener(r, r->started);
		r->started++;
	}
	if (r->started < n)
		return;
	r->t_joined = now;
	enter(r, PH_SETTLING, now + (uint64_t)(r->cfg->join_timeout_s * 1000));
}

/* Whether every listener has connected or failed (*all_connected), and whether every
 * connected one hears audio (*all_hear); *any_hear if one does. */
static void survey(struct load_run *r, bool *all_connected, bool *all_hear, bool *any_hear)
{
	*all_connected = *all_hear = true;
	*any_hear = false;
	for (unsigned i = 0; i < r->cfg->listeners; i++) {
		struct load_listener *l = &r->listeners[i];
		struct peer_view v;
		load_listener_view(r, i, &v);
		if (!l->failed[0] && v.state == CLIENT_FAILED)
			load_listener_fail(r, i, "%s",
					   r->ogg ? load_ogg_failed(r->ogg, i)
						  : "WebRTC connection failed");
		if (l->failed[0])
			continue;
		if (v.connected_ms == 0)
			*all_connected = false;
		if (v.first_audio_ms == 0)
			*all_hear = false;
		else
			*any_hear = true;
	}
}

static void step_settling(struct load_run *r, uint64_t now)
{
	bool all_connected, all_hear, any_hear;
	survey(r, &all_connected, &all_hear, &any_hear);
	if (all_connected && r->t_settled == 0) {
		r->t_settled = now; /* now wait for audio, at most hear_timeout */
		r->phase_deadline = now + (uint64_t)(r->cfg->hear_timeout_s * 1000);
	}
	if (!(all_connected && all_hear) && now < r->phase_deadline)
		return;
	if (!all_connected)
		load_warn(r, "not every listener connected within %.0f s of the last join",
			  r->cfg->join_timeout_s);
	if (!any_hear)
		load_warn(r, "no listener received any audio: the server forwarded nothing from "
			     "the speaker to them");
	else if (!all_hear)
		load_warn(r, "some connected listeners never received audio");
	if (r->t_settled == 0)
		r->t_settled = now;
	enter(r, PH_WARMUP, now + (uint64_t)(r->cfg->warmup_s * 1000));
}

static void read_cpu(struct load_run *r, double *server, double *tool)
{
	if (r->cfg->server_pid > 0 && !proc_cpu_seconds(r->cfg->server_pid, server)) {
		load_warn(r, "the server (pid %d) is gone", (int)r->cfg->server_pid);
		r->cpu_ok = false;
	}
	*tool = tool_cpu_s();
}

/* --channels: the server's channel encodes and mixer ticks (load_interp.h). The scrape
 * sits outside the CPU readings, so its cost is not charged to the listeners. */
static void read_metrics(struct load_run *r, struct interp_metrics *out)
{
	if (r->cfg->langs.n == 0)
		return;
	bool first = out == &r->metrics0;
	bool ok = interp_read_metrics(r->cfg->host, r->cfg->port, r->cfg->room, out);
	r->metrics_ok = ok && (first || r->metrics_ok);
	if (!ok)
		load_warn(r, "the server's /metrics could not be read");
}

static void step_timed(struct load_run *r, uint64_t now)
{
	if (now < r->phase_deadline)
		return;
	if (r->phase == PH_WARMUP) {
		r->cpu_ok = r->cfg->server_pid > 0;
		read_metrics(r, &r->metrics0);
		read_cpu(r, &r->cpu0_s, &r->tool_cpu0_s);
		r->t_window0 = now;
		uint64_t end = now + (uint64_t)(r->cfg->duration_s * 1000);
		load_media_window(r->media, now * 1000, end * 1000);
		if (r->ogg)
			load_ogg_window(r->ogg, now * 1000, end * 1000);
		enter(r, PH_MEASURE, end);
		return;
	}
	read_cpu(r, &r->cpu1_s, &r->tool_cpu1_s);
	read_metrics(r, &r->metrics1);
	if (r->cfg->server_pid > 0)
		(void)proc_rss_kb(r->cfg->server_pid, &r->rss_after_kb);
	r->t_window1 = now;
	enter(r, PH_DONE, 0);
}

static void on_tick(void *arg)
{
	struct load_run *r = arg;
	uint64_t now = load_now_ms();
	if (r->drv_state && r->drv->tick)
		r->drv->tick(r);
	switch (r->phase) {
	case PH_SETUP:
		step_setup(r, now);
		break;
	case PH_JOINING:
		step_joining(r, now);
		break;
	case PH_SETTLING:
		step_settling(r, now);
		break;
	case PH_WARMUP:
	case PH_MEASURE:
		step_timed(r, now);
		break;
	case PH_DONE:
		break;
	}
}

int load_run_audio(struct load_run *r)
{
	const struct load_cfg *cfg = r->cfg;
	char why[256] = "";
	struct load_media_config mc = {.threads = cfg->threads,
				       .tone = &r->tone,
				       .speech = r->speech.frames ? &r->speech : NULL};
	r->media = load_media_create(&mc, why, sizeof why);
	if (r->media && cfg->scenario == SCN_OGG &&
	    !(r->ogg = load_ogg_create(cfg->host, cfg->port, cfg->room, cfg->listeners, why,
				       sizeof why))) {
		load_media_destroy(r->media);
		r->media = NULL;
	}
	r->ws =
	    r->media ? ws_create(cfg->listeners + cfg->speakers + 16, TICK_MS, on_tick, r) : NULL;
	if (r->ws == NULL) {
		snprintf(r->why, sizeof r->why, "%s",
			 why[0] ? why : "libwebsockets context failed");
		load_media_destroy(r->media);
		r->media = NULL;
		load_report_audio(r);
		return 1;
	}
	r->t_setup = load_now_ms();
	enter(r, PH_SETUP, r->t_setup + SETUP_TIMEOUT_MS);
	if (!r->drv->setup(r))
		enter(r, PH_DONE, 0);
	while (r->phase != PH_DONE)
		ws_service(r->ws, TICK_MS);
	load_media_stop(r->media);
	load_ogg_stop(r->ogg);
	load_report_audio(r);
	ws_destroy(r->ws); /* the drivers' on_close run here, before their state goes */
	r->ws = NULL;
	r->drv->teardown(r);
	load_media_destroy(r->media);
	load_ogg_destroy(r->ogg);
	r->ogg = NULL;
	return r->why[0] ? 1 : 0;
}
