/*
 * Configuration: defaults, then the JSON file named by --config, then the flags. Every
 * value is bounds-checked here, so the rest of the server can trust it.
 */
#include "gateway/config.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/token.h"
#include "rooms/rooms.h"

#ifndef PLENARY_WEB_ROOT_DEFAULT
#define PLENARY_WEB_ROOT_DEFAULT "web-client"
#endif

void gw_config_defaults(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->listen_addr, sizeof cfg->listen_addr, "0.0.0.0");
	cfg->listen_port = 8080;
	snprintf(cfg->data_dir, sizeof cfg->data_dir, "./data");
	snprintf(cfg->web_root, sizeof cfg->web_root, "%s", PLENARY_WEB_ROOT_DEFAULT);
	cfg->media_port = 40000; /* fixed, so a firewall can open it: docs/deploy.md */
	cfg->media_tcp_port = GW_MEDIA_TCP_AUTO;
	cfg->redirect_port = -1;
	cfg->grace_s = 20;
	cfg->token_max_lifetime_s = TOKEN_LIFETIME_DEFAULT_S;
	snprintf(cfg->log_level, sizeof cfg->log_level, "info");
	cfg->send_queue_bytes = 4u << 20;
	static const struct gw_rate ws_limits[GW_WS_LIMIT_CLASSES] = {
	    {10, 30}, {5, 20}, {5, 20}, {20, 60}, {20, 40}};
	memcpy(cfg->ws_limits, ws_limits, sizeof ws_limits);
	cfg->join_per_address = (struct gw_rate){20, 100};
	cfg->http = (struct gw_http_limits){64, 50, 200, 500, 10, 100, false, {0}};
	gw_config_nats_defaults(cfg);
}

int gw_config_media_tcp_port(const struct gw_config *cfg)
{
	return cfg->media_tcp_port == GW_MEDIA_TCP_AUTO ? cfg->media_port : cfg->media_tcp_port;
}

static bool parse_port(const char *s, int *port)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 65535)
		return false;
	*port = (int)v;
	return true;
}

bool gw_parse_listen(const char *text, char *addr, size_t addr_cap, int *port)
{
	const char *colon = strrchr(text, ':');
	const char *host = text;
	const char *port_text = colon ? colon + 1 : text; /* "8081" alone is a port */
	size_t host_len;
	if (!colon) {
		host_len = 0;
	} else if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close + 1 != colon)
			return false;
		host = text + 1;
		host_len = (size_t)(close - host);
	} else {
		host_len = (size_t)(colon - text);
		if (memchr(text, ':', host_len))
			return false; /* a bare IPv6 address needs brackets */
	}
	if (host_len >= addr_cap || !parse_port(port_text, port))
		return false;
	memcpy(addr, host, host_len);
	addr[host_len] = '\0';
	return true;
}

static bool room_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static bool load_room(struct gw_config *cfg, json_t *room, char *err, size_t err_cap)
{
	const char *id = NULL, *title = NULL, *visibility = "public", *tz = "UTC";
	int public_observers = 1, reveal = 0;
	json_t *venue = NULL;
	json_error_t jerr;
	if (json_unpack_ex(room, &jerr, JSON_STRICT, "{s:s,s?s,s?b,s?b,s?s,s?s,s?o}", "id", &id,
			   "title", &title, "public_observers", &public_observers,
			   "reveal_hum_counts", &reveal, "visibility", &visibility, "time_zone",
			   &tz, "venue_rtp", &venue) != 0) {
		snprintf(err, err_cap, "rooms[]: %s", jerr.text);
		return false;
	}
	if (strcmp(visibility, "public") != 0 && strcmp(visibility, "private") != 0) {
		snprintf(err, err_cap, "room '%.80s': visibility must be \"public\" or \"private\"",
			 id);
		return false;
	}
	if (strcmp(tz, "UTC") != 0 && !rooms_time_zone_valid(tz)) {
		snprintf(err, err_cap,
			 "room '%.80s': time_zone '%.80s' is not a time zone of the system's tz "
			 "database (an IANA name such as \"Europe/Madrid\")",
			 id, tz);
		return false;
	}
	if (!room_id_ok(id)) {
		snprintf(err, err_cap, "room id '%.80s' must match [a-z0-9-]{1,64}", id);
		return false;
	}
	if (cfg->n_rooms >= GW_MAX_DECLARED_ROOMS) {
		snprintf(err, err_cap, "too many rooms declared");
		return false;
	}
	struct gw_room_decl *d = &cfg->rooms[cfg->n_rooms];
	snprintf(d->id, sizeof d->id, "%s", id);
	if (!gw_config_set_string(d->title, sizeof d->title, title ? title : id, "room title", err,
				  err_cap))
		return false;
	d->public_observers = public_observers;
	d->reveal_hum_counts = reveal;
	d->private_room = strcmp(visibility, "private") == 0;
	snprintf(d->time_zone, sizeof d->time_zone, "%s", tz);
	if (!gw_config_venue_rtp(id, venue, &d->venue_rtp, err, err_cap))
		return false;
	cfg->n_rooms++;
	return true;
}

