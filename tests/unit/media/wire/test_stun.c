/* Unit tests for media/wire/stun.c: the RFC 5769 sample messages parsed, verified and rebuilt
 * byte for byte; the Binding helpers round-tripped through the parser; every error of the
 * parser, the checks and the writer provoked with a hand-made message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/wire/stun.h"

#define PASSWORD "VOkJxbRl1RmTxUk/WvJxBt"
#define PWLEN	 (sizeof PASSWORD - 1)

static const uint8_t tid5769[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

/* RFC 5769 sect. 2.1, sample request (padding bytes are spaces, as in the RFC). */
static const uint8_t req5769[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 sect. 2.2, sample IPv4 response: 192.0.2.1 port 32853. */
static const uint8_t resp4_5769[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 sect. 2.3, sample IPv6 response: 2001:db8:1234:5678:11:2233:4455:6677 port
 * 32853. */
static const uint8_t resp6_5769[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static const struct stun_addr addr4 = {STUN_IPV4, 32853, {192, 0, 2, 1}, false};
static const struct stun_addr addr6 = {
    STUN_IPV6,
    32853,
    {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
     0x77},
    false,
};

static const uint8_t *pw(void)
{
	return (const uint8_t *)PASSWORD;
}

/* A message with header type and the given attribute bytes (length set from alen). */
static size_t mk(uint8_t *buf, uint16_t type, const uint8_t *attrs, size_t alen)
{
	buf[0] = (uint8_t)(type >> 8);
	buf[1] = (uint8_t)type;
	buf[2] = (uint8_t)(alen >> 8);
	buf[3] = (uint8_t)alen;
	buf[4] = 0x21;
	buf[5] = 0x12;
	buf[6] = 0xa4;
	buf[7] = 0x42;
	memcpy(buf + 8, tid5769, 12);
	if (alen > 0)
		memcpy(buf + 20, attrs, alen);
	return 20 + alen;
}

static enum stun_err parse_attrs(const uint8_t *attrs, size_t alen, struct stun_msg *m)
{
	uint8_t buf[256];
	size_t n = mk(buf, STUN_BINDING_REQUEST, attrs, alen);
	return stun_parse(buf, n, m);
}

static void test_rfc5769_request(void **state)
{
	(void)state;
	struct stun_msg m;
	assert_int_equal(stun_parse(req5769, sizeof req5769, &m), STUN_OK);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.method, 1);
	assert_int_equal(m.class_, 0);
	assert_memory_equal(m.tid, tid5769, 12);
	assert_int_equal(m.length, sizeof req5769);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_true(m.has_priority);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_int_equal(m.role, STUN_ROLE_CONTROLLED);
	assert_true(m.tie_breaker == 0x932ff9b151263b36ULL);
	assert_false(m.use_candidate);
	assert_int_equal(m.integrity_off, 76);
	assert_int_equal(m.fingerprint_off, 100);
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(stun_check_fingerprint(req5769, sizeof req5769, &m), STUN_OK);
	assert_int_equal(stun_check_integrity(req5769, sizeof req5769, &m, pw(), PWLEN), STUN_OK);
	const uint8_t *a, *b;
	size_t al, bl;
	assert_true(stun_username_split(&m, &a, &al, &b, &bl));
	assert_int_equal(al, 4);
	assert_memory_equal(a, "evtj", 4);
	assert_int_equal(bl, 4);
	assert_memory_equal(b, "h6vY", 4);
}

static void test_rfc5769_request_rebuilt(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct stun_writer w;
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	w.pad = ' ';
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, "STUN test client", 16);
	stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ULL);
	stun_writer_add(&w, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	stun_writer_add_fingerprint(&w);
	size_t n = 0;
	assert_int_equal(stun_writer_finish(&w, &n), STUN_OK);
	assert_int_equal(n, sizeof req5769);
	assert_memory_equal(buf, req5769, n);
}

static void check_response(const uint8_t *msg, size_t len, const struct stun_addr *want)
{
	struct stun_msg m;
	assert_int_equal(stun_parse(msg, len, &m), STUN_OK);
	assert_int_equal(m.type, STUN_BINDING_SUCCESS);
	assert_int_equal(m.class_, 2);
	assert_true(m.has_mapped);
	assert_int_equal(m.mapped.family, want->family);
	assert_int_equal(m.mapped.port, want->port);
	assert_memory_equal(m.mapped.ip, want->ip, 16);
	assert_null(m.username);
	assert_int_equal(stun_check_fingerprint(msg, len, &m), STUN_OK);
	assert_int_equal(stun_check_integrity(msg, len, &m, pw(), PWLEN), STUN_OK);
}

static void rebuild_response(const uint8_t *want, size_t want_len, const struct stun_addr *a)
{
	uint8_t buf[256];
	struct stun_writer w;
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_SUCCESS, tid5769);
	w.pad = ' ';
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
	stun_writer_add_xor_address(&w, a);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	stun_writer_add_fingerprint(&w);
	size_t n = 0;
	assert_int_equal(stun_writer_finish(&w, &n), STUN_OK);
	assert_int_equal(n, want_len);
	assert_memory_equal(buf, want, n);
}

