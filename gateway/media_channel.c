/*
 * media_channel -- interpretation in the media: which channel a connection's peer hears
 * (`media.channel {lang|null}`), and which channel an interpreter's mic feeds.
 *
 * A channel is a booth of the room (rooms/interp.c), numbered by the booth's index, which
 * never changes for the room's life; the media numbers them from 1 (0 is the floor). The
 * peer stays the same: only the source of its packets changes, on one RTP timeline, so
 * the browser renegotiates nothing. The connection keeps its choice, so a new peer (a
 * second media.offer) hears the same channel.
 */
#include <string.h>

#include "base/lang.h"
#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/media_glue.h"
#include "gateway/server.h"

/* The media's number of lang's channel in room: its booth's index + 1, 0 if none. */
static unsigned channel_number(struct room *room, const char *lang)
{
	int i = lang && lang[0] ? room_channel_index(room, lang) : -1;
	return i >= 0 && i < MEDIA_CHANNELS ? (unsigned)i + 1 : 0;
}

void gw_media_channel(struct conn *c, json_t *id, json_t *msg)
{
	json_t *lang = json_object_get(msg, "lang");
	char tag[BASE_LANG_MAX + 1] = "";
	if (!lang ||
	    !(json_is_null(lang) || (json_is_string(lang) &&
				     base_lang_canon(json_string_value(lang), tag, sizeof tag)))) {
		gw_host_error(
		    c, id, ROOM_EBAD_REQUEST,
		    "media.channel needs lang: a BCP 47 tag such as fr, or null (the floor)");
		return;
	}
	unsigned ch = channel_number(c->room, tag);
	if (tag[0] && !ch) {
		gw_host_error(c, id, ROOM_ENOT_FOUND, "this room has no channel in that language");
		return;
	}
	if (c->who.role == ROOM_ROLE_INTERPRETER && tag[0] && strcmp(tag, c->lang) == 0) {
		gw_host_error(c, id, ROOM_ECONFLICT, "that is your own booth's channel");
		return;
	}
	if (!c->peer) {
		gw_host_error(c, id, ROOM_ECONFLICT, "no audio yet: send media.offer first");
		return;
	}
	json_t *under = json_object_get(msg, "floor_under");
	if (under && !json_is_boolean(under)) {
		gw_host_error(c, id, ROOM_EBAD_REQUEST, "floor_under must be true or false");
		return;
	}
	snprintf(c->channel, sizeof c->channel, "%s", tag);
	c->floor_under = tag[0] && json_is_true(under);
	media_peer_channel(c->peer, ch + (c->floor_under ? MEDIA_CHANNELS : 0));
	/* on_air false: nobody is in the booth now, so the channel carries the floor. */
	const char *voice = tag[0] ? room_channel_voice(c->room, tag) : NULL;
	json_t *ack = json_pack("{s:s,s:o,s:b,s:b}", "type", "ack", "lang",
				tag[0] ? json_string(tag) : json_null(), "on_air", !tag[0] || voice,
				"floor_under", c->floor_under);
	if (ack && id)
		json_object_set(ack, "id", id);
	gw_host_reply(c, ack, true, id);
}

void gw_media_peer_ready(struct conn *c)
{
	if (c->channel[0])
		media_peer_channel(c->peer, channel_number(c->room, c->channel) +
						(c->floor_under ? MEDIA_CHANNELS : 0));
	if (c->who.role == ROOM_ROLE_INTERPRETER)
		media_peer_voice(c->peer, channel_number(c->room, c->lang));
}

void gw_media_voice(struct conn *c)
{
	if (c->peer && c->who.role == ROOM_ROLE_INTERPRETER)
		media_peer_voice(c->peer, channel_number(c->room, c->lang));
}
