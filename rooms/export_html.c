/*
 * The record as a page a secretariat can publish: readable on a phone (wide tables scroll
 * inside their own box, never the page), printable, usable with a screen reader
 * (headings, tables with header cells, lang on captions, no colour-only meaning), with no
 * script and no external resource, so it can be archived as one file. Words, not wire
 * names (labels.c); times in the meeting's time zone and in UTC (export_time.c); links to
 * the recording, the captions of each language, the data and the log, signed for a
 * private room (room_link_signer). Everything that came from a person is escaped.
 */
#include <stdio.h>
#include <string.h>

#include "rooms/export.h"

struct page {
	struct sbuf *b;
	json_t *rec;
	struct rec_clock clock;
	const struct room_link_signer *links;
};

static void h(struct sbuf *b, const char *s)
{
	sb_escaped(b, s);
}

static const char style[] =
    "body{font:1rem/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;"
    "color:#111;background:#fff;overflow-wrap:anywhere}\n"
    "a{color:#0645ad}\nh2{margin-top:2rem;border-bottom:1px solid #999}\n"
    ".scroll{overflow-x:auto;max-width:100%%}\n"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem;min-width:100%%}\n"
    "th,td{border:1px solid #555;padding:.25rem .5rem;text-align:left;vertical-align:top;"
    "overflow-wrap:normal}\n"
    "th{background:#eee}\ntd.n{text-align:right}\ncode{word-break:break-all}\n"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}\n"
    "dt{font-weight:bold}\ndd{margin:0}\n"
    "@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}\n"
    "@media print{body{max-width:none;font-size:10pt}.scroll{overflow:visible}"
    "h2,h3{break-after:avoid}tr{break-inside:avoid}a{color:#000}}\n";

static void head(struct page *pg)
{
	struct sbuf *b = pg->b;
	json_t *room = json_object_get(pg->rec, "room");
	sb_printf(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		     "<title>Record: ");
	h(b, rec_str(room, "title"));
	sb_printf(b, "</title>\n<style>\n");
	sb_printf(b, style);
	sb_printf(b, "</style>\n</head>\n<body>\n<header>\n<h1>");
	h(b, rec_str(room, "title"));
	sb_printf(b, "</h1>\n<p>The public record of room <code>");
	h(b, rec_str(room, "id"));
	sb_printf(b, "</code>, derived from its hash-chained log.</p>\n</header>\n<main>\n");
}

static void term(struct sbuf *b, const char *dt)
{
	sb_printf(b, "<dt>%s</dt><dd>", dt);
}

static void session(struct page *pg)
{
	struct sbuf *b = pg->b;
	json_t *s = json_object_get(pg->rec, "session");
	sb_printf(b, "<section aria-labelledby=\"h-session\">\n"
		     "<h2 id=\"h-session\">Session</h2>\n<dl>\n");
	term(b, "Title");
	h(b, rec_str(s, "title")[0] ? rec_str(s, "title") : "-");
	sb_printf(b, "</dd>\n");
	term(b, "Status");
	h(b, label(LABEL_STATUS, rec_str(s, "status")));
	sb_printf(b, "</dd>\n");
	term(b, "Started");
	sb_when(b, &pg->clock, rec_str(s, "started"), true, true);
	sb_printf(b, "</dd>\n");
	term(b, "Ended");
	sb_when(b, &pg->clock, rec_str(s, "ended"), true, true);
	sb_printf(b, "</dd>\n");
	if (json_object_get(s, "duration_ms")) {
		term(b, "Duration");
		sb_hms(b, rec_num(s, "duration_ms"));
		sb_printf(b, "</dd>\n");
	}
	term(b, "Time zone");
	if (pg->clock.zone) {
		h(b, pg->clock.name);
		sb_printf(b, ". Times are shown there and, in brackets, in UTC.");
	} else {
		sb_printf(b, "UTC");
	}
	sb_printf(b, "</dd>\n</dl>\n</section>\n");
}

/* A link to one of the room's resources, relative to this page (which is
 * /api/rooms/{id}/record.html), signed when the room is private. */
