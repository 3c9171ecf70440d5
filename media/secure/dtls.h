/*
 * dtls -- DTLS-SRTP key agreement for WebRTC peers (RFC 5763, RFC 5764), on OpenSSL 3.
 *
 * Two objects. A dtls_context is one ECDSA P-256 self-signed certificate, its SHA-256
 * fingerprint for the SDP answer, and an SSL_CTX; the process has one current context and
 * replaces it every few days (sessions keep theirs: reference counted). After
 * dtls_context_create returns it is never written again but for its reference count, so
 * any number of media worker threads may make and end sessions from it at once (OpenSSL
 * reference-counts the SSL_CTX atomically, and so do we the context). A dtls_session is one peer's
 * handshake. It has no socket and no thread and never reads a clock: the caller feeds it one
 * received datagram at a time, takes the datagrams it wants sent, and passes the time in. That is
 * what lets one worker thread own thousands of them, and what lets the tests drive retransmission
 * with a fake clock.
 *
 * A session is not thread-safe: it belongs to the thread that created it. Every function
 * here clears and uses the calling thread's OpenSSL error queue.
 *
 * The whole state machine (media/SECURITY-LAYER.md has the longer story):
 *
 *        start (client) / first datagram (server)
 *   NEW ------------------------------------------> HANDSHAKING --fatal alert, bad
 *    |                                                 |   |       fingerprint, no SRTP
 *    |                               handshake done,   |   |       profile, timeout--> FAILED
 *    |                         fingerprint, profile,   |   |
 *    |                                  keys exported   v   +--close--+
 *    |                                            CONNECTED ---------+-> CLOSED
 *    +-----------------------close------------------------------------+     ^
 *                                              CONNECTED --fatal alert--> FAILED
 *                                  CONNECTED --peer close_notify/close-----+
 *
 * FAILED and CLOSED are final. Once CONNECTED, the SRTP keys are available, and the caller
 * may release the SSL object (dtls_session_release_ssl) as soon as the peer has shown it
 * finished the handshake -- e.g. on its first SRTP packet that authenticates -- which
 * brings a listener's DTLS state down from tens of kilobytes to a few hundred bytes.
 */
#ifndef PLENARY_MEDIA_DTLS_H
#define PLENARY_MEDIA_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

enum dtls_err {
	DTLS_OK = 0,
	DTLS_ERR_PARAM,		  /* NULL where an object is needed, value out of range */
	DTLS_ERR_NOMEM,		  /* an allocation failed */
	DTLS_ERR_CRYPTO,	  /* OpenSSL failed making keys, certificates or contexts */
	DTLS_ERR_STATE,		  /* not possible in the session's current state */
	DTLS_ERR_NOT_DTLS,	  /* the datagram's first byte is outside 20..63 (RFC 7983) */
	DTLS_ERR_MALFORMED,	  /* DTLS record framing is broken; nothing was processed */
	DTLS_ERR_BAD_FINGERPRINT, /* an a=fingerprint value that does not parse */
	DTLS_ERR_FINGERPRINT,	  /* the peer's certificate does not match a=fingerprint */
	DTLS_ERR_HANDSHAKE,	  /* the handshake failed (alert sent or received) */
	DTLS_ERR_NO_SRTP,	  /* no SRTP protection profile in common (RFC 5764 4.1.2) */
	DTLS_ERR_TIMEOUT,	  /* the handshake did not finish in time */
	DTLS_ERR_PEER_CLOSED,	  /* the peer sent close_notify */
	DTLS_ERR_RELEASED,	  /* the SSL object was released; DTLS input is ignored */
	DTLS_ERR_SPACE,		  /* the output buffer is smaller than the next datagram */
	DTLS_ERR_OVERFLOW,	  /* the output queue reached its ceiling */
};

/* A constant English sentence fragment for logs; never NULL. */
const char *dtls_strerror(enum dtls_err err);

enum dtls_state {
	DTLS_STATE_NEW = 0,
	DTLS_STATE_HANDSHAKING,
	DTLS_STATE_CONNECTED,
	DTLS_STATE_FAILED,
	DTLS_STATE_CLOSED,
};

