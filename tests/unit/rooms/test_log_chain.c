/*
 * Unit tests of the room log's chain (rooms/log_line.c, log_file.c): its definition, a
 * known answer computed with Python's hashlib while writing this test, so no part of our
 * own code grades itself; loading and replaying a good log; reading back; retracting the
 * last append; and the strict decoding of one line.
 *
 * Damaged logs are test_log_damage.c's, appending and flushing under faults
 * test_log_append.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "log_helpers.h"

/* --- the chain's definition --- */

static void test_known_answer(void **state)
{
	struct fixture *fx = *state;
	char h1[LOG_HASH_HEX_LEN + 1], h2[LOG_HASH_HEX_LEN + 1];
	json_t *data = parse(events[0].data);
	assert_int_equal(
	    log_compute_hash(ZEROS, 1, "2026-11-22T10:00:00.000Z", "room.created", data, h1),
	    LOG_OK);
	json_decref(data);
	assert_string_equal(h1, KAT_HASH1);

	struct log_file *lf = open_ok(fx->path, NULL);
	assert_int_equal(append_event(lf, 0, h1), LOG_OK);
	assert_int_equal(append_event(lf, 1, h2), LOG_OK);
	assert_string_equal(h1, KAT_HASH1);
	assert_string_equal(h2, KAT_HASH2);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
	size_t len;
	char *bytes = read_file(fx->path, &len);
	assert_string_equal(bytes, KAT_LINE1 KAT_LINE2);
	free(bytes);
}

static void test_timestamps(void **state)
{
	(void)state;
	static const struct {
		int64_t ms;
		const char *ts;
	} known[] = {
	    {0, "1970-01-01T00:00:00.000Z"},
	    {-1, "1969-12-31T23:59:59.999Z"},
	    {T0, "2026-11-22T10:00:00.000Z"},
	    {951782400123LL, "2000-02-29T00:00:00.123Z"},
	    {-62167219200000LL, "0000-01-01T00:00:00.000Z"},
	    {253402300799999LL, "9999-12-31T23:59:59.999Z"},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		char ts[LOG_TS_LEN + 1];
		int64_t back = 0;
		log_format_ts(known[i].ms, ts);
		assert_string_equal(ts, known[i].ts);
		assert_true(log_parse_ts(ts, &back));
		assert_int_equal(back, known[i].ms);
	}
	static const char *const bad[] = {
	    "2023-02-29T00:00:00.000Z",	     "2100-02-29T00:00:00.000Z",
	    "2026-13-01T00:00:00.000Z",	     "2026-04-31T00:00:00.000Z",
	    "2026-11-22T24:00:00.000Z",	     "2026-11-22T10:60:00.000Z",
	    "2026-11-22T10:00:60.000Z",	     "2026-11-22T10:00:00Z",
	    "2026-11-22T10:00:00.000z",	     "2026-11-22 10:00:00.000Z",
	    "2026-11-22T10:00:00.000+00:00", "+026-11-22T10:00:00.000Z",
	    "2026-11-22T10:00:00.0000Z",     "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms;
		assert_false(log_parse_ts(bad[i], &ms));
	}
}

/* --- loading --- */

static void test_chain_reopened_and_replayed(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1], head[LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 6, hashes);

	struct log_file *lf = NULL;
	struct log_open_report report;
	struct seen seen = {0};
	assert_int_equal(log_file_open(fx->path, NULL, collect, &seen, &lf, &report), LOG_OK);
	assert_int_equal(report.records, 6);
	assert_int_equal(report.bad_line, 0);
	assert_int_equal(report.torn_bytes, 0);
	assert_int_equal(seen.n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(seen.seq[i], i + 1);
		assert_string_equal(seen.kind[i], events[i].kind);
		assert_string_equal(seen.hash[i], hashes[i + 1]);
	}
	assert_int_equal(log_file_head(lf, head), 6);
	assert_string_equal(head, hashes[6]);
	assert_int_equal(log_file_durable_seq(lf), 6);

	/* The chain goes on from where it was loaded. */
	assert_int_equal(append_event(lf, 6, hashes[7]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(log_file_open(fx->path, NULL, collect, &seen, &lf, &report), LOG_OK);
	assert_int_equal(seen.n, 7);
	assert_string_equal(seen.hash[6], hashes[7]);
	log_file_close(lf);
}

static void test_new_file(void **state)
{
	struct fixture *fx = *state;
	char head[LOG_HASH_HEX_LEN + 1];
	struct log_file *lf = open_ok(fx->path, NULL);
	assert_int_equal(file_size(fx->path), 0);
	assert_int_equal(log_file_head(lf, head), 0);
	assert_string_equal(head, ZEROS);
	assert_false(log_file_has_pending(lf));
	assert_string_equal(log_file_path(lf), fx->path);
	log_file_close(lf);
}

static void test_second_writer_locked_out(void **state)
{
	struct fixture *fx = *state;
	struct log_file *lf = open_ok(fx->path, NULL), *again = NULL;
	errno = 0;
	assert_int_equal(log_file_open(fx->path, NULL, NULL, NULL, &again, NULL), LOG_EIO);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_null(again);
	log_file_close(lf);
	again = open_ok(fx->path, NULL);
	log_file_close(again);
}

/* --- reading back --- */

static void test_read_since(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1], h[LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 6, hashes);
	struct log_file *lf = open_ok(fx->path, NULL);
	assert_int_equal(append_event(lf, 6, h), LOG_OK); /* pending: not read back */
	const struct {
		int64_t since;
		int first, count;
	} cases[] = {{0, 1, 6}, {1, 2, 5}, {4, 5, 2}, {5, 6, 1}, {6, 0, 0}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct seen seen = {0};
		assert_int_equal(log_file_read_since(lf, cases[i].since, collect, &seen), LOG_OK);
		assert_int_equal(seen.n, cases[i].count);
		for (int k = 0; k < seen.n; k++) {
			assert_int_equal(seen.seq[k], cases[i].first + k);
			assert_string_equal(seen.hash[k], hashes[cases[i].first + k]);
		}
	}
	struct seen seen = {0};
	assert_int_equal(log_file_read_since(lf, 7, collect, &seen), LOG_ESEQ);
	assert_int_equal(log_file_read_since(lf, -1, collect, &seen), LOG_ESEQ);
	assert_int_equal(seen.n, 0);
	seen.stop_at = 3; /* the caller may stop early */
	assert_int_equal(log_file_read_since(lf, 1, collect, &seen), LOG_OK);
	assert_int_equal(seen.n, 2);

	/* The file is read again, so a line changed behind our back is caught. */
	size_t len;
	char *bytes = read_file(fx->path, &len);
	char *p = strstr(bytes, "\"hum.ended\"");
	p[1] = 'H';
	int fd = open(fx->path, O_WRONLY);
	assert_int_equal(pwrite(fd, bytes, len, 0), (ssize_t)len);
	close(fd);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(log_file_read_since(lf, 4, collect, &seen), LOG_EHASH);
	assert_int_equal(seen.n, 1);
	free(bytes);
	log_file_close(lf);
}

