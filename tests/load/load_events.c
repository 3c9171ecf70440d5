/*
 * load_events -- the two Plenary-only scenarios of issue 9, which need WebSockets but no
 * media, so they bypass load_run's phases:
 *
 * fanout     N anonymous observers join one room (at most `inflight` handshakes at a
 *            time); then the chair sends `captions` final captions, one per
 *            caption_interval_s, and every observer notes when each arrives. A caption's
 *            delivery latency is its arrival at an observer minus the moment the chair's
 *            message was queued, both on this process's monotonic clock; it includes the
 *            log append and fsync that come before any broadcast (DESIGN.md principle 1).
 * queue-ops  `clients` participants each raise and lower a hand in a loop, one command in
 *            flight each, for duration_s: every operation is an event appended and fsynced
 *            before its ack, so acks per second is the log's throughput under contention.
 *
 * Both print one JSON object on stdout, like the audio scenarios, with tool.cpu_cores: this
 * process's own CPU over the window, by which the benchmark judges whether the tool kept up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "load.h"
#include "load_proc.h"

#define SUBPROTOCOL	"plenary.v1"
#define TICK_MS		10
#define JOIN_TIMEOUT_MS 180000
#define MAX_CAPTIONS	1000
#define CAPTION_MARK	"load caption "
#define LATENCY_SAMPLES (20u << 20)

struct econn;

struct events {
	const struct load_cfg *cfg;
	struct load_ws *ws;
	struct econn *chair, *conns;
	unsigned n, connecting, started, joined, failed;
	bool live, done;
	int phase; /* 0 connecting, 1 measuring, 2 done */
	uint64_t t0_ms, t_joined_ms, t_end_ms, next_caption_ms;
	unsigned sent;
	uint64_t caption_us[MAX_CAPTIONS];
	struct sample_set lat;
	uint64_t ops, errors, deliveries;
	uint64_t window0_ms, window1_ms;
	double cpu0, cpu1;
	double tool0, tool1; /* this process's own CPU seconds: did the tool keep up? */
	uint64_t rss0_kb, rss1_kb;
	char why[256];
};

struct econn {
	struct events *ev;
	struct ws_conn *ws;
	bool is_chair, joined, gone, raised, settled; /* settled: counted joined or failed */
	unsigned index;
	int next_id, join_id, start_id, op_id;
	uint64_t op_sent_us;
	unsigned got; /* captions received */
};

static int send_cmd(struct econn *c, json_t *obj)
{
	int id = ++c->next_id;
	json_object_set_new(obj, "id", json_integer(id));
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	bool ok = text && c->ws && ws_send(c->ws, text, strlen(text));
	free(text);
	return ok ? id : 0;
}

static void send_join(struct econn *c)
{
	const struct load_cfg *cfg = c->ev->cfg;
	json_t *msg = json_pack("{s:s,s:s}", "type", "join", "room", cfg->room);
	bool observer = cfg->scenario == SCN_FANOUT && !c->is_chair;
	if (observer) {
		json_object_set_new(msg, "role", json_string("observer"));
	} else {
		char token[2048], name[48], sub[48];
		snprintf(name, sizeof name, "%s %u", c->is_chair ? "Chair" : "Delegate", c->index);
		snprintf(sub, sizeof sub, "load-%s-%u", c->is_chair ? "chair" : "delegate",
			 c->index);
		if (!load_token(cfg, c->is_chair ? "chair" : "participant", name, sub, token,
				sizeof token)) {
			json_decref(msg);
			return;
		}
		json_object_set_new(msg, "token", json_string(token));
	}
	c->join_id = send_cmd(c, msg);
}

/* queue-ops: the next operation, raise after lower after raise. */
static void next_op(struct econn *c)
{
	if (c->ev->phase != 1 || c->is_chair)
		return;
	c->op_sent_us = load_mono_us();
	c->op_id =
	    send_cmd(c, json_pack("{s:s}", "type", c->raised ? "queue.lower" : "queue.raise"));
}

