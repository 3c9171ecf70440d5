/*
 * client -- see client.h; its life, its states and its timer here, the rest in the files
 * client_internal.h names. The client is built from the same objects as the server side
 * (stun, sdp, dtls, srtp_session, rtp, rtcp, udp), used from the other end, which is also
 * what makes it a good test of them: a mistake shared by both ends would cancel out, so
 * the browser test checks the server against Chromium's stack as well.
 *
 * Trade-offs, since this is a test and load tool and not a product: one host candidate
 * (the remote description's first), aggressive nomination when controlling (every check
 * carries USE-CANDIDATE), no trickle of our own (client_local_candidate lets the caller
 * trickle), no TURN, no RTCP of its own, and the SSL object is kept for the client's life.
 *
 * The roles come from who offered (RFC 8445 sect. 6.1.1, RFC 5763 sect. 5): after
 * client_offer + client_answer we are ICE-controlling and take the DTLS role the answer's
 * a=setup leaves us (Plenary answers passive, so we are the client; Janus answers active,
 * so we are the server); after client_accept_offer we are ICE-controlled (controlling if
 * the offer says a=ice-lite) and answer a=setup:active. Either way we answer the peer's
 * own checks, which a lite server never sends and a full agent must see answered before it
 * uses the pair.
 */
#include "support/client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "media/net/udp.h"

static const char *const state_names[] = {"new", "checking", "handshaking", "connected", "failed"};

/* allowed[from]: the states `from` may move to (the diagram in client.h). */
static const unsigned allowed[] = {
    [CLIENT_NEW] = 1u << CLIENT_CHECKING | 1u << CLIENT_FAILED,
    [CLIENT_CHECKING] = 1u << CLIENT_HANDSHAKING | 1u << CLIENT_FAILED,
    [CLIENT_HANDSHAKING] = 1u << CLIENT_CONNECTED | 1u << CLIENT_FAILED,
    [CLIENT_CONNECTED] = 1u << CLIENT_FAILED,
    [CLIENT_FAILED] = 0,
};

const char *client_state_name(enum client_state s)
{
	return (unsigned)s <= CLIENT_FAILED ? state_names[s] : "unknown";
}

const char *client_strerror(enum client_err err)
{
	static const char *const names[] = {
	    [CLIENT_OK] = "ok",
	    [CLIENT_ERR_PARAM] = "invalid argument",
	    [CLIENT_ERR_NOMEM] = "out of memory",
	    [CLIENT_ERR_SYSTEM] = "the UDP socket failed",
	    [CLIENT_ERR_CRYPTO] = "cryptography failed",
	    [CLIENT_ERR_ANSWER] = "the answer is unusable",
	    [CLIENT_ERR_STATE] = "not possible in this state",
	    [CLIENT_ERR_SPACE] = "buffer too small",
	    [CLIENT_ERR_SEND] = "the datagram was not sent",
	};
	return (unsigned)err <= CLIENT_ERR_SEND ? names[err] : "unknown client error";
}

void client_set_state(struct client *c, enum client_state to)
{
	if (c->state == to || (allowed[c->state] & (1u << to)) == 0)
		return;
	c->state = to;
}

bool client_random_bytes(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1;
}

static enum client_err open_socket(struct client *c, const char *bind_ip)
{
	if (!udp_parse_ip(bind_ip ? bind_ip : "127.0.0.1", &c->local))
		return CLIENT_ERR_PARAM;
	if (udp_open(&c->local, &c->fd) != 0)
		return CLIENT_ERR_SYSTEM;
	c->family = c->local.family == STUN_IPV6 ? AF_INET6 : AF_INET;
	return CLIENT_OK;
}

enum client_err client_create(const struct client_options *opt, struct client **out)
{
	if (opt == NULL || out == NULL || opt->dtls == NULL || opt->audio_level_id > 14)
		return CLIENT_ERR_PARAM;
	struct client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return CLIENT_ERR_NOMEM;
	c->fd = -1;
	c->ctx = opt->dtls;
	c->send = opt->send;
	c->tcp = opt->tcp;
	c->audio_level_id = opt->audio_level_id ? opt->audio_level_id : 1;
	enum client_err err = open_socket(c, opt->bind_ip);
	if (err == CLIENT_OK && (!ice_make_credentials(c->ufrag, c->pwd) ||
				 !client_random_bytes(&c->ssrc, sizeof c->ssrc) ||
				 !client_random_bytes(&c->seq, sizeof c->seq) ||
				 !client_random_bytes(&c->tie_breaker, sizeof c->tie_breaker) ||
				 media_srtp_global_init() != MEDIA_SRTP_OK))
		err = CLIENT_ERR_CRYPTO;
	if (err != CLIENT_OK) {
		client_destroy(c);
		return err;
	}
	memcpy(c->cname, c->ufrag, sizeof c->cname);
	*out = c;
	return CLIENT_OK;
}

void client_destroy(struct client *c)
{
	if (c == NULL)
		return;
	dtls_session_destroy(c->dtls);
	media_srtp_destroy(c->srtp);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int client_fd(const struct client *c)
{
	return c->fd;
}

enum client_state client_state(const struct client *c)
{
	return c->state;
}

void client_on_audio(struct client *c, client_audio_fn fn, void *ctx)
{
	c->on_audio = fn;
	c->on_audio_ctx = ctx;
}

void client_stats(const struct client *c, struct client_stats *out)
{
	*out = c->stats;
	out->profile = c->srtp ? media_srtp_profile(c->srtp) : DTLS_SRTP_NONE;
}

size_t client_last_sent(const struct client *c, uint8_t *buf, size_t cap)
{
	if (c->last_len == 0 || c->last_len > cap)
		return 0;
	memcpy(buf, c->last, c->last_len);
	return c->last_len;
}

void client_tick(struct client *c, uint64_t now_ms)
{
	if (c->state == CLIENT_NEW || c->state == CLIENT_FAILED)
		return;
	if (c->state == CLIENT_CHECKING && now_ms >= c->check_deadline_ms) {
		client_set_state(c, CLIENT_FAILED);
		return;
	}
	if (c->have_server && now_ms >= c->next_check_ms) {
		client_send_check(c);
		c->next_check_ms = now_ms + (c->state == CLIENT_CHECKING ? CLIENT_CHECK_INTERVAL_MS
									 : CLIENT_CONSENT_MS);
	}
	if (c->state == CLIENT_HANDSHAKING && now_ms >= dtls_session_next_timeout(c->dtls)) {
		if (dtls_session_handle_timeout(c->dtls, now_ms) != DTLS_OK)
			client_set_state(c, CLIENT_FAILED);
		client_flush_dtls(c);
	}
}

uint64_t client_next_timeout(const struct client *c)
{
	if (c->state == CLIENT_NEW || c->state == CLIENT_FAILED)
		return UINT64_MAX;
	uint64_t t = c->have_server ? c->next_check_ms : c->check_deadline_ms;
	if (c->state == CLIENT_HANDSHAKING) {
		uint64_t d = dtls_session_next_timeout(c->dtls);
		if (d < t)
			t = d;
	}
	return t;
}
