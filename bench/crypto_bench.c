/*
 * crypto_bench.c -- what one call of each src/crypto operation costs, per
 * suite, on the sizes the server uses: a 32-byte ID number and a 100 KB
 * photo sealed/opened, a blind-index MAC, an audit-checkpoint signature,
 * an Argon2id password hash. Single thread; median of 5 rounds of thread
 * CPU time (not wall time, so a busy shared machine inflates it less).
 *
 *   make bench-crypto            (builds build/crypto-bench and runs it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"

typedef void (*op_fn)(sl_keyring *k, void *ctx);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Median over 5 rounds of the per-call CPU time in microseconds. */
static double time_us(sl_keyring *k, op_fn fn, void *ctx, int iters)
{
    double r[5];
    for (int round = 0; round < 5; round++) {
        uint64_t t0 = cpu_ns();
        for (int i = 0; i < iters; i++)
            fn(k, ctx);
        r[round] = (double)(cpu_ns() - t0) / 1e3 / iters;
    }
    qsort(r, 5, sizeof(r[0]), cmp_double);
    return r[2];
}

struct blob {
    uint8_t *pt;
    size_t   n;
    uint8_t *ct;
    size_t   ctn;
    uint8_t  sig[SL_CRYPTO_SIG_BYTES];
};

static void do_seal(sl_keyring *k, void *c)
{
    struct blob *b = c;
    uint8_t *ct;
    size_t n;
    if (sl__seal(k, "t|1|photo", 9, b->pt, b->n, &ct, &n) != SL_OK)
        abort();
    sl__free(ct);
}

static void do_open(sl_keyring *k, void *c)
{
    struct blob *b = c;
    uint8_t *pt;
    size_t n;
    if (sl__open(k, "t|1|photo", 9, b->ct, b->ctn, &pt, &n) != SL_OK)
        abort();
    sl__free(pt);
}

static void do_mac(sl_keyring *k, void *c)
{
    struct blob *b = c;
    uint8_t out[32];
    if (sl__mac(k, "id_number", b->pt, b->n, out) != SL_OK)
        abort();
}

static void do_hash(sl_keyring *k, void *c)
{
    struct blob *b = c;
    uint8_t out[32];
    if (sl__hash(sl__keyring_suite(k), b->pt, b->n, out) != SL_OK)
        abort();
}

static void do_sign(sl_keyring *k, void *c)
{
    struct blob *b = c;
    if (sl__sign(k, b->pt, b->n, b->sig) != SL_OK)
        abort();
}

static void do_verify(sl_keyring *k, void *c)
{
    struct blob *b = c;
    if (sl__verify(k, b->pt, b->n, b->sig, sizeof(b->sig)) != SL_OK)
        abort();
}

static void do_pw(sl_keyring *k, void *c)
{
    (void)k;
    (void)c;
    char h[SL_CRYPTO_PWHASH_BYTES];
    if (sl__password_hash("correct horse battery", h) != SL_OK)
        abort();
}

int main(void)
{
    char dir[] = "/tmp/sl-crypto-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    static const sl_suite suites[] = { SL_SUITE_GM, SL_SUITE_INTL };
    printf("| operation | gm (us CPU/call) | intl (us CPU/call) |\n|---|---|---|\n");
    double res[2][10];
    static const char *names[] = {
        "seal 32 B (ID number)", "open 32 B", "seal 100 KB (photo)",
        "open 100 KB", "mac 18 B (blind index)", "hash 1 KB",
        "sign 64 B", "verify 64 B", "Argon2id hash (64 MiB, t=2)",
    };
    for (int s = 0; s < 2; s++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/keys-%d", dir, s);
        sl_keyring *k = NULL;
        if (sl__keyring_open(path, suites[s], true, &k) != SL_OK)
            return 1;
        static uint8_t big[100000];
        sl__random(big, sizeof(big));
        struct blob small = { .pt = big, .n = 32 }, photo = { .pt = big, .n = 100000 };
        struct blob idn = { .pt = big, .n = 18 }, kb = { .pt = big, .n = 1024 };
        struct blob msg = { .pt = big, .n = 64 };
        if (sl__seal(k, "t|1|photo", 9, small.pt, small.n, &small.ct, &small.ctn) ||
            sl__seal(k, "t|1|photo", 9, photo.pt, photo.n, &photo.ct, &photo.ctn))
            return 1;
        int i = 0;
        res[s][i++] = time_us(k, do_seal, &small, 2000);
        res[s][i++] = time_us(k, do_open, &small, 2000);
        res[s][i++] = time_us(k, do_seal, &photo, 50);
        res[s][i++] = time_us(k, do_open, &photo, 50);
        res[s][i++] = time_us(k, do_mac, &idn, 2000);
        res[s][i++] = time_us(k, do_hash, &kb, 2000);
        do_sign(k, &msg);
        res[s][i++] = time_us(k, do_sign, &msg, 200);
        res[s][i++] = time_us(k, do_verify, &msg, 200);
        res[s][i] = s == 0 ? time_us(k, do_pw, NULL, 2) : res[0][i];
        sl__free(small.ct);
        sl__free(photo.ct);
        sl__keyring_free(k);
        unlink(path);
        char lock[140];
        snprintf(lock, sizeof(lock), "%s.lock", path);
        unlink(lock);
    }
    for (int i = 0; i < 9; i++)
        printf("| %s | %.1f | %.1f |\n", names[i], res[0][i], res[1][i]);
    rmdir(dir);
    return 0;
}