/* "new", "handshaking", "connected", "failed", "closed"; never NULL. */
const char *dtls_state_name(enum dtls_state state);

/* RFC 5763 sect. 5: the answerer of an actpass offer is a=setup:passive, i.e. the DTLS
 * server; the browser is the client. The client role exists for the load-testing tool. */
enum dtls_role {
	DTLS_ROLE_SERVER = 0,
	DTLS_ROLE_CLIENT,
};

/* --- Certificate fingerprints (RFC 8122 sect. 5) ------------------------------------ */

enum dtls_hash {
	DTLS_HASH_SHA1 = 0,
	DTLS_HASH_SHA224,
	DTLS_HASH_SHA256,
	DTLS_HASH_SHA384,
	DTLS_HASH_SHA512,
};

#define DTLS_FINGERPRINT_MAX 64 /* SHA-512 */
/* "sha-512 " + 64 hex pairs with colons + NUL */
#define DTLS_FINGERPRINT_TEXT_MAX (8 + DTLS_FINGERPRINT_MAX * 3)

struct dtls_fingerprint {
	enum dtls_hash hash;
	size_t len; /* bytes in digest */
	uint8_t digest[DTLS_FINGERPRINT_MAX];
};

/* Parses the value of an a=fingerprint attribute, e.g. "sha-256 AB:CD:...", from
 * text[0..len) (no NUL needed). The hash name is case-insensitive (RFC 8122 sect. 5), the
 * hex either case, and the digest must have exactly the hash's length. Leading and
 * trailing blanks are skipped. Errors: DTLS_ERR_PARAM (NULL), DTLS_ERR_BAD_FINGERPRINT
 * (unknown hash, bad hex, wrong length); *out is then untouched. */
BASE_WUR enum dtls_err dtls_fingerprint_parse(const char *text, size_t len,
					      struct dtls_fingerprint *out);

/* --- Process-wide context ------------------------------------------------------------ */

struct dtls_context;

/* A certificate is valid from a day before its making (a peer's clock may be behind) to
 * DTLS_CERT_LIFETIME_S after it; whoever keeps one replaces it well before that (media.c
 * rotates at DTLS_CERT_ROTATE_S). */
#define DTLS_CERT_LIFETIME_S (30 * 24 * 3600L)

/* Makes a key pair (ECDSA P-256), a self-signed X.509 certificate with a random serial,
 * valid around now_s (seconds of the realtime clock, the caller's: tests pass a fake one),
 * and the SSL_CTX sessions are made from. Errors: DTLS_ERR_PARAM, DTLS_ERR_NOMEM,
 * DTLS_ERR_CRYPTO. The caller owns a reference to *out and drops it with
 * dtls_context_destroy; every session made from it holds one more until it is destroyed,
 * so a context replaced by a new one (certificate rotation) lives on, on whichever thread,
 * for as long as a session still handshakes or runs with its certificate. */
BASE_WUR enum dtls_err dtls_context_create_at(int64_t now_s, struct dtls_context **out);
/* dtls_context_create_at(time(NULL), out). */
BASE_WUR enum dtls_err dtls_context_create(struct dtls_context **out);
/* Drops the caller's reference; the last one frees the context. NULL is fine. Any thread. */
void dtls_context_destroy(struct dtls_context *ctx);
/* The now_s it was made with. */
int64_t dtls_context_made_s(const struct dtls_context *ctx);

/* The certificate's fingerprint as the SDP wants it: "sha-256 AB:CD:..." (uppercase hex,
 * RFC 8122). Owned by the context. */
const char *dtls_context_fingerprint(const struct dtls_context *ctx);

/* --- SRTP keys (RFC 5764 sect. 4.2) -------------------------------------------------- */

/* Protection profiles by their IANA "DTLS-SRTP Protection Profiles" numbers. */
enum dtls_srtp_profile {
	DTLS_SRTP_NONE = 0,
	DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001, /* RFC 5764 sect. 4.1.2 */
	DTLS_SRTP_AEAD_AES_128_GCM = 0x0007,  /* RFC 7714 sect. 14.2 */
};

