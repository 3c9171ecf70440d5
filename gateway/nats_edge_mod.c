/*
 * Removals and revocations on an edge: its rooms learn of them from the log, like every
 * change, and act on the edge's own connections as the owner's moderation.c acts on its
 * connections -- the same private notice, the same close code -- only once the event is
 * folded, so an edge throws nobody out by an event the log does not hold.
 */
#include <jansson.h>
#include <string.h>

#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/moderation.h"
#include "gateway/nats_edge_priv.h"
#include "gateway/server.h"

/* The name the room has for pid (the chair who removed someone), or pid itself. */
static json_t *name_of(struct room *room, const char *pid)
{
	json_t *snap = room_snapshot(room);
	json_t *people = json_object_get(snap, "participants"), *p;
	size_t i;
	json_t *name = NULL;
	json_array_foreach(people, i, p)
	{
		if (json_is_string(json_object_get(p, "name")) &&
		    strcmp(json_string_value(json_object_get(p, "pid")), pid) == 0)
			name = json_incref(json_object_get(p, "name"));
	}
	json_decref(snap);
	return name ? name : json_string(pid);
}

static void removed(struct room_host *h, struct room *room, json_t *data)
{
	const char *pid = json_string_value(json_object_get(data, "pid"));
	const char *by = NULL, *reason = NULL;
	if (!pid || !room_removed(room, pid, &by, &reason))
		return; /* readmitted since, in the same batch */
	size_t n = gw_moderation_kick_removed(h, pid, by, name_of(room, by), reason);
	gw_info("edge: participant removed", "room=%s pid=%s connections=%zu", room_id(room), pid,
		n);
}

static void revoked(struct room_host *h, struct room *room, json_t *data)
{
	const char *sub = json_string_value(json_object_get(data, "sub"));
	const char *jti = json_string_value(json_object_get(data, "jti"));
	const char *reason = json_string_value(json_object_get(data, "reason"));
	if (!sub == !jti)
		return;
	size_t n = gw_moderation_kick_revoked(h, sub, jti, reason);
	gw_info("edge: token revoked", "room=%s by=%s connections=%zu", room_id(room),
		jti ? "jti" : "sub", n);
}

static void one_line(struct room_host *h, struct room *room, const char *line, size_t len)
{
	json_t *rec = json_loadb(line, len, 0, NULL);
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	json_t *data = json_object_get(rec, "data");
	if (kind && strcmp(kind, "participant.removed") == 0)
		removed(h, room, data);
	else if (kind && strcmp(kind, "token.revoked") == 0)
		revoked(h, room, data);
	json_decref(rec);
}

void gw_edge_moderate(struct gateway *gw, struct room *room, const char *lines, size_t len)
{
	(void)gw;
	struct room_host *h = room_host_data(room);
	for (size_t at = 0; h && at < len;) {
		const char *nl = memchr(lines + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (lines + at)) : len - at;
		/* Most lines are neither: look before parsing. */
		if (memmem(lines + at, n, "\"participant.removed\"", 21) ||
		    memmem(lines + at, n, "\"token.revoked\"", 15))
			one_line(h, room, lines + at, n);
		at += n + 1;
	}
}
