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
 * Authentication is the SDP's: RFC 5763 sect. 5 says the certificate is self-signed and
 * trusted only if its digest equals the a=fingerprint of the peer's SDP. A certificate
 * verify callback replaces OpenSSL's chain building with exactly that comparison, so a
 * mismatch aborts the handshake with an alert, before any key is derived.
 *
 * Memory. During the handshake an SSL object costs tens of kilobytes (record buffers,
 * handshake transcript, the peer's certificate). Once the keys are exported none of it is
 * needed except to answer a lost final flight, so dtls_session_release_ssl frees it when
 * the caller knows the peer is done (see dtls.h). SSL_MODE_RELEASE_BUFFERS trims the
 * record buffers before that.
 */
#include "media/dtls.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "media/dtls_bio.h"

#define RTO_INITIAL_MS	     1000u  /* RFC 6347 sect. 4.2.4.1 */
#define RTO_MAX_MS	     60000u /* RFC 6347 sect. 4.2.4.1 */
#define HANDSHAKE_TIMEOUT_MS 20000u
#define RESEND_GAP_MS	     250u /* least time between final-flight resends */
/* OpenSSL's own flight timer: an hour, i.e. never within a handshake (see above). */
#define OPENSSL_TIMER_US 3600000000u

#define CERT_VALID_BEFORE_S (24 * 3600L)      /* tolerate a peer clock a day behind */
#define CERT_VALID_AFTER_S  (30 * 24 * 3600L) /* browsers pin by digest, not dates */
#define CERT_COMMON_NAME    "plenary"

/* Server and client suites: ECDHE only (forward secrecy), AEAD only. The server's key is
 * ECDSA, so only the ECDSA suites can be chosen by it; the RSA ones let the client role
 * talk to other servers. */
#define CIPHERS                                                                                    \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                             \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define GROUPS "X25519:P-256:P-384"

/* The server picks the first profile of its own list that the client offers, so this
 * order is the preference (RFC 7714 sect. 14.2 defines the GCM profile). */
#define PROFILES_BOTH  "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define PROFILE_GCM    "SRTP_AEAD_AES_128_GCM"
#define PROFILE_CM_80  "SRTP_AES128_CM_SHA1_80"
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 sect. 4.2 */

#define RECORD_HEADER_LEN 13		 /* RFC 6347 sect. 4.1 */
#define RECORD_MAX_LEN	  (16384 + 2048) /* RFC 6347 sect. 4.1: TLSCiphertext bound */
#define DATAGRAM_MAX	  65535

struct dtls_context {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *bio_method;
	char fingerprint[DTLS_FINGERPRINT_TEXT_MAX];
};

struct dtls_session {
	SSL *ssl; /* NULL once released, failed or closed */
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

static const char *const error_names[] = {
    [DTLS_OK] = "ok",
    [DTLS_ERR_PARAM] = "invalid argument",
    [DTLS_ERR_NOMEM] = "out of memory",
    [DTLS_ERR_CRYPTO] = "OpenSSL failed to make keys, certificate or context",
    [DTLS_ERR_STATE] = "not possible in the session's state",
    [DTLS_ERR_NOT_DTLS] = "not a DTLS datagram",
    [DTLS_ERR_MALFORMED] = "malformed DTLS record framing",
    [DTLS_ERR_BAD_FINGERPRINT] = "unparsable certificate fingerprint",
    [DTLS_ERR_FINGERPRINT] = "peer certificate does not match the fingerprint",
    [DTLS_ERR_HANDSHAKE] = "DTLS failed: alert sent or received",
    [DTLS_ERR_NO_SRTP] = "no SRTP protection profile in common",
    [DTLS_ERR_TIMEOUT] = "DTLS handshake timed out",
    [DTLS_ERR_PEER_CLOSED] = "peer closed the DTLS session",
    [DTLS_ERR_RELEASED] = "DTLS state released; datagram ignored",
    [DTLS_ERR_SPACE] = "buffer too small for the datagram",
    [DTLS_ERR_OVERFLOW] = "DTLS output queue full",
};

const char *dtls_strerror(enum dtls_err err)
{
	if ((size_t)err < sizeof error_names / sizeof error_names[0] && error_names[err])
		return error_names[err];
	return "unknown DTLS error";
}

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

const char *dtls_srtp_profile_name(enum dtls_srtp_profile profile)
{
	switch (profile) {
	case DTLS_SRTP_NONE:
		return "none";
	case DTLS_SRTP_AES128_CM_SHA1_80:
		return PROFILE_CM_80;
	case DTLS_SRTP_AEAD_AES_128_GCM:
		return PROFILE_GCM;
	}
	return "unknown";
}

/* --- Fingerprints ---------------------------------------------------------------------- */

static const struct hash_name {
	const char *name; /* RFC 8122 sect. 5, from the IANA "Hash Function Textual Names" */
	enum dtls_hash hash;
	size_t len;
} hashes[] = {
    {"sha-1", DTLS_HASH_SHA1, 20},     {"sha-224", DTLS_HASH_SHA224, 28},
    {"sha-256", DTLS_HASH_SHA256, 32}, {"sha-384", DTLS_HASH_SHA384, 48},
    {"sha-512", DTLS_HASH_SHA512, 64},
};

static const EVP_MD *hash_md(enum dtls_hash hash)
{
	switch (hash) {
	case DTLS_HASH_SHA1:
		return EVP_sha1();
	case DTLS_HASH_SHA224:
		return EVP_sha224();
	case DTLS_HASH_SHA256:
		return EVP_sha256();
	case DTLS_HASH_SHA384:
		return EVP_sha384();
	case DTLS_HASH_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Reads "HH:HH:...:HH" from p[0..len) into out; returns the byte count or -1. */
static long parse_hex_pairs(const char *p, size_t len, uint8_t *out, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len) {
		if (n > 0 && p[i++] != ':')
			return -1;
		if (len - i < 2 || n == max)
			return -1;
		int hi = hex_value(p[i]), lo = hex_value(p[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return (long)n;
}

/* The hashes[] entry named text[0..len), case-insensitively; NULL if none. */
static const struct hash_name *find_hash(const char *text, size_t len)
{
	for (size_t h = 0; h < sizeof hashes / sizeof hashes[0]; h++)
		if (strlen(hashes[h].name) == len && strncasecmp(hashes[h].name, text, len) == 0)
			return &hashes[h];
	return NULL;
}

enum dtls_err dtls_fingerprint_parse(const char *text, size_t len, struct dtls_fingerprint *out)
{
	if (!text || !out)
		return DTLS_ERR_PARAM;
	while (len > 0 && is_blank(text[0]))
		text++, len--;
	while (len > 0 && is_blank(text[len - 1]))
		len--;
	size_t name_len = 0;
	while (name_len < len && !is_blank(text[name_len]))
		name_len++;
	size_t digits = name_len;
	while (digits < len && is_blank(text[digits]))
		digits++;
	const struct hash_name *h = find_hash(text, name_len);
	if (!h || digits == name_len) /* unknown hash, or no digest after it */
		return DTLS_ERR_BAD_FINGERPRINT;
	struct dtls_fingerprint fp = {.hash = h->hash, .len = h->len};
	long n = parse_hex_pairs(text + digits, len - digits, fp.digest, sizeof fp.digest);
	if (n != (long)fp.len)
		return DTLS_ERR_BAD_FINGERPRINT;
	*out = fp;
	return DTLS_OK;
}

static bool certificate_matches(X509 *cert, const struct dtls_fingerprint *want)
{
	const EVP_MD *md = hash_md(want->hash);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!md || X509_digest(cert, md, digest, &n) != 1 || n != want->len)
		return false;
	return CRYPTO_memcmp(digest, want->digest, n) == 0;
}

/* RFC 8122 sect. 5: "sha-256" then uppercase hex pairs joined by colons. */
static bool format_fingerprint(X509 *cert, char *out, size_t cap)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hex[] = "0123456789ABCDEF";
	const char prefix[] = "sha-256 ";
	if (X509_digest(cert, EVP_sha256(), digest, &n) != 1 || sizeof prefix + n * 3 > cap)
		return false;
	memcpy(out, prefix, sizeof prefix - 1);
	char *p = out + sizeof prefix - 1;
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hex[digest[i] >> 4];
		*p++ = hex[digest[i] & 15];
	}
	*p = '\0';
	return true;
}

/* --- Context --------------------------------------------------------------------------- */

/* Self-signed X.509v3 with a random positive 64-bit serial (RFC 5280 sect. 4.1.2.2). */
static X509 *make_certificate(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	BIGNUM *serial = NULL;
	unsigned char rnd[8];
	if (!cert || RAND_bytes(rnd, sizeof rnd) != 1)
		goto fail;
	rnd[0] = (unsigned char)((rnd[0] & 0x7f) | 0x40); /* positive, never zero */
	serial = BN_bin2bn(rnd, sizeof rnd, NULL);
	X509_NAME *name = X509_get_subject_name(cert);
	if (!serial || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) ||
	    !X509_set_version(cert, X509_VERSION_3) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -CERT_VALID_BEFORE_S) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), CERT_VALID_AFTER_S) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)CERT_COMMON_NAME, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key) ||
	    X509_sign(cert, key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(serial);
	return cert;
fail:
	BN_free(serial);
	X509_free(cert);
	return NULL;
}

