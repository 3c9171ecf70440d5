/*
 * plenary-load -- the command line (load.h has the map of the tool). Options are a table:
 * name, what it sets, and its help line, so the usage text cannot drift from the parser.
 *
 *   plenary-load --system plenary --url ws://127.0.0.1:8080/ws --room r1 --secret S \
 *                --server-pid PID --listeners 200 --duration 20
 *   plenary-load --system janus-audiobridge --url ws://127.0.0.1:8188/ --janus-room 1234 \
 *                --bind-ip 192.0.2.2 --server-pid PID --listeners 50
 *   plenary-load --scenario fanout --url ... --room r2 --secret S --observers 10000
 *   plenary-load --scenario ogg --url ... --room r1 --secret S --listeners 1000
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "load.h"
#include "load_jwt.h"

enum opt_kind { O_UINT, O_DOUBLE, O_STRING, O_FLAG, O_INT, O_LONG, O_ENUM };

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	const char *const *choices; /* O_ENUM: names in enum order, NULL-terminated */
	const char *help;
};

static const char *const systems[] = {"plenary", "janus-audiobridge", "janus-streaming", NULL};
static const char *const scenarios[] = {"listeners", "storm", "fanout", "queue-ops", "ogg", NULL};

#define F(field) offsetof(struct load_cfg, field)
static const struct opt opts[] = {
    {"system", O_ENUM, F(system), systems, "plenary | janus-audiobridge | janus-streaming"},
    {"scenario", O_ENUM, F(scenario), scenarios, "listeners | storm | fanout | queue-ops | ogg"},
    {"url", O_STRING, 0, NULL, "ws://HOST:PORT/PATH of the server's WebSocket"},
    {"listen-url", O_STRING, 0, NULL,
     "Plenary: the listeners' WebSockets (edges), comma-separated, in turn"},
    {"room", O_STRING, F(room), NULL, "Plenary room id (it must exist)"},
    {"secret", O_STRING, F(secret), NULL, "token secret (default: $PLENARY_TOKEN_SECRET)"},
    {"janus-room", O_LONG, F(janus_room), NULL, "AudioBridge room id (default 1234)"},
    {"janus-mountpoint", O_LONG, F(janus_mountpoint), NULL, "Streaming mountpoint id (1)"},
    {"janus-prebuffer", O_INT, F(janus_prebuffer), NULL,
     "AudioBridge join's prebuffer, packets 0..50 (the room's)"},
    {"listeners", O_UINT, F(listeners), NULL, "listeners (default 50)"},
    {"speakers", O_UINT, F(speakers), NULL, "speakers (default 1)"},
    {"sample", O_UINT, F(sampled), NULL, "listeners that decode to time onsets (10)"},
    {"threads", O_UINT, F(threads), NULL, "media threads of this tool (default 1)"},
    {"join-rate", O_DOUBLE, F(join_rate), NULL, "listeners started per second (100; storm: N/5)"},
    {"join-timeout", O_DOUBLE, F(join_timeout_s), NULL, "s after the last join to connect (30)"},
    {"hear-timeout", O_DOUBLE, F(hear_timeout_s), NULL, "s after all connect to hear audio (10)"},
    {"warmup", O_DOUBLE, F(warmup_s), NULL, "s between settling and measuring (3)"},
    {"duration", O_DOUBLE, F(duration_s), NULL, "s of measurement window (20)"},
    {"speaker", O_STRING, 0, NULL, "Plenary speaker: floor (a participant, default) | chair"},
    {"listener-role", O_STRING, 0, NULL, "Plenary listeners: participant (default) | observer"},
    {"bind-ip", O_STRING, F(bind_ip), NULL, "local address of the WebRTC clients (127.0.0.1)"},
    {"server-pid", O_INT, F(server_pid), NULL, "the server's pid, for CPU and RSS"},
    {"bitrate", O_INT, F(tone.bitrate), NULL, "Opus bit/s of the tone and Janus's encoders"},
    {"complexity", O_INT, F(tone.complexity), NULL, "Opus complexity, both sides (7)"},
    {"expected-loss", O_INT, F(expected_loss), NULL, "Janus encoders' FEC loss % (10)"},
    {"speech", O_STRING, F(speech_path), NULL,
     "48 kHz mono s16le PCM the speakers but the first say, looped"},
    {"channels", O_STRING, 0, NULL,
     "Plenary listeners: interpretation booths, e.g. fr,es,zh (an interpreter each)"},
    {"echo-check", O_FLAG, F(echo_check), NULL, "decode the speaker's own echo (--media-echo)"},
    {"observers", O_UINT, F(observers), NULL, "fanout: observer connections (10000)"},
    {"captions", O_UINT, F(captions), NULL, "fanout: captions sent (10)"},
    {"caption-interval", O_DOUBLE, F(caption_interval_s), NULL, "fanout: s between captions (1)"},
    {"inflight", O_UINT, F(inflight), NULL, "fanout/queue-ops: joins in flight at once (256)"},
    {"clients", O_UINT, F(clients), NULL, "queue-ops: participants raising and lowering (20)"},
};
#undef F
#define N_OPTS (sizeof opts / sizeof opts[0])

