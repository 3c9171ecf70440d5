/*
 * A seeded randomized test of the room: thousands of random and malformed commands --
 * wrong types, missing fields, huge strings, unknown types, wrong roles, out-of-range
 * indices, stale ids -- from random identities, mixed with people coming and going, the
 * clock moving on and restarts.
 *
 * After every command that failed, nothing changed: the snapshot, the head, the log file's
 * bytes, and no message went out. After everything else the invariants hold: one queue
 * entry per person, the floor holder never queued, the head's seq is the number of lines in
 * the log and its hash the last line's. Every restart, and the end of every session,
 * rebuilds the same snapshot from disk.
 *
 * PLENARY_RANDOM_SEED=<n> repeats a run (the seed is printed when a run fails);
 * PLENARY_RANDOM_STEPS=<n> makes it longer.
 */
#include "rooms/test_helpers.h"

static uint64_t seed = UINT64_C(20261122);
static bool trace; /* PLENARY_RANDOM_TRACE=1: print every step */
/* Outcomes per template and error code, printed with PLENARY_RANDOM_STATS=1. */
static long outcomes[32][ROOM_EINTERNAL + 1];
static uint64_t rng_state;
static long step;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static int below(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

static bool chance(int percent)
{
	return below(100) < percent;
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error("seed %llu step %ld: ", (unsigned long long)seed, step);       \
			fail_msg(__VA_ARGS__);                                                     \
		}                                                                                  \
	} while (0)

/* --- what the room looks like now, for picking plausible ids --- */

struct view {
	int64_t entries[64];
	int n_entries;
	int64_t floor_entry;
	int64_t hum; /* open hum id, or the last one */
	int64_t polls;
	int64_t next_entry;
};

static void look(struct rt *t, struct view *v)
{
	memset(v, 0, sizeof *v);
	json_t *snap = room_snapshot(t->room);
	json_t *q = json_object_get(snap, "queue");
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(q, "entries"), i, e)
	{
		int64_t id = json_integer_value(json_object_get(e, "entry"));
		if (v->n_entries < 64)
			v->entries[v->n_entries++] = id;
		if (id >= v->next_entry)
			v->next_entry = id + 1;
	}
	json_t *f = json_object_get(q, "floor");
	v->floor_entry = json_is_object(f) ? json_integer_value(json_object_get(f, "entry")) : 0;
	json_t *hum = json_object_get(snap, "hum");
	v->hum = json_is_object(hum) ? json_integer_value(json_object_get(hum, "hum")) : 0;
	v->polls = (int64_t)json_array_size(json_object_get(snap, "polls"));
	json_decref(snap);
}

/* --- random values --- */

static json_t *huge_string(void)
{
	size_t n = chance(50) ? 2001 : 70000;
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, chance(50) ? 'x' : ' ', n);
	s[n] = '\0';
	json_t *v = json_string(s);
	free(s);
	return v;
}

/* A value of the wrong kind, or an odd one of the right kind. */
static json_t *junk(void)
{
	switch (below(12)) {
	case 0:
		return json_null();
	case 1:
		return json_true();
	case 2:
		return json_integer(-1);
	case 3:
		return json_integer(INT64_MAX);
	case 4:
		return json_real(1.5);
	case 5:
		return json_string("");
	case 6:
		return json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	case 7:
		return json_pack("[i,s]", 1, "x");
	case 8:
		return json_pack("{s:i}", "a", 1);
	case 9:
		return chance(20) ? huge_string() : json_string("junk");
	case 10:
		return json_integer(below(5) - 1);
	default:
		return json_integer((json_int_t)(rnd() >> 1));
	}
}

static json_t *one_of(const char *const *names, int n)
{
	return json_string(names[below(n)]);
}

static json_t *str_field(void)
{
	static const char *const s[] = {"Hello", "A question?",		 "Mic 7",
					"x",	 "G\xc3\xa9n\xc3\xa8ve", "  padded  "};
	return one_of(s, 6);
}

static json_t *options_field(int max)
{
	json_t *a = json_array();
	int n = chance(80) ? 2 + below(max - 1) : below(max + 3);
	for (int i = 0; i < n; i++)
		json_array_append_new(a, chance(98) ? json_sprintf("opt %d", i) : junk());
	return a;
}

static json_t *entry_field(const struct view *v)
{
	if (v->n_entries && chance(60))
		return json_integer(v->entries[below(v->n_entries)]);
	if (v->floor_entry && chance(30))
		return json_integer(v->floor_entry);
	return json_integer(below((int)v->next_entry + 3));
}

