/*
 * ice_lite -- one decision per STUN datagram; see ice_lite.h for the rules and why
 * failures are dropped rather than answered.
 *
 * The order of the checks matters for cost and for what an attacker can learn: the cheap
 * structural checks (parse, class, CRC-32 FINGERPRINT) come first, then the ufrag lookup,
 * and only then the HMAC -- so a flood of junk costs a hash lookup at most, and nothing
 * about a peer is revealed to a request that does not carry its password.
 */
#include "media/secure/ice_lite.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "media/secure/peer_table.h"

#define STUN_CLASS_REQUEST  0
#define STUN_METHOD_BINDING 0x001

const char *ice_strerror(enum ice_err err)
{
	static const char *const names[] = {
	    [ICE_OK] = "ok",
	    [ICE_EMALFORMED] = "malformed STUN message",
	    [ICE_ENOT_REQUEST] = "not a Binding request",
	    [ICE_ENO_FINGERPRINT] = "STUN request without FINGERPRINT",
	    [ICE_EFINGERPRINT] = "STUN FINGERPRINT does not match",
	    [ICE_ENO_USERNAME] = "STUN request without an ICE USERNAME",
	    [ICE_EUNKNOWN_UFRAG] = "USERNAME names no peer of ours",
	    [ICE_EREMOTE_UFRAG] = "USERNAME's remote ufrag is not the peer's",
	    [ICE_ENO_INTEGRITY] = "STUN request without MESSAGE-INTEGRITY",
	    [ICE_EINTEGRITY] = "MESSAGE-INTEGRITY does not match the ice-pwd",
	    [ICE_EREPLY] = "could not build the STUN response",
	    [ICE_EINVAL] = "invalid argument",
	};
	if ((unsigned)err < sizeof names / sizeof names[0] && names[err] != NULL)
		return names[err];
	return "unknown ICE error";
}

/* RFC 8839 sect. 5.4: ice-char = ALPHA / DIGIT / "+" / "/". 64 of them: 6 bits each. */
static const char ice_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool random_ice_chars(char *out, size_t n)
{
	unsigned char raw[ICE_PWD_LEN];
	if (n > sizeof raw || RAND_bytes(raw, (int)n) != 1)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = ice_chars[raw[i] & 63];
	out[n] = '\0';
	return true;
}

bool ice_make_credentials(char ufrag[ICE_UFRAG_LEN + 1], char pwd[ICE_PWD_LEN + 1])
{
	return random_ice_chars(ufrag, ICE_UFRAG_LEN) && random_ice_chars(pwd, ICE_PWD_LEN);
}

void ice_peer_init(struct ice_peer *p, const char *ufrag, const char *pwd, const char *remote_ufrag,
		   uint64_t now_ms)
{
	memset(p, 0, sizeof *p);
	snprintf(p->ufrag, sizeof p->ufrag, "%s", ufrag);
	snprintf(p->pwd, sizeof p->pwd, "%s", pwd);
	p->remote_ufrag_len = strnlen(remote_ufrag, ICE_MAX_REMOTE_UFRAG);
	memcpy(p->remote_ufrag, remote_ufrag, p->remote_ufrag_len);
	p->remote_ufrag[p->remote_ufrag_len] = '\0';
	p->last_consent_ms = now_ms;
}

bool ice_lite_consent_expired(const struct ice_peer *p, uint64_t now_ms)
{
	return now_ms >= p->last_consent_ms &&
	       now_ms - p->last_consent_ms >= ICE_CONSENT_TIMEOUT_MS;
}

/* Everything up to the password check: a Binding request with a good FINGERPRINT whose
 * USERNAME is "our ufrag:their ufrag" for a peer of t. */
