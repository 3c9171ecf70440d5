/*
 * log_file -- the room log on disk: load and replay, group commit, resume.
 *
 * Durability rests on three habits:
 *
 * - Every write ends with a newline, so whatever a crash leaves behind, the bytes after
 *   the last newline are the only part that can be incomplete. Loading cuts exactly
 *   those (the torn tail: never acknowledged, because the fdatasync that would have
 *   acknowledged it did not return) and refuses anything else that is wrong, naming the
 *   line. A "tail" longer than any line can be is not a torn write and is refused too.
 *
 * - Appends only go to memory; a flush writes them with one write() (short writes are
 *   continued, not failed) and makes them durable with one fdatasync(). One sync per loop
 *   turn, however many events, is what lets a room take a burst of hands raised at once.
 *
 * - A failed flush leaves the file as it was at the last success: it is truncated back to
 *   the durable length (and that truncation synced) and the pending lines are dropped, so
 *   no later line is ever chained after one that was not durable. The file is opened
 *   O_APPEND, so the next write lands at the new end. If the truncation itself fails the
 *   log is marked broken rather than trusted.
 *
 * The file is flock()ed while open, so a second plenaryd on the same data directory
 * cannot interleave lines. An index of line offsets, one off_t per record, lets a resume
 * read from the record it needs instead of rereading the whole log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rooms/log.h"

#define READ_CHUNK (64 * 1024)

/* Start offsets of records: at[i] is where the line of seq i + 1 begins. */
struct offsets {
	off_t *at;
	size_t len, cap;
};

struct log_file {
	int fd;
	char *path;
	struct log_io io;
	off_t durable_len;
	int64_t durable_seq, head_seq; /* head includes pending */
	char durable_hash[LOG_HASH_HEX_LEN + 1], head_hash[LOG_HASH_HEX_LEN + 1];
	char *pending;
	size_t pending_len, pending_cap;
	struct offsets idx; /* idx.len == head_seq */
	/* The head before the last append, so that one append can be taken back. */
	char before_last_hash[LOG_HASH_HEX_LEN + 1];
	bool can_retract;
	int broken_errno; /* non-zero once a rollback failed: the file is not trusted */
};

/* --- reading lines --- */

