/*
 * A room's "venue_rtp" in the configuration: the sound desk of an AV team that runs no
 * browser, over plain RTP (media.h's media_venue_rtp; docs/deploy.md shows it).
 *
 *   "venue_rtp": {"listen": "127.0.0.1:5004", "send_to": "127.0.0.1:5006",
 *                 "codec": "opus" | "L16", "payload_type": 97}
 *
 * Everything is checked here, so a typo stops the server at start with the room and the
 * field named, rather than leaving the room silent.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"
#include "media/media.h"

bool gw_config_venue_rtp(const char *room, json_t *obj, struct gw_venue_rtp *out, char *err,
			 size_t err_cap)
{
	*out = (struct gw_venue_rtp){0};
	if (!obj)
		return true;
	const char *listen = NULL, *send_to = NULL, *codec = "opus";
	int pt = 97;
	json_error_t jerr;
	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s,s:s,s?s,s?i}", "listen", &listen,
			   "send_to", &send_to, "codec", &codec, "payload_type", &pt) != 0) {
		snprintf(err, err_cap, "room '%.80s': venue_rtp: %s", room, jerr.text);
		return false;
	}
	const char *bad = !media_venue_addr_valid(listen)	   ? "listen"
			  : !media_venue_addr_valid(send_to)	   ? "send_to"
			  : strlen(listen) >= sizeof out->listen   ? "listen"
			  : strlen(send_to) >= sizeof out->send_to ? "send_to"
								   : NULL;
	if (bad) {
		snprintf(err, err_cap,
			 "room '%.80s': venue_rtp.%s must be ADDR:PORT (numeric; IPv6 in brackets)",
			 room, bad);
		return false;
	}
	if (strcmp(codec, "opus") != 0 && strcmp(codec, "L16") != 0) {
		snprintf(err, err_cap, "room '%.80s': venue_rtp.codec must be \"opus\" or \"L16\"",
			 room);
		return false;
	}
	if (pt < 96 || pt > 127) {
		snprintf(err, err_cap, "room '%.80s': venue_rtp.payload_type must be 96..127",
			 room);
		return false;
	}
	out->on = true;
	snprintf(out->listen, sizeof out->listen, "%s", listen);
	snprintf(out->send_to, sizeof out->send_to, "%s", send_to);
	out->l16 = strcmp(codec, "L16") == 0;
	out->payload_type = pt;
	return true;
}
