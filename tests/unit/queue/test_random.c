/*
 * queue/test_random.c -- thousands of random meetings, checked after every step.
 *
 * Each sequence drives a queue the way a room does: decide with the const functions
 * (check_raise, pick, find), then apply, with a random mix of raises, chair adds,
 * lowering, stale removals, moves, grants, ends, extensions, opening and closing, policy
 * changes and deliberately bad calls, and sometimes an allocator that fails. After every
 * step the invariants are checked: one entry per pid, the floor holder never queued,
 * unique ids, pick = the head of queue_order() with a consistent reason, the order a
 * permutation that respects the priority classes and equals the picks that granting
 * would make, bounded tables. A failed apply must change nothing. At the end the applied
 * operations are replayed on a fresh queue, which must give the same results and a state
 * identical field by field: the property the room's log replay rests on.
 *
 * Reproducible: sequence i uses seed base + i (base 20261122 unless QUEUE_RANDOM_SEED is
 * set; QUEUE_RANDOM_RUNS sets the count). A failure prints the seed; rerun it with
 *   QUEUE_RANDOM_SEED=<seed> QUEUE_RANDOM_RUNS=1 ./test_queue_random
 */
#include "queue/test_helpers.h"

#include <inttypes.h>

#define DEFAULT_SEED  20261122u
#define DEFAULT_RUNS  5000
#define STEPS	      160
#define PEOPLE	      10
#define MAX_ROOM_ADDS 12
#define MAX_OPS	      (STEPS * 2)

static const char *const group_pool[] = {"government", "civil_society", "technical", ""};

static const enum queue_chosen reason_of[] = {
    [QUEUE_POLICY_FIFO] = QUEUE_CHOSEN_FIFO,
    [QUEUE_POLICY_GROUPS_ROUND_ROBIN] = QUEUE_CHOSEN_GROUPS_ROUND_ROBIN,
    [QUEUE_POLICY_ALTERNATE_LOCATION] = QUEUE_CHOSEN_ALTERNATE_LOCATION,
};

/* The priority class of each kind: 0 points of order, 1 clarify/reply, 2 speak. */
static const int class_of[] = {
    [QUEUE_KIND_SPEAK] = 2,
    [QUEUE_KIND_POINT_OF_ORDER] = 0,
    [QUEUE_KIND_CLARIFY] = 1,
    [QUEUE_KIND_REPLY] = 1,
};

enum op_type { OP_RAISE, OP_REMOVE, OP_MOVE, OP_GRANT, OP_END, OP_EXTEND, OP_OPEN, OP_POLICY };

static const char *const op_names[] = {"raise", "remove", "move", "grant",
				       "end",	"extend", "open", "policy"};

/* One apply call and what it returned: everything needed to make it again. */
struct op {
	enum op_type type;
	enum queue_err result;
	int64_t entry, ms;
	char pid[16], name[32];
	const char *group;
	enum queue_location loc;
	enum queue_kind kind;
	size_t position;
	int32_t limit_s;
	enum queue_chosen why;
	enum queue_policy policy;
	bool flag;
};

struct run {
	uint64_t seed, rng;
	int step;
	struct queue q;
	struct test_alloc alloc;
	int64_t now;
	uint64_t grants;
	struct op ops[MAX_OPS];
	size_t op_count;
	int room_adds;
};

static uint64_t next_rand(struct run *r)
{
	/* splitmix64: tiny, fast, and the same on every platform. */
	uint64_t z = (r->rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t below(struct run *r, uint32_t n)
{
	return (uint32_t)(next_rand(r) % n);
}

#define CHECK(r, cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error("seed %" PRIu64 " step %d: ", (r)->seed, (r)->step);           \
			fail_msg(__VA_ARGS__);                                                     \
		}                                                                                  \
	} while (0)

static enum queue_err apply(struct queue *q, const struct op *op)
{
	struct queue_person who = {op->pid, op->name, op->group, op->loc};
	switch (op->type) {
	case OP_RAISE:
		return queue_raise(q, op->entry, &who, op->kind, op->ms);
	case OP_REMOVE:
		return queue_remove(q, op->entry);
	case OP_MOVE:
		return queue_move(q, op->entry, op->position);
	case OP_GRANT:
		return queue_grant(q, op->entry, op->limit_s, op->why, op->ms);
	case OP_END:
		return queue_end_floor(q, op->ms, NULL);
	case OP_EXTEND:
		return queue_extend(q, op->limit_s);
	case OP_OPEN:
		queue_set_open(q, op->flag);
		return QUEUE_OK;
	case OP_POLICY:
		return queue_set_policy(q, op->policy, op->limit_s, op->flag);
	}
	return QUEUE_EINVAL;
}

