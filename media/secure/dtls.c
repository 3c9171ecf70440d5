/*
 * dtls -- DTLS 1.2 for DTLS-SRTP on OpenSSL 3, without sockets, threads or a clock.
 *
 * The idea. OpenSSL does the cryptography and the handshake state machine; this file
 * supplies everything OpenSSL would normally take from a socket and the wall clock.
 * Datagrams go through the BIO in dtls_bio.c, which keeps datagram boundaries both ways
 * and respects the MTU. Time is the caller's: every function that can change what is due
 * takes now_ms.
 *
 * Retransmission, and why it is not OpenSSL's. OpenSSL 3.0 times DTLS flights with
 * gettimeofday(): DTLSv1_handle_timeout does nothing until the real clock passes its
 * deadline, and any read that finds the BIO empty retransmits by itself once it has. A
 * timer callback (DTLS_set_timer_cb) only chooses the duration; it cannot move the clock.
 * So a caller-driven clock cannot make OpenSSL retransmit, and a short OpenSSL timer would
 * make it retransmit at every partial flight it reads. Instead OpenSSL's own timer is set
 * to an hour (openssl_timer below), so it never fires, and this file keeps RFC 6347 sect.
 * 4.2.4 itself: the BIO keeps a copy of the last flight written; while OpenSSL still
 * awaits the answer (DTLSv1_get_timeout reports a running timer) the flight is queued
 * again each time the caller's clock passes the deadline, doubling the timeout from 1 s
 * to at most 60 s (sect. 4.2.4.1), until the overall handshake timeout fails the session.
 *
 * The copies are byte for byte, record sequence numbers included. A peer that lost the
 * original takes the copy as new; a peer that had it drops it as a duplicate (RFC 6347
 * sect. 4.1.2.6), which is harmless because each side retransmits on its own timer --
 * except for the last flight of the handshake, which the server sends and nobody times
 * (sect. 4.2.4: it is sent again only when the peer's previous flight arrives again). A
 * browser retransmits with fresh sequence numbers, OpenSSL sees its Finished again and
 * answers by itself. A peer that retransmits exact copies (our own client role) is
 * dropped by OpenSSL's replay window before that, so a CONNECTED server that sees
 * handshake records come in, and has produced nothing in reply, sends its final flight
 * again itself, at most once per RESEND_GAP_MS.
 *
 * Authentication: the certificate verify callback (dtls_verify_peer, installed on the
 * context's SSL_CTX) compares the peer's certificate with a=fingerprint, so a mismatch
 * aborts the handshake with an alert before any key is derived (RFC 5763 sect. 5).
 *
 * Memory. During the handshake an SSL object costs tens of kilobytes (record buffers,
 * handshake transcript, the peer's certificate). Once the keys are exported none of it is
 * needed except to answer a lost final flight, so dtls_session_release_ssl frees it when
 * the caller knows the peer is done (see dtls.h). SSL_MODE_RELEASE_BUFFERS trims the
 * record buffers before that.
 */
#include "media/secure/dtls.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "media/secure/dtls_bio.h"
#include "media/secure/dtls_internal.h"

#define RTO_INITIAL_MS	     1000u  /* RFC 6347 sect. 4.2.4.1 */
#define RTO_MAX_MS	     60000u /* RFC 6347 sect. 4.2.4.1 */
#define HANDSHAKE_TIMEOUT_MS 20000u
#define RESEND_GAP_MS	     250u /* least time between final-flight resends */
/* OpenSSL's own flight timer: an hour, i.e. never within a handshake (see above). */
#define OPENSSL_TIMER_US 3600000000u

#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 sect. 4.2 */

#define RECORD_HEADER_LEN 13		 /* RFC 6347 sect. 4.1 */
#define RECORD_MAX_LEN	  (16384 + 2048) /* RFC 6347 sect. 4.1: TLSCiphertext bound */
#define DATAGRAM_MAX	  65535