/* Plausible values, one generator per field name (none of them draws before it is chosen,
 * so the table keeps the seeded sequence of the if-chain it replaced). */
static json_t *kind_field(const struct view *v)
{
	static const char *const kinds[] = {"speak", "point_of_order", "clarify", "reply", "shout"};
	(void)v;
	return one_of(kinds, 5);
}

static json_t *policy_field(const struct view *v)
{
	static const char *const policies[] = {"fifo", "groups_round_robin", "alternate_location",
					       "random"};
	(void)v;
	return one_of(policies, 4);
}

static json_t *position_field(const struct view *v)
{
	return json_integer(below(v->n_entries + 2) - (chance(5) ? 1 : 0));
}

static json_t *hum_field(const struct view *v)
{
	return json_integer(v->hum + below(3) - 1);
}

static json_t *poll_field(const struct view *v)
{
	return json_integer(v->polls + below(3) - 1);
}

static json_t *option_field(const struct view *v)
{
	(void)v;
	return chance(15) ? json_null() : json_integer(below(4) - (chance(10) ? 1 : 0));
}

static json_t *choices_field(const struct view *v)
{
	(void)v;
	json_t *a = json_array();
	int n = below(4);
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer(below(5) - (chance(5) ? 1 : 0)));
	return a;
}

static json_t *poll_options_field(const struct view *v)
{
	(void)v;
	return options_field(chance(50) ? 5 : 20);
}

static json_t *time_limit_field(const struct view *v)
{
	static const int lim[] = {0, 1, 5, 30, 60, 86400, 86401, -1};
	(void)v;
	return json_integer(lim[below(8)]);
}

static json_t *seconds_field(const struct view *v)
{
	static const int sec[] = {1, 10, 40, 3600, 0, 3601};
	(void)v;
	return json_integer(sec[below(6)]);
}

static json_t *lang_field(const struct view *v)
{
	static const char *const langs[] = {"en", "fr", "pt-BR", "", "en_US", "de"};
	(void)v;
	return one_of(langs, 6);
}

static json_t *text_field(const struct view *v)
{
	(void)v;
	return chance(5) ? huge_string() : chance(10) ? json_string("") : str_field();
}

static json_t *flag_field(const struct view *v)
{
	(void)v;
	return json_boolean(chance(50));
}

static json_t *group_field(const struct view *v)
{
	static const char *const g[] = {"government", "technical", "", "academia"};
	(void)v;
	return one_of(g, 4);
}

static const struct {
	const char *key;
	json_t *(*make)(const struct view *v);
} field_makers[] = {
    {"kind", kind_field},
    {"policy", policy_field},
    {"entry", entry_field},
    {"position", position_field},
    {"hum", hum_field},
    {"poll", poll_field},
    {"option", option_field},
    {"choices", choices_field},
    {"options", poll_options_field},
    {"time_limit_s", time_limit_field},
    {"seconds", seconds_field},
    {"lang", lang_field},
    {"text", text_field},
    {"final", flag_field},
    {"auto_end", flag_field},
    {"multiple", flag_field},
    {"anonymous", flag_field},
    {"live_counts", flag_field},
    {"show_of_hands", flag_field},
    {"group", group_field},
};

/* A plausible value for a field of that name (or, now and then, junk). */
static json_t *field_value(const char *key, const struct view *v)
{
	if (chance(8))
		return junk();
	for (size_t i = 0; i < sizeof field_makers / sizeof field_makers[0]; i++)
		if (strcmp(key, field_makers[i].key) == 0)
			return field_makers[i].make(v);
	return str_field(); /* name, title, question */
}

static const struct {
	const char *type;
	const char *fields[7];
} templates[] = {
    {"session.start", {"title"}},
    {"session.end", {NULL}},
    {"queue.raise", {"kind"}},
    {"queue.lower", {NULL}},
    {"queue.open", {NULL}},
    {"queue.close", {NULL}},
    {"queue.policy", {"policy", "time_limit_s", "auto_end"}},
    {"queue.add", {"name", "group", "kind"}},
    {"queue.remove", {"entry"}},
    {"queue.move", {"entry", "position"}},
    {"queue.next", {NULL}},
    {"queue.grant", {"entry"}},
    {"floor.end", {NULL}},
    {"floor.extend", {"seconds"}},
    {"hum.start", {"question", "options"}},
    {"hum.cast", {"hum", "option"}},
    {"hum.end", {"hum"}},
    {"poll.start",
     {"question", "options", "multiple", "anonymous", "live_counts", "show_of_hands"}},
    {"poll.vote", {"poll", "choices"}},
    {"poll.end", {"poll"}},
    {"caption", {"lang", "text", "final"}},
};
#define N_TEMPLATES (int)(sizeof templates / sizeof templates[0])

