/*
 * client_dtls -- the DTLS handshake, keying SRTP once ICE and DTLS are both done, and
 * audio sent and received under SRTP.
 */
#include "support/client_internal.h"

#include <string.h>

#include "media/wire/demux.h"
#include "media/wire/rtp.h"

void client_flush_dtls(struct client *c)
{
	size_t len;
	while (c->dtls && dtls_session_take(c->dtls, c->tx, sizeof c->tx, &len) == DTLS_OK &&
	       len > 0)
		(void)client_send_to_server(c, c->tx, len);
}

/* HANDSHAKING -> CONNECTED once ICE and DTLS are both done, whichever finished last. */
void client_key_srtp_when_done(struct client *c)
{
	if (c->state != CLIENT_HANDSHAKING || dtls_session_state(c->dtls) != DTLS_STATE_CONNECTED)
		return;
	struct dtls_srtp_keys keys;
	bool ok = dtls_session_srtp_keys(c->dtls, &keys) == DTLS_OK &&
		  media_srtp_create(&keys, &c->srtp) == MEDIA_SRTP_OK;
	memset(&keys, 0, sizeof keys);
	client_set_state(c, ok ? CLIENT_CONNECTED : CLIENT_FAILED);
}

/* The DTLS client speaks first once the pair is selected: at once when we nominate it,
 * else when the controlling peer has (RFC 8445 sect. 8.1.1). A full agent such as Janus
 * drops DTLS that comes before it selected a pair, and a ClientHello lost that way costs a
 * whole retransmission timeout (1 s). */
void client_start_dtls_when_selected(struct client *c, uint64_t now_ms)
{
	if (c->state != CLIENT_HANDSHAKING || c->dtls_role != DTLS_ROLE_CLIENT || c->dtls_started ||
	    (c->role == STUN_ROLE_CONTROLLED && !c->nominated))
		return;
	c->dtls_started = true;
	if (dtls_session_start(c->dtls, now_ms) != DTLS_OK)
		client_set_state(c, CLIENT_FAILED);
	client_flush_dtls(c);
}

void client_on_dtls(struct client *c, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	/* A DTLS server may hear the ClientHello before the answer to its own check. */
	bool early = c->state == CLIENT_CHECKING && c->dtls_role == DTLS_ROLE_SERVER;
	if (c->dtls == NULL || (c->state < CLIENT_HANDSHAKING && !early))
		return;
	enum dtls_err err = dtls_session_feed(c->dtls, buf, len, now_ms);
	client_flush_dtls(c);
	if (err != DTLS_OK && err != DTLS_ERR_MALFORMED && err != DTLS_ERR_NOT_DTLS) {
		client_set_state(c, CLIENT_FAILED);
		return;
	}
	client_key_srtp_when_done(c);
}

void client_on_srtp(struct client *c, enum demux_kind kind, uint8_t *buf, size_t len)
{
	size_t plain;
	if (c->srtp == NULL)
		return;
	if (kind == DEMUX_RTCP) {
		if (media_srtp_unprotect_rtcp(c->srtp, buf, len, &plain) == MEDIA_SRTP_OK)
			c->stats.rtcp_received++;
		else
			c->stats.srtp_errors++;
		return;
	}
	struct rtp_header h;
	if (media_srtp_unprotect_rtp(c->srtp, buf, len, &plain) != MEDIA_SRTP_OK) {
		c->stats.srtp_errors++;
		return;
	}
	c->stats.rtp_received++;
	if (rtp_parse(buf, plain, &h) != RTP_OK)
		return;
	c->stats.remote_ssrc = h.ssrc;
	if (c->on_audio)
		c->on_audio(c->on_audio_ctx, &h);
}

enum client_err client_send_audio(struct client *c, const uint8_t *payload, size_t len,
				  uint32_t timestamp, uint8_t level, bool voice)
{
	if (c == NULL || (payload == NULL && len))
		return CLIENT_ERR_PARAM;
	if (c->state != CLIENT_CONNECTED || !c->send)
		return CLIENT_ERR_STATE;
	if (len > MAX_PAYLOAD || level > 127)
		return CLIENT_ERR_SPACE;
	struct rtp_build b = {.payload_type = c->opus_pt,
			      .seq = c->seq++,
			      .timestamp = timestamp,
			      .ssrc = c->ssrc,
			      .audio_level_id = c->audio_level_id,
			      .voice = voice,
			      .level = level};
	size_t hl, out;
	if (rtp_build_header(c->tx, sizeof c->tx, &b, &hl) != RTP_OK)
		return CLIENT_ERR_SPACE;
	if (len)
		memcpy(c->tx + hl, payload, len);
	if (media_srtp_protect_rtp(c->srtp, c->tx, hl + len, sizeof c->tx, &out) != MEDIA_SRTP_OK)
		return CLIENT_ERR_CRYPTO;
	memcpy(c->last, c->tx, out);
	c->last_len = out;
	if (!client_send_to_server(c, c->tx, out))
		return CLIENT_ERR_SEND;
	c->stats.rtp_sent++;
	return CLIENT_OK;
}
