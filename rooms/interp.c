/*
 * Interpretation: booths (one language each), who is on air in them, and the floor's
 * declared language.
 *
 * A booth has at most one live interpreter. interp.take hands it over in one event,
 * interp.taken {lang, pid, name, by, from}: the fold makes pid the booth's voice, so
 * room_mic_open() is true for the new interpreter and false for the one before at the
 * same instant. The host is then told "from closes" before "pid opens", in that order,
 * and the media worker applies gate messages in the order they come, so no mixer tick
 * ever sees both mics open (the handover may cost a tick of silence, never a double
 * voice). An interpreter who leaves goes off air with participant.left; their booth stays
 * (its channel is known, and its listeners hear the floor until someone takes it).
 *
 *   booth:  (none) --interp.taken--> on air(pid) --interp.taken--> on air(pid')
 *                                       |  ^                          |
 *                     participant.left  v  | interp.taken             | interp.taken pid null
 *                                     off air  <----------------------'
 *
 * floor.lang {lang} (the chair, or whoever holds the floor) declares the language spoken
 * on the floor, so interpreters and listeners know which booth to follow; it is on the
 * record and in the snapshot.
 */
#include <string.h>

#include "base/lang.h"
#include "rooms/room_internal.h"

static struct room_booth *room_booth(struct room *r, const char *lang)
{
	for (int i = 0; i < r->n_booths; i++)
		if (strcmp(r->booths[i].lang, lang) == 0)
			return &r->booths[i];
	return NULL;
}

static const struct room_booth *booth_const(const struct room *r, const char *lang)
{
	return room_booth((struct room *)r, lang);
}

bool room_interp_on_air(const struct room *r, const struct person *p)
{
	const struct room_booth *b = booth_const(r, p->lang);
	return p->present && p->connections > 0 && b && strcmp(b->pid, p->pid) == 0;
}

const char *room_channel_voice(const struct room *r, const char *lang)
{
	const struct room_booth *b = lang ? booth_const(r, lang) : NULL;
	return b && b->pid[0] ? b->pid : NULL;
}

int room_channel_index(const struct room *r, const char *lang)
{
	const struct room_booth *b = lang ? booth_const(r, lang) : NULL;
	return b ? (int)(b - r->booths) : -1;
}

bool room_channel_exists(const struct room *r, const char *lang)
{
	return lang && booth_const(r, lang) != NULL;
}

/* lang from the command, checked and in its conventional case into out. */
static bool field_lang(struct room_cmd_ctx *ctx, char out[ROOM_LANG_MAX])
{
	const char *lang = NULL;
	if (!field_string(ctx, "lang", true, ROOM_LANG_MAX - 1, &lang))
		return false;
	if (!base_lang_canon(lang, out, ROOM_LANG_MAX)) {
		ctx->message = "lang must be a BCP 47 language tag such as fr, zh-Hans or pt-BR";
		return false;
	}
	return true;
}

/* Who the booth goes to: the interpreter who asks, or (for a chair) the interpreter named
 * by pid, or nobody (pid null). *to is NULL for nobody. */
static enum room_err take_target(struct room_cmd_ctx *ctx, const char *lang, struct person **to)
{
	struct room *r = ctx->r;
	*to = NULL;
	if (ctx->who->role == ROOM_ROLE_INTERPRETER) {
		*to = room_person(r, ctx->who->pid);
		if (!*to || strcmp((*to)->lang, lang) != 0) {
			ctx->message = "you may take only your own booth";
			return ROOM_EFORBIDDEN;
		}
		return ROOM_OK;
	}
	json_t *pid = json_object_get(ctx->cmd, "pid");
	if (json_is_null(pid))
		return ROOM_OK;
	const char *s = NULL;
	if (!field_string(ctx, "pid", true, QUEUE_PID_MAX - 1, &s))
		return ROOM_EBAD_REQUEST;
	*to = room_person(r, s);
	if (!*to || !(*to)->present || (*to)->role != ROOM_ROLE_INTERPRETER) {
		ctx->message = "no interpreter with that pid is here";
		return ROOM_ENOT_FOUND;
	}
	if (strcmp((*to)->lang, lang) != 0) {
		ctx->message = "that interpreter works in another booth";
		return ROOM_ECONFLICT;
	}
	return ROOM_OK;
}

/* What the booth's state allows: a change, to someone who can hear, in a booth that fits. */
static enum room_err take_allowed(struct room_cmd_ctx *ctx, const struct room_booth *b,
				  const struct person *to)
{
	if (strcmp(b ? b->pid : "", to ? to->pid : "") == 0) {
		ctx->message =
		    to ? "already on air in this booth" : "nobody is on air in this booth";
		return ROOM_ECONFLICT;
	}
	if (to && to->connections == 0) {
		ctx->message = "that interpreter is not connected";
		return ROOM_ECONFLICT;
	}
	if (!b && ctx->r->n_booths >= ROOM_BOOTHS_MAX) {
		ctx->message = "this room has as many booths as it may";
		return ROOM_ECONFLICT;
	}
	return ROOM_OK;
}