static ssize_t pread_all(int fd, char *buf, size_t len, off_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Reads [off, end) of a file a line at a time in a buffer of at most LOG_LINE_MAX + 1
 * bytes: enough for the longest line and its newline, so memory is bounded whatever the
 * file holds. */
struct line_reader {
	int fd;
	off_t off, end; /* buf[0] is at file offset off */
	char *buf;
	size_t len, pos, cap;
};

enum line_status { LINE_OK, LINE_END, LINE_TORN, LINE_TOO_LONG, LINE_EIO, LINE_ENOMEM };

static enum line_status reader_fill(struct line_reader *r)
{
	if (r->pos) { /* keep the unfinished line, drop the lines already handed out */
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->off += (off_t)r->pos;
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : READ_CHUNK;
		if (cap > LOG_LINE_MAX + 1)
			cap = LOG_LINE_MAX + 1;
		char *buf = realloc(r->buf, cap);
		if (!buf)
			return LINE_ENOMEM;
		r->buf = buf;
		r->cap = cap;
	}
	off_t at = r->off + (off_t)r->len;
	size_t want = r->cap - r->len;
	if ((off_t)want > r->end - at)
		want = (size_t)(r->end - at);
	ssize_t n = pread_all(r->fd, r->buf + r->len, want, at);
	if (n < 0)
		return LINE_EIO;
	if ((size_t)n < want) /* the file is shorter than it was: stop at what is there */
		r->end = at + n;
	r->len += (size_t)n;
	return LINE_OK;
}

/* The next complete line (without its newline) in *line, *len. LINE_TORN and LINE_END
 * both mean the data is over; LINE_TORN sets *len to the bytes after the last newline. */
static enum line_status reader_next(struct line_reader *r, const char **line, size_t *len)
{
	for (;;) {
		size_t avail = r->len - r->pos;
		char *start = r->buf ? r->buf + r->pos : NULL;
		char *nl = avail ? memchr(start, '\n', avail) : NULL;
		if (nl) {
			*line = start;
			*len = (size_t)(nl - start);
			r->pos += *len + 1;
			return LINE_OK;
		}
		if (avail > LOG_LINE_MAX)
			return LINE_TOO_LONG;
		if (r->off + (off_t)r->len >= r->end) {
			*len = avail;
			return avail ? LINE_TORN : LINE_END;
		}
		enum line_status st = reader_fill(r);
		if (st != LINE_OK)
			return st;
	}
}

/* --- checking a file --- */

static bool offsets_reserve(struct offsets *idx)
{
	if (idx->len < idx->cap)
		return true;
	size_t cap = idx->cap ? idx->cap * 2 : 1024;
	off_t *at = realloc(idx->at, cap * sizeof *at);
	if (!at)
		return false;
	idx->at = at;
	idx->cap = cap;
	return true;
}

struct scan_state {
	struct log_chain *chain;
	log_replay_fn fn;
	void *ctx;
	struct log_open_report *report;
	struct offsets *idx; /* NULL: not indexing */
};

/* Checks one complete line at file offset off and hands its record on. */
static enum log_err scan_line(struct scan_state *s, const char *line, size_t len, off_t off)
{
	struct log_record rec;
	enum log_err err = log_chain_next(s->chain, line, len, &rec);
	if (err)
		return err;
	if (s->idx && !offsets_reserve(s->idx))
		err = LOG_ENOMEM;
	else if (s->fn && s->fn(s->ctx, &rec) != 0)
		err = LOG_EPARSE;
	log_record_clear(&rec);
	if (err)
		return err;
	if (s->idx)
		s->idx->at[s->idx->len++] = off;
	s->report->records++;
	return LOG_OK;
}

static enum log_err status_error(enum line_status st)
{
	switch (st) {
	case LINE_TOO_LONG:
		return LOG_ETOOBIG;
	case LINE_ENOMEM:
		return LOG_ENOMEM;
	default:
		return LOG_EIO;
	}
}

static enum log_err scan(int fd, off_t start, off_t end, struct scan_state *s, off_t *good_end)
{
	struct line_reader r = {.fd = fd, .off = start, .end = end};
	enum log_err err = LOG_OK;
	*good_end = start;
	for (;;) {
		const char *line = NULL;
		size_t len = 0;
		enum line_status st = reader_next(&r, &line, &len);
		if (st == LINE_END || st == LINE_TORN) {
			s->report->torn_bytes = st == LINE_TORN ? len : 0;
			break;
		}
		/* A good chain has seq n on line n, so the chain says which line this is. */
		int64_t line_no = s->chain->seq + 1;
		off_t off = st == LINE_OK ? r.off + (off_t)(line - r.buf) : 0;
		err = st == LINE_OK ? scan_line(s, line, len, off) : status_error(st);
		if (err) {
			s->report->bad_line = err == LOG_EIO || err == LOG_ENOMEM ? 0 : line_no;
			s->report->bad_why = err;
			break;
		}
		*good_end = off + (off_t)len + 1;
	}
	free(r.buf);
	return err;
}

enum log_err log_scan_fd(int fd, off_t start, off_t end, struct log_chain *chain, log_replay_fn fn,
			 void *ctx, struct log_open_report *report, off_t *good_end)
{
	struct log_open_report own;
	off_t own_end;
	if (!report)
		report = &own;
	memset(report, 0, sizeof *report);
	struct scan_state s = {.chain = chain, .fn = fn, .ctx = ctx, .report = report};
	return scan(fd, start, end, &s, good_end ? good_end : &own_end);
}

/* --- opening --- */

/* A new file's name is only durable once its directory is synced. */
static int sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static enum log_err open_locked(struct log_file *lf)
{
	const int flags = O_RDWR | O_APPEND | O_CLOEXEC;
	lf->fd = open(lf->path, flags);
	if (lf->fd < 0 && errno == ENOENT) {
		lf->fd = open(lf->path, flags | O_CREAT | O_EXCL, 0644);
		if (lf->fd >= 0 && sync_parent_dir(lf->path) != 0)
			return LOG_EIO;
		if (lf->fd < 0 && errno == EEXIST) /* created meanwhile by someone else */
			lf->fd = open(lf->path, flags);
	}
	if (lf->fd < 0 || flock(lf->fd, LOCK_EX | LOCK_NB) != 0)
		return LOG_EIO;
	return LOG_OK;
}

static enum log_err load(struct log_file *lf, log_replay_fn fn, void *ctx,
			 struct log_open_report *report)
{
	struct stat st;
	struct log_chain chain;
	off_t good_end;
	if (fstat(lf->fd, &st) != 0)
		return LOG_EIO;
	log_chain_init(&chain);
	struct scan_state s = {
	    .chain = &chain, .fn = fn, .ctx = ctx, .report = report, .idx = &lf->idx};
	enum log_err err = scan(lf->fd, 0, st.st_size, &s, &good_end);
	if (err)
		return err;
	if (good_end < st.st_size &&
	    (lf->io.ftruncate(lf->fd, good_end) != 0 || lf->io.fdatasync(lf->fd) != 0))
		return LOG_EIO;
	lf->durable_len = good_end;
	lf->durable_seq = lf->head_seq = chain.seq;
	memcpy(lf->durable_hash, chain.hash, sizeof chain.hash);
	memcpy(lf->head_hash, chain.hash, sizeof chain.hash);
	return LOG_OK;
}

enum log_err log_file_open(const char *path, const struct log_io *io, log_replay_fn fn, void *ctx,
			   struct log_file **out, struct log_open_report *report)
{
	struct log_open_report own;
	if (!report)
		report = &own;
	memset(report, 0, sizeof *report);
	*out = NULL;
	struct log_file *lf = calloc(1, sizeof *lf);
	if (!lf)
		return LOG_ENOMEM;
	lf->fd = -1;
	lf->io.write = io && io->write ? io->write : write;
	lf->io.fdatasync = io && io->fdatasync ? io->fdatasync : fdatasync;
	lf->io.ftruncate = io && io->ftruncate ? io->ftruncate : ftruncate;
	lf->path = strdup(path);
	enum log_err err = lf->path ? open_locked(lf) : LOG_ENOMEM;
	if (!err)
		err = load(lf, fn, ctx, report);
	if (err) {
		int saved = errno;
		log_file_close(lf);
		errno = saved;
		return err;
	}
	*out = lf;
	return LOG_OK;
}

void log_file_close(struct log_file *lf)
{
	if (!lf)
		return;
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->path);
	free(lf->pending);
	free(lf->idx.at);
	free(lf);
}

