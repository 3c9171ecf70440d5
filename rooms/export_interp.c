/*
 * The minutes' interpretation: each channel and who interpreted in it, when and for how
 * long, and the floor's declared languages (record_interp.c folds them). Nothing for a
 * room without booths, so its minutes are what they always were.
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
