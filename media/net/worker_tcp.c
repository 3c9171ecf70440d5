/*
 * worker_tcp -- ICE-TCP on a media worker: accepting connections, reading their frames
 * into the same path as datagrams (worker_packet), a peer's path moving to and from a
 * connection, and closing connections that finished, expired or lost their peer. The
 * connection itself (buffers, framing, writes) is tcp.c's.
 *
 * A connection and a peer point at each other (conn->peer, peer->tcp) only while the
 * connection is the peer's nominated path; every change goes through worker_tcp_path,
 * worker_tcp_detach or conn_close, so neither pointer outlives its object. Connections
 * are destroyed only from their own epoll event or from worker_tcp_expire, which runs
 * after a loop turn's batch of events: no later event of that batch can name a freed one.
 */
#include "media/net/worker.h"

#include <sys/epoll.h>
#include <time.h>

#define ACCEPTS_PER_TURN 64

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void worker_tcp_accept(struct worker *w)
{
	uint64_t now = now_ms();
	struct tcp_conn *c;
	for (int i = 0; i < ACCEPTS_PER_TURN && tcp_accept(w->tcp_sock, w->epfd, w->n_conns, now,
							   &w->counters.tcp_dropped, &c);
	     i++) {
		if (c == NULL)
			continue;
		base_list_insert_tail(&w->conns, &c->link);
		w->n_conns++;
		atomic_fetch_add_explicit(&w->counters.tcp_accepted, 1, memory_order_relaxed);
	}
}

void worker_tcp_path(struct worker *w, struct peer *p, struct tcp_conn *conn)
{
	(void)w;
	if (p->tcp == conn)
		return;
	if (p->tcp != NULL)
		p->tcp->peer = NULL; /* the old connection expires unless checks keep it */
	if (conn != NULL && conn->peer != NULL && conn->peer != p)
		conn->peer->tcp = NULL; /* ICE gave its address to p (peer_table_set_addr) */
	p->tcp = conn;
	if (conn != NULL)
		conn->peer = p;
}

void worker_tcp_detach(struct worker *w, struct peer *p)
{
	(void)w;
	struct tcp_conn *c = p->tcp;
	if (c == NULL)
		return;
	c->peer = NULL;
	p->tcp = NULL;
	uint64_t linger = now_ms() + TCP_LINGER_MS;
	if (linger < c->deadline_ms)
		c->deadline_ms = linger;
}

/* The connection is finished: if it was a peer's path, the peer has lost its path (a
 * browser that moved to another one nominated it first), so it fails. */
static void conn_close(struct worker *w, struct tcp_conn *c)
{
	base_list_remove(&c->link);
	w->n_conns--;
	struct peer *p = c->peer;
	if (p != NULL) {
		c->peer = NULL;
		p->tcp = NULL;
		struct peer_env env;
		worker_env(w, &env);
		peer_set_state(p, &env, PEER_FAILED);
	}
	tcp_conn_destroy(c);
}

struct frame_ctx {
	struct worker *w;
	struct peer_env env;
};

static void on_frame(void *ctx, struct tcp_conn *c, uint8_t *frame, size_t len)
{
	struct frame_ctx *f = ctx;
	worker_packet(f->w, &f->env, frame, len, &c->remote, c);
}

void worker_tcp_event(struct worker *w, struct tcp_conn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		struct frame_ctx f = {.w = w};
		worker_env(w, &f.env);
		if (!tcp_conn_read(c, on_frame, &f)) {
			conn_close(w, c);
			return;
		}
	}
	if ((events & EPOLLOUT) && !tcp_conn_flush(c))
		conn_close(w, c);
}

void worker_tcp_expire(struct worker *w)
{
	w->conns_due = false;
	uint64_t now = now_ms();
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->conns)
	{
		struct tcp_conn *c = BASE_CONTAINER_OF(node, struct tcp_conn, link);
		if (now >= c->deadline_ms)
			conn_close(w, c);
	}
}

void worker_tcp_fini(struct worker *w)
{
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &w->conns)
	{
		struct tcp_conn *c = BASE_CONTAINER_OF(node, struct tcp_conn, link);
		base_list_remove(node);
		if (c->peer != NULL)
			c->peer->tcp = NULL;
		tcp_conn_destroy(c);
	}
	w->n_conns = 0;
}
