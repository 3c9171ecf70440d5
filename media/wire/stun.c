/*
 * STUN for ICE: parse, check, build (RFC 5389 / RFC 8489, RFC 8445 sect. 7).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |0 0|     STUN Message Type     |         Message Length        |
 *   |                         Magic Cookie                          |
 *   |                     Transaction ID (96 bits)                  |
 *   |         Type                  |            Length             |  attributes,
 *   |                         Value (padded to 4)                 ...   each one
 *
 * The parser is strict where strictness costs nothing and protects the next layer: the
 * header length must be the datagram, attributes must tile the body, and the two
 * integrity attributes must be where RFC 5389 sect. 15.4/15.5 put them (so the HMAC and
 * CRC each cover one well-defined prefix). It is lenient where RFC 8489 sect. 14 asks:
 * padding bytes are ignored and only the first of duplicate attributes counts.
 *
 * CRC-32 uses a 16-entry table (one nibble at a time): small, const, fast enough for
 * the one check per connectivity check, and no zlib dependency.
 */
#include "media/wire/stun.h"
#include "media/wire/bytes.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define FINGERPRINT_XOR 0x5354554eu /* RFC 5389 sect. 15.5 */
#define HMAC_SHA1_LEN	20
#define MAX_ERROR_VALUE (4 + 763) /* RFC 5389 sect. 15.6 */

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

const char *stun_strerror(enum stun_err err)
{
	static const char *const msgs[] = {
	    [STUN_OK] = "ok",
	    [STUN_ETRUNCATED] = "STUN message shorter than its 20-byte header",
	    [STUN_ENOT_STUN] = "not a STUN message: first byte is not 0..3",
	    [STUN_EBAD_COOKIE] = "STUN magic cookie is wrong",
	    [STUN_EBAD_LENGTH] = "STUN length is not a multiple of 4 or not the datagram size",
	    [STUN_ETOO_LARGE] = "STUN message larger than allowed",
	    [STUN_EATTR_OVERRUN] = "STUN attribute runs past the end of the message",
	    [STUN_EATTR_LENGTH] = "STUN attribute has the wrong length",
	    [STUN_EATTR_VALUE] = "STUN attribute has an invalid value",
	    [STUN_EAFTER_INTEGRITY] = "only FINGERPRINT may follow STUN MESSAGE-INTEGRITY",
	    [STUN_EAFTER_FINGERPRINT] = "STUN attribute after FINGERPRINT",
	    [STUN_EROLE_BOTH] = "STUN request has both ICE-CONTROLLING and ICE-CONTROLLED",
	    [STUN_ENO_FINGERPRINT] = "STUN message has no FINGERPRINT",
	    [STUN_EFINGERPRINT] = "STUN FINGERPRINT does not match",
	    [STUN_ENO_INTEGRITY] = "STUN message has no MESSAGE-INTEGRITY",
	    [STUN_EINTEGRITY] = "STUN MESSAGE-INTEGRITY does not match",
	    [STUN_EINVAL] = "invalid argument",
	    [STUN_ENOSPACE] = "buffer too small",
	    [STUN_EORDER] = "STUN attribute added after MESSAGE-INTEGRITY or FINGERPRINT",
	    [STUN_ECRYPTO] = "HMAC computation failed",
	};
	if ((unsigned)err >= sizeof msgs / sizeof msgs[0])
		return "unknown STUN error";
	return msgs[err];
}

