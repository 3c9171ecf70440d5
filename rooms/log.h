/*
 * log -- the room's durable, hash-chained event log (private to rooms/).
 *
 * The log is the room (DESIGN.md principle 1): one JSON Lines file per room, one event
 * per line, {"seq","ts","kind","data","prev","hash"}. hash is the lowercase hex SHA-256
 * of prev (64 hex characters) followed by the RFC 8785 (JCS) serialisation of the object
 * {"seq","ts","kind","data"} -- the line without prev and hash. prev of the first line is
 * 64 zeros; seq starts at 1 and goes up by one. Lines are written in JCS too (keys sorted,
 * no whitespace), so a line's bytes are determined by its content.
 *
 * Durability is group commit: log_file_append() only encodes and chains the event into a
 * pending buffer; log_file_flush() writes everything pending with one write() and one
 * fdatasync(). The owner acknowledges a command only after the flush that covers its
 * events returned LOG_OK. If the write or the sync fails, the file is truncated back to
 * its last durable length and the pending events are dropped, so the file never holds a
 * line that a later append would chain past without it being durable.
 *
 * Loading checks every line. A torn tail -- bytes after the last newline, which is what a
 * crash in the middle of a write leaves, since every write ends with a newline -- is cut
 * off with a warning (it was never acknowledged). Anything else wrong (a complete line
 * that does not parse, a wrong seq, prev or hash) refuses the whole file and names the
 * line: never a silent repair.
 *
 * Event data never holds real numbers: jcs rejects them, so durations and offsets stay
 * integer milliseconds and every implementation of the chain agrees on the bytes.
 *
 * What makes a line valid, for every reader (log_decode_line(), `plenaryd verify`,
 * tests/tools/verify-log.mjs): exactly the six fields; seq an integer >= 1; ts exactly
 * LOG_TS_LEN characters of the form above, a real calendar date in years 0000-9999; kind
 * 1..LOG_KIND_MAX characters of [A-Za-z0-9._-]; data an object; prev and hash 64 lowercase
 * hex digits; the line's bytes equal to the JCS of its own object; hash matching. A writer
 * never produces a line that a reader would refuse: log_file_append() decodes each line it
 * makes before buffering it, because a refused line would keep the room from loading.
 */
#ifndef PLENARY_ROOMS_LOG_H
#define PLENARY_ROOMS_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define LOG_HASH_HEX_LEN 64
#define LOG_LINE_MAX	 (1024 * 1024) /* a longer line is corrupt */
#define LOG_KIND_MAX	 64
#define LOG_TS_LEN	 24		     /* "2026-11-22T10:00:00.000Z" */
#define LOG_PENDING_MAX	 (64 * LOG_LINE_MAX) /* appended but not yet flushed */
#define JCS_DEPTH_MAX	 2048 /* nested arrays and objects; jansson's parser allows as many */

enum log_err {
	LOG_OK = 0,
	LOG_EPARSE,  /* not a JSON object with the six fields of the right types */
	LOG_ESEQ,    /* seq is not the previous seq + 1 */
	LOG_EPREV,   /* prev is not the previous line's hash */
	LOG_EHASH,   /* hash does not match the content */
	LOG_ENOTJCS, /* the line is not in canonical form (so its bytes could vary) */
	LOG_EREAL,   /* a real number in event data, or an integer beyond +-(2^53 - 1), which
		      * RFC 8785 (numbers are IEEE 754 doubles) cannot write exactly */
	LOG_EUTF8,   /* a string that is not valid UTF-8 */
	LOG_EIO,     /* open, read, write, fdatasync or truncate failed (errno kept) */
	LOG_ETOOBIG, /* a line over LOG_LINE_MAX (or nesting over JCS_DEPTH_MAX, or more than
		      * LOG_PENDING_MAX pending) */
	LOG_ENOMEM,
};
const char *log_strerror(enum log_err err);

/* --- canonical JSON (RFC 8785) --- */

/* Serialises v canonically into a malloc'd NUL-terminated string (*len without the NUL).
 * Object keys are sorted by UTF-16 code units, strings minimally escaped (\b \t \n \f \r
 * \" \\ and \u00xx in lowercase for other controls; everything else as UTF-8), integers in
 * decimal. LOG_EREAL for any real (or unsafe integer), LOG_EUTF8 for invalid UTF-8 in a
 * string or key, LOG_ETOOBIG for nesting deeper than JCS_DEPTH_MAX, LOG_EPARSE if v is
 * NULL, LOG_ENOMEM. On error *out is NULL. */
enum log_err jcs_serialize(const json_t *v, char **out, size_t *len);

/* --- one line --- */

