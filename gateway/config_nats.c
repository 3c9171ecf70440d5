/*
 * The configuration of --nats (docs/scale.md): where NATS is, how long a publish may
 * wait, and this node's name and lease in the rooms' owner leases (nats_lease.h).
 *
 *   "nats": "nats://a:4222,nats://b:4222", "nats_timeout_ms": 2000,
 *   "node": "fra-1", "node_url": "https://fra-1.example.org", "lease_ttl_ms": 3000
 *
 * and the flags --nats, --node, --node-url, --lease-ttl-ms, which win over the file.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"

#define LEASE_TTL_MIN_MS 1000
#define LEASE_TTL_MAX_MS 60000

void gw_config_nats_defaults(struct gw_config *cfg)
{
	cfg->nats_timeout_ms = 2000;
	cfg->lease_ttl_ms = 3000;
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		snprintf(host, sizeof host, "plenaryd");
	/* Host names are valid node names, but may be longer than one: cut, not refused. */
	snprintf(cfg->node, sizeof cfg->node, "%.63s", host);
}

/* A node name goes into log lines, metric labels and messages unquoted: [A-Za-z0-9._-]. */
static bool node_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof((struct gw_config *)0)->node)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

static bool set_node(struct gw_config *cfg, const char *value, const char *what, char *err,
		     size_t err_cap)
{
	if (!value || !node_ok(value)) {
		snprintf(err, err_cap, "%s: expected 1 to 63 of A-Z a-z 0-9 . _ -", what);
		return false;
	}
	snprintf(cfg->node, sizeof cfg->node, "%s", value);
	return true;
}

/* A string key, if present: set with fn, or an error if it is not a string. */
static bool string_key(struct gw_config *cfg, json_t *root, const char *key, const char *form,
		       bool (*fn)(struct gw_config *, const char *, const char *, char *, size_t),
		       char *err, size_t err_cap)
{
	json_t *v = json_object_get(root, key);
	if (v && !json_is_string(v)) {
		snprintf(err, err_cap, "%s: expected %s", key, form);
		return false;
	}
	return !v || fn(cfg, json_string_value(v), key, err, err_cap);
}

static bool set_urls(struct gw_config *cfg, const char *v, const char *what, char *err,
		     size_t err_cap)
{
	return gw_config_set_string(cfg->nats_urls, sizeof cfg->nats_urls, v, what, err, err_cap);
}

static bool set_node_url(struct gw_config *cfg, const char *v, const char *what, char *err,
			 size_t err_cap)
{
	return gw_config_set_string(cfg->node_url, sizeof cfg->node_url, v, what, err, err_cap);
}

bool gw_config_nats(struct gw_config *cfg, json_t *root, char *err, size_t err_cap)
{
	return string_key(cfg, root, "nats", "\"URL[,URL...]\"", set_urls, err, err_cap) &&
	       gw_config_int_in(root, "nats_timeout_ms", 100, 60000, &cfg->nats_timeout_ms, err,
				err_cap) &&
	       string_key(cfg, root, "node", "a string", set_node, err, err_cap) &&
	       string_key(cfg, root, "node_url", "a string", set_node_url, err, err_cap) &&
	       gw_config_int_in(root, "lease_ttl_ms", LEASE_TTL_MIN_MS, LEASE_TTL_MAX_MS,
				&cfg->lease_ttl_ms, err, err_cap);
}

bool gw_config_nats_key(const char *key)
{
	static const char *const keys[] = {"nats",     "nats_timeout_ms", "node",
					   "node_url", "lease_ttl_ms",	  NULL};
	for (int i = 0; keys[i]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static bool set_ttl(struct gw_config *cfg, const char *value, const char *what, char *err,
		    size_t err_cap)
{
	char *end;
	long v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || v < LEASE_TTL_MIN_MS || v > LEASE_TTL_MAX_MS) {
		snprintf(err, err_cap, "%s: expected an integer in [%d, %d]", what,
			 LEASE_TTL_MIN_MS, LEASE_TTL_MAX_MS);
		return false;
	}
	cfg->lease_ttl_ms = (int)v;
	return true;
}

int gw_config_nats_flag(struct gw_config *cfg, const char *flag, const char *value, char *err,
			size_t err_cap)
{
	static const struct {
		const char *flag;
		bool (*fn)(struct gw_config *, const char *, const char *, char *, size_t);
	} flags[] = {{"--nats", set_urls},
		     {"--node", set_node},
		     {"--node-url", set_node_url},
		     {"--lease-ttl-ms", set_ttl}};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (strcmp(flag, flags[i].flag) == 0)
			return flags[i].fn(cfg, value, flag, err, err_cap) ? 1 : 0;
	return -1;
}