static json_t *random_command(const struct view *v, const char **type)
{
	static const char *const unknown[] = {"queue.teleport", "",	"Queue.raise", "hum",
					      "session.start ", "join", "media.offer"};
	int k;
	do
		k = below(N_TEMPLATES);
	while (strcmp(templates[k].type, "session.end") == 0 && !chance(6));
	json_t *cmd = json_object();
	*type = templates[k].type;
	if (chance(3))
		*type = unknown[below(7)];
	json_object_set_new(cmd, "type", json_string(*type));
	for (int f = 0; templates[k].fields[f]; f++)
		if (chance(88))
			json_object_set_new(cmd, templates[k].fields[f],
					    field_value(templates[k].fields[f], v));
	if (chance(10))
		json_object_set_new(cmd, chance(50) ? "entry" : "zzz", junk());
	if (chance(10))
		json_object_set_new(cmd, "id", json_integer(below(1000)));
	return cmd;
}

/* --- the checks --- */

struct world {
	struct rt t;
	char room[65];
	int rooms_made;
	int connections[RT_CAST];
	/* The media side's idea of each person's mic gate: what room_mic_open() said when
	 * they attached (the join ack), then every sink.mic since. */
	bool mic[RT_CAST];
};

static void attached(struct world *w, enum rt_person who)
{
	w->connections[who]++;
	w->mic[who] = room_mic_open(w->t.room, rt_pid(who));
}

/* Takes in the mic changes the sink got; each came with a private mic message. */
static void absorb_mics(struct world *w)
{
	struct rt *t = &w->t;
	CHECK(rt_count(t->privates, "mic") == json_array_size(t->mics),
	      "%zu private mic messages for %zu mic changes", rt_count(t->privates, "mic"),
	      json_array_size(t->mics));
	size_t i;
	json_t *m;
	json_array_foreach(t->mics, i, m)
	{
		for (int k = 0; k < RT_CAST; k++)
			if (strcmp(rt_pid((enum rt_person)k), rt_str(m, "pid")) == 0)
				w->mic[k] = json_is_true(json_object_get(m, "open"));
	}
	json_array_clear(t->mics);
	json_array_clear(t->privates);
}

static void find_room(struct world *w)
{
	w->t.room = rooms_find(w->t.rs, w->room);
	CHECK(w->t.room != NULL, "room %s did not load", w->room);
	w->t.last_seq = room_head_seq(w->t.room);
}

static void check_invariants(struct world *w)
{
	struct rt *t = &w->t;
	assert_false(rooms_dirty(t->rs));
	/* The clock never asks to be called back for a time that has come (a busy loop). */
	int64_t next = rooms_tick(t->rs, t->now);
	CHECK(next > t->now, "rooms_tick wants %lld at %lld", (long long)next, (long long)t->now);
	rt_flush(t);
	absorb_mics(w);
	for (int i = 0; i < RT_CAST; i++)
		if (w->connections[i] && i != OBS)
			CHECK(w->mic[i] == room_mic_open(t->room, rt_pid((enum rt_person)i)),
			      "%s: the media side thinks the mic is %s", rt_pid((enum rt_person)i),
			      w->mic[i] ? "open" : "closed");
	json_t *snap = room_snapshot(t->room);
	json_t *q = json_object_get(snap, "queue");
	json_t *floor = json_object_get(q, "floor");
	const char *holder =
	    json_is_object(floor) ? json_string_value(json_object_get(floor, "pid")) : NULL;
	size_t i, k;
	json_t *e, *o;
	json_t *entries = json_object_get(q, "entries");
	json_array_foreach(entries, i, e)
	{
		const char *pid = json_string_value(json_object_get(e, "pid"));
		if (!pid)
			continue;
		CHECK(!holder || strcmp(pid, holder) != 0, "the floor holder %s is queued", pid);
		json_array_foreach(entries, k, o) if (k > i)
		{
			const char *other = json_string_value(json_object_get(o, "pid"));
			CHECK(!other || strcmp(pid, other) != 0, "%s has two entries", pid);
		}
	}
	size_t len;
	char *log = rt_read_file(room_log_path(t->room), &len);
	int64_t head = room_head_seq(t->room);
	CHECK((int64_t)rt_count_lines(log, len) == head, "head %lld, %zu lines", (long long)head,
	      rt_count_lines(log, len));
	CHECK(len > 0 && log[len - 1] == '\n', "the log does not end with a line");
	const char *last = log + len - 1;
	while (last > log && last[-1] != '\n')
		last--;
	json_t *rec = json_loadb(last, (size_t)(log + len - last), 0, NULL);
	CHECK(rec != NULL, "the last line does not parse");
	json_t *h = json_object_get(snap, "head");
	CHECK(json_integer_value(json_object_get(rec, "seq")) == head, "last line seq");
	CHECK(json_equal(json_object_get(rec, "hash"), json_object_get(h, "hash")),
	      "the head hash is not the last line's");
	CHECK(json_integer_value(json_object_get(h, "seq")) == head, "snapshot head seq");
	json_decref(rec);
	free(log);
	json_decref(snap);
}