struct dtls_session {
	struct dtls_context *ctx; /* a reference: its certificate, SSL_CTX and BIO method */
	SSL *ssl;		  /* NULL once released, failed or closed */
	enum dtls_role role;
	enum dtls_state state;
	enum dtls_err failure;
	bool released;
	bool peer_verified;	   /* the verify callback matched the fingerprint */
	bool fingerprint_mismatch; /* ... or did not */
	struct dtls_fingerprint remote;
	struct dtls_bio_io io;
	uint32_t rto_initial_ms, rto_max_ms, handshake_timeout_ms;
	uint32_t rto_ms;       /* current retransmission timeout */
	uint64_t rtx_deadline; /* UINT64_MAX: no flight awaiting an answer */
	uint64_t hs_deadline;  /* UINT64_MAX: not handshaking */
	uint64_t last_resend;  /* final-flight resends, see the top comment */
	bool resent_once;
	struct dtls_srtp_keys keys;
};

/* --- Names ----------------------------------------------------------------------------- */

static const char *const state_names[] = {
    [DTLS_STATE_NEW] = "new",
    [DTLS_STATE_HANDSHAKING] = "handshaking",
    [DTLS_STATE_CONNECTED] = "connected",
    [DTLS_STATE_FAILED] = "failed",
    [DTLS_STATE_CLOSED] = "closed",
};

const char *dtls_state_name(enum dtls_state state)
{
	if ((size_t)state < sizeof state_names / sizeof state_names[0])
		return state_names[state];
	return "unknown";
}

/* Installed on the SSL_CTX by dtls_context.c: replaces chain verification with the
 * fingerprint comparison of RFC 5763 sect. 5, and remembers the outcome for the session. */
int dtls_verify_peer(X509_STORE_CTX *store, void *arg)
{
	(void)arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_session *s = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);
	if (!s || !leaf)
		return 0;
	if (!dtls_certificate_matches(leaf, &s->remote)) {
		s->fingerprint_mismatch = true;
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	s->peer_verified = true;
	return 1;
}

/* --- Session state machine ------------------------------------------------------------- */

static const bool transition_ok[5][5] = {
    [DTLS_STATE_NEW] = {[DTLS_STATE_HANDSHAKING] = true, [DTLS_STATE_CLOSED] = true},
    [DTLS_STATE_HANDSHAKING] =
	{[DTLS_STATE_CONNECTED] = true, [DTLS_STATE_FAILED] = true, [DTLS_STATE_CLOSED] = true},
    [DTLS_STATE_CONNECTED] = {[DTLS_STATE_FAILED] = true, [DTLS_STATE_CLOSED] = true},
};

/* The one place the state changes. Invariants: timers run only while HANDSHAKING; the
 * SSL object and the retransmission copy are gone in the final states. */
static void set_state(struct dtls_session *s, enum dtls_state to, enum dtls_err why)
{
	bool allowed = transition_ok[s->state][to];
	assert(allowed);
	(void)allowed; /* a wrong transition is our bug, never the peer's input */
	s->state = to;
	s->failure = why;
	if (to != DTLS_STATE_HANDSHAKING) {
		s->rtx_deadline = UINT64_MAX;
		s->hs_deadline = UINT64_MAX;
	}
	if (to == DTLS_STATE_CONNECTED && s->role == DTLS_ROLE_CLIENT)
		dtls_queue_clear(&s->io.flight); /* the server's last flight answered ours */
	if (to == DTLS_STATE_FAILED || to == DTLS_STATE_CLOSED) {
		SSL_free(s->ssl);
		s->ssl = NULL;
		dtls_queue_clear(&s->io.flight);
	}
}

static enum dtls_err fail(struct dtls_session *s, enum dtls_err why)
{
	set_state(s, DTLS_STATE_FAILED, why);
	ERR_clear_error();
	return why;
}

static unsigned int openssl_timer(SSL *ssl, unsigned int timer_us)
{
	(void)ssl;
	(void)timer_us;
	return OPENSSL_TIMER_US;
}

static const char *profile_list(unsigned offer)
{
	switch (offer) {
	case DTLS_OFFER_GCM:
		return DTLS_PROFILE_GCM;
	case DTLS_OFFER_CM_80:
		return DTLS_PROFILE_CM_80;
	default:
		return NULL; /* both: the context's list */
	}
}

static enum dtls_err check_config(const struct dtls_session_config *cfg)
{
	if (!cfg->remote_fingerprint || cfg->remote_fingerprint->hash > DTLS_HASH_SHA512)
		return DTLS_ERR_PARAM;
	if (cfg->role != DTLS_ROLE_SERVER && cfg->role != DTLS_ROLE_CLIENT)
		return DTLS_ERR_PARAM;
	if (cfg->mtu != 0 && (cfg->mtu < DTLS_MTU_MIN || cfg->mtu > DTLS_MTU_MAX))
		return DTLS_ERR_PARAM;
	if (cfg->srtp_profiles & ~(DTLS_OFFER_GCM | DTLS_OFFER_CM_80))
		return DTLS_ERR_PARAM;
	return DTLS_OK;
}

