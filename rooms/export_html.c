/*
 * The record as a page for people: readable on a phone, printable, usable with a screen
 * reader (headings, tables with header cells, no colour-only meaning), with no script
 * and no external resource, so it can be archived as one file. Everything that came
 * from a person is escaped.
 */
#include <string.h>

#include "rooms/export.h"

static void h(struct sbuf *b, const char *s)
{
	sb_escaped(b, s);
}

static void head(struct sbuf *b, json_t *rec)
{
	json_t *room = json_object_get(rec, "room");
	sb_printf(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		     "<title>Record: ");
	h(b, rec_str(room, "title"));
	sb_printf(b, "</title>\n<style>\n"
		     "body{font:1rem/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;"
		     "padding:1rem;color:#111;background:#fff}\n"
		     "table{border-collapse:collapse;width:100%%;margin:.5rem 0 1.5rem}\n"
		     "th,td{border:1px solid #555;padding:.25rem .5rem;text-align:left;"
		     "vertical-align:top}\n"
		     "th{background:#eee}\ncode{word-break:break-all}\n"
		     "@media print{body{max-width:none}}\n</style>\n</head>\n<body>\n<main>\n<h1>");
	h(b, rec_str(room, "title"));
	sb_printf(b, "</h1>\n");
	json_t *s = json_object_get(rec, "session");
	sb_printf(b, "<p>Room <code>");
	h(b, rec_str(room, "id"));
	sb_printf(b, "</code>. Session ");
	h(b, rec_str(s, "title"));
	sb_printf(b, ": %s, started %s, ended %s.</p>\n", rec_str(s, "status"),
		  rec_str(s, "started")[0] ? rec_str(s, "started") : "-",
		  rec_str(s, "ended")[0] ? rec_str(s, "ended") : "-");
}

static void cell(struct sbuf *b, const char *s)
{
	sb_printf(b, "<td>");
	h(b, s);
	sb_printf(b, "</td>");
}

static void attendance(struct sbuf *b, json_t *rec)
{
	sb_printf(b, "<h2>Attendance</h2>\n<table>\n<thead><tr><th scope=\"col\">Name</th>"
		     "<th scope=\"col\">Role</th><th scope=\"col\">Group</th>"
		     "<th scope=\"col\">Location</th><th scope=\"col\">Joined</th></tr></thead>\n"
		     "<tbody>\n");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(rec, "attendance"), i, a)
	{
		json_t *first = json_array_get(json_object_get(a, "joined"), 0);
		sb_printf(b, "<tr>");
		cell(b, rec_str(a, "name"));
		cell(b, rec_str(a, "role"));
		cell(b, rec_str(a, "group"));
		cell(b, rec_str(a, "location"));
		cell(b, json_is_string(first) ? json_string_value(first) : "");
		sb_printf(b, "</tr>\n");
	}
	sb_printf(b, "</tbody>\n</table>\n");
}

static void floors(struct sbuf *b, json_t *rec)
{
	sb_printf(b, "<h2>Floor</h2>\n<table>\n<thead><tr><th scope=\"col\">At</th>"
		     "<th scope=\"col\">Speaker</th><th scope=\"col\">Group</th>"
		     "<th scope=\"col\">Location</th><th scope=\"col\">Kind</th>"
		     "<th scope=\"col\">Chosen by</th><th scope=\"col\">Duration</th>"
		     "<th scope=\"col\">Ended</th></tr></thead>\n<tbody>\n");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(rec, "floors"), i, f)
	{
		sb_printf(b, "<tr><td>");
		sb_clock(b, rec_num(f, "offset_ms"), false);
		sb_printf(b, "</td>");
		cell(b, rec_str(f, "name"));
		cell(b, rec_str(f, "group"));
		cell(b, rec_str(f, "location"));
		cell(b, rec_str(f, "kind"));
		cell(b, rec_str(f, "policy"));
		sb_printf(b, "<td>");
		sb_duration(b, rec_num(f, "duration_ms"));
		sb_printf(b, "</td>");
		cell(b, rec_str(f, "reason"));
		sb_printf(b, "</tr>\n");
	}
	sb_printf(b, "</tbody>\n</table>\n");
}

/* Chairs' open microphones besides the floor, then removals, readmissions, revocations
 * and mutes of the floor holder, each with who acted. */
static void moderation(struct sbuf *b, json_t *rec)
{
	size_t i;
	json_t *m, *mics = json_object_get(rec, "chair_mics"),
		   *mod = json_object_get(rec, "moderation");
	if (json_array_size(mics))
		sb_printf(b, "<h2>Chairs' microphones</h2>\n<table>\n<thead><tr><th scope=\"col\">"
			     "At</th><th scope=\"col\">Chair</th><th scope=\"col\">Open for</th>"
			     "<th scope=\"col\">Closed by</th></tr></thead>\n<tbody>\n");
	json_array_foreach(mics, i, m)
	{
		sb_printf(b, "<tr><td>");
		sb_clock(b, rec_num(m, "offset_ms"), false);
		sb_printf(b, "</td>");
		cell(b, rec_str(m, "name")[0] ? rec_str(m, "name") : rec_str(m, "pid"));
		sb_printf(b, "<td>");
		sb_duration(b, rec_num(m, "duration_ms"));
		sb_printf(b, "</td>");
		cell(b, rec_str(m, "closed_by"));
		sb_printf(b, "</tr>\n");
	}
	if (json_array_size(mics))
		sb_printf(b, "</tbody>\n</table>\n");
	if (json_array_size(mod))
		sb_printf(b, "<h2>Moderation</h2>\n<ul>\n");
	json_array_foreach(mod, i, m)
	{
		sb_printf(b, "<li>");
		h(b, rec_str(m, "ts"));
		sb_printf(b, " ");
		h(b, rec_str(m, "kind"));
		sb_printf(b, " ");
		h(b, rec_str(m, "pid")[0]   ? rec_str(m, "pid")
		     : rec_str(m, "sub")[0] ? rec_str(m, "sub")
					    : rec_str(m, "jti"));
		sb_printf(b, " by ");
		h(b, rec_str(m, "by"));
		if (rec_str(m, "reason")[0]) {
			sb_printf(b, " (");
			h(b, rec_str(m, "reason"));
			sb_printf(b, ")");
		}
		sb_printf(b, "</li>\n");
	}
	if (json_array_size(mod))
		sb_printf(b, "</ul>\n");
}