/* "SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM", "none" or "unknown"; never NULL. */
const char *dtls_srtp_profile_name(enum dtls_srtp_profile profile);

#define DTLS_SRTP_KEY_MAX  16
#define DTLS_SRTP_SALT_MAX 14

/* The SRTP master keys and salts of one session, already sorted into directions: local =
 * what this side protects with, remote = what it unprotects with. */
struct dtls_srtp_keys {
	enum dtls_srtp_profile profile;
	size_t key_len;	 /* 16 for both profiles */
	size_t salt_len; /* 14 for AES-CM (RFC 3711), 12 for AES-GCM (RFC 7714 sect. 12) */
	uint8_t local_key[DTLS_SRTP_KEY_MAX];
	uint8_t local_salt[DTLS_SRTP_SALT_MAX];
	uint8_t remote_key[DTLS_SRTP_KEY_MAX];
	uint8_t remote_salt[DTLS_SRTP_SALT_MAX];
};

/* --- Per-peer session ---------------------------------------------------------------- */

#define DTLS_MTU_DEFAULT 1200 /* UDP payload bytes; safe on every path WebRTC meets */
#define DTLS_MTU_MIN	 256  /* OpenSSL's floor for DTLS */
#define DTLS_MTU_MAX	 1500

/* Offered (client) or accepted (server) profiles; 0 means both, GCM preferred. */
#define DTLS_OFFER_GCM	 0x1u
#define DTLS_OFFER_CM_80 0x2u

struct dtls_session_config {
	enum dtls_role role;
	/* The peer's a=fingerprint, already parsed. Required: RFC 5763 sect. 5 makes the
	 * fingerprint the only thing that authenticates the peer's certificate. */
	const struct dtls_fingerprint *remote_fingerprint;
	size_t mtu;		       /* 0 = DTLS_MTU_DEFAULT */
	unsigned srtp_profiles;	       /* DTLS_OFFER_* bits; 0 = both, GCM first */
	uint32_t rto_initial_ms;       /* 0 = 1000 (RFC 6347 sect. 4.2.4.1) */
	uint32_t rto_max_ms;	       /* 0 = 60000 (RFC 6347 sect. 4.2.4.1) */
	uint32_t handshake_timeout_ms; /* 0 = 20000; from start or the first datagram */
};

struct dtls_session;

/* Makes a session in state NEW. The context must outlive it. Errors: DTLS_ERR_PARAM (NULL,
 * no fingerprint, MTU outside DTLS_MTU_MIN..DTLS_MTU_MAX, unknown profile bits),
 * DTLS_ERR_NOMEM, DTLS_ERR_CRYPTO. The caller owns *out (dtls_session_destroy). */
BASE_WUR enum dtls_err dtls_session_create(struct dtls_context *ctx,
					   const struct dtls_session_config *cfg,
					   struct dtls_session **out);

/* Frees everything, wiping the keys. Sends nothing: call dtls_session_close first for a
 * close_notify. NULL is fine. */
void dtls_session_destroy(struct dtls_session *s);

/* Client role only: NEW -> HANDSHAKING, queues the ClientHello. A server starts on its
 * first datagram instead. Errors: DTLS_ERR_PARAM, DTLS_ERR_STATE (not NEW, or a server),
 * DTLS_ERR_HANDSHAKE, DTLS_ERR_OVERFLOW (the session is then FAILED). */
BASE_WUR enum dtls_err dtls_session_start(struct dtls_session *s, uint64_t now_ms);