static void link(struct page *pg, const char *name, const char *lang, const char *text)
{
	struct sbuf *b = pg->b;
	char query[256] = "";
	if (pg->links && !pg->links->sign(pg->links->ctx, name, query, sizeof query))
		query[0] = '\0';
	sb_printf(b, "<li><a href=\"%s", name);
	if (lang) {
		sb_printf(b, "?lang=");
		h(b, lang);
	}
	if (query[0]) {
		sb_printf(b, "%s", lang ? "&amp;" : "?");
		h(b, query);
	}
	sb_printf(b, "\">");
	h(b, text);
	sb_printf(b, "</a>");
}

static void caption_links(struct page *pg)
{
	json_t *seen = json_object();
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(pg->rec, "captions"), i, c)
	{
		const char *lang = rec_str(c, "lang");
		if (!seen || json_object_get(seen, lang))
			continue;
		json_object_set_new(seen, lang, json_true());
		char text[128];
		snprintf(text, sizeof text, "Captions in %s (%s), WebVTT",
			 label(LABEL_LANGUAGE, lang), lang);
		link(pg, "record.vtt", lang, text);
		sb_printf(pg->b, "</li>\n");
	}
	json_decref(seen);
}

/* Each interpretation channel someone was on air in has a recording of its own beside
 * the floor's (recording.ogg?lang=, made by the media while an interpreter's audio was
 * connected). */
static void channel_recording_links(struct page *pg)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(pg->rec, "interpretation"), "channels"),
			   i, c)
	{
		if (json_array_size(json_object_get(c, "turns")) == 0)
			continue;
		const char *lang = rec_str(c, "lang");
		char text[160];
		snprintf(text, sizeof text, "Recording of the %s channel (%s)",
			 label(LABEL_LANGUAGE, lang), lang);
		link(pg, "recording.ogg", lang, text);
		sb_printf(pg->b, " (Ogg Opus audio)</li>\n");
	}
}

static void downloads(struct page *pg)
{
	struct sbuf *b = pg->b;
	const char *status = rec_str(json_object_get(pg->rec, "session"), "status");
	sb_printf(b, "<section aria-labelledby=\"h-files\">\n"
		     "<h2 id=\"h-files\">Recording, captions and data</h2>\n<ul>\n");
	if (strcmp(status, "scheduled") != 0) {
		link(pg, "recording.ogg", NULL, "Recording of the session");
		sb_printf(b, " (Ogg Opus audio)</li>\n");
		channel_recording_links(pg);
	}
	caption_links(pg);
	link(pg, "record.txt", NULL, "Minutes as plain text");
	sb_printf(b, "</li>\n");
	link(pg, "record.json", NULL, "The record as JSON");
	sb_printf(b, "</li>\n");
	link(pg, "polls.json", NULL, "Poll results as JSON");
	sb_printf(b, "</li>\n");
	link(pg, "log", NULL, "The raw log");
	sb_printf(b, " (JSON Lines, for verification)</li>\n</ul>\n</section>\n");
}

static void html_cell(struct sbuf *b, const char *s)
{
	sb_printf(b, "<td>");
	h(b, s);
	sb_printf(b, "</td>");
}

/* A table that scrolls in its own box when wider than the screen: a region the keyboard
 * can reach, named for screen readers. */
void html_table_open(struct sbuf *b, const char *name, const char *const *cols)
{
	sb_printf(b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"");
	h(b, name);
	sb_printf(b, " (table)\">\n<table>\n<thead><tr>");
	for (; *cols; cols++)
		sb_printf(b, "<th scope=\"col\">%s</th>", *cols);
	sb_printf(b, "</tr></thead>\n<tbody>\n");
}

void html_table_close(struct sbuf *b)
{
	sb_printf(b, "</tbody>\n</table>\n</div>\n");
}

static void attendance(struct page *pg)
{
	struct sbuf *b = pg->b;
	static const char *const cols[] = {
	    "Name", "Role", "Stakeholder group", "Location", "Joined", "Left", NULL};
	sb_printf(b, "<section aria-labelledby=\"h-att\">\n<h2 id=\"h-att\">Attendance</h2>\n");
	html_table_open(b, "Attendance", cols);
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(pg->rec, "attendance"), i, a)
	{
		json_t *first = json_array_get(json_object_get(a, "joined"), 0);
		json_t *left = json_object_get(a, "left");
		json_t *last = json_array_get(left, json_array_size(left) - 1);
		sb_printf(b, "<tr><th scope=\"row\">");
		h(b, rec_str(a, "name"));
		sb_printf(b, "</th>");
		html_cell(b, label(LABEL_ROLE, rec_str(a, "role")));
		html_cell(b, label(LABEL_GROUP, rec_str(a, "group")));
		html_cell(b, label(LABEL_LOCATION, rec_str(a, "location")));
		sb_printf(b, "<td>");
		sb_when(b, &pg->clock, json_string_value(first), false, true);
		sb_printf(b, "</td><td>");
		if (last) {
			sb_when(b, &pg->clock, rec_str(last, "ts"), false, true);
			sb_printf(b, ": ");
			h(b, label(LABEL_LEFT, rec_str(last, "reason")));
		}
		sb_printf(b, "</td></tr>\n");
	}
	html_table_close(b);
	sb_printf(b, "</section>\n");
}

