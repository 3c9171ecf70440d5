/* Unit tests for media/mix/fanout.c: one RTP packet to several listeners over loopback UDP,
 * each protected with its own SRTP session and payload type, in batches smaller than the
 * listener count; every datagram unprotects with the matching receiving session to the
 * original packet. Per-listener failures (a replayed protect, an address the socket cannot
 * reach) are counted and do not stop the others. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/mix/fanout.h"
#include "media/secure/dtls.h"
#include "media/secure/srtp_session.h"
#include "media/test_keys.h"
#include "media/wire/rtp.h"

#define LISTENERS 5

struct pair {
	struct media_srtp *send, *recv;
};

/* Mirrored keys, different for each listener. */
static void make_pair(struct pair *p, enum dtls_srtp_profile profile, uint8_t seed)
{
	test_srtp_pair(profile, seed, &p->send, &p->recv);
}

static int udp_socket(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof *addr;
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	struct timeval tv = {.tv_sec = 2};
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	return fd;
}

static size_t make_packet(uint8_t *pkt, uint16_t seq, bool marker)
{
	struct rtp_build b = {.marker = marker,
			      .payload_type = 111,
			      .seq = seq,
			      .timestamp = seq * 960u,
			      .ssrc = 0xfeedbeef};
	size_t len;
	assert_int_equal(rtp_build_header(pkt, 64, &b, &len), RTP_OK);
	for (size_t i = 0; i < 90; i++)
		pkt[len + i] = (uint8_t)(i * 3 + seq);
	return len + 90;
}

/* Receives one datagram per listener (in send order, over one loopback socket) and checks
 * it against the plaintext with that listener's receiving session. */
static void receive_all(int fd, struct pair *pairs, const struct fanout_dest *dests,
			const uint8_t *pkt, size_t len)
{
	for (size_t i = 0; i < LISTENERS; i++) {
		_Alignas(16) uint8_t buf[2048];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		assert_true(n > (ssize_t)len);
		size_t out;
		assert_int_equal(media_srtp_unprotect_rtp(pairs[i].recv, buf, (size_t)n, &out),
				 MEDIA_SRTP_OK);
		assert_int_equal(out, len);
		struct rtp_header h;
		assert_int_equal(rtp_parse(buf, out, &h), RTP_OK);
		assert_int_equal(h.payload_type, dests[i].payload_type);
		assert_int_equal(h.marker, (pkt[1] & 0x80) != 0);
		assert_memory_equal(buf + 2, pkt + 2, len - 2);
	}
}

static void check_profile(enum dtls_srtp_profile profile)
{
	struct sockaddr_in rx_addr, tx_addr;
	int rx = udp_socket(&rx_addr), tx = udp_socket(&tx_addr);
	struct pair pairs[LISTENERS];
	struct fanout_dest dests[LISTENERS];
	for (size_t i = 0; i < LISTENERS; i++) {
		make_pair(&pairs[i], profile, (uint8_t)(i + 1));
		dests[i] = (struct fanout_dest){.srtp = pairs[i].send,
						.addr.v4 = rx_addr,
						.addr_len = sizeof rx_addr,
						.payload_type = (uint8_t)(i % 2 ? 109 : 111)};
	}
	struct fanout *f;
	assert_int_equal(fanout_create(2, &f), MEDIA_OK); /* 5 listeners: 3 batches */
	_Alignas(16) uint8_t pkt[256];
	for (uint16_t seq = 65534; seq != 2; seq++) { /* across the rollover */
		size_t len = make_packet(pkt, seq, seq == 65534);
		struct fanout_result res;
		assert_int_equal(fanout_send(f, tx, pkt, len, dests, LISTENERS, &res), MEDIA_OK);
		assert_int_equal(res.sent, LISTENERS);
		assert_int_equal(res.protect_errors + res.send_errors, 0);
		receive_all(rx, pairs, dests, pkt, len);
	}
	/* The same sequence number again is a replay for every listener's SRTP. */
	size_t len = make_packet(pkt, 1, false);
	struct fanout_result res;
	assert_int_equal(fanout_send(f, tx, pkt, len, dests, LISTENERS, &res), MEDIA_OK);
	assert_int_equal(res.protect_errors, LISTENERS);
	assert_int_equal(res.srtp_err, MEDIA_SRTP_ERR_REPLAY);
	assert_int_equal(res.sent, 0);
	fanout_destroy(f);
	for (size_t i = 0; i < LISTENERS; i++) {
		media_srtp_destroy(pairs[i].send);
		media_srtp_destroy(pairs[i].recv);
	}
	close(rx);
	close(tx);
}

