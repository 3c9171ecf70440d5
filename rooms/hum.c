/*
 * Hums (RFC 7282): the room's sense, anonymous and qualitative -- not a vote.
 *
 * Who hummed what is held in memory only, in the person's hum_cast, and never leaves
 * this file: it is not in an event, not in the log, not in a debug line. What leaves is
 * a level per option -- the option's share of the eligible (chairs and participants
 * connected when the hum ends): none, weak (<20 %), moderate (<40 %), strong (<60 %),
 * very_strong -- and exact counts only when the room allows it and at least five
 * responded, so a count can never single out one person in a small room.
 *
 * The chairs' live hum.levels keep to the same five: below it they carry only how many
 * responded (levels null). Otherwise, with one or two casts, the level that moves when
 * a cast arrives says what that one person hummed -- and a chair who saw who hummed
 * just then would know it. How many responded says that someone hummed, never what.
 */
#include <string.h>

#include "rooms/room_internal.h"

/* Fewer casts than this: no exact counts in the result, no live levels. */
#define HUM_MIN_RESPONDED 5

static const char *level_name(int count, int eligible)
{
	if (count <= 0 || eligible <= 0)
		return "none";
	if (count * 5 < eligible)
		return "weak";
	if (count * 5 < eligible * 2)
		return "moderate";
	if (count * 5 < eligible * 3)
		return "strong";
	return "very_strong";
}

struct hum_tally {
	int eligible, responded;
	int counts[ROOM_HUM_OPTIONS_MAX];
};

static void tally(const struct room *r, struct hum_tally *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < r->n_people; i++) {
		const struct person *p = &r->people[i];
		if (!p->present || p->connections <= 0 || !room_is_voice(p->role))
			continue;
		t->eligible++;
		if (p->hum_cast >= 0 && p->hum_cast < r->hum.n_options) {
			t->responded++;
			t->counts[p->hum_cast]++;
		}
	}
}

static json_t *levels_json(const struct room *r, const struct hum_tally *t)
{
	json_t *levels = json_array();
	for (int i = 0; i < r->hum.n_options; i++)
		json_array_append_new(levels, json_string(level_name(t->counts[i], t->eligible)));
	return levels;
}

void room_hum_forget_casts(struct room *r)
{
	for (size_t i = 0; i < r->n_people; i++)
		r->people[i].hum_cast = -1;
	r->hum.levels_dirty = false;
}

void room_hum_levels_maybe(struct room *r, int64_t now, bool force)
{
	if (!r->hum.open)
		return;
	r->hum.levels_dirty = true;
	if (!force && now - r->hum.levels_sent_ms < 500)
		return; /* the clock sends it when the half second is up */
	r->hum.levels_dirty = false;
	r->hum.levels_sent_ms = now;
	struct hum_tally t;
	tally(r, &t);
	json_t *levels = t.responded >= HUM_MIN_RESPONDED ? levels_json(r, &t) : json_null();
	room_send_private(r, NULL, ROOM_ROLE_CHAIR, "hum.levels",
			  json_pack("{s:I,s:o,s:i,s:i,s:i}", "hum", (json_int_t)r->hum.id, "levels",
				    levels, "responded", t.responded, "eligible", t.eligible,
				    "min_responded", HUM_MIN_RESPONDED));
}

enum room_err cmd_hum_start(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	const char *question = NULL;
	json_t *options = NULL;
	if (!field_string(ctx, "question", true, ROOM_QUESTION_MAX - 1, &question) ||
	    !field_options(ctx, 2, ROOM_HUM_OPTIONS_MAX, &options))
		return ROOM_EBAD_REQUEST;
	if (!question[0]) {
		ctx->message = "question must not be empty";
		return ROOM_EBAD_REQUEST;
	}
	if (r->hum.open) {
		ctx->message = "a hum is already open";
		return ROOM_ECONFLICT;
	}
	int64_t id = r->hums_started + 1;
	enum room_err err = room_emit(r, "hum.started",
				      json_pack("{s:I,s:s,s:O}", "hum", (json_int_t)id, "question",
						question, "options", options),
				      ctx->now);
	if (err == ROOM_OK) {
		ctx->result = json_pack("{s:I}", "hum", (json_int_t)id);
		room_hum_levels_maybe(r, ctx->now, true);
	}
	return err;
}

static bool hum_is_open(struct room_cmd_ctx *ctx, enum room_err *err)
{
	int64_t id = 0;
	if (!field_int(ctx, "hum", true, 1, INT64_MAX, &id)) {
		*err = ROOM_EBAD_REQUEST;
		return false;
	}
	if (!ctx->r->hum.open || ctx->r->hum.id != id) {
		ctx->message = "no such open hum";
		*err = id <= ctx->r->hums_started ? ROOM_ECONFLICT : ROOM_ENOT_FOUND;
		return false;
	}
	return true;
}

enum room_err cmd_hum_cast(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	enum room_err err = ROOM_OK;
	json_t *option = json_object_get(ctx->cmd, "option");
	if (!option || !(json_is_null(option) || json_is_integer(option))) {
		ctx->message = "option must be an option index or null";
		return ROOM_EBAD_REQUEST;
	}
	if (!hum_is_open(ctx, &err))
		return err;
	json_int_t choice = json_is_null(option) ? -1 : json_integer_value(option);
	if (!json_is_null(option) && (choice < 0 || choice >= r->hum.n_options)) {
		ctx->message = "option is out of range";
		return ROOM_EBAD_REQUEST;
	}
	struct person *p = room_person(r, ctx->who->pid);
	if (!p)
		return ROOM_EINTERNAL;
	p->hum_cast = (int)choice;
	room_hum_levels_maybe(r, ctx->now, false);
	return ROOM_OK;
}

enum room_err room_end_hum(struct room *r, int64_t now)
{
	struct hum_tally t;
	tally(r, &t);
	json_t *options = json_array();
	for (int i = 0; i < r->hum.n_options; i++)
		json_array_append_new(options, json_string(r->hum.options[i]));
	json_t *data =
	    json_pack("{s:I,s:s,s:o,s:i,s:i,s:o}", "hum", (json_int_t)r->hum.id, "question",
		      r->hum.question, "options", options, "eligible", t.eligible, "responded",
		      t.responded, "levels", levels_json(r, &t));
	if (data && r->reveal_hum_counts && t.responded >= HUM_MIN_RESPONDED) {
		json_t *counts = json_array();
		for (int i = 0; i < r->hum.n_options; i++)
			json_array_append_new(counts, json_integer(t.counts[i]));
		json_object_set_new(data, "counts", counts);
	}
	return room_emit(r, "hum.ended", data, now);
}

enum room_err cmd_hum_end(struct room_cmd_ctx *ctx)
{
	enum room_err err = ROOM_OK;
	if (!hum_is_open(ctx, &err))
		return err;
	return room_end_hum(ctx->r, ctx->now);
}
