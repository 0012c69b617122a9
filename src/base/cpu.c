/*
 * cpu.c -- CPU feature detection, done once (base.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static atomic_uint features;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t detect(void)
{
    unsigned a, b, c, d;
    uint32_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    bool sse41 = c & (1u << 19), fma = c & (1u << 12), f16c = c & (1u << 29);
    bool osxsave = c & (1u << 27), avx = c & (1u << 28);
    if (sse41)
        f |= SL_CPU_SSE41;
    if (!osxsave || !avx)
        return f;
    uint64_t xcr = xgetbv0();
    bool ymm = (xcr & 0x6) == 0x6, zmm = (xcr & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return f;
    bool avx2 = b & (1u << 5);
    if (ymm && avx2 && fma && f16c)
        f |= SL_CPU_AVX2;
    bool a512 = (b & (1u << 16)) && (b & (1u << 17)) && (b & (1u << 30)) &&
                (b & (1u << 31));                      /* F, DQ, BW, VL */
    if (zmm && a512 && (f & SL_CPU_AVX2)) {
        f |= SL_CPU_AVX512F;
        if (c & (1u << 11))
            f |= SL_CPU_AVX512VNNI;
    }
    return f;
}
#elif defined(__aarch64__)
static uint32_t detect(void)
{
    uint32_t f = SL_CPU_NEON;
#if defined(__ARM_FEATURE_DOTPROD)
    f |= SL_CPU_NEON_DOT;
#endif
    return f;
}
#else
static uint32_t detect(void) { return 0; }
#endif

static void init_once(void)
{
    uint32_t f = detect();
    const char *dis = getenv("SL_CPU_DISABLE");
    if (dis) {
        if (strstr(dis, "avx512"))
            f &= ~(uint32_t)(SL_CPU_AVX512F | SL_CPU_AVX512VNNI);
        if (strstr(dis, "vnni"))
            f &= ~(uint32_t)SL_CPU_AVX512VNNI;
        if (strstr(dis, "avx2"))
            f &= ~(uint32_t)(SL_CPU_AVX2 | SL_CPU_AVX512F | SL_CPU_AVX512VNNI);
        if (strstr(dis, "neon"))
            f &= ~(uint32_t)(SL_CPU_NEON | SL_CPU_NEON_DOT);
        if (strstr(dis, "all"))
            f = 0;
    }
    atomic_store(&features, f);
}

void sl_cpu_init(void)
{
    pthread_once(&once, init_once);
}

uint32_t sl_cpu_features(void)
{
    sl_cpu_init();
    return atomic_load(&features);
}

const char *sl_cpu_describe(char *out, size_t cap)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { SL_CPU_AVX512VNNI, "avx512vnni" }, { SL_CPU_AVX512F, "avx512" },
        { SL_CPU_AVX2, "avx2" }, { SL_CPU_SSE41, "sse4.1" },
        { SL_CPU_NEON_DOT, "neon-dot" }, { SL_CPU_NEON, "neon" },
    };
    uint32_t f = sl_cpu_features();
    size_t w = 0;
    if (cap == 0)
        return out;
    out[0] = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(names); i++) {
        if (!(f & names[i].bit))
            continue;
        int n = snprintf(out + w, cap - w, "%s%s", w ? " " : "", names[i].name);
        if (n < 0 || (size_t)n >= cap - w)
            break;
        w += (size_t)n;
    }
    if (w == 0)
        snprintf(out, cap, "generic");
    return out;
}
