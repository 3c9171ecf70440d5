/*
 * nats_log -- the room log replicated to NATS JetStream (--nats, docs/scale.md).
 *
 * Each room's events go to one subject of one stream, each message's bytes exactly the
 * event's log line (without its newline), with a Nats-Msg-Id of room:seq and the
 * expected-last-subject-sequence of the previous message on the subject, so a second
 * writer can never fork a room's chain. rooms/ knows none of this: it hands each synced
 * batch to rooms_sink.replicate, which this module implements; the gateway thread never
 * waits on NATS for a command. A worker thread publishes (one message at a time per room:
 * the expected sequence of each is the stream sequence the previous one got) and hands
 * each batch's outcome back through an eventfd the loop watches; rooms_replicated then
 * releases the room's held messages, or rolls the room back.
 *
 * Later slices (an owner lease in a KV bucket, edges) build on the same stream.
 */
#ifndef PLENARY_GATEWAY_NATS_LOG_H
#define PLENARY_GATEWAY_NATS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rooms/rooms.h"

struct gateway;
struct gw_nats;

#define GW_NATS_STREAM	       "PLENARY_ROOMS"
#define GW_NATS_SUBJECT_PREFIX "plenary.room."
#define GW_NATS_SUBJECT_MAX    (sizeof GW_NATS_SUBJECT_PREFIX + 64 + 4)

/* "plenary.room.<id>.log"; false if id is not a room id (rooms_valid_id) or cap is short.
 * Room ids never hold '.', '*' or '>', so a subject names exactly one room. */
bool gw_nats_subject(const char *room_id, char *out, size_t cap);

/* Connects to the comma-separated URLs (any node of the cluster), creates the stream if
 * missing (3 replicas, or 1 if the cluster is smaller) and starts the worker. timeout_ms
 * bounds each publish: past it the batch is refused. NULL with the reason in err. */
struct gw_nats *gw_nats_open(const char *urls, int64_t timeout_ms, char *err, size_t err_cap);
/* urls fit to be logged: each user:password@ becomes ***@. */
void gw_nats_redact(const char *urls, char *out, size_t cap);
void gw_nats_close(struct gw_nats *n);
/* An edge (nats_edge.h) never publishes: reconcile then refuses a file ahead of its
 * subject instead of publishing its lines, and every publish fails. */
void gw_nats_set_read_only(struct gw_nats *n, bool read_only);
/* Readable when batches have come back: the loop calls gw_nats_drain then. */
int gw_nats_event_fd(const struct gw_nats *n);

/* Before the rooms load: makes each room's file and its subject agree (the subject
 * ahead: its missing lines are appended to the file; behind: the file's missing lines
 * are published). false, with the room and reason in err, if they disagree (another
 * line at the same seq) or cannot be read: plenaryd must not start then. */
bool gw_nats_reconcile(struct gw_nats *n, const char *data_dir, char *err, size_t err_cap);

/* rooms_sink.replicate, with gw as ctx (gw->nats set). */
bool gw_nats_replicate(void *gw, struct room *room, int64_t first_seq, const char *lines,
		       size_t len, bool wait);
/* On the gateway thread: hands every batch that came back to rooms_replicated. */
void gw_nats_drain(struct gateway *gw);
/* Waits (blocking the loop: each batch out ends within its publishes' timeouts, and the
 * worker takes them in order) until no batch is out:
 * for HTTP requests answered only once their event is committed. */
void gw_nats_wait_idle(struct gateway *gw);

/* gw_flush, and with a replica everything waits for it too (repeating while events
 * held behind a batch remain): for what answers only once its events are committed (the
 * HTTP API, a leave's ack). Without --nats exactly gw_flush. */
void gw_flush_sync(struct gateway *gw);

/* plenaryd verify --nats: reads room's subject back into a file at path (one line each,
 * as the room's file holds them). false with the reason in err. */
bool gw_nats_read_room(const char *urls, const char *room_id, const char *path, char *err,
		       size_t err_cap);

#endif
