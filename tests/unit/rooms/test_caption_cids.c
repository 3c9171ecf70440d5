/*
 * Caption ids (docs/protocol.md "Captions"): a final caption's cid, repeated by the same
 * person, is acknowledged as a duplicate and written nowhere -- also after the rooms are
 * reopened from disk, since the cid is on the event; each person has their own cids; the
 * memory is the last ROOM_CIDS_KEPT per person; bad cids are bad_request and change
 * nothing. And the talker: a caption credits whoever the host says is talking, if they
 * are on the record, else the floor holder.
 */
#include "rooms/room_internal.h"
#include "rooms/test_helpers.h"

static void live(void **state)
{
	rt_live(*state);
	rt_advance(*state, 1000);
	rt_clear(*state);
}

static bool dup_of(struct rt *t)
{
	json_t *d = json_object_get(t->result, "duplicate");
	assert_true(json_is_boolean(d));
	return json_is_true(d);
}

static void caption(struct rt *t, enum rt_person who, const char *cid, const char *text)
{
	rt_ok(t, who,
	      "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"%s\",\"final\":true,"
	      "\"cid\":\"%s\"}",
	      text, cid);
}

static void repeated_cid_writes_nothing(void **state)
{
	struct rt *t = *state;
	live(state);
	caption(t, CAP, "line-1", "First line.");
	assert_false(dup_of(t));
	json_t *e = rt_last_event(t, "caption");
	assert_string_equal(rt_str(e, "cid"), "line-1");
	assert_string_equal(rt_str(e, "captioner"), rt_pid(CAP));
	caption(t, CAP, "line-1", "First line.");
	assert_true(dup_of(t));
	/* A retry need not match the text: the cid is the line. */
	caption(t, CAP, "line-1", "First line, edited.");
	assert_true(dup_of(t));
	assert_int_equal(rt_count(t->events, "caption"), 1);
	/* Another person's cid is theirs. */
	caption(t, CH, "line-1", "Chair's line.");
	assert_false(dup_of(t));
	/* Without a cid, nothing is deduplicated, and the ack says so too. */
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Same.\",\"final\":true}");
	assert_false(dup_of(t));
	rt_ok(t, CAP, "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Same.\",\"final\":true}");
	assert_false(dup_of(t));
	assert_int_equal(rt_count(t->events, "caption"), 4);
	/* A partial with a cid is relayed; the final line with that cid is still written. */
	rt_ok(t, CAP,
	      "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"Sec\",\"final\":false,"
	      "\"cid\":\"line-2\"}");
	caption(t, CAP, "line-2", "Second.");
	assert_false(dup_of(t));
	assert_int_equal(rt_count(t->events, "caption"), 5);
}

static void cids_survive_reopen(void **state)
{
	struct rt *t = *state;
	live(state);
	caption(t, CAP, "a1", "One.");
	caption(t, CH, "c1", "Chair one.");
	rt_flush(t);
	json_t *before = room_snapshot(t->room);
	rt_reopen(t);
	json_t *after = room_snapshot(t->room);
	rt_assert_same_snapshot(before, after);
	json_decref(before);
	json_decref(after);
	rt_clear(t);
	rt_attach(t, CAP);
	rt_attach(t, CH);
	caption(t, CAP, "a1", "One.");
	assert_true(dup_of(t));
	caption(t, CH, "c1", "Chair one.");
	assert_true(dup_of(t));
	caption(t, CAP, "a2", "Two.");
	assert_false(dup_of(t));
	assert_int_equal(rt_count(t->events, "caption"), 1);
}

static void memory_is_bounded(void **state)
{
	struct rt *t = *state;
	live(state);
	char cid[32];
	for (int i = 0; i <= ROOM_CIDS_KEPT; i++) {
		snprintf(cid, sizeof cid, "n%d", i);
		caption(t, CAP, cid, "x");
		assert_false(dup_of(t));
	}
	/* The last ROOM_CIDS_KEPT are remembered; the first has gone. */
	snprintf(cid, sizeof cid, "n%d", ROOM_CIDS_KEPT);
	caption(t, CAP, cid, "x");
	assert_true(dup_of(t));
	caption(t, CAP, "n1", "x");
	assert_true(dup_of(t));
	caption(t, CAP, "n0", "x");
	assert_false(dup_of(t));
}