static void test_roundtrip_both_profiles(void **state)
{
	(void)state;
	check_profile(DTLS_SRTP_AES128_CM_SHA1_80);
	check_profile(DTLS_SRTP_AEAD_AES_128_GCM);
}

/* An IPv6 destination on an IPv4 socket fails alone; the rest are delivered. */
static void test_send_error_isolated(void **state)
{
	(void)state;
	struct sockaddr_in rx_addr, tx_addr;
	int rx = udp_socket(&rx_addr), tx = udp_socket(&tx_addr);
	struct pair pairs[3];
	struct fanout_dest dests[3];
	for (size_t i = 0; i < 3; i++) {
		make_pair(&pairs[i], DTLS_SRTP_AES128_CM_SHA1_80, (uint8_t)(i + 9));
		dests[i] = (struct fanout_dest){.srtp = pairs[i].send,
						.addr.v4 = rx_addr,
						.addr_len = sizeof rx_addr,
						.payload_type = 111};
	}
	memset(&dests[1].addr, 0, sizeof dests[1].addr);
	dests[1].addr.v6.sin6_family = AF_INET6;
	dests[1].addr.v6.sin6_addr = in6addr_loopback;
	dests[1].addr.v6.sin6_port = rx_addr.sin_port;
	dests[1].addr_len = sizeof dests[1].addr.v6;
	struct fanout *f;
	assert_int_equal(fanout_create(0, &f), MEDIA_OK);
	_Alignas(16) uint8_t pkt[256];
	size_t len = make_packet(pkt, 7, false);
	struct fanout_result res;
	assert_int_equal(fanout_send(f, tx, pkt, len, dests, 3, &res), MEDIA_OK);
	assert_int_equal(res.sent, 2);
	assert_int_equal(res.send_errors, 1);
	assert_int_not_equal(res.send_errno, 0);
	for (size_t i = 0; i < 3; i += 2) {
		_Alignas(16) uint8_t buf[2048];
		ssize_t n = recv(rx, buf, sizeof buf, 0);
		size_t out;
		assert_true(n > 0);
		assert_int_equal(media_srtp_unprotect_rtp(pairs[i].recv, buf, (size_t)n, &out),
				 MEDIA_SRTP_OK);
	}
	/* Bad arguments. */
	assert_int_equal(fanout_send(f, tx, pkt, 11, dests, 3, &res), MEDIA_ERR_PARAM);
	assert_int_equal(fanout_send(f, tx, pkt, FANOUT_MAX_PACKET + 1, dests, 3, &res),
			 MEDIA_ERR_TOOBIG);
	assert_int_equal(fanout_send(f, tx, pkt, len, NULL, 3, &res), MEDIA_ERR_PARAM);
	assert_int_equal(fanout_send(f, tx, pkt, len, NULL, 0, &res), MEDIA_OK);
	assert_int_equal(res.sent, 0);
	fanout_destroy(f);
	struct fanout *g;
	assert_int_equal(fanout_create(FANOUT_MAX_BATCH + 1, &g), MEDIA_ERR_PARAM);
	fanout_destroy(NULL);
	for (size_t i = 0; i < 3; i++) {
		media_srtp_destroy(pairs[i].send);
		media_srtp_destroy(pairs[i].recv);
	}
	close(rx);
	close(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_both_profiles),
	    cmocka_unit_test(test_send_error_isolated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
