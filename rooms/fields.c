/*
 * Field checks for command handlers: every field is type-checked and bounded before a
 * handler looks at it, with a message that names the field, so a client author reading
 * `bad_request` knows exactly what to fix.
 */
#include <stdio.h>
#include <string.h>

#include "rooms/room_internal.h"

/* The message is written into the room's own buffer: it must outlive the handler until
 * the caller has sent it, which happens before the room sees another command. */
static const char *say_in(struct room_cmd_ctx *ctx, const char *fmt, const char *key)
{
	snprintf(ctx->r->message, sizeof ctx->r->message, fmt, key);
	return ctx->r->message;
}
#define say(fmt, key) say_in(ctx, fmt, key)

bool field_string(struct room_cmd_ctx *ctx, const char *key, bool required, size_t max_bytes,
		  const char **out)
{
	json_t *v = json_object_get(ctx->cmd, key);
	if (!v) {
		if (required)
			ctx->message = say("missing field '%s'", key);
		*out = NULL;
		return !required;
	}
	if (!json_is_string(v)) {
		ctx->message = say("field '%s' must be a string", key);
		return false;
	}
	if (json_string_length(v) > max_bytes ||
	    memchr(json_string_value(v), '\0', json_string_length(v))) {
		ctx->message = say("field '%s' is too long", key);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

bool field_int(struct room_cmd_ctx *ctx, const char *key, bool required, int64_t lo, int64_t hi,
	       int64_t *out)
{
	json_t *v = json_object_get(ctx->cmd, key);
	if (!v) {
		if (required)
			ctx->message = say("missing field '%s'", key);
		return !required;
	}
	if (!json_is_integer(v)) {
		ctx->message = say("field '%s' must be an integer", key);
		return false;
	}
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		ctx->message = say("field '%s' is out of range", key);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

bool field_bool(struct room_cmd_ctx *ctx, const char *key, bool *out)
{
	json_t *v = json_object_get(ctx->cmd, key);
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		ctx->message = say("field '%s' must be true or false", key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
		if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

bool field_options(struct room_cmd_ctx *ctx, int min, int max, json_t **out)
{
	json_t *options = json_object_get(ctx->cmd, "options");
	if (!json_is_array(options) || json_array_size(options) < (size_t)min ||
	    json_array_size(options) > (size_t)max) {
		snprintf(ctx->r->message, sizeof ctx->r->message,
			 "options must be an array of %d to %d strings", min, max);
		ctx->message = ctx->r->message;
		return false;
	}
	size_t i;
	json_t *o;
	json_array_foreach(options, i, o)
	{
		if (!json_is_string(o) || json_string_length(o) == 0 ||
		    json_string_length(o) >= ROOM_OPTION_MAX ||
		    memchr(json_string_value(o), '\0', json_string_length(o))) {
			ctx->message =
			    "each option must be a non-empty string of at most 200 bytes";
			return false;
		}
	}
	*out = options;
	return true;
}