static bool load_strings(struct gw_config *cfg, json_t *root, char *err, size_t err_cap)
{
	const char *listen = NULL, *data = NULL, *web_root = NULL, *log_level = NULL;
	json_error_t jerr;
	if (json_unpack_ex(root, &jerr, 0, "{s?s,s?s,s?s,s?s}", "listen", &listen, "data", &data,
			   "web_root", &web_root, "log_level", &log_level) != 0) {
		snprintf(err, err_cap, "%s", jerr.text);
		return false;
	}
	if (listen && !gw_parse_listen(listen, cfg->listen_addr, sizeof cfg->listen_addr,
				       &cfg->listen_port)) {
		snprintf(err, err_cap, "listen: expected ADDR:PORT");
		return false;
	}
	return (!data || gw_config_set_string(cfg->data_dir, sizeof cfg->data_dir, data, "data",
					      err, err_cap)) &&
	       (!web_root || gw_config_set_string(cfg->web_root, sizeof cfg->web_root, web_root,
						  "web_root", err, err_cap)) &&
	       (!log_level || gw_config_set_string(cfg->log_level, sizeof cfg->log_level, log_level,
						   "log_level", err, err_cap));
}

/* A numeric IPv4 or IPv6 address; with host, not a wildcard either. */
static bool numeric_ip(const char *ip, bool host)
{
	static const unsigned char zero[16];
	unsigned char buf[16];
	if (inet_pton(AF_INET, ip, buf) == 1)
		return !host || memcmp(buf, zero, 4) != 0;
	return inet_pton(AF_INET6, ip, buf) == 1 && (!host || memcmp(buf, zero, 16) != 0);
}

/* --media-bind, media_bind: "" (every interface) or a numeric address. */
static bool set_media_bind(struct gw_config *cfg, const char *ip, const char *what, char *err,
			   size_t err_cap)
{
	if (ip[0] != '\0' && !numeric_ip(ip, false)) {
		snprintf(err, err_cap, "%s: '%.64s' is not a numeric IPv4 or IPv6 address", what,
			 ip);
		return false;
	}
	return gw_config_set_string(cfg->media_bind, sizeof cfg->media_bind, ip, what, err,
				    err_cap);
}

/* One more announced address (--public-ip, public_ip). Whether the media sockets can
 * receive its family is media_create's to say, once the bind is known. */
static bool add_public_ip(struct gw_config *cfg, const char *ip, const char *what, char *err,
			  size_t err_cap)
{
	if (cfg->n_public_ips >= GW_MAX_PUBLIC_IPS) {
		snprintf(err, err_cap, "%s: at most %d announced addresses", what,
			 GW_MAX_PUBLIC_IPS);
		return false;
	}
	if (strlen(ip) >= sizeof cfg->public_ips[0] || !numeric_ip(ip, true)) {
		snprintf(err, err_cap, "%s: '%.64s' is not a numeric IPv4 or IPv6 host address",
			 what, ip);
		return false;
	}
	snprintf(cfg->public_ips[cfg->n_public_ips++], sizeof cfg->public_ips[0], "%s", ip);
	return true;
}

