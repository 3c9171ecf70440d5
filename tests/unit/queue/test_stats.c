/*
 * queue/test_stats.c -- speaking-time statistics (queue/stats.c): interventions, totals,
 * medians of odd and even counts, mean waits, the three summaries in order of first
 * appearance, in-room speakers keyed by name, argument checks, the floor ceiling, and
 * out-of-memory at every allocation leaving the summaries untouched.
 */
#include "queue/test_helpers.h"

static const struct queue_stat_row *row_of(struct queue_stats *st, enum queue_stat_by by,
					   const char *key)
{
	const struct queue_stat_row *rows;
	size_t n = queue_stats_rows(st, by, &rows);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].key, key) == 0)
			return &rows[i];
	}
	fail_msg("no row %s", key);
	return NULL;
}

static void add(struct queue_stats *st, const char *pid, const char *name, const char *group,
		enum queue_location loc, int64_t waited_ms, int64_t duration_ms)
{
	assert_int_equal(queue_stats_add(st, pid, name, group, loc, waited_ms, duration_ms),
			 QUEUE_OK);
}

static void test_empty(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	assert_non_null(st);
	const struct queue_stat_row *rows = (const void *)1;
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_PERSON, &rows), 0);
	assert_int_equal(queue_stats_rows(st, (enum queue_stat_by)3, &rows), 0);
	assert_null(rows);
	queue_stats_destroy(st);
	queue_stats_destroy(NULL);
}

static void test_one_person(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	add(st, "p-ana", "Ana", "academia", QUEUE_LOC_REMOTE, 12000, 90000);
	const struct queue_stat_row *r = row_of(st, QUEUE_STATS_PERSON, "p-ana");
	assert_string_equal(r->name, "Ana");
	assert_string_equal(r->group, "academia");
	assert_int_equal(r->interventions, 1);
	assert_int_equal(r->total_ms, 90000);
	assert_int_equal(r->median_ms, 90000);
	assert_int_equal(r->mean_wait_ms, 12000);
	queue_stats_destroy(st);
}

/* Odd counts take the middle value, even counts the mean of the middle two (rounded
 * down), whatever order the floors came in. */
static void test_median_odd_and_even(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	const int64_t durations[] = {30000, 10000, 20000, 40000, 21};
	const int64_t medians[] = {30000, 20000, 20000, 25000, 20000};
	for (int i = 0; i < 5; i++) {
		add(st, "p", "P", "", QUEUE_LOC_REMOTE, 0, durations[i]);
		assert_int_equal(row_of(st, QUEUE_STATS_PERSON, "p")->median_ms, medians[i]);
	}
	assert_int_equal(row_of(st, QUEUE_STATS_PERSON, "p")->total_ms, 100021);

	/* 10 and 21: 15.5 rounds down to 15. */
	add(st, "q", "Q", "", QUEUE_LOC_REMOTE, 0, 21);
	add(st, "q", "Q", "", QUEUE_LOC_REMOTE, 0, 10);
	assert_int_equal(row_of(st, QUEUE_STATS_PERSON, "q")->median_ms, 15);
	queue_stats_destroy(st);
}

static void test_mean_wait(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	add(st, "p", "P", "g", QUEUE_LOC_ROOM, 1000, 5);
	add(st, "p", "P", "g", QUEUE_LOC_ROOM, 0, 5); /* granted at once still counts */
	add(st, "p", "P", "g", QUEUE_LOC_ROOM, 2001, 5);
	const struct queue_stat_row *r = row_of(st, QUEUE_STATS_PERSON, "p");
	assert_int_equal(r->interventions, 3);
	assert_int_equal(r->mean_wait_ms, 1000); /* 3001 / 3, rounded down */
	queue_stats_destroy(st);
}

