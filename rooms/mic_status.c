/*
 * mic.status: what a speaker's client says of its own microphone, so the chair can see,
 * before giving someone the floor, whether they can be heard at all (no microphone, the
 * browser refused it, muted by themselves, or ready). It is runtime state, like who is
 * connected: never logged, sent to the room as a live message, carried by the snapshot's
 * people (null until a client says anything, and again after a restart), and kept across
 * a rollback. A client says it again after every join.
 */
#include <string.h>

#include "rooms/room_internal.h"

static const char *const names[] = {
    [ROOM_MIC_NONE] = "none",
    [ROOM_MIC_REFUSED] = "refused",
    [ROOM_MIC_MUTED] = "muted",
    [ROOM_MIC_READY] = "ready",
};

const char *room_mic_state_name(enum room_mic_state s)
{
	return s > ROOM_MIC_UNKNOWN && s <= ROOM_MIC_READY ? names[s] : NULL;
}

enum room_err cmd_mic_status(struct room_cmd_ctx *ctx)
{
	const char *state = NULL;
	if (!field_string(ctx, "state", true, 16, &state))
		return ROOM_EBAD_REQUEST;
	enum room_mic_state s = ROOM_MIC_UNKNOWN;
	for (int i = ROOM_MIC_NONE; i <= ROOM_MIC_READY; i++)
		if (strcmp(state, names[i]) == 0)
			s = (enum room_mic_state)i;
	if (s == ROOM_MIC_UNKNOWN) {
		ctx->message = "state must be none, refused, muted or ready";
		return ROOM_EBAD_REQUEST;
	}
	struct person *p = room_person(ctx->r, ctx->who->pid);
	if (!p)
		return ROOM_ENOT_FOUND;
	if (p->mic == s)
		return ROOM_OK;
	p->mic = s;
	room_send_live(ctx->r, "mic.status",
		       json_pack("{s:s,s:s}", "pid", p->pid, "state", names[s]));
	return ROOM_OK;
}
