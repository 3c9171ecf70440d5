/*
 * Unit tests of damaged room logs (rooms/log_file.c, log_verify.c): a broken line is
 * refused with its line number and the file left alone; only a torn tail is ever cut;
 * verify reports without changing anything; and tests/tools/verify-log.mjs, an independent
 * implementation, agrees with the C side line for line.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "log_helpers.h"

/* Ways to break line 3 of a five-line log, and what each must be called. */
static char *t_seq_raw(char **l)
{
	char *s = strdup(l[3]), *p = strstr(s, "\"seq\":3");
	p[6] = '9';
	return s;
}

static char *t_data_raw(char **l)
{
	char *s = strdup(l[3]);
	strstr(s, "IGF")[2] = 'G';
	return s;
}

static char *t_hash_digit(char **l)
{
	char *s = strdup(l[3]), *p = strstr(s, "\"hash\":\"") + 8;
	*p = *p == '0' ? '1' : '0';
	return s;
}

static char *t_seq_rehashed(char **l)
{
	char prev[LOG_HASH_HEX_LEN + 1];
	memcpy(prev, strstr(l[3], "\"prev\":\"") + 8, LOG_HASH_HEX_LEN);
	prev[LOG_HASH_HEX_LEN] = '\0';
	return make_line(4, prev, 2);
}

static char *t_prev_rehashed(char **l)
{
	(void)l;
	return make_line(3, ZEROS, 2);
}

static char *t_space(char **l)
{
	return t_splice(l[3], "\"data\"", " ", 0);
}

static char *t_escaped(char **l)
{
	return t_splice(l[3], "IGF", "\\u0049", 1);
}

static char *t_extra_field(char **l)
{
	return t_splice(l[3], "\"data\"", "\"a\":1,", 0);
}

static char *t_dup_key(char **l)
{
	return t_splice(l[3], "\"hash\"", "\"data\":{},", 0);
}

static char *t_real(char **l)
{
	return t_splice(l[3], "\"title\"", "\"n\":1.5,", 0);
}

static char *t_bad_utf8(char **l)
{
	return t_splice(l[3], "GF", "\xff", 1);
}

static char *t_joined(const char *a, const char *sep, const char *b)
{
	size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%s%s%s", a, sep, b);
	return out;
}

static char *t_crlf(char **l)
{
	return t_joined(l[3], "\r", "");
}

static char *t_deleted(char **l)
{
	(void)l;
	return NULL;
}

static char *t_duplicate(char **l)
{
	return t_joined(l[2], "\n", l[3]);
}

static char *t_empty(char **l)
{
	(void)l;
	return strdup("");
}

static const struct tamper {
	const char *name;
	char *(*make)(char **lines);
	enum log_err why;
} tampers[] = {
    {"seq edited", t_seq_raw, LOG_EHASH},
    {"data edited", t_data_raw, LOG_EHASH},
    {"hash edited", t_hash_digit, LOG_EHASH},
    {"seq re-hashed", t_seq_rehashed, LOG_ESEQ},
    {"prev re-hashed", t_prev_rehashed, LOG_EPREV},
    {"whitespace", t_space, LOG_ENOTJCS},
    {"needless escape", t_escaped, LOG_ENOTJCS},
    {"carriage return", t_crlf, LOG_ENOTJCS},
    {"extra field", t_extra_field, LOG_EPARSE},
    {"duplicate key", t_dup_key, LOG_ENOTJCS},
    {"real number", t_real, LOG_EREAL},
    {"invalid UTF-8", t_bad_utf8, LOG_EUTF8},
    {"line deleted", t_deleted, LOG_ESEQ},
    {"line 2 repeated", t_duplicate, LOG_ESEQ},
    {"empty line", t_empty, LOG_EPARSE},
};
#define N_TAMPERS (sizeof tampers / sizeof tampers[0])

/* Rewrites path with line 3 replaced by t's version (NULL: deleted); returns the new
 * bytes. */
static char *apply_tamper(const char *path, const char *orig, const struct tamper *t)
{
	char *copy = strdup(orig), *lines[8] = {0}, *save = NULL;
	int n = 0;
	for (char *s = strtok_r(copy, "\n", &save); s && n < 7; s = strtok_r(NULL, "\n", &save))
		lines[++n] = s;
	char *bad = t->make(lines);
	size_t cap = strlen(orig) + (bad ? strlen(bad) : 0) + 16;
	char *out = calloc(1, cap);
	for (int i = 1; i <= n; i++) {
		const char *line = i == 3 ? bad : lines[i];
		if (line) {
			strcat(out, line);
			strcat(out, "\n");
		}
	}
	free(bad);
	free(copy);
	write_file(path, out, strlen(out));
	return out;
}

