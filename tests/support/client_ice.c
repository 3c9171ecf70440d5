/*
 * client_ice -- the client's connectivity checks (RFC 8445): its own Binding requests,
 * the answers to them, and the answers it gives a full agent's checks.
 */
#include "support/client_internal.h"

#include <string.h>

#include "media/net/udp.h"

/* NEW -> CHECKING: the first check is due at once (if we know where to send it). */
void client_start_checks(struct client *c, uint64_t now_ms)
{
	c->next_check_ms = now_ms;
	c->check_deadline_ms = now_ms + CLIENT_CHECK_TIMEOUT_MS;
	client_set_state(c, CLIENT_CHECKING);
}

void client_send_check(struct client *c)
{
	if (!client_random_bytes(c->tid, sizeof c->tid))
		return;
	struct stun_binding_request req = {.username = c->username,
					   .priority = CHECK_PRIORITY,
					   .role = c->role,
					   .tie_breaker = c->tie_breaker,
					   .use_candidate = c->role == STUN_ROLE_CONTROLLING,
					   .key = (const uint8_t *)c->remote_pwd,
					   .key_len = strlen(c->remote_pwd)};
	memcpy(req.tid, c->tid, sizeof req.tid);
	size_t len;
	if (stun_build_binding_request(c->tx, sizeof c->tx, &req, &len) == STUN_OK &&
	    client_send_to_server(c, c->tx, len))
		c->stats.stun_requests++;
}

/* The answer to our own check: the pair works, so DTLS may begin (the server side waits
 * for the peer's ClientHello, or has already had it). */
static void on_check_response(struct client *c, const uint8_t *buf, size_t len,
			      const struct stun_msg *msg, uint64_t now_ms)
{
	if (memcmp(msg->tid, c->tid, sizeof c->tid) != 0 ||
	    stun_check_integrity(buf, len, msg, (const uint8_t *)c->remote_pwd,
				 strlen(c->remote_pwd)) != STUN_OK)
		return;
	c->stats.stun_responses++;
	if (c->state != CLIENT_CHECKING)
		return;
	client_set_state(c, CLIENT_HANDSHAKING);
	c->next_check_ms = now_ms + CLIENT_CONSENT_MS;
	client_start_dtls_when_selected(c, now_ms);
	client_key_srtp_when_done(c);
}

/* USERNAME "our-ufrag:their-ufrag" (RFC 8445 sect. 7.2.2). */
static bool check_is_for_us(const struct client *c, const struct stun_msg *msg)
{
	const uint8_t *ours, *theirs;
	size_t ours_len, theirs_len;
	return stun_username_split(msg, &ours, &ours_len, &theirs, &theirs_len) &&
	       ours_len == strlen(c->ufrag) && memcmp(ours, c->ufrag, ours_len) == 0 &&
	       theirs_len == strlen(c->remote_ufrag) &&
	       memcmp(theirs, c->remote_ufrag, theirs_len) == 0;
}

/* A full agent's check (RFC 8445 sect. 7.3): answered with its source as
 * XOR-MAPPED-ADDRESS under our password. Without a candidate from the offer, the first
 * one that authenticates tells us where the peer is (a peer-reflexive candidate), and our
 * own checks start towards it. */
static void on_check(struct client *c, const uint8_t *buf, size_t len, const struct stun_msg *msg,
		     const struct stun_addr *from, uint64_t now_ms)
{
	if (c->state == CLIENT_NEW || c->state == CLIENT_FAILED || !check_is_for_us(c, msg) ||
	    stun_check_integrity(buf, len, msg, (const uint8_t *)c->pwd, strlen(c->pwd)) != STUN_OK)
		return;
	size_t n;
	if (stun_build_binding_success(c->tx, sizeof c->tx, msg->tid, from, (const uint8_t *)c->pwd,
				       strlen(c->pwd), &n) != STUN_OK ||
	    !udp_send(c->fd, c->family, from, c->tx, n))
		return;
	c->stats.stun_answered++;
	if (!c->have_server) {
		c->server = *from;
		c->have_server = true;
		c->next_check_ms = now_ms;
	}
	if (msg->use_candidate && c->role == STUN_ROLE_CONTROLLED) {
		c->nominated = true;
		client_start_dtls_when_selected(c, now_ms);
	}
}

void client_on_stun(struct client *c, const uint8_t *buf, size_t len, const struct stun_addr *from,
		    uint64_t now_ms)
{
	struct stun_msg msg;
	if (stun_parse(buf, len, &msg) != STUN_OK ||
	    stun_check_fingerprint(buf, len, &msg) != STUN_OK)
		return;
	if (msg.type == STUN_BINDING_REQUEST)
		on_check(c, buf, len, &msg, from, now_ms);
	else if (msg.type == STUN_BINDING_SUCCESS && c->have_server)
		on_check_response(c, buf, len, &msg, now_ms);
}
