/*
 * peer -- the state machine of peer.h and the DTLS half of a peer: creation on the gateway
 * thread, nomination, the handshake, SRTP keying, timers and closing. SRTP, RTP and RTCP
 * of a connected peer are in peer_media.c.
 *
 * Why the handshake has two timeouts. dtls.c times the handshake from its first datagram
 * (20 s), but a browser that nominates a pair and then never sends a ClientHello would
 * leave the DTLS session waiting forever, so the peer gives the whole of HANDSHAKING
 * PEER_HANDSHAKE_TIMEOUT_MS from nomination.
 *
 * Why the SSL object is released on the first authentic SRTP or SRTCP packet and not at
 * CONNECTED: our Finished may be lost, and only the SSL object can answer the browser's
 * retransmitted flight. A packet protected with the exported keys proves the browser
 * verified our Finished (dtls.h), so from then on the ~tens of kilobytes can go.
 */
#include "media/net/peer.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* allowed[from] is a bit set of the states `from` may move to. */
static const unsigned allowed[PEER_STATE_COUNT] = {
    [PEER_NEW] = 1u << PEER_HANDSHAKING | 1u << PEER_FAILED | 1u << PEER_CLOSED,
    [PEER_HANDSHAKING] = 1u << PEER_CONNECTED | 1u << PEER_FAILED | 1u << PEER_CLOSED,
    [PEER_CONNECTED] = 1u << PEER_FAILED | 1u << PEER_CLOSED,
    [PEER_FAILED] = 0,
    [PEER_CLOSED] = 0,
};

enum media_state media_state_of(enum peer_state s)
{
	switch (s) {
	case PEER_CONNECTED:
		return MEDIA_STATE_CONNECTED;
	case PEER_FAILED:
		return MEDIA_STATE_FAILED;
	case PEER_CLOSED:
		return MEDIA_STATE_CLOSED;
	case PEER_NEW:
	case PEER_HANDSHAKING:
		break;
	}
	return MEDIA_STATE_CONNECTING;
}

static bool peer_transition_allowed(enum peer_state from, enum peer_state to)
{
	return (unsigned)from < PEER_STATE_COUNT && (unsigned)to < PEER_STATE_COUNT &&
	       (allowed[from] & (1u << to)) != 0;
}

void peer_set_state(struct peer *p, const struct peer_env *env, enum peer_state to)
{
	enum peer_state from = p->state;
	if (from == to || !peer_transition_allowed(from, to)) {
		/* Final states absorb late events (a timer racing a close); anything else
		 * is a bug in the caller. */
		assert(from == to || from == PEER_FAILED || from == PEER_CLOSED);
		return;
	}
	p->state = to;
	if (from == PEER_CONNECTED)
		atomic_fetch_sub_explicit(&env->counters->peers_connected, 1, memory_order_relaxed);
	if (to == PEER_CONNECTED)
		atomic_fetch_add_explicit(&env->counters->peers_connected, 1, memory_order_relaxed);
	if (p->shared != NULL)
		atomic_store_explicit(&p->shared->state, (uint32_t)media_state_of(to),
				      memory_order_relaxed);
	if (env->changed != NULL)
		env->changed(env->ctx, p, from);
}

static bool config_ok(const struct peer_config *cfg)
{
	return cfg != NULL && cfg->dtls != NULL && cfg->remote_fingerprint != NULL &&
	       cfg->ufrag != NULL && cfg->pwd != NULL && cfg->remote_ufrag != NULL &&
	       cfg->opus_pt >= 0 && cfg->opus_pt <= 127 && cfg->cname != NULL;
}

static void copy_config(struct peer *p, const struct peer_config *cfg)
{
	ice_peer_init(&p->ice, cfg->ufrag, cfg->pwd, cfg->remote_ufrag, cfg->now_ms);
	p->state = PEER_NEW;
	p->handle = cfg->handle;
	p->shared = cfg->shared;
	p->room_stats = cfg->room_stats;
	p->send = cfg->send;
	p->mic_open = cfg->mic_open;
	p->opus_pt = (uint8_t)cfg->opus_pt;
	p->audio_level_id = cfg->audio_level_id;
	p->local_ssrc = cfg->local_ssrc;
	snprintf(p->cname, sizeof p->cname, "%s", cfg->cname);
	snprintf(p->room, sizeof p->room, "%s", cfg->room ? cfg->room : "");
	p->rng = cfg->local_ssrc | 1u;
	p->level = 127;
	p->reported = MEDIA_STATE_CONNECTING;
}

enum media_err peer_create(const struct peer_config *cfg, struct peer **out)
{
	if (out == NULL || !config_ok(cfg))
		return MEDIA_ERR_PARAM;
	struct peer *p = calloc(1, sizeof *p);
	if (p == NULL)
		return MEDIA_ERR_NOMEM;
	base_list_init(&p->link);
	base_list_init(&p->hs_link);
	base_list_init(&p->bl_link);
	copy_config(p, cfg);
	struct dtls_session_config dc = {.role = DTLS_ROLE_SERVER,
					 .remote_fingerprint = cfg->remote_fingerprint};
	enum dtls_err derr = dtls_session_create(cfg->dtls, &dc, &p->dtls);
	if (derr != DTLS_OK) {
		free(p);
		return derr == DTLS_ERR_NOMEM	? MEDIA_ERR_NOMEM
		       : derr == DTLS_ERR_PARAM ? MEDIA_ERR_PARAM
						: MEDIA_ERR_CRYPTO;
	}
	if (p->shared != NULL)
		atomic_store_explicit(&p->shared->audio_level, 127, memory_order_relaxed);
	*out = p;
	return MEDIA_OK;
}

