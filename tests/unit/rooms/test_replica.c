/*
 * The barrier's bookkeeping with a replica (rooms_sink.replicate, the JetStream log of
 * gateway/nats_log.h): a synced batch is handed over with its exact bytes and the room
 * holds -- no durable report, no second batch -- until rooms_replicated; a refusal takes
 * the room, its file and whatever was pending behind the batch back to the last committed
 * record; events the replica turns out to hold are taken back in by rooms_adopt.
 */
#include <errno.h>
#include <unistd.h>

#include "rooms/log.h"
#include "rooms/test_helpers.h"

static struct rt *with_replica(void **state)
{
	struct rt *t = *state;
	t->replica = true;
	t->replica_ok = true;
	rt_reopen(t);
	return t;
}

/* An event appended for P1 (participant.joined), not flushed. */
static void append_one(struct rt *t, enum rt_person who)
{
	assert_int_equal(room_attach(t->room, rt_who(who), t->now), ROOM_OK);
}

static char *file_bytes(struct rt *t, size_t *len)
{
	return rt_read_file(room_log_path(t->room), len);
}

static void batch_held_until_replicated(void **state)
{
	struct rt *t = with_replica(state);
	size_t len0, len1;
	free(file_bytes(t, &len0));
	append_one(t, P1);
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 1);
	/* Synced and handed over with its bytes, not yet committed. */
	char *file = file_bytes(t, &len1);
	assert_int_equal(json_array_size(t->replicated), 1);
	json_t *b = json_array_get(t->replicated, 0);
	assert_int_equal(json_integer_value(json_object_get(b, "first")), 2);
	assert_false(json_is_true(json_object_get(b, "wait")));
	assert_string_equal(json_string_value(json_object_get(b, "lines")), file + len0);
	assert_int_equal(json_array_size(t->durables), 0);
	free(file);
	/* A second event waits behind the batch: not flushed while it is out. */
	append_one(t, P2);
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 0);
	assert_true(rooms_dirty(t->rs));
	assert_int_equal(json_array_size(t->replicated), 1);
	/* Resume tells only committed events. */
	assert_false(room_replay_since(t->room, 2, NULL, NULL));
	rooms_replicated(t->rs, t->room, true);
	assert_int_equal(json_array_size(t->durables), 1);
	assert_true(json_is_true(json_object_get(json_array_get(t->durables, 0), "ok")));
	/* Now the next batch goes. */
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 1);
	assert_int_equal(json_array_size(t->replicated), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(t->replicated, 1), "first")), 3);
	rooms_replicated(t->rs, t->room, true);
	assert_int_equal(room_head_seq(t->room), 3);
	/* An answer with no batch out changes nothing. */
	rooms_replicated(t->rs, t->room, false);
	assert_int_equal(json_array_size(t->durables), 2);
	assert_int_equal(room_head_seq(t->room), 3);
}

static void refusal_rolls_back_file_and_pending(void **state)
{
	struct rt *t = with_replica(state);
	size_t len0, len;
	char *before = file_bytes(t, &len0);
	json_t *snap = rt_stable_snapshot(t->room);
	append_one(t, P1);
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 1);
	append_one(t, P2); /* pending behind the batch */
	rooms_replicated(t->rs, t->room, false);
	assert_int_equal(json_array_size(t->durables), 1);
	assert_false(json_is_true(json_object_get(json_array_get(t->durables, 0), "ok")));
	assert_int_equal(room_head_seq(t->room), 1);
	assert_false(rooms_dirty(t->rs));
	char *after = file_bytes(t, &len);
	assert_int_equal(len, len0);
	assert_memory_equal(after, before, len0);
	json_t *now = rt_stable_snapshot(t->room);
	rt_assert_json_equal(snap, now, "state after the refusal");
	json_decref(now);
	json_decref(snap);
	free(after);
	/* A restart sees the same. */
	rt_reopen(t);
	assert_int_equal(room_head_seq(t->room), 1);
	free(before);
}