static void floor_row(struct page *pg, json_t *f)
{
	struct sbuf *b = pg->b;
	sb_printf(b, "<tr><td>");
	sb_clock(b, rec_num(f, "offset_ms"), false);
	sb_printf(b, "</td><td>");
	sb_when(b, &pg->clock, rec_str(f, "started"), false, true);
	sb_printf(b, "</td><th scope=\"row\">");
	h(b, rec_str(f, "name"));
	sb_printf(b, "</th>");
	html_cell(b, label(LABEL_GROUP, rec_str(f, "group")));
	html_cell(b, label(LABEL_LOCATION, rec_str(f, "location")));
	html_cell(b, label(LABEL_KIND, rec_str(f, "kind")));
	html_cell(b, label(LABEL_CHOSEN, rec_str(f, "policy")));
	if (json_object_get(f, "ended")) {
		sb_printf(b, "<td class=\"n\">");
		sb_hms(b, rec_num(f, "duration_ms"));
		sb_printf(b, "</td>");
		html_cell(b, label(LABEL_END, rec_str(f, "reason")));
	} else {
		sb_printf(b, "<td></td><td>Still speaking</td>");
	}
	sb_printf(b, "</tr>\n");
}

static void floors(struct page *pg)
{
	static const char *const cols[] = {
	    "Session time", "Time",	 "Speaker",  "Stakeholder group", "Location",
	    "Request",	    "Chosen by", "Duration", "How it ended",	  NULL};
	sb_printf(pg->b, "<section aria-labelledby=\"h-floor\">\n<h2 id=\"h-floor\">Floor</h2>\n");
	if (!json_array_size(json_object_get(pg->rec, "floors"))) {
		sb_printf(pg->b, "<p>Nobody was given the floor.</p>\n</section>\n");
		return;
	}
	html_table_open(pg->b, "Floor", cols);
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(pg->rec, "floors"), i, f) floor_row(pg, f);
	html_table_close(pg->b);
	sb_printf(pg->b, "</section>\n");
}

void html_span(struct sbuf *b, const struct rec_clock *clock, json_t *row)
{
	sb_printf(b, "Started ");
	sb_when(b, clock, rec_str(row, "started"), false, true);
	sb_printf(b, ", ended ");
	sb_when(b, clock, rec_str(row, "ended"), false, true);
	sb_printf(b, ". ");
}

static void hum(struct page *pg, json_t *row)
{
	struct sbuf *b = pg->b;
	static const char *const cols[] = {"Option", "Level", NULL};
	static const char *const cols_n[] = {"Option", "Level", "Hummed", NULL};
	json_t *counts = json_object_get(row, "counts");
	sb_printf(b, "<h3>");
	h(b, rec_str(row, "question"));
	sb_printf(b, "</h3>\n<p>");
	html_span(b, &pg->clock, row);
	sb_printf(b, "%lld of %lld eligible hummed.</p>\n", rec_num(row, "responded"),
		  rec_num(row, "eligible"));
	html_table_open(b, rec_str(row, "question"), counts ? cols_n : cols);
	size_t k;
	json_t *o;
	json_array_foreach(json_object_get(row, "options"), k, o)
	{
		json_t *lvl = json_array_get(json_object_get(row, "levels"), k);
		sb_printf(b, "<tr><th scope=\"row\">");
		h(b, json_string_value(o));
		sb_printf(b, "</th>");
		html_cell(b, label(LABEL_LEVEL, json_string_value(lvl)));
		if (counts)
			sb_printf(b, "<td class=\"n\">%lld</td>",
				  (long long)json_integer_value(json_array_get(counts, k)));
		sb_printf(b, "</tr>\n");
	}
	html_table_close(b);
}

