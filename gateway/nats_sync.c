/*
 * Making a node's room files and the JetStream subjects agree at start, and reading a
 * room's log back from JetStream for `plenaryd verify --nats`.
 *
 * The log is the room: a subject ahead of the file (this node was down, or a batch it
 * rolled back had reached JetStream after all) gives the file its missing lines; a file
 * ahead of its subject (JetStream was created afresh, or lost the tail) gets its lines
 * published, fenced and deduplicated as ever. Both must agree on the line they share
 * last -- equal bytes there mean, through the hash chain, equal logs up to it -- or
 * plenaryd refuses to start and says which room: two different chains are not something
 * to repair silently.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/logging.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"

/* A room's file as lines (complete ones: a torn tail is the loader's business). */
struct file_lines {
	char *buf;
	size_t len;
	size_t *at; /* start of line i + 1 */
	int64_t n;
};

static bool read_file_lines(const char *path, struct file_lines *f)
{
	memset(f, 0, sizeof *f);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return errno == ENOENT;
	size_t cap = 0;
	char chunk[65536];
	size_t got;
	bool ok = true;
	while (ok && (got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		char *grown =
		    f->len + got > cap ? realloc(f->buf, cap = (f->len + got) * 2) : f->buf;
		ok = grown != NULL;
		if (ok) {
			f->buf = grown;
			memcpy(f->buf + f->len, chunk, got);
			f->len += got;
		}
	}
	ok = ok && !ferror(fp);
	fclose(fp);
	for (size_t i = 0; ok && i < f->len; i++)
		if (f->buf[i] == '\n')
			f->n++;
	f->at = ok ? calloc((size_t)f->n + 1, sizeof *f->at) : NULL;
	for (size_t i = 0, k = 1; f->at && i < f->len && k <= (size_t)f->n; i++)
		if (f->buf[i] == '\n')
			f->at[k++] = i + 1;
	return f->at != NULL;
}

static void file_lines_free(struct file_lines *f)
{
	free(f->buf);
	free(f->at);
}

/* Line seq (1-based) of the file, without its newline. */
static const char *file_line(const struct file_lines *f, int64_t seq, size_t *len)
{
	*len = f->at[seq] - f->at[seq - 1] - 1;
	return f->buf + f->at[seq - 1];
}

/* What the subject holds after the file's end, gathered as file lines. */
struct gather {
	int64_t after;
	const struct file_lines *file;
	char *buf;
	size_t len, cap;
	bool disagree;
};

static bool gather_line(void *ctx, const char *line, size_t len)
{
	struct gather *g = ctx;
	int64_t seq;
	if (!gw_nats_line_seq(line, len, &seq))
		return false;
	if (seq == g->after && g->after > 0) {
		size_t mine;
		const char *own = file_line(g->file, seq, &mine);
		g->disagree = mine != len || memcmp(own, line, len) != 0;
		return !g->disagree;
	}
	if (seq <= g->after)
		return true;
	return gw_nats_append_line(&g->buf, &g->len, &g->cap, line, len);
}

bool gw_nats_append_line(char **buf, size_t *len, size_t *cap, const char *line, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t grown_cap = (*len + n + 1) * 2;
		char *grown = realloc(*buf, grown_cap);
		if (!grown)
			return false;
		*buf = grown;
		*cap = grown_cap;
	}
	memcpy(*buf + *len, line, n);
	(*buf)[*len + n] = '\n';
	*len += n + 1;
	return true;
}

bool gw_nats_subject_room(const char *subject, char *id, size_t cap)
{
	const size_t prefix = strlen(GW_NATS_SUBJECT_PREFIX);
	size_t len = strlen(subject);
	if (len <= prefix + 4 || len - prefix - 4 >= cap ||
	    strncmp(subject, GW_NATS_SUBJECT_PREFIX, prefix) != 0 ||
	    strcmp(subject + len - 4, ".log") != 0)
		return false;
	memcpy(id, subject + prefix, len - prefix - 4);
	id[len - prefix - 4] = '\0';
	return rooms_valid_id(id);
}

bool gw_nats_lines_after(void *ctx, const char *line, size_t len)
{
	struct gw_nats_lines *g = ctx;
	int64_t seq;
	if (!gw_nats_line_seq(line, len, &seq))
		return false;
	return seq <= g->after || gw_nats_append_line(&g->buf, &g->len, &g->cap, line, len);
}

struct sync_ctx {
	struct gw_nats *n;
	const char *data_dir;
	const char *room_id;
	struct file_lines file;
	uint64_t sseq;
	int64_t js_seq;
	char *js_line;
	size_t js_len;
	char *err;
	size_t err_cap;
	bool again; /* the file was cut back to what the subject holds: compare anew */
};

static bool owned_elsewhere(const struct sync_ctx *s)
{
	return s->n->owned_elsewhere && s->n->owned_elsewhere(s->n->owned_ctx, s->room_id);
}

