/*
 * client -- a minimal WebRTC audio client in C: what a browser does against Plenary's
 * media port, without a browser. The load tool (issue 9) runs thousands of them; the
 * transport tests run one or two.
 *
 * It makes an offer (sendrecv or recvonly, Opus, the RFC 6464 audio-level extension, its
 * own ICE credentials and DTLS fingerprint, a=setup:actpass), takes the answer (the
 * server's ufrag, pwd, fingerprint and the first host candidate), and then, driven by the
 * caller, does what a full ICE agent does against a lite one: sends STUN Binding requests
 * with USE-CANDIDATE and MESSAGE-INTEGRITY to that candidate until one is answered
 * (aggressive nomination, RFC 8445 sect. 8.1.1), keeps consent alive every 2 s, runs the
 * DTLS client handshake (it is the active side, RFC 5763 sect. 5), keys SRTP, and sends
 * and receives RTP and RTCP over its own UDP socket.
 *
 *   NEW --answer--> CHECKING --Binding success--> HANDSHAKING --DTLS+SRTP--> CONNECTED
 *                      |  no answer in 10 s          |  DTLS failure/timeout
 *                      +-----------------------------+----------------------------> FAILED
 *
 * Against a full ICE agent (Janus, or another client) it does a little more, since such a
 * peer checks the path from its side too and fails the pair if nobody answers: it answers
 * every authenticated Binding request (RFC 8445 sect. 7.3), and it follows the answer's
 * a=setup, so an answerer that picks a=setup:active (as Janus does) makes it the DTLS
 * server. It can also be the answerer (client_accept_offer, for a server that offers, like
 * Janus's Streaming plugin): then it is ICE-controlled (no USE-CANDIDATE; the offerer
 * nominates, and the ClientHello waits for that), answers a=setup:active (DTLS client),
 * and if the offer has no host candidate it learns the peer's address from the first
 * check that authenticates (a peer-reflexive candidate, sect. 7.3.1.3). Role conflicts
 * (487) are not resolved: each flow fixes the role RFC 8445 sect. 6.1.1 gives it.
 *
 * No threads and no clock inside: the caller polls client_fd, calls client_input when it
 * is readable (or reads the socket itself, e.g. with recvmmsg, and hands each datagram to
 * client_receive) and client_tick at client_next_timeout, passing a monotonic now_ms. One
 * client belongs to one thread at a time. The DTLS context (the certificate) is the
 * caller's, so a load tool makes one and shares it.
 */
#ifndef PLENARY_MEDIA_CLIENT_H
#define PLENARY_MEDIA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/secure/dtls.h"
#include "media/wire/rtp.h"

#define CLIENT_OFFER_MAX	 2048 /* an offer always fits */
#define CLIENT_CHECK_INTERVAL_MS 50
#define CLIENT_CHECK_TIMEOUT_MS	 10000
#define CLIENT_CONSENT_MS	 2000
#define CLIENT_OPUS_PT		 111

enum client_err {
	CLIENT_OK = 0,
	CLIENT_ERR_PARAM,  /* NULL, or a bad option */
	CLIENT_ERR_NOMEM,  /* an allocation failed */
	CLIENT_ERR_SYSTEM, /* the socket could not be opened or bound */
	CLIENT_ERR_CRYPTO, /* random numbers, DTLS session or SRTP keys */
	CLIENT_ERR_ANSWER, /* the answer does not parse or has no usable host candidate */
	CLIENT_ERR_STATE,  /* not possible in this state (e.g. sending before CONNECTED) */
	CLIENT_ERR_SPACE,  /* the caller's buffer is too small, or the payload too large */
	CLIENT_ERR_SEND,   /* the kernel refused the datagram */
};

/* A constant English phrase; never NULL. */
const char *client_strerror(enum client_err err);

enum client_state {
	CLIENT_NEW = 0,
	CLIENT_CHECKING,
	CLIENT_HANDSHAKING,
	CLIENT_CONNECTED,
	CLIENT_FAILED,
};
/* "new", "checking", "handshaking", "connected", "failed"; never NULL. */
const char *client_state_name(enum client_state s);

struct client_options {
	struct dtls_context *dtls; /* required; must outlive the client */
	const char *bind_ip;	   /* numeric local address; NULL: 127.0.0.1 */
	bool send;		   /* offer sendrecv (true) or recvonly (false) */
	uint8_t audio_level_id;	   /* extmap id to offer, 1..14; 0: 1 */
	/* ICE-TCP (RFC 6544) as a browser behind a UDP-blocking firewall does it: the
	 * answer's first "tcptype passive" host candidate instead of a UDP one, connected to
	 * by client_answer, everything RFC 4571-framed on that connection; client_fd is then
	 * the connection. Offerer (client_answer) only. */
	bool tcp;
};

struct client;

/* Opens the client's UDP socket and makes its credentials and DTLS session. Errors:
 * CLIENT_ERR_PARAM, CLIENT_ERR_NOMEM, CLIENT_ERR_SYSTEM, CLIENT_ERR_CRYPTO. */
BASE_WUR enum client_err client_create(const struct client_options *opt, struct client **out);
/* Closes the socket and frees everything. NULL is fine. */
void client_destroy(struct client *c);