/* Applies op to the run's queue and records it. A failed apply must leave the queue as
 * it was; out-of-memory is "nothing happened", so it is not recorded for replay. */
static enum queue_err run_apply(struct run *r, struct op *op)
{
	struct queue before;
	queue_copy(&before, &r->q);
	op->result = apply(&r->q, op);
	const char *diff = op->result == QUEUE_OK ? NULL : queue_diff(&before, &r->q);
	queue_fini(&before);
	CHECK(r, diff == NULL, "failed %s (%s) changed %s", op_names[op->type],
	      queue_strerror(op->result), diff);
	if (op->result == QUEUE_OK && op->type == OP_GRANT)
		r->grants++;
	if (op->result != QUEUE_ENOMEM) {
		CHECK(r, r->op_count < MAX_OPS, "too many ops");
		r->ops[r->op_count++] = *op;
	}
	return op->result;
}

/* queue.raise by a participant, or queue.add by the chair (pid "", in the room). */
static void step_raise(struct run *r, bool chair_add)
{
	struct op op = {.type = OP_RAISE, .ms = r->now};
	uint32_t who = below(r, PEOPLE);
	if (chair_add) {
		if (r->room_adds >= MAX_ROOM_ADDS)
			return;
		snprintf(op.name, sizeof op.name, "Delegate %u", below(r, 5));
		op.group = group_pool[below(r, 4)];
		op.loc = QUEUE_LOC_ROOM;
	} else {
		snprintf(op.pid, sizeof op.pid, "p%u", who);
		snprintf(op.name, sizeof op.name, "Person %u", who);
		op.group = group_pool[who % 4];
		op.loc = who % 3 == 0 ? QUEUE_LOC_ROOM : QUEUE_LOC_REMOTE;
	}
	op.kind = below(r, 2) ? QUEUE_KIND_SPEAK : (enum queue_kind)below(r, 4);

	/* The expected decision, from first principles. */
	bool queued = queue_find_pid(&r->q, op.pid) != NULL;
	bool holding = r->q.floor.active && op.pid[0] && !strcmp(r->q.floor.pid, op.pid);
	enum queue_err want = QUEUE_OK;
	if (holding)
		want = QUEUE_EHOLDING;
	else if (queued)
		want = QUEUE_EQUEUED;
	else if (!r->q.open && !chair_add && op.kind != QUEUE_KIND_POINT_OF_ORDER)
		want = QUEUE_ECLOSED;
	enum queue_err got = queue_check_raise(&r->q, op.pid, op.kind, chair_add);
	CHECK(r, got == want, "check_raise %s: %s, expected %s", op.pid, queue_strerror(got),
	      queue_strerror(want));
	if (got != QUEUE_OK)
		return;
	op.entry = r->q.next_entry;
	got = run_apply(r, &op);
	CHECK(r, got == QUEUE_OK || got == QUEUE_ENOMEM, "raise: %s", queue_strerror(got));
	if (got == QUEUE_OK && chair_add)
		r->room_adds++;
}

/* A waiting entry at random, or sometimes an id that is not waiting. */
static int64_t some_entry(struct run *r)
{
	if (r->q.count == 0 || below(r, 5) == 0)
		return (int64_t)below(r, (uint32_t)r->q.next_entry + 2);
	return r->q.entries[below(r, (uint32_t)r->q.count)].entry;
}

/* queue.lower (one's own entry, found by pid) or queue.remove (any id, maybe stale). */
static void step_remove(struct run *r, bool lower)
{
	struct op op = {.type = OP_REMOVE};
	if (lower) {
		char pid[16];
		snprintf(pid, sizeof pid, "p%u", below(r, PEOPLE));
		const struct queue_entry *e = queue_find_pid(&r->q, pid);
		if (e == NULL)
			return;
		op.entry = e->entry;
	} else {
		op.entry = some_entry(r);
	}
	bool exists = queue_find_entry(&r->q, op.entry) != NULL;
	enum queue_err got = run_apply(r, &op);
	CHECK(r, got == (exists ? QUEUE_OK : QUEUE_ENOTFOUND), "remove: %s", queue_strerror(got));
}