static void test_rfc5769_responses(void **state)
{
	(void)state;
	check_response(resp4_5769, sizeof resp4_5769, &addr4);
	check_response(resp6_5769, sizeof resp6_5769, &addr6);
	rebuild_response(resp4_5769, sizeof resp4_5769, &addr4);
	rebuild_response(resp6_5769, sizeof resp6_5769, &addr6);
}

static void test_tampered(void **state)
{
	(void)state;
	uint8_t buf[sizeof req5769];
	struct stun_msg m;
	/* A flipped byte in PRIORITY: both checks fail. */
	memcpy(buf, req5769, sizeof buf);
	buf[45] ^= 1;
	assert_int_equal(stun_parse(buf, sizeof buf, &m), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, sizeof buf, &m), STUN_EFINGERPRINT);
	assert_int_equal(stun_check_integrity(buf, sizeof buf, &m, pw(), PWLEN), STUN_EINTEGRITY);
	/* Wrong password. */
	assert_int_equal(stun_parse(req5769, sizeof req5769, &m), STUN_OK);
	assert_int_equal(
	    stun_check_integrity(req5769, sizeof req5769, &m, (const uint8_t *)"wrong", 5),
	    STUN_EINTEGRITY);
	/* A flipped byte in the MAC itself. */
	memcpy(buf, req5769, sizeof buf);
	buf[90] ^= 0x80;
	assert_int_equal(stun_parse(buf, sizeof buf, &m), STUN_OK);
	assert_int_equal(stun_check_integrity(buf, sizeof buf, &m, pw(), PWLEN), STUN_EINTEGRITY);
	/* A flipped byte in the CRC. */
	memcpy(buf, req5769, sizeof buf);
	buf[107] ^= 1;
	assert_int_equal(stun_parse(buf, sizeof buf, &m), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, sizeof buf, &m), STUN_EFINGERPRINT);
	assert_int_equal(stun_check_integrity(buf, sizeof buf, &m, pw(), PWLEN), STUN_OK);
}

