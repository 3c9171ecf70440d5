/*
 * The permission table of PROTOCOL.md "Permissions", one test per row: every command of
 * the row sent by every role. A role the table allows gets past the permission check
 * (whatever the state then says: ok, conflict, not_found); every other role gets
 * `forbidden`, and nothing changes -- not the head, not the snapshot, not a byte of the
 * log, and no message goes out. The check comes before the session's state, so a
 * forbidden command is forbidden before the session starts too.
 *
 * Each (command, role) pair runs in a fresh room set up the same way, so that what an
 * allowed role did cannot hide what the next one may do: a live session, P1 holding the
 * floor (entry 1), P2 waiting (entry 2), hum 1 and poll 1 open.
 */
#include "rooms/test_helpers.h"

struct cmd {
	const char *type;
	const char *json; /* a plausible command of this type */
};

static const struct cmd cmds[] = {
    {"session.start", "{\"type\":\"session.start\",\"title\":\"again\"}"},
    {"session.end", "{\"type\":\"session.end\"}"},
    {"queue.raise", "{\"type\":\"queue.raise\"}"},
    {"queue.lower", "{\"type\":\"queue.lower\"}"},
    {"queue.open", "{\"type\":\"queue.open\"}"},
    {"queue.close", "{\"type\":\"queue.close\"}"},
    {"queue.policy", "{\"type\":\"queue.policy\",\"policy\":\"groups_round_robin\"}"},
    {"queue.add", "{\"type\":\"queue.add\",\"name\":\"Mic 3\",\"group\":\"technical\"}"},
    {"queue.remove", "{\"type\":\"queue.remove\",\"entry\":2}"},
    {"queue.move", "{\"type\":\"queue.move\",\"entry\":2,\"position\":0}"},
    {"queue.next", "{\"type\":\"queue.next\"}"},
    {"queue.grant", "{\"type\":\"queue.grant\",\"entry\":2}"},
    {"floor.extend", "{\"type\":\"floor.extend\",\"seconds\":60}"},
    {"floor.end", "{\"type\":\"floor.end\"}"},
    {"hum.start", "{\"type\":\"hum.start\",\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}"},
    {"hum.end", "{\"type\":\"hum.end\",\"hum\":1}"},
    {"hum.cast", "{\"type\":\"hum.cast\",\"hum\":1,\"option\":0}"},
    {"poll.start", "{\"type\":\"poll.start\",\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}"},
    {"poll.end", "{\"type\":\"poll.end\",\"poll\":1}"},
    {"poll.vote", "{\"type\":\"poll.vote\",\"poll\":1,\"choices\":[0]}"},
    {"caption", "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Hello\",\"final\":true}"},
    {"participant.remove", "{\"type\":\"participant.remove\",\"pid\":\"p-alice\"}"},
    {"participant.readmit", "{\"type\":\"participant.readmit\",\"pid\":\"p-alice\"}"},
    {"mic.open", "{\"type\":\"mic.open\",\"pid\":\"chair-ana\"}"},
    {"mic.close", "{\"type\":\"mic.close\",\"pid\":\"p-alice\"}"},
    {"interp.take", "{\"type\":\"interp.take\",\"lang\":\"fr\"}"},
    {"floor.lang", "{\"type\":\"floor.lang\",\"lang\":\"es\"}"},
};
#define N_CMDS (sizeof cmds / sizeof cmds[0])

/* Who sends as each role: P2 is a participant who does not hold the floor. */
static const enum rt_person sender[ROOM_ROLE_COUNT] = {
    [ROOM_ROLE_CHAIR] = CH,	 [ROOM_ROLE_PARTICIPANT] = P2, [ROOM_ROLE_OBSERVER] = OBS,
    [ROOM_ROLE_CAPTIONER] = CAP, [ROOM_ROLE_VENUE] = VEN,      [ROOM_ROLE_INTERPRETER] = INT_FR,
};

static const struct cmd *find_cmd(const char *type)
{
	for (size_t i = 0; i < N_CMDS; i++)
		if (strcmp(cmds[i].type, type) == 0)
			return &cmds[i];
	fail_msg("no test command for %s", type);
	return NULL;
}

