/*
 * alloc.c -- the library's allocator entry points, with failure injection
 * and a call counter (tests use both: every error path is walked by making
 * the k-th allocation fail; "zero allocations per inference" is checked by
 * comparing the counter before and after).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

static atomic_long      fail_countdown;   /* 0: off; n: the n-th call fails */
static atomic_uint_least64_t calls;

_Noreturn void sl__abort(const char *file, int line, const char *expr)
{
    fprintf(stderr, "shualian: assertion failed at %s:%d: %s\n", file, line,
            expr);
    fflush(stderr);
    abort();
}

void sl__fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

uint64_t sl__alloc_calls(void)
{
    return atomic_load(&calls);
}

/* true if this allocation must fail (injected). */
static bool inject(void)
{
    atomic_fetch_add(&calls, 1);
    long c = atomic_load(&fail_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
            return c == 1;
    }
    return false;
}

void *sl__malloc(size_t n)
{
    if (inject())
        return NULL;
    return malloc(n ? n : 1);
}

void *sl__calloc(size_t count, size_t size)
{
    if (inject())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *sl__realloc(void *p, size_t n)
{
    if (inject())
        return NULL;
    return realloc(p, n ? n : 1);
}

void *sl__aligned_alloc(size_t align, size_t n)
{
    if (inject())
        return NULL;
    void *p = NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    if (posix_memalign(&p, align, n ? n : 1) != 0)
        return NULL;
    return p;
}

void sl__free(void *p)
{
    free(p);
}

char *sl__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sl__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
