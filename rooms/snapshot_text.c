/*
 * The snapshot as text, for a join's ack (rooms.h room_snapshot_text). Every join sends
 * the whole roster, so at a plenary's size the participants array is nearly all of the
 * snapshot and of its cost: built as jansson objects and then serialised it took 4.4 ms
 * per join with 2,000 people, most of a core while they join at 100 a second. Here it is
 * written straight into one buffer sized up front; the rest of the snapshot is small and
 * still comes from room_snapshot_core, so there is one definition of each field.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/room_internal.h"

/* Escapes as JSON requires (quote, backslash, control characters) and nothing more:
 * names are valid UTF-8 already (they came through the JSON parser or a checked token). */
static char *put_escaped(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			*out++ = '\\';
			*out++ = (char)*c;
		} else if (*c < 0x20) {
			memcpy(out, "\\u00", 4);
			out[4] = hex[*c >> 4];
			out[5] = hex[*c & 15];
			out += 6;
		} else {
			*out++ = (char)*c;
		}
	}
	return out;
}

static char *put(char *out, const char *s)
{
	size_t n = strlen(s);
	memcpy(out, s, n);
	return out + n;
}

/* The most one person's entry can take: every string escaped at 6 bytes a byte, plus the
 * fixed text. */
static size_t person_bound(const struct person *p)
{
	return 6 * (strlen(p->pid) + strlen(p->name) + strlen(p->group)) + 160;
}

static char *put_person(char *out, const struct person *p)
{
	const char *mic = room_mic_state_name(p->mic);
	out = put(out, "{\"pid\":\"");
	out = put_escaped(out, p->pid);
	out = put(out, "\",\"name\":\"");
	out = put_escaped(out, p->name);
	out = put(out, "\",\"role\":\"");
	out = put(out, room_role_name(p->role));
	out = put(out, "\",\"group\":\"");
	out = put_escaped(out, p->group);
	out = put(out, p->in_room ? "\",\"location\":\"room\"" : "\",\"location\":\"remote\"");
	out = put(out, p->connections > 0 ? ",\"connected\":true" : ",\"connected\":false");
	if (mic) {
		out = put(out, ",\"mic\":\"");
		out = put(out, mic);
		out = put(out, "\"}");
	} else {
		out = put(out, ",\"mic\":null}");
	}
	return out;
}

char *room_snapshot_text(const struct room *r, size_t *len)
{
	json_t *core = room_snapshot_core(r);
	char *head = core ? json_dumps(core, JSON_COMPACT) : NULL;
	json_decref(core);
	size_t head_len = head ? strlen(head) : 0;
	if (head_len < 2 || head[head_len - 1] != '}') {
		free(head);
		return NULL;
	}
	size_t cap = head_len + 32;
	for (size_t i = 0; i < r->n_people; i++)
		if (r->people[i].present)
			cap += person_bound(&r->people[i]);
	char *text = malloc(cap);
	if (!text) {
		free(head);
		return NULL;
	}
	char *out = text;
	memcpy(out, head, head_len - 1); /* all but the closing brace */
	out += head_len - 1;
	free(head);
	out = put(out, ",\"participants\":[");
	bool first = true;
	for (size_t i = 0; i < r->n_people; i++) {
		if (!r->people[i].present)
			continue;
		if (!first)
			*out++ = ',';
		first = false;
		out = put_person(out, &r->people[i]);
	}
	out = put(out, "]}");
	*out = '\0';
	*len = (size_t)(out - text);
	return text;
}
