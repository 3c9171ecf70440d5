/*
 * The record's moderation, for people: when a chair's own microphone was open besides the
 * floor (so what the mix carried is attributable), and who was removed, readmitted,
 * muted, or had a token revoked -- each with who acted. HTML and the minutes' text.
 */
#include <string.h>

#include "rooms/export.h"

static const char *const kind_words[][2] = {
    {"participant.removed", "Removed from the room"},
    {"participant.readmitted", "Readmitted"},
    {"token.revoked", "Token revoked"},
    {"token.unrevoked", "Token revocation lifted"},
    {"mic.closed", "Microphone closed by a chair while holding the floor"},
    {"mic.opened", "Microphone opened again by a chair"},
};

static const char *kind_label(const char *kind)
{
	for (size_t i = 0; i < sizeof kind_words / sizeof kind_words[0]; i++)
		if (strcmp(kind_words[i][0], kind) == 0)
			return kind_words[i][1];
	return kind;
}

/* The name the attendance gives a pid; the pid itself for someone never seen. */
static const char *name_of(json_t *rec, const char *pid)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(rec, "attendance"), i,
			   a) if (strcmp(rec_str(a, "pid"), pid) == 0 &&
				  rec_str(a, "name")[0]) return rec_str(a, "name");
	return pid;
}

/* Whom a row concerns: a person, or a token by its sub or jti. */
static void subject(struct sbuf *b, json_t *rec, json_t *m, bool html)
{
	const char *pid = rec_str(m, "pid"), *sub = rec_str(m, "sub");
	const char *text = pid[0]   ? name_of(rec, pid)
			   : sub[0] ? name_of(rec, sub)
				    : rec_str(m, "jti");
	const char *prefix = pid[0] || sub[0] ? "" : "token ";
	sb_printf(b, "%s", prefix);
	if (html)
		sb_escaped(b, text);
	else
		sb_printf(b, "%s", text);
}

static const char *actor(json_t *rec, json_t *m, const char *key)
{
	const char *by = rec_str(m, key);
	if (!by[0])
		return "the server";
	return strcmp(by, "admin") == 0 ? "the organisers (admin)" : name_of(rec, by);
}

static void mics_html(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	static const char *const cols[] = {"Session time", "Opened",	"Chair",
					   "Open for",	   "Closed by", NULL};
	json_t *mics = json_object_get(rec, "chair_mics");
	if (!json_array_size(mics))
		return;
	sb_printf(b, "<h3>Chairs' microphones</h3>\n<p>When a chair's own microphone was open "
		     "besides the floor holder's.</p>\n");
	html_table_open(b, "Chairs' microphones", cols);
	size_t i;
	json_t *m;
	json_array_foreach(mics, i, m)
	{
		sb_printf(b, "<tr><td>");
		sb_clock(b, rec_num(m, "offset_ms"), false);
		sb_printf(b, "</td><td>");
		sb_when(b, clock, rec_str(m, "opened"), false, true);
		sb_printf(b, "</td><th scope=\"row\">");
		sb_escaped(b, name_of(rec, rec_str(m, "pid")));
		sb_printf(b, "</th><td class=\"n\">");
		if (json_object_get(m, "closed")) {
			sb_hms(b, rec_num(m, "duration_ms"));
			sb_printf(b, "</td><td>");
			sb_escaped(b, actor(rec, m, "closed_by"));
		} else {
			sb_printf(b, "</td><td>Still open");
		}
		sb_printf(b, "</td></tr>\n");
	}
	html_table_close(b);
}

static void acts_html(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	json_t *mod = json_object_get(rec, "moderation");
	if (!json_array_size(mod))
		return;
	sb_printf(b, "<h3>Removals, readmissions, revocations and mutes</h3>\n<ul>\n");
	size_t i;
	json_t *m;
	json_array_foreach(mod, i, m)
	{
		sb_printf(b, "<li>");
		sb_when(b, clock, rec_str(m, "ts"), false, true);
		sb_printf(b, ": %s: ", kind_label(rec_str(m, "kind")));
		subject(b, rec, m, true);
		sb_printf(b, ", by ");
		sb_escaped(b, actor(rec, m, "by"));
		if (rec_str(m, "reason")[0]) {
			sb_printf(b, " (reason: ");
			sb_escaped(b, rec_str(m, "reason"));
			sb_printf(b, ")");
		}
		sb_printf(b, "</li>\n");
	}
	sb_printf(b, "</ul>\n");
}

void room_render_moderation_html(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	if (!json_array_size(json_object_get(rec, "chair_mics")) &&
	    !json_array_size(json_object_get(rec, "moderation")))
		return;
	sb_printf(b, "<section aria-labelledby=\"h-mod\">\n<h2 id=\"h-mod\">Moderation</h2>\n");
	mics_html(b, rec, clock);
	acts_html(b, rec, clock);
	sb_printf(b, "</section>\n");
}

static void mics_text(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	json_t *mics = json_object_get(rec, "chair_mics");
	if (json_array_size(mics))
		sb_printf(b, "\nChairs' microphones (open besides the floor)\n");
	size_t i;
	json_t *m;
	json_array_foreach(mics, i, m)
	{
		sb_printf(b, "  [");
		sb_clock(b, rec_num(m, "offset_ms"), false);
		sb_printf(b, "] ");
		sb_when(b, clock, rec_str(m, "opened"), false, false);
		sb_printf(b, " %s, ", name_of(rec, rec_str(m, "pid")));
		if (json_object_get(m, "closed")) {
			sb_printf(b, "open for ");
			sb_hms(b, rec_num(m, "duration_ms"));
			sb_printf(b, ", closed by %s\n", actor(rec, m, "closed_by"));
		} else {
			sb_printf(b, "still open\n");
		}
	}
}

void room_render_moderation_text(struct sbuf *b, json_t *rec, const struct rec_clock *clock)
{
	mics_text(b, rec, clock);
	json_t *mod = json_object_get(rec, "moderation");
	if (json_array_size(mod))
		sb_printf(b, "\nModeration\n");
	size_t i;
	json_t *m;
	json_array_foreach(mod, i, m)
	{
		sb_printf(b, "  ");
		sb_when(b, clock, rec_str(m, "ts"), false, false);
		sb_printf(b, " %s: ", kind_label(rec_str(m, "kind")));
		subject(b, rec, m, false);
		sb_printf(b, ", by %s", actor(rec, m, "by"));
		if (rec_str(m, "reason")[0])
			sb_printf(b, " (reason: %s)", rec_str(m, "reason"));
		sb_printf(b, "\n");
	}
}
