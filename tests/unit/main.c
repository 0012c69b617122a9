/*
 * main.c -- runner for the generated test table (test.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "test.h"

#define SL_TEST_ENTRY(mod, nm) SL_TEST(mod, nm);
#include "tests.def"
#undef SL_TEST_ENTRY

struct entry {
    const char *module;
    const char *name;
    void (*fn)(struct sl_t *);
};

static const struct entry table[] = {
#define SL_TEST_ENTRY(mod, nm) { #mod, #nm, sl_test__##mod##__##nm },
#include "tests.def"
#undef SL_TEST_ENTRY
    { NULL, NULL, NULL },
};

void sl_t_check(struct sl_t *t, bool ok, const char *file, int line,
                const char *expr)
{
    t->checks++;
    if (ok)
        return;
    t->fails++;
    if (t->fails <= 20)
        fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, expr);
}

void sl_t_checkf(struct sl_t *t, bool ok, const char *file, int line,
                 const char *fmt, ...)
{
    t->checks++;
    if (ok)
        return;
    t->fails++;
    if (t->fails > 20)
        return;
    fprintf(stderr, "  %s:%d: check failed: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void sl_t_check_eq(struct sl_t *t, long long a, long long b, const char *file,
                   int line, const char *ea, const char *eb)
{
    sl_t_checkf(t, a == b, file, line, "%s == %s (%lld vs %lld)", ea, eb, a, b);
}

void sl_t_skip(struct sl_t *t, const char *fmt, ...)
{
    t->skipped = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->skip_reason, sizeof(t->skip_reason), fmt, ap);
    va_end(ap);
}

const char *sl_t_root(void)
{
    const char *r = getenv("SL_ROOT");
    return r && *r ? r : ".";
}

const char *sl_t_path(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", sl_t_root(), rel);
    return out;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *sl_t_faces_dir(void)
{
    static char buf[4096];
    const char *e = getenv("SL_FACES");
    if (e && *e)
        return is_dir(e) ? e : NULL;
    sl_t_path(buf, sizeof(buf), "../shared/faces");
    return is_dir(buf) ? buf : NULL;
}

const char *sl_t_data_dir(void)
{
    static char buf[4096];
    sl_t_path(buf, sizeof(buf), "tests/data");
    return is_dir(buf) ? buf : NULL;
}

unsigned long long sl_t_rand(unsigned long long *s)
{
    unsigned long long x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

float sl_t_randf(unsigned long long *s)
{
    return (float)((sl_t_rand(s) >> 40) * (1.0 / 16777216.0) * 2.0 - 1.0);
}

static bool selected(const struct entry *e, int argc, char **argv)
{
    if (argc <= 1)
        return true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t ml = strlen(e->module);
        if (strcmp(a, e->module) == 0)
            return true;
        if (strncmp(a, e->module, ml) == 0 && a[ml] == '/' &&
            strcmp(a + ml + 1, e->name) == 0)
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--list") == 0 || strcmp(argv[1], "-l") == 0)) {
        for (const struct entry *e = table; e->fn; e++)
            printf("%s/%s\n", e->module, e->name);
        return 0;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: shualian-tests [--list] [MODULE | MODULE/NAME]...\n");
        return 0;
    }
    sl_cpu_init();
    sl_log_set_level(SL_LOG_ERROR);
    int passed = 0, failed = 0, skipped = 0, matched = 0;
    for (const struct entry *e = table; e->fn; e++) {
        if (!selected(e, argc, argv))
            continue;
        matched++;
        struct sl_t t = { .module = e->module, .name = e->name };
        uint64_t t0 = sl_time_mono_ns();
        e->fn(&t);
        double ms = (double)(sl_time_mono_ns() - t0) / 1e6;
        sl__fail_after(0);
        if (t.fails) {
            failed++;
            printf("FAIL %s/%s (%ld of %ld checks failed)\n", e->module,
                   e->name, t.fails, t.checks);
        } else if (t.skipped) {
            skipped++;
            printf("skip %s/%s: %s\n", e->module, e->name, t.skip_reason);
        } else {
            passed++;
            printf("ok   %s/%s (%ld checks, %.1f ms)\n", e->module, e->name,
                   t.checks, ms);
        }
        fflush(stdout);
    }
    if (argc > 1 && matched == 0) {
        fprintf(stderr, "shualian-tests: no test matches the arguments\n");
        return 2;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
