/*
 * The interpretation in the minutes and on the record page: each channel and who
 * interpreted in it, when and for how long, and the floor's declared languages
 * (record_interp.c folds them). Nothing for a room without booths, so its minutes and
 * its page are what they always were.
 */
#include "rooms/export.h"

static void text_turns(struct sbuf *b, json_t *channel, const struct rec_clock *clock)
{
	size_t i;
	json_t *t;
	sb_printf(b, "  %s (%s)\n", label(LABEL_LANGUAGE, rec_str(channel, "lang")),
		  rec_str(channel, "lang"));
	json_array_foreach(json_object_get(channel, "turns"), i, t)
	{
		sb_printf(b, "    %s from ", rec_str(t, "name"));
		sb_when(b, clock, rec_str(t, "from"), false, false);
		if (json_object_get(t, "to")) {
			sb_printf(b, " to ");
			sb_when(b, clock, rec_str(t, "to"), false, false);
			sb_printf(b, " (");
			sb_hms(b, rec_num(t, "duration_ms"));
			sb_printf(b, ")\n");
		} else {
			sb_printf(b, ", still on air\n");
		}
	}
}

void room_render_interp_text(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	json_t *part = json_object_get(rec, "interpretation");
	if (!part)
		return;
	size_t i;
	json_t *v;
	sb_printf(b, "\nInterpretation (%zu channels)\n",
		  json_array_size(json_object_get(part, "channels")));
	json_array_foreach(json_object_get(part, "channels"), i, v) text_turns(b, v, clock);
	json_array_foreach(json_object_get(part, "floor_langs"), i, v)
	{
		sb_printf(b, "  The floor's language: %s (%s) from ",
			  label(LABEL_LANGUAGE, rec_str(v, "lang")), rec_str(v, "lang"));
		sb_when(b, clock, rec_str(v, "ts"), false, false);
		sb_printf(b, "\n");
	}
}

/* The page's section: one row per turn, the channel as the row's header, so a screen
 * reader names each turn by its language. */
static void html_turn(struct sbuf *b, json_t *channel, json_t *t, const struct rec_clock *clock)
{
	const char *lang = rec_str(channel, "lang");
	sb_printf(b, "<tr><th scope=\"row\">");
	sb_escaped(b, label(LABEL_LANGUAGE, lang));
	sb_printf(b, " (<span lang=\"");
	sb_escaped(b, lang);
	sb_printf(b, "\">");
	sb_escaped(b, lang);
	sb_printf(b, "</span>)</th><td>");
	sb_escaped(b, rec_str(t, "name"));
	sb_printf(b, "</td><td>");
	sb_when(b, clock, rec_str(t, "from"), false, true);
	sb_printf(b, "</td><td>");
	if (json_object_get(t, "to")) {
		sb_when(b, clock, rec_str(t, "to"), false, true);
		sb_printf(b, "</td><td class=\"n\">");
		sb_hms(b, rec_num(t, "duration_ms"));
		sb_printf(b, "</td></tr>\n");
	} else {
		sb_printf(b, "Still on air</td><td></td></tr>\n");
	}
}

static void html_floor_langs(struct sbuf *b, json_t *part, const struct rec_clock *clock)
{
	json_t *list = json_object_get(part, "floor_langs");
	if (!json_array_size(list))
		return;
	sb_printf(b, "<h3>The floor's language</h3>\n<ul>\n");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		sb_printf(b, "<li>");
		sb_escaped(b, label(LABEL_LANGUAGE, rec_str(v, "lang")));
		sb_printf(b, " (");
		sb_escaped(b, rec_str(v, "lang"));
		sb_printf(b, ") from ");
		sb_when(b, clock, rec_str(v, "ts"), false, true);
		sb_printf(b, "</li>\n");
	}
	sb_printf(b, "</ul>\n");
}

void room_render_interp_html(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	json_t *part = json_object_get(rec, "interpretation");
	if (!part)
		return;
	static const char *const cols[] = {"Channel", "Interpreter", "From",
					   "Until",   "Duration",    NULL};
	json_t *chs = json_object_get(part, "channels");
	sb_printf(
	    b,
	    "<section aria-labelledby=\"h-interp\">\n<h2 id=\"h-interp\">Interpretation</h2>\n"
	    "<p>%zu interpretation channels. Who interpreted in each, and when:</p>\n",
	    json_array_size(chs));
	html_table_open(b, "Interpretation", cols);
	size_t i, k;
	json_t *c, *t;
	json_array_foreach(chs, i, c)
	{
		json_array_foreach(json_object_get(c, "turns"), k, t) html_turn(b, c, t, clock);
	}
	html_table_close(b);
	html_floor_langs(b, part, clock);
	sb_printf(b, "</section>\n");
}
