/*
 * loop -- the gateway thread's one event loop: libev on epoll, which lws runs on too
 * (LWS_SERVER_OPTION_LIBEV with our own loop). Everything timed or woken runs here: the
 * flush after each loop turn, the rooms' clock, the signalfd and the media workers'
 * eventfd. No other thread touches the rooms.
 *
 * The loop is the gateway's ground floor: what runs on the clock or on a wake-up beyond
 * the rooms' own clock and flush is a handler server.c registers (struct
 * gw_loop_handlers), so this file names nothing of the files above it.
 */
#ifndef PLENARY_GATEWAY_LOOP_H
#define PLENARY_GATEWAY_LOOP_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

struct gateway;

/* What the layers above run on the loop; server.c fills it in at gw_loop_start. Both
 * are called on the gateway thread, between loop turns' work, never re-entrantly. */
struct gw_loop_handlers {
	/* After each run of the rooms' clock, at least every 10 s: housekeeping that is due
	 * by time (the resume keys' expiry). May be NULL. */
	void (*clock)(struct gateway *gw, int64_t now_ms);
	/* The fd given to gw_loop_watch_media is readable (the media workers' events). May
	 * be NULL: the fd is then not watched. */
	void (*media)(struct gateway *gw);
	/* SIGHUP arrived (systemctl reload): re-read what can be re-read (the TLS
	 * certificate). May be NULL: SIGHUP is then logged and changes nothing. */
	void (*reload)(struct gateway *gw);
	/* The fd given to gw_loop_watch_nats is readable (JetStream answered batches). May
	 * be NULL: the fd is then not watched. */
	void (*nats)(struct gateway *gw);
	/* The fd given to gw_loop_watch_lease is readable (nats_lease.h's news). May be
	 * NULL: the fd is then not watched. */
	void (*lease)(struct gateway *gw);
	/* Every loop turn, after its callbacks and before it waits for the next events (a
	 * libev prepare watcher): what they queued for the sockets goes out in one pass. May
	 * be NULL. */
	void (*before_wait)(struct gateway *gw);
};

struct gw_loop {
	struct ev_loop *ev; /* NULL until gw_loop_start: scheduling is then a no-op */
	/* libev's own timers: with lws on libev, lws_sul timers we scheduled fired late (a
	 * throttled presence update missed its deadline in integration.rooms). */
	ev_timer flush_timer;
	ev_timer tick_timer;
	bool flush_scheduled;
	int64_t tick_at;
	ev_io signal_io;
	ev_io media_io;
	ev_io nats_io;
	ev_io lease_io;
	ev_prepare before_wait;
	int signal_fd; /* ours, closed by gw_loop_stop; the media fd is the media side's */
	struct gw_loop_handlers on;
};

/* Wall-clock milliseconds: the log's timestamps and the rooms' deadlines. */
int64_t gw_now_ms(void);

/* Blocks SIGTERM, SIGINT and SIGHUP and opens the signalfd that will receive them. Call
 * before any thread starts, so every thread inherits the mask. False on failure. */
bool gw_loop_signals(struct gateway *gw);
/* Creates the libev loop (for lws to share), keeps a copy of the handlers and starts
 * watching the signalfd. False if libev cannot make an epoll loop. */
bool gw_loop_start(struct gateway *gw, const struct gw_loop_handlers *on);
/* Runs the media handler whenever fd (the media workers' eventfd) is readable. The fd
 * stays the media side's: gw_loop_stop stops watching it before media_destroy closes it. */
void gw_loop_watch_media(struct gateway *gw, int fd);
/* Runs the nats handler whenever fd (nats_log.h's eventfd, which stays its own) is
 * readable. */
void gw_loop_watch_nats(struct gateway *gw, int fd);
/* Runs the lease handler whenever fd (nats_lease.h's eventfd) is readable. */
void gw_loop_watch_lease(struct gateway *gw, int fd);
/* Runs the clock once, then the loop until a signal sets gw->stopping. */
void gw_loop_run(struct gateway *gw);
/* Stops every watcher, closes the signalfd, destroys the loop. Safe if never started. */
void gw_loop_stop(struct gateway *gw);

/* Asks for a flush at the end of this loop turn (group commit: one fdatasync per room
 * per turn). A no-op when the loop is not running or the server is stopping. */
void gw_schedule_flush(struct gateway *gw);
/* The durability point: flushes every room's log now and releases what waited. */
void gw_flush(struct gateway *gw);

#endif
