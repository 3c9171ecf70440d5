/*
 * The minutes: the record as plain text a person can read top to bottom -- who attended,
 * who had the floor and why, the hums and polls, speaking time by person, group and
 * location, the captions, and at the end the chain's head to verify it all against.
 * In words, not wire names (labels.c), with times in the meeting's time zone and in UTC
 * and durations as h:mm:ss (export_time.c).
 */
#include <string.h>

#include "rooms/export.h"

/* --- text minutes --- */

static void who(struct sbuf *b, json_t *p)
{
	const char *group = label(LABEL_GROUP, rec_str(p, "group"));
	sb_printf(b, "%s (%s%s%s)", rec_str(p, "name"), group, group[0] ? ", " : "",
		  label(LABEL_LOCATION, rec_str(p, "location")));
}

static void text_floors(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	size_t i;
	json_t *f;
	sb_printf(b, "\nFloor (%zu interventions)\n",
		  json_array_size(json_object_get(rec, "floors")));
	json_array_foreach(json_object_get(rec, "floors"), i, f)
	{
		sb_printf(b, "  [");
		sb_clock(b, rec_num(f, "offset_ms"), false);
		sb_printf(b, "] ");
		sb_when(b, clock, rec_str(f, "started"), false, false);
		sb_printf(b, " ");
		who(b, f);
		sb_printf(b, ": %s; %s; ", label(LABEL_KIND, rec_str(f, "kind")),
			  label(LABEL_CHOSEN, rec_str(f, "policy")));
		if (json_object_get(f, "ended")) {
			sb_hms(b, rec_num(f, "duration_ms"));
			sb_printf(b, ", %s\n", label(LABEL_END, rec_str(f, "reason")));
		} else {
			sb_printf(b, "still speaking\n");
		}
	}
}

static void text_levels(struct sbuf *b, json_t *row, const char *values_key)
{
	bool levels = strcmp(values_key, "levels") == 0;
	size_t i;
	json_t *o;
	json_t *values = json_object_get(row, values_key);
	json_t *counts = json_object_get(row, "counts");
	json_array_foreach(json_object_get(row, "options"), i, o)
	{
		json_t *v = json_array_get(values, i);
		sb_printf(b, "    %s: ", json_string_value(o));
		if (json_is_string(v))
			sb_printf(b, "%s",
				  levels ? label(LABEL_LEVEL, json_string_value(v))
					 : json_string_value(v));
		else
			sb_printf(b, "%lld", (long long)json_integer_value(v));
		if (counts && json_is_string(v))
			sb_printf(b, " (%lld)",
				  (long long)json_integer_value(json_array_get(counts, i)));
		sb_printf(b, "\n");
	}
}

static void text_ballots(struct sbuf *b, json_t *p)
{
	size_t i, k;
	json_t *v, *c;
	json_array_foreach(json_object_get(p, "ballots"), i, v)
	{
		const char *group = label(LABEL_GROUP, rec_str(v, "group"));
		sb_printf(b, "    ballot: %s%s%s%s: ", rec_str(v, "name"), group[0] ? " (" : "",
			  group, group[0] ? ")" : "");
		json_t *choices = json_object_get(v, "choices");
		if (!json_array_size(choices))
			sb_printf(b, "no choice");
		json_array_foreach(choices, k, c)
		{
			json_t *o = json_array_get(json_object_get(p, "options"),
						   (size_t)json_integer_value(c));
			sb_printf(b, "%s%s", k ? ", " : "",
				  json_is_string(o) ? json_string_value(o) : "?");
		}
		sb_printf(b, "\n");
	}
}

static void text_sense(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	size_t i;
	json_t *h;
	if (json_array_size(json_object_get(rec, "hums")))
		sb_printf(b, "\nHums (levels are shares of those eligible, not votes)\n");
	json_array_foreach(json_object_get(rec, "hums"), i, h)
	{
		sb_printf(b, "  %s -- ended ", rec_str(h, "question"));
		sb_when(b, clock, rec_str(h, "ended"), false, false);
		sb_printf(b, "; %lld of %lld eligible hummed\n", rec_num(h, "responded"),
			  rec_num(h, "eligible"));
		text_levels(b, h, "levels");
	}
	if (json_array_size(json_object_get(rec, "polls")))
		sb_printf(b, "\nPolls and shows of hands\n");
	json_array_foreach(json_object_get(rec, "polls"), i, h)
	{
		bool hands = json_is_true(json_object_get(h, "show_of_hands"));
		sb_printf(b, "  %s -- %s, %s; ended ", rec_str(h, "question"),
			  hands						 ? "Show of hands"
			  : json_is_true(json_object_get(h, "multiple")) ? "Poll: choose any number"
									 : "Poll: choose one",
			  json_is_true(json_object_get(h, "anonymous")) ? "anonymous" : "named");
		sb_when(b, clock, rec_str(h, "ended"), false, false);
		sb_printf(b, "; %lld voted, %lld did not answer\n", rec_num(h, "voters"),
			  rec_num(h, "not_answered"));
		text_levels(b, h, "counts");
		text_ballots(b, h);
	}
}

