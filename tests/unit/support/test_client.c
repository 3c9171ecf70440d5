/*
 * test_media_client -- tests/support/client.c against a full ICE agent: another client.
 *
 * Plenary's server is ICE-lite and always the DTLS server, so test_media_transport only
 * exercises the client as the controlling offerer and DTLS client. Janus (what the load
 * tool also drives) is a full agent: it sends its own checks and expects answers, answers
 * an actpass offer with a=setup:active, and its Streaming plugin makes the offer itself.
 * Two clients on loopback cover all of that without Janus: A offers, B accepts the offer
 * (ICE-controlled, DTLS client), A takes B's answer (a=setup:active makes A the DTLS
 * server), each answers the other's checks, and audio flows from A to B.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/net/udp.h"
#include "media/secure/srtp_session.h"
#include "media/wire/stun.h"
#include "support/client.h"

static struct dtls_context *ctx_a, *ctx_b;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Drives both clients until both are CONNECTED or ms pass. With use_receive, datagrams
 * are read here and handed to client_receive, as the load tool does with recvmmsg. */
static bool pump_pair(struct client *a, struct client *b, unsigned ms, bool use_receive)
{
	struct client *cs[2] = {a, b};
	uint64_t end = now_ms() + ms;
	while (now_ms() < end) {
		if (client_state(a) == CLIENT_CONNECTED && client_state(b) == CLIENT_CONNECTED)
			return true;
		struct pollfd fds[2] = {{.fd = client_fd(a), .events = POLLIN},
					{.fd = client_fd(b), .events = POLLIN}};
		(void)poll(fds, 2, 10);
		uint64_t now = now_ms();
		for (int i = 0; i < 2; i++) {
			if (!use_receive) {
				client_input(cs[i], now);
			} else {
				uint8_t buf[2048];
				struct sockaddr_storage ss;
				socklen_t sl = sizeof ss;
				ssize_t n;
				while ((n = recvfrom(client_fd(cs[i]), buf, sizeof buf,
						     MSG_DONTWAIT, (struct sockaddr *)&ss, &sl)) >
				       0) {
					client_receive(cs[i], buf, (size_t)n, &ss, now);
					sl = sizeof ss;
				}
			}
			if (now >= client_next_timeout(cs[i]))
				client_tick(cs[i], now);
		}
	}
	return false;
}

static struct client *make(struct dtls_context *ctx, bool send)
{
	struct client_options co = {.dtls = ctx, .send = send};
	struct client *c = NULL;
	assert_int_equal(client_create(&co, &c), CLIENT_OK);
	return c;
}

struct heard {
	int packets;
	uint16_t last_seq;
	size_t last_len;
};

static void on_audio(void *ctx, const struct rtp_header *h)
{
	struct heard *k = ctx;
	k->packets++;
	k->last_seq = h->seq;
	k->last_len = h->payload_len;
}

/* A offers; B answers, learning A's address from A's first check. */
static void negotiate(struct client *a, struct client *b, const char *extra_offer_line)
{
	char offer[CLIENT_OFFER_MAX + 256], answer[4096];
	size_t offer_len, answer_len;
	assert_int_equal(client_offer(a, offer, CLIENT_OFFER_MAX, &offer_len), CLIENT_OK);
	if (extra_offer_line) {
		offer_len += (size_t)snprintf(offer + offer_len, sizeof offer - offer_len,
					      "a=%s\r\n", extra_offer_line);
	}
	assert_int_equal(
	    client_accept_offer(b, offer, offer_len, answer, sizeof answer, &answer_len, now_ms()),
	    CLIENT_OK);
	assert_int_equal(strlen(answer), answer_len);
	assert_non_null(strstr(answer, "a=setup:active\r\n"));
	assert_non_null(strstr(answer, "a=recvonly\r\n")); /* B does not send */
	assert_non_null(strstr(answer, "a=mid:0\r\n"));
	assert_non_null(strstr(answer, " typ host\r\n"));
	assert_int_equal(client_state(b), CLIENT_CHECKING);
	assert_int_equal(client_answer(a, answer, answer_len, now_ms()), CLIENT_OK);
}