static enum dtls_err make_ssl(struct dtls_session *s, struct dtls_context *ctx, unsigned offer)
{
	s->ssl = SSL_new(ctx->ssl_ctx);
	if (!s->ssl)
		return DTLS_ERR_NOMEM;
	BIO *bio = dtls_bio_new(ctx->bio_method, &s->io);
	if (!bio)
		return DTLS_ERR_NOMEM;
	SSL_set_bio(s->ssl, bio, bio); /* one reference, now the SSL's */
	SSL_set_app_data(s->ssl, s);
	/* SSL_OP_NO_QUERY_MTU (in the context) makes OpenSSL use exactly this MTU. */
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_MTU, (long)s->io.mtu, NULL);
	if (SSL_set_mtu(s->ssl, (long)s->io.mtu) <= 0)
		return DTLS_ERR_CRYPTO;
	DTLS_set_timer_cb(s->ssl, openssl_timer);
	const char *profiles = profile_list(offer);
	if (profiles && SSL_set_tlsext_use_srtp(s->ssl, profiles) != 0)
		return DTLS_ERR_CRYPTO;
	if (s->role == DTLS_ROLE_SERVER)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	return DTLS_OK;
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

enum dtls_err dtls_session_create(struct dtls_context *ctx, const struct dtls_session_config *cfg,
				  struct dtls_session **out)
{
	if (!ctx || !cfg || !out)
		return DTLS_ERR_PARAM;
	enum dtls_err err = check_config(cfg);
	if (err)
		return err;
	struct dtls_session *s = calloc(1, sizeof *s);
	if (!s)
		return DTLS_ERR_NOMEM;
	s->ctx = dtls_context_ref(ctx);
	s->role = cfg->role;
	s->state = DTLS_STATE_NEW;
	s->remote = *cfg->remote_fingerprint;
	s->io.mtu = cfg->mtu ? cfg->mtu : DTLS_MTU_DEFAULT;
	s->rto_initial_ms = or_default(cfg->rto_initial_ms, RTO_INITIAL_MS);
	s->rto_max_ms = or_default(cfg->rto_max_ms, RTO_MAX_MS);
	if (s->rto_max_ms < s->rto_initial_ms)
		s->rto_max_ms = s->rto_initial_ms;
	s->handshake_timeout_ms = or_default(cfg->handshake_timeout_ms, HANDSHAKE_TIMEOUT_MS);
	s->rto_ms = s->rto_initial_ms;
	s->rtx_deadline = UINT64_MAX;
	s->hs_deadline = UINT64_MAX;
	err = make_ssl(s, ctx, cfg->srtp_profiles);
	if (err) {
		dtls_session_destroy(s);
		ERR_clear_error();
		return err;
	}
	*out = s;
	return DTLS_OK;
}

void dtls_session_destroy(struct dtls_session *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);
	dtls_bio_io_fini(&s->io);
	OPENSSL_cleanse(&s->keys, sizeof s->keys);
	dtls_context_destroy(s->ctx);
	free(s);
}

/* --- Handshake ------------------------------------------------------------------------- */

/* RFC 5764 sect. 4.2: the exporter output is client key | server key | client salt |
 * server salt, with the profile's lengths (RFC 7714 sect. 12 for GCM's 12-byte salt). */