static void usage(FILE *out)
{
	fprintf(out, "usage: plenary-load [options]; the report is JSON on stdout\n");
	for (size_t i = 0; i < N_OPTS; i++)
		fprintf(out, "  --%-18s %s\n", opts[i].name, opts[i].help);
}

static void defaults(struct load_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->host = "127.0.0.1";
	c->port = 8080;
	c->path = "/ws";
	c->secret = getenv("PLENARY_TOKEN_SECRET");
	c->janus_room = 1234;
	c->janus_mountpoint = 1;
	c->janus_prebuffer = -1;
	c->listeners = 50;
	c->speakers = 1;
	c->sampled = 10;
	c->threads = 1;
	c->join_rate = 0; /* set after parsing: it depends on the scenario */
	c->join_timeout_s = 30;
	c->hear_timeout_s = 10;
	c->warmup_s = 3;
	c->duration_s = 20;
	c->expected_loss = 10;
	tone_config_defaults(&c->tone);
	c->observers = 10000;
	c->captions = 10;
	c->caption_interval_s = 1;
	c->inflight = 256;
	c->clients = 20;
}

/* ws://HOST:PORT/PATH with a numeric host, into the buffers host (64) and path (256). */
static bool parse_url(const char *url, char *host, int *port, char *path)
{
	path[0] = '\0';
	if (sscanf(url, "ws://%63[^:/]:%d%255s", host, port, path) < 2 || *port <= 0 ||
	    *port > 65535)
		return false;
	if (path[0] != '/')
		snprintf(path, 256, "/");
	return true;
}

/* --listen-url a,b,...: at most LOAD_LISTEN_URLS_MAX. */
static bool parse_listen_urls(struct load_cfg *c, const char *v)
{
	char copy[1024];
	if (strlen(v) >= sizeof copy)
		return false;
	snprintf(copy, sizeof copy, "%s", v);
	c->n_listen = 0;
	char *save = NULL;
	for (char *u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
		size_t i = c->n_listen;
		if (i == LOAD_LISTEN_URLS_MAX ||
		    !parse_url(u, c->listen_host[i], &c->listen_port[i], c->listen_path[i]))
			return false;
		c->n_listen++;
	}
	return c->n_listen > 0;
}

static bool set_special(struct load_cfg *c, const char *name, const char *v)
{
	if (strcmp(name, "url") == 0 && parse_url(v, c->url_host, &c->port, c->url_path)) {
		c->host = c->url_host;
		c->path = c->url_path;
		return true;
	}
	if (strcmp(name, "listen-url") == 0)
		return parse_listen_urls(c, v);
	if (strcmp(name, "url") == 0)
		return false;
	if (strcmp(name, "speaker") == 0) {
		c->speaker_is_chair = strcmp(v, "chair") == 0;
		return c->speaker_is_chair || strcmp(v, "floor") == 0;
	}
	if (strcmp(name, "channels") == 0)
		return interp_parse_langs(v, &c->langs);
	if (strcmp(name, "listener-role") == 0) {
		c->listeners_observe = strcmp(v, "observer") == 0;
		return c->listeners_observe || strcmp(v, "participant") == 0;
	}
	return false;
}

static bool set_opt(struct load_cfg *c, const struct opt *o, const char *v)
{
	char *end = NULL;
	void *p = (char *)c + o->offset;
	switch (o->kind) {
	case O_UINT:
		*(unsigned *)p = (unsigned)strtoul(v, &end, 10);
		break;
	case O_INT:
		*(int *)p = (int)strtol(v, &end, 10);
		break;
	case O_LONG:
		*(long *)p = strtol(v, &end, 10);
		break;
	case O_DOUBLE:
		*(double *)p = strtod(v, &end);
		break;
	case O_FLAG:
		*(bool *)p = true;
		return true;
	case O_STRING:
		if (o->offset == 0)
			return set_special(c, o->name, v);
		*(const char **)p = v;
		return true;
	case O_ENUM:
		for (int i = 0; o->choices[i]; i++)
			if (strcmp(o->choices[i], v) == 0) {
				*(int *)p = i;
				return true;
			}
		return false;
	}
	return end && end != v && *end == '\0';
}