/* The file holds lines the subject does not, and another node owns the room now: they
 * never reached JetStream, so none was acknowledged, and the room went on without them.
 * They are set aside (a file beside the room's, for a person), the file cut back to the
 * last line both hold. A first line that differs is another room: never that. */
static bool set_aside_tail(struct sync_ctx *s)
{
	struct gather g = {.after = 0, .file = &s->file};
	bool ok = gw_nats_read_subject(s->n->js, s->room_id, s->sseq, gather_line, &g, s->err,
				       s->err_cap);
	int64_t k = 1; /* the first seq where the file and the subject part */
	for (size_t at = 0; ok && k <= s->file.n && at < g.len; k++) {
		const char *nl = memchr(g.buf + at, '\n', g.len - at);
		size_t len = (size_t)(nl - (g.buf + at)), mine;
		const char *own = file_line(&s->file, k, &mine);
		if (mine != len || memcmp(own, g.buf + at, len) != 0)
			break;
		at += len + 1;
	}
	free(g.buf);
	if (ok && k == 1) {
		snprintf(s->err, s->err_cap,
			 "room %s: JetStream and the file differ at seq 1: refusing to start",
			 s->room_id);
		return false;
	}
	ok = ok && rooms_log_set_aside(s->data_dir, s->room_id, k - 1, s->err, s->err_cap);
	if (ok)
		gw_warn("set aside this node's last lines of the room: they never reached "
			"JetStream, and another node owns the room now",
			"room=%s from=%lld to=%lld", s->room_id, (long long)k,
			(long long)s->file.n);
	s->again = ok;
	return ok;
}

static bool catch_up_file(struct sync_ctx *s)
{
	struct gather g = {.after = s->file.n, .file = &s->file};
	bool ok = gw_nats_read_subject(s->n->js, s->room_id, s->sseq, gather_line, &g, s->err,
				       s->err_cap);
	if (g.disagree)
		snprintf(s->err, s->err_cap,
			 "room %s: JetStream and the file differ at seq %lld: refusing to start",
			 s->room_id, (long long)s->file.n);
	else if (ok)
		ok = rooms_log_extend(s->data_dir, s->room_id, g.buf, g.len, s->err, s->err_cap);
	free(g.buf);
	if (ok)
		gw_info("room caught up from JetStream", "room=%s from=%lld to=%lld", s->room_id,
			(long long)s->file.n, (long long)s->js_seq);
	return ok && !g.disagree;
}

static bool publish_missing(struct sync_ctx *s, struct nats_subject_pos *p)
{
	if (s->n->read_only) {
		snprintf(s->err, s->err_cap,
			 "room %s: this edge's file is ahead of JetStream (seq %lld > %lld); an "
			 "edge never publishes: move the file away",
			 s->room_id, (long long)s->file.n, (long long)s->js_seq);
		return false;
	}
	size_t prev_len = 0;
	const char *prev = s->js_seq > 0 ? file_line(&s->file, s->js_seq, &prev_len) : NULL;
	const char *from = s->file.buf + s->file.at[s->js_seq];
	size_t span = s->file.at[s->file.n] - s->file.at[s->js_seq];
	int64_t bad;
	if (!rooms_lines_follow(prev, prev_len, from, span, &bad)) {
		snprintf(s->err, s->err_cap,
			 "room %s: line %lld of its file is not a valid continuation of its log; "
			 "not publishing it",
			 s->room_id, (long long)bad);
		return false;
	}
	for (int64_t seq = s->js_seq + 1; seq <= s->file.n; seq++) {
		size_t len;
		const char *line = file_line(&s->file, seq, &len);
		if (!gw_nats_publish(s->n, p, seq, line, len)) {
			snprintf(s->err, s->err_cap,
				 "room %s: cannot publish seq %lld to JetStream", s->room_id,
				 (long long)seq);
			return false;
		}
	}
	gw_info("room's missing events published to JetStream", "room=%s from=%lld to=%lld",
		s->room_id, (long long)s->js_seq + 1, (long long)s->file.n);
	return true;
}

static bool sync_room(struct sync_ctx *s)
{
	struct nats_subject_pos *p = gw_nats_pos(s->n, s->room_id);
	if (!p)
		return false;
	if (s->js_seq > s->file.n)
		return catch_up_file(s) || (owned_elsewhere(s) && set_aside_tail(s));
	if (s->js_seq > 0) {
		size_t len;
		const char *own = file_line(&s->file, s->js_seq, &len);
		if (len != s->js_len || memcmp(own, s->js_line, len) != 0) {
			if (owned_elsewhere(s))
				return set_aside_tail(s);
			snprintf(s->err, s->err_cap,
				 "room %s: JetStream and the file differ at seq %lld: refusing to "
				 "start",
				 s->room_id, (long long)s->js_seq);
			return false;
		}
	}
	p->sseq = s->sseq;
	p->known = true;
	if (s->js_seq < s->file.n && owned_elsewhere(s))
		return set_aside_tail(s);
	return s->js_seq == s->file.n || publish_missing(s, p);
}