/* --- appending --- */

/* Makes room for one more line and its index entry before touching either, so a failure
 * leaves nothing half-buffered. */
static enum log_err buffer_line(struct log_file *lf, const char *line, size_t len)
{
	if (len > LOG_PENDING_MAX - lf->pending_len)
		return LOG_ETOOBIG;
	if (!offsets_reserve(&lf->idx))
		return LOG_ENOMEM;
	if (lf->pending_cap - lf->pending_len < len) {
		size_t cap = lf->pending_cap ? lf->pending_cap : 4096;
		while (cap - lf->pending_len < len)
			cap *= 2;
		char *p = realloc(lf->pending, cap);
		if (!p)
			return LOG_ENOMEM;
		lf->pending = p;
		lf->pending_cap = cap;
	}
	lf->idx.at[lf->idx.len++] = lf->durable_len + (off_t)lf->pending_len;
	memcpy(lf->pending + lf->pending_len, line, len);
	lf->pending_len += len;
	return LOG_OK;
}

/* The line must read back as the record it was made from: a line the loader would refuse
 * would keep the room from ever loading again, so it is better refused here. */
static enum log_err check_readback(const char *line, size_t len, const struct log_record *rec)
{
	struct log_record back;
	enum log_err err = log_decode_line(line, len - 1, &back);
	if (!err && (back.seq != rec->seq || strcmp(back.hash, rec->hash) != 0))
		err = LOG_ENOTJCS;
	log_record_clear(&back);
	return err;
}

/* Fills rec (borrowing data) as the next record after the head. */
static enum log_err make_record(struct log_file *lf, const char *kind, const json_t *data,
				int64_t ts_ms, struct log_record *rec)
{
	int64_t back;
	memset(rec, 0, sizeof *rec);
	rec->seq = lf->head_seq + 1;
	rec->ts_ms = ts_ms;
	log_format_ts(ts_ms, rec->ts);
	if (!log_parse_ts(rec->ts, &back) || back != ts_ms) /* clamped: out of range */
		return LOG_EPARSE;
	if (!kind || strlen(kind) > LOG_KIND_MAX)
		return LOG_EPARSE;
	strcpy(rec->kind, kind);
	rec->data = (json_t *)data;
	memcpy(rec->prev, lf->head_hash, sizeof rec->prev);
	return log_compute_hash(rec->prev, rec->seq, rec->ts, rec->kind, data, rec->hash);
}