/* A restart: the same snapshot, runtime fields aside; then everyone who was connected
 * comes back. */
static void restart(struct world *w)
{
	struct rt *t = &w->t;
	json_t *before = room_snapshot(t->room);
	rt_reopen(t);
	find_room(w);
	json_t *after = room_snapshot(t->room);
	json_t *a = rt_stable(before), *b = rt_stable(after);
	if (!json_equal(a, b)) {
		print_error("seed %llu step %ld: restart changed the room\n",
			    (unsigned long long)seed, step);
		rt_assert_json_equal(a, b, "snapshots across a restart");
	}
	json_decref(a);
	json_decref(b);
	json_decref(before);
	json_decref(after);
	CHECK(json_array_size(t->warnings) == 0, "warnings on reopening");
	for (int i = 0; i < RT_CAST; i++) {
		int connections = w->connections[i];
		w->connections[i] = 0;
		for (int c = 0; c < connections; c++) {
			assert_int_equal(room_attach(t->room, rt_who((enum rt_person)i), t->now),
					 ROOM_OK);
			attached(w, (enum rt_person)i);
		}
	}
	rt_flush(t);
}

static void new_room(struct world *w)
{
	struct rt *t = &w->t;
	snprintf(w->room, sizeof w->room, "random-%d", ++w->rooms_made);
	struct room_settings s = {w->room, "Random", true, chance(50), ROOM_VISIBILITY_PUBLIC,
				  NULL};
	assert_int_equal(rooms_create(t->rs, &s, t->now, &t->room), ROOM_OK);
	t->last_seq = room_head_seq(t->room);
	memset(w->connections, 0, sizeof w->connections);
	for (int i = 0; i < RT_CAST; i++)
		if (chance(80)) {
			assert_int_equal(room_attach(t->room, rt_who((enum rt_person)i), t->now),
					 ROOM_OK);
			attached(w, (enum rt_person)i);
		}
	assert_int_equal(room_attach(t->room, rt_who(CH), t->now), ROOM_OK);
	attached(w, CH);
	rt_flush(t);
	if (chance(90))
		rt_ok(t, CH, "{\"type\":\"session.start\"}");
	absorb_mics(w);
}

static void one_command(struct world *w)
{
	struct rt *t = &w->t;
	struct view v;
	look(t, &v);
	const char *type;
	json_t *cmd = random_command(&v, &type);
	/* Commands come over a connection, so from someone attached; chairs send most. */
	enum rt_person who = (enum rt_person)below(RT_CAST);
	for (int tries = 0; tries < 50; tries++) {
		who = chance(45) ? (chance(70) ? CH : CH2) : (enum rt_person)below(RT_CAST);
		if (w->connections[who])
			break;
	}
	struct rt_state before;
	rt_capture(t, &before);
	json_t *result = NULL;
	const char *message = NULL;
	enum room_err err =
	    room_command(t->room, rt_who(who), type, cmd, t->now, &result, &message);
	if (trace) {
		char *text = json_dumps(cmd, JSON_COMPACT);
		fprintf(stderr, "%ld %s: %.150s -> %s\n", step, rt_pid(who), text,
			room_err_code(err));
		free(text);
	}
	for (int k = 0; k < N_TEMPLATES; k++)
		if (strcmp(templates[k].type, type) == 0)
			outcomes[k][err]++;
	if (err != ROOM_OK) {
		CHECK(result == NULL, "a result with an error");
		CHECK(message && message[0], "%s: %s without a message", type, room_err_code(err));
		CHECK(!rooms_dirty(t->rs), "%s failed (%s) with events pending", type,
		      room_err_code(err));
		char *text = json_dumps(cmd, JSON_COMPACT);
		char what[300];
		snprintf(what, sizeof what, "seed %llu step %ld: %.200s -> %s",
			 (unsigned long long)seed, step, text, room_err_code(err));
		free(text);
		rt_assert_unchanged(t, &before, what);
		if (!room_command_allowed(type, rt_who(who)->role) && room_command_known(type))
			CHECK(err == ROOM_EFORBIDDEN, "%s by %s: %s", type,
			      room_role_name(rt_who(who)->role), room_err_code(err));
		CHECK(err != ROOM_EINTERNAL, "internal error for %s", type);
	} else {
		CHECK(result != NULL, "no result");
		json_decref(result);
		rt_flush(t);
	}
	rt_release(&before);
	json_decref(cmd);
}

