/*
 * The fold: how each event changes a room's durable state. This is the only code that
 * does, live and on replay alike, which is what makes "the state is a fold over the log"
 * true rather than hoped for. Each kind has one function in the table; an event whose
 * fields do not fit (a log written by something else, or tampered with in a way the
 * chain cannot see because whoever did it rewrote the chain) makes room_apply() return
 * false, and the room refuses to load rather than guess.
 */
#include <string.h>

#include "base/lang.h"
#include "rooms/room_internal.h"

typedef bool (*apply_fn)(struct room *r, const json_t *d, int64_t ts);

static bool copy_str(char *dst, size_t cap, const char *src)
{
	if (!src || strlen(src) >= cap)
		return false;
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

static bool apply_room_created(struct room *r, const json_t *d, int64_t ts)
{
	const char *id, *title, *visibility = "public";
	int pub = 1, reveal = 0;
	(void)ts;
	/* A log from before visibility existed has none: public, as it was then. */
	if (r->created ||
	    json_unpack((json_t *)d, "{s:s,s:s,s?b,s?b,s?s}", "id", &id, "title", &title,
			"public_observers", &pub, "reveal_hum_counts", &reveal, "visibility",
			&visibility) != 0 ||
	    strcmp(id, r->id) != 0 || !copy_str(r->title, sizeof r->title, title) ||
	    !room_visibility_parse(visibility, &r->visibility))
		return false;
	r->public_observers = pub;
	r->reveal_hum_counts = reveal;
	r->created = true;
	return true;
}

static bool apply_session_started(struct room *r, const json_t *d, int64_t ts)
{
	const char *title = NULL;
	if (r->status != ROOM_SCHEDULED ||
	    json_unpack((json_t *)d, "{s?s}", "title", &title) != 0 ||
	    !copy_str(r->session_title, sizeof r->session_title, title ? title : r->title))
		return false;
	r->status = ROOM_LIVE;
	r->started_ms = ts;
	return true;
}

static bool apply_session_ended(struct room *r, const json_t *d, int64_t ts)
{
	(void)d;
	if (r->status != ROOM_LIVE)
		return false;
	r->status = ROOM_ENDED;
	r->ended_ms = ts;
	for (size_t i = 0; i < r->n_people; i++)
		r->people[i].mic_on = false; /* every chair's mic closes with the session */
	return true;
}

static bool apply_participant_joined(struct room *r, const json_t *d, int64_t ts)
{
	const char *pid, *name, *role, *group = "", *location = "remote", *lang = "";
	enum room_role rr;
	(void)ts;
	if (json_unpack((json_t *)d, "{s:s,s:s,s:s,s?s,s?s,s?s}", "pid", &pid, "name", &name,
			"role", &role, "group", &group, "location", &location, "lang",
			&lang) != 0 ||
	    !room_role_parse(role, &rr) || rr == ROOM_ROLE_OBSERVER ||
	    (rr == ROOM_ROLE_INTERPRETER) != (lang[0] != '\0') ||
	    (lang[0] && !base_lang_valid(lang)))
		return false;
	struct person *p = room_person(r, pid);
	if (!p && !(p = room_person_add(r, pid)))
		return false;
	if (p->removed) /* not until readmitted (moderation.c) */
		return false;
	if (!copy_str(p->name, sizeof p->name, name) ||
	    !copy_str(p->group, sizeof p->group, group) || !copy_str(p->lang, sizeof p->lang, lang))
		return false;
	p->role = rr;
	p->in_room = strcmp(location, "room") == 0;
	p->present = true;
	/* Mirrors the live rule (presence.c): whoever arrives while a poll is open counts. */
	if (room_open_poll(r) && room_is_voice(rr))
		p->poll_eligible = true;
	return true;
}

static bool apply_participant_left(struct room *r, const json_t *d, int64_t ts)
{
	const char *pid;
	(void)ts;
	if (json_unpack((json_t *)d, "{s:s}", "pid", &pid) != 0)
		return false;
	struct person *p = room_person(r, pid);
	if (!p || !p->present)
		return false;
	p->present = false;
	p->hum_cast = -1;
	p->mic_on = false;
	room_interp_person_left(r, pid);
	return true;
}

static bool apply_queue_raised(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t entry;
	json_t *pid;
	const char *name, *group = "", *location = "remote", *kind = "speak";
	enum queue_kind k;
	enum queue_location loc;
	if (json_unpack((json_t *)d, "{s:I,s:o,s:s,s?s,s?s,s?s}", "entry", &entry, "pid", &pid,
			"name", &name, "group", &group, "location", &location, "kind",
			&kind) != 0 ||
	    !(json_is_string(pid) || json_is_null(pid)) || !queue_kind_parse(kind, &k) ||
	    !queue_location_parse(location, &loc))
		return false;
	struct queue_person who = {.pid = json_is_string(pid) ? json_string_value(pid) : "",
				   .name = name,
				   .group = group,
				   .location = loc};
	return queue_raise(&r->queue, entry, &who, k, ts) == QUEUE_OK;
}

static bool apply_queue_removed(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t entry;
	(void)ts;
	return json_unpack((json_t *)d, "{s:I}", "entry", &entry) == 0 &&
	       queue_remove(&r->queue, entry) == QUEUE_OK;
}

static bool apply_queue_moved(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t entry, position;
	(void)ts;
	return json_unpack((json_t *)d, "{s:I,s:I}", "entry", &entry, "position", &position) == 0 &&
	       position >= 0 && queue_move(&r->queue, entry, (size_t)position) == QUEUE_OK;
}

static bool apply_queue_opened(struct room *r, const json_t *d, int64_t ts)
{
	(void)d;
	(void)ts;
	queue_set_open(&r->queue, true);
	return true;
}

static bool apply_queue_closed(struct room *r, const json_t *d, int64_t ts)
{
	(void)d;
	(void)ts;
	queue_set_open(&r->queue, false);
	return true;
}

static bool apply_queue_policy(struct room *r, const json_t *d, int64_t ts)
{
	const char *policy;
	json_int_t limit;
	int auto_end;
	enum queue_policy p;
	(void)ts;
	return json_unpack((json_t *)d, "{s:s,s:I,s:b}", "policy", &policy, "time_limit_s", &limit,
			   "auto_end", &auto_end) == 0 &&
	       queue_policy_parse(policy, &p) && limit >= 0 && limit <= 86400 &&
	       queue_set_policy(&r->queue, p, (int32_t)limit, auto_end) == QUEUE_OK;
}

static bool apply_floor_granted(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t entry, limit;
	const char *policy;
	enum queue_chosen why;
	if (json_unpack((json_t *)d, "{s:I,s:I,s:s}", "entry", &entry, "limit_s", &limit, "policy",
			&policy) != 0 ||
	    !queue_chosen_parse(policy, &why) || limit < 0 || limit > 86400 * 2)
		return false;
	r->floor_warned = false;
	r->floor_limit_passed = false;
	r->floor_muted = false; /* a new floor starts with an open microphone */
	return queue_grant(&r->queue, entry, (int32_t)limit, why, ts) == QUEUE_OK;
}

static bool apply_floor_ended(struct room *r, const json_t *d, int64_t ts)
{
	int64_t duration;
	(void)d;
	return queue_end_floor(&r->queue, ts, &duration) == QUEUE_OK;
}

static bool apply_floor_extended(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t limit;
	(void)ts;
	if (json_unpack((json_t *)d, "{s:I}", "limit_s", &limit) != 0 || limit <= 0 ||
	    limit > 86400 * 2 || queue_extend(&r->queue, (int32_t)limit) != QUEUE_OK)
		return false;
	r->floor_warned = false;
	r->floor_limit_passed = false;
	return true;
}

static bool copy_options(json_t *options, char (*dst)[ROOM_OPTION_MAX], int max, int *n)
{
	if (!json_is_array(options) || json_array_size(options) < 2 ||
	    json_array_size(options) > (size_t)max)
		return false;
	size_t i;
	json_t *o;
	json_array_foreach(options, i, o)
	{
		if (!json_is_string(o) || !copy_str(dst[i], ROOM_OPTION_MAX, json_string_value(o)))
			return false;
	}
	*n = (int)json_array_size(options);
	return true;
}

static bool apply_hum_started(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t id;
	const char *question;
	json_t *options;
	if (r->hum.open ||
	    json_unpack((json_t *)d, "{s:I,s:s,s:o}", "hum", &id, "question", &question, "options",
			&options) != 0 ||
	    !copy_str(r->hum.question, sizeof r->hum.question, question) ||
	    !copy_options(options, r->hum.options, ROOM_HUM_OPTIONS_MAX, &r->hum.n_options))
		return false;
	r->hum.open = true;
	r->hum.id = id;
	r->hum.started_ms = ts;
	if (id > r->hums_started)
		r->hums_started = id;
	room_hum_forget_casts(r);
	return true;
}

static bool apply_hum_ended(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t id;
	(void)ts;
	if (!r->hum.open || json_unpack((json_t *)d, "{s:I}", "hum", &id) != 0 || id != r->hum.id)
		return false;
	r->hum.open = false;
	room_hum_forget_casts(r);
	return true;
}

static bool apply_poll_started(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t id;
	const char *question;
	json_t *options;
	int multiple = 0, anonymous = 1, live = 0, hands = 0;
	if (room_open_poll(r) ||
	    json_unpack((json_t *)d, "{s:I,s:s,s:o,s?b,s?b,s?b,s?b}", "poll", &id, "question",
			&question, "options", &options, "multiple", &multiple, "anonymous",
			&anonymous, "live_counts", &live, "show_of_hands", &hands) != 0 ||
	    room_poll(r, id))
		return false;
	if (r->n_polls == r->cap_polls) {
		size_t cap = r->cap_polls ? r->cap_polls * 2 : 8;
		struct poll *grown = realloc(r->polls, cap * sizeof *grown);
		if (!grown)
			return false;
		r->polls = grown;
		r->cap_polls = cap;
	}
	struct poll *p = &r->polls[r->n_polls];
	memset(p, 0, sizeof *p);
	if (!copy_str(p->question, sizeof p->question, question) ||
	    !copy_options(options, p->options, ROOM_POLL_OPTIONS_MAX, &p->n_options))
		return false;
	p->id = id;
	p->open = true;
	p->multiple = multiple;
	p->anonymous = anonymous;
	p->live_counts = live;
	p->show_of_hands = hands;
	p->started_ms = ts;
	r->n_polls++;
	room_poll_forget_ballots(r);
	/* Who was there when the poll opened, so that a restart keeps the "not answered" of
	 * those who left since. The live path narrows it to the connected (poll.c). */
	for (size_t i = 0; i < r->n_people; i++)
		r->people[i].poll_eligible =
		    r->people[i].present && room_is_voice(r->people[i].role);
	return true;
}

static bool apply_poll_voted(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t id;
	const char *pid;
	json_t *choices;
	(void)ts;
	struct poll *p = room_open_poll(r);
	if (!p || p->anonymous ||
	    json_unpack((json_t *)d, "{s:I,s:s,s:o}", "poll", &id, "pid", &pid, "choices",
			&choices) != 0 ||
	    id != p->id || !json_is_array(choices))
		return false;
	struct person *person = room_person(r, pid);
	if (!person)
		return false;
	uint32_t mask = 0;
	size_t i;
	json_t *c;
	json_array_foreach(choices, i, c)
	{
		if (!json_is_integer(c) || json_integer_value(c) < 0 ||
		    json_integer_value(c) >= p->n_options)
			return false;
		mask |= 1u << json_integer_value(c);
	}
	person->ballot = mask;
	person->has_ballot = mask != 0;
	return true;
}

static bool apply_poll_ended(struct room *r, const json_t *d, int64_t ts)
{
	json_int_t id;
	struct poll *p = room_open_poll(r);
	if (!p || json_unpack((json_t *)d, "{s:I}", "poll", &id) != 0 || id != p->id)
		return false;
	p->open = false;
	p->ended_ms = ts;
	room_poll_forget_ballots(r);
	return true;
}

static bool apply_caption(struct room *r, const json_t *d, int64_t ts)
{
	const char *lang, *captioner = NULL, *cid = NULL;
	json_int_t cart_seq = -1;
	(void)ts;
	if (json_unpack((json_t *)d, "{s:s,s?s,s?I,s?s}", "lang", &lang, "captioner", &captioner,
			"cart_seq", &cart_seq, "cid", &cid) != 0 ||
	    strlen(lang) >= ROOM_LANG_MAX || (cid && !captioner))
		return false;
	bool known = false;
	for (int i = 0; i < r->n_langs; i++)
		known = known || strcmp(r->langs[i], lang) == 0;
	if (!known && r->n_langs < ROOM_LANGS_MAX)
		copy_str(r->langs[r->n_langs++], ROOM_LANG_MAX, lang);
	if (captioner && cart_seq >= 0) {
		struct person *p = room_person(r, captioner);
		if (!p)
			p = room_person_add(r, captioner);
		if (p && cart_seq > p->cart_seq)
			p->cart_seq = cart_seq;
	}
	if (cid) {
		struct person *p = room_person(r, captioner);
		if (!p)
			p = room_person_add(r, captioner);
		if (!p || !room_cid_remember(p, cid))
			return false;
	}
	return true;
}

static bool apply_mic_opened(struct room *r, const json_t *d, int64_t ts)
{
	return room_apply_mic(r, d, ts, true);
}

static bool apply_mic_closed(struct room *r, const json_t *d, int64_t ts)
{
	return room_apply_mic(r, d, ts, false);
}

static const struct {
	const char *kind;
	apply_fn fn;
} appliers[] = {
    {"room.created", apply_room_created},
    {"session.started", apply_session_started},
    {"session.ended", apply_session_ended},
    {"participant.joined", apply_participant_joined},
    {"participant.left", apply_participant_left},
    {"queue.raised", apply_queue_raised},
    {"queue.lowered", apply_queue_removed},
    {"queue.removed", apply_queue_removed},
    {"queue.moved", apply_queue_moved},
    {"queue.opened", apply_queue_opened},
    {"queue.closed", apply_queue_closed},
    {"queue.policy", apply_queue_policy},
    {"floor.granted", apply_floor_granted},
    {"floor.ended", apply_floor_ended},
    {"floor.extended", apply_floor_extended},
    {"hum.started", apply_hum_started},
    {"hum.ended", apply_hum_ended},
    {"poll.started", apply_poll_started},
    {"poll.voted", apply_poll_voted},
    {"poll.ended", apply_poll_ended},
    {"caption", apply_caption},
    {"participant.removed", room_apply_removed},
    {"participant.readmitted", room_apply_readmitted},
    {"mic.opened", apply_mic_opened},
    {"mic.closed", apply_mic_closed},
    {"token.revoked", room_apply_revoked},
    {"token.unrevoked", room_apply_unrevoked},
    {"interp.taken", room_apply_interp_taken},
    {"floor.lang", room_apply_floor_lang},
};

bool room_apply(struct room *r, const char *kind, const json_t *data, int64_t ts_ms)
{
	if (!json_is_object(data))
		return false;
	/* Everything but room.created needs a created room; room.created only comes first. */
	bool first = strcmp(kind, "room.created") == 0;
	if (first == r->created)
		return false;
	for (size_t i = 0; i < sizeof appliers / sizeof appliers[0]; i++)
		if (strcmp(kind, appliers[i].kind) == 0)
			return appliers[i].fn(r, data, ts_ms);
	return false;
}