/* --- verify --- */

/* The room takes back an event its fold refused: the chain continues from the line
 * before, and what is flushed is exactly the rest. */
static void test_retract_last_append(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1], h[LOG_HASH_HEX_LEN + 1];
	char head[LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 2, hashes);
	struct log_file *lf = open_ok(fx->path, NULL);
	assert_int_equal(log_file_retract(lf), LOG_EPARSE); /* nothing pending */
	char first[LOG_HASH_HEX_LEN + 1];
	assert_int_equal(append_event(lf, 2, first), LOG_OK);
	assert_int_equal(log_file_head(lf, head), 3);
	assert_int_equal(log_file_retract(lf), LOG_OK);
	assert_int_equal(log_file_head(lf, head), 2);
	assert_string_equal(head, hashes[2]);
	assert_false(log_file_has_pending(lf));
	assert_int_equal(log_file_retract(lf), LOG_EPARSE); /* one level only */
	assert_int_equal(append_event(lf, 2, h), LOG_OK);
	assert_string_equal(h, first); /* chained after the same head again */
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
	assert_int_equal(log_verify_file(fx->path, stderr), LOG_OK);
}

/* --- one line on its own --- */

static void test_decode_is_strict(void **state)
{
	(void)state;
	char *good = make_line(1, ZEROS, 0);
	struct log_record rec;
	assert_int_equal(log_decode_line(good, strlen(good), &rec), LOG_OK);
	assert_int_equal(rec.seq, 1);
	assert_int_equal(rec.ts_ms, T0);
	assert_string_equal(rec.kind, "room.created");
	assert_string_equal(rec.hash, KAT_HASH1);
	log_record_clear(&rec);
	const struct {
		const char *at, *insert;
		size_t drop;
		enum log_err why;
	} cases[] = {
	    {"\"hash\"", "\"data\":{},", 0, LOG_ENOTJCS},  /* duplicate key */
	    {"\"seq\":1", "\"seq\":\"1\"", 7, LOG_EPARSE}, /* mistyped */
	    {"\"seq\":1", "\"seq\":0", 7, LOG_EPARSE},	   /* out of range */
	    {"\"seq\":1", "\"seq\":1.0", 7, LOG_EPARSE},   /* a real seq */
	    {"\"kind\":\"room.created\"", "\"kind\":\"room created\"", 21, LOG_EPARSE},
	    {"00.000Z", "00Z", 7, LOG_EPARSE},				/* ts form */
	    {"\"prev\":\"0", "\"prev\":\"O", 9, LOG_EPARSE},		/* not hex */
	    {"9ba27fa3", "9BA27FA3", 8, LOG_EPARSE},			/* uppercase hex */
	    {"\"data\":{", "\"data\":[", 8, LOG_EPARSE},		/* data not an object */
	    {"\"id\"", "\"zz\":9007199254740992,\"id\"", 4, LOG_EREAL}, /* unsafe integer */
	    {"Opening", "Open\\u0069ng", 7, LOG_ENOTJCS},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *bad = t_splice(good, cases[i].at, cases[i].insert, cases[i].drop);
		enum log_err err = log_decode_line(bad, strlen(bad), &rec);
		if (err != cases[i].why)
			fail_msg("case %zu (%s): got %s", i, bad, log_strerror(err));
		assert_null(rec.data);
		free(bad);
	}
	/* Missing field: drop "kind". */
	char *bad = t_splice(good, "\"kind\"", "", strlen("\"kind\":\"room.created\","));
	assert_int_equal(log_decode_line(bad, strlen(bad), &rec), LOG_EPARSE);
	free(bad);
	assert_int_equal(log_decode_line(good, strlen(good) - 1, &rec), LOG_EPARSE);
	assert_int_equal(log_decode_line(good, LOG_LINE_MAX + 1, &rec), LOG_ETOOBIG);
	free(good);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_known_answer),
	    T(test_timestamps),
	    T(test_chain_reopened_and_replayed),
	    T(test_new_file),
	    T(test_second_writer_locked_out),
	    T(test_read_since),
	    T(test_retract_last_append),
	    T(test_decode_is_strict),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
