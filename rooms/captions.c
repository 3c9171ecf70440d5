/*
 * Captions: first-class, because a deaf participant follows the meeting through them.
 *
 * A captioner (or a chair) sends text in a language; partial captions are relayed live
 * and forgotten, final ones are events on the record. Each final caption names who held
 * the floor when it was written and how far into the session it came (offset_ms), which
 * is what the WebVTT export and the recording's timeline line up on. Several languages
 * may run at once (an interpreter's French next to the English).
 *
 * CART writers post plain text over HTTP with a counter; a repeated or older counter is
 * accepted and ignored, so their software can retry any failure blindly. The counter is
 * on the record (cart_seq), so a retry after a server restart is still recognised.
 *
 * A WebSocket captioner's line may carry a cid, its own id for the line: the web client
 * re-sends a line whose ack it did not see (a dropped connection, an ack slower than the
 * typist) with the same cid, and a cid this person sent lately is acknowledged as a
 * duplicate and written nowhere. The cid is on the event, with the captioner, so the
 * fold remembers it and a retry after a restart is recognised too. The memory is the
 * last ROOM_CIDS_KEPT cids per person (a ring, allocated on their first cid): a client
 * retries only lines still unacknowledged, a handful at most, so 64 is far more than a
 * retry can reach back, and a room's cost stays 4 KiB per captioner.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooms/room_internal.h"

#define CART_SEQ_MAX ((INT64_C(1) << 53) - 1)

static bool lang_valid(const char *lang)
{
	size_t n = strlen(lang);
	if (n == 0 || n >= ROOM_LANG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)lang[i]) && lang[i] != '-')
			return false;
	return true;
}

static bool cid_valid(const char *cid)
{
	size_t n = strlen(cid);
	if (n == 0 || n >= ROOM_CID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cid[i] < 0x20 || cid[i] > 0x7e)
			return false;
	return true;
}

void room_set_talkers(struct room *r, const char *const *pids, size_t n)
{
	r->n_talkers = 0;
	for (size_t i = 0; i < n && r->n_talkers < ROOM_TALKERS_MAX; i++)
		if (pids[i] && strlen(pids[i]) < QUEUE_PID_MAX)
			snprintf(r->talkers[r->n_talkers++], QUEUE_PID_MAX, "%s", pids[i]);
}

/* Whoever the media side heard talking: the floor holder if they were (a chair's open mic
 * picking up the room must not take their words), else the most recent talker on the
 * record; with nobody, the floor holder as before there was a talker to ask (and for an
 * in-room speaker, who has no mic here). */
static json_t *speaker(struct room *r)
{
	const struct queue_floor *f = &r->queue.floor;
	const struct person *p = NULL;
	for (size_t i = 0; i < r->n_talkers; i++) {
		struct person *t = room_person(r, r->talkers[i]);
		if (!t || !t->present)
			continue;
		if (f->active && strcmp(t->pid, f->pid) == 0) {
			p = NULL;
			break;
		}
		p = p ? p : t;
	}
	if (p)
		return json_pack("{s:s,s:s,s:s}", "pid", p->pid, "name", p->name, "group",
				 p->group);
	if (!f->active)
		return json_null();
	return json_pack("{s:o,s:s,s:s}", "pid", f->pid[0] ? json_string(f->pid) : json_null(),
			 "name", f->name, "group", f->group);
}

static json_t *caption_data(struct room *r, const char *lang, const char *text, size_t len,
			    bool final, int64_t now)
{
	int64_t offset = r->started_ms ? now - r->started_ms : 0;
	return json_pack("{s:s,s:s%,s:b,s:o,s:I}", "lang", lang, "text", text, len, "final", final,
			 "speaker", speaker(r), "offset_ms", (json_int_t)(offset > 0 ? offset : 0));
}

static bool cid_seen(const struct person *p, const char *cid)
{
	for (int i = 0; p->cids && i < ROOM_CIDS_KEPT; i++)
		if (strcmp(p->cids->id[i], cid) == 0)
			return true;
	return false;
}

