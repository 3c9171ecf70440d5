/*
 * The room log in JetStream: connection, stream, and the publishing worker.
 *
 * Why a worker thread with synchronous publishes rather than libnats's async publish:
 * the fencing option names the stream sequence of the previous message on the subject,
 * which is only known once that message is acknowledged (other rooms' messages take
 * stream sequences in between). So a room's events go one after the other anyway; one
 * thread doing exactly that keeps the order obvious, and the loop never waits. Results
 * come back in a list under a mutex plus an eventfd write; nothing else is shared.
 *
 * A batch fails as a whole at its first refused or timed-out message. The subject's
 * position is then unknown: a timed-out message may still be stored later (JetStream
 * without quorum keeps the proposal, and commits it once the nodes are back). So it is
 * read again from JetStream before the room's next batch. If JetStream then holds events
 * past what the room committed, the log is the room: that batch is refused and the room
 * takes those events (rooms_adopt), exactly as JetStream holds them -- their commands
 * were answered `internal` and yet happened, the one ambiguity a timeout leaves, and
 * every client now hears of them as events. Events that do not chain on the room's
 * committed end (another writer) are never taken: the room refuses every batch instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"
#include "gateway/server.h"

struct nats_job {
	struct nats_job *next;
	struct room *room; /* only dereferenced on the gateway thread */
	char room_id[65];
	int64_t first_seq;
	bool ok;
	char *adopt; /* refused because JetStream held these lines already: the room takes them */
	size_t adopt_len;
	size_t len;
	char lines[]; /* the batch, each line ending in '\n' */
};

bool gw_nats_subject(const char *room_id, char *out, size_t cap)
{
	if (!rooms_valid_id(room_id))
		return false;
	int n = snprintf(out, cap, "%s%s.log", GW_NATS_SUBJECT_PREFIX, room_id);
	return n > 0 && (size_t)n < cap;
}

/* "<id>:<seq>", the Nats-Msg-Id that makes publishing an event twice harmless. */
static bool make_msg_id(const char *room_id, int64_t seq, char *out, size_t cap)
{
	if (!rooms_valid_id(room_id) || seq < 1)
		return false;
	int n = snprintf(out, cap, "%s:%" PRId64, room_id, seq);
	return n > 0 && (size_t)n < cap;
}

/* --- where each subject stands (worker and room creation, under pub_mu) --- */

struct nats_subject_pos *gw_nats_pos(struct gw_nats *n, const char *room_id)
{
	for (struct nats_subject_pos *p = n->positions; p; p = p->next)
		if (strcmp(p->room_id, room_id) == 0)
			return p;
	struct nats_subject_pos *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	snprintf(p->room_id, sizeof p->room_id, "%s", room_id);
	p->next = n->positions;
	n->positions = p;
	return p;
}

/* The last message on room's subject: its stream sequence and its log seq (0, 0 if
 * none). The line, if line is not NULL, in a malloc'd copy. */
bool gw_nats_last(struct gw_nats *n, const char *room_id, uint64_t *sseq, int64_t *seq, char **line,
		  size_t *len)
{
	char subject[GW_NATS_SUBJECT_MAX];
	natsMsg *m = NULL;
	jsErrCode jerr = 0;
	*sseq = 0;
	*seq = 0;
	if (line)
		*line = NULL;
	if (!gw_nats_subject(room_id, subject, sizeof subject))
		return false;
	natsStatus s = js_GetLastMsg(&m, n->js, GW_NATS_STREAM, subject, NULL, &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
		return true;
	if (s != NATS_OK)
		return false;
	*sseq = natsMsg_GetSequence(m);
	bool ok = gw_nats_line_seq(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), seq);
	if (ok && line) {
		*len = (size_t)natsMsg_GetDataLength(m);
		*line = malloc(*len + 1);
		ok = *line != NULL;
		if (ok)
			memcpy(*line, natsMsg_GetData(m), *len);
	}
	natsMsg_Destroy(m);
	return ok;
}

