/*
 * The minutes: the record as plain text a person can read top to bottom -- who attended,
 * who had the floor and why, the hums and polls, speaking time by person, group and
 * location, the captions, and at the end the chain's head to verify it all against.
 */
#include <string.h>

#include "rooms/export.h"

/* --- text minutes --- */

static void text_floors(struct sbuf *b, json_t *rec)
{
	size_t i;
	json_t *f;
	sb_printf(b, "\nFloor (%zu interventions)\n",
		  json_array_size(json_object_get(rec, "floors")));
	json_array_foreach(json_object_get(rec, "floors"), i, f)
	{
		sb_printf(b, "  [");
		sb_clock(b, rec_num(f, "offset_ms"), false);
		sb_printf(b, "] %s (%s%s%s) %s, chosen by %s, ", rec_str(f, "name"),
			  rec_str(f, "group"), rec_str(f, "group")[0] ? ", " : "",
			  rec_str(f, "location"), rec_str(f, "kind"), rec_str(f, "policy"));
		if (json_object_get(f, "ended")) {
			sb_duration(b, rec_num(f, "duration_ms"));
			sb_printf(b, ", ended: %s\n", rec_str(f, "reason"));
		} else {
			sb_printf(b, "still speaking\n");
		}
	}
}

/* What the mix carried besides the floor, and who was removed, readmitted or muted. */
static void text_moderation(struct sbuf *b, json_t *rec)
{
	size_t i;
	json_t *m;
	json_t *mics = json_object_get(rec, "chair_mics"),
	       *mod = json_object_get(rec, "moderation");
	if (json_array_size(mics))
		sb_printf(b, "\nChairs' microphones (open besides the floor)\n");
	json_array_foreach(mics, i, m)
	{
		sb_printf(b, "  [");
		sb_clock(b, rec_num(m, "offset_ms"), false);
		sb_printf(b, "] %s, ",
			  rec_str(m, "name")[0] ? rec_str(m, "name") : rec_str(m, "pid"));
		if (json_object_get(m, "closed")) {
			sb_duration(b, rec_num(m, "duration_ms"));
			sb_printf(b, ", closed by %s\n",
				  rec_str(m, "closed_by")[0] ? rec_str(m, "closed_by")
							     : "the server");
		} else {
			sb_printf(b, "still open\n");
		}
	}
	if (json_array_size(mod))
		sb_printf(b, "\nModeration\n");
	json_array_foreach(mod, i, m)
	{
		sb_printf(b, "  %s %s %s by %s%s%s%s\n", rec_str(m, "ts"), rec_str(m, "kind"),
			  rec_str(m, "pid")[0]	 ? rec_str(m, "pid")
			  : rec_str(m, "sub")[0] ? rec_str(m, "sub")
						 : rec_str(m, "jti"),
			  rec_str(m, "by"), rec_str(m, "reason")[0] ? " (" : "",
			  rec_str(m, "reason"), rec_str(m, "reason")[0] ? ")" : "");
	}
}

static void text_levels(struct sbuf *b, json_t *row, const char *values_key)
{
	size_t i;
	json_t *o;
	json_t *values = json_object_get(row, values_key);
	json_t *counts = json_object_get(row, "counts");
	json_array_foreach(json_object_get(row, "options"), i, o)
	{
		json_t *v = json_array_get(values, i);
		sb_printf(b, "    %s: ", json_string_value(o));
		if (json_is_string(v))
			sb_printf(b, "%s", json_string_value(v));
		else
			sb_printf(b, "%lld", (long long)json_integer_value(v));
		if (counts && json_is_string(v))
			sb_printf(b, " (%lld)",
				  (long long)json_integer_value(json_array_get(counts, i)));
		sb_printf(b, "\n");
	}
}