struct log_record {
	int64_t seq;
	int64_t ts_ms;
	char ts[LOG_TS_LEN + 1];
	char kind[LOG_KIND_MAX + 1];
	json_t *data; /* owned by the record: log_record_clear() releases it */
	char prev[LOG_HASH_HEX_LEN + 1];
	char hash[LOG_HASH_HEX_LEN + 1];
};
void log_record_clear(struct log_record *rec);

/* Formats ms since the epoch as ISO-8601 UTC with milliseconds (times outside years
 * 0000-9999 are clamped to them); parses it back (false on anything but exactly that form
 * with a real date and time: no leap seconds, no other offsets). */
void log_format_ts(int64_t ts_ms, char out[LOG_TS_LEN + 1]);
bool log_parse_ts(const char *ts, int64_t *ts_ms);

/* hash = hex(SHA-256(prev || JCS({"seq","ts","kind","data"}))). LOG_EPARSE if a field is
 * not valid (see the top comment), else the errors of jcs_serialize(). */
enum log_err log_compute_hash(const char prev[LOG_HASH_HEX_LEN + 1], int64_t seq, const char *ts,
			      const char *kind, const json_t *data, char out[LOG_HASH_HEX_LEN + 1]);

/* Encodes a record (its hash already computed) as one canonical line ending in '\n', in a
 * malloc'd buffer (*len counts the newline). The record's ts string is what is written.
 * LOG_EPARSE for an invalid field, LOG_ETOOBIG over LOG_LINE_MAX, else as jcs_serialize(). */
enum log_err log_encode_line(const struct log_record *rec, char **line, size_t *len);

/* Parses one line (without its newline) into rec and checks that it is canonical and that
 * its hash matches its content. Does not check seq or prev against a predecessor. Checks
 * in this order: LOG_ETOOBIG; LOG_EUTF8 / LOG_EREAL (number overflow) / LOG_ENOTJCS
 * (duplicate keys) / LOG_EPARSE (not JSON; missing, extra or mistyped fields); LOG_EREAL (a
 * real in data); LOG_ENOTJCS; LOG_EHASH. On error rec is left cleared. */
enum log_err log_decode_line(const char *line, size_t len, struct log_record *rec);

/* --- checking a chain (loading, resume, verify and the fuzzer share it) --- */

/* Where a chain stands: the last record's seq and hash (0 and 64 zeros before the first). */
struct log_chain {
	int64_t seq;
	char hash[LOG_HASH_HEX_LEN + 1];
};
void log_chain_init(struct log_chain *chain);

/* Decodes one line (without its newline) as log_decode_line() does, then checks that it
 * follows chain: LOG_ESEQ, LOG_EPREV. On LOG_OK, rec holds the record (clear it) and chain
 * has moved on to it; on error both are as they were (rec cleared). */
enum log_err log_chain_next(struct log_chain *chain, const char *line, size_t len,
			    struct log_record *rec);

/* --- the file --- */

/* The system calls the file uses, replaceable so tests can inject short writes, failing
 * syncs and crashes. NULL members mean the real call. */
struct log_io {
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*fdatasync)(int fd);
	int (*ftruncate)(int fd, off_t len);
};

/* Called for every record while loading, in order. A non-zero return stops the load and
 * is passed back from log_file_open() as LOG_EPARSE (the caller's reason: e.g. an event
 * the room cannot apply). rec and its data are only valid during the call. */
typedef int (*log_replay_fn)(void *ctx, const struct log_record *rec);

struct log_open_report {
	int64_t records;  /* records loaded */
	int64_t bad_line; /* 1-based line number of the first bad line, 0 if none */
	enum log_err bad_why;
	size_t torn_bytes; /* bytes cut off the end (0 if the tail was clean) */
};

/* Reads the bytes [start, end) of fd line by line (memory bounded by LOG_LINE_MAX, the file
 * never changed), checks each complete line with log_chain_next() and calls fn, if not
 * NULL, for each record. Line numbers in the report count from chain->seq + 1, which is
 * the line number when chain is where start is. On LOG_OK, report->torn_bytes holds the
 * bytes after the last newline (not cut here), *good_end the offset just after the last
 * good line and chain the last record. On error, report->bad_line and bad_why name the
 * line (a non-zero fn is LOG_EPARSE on its line; a tail without a newline that is longer
 * than LOG_LINE_MAX cannot be a torn write and is LOG_ETOOBIG); LOG_EIO if a read failed.
 * report->records counts the records passed to fn. */
enum log_err log_scan_fd(int fd, off_t start, off_t end, struct log_chain *chain, log_replay_fn fn,
			 void *ctx, struct log_open_report *report, off_t *good_end);

struct log_file;

