/* End-to-end tests of the media transport: media_create runs real workers on loopback and
 * tests/support/client.c connects to them over UDP -- ICE-lite checks, the DTLS handshake, SRTP
 * keys -- and sends RTP that the server counts with no SRTP errors; echo mode sends it
 * back and the client decrypts it. Also: replays refused, recvonly peers, closing (the
 * close_notify reaches the client), statistics, refused offers, and the memory a
 * connected peer costs the server. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Sanitizers replace malloc, and mallinfo2 then knows nothing: measure only without. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(PLENARY_SANITIZED) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MEASURE_HEAP 0
#else
#define MEASURE_HEAP 1
#endif

#include "media/media.h"
#include "media/peer_loop.h"
#include "support/client.h"

#define WORKERS 2
#define ROOM	"transport-room"

static struct media *media;
static struct peer_loop loop;

/* The loop runs the current media (test_certificate_rotation swaps in its own). */
static struct peer_loop *cur(void)
{
	loop.media[0] = media;
	loop.n_media = 1;
	return &loop;
}

/* Runs the clients and the media event loop for up to ms, or until done(arg) is true. */
static bool pump(struct client **clients, size_t n, unsigned ms, bool (*done)(void *), void *arg)
{
	return peer_pump(cur(), clients, n, ms, done, arg);
}

/* Makes a client, offers and gives it the answer; nothing is sent yet. */
static struct media_peer *offer_client(struct client **out, struct peer_slot *slot, bool send,
				       const char *room)
{
	struct peer_offer o = {.room = room, .send = send, .may_send = true};
	return peer_offer_client(cur(), &o, out, slot);
}

/* Makes a client, offers, answers, and runs until both ends say connected. */
static struct media_peer *connect_client(struct client **out, struct peer_slot *slot, bool send,
					 const char *room)
{
	struct peer_offer o = {.room = room, .send = send, .may_send = true};
	return peer_connect(cur(), &o, out, slot);
}

static int group_setup(void **state)
{
	(void)state;
	/* One malloc arena, so mallinfo2 sees what the worker threads allocate too. */
	mallopt(M_ARENA_MAX, 1);
	struct media_options opt = {.workers = WORKERS, .bind_ip = "127.0.0.1", .echo = true};
	char why[256];
	if (media_create(&opt, &media, why, sizeof why) != MEDIA_OK) {
		print_message("media_create: %s\n", why);
		return -1;
	}
	return dtls_context_create(&loop.client_ctx) == DTLS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	media_destroy(media);
	dtls_context_destroy(loop.client_ctx);
	return 0;
}

struct counted {
	uint64_t want;
	struct client *c;
};

static bool server_received(void *arg)
{
	struct counted *k = arg;
	struct media_stats st;
	media_stats_read(media, &st);
	return st.rtp_packets_received >= k->want;
}

static bool server_sent(void *arg)
{
	struct counted *k = arg;
	struct media_stats st;
	media_stats_read(media, &st);
	return st.rtp_packets_sent >= k->want;
}

static bool client_received(void *arg)
{
	struct counted *k = arg;
	struct client_stats cs;
	client_stats(k->c, &cs);
	return cs.rtp_received >= k->want;
}

static void send_audio(struct client *c, int n, uint32_t *ts)
{
	uint8_t opus[60];
	for (int i = 0; i < n; i++) {
		memset(opus, (uint8_t)i, sizeof opus);
		assert_int_equal(client_send_audio(c, opus, sizeof opus, *ts, 30, true), CLIENT_OK);
		*ts += 960;
	}
}

static void close_and_wait(struct media_peer *peer, struct client *c)
{
	media_peer_close(peer);
	pump(&c, 1, 50, NULL, NULL);
}

static void test_connect_send_echo(void **state)
{
	(void)state;
	struct media_stats before, after;
	media_stats_read(media, &before);
	struct client *c;
	struct peer_slot slot;
	struct media_peer *peer = connect_client(&c, &slot, true, ROOM);
	media_stats_read(media, &after);
	assert_int_equal(after.peers_connected, before.peers_connected + 1);
	struct client_stats cs;
	client_stats(c, &cs);
	assert_int_equal(cs.profile, DTLS_SRTP_AEAD_AES_128_GCM);

	uint32_t ts = 1000;
	send_audio(c, 50, &ts);
	struct counted k = {before.rtp_packets_received + 50, c};
	assert_true(pump(&c, 1, 3000, server_received, &k));
	media_stats_read(media, &after);
	assert_int_equal(after.srtp_errors, before.srtp_errors);

	/* Echo: all 50 come back, under the SSRC of the answer, and authenticate. */
	k.want = 50;
	assert_true(pump(&c, 1, 3000, client_received, &k));
	client_stats(c, &cs);
	assert_int_equal(cs.srtp_errors, 0);
	char want[32];
	snprintf(want, sizeof want, "a=ssrc:%u ", cs.remote_ssrc);
	assert_non_null(strstr(loop.answer, want));
	/* The worker counts a packet just after sending it: wait for the count too. */
	k.want = before.rtp_packets_sent + 50;
	assert_true(pump(&c, 1, 3000, server_sent, &k));
	close_and_wait(peer, c);
	client_destroy(c);
}