static void scene(struct rt *t, bool live)
{
	rt_init(t);
	rt_attach(t, CH);
	rt_attach(t, P1);
	rt_attach(t, P2);
	rt_attach(t, CAP);
	rt_attach(t, OBS);
	rt_attach(t, VEN);
	rt_attach(t, INT_FR);
	if (!live)
		return;
	rt_ok(t, CH, "{\"type\":\"session.start\"}");
	assert_int_equal(rt_raise(t, P1, NULL), 1);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	assert_int_equal(rt_raise(t, P2, NULL), 2);
	rt_ok(t, CH, "{\"type\":\"hum.start\",\"question\":\"Hum?\",\"options\":[\"yes\",\"no\"]}");
	rt_ok(t, CH, "{\"type\":\"poll.start\",\"question\":\"Poll?\",\"options\":[\"x\",\"y\"]}");
	rt_clear(t);
}

/* One row: allowed[role] says whether the table lets that role send these commands. */
static void check_row(const char *const *types, size_t n, const bool allowed[ROOM_ROLE_COUNT])
{
	for (size_t i = 0; i < n; i++) {
		const struct cmd *c = find_cmd(types[i]);
		assert_true(room_command_known(c->type));
		for (int role = 0; role < ROOM_ROLE_COUNT; role++) {
			const struct room_identity *who = rt_who(sender[role]);
			assert_int_equal(who->role, role);
			assert_int_equal(room_command_allowed(c->type, (enum room_role)role),
					 allowed[role]);
			for (int live = 0; live <= 1; live++) {
				struct rt t;
				scene(&t, live);
				if (allowed[role]) {
					enum room_err err = rt_run(&t, sender[role], "%s", c->json);
					if (err == ROOM_EFORBIDDEN)
						fail_msg("%s as %s: forbidden (%s)", c->type,
							 room_role_name((enum room_role)role),
							 t.message);
					if (live && strcmp(c->type, "session.start") != 0 &&
					    err == ROOM_ECONFLICT && strstr(t.message, "session"))
						fail_msg("%s as %s: %s", c->type,
							 room_role_name((enum room_role)role),
							 t.message);
				} else {
					rt_fail(&t, sender[role], ROOM_EFORBIDDEN, "%s", c->json);
				}
				rt_fini(&t);
			}
		}
	}
}

/* The venue (the room's sound desk) sends no room command: its microphone is opened by the
 * session, and the people it carries are queued by the chair (queue.add). An interpreter
 * sends only interp.take (row_interp_take). */
#define ROW(name, chair, participant, captioner, observer, venue, ...)                             \
	static void name(void **state)                                                             \
	{                                                                                          \
		(void)state;                                                                       \
		static const char *const types[] = {__VA_ARGS__};                                  \
		const bool allowed[ROOM_ROLE_COUNT] = {                                            \
		    [ROOM_ROLE_CHAIR] = chair,	       [ROOM_ROLE_PARTICIPANT] = participant,      \
		    [ROOM_ROLE_CAPTIONER] = captioner, [ROOM_ROLE_OBSERVER] = observer,            \
		    [ROOM_ROLE_VENUE] = venue,                                                     \
		};                                                                                 \
		check_row(types, sizeof types / sizeof types[0], allowed);                         \
	}

ROW(row_session, true, false, false, false, false, "session.start", "session.end")
ROW(row_queue_raise_lower, true, true, false, false, false, "queue.raise", "queue.lower")
ROW(row_chair_queue, true, false, false, false, false, "queue.open", "queue.close", "queue.policy",
    "queue.add", "queue.remove", "queue.move", "queue.next", "queue.grant", "floor.extend")
ROW(row_hum_start_end, true, false, false, false, false, "hum.start", "hum.end")
ROW(row_hum_cast, true, true, false, false, false, "hum.cast")
ROW(row_poll_start_end, true, false, false, false, false, "poll.start", "poll.end")
ROW(row_poll_vote, true, true, false, false, false, "poll.vote")
ROW(row_caption, true, false, true, false, false, "caption")
ROW(row_moderation, true, false, false, false, false, "participant.remove", "participant.readmit",
    "mic.open", "mic.close")

static void row_interp_take(void **state)
{
	(void)state;
	static const char *const types[] = {"interp.take"};
	const bool allowed[ROOM_ROLE_COUNT] = {
	    [ROOM_ROLE_CHAIR] = true, [ROOM_ROLE_INTERPRETER] = true};
	check_row(types, 1, allowed);
}