static void step_move(struct run *r)
{
	struct op op = {.type = OP_MOVE, .entry = some_entry(r)};
	op.position = below(r, (uint32_t)r->q.count + 2);
	enum queue_err want = QUEUE_OK;
	if (queue_find_entry(&r->q, op.entry) == NULL)
		want = QUEUE_ENOTFOUND;
	else if (op.position >= r->q.count)
		want = QUEUE_EINVAL;
	enum queue_err got = run_apply(r, &op);
	CHECK(r, got == want, "move: %s, expected %s", queue_strerror(got), queue_strerror(want));
	if (got == QUEUE_OK) {
		CHECK(r, r->q.chair_order, "move did not switch to chair order");
		CHECK(r, r->q.entries[op.position].entry == op.entry, "moved to the wrong place");
	}
}

static void end_if_held(struct run *r)
{
	if (!r->q.floor.active)
		return;
	struct op op = {.type = OP_END, .ms = r->now};
	CHECK(r, run_apply(r, &op) == QUEUE_OK, "ending a held floor failed");
}

/* queue.next (the policy's pick) or queue.grant (the chair's choice); both end any floor
 * first, as the room does. */
static void step_grant(struct run *r, bool chair)
{
	struct op op = {.type = OP_GRANT, .ms = r->now, .limit_s = r->q.time_limit_s};
	if (chair) {
		if (r->q.count == 0)
			return;
		op.entry = r->q.entries[below(r, (uint32_t)r->q.count)].entry;
		op.why = QUEUE_CHOSEN_CHAIR;
	} else if (queue_pick(&r->q, &op.entry, &op.why) != QUEUE_OK) {
		return;
	}
	end_if_held(r);
	struct queue_entry granted = *queue_find_entry(&r->q, op.entry);
	size_t before = r->q.count;
	CHECK(r, run_apply(r, &op) == QUEUE_OK, "grant failed");
	CHECK(r, r->q.count == before - 1, "grant removed more than its entry");
	CHECK(r, r->q.floor.entry == granted.entry && !strcmp(r->q.floor.pid, granted.pid),
	      "the floor is not the granted entry");
	CHECK(r, r->q.last_location == granted.location, "last location not recorded");
}

/* Calls that must be refused: a grant over a held floor, a grant with a bad limit. */
static void step_bad_grant(struct run *r)
{
	if (r->q.count == 0)
		return;
	struct op op = {.type = OP_GRANT, .ms = r->now, .entry = r->q.entries[0].entry};
	op.limit_s = r->q.floor.active ? 60 : (below(r, 2) ? -1 : QUEUE_MAX_FLOOR_LIMIT_S + 1);
	CHECK(r, run_apply(r, &op) == QUEUE_EINVAL, "a bad grant was accepted");
}

static void step_end(struct run *r)
{
	bool held = r->q.floor.active;
	struct op op = {.type = OP_END, .ms = r->now};
	enum queue_err got = run_apply(r, &op);
	CHECK(r, got == (held ? QUEUE_OK : QUEUE_ENOFLOOR), "end: %s", queue_strerror(got));
}

static void step_extend(struct run *r)
{
	struct op op = {.type = OP_EXTEND, .limit_s = (int32_t)below(r, 200) - 1};
	enum queue_err want = !r->q.floor.active ? QUEUE_ENOFLOOR
			      : op.limit_s < 1	 ? QUEUE_EINVAL
						 : QUEUE_OK;
	enum queue_err got = run_apply(r, &op);
	CHECK(r, got == want, "extend: %s", queue_strerror(got));
}

static void step_open(struct run *r)
{
	struct op op = {.type = OP_OPEN, .flag = below(r, 3) != 0};
	run_apply(r, &op);
}

static void step_policy(struct run *r)
{
	struct op op = {.type = OP_POLICY, .policy = (enum queue_policy)below(r, 3)};
	op.limit_s = below(r, 10) == 0 ? -1 : (int32_t)below(r, 4) * 30;
	op.flag = below(r, 2);
	enum queue_err got = run_apply(r, &op);
	CHECK(r, got == (op.limit_s < 0 ? QUEUE_EINVAL : QUEUE_OK), "policy: %s",
	      queue_strerror(got));
	if (got == QUEUE_OK)
		CHECK(r, !r->q.chair_order, "setting a policy kept chair order");
}