void peer_release(struct peer *p)
{
	if (p == NULL)
		return;
	dtls_session_destroy(p->dtls);
	p->dtls = NULL;
	media_srtp_destroy(p->srtp);
	p->srtp = NULL;
}

void peer_destroy(struct peer *p)
{
	if (p == NULL)
		return;
	peer_release(p);
	free(p);
}

/* Sends whatever the DTLS session has queued to the peer's address. */
static void flush_dtls(struct peer *p, const struct peer_env *env)
{
	if (p->dtls == NULL)
		return;
	for (;;) {
		size_t len = 0;
		if (dtls_session_take(p->dtls, env->scratch, env->scratch_cap, &len) != DTLS_OK ||
		    len == 0)
			return;
		if (p->ice.has_addr)
			env->send(env->ctx, p, env->scratch, len);
	}
}

void peer_nominated(struct peer *p, const struct peer_env *env)
{
	if (p->state != PEER_NEW)
		return; /* a new address for a running peer: ICE moved it, nothing else changes */
	p->handshake_deadline_ms = env->now_ms + PEER_HANDSHAKE_TIMEOUT_MS;
	peer_set_state(p, env, PEER_HANDSHAKING);
}

/* DTLS finished: make the SRTP session from the exported keys (RFC 5764 sect. 4.2). */
static void key_srtp(struct peer *p, const struct peer_env *env)
{
	struct dtls_srtp_keys keys;
	if (dtls_session_srtp_keys(p->dtls, &keys) != DTLS_OK ||
	    media_srtp_create(&keys, &p->srtp) != MEDIA_SRTP_OK) {
		memset(&keys, 0, sizeof keys);
		peer_set_state(p, env, PEER_FAILED);
		return;
	}
	memset(&keys, 0, sizeof keys);
	peer_media_start(p, env);
	peer_set_state(p, env, PEER_CONNECTED);
}

static void on_dtls(struct peer *p, const struct peer_env *env, const uint8_t *buf, size_t len)
{
	if (p->dtls == NULL || (p->state != PEER_HANDSHAKING && p->state != PEER_CONNECTED))
		return;
	enum dtls_state before = dtls_session_state(p->dtls);
	enum dtls_err err = dtls_session_feed(p->dtls, buf, len, env->now_ms);
	flush_dtls(p, env);
	switch (err) {
	case DTLS_OK:
		if (before != DTLS_STATE_CONNECTED &&
		    dtls_session_state(p->dtls) == DTLS_STATE_CONNECTED)
			key_srtp(p, env);
		return;
	case DTLS_ERR_PARAM:
	case DTLS_ERR_NOT_DTLS:
	case DTLS_ERR_MALFORMED:
	case DTLS_ERR_RELEASED:
	case DTLS_ERR_STATE:
		atomic_fetch_add_explicit(&env->counters->dropped, 1, memory_order_relaxed);
		return;
	case DTLS_ERR_PEER_CLOSED:
		peer_set_state(p, env, PEER_CLOSED);
		return;
	default:
		peer_set_state(p, env, PEER_FAILED);
		return;
	}
}

void peer_on_datagram(struct peer *p, const struct peer_env *env, enum demux_kind kind,
		      uint8_t *buf, size_t len)
{
	switch (kind) {
	case DEMUX_DTLS:
		on_dtls(p, env, buf, len);
		return;
	case DEMUX_RTP:
		peer_on_rtp(p, env, buf, len);
		return;
	case DEMUX_RTCP:
		peer_on_rtcp(p, env, buf, len);
		return;
	case DEMUX_STUN:
	case DEMUX_UNKNOWN:
		break;
	}
	atomic_fetch_add_explicit(&env->counters->dropped, 1, memory_order_relaxed);
}

void peer_timers(struct peer *p, const struct peer_env *env)
{
	if (p->state != PEER_HANDSHAKING)
		return;
	if (env->now_ms >= p->handshake_deadline_ms) {
		peer_set_state(p, env, PEER_FAILED);
		return;
	}
	if (env->now_ms < dtls_session_next_timeout(p->dtls))
		return;
	enum dtls_err err = dtls_session_handle_timeout(p->dtls, env->now_ms);
	flush_dtls(p, env);
	if (err != DTLS_OK)
		peer_set_state(p, env, PEER_FAILED);
}

void peer_slow_tick(struct peer *p, const struct peer_env *env)
{
	if (p->state == PEER_FAILED || p->state == PEER_CLOSED)
		return;
	/* RFC 7675 sect. 5.1: no authenticated check for 30 s means no consent to send. */
	if (ice_lite_consent_expired(&p->ice, env->now_ms)) {
		peer_set_state(p, env, PEER_FAILED);
		return;
	}
	if (p->state == PEER_CONNECTED) {
		peer_send_report(p, env);
		peer_publish(p);
	}
}

void peer_close(struct peer *p, const struct peer_env *env)
{
	p->closing = true;
	if (p->dtls != NULL && p->state == PEER_CONNECTED && !p->ssl_released &&
	    dtls_session_close(p->dtls, env->now_ms) == DTLS_OK)
		flush_dtls(p, env);
	peer_publish(p);
	peer_set_state(p, env, PEER_CLOSED);
}
