/*
 * rooms/helpers_check.c -- what the room tests check with (test_helpers.h): files,
 * snapshots, "nothing changes", what was sent, and common scenes.
 */
#include "test_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *rt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*len = 0;
		return NULL;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

size_t rt_count_lines(const char *buf, size_t len)
{
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	return lines;
}

json_t *rt_stable(json_t *snapshot)
{
	json_t *s = json_deep_copy(snapshot);
	json_object_del(s, "observers");
	json_object_del(s, "mics");
	json_object_del(s, "presence");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(s, "participants"), i, p)
	{
		json_object_del(p, "connected");
		json_object_del(p, "mic"); /* runtime: mic.status */
	}
	return s;
}

json_t *rt_stable_snapshot(const struct room *r)
{
	json_t *snap = room_snapshot(r);
	assert_non_null(snap);
	json_t *s = rt_stable(snap);
	json_decref(snap);
	return s;
}

void rt_assert_json_equal(json_t *want, json_t *got, const char *what)
{
	if (json_equal(want, got))
		return;
	char *a = json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS);
	char *b = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
	print_error("%s differ\n--- want\n%s\n--- got\n%s\n", what, a, b);
	free(a);
	free(b);
	fail();
}

void rt_assert_same_snapshot(json_t *want, json_t *got)
{
	json_t *a = rt_stable(want), *b = rt_stable(got);
	rt_assert_json_equal(a, b, "snapshots");
	json_decref(a);
	json_decref(b);
}

void rt_capture(struct rt *t, struct rt_state *s)
{
	s->snapshot = room_snapshot(t->room);
	s->head = room_head_seq(t->room);
	s->log = rt_read_file(room_log_path(t->room), &s->log_len);
	s->events = json_array_size(t->events);
	s->lives = json_array_size(t->lives);
	s->privates = json_array_size(t->privates);
	s->mics = json_array_size(t->mics);
}

void rt_release(struct rt_state *s)
{
	json_decref(s->snapshot);
	free(s->log);
	memset(s, 0, sizeof *s);
}

void rt_assert_unchanged(struct rt *t, struct rt_state *before, const char *what)
{
	struct rt_state after;
	rt_capture(t, &after);
	if (after.head != before->head)
		fail_msg("%s: head moved from %lld to %lld", what, (long long)before->head,
			 (long long)after.head);
	rt_assert_json_equal(before->snapshot, after.snapshot, what);
	if (after.log_len != before->log_len || memcmp(after.log, before->log, after.log_len) != 0)
		fail_msg("%s: the log file changed", what);
	if (after.events != before->events || after.lives != before->lives ||
	    after.privates != before->privates || after.mics != before->mics)
		fail_msg("%s: messages were sent", what);
	rt_release(&after);
}

void rt_vfail(struct rt *t, const struct room_identity *who, enum room_err want, const char *fmt,
	      va_list ap)
{
	struct rt_state before;
	rt_capture(t, &before);
	enum room_err err = rt_vrun(t, who, fmt, ap);
	if (err != want)
		fail_msg("%.300s: got %s (%s), expected %s", t->text, room_err_code(err),
			 t->message, room_err_code(want));
	if (!t->message[0])
		fail_msg("%.300s: %s without a message", t->text, room_err_code(err));
	rt_assert_unchanged(t, &before, t->text);
	rt_release(&before);
}

void rt_fail(struct rt *t, enum rt_person who, enum room_err want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vfail(t, rt_who(who), want, fmt, ap);
	va_end(ap);
}

void rt_fail_as(struct rt *t, const struct room_identity *who, enum room_err want, const char *fmt,
		...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vfail(t, who, want, fmt, ap);
	va_end(ap);
}

void rt_crowd_init(struct rt_crowd *c, const char *const *groups, size_t n_groups)
{
	for (int i = 0; i < RT_CROWD_MAX; i++) {
		snprintf(c->pid[i], sizeof c->pid[i], "crowd-%02d", i);
		snprintf(c->name[i], sizeof c->name[i], "Person %02d", i);
		c->who[i] = (struct room_identity){c->pid[i],
						   c->name[i],
						   ROOM_ROLE_PARTICIPANT,
						   n_groups ? groups[(size_t)i % n_groups] : "",
						   false,
						   NULL};
	}
}

void rt_attach_as(struct rt *t, const struct room_identity *who)
{
	assert_int_equal(room_attach(t->room, who, t->now), ROOM_OK);
	rt_flush(t);
}

size_t rt_count(const json_t *list, const char *kind)
{
	size_t n = 0, i;
	json_t *m;
	json_array_foreach(list, i, m)
	{
		const char *k = json_string_value(json_object_get(m, "kind"));
		n += !kind || (k && strcmp(k, kind) == 0);
	}
	return n;
}

json_t *rt_last(const json_t *list, const char *kind)
{
	for (size_t i = json_array_size(list); i-- > 0;) {
		json_t *m = json_array_get(list, i);
		const char *k = json_string_value(json_object_get(m, "kind"));
		if (k && strcmp(k, kind) == 0)
			return json_object_get(m, "data");
	}
	fail_msg("no message of kind %s", kind);
	return NULL;
}

json_t *rt_last_event(struct rt *t, const char *kind)
{
	return rt_last(t->events, kind);
}

const char *rt_kinds_from(struct rt *t, size_t from, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = from; i < json_array_size(t->events); i++) {
		const char *k =
		    json_string_value(json_object_get(json_array_get(t->events, i), "kind"));
		int n = snprintf(buf + used, cap - used, "%s%s", used ? " " : "", k);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

int64_t rt_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("no integer '%s'", key);
	return json_integer_value(v);
}

const char *rt_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		fail_msg("no string '%s'", key);
	return json_string_value(v);
}

void rt_live(struct rt *t)
{
	for (int i = CH; i < INT_FR; i++) /* interpreters join where a test wants them */
		if (i != CH2 && i != VEN)
			rt_attach(t, (enum rt_person)i);
	rt_ok(t, CH, "{\"type\":\"session.start\",\"title\":\"Day 1\"}");
}

const char *rt_pid(enum rt_person who)
{
	return rt_who(who)->pid;
}

int64_t rt_raise(struct rt *t, enum rt_person who, const char *kind)
{
	if (kind)
		rt_ok(t, who, "{\"type\":\"queue.raise\",\"kind\":\"%s\"}", kind);
	else
		rt_ok(t, who, "{\"type\":\"queue.raise\"}");
	return rt_result_int(t, "entry");
}

const char *rt_queue_pids(struct rt *t, char *buf, size_t cap)
{
	json_t *snap = room_snapshot(t->room);
	size_t used = 0, i;
	json_t *e;
	buf[0] = '\0';
	json_array_foreach(json_object_get(json_object_get(snap, "queue"), "entries"), i, e)
	{
		json_t *pid = json_object_get(e, "pid");
		const char *s = json_is_string(pid) ? json_string_value(pid) : rt_str(e, "name");
		int n = snprintf(buf + used, cap - used, "%s%s", used ? " " : "", s);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
	json_decref(snap);
	return buf;
}

json_t *rt_floor(struct rt *t)
{
	json_t *snap = room_snapshot(t->room);
	json_t *f = json_incref(json_object_get(json_object_get(snap, "queue"), "floor"));
	json_decref(snap);
	return f;
}
