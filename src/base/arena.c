/*
 * arena.c -- bump allocator over one block sized up front (base.h).
 */
#include <string.h>

#include "base.h"

sl_status sl__arena_init(struct sl_arena *a, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->base = sl__aligned_alloc(64, cap ? cap : 64);
    if (!a->base)
        return SL_ERR_NOMEM;
    a->cap = cap;
    return SL_OK;
}

void sl__arena_free(struct sl_arena *a)
{
    if (!a)
        return;
    sl__free(a->base);
    memset(a, 0, sizeof(*a));
}

void *sl__arena_alloc(struct sl_arena *a, size_t n, size_t align)
{
    SL_DEBUG_ASSERT(align && (align & (align - 1)) == 0);
    uintptr_t start = (uintptr_t)a->base + a->used;
    uintptr_t aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
    size_t pad = aligned - start;
    if (pad > a->cap - a->used || n > a->cap - a->used - pad)
        return NULL;
    a->used += pad + n;
    if (a->used > a->peak)
        a->peak = a->used;
    return (void *)aligned;
}
