/*
 * stun -- STUN messages as ICE uses them (RFC 5389 / RFC 8489, RFC 8445 sect. 7).
 *
 * ICE-lite answers Binding requests from browsers; the load-testing tool sends them. So
 * this file parses a message into what ICE needs (type, transaction id, USERNAME,
 * PRIORITY, USE-CANDIDATE, ICE-CONTROLLING/CONTROLLED, XOR-MAPPED-ADDRESS, ERROR-CODE,
 * where MESSAGE-INTEGRITY and FINGERPRINT sit), verifies FINGERPRINT and the short-term
 * MESSAGE-INTEGRITY, and builds Binding requests, success and error responses.
 *
 * Contract for all functions:
 * - Parsing never allocates and never copies: struct stun_msg points into the caller's
 *   buffer and is valid while that buffer is. On error the struct is unspecified.
 * - A message is accepted only if it is the whole datagram (20 + length == len), its
 *   attributes tile the body exactly, MESSAGE-INTEGRITY is followed by nothing but
 *   FINGERPRINT, and FINGERPRINT is last. Known attributes of the wrong size are errors;
 *   unknown comprehension-optional ones (0x8000-0xFFFF) are skipped; unknown
 *   comprehension-required ones (0x0000-0x7FFF) are listed in stun_msg.unknown so the
 *   ICE layer can answer 420 to a request (RFC 8489 sect. 6.3.1).
 * - Parsing does not check FINGERPRINT or MESSAGE-INTEGRITY: call stun_check_fingerprint
 *   and stun_check_integrity with the same buffer.
 * - Builders write into buf[0..cap) and never past it; HMAC-SHA1 and CRC-32 are computed
 *   in place. OpenSSL's HMAC may allocate internally; nothing here does.
 * All functions are reentrant and keep no state.
 */
#ifndef PLENARY_MEDIA_STUN_H
#define PLENARY_MEDIA_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define STUN_HEADER_LEN	  20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TID_LEN	  12
#define STUN_MAX_LEN	  1500 /* larger is not a datagram a browser sends us: rejected */
#define STUN_MAX_USERNAME 512  /* RFC 5389 sect. 15.3: less than 513 bytes */
#define STUN_MAX_KEY	  256  /* ice-pwd is at most 256 characters (RFC 8839 sect. 5.4) */
#define STUN_MAX_UNKNOWN  8    /* comprehension-required types remembered for a 420 */
#define STUN_MAX_REASON	  128  /* ERROR-CODE reason phrase, in bytes */

/* Message types: method Binding (0x001) in each class (RFC 5389 sect. 6). */
#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_INDICATION 0x0011
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_BINDING_ERROR	0x0111

/* Attribute types (RFC 5389 sect. 18.2, RFC 8445 sect. 16.1). */
#define STUN_ATTR_MAPPED_ADDRESS     0x0001
#define STUN_ATTR_USERNAME	     0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY  0x0008
#define STUN_ATTR_ERROR_CODE	     0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY	     0x0024
#define STUN_ATTR_USE_CANDIDATE	     0x0025
#define STUN_ATTR_SOFTWARE	     0x8022
#define STUN_ATTR_FINGERPRINT	     0x8028
#define STUN_ATTR_ICE_CONTROLLED     0x8029
#define STUN_ATTR_ICE_CONTROLLING    0x802A

/* Error codes an ICE agent sends (RFC 5389 sect. 15.6, RFC 8445 sect. 7.3.1.1). */
#define STUN_ERR_BAD_REQUEST	   400
#define STUN_ERR_UNAUTHORIZED	   401
#define STUN_ERR_UNKNOWN_ATTRIBUTE 420
#define STUN_ERR_ROLE_CONFLICT	   487
#define STUN_ERR_SERVER_ERROR	   500

enum stun_err {
	STUN_OK = 0,
	STUN_ETRUNCATED,	 /* shorter than the 20-byte header */
	STUN_ENOT_STUN,		 /* first byte not 0..3 (RFC 7983 sect. 7) */
	STUN_EBAD_COOKIE,	 /* magic cookie is not 0x2112A442 */
	STUN_EBAD_LENGTH,	 /* length not a multiple of 4, or 20 + length != datagram */
	STUN_ETOO_LARGE,	 /* datagram over STUN_MAX_LEN */
	STUN_EATTR_OVERRUN,	 /* an attribute header or value runs past the end */
	STUN_EATTR_LENGTH,	 /* a known attribute has the wrong length */
	STUN_EATTR_VALUE,	 /* a known attribute has a bad value (family, error class) */
	STUN_EAFTER_INTEGRITY,	 /* something other than FINGERPRINT after MESSAGE-INTEGRITY */
	STUN_EAFTER_FINGERPRINT, /* anything after FINGERPRINT */
	STUN_EROLE_BOTH,	 /* both ICE-CONTROLLING and ICE-CONTROLLED */
	STUN_ENO_FINGERPRINT,	 /* check: the message has no FINGERPRINT */
	STUN_EFINGERPRINT,	 /* check: FINGERPRINT does not match */
	STUN_ENO_INTEGRITY,	 /* check: the message has no MESSAGE-INTEGRITY */
	STUN_EINTEGRITY,	 /* check: MESSAGE-INTEGRITY does not match the key */
	STUN_EINVAL,		 /* bad argument (NULL, oversize key/username/reason, code) */
	STUN_ENOSPACE,		 /* builder: the caller's buffer is too small */
	STUN_EORDER,		 /* builder: attribute added after MESSAGE-INTEGRITY/FINGERPRINT */
	STUN_ECRYPTO,		 /* OpenSSL failed to compute the HMAC */
};