/* "media_bind": a string; "public_ip": a string or an array of strings, in order. */
static bool load_media_addresses(struct gw_config *cfg, json_t *root, char *err, size_t err_cap)
{
	json_t *bind = json_object_get(root, "media_bind");
	json_t *pub = json_object_get(root, "public_ip");
	if (bind && !json_is_string(bind)) {
		snprintf(err, err_cap, "media_bind: expected a string");
		return false;
	}
	if (bind && !set_media_bind(cfg, json_string_value(bind), "media_bind", err, err_cap))
		return false;
	if (!pub)
		return true;
	cfg->n_public_ips = 0;
	if (json_is_string(pub))
		return add_public_ip(cfg, json_string_value(pub), "public_ip", err, err_cap);
	size_t i;
	json_t *ip;
	if (!json_is_array(pub))
		goto bad;
	json_array_foreach(pub, i, ip)
	{
		if (!json_is_string(ip))
			goto bad;
		if (!add_public_ip(cfg, json_string_value(ip), "public_ip", err, err_cap))
			return false;
	}
	return true;
bad:
	snprintf(err, err_cap, "public_ip: expected a string or an array of strings");
	return false;
}

static bool set_redirect(struct gw_config *cfg, const char *value, const char *what, char *err,
			 size_t err_cap)
{
	if (gw_parse_listen(value, cfg->redirect_addr, sizeof cfg->redirect_addr,
			    &cfg->redirect_port))
		return true;
	snprintf(err, err_cap, "%s: expected ADDR:PORT", what);
	return false;
}

/* "tls_cert", "tls_key", "redirect_http": the flags' values, checked together at the end
 * of gw_config_parse_args (the files themselves are gateway/tls.c's to read). */
static bool load_tls(struct gw_config *cfg, json_t *root, char *err, size_t err_cap)
{
	const char *cert = NULL, *key = NULL, *redirect = NULL;
	json_error_t jerr;
	if (json_unpack_ex(root, &jerr, 0, "{s?s,s?s,s?s}", "tls_cert", &cert, "tls_key", &key,
			   "redirect_http", &redirect) != 0) {
		snprintf(err, err_cap, "%s", jerr.text);
		return false;
	}
	return (!cert || gw_config_set_string(cfg->tls_cert, sizeof cfg->tls_cert, cert, "tls_cert",
					      err, err_cap)) &&
	       (!key || gw_config_set_string(cfg->tls_key, sizeof cfg->tls_key, key, "tls_key", err,
					     err_cap)) &&
	       (!redirect || set_redirect(cfg, redirect, "redirect_http", err, err_cap));
}

/* The keys that hold tables: turn and ws_limits; and the HTTP limits. */
static bool load_tables(struct gw_config *cfg, json_t *root, char *err, size_t err_cap)
{
	return gw_config_turn(cfg, json_object_get(root, "turn"), err, err_cap) &&
	       gw_config_limits(cfg, root, err, err_cap) &&
	       gw_config_nats(cfg, root, err, err_cap) &&
	       gw_config_edge_load(cfg, root, err, err_cap);
}

static bool check_keys(json_t *root, char *err, size_t err_cap)
{
	static const char *const known[] = {"listen",
					    "data",
					    "web_root",
					    "public_ip",
					    "log_level",
					    "media_port",
					    "media_workers",
					    "grace_s",
					    "send_queue_kb",
					    "rooms",
					    "media_echo",
					    "media_tcp_port",
					    "turn",
					    "tls_cert",
					    "tls_key",
					    "redirect_http",
					    "media_bind",
					    "ws_limits",
					    NULL};
	/* The token rules of gateway/token.h. */
	static const char *const known_tokens[] = {"token_max_lifetime_s", NULL};
	/* The per-address HTTP limits. */
	static const char *const known_http[] = {
	    "http_body_max_kb",	  "http_rate_per_s",	   "http_rate_burst",
	    "max_conns_per_addr", "http_header_timeout_s", "http_body_min_rate",
	    "limit_loopback",	  "trusted_proxies",	   NULL};
	const char *key;
	json_t *value;
	json_object_foreach(root, key, value)
	{
		(void)value;
		bool ok = false;
		for (int i = 0; known[i]; i++)
			ok = ok || strcmp(key, known[i]) == 0;
		for (int i = 0; known_tokens[i]; i++)
			ok = ok || strcmp(key, known_tokens[i]) == 0;
		ok = ok || gw_config_edge_key(key);
		for (int i = 0; known_http[i]; i++)
			ok = ok || strcmp(key, known_http[i]) == 0;
		ok = ok || gw_config_nats_key(key);
		if (!ok) {
			snprintf(err, err_cap, "unknown key '%.60s'", key);
			return false;
		}
	}
	return true;
}