static void test_checks_absent_and_invalid(void **state)
{
	(void)state;
	struct stun_msg m;
	const uint8_t prio[] = {0x00, 0x24, 0x00, 0x04, 1, 2, 3, 4};
	uint8_t buf[64];
	size_t n = mk(buf, STUN_BINDING_REQUEST, prio, sizeof prio);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_ENO_FINGERPRINT);
	assert_int_equal(stun_check_integrity(buf, n, &m, pw(), PWLEN), STUN_ENO_INTEGRITY);
	assert_false(stun_username_split(&m, &(const uint8_t *){0}, &(size_t){0},
					 &(const uint8_t *){0}, &(size_t){0}));
	assert_int_equal(stun_check_fingerprint(buf, n - 4, &m), STUN_EINVAL);
	assert_int_equal(stun_check_fingerprint(NULL, n, &m), STUN_EINVAL);
	assert_int_equal(stun_check_fingerprint(buf, n, NULL), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n - 4, &m, pw(), PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(NULL, n, &m, pw(), PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n, NULL, pw(), PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n, &m, NULL, PWLEN), STUN_EINVAL);
	assert_int_equal(stun_check_integrity(buf, n, &m, pw(), 0), STUN_EINVAL);
	/* A forged struct whose offsets do not fit the buffer. */
	assert_int_equal(stun_parse(req5769, sizeof req5769, &m), STUN_OK);
	struct stun_msg forged = m;
	forged.fingerprint_off = 96;
	assert_int_equal(stun_check_fingerprint(req5769, sizeof req5769, &forged), STUN_EINVAL);
	forged.integrity_off = 100;
	assert_int_equal(stun_check_integrity(req5769, sizeof req5769, &forged, pw(), PWLEN),
			 STUN_EINVAL);
	static const uint8_t big_key[STUN_MAX_KEY + 1];
	assert_int_equal(stun_check_integrity(req5769, sizeof req5769, &m, big_key, sizeof big_key),
			 STUN_EINVAL);
}

static void test_header_errors(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t buf[STUN_MAX_LEN + 8];
	assert_int_equal(stun_parse(NULL, 0, &m), STUN_ETRUNCATED);
	assert_int_equal(stun_parse(req5769, 19, &m), STUN_ETRUNCATED);
	memcpy(buf, req5769, sizeof req5769);
	buf[0] = 0x40;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_ENOT_STUN);
	buf[0] = 0x80;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_ENOT_STUN);
	/* Top bits clear but in the DTLS range of RFC 7983 (found by fuzz_stun). */
	buf[0] = 0x04;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_ENOT_STUN);
	buf[0] = 0x2a;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_ENOT_STUN);
	memcpy(buf, req5769, sizeof req5769);
	buf[7] = 0x43;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_EBAD_COOKIE);
	/* Length not a multiple of 4. */
	memcpy(buf, req5769, sizeof req5769);
	buf[3] = 0x57;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_EBAD_LENGTH);
	/* Length says more, and less, than the datagram. */
	buf[3] = 0x5c;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_EBAD_LENGTH);
	buf[3] = 0x54;
	assert_int_equal(stun_parse(buf, sizeof req5769, &m), STUN_EBAD_LENGTH);
	/* Datagram carries a trailing byte. */
	memcpy(buf, req5769, sizeof req5769);
	buf[sizeof req5769] = 0;
	assert_int_equal(stun_parse(buf, sizeof req5769 + 1, &m), STUN_EBAD_LENGTH);
	/* Oversize. */
	memset(buf, 0, sizeof buf);
	size_t n = mk(buf, STUN_BINDING_REQUEST, buf + 100, 0);
	(void)n;
	assert_int_equal(stun_parse(buf, STUN_MAX_LEN + 4, &m), STUN_ETOO_LARGE);
	/* An empty Binding request is valid. */
	n = mk(buf, STUN_BINDING_REQUEST, NULL, 0);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_null(m.username);
	assert_int_equal(m.role, STUN_ROLE_NONE);
}

static void test_attr_overrun(void **state)
{
	(void)state;
	struct stun_msg m;
	/* Value length 8 in a 4-byte body. */
	const uint8_t over[] = {0x00, 0x06, 0x00, 0x08, 'a', 'b', 'c', 'd'};
	assert_int_equal(parse_attrs(over, sizeof over, &m), STUN_EATTR_OVERRUN);
	/* Value of 5 bytes needs 8 with padding; only 4 there. */
	const uint8_t pad_over[] = {0x00, 0x06, 0x00, 0x05, 'a', 'b', 'c', 'd'};
	assert_int_equal(parse_attrs(pad_over, sizeof pad_over, &m), STUN_EATTR_OVERRUN);
	/* Maximum length value. */
	const uint8_t huge[] = {0x00, 0x06, 0xff, 0xff, 'a', 'b', 'c', 'd'};
	assert_int_equal(parse_attrs(huge, sizeof huge, &m), STUN_EATTR_OVERRUN);
}

