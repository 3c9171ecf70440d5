/*
 * client_io -- the client's socket: datagrams (or the ICE-TCP stream's RFC 4571 frames)
 * out to the server's candidate and in from it, each handed to the STUN, DTLS or SRTP
 * side by its first byte (RFC 7983).
 */
#include "support/client_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "media/net/udp.h"
#include "media/wire/demux.h"

static bool send_framed(struct client *c, const uint8_t *buf, size_t len)
{
	uint8_t hdr[RFC4571_HEADER];
	if (rfc4571_put_header(hdr, len) != RFC4571_OK)
		return false;
	struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)buf, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	size_t left = sizeof hdr + len;
	while (left > 0) {
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		left -= (size_t)n;
		while (n > 0 && mh.msg_iovlen > 0) { /* a short write: skip what went out */
			size_t k =
			    (size_t)n < mh.msg_iov[0].iov_len ? (size_t)n : mh.msg_iov[0].iov_len;
			mh.msg_iov[0].iov_base = (uint8_t *)mh.msg_iov[0].iov_base + k;
			mh.msg_iov[0].iov_len -= k;
			n -= (ssize_t)k;
			if (mh.msg_iov[0].iov_len == 0) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return true;
}

bool client_send_to_server(struct client *c, const uint8_t *buf, size_t len)
{
	if (c->tcp)
		return send_framed(c, buf, len);
	return udp_send(c->fd, c->family, &c->server, buf, len);
}

enum client_err client_send_raw(struct client *c, const uint8_t *buf, size_t len)
{
	if (c == NULL || buf == NULL)
		return CLIENT_ERR_PARAM;
	if (c->state == CLIENT_NEW || !c->have_server)
		return CLIENT_ERR_STATE;
	return client_send_to_server(c, buf, len) ? CLIENT_OK : CLIENT_ERR_SEND;
}

static void on_datagram(struct client *c, uint8_t *buf, size_t len, const struct stun_addr *from,
			uint64_t now_ms)
{
	switch (demux_classify(buf, len)) {
	case DEMUX_STUN:
		client_on_stun(c, buf, len, from, now_ms);
		break;
	case DEMUX_DTLS:
		client_on_dtls(c, buf, len, now_ms);
		break;
	case DEMUX_RTP:
		client_on_srtp(c, DEMUX_RTP, buf, len);
		break;
	case DEMUX_RTCP:
		client_on_srtp(c, DEMUX_RTCP, buf, len);
		break;
	case DEMUX_UNKNOWN:
		break;
	}
}

void client_receive(struct client *c, uint8_t *buf, size_t len, const struct sockaddr_storage *from,
		    uint64_t now_ms)
{
	struct stun_addr src;
	if (c == NULL || buf == NULL || from == NULL || c->state == CLIENT_NEW ||
	    !udp_from_sockaddr(from, &src))
		return;
	/* Until a check tells us where the peer is, only STUN can be from it. */
	if (c->have_server ? !ice_addr_equal(&src, &c->server)
			   : demux_classify(buf, len) != DEMUX_STUN)
		return;
	on_datagram(c, buf, len, &src, now_ms);
}

/* ICE-TCP: every whole frame of the stream, as if it were a datagram from the server. */
static void input_stream(struct client *c, uint64_t now_ms)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->st + c->st_len, sizeof c->st - c->st_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			client_set_state(c, CLIENT_FAILED); /* the server closed the connection */
			return;
		}
		if (n < 0)
			return;
		c->st_len += (size_t)n;
		size_t pos = 0, len, used;
		enum rfc4571_err err;
		while ((err = rfc4571_split(c->st + pos, c->st_len - pos, 0, &len, &used)) ==
		       RFC4571_OK) {
			on_datagram(c, c->st + pos + RFC4571_HEADER, len, &c->server, now_ms);
			pos += used;
		}
		if (err != RFC4571_EPARTIAL) {
			client_set_state(c, CLIENT_FAILED);
			return;
		}
		memmove(c->st, c->st + pos, c->st_len - pos);
		c->st_len -= pos;
	}
}

void client_input(struct client *c, uint64_t now_ms)
{
	if (c->tcp) {
		input_stream(c, now_ms);
		return;
	}
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t n =
		    recvfrom(c->fd, c->rx, sizeof c->rx, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		client_receive(c, c->rx, (size_t)n, &ss, now_ms);
	}
}