bool gw_config_load_file(struct gw_config *cfg, const char *path, char *err, size_t err_cap)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, err_cap, "%s:%d: %s", path, jerr.line, jerr.text);
		return false;
	}
	bool ok = false;
	int queue_kb = (int)(cfg->send_queue_bytes >> 10);
	json_t *rooms = json_object_get(root, "rooms");
	json_t *echo = json_object_get(root, "media_echo");
	if (!json_is_object(root)) {
		snprintf(err, err_cap, "%s: expected a JSON object", path);
		goto done;
	}
	if (!check_keys(root, err, err_cap) || !load_strings(cfg, root, err, err_cap) ||
	    !load_tls(cfg, root, err, err_cap) || !load_media_addresses(cfg, root, err, err_cap) ||
	    !gw_config_int_in(root, "media_port", 0, 65535, &cfg->media_port, err, err_cap) ||
	    !gw_config_int_in(root, "media_tcp_port", -1, 65535, &cfg->media_tcp_port, err,
			      err_cap) ||
	    !gw_config_int_in(root, "media_workers", 0, 64, &cfg->media_workers, err, err_cap) ||
	    !gw_config_int_in(root, "grace_s", 0, 3600, &cfg->grace_s, err, err_cap) ||
	    !gw_config_int_in(root, "token_max_lifetime_s", TOKEN_LIFETIME_MIN_S,
			      TOKEN_LIFETIME_MAX_S, &cfg->token_max_lifetime_s, err, err_cap) ||
	    !gw_config_int_in(root, "send_queue_kb", 64, 1 << 20, &queue_kb, err, err_cap) ||
	    !load_tables(cfg, root, err, err_cap))
		goto done;
	cfg->send_queue_bytes = (size_t)queue_kb << 10;
	if (echo && !json_is_boolean(echo)) {
		snprintf(err, err_cap, "media_echo: expected true or false");
		goto done;
	}
	cfg->media_echo = echo && json_is_true(echo);
	if (rooms && !json_is_array(rooms)) {
		snprintf(err, err_cap, "rooms: expected an array");
		goto done;
	}
	size_t i;
	json_t *room;
	json_array_foreach(rooms, i, room)
	{
		if (!load_room(cfg, room, err, err_cap))
			goto done;
	}
	ok = true;
done:
	json_decref(root);
	return ok;
}