/* The socket, for poll(POLLIN). */
int client_fd(const struct client *c);

/* Writes the offer (NUL-terminated, CRLF) into buf[0..cap). Errors: CLIENT_ERR_PARAM,
 * CLIENT_ERR_SPACE. */
BASE_WUR enum client_err client_offer(struct client *c, char *buf, size_t cap, size_t *len);

/* Takes the server's answer: ICE credentials, fingerprint, the negotiated payload type
 * and audio-level id, the DTLS role (a=setup:active makes us the server, passive or none
 * the client), and the first UDP host candidate (with options.tcp: the first ICE-TCP
 * passive one, connected to here; CLIENT_ERR_SYSTEM if that fails); NEW -> CHECKING as
 * ICE-controlling, with the first check due at once. Errors: CLIENT_ERR_PARAM, CLIENT_ERR_STATE
 * (not NEW), CLIENT_ERR_ANSWER. */
BASE_WUR enum client_err client_answer(struct client *c, const char *sdp, size_t len,
				       uint64_t now_ms);

/* The answerer's side: takes a remote offer (one audio m-section with Opus, ICE
 * credentials, a fingerprint, rtcp-mux, a=setup actpass or passive) and writes our answer
 * into answer[0..cap) (NUL-terminated, CRLF): the offer's mid and Opus payload type, our
 * credentials, fingerprint and host candidate, a=setup:active, and the direction that
 * answers the offer's (sendonly -> recvonly; sendrecv -> sendrecv if we send, else
 * recvonly). NEW -> CHECKING as ICE-controlled; checks start at once towards the offer's
 * first UDP host candidate, or, without one, towards the source of the first check that
 * authenticates. Errors: CLIENT_ERR_PARAM, CLIENT_ERR_STATE (not NEW), CLIENT_ERR_ANSWER
 * (the offer is unusable, or asks us to be the DTLS server), CLIENT_ERR_SPACE,
 * CLIENT_ERR_NOMEM, CLIENT_ERR_CRYPTO. */
BASE_WUR enum client_err client_accept_offer(struct client *c, const char *sdp, size_t len,
					     char *answer, size_t cap, size_t *answer_len,
					     uint64_t now_ms);

/* Our host candidate as the value of an a=candidate attribute ("candidate:1 1 udp ... typ
 * host", NUL-terminated, no "a="), for trickling it over a signalling API. Errors:
 * CLIENT_ERR_PARAM, CLIENT_ERR_SPACE. */
BASE_WUR enum client_err client_local_candidate(const struct client *c, char *buf, size_t cap);

/* Reads every datagram waiting on the socket and passes each to client_receive. */
void client_input(struct client *c, uint64_t now_ms);
/* Handles one datagram buf[0..len) that the caller read from client_fd itself, from the
 * address from (as recvfrom or recvmmsg gave it): STUN requests and responses, DTLS,
 * SRTP and SRTCP from the peer's candidate; anything else is dropped. buf may be changed
 * (SRTP is decrypted in place). */
struct sockaddr_storage;
void client_receive(struct client *c, uint8_t *buf, size_t len, const struct sockaddr_storage *from,
		    uint64_t now_ms);
/* Sends what is due: connectivity checks, consent refreshes, DTLS retransmissions. */
void client_tick(struct client *c, uint64_t now_ms);
/* When client_tick next has something to do (UINT64_MAX: never). */
uint64_t client_next_timeout(const struct client *c);

enum client_state client_state(const struct client *c);

/* Sends one Opus packet: an RTP header (our SSRC, the next sequence number, the given
 * timestamp, the audio level if negotiated), SRTP-protected. Errors: CLIENT_ERR_STATE,
 * CLIENT_ERR_SPACE (payload over 1000 bytes), CLIENT_ERR_CRYPTO, CLIENT_ERR_SEND. */
BASE_WUR enum client_err client_send_audio(struct client *c, const uint8_t *payload, size_t len,
					   uint32_t timestamp, uint8_t level, bool voice);

/* Sends buf[0..len) as it is to the server's candidate: for tests that replay or forge
 * packets. Errors: CLIENT_ERR_STATE (no candidate yet), CLIENT_ERR_SEND. */
BASE_WUR enum client_err client_send_raw(struct client *c, const uint8_t *buf, size_t len);

/* Copies the last SRTP packet client_send_audio sent (as protected) into buf; for replay
 * tests. Returns its length, 0 if none or cap is too small. */
size_t client_last_sent(const struct client *c, uint8_t *buf, size_t cap);

/* Called with every RTP packet that authenticated (header parsed; payload inside). */
typedef void (*client_audio_fn)(void *ctx, const struct rtp_header *h);
void client_on_audio(struct client *c, client_audio_fn fn, void *ctx);

struct client_stats {
	uint64_t rtp_sent;
	uint64_t rtp_received; /* authenticated */
	uint64_t rtcp_received;
	uint64_t srtp_errors;
	uint64_t stun_requests;
	uint64_t stun_responses; /* authenticated success responses */
	uint64_t stun_answered;	 /* the peer's checks we answered (full ICE peers only) */
	uint32_t remote_ssrc;	 /* of the last RTP packet received */
	enum dtls_srtp_profile profile;
};
void client_stats(const struct client *c, struct client_stats *out);

#endif
