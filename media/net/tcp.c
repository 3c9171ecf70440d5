/*
 * tcp -- see tcp.h. The reassembly buffer holds the unfinished front of the stream;
 * after each read every whole frame is handed on where it lies (no copy) and the rest is
 * moved to the front, which is less than one frame. The send buffer is linear: appends go
 * at the end, a write takes from the front, and the rest is moved to the front only when
 * an append would not fit behind it.
 */
#include "media/net/tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "media/net/udp.h"

#define READS_PER_CALL 8 /* then back to epoll (level-triggered): no connection starves others */

static bool conn_sink_send(struct fanout_sink *self, const uint8_t *buf, size_t len)
{
	struct tcp_conn *c = BASE_CONTAINER_OF(self, struct tcp_conn, sink);
	return tcp_conn_send(c, buf, len);
}

int tcp_listen(struct stun_addr *local, int *fd_out)
{
	int family = local->family == STUN_IPV6 ? AF_INET6 : AF_INET;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int on = 1, off = 0;
	/* A restarted server must get its port back while old connections sit in TIME_WAIT. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	struct sockaddr_storage ss;
	socklen_t len = udp_to_sockaddr(local, family, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, TCP_BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &(socklen_t){sizeof ss}) != 0) {
		int err = errno;
		close(fd);
		return err;
	}
	struct stun_addr bound;
	if (udp_from_sockaddr(&ss, &bound))
		local->port = bound.port;
	*fd_out = fd;
	return 0;
}

static struct tcp_conn *conn_new(int fd, int epfd, const struct sockaddr_storage *ss,
				 uint64_t now_ms, _Atomic uint64_t *dropped)
{
	struct tcp_conn *c = calloc(1, sizeof *c);
	uint8_t *tx = malloc(TCP_TX_CAP);
	if (c == NULL || tx == NULL || !udp_from_sockaddr(ss, &c->remote)) {
		free(c);
		free(tx);
		return NULL;
	}
	c->fd = fd;
	c->epfd = epfd;
	c->tx = tx;
	c->remote.tcp = true;
	c->deadline_ms = now_ms + TCP_AUTH_TIMEOUT_MS;
	c->sink.send = conn_sink_send;
	c->dropped = dropped;
	base_list_init(&c->link);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(tx);
		free(c);
		return NULL;
	}
	return c;
}

bool tcp_accept(int listen_fd, int epfd, size_t n_conns, uint64_t now_ms, _Atomic uint64_t *dropped,
		struct tcp_conn **out)
{
	*out = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	if (n_conns >= TCP_MAX_CONNS) {
		close(fd);
		return true;
	}
	/* Media: every frame is wanted now, not coalesced with the next one 20 ms later. */
	int on = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	*out = conn_new(fd, epfd, &ss, now_ms, dropped);
	if (*out == NULL)
		close(fd);
	return true;
}

/* Hands every whole frame at the front of rx to fn; false on a frame too long. */
static bool deliver(struct tcp_conn *c, tcp_frame_fn fn, void *ctx)
{
	size_t pos = 0, n, used;
	enum rfc4571_err err;
	while ((err = rfc4571_split(c->rx + pos, c->rx_len - pos, RFC4571_MAX_FRAME, &n, &used)) ==
	       RFC4571_OK) {
		fn(ctx, c, c->rx + pos + RFC4571_HEADER, n);
		pos += used;
	}
	if (err != RFC4571_EPARTIAL)
		return false;
	memmove(c->rx, c->rx + pos, c->rx_len - pos);
	c->rx_len -= pos;
	return true;
}

bool tcp_conn_read(struct tcp_conn *c, tcp_frame_fn fn, void *ctx)
{
	for (int i = 0; i < READS_PER_CALL; i++) {
		/* deliver leaves less than one whole frame: there is always room. */
		ssize_t n = read(c->fd, c->rx + c->rx_len, TCP_RX_CAP - c->rx_len);
		if (n == 0)
			return false;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		c->rx_len += (size_t)n;
		if (!deliver(c, fn, ctx))
			return false;
	}
	return true;
}

static void want_out(struct tcp_conn *c, bool on)
{
	if (c->want_out == on)
		return;
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
	if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = on;
}

/* Appends bytes behind what waits; the caller checked there is room in all. */
static void append(struct tcp_conn *c, const uint8_t *p, size_t n)
{
	if (c->tx_off + c->tx_len + n > TCP_TX_CAP) {
		memmove(c->tx, c->tx + c->tx_off, c->tx_len);
		c->tx_off = 0;
	}
	memcpy(c->tx + c->tx_off + c->tx_len, p, n);
	c->tx_len += n;
}

static void count_drop(struct tcp_conn *c)
{
	if (c->dropped)
		atomic_fetch_add_explicit(c->dropped, 1, memory_order_relaxed);
}

bool tcp_conn_send(struct tcp_conn *c, const uint8_t *buf, size_t len)
{
	uint8_t hdr[RFC4571_HEADER];
	size_t need = RFC4571_HEADER + len;
	if (rfc4571_put_header(hdr, len) != RFC4571_OK || need > TCP_TX_CAP - c->tx_len) {
		count_drop(c);
		return false;
	}
	size_t done = 0;
	if (c->tx_len == 0) {
		struct iovec iov[2] = {{hdr, RFC4571_HEADER}, {(void *)buf, len}};
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
		ssize_t n;
		do
			n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return false; /* broken: the read side sees it and closes */
		done = n > 0 ? (size_t)n : 0;
		if (done == need)
			return true;
	}
	/* Whatever part of the frame the kernel did not take must follow, or the stream
	 * is lost: the header first if it is not out yet. */
	if (done < RFC4571_HEADER)
		append(c, hdr + done, RFC4571_HEADER - done);
	size_t body = done > RFC4571_HEADER ? done - RFC4571_HEADER : 0;
	append(c, buf + body, len - body);
	want_out(c, true);
	return true;
}

bool tcp_conn_flush(struct tcp_conn *c)
{
	while (c->tx_len > 0) {
		ssize_t n = send(c->fd, c->tx + c->tx_off, c->tx_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		c->tx_off += (size_t)n;
		c->tx_len -= (size_t)n;
	}
	c->tx_off = 0;
	want_out(c, false);
	return true;
}

void tcp_conn_destroy(struct tcp_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd); /* leaves the epoll set with it */
	free(c->tx);
	free(c);
}
