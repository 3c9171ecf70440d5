/* Unit tests for base/list.h: insertion order, removal from the front, middle and end,
 * removing an unlinked node as a no-op, membership without flags, an object on two lists
 * at once, and a foreach that survives removing (and freeing) the current node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/list.h"

struct item {
	int value;
	struct base_list link;
	struct base_list other;
};

/* The values on head, in order, into out; returns how many. */
static size_t values(const struct base_list *head, int *out, size_t cap)
{
	size_t n = 0;
	for (const struct base_list *l = head->next; l != head && n < cap; l = l->next)
		out[n++] = BASE_CONTAINER_OF(l, struct item, link)->value;
	return n;
}

static void insert_and_remove(void **state)
{
	(void)state;
	struct base_list head;
	base_list_init(&head);
	assert_true(base_list_empty(&head));
	assert_null(base_list_first(&head));
	struct item it[4];
	for (int i = 0; i < 4; i++) {
		it[i].value = i;
		base_list_init(&it[i].link);
		assert_false(base_list_linked(&it[i].link));
		base_list_insert_tail(&head, &it[i].link);
		assert_true(base_list_linked(&it[i].link));
	}
	assert_false(base_list_empty(&head));
	assert_ptr_equal(base_list_first(&head), &it[0].link);
	int got[8];
	assert_int_equal(values(&head, got, 8), 4);
	assert_memory_equal(got, ((int[]){0, 1, 2, 3}), sizeof(int) * 4);

	base_list_remove(&it[1].link); /* middle */
	base_list_remove(&it[0].link); /* front */
	base_list_remove(&it[3].link); /* end */
	assert_false(base_list_linked(&it[1].link));
	assert_int_equal(values(&head, got, 8), 1);
	assert_int_equal(got[0], 2);
	assert_ptr_equal(head.next, &it[2].link);
	assert_ptr_equal(head.prev, &it[2].link);

	base_list_remove(&it[1].link); /* unlinked: nothing happens */
	assert_int_equal(values(&head, got, 8), 1);
	base_list_remove(&it[2].link);
	assert_true(base_list_empty(&head));
	assert_ptr_equal(head.prev, &head);
}

static void two_lists(void **state)
{
	(void)state;
	struct base_list a, b;
	base_list_init(&a);
	base_list_init(&b);
	struct item x = {.value = 7}, y = {.value = 8};
	base_list_init(&x.link);
	base_list_init(&x.other);
	base_list_init(&y.link);
	base_list_init(&y.other);
	base_list_insert_tail(&a, &x.link);
	base_list_insert_tail(&a, &y.link);
	base_list_insert_tail(&b, &y.other);
	base_list_remove(&y.link);
	assert_false(base_list_linked(&y.link));
	assert_true(base_list_linked(&y.other));
	assert_ptr_equal(BASE_CONTAINER_OF(base_list_first(&b), struct item, other), &y);
	assert_ptr_equal(BASE_CONTAINER_OF(base_list_first(&a), struct item, link), &x);
	/* A removed node can go on another list, or back on the same one. */
	base_list_insert_tail(&a, &y.link);
	int got[4];
	assert_int_equal(values(&a, got, 4), 2);
	assert_int_equal(got[1], 8);
}

static void foreach_removing(void **state)
{
	(void)state;
	struct base_list head, *node, *tmp;
	base_list_init(&head);
	for (int i = 0; i < 10; i++) {
		struct item *it = malloc(sizeof *it);
		assert_non_null(it);
		it->value = i;
		base_list_insert_tail(&head, &it->link);
	}
	/* Remove and free the odd ones while walking. */
	int seen = 0;
	BASE_LIST_FOREACH_SAFE(node, tmp, &head)
	{
		struct item *it = BASE_CONTAINER_OF(node, struct item, link);
		assert_int_equal(it->value, seen++);
		if (it->value % 2) {
			base_list_remove(node);
			free(it);
		}
	}
	assert_int_equal(seen, 10);
	int got[10];
	assert_int_equal(values(&head, got, 10), 5);
	assert_memory_equal(got, ((int[]){0, 2, 4, 6, 8}), sizeof(int) * 5);
	/* Free the rest the same way: the list ends empty. */
	BASE_LIST_FOREACH_SAFE(node, tmp, &head)
	{
		base_list_remove(node);
		free(BASE_CONTAINER_OF(node, struct item, link));
	}
	assert_true(base_list_empty(&head));
	/* A foreach over an empty list runs no body. */
	BASE_LIST_FOREACH_SAFE(node, tmp, &head)
	{
		fail();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(insert_and_remove),
	    cmocka_unit_test(two_lists),
	    cmocka_unit_test(foreach_removing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
