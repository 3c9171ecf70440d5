/*
 * The limits: per-class WebSocket command rates ("ws_limits"), the per-address HTTP limits
 * (http_limits.h) and the proxies trusted to say who the client is (forwarded.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"

static bool load_rate(json_t *v, const char *name, struct gw_rate *rate, char *err, size_t err_cap)
{
	json_t *per_s = json_object_get(v, "per_s");
	json_t *burst = json_object_get(v, "burst");
	if (!json_is_object(v) || json_object_size(v) != (size_t)(!!per_s + !!burst) ||
	    (per_s && (!json_is_integer(per_s) || json_integer_value(per_s) < 1 ||
		       json_integer_value(per_s) > 100000)) ||
	    (burst && (!json_is_integer(burst) || json_integer_value(burst) < 1 ||
		       json_integer_value(burst) > 100000))) {
		snprintf(err, err_cap,
			 "ws_limits.%s: expected {\"per_s\", \"burst\"}, integers in "
			 "[1, 100000]",
			 name);
		return false;
	}
	if (per_s)
		rate->per_s = (int)json_integer_value(per_s);
	if (burst)
		rate->burst = (int)json_integer_value(burst);
	return true;
}

/* "ws_limits": {"queue": {"per_s": 5, "burst": 20}, ..., "join_per_address": {...}} */
static bool load_ws_limits(struct gw_config *cfg, json_t *limits, char *err, size_t err_cap)
{
	static const char *const names[GW_WS_LIMIT_CLASSES] = {"session", "queue", "sense", "chair",
							       "caption"};
	if (!limits)
		return true;
	if (!json_is_object(limits)) {
		snprintf(err, err_cap, "ws_limits: expected an object");
		return false;
	}
	const char *key;
	json_t *v;
	json_object_foreach(limits, key, v)
	{
		struct gw_rate *rate = NULL;
		for (int i = 0; i < GW_WS_LIMIT_CLASSES; i++)
			if (strcmp(key, names[i]) == 0)
				rate = &cfg->ws_limits[i];
		if (strcmp(key, "join_per_address") == 0)
			rate = &cfg->join_per_address;
		if (!rate) {
			snprintf(err, err_cap, "ws_limits: unknown class '%.60s'", key);
			return false;
		}
		if (!load_rate(v, key, rate, err, err_cap))
			return false;
	}
	return true;
}

/* trusted_proxies: an array of addresses or CIDR prefixes (forwarded.h). */
static bool load_proxies(struct gw_proxies *p, json_t *list, char *err, size_t err_cap)
{
	if (!list)
		return true;
	if (!json_is_array(list) || json_array_size(list) > GW_PROXIES_MAX) {
		snprintf(err, err_cap, "trusted_proxies: expected an array of at most %d addresses",
			 GW_PROXIES_MAX);
		return false;
	}
	size_t i;
	json_t *v;
	p->n = 0;
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v) ||
		    !gw_cidr_parse(json_string_value(v), json_string_length(v), &p->nets[p->n])) {
			snprintf(err, err_cap,
				 "trusted_proxies[%zu]: expected an IPv4 or IPv6 address or prefix "
				 "(\"10.0.0.0/8\"), with no bits set past the prefix",
				 i);
			return false;
		}
		p->n++;
	}
	return true;
}

/* The per-address HTTP limits (gateway/http_limits.h). */
static bool load_http_limits(struct gw_http_limits *h, json_t *root, char *err, size_t err_cap)
{
	return gw_config_int_in(root, "http_body_max_kb", 1, 1 << 20, &h->body_max_kb, err,
				err_cap) &&
	       gw_config_int_in(root, "http_rate_per_s", 0, 1000000, &h->rate_per_s, err,
				err_cap) &&
	       gw_config_int_in(root, "http_rate_burst", 1, 1000000, &h->rate_burst, err,
				err_cap) &&
	       gw_config_int_in(root, "max_conns_per_addr", 0, 1000000, &h->conns_per_addr, err,
				err_cap) &&
	       gw_config_int_in(root, "http_header_timeout_s", 1, 3600, &h->header_timeout_s, err,
				err_cap) &&
	       gw_config_int_in(root, "http_body_min_rate", 0, 1 << 30, &h->body_min_rate, err,
				err_cap) &&
	       gw_config_bool_in(root, "limit_loopback", &h->limit_loopback, err, err_cap) &&
	       load_proxies(&h->trusted_proxies, json_object_get(root, "trusted_proxies"), err,
			    err_cap);
}

bool gw_config_limits(struct gw_config *cfg, json_t *root, char *err, size_t err_cap)
{
	return load_ws_limits(cfg, json_object_get(root, "ws_limits"), err, err_cap) &&
	       load_http_limits(&cfg->http, root, err, err_cap);
}