/* A static English phrase for err; never NULL. */
const char *stun_strerror(enum stun_err err);

/* A transport address in host byte order; ip holds 4 bytes for IPv4, 16 for IPv6. tcp
 * marks the remote end of an ICE-TCP connection (RFC 6544): the same numbers over UDP
 * are another candidate, so ICE's address comparisons and indexes count it. STUN's
 * attributes carry no transport; the parsers leave it false and the builders ignore it. */
enum stun_family { STUN_IPV4 = 1, STUN_IPV6 = 2 };
struct stun_addr {
	enum stun_family family;
	uint16_t port;
	uint8_t ip[16];
	bool tcp;
};

enum stun_role { STUN_ROLE_NONE = 0, STUN_ROLE_CONTROLLING, STUN_ROLE_CONTROLLED };

struct stun_msg {
	uint16_t type;	 /* whole 14-bit type, e.g. STUN_BINDING_REQUEST */
	uint16_t method; /* 0x001 for Binding */
	uint8_t class_;	 /* 0 request, 1 indication, 2 success, 3 error */
	uint8_t tid[STUN_TID_LEN];
	size_t length; /* whole message: 20 + the header's length field */

	const uint8_t *username; /* NULL if absent; not NUL-terminated */
	size_t username_len;
	bool has_priority;
	uint32_t priority;
	bool use_candidate;
	enum stun_role role; /* from ICE-CONTROLLING / ICE-CONTROLLED */
	uint64_t tie_breaker;
	bool has_mapped; /* XOR-MAPPED-ADDRESS, decoded */
	struct stun_addr mapped;
	uint16_t error_code; /* 300..699 from ERROR-CODE, 0 if absent */
	const uint8_t *reason;
	size_t reason_len;

	size_t integrity_off;	/* offset of the MESSAGE-INTEGRITY attribute header, 0 if none */
	size_t fingerprint_off; /* offset of the FINGERPRINT attribute header, 0 if none */

	size_t n_unknown; /* unknown comprehension-required attributes, all counted */
	uint16_t unknown[STUN_MAX_UNKNOWN]; /* the first STUN_MAX_UNKNOWN of them */
};

/* Parses the STUN message that is the whole of buf[0..len).
 * Returns STUN_OK, STUN_ETRUNCATED, STUN_ENOT_STUN, STUN_EBAD_COOKIE, STUN_EBAD_LENGTH,
 * STUN_ETOO_LARGE, STUN_EATTR_OVERRUN, STUN_EATTR_LENGTH, STUN_EATTR_VALUE,
 * STUN_EAFTER_INTEGRITY, STUN_EAFTER_FINGERPRINT or STUN_EROLE_BOTH. */
BASE_WUR enum stun_err stun_parse(const uint8_t *buf, size_t len, struct stun_msg *msg);

/* Checks FINGERPRINT (RFC 5389 sect. 15.5: CRC-32 of the message before it, xor
 * 0x5354554e). buf/len/msg must be those given to a successful stun_parse.
 * Returns STUN_OK, STUN_ENO_FINGERPRINT, STUN_EFINGERPRINT or STUN_EINVAL. */
BASE_WUR enum stun_err stun_check_fingerprint(const uint8_t *buf, size_t len,
					      const struct stun_msg *msg);

/* Checks MESSAGE-INTEGRITY with a short-term credential: key is the password as given
 * (ICE: the ice-pwd of the agent that receives the request, RFC 8445 sect. 7.2.2), no
 * SASLprep. The HMAC-SHA1 covers the message up to the attribute with the length field
 * set as if the attribute were last (RFC 5389 sect. 15.4); compared in constant time.
 * Returns STUN_OK, STUN_ENO_INTEGRITY, STUN_EINTEGRITY, STUN_EINVAL (bad arguments, key
 * over STUN_MAX_KEY) or STUN_ECRYPTO. */
