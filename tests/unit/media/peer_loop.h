/*
 * media/peer_loop.h -- the transport tests' loop: real media objects (workers on
 * loopback) and support clients playing the browsers, run together on the test's thread
 * until a condition holds or a deadline passes. Used by test_transport.c, test_relay.c
 * and net/test_tcp.c.
 */
#ifndef PLENARY_TEST_MEDIA_PEER_LOOP_H
#define PLENARY_TEST_MEDIA_PEER_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"
#include "support/client.h"

#define PEER_LOOP_MEDIA	  2
#define PEER_LOOP_CLIENTS 64

/* A peer's user pointer: its last state and how many state events it had. */
struct peer_slot {
	enum media_state state;
	int events;
};

struct peer_loop {
	struct media *media[PEER_LOOP_MEDIA]; /* the nodes whose events the loop dispatches */
	size_t n_media;
	struct media_callbacks cb; /* a NULL .state is peer_loop_on_state */
	struct dtls_context *client_ctx;
	char answer[MEDIA_ANSWER_MAX]; /* the last offer's answer */
	size_t answer_len;
};

/* What a client offers, and to which node. */
struct peer_offer {
	struct media *m; /* NULL: the loop's first */
	const char *room, *pid;
	bool send;     /* the client sends audio */
	bool may_send; /* the offer's permission */
	bool tcp;      /* the client connects over ICE-TCP */
};

uint64_t peer_now_ms(void);
/* The state callback: records the state in the peer's struct peer_slot. */
void peer_loop_on_state(void *ctx, void *user, enum media_state state);
/* Runs the clients and the nodes' event loops until done(arg) (true) or ms passed (true
 * only when done is NULL). */
bool peer_pump(struct peer_loop *l, struct client **clients, size_t n, unsigned ms,
	       bool (*done)(void *), void *arg);
/* c's offer, answered by the node into l->answer; the client is not given the answer. */
struct media_peer *peer_offer(struct peer_loop *l, const struct peer_offer *o, struct client *c,
			      struct peer_slot *slot);
/* A new client, offered and given the answer; nothing is sent yet. */
struct media_peer *peer_offer_client(struct peer_loop *l, const struct peer_offer *o,
				     struct client **out, struct peer_slot *slot);
/* A pump's condition: the client and the node's peer both say connected. */
struct peer_connecting {
	struct client *c;
	struct peer_slot *slot;
};
bool peer_connected(void *connecting);
/* The same, run until both ends say connected. */
struct media_peer *peer_connect(struct peer_loop *l, const struct peer_offer *o,
				struct client **out, struct peer_slot *slot);

#endif