/* Three summaries of the same floors, each in order of first appearance. */
static void test_summaries(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	add(st, "p-gov", "Gov", "government", QUEUE_LOC_ROOM, 100, 60000);
	add(st, "p-cs1", "CS One", "civil_society", QUEUE_LOC_REMOTE, 300, 30000);
	add(st, "p-cs2", "CS Two", "civil_society", QUEUE_LOC_REMOTE, 500, 90000);
	add(st, "p-gov", "Gov", "government", QUEUE_LOC_ROOM, 700, 20000);
	add(st, "p-none", "Nobody", "", QUEUE_LOC_REMOTE, 900, 10000);

	const struct queue_stat_row *rows;
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_PERSON, &rows), 4);
	assert_string_equal(rows[0].key, "p-gov");
	assert_string_equal(rows[1].key, "p-cs1");
	assert_string_equal(rows[2].key, "p-cs2");
	assert_string_equal(rows[3].key, "p-none");
	assert_int_equal(rows[0].interventions, 2);
	assert_int_equal(rows[0].total_ms, 80000);
	assert_int_equal(rows[0].median_ms, 40000);
	assert_int_equal(rows[0].mean_wait_ms, 400);

	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_GROUP, &rows), 3);
	assert_string_equal(rows[0].key, "government");
	assert_string_equal(rows[0].name, "government");
	assert_string_equal(rows[1].key, "civil_society");
	assert_int_equal(rows[1].interventions, 2);
	assert_int_equal(rows[1].total_ms, 120000);
	assert_int_equal(rows[1].median_ms, 60000);
	assert_int_equal(rows[1].mean_wait_ms, 400);
	assert_string_equal(rows[2].key, ""); /* no group is a group of its own */
	assert_int_equal(rows[2].interventions, 1);

	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_LOCATION, &rows), 2);
	assert_string_equal(rows[0].key, "room");
	assert_string_equal(rows[0].name, "room");
	assert_int_equal(rows[0].interventions, 2);
	assert_int_equal(rows[0].total_ms, 80000);
	assert_string_equal(rows[1].key, "remote");
	assert_int_equal(rows[1].interventions, 3);
	assert_int_equal(rows[1].total_ms, 130000);
	assert_int_equal(rows[1].median_ms, 30000);
	assert_int_equal(rows[1].mean_wait_ms, 566); /* 1700 / 3 */
	queue_stats_destroy(st);
}

/* In-room speakers have no pid: keyed by name, so two delegates are two rows, the same
 * delegate twice is one, and a pid that happens to equal a name is someone else. */
static void test_in_room_speakers_keyed_by_name(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	add(st, "", "Delegate of Kenya", "government", QUEUE_LOC_ROOM, 0, 1000);
	add(st, "", "Delegate of Chile", "government", QUEUE_LOC_ROOM, 0, 2000);
	add(st, "", "Delegate of Kenya", "government", QUEUE_LOC_ROOM, 0, 3000);
	add(st, "Delegate of Kenya", "Someone online", "", QUEUE_LOC_REMOTE, 0, 4000);
	const struct queue_stat_row *rows;
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_PERSON, &rows), 3);
	assert_string_equal(rows[0].key, "Delegate of Kenya");
	assert_string_equal(rows[0].name, "Delegate of Kenya");
	assert_int_equal(rows[0].interventions, 2);
	assert_int_equal(rows[0].total_ms, 4000);
	assert_string_equal(rows[1].key, "Delegate of Chile");
	assert_string_equal(rows[2].key, "Delegate of Kenya");
	assert_string_equal(rows[2].name, "Someone online");
	assert_int_equal(rows[2].interventions, 1);
	queue_stats_destroy(st);
}

static void test_bad_arguments_change_nothing(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	add(st, "p", "P", "g", QUEUE_LOC_REMOTE, 10, 10);
	char big[QUEUE_NAME_MAX + 1];
	memset(big, 'x', QUEUE_NAME_MAX);
	big[QUEUE_NAME_MAX] = '\0';
	const char *group64 = big + QUEUE_NAME_MAX - QUEUE_GROUP_MAX;
	struct {
		const char *pid, *name, *group;
		enum queue_location loc;
		int64_t waited, duration;
	} bad[] = {
	    {NULL, "n", "", QUEUE_LOC_ROOM, 0, 0},
	    {"p", NULL, "", QUEUE_LOC_ROOM, 0, 0},
	    {"p", "n", NULL, QUEUE_LOC_ROOM, 0, 0},
	    {big, "n", "", QUEUE_LOC_ROOM, 0, 0},
	    {"p", big, "", QUEUE_LOC_ROOM, 0, 0},
	    {"p", "n", group64, QUEUE_LOC_ROOM, 0, 0},
	    {"p", "n", "", (enum queue_location)2, 0, 0},
	    {"p", "n", "", QUEUE_LOC_ROOM, QUEUE_STATS_MAX_MS + 1, 0},
	    {"p", "n", "", QUEUE_LOC_ROOM, 0, INT64_MAX},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(queue_stats_add(st, bad[i].pid, bad[i].name, bad[i].group,
						 bad[i].loc, bad[i].waited, bad[i].duration),
				 QUEUE_EINVAL);
	const struct queue_stat_row *rows;
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_PERSON, &rows), 1);
	assert_int_equal(rows[0].interventions, 1);
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_GROUP, &rows), 1);
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_LOCATION, &rows), 1);

	/* A clock that stepped back counts as no time, rather than losing the floor. */
	add(st, "p", "P", "g", QUEUE_LOC_REMOTE, -5000, -1);
	assert_int_equal(row_of(st, QUEUE_STATS_PERSON, "p")->interventions, 2);
	assert_int_equal(row_of(st, QUEUE_STATS_PERSON, "p")->total_ms, 10);
	assert_int_equal(row_of(st, QUEUE_STATS_PERSON, "p")->median_ms, 5);
	assert_int_equal(row_of(st, QUEUE_STATS_PERSON, "p")->mean_wait_ms, 5);

	/* The longest strings that fit, and the largest values, are accepted. */
	big[QUEUE_NAME_MAX - 1] = '\0';
	add(st, big, big, group64, QUEUE_LOC_ROOM, QUEUE_STATS_MAX_MS, QUEUE_STATS_MAX_MS);
	assert_string_equal(row_of(st, QUEUE_STATS_PERSON, big)->group, group64);
	queue_stats_destroy(st);
}

