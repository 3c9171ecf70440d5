/*
 * room_snapshot_text, the join ack's snapshot written without jansson, must say exactly
 * what room_snapshot says: same members, same values, strings escaped as JSON requires.
 */
#include <stdlib.h>
#include <string.h>

#include "rooms/test_helpers.h"

static void assert_same_as_json(struct room *room)
{
	size_t len = 0;
	char *text = room_snapshot_text(room, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	json_error_t jerr;
	json_t *parsed = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!parsed)
		fail_msg("not JSON: %s at %d: %.200s", jerr.text, jerr.position, text);
	json_t *expected = room_snapshot(room);
	rt_assert_json_equal(expected, parsed, "room_snapshot_text");
	json_decref(expected);
	json_decref(parsed);
	free(text);
}

static void empty_room(void **state)
{
	struct rt *t = *state;
	assert_same_as_json(t->room);
}

static void roster_with_every_state(void **state)
{
	struct rt *t = *state;
	rt_attach(t, CH);
	rt_attach(t, P1);
	rt_attach(t, P2);
	rt_attach(t, P6);	 /* in the room */
	rt_detach(t, P2, false); /* dropped: on the record, not connected */
	rt_detach(t, P1, true);	 /* left: not on the roster */
	assert_int_equal(rt_run(t, CH, "{\"type\":\"session.start\",\"title\":\"Day 1\"}"),
			 ROOM_OK);
	assert_int_equal(rt_run(t, P6, "{\"type\":\"queue.raise\"}"), ROOM_OK);
	assert_same_as_json(t->room);
}

/* Names and groups come from people: quotes, backslashes, control characters and
 * non-ASCII text must come out as the same strings. */
static void strings_that_need_escaping(void **state)
{
	struct rt *t = *state;
	static const struct room_identity odd[] = {
	    {"p-quote", "Ana \"the chair\" \\ O'Neil", ROOM_ROLE_PARTICIPANT, "g\"1", false, NULL},
	    {"p-ctrl", "line\nbreak\ttab\x01\x1f end", ROOM_ROLE_PARTICIPANT, "", true, NULL},
	    {"p-utf8", "Zoë Ñúñez 李 \xe2\x80\xa8 ☃", ROOM_ROLE_PARTICIPANT, "société civile",
	     false, NULL},
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		assert_int_equal(room_attach(t->room, &odd[i], t->now), ROOM_OK);
	rt_flush(t);
	assert_same_as_json(t->room);
}

static void a_plenary_sized_roster(void **state)
{
	struct rt *t = *state;
	char pid[32], name[64];
	for (int i = 0; i < 2000; i++) {
		snprintf(pid, sizeof pid, "p%d", i);
		snprintf(name, sizeof name, "Participant %d", i);
		struct room_identity who = {pid,    name,	ROOM_ROLE_PARTICIPANT,
					    "tech", i % 3 == 0, NULL};
		assert_int_equal(room_attach(t->room, &who, t->now), ROOM_OK);
	}
	rt_flush(t);
	assert_same_as_json(t->room);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(empty_room),
	    T(roster_with_every_state),
	    T(strings_that_need_escaping),
	    T(a_plenary_sized_roster),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