static void send_and_hear(struct client *a, struct client *b, struct heard *k)
{
	client_on_audio(b, on_audio, k);
	static const uint8_t opus[] = {0x78, 0x01, 0x02, 0x03, 0x04, 0x05};
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(client_send_audio(a, opus, sizeof opus, 960 * i, 40, true),
				 CLIENT_OK);
	uint64_t end = now_ms() + 2000;
	while (k->packets < 5 && now_ms() < end) {
		struct pollfd fd = {.fd = client_fd(b), .events = POLLIN};
		(void)poll(&fd, 1, 10);
		client_input(b, now_ms());
	}
	assert_int_equal(k->packets, 5);
	assert_int_equal(k->last_len, sizeof opus);
}

static void test_full_agents_connect_both_ways(void **state)
{
	(void)state;
	struct client *a = make(ctx_a, true), *b = make(ctx_b, false);
	negotiate(a, b, NULL);
	assert_true(pump_pair(a, b, 5000, false));
	struct client_stats sa, sb;
	client_stats(a, &sa);
	client_stats(b, &sb);
	/* Each answered the other's checks: that is what a full agent waits for. */
	assert_true(sa.stun_answered > 0);
	assert_true(sb.stun_answered > 0);
	assert_true(sa.stun_responses > 0 && sb.stun_responses > 0);
	assert_int_not_equal(sa.profile, DTLS_SRTP_NONE);
	assert_int_equal(sa.profile, sb.profile);
	struct heard k = {0};
	send_and_hear(a, b, &k);
	/* B never sends: recvonly. */
	assert_int_equal(client_send_audio(b, (const uint8_t *)"x", 1, 0, 0, false),
			 CLIENT_ERR_STATE);
	client_destroy(a);
	client_destroy(b);
}

/* An offer with a host candidate lets the answerer check at once; datagrams read by the
 * caller and handed to client_receive work the same as client_input. */
static void test_offer_candidate_and_client_receive(void **state)
{
	(void)state;
	struct client *a = make(ctx_a, true), *b = make(ctx_b, false);
	char cand[128];
	assert_int_equal(client_local_candidate(a, cand, sizeof cand), CLIENT_OK);
	assert_int_equal(strncmp(cand, "candidate:1 1 udp ", 18), 0);
	assert_non_null(strstr(cand, " 127.0.0.1 "));
	assert_non_null(strstr(cand, " typ host"));
	negotiate(a, b, cand);
	assert_true(pump_pair(a, b, 5000, true));
	struct heard k = {0};
	send_and_hear(a, b, &k);
	client_destroy(a);
	client_destroy(b);
}

/* A check without our password is not answered, and does not tell an answerer without a
 * candidate where its peer is. */