static void test_tampered_middle_line_refused(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 5, hashes);
	size_t len;
	char *orig = read_file(fx->path, &len);
	for (size_t i = 0; i < N_TAMPERS; i++) {
		char *bytes = apply_tamper(fx->path, orig, &tampers[i]);
		static char sentinel;
		struct log_file *lf = (struct log_file *)&sentinel; /* must come back NULL */
		struct log_open_report report;
		struct seen seen = {0};
		enum log_err err = log_file_open(fx->path, NULL, collect, &seen, &lf, &report);
		if (err != tampers[i].why || report.bad_line != 3)
			fail_msg("%s: got %s at line %lld", tampers[i].name, log_strerror(err),
				 (long long)report.bad_line);
		assert_int_equal(report.bad_why, tampers[i].why);
		assert_null(lf);
		assert_int_equal(seen.n, 2); /* the good lines before it were replayed */
		size_t after_len;
		char *after = read_file(fx->path, &after_len);
		assert_int_equal(after_len, strlen(bytes));
		assert_memory_equal(after, bytes, after_len); /* nothing changed on disk */
		free(after);
		free(bytes);
	}
	free(orig);
}

static void test_torn_tail_cut(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1], head[LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 3, hashes);
	off_t good = file_size(fx->path);
	/* A crash during a write: all of the next line but its newline, and a shorter one. */
	char *line4 = make_line(4, hashes[3], 3);
	const char *tails[] = {line4, "{\"data\":{\"ti"};
	for (int i = 0; i < 2; i++) {
		append_file(fx->path, tails[i], strlen(tails[i]));
		struct log_file *lf = NULL;
		struct log_open_report report;
		assert_int_equal(log_file_open(fx->path, NULL, NULL, NULL, &lf, &report), LOG_OK);
		assert_int_equal(report.torn_bytes, strlen(tails[i]));
		assert_int_equal(report.records, 3);
		assert_int_equal(file_size(fx->path), good);
		assert_int_equal(log_file_head(lf, head), 3);
		assert_string_equal(head, hashes[3]);
		log_file_close(lf);
	}
	/* And the chain goes on after the cut. */
	struct log_file *lf = open_ok(fx->path, NULL);
	assert_int_equal(append_event(lf, 3, hashes[4]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
	size_t len;
	char *bytes = read_file(fx->path, &len);
	assert_non_null(strstr(bytes, line4)); /* the same line, now complete */
	free(bytes);
	free(line4);
}

/* A complete last line was written whole, newline and all: if it is wrong, that is not a
 * crash's doing, and it must not be cut. */
static void test_corrupt_last_line_refused(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 3, hashes);
	char *line4 = make_line(4, hashes[3], 3);
	char *p = strstr(line4, "\"hash\":\"") + 8;
	*p = *p == '0' ? '1' : '0'; /* still well-formed, but the hash is wrong */
	const struct {
		const char *tail;
		enum log_err why;
	} cases[] = {{"garbage\n", LOG_EPARSE}, {"{\"seq\":4}\n", LOG_EPARSE}, {line4, LOG_EHASH}};
	size_t len;
	char *orig = read_file(fx->path, &len);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_file(fx->path, orig, len);
		append_file(fx->path, cases[i].tail, strlen(cases[i].tail));
		if (cases[i].tail == line4)
			append_file(fx->path, "\n", 1);
		off_t size = file_size(fx->path);
		struct log_file *lf = NULL;
		struct log_open_report report;
		assert_int_equal(log_file_open(fx->path, NULL, NULL, NULL, &lf, &report),
				 cases[i].why);
		assert_int_equal(report.bad_line, 4);
		assert_int_equal(report.torn_bytes, 0);
		assert_int_equal(file_size(fx->path), size);
	}
	free(orig);
	free(line4);
}

