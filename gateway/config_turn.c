/*
 * "turn": the TURN servers whose credentials a join's ack carries (turn.h). No error
 * message ever names a secret's value.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"

static bool turn_url_ok(const char *url)
{
	return strncmp(url, "turn:", 5) == 0 || strncmp(url, "turns:", 6) == 0 ||
	       strncmp(url, "stun:", 5) == 0;
}

/* One {"urls": [...], "secret": "...", "ttl_s": N}. No message names the secret's value. */
static bool load_turn_server(struct gw_turn_server *t, size_t k, json_t *server, char *err,
			     size_t err_cap)
{
	json_t *urls = NULL;
	const char *secret = NULL;
	json_int_t ttl = 600;
	json_error_t jerr;
	if (json_unpack_ex(server, &jerr, JSON_STRICT, "{s:o,s:s,s?I}", "urls", &urls, "secret",
			   &secret, "ttl_s", &ttl) != 0) {
		snprintf(err, err_cap, "turn[%zu]: %s", k, jerr.text);
		return false;
	}
	if (!json_is_array(urls) || json_array_size(urls) == 0 ||
	    json_array_size(urls) > GW_TURN_MAX_URLS) {
		snprintf(err, err_cap, "turn[%zu].urls: expected an array of 1 to %d strings", k,
			 GW_TURN_MAX_URLS);
		return false;
	}
	size_t i;
	json_t *url;
	json_array_foreach(urls, i, url)
	{
		const char *u = json_is_string(url) ? json_string_value(url) : "";
		if (!turn_url_ok(u) || strlen(u) >= sizeof t->urls[i]) {
			snprintf(err, err_cap,
				 "turn[%zu].urls[%zu]: expected a turn:, turns: or stun: URI of at "
				 "most 255 bytes",
				 k, i);
			return false;
		}
		snprintf(t->urls[i], sizeof t->urls[i], "%s", u);
	}
	t->n_urls = json_array_size(urls);
	if (secret[0] == '\0' || strlen(secret) >= sizeof t->secret) {
		snprintf(err, err_cap,
			 "turn[%zu].secret: expected a non-empty string of at most 255 bytes", k);
		return false;
	}
	snprintf(t->secret, sizeof t->secret, "%s", secret);
	if (ttl < 60 || ttl > 86400) {
		snprintf(err, err_cap, "turn[%zu].ttl_s: expected an integer in [60, 86400]", k);
		return false;
	}
	t->ttl_s = (int)ttl;
	return true;
}

/* "turn": TURN servers for the join ack's ice_servers (turn.h). */
bool gw_config_turn(struct gw_config *cfg, json_t *turn, char *err, size_t err_cap)
{
	if (!turn)
		return true;
	if (!json_is_array(turn) || json_array_size(turn) > GW_MAX_TURN) {
		snprintf(err, err_cap, "turn: expected an array of at most %d servers",
			 GW_MAX_TURN);
		return false;
	}
	size_t i;
	json_t *server;
	cfg->n_turn = 0;
	json_array_foreach(turn, i, server)
	{
		if (!load_turn_server(&cfg->turn[i], i, server, err, err_cap))
			return false;
		cfg->n_turn = i + 1;
	}
	return true;
}
