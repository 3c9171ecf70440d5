/*
 * The record's interpretation: which channels the room had and who interpreted in each,
 * when (from interp.taken, participant.left and session.ended), and the floor's declared
 * languages in order (floor.lang). The part is added to the record document only once a
 * booth or a floor language appears, so a room without interpretation has the record it
 * always had.
 *
 *   "interpretation": {"channels": [{"lang", "turns": [{"pid", "name", "by", "from",
 *                                      "to", "duration_ms"}]}],
 *                      "floor_langs": [{"lang", "ts", "by"}]}
 *
 * A turn still on air has no "to" yet. The open turn of a booth is always its last.
 */
#include <string.h>

#include "rooms/record_cache.h"

static json_t *part(json_t *rec)
{
	json_t *p = json_object_get(rec, "interpretation");
	if (!p) {
		p = json_pack("{s:[],s:[]}", "channels", "floor_langs");
		json_object_set_new(rec, "interpretation", p);
	}
	return p;
}

static json_t *channel(json_t *rec, const char *lang)
{
	json_t *chs = json_object_get(part(rec), "channels"), *c;
	size_t i;
	json_array_foreach(chs, i, c) if (strcmp(json_string_value(json_object_get(c, "lang")),
						 lang) == 0) return c;
	c = json_pack("{s:s,s:[]}", "lang", lang, "turns");
	json_array_append_new(chs, c);
	return c;
}

/* Ends the channel's open turn (if its pid is pid, or any pid when pid is NULL). */
static void end_turn(json_t *c, const char *pid, const struct log_record *e)
{
	json_t *turns = json_object_get(c, "turns");
	json_t *last = json_array_get(turns, json_array_size(turns) - 1);
	if (!last || json_object_get(last, "to"))
		return;
	if (pid && strcmp(json_string_value(json_object_get(last, "pid")), pid) != 0)
		return;
	int64_t from_ms = 0;
	log_parse_ts(json_string_value(json_object_get(last, "from")), &from_ms);
	json_object_set_new(last, "to", json_string(e->ts));
	json_object_set_new(last, "duration_ms", json_integer(e->ts_ms - from_ms));
}

static void end_turns(json_t *rec, const char *pid, const struct log_record *e)
{
	json_t *p = json_object_get(rec, "interpretation"), *c;
	size_t i;
	json_array_foreach(json_object_get(p, "channels"), i, c) end_turn(c, pid, e);
}

static void on_taken(json_t *rec, const struct log_record *e)
{
	const char *lang = json_string_value(json_object_get(e->data, "lang"));
	if (!lang)
		return;
	json_t *c = channel(rec, lang), *pid = json_object_get(e->data, "pid");
	end_turn(c, NULL, e);
	if (json_is_string(pid))
		json_array_append_new(json_object_get(c, "turns"),
				      json_pack("{s:O,s:O,s:O,s:s}", "pid", pid, "name",
						json_object_get(e->data, "name"), "by",
						json_object_get(e->data, "by"), "from", e->ts));
}

void record_interp_event(json_t *rec, const struct log_record *e)
{
	const char *k = e->kind;
	if (strcmp(k, "interp.taken") == 0)
		on_taken(rec, e);
	else if (strcmp(k, "floor.lang") == 0)
		json_array_append_new(json_object_get(part(rec), "floor_langs"),
				      json_pack("{s:O,s:s,s:O}", "lang",
						json_object_get(e->data, "lang"), "ts", e->ts, "by",
						json_object_get(e->data, "by")));
	else if (strcmp(k, "participant.left") == 0)
		end_turns(rec, json_string_value(json_object_get(e->data, "pid")), e);
	else if (strcmp(k, "session.ended") == 0)
		end_turns(rec, NULL, e);
}
