/* ICE-TCP end to end (media/net/tcp.h): media_create runs real workers on loopback with
 * their TCP listeners, and the support client connects the way a browser behind a
 * UDP-blocking firewall does -- to the answer's "tcptype passive" candidate, RFC 4571
 * framing -- through STUN, DTLS and SRTP. A speaker over TCP is heard by a listener over
 * TCP (the room's fan-out writes into the listener's connection), and the bounds hold: a
 * frame announcing more than RFC4571_MAX_FRAME closes its connection at once, and a
 * connection that never carries an authenticated check is closed after
 * TCP_AUTH_TIMEOUT_MS. Every wait is for a condition, with a generous deadline. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/media.h"
#include "media/net/tcp.h"
#include "media/peer_loop.h"
#include "support/client.h"

#define WORKERS 2
#define ROOM	"tcp-room"

static struct media *media;
static struct peer_loop loop;

/* Runs the clients and the media event loop until done(arg) or ms passed. */
static bool pump(struct client **clients, size_t n, unsigned ms, bool (*done)(void *), void *arg)
{
	return peer_pump(&loop, clients, n, ms, done, arg);
}

static const struct peer_offer tcp_offer = {.room = ROOM, .may_send = true, .tcp = true};

/* A client over ICE-TCP, offered, answered and connected. */
static struct media_peer *connect_tcp(struct client **out, struct peer_slot *slot, bool send)
{
	struct peer_offer o = tcp_offer;
	o.send = send;
	return peer_connect(&loop, &o, out, slot);
}

static int group_setup(void **state)
{
	(void)state;
	struct media_options opt = {.workers = WORKERS, .bind_ip = "127.0.0.1"};
	char why[256];
	if (media_create(&opt, &media, why, sizeof why) != MEDIA_OK) {
		print_message("media_create: %s\n", why);
		return -1;
	}
	loop.media[0] = media;
	loop.n_media = 1;
	return dtls_context_create(&loop.client_ctx) == DTLS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	media_destroy(media);
	dtls_context_destroy(loop.client_ctx);
	return 0;
}

struct heard {
	struct client *listener;
	uint64_t want;
};

static bool listener_heard(void *arg)
{
	struct heard *k = arg;
	struct client_stats cs;
	client_stats(k->listener, &cs);
	return cs.rtp_received >= k->want;
}

static void test_speaker_heard_over_tcp(void **state)
{
	(void)state;
	struct client *c[2];
	struct peer_slot slots[2];
	struct media_peer *speaker = connect_tcp(&c[0], &slots[0], true);
	struct media_peer *listener = connect_tcp(&c[1], &slots[1], false);
	media_peer_mic(speaker, true);
	pump(c, 2, 50, NULL, NULL); /* the MIC command reaches the worker */
	uint32_t ts = 0;
	uint8_t opus[60];
	struct heard k = {c[1], 10};
	for (int i = 0; i < 250 && !listener_heard(&k); i++) {
		memset(opus, (uint8_t)i, sizeof opus);
		assert_int_equal(client_send_audio(c[0], opus, sizeof opus, ts, 30, true),
				 CLIENT_OK);
		ts += 960;
		pump(c, 2, 20, NULL, NULL);
	}
	assert_true(pump(c, 2, 3000, listener_heard, &k));
	struct client_stats cs;
	client_stats(c[1], &cs);
	assert_int_equal(cs.srtp_errors, 0);
	struct media_stats st;
	media_stats_read(media, &st);
	assert_true(st.tcp_accepted >= 2);
	/* The speaker's packets authenticated, and went on to the listener as they came. */
	assert_true(st.rtp_packets_received > 0);
	assert_true(st.packets_forwarded > 0);
	assert_int_equal(st.srtp_errors, 0);
	media_peer_close(speaker);
	media_peer_close(listener);
	pump(c, 2, 50, NULL, NULL);
	client_destroy(c[0]);
	client_destroy(c[1]);
}

/* The first ICE-TCP candidate's port in the last answer. */
static uint16_t tcp_port_of_answer(void)
{
	const char *p = strstr(loop.answer, " tcp ");
	assert_non_null(p);
	unsigned prio, port;
	char ip[64];
	assert_int_equal(sscanf(p, " tcp %u %63s %u typ host tcptype passive", &prio, ip, &port),
			 3);
	return (uint16_t)port;
}

static int raw_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* Waits up to ms for the server to close fd (a read of 0 or a reset). */
static bool closed_by_server(int fd, unsigned ms)
{
	uint64_t end = peer_now_ms() + ms;
	while (peer_now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		uint8_t b[256];
		ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
		if (n <= 0)
			return true;
	}
	return false;
}

static void test_bounds(void **state)
{
	(void)state;
	struct client *c;
	struct client_options co = {.dtls = loop.client_ctx, .tcp = true};
	assert_int_equal(client_create(&co, &c), CLIENT_OK);
	struct peer_slot slot;
	struct media_peer *peer = peer_offer(&loop, &tcp_offer, c, &slot);
	uint16_t port = tcp_port_of_answer();

	/* A frame longer than any packet: closed as soon as its header is in. */
	int big = raw_connect(port);
	uint8_t hdr[2] = {(RFC4571_MAX_FRAME + 1) >> 8, (RFC4571_MAX_FRAME + 1) & 0xff};
	assert_int_equal(send(big, hdr, sizeof hdr, MSG_NOSIGNAL), 2);
	assert_true(closed_by_server(big, 3000));
	close(big);

	/* Never authenticated: a junk STUN-looking frame is dropped unanswered, and the
	 * connection goes once TCP_AUTH_TIMEOUT_MS (+ one sweep) passed. */
	uint64_t t0 = peer_now_ms();
	int idle = raw_connect(port);
	uint8_t junk[2 + 20] = {0, 20, 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	assert_int_equal(send(idle, junk, sizeof junk, MSG_NOSIGNAL), (ssize_t)sizeof junk);
	assert_true(closed_by_server(idle, TCP_AUTH_TIMEOUT_MS + 4000));
	assert_true(peer_now_ms() - t0 >= TCP_AUTH_TIMEOUT_MS - 100);
	close(idle);

	media_peer_close(peer);
	pump(&c, 1, 50, NULL, NULL);
	client_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_speaker_heard_over_tcp),
	    cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
