/*
 * "edge" in the configuration and --edge on the command line (docs/scale.md, "Edges"):
 * the node owns no room; it folds each room from JetStream and forwards its clients'
 * commands to the room's owner. Only meaningful with --nats, which is checked here so
 * a lone --edge stops the server at start rather than serving rooms nobody writes.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"

bool gw_config_edge_load(struct gw_config *cfg, json_t *root, char *err, size_t err_cap)
{
	return gw_config_bool_in(root, "edge", &cfg->edge, err, err_cap);
}

bool gw_config_edge_key(const char *key)
{
	return strcmp(key, "edge") == 0;
}

bool gw_config_edge_flag(struct gw_config *cfg, const char *flag)
{
	if (strcmp(flag, "--edge") != 0)
		return false;
	cfg->edge = true;
	return true;
}

bool gw_config_edge_check(const struct gw_config *cfg, char *err, size_t err_cap)
{
	if (cfg->edge && !cfg->nats_urls[0]) {
		snprintf(err, err_cap,
			 "--edge (edge) follows rooms from NATS JetStream: it needs --nats");
		return false;
	}
	return true;
}
