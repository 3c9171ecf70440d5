/*
 * The record without re-reading the log (issue 13). Each room keeps its record fold in
 * memory, fed one event at a time as it becomes durable, and keeps each rendering it was
 * asked for together with the head seq it was made at (and the language, for WebVTT).
 * A request between two events costs a copy; the first after an event costs a rendering
 * from memory; neither reads or hashes the file. After a restart the fold is rebuilt by
 * the same replay that rebuilds the room.
 *
 * Memory: the fold holds the record document itself (attendance, floors, captions, hums
 * and polls -- about the size of those events' data in the log), and at most
 * CACHE_SLOTS renderings of the current head, each at most CACHE_ENTRY_MAX bytes (a
 * bigger one is rendered for each request and not kept). Renderings are dropped as soon
 * as a new event is durable. Staged events are the room's pending ones: at most one loop
 * turn's worth.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/record_cache.h"

#define CACHE_VTT_SLOTS 4
#define CACHE_SLOTS	(4 + CACHE_VTT_SLOTS)
#define CACHE_ENTRY_MAX (8u << 20)

struct rendered {
	bool used;
	enum room_export what;
	bool has_lang;
	char lang[ROOM_LANG_MAX];
	int64_t seq;
	uint64_t last_use;
	char *text;
	size_t len;
};

struct record_cache {
	char room_id[65];
	struct record_fold *fold;
	bool broken; /* an event could not be kept: the fold is rebuilt from the file */
	struct log_record *staged;
	size_t n_staged, cap_staged;
	struct rendered slots[CACHE_SLOTS];
	uint64_t uses;
};

struct record_cache *record_cache_new(const char *room_id)
{
	struct record_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	snprintf(c->room_id, sizeof c->room_id, "%s", room_id);
	c->fold = record_fold_new(room_id);
	if (!c->fold) {
		free(c);
		return NULL;
	}
	return c;
}

static void drop_renderings(struct record_cache *c)
{
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(c->slots[i].text);
		memset(&c->slots[i], 0, sizeof c->slots[i]);
	}
}

static void drop_staged(struct record_cache *c)
{
	for (size_t i = 0; i < c->n_staged; i++)
		log_record_clear(&c->staged[i]);
	c->n_staged = 0;
}

void record_cache_free(struct record_cache *c)
{
	if (!c)
		return;
	drop_renderings(c);
	drop_staged(c);
	free(c->staged);
	record_fold_free(c->fold);
	free(c);
}

void record_cache_replayed(struct room *r, const struct log_record *e)
{
	struct record_cache *c = r->record;
	if (c->broken)
		return;
	record_fold_event(c->fold, e);
	drop_renderings(c);
}

/* The fold must see the data as the file holds it: canonical, so with its keys sorted
 * (the record's JSON keeps the order of the keys it copies). */
static json_t *as_logged(const json_t *data)
{
	char *text = NULL;
	size_t len = 0;
	if (jcs_serialize(data, &text, &len) != LOG_OK)
		return NULL;
	json_t *copy = json_loadb(text, len, 0, NULL);
	free(text);
	return copy;
}

static bool stage_one(struct record_cache *c, int64_t seq, int64_t ts_ms, const char *kind,
		      const json_t *data, const char hash[LOG_HASH_HEX_LEN + 1])
{
	if (c->n_staged == c->cap_staged) {
		size_t cap = c->cap_staged ? c->cap_staged * 2 : 16;
		struct log_record *grown = realloc(c->staged, cap * sizeof *grown);
		if (!grown)
			return false;
		c->staged = grown;
		c->cap_staged = cap;
	}
	struct log_record *e = &c->staged[c->n_staged];
	memset(e, 0, sizeof *e);
	e->seq = seq;
	log_format_ts(ts_ms, e->ts);
	if (!log_parse_ts(e->ts, &e->ts_ms))
		e->ts_ms = ts_ms;
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	memcpy(e->hash, hash, sizeof e->hash);
	e->data = as_logged(data);
	if (!e->data)
		return false;
	c->n_staged++;
	return true;
}

void record_cache_stage(struct room *r, int64_t seq, int64_t ts_ms, const char *kind,
			const json_t *data, const char hash[LOG_HASH_HEX_LEN + 1])
{
	struct record_cache *c = r->record;
	if (!c->broken && !stage_one(c, seq, ts_ms, kind, data, hash)) {
		c->broken = true;
		drop_staged(c);
	}
}

