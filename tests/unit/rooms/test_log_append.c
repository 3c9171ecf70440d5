/*
 * Unit tests of appending to and flushing the room log (rooms/log_file.c): group commit,
 * and that a failed flush leaves the file exactly as durable as before, with faults
 * injected through struct log_io; and that a bad event is refused and changes nothing.
 */
#include <errno.h>
#include <unistd.h>

#include "log_helpers.h"

/* --- fault injection (struct log_io has no context pointer, so the state is here) --- */

static struct {
	size_t write_max;   /* at most this much per write; 0: no limit */
	int eintr_next;	    /* fail this many writes with EINTR first */
	long fail_write_at; /* fail writes with ENOSPC once this many bytes went; -1: never */
	int sync_fail;	    /* fail this many fdatasyncs with EIO */
	int trunc_fail;	    /* fail this many ftruncates with EIO */
	int writes, syncs, truncs;
	size_t written;
} fault;

static ssize_t fault_write(int fd, const void *buf, size_t len)
{
	fault.writes++;
	if (fault.eintr_next > 0) {
		fault.eintr_next--;
		errno = EINTR;
		return -1;
	}
	if (fault.fail_write_at >= 0) {
		size_t room = (size_t)fault.fail_write_at - fault.written;
		if (room == 0) {
			errno = ENOSPC;
			return -1;
		}
		if (len > room)
			len = room;
	}
	if (fault.write_max && len > fault.write_max)
		len = fault.write_max;
	ssize_t n = write(fd, buf, len);
	if (n > 0)
		fault.written += (size_t)n;
	return n;
}

static int fault_fdatasync(int fd)
{
	fault.syncs++;
	if (fault.sync_fail > 0) {
		fault.sync_fail--;
		errno = EIO;
		return -1;
	}
	return fdatasync(fd);
}

static int fault_ftruncate(int fd, off_t len)
{
	fault.truncs++;
	if (fault.trunc_fail > 0) {
		fault.trunc_fail--;
		errno = EIO;
		return -1;
	}
	return ftruncate(fd, len);
}

static const struct log_io fault_io = {fault_write, fault_fdatasync, fault_ftruncate};

/* The shared fixture, with no fault armed. */
static int setup_faults(void **state)
{
	memset(&fault, 0, sizeof fault);
	fault.fail_write_at = -1;
	return setup(state);
}

/* --- appending and flushing --- */

