/*
 * record_render(): one rendering of the record document (record_cache.c keeps them).
 * polls.json is the closed polls in order, in the shape IETF Datatracker imports: each
 * {start_time, end_time, text, options, counts}, and for a show of hands also
 * raise_hand and do_not_raise_hand.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/export.h"
#include "rooms/record_cache.h"

static json_t *room_render_polls(json_t *rec)
{
	json_t *out = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(rec, "polls"), i, p)
	{
		json_t *row = json_pack(
		    "{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "poll", json_object_get(p, "poll"),
		    "start_time", json_object_get(p, "started"), "end_time",
		    json_object_get(p, "ended"), "text", json_object_get(p, "question"), "options",
		    json_object_get(p, "options"), "counts", json_object_get(p, "counts"), "voters",
		    json_object_get(p, "voters"), "not_answered",
		    json_object_get(p, "not_answered"));
		if (row && json_is_true(json_object_get(p, "show_of_hands"))) {
			json_t *counts = json_object_get(p, "counts");
			json_object_set(row, "raise_hand", json_array_get(counts, 0));
			json_object_set(row, "do_not_raise_hand", json_array_get(counts, 1));
		}
		json_array_append_new(out, row);
	}
	return out;
}

enum room_err record_render(json_t *rec, enum room_export what, const char *lang,
			    const struct room_link_signer *links, char **out, size_t *len)
{
	char *text = NULL;
	if (what == ROOM_EXPORT_JSON || what == ROOM_EXPORT_POLLS) {
		json_t *doc = what == ROOM_EXPORT_JSON ? json_incref(rec) : room_render_polls(rec);
		text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		json_decref(doc);
		if (text) {
			size_t n = strlen(text);
			char *nl = realloc(text, n + 2);
			if (nl) {
				nl[n] = '\n';
				nl[n + 1] = '\0';
				text = nl;
			}
		}
	} else {
		struct sbuf b = {0};
		if (what == ROOM_EXPORT_TEXT)
			room_render_text(&b, rec);
		else if (what == ROOM_EXPORT_VTT)
			room_render_vtt(&b, rec, lang);
		else
			room_render_html(&b, rec, links);
		if (b.failed)
			free(b.p);
		else
			text = b.p;
	}
	if (!text)
		return ROOM_EINTERNAL;
	*out = text;
	*len = strlen(text);
	return ROOM_OK;
}