static bool fetch_stored(struct gw_nats *n, const char *room_id, int64_t from, uint64_t last,
			 struct nats_job *job)
{
	struct gw_nats_lines c = {.after = from - 1};
	char err[256];
	if (!gw_nats_read_subject(n->js, room_id, last, gw_nats_lines_after, &c, err, sizeof err)) {
		gw_error("cannot read the room's events back from JetStream",
			 "room=%s error=\"%s\"", room_id, err);
		free(c.buf);
		return false;
	}
	job->adopt = c.buf;
	job->adopt_len = c.len;
	return true;
}

/* After a failure the position is read back: the committed end, or past it with events
 * job's room is to take (see the top). */
static bool refresh_pos(struct gw_nats *n, struct nats_subject_pos *p, int64_t first_seq,
			struct nats_job *job)
{
	uint64_t sseq;
	int64_t seq;
	if (!gw_nats_last(n, p->room_id, &sseq, &seq, NULL, NULL))
		return false;
	if (seq > first_seq - 1 && job && fetch_stored(n, p->room_id, first_seq, sseq, job)) {
		gw_warn("JetStream holds events the room had rolled back (a publish that timed "
			"out was stored after all): the room takes them",
			"room=%s from=%" PRId64 " to=%" PRId64, p->room_id, first_seq, seq);
		return false; /* still unknown: read again once the room took them, or not */
	}
	if (seq != first_seq - 1) {
		gw_error("JetStream holds another end of the room's log than the room; "
			 "restart plenaryd to catch the room up from JetStream",
			 "room=%s jetstream_seq=%" PRId64 " room_seq=%" PRId64, p->room_id, seq,
			 first_seq - 1);
		return false;
	}
	p->sseq = sseq;
	p->known = true;
	return true;
}

/* Publishes one line (without its newline) as log seq seq, fenced on p's position. */
bool gw_nats_publish(struct gw_nats *n, struct nats_subject_pos *p, int64_t seq, const char *line,
		     size_t len)
{
	char subject[GW_NATS_SUBJECT_MAX], msg_id[96];
	if (n->read_only || !gw_nats_subject(p->room_id, subject, sizeof subject) ||
	    !make_msg_id(p->room_id, seq, msg_id, sizeof msg_id))
		return false;
	jsPubOptions o;
	jsPubOptions_Init(&o);
	o.MaxWait = n->timeout_ms;
	o.MsgId = msg_id;
	o.ExpectLastSubjectSeq = p->sseq;
	o.ExpectNoMessage = p->sseq == 0;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_Publish(&pa, n->js, subject, line, (int)len, &o, &jerr);
	/* A duplicate was stored before, maybe with other bytes: never take it as ours. */
	bool ok = s == NATS_OK && pa && !pa->Duplicate;
	if (ok)
		p->sseq = pa->Sequence;
	else
		gw_warn("JetStream refused an event",
			"room=%s seq=%" PRId64 " status=\"%s\" code=%d", p->room_id, seq,
			natsStatus_GetText(s), (int)jerr);
	jsPubAck_Destroy(pa);
	return ok;
}

/* job (NULL for a room's creation) receives what the room must take instead, if any. */
static bool publish_batch(struct gw_nats *n, const char *room_id, int64_t first_seq,
			  const char *lines, size_t len, struct nats_job *job)
{
	pthread_mutex_lock(&n->pub_mu);
	struct nats_subject_pos *p = gw_nats_pos(n, room_id);
	bool ok = p && (p->known || refresh_pos(n, p, first_seq, job));
	int64_t seq = first_seq;
	for (size_t at = 0; ok && at < len; seq++) {
		const char *nl = memchr(lines + at, '\n', len - at);
		size_t line_len = nl ? (size_t)(nl - (lines + at)) : len - at;
		ok = gw_nats_publish(n, p, seq, lines + at, line_len);
		at += line_len + 1;
	}
	if (!ok && p)
		p->known = false;
	pthread_mutex_unlock(&n->pub_mu);
	return ok;
}

/* --- the worker --- */

void gw_nats_free_jobs(struct nats_job *j)
{
	while (j) {
		struct nats_job *next = j->next;
		free(j->adopt);
		free(j);
		j = next;
	}
}

