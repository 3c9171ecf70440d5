/*
 * How a decision becomes an event: chained into the log's pending buffer, applied by the
 * fold, and reported to the host as one serialised wire message (made once, whatever the
 * number of listeners). Live and private messages are never logged and carry no seq.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/record_cache.h"

static void report(struct room *r, int64_t seq, const char *ts, const char *kind,
		   const json_t *data, const char *hash)
{
	if (r->replaying || !r->rs->sink.event)
		return;
	json_t *msg =
	    json_pack("{s:s,s:I,s:s,s:s,s:O,s:s}", "type", "event", "seq", (json_int_t)seq, "ts",
		      ts, "kind", kind, "data", data, "hash", hash);
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (text)
		r->rs->sink.event(r->rs->sink.ctx, r, seq, text, strlen(text));
	free(text);
}

enum room_err room_emit(struct room *r, const char *kind, json_t *data, int64_t now_ms)
{
	if (!data)
		return ROOM_EINTERNAL;
	int64_t seq;
	char hash[LOG_HASH_HEX_LEN + 1];
	enum log_err lerr = log_file_append(r->log, kind, data, now_ms, &seq, hash);
	if (lerr != LOG_OK) {
		json_decref(data);
		return lerr == LOG_ETOOBIG ? ROOM_ETOO_LARGE : ROOM_EINTERNAL;
	}
	/* Handlers decide against the same state the fold applies to, so this should not
	 * fail for an event they made. If it ever does, the line is taken back out of the
	 * log: a line the state does not reflect would make the room refuse to load after a
	 * restart. */
	if (!room_apply(r, kind, data, now_ms)) {
		(void)!log_file_retract(r->log);
		if (r->rs->warn)
			r->rs->warn(r->rs->warn_ctx, r->id, "an event did not apply; taken back");
		json_decref(data);
		return ROOM_EINTERNAL;
	}
	r->head_seq = seq;
	memcpy(r->head_hash, hash, sizeof r->head_hash);
	record_cache_stage(r, seq, now_ms, kind, data, hash);
	char ts[LOG_TS_LEN + 1];
	log_format_ts(now_ms, ts);
	report(r, seq, ts, kind, data, hash);
	json_decref(data);
	return ROOM_OK;
}

static char *envelope(const char *type, const char *kind, json_t *data)
{
	json_t *msg = json_pack("{s:s,s:s,s:o}", "type", type, "kind", kind, "data", data);
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	return text;
}

void room_send_live(struct room *r, const char *kind, json_t *data)
{
	if (r->replaying || !r->rs->sink.live || !data) {
		json_decref(data);
		return;
	}
	char *text = envelope("live", kind, data);
	if (text)
		r->rs->sink.live(r->rs->sink.ctx, r, text, strlen(text));
	free(text);
}

void room_send_private(struct room *r, const char *pid, enum room_role role, const char *kind,
		       json_t *data)
{
	if (r->replaying || !r->rs->sink.private_msg || !data) {
		json_decref(data);
		return;
	}
	char *text = envelope("private", kind, data);
	if (text)
		r->rs->sink.private_msg(r->rs->sink.ctx, r, pid, role, text, strlen(text));
	free(text);
}

void room_mic_changed(struct room *r, const char *pid, bool open)
{
	if (r->replaying || !pid || !pid[0])
		return;
	if (r->rs->sink.mic)
		r->rs->sink.mic(r->rs->sink.ctx, r, pid, open);
	room_send_private(r, pid, ROOM_ROLE_PARTICIPANT, "mic", json_pack("{s:b}", "open", open));
}
