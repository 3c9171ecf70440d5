/*
 * test_load_stats -- loss by RTP sequence numbers (RFC 3550 A.3's arithmetic) and
 * nearest-rank percentiles, as plenary-load reports them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "load_stats.h"

static void test_in_order_no_loss(void **state)
{
	(void)state;
	struct seq_track t;
	seq_track_init(&t);
	assert_int_equal(seq_track_expected(&t), 0);
	for (uint16_t s = 100; s < 150; s++)
		seq_track_add(&t, s);
	assert_int_equal(seq_track_expected(&t), 50);
	assert_int_equal(seq_track_lost(&t), 0);
}

static void test_gaps_count_as_lost(void **state)
{
	(void)state;
	struct seq_track t;
	seq_track_init(&t);
	for (uint16_t s = 0; s < 100; s++)
		if (s % 10 != 3) /* every tenth packet missing */
			seq_track_add(&t, s);
	assert_int_equal(seq_track_expected(&t), 100);
	assert_int_equal(seq_track_lost(&t), 10);
}

static void test_wrap_around(void **state)
{
	(void)state;
	struct seq_track t;
	seq_track_init(&t);
	for (uint32_t i = 0; i < 200; i++)
		seq_track_add(&t, (uint16_t)(65500 + i)); /* wraps after 36 */
	assert_int_equal(seq_track_expected(&t), 200);
	assert_int_equal(seq_track_lost(&t), 0);
	/* and twice round, with a loss on each side of the wrap */
	seq_track_init(&t);
	for (uint32_t i = 0; i < 3 * 65536u; i++)
		if (i != 65535 && i != 65536)
			seq_track_add(&t, (uint16_t)i);
	assert_int_equal(seq_track_expected(&t), 3 * 65536u);
	assert_int_equal(seq_track_lost(&t), 2);
}

static void test_reorder_and_duplicates(void **state)
{
	(void)state;
	struct seq_track t;
	seq_track_init(&t);
	uint16_t order[] = {10, 12, 11, 13, 13, 14, 9};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		seq_track_add(&t, order[i]);
	/* 9 came after 10 started the range: late, counted, range stays 10..14 */
	assert_int_equal(seq_track_expected(&t), 5);
	assert_int_equal(t.received, 7);
	assert_int_equal(seq_track_lost(&t), 0); /* never negative */
}

static void test_percentiles_nearest_rank(void **state)
{
	(void)state;
	double v[] = {4, 1, 3, 2};
	assert_true(stats_percentile(v, 4, 50) == 2);
	assert_true(stats_percentile(v, 4, 100) == 4);
	assert_true(stats_percentile(v, 4, 1) == 1);
	double h[100];
	for (int i = 0; i < 100; i++)
		h[i] = 100 - i; /* 100..1, unsorted */
	assert_true(stats_percentile(h, 100, 99) == 99);
	assert_true(stats_percentile(h, 100, 50) == 50);
	assert_true(stats_percentile(h, 0, 50) == 0);
	double one = 7;
	assert_true(stats_percentile(&one, 1, 99) == 7);
}

static void test_sample_set_ceiling(void **state)
{
	(void)state;
	struct sample_set s, t;
	sample_set_init(&s, 300);
	for (int i = 0; i < 310; i++)
		sample_set_add(&s, i);
	assert_int_equal(s.n, 300);
	assert_int_equal(s.dropped, 10);
	sample_set_init(&t, 1000);
	sample_set_merge(&t, &s);
	assert_int_equal(t.n, 300);
	assert_int_equal(t.dropped, 10);
	assert_true(stats_percentile(t.v, t.n, 100) == 299);
	sample_set_fini(&s);
	sample_set_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order_no_loss),
	    cmocka_unit_test(test_gaps_count_as_lost),
	    cmocka_unit_test(test_wrap_around),
	    cmocka_unit_test(test_reorder_and_duplicates),
	    cmocka_unit_test(test_percentiles_nearest_rank),
	    cmocka_unit_test(test_sample_set_ceiling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
