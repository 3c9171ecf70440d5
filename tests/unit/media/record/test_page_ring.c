/* Unit tests for media/record/page_ring.c: records in order with their kind, room and the two
 * parts of a page joined; a full ring and a too-large page drop and count; and a
 * two-thread run where every record the consumer sees is whole and in order. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "media/record/page_ring.h"

static void records_in_order(void **state)
{
	(void)state;
	assert_null(page_ring_create(3));
	struct page_ring *r = page_ring_create(4);
	assert_non_null(r);
	struct page_view v;
	assert_false(page_ring_peek(r, &v));
	const uint8_t head[] = {'O', 'g', 'g', 'S'}, body[] = {1, 2, 3};
	assert_true(page_ring_push(r, PAGE_BEGIN, "plenary", 0, head, 4, NULL, 0));
	assert_true(page_ring_push(r, PAGE_DATA, "plenary", 3, head, 4, body, 3)); /* channel 3 */
	assert_true(page_ring_push(r, PAGE_END, "other-room", 0, NULL, 0, NULL, 0));
	assert_true(page_ring_peek(r, &v));
	assert_int_equal(v.kind, PAGE_BEGIN);
	assert_int_equal(v.channel, 0);
	assert_string_equal(v.room, "plenary");
	assert_int_equal(v.len, 4);
	assert_memory_equal(v.data, head, 4);
	/* Peeking twice gives the same record until it is released. */
	assert_true(page_ring_peek(r, &v));
	assert_int_equal(v.kind, PAGE_BEGIN);
	page_ring_release(r);
	assert_true(page_ring_peek(r, &v));
	assert_int_equal(v.kind, PAGE_DATA);
	assert_int_equal(v.channel, 3);
	assert_int_equal(v.len, 7);
	assert_memory_equal(v.data, "OggS\1\2\3", 7);
	page_ring_release(r);
	assert_true(page_ring_peek(r, &v));
	assert_int_equal(v.kind, PAGE_END);
	assert_string_equal(v.room, "other-room");
	assert_int_equal(v.len, 0);
	page_ring_release(r);
	assert_false(page_ring_peek(r, &v));
	assert_int_equal(page_ring_dropped(r), 0);
	page_ring_destroy(r);
	page_ring_destroy(NULL);
}

static void full_and_too_large_drop(void **state)
{
	(void)state;
	struct page_ring *r = page_ring_create(2);
	static uint8_t big[PAGE_RING_SLOT_BYTES + 1];
	assert_false(page_ring_push(r, PAGE_DATA, "a", 0, big, sizeof big, NULL, 0));
	assert_false(page_ring_push(r, PAGE_DATA, "a", 0, big, PAGE_RING_SLOT_BYTES, big, 1));
	assert_true(page_ring_push(r, PAGE_DATA, "a", 0, big, PAGE_RING_SLOT_BYTES, NULL, 0));
	assert_true(page_ring_push(r, PAGE_DATA, "b", 0, NULL, 0, NULL, 0));
	assert_false(page_ring_push(r, PAGE_DATA, "c", 0, NULL, 0, NULL, 0)); /* full */
	char long_room[MEDIA_ROOM_MAX + 2];
	memset(long_room, 'x', sizeof long_room - 1);
	long_room[sizeof long_room - 1] = '\0';
	struct page_view v;
	assert_true(page_ring_peek(r, &v));
	page_ring_release(r);
	assert_false(page_ring_push(r, PAGE_DATA, long_room, 0, NULL, 0, NULL, 0));
	assert_false(
	    page_ring_push(r, PAGE_DATA, "d", 256, NULL, 0, NULL, 0)); /* no such channel */
	assert_int_equal(page_ring_dropped(r), 5);
	assert_true(page_ring_peek(r, &v));
	assert_string_equal(v.room, "b");
	page_ring_release(r);
	page_ring_destroy(r);
}

#define STRESS_RECORDS 200000

static void *produce(void *arg)
{
	struct page_ring *r = arg;
	uint8_t buf[64];
	for (uint32_t i = 0; i < STRESS_RECORDS;) {
		size_t len = 4 + i % 60;
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)(i + k);
		memcpy(buf, &i, 4);
		if (page_ring_push(r, PAGE_DATA, "stress", 0, buf, len, NULL, 0))
			i++;
	}
	return NULL;
}

static void two_threads(void **state)
{
	(void)state;
	struct page_ring *r = page_ring_create(8);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, produce, r), 0);
	uint32_t expect = 0;
	while (expect < STRESS_RECORDS) {
		struct page_view v;
		if (!page_ring_peek(r, &v))
			continue;
		uint32_t i;
		memcpy(&i, v.data, 4);
		assert_int_equal(i, expect);
		assert_int_equal(v.len, 4 + i % 60);
		for (size_t k = 4; k < v.len; k++)
			assert_int_equal(v.data[k], (uint8_t)(i + k));
		page_ring_release(r);
		expect++;
	}
	pthread_join(t, NULL);
	page_ring_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(records_in_order),
	    cmocka_unit_test(full_and_too_large_drop),
	    cmocka_unit_test(two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
