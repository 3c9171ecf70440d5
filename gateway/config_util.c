/*
 * The checked setters every part of the configuration uses (config.c, config_limits.c,
 * config_nats.c ...): each names the key in its error, so a typo stops the server at start
 * with the field named.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"

bool gw_config_set_string(char *dst, size_t cap, const char *src, const char *what, char *err,
			  size_t err_cap)
{
	if (!src || strlen(src) >= cap) {
		snprintf(err, err_cap, "%s is too long", what);
		return false;
	}
	snprintf(dst, cap, "%s", src);
	return true;
}

bool gw_config_int_in(json_t *root, const char *key, int lo, int hi, int *out, char *err,
		      size_t err_cap)
{
	json_t *v = json_object_get(root, key);
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		snprintf(err, err_cap, "%s: expected an integer in [%d, %d]", key, lo, hi);
		return false;
	}
	*out = (int)json_integer_value(v);
	return true;
}

bool gw_config_bool_in(json_t *root, const char *key, bool *out, char *err, size_t err_cap)
{
	json_t *v = json_object_get(root, key);
	if (v && !json_is_boolean(v)) {
		snprintf(err, err_cap, "%s: expected true or false", key);
		return false;
	}
	*out = v ? json_is_true(v) : *out;
	return true;
}