static void test_unauthenticated_check_ignored(void **state)
{
	(void)state;
	struct client *a = make(ctx_a, true), *b = make(ctx_b, false);
	char offer[CLIENT_OFFER_MAX], answer[4096];
	size_t offer_len, answer_len;
	assert_int_equal(client_offer(a, offer, sizeof offer, &offer_len), CLIENT_OK);
	assert_int_equal(
	    client_accept_offer(b, offer, offer_len, answer, sizeof answer, &answer_len, now_ms()),
	    CLIENT_OK);
	/* B's ufrag and A's, from the texts. */
	char b_ufrag[64] = "", a_ufrag[64] = "", username[160];
	assert_int_equal(sscanf(strstr(answer, "a=ice-ufrag:"), "a=ice-ufrag:%63s", b_ufrag), 1);
	assert_int_equal(sscanf(strstr(offer, "a=ice-ufrag:"), "a=ice-ufrag:%63s", a_ufrag), 1);
	snprintf(username, sizeof username, "%s:%s", b_ufrag, a_ufrag);
	struct stun_binding_request req = {.username = username,
					   .priority = 1,
					   .role = STUN_ROLE_CONTROLLING,
					   .use_candidate = true,
					   .key = (const uint8_t *)"not-the-password-at-all-xx",
					   .key_len = 26};
	memset(req.tid, 7, sizeof req.tid);
	uint8_t pkt[512];
	size_t len;
	assert_int_equal(stun_build_binding_request(pkt, sizeof pkt, &req, &len), STUN_OK);
	char bcand[128];
	assert_int_equal(client_local_candidate(b, bcand, sizeof bcand), CLIENT_OK);
	unsigned port = 0;
	assert_int_equal(sscanf(bcand, "candidate:1 1 udp %*u 127.0.0.1 %u", &port), 1);
	struct stun_addr to;
	assert_true(udp_parse_ip("127.0.0.1", &to));
	to.port = (uint16_t)port;
	assert_true(udp_send(client_fd(a), AF_INET, &to, pkt, len));
	usleep(50 * 1000);
	client_input(b, now_ms());
	struct client_stats sb;
	client_stats(b, &sb);
	assert_int_equal(sb.stun_answered, 0);
	assert_int_equal(sb.stun_requests, 0); /* still nowhere to send checks */
	client_tick(b, now_ms());
	client_stats(b, &sb);
	assert_int_equal(sb.stun_requests, 0);
	client_destroy(a);
	client_destroy(b);
}

static void test_accept_offer_refusals(void **state)
{
	(void)state;
	struct client *a = make(ctx_a, true), *b = make(ctx_b, false);
	char offer[CLIENT_OFFER_MAX], answer[4096];
	size_t offer_len, answer_len;
	assert_int_equal(client_offer(a, offer, sizeof offer, &offer_len), CLIENT_OK);
	assert_int_equal(
	    client_accept_offer(b, "garbage", 7, answer, sizeof answer, &answer_len, now_ms()),
	    CLIENT_ERR_ANSWER);
	/* An offerer that insists on being the DTLS client would need us to be the server. */
	char active[CLIENT_OFFER_MAX];
	snprintf(active, sizeof active, "%s", offer);
	char *setup = strstr(active, "a=setup:actpass");
	assert_non_null(setup);
	memcpy(setup, "a=setup:active\r\n", 16);
	memmove(setup + 16, setup + 17, strlen(setup + 17) + 1);
	assert_int_equal(client_accept_offer(b, active, strlen(active), answer, sizeof answer,
					     &answer_len, now_ms()),
			 CLIENT_ERR_ANSWER);
	assert_int_equal(client_state(b), CLIENT_NEW);
	assert_int_equal(
	    client_accept_offer(b, offer, offer_len, answer, 64, &answer_len, now_ms()),
	    CLIENT_ERR_SPACE);
	assert_int_equal(
	    client_accept_offer(b, offer, offer_len, answer, sizeof answer, &answer_len, now_ms()),
	    CLIENT_OK);
	assert_int_equal(
	    client_accept_offer(b, offer, offer_len, answer, sizeof answer, &answer_len, now_ms()),
	    CLIENT_ERR_STATE);
	assert_int_equal(client_accept_offer(NULL, offer, offer_len, answer, sizeof answer,
					     &answer_len, now_ms()),
			 CLIENT_ERR_PARAM);
	assert_int_equal(client_local_candidate(b, answer, 8), CLIENT_ERR_SPACE);
	client_destroy(a);
	client_destroy(b);
}

static int group_setup(void **state)
{
	(void)state;
	return dtls_context_create(&ctx_a) == DTLS_OK && dtls_context_create(&ctx_b) == DTLS_OK
		   ? 0
		   : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	dtls_context_destroy(ctx_a);
	dtls_context_destroy(ctx_b);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_agents_connect_both_ways),
	    cmocka_unit_test(test_offer_candidate_and_client_receive),
	    cmocka_unit_test(test_unauthenticated_check_ignored),
	    cmocka_unit_test(test_accept_offer_refusals),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
