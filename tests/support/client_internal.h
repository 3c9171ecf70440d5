/*
 * The client's own struct and what its files share: client.c (life, states, the timer),
 * client_sdp.c (offer and answer), client_ice.c (connectivity checks), client_dtls.c
 * (DTLS and SRTP) and client_io.c (the socket or the ICE-TCP stream). Nothing here is
 * for the client's callers, who see only client.h.
 */
#ifndef PLENARY_SUPPORT_CLIENT_INTERNAL_H
#define PLENARY_SUPPORT_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/secure/ice_lite.h"
#include "media/secure/srtp_session.h"
#include "media/wire/demux.h"
#include "media/wire/rfc4571.h"
#include "media/wire/sdp.h"
#include "media/wire/stun.h"
#include "support/client.h"

#define BUF_SIZE	2048
#define MAX_PAYLOAD	1000
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define CHECK_PRIORITY	((110u << 24) | (65535u << 8) | 255u) /* a prflx-like priority */
#define HOST_PRIORITY	((126u << 24) | (65535u << 8) | 255u) /* RFC 8445 5.1.2.1, host */
/* A browser's first DTLS retransmission: Chromium uses twice the ICE RTT, at least 50 ms;
 * OpenSSL's 1 s default would make a flight lost at a full agent's start cost a second. */
#define CLIENT_DTLS_RTO_MS 100

struct client {
	enum client_state state;
	int fd, family;
	struct dtls_context *ctx;
	struct dtls_session *dtls;
	struct media_srtp *srtp;
	enum stun_role role;	  /* ours: CONTROLLING after an offer, CONTROLLED after an answer */
	enum dtls_role dtls_role; /* ours */
	bool have_server;	  /* the peer's address is known (a candidate, or a check) */
	bool nominated;		  /* controlled: the peer sent USE-CANDIDATE */
	bool dtls_started;
	bool send;
	uint8_t audio_level_id, opus_pt;
	char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
	char remote_ufrag[SDP_MAX_ICE + 1], remote_pwd[SDP_MAX_ICE + 1];
	char username[ICE_UFRAG_LEN + SDP_MAX_ICE + 2];
	struct dtls_fingerprint remote_fp;
	struct stun_addr server, local;
	uint8_t tid[STUN_TID_LEN];
	uint64_t tie_breaker;
	uint64_t next_check_ms, check_deadline_ms;
	uint32_t ssrc;
	uint16_t seq;
	char cname[ICE_UFRAG_LEN + 1];
	client_audio_fn on_audio;
	void *on_audio_ctx;
	struct client_stats stats;
	size_t last_len;
	_Alignas(8) uint8_t last[BUF_SIZE];
	_Alignas(8) uint8_t rx[BUF_SIZE];
	_Alignas(8) uint8_t tx[BUF_SIZE];
	bool tcp;      /* ICE-TCP: fd is the connection (client_options.tcp) */
	size_t st_len; /* bytes of the stream waiting in st */
	_Alignas(8) uint8_t st[2 * (RFC4571_HEADER + RFC4571_MAX_FRAME)];
};

/* Moves along the diagram in client.h; a move it does not allow is ignored. */
void client_set_state(struct client *c, enum client_state to);
bool client_random_bytes(void *p, size_t n);
/* To the server's candidate: a datagram, or an RFC 4571 frame on the ICE-TCP stream. */
bool client_send_to_server(struct client *c, const uint8_t *buf, size_t len);

/* NEW -> CHECKING: the first check is due at once (if we know where to send it). */
void client_start_checks(struct client *c, uint64_t now_ms);
void client_send_check(struct client *c);
void client_on_stun(struct client *c, const uint8_t *buf, size_t len, const struct stun_addr *from,
		    uint64_t now_ms);

/* Sends every DTLS record the session has ready. */
void client_flush_dtls(struct client *c);
void client_key_srtp_when_done(struct client *c);
void client_start_dtls_when_selected(struct client *c, uint64_t now_ms);
void client_on_dtls(struct client *c, const uint8_t *buf, size_t len, uint64_t now_ms);
/* kind is DEMUX_RTP or DEMUX_RTCP. */
void client_on_srtp(struct client *c, enum demux_kind kind, uint8_t *buf, size_t len);

#endif
