/*
 * The certificate and key of plenaryd's HTTPS listener: checked before anything listens,
 * reloaded on SIGHUP.
 *
 * A pair is always read into an SSL_CTX of its own first (load_pair): each file once, the
 * chain with SSL_CTX_use_certificate_chain_file as lws itself reads it, the key with a
 * passphrase callback that refuses (an encrypted key is an error at start, never a prompt
 * on a terminal nobody watches), and the key checked against the certificate. Only a
 * pair that passed is moved into the live context, from the very objects that were
 * checked -- not read again from files that a renewal may be rewriting at that moment
 * -- which is why the reload is done here rather than by lws_tls_cert_updated(), which
 * re-reads the paths into the live context and leaves it with a new certificate and the
 * old key when they do not match.
 *
 * Open connections are not touched: an SSL copies its context's certificate when it is
 * made, so only handshakes after the reload see the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gateway/tls.h"

static void openssl_reason(char *out, size_t cap)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(out, cap, "%s", r ? r : "unknown reason");
	ERR_clear_error();
}

static bool readable(const char *what, const char *path, char *err, size_t err_cap)
{
	FILE *f = fopen(path, "r");
	/* A directory opens; reading it is what fails. */
	if (!f || (fgetc(f) == EOF && ferror(f))) {
		snprintf(err, err_cap, "TLS %s %s: %s", what, path, strerror(errno));
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	return true;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

static EVP_PKEY *read_key(const char *path, char *err, size_t err_cap)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_cap, "TLS key %s: %s", path, strerror(errno));
		return NULL;
	}
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (!k) {
		char why[160];
		openssl_reason(why, sizeof why);
		snprintf(err, err_cap,
			 "TLS key %s: no unencrypted PEM private key in it (OpenSSL: %s)", path,
			 why);
	}
	return k;
}

/* A context holding the pair, or NULL with err set. */
static SSL_CTX *load_pair(const char *cert, const char *key, char *err, size_t err_cap)
{
	if (!readable("certificate", cert, err, err_cap) || !readable("key", key, err, err_cap))
		return NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *pkey = NULL;
	char why[160];
	if (!ctx) {
		snprintf(err, err_cap, "TLS: cannot make an OpenSSL context");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		openssl_reason(why, sizeof why);
		snprintf(err, err_cap, "TLS certificate %s: no PEM certificate in it (OpenSSL: %s)",
			 cert, why);
		goto fail;
	}
	pkey = read_key(key, err, err_cap);
	if (!pkey)
		goto fail;
	if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), pkey) != 1) {
		ERR_clear_error();
		snprintf(err, err_cap, "TLS key %s does not match the certificate %s", key, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		openssl_reason(why, sizeof why);
		snprintf(err, err_cap, "TLS key %s with certificate %s: %s", key, cert, why);
		goto fail;
	}
	EVP_PKEY_free(pkey);
	return ctx;
fail:
	EVP_PKEY_free(pkey);
	SSL_CTX_free(ctx);
	return NULL;
}

bool gw_tls_check_pair(const char *cert, const char *key, char *err, size_t err_cap)
{
	SSL_CTX *ctx = load_pair(cert, key, err, err_cap);
	SSL_CTX_free(ctx);
	return ctx != NULL;
}

bool gw_tls_harden(SSL_CTX *ctx)
{
	return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
}

/* Sets cert (then key, which must follow its certificate: OpenSSL drops a key that does
 * not match a newly set certificate) and chain on ctx. */
static bool install(SSL_CTX *ctx, X509 *x, EVP_PKEY *k, STACK_OF(X509) * chain)
{
	return SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1 &&
	       SSL_CTX_set1_chain(ctx, chain) == 1 && SSL_CTX_check_private_key(ctx) == 1;
}

bool gw_tls_reload(SSL_CTX *live, const char *cert, const char *key, char *who, size_t who_cap,
		   char *err, size_t err_cap)
{
	SSL_CTX *fresh = load_pair(cert, key, err, err_cap);
	if (!fresh)
		return false;
	bool ok = false;
	STACK_OF(X509) *new_chain = NULL, *old_chain = NULL;
	X509 *new_x = SSL_CTX_get0_certificate(fresh), *old_x = SSL_CTX_get0_certificate(live);
	EVP_PKEY *new_k = SSL_CTX_get0_privatekey(fresh), *old_k = SSL_CTX_get0_privatekey(live);
	SSL_CTX_get0_chain_certs(fresh, &new_chain);
	SSL_CTX_get0_chain_certs(live, &old_chain);
	if (old_k && EVP_PKEY_base_id(old_k) != EVP_PKEY_base_id(new_k)) {
		snprintf(err, err_cap,
			 "TLS key %s is of another type than the one in use: restart plenaryd to "
			 "change the key type",
			 key);
		goto done;
	}
	/* Held while they are replaced, to put them back if OpenSSL fails half-way. */
	if (old_x)
		X509_up_ref(old_x);
	if (old_k)
		EVP_PKEY_up_ref(old_k);
	old_chain = old_chain ? X509_chain_up_ref(old_chain) : NULL;
	ok = install(live, new_x, new_k, new_chain);
	if (!ok) {
		openssl_reason(who, who_cap);
		snprintf(err, err_cap, "TLS: OpenSSL refused the new pair (%s); the old one stays",
			 who);
		if (old_x && old_k)
			(void)install(live, old_x, old_k, old_chain);
	}
	X509_free(old_x);
	EVP_PKEY_free(old_k);
	sk_X509_pop_free(old_chain, X509_free);
	if (ok)
		gw_tls_describe(live, who, who_cap);
done:
	SSL_CTX_free(fresh);
	return ok;
}

void gw_tls_describe(SSL_CTX *ctx, char *out, size_t cap)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	char subject[256] = "?";
	char *serial = NULL;
	if (x) {
		X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		serial = bn ? BN_bn2hex(bn) : NULL;
		BN_free(bn);
	}
	snprintf(out, cap, "subject=\"%s\" serial=%s", subject, serial ? serial : "?");
	OPENSSL_free(serial);
}