/* CRC-32 (ISO-HDLC, the one zlib and RFC 5389 use), reflected, a nibble at a time. */
static uint32_t crc32(const uint8_t *p, size_t n)
{
	static const uint32_t t[16] = {
	    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	    0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	    0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return ~c;
}

/* HMAC-SHA1 of the first n bytes of msg, but with the header's length field replaced by
 * len_field (RFC 5389 sect. 15.4). The prefix is copied so the input stays const. */
static enum stun_err hmac_prefix(const uint8_t *msg, size_t n, uint16_t len_field,
				 const uint8_t *key, size_t key_len, uint8_t out[HMAC_SHA1_LEN])
{
	uint8_t tmp[STUN_MAX_LEN];
	if (n > sizeof tmp || key_len > STUN_MAX_KEY)
		return STUN_EINVAL;
	memcpy(tmp, msg, n);
	wr16(tmp + 2, len_field);
	unsigned int out_len = 0;
	if (HMAC(EVP_sha1(), key, (int)key_len, tmp, n, out, &out_len) == NULL ||
	    out_len != HMAC_SHA1_LEN)
		return STUN_ECRYPTO;
	return STUN_OK;
}

/* XOR-MAPPED-ADDRESS (RFC 5389 sect. 15.2): the port is xored with the cookie's top 16
 * bits, an IPv4 address with the cookie, an IPv6 one with cookie || transaction id. */
static void xor_key(const uint8_t *header, uint8_t key[16])
{
	wr32(key, STUN_MAGIC_COOKIE);
	memcpy(key + 4, header + 8, STUN_TID_LEN);
}

static enum stun_err parse_xor_address(const uint8_t *buf, const uint8_t *v, size_t n,
				       struct stun_addr *addr)
{
	if (n < 4)
		return STUN_EATTR_LENGTH;
	uint8_t key[16];
	xor_key(buf, key);
	size_t alen;
	if (v[1] == STUN_IPV4)
		alen = 4;
	else if (v[1] == STUN_IPV6)
		alen = 16;
	else
		return STUN_EATTR_VALUE;
	if (n != 4 + alen)
		return STUN_EATTR_LENGTH;
	memset(addr, 0, sizeof *addr);
	addr->family = (enum stun_family)v[1];
	addr->port = (uint16_t)(rd16(v + 2) ^ (STUN_MAGIC_COOKIE >> 16));
	for (size_t i = 0; i < alen; i++)
		addr->ip[i] = v[4 + i] ^ key[i];
	return STUN_OK;
}

/* ERROR-CODE (RFC 5389 sect. 15.6): 21 reserved bits, class 3..6, number 0..99, reason. */
static enum stun_err parse_error_code(const uint8_t *v, size_t n, struct stun_msg *msg)
{
	if (n < 4 || n > MAX_ERROR_VALUE)
		return STUN_EATTR_LENGTH;
	unsigned cls = v[2] & 7, num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return STUN_EATTR_VALUE;
	msg->error_code = (uint16_t)(cls * 100 + num);
	msg->reason = v + 4;
	msg->reason_len = n - 4;
	return STUN_OK;
}

static enum stun_err parse_role(uint16_t type, const uint8_t *v, size_t n, struct stun_msg *msg)
{
	if (n != 8)
		return STUN_EATTR_LENGTH;
	enum stun_role role =
	    type == STUN_ATTR_ICE_CONTROLLING ? STUN_ROLE_CONTROLLING : STUN_ROLE_CONTROLLED;
	if (msg->role != STUN_ROLE_NONE) {
		if (msg->role != role)
			return STUN_EROLE_BOTH;
		return STUN_OK; /* duplicate: the first counts */
	}
	msg->role = role;
	msg->tie_breaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
	return STUN_OK;
}

static void note_unknown(uint16_t type, struct stun_msg *msg)
{
	if (type >= 0x8000) /* comprehension-optional: ignore */
		return;
	if (msg->n_unknown < STUN_MAX_UNKNOWN)
		msg->unknown[msg->n_unknown] = type;
	msg->n_unknown++;
}

/* One attribute: type, value v of n bytes at offset off of buf. */
static enum stun_err parse_attr(const uint8_t *buf, size_t off, uint16_t type, const uint8_t *v,
				size_t n, struct stun_msg *msg)
{
	switch (type) {
	case STUN_ATTR_USERNAME:
		if (n > STUN_MAX_USERNAME)
			return STUN_EATTR_LENGTH;
		if (msg->username == NULL) {
			msg->username = v;
			msg->username_len = n;
		}
		return STUN_OK;
	case STUN_ATTR_MESSAGE_INTEGRITY:
		if (n != HMAC_SHA1_LEN)
			return STUN_EATTR_LENGTH;
		msg->integrity_off = off;
		return STUN_OK;
	case STUN_ATTR_FINGERPRINT:
		if (n != 4)
			return STUN_EATTR_LENGTH;
		msg->fingerprint_off = off;
		return STUN_OK;
	case STUN_ATTR_PRIORITY:
		if (n != 4)
			return STUN_EATTR_LENGTH;
		if (!msg->has_priority) {
			msg->has_priority = true;
			msg->priority = rd32(v);
		}
		return STUN_OK;
	case STUN_ATTR_USE_CANDIDATE:
		if (n != 0)
			return STUN_EATTR_LENGTH;
		msg->use_candidate = true;
		return STUN_OK;
	case STUN_ATTR_ICE_CONTROLLING:
	case STUN_ATTR_ICE_CONTROLLED:
		return parse_role(type, v, n, msg);
	case STUN_ATTR_XOR_MAPPED_ADDRESS: {
		struct stun_addr a;
		enum stun_err err = parse_xor_address(buf, v, n, &a);
		if (err == STUN_OK && !msg->has_mapped) {
			msg->has_mapped = true;
			msg->mapped = a;
		}
		return err;
	}
	case STUN_ATTR_ERROR_CODE:
		return msg->error_code ? STUN_OK : parse_error_code(v, n, msg);
	case STUN_ATTR_MAPPED_ADDRESS: /* known, not used by ICE */
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
		return STUN_OK;
	default:
		note_unknown(type, msg);
		return STUN_OK;
	}
}

static enum stun_err parse_header(const uint8_t *buf, size_t len, struct stun_msg *msg)
{
	if (buf == NULL || len < STUN_HEADER_LEN)
		return STUN_ETRUNCATED;
	/* RFC 7983 sect. 7 gives STUN the first bytes 0..3 only (methods up to 0x0FF);
	 * anything above would have been demultiplexed as DTLS, so it is not ours either. */
	if (buf[0] > 3)
		return STUN_ENOT_STUN;
	if (rd32(buf + 4) != STUN_MAGIC_COOKIE)
		return STUN_EBAD_COOKIE;
	if (len > STUN_MAX_LEN)
		return STUN_ETOO_LARGE;
	size_t body = rd16(buf + 2);
	if (body % 4 != 0 || STUN_HEADER_LEN + body != len)
		return STUN_EBAD_LENGTH;
	memset(msg, 0, sizeof *msg);
	msg->type = rd16(buf);
	/* The class bits C1 C0 sit at bits 8 and 4, interleaved with the method. */
	msg->method = (uint16_t)((msg->type & 0x000f) | ((msg->type & 0x00e0) >> 1) |
				 ((msg->type & 0x3e00) >> 2));
	msg->class_ = (uint8_t)(((msg->type >> 4) & 1) | ((msg->type >> 7) & 2));
	memcpy(msg->tid, buf + 8, STUN_TID_LEN);
	msg->length = len;
	return STUN_OK;
}

enum stun_err stun_parse(const uint8_t *buf, size_t len, struct stun_msg *msg)
{
	enum stun_err err = parse_header(buf, len, msg);
	if (err != STUN_OK)
		return err;
	size_t off = STUN_HEADER_LEN;
	while (off < len) {
		if (len - off < 4)
			return STUN_EATTR_OVERRUN;
		uint16_t type = rd16(buf + off);
		size_t n = rd16(buf + off + 2);
		if (pad4(n) > len - off - 4)
			return STUN_EATTR_OVERRUN;
		if (msg->fingerprint_off)
			return STUN_EAFTER_FINGERPRINT;
		if (msg->integrity_off && type != STUN_ATTR_FINGERPRINT)
			return STUN_EAFTER_INTEGRITY;
		err = parse_attr(buf, off, type, buf + off + 4, n, msg);
		if (err != STUN_OK)
			return err;
		off += 4 + pad4(n);
	}
	return STUN_OK;
}

enum stun_err stun_check_fingerprint(const uint8_t *buf, size_t len, const struct stun_msg *msg)
{
	if (buf == NULL || msg == NULL || len != msg->length)
		return STUN_EINVAL;
	size_t off = msg->fingerprint_off;
	if (off == 0)
		return STUN_ENO_FINGERPRINT;
	if (off + 8 != len) /* stun_parse guarantees it is last */
		return STUN_EINVAL;
	/* Being last, the header's length already covers it, as sect. 15.5 requires. */
	uint32_t want = crc32(buf, off) ^ FINGERPRINT_XOR;
	return rd32(buf + off + 4) == want ? STUN_OK : STUN_EFINGERPRINT;
}

enum stun_err stun_check_integrity(const uint8_t *buf, size_t len, const struct stun_msg *msg,
				   const uint8_t *key, size_t key_len)
{
	if (buf == NULL || msg == NULL || key == NULL || key_len == 0 || len != msg->length)
		return STUN_EINVAL;
	size_t off = msg->integrity_off;
	if (off == 0)
		return STUN_ENO_INTEGRITY;
	if (off + 4 + HMAC_SHA1_LEN > len)
		return STUN_EINVAL;
	uint8_t mac[HMAC_SHA1_LEN];
	uint16_t len_field = (uint16_t)(off + 4 + HMAC_SHA1_LEN - STUN_HEADER_LEN);
	enum stun_err err = hmac_prefix(buf, off, len_field, key, key_len, mac);
	if (err != STUN_OK)
		return err;
	if (CRYPTO_memcmp(mac, buf + off + 4, HMAC_SHA1_LEN) != 0)
		return STUN_EINTEGRITY;
	return STUN_OK;
}

bool stun_username_split(const struct stun_msg *msg, const uint8_t **first, size_t *first_len,
			 const uint8_t **second, size_t *second_len)
{
	if (msg == NULL || msg->username == NULL)
		return false;
	const uint8_t *colon = memchr(msg->username, ':', msg->username_len);
	if (colon == NULL)
		return false;
	*first = msg->username;
	*first_len = (size_t)(colon - msg->username);
	*second = colon + 1;
	*second_len = msg->username_len - *first_len - 1;
	return true;
}

/* --- writer ------------------------------------------------------------------------- */

static void fail(struct stun_writer *w, enum stun_err err)
{
	if (w->err == STUN_OK)
		w->err = err;
}

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
		      const uint8_t tid[STUN_TID_LEN])
{
	memset(w, 0, sizeof *w);
	w->buf = buf;
	w->cap = cap > STUN_MAX_LEN ? STUN_MAX_LEN : cap;
	if (buf == NULL || tid == NULL || (type & 0xc000)) {
		fail(w, STUN_EINVAL);
		return;
	}
	if (w->cap < STUN_HEADER_LEN) {
		fail(w, STUN_ENOSPACE);
		return;
	}
	wr16(buf, type);
	wr16(buf + 2, 0);
	wr32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	w->len = STUN_HEADER_LEN;
}

