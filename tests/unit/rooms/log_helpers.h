/*
 * rooms/log_helpers.h -- what the room log's tests share (test_log_chain.c,
 * test_log_damage.c, test_log_append.c): the events every test writes, a fixture with its
 * own directory, file helpers, and a replay callback that records what it saw.
 *
 * Header-only and static inline, like test_helpers.h, so each test stays one program.
 */
#ifndef PLENARY_TEST_ROOMS_LOG_HELPERS_H
#define PLENARY_TEST_ROOMS_LOG_HELPERS_H

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

/* --- helpers --- */

static inline int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/plenary-log-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/room.jsonl", fx->dir);
	*state = fx;
	return 0;
}

static inline int teardown(void **state)
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

static inline char *read_file(const char *path, size_t *len)
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

static inline void write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static inline void append_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static inline off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static inline json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = text ? json_loads(text, 0, &jerr) : NULL;
	if (text && !v)
		fail_msg("test data does not parse: %s", jerr.text);
	return v;
}

static inline enum log_err append_event(struct log_file *lf, int i, char hash[LOG_HASH_HEX_LEN + 1])
{
	json_t *data = parse(events[i].data);
	int64_t seq = 0;
	enum log_err err =
	    log_file_append(lf, events[i].kind, data, T0 + events[i].dt_ms, &seq, hash);
	json_decref(data);
	return err;
}

static inline struct log_file *open_ok(const char *path, const struct log_io *io)
{
	struct log_file *lf = NULL;
	assert_int_equal(log_file_open(path, io, NULL, NULL, &lf, NULL), LOG_OK);
	assert_non_null(lf);
	return lf;
}

/* Writes events [0, n) and returns their hashes in hashes[1..n]. */
static inline void write_log(const char *path, int n, char hashes[][LOG_HASH_HEX_LEN + 1])
{
	struct log_file *lf = open_ok(path, NULL);
	for (int i = 0; i < n; i++)
		assert_int_equal(append_event(lf, i, hashes[i + 1]), LOG_OK);
	assert_int_equal(log_file_flush(lf, NULL), LOG_OK);
	log_file_close(lf);
}

/* A self-consistent line (hash right for its content) with any seq and prev. Never inlined:
 * gcc 12 then takes the returned line for a pointer to the local `line` (-Wdangling-pointer). */
static __attribute__((noinline, unused)) char *make_line(int64_t seq, const char *prev, int i)
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

/* s with drop bytes at the first "at" replaced by insert. */
static inline char *t_splice(const char *s, const char *at, const char *insert, size_t drop)
{
	const char *p = strstr(s, at);
	size_t head = (size_t)(p - s), n = strlen(s) + strlen(insert) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)head, s, insert, p + drop);
	return out;
}

struct seen {
	int n;
	int64_t stop_at; /* return non-zero on this seq */
	int64_t seq[16];
	char hash[16][LOG_HASH_HEX_LEN + 1];
	char kind[16][LOG_KIND_MAX + 1];
};

static inline int collect(void *ctx, const struct log_record *rec)
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

static inline char *verify_output(const char *path, enum log_err *err)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	*err = log_verify_file(path, f);
	fclose(f);
	return out;
}

#endif
