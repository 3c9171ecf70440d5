/*
 * worker -- the media thread's loop (see worker.h for who owns what).
 *
 * The loop is Redis's ae in miniature: epoll_wait on three descriptors, and for each
 * ready one a handler that runs to completion. The socket is drained with recvmmsg in
 * batches of 32, at most 8 batches per turn, so that a flood on the socket cannot starve
 * the tick or the commands (epoll is level-triggered: what is left comes back next turn).
 * Each datagram is classified by its first byte (RFC 7983); STUN goes to ICE-lite over
 * the worker's peer table, everything else to the peer that owns the source address,
 * and a datagram from an address no peer has nominated is dropped.
 *
 * The tick (timerfd, 20 ms, the mixer's frame) runs the DTLS timers of the handshaking
 * peers, and the slow timers -- consent, RTCP reports, published statistics -- of a
 * fiftieth of all peers, so each peer gets them once a second and a tick's cost does
 * not grow in steps. What the tick costs is measured into the tick histogram
 * (plenary_mixer_tick_seconds; the mixer's work will join it).
 *
 * Events to the gateway are pushed as they happen; the gateway is woken once per loop
 * turn if anything was pushed. When the event ring is full, the peer waits in a backlog
 * (state changes collapse to the latest) or, once freed, in a graveyard (its GONE),
 * both retried every tick. Nothing is dropped and nothing blocks.
 */
#include "media/net/worker.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "media/net/udp.h"
#include "media/secure/secure.h"
#include "media/wire/wire.h"

#define RX_ROUNDS  8
#define TX_BUF	   (WORKER_RX_BUF + MEDIA_SRTP_MAX_TRAILER)
#define KEY_SOCK   1u
#define KEY_TIMER  2u
#define KEY_WAKE   3u
#define KEY_TCP	   4u /* the ICE-TCP listener */
#define KEY_VENUE  5u /* a plain-RTP venue's socket; any larger key is a connection's pointer */
#define EVENTS	   64
#define NTP_OFFSET 2208988800ull /* seconds from 1900 (NTP) to 1970 (Unix) */

/* The tick histogram's bounds (media.h), beside the code that fills it. */
const double media_tick_bucket_bounds[MEDIA_TICK_BUCKETS] = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5};

static struct peer *peer_of(struct ice_peer *ice)
{
	return (struct peer *)((char *)ice - offsetof(struct peer, ice));
}

/* --- lists -------------------------------------------------------------------------- */

/* A peer is on the worker's peers from ADD to CLOSE, then on the graveyard until its GONE
 * is posted; on the handshaking list while in HANDSHAKING; on the backlog while a state
 * change waits for room in the event ring. Removing a peer from a list it is not on is a
 * no-op (base/list.h), so the callers need not ask first. */

static struct peer *peer_at(struct base_list *node)
{
	return BASE_CONTAINER_OF(node, struct peer, link);
}

static void all_add(struct worker *w, struct peer *p)
{
	base_list_insert_tail(&w->peers, &p->link);
	w->n_peers++;
}

static void all_remove(struct worker *w, struct peer *p)
{
	if (w->sweep == &p->link)
		w->sweep = p->link.next;
	base_list_remove(&p->link);
	w->n_peers--;
}

/* Adds p to list through node unless it is on it already. */
static void add_once(struct base_list *list, struct base_list *node)
{
	if (!base_list_linked(node))
		base_list_insert_tail(list, node);
}

/* --- events to the gateway ---------------------------------------------------------- */

bool worker_push_event(struct worker *w, uint32_t type, uint32_t arg, void *handle)
{
	struct ring_msg m = {.type = type, .arg = arg, .ptr = handle};
	if (!ring_push(&w->events, &m))
		return false;
	w->posted = true;
	return true;
}

/* Posts the peer's public state if it changed; parks it in the backlog if the ring is
 * full (or it is already parked, so its events stay in order). */
static void post_state(struct worker *w, struct peer *p)
{
	uint32_t public_state = (uint32_t)media_state_of(p->state);
	if (p->closing || p->handle == NULL || public_state == p->reported ||
	    base_list_linked(&p->bl_link))
		return;
	if (worker_push_event(w, WORKER_EV_STATE, public_state, p->handle))
		p->reported = public_state;
	else
		base_list_insert_tail(&w->backlog, &p->bl_link);
}