static bool srtp_error_seen(void *arg)
{
	uint64_t *want = arg;
	struct media_stats st;
	media_stats_read(media, &st);
	return st.srtp_errors >= *want;
}

static int64_t fake_now_s = 1700000000;

static int64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now_s;
}

/* The DTLS certificate rotated under a fake clock: an answer given before the rotation
 * named the old certificate, and its handshake, which starts only afterwards, still
 * completes with it (the peer's session keeps the old context alive); answers from the
 * rotation on name the new one, whose handshakes complete too. Audio then flows on both. */
static void test_certificate_rotation(void **state)
{
	(void)state;
	struct media *saved = media;
	struct media_options opt = {.workers = 1, .bind_ip = "127.0.0.1", .clock_s = fake_clock};
	char why[256], old_fp[128], old_line[160];
	assert_int_equal(media_create(&opt, &media, why, sizeof why), MEDIA_OK);
	snprintf(old_fp, sizeof old_fp, "%s", media_fingerprint(media));
	snprintf(old_line, sizeof old_line, "a=fingerprint:%s\r\n", old_fp);
	struct client *c[3];
	struct peer_slot slot[3];
	struct media_peer *peer[3];
	peer[0] = offer_client(&c[0], &slot[0], true, "rotate");
	assert_non_null(strstr(loop.answer, old_line));
	fake_now_s += MEDIA_CERT_ROTATE_S - 1; /* not yet */
	peer[1] = offer_client(&c[1], &slot[1], true, "rotate");
	assert_non_null(strstr(loop.answer, old_line));
	fake_now_s += 1;
	peer[2] = offer_client(&c[2], &slot[2], true, "rotate");
	assert_string_not_equal(media_fingerprint(media), old_fp);
	assert_null(strstr(loop.answer, old_line));
	char new_line[160];
	snprintf(new_line, sizeof new_line, "a=fingerprint:%s\r\n", media_fingerprint(media));
	assert_non_null(strstr(loop.answer, new_line));
	for (int i = 0; i < 3; i++) {
		struct peer_connecting k = {c[i], &slot[i]};
		assert_true(pump(&c[i], 1, 10000, peer_connected, &k));
	}
	uint32_t ts = 1000;
	for (int i = 0; i < 3; i++)
		send_audio(c[i], 10, &ts);
	struct counted k = {30, NULL};
	assert_true(pump(c, 3, 3000, server_received, &k));
	struct media_stats st;
	media_stats_read(media, &st);
	assert_int_equal(st.srtp_errors, 0);
	for (int i = 0; i < 3; i++) {
		close_and_wait(peer[i], c[i]);
		client_destroy(c[i]);
	}
	media_destroy(media);
	media = saved;
}

static void test_replay_and_forgery_refused(void **state)
{
	(void)state;
	struct client *c;
	struct peer_slot slot;
	struct media_peer *peer = connect_client(&c, &slot, true, ROOM);
	struct media_stats before;
	media_stats_read(media, &before);
	uint32_t ts = 0;
	send_audio(c, 1, &ts);
	struct counted first = {before.rtp_packets_received + 1, c};
	assert_true(pump(&c, 1, 3000, server_received, &first));
	media_stats_read(media, &before);
	uint8_t pkt[2048];
	size_t len = client_last_sent(c, pkt, sizeof pkt);
	assert_true(len > 12);
	assert_int_equal(client_send_raw(c, pkt, len), CLIENT_OK); /* a replay */
	pkt[len - 1] ^= 1;					   /* a forgery */
	pkt[3] ^= 0x55;
	assert_int_equal(client_send_raw(c, pkt, len), CLIENT_OK);
	uint64_t want = before.srtp_errors + 2;
	assert_true(pump(&c, 1, 2000, srtp_error_seen, &want));
	struct media_stats after;
	media_stats_read(media, &after);
	assert_int_equal(after.rtp_packets_received, before.rtp_packets_received);
	assert_int_equal(slot.state, MEDIA_STATE_CONNECTED);
	close_and_wait(peer, c);
	client_destroy(c);
}

static bool client_failed(void *arg)
{
	return client_state(arg) == CLIENT_FAILED;
}

static void test_recvonly_and_close_notify(void **state)
{
	(void)state;
	struct client *c;
	struct peer_slot slot;
	struct media_peer *peer = connect_client(&c, &slot, false, ROOM);
	assert_non_null(strstr(loop.answer, "a=sendonly\r\n"));
	int events = slot.events;
	/* The peer never sent SRTP, so the server still has its SSL object and says
	 * goodbye with a close_notify; the handle gets no more events. */
	media_peer_close(peer);
	assert_true(pump(&c, 1, 2000, client_failed, c));
	assert_int_equal(slot.events, events);
	client_destroy(c);
}