BASE_WUR enum stun_err stun_check_integrity(const uint8_t *buf, size_t len,
					    const struct stun_msg *msg, const uint8_t *key,
					    size_t key_len);

/* Splits an ICE username "RFRAG:LFRAG" at its first colon (RFC 8445 sect. 7.2.2: the
 * receiver's ufrag comes first). Returns false if msg has no username or no colon. */
bool stun_username_split(const struct stun_msg *msg, const uint8_t **first, size_t *first_len,
			 const uint8_t **second, size_t *second_len);

/*
 * Low-level writer, for messages the helpers below do not cover (and for the RFC 5769
 * test vectors). Caller-allocated; errors are sticky: after the first failure every add
 * is a no-op and stun_writer_finish returns that error. The message length in the header
 * is kept up to date after every attribute, so add_integrity and add_fingerprint cover
 * exactly what precedes them.
 */
struct stun_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint8_t pad;	   /* padding byte value; 0 unless set (RFC 8489 sect. 14: any) */
	bool sealed;	   /* MESSAGE-INTEGRITY added: only FINGERPRINT may follow */
	bool done;	   /* FINGERPRINT added: nothing may follow */
	enum stun_err err; /* first error, sticky */
};

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
		      const uint8_t tid[STUN_TID_LEN]);
void stun_writer_add(struct stun_writer *w, uint16_t type, const void *value, size_t len);
void stun_writer_add_u32(struct stun_writer *w, uint16_t type, uint32_t value);
void stun_writer_add_u64(struct stun_writer *w, uint16_t type, uint64_t value);
void stun_writer_add_xor_address(struct stun_writer *w, const struct stun_addr *addr);
/* code 300..699; reason may be NULL for the RFC's phrase for 400/401/420/487/500. */
void stun_writer_add_error_code(struct stun_writer *w, uint16_t code, const char *reason);
void stun_writer_add_integrity(struct stun_writer *w, const uint8_t *key, size_t key_len);
void stun_writer_add_fingerprint(struct stun_writer *w);
/* Returns the first error (STUN_ENOSPACE, STUN_EINVAL, STUN_EORDER, STUN_ECRYPTO) or
 * STUN_OK with *out_len set to the message length. */
BASE_WUR enum stun_err stun_writer_finish(const struct stun_writer *w, size_t *out_len);

/* Binding success response to the request with transaction id tid (ICE-lite, RFC 8445
 * sect. 7.3.1.3): XOR-MAPPED-ADDRESS of the request's source, MESSAGE-INTEGRITY with key
 * (our ice-pwd), FINGERPRINT. Returns STUN_OK, STUN_EINVAL, STUN_ENOSPACE or
 * STUN_ECRYPTO; *out_len is set on success only. */
BASE_WUR enum stun_err stun_build_binding_success(uint8_t *buf, size_t cap,
						  const uint8_t tid[STUN_TID_LEN],
						  const struct stun_addr *mapped,
						  const uint8_t *key, size_t key_len,
						  size_t *out_len);

/* Binding error response: ERROR-CODE (reason NULL for the default phrase), for 420 the
 * UNKNOWN-ATTRIBUTES list (n_unknown may be 0 otherwise), MESSAGE-INTEGRITY only when key
 * is not NULL (RFC 5389 sect. 10.1.2: a 400 or 401 answering a request that failed
 * authentication carries none), and FINGERPRINT. Same returns as above. */
BASE_WUR enum stun_err stun_build_binding_error(uint8_t *buf, size_t cap,
						const uint8_t tid[STUN_TID_LEN], uint16_t code,
						const char *reason, const uint16_t *unknown,
						size_t n_unknown, const uint8_t *key,
						size_t key_len, size_t *out_len);

/* A client-side connectivity check (RFC 8445 sect. 7.2.2), as the load tool sends. */
struct stun_binding_request {
	uint8_t tid[STUN_TID_LEN];
	const char *username; /* "RFRAG:LFRAG", NUL-terminated, at most STUN_MAX_USERNAME */
	uint32_t priority;
	enum stun_role role; /* CONTROLLING or CONTROLLED: adds the attribute with tie_breaker */
	uint64_t tie_breaker;
	bool use_candidate;
	const uint8_t *key; /* the remote agent's ice-pwd */
	size_t key_len;
};

/* USERNAME, PRIORITY, ICE-CONTROLLING or -CONTROLLED, USE-CANDIDATE if asked,
 * MESSAGE-INTEGRITY, FINGERPRINT. Same returns as above. */
BASE_WUR enum stun_err stun_build_binding_request(uint8_t *buf, size_t cap,
						  const struct stun_binding_request *req,
						  size_t *out_len);

#endif