/* Opens (creating if absent, with mode 0644, and syncing its directory so the new name is
 * durable too) and loads a log, replaying every record through fn. On a broken line:
 * returns its error, fills report->bad_line/bad_why and changes nothing on disk. A torn
 * tail is truncated away (report->torn_bytes) and the load goes on. The file is locked
 * (flock, exclusive) while open: a second writer, in this process or another, gets
 * LOG_EIO with errno EWOULDBLOCK. io and report may be NULL. */
enum log_err log_file_open(const char *path, const struct log_io *io, log_replay_fn fn, void *ctx,
			   struct log_file **out, struct log_open_report *report);
/* Closes the file and frees lf; pending events that were not flushed are dropped. */
void log_file_close(struct log_file *lf);

/* Chains an event after the last one (durable or pending) and buffers its line. Returns
 * the record's seq and hash. data is not consumed; NULL means {}. LOG_EPARSE (a kind or
 * ts_ms that is not valid, data not an object), LOG_EREAL, LOG_EUTF8, LOG_ETOOBIG (the
 * line, or LOG_PENDING_MAX), LOG_ENOMEM; on error nothing is buffered. seq and hash may be
 * NULL. */
enum log_err log_file_append(struct log_file *lf, const char *kind, const json_t *data,
			     int64_t ts_ms, int64_t *seq, char hash[LOG_HASH_HEX_LEN + 1]);

/* Takes back the last append, which must still be pending and must be the last thing
 * done to the log (one level only). For the room, whose fold refused an event it had just
 * chained: the log must never hold a line the state does not reflect. LOG_EPARSE if there
 * is nothing to take back. */
enum log_err log_file_retract(struct log_file *lf);

/* Writes all pending lines with one write (retrying short writes) and one fdatasync.
 * LOG_OK: everything appended so far is durable. LOG_EIO: nothing pending is durable,
 * the file was truncated back to its durable length and the pending lines dropped; the
 * head is back to the last durable record. *sync_ns, if not NULL, gets the time the
 * fdatasync took (for plenary_log_fsync_seconds). Nothing pending: LOG_OK, no system
 * call. If even the truncation (or the sync after it) fails, the file may hold lines that
 * were never durable: the log is then broken and every later flush fails with LOG_EIO
 * until it is closed and opened again. */
enum log_err log_file_flush(struct log_file *lf, uint64_t *sync_ns);
bool log_file_has_pending(const struct log_file *lf);
/* The lines appended since the last flush (all of them, in order) and the seq of the
 * first: what a flush is about to write, for a replica that must receive the same bytes.
 * Valid until the next append, retract or close (a flush leaves the bytes in place). */
const char *log_file_pending(const struct log_file *lf, size_t *len, int64_t *first_seq);
/* Takes the log back to record seq (at most the durable seq): the file is truncated after
 * it and synced, everything pending is dropped. For a replica that refused a batch the file
 * already holds: the file must not keep a line the room's record does not. LOG_ESEQ if seq
 * is beyond the durable end; LOG_EIO if the truncation failed (the log is then broken, as
 * after a failed rollback in log_file_flush). */
enum log_err log_file_truncate_to(struct log_file *lf, int64_t seq);

/* The last record's seq and hash, pending included (seq 0 and 64 zeros when empty). */
int64_t log_file_head(const struct log_file *lf, char hash[LOG_HASH_HEX_LEN + 1]);
/* The last durable record's seq. */
int64_t log_file_durable_seq(const struct log_file *lf);

/* Calls fn for every durable record with seq > since, in order (for resume and exports).
 * Reads the file, so records are checked again: from the line of record since (found by
 * an in-memory index of line offsets, so a late resume does not reread the whole log) to
 * the durable end. A non-zero fn stops early and is LOG_OK (the caller chose to stop).
 * LOG_ESEQ if since < 0 or since > log_file_durable_seq() (no calls); a line that no
 * longer checks gives its error. */
enum log_err log_file_read_since(struct log_file *lf, int64_t since, log_replay_fn fn, void *ctx);

/* The whole durable file's path (for GET /api/rooms/{id}/log). */
const char *log_file_path(const struct log_file *lf);

/* plenaryd verify: checks a log file's chain without changing it. Prints "ok seq=N
 * hash=H" (or the first bad line: "line N: <reason>") to out and returns LOG_OK or the
 * error. A torn tail is an error here (LOG_EPARSE): verify reports what is on disk. An
 * empty file is an empty chain: "ok seq=0 hash=<64 zeros>". A file that cannot be read
 * prints "PATH: <strerror>" and is LOG_EIO. */
enum log_err log_verify_file(const char *path, FILE *out);

#endif
