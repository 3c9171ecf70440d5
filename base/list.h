/*
 * list -- one intrusive, circular, doubly linked list (the Linux kernel's list.h and
 * libuv's queue.h are the models).
 *
 * Intrusive: an object that can be on a list embeds a struct base_list (a node) and the
 * list is threaded through those nodes, so adding and removing allocate nothing and take
 * O(1); BASE_CONTAINER_OF gets from a node back to its object. An object on several
 * lists at once embeds one node per list.
 *
 * Circular, with a head: the list itself is a struct base_list whose next is the first
 * node and whose prev is the last; an empty list's head points at itself. No node is
 * ever NULL-linked, so insertion and removal have no special cases at the ends.
 *
 * A node that is on no list points at itself too: base_list_init makes it so, and
 * base_list_remove leaves it so. That makes "is this object on the list?" a question the
 * node answers (base_list_linked) and removing an unlinked node a harmless no-op, so the
 * callers need no separate in-list flags. A node that was never initialised (all zero)
 * must not be passed to anything but base_list_init.
 *
 * Not thread-safe: a list belongs to one thread, like the objects on it.
 */
#ifndef PLENARY_BASE_LIST_H
#define PLENARY_BASE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct base_list {
	struct base_list *prev, *next;
};

/* The object of type `type` whose member `member` is at ptr. */
#define BASE_CONTAINER_OF(ptr, type, member)                                                       \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* For each node of head, oldest first. The current node may be removed (or moved to
 * another list) in the body, since its successor is read before; other nodes may not. */
#define BASE_LIST_FOREACH_SAFE(node, tmp, head)                                                    \
	for ((node) = (head)->next, (tmp) = (node)->next; (node) != (head);                        \
	     (node) = (tmp), (tmp) = (node)->next)

/* Makes l an empty list head, or an unlinked node. */
static inline void base_list_init(struct base_list *l)
{
	l->prev = l;
	l->next = l;
}

/* Whether the list head has no nodes. */
static inline bool base_list_empty(const struct base_list *head)
{
	return head->next == head;
}

/* Whether the node is on a list (the opposite of empty, asked of a node). */
static inline bool base_list_linked(const struct base_list *node)
{
	return node->next != node;
}

/* Adds an unlinked node at the end of head. */
static inline void base_list_insert_tail(struct base_list *head, struct base_list *node)
{
	node->next = head;
	node->prev = head->prev;
	head->prev->next = node;
	head->prev = node;
}

/* Takes node off its list and leaves it unlinked; an unlinked node stays as it is. */
static inline void base_list_remove(struct base_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	base_list_init(node);
}

/* The first node of head, or NULL when it is empty. */
static inline struct base_list *base_list_first(const struct base_list *head)
{
	return base_list_empty(head) ? NULL : head->next;
}

#endif
