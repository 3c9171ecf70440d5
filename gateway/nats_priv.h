/*
 * nats_priv -- what the files of the JetStream log share (nats_log.c publishes,
 * nats_conn.c connects and makes the stream, nats_sync.c reads subjects back, and the
 * owner lease's nats_lease*.c catch a room up). Only those files include it: the rest
 * of the gateway knows nats_log.h alone.
 */
#ifndef PLENARY_GATEWAY_NATS_PRIV_H
#define PLENARY_GATEWAY_NATS_PRIV_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nats_job;

/* Where a room's subject stands: the stream sequence of its last message (0: none). */
struct nats_subject_pos {
	struct nats_subject_pos *next;
	char room_id[65];
	uint64_t sseq;
	bool known; /* false until read from JetStream, and again after a failed batch */
};

struct gw_nats {
	natsConnection *nc;
	jsCtx *js;
	int64_t timeout_ms;
	int efd; /* the worker's wake-up for the gateway thread */
	pthread_t worker;
	bool worker_started;
	pthread_mutex_t mu; /* todo, done, stop */
	pthread_cond_t cond;
	struct nats_job *todo, *done, **done_tail;
	bool stop;
	pthread_mutex_t pub_mu; /* publishing and positions */
	struct nats_subject_pos *positions;
	size_t in_flight; /* gateway thread only: batches handed over, not yet drained */
	/* nats_lease.c: whether another node holds room's owner lease now. Start-up sync then
	 * takes the subject as the room over lines of this node's file that never reached it
	 * (nats_sync.c). NULL: never. */
	bool (*owned_elsewhere)(void *ctx, const char *room_id);
	void *owned_ctx;
	bool read_only; /* an edge: never publishes */
};

/* Connects with the comma-separated urls (reconnecting forever once connected). */
bool gw_nats_connect(const char *urls, int64_t timeout_ms, natsConnection **nc, jsCtx **js,
		     char *err, size_t err_cap);
struct nats_subject_pos *gw_nats_pos(struct gw_nats *n, const char *room_id);
bool gw_nats_last(struct gw_nats *n, const char *room_id, uint64_t *sseq, int64_t *seq, char **line,
		  size_t *len);
bool gw_nats_publish(struct gw_nats *n, struct nats_subject_pos *p, int64_t seq, const char *line,
		     size_t len);
/* Appends line (n bytes) and a newline to the growing *buf of *len bytes in *cap; false
 * on OOM (nothing appended). */
bool gw_nats_append_line(char **buf, size_t *len, size_t *cap, const char *line, size_t n);
/* The room of a stream subject "plenary.room.<id>.log" into id; false for any other. */
bool gw_nats_subject_room(const char *subject, char *id, size_t cap);
/* A subject's lines past seq after, each with its newline: gw_nats_lines_after is the fn
 * of gw_nats_read_subject that gathers them (false on a line with no seq, or OOM). */
struct gw_nats_lines {
	int64_t after;
	char *buf;
	size_t len, cap;
};
bool gw_nats_lines_after(void *ctx, const char *line, size_t len);
/* The "seq" of a log line (not checked beyond being a JSON object with an integer seq). */
bool gw_nats_line_seq(const char *line, size_t len, int64_t *seq);

/* The worker thread's body (nats_log.c), and freeing a list of its jobs. */
void *gw_nats_worker_main(void *arg);
void gw_nats_free_jobs(struct nats_job *j);

/* Every line of room's subject, in order, through fn (without newlines), up to the
 * message of stream sequence last_sseq. false on a read error or timeout. */
bool gw_nats_read_subject(jsCtx *js, const char *room_id, uint64_t last_sseq,
			  bool (*fn)(void *ctx, const char *line, size_t len), void *ctx, char *err,
			  size_t err_cap);

#endif