static void adopt_what_the_replica_holds(void **state)
{
	struct rt *t = with_replica(state);
	append_one(t, P1);
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 1);
	char *lines =
	    strdup(json_string_value(json_object_get(json_array_get(t->replicated, 0), "lines")));
	rooms_replicated(t->rs, t->room, false); /* timed out, yet stored */
	assert_int_equal(room_head_seq(t->room), 1);
	t->last_seq = 1; /* the rolled-back event was never told: seq 2 comes again */
	size_t events = json_array_size(t->events);
	assert_true(rooms_adopt(t->rs, t->room, lines, strlen(lines)));
	assert_int_equal(room_head_seq(t->room), 2);
	assert_int_equal(json_array_size(t->events), events + 1); /* told as an event */
	assert_true(json_is_true(json_object_get(json_array_get(t->durables, 1), "ok")));
	assert_true(room_on_record(t->room, rt_who(P1)->pid));
	/* Lines that do not chain on the committed end are refused, nothing changes. */
	assert_false(rooms_adopt(t->rs, t->room, lines, strlen(lines)));
	assert_false(rooms_adopt(t->rs, t->room, "{}\n", 3));
	assert_int_equal(room_head_seq(t->room), 2);
	rt_reopen(t);
	assert_int_equal(room_head_seq(t->room), 2);
	free(lines);
}

static bool truncation_fails;

static int maybe_failing_ftruncate(int fd, off_t len)
{
	if (truncation_fails) {
		errno = EIO;
		return -1;
	}
	return ftruncate(fd, len);
}

static const struct log_io truncation_io = {NULL, NULL, maybe_failing_ftruncate};

static bool warned(struct rt *t, const char *what)
{
	size_t i;
	json_t *w;
	json_array_foreach(t->warnings, i, w)
	{
		if (strstr(json_string_value(json_object_get(w, "what")), what))
			return true;
	}
	return false;
}

/* A refusal whose truncation fails leaves a line in the file that nobody was told of:
 * the room must not show it, and must take no further event on that file. */
static void refusal_with_a_failed_truncation(void **state)
{
	struct rt *t = *state;
	t->log_io = &truncation_io;
	with_replica(state);
	json_t *snap = rt_stable_snapshot(t->room);
	append_one(t, P1);
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 1);
	truncation_fails = true;
	rooms_replicated(t->rs, t->room, false);
	truncation_fails = false;
	assert_true(warned(t, "cannot truncate"));
	assert_int_equal(room_head_seq(t->room), 1);
	json_t *now = rt_stable_snapshot(t->room);
	rt_assert_json_equal(snap, now, "state after a refusal whose truncation failed");
	json_decref(now);
	/* The file is not trusted any more: the next event is refused too. */
	append_one(t, P2);
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 1);
	assert_false(json_is_true(json_object_get(json_array_get(t->durables, 1), "ok")));
	assert_int_equal(room_head_seq(t->room), 1);
	now = rt_stable_snapshot(t->room);
	rt_assert_json_equal(snap, now, "state after the next refused event");
	json_decref(now);
	json_decref(snap);
	/* A restart finds the file cut back (the second rollback's truncation worked) and
	 * takes events again. */
	rt_reopen(t);
	assert_int_equal(room_head_seq(t->room), 1);
	append_one(t, P2);
	assert_int_equal(rooms_flush(t->rs, NULL, NULL), 1);
	rooms_replicated(t->rs, t->room, true);
	assert_int_equal(room_head_seq(t->room), 2);
}

static void creation_waits_for_the_replica(void **state)
{
	struct rt *t = with_replica(state);
	struct room_settings s = {"second", "Second", true, false, ROOM_VISIBILITY_PUBLIC, NULL};
	struct room *r = NULL;
	assert_int_equal(rooms_create(t->rs, &s, t->now, &r), ROOM_OK);
	json_t *b = json_array_get(t->replicated, 0);
	assert_true(json_is_true(json_object_get(b, "wait")));
	t->replica_ok = false;
	struct room_settings s3 = {"third", "Third", true, false, ROOM_VISIBILITY_PUBLIC, NULL};
	assert_int_equal(rooms_create(t->rs, &s3, t->now, &r), ROOM_EINTERNAL);
	assert_null(rooms_find(t->rs, "third"));
	char path[600];
	snprintf(path, sizeof path, "%s/rooms/third.jsonl", t->dir);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
	const struct CMUnitTest tests[] = {
	    T(batch_held_until_replicated),    T(refusal_rolls_back_file_and_pending),
	    T(adopt_what_the_replica_holds),   T(refusal_with_a_failed_truncation),
	    T(creation_waits_for_the_replica),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