static void people_come_and_go(struct world *w)
{
	struct rt *t = &w->t;
	enum rt_person who = (enum rt_person)below(RT_CAST);
	if (w->connections[who] == 0 || chance(40)) {
		if (w->connections[who] >= 3)
			return;
		assert_int_equal(room_attach(t->room, rt_who(who), t->now), ROOM_OK);
		attached(w, who);
		if (trace)
			fprintf(stderr, "%ld %s attaches\n", step, rt_pid(who));
	} else {
		bool leave = chance(40);
		if (trace)
			fprintf(stderr, "%ld %s detaches%s\n", step, rt_pid(who),
				leave ? " (leave)" : "");
		room_detach(t->room, rt_who(who), leave, t->now);
		w->connections[who]--;
	}
	rt_flush(t);
}

static void print_step(struct world *w)
{
	size_t i;
	json_t *m;
	json_array_foreach(w->t.events, i, m)
	{
		char *text = json_dumps(json_object_get(m, "data"), JSON_COMPACT);
		fprintf(stderr, "%ld   event %s %.150s\n", step, rt_str(m, "kind"), text);
		free(text);
	}
	json_array_foreach(w->t.mics, i, m)
	    fprintf(stderr, "%ld   mic %s %d\n", step, rt_str(m, "pid"),
		    json_is_true(json_object_get(m, "open")));
}

/* The world lives in the fixture, so a failing run still removes its directory. */
static struct world world;

static int world_setup(void **state)
{
	(void)state;
	memset(&world, 0, sizeof world);
	rt_init(&world.t);
	return 0;
}

static int world_teardown(void **state)
{
	(void)state;
	rt_fini(&world.t);
	return 0;
}

static void run(long steps)
{
	struct world *w = &world;
	rng_state = seed ? seed : 1;
	snprintf(w->room, sizeof w->room, "%s", RT_ROOM);
	rt_attach(&w->t, CH);
	attached(w, CH);
	rt_ok(&w->t, CH, "{\"type\":\"session.start\"}");
	long room_steps = 0;
	for (step = 0; step < steps; step++, room_steps++) {
		int what = below(100);
		if (what < 72)
			one_command(w);
		else if (what < 84)
			people_come_and_go(w);
		else if (what < 97)
			rt_advance(&w->t, chance(70) ? below(3000) : below(60000));
		else
			restart(w);
		if (trace)
			print_step(w);
		check_invariants(w);
		json_t *snap = room_snapshot(w->t.room);
		bool ended = strcmp(json_string_value(
					json_object_get(json_object_get(snap, "room"), "status")),
				    "ended") == 0;
		json_decref(snap);
		if (ended || room_steps > 1500) {
			if (!ended)
				rt_ok(&w->t, CH, "{\"type\":\"session.end\"}");
			check_invariants(w);
			restart(w);
			new_room(w);
			room_steps = 0;
		}
		rt_clear(&w->t);
	}
	restart(w);
}

static void random_commands_change_nothing_or_keep_invariants(void **state)
{
	(void)state;
	const char *env = getenv("PLENARY_RANDOM_STEPS");
	run(env ? atol(env) : 6000);
	if (!getenv("PLENARY_RANDOM_STATS"))
		return;
	for (int k = 0; k < N_TEMPLATES; k++) {
		print_message("%-14s", templates[k].type);
		for (int e = 0; e <= ROOM_EINTERNAL; e++)
			if (outcomes[k][e])
				print_message(" %s %ld", room_err_code((enum room_err)e),
					      outcomes[k][e]);
		print_message("\n");
	}
}

int main(void)
{
	trace = getenv("PLENARY_RANDOM_TRACE") != NULL;
	const char *env = getenv("PLENARY_RANDOM_SEED");
	if (env)
		seed = strtoull(env, NULL, 0);
	print_message("seed %llu (PLENARY_RANDOM_SEED=%llu repeats this run)\n",
		      (unsigned long long)seed, (unsigned long long)seed);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(random_commands_change_nothing_or_keep_invariants,
					    world_setup, world_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (failed)
		fprintf(stderr, "failed with seed %llu: PLENARY_RANDOM_SEED=%llu repeats it\n",
			(unsigned long long)seed, (unsigned long long)seed);
	return failed;
}