static void flush_backlog(struct worker *w)
{
	struct base_list *node;
	while ((node = base_list_first(&w->backlog)) != NULL) {
		struct peer *p = BASE_CONTAINER_OF(node, struct peer, bl_link);
		uint32_t public_state = (uint32_t)media_state_of(p->state);
		if (public_state != p->reported &&
		    !worker_push_event(w, WORKER_EV_STATE, public_state, p->handle))
			return;
		p->reported = public_state;
		base_list_remove(&p->bl_link);
	}
}

static void flush_graveyard(struct worker *w)
{
	struct base_list *node;
	while ((node = base_list_first(&w->graveyard)) != NULL) {
		struct peer *p = peer_at(node);
		if (!worker_push_event(w, WORKER_EV_GONE, 0, p->handle))
			return;
		base_list_remove(node);
		peer_destroy(p);
	}
}

/* --- the peer environment ----------------------------------------------------------- */

static void send_cb(void *ctx, struct peer *p, const uint8_t *buf, size_t len)
{
	struct worker *w = ctx;
	if (p->tcp != NULL)
		(void)tcp_conn_send(p->tcp, buf, len);
	else if (p->ice.has_addr && !p->ice.addr.tcp) /* a closed connection's: nowhere */
		(void)udp_send(w->sock, w->family, &p->ice.addr, buf, len);
}

/* peer_set_state's hook: keep the indexes and lists in step with the state, then post. */
static void changed_cb(void *ctx, struct peer *p, enum peer_state from)
{
	struct worker *w = ctx;
	(void)from;
	if (p->state == PEER_HANDSHAKING)
		add_once(&w->handshaking, &p->hs_link);
	else
		base_list_remove(&p->hs_link);
	if (p->state == PEER_FAILED || p->state == PEER_CLOSED) {
		peer_table_remove(&w->table, &p->ice); /* its datagrams now find no one */
		worker_tcp_detach(w, p);
	}
	worker_rooms_state(w, p);
	post_state(w, p);
}

void worker_env(struct worker *w, struct peer_env *env)
{
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	env->now_us = (uint64_t)mono.tv_sec * 1000000u + (uint64_t)mono.tv_nsec / 1000u;
	env->now_ms = env->now_us / 1000u;
	env->arrival_us = env->now_us;
	env->ntp = ((uint64_t)real.tv_sec + NTP_OFFSET) << 32 |
		   (((uint64_t)real.tv_nsec << 32) / 1000000000u);
	env->counters = &w->counters;
	env->send = send_cb;
	env->changed = changed_cb;
	env->audio = worker_rooms_audio;
	env->ctx = w;
	env->scratch = w->tx;
	env->scratch_cap = TX_BUF;
	env->echo = w->echo;
}

/* --- datagrams ---------------------------------------------------------------------- */

static void count_drop(struct worker *w)
{
	atomic_fetch_add_explicit(&w->counters.dropped, 1, memory_order_relaxed);
}

/* A check on an ICE-TCP connection is answered on it; one that authenticates keeps the
 * connection open for another consent period (tcp.h). */
static void on_stun(struct worker *w, const struct peer_env *env, const uint8_t *buf, size_t len,
		    const struct stun_addr *from, struct tcp_conn *conn)
{
	uint8_t reply[ICE_REPLY_MAX];
	struct ice_result r;
	if (ice_lite_handle(&w->table, buf, len, from, env->now_ms, reply, sizeof reply, &r) !=
	    ICE_OK) {
		count_drop(w);
		return;
	}
	if (conn != NULL) {
		(void)tcp_conn_send(conn, reply, r.reply_len);
		if (r.error_code == 0) {
			conn->authenticated = true;
			conn->deadline_ms = env->now_ms + ICE_CONSENT_TIMEOUT_MS;
		}
	} else {
		(void)udp_send(w->sock, w->family, from, reply, r.reply_len);
	}
	atomic_fetch_add_explicit(&w->counters.stun_answered, 1, memory_order_relaxed);
	if (!r.learned)
		return;
	struct peer *p = peer_of(r.peer);
	worker_tcp_path(w, p, conn); /* before the fan-out entry follows the new path */
	peer_nominated(p, env);
	if (p->state == PEER_CONNECTED)
		worker_rooms_moved(w, p); /* ICE moved it: its packets go to the new address */
}

