/*
 * dtls_internal -- what dtls_context.c and dtls.c share; private to those two files.
 */
#ifndef PLENARY_MEDIA_DTLS_INTERNAL_H
#define PLENARY_MEDIA_DTLS_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "media/secure/dtls.h"

/* OpenSSL's names for the protection profiles; the server prefers the first of its list
 * that the client offers, so this order makes GCM the preference (RFC 7714 sect. 14.2). */
#define DTLS_PROFILES_BOTH "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define DTLS_PROFILE_GCM   "SRTP_AEAD_AES_128_GCM"
#define DTLS_PROFILE_CM_80 "SRTP_AES128_CM_SHA1_80"

/* Written only by dtls_context_create_at; read-only, and so shareable, afterwards, but for
 * refs: the owner's reference and one per session made from it, counted atomically
 * (sessions end on worker threads while the gateway thread rotates the certificate). */
struct dtls_context {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *bio_method;
	atomic_uint refs;
	int64_t made_s; /* the clock the certificate's validity was counted from */
	char fingerprint[DTLS_FINGERPRINT_TEXT_MAX];
};

/* One more reference (a session made from ctx); dtls_context_destroy drops one. */
struct dtls_context *dtls_context_ref(struct dtls_context *ctx);

/* True if the digest of cert under want's hash is want's digest (constant time). */
bool dtls_certificate_matches(X509 *cert, const struct dtls_fingerprint *want);

/* The SSL_CTX's certificate verify callback (dtls.c); arg is unused. */
int dtls_verify_peer(X509_STORE_CTX *store, void *arg);

#endif