/* Appends an attribute header for n bytes of value, pads it, updates the message length
 * and returns where the value goes, or NULL on error (recorded in w). */
static uint8_t *reserve(struct stun_writer *w, uint16_t type, size_t n)
{
	if (w->err != STUN_OK)
		return NULL;
	if (w->done || (w->sealed && type != STUN_ATTR_FINGERPRINT)) {
		fail(w, STUN_EORDER);
		return NULL;
	}
	if (n > 0xffff) {
		fail(w, STUN_EINVAL);
		return NULL;
	}
	if (4 + pad4(n) > w->cap - w->len) {
		fail(w, STUN_ENOSPACE);
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	wr16(p, type);
	wr16(p + 2, (uint16_t)n);
	memset(p + 4 + n, w->pad, pad4(n) - n);
	w->len += 4 + pad4(n);
	wr16(w->buf + 2, (uint16_t)(w->len - STUN_HEADER_LEN));
	return p + 4;
}

void stun_writer_add(struct stun_writer *w, uint16_t type, const void *value, size_t len)
{
	if (value == NULL && len > 0) {
		fail(w, STUN_EINVAL);
		return;
	}
	uint8_t *v = reserve(w, type, len);
	if (v != NULL && len > 0)
		memcpy(v, value, len);
}

void stun_writer_add_u32(struct stun_writer *w, uint16_t type, uint32_t value)
{
	uint8_t *v = reserve(w, type, 4);
	if (v != NULL)
		wr32(v, value);
}

void stun_writer_add_u64(struct stun_writer *w, uint16_t type, uint64_t value)
{
	uint8_t *v = reserve(w, type, 8);
	if (v != NULL) {
		wr32(v, (uint32_t)(value >> 32));
		wr32(v + 4, (uint32_t)value);
	}
}

void stun_writer_add_xor_address(struct stun_writer *w, const struct stun_addr *addr)
{
	if (addr == NULL || (addr->family != STUN_IPV4 && addr->family != STUN_IPV6)) {
		fail(w, STUN_EINVAL);
		return;
	}
	size_t alen = addr->family == STUN_IPV4 ? 4 : 16;
	uint8_t *v = reserve(w, STUN_ATTR_XOR_MAPPED_ADDRESS, 4 + alen);
	if (v == NULL)
		return;
	uint8_t key[16];
	xor_key(w->buf, key);
	v[0] = 0;
	v[1] = (uint8_t)addr->family;
	wr16(v + 2, (uint16_t)(addr->port ^ (STUN_MAGIC_COOKIE >> 16)));
	for (size_t i = 0; i < alen; i++)
		v[4 + i] = addr->ip[i] ^ key[i];
}

static const char *default_reason(uint16_t code)
{
	switch (code) {
	case STUN_ERR_BAD_REQUEST:
		return "Bad Request";
	case STUN_ERR_UNAUTHORIZED:
		return "Unauthenticated";
	case STUN_ERR_UNKNOWN_ATTRIBUTE:
		return "Unknown Attribute";
	case STUN_ERR_ROLE_CONFLICT:
		return "Role Conflict";
	case STUN_ERR_SERVER_ERROR:
		return "Server Error";
	default:
		return "";
	}
}

void stun_writer_add_error_code(struct stun_writer *w, uint16_t code, const char *reason)
{
	if (code < 300 || code > 699) {
		fail(w, STUN_EINVAL);
		return;
	}
	if (reason == NULL)
		reason = default_reason(code);
	size_t rlen = strnlen(reason, STUN_MAX_REASON + 1);
	if (rlen > STUN_MAX_REASON) {
		fail(w, STUN_EINVAL);
		return;
	}
	uint8_t *v = reserve(w, STUN_ATTR_ERROR_CODE, 4 + rlen);
	if (v == NULL)
		return;
	v[0] = 0;
	v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, rlen);
}