void worker_packet(struct worker *w, const struct peer_env *env, uint8_t *buf, size_t len,
		   const struct stun_addr *from, struct tcp_conn *conn)
{
	enum demux_kind kind = demux_classify(buf, len);
	if (kind == DEMUX_STUN) {
		on_stun(w, env, buf, len, from, conn);
		return;
	}
	struct ice_peer *ice = kind == DEMUX_UNKNOWN ? NULL : peer_table_by_addr(&w->table, from);
	if (ice == NULL) {
		count_drop(w);
		return;
	}
	peer_on_datagram(peer_of(ice), env, kind, buf, len);
}

/* A datagram's kernel receive time (SO_TIMESTAMPNS, the wall clock) moved onto the
 * monotonic clock of env; now_us if it has none or the wall clock jumped. */
static uint64_t arrival_of(const struct msghdr *h, const struct peer_env *env, int64_t real_ns)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		struct timespec ts;
		memcpy(&ts, CMSG_DATA(c), sizeof ts);
		int64_t ago_us = (real_ns - ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec)) / 1000;
		if (ago_us < 0 || ago_us > 1000000 || (uint64_t)ago_us > env->now_us)
			return env->now_us;
		return env->now_us - (uint64_t)ago_us;
	}
	return env->now_us;
}

static void on_readable(struct worker *w)
{
	struct mmsghdr msgs[WORKER_RX_BATCH];
	struct iovec iov[WORKER_RX_BATCH];
	struct sockaddr_storage from[WORKER_RX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} control[WORKER_RX_BATCH];
	for (int round = 0; round < RX_ROUNDS; round++) {
		for (size_t i = 0; i < WORKER_RX_BATCH; i++) {
			iov[i] = (struct iovec){w->rx + i * WORKER_RX_BUF, WORKER_RX_BUF};
			msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
							  .msg_namelen = sizeof from[i],
							  .msg_iov = &iov[i],
							  .msg_iovlen = 1,
							  .msg_control = control[i].buf,
							  .msg_controllen = sizeof control[i].buf};
		}
		int n = recvmmsg(w->sock, msgs, WORKER_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		struct peer_env env;
		worker_env(w, &env);
		struct timespec real;
		clock_gettime(CLOCK_REALTIME, &real);
		int64_t real_ns = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec;
		for (int i = 0; i < n; i++) {
			struct stun_addr src;
			if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
			    !udp_from_sockaddr(&from[i], &src)) {
				count_drop(w);
				continue;
			}
			env.arrival_us = arrival_of(&msgs[i].msg_hdr, &env, real_ns);
			worker_packet(w, &env, iov[i].iov_base, msgs[i].msg_len, &src, NULL);
		}
		if (n < WORKER_RX_BATCH)
			return;
	}
}

/* --- commands ----------------------------------------------------------------------- */

static void cmd_add(struct worker *w, const struct peer_env *env, struct peer *p)
{
	p->worker = w->index;
	all_add(w, p);
	if (!peer_table_reserve(&w->table, w->table.n + 1) || !peer_table_add(&w->table, &p->ice) ||
	    !worker_rooms_add(w, p))
		peer_set_state(p, env, PEER_FAILED);
}

static void cmd_close(struct worker *w, const struct peer_env *env, struct peer *p)
{
	peer_close(p, env); /* CLOSED; changed_cb took it out of the indexes */
	base_list_remove(&p->bl_link);
	all_remove(w, p);
	worker_rooms_remove(w, p); /* before its SRTP session goes */
	peer_release(p);
	if (base_list_empty(&w->graveyard) && worker_push_event(w, WORKER_EV_GONE, 0, p->handle)) {
		peer_destroy(p);
		return;
	}
	base_list_insert_tail(&w->graveyard, &p->link); /* GONE follows those already waiting */
}