static enum dtls_err export_keys(struct dtls_session *s)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(s->ssl);
	struct dtls_srtp_keys *k = &s->keys;
	if (!p)
		return DTLS_ERR_NO_SRTP;
	k->key_len = 16;
	if (p->id == SRTP_AES128_CM_SHA1_80) {
		k->profile = DTLS_SRTP_AES128_CM_SHA1_80;
		k->salt_len = 14;
	} else if (p->id == SRTP_AEAD_AES_128_GCM) {
		k->profile = DTLS_SRTP_AEAD_AES_128_GCM;
		k->salt_len = 12;
	} else {
		return DTLS_ERR_NO_SRTP;
	}
	uint8_t m[2 * (DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX)];
	size_t total = 2 * (k->key_len + k->salt_len);
	if (SSL_export_keying_material(s->ssl, m, total, EXPORTER_LABEL, sizeof EXPORTER_LABEL - 1,
				       NULL, 0, 0) != 1) {
		OPENSSL_cleanse(m, sizeof m);
		return DTLS_ERR_CRYPTO;
	}
	const uint8_t *client_key = m, *server_key = m + k->key_len;
	const uint8_t *client_salt = m + 2 * k->key_len, *server_salt = client_salt + k->salt_len;
	bool client = s->role == DTLS_ROLE_CLIENT;
	memcpy(k->local_key, client ? client_key : server_key, k->key_len);
	memcpy(k->remote_key, client ? server_key : client_key, k->key_len);
	memcpy(k->local_salt, client ? client_salt : server_salt, k->salt_len);
	memcpy(k->remote_salt, client ? server_salt : client_salt, k->salt_len);
	OPENSSL_cleanse(m, sizeof m);
	return DTLS_OK;
}

static enum dtls_err finish_handshake(struct dtls_session *s)
{
	/* The verify callback ran and matched; OpenSSL would not have finished otherwise,
	 * but the keys are what an attacker wants, so check once more. */
	if (!s->peer_verified || !SSL_get0_peer_certificate(s->ssl))
		return fail(s, DTLS_ERR_FINGERPRINT);
	enum dtls_err err = export_keys(s);
	if (err == DTLS_ERR_NO_SRTP) {
		/* The handshake itself succeeded, so tell the peer we are leaving. */
		dtls_bio_begin(&s->io, NULL, 0);
		(void)SSL_shutdown(s->ssl);
		dtls_bio_end(&s->io);
	}
	if (err)
		return fail(s, err);
	set_state(s, DTLS_STATE_CONNECTED, DTLS_OK);
	return DTLS_OK;
}

/* After a call into OpenSSL while handshaking: (re)arm or stop our retransmission timer.
 * OpenSSL's timer, though it never fires, still says whether a flight awaits an answer. */
static void update_retransmit(struct dtls_session *s, uint64_t now)
{
	struct timeval left;
	if (DTLSv1_get_timeout(s->ssl, &left) != 1) {
		s->rtx_deadline = UINT64_MAX;
		return;
	}
	if (s->io.wrote || s->rtx_deadline == UINT64_MAX) {
		s->rto_ms = s->rto_initial_ms; /* a new flight starts from the initial value */
		s->rtx_deadline = now + s->rto_ms;
	}
}

/* One SSL_do_handshake over one datagram (or none, to start a client). */
static enum dtls_err drive_handshake(struct dtls_session *s, const uint8_t *buf, size_t len,
				     uint64_t now)
{
	dtls_bio_begin(&s->io, buf, len);
	ERR_clear_error();
	int rc = SSL_do_handshake(s->ssl);
	int ssl_err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, rc);
	dtls_bio_end(&s->io);
	if (s->io.overflow)
		return fail(s, DTLS_ERR_OVERFLOW);
	if (rc == 1)
		return finish_handshake(s);
	if (ssl_err == SSL_ERROR_WANT_READ) {
		update_retransmit(s, now);
		return DTLS_OK;
	}
	return fail(s, s->fingerprint_mismatch ? DTLS_ERR_FINGERPRINT : DTLS_ERR_HANDSHAKE);
}

enum dtls_err dtls_session_start(struct dtls_session *s, uint64_t now_ms)
{
	if (!s)
		return DTLS_ERR_PARAM;
	if (s->role != DTLS_ROLE_CLIENT || s->state != DTLS_STATE_NEW)
		return DTLS_ERR_STATE;
	set_state(s, DTLS_STATE_HANDSHAKING, DTLS_OK);
	s->hs_deadline = now_ms + s->handshake_timeout_ms;
	return drive_handshake(s, NULL, 0, now_ms);
}

/* --- Input ----------------------------------------------------------------------------- */

/* RFC 6347 sect. 4.1: a datagram carries whole records, each a 13-byte header (type,
 * version, epoch, 48-bit sequence number, length) and its fragment. Checking that here
 * keeps junk away from OpenSSL and gives the caller a precise error. */