static void test_floor_ceiling(void **state)
{
	(void)state;
	struct queue_stats *st = queue_stats_create();
	for (int i = 0; i < QUEUE_STATS_MAX_FLOORS; i++) {
		char pid[16];
		snprintf(pid, sizeof pid, "p%d", i % 300);
		add(st, pid, pid, i % 2 ? "odd" : "even", (enum queue_location)(i % 2), i, i);
	}
	assert_int_equal(queue_stats_add(st, "p", "P", "", QUEUE_LOC_ROOM, 0, 0), QUEUE_EFULL);
	const struct queue_stat_row *rows;
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_PERSON, &rows), 300);
	assert_int_equal(queue_stats_rows(st, QUEUE_STATS_LOCATION, &rows), 2);
	assert_int_equal(rows[0].interventions + rows[1].interventions, QUEUE_STATS_MAX_FLOORS);
	queue_stats_destroy(st);
}

/* Snapshot of every summary's rows, to compare before and after a failed add. */
struct snap {
	size_t n[3];
	struct queue_stat_row rows[3][16];
};

static void take_snap(struct queue_stats *st, struct snap *s)
{
	memset(s, 0, sizeof *s);
	for (int b = 0; b < 3; b++) {
		const struct queue_stat_row *rows;
		s->n[b] = queue_stats_rows(st, (enum queue_stat_by)b, &rows);
		assert_true(s->n[b] <= 16);
		for (size_t i = 0; i < s->n[b]; i++)
			s->rows[b][i] = rows[i];
	}
}

static void assert_snap_same(const struct snap *a, const struct snap *b)
{
	for (int s = 0; s < 3; s++) {
		assert_int_equal(a->n[s], b->n[s]);
		for (size_t i = 0; i < a->n[s]; i++) {
			const struct queue_stat_row *x = &a->rows[s][i], *y = &b->rows[s][i];
			assert_string_equal(x->key, y->key);
			assert_string_equal(x->name, y->name);
			assert_string_equal(x->group, y->group);
			assert_int_equal(x->interventions, y->interventions);
			assert_int_equal(x->total_ms, y->total_ms);
			assert_int_equal(x->median_ms, y->median_ms);
			assert_int_equal(x->mean_wait_ms, y->mean_wait_ms);
		}
	}
}

/* Fail each allocation in turn: the add that hits it changes nothing (in any of the three
 * summaries), and retrying it succeeds. ASan checks nothing leaks on the way. */
static void test_out_of_memory(void **state)
{
	(void)state;
	assert_null(queue_stats_create_with(test_alloc_fn, &(struct test_alloc){.fail_at = 0}));
	for (int fail_at = 1;; fail_at++) {
		struct test_alloc ta = {.fail_at = fail_at};
		struct queue_stats *st = queue_stats_create_with(test_alloc_fn, &ta);
		assert_non_null(st);
		int failed = 0;
		for (int i = 0; i < 40; i++) {
			char pid[16], group[16];
			snprintf(pid, sizeof pid, "p%d", i % 12);
			snprintf(group, sizeof group, "g%d", i % 5);
			struct snap before, after;
			take_snap(st, &before);
			enum queue_err err = queue_stats_add(st, pid, pid, group,
							     (enum queue_location)(i % 2), i, i);
			if (err == QUEUE_ENOMEM) {
				failed++;
				take_snap(st, &after);
				assert_snap_same(&before, &after);
				err = queue_stats_add(st, pid, pid, group,
						      (enum queue_location)(i % 2), i, i);
			}
			assert_int_equal(err, QUEUE_OK);
		}
		queue_stats_destroy(st);
		if (ta.failures == 0)
			break;
		assert_int_equal(failed, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_one_person),
	    cmocka_unit_test(test_median_odd_and_even),
	    cmocka_unit_test(test_mean_wait),
	    cmocka_unit_test(test_summaries),
	    cmocka_unit_test(test_in_room_speakers_keyed_by_name),
	    cmocka_unit_test(test_bad_arguments_change_nothing),
	    cmocka_unit_test(test_floor_ceiling),
	    cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
