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
#define LOG_LINE_MAX (1024 * 1024) /* a longer line is corrupt */
#define LOG_KIND_MAX 64
#define LOG_TS_LEN 24 /* "2026-11-22T10:00:00.000Z" */

enum log_err {
	LOG_OK = 0,
	LOG_EPARSE,   /* not a JSON object with the six fields of the right types */
	LOG_ESEQ,     /* seq is not the previous seq + 1 */
	LOG_EPREV,    /* prev is not the previous line's hash */
	LOG_EHASH,    /* hash does not match the content */
	LOG_ENOTJCS,  /* the line is not in canonical form (so its bytes could vary) */
	LOG_EREAL,    /* a real number in event data */
	LOG_EUTF8,    /* a string that is not valid UTF-8 */
	LOG_EIO,      /* open, read, write, fdatasync or truncate failed (errno kept) */
	LOG_ETOOBIG,  /* a line over LOG_LINE_MAX */
	LOG_ENOMEM,
};
const char *log_strerror(enum log_err err);

/* --- canonical JSON (RFC 8785) --- */

/* Serialises v canonically into a malloc'd NUL-terminated string (*len without the NUL).
 * Object keys are sorted by UTF-16 code units, strings minimally escaped (\b \t \n \f \r
 * \" \\ and \u00xx in lowercase for other controls; everything else as UTF-8), integers in
 * decimal. LOG_EREAL for any real, LOG_EUTF8 for invalid UTF-8, LOG_ENOMEM. */
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

/* Formats ms since the epoch as ISO-8601 UTC with milliseconds; parses it back (false on
 * anything but exactly that form). */
void log_format_ts(int64_t ts_ms, char out[LOG_TS_LEN + 1]);
bool log_parse_ts(const char *ts, int64_t *ts_ms);

/* hash = hex(SHA-256(prev || JCS({"seq","ts","kind","data"}))). */
enum log_err log_compute_hash(const char prev[LOG_HASH_HEX_LEN + 1], int64_t seq, const char *ts,
			      const char *kind, const json_t *data,
			      char out[LOG_HASH_HEX_LEN + 1]);

/* Encodes a record (its hash already computed) as one canonical line ending in '\n'. */
enum log_err log_encode_line(const struct log_record *rec, char **line, size_t *len);

/* Parses one line (without its newline) into rec and checks that it is canonical and that
 * its hash matches its content. Does not check seq or prev against a predecessor. */
enum log_err log_decode_line(const char *line, size_t len, struct log_record *rec);

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
	int64_t records;     /* records loaded */
	int64_t bad_line;    /* 1-based line number of the first bad line, 0 if none */
	enum log_err bad_why;
	size_t torn_bytes;   /* bytes cut off the end (0 if the tail was clean) */
};

struct log_file;

/* Opens (creating if absent, with mode 0644) and loads a log, replaying every record
 * through fn. On a broken line: returns its error, fills report->bad_line/bad_why and
 * changes nothing on disk. A torn tail is truncated away (report->torn_bytes) and the
 * load goes on. io may be NULL. */
enum log_err log_file_open(const char *path, const struct log_io *io, log_replay_fn fn, void *ctx,
			   struct log_file **out, struct log_open_report *report);
void log_file_close(struct log_file *lf);

/* Chains an event after the last one (durable or pending) and buffers its line. Returns
 * the record's seq and hash. data is not consumed. LOG_EREAL, LOG_EUTF8, LOG_ETOOBIG,
 * LOG_ENOMEM; on error nothing is buffered. */
enum log_err log_file_append(struct log_file *lf, const char *kind, const json_t *data,
			     int64_t ts_ms, int64_t *seq, char hash[LOG_HASH_HEX_LEN + 1]);

/* Writes all pending lines with one write (retrying short writes) and one fdatasync.
 * LOG_OK: everything appended so far is durable. LOG_EIO: nothing pending is durable,
 * the file was truncated back to its durable length and the pending lines dropped; the
 * head is back to the last durable record. *sync_ns, if not NULL, gets the time the
 * fdatasync took (for plenary_log_fsync_seconds). */
enum log_err log_file_flush(struct log_file *lf, uint64_t *sync_ns);
bool log_file_has_pending(const struct log_file *lf);

/* The last record's seq and hash, pending included (seq 0 and 64 zeros when empty). */
int64_t log_file_head(const struct log_file *lf, char hash[LOG_HASH_HEX_LEN + 1]);
/* The last durable record's seq. */
int64_t log_file_durable_seq(const struct log_file *lf);

/* Calls fn for every durable record with seq > since, in order (for resume and exports).
 * Reads the file, so records are checked again. */
enum log_err log_file_read_since(struct log_file *lf, int64_t since, log_replay_fn fn, void *ctx);

/* The whole durable file's path (for GET /api/rooms/{id}/log). */
const char *log_file_path(const struct log_file *lf);

/* plenaryd verify: checks a log file's chain without changing it. Prints "ok seq=N
 * hash=H" (or the first bad line: "line N: <reason>") to out and returns LOG_OK or the
 * error. A torn tail is an error here: verify reports what is on disk. */
enum log_err log_verify_file(const char *path, FILE *out);

#endif
