/*
 * policy.c -- who speaks next: the priority classes and the fairness policies.
 *
 * Two layers decide. First the priority class: points of order, then clarify and reply,
 * then speak; a lower class never goes before a waiting higher one, whatever the policy.
 * Points of order are not the policy's to choose at all -- they are taken in raising
 * order and the record says "point_of_order" -- because they interrupt the discussion
 * rather than take part in it. Then, within the clarify/reply class and within the speak
 * class, the room's policy chooses. The policies are a table of
 * {reason, choose function, whether it needs group history}, so adding one is one
 * function and one line.
 *
 * queue_order() must show people the order in which they would really get the floor, and
 * the fair policies depend on history (which group spoke last, which location had the
 * last floor), so the order is not a sort: it is a simulation. Starting from the queue's
 * history, it repeatedly picks the next speaker exactly as queue_pick() would and then
 * updates a private copy of the history exactly as queue_grant() would. queue_pick() is
 * the first step of that simulation, so the two cannot disagree.
 *
 * The simulation lives on the stack (about 9 KB at QUEUE_MAX_ENTRIES), so neither
 * function allocates. It does not model the forgetting of groups past QUEUE_MAX_GROUPS:
 * with that many groups, the tail of the shown order may differ from what happens.
 */
#include "queue/queue.h"

#include <string.h>

#define NONE SIZE_MAX

enum prio { PRIO_ORDER = 0, PRIO_ANSWER, PRIO_SPEAK, PRIO_COUNT };

static const enum prio prio_of[] = {
    [QUEUE_KIND_SPEAK] = PRIO_SPEAK,
    [QUEUE_KIND_POINT_OF_ORDER] = PRIO_ORDER,
    [QUEUE_KIND_CLARIFY] = PRIO_ANSWER,
    [QUEUE_KIND_REPLY] = PRIO_ANSWER,
};

/* The history a policy looks at, as it would be after the simulated grants so far. */
struct sim {
	const struct queue *q;
	uint64_t turns;
	enum queue_location last_location;
	bool has_last_location;
	bool taken[QUEUE_MAX_ENTRIES];
	/* Per entry: the turn in which its group last spoke, 0 for never. Turns count from
	 * 1, so "never" sorts first with no special case. */
	uint64_t group_turn[QUEUE_MAX_ENTRIES];
};

/* Index of the entry this rule gives the floor to among the untaken entries of class p,
 * or NONE if the class is empty. */
typedef size_t (*choose_fn)(const struct sim *s, enum prio p);

struct policy_rule {
	enum queue_chosen chosen;
	choose_fn choose;
	bool needs_groups;
};

static bool waiting_in(const struct sim *s, size_t i, enum prio p)
{
	return !s->taken[i] && prio_of[s->q->entries[i].kind] == p;
}

static size_t choose_earliest(const struct sim *s, enum prio p)
{
	for (size_t i = 0; i < s->q->count; i++) {
		if (waiting_in(s, i, p))
			return i;
	}
	return NONE;
}

/* The group that spoke least recently, and its earliest entry. The strict comparison
 * keeps the earliest entry among equals, which settles both ties the contract names:
 * groups that never spoke (all 0) go by their earliest waiting entry, and within one
 * group (one key) the earliest entry goes first. Distinct groups that have spoken never
 * tie, since each turn went to one group. */
static size_t choose_round_robin(const struct sim *s, enum prio p)
{
	size_t best = NONE;
	for (size_t i = 0; i < s->q->count; i++) {
		if (!waiting_in(s, i, p))
			continue;
		if (best == NONE || s->group_turn[i] < s->group_turn[best])
			best = i;
	}
	return best;
}

/* The earliest entry from the other location than the last floor's; if none waits (or
 * there was no floor yet), simply the earliest. */
static size_t choose_alternate(const struct sim *s, enum prio p)
{
	size_t first = NONE;
	for (size_t i = 0; i < s->q->count; i++) {
		if (!waiting_in(s, i, p))
			continue;
		if (first == NONE)
			first = i;
		if (s->has_last_location && s->q->entries[i].location != s->last_location)
			return i;
	}
	return first;
}

