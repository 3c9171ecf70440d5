/*
 * A room's connections by pid (gateway/pidindex.c): the one-role-per-person check finds
 * another role under the same pid, ignores the connection asking and same-role devices,
 * survives the table doubling (hundreds of connections, some sharing pids), and forgets a
 * connection that left. Compared throughout with the walk it replaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/conn.h"
#include "gateway/pidindex.h"

#define N 700

static void set(struct conn *c, const char *pid, enum room_role role)
{
	memset(c, 0, sizeof *c);
	snprintf(c->pid, sizeof c->pid, "%s", pid);
	c->who.role = role;
}

/* The old check: every indexed connection looked at. */
static bool walk(struct conn *all, size_t n, const struct conn *c)
{
	for (size_t i = 0; i < n; i++)
		if (all[i].pid_indexed && &all[i] != c && all[i].who.role != c->who.role &&
		    strcmp(all[i].pid, c->pid) == 0)
			return true;
	return false;
}

static void test_roles_by_pid(void **state)
{
	(void)state;
	struct gw_pid_index x = {0};
	struct conn a, b, d;
	set(&a, "alice", ROOM_ROLE_PARTICIPANT);
	set(&b, "alice", ROOM_ROLE_PARTICIPANT); /* a second device */
	set(&d, "alice", ROOM_ROLE_OBSERVER);
	assert_true(gw_pid_index_add(&x, &a));
	assert_true(gw_pid_index_ready(&x));
	assert_false(gw_pid_index_other_role(&x, &b));
	assert_true(gw_pid_index_add(&x, &b));
	assert_false(gw_pid_index_other_role(&x, &a));
	assert_true(gw_pid_index_other_role(&x, &d));
	gw_pid_index_remove(&x, &a);
	gw_pid_index_remove(&x, &a); /* twice: a no-op */
	assert_true(gw_pid_index_other_role(&x, &d));
	gw_pid_index_remove(&x, &b);
	assert_false(gw_pid_index_other_role(&x, &d));
	assert_int_equal(x.len, 0);
	gw_pid_index_free(&x);
}

static void test_many_agree_with_walk(void **state)
{
	(void)state;
	struct gw_pid_index x = {0};
	struct conn *all = calloc(N, sizeof *all);
	assert_non_null(all);
	char pid[32];
	for (size_t i = 0; i < N; i++) {
		snprintf(pid, sizeof pid, "p-%zu", i % 250); /* up to three connections a pid */
		set(&all[i], pid, i % 7 == 0 ? ROOM_ROLE_OBSERVER : ROOM_ROLE_PARTICIPANT);
		assert_int_equal(gw_pid_index_other_role(&x, &all[i]), walk(all, N, &all[i]));
		assert_true(gw_pid_index_add(&x, &all[i]));
	}
	assert_int_equal(x.len, N);
	assert_true(x.cap >= N);
	for (size_t i = 0; i < N; i += 3)
		gw_pid_index_remove(&x, &all[i]);
	size_t conflicts = 0;
	for (size_t i = 0; i < N; i++) {
		bool want = walk(all, N, &all[i]);
		conflicts += want;
		assert_int_equal(gw_pid_index_other_role(&x, &all[i]), want);
	}
	assert_true(conflicts > 0); /* the comparison saw both answers */
	for (size_t i = 0; i < N; i++)
		gw_pid_index_remove(&x, &all[i]);
	assert_int_equal(x.len, 0);
	gw_pid_index_free(&x);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roles_by_pid),
	    cmocka_unit_test(test_many_agree_with_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