/* SSL_CTX_set_cert_verify_callback: replaces chain verification (RFC 5763 sect. 5). */
static int verify_peer(X509_STORE_CTX *store, void *arg)
{
	(void)arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_session *s = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);
	if (!s || !leaf)
		return 0;
	if (!certificate_matches(leaf, &s->remote)) {
		s->fingerprint_mismatch = true;
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	s->peer_verified = true;
	return 1;
}

static SSL_CTX *make_ssl_ctx(X509 *cert, EVP_PKEY *key)
{
	SSL_CTX *c = SSL_CTX_new(DTLS_method());
	if (!c)
		return NULL;
	/* RFC 8827 sect. 6.5: DTLS 1.2 or later; OpenSSL 3.0 has no DTLS 1.3. */
	if (!SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(c, cert) != 1 || SSL_CTX_use_PrivateKey(c, key) != 1 ||
	    SSL_CTX_check_private_key(c) != 1 || SSL_CTX_set_cipher_list(c, CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(c, GROUPS) != 1 ||
	    SSL_CTX_set_tlsext_use_srtp(c, PROFILES_BOTH) != 0) { /* 0 is success here */
		SSL_CTX_free(c);
		return NULL;
	}
	/* RFC 5763 sect. 5: both sides present certificates; the server must ask. */
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(c, verify_peer, NULL);
	/* No resumption: nothing to share between threads, nothing to cache. */
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
				   SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	/* OpenSSL sizes the write buffer from this (16 KiB by default). Nothing but
	 * handshake fragments and alerts is ever written, and those fit the MTU. */
	if (SSL_CTX_set_max_send_fragment(c, DTLS_MTU_MAX) != 1) {
		SSL_CTX_free(c);
		return NULL;
	}
	return c;
}

enum dtls_err dtls_context_create(struct dtls_context **out)
{
	if (!out)
		return DTLS_ERR_PARAM;
	enum dtls_err err = DTLS_ERR_CRYPTO;
	X509 *cert = NULL;
	struct dtls_context *ctx = calloc(1, sizeof *ctx);
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!ctx) {
		err = DTLS_ERR_NOMEM;
		goto fail;
	}
	if (!key || !(cert = make_certificate(key)) ||
	    !format_fingerprint(cert, ctx->fingerprint, sizeof ctx->fingerprint) ||
	    !(ctx->ssl_ctx = make_ssl_ctx(cert, key)) ||
	    !(ctx->bio_method = dtls_bio_method_create()))
		goto fail;
	X509_free(cert); /* the SSL_CTX holds its own references */
	EVP_PKEY_free(key);
	*out = ctx;
	return DTLS_OK;
fail:
	X509_free(cert);
	EVP_PKEY_free(key);
	dtls_context_destroy(ctx);
	ERR_clear_error();
	return err;
}

void dtls_context_destroy(struct dtls_context *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	BIO_meth_free(ctx->bio_method);
	free(ctx);
}

const char *dtls_context_fingerprint(const struct dtls_context *ctx)
{
	return ctx ? ctx->fingerprint : "";
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
		return PROFILE_GCM;
	case DTLS_OFFER_CM_80:
		return PROFILE_CM_80;
	default:
		return NULL; /* both: the context's list */
	}
}

static enum dtls_err check_config(const struct dtls_session_config *cfg)
{
	if (!cfg->remote_fingerprint || !hash_md(cfg->remote_fingerprint->hash))
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

enum dtls_role dtls_session_role(const struct dtls_session *s)
{
	return s ? s->role : DTLS_ROLE_SERVER;
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
