/*
 * session.start and session.end: scheduled -> live -> ended. Ending the session ends
 * whatever is still running -- the floor, the hum, the poll -- with their own events, so
 * the record never holds a floor without an end; then the record is sealed.
 */
#include <stdlib.h>

#include "rooms/room_internal.h"

/* The chairs and venues whose mic was open when the session ended: it closes with the
 * session. */
static void close_chair_mics(struct room *r, const bool *was_open)
{
	for (size_t i = 0; i < r->n_people; i++)
		if (was_open[i])
			room_mic_changed(r, r->people[i].pid, false);
}

enum room_err cmd_session_start(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	const char *title = NULL;
	if (!field_string(ctx, "title", false, ROOM_TITLE_MAX - 1, &title))
		return ROOM_EBAD_REQUEST;
	if (r->status != ROOM_SCHEDULED) {
		ctx->message = r->status == ROOM_LIVE ? "the session is already live"
						      : "the session has ended";
		return ROOM_ECONFLICT;
	}
	/* Chairs' microphones stay closed until each chair opens their own (mic.open); the
	 * venue's opens with the session. */
	enum room_err err = room_emit(
	    r, "session.started", json_pack("{s:s}", "title", title ? title : r->title), ctx->now);
	for (size_t i = 0; err == ROOM_OK && i < r->n_people; i++)
		if ((r->people[i].role == ROOM_ROLE_VENUE ||
		     r->people[i].role == ROOM_ROLE_INTERPRETER) &&
		    room_mic_open(r, r->people[i].pid))
			room_mic_changed(r, r->people[i].pid, true);
	return err;
}

enum room_err cmd_session_end(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	enum room_err err = ROOM_OK;
	if (r->queue.floor.active)
		err = room_end_floor(r, QUEUE_END_SESSION_ENDED, ctx->now);
	if (err == ROOM_OK && r->hum.open)
		err = room_end_hum(r, ctx->now);
	if (err == ROOM_OK && room_open_poll(r))
		err = room_end_poll(r, ctx->now);
	if (err != ROOM_OK)
		return err;
	size_t n = r->n_people;
	bool *was_open = calloc(n ? n : 1, sizeof *was_open);
	if (!was_open)
		return ROOM_EINTERNAL;
	for (size_t i = 0; i < n; i++)
		was_open[i] =
		    (r->people[i].role == ROOM_ROLE_CHAIR || r->people[i].role == ROOM_ROLE_VENUE ||
		     r->people[i].role == ROOM_ROLE_INTERPRETER) &&
		    room_mic_open(r, r->people[i].pid);
	err = room_emit(r, "session.ended",
			json_pack("{s:I}", "duration_ms", (json_int_t)(ctx->now - r->started_ms)),
			ctx->now);
	if (err == ROOM_OK)
		close_chair_mics(r, was_open);
	free(was_open);
	return err;
}
