/*
 * idcode_bench.c -- identity codes issued and checked per second on one
 * core, both suites (src/id/idcode.h): issue = pseudonym MAC + sign,
 * check = parse + verify. The HTTP path adds the store's single-use insert
 * and an audit record per verify. Run: make bench-idcode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "id/idcode.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    if (sl__crypto_init() != SL_OK)
        return 1;
    const sl_suite suites[] = { SL_SUITE_GM, SL_SUITE_INTL };
    enum { N = 2000 };
    printf("| suite | codes issued /s | codes checked /s |\n|---|---|---|\n");
    for (size_t s = 0; s < 2; s++) {
        char dir[] = "/tmp/sl-idcode-bench-XXXXXX", path[64];
        if (!mkdtemp(dir))
            return 1;
        snprintf(path, sizeof path, "%s/keys", dir);
        sl_keyring *k = NULL;
        if (sl__keyring_open(path, suites[s], true, &k) != SL_OK)
            return 1;
        char (*codes)[SL_IDCODE_TEXT_LEN + 1] = malloc(N * sizeof *codes);
        if (!codes)
            return 1;
        int64_t t0 = 1796382000000;
        double a = now_s();
        for (int i = 0; i < N; i++)
            if (sl__idcode_issue(k, "p_bench", 1, SL_IDCODE_IDENTIFY, t0, 0, codes[i],
                                 sizeof codes[i], NULL) != SL_OK)
                return 1;
        double b = now_s();
        struct sl_idcode c;
        for (int i = 0; i < N; i++)
            if (sl__idcode_check(k, codes[i], SL_IDCODE_TEXT_LEN, t0 + 1000, 1, &c) != SL_OK)
                return 1;
        double e = now_s();
        printf("| %s | %.0f | %.0f |\n", sl__suite_name(suites[s]), N / (b - a), N / (e - b));
        free(codes);
        sl__keyring_free(k);
        unlink(path);
        rmdir(dir);
    }
    return 0;
}
