/* Unit tests for media/wire/rfc4571.c: whole, partial and back-to-back frames, the
 * length limit (refused as soon as the header is in), zero-length frames, a stream fed
 * one byte at a time through a bounded reassembly buffer, and the header writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/wire/rfc4571.h"

static void test_whole_frame(void **state)
{
	(void)state;
	const uint8_t buf[] = {0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x00};
	size_t n = 99, used = 99;
	assert_int_equal(rfc4571_split(buf, sizeof buf, 0, &n, &used), RFC4571_OK);
	assert_int_equal(n, 3);
	assert_int_equal(used, 5);
	/* The next frame's header is one byte short. */
	assert_int_equal(rfc4571_split(buf + used, sizeof buf - used, 0, &n, &used),
			 RFC4571_EPARTIAL);
	assert_int_equal(n, 3);
	assert_int_equal(used, 5);
}

static void test_partial(void **state)
{
	(void)state;
	const uint8_t buf[] = {0x00, 0x04, 1, 2, 3};
	size_t n = 7, used = 7;
	for (size_t len = 0; len < sizeof buf; len++)
		assert_int_equal(rfc4571_split(buf, len, 0, &n, &used), RFC4571_EPARTIAL);
	assert_int_equal(n, 7);
	assert_int_equal(rfc4571_split(NULL, 0, 0, &n, &used), RFC4571_EPARTIAL);
}

static void test_too_big(void **state)
{
	(void)state;
	size_t n, used;
	uint8_t hdr[2];
	assert_int_equal(rfc4571_put_header(hdr, RFC4571_MAX_FRAME + 1), RFC4571_OK);
	/* Refused from the header alone: nothing of the frame need arrive. */
	assert_int_equal(rfc4571_split(hdr, 2, 0, &n, &used), RFC4571_ETOOBIG);
	const uint8_t big[] = {0xff, 0xff};
	assert_int_equal(rfc4571_split(big, 2, 0, &n, &used), RFC4571_ETOOBIG);
	assert_int_equal(rfc4571_split(big, 2, 65535, &n, &used), RFC4571_EPARTIAL);
	assert_int_equal(rfc4571_split(big, 2, 1 << 20, &n, &used), RFC4571_EPARTIAL);
	const uint8_t small[] = {0x00, 0x05, 1, 2, 3, 4, 5};
	assert_int_equal(rfc4571_split(small, sizeof small, 4, &n, &used), RFC4571_ETOOBIG);
	assert_int_equal(rfc4571_split(small, sizeof small, 5, &n, &used), RFC4571_OK);
	/* The largest frame allowed by default passes. */
	static uint8_t max[RFC4571_HEADER + RFC4571_MAX_FRAME];
	assert_int_equal(rfc4571_put_header(max, RFC4571_MAX_FRAME), RFC4571_OK);
	assert_int_equal(rfc4571_split(max, sizeof max, 0, &n, &used), RFC4571_OK);
	assert_int_equal(n, RFC4571_MAX_FRAME);
}

static void test_zero_length(void **state)
{
	(void)state;
	const uint8_t buf[] = {0x00, 0x00, 0x00, 0x01, 0x42};
	size_t n, used;
	assert_int_equal(rfc4571_split(buf, sizeof buf, 0, &n, &used), RFC4571_OK);
	assert_int_equal(n, 0);
	assert_int_equal(used, 2);
	assert_int_equal(rfc4571_split(buf + 2, 3, 0, &n, &used), RFC4571_OK);
	assert_int_equal(n, 1);
	assert_int_equal(buf[2 + RFC4571_HEADER], 0x42);
}

static void test_invalid(void **state)
{
	(void)state;
	size_t n, used;
	assert_int_equal(rfc4571_split(NULL, 3, 0, &n, &used), RFC4571_EINVAL);
	assert_int_equal(rfc4571_split((const uint8_t *)"\0\0", 2, 0, NULL, &used), RFC4571_EINVAL);
	assert_int_equal(rfc4571_split((const uint8_t *)"\0\0", 2, 0, &n, NULL), RFC4571_EINVAL);
	uint8_t hdr[2] = {7, 7};
	assert_int_equal(rfc4571_put_header(NULL, 1), RFC4571_EINVAL);
	assert_int_equal(rfc4571_put_header(hdr, 65536), RFC4571_ENOSPACE);
	assert_int_equal(hdr[0], 7);
	assert_int_equal(rfc4571_put_header(hdr, 0x1234), RFC4571_OK);
	assert_int_equal(hdr[0], 0x12);
	assert_int_equal(hdr[1], 0x34);
	assert_string_equal(rfc4571_strerror(RFC4571_ETOOBIG),
			    "RFC 4571 frame longer than any packet of ours");
	assert_string_equal(rfc4571_strerror((enum rfc4571_err)99), "unknown RFC 4571 error");
}

/* Three frames written back to back and delivered one byte at a time into a buffer the
 * size of one frame, as a connection reassembles them: each comes out whole, in order. */
static void test_byte_at_a_time(void **state)
{
	(void)state;
	uint8_t stream[64];
	size_t len = 0;
	const size_t sizes[] = {5, 0, 20};
	for (size_t f = 0; f < 3; f++) {
		assert_int_equal(rfc4571_put_header(stream + len, sizes[f]), RFC4571_OK);
		len += 2;
		for (size_t i = 0; i < sizes[f]; i++)
			stream[len++] = (uint8_t)(f * 16 + i);
	}
	uint8_t buf[RFC4571_HEADER + 20];
	size_t have = 0, seen = 0;
	for (size_t i = 0; i < len; i++) {
		buf[have++] = stream[i];
		size_t n, used;
		while (rfc4571_split(buf, have, 20, &n, &used) == RFC4571_OK) {
			assert_int_equal(n, sizes[seen]);
			for (size_t k = 0; k < n; k++)
				assert_int_equal(buf[2 + k], (uint8_t)(seen * 16 + k));
			memmove(buf, buf + used, have - used);
			have -= used;
			seen++;
		}
	}
	assert_int_equal(seen, 3);
	assert_int_equal(have, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_frame), cmocka_unit_test(test_partial),
	    cmocka_unit_test(test_too_big),	cmocka_unit_test(test_zero_length),
	    cmocka_unit_test(test_invalid),	cmocka_unit_test(test_byte_at_a_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
