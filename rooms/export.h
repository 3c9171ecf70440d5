/*
 * Renderings of the public record (private to rooms/). record.c folds the log into one
 * document; these turn it into minutes, WebVTT, an HTML page and polls.json.
 */
#ifndef PLENARY_ROOMS_EXPORT_H
#define PLENARY_ROOMS_EXPORT_H

#include <jansson.h>

#include "rooms/room_internal.h"
#include "rooms/sbuf.h"

void room_render_text(struct sbuf *b, json_t *rec);
void room_render_vtt(struct sbuf *b, json_t *rec, const char *lang);
/* links: NULL for a public room, whose page links its resources plainly. */
void room_render_html(struct sbuf *b, json_t *rec, const struct room_link_signer *links);

/* export_html.c's pieces, for export_html_results.c. */
void html_table_open(struct sbuf *b, const char *name, const char *const *cols);
void html_table_close(struct sbuf *b);
struct rec_clock;
void html_span(struct sbuf *b, const struct rec_clock *clock, json_t *row);
/* export_html_results.c: one closed poll; the speaking-time tables. */
void room_render_poll_html(struct sbuf *b, json_t *poll, const struct rec_clock *clock);
void room_render_stats_html(struct sbuf *b, json_t *rec);
/* export_moderation.c: chairs' microphones and moderation acts (nothing if none). */
void room_render_moderation_html(struct sbuf *b, json_t *rec, const struct rec_clock *clock);
void room_render_moderation_text(struct sbuf *b, json_t *rec, const struct rec_clock *clock);
/* export_interp.c: the channels and who interpreted when (nothing without booths). */
void room_render_interp_text(struct sbuf *b, json_t *rec, const struct rec_clock *clock);
void room_render_interp_html(struct sbuf *b, json_t *rec, const struct rec_clock *clock);

/* labels.c: the words for the wire's names; a name not known comes back as it is. */
enum label_set {
	LABEL_GROUP,
	LABEL_ROLE,
	LABEL_KIND,
	LABEL_CHOSEN,
	LABEL_END,
	LABEL_LEFT,
	LABEL_LOCATION,
	LABEL_STATUS,
	LABEL_LEVEL,
	LABEL_LANGUAGE,
};
const char *label(enum label_set set, const char *name);

/* export_time.c: times in the meeting's time zone and in UTC. */
struct tz;
struct rec_clock {
	struct tz *zone; /* NULL: the meeting is in UTC (or its zone cannot be read here) */
	char name[64];
};
void rec_clock_init(struct rec_clock *c, json_t *rec);
void rec_clock_fini(struct rec_clock *c);
/* "11:00:05 CET (10:00:05 UTC)", with the date first when with_date; in HTML (html) as
 * a <time datetime>. ts is the log's ISO 8601 UTC; anything else is written as it is. */
void sb_when(struct sbuf *b, const struct rec_clock *c, const char *ts, bool with_date, bool html);
/* 65,000 ms -> "0:01:05" */
void sb_hms(struct sbuf *b, long long ms);

#endif
