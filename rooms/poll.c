/*
 * Polls and shows of hands.
 *
 * A poll is anonymous unless the chair says otherwise. Anonymous ballots live in memory
 * only (person.ballot) and only their totals leave this file; named ballots are events
 * (poll.voted), because a named poll is on the record by definition. A per-group
 * breakdown is published only where it cannot expose anyone: for named polls, or for a
 * group that cast at least five ballots.
 *
 * A show of hands is what the IETF adopted when remote hums did not work: an anonymous
 * poll with "Raise hand" / "Do not raise hand", live totals for everyone including how
 * many have not answered -- and people who leave while it is open still count as
 * eligible, so leaving cannot be used to move the numbers.
 */
#include <string.h>

#include "rooms/room_internal.h"

#define POLL_GROUP_MIN_BALLOTS 5

void room_poll_forget_ballots(struct room *r)
{
	for (size_t i = 0; i < r->n_people; i++) {
		r->people[i].ballot = 0;
		r->people[i].has_ballot = false;
		r->people[i].poll_eligible = false;
	}
	r->poll_progress_dirty = false;
}

struct poll_tally {
	int voters, eligible;
	int counts[ROOM_POLL_OPTIONS_MAX];
};

static void tally(const struct room *r, const struct poll *p, struct poll_tally *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < r->n_people; i++) {
		const struct person *person = &r->people[i];
		t->eligible += person->poll_eligible || person->has_ballot;
		if (!person->has_ballot)
			continue;
		t->voters++;
		for (int k = 0; k < p->n_options; k++)
			t->counts[k] += (person->ballot >> k) & 1;
	}
}

static json_t *counts_json(const struct poll *p, const int *counts)
{
	json_t *a = json_array();
	for (int k = 0; k < p->n_options; k++)
		json_array_append_new(a, json_integer(counts[k]));
	return a;
}

void room_poll_progress_maybe(struct room *r, int64_t now, bool force)
{
	struct poll *p = room_open_poll(r);
	if (!p)
		return;
	r->poll_progress_dirty = true;
	if (!force && now - r->poll_progress_sent_ms < 500)
		return;
	r->poll_progress_dirty = false;
	r->poll_progress_sent_ms = now;
	struct poll_tally t;
	tally(r, p, &t);
	json_t *data = json_pack("{s:I,s:i}", "poll", (json_int_t)p->id, "voters", t.voters);
	if (data && p->live_counts) {
		json_object_set_new(data, "counts", counts_json(p, t.counts));
		json_object_set_new(data, "not_answered", json_integer(t.eligible - t.voters));
		json_object_set_new(data, "eligible", json_integer(t.eligible));
	}
	room_send_live(r, "poll.progress", data);
}

enum room_err cmd_poll_start(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	const char *question = NULL;
	bool multiple = false, anonymous = true, live = false, hands = false;
	if (!field_string(ctx, "question", true, ROOM_QUESTION_MAX - 1, &question) ||
	    !field_bool(ctx, "multiple", &multiple) || !field_bool(ctx, "anonymous", &anonymous) ||
	    !field_bool(ctx, "live_counts", &live) || !field_bool(ctx, "show_of_hands", &hands))
		return ROOM_EBAD_REQUEST;
	json_t *options = NULL;
	if (hands) {
		options = json_pack("[s,s]", "Raise hand", "Do not raise hand");
		multiple = false, anonymous = true, live = true;
	} else if (field_options(ctx, 2, ROOM_POLL_OPTIONS_MAX, &options)) {
		json_incref(options);
	} else {
		return ROOM_EBAD_REQUEST;
	}
	if (!question[0] || room_open_poll(r)) {
		json_decref(options);
		ctx->message =
		    question[0] ? "a poll is already open" : "question must not be empty";
		return question[0] ? ROOM_ECONFLICT : ROOM_EBAD_REQUEST;
	}
	int64_t id = (int64_t)r->n_polls + 1;
	enum room_err err =
	    room_emit(r, "poll.started",
		      json_pack("{s:I,s:s,s:o,s:b,s:b,s:b,s:b}", "poll", (json_int_t)id, "question",
				question, "options", options, "multiple", multiple, "anonymous",
				anonymous, "live_counts", live, "show_of_hands", hands),
		      ctx->now);
	if (err != ROOM_OK)
		return err;
	for (size_t i = 0; i < r->n_people; i++) {
		struct person *p = &r->people[i];
		p->poll_eligible = p->present && p->connections > 0 && room_is_voice(p->role);
	}
	ctx->result = json_pack("{s:I}", "poll", (json_int_t)id);
	room_poll_progress_maybe(r, ctx->now, true);
	return ROOM_OK;
}

static struct poll *poll_field(struct room_cmd_ctx *ctx, enum room_err *err)
{
	int64_t id = 0;
	if (!field_int(ctx, "poll", true, 1, INT64_MAX, &id)) {
		*err = ROOM_EBAD_REQUEST;
		return NULL;
	}
	struct poll *p = room_poll(ctx->r, id);
	if (!p || !p->open) {
		ctx->message = p ? "this poll is closed" : "no such poll";
		*err = p ? ROOM_ECONFLICT : ROOM_ENOT_FOUND;
		return NULL;
	}
	return p;
}