bool room_cid_remember(struct person *p, const char *cid)
{
	if (!cid_valid(cid))
		return false;
	if (!p->cids && !(p->cids = calloc(1, sizeof *p->cids)))
		return false;
	snprintf(p->cids->id[p->cids->next], ROOM_CID_MAX, "%s", cid);
	p->cids->next = (p->cids->next + 1) % ROOM_CIDS_KEPT;
	return true;
}

/* The caption's fields; false with ctx->message set when one is wrong. */
static bool caption_fields(struct room_cmd_ctx *ctx, const char **lang, const char **text,
			   bool *final, const char **cid)
{
	/* The text's limit is in characters, and over it is too_large whatever its length
	 * in bytes, so the text is taken at any length here and counted by the caller. */
	if (!field_string(ctx, "lang", true, ROOM_LANG_MAX - 1, lang) ||
	    !field_string(ctx, "text", true, SIZE_MAX, text) || !field_bool(ctx, "final", final) ||
	    !field_string(ctx, "cid", false, ROOM_CID_MAX - 1, cid))
		return false;
	if (!lang_valid(*lang)) {
		ctx->message = "lang must be a language tag such as en or pt-BR";
		return false;
	}
	if (*cid && !cid_valid(*cid)) {
		ctx->message = "cid must be 1 to 64 printable ASCII characters";
		return false;
	}
	return true;
}

enum room_err cmd_caption(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	const char *lang = NULL, *text = NULL, *cid = NULL;
	bool final = false;
	if (!caption_fields(ctx, &lang, &text, &final, &cid))
		return ROOM_EBAD_REQUEST;
	size_t len = strlen(text);
	if (utf8_chars(text, len) > ROOM_CAPTION_CHARS_MAX) {
		ctx->message = "text is over 2,000 characters";
		return ROOM_ETOO_LARGE;
	}
	if (final && len == 0) {
		ctx->message = "a final caption needs text";
		return ROOM_EBAD_REQUEST;
	}
	json_t *data = caption_data(r, lang, text, len, final, ctx->now);
	if (!final) {
		room_send_live(r, "caption", data);
		return ROOM_OK;
	}
	const struct person *p = room_person(r, ctx->who->pid);
	bool duplicate = cid && p && cid_seen(p, cid);
	ctx->result = json_pack("{s:b}", "duplicate", duplicate);
	if (duplicate) {
		json_decref(data);
		return ROOM_OK;
	}
	if (cid && data) {
		json_object_set_new(data, "captioner", json_string(ctx->who->pid));
		json_object_set_new(data, "cid", json_string(cid));
	}
	return room_emit(r, "caption", data, ctx->now);
}

enum room_err room_caption_post(struct room *r, const struct room_identity *who, const char *lang,
				int64_t seq, const char *text, size_t len, int64_t now_ms,
				bool *duplicate, const char **message)
{
	*duplicate = false;
	*message = NULL;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (!lang_valid(lang)) {
		*message = "lang must be a language tag such as en or pt-BR";
		return ROOM_EBAD_REQUEST;
	}
	/* The counter goes in the log, whose integers stop at 2^53 - 1 (RFC 8785). */
	if (seq < 0 || seq > CART_SEQ_MAX) {
		*message = "seq must be an integer from 0 to 2^53 - 1";
		return ROOM_EBAD_REQUEST;
	}
	if (len == 0 || !utf8_valid(text, len) || memchr(text, '\0', len)) {
		*message = "the body must be non-empty UTF-8 text";
		return ROOM_EBAD_REQUEST;
	}
	if (utf8_chars(text, len) > ROOM_CAPTION_CHARS_MAX) {
		*message = "text is over 2,000 characters";
		return ROOM_EBAD_REQUEST;
	}
	if (r->status != ROOM_LIVE) {
		*message = "the session is not live";
		return ROOM_ECONFLICT;
	}
	struct person *p = room_person(r, who->pid);
	if (p && seq <= p->cart_seq) {
		*duplicate = true;
		return ROOM_OK;
	}
	json_t *data = caption_data(r, lang, text, len, true, now_ms);
	if (data) {
		json_object_set_new(data, "captioner", json_string(who->pid));
		json_object_set_new(data, "cart_seq", json_integer(seq));
	}
	return room_emit(r, "caption", data, now_ms);
}
