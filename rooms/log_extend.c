/*
 * Extending a room's file with lines that are already in the room's log elsewhere (the
 * JetStream copy, when this node's file fell behind it). The lines must continue the
 * file's chain exactly; each is appended through the same path as a new event, so the
 * file holds the very bytes it would have written, and made durable before the room
 * loads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rooms/log.h"
#include "rooms/rooms.h"

bool rooms_lines_follow(const char *prev, size_t prev_len, const char *lines, size_t len,
			int64_t *bad_seq)
{
	struct log_chain chain;
	struct log_record rec;
	log_chain_init(&chain);
	*bad_seq = 1;
	if (prev) { /* a line of the chain already held: where the new lines must start */
		if (log_decode_line(prev, prev_len, &rec) != LOG_OK)
			return false;
		chain.seq = rec.seq;
		memcpy(chain.hash, rec.hash, sizeof chain.hash);
		log_record_clear(&rec);
	}
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(lines + at, '\n', len - at);
		*bad_seq = chain.seq + 1;
		if (!nl || log_chain_next(&chain, lines + at, (size_t)(nl - (lines + at)), &rec))
			return false;
		log_record_clear(&rec);
		at = (size_t)(nl - lines) + 1;
	}
	return true;
}

static enum log_err append_copy(struct log_file *lf, const struct log_record *rec)
{
	char hash[LOG_HASH_HEX_LEN + 1];
	enum log_err err = log_file_append(lf, rec->kind, rec->data, rec->ts_ms, NULL, hash);
	if (!err && strcmp(hash, rec->hash) != 0)
		err = LOG_EHASH;
	return err;
}

static enum log_err extend(struct log_file *lf, const char *lines, size_t len, int64_t *bad)
{
	struct log_chain chain;
	chain.seq = log_file_head(lf, chain.hash);
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(lines + at, '\n', len - at);
		if (!nl)
			return LOG_EPARSE; /* every line ends in a newline */
		struct log_record rec;
		size_t line_len = (size_t)(nl - (lines + at));
		*bad = chain.seq + 1;
		enum log_err err = log_chain_next(&chain, lines + at, line_len, &rec);
		if (!err)
			err = append_copy(lf, &rec);
		log_record_clear(&rec);
		if (err)
			return err;
		at += line_len + 1;
	}
	return log_file_flush(lf, NULL);
}

bool rooms_log_extend(const char *data_dir, const char *room_id, const char *lines, size_t len,
		      char *err, size_t err_cap)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/rooms", data_dir);
	if (!rooms_valid_id(room_id) || (mkdir(path, 0755) != 0 && errno != EEXIST)) {
		snprintf(err, err_cap, "%s: cannot make the rooms directory", room_id);
		return false;
	}
	snprintf(path, sizeof path, "%s/rooms/%s.jsonl", data_dir, room_id);
	struct log_file *lf = NULL;
	struct log_open_report report;
	enum log_err e = log_file_open(path, NULL, NULL, NULL, &lf, &report);
	int64_t bad = report.bad_line;
	if (!e)
		e = extend(lf, lines, len, &bad);
	log_file_close(lf);
	if (e)
		snprintf(err, err_cap, "%s: line %lld: %s", path, (long long)bad, log_strerror(e));
	return e == LOG_OK;
}

/* Copies path's lines past the first keep to aside (made, synced). */
static bool copy_tail(const char *path, int64_t keep, const char *aside)
{
	FILE *in = fopen(path, "rb");
	int fd = open(aside, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	bool ok = in && out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	for (int64_t seq = 1; ok && (n = getline(&line, &cap, in)) > 0; seq++)
		ok = seq <= keep || fwrite(line, 1, (size_t)n, out) == (size_t)n;
	ok = ok && in && !ferror(in) && fflush(out) == 0 && fsync(fileno(out)) == 0;
	free(line);
	if (in)
		fclose(in);
	if (out)
		ok = fclose(out) == 0 && ok;
	else if (fd >= 0)
		close(fd);
	return ok;
}

bool rooms_log_set_aside(const char *data_dir, const char *room_id, int64_t keep, char *err,
			 size_t err_cap)
{
	char path[1100], aside[1200];
	snprintf(path, sizeof path, "%s/rooms/%s.jsonl", data_dir, room_id);
	snprintf(aside, sizeof aside, "%s.unreplicated-%lld", path, (long long)keep + 1);
	struct log_file *lf = NULL;
	struct log_open_report report;
	enum log_err e = rooms_valid_id(room_id) && keep >= 0
			     ? log_file_open(path, NULL, NULL, NULL, &lf, &report)
			     : LOG_EPARSE;
	if (!e && keep < log_file_durable_seq(lf))
		e = copy_tail(path, keep, aside) ? log_file_truncate_to(lf, keep) : LOG_EIO;
	log_file_close(lf);
	if (e)
		snprintf(err, err_cap, "%s: cannot set its lines past %lld aside: %s", path,
			 (long long)keep, log_strerror(e));
	return e == LOG_OK;
}
