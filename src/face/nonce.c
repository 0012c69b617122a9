/*
 * nonce.c -- the registry that lets each challenge nonce be used once.
 *
 * One registry per server process; every challenge adds one entry and one
 * verification consumes it, from many threads (one mutex; each call is
 * O(1) expected, a purge is O(capacity) and happens only when the table is
 * full). Open addressing with linear probing over a power-of-two table at
 * most half full; the key is the nonce itself (server-made random bytes,
 * so its first 8 bytes are a good hash). A purge rebuilds the table into a
 * second array allocated up front: no allocation after creation.
 */
#include <pthread.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

#define NONCE_MAGIC 0x6e6f6e63u   /* "nonc" */

struct nonce_entry {
    uint8_t nonce[SL_CHALLENGE_NONCE_BYTES];
    int64_t expires_at_ms;
    uint8_t state;          /* 0 empty, 1 issued, 2 used */
};

struct sl_nonce_registry {
    uint32_t            magic;
    pthread_mutex_t     lock;
    size_t              capacity;   /* entries allowed                      */
    size_t              size;       /* slots, power of two >= 2 * capacity  */
    size_t              count;      /* entries held                         */
    struct nonce_entry *tab, *spare;
};

static size_t slot_of(const struct sl_nonce_registry *r, const uint8_t *nonce)
{
    uint64_t h;
    memcpy(&h, nonce, sizeof(h));
    h ^= h >> 33;                           /* mix in case of biased input */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & (r->size - 1);
}

/* The entry holding nonce, or the empty slot where it would go. */
static struct nonce_entry *probe(struct sl_nonce_registry *r, const uint8_t *nonce)
{
    size_t i = slot_of(r, nonce);
    for (;;) {
        struct nonce_entry *e = &r->tab[i];
        if (e->state == 0 || memcmp(e->nonce, nonce, SL_CHALLENGE_NONCE_BYTES) == 0)
            return e;
        i = (i + 1) & (r->size - 1);
    }
}

/* Drops every entry expired at now_ms. */
static void purge(struct sl_nonce_registry *r, int64_t now_ms)
{
    struct nonce_entry *old = r->tab;
    memset(r->spare, 0, r->size * sizeof(*r->spare));
    r->tab = r->spare;
    r->spare = old;
    r->count = 0;
    for (size_t i = 0; i < r->size; i++) {
        if (old[i].state == 0 || old[i].expires_at_ms < now_ms)
            continue;
        *probe(r, old[i].nonce) = old[i];
        r->count++;
    }
}

sl_status sl_nonce_registry_new(sl_nonce_registry **out, size_t capacity)
{
    if (!out || capacity == 0 || capacity > ((size_t)1 << 24))
        return SL_ERR_INVALID;
    size_t size = 16;
    while (size < 2 * capacity)
        size *= 2;
    sl_status st = SL_ERR_NOMEM;
    struct sl_nonce_registry *r = sl__calloc(1, sizeof(*r));
    if (!r)
        goto out;
    r->tab = sl__calloc(size, sizeof(*r->tab));
    if (!r->tab)
        goto out_free_r;
    r->spare = sl__calloc(size, sizeof(*r->spare));
    if (!r->spare)
        goto out_free_tab;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        st = SL_ERR_INTERNAL;
        goto out_free_spare;
    }
    r->magic = NONCE_MAGIC;
    r->capacity = capacity;
    r->size = size;
    *out = r;
    return SL_OK;
out_free_spare:
    sl__free(r->spare);
out_free_tab:
    sl__free(r->tab);
out_free_r:
    sl__free(r);
out:
    return st;
}

void sl_nonce_registry_free(sl_nonce_registry *r)
{
    if (!r)
        return;
    SL_DEBUG_ASSERT(r->magic == NONCE_MAGIC);
    pthread_mutex_destroy(&r->lock);
    sl__free(r->spare);
    sl__free(r->tab);
    r->magic = 0;
    sl__free(r);
}

sl_status sl_nonce_registry_add(sl_nonce_registry *r,
                                const uint8_t nonce[SL_CHALLENGE_NONCE_BYTES],
                                int64_t expires_at_ms, int64_t now_ms)
{
    if (!r || !nonce || expires_at_ms < now_ms)
        return SL_ERR_INVALID;
    SL_DEBUG_ASSERT(r->magic == NONCE_MAGIC);
    sl_status st = SL_OK;
    pthread_mutex_lock(&r->lock);
    if (r->count >= r->capacity) {
        purge(r, now_ms);
        if (r->count >= r->capacity) {
            st = SL_ERR_CHALLENGE_FULL;
            goto out_unlock;
        }
    }
    struct nonce_entry *e = probe(r, nonce);
    if (e->state != 0) {
        st = SL_ERR_INVALID;
        goto out_unlock;
    }
    memcpy(e->nonce, nonce, SL_CHALLENGE_NONCE_BYTES);
    e->expires_at_ms = expires_at_ms;
    e->state = 1;
    r->count++;
out_unlock:
    pthread_mutex_unlock(&r->lock);
    return st;
}

sl_status sl_nonce_registry_consume(sl_nonce_registry *r,
                                    const uint8_t nonce[SL_CHALLENGE_NONCE_BYTES],
                                    int64_t now_ms)
{
    if (!r || !nonce)
        return SL_ERR_INVALID;
    SL_DEBUG_ASSERT(r->magic == NONCE_MAGIC);
    sl_status st;
    pthread_mutex_lock(&r->lock);
    struct nonce_entry *e = probe(r, nonce);
    if (e->state == 0)
        st = SL_ERR_CHALLENGE_UNKNOWN;
    else if (e->state == 2)
        st = SL_ERR_CHALLENGE_USED;
    else if (now_ms > e->expires_at_ms)
        st = SL_ERR_CHALLENGE_EXPIRED;
    else {
        st = SL_OK;
        e->state = 2;
    }
    pthread_mutex_unlock(&r->lock);
    return st;
}

size_t sl_nonce_registry_count(sl_nonce_registry *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->lock);
    size_t n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}