/* A "torn tail" longer than any line can be is not a torn write. */
static void test_overlong_tail_refused(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 1, hashes);
	size_t n = LOG_LINE_MAX + 10;
	char *junk = malloc(n);
	memset(junk, 'x', n);
	append_file(fx->path, junk, n);
	off_t size = file_size(fx->path);
	struct log_file *lf = NULL;
	struct log_open_report report;
	assert_int_equal(log_file_open(fx->path, NULL, NULL, NULL, &lf, &report), LOG_ETOOBIG);
	assert_int_equal(report.bad_line, 2);
	assert_int_equal(file_size(fx->path), size);
	/* The same bytes ending in a newline: an over-long complete line, also refused. */
	append_file(fx->path, "\n", 1);
	assert_int_equal(log_file_open(fx->path, NULL, NULL, NULL, &lf, &report), LOG_ETOOBIG);
	assert_int_equal(report.bad_line, 2);
	free(junk);
}

static void test_replay_callback_can_refuse(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1];
	write_log(fx->path, 5, hashes);
	struct log_file *lf = NULL;
	struct log_open_report report;
	struct seen seen = {.stop_at = 3};
	assert_int_equal(log_file_open(fx->path, NULL, collect, &seen, &lf, &report), LOG_EPARSE);
	assert_int_equal(report.bad_line, 3);
	assert_int_equal(seen.n, 3);
	assert_null(lf);
}

static void test_verify(void **state)
{
	struct fixture *fx = *state;
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1], expect[128];
	enum log_err err;
	write_file(fx->path, "", 0);
	char *out = verify_output(fx->path, &err);
	assert_int_equal(err, LOG_OK);
	assert_string_equal(out, "ok seq=0 hash=" ZEROS "\n");
	free(out);

	write_log(fx->path, 5, hashes);
	out = verify_output(fx->path, &err);
	snprintf(expect, sizeof expect, "ok seq=5 hash=%s\n", hashes[5]);
	assert_int_equal(err, LOG_OK);
	assert_string_equal(out, expect);
	free(out);

	size_t len;
	char *orig = read_file(fx->path, &len);
	free(apply_tamper(fx->path, orig, &tampers[0]));
	out = verify_output(fx->path, &err);
	assert_int_equal(err, LOG_EHASH);
	assert_string_equal(out, "line 3: hash does not match the line's content\n");
	free(out);

	write_file(fx->path, orig, len - 1); /* verify reports a torn tail, it does not cut */
	out = verify_output(fx->path, &err);
	assert_int_equal(err, LOG_EPARSE);
	assert_non_null(strstr(out, "line 5: incomplete last line"));
	free(out);
	assert_int_equal(file_size(fx->path), (off_t)len - 1);
	free(orig);

	unlink(fx->path);
	out = verify_output(fx->path, &err);
	assert_int_equal(err, LOG_EIO);
	assert_non_null(strstr(out, "No such file"));
	free(out);
}

/* --- the independent implementation agrees --- */

static char *node_verify(const char *path, int *status)
{
	char cmd[512], buf[512];
	snprintf(cmd, sizeof cmd, "node '%s/tests/tools/verify-log.mjs' '%s' 2>&1",
		 PLENARY_SOURCE_DIR, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(buf, 1, sizeof buf - 1, p);
	buf[n] = '\0';
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return strdup(buf);
}

static void assert_node_agrees(const char *path, enum log_err *c_err)
{
	int status;
	char *c_out = verify_output(path, c_err), *js_out = node_verify(path, &status);
	assert_string_equal(js_out, c_out);
	assert_int_equal(status, *c_err == LOG_OK ? 0 : 1);
	free(c_out);
	free(js_out);
}

static void test_node_verifier_agrees(void **state)
{
	struct fixture *fx = *state;
	if (system("command -v node >/dev/null 2>&1") != 0)
		skip();
	char hashes[N_EVENTS + 1][LOG_HASH_HEX_LEN + 1];
	enum log_err err;
	write_log(fx->path, N_EVENTS, hashes);
	assert_node_agrees(fx->path, &err);
	assert_int_equal(err, LOG_OK);
	size_t len;
	char *orig = read_file(fx->path, &len);
	for (size_t i = 0; i < N_TAMPERS; i++) {
		free(apply_tamper(fx->path, orig, &tampers[i]));
		assert_node_agrees(fx->path, &err);
		assert_int_equal(err, tampers[i].why);
	}
	write_file(fx->path, orig, len - 1);
	assert_node_agrees(fx->path, &err);
	assert_int_equal(err, LOG_EPARSE);
	free(orig);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_tampered_middle_line_refused), T(test_torn_tail_cut),
	    T(test_corrupt_last_line_refused),	  T(test_overlong_tail_refused),
	    T(test_replay_callback_can_refuse),	  T(test_verify),
	    T(test_node_verifier_agrees),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