enum room_err cmd_interp_take(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	char lang[ROOM_LANG_MAX];
	if (!field_lang(ctx, lang))
		return ROOM_EBAD_REQUEST;
	struct person *to;
	enum room_err err = take_target(ctx, lang, &to);
	if (err != ROOM_OK)
		return err;
	const struct room_booth *b = room_booth(r, lang);
	const char *now_pid = b ? b->pid : "";
	if ((err = take_allowed(ctx, b, to)) != ROOM_OK)
		return err;
	char from[QUEUE_PID_MAX], pid[QUEUE_PID_MAX];
	snprintf(from, sizeof from, "%s", now_pid);
	snprintf(pid, sizeof pid, "%s", to ? to->pid : "");
	bool from_open = from[0] && room_mic_open(r, from);
	json_t *data = json_pack("{s:s,s:o,s:o,s:s,s:o}", "lang", lang, "pid",
				 to ? json_string(to->pid) : json_null(), "name",
				 to ? json_string(to->name) : json_null(), "by", ctx->who->pid,
				 "from", from[0] ? json_string(from) : json_null());
	err = room_emit(r, "interp.taken", data, ctx->now);
	if (err != ROOM_OK)
		return err;
	/* Close before open: the media applies them in this order (the file's comment). */
	if (from_open && !room_mic_open(r, from))
		room_mic_changed(r, from, false);
	if (pid[0] && room_mic_open(r, pid))
		room_mic_changed(r, pid, true);
	return ROOM_OK;
}

bool room_apply_interp_taken(struct room *r, const json_t *d, int64_t ts)
{
	const char *lang;
	json_t *who = NULL;
	if (json_unpack((json_t *)d, "{s:s,s?o}", "lang", &lang, "pid", &who) != 0 ||
	    !base_lang_valid(lang) || strlen(lang) >= ROOM_LANG_MAX ||
	    !(!who || json_is_null(who) || json_is_string(who)))
		return false;
	const char *pid = json_string_value(who); /* NULL: nobody on air */
	struct room_booth *b = room_booth(r, lang);
	if (!b) {
		if (r->n_booths >= ROOM_BOOTHS_MAX)
			return false;
		b = &r->booths[r->n_booths++];
		snprintf(b->lang, sizeof b->lang, "%s", lang);
	}
	if (pid) {
		const struct person *p = room_person(r, pid);
		if (!p || p->role != ROOM_ROLE_INTERPRETER || strcmp(p->lang, lang) != 0)
			return false;
	}
	snprintf(b->pid, sizeof b->pid, "%s", pid ? pid : "");
	b->since_ms = ts;
	return true;
}

void room_interp_person_left(struct room *r, const char *pid)
{
	for (int i = 0; i < r->n_booths; i++)
		if (strcmp(r->booths[i].pid, pid) == 0)
			r->booths[i].pid[0] = '\0';
}

enum room_err cmd_floor_lang(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	if (ctx->who->role != ROOM_ROLE_CHAIR &&
	    !(r->queue.floor.active && strcmp(r->queue.floor.pid, ctx->who->pid) == 0)) {
		ctx->message = "only a chair or the floor holder may declare the floor's language";
		return ROOM_EFORBIDDEN;
	}
	char lang[ROOM_LANG_MAX];
	if (!field_lang(ctx, lang))
		return ROOM_EBAD_REQUEST;
	if (strcmp(r->floor_lang, lang) == 0) {
		ctx->message = "the floor's language is already that";
		return ROOM_ECONFLICT;
	}
	return room_emit(r, "floor.lang", json_pack("{s:s,s:s}", "lang", lang, "by", ctx->who->pid),
			 ctx->now);
}

bool room_apply_floor_lang(struct room *r, const json_t *d, int64_t ts)
{
	const char *lang;
	(void)ts;
	if (json_unpack((json_t *)d, "{s:s}", "lang", &lang) != 0 || !base_lang_valid(lang) ||
	    strlen(lang) >= ROOM_LANG_MAX)
		return false;
	snprintf(r->floor_lang, sizeof r->floor_lang, "%s", lang);
	return true;
}

void room_snapshot_interp(const struct room *r, json_t *snap)
{
	json_t *booths = json_array();
	for (int i = 0; i < r->n_booths; i++) {
		const struct room_booth *b = &r->booths[i];
		const struct person *p = b->pid[0] ? room_person((struct room *)r, b->pid) : NULL;
		json_array_append_new(booths,
				      json_pack("{s:s,s:o,s:o}", "lang", b->lang, "pid",
						p ? json_string(p->pid) : json_null(), "name",
						p ? json_string(p->name) : json_null()));
	}
	json_object_set_new(snap, "booths", booths);
	json_object_set_new(snap, "floor_lang",
			    r->floor_lang[0] ? json_string(r->floor_lang) : json_null());
}