static bool parse_int_flag(const char *value, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

/* --tls-cert, --tls-key, --redirect-http, and config_nats.c's: 1 taken, 0 a bad value, -1 not one
 * of them. */
static int apply_tls_flag(struct gw_config *cfg, const char *flag, const char *value, char *err,
			  size_t err_cap)
{
	if (strcmp(flag, "--tls-cert") == 0)
		return gw_config_set_string(cfg->tls_cert, sizeof cfg->tls_cert, value, flag, err,
					    err_cap);
	if (strcmp(flag, "--tls-key") == 0)
		return gw_config_set_string(cfg->tls_key, sizeof cfg->tls_key, value, flag, err,
					    err_cap);
	if (strcmp(flag, "--redirect-http") == 0)
		return set_redirect(cfg, value, flag, err, err_cap);
	return gw_config_nats_flag(cfg, flag, value, err, err_cap);
}

/* What only the whole configuration can say, flags and file together. */
static bool check_tls(const struct gw_config *cfg, char *err, size_t err_cap)
{
	bool cert = cfg->tls_cert[0] != '\0', key = cfg->tls_key[0] != '\0';
	if (cert != key) {
		snprintf(err, err_cap,
			 "--tls-cert and --tls-key (tls_cert, tls_key) go together: %s is missing",
			 cert ? "the key" : "the certificate");
		return false;
	}
	if (cfg->redirect_port >= 0 && !cert) {
		snprintf(err, err_cap,
			 "--redirect-http (redirect_http) redirects to HTTPS: it needs --tls-cert "
			 "and --tls-key");
		return false;
	}
	return true;
}

static bool apply_flag(struct gw_config *cfg, const char *flag, const char *value, char *err,
		       size_t err_cap)
{
	int tls = apply_tls_flag(cfg, flag, value, err, err_cap);
	if (tls >= 0)
		return tls == 1;
	if (strcmp(flag, "--listen") == 0) {
		if (gw_parse_listen(value, cfg->listen_addr, sizeof cfg->listen_addr,
				    &cfg->listen_port))
			return true;
		snprintf(err, err_cap, "--listen: expected ADDR:PORT");
		return false;
	}
	if (strcmp(flag, "--data") == 0)
		return gw_config_set_string(cfg->data_dir, sizeof cfg->data_dir, value, flag, err,
					    err_cap);
	if (strcmp(flag, "--web-root") == 0)
		return gw_config_set_string(cfg->web_root, sizeof cfg->web_root, value, flag, err,
					    err_cap);
	if (strcmp(flag, "--public-ip") == 0)
		return add_public_ip(cfg, value, flag, err, err_cap);
	if (strcmp(flag, "--media-bind") == 0)
		return set_media_bind(cfg, value, flag, err, err_cap);
	if (strcmp(flag, "--log-level") == 0)
		return gw_config_set_string(cfg->log_level, sizeof cfg->log_level, value, flag, err,
					    err_cap);
	int *target = NULL, lo = 0, hi = 0;
	if (strcmp(flag, "--media-port") == 0)
		target = &cfg->media_port, hi = 65535;
	else if (strcmp(flag, "--media-tcp-port") == 0)
		target = &cfg->media_tcp_port, lo = -1, hi = 65535;
	else if (strcmp(flag, "--media-workers") == 0)
		target = &cfg->media_workers, hi = 64;
	else if (strcmp(flag, "--grace") == 0)
		target = &cfg->grace_s, hi = 3600;
	if (!target) {
		snprintf(err, err_cap, "unknown option %s", flag);
		return false;
	}
	if (parse_int_flag(value, lo, hi, target))
		return true;
	snprintf(err, err_cap, "%s: expected an integer in [%d, %d]", flag, lo, hi);
	return false;
}

bool gw_config_parse_args(struct gw_config *cfg, int argc, char **argv, char *err, size_t err_cap)
{
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			if (!gw_config_set_string(cfg->config_path, sizeof cfg->config_path,
						  argv[i + 1], "--config", err, err_cap) ||
			    !gw_config_load_file(cfg, argv[i + 1], err, err_cap))
				return false;
		}
	}
	/* --public-ip flags replace the file's list rather than add to it. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--public-ip") == 0)
			cfg->n_public_ips = 0;
	for (int i = 1; i < argc; i++) {
		const char *flag = argv[i];
		if (strcmp(flag, "--media-echo") == 0) {
			cfg->media_echo = true;
			continue;
		}
		if (gw_config_edge_flag(cfg, flag))
			continue;
		if (strncmp(flag, "--", 2) != 0) {
			snprintf(err, err_cap, "unexpected argument '%.60s'", flag);
			return false;
		}
		if (i + 1 >= argc) {
			snprintf(err, err_cap, "%s needs a value", flag);
			return false;
		}
		const char *value = argv[++i];
		if (strcmp(flag, "--config") == 0)
			continue;
		if (!apply_flag(cfg, flag, value, err, err_cap))
			return false;
	}
	return check_tls(cfg, err, err_cap) && gw_config_edge_check(cfg, err, err_cap);
}