static void test_attr_lengths(void **state)
{
	(void)state;
	struct stun_msg m;
	const uint8_t mi19[] = {0x00, 0x08, 0x00, 0x13, [23] = 0};
	assert_int_equal(parse_attrs(mi19, sizeof mi19, &m), STUN_EATTR_LENGTH);
	const uint8_t fp3[] = {0x80, 0x28, 0x00, 0x03, 0, 0, 0, 0};
	assert_int_equal(parse_attrs(fp3, sizeof fp3, &m), STUN_EATTR_LENGTH);
	const uint8_t prio3[] = {0x00, 0x24, 0x00, 0x03, 0, 0, 0, 0};
	assert_int_equal(parse_attrs(prio3, sizeof prio3, &m), STUN_EATTR_LENGTH);
	const uint8_t usecand4[] = {0x00, 0x25, 0x00, 0x04, 0, 0, 0, 0};
	assert_int_equal(parse_attrs(usecand4, sizeof usecand4, &m), STUN_EATTR_LENGTH);
	const uint8_t ctl4[] = {0x80, 0x2a, 0x00, 0x04, 0, 0, 0, 0};
	assert_int_equal(parse_attrs(ctl4, sizeof ctl4, &m), STUN_EATTR_LENGTH);
	const uint8_t xma_short[] = {0x00, 0x20, 0x00, 0x02, 0, 1, 0, 0};
	assert_int_equal(parse_attrs(xma_short, sizeof xma_short, &m), STUN_EATTR_LENGTH);
	const uint8_t xma_v6_short[] = {0x00, 0x20, 0x00, 0x08, 0, 2, 0, 0, 0, 0, 0, 0};
	assert_int_equal(parse_attrs(xma_v6_short, sizeof xma_v6_short, &m), STUN_EATTR_LENGTH);
	const uint8_t err3[] = {0x00, 0x09, 0x00, 0x03, 0, 0, 4, 0};
	assert_int_equal(parse_attrs(err3, sizeof err3, &m), STUN_EATTR_LENGTH);
	static uint8_t user[4 + 516];
	user[0] = 0x00;
	user[1] = 0x06;
	user[2] = 0x02;
	user[3] = 0x01; /* 513 bytes */
	uint8_t buf[600];
	size_t n = mk(buf, STUN_BINDING_REQUEST, user, sizeof user);
	assert_int_equal(stun_parse(buf, n, &m), STUN_EATTR_LENGTH);
	user[3] = 0x00; /* 512 bytes is allowed */
	n = mk(buf, STUN_BINDING_REQUEST, user, 4 + 512);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.username_len, 512);
	/* ERROR-CODE longer than 763 bytes of reason. */
	static uint8_t errlong[4 + 4 + 764];
	errlong[1] = 0x09;
	errlong[2] = (4 + 764) >> 8;
	errlong[3] = (4 + 764) & 0xff;
	errlong[6] = 4;
	static uint8_t big[1000];
	n = mk(big, STUN_BINDING_ERROR, errlong, sizeof errlong);
	assert_int_equal(stun_parse(big, n, &m), STUN_EATTR_LENGTH);
}