static bool reconcile_once(struct gw_nats *n, const char *data_dir, const char *room_id, char *err,
			   size_t err_cap, bool *again)
{
	char path[1100];
	struct sync_ctx s = {
	    .n = n, .data_dir = data_dir, .room_id = room_id, .err = err, .err_cap = err_cap};
	snprintf(path, sizeof path, "%s/rooms/%s.jsonl", data_dir, room_id);
	if (!read_file_lines(path, &s.file)) {
		snprintf(err, err_cap, "room %s: cannot read %s", room_id, path);
		return false;
	}
	bool ok = gw_nats_last(n, room_id, &s.sseq, &s.js_seq, &s.js_line, &s.js_len);
	if (!ok)
		snprintf(err, err_cap, "room %s: cannot read its subject from JetStream", room_id);
	ok = ok && sync_room(&s);
	*again = s.again;
	free(s.js_line);
	file_lines_free(&s.file);
	return ok;
}

static bool reconcile_room(struct gw_nats *n, const char *data_dir, const char *room_id, char *err,
			   size_t err_cap)
{
	bool again = false;
	bool ok = reconcile_once(n, data_dir, room_id, err, err_cap, &again);
	if (ok && again) /* once more, on the file as cut back: it then agrees or falls behind */
		ok = reconcile_once(n, data_dir, room_id, err, err_cap, &again) && !again;
	return ok;
}

/* Rooms with a file here. */
static bool reconcile_files(struct gw_nats *n, const char *data_dir, char *err, size_t err_cap)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/rooms", data_dir);
	DIR *dir = opendir(path);
	if (!dir)
		return errno == ENOENT;
	bool ok = true;
	struct dirent *de;
	while (ok && (de = readdir(dir)) != NULL) {
		char id[80];
		size_t len = strlen(de->d_name);
		if (len <= 6 || len - 6 >= sizeof id || strcmp(de->d_name + len - 6, ".jsonl") != 0)
			continue;
		memcpy(id, de->d_name, len - 6);
		id[len - 6] = '\0';
		if (rooms_valid_id(id))
			ok = reconcile_room(n, data_dir, id, err, err_cap);
	}
	closedir(dir);
	return ok;
}

/* Rooms only JetStream holds: the stream's subjects. */
static bool reconcile_subjects(struct gw_nats *n, const char *data_dir, char *err, size_t err_cap)
{
	jsOptions o;
	jsOptions_Init(&o);
	o.Stream.Info.SubjectsFilter = GW_NATS_SUBJECT_PREFIX "*.log";
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	if (js_GetStreamInfo(&si, n->js, GW_NATS_STREAM, &o, &jerr) != NATS_OK) {
		snprintf(err, err_cap, "cannot list the rooms in JetStream (code %d)", (int)jerr);
		return false;
	}
	bool ok = true;
	const jsStreamStateSubjects *subjects = si->State.Subjects;
	for (int i = 0; ok && subjects && i < subjects->Count; i++) {
		char id[80];
		if (gw_nats_subject_room(subjects->List[i].Subject, id, sizeof id))
			ok = reconcile_room(n, data_dir, id, err, err_cap);
	}
	jsStreamInfo_Destroy(si);
	return ok;
}

bool gw_nats_reconcile(struct gw_nats *n, const char *data_dir, char *err, size_t err_cap)
{
	pthread_mutex_lock(&n->pub_mu);
	bool ok = reconcile_files(n, data_dir, err, err_cap) &&
		  reconcile_subjects(n, data_dir, err, err_cap);
	pthread_mutex_unlock(&n->pub_mu);
	return ok;
}

static bool write_line(void *ctx, const char *line, size_t len)
{
	FILE *out = ctx;
	return fwrite(line, 1, len, out) == len && fputc('\n', out) != EOF;
}

bool gw_nats_read_room(const char *urls, const char *room_id, const char *path, char *err,
		       size_t err_cap)
{
	struct gw_nats n = {.timeout_ms = 5000};
	if (!rooms_valid_id(room_id)) {
		snprintf(err, err_cap, "not a room id: %s", room_id);
		return false;
	}
	if (!gw_nats_connect(urls, n.timeout_ms, &n.nc, &n.js, err, err_cap))
		return false;
	int64_t seq;
	uint64_t sseq = 0;
	bool ok = gw_nats_last(&n, room_id, &sseq, &seq, NULL, NULL);
	FILE *out = ok ? fopen(path, "wb") : NULL;
	if (!ok)
		snprintf(err, err_cap, "room %s: cannot read its subject from JetStream", room_id);
	else if (!out)
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
	ok = out && gw_nats_read_subject(n.js, room_id, sseq, write_line, out, err, err_cap);
	if (out && fclose(out) != 0)
		ok = false;
	jsCtx_Destroy(n.js);
	natsConnection_Destroy(n.nc);
	return ok;
}
