/*
 * fuzz_log_replay -- arbitrary bytes as a room log file (rooms/log_file.c).
 *
 * The bytes go into a memfd, opened by path through /proc/self/fd, so the real
 * log_file_open() runs (open, lock, scan, torn-tail truncation) without touching a disk.
 * Beyond "no crash, no leak, no hang", each input checks the loader's promises:
 * - a refused file is left byte for byte as it was, and refused at the same line that a
 *   read-only scan and `verify` name;
 * - a loaded file is cut exactly at the end of its last good line, and only when what
 *   follows is a torn tail;
 * - after loading, the chain goes on: an append and a flush work, read_since returns the
 *   same records, and reopening finds a clean file one record longer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rooms/log.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct counter {
	int64_t next, n;
};

/* Every record handed out is well-formed and in order. */
static int count(void *ctx, const struct log_record *rec)
{
	struct counter *c = ctx;
	CHECK(rec->seq == c->next);
	CHECK(strlen(rec->hash) == LOG_HASH_HEX_LEN && strlen(rec->prev) == LOG_HASH_HEX_LEN);
	CHECK(json_is_object(rec->data));
	c->next++;
	c->n++;
	return 0;
}

static off_t size_of(int fd)
{
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	return st.st_size;
}

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-log", MFD_CLOEXEC);
	CHECK(fd >= 0);
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		CHECK(n > 0);
		done += (size_t)n;
	}
	return fd;
}

/* What a read-only pass says, which open and verify must agree with. */
static enum log_err scan_only(int fd, size_t size, struct log_chain *chain,
			      struct log_open_report *report, off_t *good_end)
{
	static FILE *devnull;
	char path[64];
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	CHECK(devnull);
	log_chain_init(chain);
	enum log_err err = log_scan_fd(fd, 0, (off_t)size, chain, NULL, NULL, report, good_end);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	enum log_err verified = log_verify_file(path, devnull);
	CHECK(verified == (err ? err : report->torn_bytes ? LOG_EPARSE : LOG_OK));
	return err;
}

static void go_on(struct log_file *lf, const char *path, int64_t records)
{
	char hash[LOG_HASH_HEX_LEN + 1], head[LOG_HASH_HEX_LEN + 1];
	int64_t seq = 0;
	CHECK(log_file_append(lf, "fuzz.appended", NULL, 0, &seq, hash) == LOG_OK);
	CHECK(seq == records + 1);
	CHECK(log_file_flush(lf, NULL) == LOG_OK);
	int64_t since = records > 2 ? records - 2 : 0;
	struct counter c = {.next = since + 1};
	CHECK(log_file_read_since(lf, since, count, &c) == LOG_OK);
	CHECK(c.n == records + 1 - since);
	log_file_close(lf);

	struct log_open_report report;
	struct counter again = {.next = 1};
	CHECK(log_file_open(path, NULL, count, &again, &lf, &report) == LOG_OK);
	CHECK(report.records == records + 1 && report.torn_bytes == 0);
	CHECK(log_file_head(lf, head) == records + 1 && strcmp(head, hash) == 0);
	log_file_close(lf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_with(data, size);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct log_chain chain;
	struct log_open_report scanned, report;
	off_t good_end = 0;
	enum log_err scan_err = scan_only(fd, size, &chain, &scanned, &good_end);

	struct log_file *lf = NULL;
	struct counter c = {.next = 1};
	enum log_err err = log_file_open(path, NULL, count, &c, &lf, &report);
	CHECK(err == scan_err);
	if (err) {
		CHECK(lf == NULL);
		CHECK(size_of(fd) == (off_t)size); /* refused: nothing changed */
		CHECK(report.bad_line == scanned.bad_line && report.bad_why == err);
	} else {
		CHECK(report.records == c.n && c.n == chain.seq);
		CHECK(good_end + (off_t)report.torn_bytes == (off_t)size);
		CHECK(size_of(fd) == good_end); /* only the torn tail is cut */
		go_on(lf, path, c.n);
	}
	close(fd);
	return 0;
}
