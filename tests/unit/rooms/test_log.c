/*
 * Unit tests of the room log (rooms/log_line.c, log_file.c, log_verify.c).
 *
 * What they pin down: the chain's definition (a known answer computed with Python's
 * hashlib while writing this test, so no part of our own code grades itself); that a
 * broken line is refused with its line number and the file left alone; that only a torn
 * tail is ever cut; that a failed flush leaves the file exactly as durable as before, with
 * faults injected through struct log_io; and that tests/tools/verify-log.mjs, an
 * independent implementation, agrees with the C side line for line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rooms/log.h"

#define T0    1795341600000LL /* 2026-11-22T10:00:00.000Z */
#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

/* Known answers, from python3 hashlib over the bytes spelled out in LOG.md's recipe:
 * sha256(ZEROS + '{"data":{"id":"plenary-1","title":"Opening plenary"},"kind":
 * "room.created","seq":1,"ts":"2026-11-22T10:00:00.000Z"}') and the same for line 2. */
#define KAT_HASH1 "9ba27fa330f8ba54d969b6a1313f1ed4feb325f9e7f5350c0ad3920e85a4cdbe"
#define KAT_HASH2 "61f73e0143f367793e5a883bc155e36d8d0d654c73934efcb01a49b9ee821c94"
#define KAT_LINE1                                                                                  \
	"{\"data\":{\"id\":\"plenary-1\",\"title\":\"Opening plenary\"},\"hash\":\"" KAT_HASH1     \
	"\",\"kind\":\"room.created\",\"prev\":\"" ZEROS                                           \
	"\",\"seq\":1,\"ts\":\"2026-11-22T10:00:00.000Z\"}\n"
#define KAT_LINE2                                                                                  \
	"{\"data\":{\"text\":\"Pl\xc3\xa9ni\xc3\xa8re \\\"ouverte\\\"\\n\xe2\x82\xac "             \
	"\xf0\x9f\x98\x80\",\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1},\"hash\":\"" KAT_HASH2      \
	"\",\"kind\":\"caption\",\"prev\":\"" KAT_HASH1                                            \
	"\",\"seq\":2,\"ts\":\"2026-11-22T10:00:01.250Z\"}\n"

static const struct {
	const char *kind, *data;
	int64_t dt_ms;
} events[] = {
    {"room.created", "{\"id\":\"plenary-1\",\"title\":\"Opening plenary\"}", 0},
    {"caption",
     "{\"\\ue000\":1,\"text\":\"Pl\\u00e9ni\\u00e8re \\\"ouverte\\\"\\n\\u20ac "
     "\\ud83d\\ude00\",\"\\ud83d\\ude00\":2}",
     1250},
    {"session.started", "{\"title\":\"IGF 2026 \\u2014 Main session\"}", 60000},
    {"queue.opened", NULL, 61000},
    {"floor.granted",
     "{\"entry\":1,\"pid\":\"p1\",\"name\":\"Ana\",\"group\":\"civil_society\","
     "\"location\":\"remote\",\"kind\":\"speak\",\"limit_s\":180,\"policy\":\"fifo\"}",
     90000},
    {"hum.ended", "{\"hum\":1,\"levels\":[\"strong\",\"none\"],\"counts\":null,\"eligible\":12}",
     120000},
    {"session.ended", "{\"duration_ms\":7200000}", 7200000},
};
#define N_EVENTS (int)(sizeof events / sizeof events[0])

struct fixture {
	char dir[64];
	char path[128];
};

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

/* --- helpers --- */

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/plenary-log-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/room.jsonl", fx->dir);
	memset(&fault, 0, sizeof fault);
	fault.fail_write_at = -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		char p[512];
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", fx->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void append_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = text ? json_loads(text, 0, &jerr) : NULL;
	if (text && !v)
		fail_msg("test data does not parse: %s", jerr.text);
	return v;
}

static enum log_err append_event(struct log_file *lf, int i, char hash[LOG_HASH_HEX_LEN + 1])
{
	json_t *data = parse(events[i].data);
	int64_t seq = 0;
	enum log_err err =
	    log_file_append(lf, events[i].kind, data, T0 + events[i].dt_ms, &seq, hash);
	json_decref(data);
	return err;
}

static struct log_file *open_ok(const char *path, const struct log_io *io)
{
	struct log_file *lf = NULL;
	assert_int_equal(log_file_open(path, io, NULL, NULL, &lf, NULL), LOG_OK);
	assert_non_null(lf);
	return lf;
}

/* Writes events [0, n) and returns their hashes in hashes[1..n]. */
static void write_log(const char *path, int n, char hashes[][LOG_HASH_HEX_LEN + 1])
{
	struct log_file *lf = open_ok(path, NULL);
	for (int i = 0; i < n; i++)
		assert_int_equal(append_event(lf, i, hashes[i + 1]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
}

/* A self-consistent line (hash right for its content) with any seq and prev. */
static char *make_line(int64_t seq, const char *prev, int i)
{
	struct log_record rec = {.seq = seq};
	char *line = NULL;
	size_t len = 0;
	log_format_ts(T0 + events[i].dt_ms, rec.ts);
	snprintf(rec.kind, sizeof rec.kind, "%s", events[i].kind);
	snprintf(rec.prev, sizeof rec.prev, "%s", prev);
	rec.data = events[i].data ? parse(events[i].data) : json_object();
	assert_int_equal(log_compute_hash(rec.prev, rec.seq, rec.ts, rec.kind, rec.data, rec.hash),
			 LOG_OK);
	assert_int_equal(log_encode_line(&rec, &line, &len), LOG_OK);
	line[len - 1] = '\0';
	log_record_clear(&rec);
	return line;
}

struct seen {
	int n;
	int64_t stop_at; /* return non-zero on this seq */
	int64_t seq[16];
	char hash[16][LOG_HASH_HEX_LEN + 1];
	char kind[16][LOG_KIND_MAX + 1];
};

static int collect(void *ctx, const struct log_record *rec)
{
	struct seen *s = ctx;
	if (s->n < 16) {
		s->seq[s->n] = rec->seq;
		memcpy(s->hash[s->n], rec->hash, sizeof s->hash[0]);
		memcpy(s->kind[s->n], rec->kind, sizeof s->kind[0]);
	}
	s->n++;
	return rec->seq == s->stop_at;
}

static char *verify_output(const char *path, enum log_err *err)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	*err = log_verify_file(path, f);
	fclose(f);
	return out;
}

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

static char *t_splice(const char *s, const char *at, const char *insert, size_t drop)
{
	const char *p = strstr(s, at);
	size_t head = (size_t)(p - s), n = strlen(s) + strlen(insert) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)head, s, insert, p + drop);
	return out;
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
	    T(test_tampered_middle_line_refused),
	    T(test_torn_tail_cut),
	    T(test_corrupt_last_line_refused),
	    T(test_overlong_tail_refused),
	    T(test_replay_callback_can_refuse),
	    T(test_group_commit),
	    T(test_short_writes_retried),
	    T(test_sync_failure_rolls_back),
	    T(test_write_failure_rolls_back),
	    T(test_failed_truncate_breaks_the_log),
	    T(test_append_rejects_bad_events),
	    T(test_read_since),
	    T(test_retract_last_append),
	    T(test_verify),
	    T(test_node_verifier_agrees),
	    T(test_decode_is_strict),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
