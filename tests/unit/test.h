/*
 * test.h -- the unit/differential test runner.
 *
 * A test is a function declared with SL_TEST(module, name) at the start of a
 * line in any .c file of tests/unit; the Makefile collects them into a table, so
 * adding a test is writing it. Run: build/shualian-tests [module[/name]...]
 * (no argument: all). The last line is "N passed, N failed, N skipped".
 *
 * A test that needs data which may be absent (../shared/faces, models)
 * calls sl_t_skip() with the reason and returns; the reason is printed.
 */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct sl_t {
    const char *module;
    const char *name;
    long        checks;       /* checks made                          */
    long        fails;        /* checks failed                        */
    bool        skipped;
    char        skip_reason[256];
};

#define SL_TEST(mod, nm) void sl_test__##mod##__##nm(struct sl_t *t)

void sl_t_check(struct sl_t *t, bool ok, const char *file, int line,
                const char *expr);
void sl_t_checkf(struct sl_t *t, bool ok, const char *file, int line,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void sl_t_skip(struct sl_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define SL_CHECK(t, cond) sl_t_check((t), (cond), __FILE__, __LINE__, #cond)
#define SL_CHECKF(t, cond, ...) \
    sl_t_checkf((t), (cond), __FILE__, __LINE__, __VA_ARGS__)
/* Evaluates a and b once each. */
#define SL_CHECK_EQ(t, a, b) \
    sl_t_check_eq((t), (long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
void sl_t_check_eq(struct sl_t *t, long long a, long long b, const char *file,
                   int line, const char *ea, const char *eb);

/* Repository root (SL_ROOT or "."), and paths under it. */
const char *sl_t_root(void);
/* Writes root/rel into out; returns out. */
const char *sl_t_path(char *out, size_t cap, const char *rel);
/* ../shared/faces (SL_FACES overrides) if it exists, else NULL. */
const char *sl_t_faces_dir(void);
/* tests/data (the npm test photos) if present, else NULL. */
const char *sl_t_data_dir(void);
/* Deterministic PRNG for tests (xorshift64*). */
unsigned long long sl_t_rand(unsigned long long *state);
float sl_t_randf(unsigned long long *state);    /* uniform in [-1, 1) */

#endif
