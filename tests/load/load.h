/*
 * plenary-load -- N virtual clients against Plenary or Janus, each a WebSocket session
 * plus (for the audio scenarios) a real WebRTC peer; the report is one JSON object on
 * stdout. tests/load/README.md says how to run it; this header is what its parts share.
 *
 *   load_main.c      the command line, then one scenario
 *   load_run.c       the audio scenarios' phases: speaker, joins, settle, warm-up, window
 *   load_report.c    the JSON report
 *   load_plenary.c   Plenary's protocol (PROTOCOL.md) for the audio scenarios
 *   load_janus.c     Janus's JSON API: AudioBridge participants or Streaming viewers
 *   load_interp.c    Plenary-only: interpretation channels (--channels), their tones
 *   load_events.c    Plenary-only: caption fan-out to observers, queue operations
 *   load_ogg.c       Plenary-only: listen.ogg listeners (HTTP), read by a thread of their own
 *   load_media*.c    the WebRTC peers' threads (load_media.h): the threads, their
 *                    receiving and sending (_io), onsets (_onset), the sums (_report)
 *   load_ws.c        the WebSocket connections (load_ws.h)
 *   load_speech.c    the other speakers' continuous speech, the listeners' high-pass
 *   load_tone.c, load_onset.c, load_stats.c, load_proc.c, load_jwt.c, load_ogg_parse.c
 *                    pure helpers
 *
 * Everything except load_media's threads runs on one thread: the libwebsockets loop,
 * whose tick (every 50 ms) drives the scenario's phases and the drivers' timers.
 */
#ifndef PLENARY_LOAD_H
#define PLENARY_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "load_interp.h"
#include "load_media.h"
#include "load_ogg.h"
#include "load_speech.h"
#include "load_stats.h"
#include "load_tone.h"
#include "load_ws.h"

enum load_system { SYS_PLENARY = 0, SYS_JANUS_AUDIOBRIDGE, SYS_JANUS_STREAMING };
enum load_scenario { SCN_LISTENERS = 0, SCN_STORM, SCN_FANOUT, SCN_QUEUE_OPS, SCN_OGG };

struct load_cfg {
	enum load_system system;
	enum load_scenario scenario;
	const char *host; /* signalling server, numeric */
	int port;
	const char *path;		  /* WebSocket path: "/ws" for Plenary, "/" for Janus */
	const char *bind_ip;		  /* our media address; NULL: 127.0.0.1 */
	char url_host[64], url_path[256]; /* where host and path point after --url */
	/* Plenary's listeners (--listen-url: edges), listener i on the (i mod n)th; none: the
	 * same server as the others. */
#define LOAD_LISTEN_URLS_MAX 4
	size_t n_listen;
	int listen_port[LOAD_LISTEN_URLS_MAX];
	char listen_host[LOAD_LISTEN_URLS_MAX][64], listen_path[LOAD_LISTEN_URLS_MAX][256];
	/* Plenary */
	const char *room, *secret;
	bool speaker_is_chair;	/* the chair speaks (mic open while live), else a participant
				 * is given the floor */
	bool listeners_observe; /* listeners join as anonymous observers, else participants */
	/* Janus */
	long janus_room, janus_mountpoint;
	int janus_prebuffer; /* AudioBridge join's "prebuffer", packets; -1: not sent */
	/* audio scenarios */
	unsigned listeners, speakers, sampled, threads;
	double join_rate;      /* listeners started per second */
	double join_timeout_s; /* after the last join started, to connect */
	double hear_timeout_s; /* after all connected, to hear audio */
	double warmup_s, duration_s;
	bool echo_check; /* the speaker is sampled too (plenaryd --media-echo) */
	struct tone_config tone;
	const char *speech_path; /* NULL, or what the other speakers say (load_speech.h) */
	int expected_loss;	 /* Janus participants' FEC, percent; the same as Plenary's mix */
	/* Plenary: interpretation booths (--channels), each with an interpreter on air; the
	 * listeners spread over the floor and them (load_interp.h) */
	struct interp_langs langs;
	/* server under test, for CPU and RSS */
	pid_t server_pid;
	/* fan-out and queue operations */
	unsigned observers, captions, clients, inflight;
	double caption_interval_s;
};