static void test_attr_values(void **state)
{
	(void)state;
	struct stun_msg m;
	const uint8_t xma_fam3[] = {0x00, 0x20, 0x00, 0x08, 0, 3, 0, 0, 0, 0, 0, 0};
	assert_int_equal(parse_attrs(xma_fam3, sizeof xma_fam3, &m), STUN_EATTR_VALUE);
	const uint8_t class2[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 2, 0};
	assert_int_equal(parse_attrs(class2, sizeof class2, &m), STUN_EATTR_VALUE);
	const uint8_t class7[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 7, 0};
	assert_int_equal(parse_attrs(class7, sizeof class7, &m), STUN_EATTR_VALUE);
	const uint8_t num100[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 4, 100};
	assert_int_equal(parse_attrs(num100, sizeof num100, &m), STUN_EATTR_VALUE);
	const uint8_t ok[] = {0x00, 0x09, 0x00, 0x06, 0, 0, 4, 87, 'h', 'i', 0, 0};
	assert_int_equal(parse_attrs(ok, sizeof ok, &m), STUN_OK);
	assert_int_equal(m.error_code, 487);
	assert_int_equal(m.reason_len, 2);
	assert_memory_equal(m.reason, "hi", 2);
}

static void test_order_errors(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t attrs[64] = {0x00, 0x08, 0x00, 0x14};
	/* MESSAGE-INTEGRITY then USERNAME. */
	const uint8_t user[] = {0x00, 0x06, 0x00, 0x01, 'a', 0, 0, 0};
	memcpy(attrs + 24, user, sizeof user);
	assert_int_equal(parse_attrs(attrs, 32, &m), STUN_EAFTER_INTEGRITY);
	/* MESSAGE-INTEGRITY twice. */
	memset(attrs + 24, 0, 24);
	attrs[25] = 0x08;
	attrs[27] = 0x14;
	assert_int_equal(parse_attrs(attrs, 48, &m), STUN_EAFTER_INTEGRITY);
	/* FINGERPRINT then PRIORITY, and FINGERPRINT then MESSAGE-INTEGRITY. */
	const uint8_t fp_prio[] = {0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0,
				   0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1};
	assert_int_equal(parse_attrs(fp_prio, sizeof fp_prio, &m), STUN_EAFTER_FINGERPRINT);
	uint8_t fp_mi[32] = {0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0, 0x00, 0x08, 0x00, 0x14};
	uint8_t buf[64];
	size_t n = mk(buf, STUN_BINDING_REQUEST, fp_mi, 8 + 24);
	assert_int_equal(stun_parse(buf, n, &m), STUN_EAFTER_FINGERPRINT);
	/* FINGERPRINT right after MESSAGE-INTEGRITY is the normal case. */
	uint8_t mi_fp[32] = {0x00, 0x08, 0x00, 0x14};
	mi_fp[24] = 0x80;
	mi_fp[25] = 0x28;
	mi_fp[27] = 0x04;
	assert_int_equal(parse_attrs(mi_fp, sizeof mi_fp, &m), STUN_OK);
	assert_int_equal(m.integrity_off, 20);
	assert_int_equal(m.fingerprint_off, 44);
}

static void test_roles(void **state)
{
	(void)state;
	struct stun_msg m;
	const uint8_t both[] = {0x80, 0x2a, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 1,
				0x80, 0x29, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 2};
	assert_int_equal(parse_attrs(both, sizeof both, &m), STUN_EROLE_BOTH);
	/* The same role twice: the first tie-breaker counts. */
	const uint8_t twice[] = {0x80, 0x2a, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0,	 1,    0x80, 0x2a,
				 0x00, 0x08, 0,	   0,	 0, 0, 0, 0, 0, 2, 0x00, 0x25, 0x00, 0x00};
	assert_int_equal(parse_attrs(twice, sizeof twice, &m), STUN_OK);
	assert_int_equal(m.role, STUN_ROLE_CONTROLLING);
	assert_true(m.tie_breaker == 1);
	assert_true(m.use_candidate);
}