static void hums(struct page *pg)
{
	json_t *list = json_object_get(pg->rec, "hums");
	if (!json_array_size(list))
		return;
	sb_printf(pg->b, "<section aria-labelledby=\"h-hums\">\n<h2 id=\"h-hums\">Hums</h2>\n"
			 "<p>A hum shows how strongly those present supported each option, as a "
			 "level, not a count of votes.</p>\n");
	size_t i;
	json_t *row;
	json_array_foreach(list, i, row) hum(pg, row);
	sb_printf(pg->b, "</section>\n");
}

static void captions(struct page *pg)
{
	struct sbuf *b = pg->b;
	sb_printf(b, "<section aria-labelledby=\"h-caps\">\n<h2 id=\"h-caps\">Captions</h2>\n");
	if (!json_array_size(json_object_get(pg->rec, "captions")))
		sb_printf(b, "<p>No captions were written.</p>\n");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(pg->rec, "captions"), i, c)
	{
		json_t *sp = json_object_get(c, "speaker");
		sb_printf(b, "<p><span>[");
		sb_clock(b, rec_num(c, "offset_ms"), false);
		sb_printf(b, "]</span> ");
		if (json_is_object(sp)) {
			sb_printf(b, "<strong>");
			h(b, rec_str(sp, "name"));
			sb_printf(b, ":</strong> ");
		}
		sb_printf(b, "<span lang=\"");
		h(b, rec_str(c, "lang"));
		sb_printf(b, "\">");
		h(b, rec_str(c, "text"));
		sb_printf(b, "</span></p>\n");
	}
	sb_printf(b, "</section>\n");
}

static void verify(struct page *pg)
{
	struct sbuf *b = pg->b;
	json_t *hd = json_object_get(pg->rec, "head");
	sb_printf(b,
		  "<section aria-labelledby=\"h-verify\">\n"
		  "<h2 id=\"h-verify\">How to verify this record</h2>\n<p>This page is derived "
		  "from the room's hash-chained log. Its last line is number %lld, with the "
		  "SHA-256 hash</p>\n<p><code id=\"head-hash\">%s</code></p>\n<ol>\n"
		  "<li>Download <a href=\"log",
		  rec_num(hd, "seq"), rec_str(hd, "hash"));
	char query[256] = "";
	if (pg->links && pg->links->sign(pg->links->ctx, "log", query, sizeof query)) {
		sb_printf(b, "?");
		h(b, query);
	}
	sb_printf(b, "\">the raw log</a>.</li>\n"
		     "<li>Run <code>plenaryd verify FILE</code> on it. It checks every line's hash "
		     "and prints <code>ok seq=N hash=H</code> for the last line: both must match "
		     "the number and hash above.</li>\n"
		     "<li>Or check the chain yourself: each line's hash is SHA-256 of the previous "
		     "line's hash followed by the RFC 8785 canonical JSON of "
		     "{seq, ts, kind, data}.</li>\n</ol>\n<p>Anyone who followed the meeting live "
		     "holds the hashes of the events they saw, and can find them in the log.</p>\n"
		     "</section>\n");
}

void room_render_html(struct sbuf *b, json_t *rec, const struct room_link_signer *links)
{
	struct page pg = {.b = b, .rec = rec, .links = links};
	rec_clock_init(&pg.clock, rec);
	head(&pg);
	session(&pg);
	downloads(&pg);
	attendance(&pg);
	floors(&pg);
	room_render_interp_html(b, rec, &pg.clock);
	room_render_moderation_html(b, rec, &pg.clock);
	hums(&pg);
	json_t *polls = json_object_get(rec, "polls");
	if (json_array_size(polls)) {
		sb_printf(b, "<section aria-labelledby=\"h-polls\">\n"
			     "<h2 id=\"h-polls\">Polls and shows of hands</h2>\n");
		size_t i;
		json_t *p;
		json_array_foreach(polls, i, p) room_render_poll_html(b, p, &pg.clock);
		sb_printf(b, "</section>\n");
	}
	room_render_stats_html(b, rec);
	captions(&pg);
	verify(&pg);
	sb_printf(b, "</main>\n</body>\n</html>\n");
	rec_clock_fini(&pg.clock);
}