static void on_commands(struct worker *w)
{
	ring_wake_drain(w->wake_fd);
	struct peer_env env;
	worker_env(w, &env);
	struct ring_msg m;
	while (ring_pop(&w->cmds, &m)) {
		struct peer *p = m.ptr;
		switch ((enum worker_cmd)m.type) {
		case WORKER_ADD:
			cmd_add(w, &env, p);
			break;
		case WORKER_CLOSE:
			cmd_close(w, &env, p);
			break;
		case WORKER_MIC:
			worker_rooms_mic(w, p, m.arg != 0);
			break;
		case WORKER_CHANNEL:
		case WORKER_VOICE:
			worker_rooms_channel(w, p, m.arg, m.type == WORKER_VOICE);
			break;
		case WORKER_SESSION:
			worker_rooms_session(w, m.ptr);
			break;
		case WORKER_STOP:
			w->stop = true;
			break;
		case WORKER_VENUE:
			worker_venue_add(w, m.ptr, KEY_VENUE);
			break;
		case WORKER_RELAY:
			worker_relay_cmd(w, m.ptr, m.arg != 0);
			break;
		case WORKER_REMOTE:
			worker_relay_gate(w, m.ptr);
			break;
		}
	}
	worker_relay_drain(w); /* pushes wake the same eventfd */
}

/* --- the tick ----------------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void observe_tick(struct worker *w, uint64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i = 0;
	while (i < MEDIA_TICK_BUCKETS && s > media_tick_bucket_bounds[i])
		i++;
	atomic_fetch_add_explicit(&w->counters.tick_buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->counters.tick_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->counters.tick_sum_ns, ns, memory_order_relaxed);
}

/* A fiftieth of the peers, resuming where the last tick stopped. */
static void sweep(struct worker *w, const struct peer_env *env)
{
	size_t todo = (w->n_peers + WORKER_SWEEP_TICKS - 1) / WORKER_SWEEP_TICKS;
	for (size_t i = 0; i < todo && w->n_peers > 0; i++) {
		if (w->sweep == &w->peers)
			w->sweep = w->peers.next;
		struct peer *p = peer_at(w->sweep);
		w->sweep = w->sweep->next;
		peer_slow_tick(p, env);
	}
}

static void on_tick(struct worker *w)
{
	uint64_t expirations;
	if (read(w->timer_fd, &expirations, sizeof expirations) < 0)
		return;
	uint64_t t0 = mono_ns();
	struct peer_env env;
	worker_env(w, &env);
	/* Each tick has its place on the 20 ms grid, not the time it happens to run: the
	 * mix's RTP timestamps step by exactly one frame. A worker that was held up (a busy
	 * machine) runs the ticks it missed, so every room's recording still gets one packet
	 * per 20 ms and its jitter buffers one pull. */
	if (w->tick_us == 0) {
		w->tick_us = (int64_t)env.now_us - WORKER_TICK_MS * 1000;
		expirations = 1;
	}
	uint64_t skipped = expirations > WORKER_CATCH_UP ? expirations - WORKER_CATCH_UP : 0;
	for (uint64_t i = 0; i < expirations; i++) {
		w->tick_us += WORKER_TICK_MS * 1000;
		worker_rooms_tick(w, w->tick_us, i < skipped);
	}
	atomic_fetch_add_explicit(&w->counters.frames, expirations, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->counters.frames_skipped, skipped, memory_order_relaxed);
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->handshaking)
	{
		peer_timers(BASE_CONTAINER_OF(node, struct peer, hs_link), &env);
	}
	sweep(w, &env);
	if (++w->conn_ticks >= WORKER_SWEEP_TICKS) {
		w->conn_ticks = 0;
		w->conns_due = true; /* after this turn's events (worker_tcp.c) */
	}
	flush_backlog(w);
	flush_graveyard(w);
	observe_tick(w, mono_ns() - t0);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	while (!w->stop) {
		struct epoll_event ev[EVENTS];
		int n = epoll_wait(w->epfd, ev, EVENTS, -1);
		for (int i = 0; i < n; i++) {
			uint64_t key = ev[i].data.u64;
			if (key == KEY_SOCK)
				on_readable(w);
			else if (key == KEY_TIMER)
				on_tick(w);
			else if (key == KEY_WAKE)
				on_commands(w);
			else if (key == KEY_TCP)
				worker_tcp_accept(w);
			else if (key == KEY_VENUE)
				worker_venue_readable(w);
			else
				worker_tcp_event(w, ev[i].data.ptr, ev[i].events);
		}
		if (w->conns_due)
			worker_tcp_expire(w);
		size_t pages = page_ring_pushed(w->pages);
		if (w->posted || pages != w->pages_woken) {
			w->posted = false;
			w->pages_woken = pages;
			ring_wake(w->gateway_fd);
		}
	}
	return NULL;
}

