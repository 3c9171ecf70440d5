/*
 * The record kept up to date as events become durable, and its renderings cached (private
 * to rooms/). record.c is the fold; record_cache.c feeds it and keeps the rendered
 * documents for the head they were made at.
 */
#ifndef PLENARY_ROOMS_RECORD_CACHE_H
#define PLENARY_ROOMS_RECORD_CACHE_H

#include <jansson.h>

#include "rooms/room_internal.h"

/* record.c: the fold itself. record_fold_doc() finishes the document (statistics, head)
 * and returns it borrowed: it stays valid until the next event. */
struct record_fold;
struct record_fold *record_fold_new(const char *room_id);
void record_fold_free(struct record_fold *f);
void record_fold_event(struct record_fold *f, const struct log_record *e);
json_t *record_fold_doc(struct record_fold *f);
/* record_interp.c: the record's interpretation part (channels and who interpreted when,
 * the floor's languages), folded into the record document rec. */
void record_interp_event(json_t *rec, const struct log_record *e);
int64_t record_fold_seq(const struct record_fold *f);
/* A fresh fold of the durable log, read from the file; NULL if it cannot be read. */
struct record_fold *record_fold_from_log(struct room *r);

/* export.c: one rendering of a finished record document, malloc'd. */
enum room_err record_render(json_t *rec, enum room_export what, const char *lang,
			    const struct room_link_signer *links, char **out, size_t *len);

/* record_cache.c: the room's kept fold. An emitted event is staged until a flush makes
 * it durable (records show only what is durable, as the log file does); a replayed line
 * is durable already. */
struct record_cache *record_cache_new(const char *room_id);
void record_cache_free(struct record_cache *c);
void record_cache_replayed(struct room *r, const struct log_record *e);
void record_cache_stage(struct room *r, int64_t seq, int64_t ts_ms, const char *kind,
			const json_t *data, const char hash[LOG_HASH_HEX_LEN + 1]);
/* After a flush: ok folds what was staged up to durable_seq; !ok drops it (the room is
 * about to be rebuilt from the file). */
void record_cache_flushed(struct room *r, bool ok, int64_t durable_seq);

#endif