static void on_reply(struct econn *c, json_t *msg, int id, bool ok)
{
	struct events *ev = c->ev;
	if (id == c->join_id) {
		if (!c->is_chair && !c->settled) {
			c->settled = true;
			ev->connecting -= ev->connecting > 0;
			ev->failed += !ok;
		}
		if (!ok)
			return;
		c->joined = true;
		if (c->is_chair)
			c->start_id = send_cmd(c, json_pack("{s:s}", "type", "session.start"));
		else
			ev->joined++;
		return;
	}
	if (c->is_chair && id == c->start_id) {
		const char *code = json_string_value(json_object_get(msg, "code"));
		ev->live = ok || (code && strcmp(code, "conflict") == 0);
		return;
	}
	if (id != c->op_id || ev->phase != 1)
		return;
	uint64_t now = load_mono_us();
	if (ok) {
		c->raised = !c->raised;
		ev->ops++;
		(void)sample_set_add(&ev->lat, (double)(now - c->op_sent_us) / 1000.0);
	} else {
		ev->errors++;
		c->raised = !c->raised; /* out of step (e.g. already queued): try the other */
	}
	next_op(c);
}

/* fanout: "... load caption K ..." in an event of kind caption. */
static void on_caption(struct econn *c, const char *text, size_t len)
{
	const char *mark = memmem(text, len, CAPTION_MARK, sizeof CAPTION_MARK - 1);
	if (mark == NULL || c->is_chair)
		return;
	unsigned k = (unsigned)strtoul(mark + sizeof CAPTION_MARK - 1, NULL, 10);
	struct events *ev = c->ev;
	if (k >= ev->sent)
		return;
	c->got++;
	ev->deliveries++;
	(void)sample_set_add(&ev->lat, (double)(load_mono_us() - ev->caption_us[k]) / 1000.0);
}

static void on_message(void *user, struct ws_conn *ws, const char *text, size_t len)
{
	(void)ws;
	struct econn *c = user;
	if (c->ev->cfg->scenario == SCN_FANOUT && memmem(text, len, CAPTION_MARK, 13)) {
		on_caption(c, text, len);
		return;
	}
	if (!load_is_reply(text, len))
		return;
	json_t *msg = json_loadb(text, len, 0, NULL);
	int id = (int)json_integer_value(json_object_get(msg, "id"));
	const char *type = json_string_value(json_object_get(msg, "type"));
	on_reply(c, msg, id, type && strcmp(type, "ack") == 0);
	json_decref(msg);
}

static void on_open(void *user, struct ws_conn *ws)
{
	(void)ws;
	send_join(user);
}

static void on_close(void *user, struct ws_conn *ws, const char *why)
{
	(void)ws;
	(void)why;
	struct econn *c = user;
	c->ws = NULL;
	c->gone = true;
	if (c->ev->phase == 2)
		return;
	if (!c->is_chair && !c->settled) {
		c->settled = true;
		c->ev->failed++;
		c->ev->connecting -= c->ev->connecting > 0;
	}
}

static const struct ws_handlers handlers = {on_open, on_message, on_close};

static void open_conn(struct events *ev, struct econn *c, unsigned index, bool chair)
{
	c->ev = ev;
	c->index = index;
	c->is_chair = chair;
	c->ws = ws_connect(ev->ws, ev->cfg->host, ev->cfg->port, ev->cfg->path, SUBPROTOCOL,
			   &handlers, c);
}

/* --- the phases --------------------------------------------------------------------------- */