/* One listener as the scenario sees it; the driver fills peer and failure. */
struct load_listener {
	struct load_peer *peer; /* NULL until the driver has an answer */
	uint64_t started_ms;	/* monotonic: when its WebSocket connect began */
	char failed[96];	/* why it failed, or "" */
};

struct load_run;

/* What a system's driver does for the audio scenarios. Every function runs on the
 * signalling thread. */
struct load_driver {
	const char *name;
	/* Connects the control connections and the speakers. false: why is set. */
	bool (*setup)(struct load_run *r);
	/* 1 when the speakers are connected and their audio reaches the room; 0 not yet;
	 * -1 failed (why is set). */
	int (*speaker_ready)(struct load_run *r);
	/* Starts listener i (r->listeners[i]). */
	void (*add_listener)(struct load_run *r, unsigned i);
	/* Called every tick (keepalives). */
	void (*tick)(struct load_run *r);
	/* Frees the driver's state; the WebSocket context is destroyed after. */
	void (*teardown)(struct load_run *r);
};

extern const struct load_driver load_driver_plenary;
extern const struct load_driver load_driver_janus;

enum load_phase { PH_SETUP = 0, PH_JOINING, PH_SETTLING, PH_WARMUP, PH_MEASURE, PH_DONE };

struct load_run {
	const struct load_cfg *cfg;
	const struct load_driver *drv;
	void *drv_state;
	struct load_ws *ws;
	struct load_media *media;
	struct load_ogg *ogg; /* --scenario ogg: the listeners are listen.ogg clients */
	struct dtls_context *dtls;
	struct load_tone tone;
	struct load_speech speech; /* frames 0: no speech source */
	struct load_listener *listeners;
	unsigned started; /* listeners started so far */
	enum load_phase phase;
	char why[256]; /* a fatal error, or "" */
	/* phase times, monotonic ms */
	uint64_t t_setup, t_join0, t_joined, t_settled, t_window0, t_window1, phase_deadline;
	/* the server, around the window */
	double cpu0_s, cpu1_s;
	uint64_t rss_before_kb, rss_after_kb;
	bool cpu_ok;
	double tool_cpu0_s, tool_cpu1_s;
	/* --channels: the interpreters' tones, and the server's metrics around the window */
	struct interp_voice voices[INTERP_MAX_CHANNELS];
	struct interp_metrics metrics0, metrics1; /* --channels: before and after the window */
	bool metrics_ok;
	/* warnings for the report, NUL-separated lines */
	char warnings[2048];
	size_t warnings_len;
};

/* Listener i as the phases see it, whichever kind of client it is. */
void load_listener_view(const struct load_run *r, unsigned i, struct peer_view *out);
/* Marks listener i failed (the first reason stays). */
void load_listener_fail(struct load_run *r, unsigned i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets the run's fatal error (the first one stays). */
void load_fatal(struct load_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a warning line (printed to stderr too). */
void load_warn(struct load_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Monotonic milliseconds. */
uint64_t load_now_ms(void);

/* The audio scenarios (listeners, storm): runs to the end; 0 or an exit status. */
int load_run_audio(struct load_run *r);
/* Plenary-only scenarios; they print their own report. */
int load_run_fanout(const struct load_cfg *cfg);
int load_run_queue_ops(const struct load_cfg *cfg);

/* Prints the audio scenarios' JSON report on stdout. */
void load_report_audio(struct load_run *r);

/* Whether a message from Plenary is an ack or an error (the server writes "type" last in
 * an ack, first in an error): a cheap test, so listeners need not parse every event. */
bool load_is_reply(const char *text, size_t len);

/* Mints a token for the room (load_jwt.h) into out; false if it does not fit. */
bool load_token(const struct load_cfg *cfg, const char *role, const char *name, const char *sub,
		char *out, size_t cap);

#endif
