/* Unit tests for base/spsc.h: capacity rules, FIFO order through the slots the core
 * hands out, full and empty, a peek or reserve repeated before release or publish, the
 * space count, the free-running indices wrapping past SIZE_MAX, and a two-thread stress
 * run in which the producer fills multi-word slots of a small ring (spinning when full)
 * and the consumer checks every slot arrives whole and in order. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/spsc.h"

static void capacity_rules(void **state)
{
	(void)state;
	struct base_spsc q;
	assert_false(base_spsc_init(&q, 0));
	assert_false(base_spsc_init(&q, 1));
	assert_false(base_spsc_init(&q, 3));
	assert_false(base_spsc_init(&q, 1000));
	assert_int_equal(base_spsc_capacity(&q), 0);
	assert_true(base_spsc_init(&q, 2));
	assert_int_equal(base_spsc_capacity(&q), 2);
	assert_true(base_spsc_init(&q, 1u << 20));
	assert_int_equal(base_spsc_capacity(&q), 1u << 20);
}

static void fifo_full_empty(void **state)
{
	(void)state;
	struct base_spsc q;
	int slots[4];
	assert_true(base_spsc_init(&q, 4));
	size_t i = 0, j = 0;
	assert_false(base_spsc_peek(&q, &i));
	assert_int_equal(base_spsc_space(&q), 4);
	for (int v = 0; v < 4; v++) {
		assert_true(base_spsc_reserve(&q, &i));
		assert_true(base_spsc_reserve(&q, &j)); /* same slot until published */
		assert_int_equal(i, j);
		slots[i] = v;
		base_spsc_publish(&q);
	}
	assert_int_equal(base_spsc_published(&q), 4);
	assert_int_equal(base_spsc_space(&q), 0);
	assert_false(base_spsc_reserve(&q, &i)); /* full */
	for (int v = 0; v < 4; v++) {
		assert_true(base_spsc_peek(&q, &i));
		assert_true(base_spsc_peek(&q, &j)); /* same slot until released */
		assert_int_equal(i, j);
		assert_int_equal(slots[i], v);
		base_spsc_release(&q);
		assert_int_equal(base_spsc_space(&q), (size_t)v + 1);
	}
	assert_false(base_spsc_peek(&q, &i));	/* empty */
	assert_true(base_spsc_reserve(&q, &i)); /* room again */
}

/* The counters start just below SIZE_MAX: fill, order and full stay right across it. */
static void indices_wrap(void **state)
{
	(void)state;
	struct base_spsc q;
	assert_true(base_spsc_init(&q, 4));
	size_t start = SIZE_MAX - 5;
	atomic_store(&q.head, start);
	atomic_store(&q.tail, start);
	q.head_cache = q.tail_cache = start;
	unsigned slots[4], pushed = 0, popped = 0;
	for (int round = 0; round < 100; round++) {
		size_t i = 0;
		int n = 1 + round % 4;
		for (int k = 0; k < n; k++) {
			assert_true(base_spsc_reserve(&q, &i));
			slots[i] = pushed++;
			base_spsc_publish(&q);
		}
		if (n == 4)
			assert_false(base_spsc_reserve(&q, &i));
		for (int k = 0; k < n; k++) {
			assert_true(base_spsc_peek(&q, &i));
			assert_int_equal(slots[i], popped++);
			base_spsc_release(&q);
		}
		assert_false(base_spsc_peek(&q, &i));
	}
	assert_true(base_spsc_published(&q) < start); /* it did wrap */
}

#define STRESS_MESSAGES 2000000u
#define STRESS_SLOTS	16

struct message {
	uint64_t seq, triple, inverse, sum;
};

struct stress {
	struct base_spsc q;
	struct message slots[STRESS_SLOTS];
};

static void *producer(void *arg)
{
	struct stress *s = arg;
	for (uint64_t n = 0; n < STRESS_MESSAGES; n++) {
		size_t i = 0;
		while (!base_spsc_reserve(&s->q, &i))
			sched_yield();
		/* Plain writes, visible to the consumer only through publish's release. */
		struct message *m = &s->slots[i];
		m->seq = n;
		m->triple = n * 3;
		m->inverse = ~n;
		m->sum = m->seq + m->triple + m->inverse;
		base_spsc_publish(&s->q);
	}
	return NULL;
}

static void two_thread_stress(void **state)
{
	(void)state;
	static struct stress s;
	assert_true(base_spsc_init(&s.q, STRESS_SLOTS));
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, &s), 0);
	uint64_t expect = 0;
	while (expect < STRESS_MESSAGES) {
		size_t i = 0;
		if (!base_spsc_peek(&s.q, &i)) {
			sched_yield();
			continue;
		}
		const struct message *m = &s.slots[i];
		if (m->seq != expect || m->triple != expect * 3 || m->inverse != ~expect ||
		    m->sum != m->seq + m->triple + m->inverse)
			fail_msg("message %llu arrived as %llu", (unsigned long long)expect,
				 (unsigned long long)m->seq);
		base_spsc_release(&s.q);
		expect++;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	size_t i = 0;
	assert_false(base_spsc_peek(&s.q, &i));
	assert_int_equal(base_spsc_published(&s.q), STRESS_MESSAGES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(capacity_rules),
	    cmocka_unit_test(fifo_full_empty),
	    cmocka_unit_test(indices_wrap),
	    cmocka_unit_test(two_thread_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