static void start_window(struct events *ev, uint64_t now)
{
	ev->phase = 1;
	ev->t_joined_ms = now;
	ev->window0_ms = now;
	if (!proc_cpu_seconds(getpid(), &ev->tool0))
		ev->tool0 = -1;
	if (ev->cfg->server_pid > 0) {
		(void)proc_cpu_seconds(ev->cfg->server_pid, &ev->cpu0);
		(void)proc_rss_kb(ev->cfg->server_pid, &ev->rss1_kb);
	}
	fprintf(stderr, "plenary-load: %u of %u joined in %.1f s; measuring\n", ev->joined, ev->n,
		(double)(now - ev->t0_ms) / 1000);
	if (ev->cfg->scenario == SCN_QUEUE_OPS) {
		ev->t_end_ms = now + (uint64_t)(ev->cfg->duration_s * 1000);
		for (unsigned i = 0; i < ev->n; i++)
			if (ev->conns[i].joined)
				next_op(&ev->conns[i]);
	} else {
		ev->next_caption_ms = now + 1000; /* let presence updates settle */
		ev->t_end_ms = ev->next_caption_ms +
			       (uint64_t)(ev->cfg->captions * ev->cfg->caption_interval_s * 1000) +
			       10000;
	}
}

static void send_caption(struct events *ev, uint64_t now)
{
	char text[64];
	snprintf(text, sizeof text, CAPTION_MARK "%u", ev->sent);
	ev->caption_us[ev->sent] = load_mono_us();
	if (send_cmd(ev->chair, json_pack("{s:s,s:s,s:s,s:b}", "type", "caption", "lang", "en",
					  "text", text, "final", 1)))
		ev->sent++;
	ev->next_caption_ms = now + (uint64_t)(ev->cfg->caption_interval_s * 1000);
}

static void finish(struct events *ev, uint64_t now)
{
	ev->phase = 2;
	ev->window1_ms = now;
	if (!proc_cpu_seconds(getpid(), &ev->tool1))
		ev->tool1 = -1;
	if (ev->cfg->server_pid > 0)
		(void)proc_cpu_seconds(ev->cfg->server_pid, &ev->cpu1);
}

static void step_connecting(struct events *ev, uint64_t now)
{
	while (ev->started < ev->n && ev->connecting < ev->cfg->inflight) {
		open_conn(ev, &ev->conns[ev->started], ev->started, false);
		ev->started++;
		ev->connecting++;
	}
	bool all = ev->started == ev->n && ev->joined + ev->failed >= ev->n;
	if (ev->chair->gone) {
		snprintf(ev->why, sizeof ev->why, "the chair's connection closed");
		finish(ev, now);
	} else if (ev->live && (all || now > ev->t0_ms + JOIN_TIMEOUT_MS)) {
		start_window(ev, now);
	}
}

static void on_tick(void *arg)
{
	struct events *ev = arg;
	uint64_t now = load_now_ms();
	if (ev->phase == 0) {
		step_connecting(ev, now);
		return;
	}
	if (ev->phase != 1)
		return;
	bool all_heard =
	    ev->sent == ev->cfg->captions && ev->deliveries >= (uint64_t)ev->sent * ev->joined;
	if (now >= ev->t_end_ms || (ev->cfg->scenario == SCN_FANOUT && all_heard)) {
		finish(ev, now);
		return;
	}
	if (ev->cfg->scenario == SCN_FANOUT && ev->sent < ev->cfg->captions &&
	    now >= ev->next_caption_ms)
		send_caption(ev, now);
}

/* --- the report ---------------------------------------------------------------------------- */

static json_t *num_or_null(bool ok, double v)
{
	return ok ? json_real(v) : json_null();
}