static void random_step(struct run *r)
{
	uint32_t roll = below(r, 100);
	if (roll < 30)
		step_raise(r, false);
	else if (roll < 35)
		step_raise(r, true);
	else if (roll < 43)
		step_remove(r, true);
	else if (roll < 47)
		step_remove(r, false);
	else if (roll < 57)
		step_move(r);
	else if (roll < 69)
		step_grant(r, false);
	else if (roll < 73)
		step_grant(r, true);
	else if (roll < 78)
		step_end(r);
	else if (roll < 82)
		step_extend(r);
	else if (roll < 88)
		step_open(r);
	else if (roll < 94)
		step_policy(r);
	else
		step_bad_grant(r);
	r->now += below(r, 20000);
}

/* Entries: ids unique and below next_entry, one per non-empty pid, none held, raised_seq
 * unique and in raising order outside chair order, chair order only when non-empty. */
static void check_entries(struct run *r)
{
	const struct queue *q = &r->q;
	CHECK(r, q->count <= q->cap && q->count <= QUEUE_MAX_ENTRIES, "count past cap");
	CHECK(r, !q->chair_order || q->count > 0, "chair order on an empty queue");
	for (size_t i = 0; i < q->count; i++) {
		const struct queue_entry *e = &q->entries[i];
		CHECK(r, e->entry < q->next_entry, "id %" PRId64 " not below next_entry", e->entry);
		CHECK(r, e->raised_seq < q->raises, "raised_seq from the future");
		CHECK(r, !(q->floor.active && q->floor.entry == e->entry), "held id is queued");
		CHECK(r, !(q->floor.active && e->pid[0] && !strcmp(q->floor.pid, e->pid)),
		      "the floor holder %s is queued", e->pid);
		if (!q->chair_order && i > 0)
			CHECK(r, q->entries[i - 1].raised_seq < e->raised_seq,
			      "policy order array not in raising order");
		for (size_t j = 0; j < i; j++) {
			const struct queue_entry *f = &q->entries[j];
			CHECK(r, f->entry != e->entry, "id %" PRId64 " twice", e->entry);
			CHECK(r, f->raised_seq != e->raised_seq, "raised_seq twice");
			CHECK(r, !(e->pid[0] && !strcmp(e->pid, f->pid)), "pid %s twice", e->pid);
		}
	}
}

/* History: one turn per grant, a bounded group table with room reserved for every
 * waiting entry's group, and no group listed twice. */
static void check_history(struct run *r)
{
	const struct queue *q = &r->q;
	CHECK(r, q->turns == r->grants, "turns %" PRIu64 " after %" PRIu64 " grants", q->turns,
	      r->grants);
	CHECK(r, q->has_last_location == (r->grants > 0), "last location without a grant");
	size_t need = q->group_count + q->count;
	if (need > QUEUE_MAX_GROUPS)
		need = QUEUE_MAX_GROUPS;
	CHECK(r,
	      q->group_count <= q->group_cap && q->group_cap >= need &&
		  q->group_cap <= QUEUE_MAX_GROUPS,
	      "group table not reserved");
	for (size_t g = 0; g < q->group_count; g++) {
		CHECK(r, q->groups[g].last_turn >= 1 && q->groups[g].last_turn <= q->turns,
		      "group turn out of range");
		for (size_t h = 0; h < g; h++)
			CHECK(r, strcmp(q->groups[g].group, q->groups[h].group) != 0,
			      "group %s twice", q->groups[g].group);
	}
}

/* The shown order: a permutation of the entries whose head is the pick, with a reason
 * that matches; by class and points of order in raising order outside chair order. */