static void test_unknown_and_duplicates(void **state)
{
	(void)state;
	struct stun_msg m;
	uint8_t attrs[128];
	size_t n = 0;
	/* Ten unknown comprehension-required, one optional, MAPPED-ADDRESS (known, skipped),
	 * two USERNAMEs and two PRIORITYs. */
	for (int i = 0; i < 10; i++) {
		const uint8_t a[] = {0x00, (uint8_t)(0x40 + i), 0x00, 0x00};
		memcpy(attrs + n, a, 4);
		n += 4;
	}
	const uint8_t rest[] = {0x80, 0x99, 0x00, 0x01, 7,    0,    0,	  0,	0x00, 0x01, 0x00,
				0x08, 0,    1,	  0,	1,    1,    2,	  3,	4,    0x00, 0x06,
				0x00, 0x01, 'a',  0,	0,    0,    0x00, 0x06, 0x00, 0x01, 'b',
				0,    0,    0,	  0x00, 0x24, 0x00, 0x04, 0,	0,    0,    1,
				0x00, 0x24, 0x00, 0x04, 0,    0,    0,	  2};
	memcpy(attrs + n, rest, sizeof rest);
	n += sizeof rest;
	assert_int_equal(parse_attrs(attrs, n, &m), STUN_OK);
	assert_int_equal(m.n_unknown, 10);
	assert_int_equal(m.unknown[0], 0x0040);
	assert_int_equal(m.unknown[STUN_MAX_UNKNOWN - 1], 0x0040 + STUN_MAX_UNKNOWN - 1);
	assert_int_equal(m.username[0], 'a');
	assert_int_equal(m.priority, 1);
}

static void test_username_split(void **state)
{
	(void)state;
	struct stun_msg m;
	const uint8_t nocolon[] = {0x00, 0x06, 0x00, 0x04, 'a', 'b', 'c', 'd'};
	assert_int_equal(parse_attrs(nocolon, sizeof nocolon, &m), STUN_OK);
	const uint8_t *a, *b;
	size_t al, bl;
	assert_false(stun_username_split(&m, &a, &al, &b, &bl));
	assert_false(stun_username_split(NULL, &a, &al, &b, &bl));
	const uint8_t edge[] = {0x00, 0x06, 0x00, 0x02, 'a', ':', 0, 0};
	assert_int_equal(parse_attrs(edge, sizeof edge, &m), STUN_OK);
	assert_true(stun_username_split(&m, &a, &al, &b, &bl));
	assert_int_equal(al, 1);
	assert_int_equal(bl, 0);
}

static void test_build_success(void **state)
{
	(void)state;
	uint8_t buf[128];
	size_t n = 0;
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, &addr6, pw(), PWLEN, &n), STUN_OK);
	assert_int_equal(n, 20 + 24 + 24 + 8);
	check_response(buf, n, &addr6);
	/* Byte for byte the RFC 5769 IPv4 response less its SOFTWARE attribute, up to the
	 * MAC (which then differs because SOFTWARE is gone). */
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, &addr4, pw(), PWLEN, &n), STUN_OK);
	check_response(buf, n, &addr4);
	assert_memory_equal(buf + 20, resp4_5769 + 36, 12);
	/* Too small by one byte, then errors. */
	assert_int_equal(stun_build_binding_success(buf, n - 1, tid5769, &addr4, pw(), PWLEN, &n),
			 STUN_ENOSPACE);
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, NULL, pw(), PWLEN, &n),
	    STUN_EINVAL);
	assert_int_equal(stun_build_binding_success(buf, sizeof buf, tid5769, &addr4, NULL, 0, &n),
			 STUN_EINVAL);
	assert_int_equal(stun_build_binding_success(buf, sizeof buf, NULL, &addr4, pw(), PWLEN, &n),
			 STUN_EINVAL);
	struct stun_addr bad = addr4;
	bad.family = 3;
	assert_int_equal(
	    stun_build_binding_success(buf, sizeof buf, tid5769, &bad, pw(), PWLEN, &n),
	    STUN_EINVAL);
}