static void report(struct events *ev)
{
	const struct load_cfg *cfg = ev->cfg;
	bool fan = cfg->scenario == SCN_FANOUT;
	size_t n = ev->lat.n;
	double p50 = stats_percentile(ev->lat.v, n, 50), p99 = stats_percentile(ev->lat.v, n, 99);
	double mx = stats_percentile(ev->lat.v, n, 100);
	double window_s = (double)(ev->window1_ms - ev->window0_ms) / 1000.0;
	bool cpu = cfg->server_pid > 0 && ev->cpu1 >= ev->cpu0 && window_s > 0;
	json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:i,s:f}", "scenario", fan ? "fanout" : "queue-ops",
			      "system", "plenary", fan ? "observers" : "clients", (int)ev->n,
			      "joined", (int)ev->joined, "failures", (int)(ev->n - ev->joined),
			      "join_s", (double)(ev->t_joined_ms - ev->t0_ms) / 1000.0);
	json_object_set_new(o, "latency_ms",
			    json_pack("{s:i,s:o,s:o,s:o}", "samples", (int)n, "p50",
				      num_or_null(n > 0, p50), "p99", num_or_null(n > 0, p99),
				      "max", num_or_null(n > 0, mx)));
	if (fan) {
		json_object_set_new(o, "captions", json_integer(ev->sent));
		json_object_set_new(o, "deliveries", json_integer((json_int_t)ev->deliveries));
		json_object_set_new(o, "expected_deliveries",
				    json_integer((json_int_t)ev->sent * ev->joined));
	} else {
		json_object_set_new(o, "ops", json_integer((json_int_t)ev->ops));
		json_object_set_new(o, "errors", json_integer((json_int_t)ev->errors));
		json_object_set_new(o, "ops_per_s",
				    num_or_null(window_s > 0, (double)ev->ops / window_s));
	}
	json_object_set_new(o, "window_s", json_real(window_s));
	bool tool = ev->tool0 >= 0 && ev->tool1 >= ev->tool0 && window_s > 0;
	json_object_set_new(
	    o, "tool",
	    json_pack("{s:o}", "cpu_cores", num_or_null(tool, (ev->tool1 - ev->tool0) / window_s)));
	json_object_set_new(
	    o, "server",
	    json_pack("{s:o,s:o,s:o}", "cpu_s", num_or_null(cpu, ev->cpu1 - ev->cpu0), "rss_kb",
		      num_or_null(ev->rss1_kb > 0, (double)ev->rss1_kb), "rss_kb_per_connection",
		      num_or_null(ev->rss1_kb > ev->rss0_kb && ev->joined > 0,
				  (double)(ev->rss1_kb - ev->rss0_kb) / ev->joined)));
	if (ev->why[0])
		json_object_set_new(o, "error", json_string(ev->why));
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	printf("%s\n", text ? text : "{}");
	free(text);
	json_decref(o);
}

static int run_events(const struct load_cfg *cfg, unsigned n)
{
	struct events *ev = calloc(1, sizeof *ev);
	if (ev == NULL)
		return 1;
	ev->cfg = cfg;
	ev->n = n;
	ev->conns = calloc(n + 1, sizeof *ev->conns);
	ev->chair = &ev->conns[n];
	sample_set_init(&ev->lat, LATENCY_SAMPLES);
	ev->ws = ev->conns ? ws_create(n + 16, TICK_MS, on_tick, ev) : NULL;
	if (ev->ws == NULL) {
		fprintf(stderr, "plenary-load: no WebSocket context\n");
		free(ev->conns);
		free(ev);
		return 1;
	}
	if (cfg->server_pid > 0)
		(void)proc_rss_kb(cfg->server_pid, &ev->rss0_kb);
	ev->t0_ms = load_now_ms();
	open_conn(ev, ev->chair, 0, true);
	while (ev->phase != 2)
		ws_service(ev->ws, TICK_MS);
	report(ev);
	ws_destroy(ev->ws);
	sample_set_fini(&ev->lat);
	int rc = ev->why[0] ? 1 : 0;
	free(ev->conns);
	free(ev);
	return rc;
}

int load_run_fanout(const struct load_cfg *cfg)
{
	if (cfg->captions > MAX_CAPTIONS) {
		fprintf(stderr, "plenary-load: at most %d captions\n", MAX_CAPTIONS);
		return 2;
	}
	return run_events(cfg, cfg->observers);
}

int load_run_queue_ops(const struct load_cfg *cfg)
{
	return run_events(cfg, cfg->clients);
}