void *gw_nats_worker_main(void *arg)
{
	struct gw_nats *n = arg;
	pthread_mutex_lock(&n->mu);
	for (;;) {
		while (!n->todo && !n->stop)
			pthread_cond_wait(&n->cond, &n->mu);
		if (n->stop)
			break;
		struct nats_job *job = n->todo;
		n->todo = job->next;
		pthread_mutex_unlock(&n->mu);
		job->ok = publish_batch(n, job->room_id, job->first_seq, job->lines, job->len, job);
		pthread_mutex_lock(&n->mu);
		job->next = NULL;
		*n->done_tail = job;
		n->done_tail = &job->next;
		uint64_t one = 1;
		if (write(n->efd, &one, sizeof one) != (ssize_t)sizeof one)
			gw_error("cannot wake the gateway thread", "error=\"%s\"", strerror(errno));
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

static void enqueue(struct gw_nats *n, struct nats_job *job)
{
	pthread_mutex_lock(&n->mu);
	struct nats_job **tail = &n->todo;
	while (*tail)
		tail = &(*tail)->next;
	*tail = job;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->mu);
}

bool gw_nats_replicate(void *ctx, struct room *room, int64_t first_seq, const char *lines,
		       size_t len, bool wait)
{
	struct gateway *gw = ctx;
	struct gw_nats *n = gw->nats;
	/* The owner lease fences writes here, where every batch passes: a room's creation
	 * takes its lease first; any other batch of a room this node does not serve (a
	 * standby's timers, a node that just lost the lease) is refused and rolled back. */
	if (wait && first_seq == 1 ? !gw_lease_claim_now(gw, room_id(room))
				   : !gw_lease_owns(gw, room_id(room))) {
		gw_warn("not the room's owner: its events are not written", "room=%s seq=%" PRId64,
			room_id(room), first_seq);
		return false;
	}
	struct room_host *h = gw_host_for(gw, room);
	if (h)
		gw_host_seal(h);
	if (wait)
		return publish_batch(n, room_id(room), first_seq, lines, len, NULL);
	struct nats_job *job = malloc(sizeof *job + len);
	if (!job)
		return false;
	*job = (struct nats_job){.room = room, .first_seq = first_seq, .len = len};
	snprintf(job->room_id, sizeof job->room_id, "%s", room_id(room));
	memcpy(job->lines, lines, len);
	n->in_flight++;
	enqueue(n, job);
	return true;
}

void gw_nats_drain(struct gateway *gw)
{
	struct gw_nats *n = gw->nats;
	uint64_t count;
	if (read(n->efd, &count, sizeof count) < 0 && errno != EAGAIN)
		gw_error("cannot read the NATS eventfd", "error=\"%s\"", strerror(errno));
	pthread_mutex_lock(&n->mu);
	struct nats_job *done = n->done;
	n->done = NULL;
	n->done_tail = &n->done;
	pthread_mutex_unlock(&n->mu);
	while (done) {
		struct nats_job *next = done->next;
		n->in_flight--;
		if (!done->ok)
			gw_error("JetStream did not take the room's events; rolled back",
				 "room=%s first_seq=%" PRId64, done->room_id, done->first_seq);
		rooms_replicated(gw->rooms, done->room, done->ok);
		if (done->adopt &&
		    !rooms_adopt(gw->rooms, done->room, done->adopt, done->adopt_len))
			gw_error("the room cannot take the events JetStream holds; it refuses "
				 "commands until plenaryd restarts",
				 "room=%s", done->room_id);
		done->next = NULL;
		gw_nats_free_jobs(done);
		done = next;
	}
	if (rooms_dirty(gw->rooms))
		gw_schedule_flush(gw);
}

void gw_nats_wait_idle(struct gateway *gw)
{
	struct gw_nats *n = gw->nats;
	if (!n)
		return;
	/* No deadline of its own: every publish ends within its timeout, so every batch comes
	 * back, and an answer given before it came back could be a wrong one. */
	while (n->in_flight > 0) {
		struct pollfd pfd = {.fd = n->efd, .events = POLLIN};
		if (poll(&pfd, 1, 1000) > 0)
			gw_nats_drain(gw);
	}
}

void gw_flush_sync(struct gateway *gw)
{
	do {
		gw_flush(gw);
		gw_nats_wait_idle(gw);
	} while (gw->nats && rooms_dirty(gw->rooms));
}

void gw_nats_set_read_only(struct gw_nats *n, bool read_only)
{
	n->read_only = read_only;
}

int gw_nats_event_fd(const struct gw_nats *n)
{
	return n->efd;
}