static bool parse_choices(struct room_cmd_ctx *ctx, const struct poll *p, uint32_t *mask)
{
	json_t *choices = json_object_get(ctx->cmd, "choices");
	if (!json_is_array(choices)) {
		ctx->message = "choices must be an array of option indices";
		return false;
	}
	*mask = 0;
	size_t i;
	json_t *c;
	json_array_foreach(choices, i, c)
	{
		if (!json_is_integer(c) || json_integer_value(c) < 0 ||
		    json_integer_value(c) >= p->n_options || (*mask >> json_integer_value(c)) & 1) {
			ctx->message = "each choice must be a distinct option index";
			return false;
		}
		*mask |= 1u << json_integer_value(c);
	}
	if (!p->multiple && json_array_size(choices) > 1) {
		ctx->message = "this poll takes one choice";
		return false;
	}
	return true;
}

enum room_err cmd_poll_vote(struct room_cmd_ctx *ctx)
{
	struct room *r = ctx->r;
	enum room_err err = ROOM_OK;
	struct poll *p = poll_field(ctx, &err);
	if (!p)
		return err;
	uint32_t mask;
	if (!parse_choices(ctx, p, &mask))
		return ROOM_EBAD_REQUEST;
	struct person *person = room_person(r, ctx->who->pid);
	if (!person)
		return ROOM_EINTERNAL;
	if (!p->anonymous) {
		err = room_emit(r, "poll.voted",
				json_pack("{s:I,s:s,s:s,s:s,s:O}", "poll", (json_int_t)p->id, "pid",
					  person->pid, "name", person->name, "group", person->group,
					  "choices", json_object_get(ctx->cmd, "choices")),
				ctx->now);
		if (err != ROOM_OK)
			return err;
	} else {
		person->ballot = mask;
		person->has_ballot = mask != 0;
	}
	person->poll_eligible = true;
	room_poll_progress_maybe(r, ctx->now, false);
	return ROOM_OK;
}

static json_t *by_group(const struct room *r, const struct poll *p)
{
	json_t *groups = json_object();
	for (size_t i = 0; i < r->n_people; i++) {
		const struct person *voter = &r->people[i];
		if (!voter->has_ballot || !voter->group[0] || json_object_get(groups, voter->group))
			continue;
		int counts[ROOM_POLL_OPTIONS_MAX] = {0}, ballots = 0;
		for (size_t k = i; k < r->n_people; k++) {
			const struct person *q = &r->people[k];
			if (!q->has_ballot || strcmp(q->group, voter->group) != 0)
				continue;
			ballots++;
			for (int o = 0; o < p->n_options; o++)
				counts[o] += (q->ballot >> o) & 1;
		}
		if (!p->anonymous || ballots >= POLL_GROUP_MIN_BALLOTS)
			json_object_set_new(groups, voter->group, counts_json(p, counts));
	}
	return groups;
}

static json_t *ballots(const struct room *r, const struct poll *p)
{
	json_t *list = json_array();
	for (size_t i = 0; i < r->n_people; i++) {
		const struct person *voter = &r->people[i];
		if (!voter->has_ballot)
			continue;
		json_t *choices = json_array();
		for (int o = 0; o < p->n_options; o++)
			if ((voter->ballot >> o) & 1)
				json_array_append_new(choices, json_integer(o));
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o}", "pid", voter->pid,
						      "name", voter->name, "group", voter->group,
						      "choices", choices));
	}
	return list;
}

enum room_err room_end_poll(struct room *r, int64_t now)
{
	struct poll *p = room_open_poll(r);
	if (!p)
		return ROOM_ECONFLICT;
	struct poll_tally t;
	tally(r, p, &t);
	json_t *options = json_array();
	for (int k = 0; k < p->n_options; k++)
		json_array_append_new(options, json_string(p->options[k]));
	json_t *data =
	    json_pack("{s:I,s:s,s:o,s:b,s:b,s:b,s:i,s:i,s:i,s:o,s:o}", "poll", (json_int_t)p->id,
		      "question", p->question, "options", options, "multiple", p->multiple,
		      "anonymous", p->anonymous, "show_of_hands", p->show_of_hands, "voters",
		      t.voters, "eligible", t.eligible, "not_answered", t.eligible - t.voters,
		      "counts", counts_json(p, t.counts), "by_group", by_group(r, p));
	if (data && !p->anonymous)
		json_object_set_new(data, "ballots", ballots(r, p));
	return room_emit(r, "poll.ended", data, now);
}

enum room_err cmd_poll_end(struct room_cmd_ctx *ctx)
{
	enum room_err err = ROOM_OK;
	if (!poll_field(ctx, &err))
		return err;
	return room_end_poll(ctx->r, ctx->now);
}