static enum ice_err identify(struct peer_table *t, const uint8_t *buf, size_t len,
			     struct stun_msg *msg, struct ice_peer **out)
{
	if (stun_parse(buf, len, msg) != STUN_OK)
		return ICE_EMALFORMED;
	if (msg->class_ != STUN_CLASS_REQUEST || msg->method != STUN_METHOD_BINDING)
		return ICE_ENOT_REQUEST;
	enum stun_err err = stun_check_fingerprint(buf, len, msg);
	if (err == STUN_ENO_FINGERPRINT)
		return ICE_ENO_FINGERPRINT;
	if (err != STUN_OK)
		return ICE_EFINGERPRINT;
	const uint8_t *ours, *theirs;
	size_t ours_len, theirs_len;
	if (!stun_username_split(msg, &ours, &ours_len, &theirs, &theirs_len))
		return ICE_ENO_USERNAME;
	struct ice_peer *p = peer_table_by_ufrag(t, ours, ours_len);
	if (p == NULL)
		return ICE_EUNKNOWN_UFRAG;
	if (theirs_len != p->remote_ufrag_len || memcmp(theirs, p->remote_ufrag, theirs_len) != 0)
		return ICE_EREMOTE_UFRAG;
	*out = p;
	return ICE_OK;
}

/* The response: 420 lists what we did not understand (RFC 5389 sect. 7.3.1), 487 tells a
 * peer that also claims the controlled role to take the other one (RFC 8445 sect.
 * 7.3.1.1: a lite agent never switches), anything else succeeds (sect. 7.3.1.3). */
static enum ice_err answer(const struct stun_msg *msg, const struct ice_peer *p,
			   const struct stun_addr *from, uint8_t *reply, size_t cap,
			   struct ice_result *out)
{
	const uint8_t *key = (const uint8_t *)p->pwd;
	size_t key_len = strlen(p->pwd);
	enum stun_err err;
	if (msg->n_unknown > 0) {
		size_t n = msg->n_unknown < STUN_MAX_UNKNOWN ? msg->n_unknown : STUN_MAX_UNKNOWN;
		out->error_code = STUN_ERR_UNKNOWN_ATTRIBUTE;
		err = stun_build_binding_error(reply, cap, msg->tid, out->error_code, NULL,
					       msg->unknown, n, key, key_len, &out->reply_len);
	} else if (msg->role == STUN_ROLE_CONTROLLED) {
		out->error_code = STUN_ERR_ROLE_CONFLICT;
		err = stun_build_binding_error(reply, cap, msg->tid, out->error_code, NULL, NULL, 0,
					       key, key_len, &out->reply_len);
	} else {
		err = stun_build_binding_success(reply, cap, msg->tid, from, key, key_len,
						 &out->reply_len);
	}
	return err == STUN_OK ? ICE_OK : ICE_EREPLY;
}

enum ice_err ice_lite_handle(struct peer_table *t, const uint8_t *buf, size_t len,
			     const struct stun_addr *from, uint64_t now_ms, uint8_t *reply,
			     size_t cap, struct ice_result *out)
{
	if (t == NULL || from == NULL || reply == NULL || out == NULL || (buf == NULL && len))
		return ICE_EINVAL;
	memset(out, 0, sizeof *out);
	struct stun_msg msg;
	struct ice_peer *p = NULL;
	enum ice_err err = identify(t, buf, len, &msg, &p);
	if (err != ICE_OK)
		return err;
	enum stun_err serr =
	    stun_check_integrity(buf, len, &msg, (const uint8_t *)p->pwd, strlen(p->pwd));
	if (serr == STUN_ENO_INTEGRITY)
		return ICE_ENO_INTEGRITY;
	if (serr != STUN_OK)
		return ICE_EINTEGRITY;
	err = answer(&msg, p, from, reply, cap, out);
	if (err != ICE_OK) {
		out->reply_len = 0;
		out->error_code = 0;
		return err;
	}
	out->peer = p;
	p->checks++;
	if (out->error_code != 0)
		return ICE_OK; /* answered, but the check did not succeed: no consent, no pair */
	if (msg.use_candidate && (!p->has_addr || !ice_addr_equal(&p->addr, from))) {
		peer_table_set_addr(t, p, from);
		out->learned = true;
	}
	/* RFC 7675 sect. 5.1: consent is per pair; before a pair is chosen any check counts. */
	if (!p->has_addr || ice_addr_equal(&p->addr, from))
		p->last_consent_ms = now_ms;
	return ICE_OK;
}