static void test_build_errors_responses(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
	struct stun_msg m;
	/* 401 without integrity. */
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 401, NULL, NULL, 0, NULL, 0, &n),
	    STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.type, STUN_BINDING_ERROR);
	assert_int_equal(m.class_, 3);
	assert_int_equal(m.error_code, 401);
	assert_int_equal(m.reason_len, strlen("Unauthenticated"));
	assert_int_equal(m.integrity_off, 0);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_OK);
	/* 487 with integrity. */
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 487, NULL, NULL, 0, pw(), PWLEN, &n),
	    STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.error_code, 487);
	assert_memory_equal(m.reason, "Role Conflict", m.reason_len);
	assert_int_equal(stun_check_integrity(buf, n, &m, pw(), PWLEN), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_OK);
	/* 420 with the unknown attributes, 400 and 500 with their phrases, a custom one. */
	const uint16_t unknown[] = {0x0040, 0x0041, 0x0042};
	assert_int_equal(stun_build_binding_error(buf, sizeof buf, tid5769, 420, NULL, unknown, 3,
						  pw(), PWLEN, &n),
			 STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.error_code, 420);
	const uint8_t want_list[] = {0x00, 0x0a, 0x00, 0x06, 0, 0x40, 0, 0x41, 0, 0x42, 0, 0};
	assert_memory_equal(buf + 20 + 4 + ((4 + strlen("Unknown Attribute") + 3) & ~(size_t)3),
			    want_list, sizeof want_list);
	const uint16_t codes[] = {400, 500, 600};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(stun_build_binding_error(buf, sizeof buf, tid5769, codes[i], NULL,
							  NULL, 0, NULL, 0, &n),
				 STUN_OK);
		assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
		assert_int_equal(m.error_code, codes[i]);
	}
	assert_int_equal(m.reason_len, 0);
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 400, "Nope", NULL, 0, NULL, 0, &n),
	    STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_memory_equal(m.reason, "Nope", 4);
	/* Errors: code out of range, unknown list NULL or too long, reason too long. */
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 299, NULL, NULL, 0, NULL, 0, &n),
	    STUN_EINVAL);
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 700, NULL, NULL, 0, NULL, 0, &n),
	    STUN_EINVAL);
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 420, NULL, NULL, 2, NULL, 0, &n),
	    STUN_EINVAL);
	uint16_t many[STUN_MAX_UNKNOWN + 1] = {0};
	assert_int_equal(stun_build_binding_error(buf, sizeof buf, tid5769, 420, NULL, many,
						  STUN_MAX_UNKNOWN + 1, NULL, 0, &n),
			 STUN_EINVAL);
	char reason[STUN_MAX_REASON + 2];
	memset(reason, 'x', sizeof reason - 1);
	reason[sizeof reason - 1] = 0;
	assert_int_equal(
	    stun_build_binding_error(buf, sizeof buf, tid5769, 400, reason, NULL, 0, NULL, 0, &n),
	    STUN_EINVAL);
	assert_int_equal(
	    stun_build_binding_error(buf, 30, tid5769, 400, NULL, NULL, 0, NULL, 0, &n),
	    STUN_ENOSPACE);
}

static void test_build_request(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
	struct stun_msg m;
	struct stun_binding_request req = {
	    .username = "AiHX:plnr",
	    .priority = 0x6e0001ff,
	    .role = STUN_ROLE_CONTROLLING,
	    .tie_breaker = 0x0102030405060708ULL,
	    .use_candidate = true,
	    .key = (const uint8_t *)"4ON/ySff9rBCVPX8NJJOLahY",
	    .key_len = 24,
	};
	memcpy(req.tid, tid5769, 12);
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "AiHX:plnr", 9);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_int_equal(m.role, STUN_ROLE_CONTROLLING);
	assert_true(m.tie_breaker == 0x0102030405060708ULL);
	assert_true(m.use_candidate);
	assert_int_equal(stun_check_integrity(buf, n, &m, req.key, req.key_len), STUN_OK);
	assert_int_equal(stun_check_fingerprint(buf, n, &m), STUN_OK);
	/* Padding bytes after the 9-byte username are zero. */
	assert_int_equal(buf[20 + 4 + 9], 0);

	req.role = STUN_ROLE_CONTROLLED;
	req.use_candidate = false;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.role, STUN_ROLE_CONTROLLED);
	assert_false(m.use_candidate);
	req.role = STUN_ROLE_NONE;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_OK);
	assert_int_equal(stun_parse(buf, n, &m), STUN_OK);
	assert_int_equal(m.role, STUN_ROLE_NONE);

	/* Errors. */
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, NULL, &n), STUN_EINVAL);
	req.username = NULL;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_EINVAL);
	static char longname[STUN_MAX_USERNAME + 2];
	memset(longname, 'u', sizeof longname - 1);
	req.username = longname;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_EINVAL);
	req.username = "a:b";
	req.key = NULL;
	assert_int_equal(stun_build_binding_request(buf, sizeof buf, &req, &n), STUN_EINVAL);
	req.key = (const uint8_t *)"k";
	assert_int_equal(stun_build_binding_request(buf, 40, &req, &n), STUN_ENOSPACE);
}