static void results(struct sbuf *b, json_t *rec, const char *key, const char *title,
		    const char *values)
{
	json_t *list = json_object_get(rec, key);
	if (!json_array_size(list))
		return;
	sb_printf(b, "<h2>%s</h2>\n", title);
	size_t i;
	json_t *row;
	json_array_foreach(list, i, row)
	{
		sb_printf(b, "<h3>");
		h(b, rec_str(row, "question"));
		sb_printf(b,
			  "</h3>\n<p>Eligible %lld, responded %lld.</p>\n<table>\n<thead><tr>"
			  "<th scope=\"col\">Option</th><th scope=\"col\">%s</th></tr></thead>\n"
			  "<tbody>\n",
			  rec_num(row, "eligible"),
			  json_object_get(row, "responded") ? rec_num(row, "responded")
							    : rec_num(row, "voters"),
			  strcmp(values, "levels") == 0 ? "Level" : "Count");
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(row, "options"), k, o)
		{
			json_t *v = json_array_get(json_object_get(row, values), k);
			sb_printf(b, "<tr>");
			cell(b, json_string_value(o));
			if (json_is_string(v))
				cell(b, json_string_value(v));
			else
				sb_printf(b, "<td>%lld</td>", (long long)json_integer_value(v));
			sb_printf(b, "</tr>\n");
		}
		sb_printf(b, "</tbody>\n</table>\n");
	}
}

static void statistics(struct sbuf *b, json_t *rec)
{
	static const char *const parts[][3] = {{"persons", "By person", "name"},
					       {"groups", "By stakeholder group", "group"},
					       {"locations", "Remote and in the room", "location"}};
	json_t *st = json_object_get(rec, "statistics");
	sb_printf(b, "<h2>Speaking time</h2>\n");
	for (int p = 0; p < 3; p++) {
		sb_printf(b,
			  "<h3>%s</h3>\n<table>\n<thead><tr><th scope=\"col\">%s</th>"
			  "<th scope=\"col\">Interventions</th><th scope=\"col\">Total</th>"
			  "<th scope=\"col\">Median</th><th scope=\"col\">Mean wait</th></tr>"
			  "</thead>\n<tbody>\n",
			  parts[p][1], parts[p][2]);
		size_t i;
		json_t *row;
		json_array_foreach(json_object_get(st, parts[p][0]), i, row)
		{
			sb_printf(b, "<tr>");
			cell(b, rec_str(row, parts[p][2]));
			sb_printf(b, "<td>%lld</td><td>", rec_num(row, "interventions"));
			sb_duration(b, rec_num(row, "total_ms"));
			sb_printf(b, "</td><td>");
			sb_duration(b, rec_num(row, "median_ms"));
			sb_printf(b, "</td><td>");
			sb_duration(b, rec_num(row, "mean_wait_ms"));
			sb_printf(b, "</td></tr>\n");
		}
		sb_printf(b, "</tbody>\n</table>\n");
	}
}

static void captions(struct sbuf *b, json_t *rec)
{
	sb_printf(b, "<h2>Captions</h2>\n");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(rec, "captions"), i, c)
	{
		json_t *sp = json_object_get(c, "speaker");
		sb_printf(b, "<p lang=\"");
		h(b, rec_str(c, "lang"));
		sb_printf(b, "\"><span>[");
		sb_clock(b, rec_num(c, "offset_ms"), false);
		sb_printf(b, "]</span> ");
		if (json_is_object(sp)) {
			sb_printf(b, "<strong>");
			h(b, rec_str(sp, "name"));
			sb_printf(b, ":</strong> ");
		}
		h(b, rec_str(c, "text"));
		sb_printf(b, "</p>\n");
	}
}

void room_render_html(struct sbuf *b, json_t *rec)
{
	head(b, rec);
	attendance(b, rec);
	floors(b, rec);
	moderation(b, rec);
	results(b, rec, "hums", "Hums (shares of those eligible, not votes)", "levels");
	results(b, rec, "polls", "Polls", "counts");
	statistics(b, rec);
	captions(b, rec);
	json_t *hd = json_object_get(rec, "head");
	sb_printf(b,
		  "<h2>Verifying this record</h2>\n<p>This page is derived from the room's "
		  "hash-chained log. Its last line is number %lld with SHA-256 hash</p>\n"
		  "<p><code id=\"head-hash\">%s</code></p>\n<p>Each line's hash is SHA-256 of "
		  "the previous hash followed by the RFC 8785 canonical JSON of "
		  "{seq, ts, kind, data}. Anyone who followed the meeting live holds the hashes "
		  "they saw and can check them against the published log.</p>\n"
		  "</main>\n</body>\n</html>\n",
		  rec_num(hd, "seq"), rec_str(hd, "hash"));
}
