#include "gateway/msg.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

struct gw_msg *gw_msg_new(const char *text, size_t len)
{
	struct gw_msg *m = malloc(sizeof *m + LWS_PRE + len + 1);
	if (!m)
		return NULL;
	m->refs = 1;
	m->close_code = 0;
	m->len = len;
	m->payload = m->buf + LWS_PRE;
	memcpy(m->payload, text, len);
	m->payload[len] = '\0';
	return m;
}

struct gw_msg *gw_msg_from_json(const json_t *v)
{
	size_t len = json_dumpb(v, NULL, 0, JSON_COMPACT);
	if (len == 0)
		return NULL;
	struct gw_msg *m = malloc(sizeof *m + LWS_PRE + len + 1);
	if (!m)
		return NULL;
	m->refs = 1;
	m->close_code = 0;
	m->payload = m->buf + LWS_PRE;
	m->len = json_dumpb(v, (char *)m->payload, len, JSON_COMPACT);
	if (m->len != len) {
		free(m);
		return NULL;
	}
	m->payload[len] = '\0';
	return m;
}

struct gw_msg *gw_msg_from_json_with(const json_t *v, const char *key, const char *raw,
				     size_t raw_len)
{
	size_t len = json_dumpb(v, NULL, 0, JSON_COMPACT);
	size_t key_len = strlen(key);
	if (len < 2)
		return NULL;
	size_t total = len + key_len + raw_len + 4; /* , "key" : raw (the brace is reused) */
	struct gw_msg *m = malloc(sizeof *m + LWS_PRE + total + 1);
	if (!m)
		return NULL;
	m->refs = 1;
	m->close_code = 0;
	m->payload = m->buf + LWS_PRE;
	char *out = (char *)m->payload;
	if (json_dumpb(v, out, len, JSON_COMPACT) != len || out[len - 1] != '}') {
		free(m);
		return NULL;
	}
	size_t at = len - 1;
	if (len > 2)
		out[at++] = ',';
	out[at++] = '"';
	memcpy(out + at, key, key_len);
	at += key_len;
	out[at++] = '"';
	out[at++] = ':';
	memcpy(out + at, raw, raw_len);
	at += raw_len;
	out[at++] = '}';
	out[at] = '\0';
	m->len = at;
	return m;
}

struct gw_msg *gw_msg_close(int code, const char *reason)
{
	size_t len = strlen(reason);
	struct gw_msg *m = gw_msg_new(reason, len > 123 ? 123 : len);
	if (m)
		m->close_code = code;
	return m;
}

struct gw_msg *gw_msg_ref(struct gw_msg *m)
{
	m->refs++;
	return m;
}

void gw_msg_unref(struct gw_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}
