/*
 * tls -- plenaryd's certificate and key (--tls-cert, --tls-key): checking a pair, the
 * protocol and cipher policy of the HTTPS listener, and the reload on SIGHUP. OpenSSL
 * only; server.c hands lws the files and the policy and gives this file the listener's
 * SSL_CTX to reload.
 *
 * The policy (docs/protocol.md "TLS"): TLS 1.2 and 1.3 only; for 1.2, ECDHE key exchange
 * with AES-GCM or ChaCha20-Poly1305 (forward secrecy and AEAD, no CBC, no RSA key
 * exchange: Mozilla's "intermediate" list without its DHE suites), for 1.3 OpenSSL's
 * three AEAD suites. Every browser of the last years speaks both.
 */
#ifndef PLENARY_GATEWAY_TLS_H
#define PLENARY_GATEWAY_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#define GW_TLS12_CIPHERS                                                                           \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define GW_TLS13_CIPHERS                                                                           \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/* Strict-Transport-Security on every HTTPS response: a year, this host only (whether
 * the operator's other names speak HTTPS is not plenaryd's to promise). */
#define GW_TLS_HSTS "max-age=31536000"

/* Reads the certificate chain and the key and checks that the key is the certificate's.
 * False with a sentence in err naming the file and what is wrong with it: missing or
 * unreadable (with the system's reason), not PEM, or a key that does not match. Used
 * before anything listens, so a bad pair stops plenaryd at start. */
bool gw_tls_check_pair(const char *cert, const char *key, char *err, size_t err_cap);

/* The listener's policy on lws's SSL_CTX: TLS 1.2 at least. False if OpenSSL refuses. */
bool gw_tls_harden(SSL_CTX *ctx);

/* Replaces the certificate, its chain and the key of live (the listener's SSL_CTX) with
 * those of the files, once they have loaded and matched in a context of their own: a
 * renewal that is half-written, unreadable or mismatched changes nothing (false, err
 * says why). Connections already open keep the certificate they were made with; the
 * next handshake uses the new one. A key of another type (RSA for ECDSA or back) is
 * refused too: OpenSSL keeps one certificate per key type, so the old one would stay
 * beside it. On success, who names the new certificate's subject and serial. */
bool gw_tls_reload(SSL_CTX *live, const char *cert, const char *key, char *who, size_t who_cap,
		   char *err, size_t err_cap);

/* "subject=... serial=..." of the certificate in ctx, for the log. */
void gw_tls_describe(SSL_CTX *ctx, char *out, size_t cap);

#endif
