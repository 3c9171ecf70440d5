/*
 * media/alloc_count.h -- "the hot path allocates nothing", measured: alloc_count.c
 * interposes malloc, calloc and realloc and counts the calls made while `counting` is set
 * on the calling thread (a recorder's writer thread allocates on its own, uncounted).
 *
 * The sanitizers interpose malloc themselves, so builds with one define NO_MALLOC_COUNT
 * and count nothing: a test checks the count only where NO_MALLOC_COUNT is not defined.
 */
#ifndef PLENARY_TEST_MEDIA_ALLOC_COUNT_H
#define PLENARY_TEST_MEDIA_ALLOC_COUNT_H

#include <stdbool.h>
#include <stddef.h>

#if defined(PLENARY_SANITIZED) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_MALLOC_COUNT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define NO_MALLOC_COUNT 1
#endif
#endif

/* Set around the paths that must not allocate. */
extern _Thread_local bool counting;
/* The calls counted so far; a test resets it. */
extern _Atomic size_t allocations;

#endif
