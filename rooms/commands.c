/*
 * The command table: every command a client may send to a room, who may send it (the
 * permission table of PROTOCOL.md, as data, in one place), whether it needs a live
 * session, and its handler. room_command() is the only way in, so the checks below are
 * the checks for everything, and a role that may not send a command gets `forbidden`
 * before any field is even read.
 */
#include <string.h>

#include "rooms/room_internal.h"

#define CHAIR	    (1u << ROOM_ROLE_CHAIR)
#define PARTICIPANT (1u << ROOM_ROLE_PARTICIPANT)
#define OBSERVER    (1u << ROOM_ROLE_OBSERVER)
#define CAPTIONER   (1u << ROOM_ROLE_CAPTIONER)

struct command {
	const char *type;
	unsigned roles;	 /* who may send it */
	bool needs_live; /* conflict unless the session is live */
	room_cmd_fn handler;
	const char *fields; /* for the docs: the fields it takes */
};

static const struct command commands[] = {
    {"session.start", CHAIR, false, cmd_session_start, "title?"},
    {"session.end", CHAIR, true, cmd_session_end, ""},
    {"queue.raise", CHAIR | PARTICIPANT, true, cmd_queue_raise, "kind?"},
    {"queue.lower", CHAIR | PARTICIPANT, true, cmd_queue_lower, ""},
    {"queue.open", CHAIR, true, cmd_queue_open, ""},
    {"queue.close", CHAIR, true, cmd_queue_close, ""},
    {"queue.policy", CHAIR, true, cmd_queue_policy, "policy?, time_limit_s?, auto_end?"},
    {"queue.add", CHAIR, true, cmd_queue_add, "name, group?, kind?"},
    {"queue.remove", CHAIR, true, cmd_queue_remove, "entry"},
    {"queue.move", CHAIR, true, cmd_queue_move, "entry, position"},
    {"queue.next", CHAIR, true, cmd_queue_next, ""},
    {"queue.grant", CHAIR, true, cmd_queue_grant, "entry"},
    /* A participant may end only their own floor: cmd_floor_end checks that. */
    {"floor.end", CHAIR | PARTICIPANT, true, cmd_floor_end, ""},
    {"floor.extend", CHAIR, true, cmd_floor_extend, "seconds"},
    {"hum.start", CHAIR, true, cmd_hum_start, "question, options"},
    {"hum.cast", CHAIR | PARTICIPANT, true, cmd_hum_cast, "hum, option"},
    {"hum.end", CHAIR, true, cmd_hum_end, "hum"},
    {"poll.start", CHAIR, true, cmd_poll_start,
     "question, options, multiple?, anonymous?, live_counts?, show_of_hands?"},
    {"poll.vote", CHAIR | PARTICIPANT, true, cmd_poll_vote, "poll, choices"},
    {"poll.end", CHAIR, true, cmd_poll_end, "poll"},
    {"caption", CHAIR | CAPTIONER, true, cmd_caption, "lang, text, final"},
};

static const struct command *find(const char *type)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].type, type) == 0)
			return &commands[i];
	return NULL;
}

bool room_command_known(const char *type)
{
	return find(type) != NULL;
}

bool room_command_allowed(const char *type, enum room_role role)
{
	const struct command *c = find(type);
	return c && (c->roles & (1u << role));
}

enum room_err room_command(struct room *r, const struct room_identity *who, const char *type,
			   json_t *cmd, int64_t now_ms, json_t **result, const char **message)
{
	*result = NULL;
	*message = NULL;
	const struct command *c = find(type);
	if (!c) {
		*message = "unknown command";
		return ROOM_EUNKNOWN_TYPE;
	}
	if (!(c->roles & (1u << who->role))) {
		*message = "your role may not do this";
		return ROOM_EFORBIDDEN;
	}
	if (c->needs_live && r->status != ROOM_LIVE) {
		*message = r->status == ROOM_ENDED ? "the session has ended"
						   : "the session has not started";
		return ROOM_ECONFLICT;
	}
	struct room_cmd_ctx ctx = {.r = r, .who = who, .cmd = cmd, .now = now_ms};
	enum room_err err = c->handler(&ctx);
	*message = ctx.message;
	if (err != ROOM_OK) {
		json_decref(ctx.result);
		return err;
	}
	*result = ctx.result ? ctx.result : json_object();
	return ROOM_OK;
}
