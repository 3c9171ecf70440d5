/*
 * WebVTT captions (one language per file): a cue per final caption, timed from the
 * session start (offset_ms, the same timeline as the recording), with the floor holder
 * as the cue's voice (<v Name>). A cue ends when the next one starts or after a time
 * proportional to its length (1.5 to 7 s), whichever is first.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/export.h"

static const char *pick_lang(json_t *rec, const char *want)
{
	size_t i;
	json_t *c;
	const char *first = NULL;
	bool has_en = false;
	json_array_foreach(json_object_get(rec, "captions"), i, c)
	{
		const char *l = rec_str(c, "lang");
		if (want && strcmp(l, want) == 0)
			return want;
		if (!first)
			first = l;
		has_en = has_en || strcmp(l, "en") == 0;
	}
	if (want)
		return want; /* asked for a language with no captions: an empty file */
	return has_en ? "en" : first;
}

/* A blank line would end the cue early: captions are one paragraph. */
static void one_line(struct sbuf *b, const char *text)
{
	char *copy = strdup(text);
	if (!copy) {
		b->failed = true;
		return;
	}
	for (char *p = copy; *p; p++)
		if (*p == '\n')
			*p = ' ';
	sb_escaped(b, copy);
	free(copy);
}

void room_render_vtt(struct sbuf *b, json_t *rec, const char *want)
{
	const char *lang = pick_lang(rec, want);
	sb_printf(b, "WEBVTT\n");
	json_t *caps = json_object_get(rec, "captions");
	size_t n = json_array_size(caps), cue = 0;
	for (size_t i = 0; lang && i < n; i++) {
		json_t *c = json_array_get(caps, i);
		if (strcmp(rec_str(c, "lang"), lang) != 0)
			continue;
		long long start = rec_num(c, "offset_ms");
		long long chars =
		    (long long)utf8_chars(rec_str(c, "text"), strlen(rec_str(c, "text")));
		long long end = start + (chars * 60 < 1500   ? 1500
					 : chars * 60 > 7000 ? 7000
							     : chars * 60);
		for (size_t k = i + 1; k < n; k++) {
			json_t *next = json_array_get(caps, k);
			if (strcmp(rec_str(next, "lang"), lang) == 0) {
				if (rec_num(next, "offset_ms") < end &&
				    rec_num(next, "offset_ms") > start)
					end = rec_num(next, "offset_ms");
				break;
			}
		}
		sb_printf(b, "\n%zu\n", ++cue);
		sb_clock(b, start, true);
		sb_printf(b, " --> ");
		sb_clock(b, end, true);
		sb_printf(b, "\n");
		json_t *sp = json_object_get(c, "speaker");
		if (json_is_object(sp) && rec_str(sp, "name")[0]) {
			sb_printf(b, "<v ");
			sb_escaped(b, rec_str(sp, "name"));
			sb_printf(b, ">");
		}
		one_line(b, rec_str(c, "text"));
		sb_printf(b, "\n");
	}
}