struct published {
	struct media_peer *peer;
	uint64_t want;
};

static bool stats_published(void *arg)
{
	struct published *k = arg;
	struct media_peer_stats ps;
	media_peer_stats(k->peer, &ps);
	return ps.packets_received >= k->want && ps.packets_sent >= k->want;
}

static void test_peer_stats(void **state)
{
	(void)state;
	struct client *c;
	struct peer_slot slot;
	struct media_peer *peer = connect_client(&c, &slot, true, "stats-room");
	media_peer_mic(peer, true);
	uint32_t ts = 0;
	send_audio(c, 20, &ts);
	struct published k = {peer, 20};
	assert_true(pump(&c, 1, 3000, stats_published, &k));
	struct media_peer_stats ps;
	media_peer_stats(peer, &ps);
	assert_int_equal(ps.state, MEDIA_STATE_CONNECTED);
	assert_int_equal(ps.srtp_errors, 0);
	assert_int_equal(ps.packets_lost, 0);
	assert_int_equal(ps.audio_level, 30);
	assert_true(ps.voice);
	close_and_wait(peer, c);
	client_destroy(c);
}

static void test_refused_offers(void **state)
{
	(void)state;
	static const char garbage[] = "v=0\r\nthis is not SDP\r\n";
	struct media_offer mo = {
	    .room = ROOM, .sdp = garbage, .sdp_len = sizeof garbage - 1, .may_send = true};
	struct media_peer *peer = NULL;
	size_t len;
	char why[256];
	assert_int_equal(media_peer_offer(media, &mo, loop.answer, sizeof loop.answer, &len, &peer,
					  why, sizeof why),
			 MEDIA_ERR_SDP);
	assert_null(peer);
	assert_non_null(strstr(why, "SDP line 2"));

	struct client *c;
	struct client_options co = {.dtls = loop.client_ctx, .send = true};
	assert_int_equal(client_create(&co, &c), CLIENT_OK);
	char offer[CLIENT_OFFER_MAX];
	assert_int_equal(client_offer(c, offer, sizeof offer, &mo.sdp_len), CLIENT_OK);
	mo.sdp = offer;
	mo.may_send = false;
	assert_int_equal(media_peer_offer(media, &mo, loop.answer, sizeof loop.answer, &len, &peer,
					  why, sizeof why),
			 MEDIA_ERR_FORBIDDEN);
	assert_null(peer);
	mo.may_send = true;
	assert_int_equal(
	    media_peer_offer(media, &mo, loop.answer, 100, &len, &peer, why, sizeof why),
	    MEDIA_ERR_PARAM); /* answer buffer too small */
	client_destroy(c);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

struct all_gone {
	struct client **clients;
	size_t n;
};

static bool everyone_connected(void *arg)
{
	struct all_gone *k = arg;
	struct media_stats st;
	media_stats_read(media, &st);
	for (size_t i = 0; i < k->n; i++)
		if (client_state(k->clients[i]) != CLIENT_CONNECTED)
			return false;
	return st.peers_connected >= k->n;
}

/* The server's cost of a connected listener once its SSL object is gone: connect N
 * clients, let each send one packet (which releases the SSL), then close the server's
 * peers and see how much heap comes back. */
static void test_memory_per_peer(void **state)
{
	(void)state;
	enum { N = 40 };
	struct client *clients[N];
	struct peer_slot slots[N];
	struct media_peer *peers[N];
	for (size_t i = 0; i < N; i++)
		peers[i] = connect_client(&clients[i], &slots[i], true, "memory-room");
	struct all_gone k = {clients, N};
	assert_true(pump(clients, N, 5000, everyone_connected, &k));
	uint32_t ts = 0;
	for (size_t i = 0; i < N; i++)
		send_audio(clients[i], 1, &ts);
	pump(clients, N, 300, NULL, NULL);
	size_t connected = heap_in_use();
	for (size_t i = 0; i < N; i++)
		media_peer_close(peers[i]);
	pump(clients, N, 300, NULL, NULL);
	size_t closed = heap_in_use();
#if MEASURE_HEAP
	print_message("server memory per connected peer (SSL released): %zu bytes\n",
		      (connected - closed) / N);
	assert_true(connected > closed);
	assert_true((connected - closed) / N < 16384);
#else
	(void)connected;
	(void)closed;
#endif
	for (size_t i = 0; i < N; i++)
		client_destroy(clients[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect_send_echo),
	    cmocka_unit_test(test_certificate_rotation),
	    cmocka_unit_test(test_replay_and_forgery_refused),
	    cmocka_unit_test(test_recvonly_and_close_notify),
	    cmocka_unit_test(test_peer_stats),
	    cmocka_unit_test(test_refused_offers),
	    cmocka_unit_test(test_memory_per_peer),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
