/*
 * media/peer_loop.c -- see peer_loop.h.
 */
#include "media/peer_loop.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

uint64_t peer_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void peer_loop_on_state(void *ctx, void *user, enum media_state state)
{
	(void)ctx;
	struct peer_slot *s = user;
	s->state = state;
	s->events++;
}

static void peer_step(struct peer_loop *l, struct client **clients, size_t n)
{
	struct pollfd fds[PEER_LOOP_CLIENTS + PEER_LOOP_MEDIA];
	for (size_t i = 0; i < n; i++)
		fds[i] = (struct pollfd){.fd = client_fd(clients[i]), .events = POLLIN};
	for (size_t i = 0; i < l->n_media; i++)
		fds[n + i] = (struct pollfd){.fd = media_event_fd(l->media[i]), .events = POLLIN};
	(void)poll(fds, n + l->n_media, 5);
	uint64_t now = peer_now_ms();
	for (size_t i = 0; i < n; i++) {
		client_input(clients[i], now);
		if (now >= client_next_timeout(clients[i]))
			client_tick(clients[i], now);
	}
	struct media_callbacks cb = l->cb;
	if (!cb.state)
		cb.state = peer_loop_on_state;
	for (size_t i = 0; i < l->n_media; i++)
		media_dispatch_all(l->media[i], &cb, NULL);
}

bool peer_pump(struct peer_loop *l, struct client **clients, size_t n, unsigned ms,
	       bool (*done)(void *), void *arg)
{
	assert_true(n <= PEER_LOOP_CLIENTS && l->n_media <= PEER_LOOP_MEDIA);
	uint64_t end = peer_now_ms() + ms;
	for (;;) {
		if (done && done(arg))
			return true;
		if (peer_now_ms() >= end)
			return done == NULL;
		peer_step(l, clients, n);
	}
}

struct media_peer *peer_offer(struct peer_loop *l, const struct peer_offer *o, struct client *c,
			      struct peer_slot *slot)
{
	char sdp[CLIENT_OFFER_MAX];
	size_t sdp_len;
	assert_int_equal(client_offer(c, sdp, sizeof sdp, &sdp_len), CLIENT_OK);
	struct media_offer mo = {.room = o->room,
				 .sdp = sdp,
				 .sdp_len = sdp_len,
				 .may_send = o->may_send,
				 .user = slot,
				 .pid = o->pid};
	struct media_peer *peer;
	char why[256] = "";
	*slot = (struct peer_slot){.state = MEDIA_STATE_CONNECTING};
	enum media_err err =
	    media_peer_offer(o->m ? o->m : l->media[0], &mo, l->answer, sizeof l->answer,
			     &l->answer_len, &peer, why, sizeof why);
	if (err != MEDIA_OK)
		print_message("offer refused: %s\n", why);
	assert_int_equal(err, MEDIA_OK);
	assert_int_equal(strlen(l->answer), l->answer_len);
	return peer;
}

struct media_peer *peer_offer_client(struct peer_loop *l, const struct peer_offer *o,
				     struct client **out, struct peer_slot *slot)
{
	struct client_options co = {.dtls = l->client_ctx, .send = o->send, .tcp = o->tcp};
	assert_int_equal(client_create(&co, out), CLIENT_OK);
	struct media_peer *peer = peer_offer(l, o, *out, slot);
	assert_int_equal(client_answer(*out, l->answer, l->answer_len, peer_now_ms()), CLIENT_OK);
	return peer;
}

bool peer_connected(void *arg)
{
	struct peer_connecting *k = arg;
	return client_state(k->c) == CLIENT_CONNECTED && k->slot->state == MEDIA_STATE_CONNECTED;
}

struct media_peer *peer_connect(struct peer_loop *l, const struct peer_offer *o,
				struct client **out, struct peer_slot *slot)
{
	struct media_peer *peer = peer_offer_client(l, o, out, slot);
	struct peer_connecting k = {*out, slot};
	assert_true(peer_pump(l, out, 1, 10000, peer_connected, &k));
	return peer;
}
