/* Unit tests for media/wire/stun.c's parser: every error of the header and the attributes
 * provoked with a hand-made message, and what it makes of roles, unknown and duplicate
 * attributes, and the USERNAME's two halves. */
#include "stun_helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_errors),	   cmocka_unit_test(test_attr_overrun),
	    cmocka_unit_test(test_attr_lengths),	   cmocka_unit_test(test_attr_values),
	    cmocka_unit_test(test_order_errors),	   cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_unknown_and_duplicates), cmocka_unit_test(test_username_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