void stun_writer_add_integrity(struct stun_writer *w, const uint8_t *key, size_t key_len)
{
	if (key == NULL || key_len == 0 || key_len > STUN_MAX_KEY) {
		fail(w, STUN_EINVAL);
		return;
	}
	size_t off = w->len;
	/* reserve() sets the length to include this attribute, which is what sect. 15.4
	 * asks the HMAC to see. */
	uint8_t *v = reserve(w, STUN_ATTR_MESSAGE_INTEGRITY, HMAC_SHA1_LEN);
	if (v == NULL)
		return;
	w->sealed = true;
	enum stun_err err = hmac_prefix(w->buf, off, rd16(w->buf + 2), key, key_len, v);
	if (err != STUN_OK)
		fail(w, err);
}

void stun_writer_add_fingerprint(struct stun_writer *w)
{
	size_t off = w->len;
	uint8_t *v = reserve(w, STUN_ATTR_FINGERPRINT, 4);
	if (v == NULL)
		return;
	w->done = true;
	wr32(v, crc32(w->buf, off) ^ FINGERPRINT_XOR);
}

enum stun_err stun_writer_finish(const struct stun_writer *w, size_t *out_len)
{
	if (w == NULL || out_len == NULL)
		return STUN_EINVAL;
	if (w->err != STUN_OK)
		return w->err;
	*out_len = w->len;
	return STUN_OK;
}

