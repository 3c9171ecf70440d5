/*
 * media/alloc_count.c -- see alloc_count.h. Linked from a static library, so only a test
 * that names `counting` or `allocations` gets the interposed malloc.
 */
#include "media/alloc_count.h"

_Thread_local bool counting;
_Atomic size_t allocations;

#ifndef NO_MALLOC_COUNT
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);

void *malloc(size_t n);
void *malloc(size_t n)
{
	if (counting)
		allocations++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size);
void *calloc(size_t n, size_t size)
{
	if (counting)
		allocations++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n);
void *realloc(void *p, size_t n)
{
	if (counting)
		allocations++;
	return __libc_realloc(p, n);
}
#endif