static enum dtls_err check_records(const uint8_t *p, size_t len, bool *handshake)
{
	if (p[0] < 20 || p[0] > 63) /* RFC 7983 sect. 7 */
		return DTLS_ERR_NOT_DTLS;
	*handshake = false;
	for (size_t off = 0; off < len;) {
		if (len - off < RECORD_HEADER_LEN)
			return DTLS_ERR_MALFORMED;
		uint8_t type = p[off];
		size_t body = (size_t)p[off + 11] << 8 | p[off + 12];
		/* change_cipher_spec 20, alert 21, handshake 22, application_data 23; every
		 * DTLS version is 0xFExx (RFC 6347 sect. 4.1: 1.0 is FEFF, 1.2 FEFD). */
		if (type < 20 || type > 23 || p[off + 1] != 0xfe)
			return DTLS_ERR_MALFORMED;
		if (body > RECORD_MAX_LEN || body > len - off - RECORD_HEADER_LEN)
			return DTLS_ERR_MALFORMED;
		if (type == 20 || type == 22)
			*handshake = true;
		off += RECORD_HEADER_LEN + body;
	}
	return DTLS_OK;
}

/* The peer resent handshake records that OpenSSL dropped as duplicates without a word:
 * it has not got our final flight (see the top comment). */
static enum dtls_err maybe_resend_final_flight(struct dtls_session *s, uint64_t now)
{
	if (s->role != DTLS_ROLE_SERVER || s->io.wrote || dtls_queue_count(&s->io.flight) == 0)
		return DTLS_OK;
	if (s->resent_once && now - s->last_resend < RESEND_GAP_MS)
		return DTLS_OK;
	s->resent_once = true;
	s->last_resend = now;
	if (!dtls_queue_push_all(&s->io.out, &s->io.flight))
		return fail(s, DTLS_ERR_OVERFLOW);
	return DTLS_OK;
}

/* Records after the handshake: alerts, a retransmitted Finished, and application data,
 * which DTLS-SRTP does not use and is dropped. */
static enum dtls_err connected_input(struct dtls_session *s, const uint8_t *buf, size_t len,
				     bool handshake, uint64_t now)
{
	uint8_t sink[512];
	int rc, ssl_err;
	dtls_bio_begin(&s->io, buf, len);
	do {
		ERR_clear_error();
		rc = SSL_read(s->ssl, sink, sizeof sink);
	} while (rc > 0);
	ssl_err = SSL_get_error(s->ssl, rc);
	dtls_bio_end(&s->io);
	if (s->io.overflow)
		return fail(s, DTLS_ERR_OVERFLOW);
	switch (ssl_err) {
	case SSL_ERROR_WANT_READ:
		return handshake ? maybe_resend_final_flight(s, now) : DTLS_OK;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify: answer in kind (RFC 5246 sect. 7.2.1) and close. */
		dtls_bio_begin(&s->io, NULL, 0);
		(void)SSL_shutdown(s->ssl);
		dtls_bio_end(&s->io);
		set_state(s, DTLS_STATE_CLOSED, DTLS_ERR_PEER_CLOSED);
		ERR_clear_error();
		return DTLS_ERR_PEER_CLOSED;
	default:
		return fail(s, DTLS_ERR_HANDSHAKE);
	}
}

enum dtls_err dtls_session_feed(struct dtls_session *s, const uint8_t *buf, size_t len,
				uint64_t now_ms)
{
	if (!s || !buf || len == 0 || len > DATAGRAM_MAX)
		return DTLS_ERR_PARAM;
	bool handshake = false;
	enum dtls_err err = check_records(buf, len, &handshake);
	if (err)
		return err;
	switch (s->state) {
	case DTLS_STATE_NEW:
		if (s->role == DTLS_ROLE_CLIENT)
			return DTLS_ERR_STATE; /* dtls_session_start first */
		set_state(s, DTLS_STATE_HANDSHAKING, DTLS_OK);
		s->hs_deadline = now_ms + s->handshake_timeout_ms;
		return drive_handshake(s, buf, len, now_ms);
	case DTLS_STATE_HANDSHAKING:
		if (now_ms >= s->hs_deadline)
			return fail(s, DTLS_ERR_TIMEOUT);
		return drive_handshake(s, buf, len, now_ms);
	case DTLS_STATE_CONNECTED:
		if (!s->ssl)
			return DTLS_ERR_RELEASED;
		return connected_input(s, buf, len, handshake, now_ms);
	case DTLS_STATE_FAILED:
	case DTLS_STATE_CLOSED:
		break;
	}
	return DTLS_ERR_STATE;
}