static void text_stats(struct sbuf *b, json_t *rec)
{
	json_t *st = json_object_get(rec, "statistics");
	static const char *const parts[][2] = {{"persons", "By person"},
					       {"groups", "By stakeholder group"},
					       {"locations", "In the room and remote"}};
	sb_printf(b, "\nSpeaking time\n");
	for (int p = 0; p < 3; p++) {
		sb_printf(b, "  %s\n", parts[p][1]);
		size_t i;
		json_t *row;
		json_array_foreach(json_object_get(st, parts[p][0]), i, row)
		{
			const char *name = p == 0 ? rec_str(row, "name")
					   : p == 1
					       ? label(LABEL_GROUP, rec_str(row, "group"))
					       : label(LABEL_LOCATION, rec_str(row, "location"));
			sb_printf(b, "    %s: %lld interventions, total ",
				  name[0] ? name : "(none)", rec_num(row, "interventions"));
			sb_hms(b, rec_num(row, "total_ms"));
			sb_printf(b, ", median ");
			sb_hms(b, rec_num(row, "median_ms"));
			sb_printf(b, ", mean wait ");
			sb_hms(b, rec_num(row, "mean_wait_ms"));
			sb_printf(b, "\n");
		}
	}
}

static void text_head(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	json_t *room = json_object_get(rec, "room"), *s = json_object_get(rec, "session");
	sb_printf(b, "Record of %s (room %s)\n", rec_str(room, "title"), rec_str(room, "id"));
	sb_printf(b, "Session: %s -- %s\n", rec_str(s, "title")[0] ? rec_str(s, "title") : "-",
		  label(LABEL_STATUS, rec_str(s, "status")));
	sb_printf(b, "Started: ");
	sb_when(b, clock, rec_str(s, "started"), true, false);
	sb_printf(b, "\nEnded: ");
	sb_when(b, clock, rec_str(s, "ended"), true, false);
	if (json_object_get(s, "duration_ms")) {
		sb_printf(b, "\nDuration: ");
		sb_hms(b, rec_num(s, "duration_ms"));
	}
	sb_printf(b, "\nTime zone: %s%s\n", clock->zone ? clock->name : "UTC",
		  clock->zone ? " (UTC in brackets)" : "");
}

static void text_attendance(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	size_t i;
	json_t *a;
	sb_printf(b, "\nAttendance (chairs, participants, captioners)\n");
	json_array_foreach(json_object_get(rec, "attendance"), i, a)
	{
		json_t *first = json_array_get(json_object_get(a, "joined"), 0);
		sb_printf(b, "  ");
		who(b, a);
		sb_printf(b, " -- %s, joined ", label(LABEL_ROLE, rec_str(a, "role")));
		sb_when(b, clock, json_string_value(first), false, false);
		json_t *left = json_object_get(a, "left");
		json_t *last = json_array_get(left, json_array_size(left) - 1);
		if (last) {
			sb_printf(b, ", left ");
			sb_when(b, clock, rec_str(last, "ts"), false, false);
			sb_printf(b, " (%s)", label(LABEL_LEFT, rec_str(last, "reason")));
		}
		sb_printf(b, "\n");
	}
}

void room_render_text(struct sbuf *b, json_t *rec)
{
	struct rec_clock clock;
	rec_clock_init(&clock, rec);
	json_t *room = json_object_get(rec, "room");
	text_head(b, rec, &clock);
	text_attendance(b, rec, &clock);
	text_floors(b, rec, &clock);
	room_render_moderation_text(b, rec, &clock);
	room_render_interp_text(b, rec, &clock);
	text_sense(b, rec, &clock);
	text_stats(b, rec);
	size_t i;
	json_t *a;
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
	    "\nHow to verify: the log's last line is seq %lld, SHA-256 %s\n"
	    "Download the log (GET /api/rooms/%s/log) and run `plenaryd verify FILE`: it must\n"
	    "print ok seq=%lld hash=%s. Or check the chain with any implementation:\n"
	    "hash = SHA-256(prev || RFC 8785 JSON of {seq,ts,kind,data}). If you watched live,\n"
	    "your last event's hash must be in it.\n",
	    rec_num(head, "seq"), rec_str(head, "hash"), rec_str(room, "id"), rec_num(head, "seq"),
	    rec_str(head, "hash"));
	rec_clock_fini(&clock);
}