enum log_err log_file_append(struct log_file *lf, const char *kind, const json_t *data,
			     int64_t ts_ms, int64_t *seq, char hash[LOG_HASH_HEX_LEN + 1])
{
	struct log_record rec;
	char *line = NULL;
	size_t len = 0;
	json_t *empty = data ? NULL : json_object();
	if (!data && !empty)
		return LOG_ENOMEM;
	enum log_err err = make_record(lf, kind, data ? data : empty, ts_ms, &rec);
	if (!err)
		err = log_encode_line(&rec, &line, &len);
	if (!err)
		err = check_readback(line, len, &rec);
	if (!err)
		err = buffer_line(lf, line, len);
	free(line);
	json_decref(empty); /* rec.data was borrowed: rec is not cleared */
	if (err)
		return err;
	memcpy(lf->before_last_hash, lf->head_hash, sizeof lf->before_last_hash);
	lf->can_retract = true;
	lf->head_seq = rec.seq;
	memcpy(lf->head_hash, rec.hash, sizeof rec.hash);
	if (seq)
		*seq = rec.seq;
	if (hash)
		memcpy(hash, rec.hash, sizeof rec.hash);
	return LOG_OK;
}

/* --- flushing --- */

static int write_all(struct log_file *lf)
{
	size_t done = 0;
	while (done < lf->pending_len) {
		size_t left = lf->pending_len - done;
		ssize_t n = lf->io.write(lf->fd, lf->pending + done, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (size_t)n > left) {
			if (n >= 0)
				errno = EIO; /* no progress, or an impossible count: do not loop */
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int timed_sync(struct log_file *lf, uint64_t *sync_ns)
{
	uint64_t t0 = now_ns();
	int rc = lf->io.fdatasync(lf->fd);
	if (sync_ns)
		*sync_ns = now_ns() - t0;
	return rc;
}

enum log_err log_file_retract(struct log_file *lf)
{
	if (!lf->can_retract || lf->head_seq <= lf->durable_seq)
		return LOG_EPARSE;
	lf->idx.len--;
	lf->pending_len = (size_t)(lf->idx.at[lf->idx.len] - lf->durable_len);
	lf->head_seq--;
	memcpy(lf->head_hash, lf->before_last_hash, sizeof lf->head_hash);
	lf->can_retract = false;
	return LOG_OK;
}

static void drop_pending(struct log_file *lf)
{
	lf->can_retract = false;
	lf->pending_len = 0;
	lf->idx.len = (size_t)lf->durable_seq;
	lf->head_seq = lf->durable_seq;
	memcpy(lf->head_hash, lf->durable_hash, sizeof lf->head_hash);
}

/* Back to the last durable length. The errno of the failure that brought us here is what
 * the caller sees, not that of the cleanup. */
static void roll_back(struct log_file *lf)
{
	int saved = errno;
	if (lf->io.ftruncate(lf->fd, lf->durable_len) != 0 || lf->io.fdatasync(lf->fd) != 0)
		lf->broken_errno = errno ? errno : EIO;
	drop_pending(lf);
	errno = saved;
}

enum log_err log_file_flush(struct log_file *lf, uint64_t *sync_ns)
{
	if (sync_ns)
		*sync_ns = 0;
	if (lf->broken_errno) {
		drop_pending(lf);
		errno = lf->broken_errno;
		return LOG_EIO;
	}
	if (!lf->pending_len)
		return LOG_OK;
	if (write_all(lf) != 0 || timed_sync(lf, sync_ns) != 0) {
		roll_back(lf);
		return LOG_EIO;
	}
	lf->durable_len += (off_t)lf->pending_len;
	lf->durable_seq = lf->head_seq;
	memcpy(lf->durable_hash, lf->head_hash, sizeof lf->durable_hash);
	lf->pending_len = 0;
	return LOG_OK;
}

bool log_file_has_pending(const struct log_file *lf)
{
	return lf->pending_len > 0;
}

const char *log_file_pending(const struct log_file *lf, size_t *len, int64_t *first_seq)
{
	*len = lf->pending_len;
	*first_seq = lf->durable_seq + 1;
	return lf->pending;
}

int64_t log_file_head(const struct log_file *lf, char hash[LOG_HASH_HEX_LEN + 1])
{
	if (hash)
		memcpy(hash, lf->head_hash, sizeof lf->head_hash);
	return lf->head_seq;
}

int64_t log_file_durable_seq(const struct log_file *lf)
{
	return lf->durable_seq;
}

const char *log_file_path(const struct log_file *lf)
{
	return lf->path;
}

/* --- reading back --- */

/* Reads and checks the line of record seq, which the chain after it must follow. */
static enum log_err anchor_at(struct log_file *lf, int64_t seq, struct log_chain *chain)
{
	off_t start = lf->idx.at[seq - 1];
	off_t end = (size_t)seq < lf->idx.len ? lf->idx.at[seq] : lf->durable_len;
	size_t len = (size_t)(end - start);
	if (end <= start || len > LOG_LINE_MAX + 1)
		return LOG_EIO;
	char *line = malloc(len);
	if (!line)
		return LOG_ENOMEM;
	struct log_record rec;
	enum log_err err = LOG_EIO;
	if (pread_all(lf->fd, line, len, start) == (ssize_t)len && line[len - 1] == '\n')
		err = log_decode_line(line, len - 1, &rec);
	free(line);
	if (err)
		return err;
	if (rec.seq == seq) {
		chain->seq = seq;
		memcpy(chain->hash, rec.hash, sizeof chain->hash);
	} else {
		err = LOG_ESEQ;
	}
	log_record_clear(&rec);
	return err;
}

/* Lets the caller's callback end a resume early without it counting as a bad line. */
struct since_ctx {
	log_replay_fn fn;
	void *ctx;
	bool stopped;
};

static int since_cb(void *c, const struct log_record *rec)
{
	struct since_ctx *sc = c;
	if (sc->fn && sc->fn(sc->ctx, rec) != 0) {
		sc->stopped = true;
		return 1;
	}
	return 0;
}

enum log_err log_file_read_since(struct log_file *lf, int64_t since, log_replay_fn fn, void *ctx)
{
	if (since < 0 || since > lf->durable_seq)
		return LOG_ESEQ;
	struct log_chain chain;
	struct log_open_report report = {0};
	struct since_ctx sc = {.fn = fn, .ctx = ctx};
	off_t start = 0, good_end;
	log_chain_init(&chain);
	if (since > 0) {
		enum log_err err = anchor_at(lf, since, &chain);
		if (err)
			return err;
		start = since < lf->durable_seq ? lf->idx.at[since] : lf->durable_len;
	}
	struct scan_state s = {.chain = &chain, .fn = since_cb, .ctx = &sc, .report = &report};
	enum log_err err = scan(lf->fd, start, lf->durable_len, &s, &good_end);
	if (sc.stopped)
		return LOG_OK;
	if (!err && report.torn_bytes)
		err = LOG_EPARSE; /* the durable part always ends in a newline */
	if (!err && chain.seq != lf->durable_seq)
		err = LOG_ESEQ;
	return err;
}

/* The line of record seq is read back for its hash (the new head's), so the state after
 * the cut comes from the file itself. */
enum log_err log_file_truncate_to(struct log_file *lf, int64_t seq)
{
	if (seq < 0 || seq > lf->durable_seq)
		return LOG_ESEQ;
	struct log_chain chain;
	log_chain_init(&chain);
	enum log_err err = seq > 0 ? anchor_at(lf, seq, &chain) : LOG_OK;
	if (err)
		return err;
	off_t len = seq < lf->durable_seq ? lf->idx.at[seq] : lf->durable_len;
	if (lf->io.ftruncate(lf->fd, len) != 0 || lf->io.fdatasync(lf->fd) != 0) {
		lf->broken_errno = errno ? errno : EIO;
		drop_pending(lf);
		return LOG_EIO;
	}
	lf->durable_len = len;
	lf->durable_seq = seq;
	memcpy(lf->durable_hash, chain.hash, sizeof lf->durable_hash);
	drop_pending(lf);
	return LOG_OK;
}