/* floor.lang: chairs, and of participants only the floor holder. */
static void row_floor_lang(void **state)
{
	(void)state;
	const char *cmd = "{\"type\":\"floor.lang\",\"lang\":\"es\"}";
	for (int role = 0; role < ROOM_ROLE_COUNT; role++) {
		assert_int_equal(room_command_allowed("floor.lang", (enum room_role)role),
				 role == ROOM_ROLE_CHAIR || role == ROOM_ROLE_PARTICIPANT);
		if (role == ROOM_ROLE_PARTICIPANT)
			continue;
		struct rt t;
		scene(&t, true);
		if (role == ROOM_ROLE_CHAIR)
			rt_ok(&t, CH, "%s", cmd);
		else
			rt_fail(&t, sender[role], ROOM_EFORBIDDEN, "%s", cmd);
		rt_fini(&t);
	}
	struct rt t;
	scene(&t, true);
	rt_fail(&t, P2, ROOM_EFORBIDDEN, "%s", cmd); /* not the holder: nothing changes */
	rt_ok(&t, P1, "%s", cmd);
	assert_string_equal(rt_str(rt_last_event(&t, "floor.lang"), "lang"), "es");
	rt_fini(&t);
}

/* floor.end: chairs, and of participants only the floor holder. */
static void row_floor_end(void **state)
{
	(void)state;
	for (int role = 0; role < ROOM_ROLE_COUNT; role++) {
		if (role == ROOM_ROLE_PARTICIPANT)
			continue;
		struct rt t;
		scene(&t, true);
		if (role == ROOM_ROLE_CHAIR) {
			rt_ok(&t, CH, "{\"type\":\"floor.end\"}");
			assert_string_equal(rt_str(rt_last_event(&t, "floor.ended"), "reason"),
					    "chair");
		} else {
			rt_fail(&t, sender[role], ROOM_EFORBIDDEN, "{\"type\":\"floor.end\"}");
		}
		rt_fini(&t);
	}

	/* A participant who does not hold the floor. */
	struct rt t;
	scene(&t, true);
	rt_fail(&t, P2, ROOM_EFORBIDDEN, "{\"type\":\"floor.end\"}");
	/* The holder yields. */
	rt_ok(&t, P1, "{\"type\":\"floor.end\"}");
	json_t *ended = rt_last_event(&t, "floor.ended");
	assert_string_equal(rt_str(ended, "reason"), "yielded");
	assert_string_equal(rt_str(ended, "pid"), rt_pid(P1));
	/* Once it is over, P1 holds nothing and may not end anyone's floor. */
	rt_ok(&t, CH, "{\"type\":\"queue.next\"}");
	rt_fail(&t, P1, ROOM_EFORBIDDEN, "{\"type\":\"floor.end\"}");
	rt_fini(&t);
}

/* media.offer is the gateway's (it needs the media workers); rooms do not know it, and
 * say so with unknown_type rather than pretending to decide. */
static void row_media_offer_is_the_gateways(void **state)
{
	(void)state;
	struct rt t;
	scene(&t, true);
	assert_false(room_command_known("media.offer"));
	for (int role = 0; role < ROOM_ROLE_COUNT; role++) {
		assert_false(room_command_allowed("media.offer", (enum room_role)role));
		rt_fail(&t, sender[role], ROOM_EUNKNOWN_TYPE,
			"{\"type\":\"media.offer\",\"sdp\":\"v=0\"}");
	}
	rt_fini(&t);
}

/* Every command in the table is here, and nothing else is a room command. */
static void table_is_complete(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_CMDS; i++)
		assert_true(room_command_known(cmds[i].type));
	const char *not_commands[] = {
	    "join",	     "leave",	 "ping",	  "",
	    "queue",	     "queue.",	 "Queue.raise",	  "hum.levels",
	    "poll.progress", "presence", "floor.granted", "session.started"};
	for (size_t i = 0; i < sizeof not_commands / sizeof not_commands[0]; i++)
		assert_false(room_command_known(not_commands[i]));
	struct rt t;
	scene(&t, true);
	rt_fail(&t, CH, ROOM_EUNKNOWN_TYPE, "{\"type\":\"queue.teleport\"}");
	rt_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(row_session),	  cmocka_unit_test(row_queue_raise_lower),
	    cmocka_unit_test(row_chair_queue),	  cmocka_unit_test(row_floor_end),
	    cmocka_unit_test(row_hum_start_end),  cmocka_unit_test(row_hum_cast),
	    cmocka_unit_test(row_poll_start_end), cmocka_unit_test(row_poll_vote),
	    cmocka_unit_test(row_caption),	  cmocka_unit_test(row_media_offer_is_the_gateways),
	    cmocka_unit_test(row_moderation),	  cmocka_unit_test(table_is_complete),
	    cmocka_unit_test(row_interp_take),	  cmocka_unit_test(row_floor_lang),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