/* Processes one received datagram buf[0..len), at time now_ms (any monotonic
 * milliseconds, the same clock for every call). Replies, if any, are queued for
 * dtls_session_take. Framing is checked before OpenSSL sees anything, so a datagram that
 * is not well-formed DTLS changes nothing. Errors:
 *   DTLS_ERR_PARAM      NULL, or len 0 or over 65535;
 *   DTLS_ERR_NOT_DTLS, DTLS_ERR_MALFORMED   rejected; state unchanged;
 *   DTLS_ERR_STATE      the session is FAILED or CLOSED (or a client that never started);
 *   DTLS_ERR_RELEASED   the SSL object is gone; the datagram was ignored;
 *   DTLS_ERR_FINGERPRINT, DTLS_ERR_HANDSHAKE, DTLS_ERR_NO_SRTP, DTLS_ERR_TIMEOUT,
 *   DTLS_ERR_OVERFLOW   the session became FAILED (an alert may be queued to send);
 *   DTLS_ERR_PEER_CLOSED  the peer closed; the session is CLOSED.
 * DTLS_OK covers both "progress" and "nothing to do" (e.g. a duplicate record). Compare
 * dtls_session_state before and after to see a transition. */
BASE_WUR enum dtls_err dtls_session_feed(struct dtls_session *s, const uint8_t *buf, size_t len,
					 uint64_t now_ms);

/* Moves the oldest queued outgoing datagram into buf[0..cap) and sets *len; *len = 0 when
 * there is none. Datagrams never exceed the configured MTU, except a lone DTLS record
 * larger than it (which OpenSSL never writes during a handshake). Works in every state,
 * so a final alert can still be sent. Errors: DTLS_ERR_PARAM, DTLS_ERR_SPACE (cap too
 * small; the datagram stays queued). */
BASE_WUR enum dtls_err dtls_session_take(struct dtls_session *s, uint8_t *buf, size_t cap,
					 size_t *len);

/* Number of datagrams waiting for dtls_session_take. */
size_t dtls_session_pending(const struct dtls_session *s);

/* When dtls_session_handle_timeout next has something to do, in the caller's clock;
 * UINT64_MAX if never (not handshaking). For the worker's timer scheduler. */
uint64_t dtls_session_next_timeout(const struct dtls_session *s);

/* Drives retransmission and the handshake timeout: if the last flight has had no answer
 * for the current retransmission timeout it is queued again and the timeout doubles, up
 * to rto_max_ms (RFC 6347 sect. 4.2.4); past handshake_timeout_ms the session fails.
 * Cheap when nothing is due; calling it on every worker tick is fine. Errors:
 * DTLS_ERR_PARAM, DTLS_ERR_TIMEOUT (the session is now FAILED), DTLS_ERR_OVERFLOW. */
BASE_WUR enum dtls_err dtls_session_handle_timeout(struct dtls_session *s, uint64_t now_ms);

/* Closes the session: CLOSED, with a close_notify alert queued when the handshake is
 * complete and the SSL object still exists (RFC 5246 sect. 7.2.1). Closing a FAILED or
 * CLOSED session is a no-op. Errors: DTLS_ERR_PARAM. */
BASE_WUR enum dtls_err dtls_session_close(struct dtls_session *s, uint64_t now_ms);

/* Frees the SSL object of a CONNECTED session and with it the handshake's memory; keys,
 * state and queued datagrams stay. Afterwards DTLS datagrams from the peer are ignored
 * (DTLS_ERR_RELEASED) and dtls_session_close sends no close_notify, so call it only when
 * the peer has shown it has our final flight -- its first authentic SRTP packet is proof,
 * since it cannot have the keys before it has verified our Finished. Releasing twice is
 * fine. Errors: DTLS_ERR_PARAM, DTLS_ERR_STATE (not CONNECTED). */
BASE_WUR enum dtls_err dtls_session_release_ssl(struct dtls_session *s);

enum dtls_state dtls_session_state(const struct dtls_session *s);
/* Why the session is FAILED or CLOSED (DTLS_OK for a local close and the other states). */
enum dtls_err dtls_session_failure(const struct dtls_session *s);
/* True once dtls_session_release_ssl has run. */
bool dtls_session_released(const struct dtls_session *s);

/* Copies the SRTP keys of a CONNECTED (or released) session. Errors: DTLS_ERR_PARAM,
 * DTLS_ERR_STATE (not CONNECTED). */
BASE_WUR enum dtls_err dtls_session_srtp_keys(const struct dtls_session *s,
					      struct dtls_srtp_keys *out);

#endif