void record_cache_flushed(struct room *r, bool ok, int64_t durable_seq)
{
	struct record_cache *c = r->record;
	size_t done = 0;
	for (; ok && done < c->n_staged && c->staged[done].seq <= durable_seq; done++)
		record_fold_event(c->fold, &c->staged[done]);
	if (done)
		drop_renderings(c);
	if (!ok || done == c->n_staged) {
		drop_staged(c);
		return;
	}
	/* A replicated log commits one batch while the next is already staged: keep it. */
	for (size_t i = 0; i < done; i++)
		log_record_clear(&c->staged[i]);
	memmove(c->staged, c->staged + done, (c->n_staged - done) * sizeof *c->staged);
	c->n_staged -= done;
}

/* A fold that missed an event is thrown away and read again from the file, once nothing
 * is pending (the file then holds everything the fold should). */
static void repair(struct room *r, struct record_cache *c)
{
	if (!c->broken || log_file_has_pending(r->log))
		return;
	struct record_fold *fresh = record_fold_from_log(r);
	if (!fresh)
		return;
	record_fold_free(c->fold);
	c->fold = fresh;
	c->broken = false;
	drop_renderings(c);
}

static struct rendered *slot_for(struct record_cache *c, enum room_export what, const char *lang)
{
	if (what != ROOM_EXPORT_VTT)
		return &c->slots[what == ROOM_EXPORT_JSON   ? 0
				 : what == ROOM_EXPORT_TEXT ? 1
				 : what == ROOM_EXPORT_HTML ? 2
							    : 3];
	if (lang && strlen(lang) >= ROOM_LANG_MAX)
		return NULL; /* not a language anyone captions in: not worth a slot */
	struct rendered *oldest = &c->slots[4];
	for (int i = 4; i < CACHE_SLOTS; i++) {
		struct rendered *s = &c->slots[i];
		if (s->used && s->has_lang == (lang != NULL) &&
		    (!lang || strcmp(s->lang, lang) == 0))
			return s;
		if (!s->used || (oldest->used && s->last_use < oldest->last_use))
			oldest = s;
	}
	free(oldest->text); /* another language's: make way */
	memset(oldest, 0, sizeof *oldest);
	return oldest;
}

static bool copy_out(const struct rendered *s, char **out, size_t *len)
{
	char *text = malloc(s->len + 1);
	if (!text)
		return false;
	memcpy(text, s->text, s->len + 1);
	*out = text;
	*len = s->len;
	return true;
}

static void keep(struct rendered *s, enum room_export what, const char *lang, int64_t seq,
		 const char *text, size_t len)
{
	free(s->text);
	memset(s, 0, sizeof *s);
	if (len > CACHE_ENTRY_MAX || !(s->text = malloc(len + 1)))
		return;
	memcpy(s->text, text, len + 1);
	s->len = len;
	s->used = true;
	s->what = what;
	s->has_lang = lang != NULL;
	snprintf(s->lang, sizeof s->lang, "%s", lang ? lang : "");
	s->seq = seq;
}

/* The broken case: render from a fold of the file, as every request did before. */
static enum room_err render_from_file(struct room *r, enum room_export what, const char *lang,
				      char **out, size_t *len)
{
	struct record_fold *f = record_fold_from_log(r);
	if (!f)
		return ROOM_EINTERNAL;
	enum room_err err = record_render(record_fold_doc(f), what, lang, NULL, out, len);
	record_fold_free(f);
	return err;
}

enum room_err room_export_signed(struct room *r, enum room_export what, const char *lang,
				 const struct room_link_signer *links, char **out, size_t *len)
{
	if (!links || what != ROOM_EXPORT_HTML)
		return room_export(r, what, lang, out, len);
	struct record_cache *c = r->record;
	repair(r, c);
	struct record_fold *f = c->broken ? record_fold_from_log(r) : c->fold;
	if (!f)
		return ROOM_EINTERNAL;
	enum room_err err = record_render(record_fold_doc(f), what, lang, links, out, len);
	if (f != c->fold)
		record_fold_free(f);
	return err;
}

enum room_err room_export(struct room *r, enum room_export what, const char *lang, char **out,
			  size_t *len)
{
	struct record_cache *c = r->record;
	repair(r, c);
	if (c->broken)
		return render_from_file(r, what, lang, out, len);
	int64_t seq = record_fold_seq(c->fold);
	struct rendered *s = slot_for(c, what, lang);
	if (s) {
		s->last_use = ++c->uses;
		if (s->used && s->seq == seq)
			return copy_out(s, out, len) ? ROOM_OK : ROOM_EINTERNAL;
	}
	enum room_err err = record_render(record_fold_doc(c->fold), what, lang, NULL, out, len);
	if (err == ROOM_OK && s) {
		keep(s, what, lang, seq, *out, *len);
		s->last_use = c->uses;
	}
	return err;
}