static void test_group_commit(void **state)
{
	struct fixture *fx = *state;
	char hash[LOG_HASH_HEX_LEN + 1];
	uint64_t sync_ns = 1;
	struct log_file *lf = open_ok(fx->path, &fault_io);
	assert_int_equal(log_file_flush(lf, &sync_ns), LOG_OK); /* nothing pending */
	assert_int_equal(fault.writes + fault.syncs, 0);
	assert_int_equal(sync_ns, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(append_event(lf, i, hash), LOG_OK);
	assert_true(log_file_has_pending(lf));
	assert_int_equal(log_file_head(lf, NULL), 5);
	assert_int_equal(log_file_durable_seq(lf), 0);
	assert_int_equal(file_size(fx->path), 0); /* appends only buffer */
	assert_int_equal(log_file_flush(lf, &sync_ns), LOG_OK);
	assert_int_equal(fault.writes, 1);
	assert_int_equal(fault.syncs, 1);
	assert_true(sync_ns > 0);
	assert_false(log_file_has_pending(lf));
	assert_int_equal(log_file_durable_seq(lf), 5);
	log_file_close(lf);
}

static void test_short_writes_retried(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1];
	fault.write_max = 7;
	fault.eintr_next = 2;
	struct log_file *lf = open_ok(fx->path, &fault_io);
	for (int i = 0; i < 4; i++)
		assert_int_equal(append_event(lf, i, hashes[i + 1]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	assert_true(fault.writes > 10);
	assert_int_equal(fault.syncs, 1);
	log_file_close(lf);
	struct seen seen = {0};
	assert_int_equal(log_file_open(fx->path, NULL, collect, &seen, &lf, NULL), LOG_OK);
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.hash[3], hashes[4]);
	log_file_close(lf);
}

/* After a failed flush the log is exactly what it was after the last good one. */
static void assert_rolled_back(struct log_file *lf, const char *path, off_t size, int64_t seq,
			       const char *hash)
{
	char head[LOG_HASH_HEX_LEN + 1];
	assert_int_equal(file_size(path), size);
	assert_false(log_file_has_pending(lf));
	assert_int_equal(log_file_head(lf, head), seq);
	assert_string_equal(head, hash);
	assert_int_equal(log_file_durable_seq(lf), seq);
}

static void test_sync_failure_rolls_back(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1], h[LOG_HASH_HEX_LEN + 1];
	struct log_file *lf = open_ok(fx->path, &fault_io);
	assert_int_equal(append_event(lf, 0, hashes[1]), LOG_OK);
	assert_int_equal(append_event(lf, 1, hashes[2]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	off_t durable = file_size(fx->path);

	assert_int_equal(append_event(lf, 2, h), LOG_OK);
	assert_int_equal(append_event(lf, 3, h), LOG_OK);
	fault.sync_fail = 1;
	errno = 0;
	assert_int_equal(log_file_flush(lf, NULL), LOG_EIO);
	assert_int_equal(errno, EIO);
	assert_rolled_back(lf, fx->path, durable, 2, hashes[2]);

	/* The next append chains from the durable head and flushes fine. */
	int64_t seq = 0;
	json_t *data = parse(events[4].data);
	assert_int_equal(log_file_append(lf, events[4].kind, data, T0, &seq, h), LOG_OK);
	json_decref(data);
	assert_int_equal(seq, 3);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
	struct seen seen = {0};
	assert_int_equal(log_file_open(fx->path, NULL, collect, &seen, &lf, NULL), LOG_OK);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.kind[2], events[4].kind);
	assert_string_equal(seen.hash[2], h);
	log_file_close(lf);
}

static void test_write_failure_rolls_back(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1], h[LOG_HASH_HEX_LEN + 1];
	struct log_file *lf = open_ok(fx->path, &fault_io);
	assert_int_equal(append_event(lf, 0, hashes[1]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	off_t durable = file_size(fx->path);
	/* The disk fills up part way through the next line. */
	fault.fail_write_at = (long)durable + 20;
	assert_int_equal(append_event(lf, 1, h), LOG_OK);
	errno = 0;
	assert_int_equal(log_file_flush(lf, NULL), LOG_EIO);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(fault.syncs, 2); /* the first flush's, and the one after truncating */
	assert_rolled_back(lf, fx->path, durable, 1, hashes[1]);
	fault.fail_write_at = -1;
	assert_int_equal(append_event(lf, 1, hashes[2]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
	enum log_err err;
	char *out = verify_output(fx->path, &err);
	assert_int_equal(err, LOG_OK);
	char expect[128];
	snprintf(expect, sizeof expect, "ok seq=2 hash=%s\n", hashes[2]);
	assert_string_equal(out, expect);
	free(out);
}

/* If the file cannot even be put back, it is not trusted again until reopened. */
static void test_failed_truncate_breaks_the_log(void **state)
{
	struct fixture *fx = *state;
	char h[LOG_HASH_HEX_LEN + 1];
	struct log_file *lf = open_ok(fx->path, &fault_io);
	assert_int_equal(append_event(lf, 0, h), LOG_OK);
	fault.sync_fail = 1;
	fault.trunc_fail = 1;
	assert_int_equal(log_file_flush(lf, NULL), LOG_EIO);
	assert_int_equal(log_file_head(lf, NULL), 0);
	assert_int_equal(append_event(lf, 0, h), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_EIO); /* no fault now, still refused */
	assert_false(log_file_has_pending(lf));
	log_file_close(lf);
}

static void test_append_rejects_bad_events(void **state)
{
	struct fixture *fx = *state;
	char h[LOG_HASH_HEX_LEN + 1], head[LOG_HASH_HEX_LEN + 1];
	struct log_file *lf = open_ok(fx->path, NULL);
	assert_int_equal(append_event(lf, 0, h), LOG_OK);
	char long_kind[LOG_KIND_MAX + 2];
	memset(long_kind, 'k', sizeof long_kind - 1);
	long_kind[sizeof long_kind - 1] = '\0';
	json_t *real = parse("{\"x\":[1,2.5]}"), *arr = json_array();
	json_t *bad_utf8 = json_object();
	json_object_set_new(bad_utf8, "t", json_string_nocheck("\xc0\xaf"));
	char *big = malloc(LOG_LINE_MAX + 1);
	memset(big, 'a', LOG_LINE_MAX);
	big[LOG_LINE_MAX] = '\0';
	json_t *huge = json_pack("{s:s}", "text", big);
	const struct {
		const char *kind;
		json_t *data;
		int64_t ts;
		enum log_err why;
	} cases[] = {
	    {"", NULL, T0, LOG_EPARSE},
	    {"has space", NULL, T0, LOG_EPARSE},
	    {"caf\xc3\xa9", NULL, T0, LOG_EPARSE},
	    {long_kind, NULL, T0, LOG_EPARSE},
	    {NULL, NULL, T0, LOG_EPARSE},
	    {"x", arr, T0, LOG_EPARSE},
	    {"x", NULL, 253402300800000LL, LOG_EPARSE}, /* year 10000 */
	    {"x", real, T0, LOG_EREAL},
	    {"x", bad_utf8, T0, LOG_EUTF8},
	    {"x", huge, T0, LOG_ETOOBIG},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t seq = -7;
		assert_int_equal(
		    log_file_append(lf, cases[i].kind, cases[i].data, cases[i].ts, &seq, NULL),
		    cases[i].why);
		assert_int_equal(seq, -7);
		assert_int_equal(log_file_head(lf, head), 1);
		assert_string_equal(head, h);
	}
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	assert_int_equal(log_file_durable_seq(lf), 1);
	log_file_close(lf);
	json_decref(real);
	json_decref(arr);
	json_decref(bad_utf8);
	json_decref(huge);
	free(big);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup_faults, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_group_commit),
	    T(test_short_writes_retried),
	    T(test_sync_failure_rolls_back),
	    T(test_write_failure_rolls_back),
	    T(test_failed_truncate_breaks_the_log),
	    T(test_append_rejects_bad_events),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
