/*
 * The record page's results: each closed poll or show of hands as the live client shows
 * it (web-client/js/views/polls.js: its kind, whether ballots are named, counts with
 * shares, the breakdown by stakeholder group and the named ballots), and the speaking
 * time by person, group and location.
 */
#include <string.h>

#include "rooms/export.h"

static const char *poll_kind(json_t *p)
{
	if (json_is_true(json_object_get(p, "show_of_hands")))
		return "Show of hands";
	return json_is_true(json_object_get(p, "multiple")) ? "Poll: choose any number"
							    : "Poll: choose one";
}

static void counts(struct sbuf *b, json_t *p)
{
	static const char *const cols[] = {"Option", "Count", "Share of those who voted", NULL};
	long long voters = rec_num(p, "voters");
	html_table_open(b, rec_str(p, "question"), cols);
	size_t k;
	json_t *o;
	json_array_foreach(json_object_get(p, "options"), k, o)
	{
		long long n =
		    (long long)json_integer_value(json_array_get(json_object_get(p, "counts"), k));
		sb_printf(b, "<tr><th scope=\"row\">");
		sb_escaped(b, json_string_value(o));
		sb_printf(b, "</th><td class=\"n\">%lld</td><td class=\"n\">%lld %%</td></tr>\n", n,
			  voters ? (n * 100 + voters / 2) / voters : 0);
	}
	html_table_close(b);
}

static void by_group(struct sbuf *b, json_t *p)
{
	json_t *groups = json_object_get(p, "by_group");
	if (!json_object_size(groups))
		return;
	sb_printf(b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"By "
		     "stakeholder group: ");
	sb_escaped(b, rec_str(p, "question"));
	sb_printf(b, "\">\n<table>\n<caption>By stakeholder group</caption>\n<thead><tr>"
		     "<th scope=\"col\">Group</th>");
	size_t k;
	json_t *o;
	json_array_foreach(json_object_get(p, "options"), k, o)
	{
		sb_printf(b, "<th scope=\"col\">");
		sb_escaped(b, json_string_value(o));
		sb_printf(b, "</th>");
	}
	sb_printf(b, "</tr></thead>\n<tbody>\n");
	const char *g;
	json_t *row;
	json_object_foreach(groups, g, row)
	{
		sb_printf(b, "<tr><th scope=\"row\">");
		sb_escaped(b, g[0] ? label(LABEL_GROUP, g) : "No group");
		sb_printf(b, "</th>");
		json_t *n;
		json_array_foreach(row, k, n)
		    sb_printf(b, "<td class=\"n\">%lld</td>", (long long)json_integer_value(n));
		sb_printf(b, "</tr>\n");
	}
	html_table_close(b);
}

static void ballots(struct sbuf *b, json_t *p)
{
	json_t *list = json_object_get(p, "ballots");
	if (!json_is_array(list))
		return;
	sb_printf(b, "<h4>Named ballots (%zu)</h4>\n<ul>\n", json_array_size(list));
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		sb_printf(b, "<li>");
		sb_escaped(b, rec_str(v, "name"));
		if (rec_str(v, "group")[0]) {
			sb_printf(b, " (");
			sb_escaped(b, label(LABEL_GROUP, rec_str(v, "group")));
			sb_printf(b, ")");
		}
		sb_printf(b, ": ");
		json_t *choices = json_object_get(v, "choices");
		if (!json_array_size(choices))
			sb_printf(b, "no choice");
		size_t k;
		json_t *c;
		json_array_foreach(choices, k, c)
		{
			json_t *o = json_array_get(json_object_get(p, "options"),
						   (size_t)json_integer_value(c));
			sb_printf(b, "%s", k ? ", " : "");
			sb_escaped(b, json_is_string(o) ? json_string_value(o) : "?");
		}
		sb_printf(b, "</li>\n");
	}
	sb_printf(b, "</ul>\n");
}

void room_render_poll_html(struct sbuf *b, json_t *p, const struct rec_clock *clock)
{
	sb_printf(b, "<h3>");
	sb_escaped(b, rec_str(p, "question"));
	sb_printf(b, "</h3>\n<p><strong>%s.</strong> %s</p>\n<p>", poll_kind(p),
		  json_is_true(json_object_get(p, "anonymous"))
		      ? "Anonymous: only totals are published."
		      : "Named: each person's name and choice are on the public record.");
	html_span(b, clock, p);
	sb_printf(b, "%lld voted, %lld did not answer (of %lld eligible).</p>\n",
		  rec_num(p, "voters"), rec_num(p, "not_answered"), rec_num(p, "eligible"));
	counts(b, p);
	by_group(b, p);
	ballots(b, p);
}

void room_render_stats_html(struct sbuf *b, json_t *rec)
{
	static const char *const parts[][3] = {{"persons", "By person", "Name"},
					       {"groups", "By stakeholder group", "Group"},
					       {"locations", "In the room and remote", "Location"}};
	static const char *const keys[] = {"name", "group", "location"};
	static const enum label_set sets[] = {LABEL_GROUP, LABEL_GROUP, LABEL_LOCATION};
	json_t *st = json_object_get(rec, "statistics");
	sb_printf(b,
		  "<section aria-labelledby=\"h-time\">\n<h2 id=\"h-time\">Speaking time</h2>\n");
	for (int p = 0; p < 3; p++) {
		const char *cols[] = {parts[p][2], "Interventions", "Total",
				      "Median",	   "Mean wait",	    NULL};
		sb_printf(b, "<h3>%s</h3>\n", parts[p][1]);
		html_table_open(b, parts[p][1], cols);
		size_t i;
		json_t *row;
		json_array_foreach(json_object_get(st, parts[p][0]), i, row)
		{
			const char *key = rec_str(row, keys[p]);
			sb_printf(b, "<tr><th scope=\"row\">");
			sb_escaped(b, p ? (key[0] ? label(sets[p], key) : "No group") : key);
			sb_printf(b, "</th><td class=\"n\">%lld</td><td class=\"n\">",
				  rec_num(row, "interventions"));
			sb_hms(b, rec_num(row, "total_ms"));
			sb_printf(b, "</td><td class=\"n\">");
			sb_hms(b, rec_num(row, "median_ms"));
			sb_printf(b, "</td><td class=\"n\">");
			sb_hms(b, rec_num(row, "mean_wait_ms"));
			sb_printf(b, "</td></tr>\n");
		}
		html_table_close(b);
	}
	sb_printf(b, "</section>\n");
}