/* --- setup and teardown (the owning thread) ----------------------------------------- */

static enum media_err sys_fail(char *why, size_t cap, const char *what, int err)
{
	if (why && cap)
		snprintf(why, cap, "%s: %s", what, strerror(err));
	return MEDIA_ERR_SYSTEM;
}

static bool watch(struct worker *w, int fd, uint64_t key)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = key};
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

static enum media_err open_fds(struct worker *w, const struct worker_config *cfg, char *why,
			       size_t cap)
{
	w->local = cfg->bind;
	int err = udp_open(&w->local, &w->sock);
	if (err != 0) {
		char what[96], ip[48];
		udp_format_ip(&cfg->bind, ip, sizeof ip);
		snprintf(what, sizeof what, "media worker %u: bind UDP %s port %u", cfg->index, ip,
			 cfg->bind.port);
		return sys_fail(why, cap, what, err);
	}
	w->family = w->local.family == STUN_IPV6 ? AF_INET6 : AF_INET;
	if (cfg->tcp) {
		w->tcp_local = cfg->bind;
		w->tcp_local.port = cfg->tcp_port;
		err = tcp_listen(&w->tcp_local, &w->tcp_sock);
		if (err != 0) {
			char what[96], ip[48];
			udp_format_ip(&cfg->bind, ip, sizeof ip);
			snprintf(what, sizeof what, "media worker %u: listen TCP %s port %u",
				 cfg->index, ip, cfg->tcp_port);
			return sys_fail(why, cap, what, err);
		}
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return sys_fail(why, cap, "epoll_create1", errno);
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {.it_interval = {0, WORKER_TICK_MS * 1000000L},
				 .it_value = {0, WORKER_TICK_MS * 1000000L}};
	if (w->timer_fd < 0 || timerfd_settime(w->timer_fd, 0, &its, NULL) != 0)
		return sys_fail(why, cap, "timerfd", errno);
	if (ring_wake_open(&w->wake_fd) != MEDIA_OK)
		return sys_fail(why, cap, "eventfd", errno);
	if (!watch(w, w->sock, KEY_SOCK) || !watch(w, w->timer_fd, KEY_TIMER) ||
	    !watch(w, w->wake_fd, KEY_WAKE) ||
	    (w->tcp_sock >= 0 && !watch(w, w->tcp_sock, KEY_TCP)))
		return sys_fail(why, cap, "epoll_ctl", errno);
	return MEDIA_OK;
}

enum media_err worker_init(struct worker *w, const struct worker_config *cfg, char *why,
			   size_t why_cap)
{
	memset(w, 0, sizeof *w);
	base_list_init(&w->peers);
	base_list_init(&w->handshaking);
	base_list_init(&w->backlog);
	base_list_init(&w->graveyard);
	base_list_init(&w->venues);
	base_list_init(&w->conns);
	w->sweep = &w->peers;
	w->sock = w->epfd = w->timer_fd = w->wake_fd = w->tcp_sock = -1;
	w->index = cfg->index;
	w->gateway_fd = cfg->gateway_fd;
	w->echo = cfg->echo;
	w->mix_bitrate = cfg->mix_bitrate;
	w->tap = cfg->tap;
	peer_table_init(&w->table, cfg->seed);
	w->rx = aligned_alloc(64, WORKER_RX_BATCH * WORKER_RX_BUF);
	w->tx = aligned_alloc(64, (TX_BUF + 63) / 64 * 64);
	w->pages = page_ring_create(WORKER_PAGE_SLOTS);
	if (w->rx == NULL || w->tx == NULL || w->pages == NULL ||
	    fanout_create(0, &w->fanout) != MEDIA_OK ||
	    ring_init(&w->cmds, WORKER_RING_SLOTS) != MEDIA_OK ||
	    ring_init(&w->events, WORKER_RING_SLOTS) != MEDIA_OK) {
		if (why && why_cap)
			snprintf(why, why_cap, "media worker %u: out of memory", cfg->index);
		return MEDIA_ERR_NOMEM;
	}
	if (cfg->recordings_dir && cfg->recordings_dir[0]) {
		struct recorder_config rc = {.dir = cfg->recordings_dir};
		enum media_err err = recorder_create(&rc, &w->recorder);
		if (err != MEDIA_OK) {
			if (why && why_cap)
				snprintf(why, why_cap, "media worker %u: recordings in %s: %s",
					 cfg->index, cfg->recordings_dir, media_strerror(err));
			return err == MEDIA_ERR_NOMEM ? MEDIA_ERR_NOMEM : MEDIA_ERR_SYSTEM;
		}
	}
	return open_fds(w, cfg, why, why_cap);
}

enum media_err worker_start(struct worker *w)
{
	sigset_t all, old;
	sigfillset(&all);
	/* Signals belong to the gateway's signalfd: the thread inherits a full mask. */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int err = pthread_create(&w->thread, NULL, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
		return MEDIA_ERR_SYSTEM;
	char name[16];
	snprintf(name, sizeof name, "media-%u", w->index);
	pthread_setname_np(w->thread, name);
	w->started = true;
	return MEDIA_OK;
}

bool worker_post(struct worker *w, const struct ring_msg *m)
{
	if (!ring_push(&w->cmds, m))
		return false;
	ring_wake(w->wake_fd);
	return true;
}

void worker_post_wait(struct worker *w, const struct ring_msg *m)
{
	while (!ring_push(&w->cmds, m)) {
		ring_wake(w->wake_fd);
		sched_yield();
	}
	ring_wake(w->wake_fd);
}

void worker_stop(struct worker *w)
{
	if (!w->started)
		return;
	worker_post_wait(w, &(struct ring_msg){.type = WORKER_STOP});
	pthread_join(w->thread, NULL);
	w->started = false;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void worker_fini(struct worker *w)
{
	/* Peers still waiting in the command ring were never added: free them too. */
	struct ring_msg m;
	while (w->cmds.slots != NULL && ring_pop(&w->cmds, &m)) {
		if (m.type == WORKER_ADD)
			peer_destroy(m.ptr);
		else if (m.type == WORKER_SESSION)
			free(m.ptr);
		else if (m.type == WORKER_VENUE)
			venue_rtp_destroy(m.ptr);
		else if (m.type == WORKER_REMOTE)
			free(m.ptr);
	}
	worker_tcp_fini(w);
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->peers)
	{
		struct peer *p = peer_at(node);
		all_remove(w, p);
		worker_rooms_remove(w, p);
		peer_destroy(p);
	}
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->graveyard)
	{
		base_list_remove(node);
		peer_destroy(peer_at(node));
	}
	worker_venue_fini(w);
	worker_relay_fini(w);
	worker_rooms_fini(w);
	recorder_destroy(w->recorder); /* drains its ring: every file is completed */
	w->recorder = NULL;
	fanout_destroy(w->fanout);
	w->fanout = NULL;
	page_ring_destroy(w->pages);
	w->pages = NULL;
	peer_table_fini(&w->table);
	ring_fini(&w->cmds);
	ring_fini(&w->events);
	close_fd(&w->sock);
	close_fd(&w->tcp_sock);
	close_fd(&w->epfd);
	close_fd(&w->timer_fd);
	close_fd(&w->wake_fd);
	free(w->rx);
	free(w->tx);
	w->rx = w->tx = NULL;
}
