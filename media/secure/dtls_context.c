/*
 * dtls_context -- the process-wide half of media/secure/dtls.h: one certificate, its fingerprint,
 * the SSL_CTX every session is made from; and the fingerprint syntax of RFC 8122.
 *
 * Authentication is the SDP's: RFC 5763 sect. 5 says the certificate is self-signed and
 * trusted only if its digest equals the a=fingerprint of the peer's SDP. A certificate
 * verify callback replaces OpenSSL's chain building with exactly that comparison, so a
 * mismatch aborts the handshake with an alert, before any key is derived.
 *
 * The certificate is therefore made here: a fresh ECDSA P-256 key (RFC 8827 sect. 6.5
 * makes ECDHE-ECDSA with AES-128-GCM on P-256 mandatory to implement, so every browser can
 * use it), a random serial, a short validity (DTLS_CERT_LIFETIME_S). Its SHA-256 digest
 * goes into every SDP answer. A server that runs for weeks makes a new one before the old
 * one expires (media.c, when an offer comes on the gateway thread); an answer already
 * sent named the old one, so its session must keep handshaking with it: every session
 * holds a reference to the context it was made from, and the last reference frees it.
 *
 * Sharing: everything here is written in dtls_context_create_at and only read afterwards,
 * but for the atomic reference count. OpenSSL counts SSL_CTX references atomically, the
 * session cache is off, and the BIO method is immutable, so worker threads can make and
 * end sessions concurrently with no lock.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "media/secure/dtls.h"
#include "media/secure/dtls_bio.h"
#include "media/secure/dtls_internal.h"

#define CERT_VALID_BEFORE_S (24 * 3600L) /* tolerate a peer clock a day behind */
#define CERT_COMMON_NAME    "plenary"

/* Server and client suites: ECDHE only (forward secrecy), AEAD only. The server's key is
 * ECDSA, so only the ECDSA suites can be chosen by it; the RSA ones let the client role
 * talk to other servers. */
#define CIPHERS                                                                                    \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                             \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define GROUPS "X25519:P-256:P-384"

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

const char *dtls_srtp_profile_name(enum dtls_srtp_profile profile)
{
	switch (profile) {
	case DTLS_SRTP_NONE:
		return "none";
	case DTLS_SRTP_AES128_CM_SHA1_80:
		return DTLS_PROFILE_CM_80;
	case DTLS_SRTP_AEAD_AES_128_GCM:
		return DTLS_PROFILE_GCM;
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

bool dtls_certificate_matches(X509 *cert, const struct dtls_fingerprint *want)
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

/* Self-signed X.509v3 with a random positive 64-bit serial (RFC 5280 sect. 4.1.2.2),
 * valid from a day before now to DTLS_CERT_LIFETIME_S after it. */
static X509 *make_certificate(EVP_PKEY *key, int64_t now_s)
{
	time_t now = (time_t)now_s;
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
	    !X509_time_adj_ex(X509_getm_notBefore(cert), 0, -CERT_VALID_BEFORE_S, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), 0, DTLS_CERT_LIFETIME_S, &now) ||
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
	    SSL_CTX_set_tlsext_use_srtp(c, DTLS_PROFILES_BOTH) != 0) { /* 0 is success here */
		SSL_CTX_free(c);
		return NULL;
	}
	/* RFC 5763 sect. 5: both sides present certificates; the server must ask. */
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(c, dtls_verify_peer, NULL);
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
	return dtls_context_create_at((int64_t)time(NULL), out);
}

enum dtls_err dtls_context_create_at(int64_t now_s, struct dtls_context **out)
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
	atomic_init(&ctx->refs, 1);
	ctx->made_s = now_s;
	if (!key || !(cert = make_certificate(key, now_s)) ||
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

struct dtls_context *dtls_context_ref(struct dtls_context *ctx)
{
	atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
	return ctx;
}

void dtls_context_destroy(struct dtls_context *ctx)
{
	/* Release, then acquire on the last: whatever a thread did with the context happens
	 * before another frees it. */
	if (!ctx || atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	BIO_meth_free(ctx->bio_method);
	free(ctx);
}

const char *dtls_context_fingerprint(const struct dtls_context *ctx)
{
	return ctx ? ctx->fingerprint : "";
}

int64_t dtls_context_made_s(const struct dtls_context *ctx)
{
	return ctx->made_s;
}