static bool parse_args(struct load_cfg *c, int argc, char **argv)
{
	struct option lo[N_OPTS + 2];
	for (size_t i = 0; i < N_OPTS; i++)
		lo[i] = (struct option){opts[i].name,
					opts[i].kind == O_FLAG ? no_argument : required_argument,
					NULL, (int)i};
	lo[N_OPTS] = (struct option){"help", no_argument, NULL, 'h' + 1000};
	lo[N_OPTS + 1] = (struct option){NULL, 0, NULL, 0};
	int k;
	while ((k = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (k == 'h' + 1000) {
			usage(stdout);
			exit(0);
		}
		if (k < 0 || (size_t)k >= N_OPTS || !set_opt(c, &opts[k], optarg ? optarg : "")) {
			fprintf(stderr, "plenary-load: bad value for --%s\n",
				k >= 0 && (size_t)k < N_OPTS ? opts[k].name : "?");
			return false;
		}
	}
	return optind == argc;
}

static bool numbers_ok(const struct load_cfg *c)
{
	return c->speakers >= 1 && c->threads >= 1 && c->threads <= LOAD_MEDIA_MAX_THREADS &&
	       c->duration_s > 0 && c->tone.bitrate >= 6000 && c->tone.complexity >= 0 &&
	       c->tone.complexity <= 10 && c->janus_prebuffer >= -1 && c->janus_prebuffer <= 50;
}

/* Cross-checks, and the defaults that depend on other options. */
static bool check(struct load_cfg *c)
{
	if (c->join_rate <= 0)
		c->join_rate =
		    c->scenario == SCN_STORM ? (c->listeners ? c->listeners / 5.0 : 1) : 100;
	if (c->sampled > c->listeners)
		c->sampled = c->listeners;
	/* The bursts must stand out of a mix that is never quiet (load_speech.h). */
	c->tone.highpass = c->speech_path != NULL;
	bool plenary = c->system == SYS_PLENARY;
	const char *why = NULL;
	if (plenary && (c->room == NULL || c->secret == NULL))
		why = "--room and --secret (or PLENARY_TOKEN_SECRET) are needed";
	else if (!plenary && (c->scenario == SCN_FANOUT || c->scenario == SCN_QUEUE_OPS ||
			      c->scenario == SCN_OGG))
		why = "fanout, queue-ops and ogg are Plenary-only";
	else if (c->langs.n && !(plenary && c->scenario == SCN_LISTENERS))
		why = "--channels is for Plenary's listeners scenario";
	else if (!numbers_ok(c))
		why = "bad speakers, threads, duration, bitrate or complexity";
	if (why)
		fprintf(stderr, "plenary-load: %s\n", why);
	return why == NULL;
}

/* Thousands of sockets: take every file descriptor the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

bool load_token(const struct load_cfg *cfg, const char *role, const char *name, const char *sub,
		char *out, size_t cap)
{
	struct jwt_claims cl = {.room = cfg->room,
				.role = role,
				.name = name,
				.sub = sub,
				.exp = (long long)time(NULL) + 6 * 3600};
	return jwt_sign_hs256(cfg->secret, &cl, out, cap);
}

static int run_audio(const struct load_cfg *cfg)
{
	struct load_run *r = calloc(1, sizeof *r);
	char why[256] = "";
	if (r == NULL)
		return 1;
	r->cfg = cfg;
	r->drv = cfg->system == SYS_PLENARY ? &load_driver_plenary : &load_driver_janus;
	r->listeners = calloc(cfg->listeners ? cfg->listeners : 1, sizeof *r->listeners);
	if (r->listeners == NULL || !tone_make(&cfg->tone, &r->tone, why, sizeof why) ||
	    (cfg->speech_path &&
	     !speech_load(cfg->speech_path, &cfg->tone, &r->speech, why, sizeof why)) ||
	    dtls_context_create(&r->dtls) != DTLS_OK) {
		fprintf(stderr, "plenary-load: %s\n", why[0] ? why : "setup failed");
		speech_free(&r->speech);
		free(r->listeners);
		free(r);
		return 1;
	}
	bool voices = true;
	for (unsigned ch = 0; ch < cfg->langs.n && voices; ch++)
		voices = interp_voice_make(ch, &cfg->tone, &r->voices[ch], why, sizeof why);
	if (!voices)
		fprintf(stderr, "plenary-load: %s\n", why);
	int rc = voices ? load_run_audio(r) : 1;
	dtls_context_destroy(r->dtls);
	speech_free(&r->speech);
	free(r->listeners);
	free(r);
	return rc;
}

int main(int argc, char **argv)
{
	struct load_cfg cfg;
	defaults(&cfg);
	if (!parse_args(&cfg, argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (!check(&cfg))
		return 2;
	raise_fd_limit();
	switch (cfg.scenario) {
	case SCN_FANOUT:
		return load_run_fanout(&cfg);
	case SCN_QUEUE_OPS:
		return load_run_queue_ops(&cfg);
	default:
		return run_audio(&cfg);
	}
}
