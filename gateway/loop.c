/*
 * The gateway thread's loop: libev on epoll, shared with lws.
 *
 * Two timers, never a thread of their own: the flush, scheduled to run right after the
 * current loop turn whenever an event was appended (group commit: one fdatasync per room
 * per turn, then the fan-out), and the rooms' clock (floor limits, grace periods,
 * throttled live messages), set to the earliest deadline any room has.
 *
 * Two file descriptors: a signalfd, so SIGTERM and SIGINT are handled like any other
 * event (stop taking work, flush what was acknowledged, close) and SIGHUP too (the
 * reload handler: the TLS certificate), and the media workers' eventfd. Both are plain
 * libev watchers: lws has no business with them.
 *
 * The loop knows the rooms (their clock and flush) and nothing above it in the gateway:
 * the resume keys' expiry on the clock and the media side's wake-up are handlers that
 * server.c registers (struct gw_loop_handlers), so the calls only go down.
 *
 * Why libev under lws (LWS_SERVER_OPTION_LIBEV with our own loop): lws's default poll()
 * walks every socket on every turn, which with 10,000 observers is most of what the
 * server does. libev comes with Debian's libwebsockets-dev.
 */
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/server.h"

int64_t gw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void observe_fsync(void *ctx, uint64_t ns)
{
	gw_metrics_observe_fsync(&((struct gateway *)ctx)->metrics, ns);
}

void gw_flush(struct gateway *gw)
{
	rooms_flush(gw->rooms, observe_fsync, gw);
}

/* The earliest deadline wins: a later one never pushes the timer back. */
static void schedule_tick(struct gateway *gw, int64_t at_ms)
{
	struct gw_loop *l = &gw->loop;
	if (!l->ev || gw->stopping || at_ms == INT64_MAX)
		return;
	if (l->tick_at && l->tick_at <= at_ms)
		return;
	l->tick_at = at_ms;
	int64_t delay_ms = at_ms - gw_now_ms();
	if (delay_ms < 0)
		delay_ms = 0;
	ev_timer_stop(l->ev, &l->tick_timer);
	ev_timer_set(&l->tick_timer, (double)delay_ms / 1000. + 1e-6, 0.);
	ev_timer_start(l->ev, &l->tick_timer);
}

static void run_clock(struct gateway *gw)
{
	int64_t now = gw_now_ms();
	int64_t next = rooms_tick(gw->rooms, now);
	if (rooms_dirty(gw->rooms))
		gw_flush(gw);
	if (gw->loop.on.clock)
		gw->loop.on.clock(gw, now);
	/* Sessions expire lazily; look at least every 10 s. */
	if (next > now + 10000)
		next = now + 10000;
	schedule_tick(gw, next);
}

static void on_flush(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = t->data;
	gw->loop.flush_scheduled = false;
	gw_flush(gw);
	run_clock(gw);
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = t->data;
	gw->loop.tick_at = 0;
	run_clock(gw);
}

void gw_schedule_flush(struct gateway *gw)
{
	struct gw_loop *l = &gw->loop;
	if (l->flush_scheduled || !l->ev || gw->stopping)
		return;
	l->flush_scheduled = true;
	/* Due now: libev runs it in the next loop turn, after every message of this one. */
	ev_timer_set(&l->flush_timer, 0., 0.);
	ev_timer_start(l->ev, &l->flush_timer);
}

static void on_before_wait(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = w->data;
	gw->loop.on.before_wait(gw);
}

static void on_signal(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = w->data;
	struct signalfd_siginfo si;
	if (read(gw->loop.signal_fd, &si, sizeof si) != (ssize_t)sizeof si)
		return;
	if (si.ssi_signo != SIGHUP) {
		gw_info("signal received, shutting down", "signal=%u", si.ssi_signo);
		gw->stopping = true;
	} else if (gw->loop.on.reload) {
		gw->loop.on.reload(gw);
	} else {
		gw_info("SIGHUP received: nothing to reload (no TLS certificate)", "signal=%u",
			si.ssi_signo);
	}
}

static void on_media(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = w->data;
	gw->loop.on.media(gw);
}

static void on_nats(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = w->data;
	gw->loop.on.nats(gw);
}

static void on_lease(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct gateway *gw = w->data;
	gw->loop.on.lease(gw);
}

bool gw_loop_signals(struct gateway *gw)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return false;
	signal(SIGPIPE, SIG_IGN);
	gw->loop.signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return gw->loop.signal_fd >= 0;
}

bool gw_loop_start(struct gateway *gw, const struct gw_loop_handlers *on)
{
	struct gw_loop *l = &gw->loop;
	l->on = *on;
	l->ev = ev_loop_new(EVBACKEND_EPOLL);
	if (!l->ev)
		return false;
	ev_init(&l->flush_timer, on_flush);
	ev_init(&l->tick_timer, on_tick);
	ev_io_init(&l->signal_io, on_signal, l->signal_fd, EV_READ);
	ev_init(&l->media_io, on_media);
	ev_init(&l->nats_io, on_nats);
	l->flush_timer.data = l->tick_timer.data = l->signal_io.data = l->media_io.data = gw;
	ev_init(&l->lease_io, on_lease);
	l->nats_io.data = l->lease_io.data = gw;
	ev_io_start(l->ev, &l->signal_io);
	if (on->before_wait) {
		ev_prepare_init(&l->before_wait, on_before_wait);
		l->before_wait.data = gw;
		ev_prepare_start(l->ev, &l->before_wait);
	}
	return true;
}

void gw_loop_watch_media(struct gateway *gw, int fd)
{
	struct gw_loop *l = &gw->loop;
	if (!l->on.media)
		return;
	ev_io_set(&l->media_io, fd, EV_READ);
	ev_io_start(l->ev, &l->media_io);
}

void gw_loop_watch_nats(struct gateway *gw, int fd)
{
	struct gw_loop *l = &gw->loop;
	if (!l->on.nats)
		return;
	ev_io_set(&l->nats_io, fd, EV_READ);
	ev_io_start(l->ev, &l->nats_io);
}

void gw_loop_watch_lease(struct gateway *gw, int fd)
{
	struct gw_loop *l = &gw->loop;
	if (!l->on.lease)
		return;
	ev_io_set(&l->lease_io, fd, EV_READ);
	ev_io_start(l->ev, &l->lease_io);
}

void gw_loop_run(struct gateway *gw)
{
	run_clock(gw);
	while (!gw->stopping)
		ev_run(gw->loop.ev, EVRUN_ONCE);
}

void gw_loop_stop(struct gateway *gw)
{
	struct gw_loop *l = &gw->loop;
	if (l->ev) {
		ev_timer_stop(l->ev, &l->flush_timer);
		ev_timer_stop(l->ev, &l->tick_timer);
		ev_io_stop(l->ev, &l->signal_io);
		ev_io_stop(l->ev, &l->media_io);
		ev_io_stop(l->ev, &l->nats_io);
		ev_io_stop(l->ev, &l->lease_io);
		ev_prepare_stop(l->ev, &l->before_wait);
		ev_loop_destroy(l->ev);
	}
	l->ev = NULL;
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	l->signal_fd = -1;
}