static void bad_cids(void **state)
{
	struct rt *t = *state;
	live(state);
	struct rt_state before;
	rt_capture(t, &before);
	char long_cid[80];
	memset(long_cid, 'a', 65);
	long_cid[65] = '\0';
	rt_fail(
	    t, CAP, ROOM_EBAD_REQUEST,
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"x\",\"final\":true,\"cid\":\"%s\"}",
	    long_cid);
	rt_fail(
	    t, CAP, ROOM_EBAD_REQUEST,
	    "{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"x\",\"final\":true,\"cid\":\"\"}");
	rt_fail(t, CAP, ROOM_EBAD_REQUEST,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"x\",\"final\":true,\"cid\":7}");
	rt_fail(t, CAP, ROOM_EBAD_REQUEST,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"x\",\"final\":true,"
		"\"cid\":\"caf\\u00e9\"}");
	rt_fail(t, CAP, ROOM_EBAD_REQUEST,
		"{\"type\":\"caption\",\"lang\":\"en\",\"text\":\"x\",\"final\":true,"
		"\"cid\":\"a\\nb\"}");
	rt_assert_unchanged(t, &before, "bad cids");
	rt_release(&before);
	/* 64 characters is fine. */
	long_cid[64] = '\0';
	caption(t, CAP, long_cid, "x");
	assert_false(dup_of(t));
}

static void talker_is_credited(void **state)
{
	struct rt *t = *state;
	live(state);
	rt_raise(t, P2, NULL);
	rt_ok(t, CH, "{\"type\":\"queue.next\"}");
	/* P1 is talking (an open mic the media side heard), not the floor holder P2. */
	const char *p1[] = {rt_pid(P1)};
	room_set_talkers(t->room, p1, 1);
	caption(t, CAP, "t1", "Alice speaks.");
	json_t *sp = json_object_get(rt_last_event(t, "caption"), "speaker");
	assert_string_equal(rt_str(sp, "pid"), rt_pid(P1));
	assert_string_equal(rt_str(sp, "name"), "Alice Gov");
	assert_string_equal(rt_str(sp, "group"), "government");
	/* Nobody talking: the floor holder, as before. */
	room_set_talkers(t->room, NULL, 0);
	caption(t, CAP, "t2", "Bruno.");
	sp = json_object_get(rt_last_event(t, "caption"), "speaker");
	assert_string_equal(rt_str(sp, "pid"), rt_pid(P2));
	/* A talker not on the record (never joined): the floor holder. */
	const char *stranger[] = {"someone-else"};
	room_set_talkers(t->room, stranger, 1);
	caption(t, CAP, "t3", "Who?");
	sp = json_object_get(rt_last_event(t, "caption"), "speaker");
	assert_string_equal(rt_str(sp, "pid"), rt_pid(P2));
	/* The floor holder talking with another open mic (a chair's picking up the room):
	 * the floor holder, whatever the order. */
	const char *both[] = {rt_pid(CH), rt_pid(P2)};
	room_set_talkers(t->room, both, 2);
	caption(t, CAP, "t4", "Both.");
	sp = json_object_get(rt_last_event(t, "caption"), "speaker");
	assert_string_equal(rt_str(sp, "pid"), rt_pid(P2));
	/* Two talkers, neither the floor holder: the most recent on the record. */
	const char *two[] = {"someone-else", rt_pid(P3), rt_pid(P1)};
	room_set_talkers(t->room, two, 3);
	caption(t, CAP, "t5", "Chen.");
	sp = json_object_get(rt_last_event(t, "caption"), "speaker");
	assert_string_equal(rt_str(sp, "pid"), rt_pid(P3));
	/* CART posts credit the talker too. */
	const char *chair[] = {rt_pid(CH)};
	room_set_talkers(t->room, chair, 1);
	bool dup;
	const char *why;
	assert_int_equal(
	    room_caption_post(t->room, rt_who(CAP), "en", 1, "Chair.", 6, t->now, &dup, &why),
	    ROOM_OK);
	sp = json_object_get(rt_last_event(t, "caption"), "speaker");
	assert_string_equal(rt_str(sp, "pid"), rt_pid(CH));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(repeated_cid_writes_nothing), T(cids_survive_reopen),
	    T(memory_is_bounded),	    T(bad_cids),
	    T(talker_is_credited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