static void text_sense(struct sbuf *b, json_t *rec)
{
	size_t i;
	json_t *h;
	if (json_array_size(json_object_get(rec, "hums")))
		sb_printf(b, "\nHums (levels are shares of those eligible, not votes)\n");
	json_array_foreach(json_object_get(rec, "hums"), i, h)
	{
		sb_printf(b, "  %s -- eligible %lld, responded %lld\n", rec_str(h, "question"),
			  rec_num(h, "eligible"), rec_num(h, "responded"));
		text_levels(b, h, "levels");
	}
	if (json_array_size(json_object_get(rec, "polls")))
		sb_printf(b, "\nPolls\n");
	json_array_foreach(json_object_get(rec, "polls"), i, h)
	{
		sb_printf(
		    b, "  %s%s -- %lld voted, %lld did not answer (%s)\n", rec_str(h, "question"),
		    json_is_true(json_object_get(h, "show_of_hands")) ? " [show of hands]" : "",
		    rec_num(h, "voters"), rec_num(h, "not_answered"),
		    json_is_true(json_object_get(h, "anonymous")) ? "anonymous" : "named");
		text_levels(b, h, "counts");
	}
}

static void text_stats(struct sbuf *b, json_t *rec)
{
	json_t *st = json_object_get(rec, "statistics");
	static const char *const parts[][2] = {{"persons", "By person"},
					       {"groups", "By stakeholder group"},
					       {"locations", "Remote and in the room"}};
	sb_printf(b, "\nSpeaking time\n");
	for (int p = 0; p < 3; p++) {
		sb_printf(b, "  %s\n", parts[p][1]);
		size_t i;
		json_t *row;
		json_array_foreach(json_object_get(st, parts[p][0]), i, row)
		{
			const char *label = p == 0   ? rec_str(row, "name")
					    : p == 1 ? rec_str(row, "group")
						     : rec_str(row, "location");
			sb_printf(b, "    %s: %lld interventions, total ",
				  label[0] ? label : "(none)", rec_num(row, "interventions"));
			sb_duration(b, rec_num(row, "total_ms"));
			sb_printf(b, ", median ");
			sb_duration(b, rec_num(row, "median_ms"));
			sb_printf(b, ", mean wait ");
			sb_duration(b, rec_num(row, "mean_wait_ms"));
			sb_printf(b, "\n");
		}
	}
}

void room_render_text(struct sbuf *b, json_t *rec)
{
	json_t *room = json_object_get(rec, "room"), *s = json_object_get(rec, "session");
	sb_printf(b, "Record of %s (room %s)\n", rec_str(room, "title"), rec_str(room, "id"));
	sb_printf(b, "Session: %s -- status %s, started %s, ended %s\n", rec_str(s, "title"),
		  rec_str(s, "status"), rec_str(s, "started")[0] ? rec_str(s, "started") : "-",
		  rec_str(s, "ended")[0] ? rec_str(s, "ended") : "-");
	size_t i;
	json_t *a;
	sb_printf(b, "\nAttendance (chairs, participants, captioners)\n");
	json_array_foreach(json_object_get(rec, "attendance"), i, a)
	{
		json_t *first = json_array_get(json_object_get(a, "joined"), 0);
		sb_printf(b, "  %s -- %s, %s%s%s, joined %s\n", rec_str(a, "name"),
			  rec_str(a, "role"), rec_str(a, "group"),
			  rec_str(a, "group")[0] ? ", " : "", rec_str(a, "location"),
			  json_is_string(first) ? json_string_value(first) : "-");
	}
	text_floors(b, rec);
	text_moderation(b, rec);
	text_sense(b, rec);
	text_stats(b, rec);
	sb_printf(b, "\nCaptions\n");
	json_array_foreach(json_object_get(rec, "captions"), i, a)
	{
		sb_printf(b, "  [");
		sb_clock(b, rec_num(a, "offset_ms"), false);
		json_t *sp = json_object_get(a, "speaker");
		sb_printf(b, "] (%s) %s%s%s\n", rec_str(a, "lang"),
			  json_is_object(sp) ? rec_str(sp, "name") : "",
			  json_is_object(sp) ? ": " : "", rec_str(a, "text"));
	}
	json_t *head = json_object_get(rec, "head");
	sb_printf(
	    b,
	    "\nLog head: seq %lld, SHA-256 %s\n"
	    "Verify with `plenaryd verify` on the log (GET /api/rooms/%s/log), or any\n"
	    "implementation of the chain: hash = SHA-256(prev || RFC 8785 JSON of\n"
	    "{seq,ts,kind,data}). If you watched live, your last event's hash must be in it.\n",
	    rec_num(head, "seq"), rec_str(head, "hash"), rec_str(room, "id"));
}