static const struct policy_rule rules[] = {
    [QUEUE_POLICY_FIFO] = {QUEUE_CHOSEN_FIFO, choose_earliest, false},
    [QUEUE_POLICY_GROUPS_ROUND_ROBIN] = {QUEUE_CHOSEN_GROUPS_ROUND_ROBIN, choose_round_robin, true},
    [QUEUE_POLICY_ALTERNATE_LOCATION] = {QUEUE_CHOSEN_ALTERNATE_LOCATION, choose_alternate, false},
};

static const struct policy_rule point_of_order_rule = {QUEUE_CHOSEN_POINT_OF_ORDER, choose_earliest,
						       false};

/* A policy value that bypassed queue_set_policy() gets fifo rather than a wild read. */
static const struct policy_rule *rule_for(enum queue_policy policy)
{
	if ((unsigned)policy >= sizeof rules / sizeof rules[0])
		return &rules[QUEUE_POLICY_FIFO];
	return &rules[policy];
}

static uint64_t group_last_turn(const struct queue *q, const char *group)
{
	for (size_t g = 0; g < q->group_count; g++) {
		if (strcmp(q->groups[g].group, group) == 0)
			return q->groups[g].last_turn;
	}
	return 0;
}

static void sim_init(struct sim *s, const struct queue *q, const struct policy_rule *rule)
{
	s->q = q;
	s->turns = q->turns;
	s->last_location = q->last_location;
	s->has_last_location = q->has_last_location;
	memset(s->taken, 0, q->count * sizeof s->taken[0]);
	if (!rule->needs_groups)
		return;
	for (size_t i = 0; i < q->count; i++)
		s->group_turn[i] = group_last_turn(q, q->entries[i].group);
}

static size_t sim_next(const struct sim *s, const struct policy_rule *rule, enum queue_chosen *why)
{
	for (int p = PRIO_ORDER; p < PRIO_COUNT; p++) {
		const struct policy_rule *r = p == PRIO_ORDER ? &point_of_order_rule : rule;
		size_t i = r->choose(s, (enum prio)p);
		if (i != NONE) {
			*why = r->chosen;
			return i;
		}
	}
	return NONE;
}

/* What queue_grant() does to the history, done to the copy. */
static void sim_take(struct sim *s, const struct policy_rule *rule, size_t i)
{
	const struct queue_entry *e = &s->q->entries[i];
	s->taken[i] = true;
	s->turns++;
	s->last_location = e->location;
	s->has_last_location = true;
	if (!rule->needs_groups)
		return;
	for (size_t j = 0; j < s->q->count; j++) {
		if (!s->taken[j] && strcmp(s->q->entries[j].group, e->group) == 0)
			s->group_turn[j] = s->turns;
	}
}

enum queue_err queue_pick(const struct queue *q, int64_t *entry, enum queue_chosen *why)
{
	if (q->count == 0)
		return QUEUE_EEMPTY;
	size_t i = 0;
	enum queue_chosen chosen = QUEUE_CHOSEN_CHAIR;
	if (!q->chair_order) {
		const struct policy_rule *rule = rule_for(q->policy);
		struct sim s;
		sim_init(&s, q, rule);
		i = sim_next(&s, rule, &chosen);
	}
	if (entry != NULL)
		*entry = q->entries[i].entry;
	if (why != NULL)
		*why = chosen;
	return QUEUE_OK;
}

size_t queue_order(const struct queue *q, const struct queue_entry **out, size_t cap)
{
	size_t n = q->count < cap ? q->count : cap;
	if (out == NULL)
		n = 0;
	if (q->chair_order) {
		for (size_t k = 0; k < n; k++)
			out[k] = &q->entries[k];
		return q->count;
	}
	const struct policy_rule *rule = rule_for(q->policy);
	struct sim s;
	enum queue_chosen why;
	sim_init(&s, q, rule);
	for (size_t k = 0; k < n; k++) {
		size_t i = sim_next(&s, rule, &why);
		out[k] = &q->entries[i];
		sim_take(&s, rule, i);
	}
	return q->count;
}