/* --- Binding helpers ---------------------------------------------------------------- */

enum stun_err stun_build_binding_success(uint8_t *buf, size_t cap, const uint8_t tid[STUN_TID_LEN],
					 const struct stun_addr *mapped, const uint8_t *key,
					 size_t key_len, size_t *out_len)
{
	struct stun_writer w;
	stun_writer_init(&w, buf, cap, STUN_BINDING_SUCCESS, tid);
	stun_writer_add_xor_address(&w, mapped);
	stun_writer_add_integrity(&w, key, key_len);
	stun_writer_add_fingerprint(&w);
	return stun_writer_finish(&w, out_len);
}

enum stun_err stun_build_binding_error(uint8_t *buf, size_t cap, const uint8_t tid[STUN_TID_LEN],
				       uint16_t code, const char *reason, const uint16_t *unknown,
				       size_t n_unknown, const uint8_t *key, size_t key_len,
				       size_t *out_len)
{
	struct stun_writer w;
	stun_writer_init(&w, buf, cap, STUN_BINDING_ERROR, tid);
	stun_writer_add_error_code(&w, code, reason);
	if (n_unknown > 0) {
		if (unknown == NULL || n_unknown > STUN_MAX_UNKNOWN) {
			fail(&w, STUN_EINVAL);
		} else {
			uint8_t list[2 * STUN_MAX_UNKNOWN];
			for (size_t i = 0; i < n_unknown; i++)
				wr16(list + 2 * i, unknown[i]);
			stun_writer_add(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, list, 2 * n_unknown);
		}
	}
	if (key != NULL)
		stun_writer_add_integrity(&w, key, key_len);
	stun_writer_add_fingerprint(&w);
	return stun_writer_finish(&w, out_len);
}

enum stun_err stun_build_binding_request(uint8_t *buf, size_t cap,
					 const struct stun_binding_request *req, size_t *out_len)
{
	if (req == NULL || req->username == NULL)
		return STUN_EINVAL;
	size_t ulen = strnlen(req->username, STUN_MAX_USERNAME + 1);
	if (ulen > STUN_MAX_USERNAME)
		return STUN_EINVAL;
	struct stun_writer w;
	stun_writer_init(&w, buf, cap, STUN_BINDING_REQUEST, req->tid);
	stun_writer_add(&w, STUN_ATTR_USERNAME, req->username, ulen);
	stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, req->priority);
	if (req->role == STUN_ROLE_CONTROLLING)
		stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLING, req->tie_breaker);
	else if (req->role == STUN_ROLE_CONTROLLED)
		stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLED, req->tie_breaker);
	if (req->use_candidate)
		stun_writer_add(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_writer_add_integrity(&w, req->key, req->key_len);
	stun_writer_add_fingerprint(&w);
	return stun_writer_finish(&w, out_len);
}