/* --- Output, time, end ----------------------------------------------------------------- */

enum dtls_err dtls_session_take(struct dtls_session *s, uint8_t *buf, size_t cap, size_t *len)
{
	if (!s || !len || (!buf && cap))
		return DTLS_ERR_PARAM;
	*len = 0;
	size_t need = dtls_queue_peek_len(&s->io.out);
	if (need == 0)
		return DTLS_OK;
	if (need > cap)
		return DTLS_ERR_SPACE;
	*len = dtls_queue_pop(&s->io.out, buf);
	return DTLS_OK;
}

size_t dtls_session_pending(const struct dtls_session *s)
{
	return s ? dtls_queue_count(&s->io.out) : 0;
}

uint64_t dtls_session_next_timeout(const struct dtls_session *s)
{
	if (!s || s->state != DTLS_STATE_HANDSHAKING)
		return UINT64_MAX;
	return s->rtx_deadline < s->hs_deadline ? s->rtx_deadline : s->hs_deadline;
}

enum dtls_err dtls_session_handle_timeout(struct dtls_session *s, uint64_t now_ms)
{
	if (!s)
		return DTLS_ERR_PARAM;
	if (s->state != DTLS_STATE_HANDSHAKING)
		return DTLS_OK;
	if (now_ms >= s->hs_deadline)
		return fail(s, DTLS_ERR_TIMEOUT);
	if (now_ms < s->rtx_deadline)
		return DTLS_OK;
	/* RFC 6347 sect. 4.2.4: send the flight again and back off. */
	if (!dtls_queue_push_all(&s->io.out, &s->io.flight))
		return fail(s, DTLS_ERR_OVERFLOW);
	s->rto_ms = s->rto_ms > s->rto_max_ms / 2 ? s->rto_max_ms : s->rto_ms * 2;
	s->rtx_deadline = now_ms + s->rto_ms;
	return DTLS_OK;
}

enum dtls_err dtls_session_close(struct dtls_session *s, uint64_t now_ms)
{
	(void)now_ms; /* nothing to time: close_notify needs no answer (RFC 5246 7.2.1) */
	if (!s)
		return DTLS_ERR_PARAM;
	switch (s->state) {
	case DTLS_STATE_CONNECTED:
		if (s->ssl) {
			dtls_bio_begin(&s->io, NULL, 0);
			ERR_clear_error();
			(void)SSL_shutdown(s->ssl);
			dtls_bio_end(&s->io);
			ERR_clear_error();
		}
		set_state(s, DTLS_STATE_CLOSED, DTLS_OK);
		return DTLS_OK;
	case DTLS_STATE_NEW:
	case DTLS_STATE_HANDSHAKING:
		/* OpenSSL refuses close_notify in the middle of a handshake. */
		set_state(s, DTLS_STATE_CLOSED, DTLS_OK);
		return DTLS_OK;
	case DTLS_STATE_FAILED:
	case DTLS_STATE_CLOSED:
		break;
	}
	return DTLS_OK;
}

enum dtls_err dtls_session_release_ssl(struct dtls_session *s)
{
	if (!s)
		return DTLS_ERR_PARAM;
	if (s->state != DTLS_STATE_CONNECTED)
		return DTLS_ERR_STATE;
	SSL_free(s->ssl); /* frees the BIO too; queued output stays in s->io.out */
	s->ssl = NULL;
	s->released = true;
	dtls_queue_clear(&s->io.flight);
	return DTLS_OK;
}

enum dtls_state dtls_session_state(const struct dtls_session *s)
{
	return s ? s->state : DTLS_STATE_FAILED;
}

enum dtls_err dtls_session_failure(const struct dtls_session *s)
{
	return s ? s->failure : DTLS_ERR_PARAM;
}

bool dtls_session_released(const struct dtls_session *s)
{
	return s && s->released;
}

enum dtls_err dtls_session_srtp_keys(const struct dtls_session *s, struct dtls_srtp_keys *out)
{
	if (!s || !out)
		return DTLS_ERR_PARAM;
	if (s->state != DTLS_STATE_CONNECTED)
		return DTLS_ERR_STATE;
	*out = s->keys;
	return DTLS_OK;
}
