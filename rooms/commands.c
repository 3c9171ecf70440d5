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
#define INTERPRETER (1u << ROOM_ROLE_INTERPRETER)

struct command {
	const char *type;
	unsigned roles;	 /* who may send it */
	bool needs_live; /* conflict unless the session is live */
	room_cmd_fn handler;
	const char *fields;	 /* for the docs: the fields it takes */
	enum room_cmd_class cls; /* its rate limit's bucket (rooms.h) */
};

#define QUEUE	ROOM_CLASS_QUEUE
#define SENSE	ROOM_CLASS_SENSE
#define CHAIRS	ROOM_CLASS_CHAIR
#define CAPTION ROOM_CLASS_CAPTION
#define SESSION ROOM_CLASS_SESSION

static const struct command commands[] = {
    {"session.start", CHAIR, false, cmd_session_start, "title?", CHAIRS},
    {"session.end", CHAIR, true, cmd_session_end, "", CHAIRS},
    {"queue.raise", CHAIR | PARTICIPANT, true, cmd_queue_raise, "kind?", QUEUE},
    {"queue.lower", CHAIR | PARTICIPANT, true, cmd_queue_lower, "", QUEUE},
    {"queue.open", CHAIR, true, cmd_queue_open, "", CHAIRS},
    {"queue.close", CHAIR, true, cmd_queue_close, "", CHAIRS},
    {"queue.policy", CHAIR, true, cmd_queue_policy, "policy?, time_limit_s?, auto_end?", CHAIRS},
    {"queue.add", CHAIR, true, cmd_queue_add, "name, group?, kind?", CHAIRS},
    {"queue.remove", CHAIR, true, cmd_queue_remove, "entry", CHAIRS},
    {"queue.move", CHAIR, true, cmd_queue_move, "entry, position", CHAIRS},
    {"queue.next", CHAIR, true, cmd_queue_next, "", CHAIRS},
    {"queue.grant", CHAIR, true, cmd_queue_grant, "entry", CHAIRS},
    /* A participant may end only their own floor: cmd_floor_end checks that. */
    {"floor.end", CHAIR | PARTICIPANT, true, cmd_floor_end, "", QUEUE},
    {"floor.extend", CHAIR, true, cmd_floor_extend, "seconds", CHAIRS},
    {"hum.start", CHAIR, true, cmd_hum_start, "question, options", CHAIRS},
    {"hum.cast", CHAIR | PARTICIPANT, true, cmd_hum_cast, "hum, option", SENSE},
    {"hum.end", CHAIR, true, cmd_hum_end, "hum", CHAIRS},
    {"poll.start", CHAIR, true, cmd_poll_start,
     "question, options, multiple?, anonymous?, live_counts?, show_of_hands?", CHAIRS},
    {"poll.vote", CHAIR | PARTICIPANT, true, cmd_poll_vote, "poll, choices", SENSE},
    {"poll.end", CHAIR, true, cmd_poll_end, "poll", CHAIRS},
    /* Moderation (moderation.c). Removal is refused once the record is sealed. */
    {"participant.remove", CHAIR, false, cmd_participant_remove, "pid, reason?", CHAIRS},
    {"participant.readmit", CHAIR, false, cmd_participant_readmit, "pid", CHAIRS},
    {"mic.open", CHAIR, true, cmd_mic_open, "pid", CHAIRS},
    {"mic.close", CHAIR, true, cmd_mic_close, "pid", CHAIRS},
    {"caption", CHAIR | CAPTIONER, true, cmd_caption, "lang, text, final, cid?", CAPTION},
    /* Interpretation (interp.c): an interpreter takes their own booth, a chair any; the
     * floor holder may declare the floor's language (cmd_floor_lang checks that). */
    {"interp.take", CHAIR | INTERPRETER, true, cmd_interp_take, "lang, pid?", CHAIRS},
    {"floor.lang", CHAIR | PARTICIPANT, true, cmd_floor_lang, "lang", CHAIRS},
    /* Runtime state, not the record: allowed before the session and after it. */
    {"mic.status", CHAIR | PARTICIPANT, false, cmd_mic_status, "state", SESSION},
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

enum room_cmd_class room_command_class(const char *type)
{
	const struct command *c = find(type);
	return c ? c->cls : ROOM_CLASS_SESSION;
}

const char *room_cmd_class_name(enum room_cmd_class cls)
{
	static const char *const names[ROOM_CLASS_COUNT] = {"session", "queue", "sense", "chair",
							    "caption"};
	return (unsigned)cls < ROOM_CLASS_COUNT ? names[cls] : "session";
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
	/* A removed person's connections are being closed; until they are, nothing. */
	if (room_removed(r, who->pid, NULL, NULL)) {
		*message = "you were removed from this room";
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
