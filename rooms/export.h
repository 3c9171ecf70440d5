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
void room_render_html(struct sbuf *b, json_t *rec);

#endif