static void check_order(struct run *r)
{
	const struct queue *q = &r->q;
	const struct queue_entry *order[QUEUE_MAX_ENTRIES];
	size_t n = queue_order(q, order, QUEUE_MAX_ENTRIES);
	CHECK(r, n == q->count, "order has %zu of %zu", n, q->count);
	int64_t pick;
	enum queue_chosen why;
	enum queue_err err = queue_pick(q, &pick, &why);
	if (n == 0) {
		CHECK(r, err == QUEUE_EEMPTY, "pick on an empty queue: %s", queue_strerror(err));
		return;
	}
	CHECK(r, err == QUEUE_OK && pick == order[0]->entry, "pick is not the order's head");
	enum queue_chosen want = q->chair_order ? QUEUE_CHOSEN_CHAIR
				 : order[0]->kind == QUEUE_KIND_POINT_OF_ORDER
				     ? QUEUE_CHOSEN_POINT_OF_ORDER
				     : reason_of[q->policy];
	CHECK(r, why == want, "pick reason %s, expected %s", queue_chosen_name(why),
	      queue_chosen_name(want));
	bool seen[QUEUE_MAX_ENTRIES] = {false};
	for (size_t k = 0; k < n; k++) {
		size_t i = (size_t)(order[k] - q->entries);
		CHECK(r, i < q->count && !seen[i], "order is not a permutation");
		seen[i] = true;
		if (q->chair_order || k == 0)
			continue;
		CHECK(r, class_of[order[k - 1]->kind] <= class_of[order[k]->kind],
		      "order breaks the priority classes");
		if (order[k]->kind == QUEUE_KIND_POINT_OF_ORDER)
			CHECK(r, order[k - 1]->raised_seq < order[k]->raised_seq,
			      "points of order out of raising order");
	}
}

/* Granting the picks one by one, on a copy, speaks in exactly the shown order. */
static void check_order_is_the_picks(struct run *r)
{
	int64_t shown[QUEUE_MAX_ENTRIES];
	size_t n = order_ids(&r->q, shown, QUEUE_MAX_ENTRIES);
	struct queue copy;
	queue_copy(&copy, &r->q);
	if (copy.floor.active)
		CHECK(r, queue_end_floor(&copy, r->now, NULL) == QUEUE_OK, "end on copy");
	for (size_t k = 0; k < n; k++) {
		int64_t entry;
		enum queue_chosen why;
		CHECK(r, queue_pick(&copy, &entry, &why) == QUEUE_OK, "pick on copy");
		CHECK(r, entry == shown[k], "pick %zu differs from the shown order", k);
		CHECK(r, queue_grant(&copy, entry, 0, why, r->now) == QUEUE_OK, "grant on copy");
		CHECK(r, queue_end_floor(&copy, r->now, NULL) == QUEUE_OK, "end on copy");
	}
	queue_fini(&copy);
}

/* The log's promise: the same applied operations on a fresh queue give the same results
 * and the same state, field by field. */
static void check_replay(struct run *r)
{
	struct queue fresh;
	queue_init(&fresh);
	for (size_t i = 0; i < r->op_count; i++) {
		enum queue_err got = apply(&fresh, &r->ops[i]);
		CHECK(r, got == r->ops[i].result, "replayed %s #%zu gave %s, live gave %s",
		      op_names[r->ops[i].type], i, queue_strerror(got),
		      queue_strerror(r->ops[i].result));
	}
	const char *diff = queue_diff(&r->q, &fresh);
	CHECK(r, diff == NULL, "replay differs in %s", diff);
	queue_fini(&fresh);
}

static void run_sequence(struct run *r, uint64_t seed)
{
	memset(r, 0, sizeof *r);
	r->seed = r->rng = seed;
	r->now = T0;
	queue_init(&r->q);
	/* One run in four has an allocator that fails once, early. */
	r->alloc.fail_at = below(r, 4) == 0 ? (int)below(r, 6) : -1;
	r->q.alloc = test_alloc_fn;
	r->q.alloc_ctx = &r->alloc;
	for (r->step = 0; r->step < STEPS; r->step++) {
		random_step(r);
		check_entries(r);
		check_history(r);
		check_order(r);
		check_order_is_the_picks(r);
	}
	check_replay(r);
	queue_fini(&r->q);
}

static uint64_t env_u64(const char *name, uint64_t fallback)
{
	const char *s = getenv(name);
	return s != NULL && *s ? strtoull(s, NULL, 0) : fallback;
}

static void test_random_sequences(void **state)
{
	(void)state;
	uint64_t base = env_u64("QUEUE_RANDOM_SEED", DEFAULT_SEED);
	uint64_t runs = env_u64("QUEUE_RANDOM_RUNS", DEFAULT_RUNS);
	struct run *r = malloc(sizeof *r);
	assert_non_null(r);
	uint64_t ops = 0, failures = 0;
	for (uint64_t i = 0; i < runs; i++) {
		run_sequence(r, base + i);
		ops += r->op_count;
		failures += (uint64_t)r->alloc.failures;
	}
	print_message("%" PRIu64 " sequences from seed %" PRIu64 ": %" PRIu64
		      " operations applied, %" PRIu64 " allocation failures survived\n",
		      runs, base, ops, failures);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_sequences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