static void test_writer_errors(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
	struct stun_writer w;
	stun_writer_init(&w, buf, 19, STUN_BINDING_REQUEST, tid5769);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, NULL, 64, STUN_BINDING_REQUEST, tid5769);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	stun_writer_init(&w, buf, 64, 0xc001, tid5769);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	stun_writer_init(&w, buf, 64, STUN_BINDING_REQUEST, NULL);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* NULL value with a length; error stays sticky over later successes. */
	stun_writer_init(&w, buf, 64, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add(&w, STUN_ATTR_USERNAME, NULL, 3);
	stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, 1);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* Oversize value. */
	static uint8_t big[70000];
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, big, sizeof big);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* Order: after MESSAGE-INTEGRITY only FINGERPRINT, after FINGERPRINT nothing. */
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, 1);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EORDER);
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_fingerprint(&w);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EORDER);
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_fingerprint(&w);
	stun_writer_add_fingerprint(&w);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EORDER);
	/* Keys. */
	static const uint8_t long_key[STUN_MAX_KEY + 1];
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_integrity(&w, long_key, sizeof long_key);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_integrity(&w, pw(), 0);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_EINVAL);
	/* No room for the u64, the address, the integrity, the fingerprint. */
	stun_writer_init(&w, buf, 31, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLING, 1);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 31, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_xor_address(&w, &addr4);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 43, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_integrity(&w, pw(), PWLEN);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 27, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_fingerprint(&w);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	stun_writer_init(&w, buf, 27, STUN_BINDING_SUCCESS, tid5769);
	stun_writer_add_error_code(&w, 400, NULL);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
	assert_int_equal(stun_writer_finish(NULL, &n), STUN_EINVAL);
	assert_int_equal(stun_writer_finish(&w, NULL), STUN_EINVAL);
	/* A capacity above STUN_MAX_LEN is capped: what we build, we can parse. */
	static uint8_t huge[4000];
	static uint8_t value[1600];
	stun_writer_init(&w, huge, sizeof huge, STUN_BINDING_REQUEST, tid5769);
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, value, sizeof value);
	assert_int_equal(stun_writer_finish(&w, &n), STUN_ENOSPACE);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = STUN_OK; e <= STUN_ECRYPTO; e++)
		assert_string_not_equal(stun_strerror((enum stun_err)e), "unknown STUN error");
	assert_string_equal(stun_strerror((enum stun_err)1000), "unknown STUN error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc5769_request),
	    cmocka_unit_test(test_rfc5769_request_rebuilt),
	    cmocka_unit_test(test_rfc5769_responses),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_checks_absent_and_invalid),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_attr_overrun),
	    cmocka_unit_test(test_attr_lengths),
	    cmocka_unit_test(test_attr_values),
	    cmocka_unit_test(test_order_errors),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_unknown_and_duplicates),
	    cmocka_unit_test(test_username_split),
	    cmocka_unit_test(test_build_success),
	    cmocka_unit_test(test_build_errors_responses),
	    cmocka_unit_test(test_build_request),
	    cmocka_unit_test(test_writer_errors),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
