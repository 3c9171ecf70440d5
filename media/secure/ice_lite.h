/*
 * ice_lite -- the ICE-lite side of connectivity checks (RFC 8445 sect. 2.5 and 7.3, STUN
 * RFC 5389, consent freshness RFC 7675), as a function over a peer table.
 *
 * A lite agent gathers nothing and checks nothing: it answers the browser's Binding
 * requests on its one host candidate, and the browser (always the controlling agent
 * against a lite one, sect. 6.1.1) decides which pair to use and says so with
 * USE-CANDIDATE. So the whole of our ICE is one decision per STUN datagram:
 *
 *   parse -> Binding request? -> FINGERPRINT right? -> USERNAME "ours:theirs" names a
 *   peer? -> MESSAGE-INTEGRITY right under our ice-pwd? -> answer (success, or 420 for an
 *   unknown comprehension-required attribute, 487 for a peer that also claims to be
 *   controlled) -> with USE-CANDIDATE, the source becomes the peer's address.
 *
 * Anything that fails a step is dropped without an answer: RFC 8445 would let us send 400
 * or 401, but an unauthenticated answer helps only someone probing, and a browser that
 * got the credentials wrong gets nowhere with a 401 either. Only authenticated requests
 * are answered, so the port cannot be used to reflect traffic at a third party.
 *
 * Consent (RFC 7675 sect. 5.1): every authenticated check from the peer's chosen address
 * (or, before there is one, from anywhere) renews consent; ice_lite_consent_expired says
 * when 30 s passed without one. The clock is the caller's; nothing here reads one, opens
 * a socket or allocates (OpenSSL's HMAC inside stun_check_integrity aside).
 */
#ifndef PLENARY_MEDIA_ICE_LITE_H
#define PLENARY_MEDIA_ICE_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/wire/wire.h"

#define ICE_UFRAG_LEN	       16     /* ours: 96 bits, unique per process in practice */
#define ICE_PWD_LEN	       24     /* ours: 144 bits (RFC 8839 sect. 5.4 asks for 128) */
#define ICE_MAX_REMOTE_UFRAG   256    /* RFC 8839 sect. 5.4 */
#define ICE_CONSENT_TIMEOUT_MS 30000u /* RFC 7675 sect. 5.1 */
#define ICE_REPLY_MAX	       256    /* a success or error response fits in this */

enum ice_err {
	ICE_OK = 0,	     /* answered (see ice_result) */
	ICE_EMALFORMED,	     /* not a well-formed STUN message (stun_parse failed) */
	ICE_ENOT_REQUEST,    /* a response or indication (keep-alives): nothing to do */
	ICE_ENO_FINGERPRINT, /* RFC 8445 sect. 7.2.2: checks carry FINGERPRINT */
	ICE_EFINGERPRINT,    /* FINGERPRINT does not match */
	ICE_ENO_USERNAME,    /* no USERNAME, or no colon in it */
	ICE_EUNKNOWN_UFRAG,  /* our half of USERNAME names no peer */
	ICE_EREMOTE_UFRAG,   /* their half is not the ufrag of their SDP */
	ICE_ENO_INTEGRITY,   /* no MESSAGE-INTEGRITY */
	ICE_EINTEGRITY,	     /* MESSAGE-INTEGRITY does not match our ice-pwd */
	ICE_EREPLY,	     /* the answer could not be built (buffer, HMAC failure) */
	ICE_EINVAL,	     /* NULL argument */
};

/* A constant English phrase; never NULL. */
const char *ice_strerror(enum ice_err err);

/* One peer's ICE state, embedded in the media peer. Owned by one worker thread. */
struct ice_peer {
	char ufrag[ICE_UFRAG_LEN + 1]; /* local, NUL-terminated ice-chars */
	char pwd[ICE_PWD_LEN + 1];     /* local */
	char remote_ufrag[ICE_MAX_REMOTE_UFRAG + 1];
	size_t remote_ufrag_len;
	bool has_addr; /* learned from a USE-CANDIDATE check (peer_table keeps the index) */
	struct stun_addr addr;
	uint64_t last_consent_ms; /* last authenticated check that renews consent */
	uint32_t checks;	  /* authenticated checks answered */
	bool in_table;		  /* peer_table bookkeeping */
};

/* Fills our ufrag and pwd with random ice-chars (RFC 8839 sect. 5.4) from OpenSSL's
 * RAND_bytes. Returns false if the generator failed. */
BASE_WUR bool ice_make_credentials(char ufrag[ICE_UFRAG_LEN + 1], char pwd[ICE_PWD_LEN + 1]);

/* Sets up *p with our credentials and the remote ufrag (truncated to
 * ICE_MAX_REMOTE_UFRAG; the SDP parser never gives a longer one). Consent starts at
 * now_ms, so a browser that never checks in is given up like one that went away. */
void ice_peer_init(struct ice_peer *p, const char *ufrag, const char *pwd, const char *remote_ufrag,
		   uint64_t now_ms);

struct peer_table;

struct ice_result {
	struct ice_peer *peer; /* who the request authenticated as; NULL if dropped */
	bool learned;	       /* USE-CANDIDATE moved the peer's address to the source */
	uint16_t error_code;   /* 0 for a success response, else 420 or 487 */
	size_t reply_len;      /* bytes of reply to send to the source; 0 if none */
};

/* Decides what to do with the STUN datagram buf[0..len) from `from` at now_ms, against the
 * peers of t. On ICE_OK, reply[0..out->reply_len) is the response to send back to `from`
 * (cap should be ICE_REPLY_MAX); when out->learned, the peer's address in t is now `from`
 * (a peer that had this address before loses it). Every other return is a drop with the
 * reason, and t is unchanged. Errors: ICE_EMALFORMED, ICE_ENOT_REQUEST,
 * ICE_ENO_FINGERPRINT, ICE_EFINGERPRINT, ICE_ENO_USERNAME, ICE_EUNKNOWN_UFRAG,
 * ICE_EREMOTE_UFRAG, ICE_ENO_INTEGRITY, ICE_EINTEGRITY, ICE_EREPLY, ICE_EINVAL. */
BASE_WUR enum ice_err ice_lite_handle(struct peer_table *t, const uint8_t *buf, size_t len,
				      const struct stun_addr *from, uint64_t now_ms, uint8_t *reply,
				      size_t cap, struct ice_result *out);

/* RFC 7675 sect. 5.1: true once ICE_CONSENT_TIMEOUT_MS passed since the last check that
 * renewed consent. */
bool ice_lite_consent_expired(const struct ice_peer *p, uint64_t now_ms);

/* Address equality (family, port and the family's bytes). */
bool ice_addr_equal(const struct stun_addr *a, const struct stun_addr *b);

#endif
