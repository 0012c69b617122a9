/*
 * test_base.c -- unit tests for base/: status, arena, buffer, masking,
 * allocation-failure injection, time, CPU features, JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "base/json.h"
#include "test.h"

SL_TEST(base, status_names)
{
    SL_CHECK(t, strcmp(sl_status_name(SL_OK), "ok") == 0);
    SL_CHECK(t, strcmp(sl_status_name(SL_ERR_IMG_TRUNCATED), "img_truncated") == 0);
    SL_CHECK_EQ(t, SL_STATUS_PRIMARY(SL_ERR_IMG_TRUNCATED), SL_ERR_INVALID);
    /* an unknown extension falls back to its primary code */
    SL_CHECK(t, strcmp(sl_status_name(SL_ERR_IO | (99 << 8)), "io") == 0);
    SL_CHECK(t, strcmp(sl_status_name(12345), "unknown") == 0);
    SL_CHECK(t, sl_status_str(-1) != NULL);
}

/* The version calls agree with each other and with the Makefile's VERSION
 * (SL_VERSION, the same flag the library was built with). */
SL_TEST(base, version)
{
    const char *v = sl_version();
    SL_CHECK(t, v != NULL && strcmp(v, SL_VERSION) == 0);
    unsigned a = 0, b = 0, c = 0;
    SL_CHECK_EQ(t, sscanf(v, "%u.%u.%u", &a, &b, &c), 3);
    SL_CHECK_EQ(t, sl_version_number(), (int)(a * 1000000 + b * 1000 + c));
    SL_CHECK(t, sl_version_number() > 0);
}

SL_TEST(base, arena)
{
    struct sl_arena a;
    SL_CHECK_EQ(t, sl__arena_init(&a, 1000), SL_OK);
    void *p = sl__arena_alloc(&a, 10, 64);
    void *q = sl__arena_alloc(&a, 10, 64);
    SL_CHECK(t, p && q && ((uintptr_t)q % 64) == 0 && q != p);
    SL_CHECK(t, sl__arena_alloc(&a, 2000, 1) == NULL);     /* never grows */
    SL_CHECK(t, sl__arena_alloc(&a, SIZE_MAX, 64) == NULL); /* no overflow */
    size_t peak = a.peak;
    sl__arena_reset(&a);
    SL_CHECK_EQ(t, a.used, 0);
    SL_CHECK(t, sl__arena_alloc(&a, 10, 64) == p);
    SL_CHECK_EQ(t, a.peak, peak);
    sl__arena_free(&a);
    SL_CHECK(t, a.base == NULL);
}

SL_TEST(base, buf_cap)
{
    struct sl_buf b;
    sl_buf_init(&b, 10);
    SL_CHECK_EQ(t, sl_buf_append(&b, "hello", 5), SL_OK);
    SL_CHECK_EQ(t, sl_buf_appendf(&b, "%d", 1234), SL_OK);
    SL_CHECK_EQ(t, b.len, 9);
    SL_CHECK_EQ(t, sl_buf_append(&b, "xy", 2), SL_ERR_TOO_LARGE);
    SL_CHECK(t, b.data == NULL && b.len == 0);   /* released on failure */
    sl_buf_init(&b, 1 << 20);
    char big[600];
    memset(big, 'a', sizeof(big));
    big[599] = 0;
    SL_CHECK_EQ(t, sl_buf_appendf(&b, "%s!", big), SL_OK);
    SL_CHECK_EQ(t, b.len, 600);
    SL_CHECK_EQ(t, sl_buf_terminate(&b), SL_OK);
    SL_CHECK(t, strlen((char *)b.data) == 600);
    size_t n;
    uint8_t *d = sl_buf_detach(&b, &n);
    SL_CHECK(t, d && n == 600 && b.data == NULL);
    sl__free(d);
}

SL_TEST(base, alloc_injection)
{
    struct sl_buf b;
    for (long k = 1; k <= 3; k++) {
        sl_buf_init(&b, 1 << 20);
        sl__fail_after(1);
        SL_CHECK_EQ(t, sl_buf_append(&b, "x", 1), SL_ERR_NOMEM);
        SL_CHECK(t, b.data == NULL);
    }
    sl__fail_after(0);
    uint64_t c0 = sl__alloc_calls();
    void *p = sl__malloc(8);
    SL_CHECK(t, p != NULL);
    SL_CHECK_EQ(t, sl__alloc_calls() - c0, 1);
    sl__free(p);
}

SL_TEST(base, mask_id)
{
    char out[32];
    sl_mask_id(out, sizeof(out), "41010519900101123X");
    SL_CHECK(t, strcmp(out, "4101**********123X") == 0);
    char s[] = "user 410105199001011234 and 41010519900101123x, "
               "phone 13800138000, old 410105900101123, long 1234567890123456789";
    SL_CHECK_EQ(t, sl_mask_ids_in(s), 3);
    SL_CHECK(t, strstr(s, "4101**********1234") != NULL);
    SL_CHECK(t, strstr(s, "4101**********123x") != NULL);
    SL_CHECK(t, strstr(s, "4101*******1123") != NULL);
    SL_CHECK(t, strstr(s, "13800138000") != NULL);          /* 11 digits kept */
    SL_CHECK(t, strstr(s, "1234567890123456789") != NULL);  /* 19 digits kept */
}

SL_TEST(base, time)
{
    uint64_t a = sl_time_mono_ns(), b = sl_time_mono_ns();
    SL_CHECK(t, b >= a);
    char ts[32];
    sl_time_iso8601(ts, sizeof(ts), 1763728496789LL);
    SL_CHECK(t, strcmp(ts, "2025-11-21T12:34:56.789Z") == 0);
    sl_time_iso8601(ts, sizeof(ts), -1);
    SL_CHECK(t, strcmp(ts, "1969-12-31T23:59:59.999Z") == 0);
}

SL_TEST(base, cpu)
{
    char d[128];
    uint32_t f = sl_cpu_features();
    sl_cpu_describe(d, sizeof(d));
    SL_CHECK(t, d[0] != 0);
    if (f & SL_CPU_AVX512F)
        SL_CHECK(t, f & SL_CPU_AVX2);
    if (f & SL_CPU_AVX512VNNI)
        SL_CHECK(t, f & SL_CPU_AVX512F);
}

SL_TEST(base, json)
{
    char err[128];
    const char *txt = "{\"a\":1,\"b\":\"x\",\"c\":2.5,\"d\":true}";
    json_t *v = sl_json_parse(txt, strlen(txt), err, sizeof(err));
    SL_CHECK(t, v != NULL);
    SL_CHECK_EQ(t, sl_json_int(v, "a", 0), 1);
    SL_CHECK(t, strcmp(sl_json_str(v, "b", ""), "x") == 0);
    SL_CHECK(t, sl_json_num(v, "c", 0) == 2.5);
    SL_CHECK(t, sl_json_bool(v, "d", false));
    SL_CHECK_EQ(t, sl_json_int(v, "zz", 7), 7);
    json_decref(v);
    SL_CHECK(t, sl_json_parse("{\"a\":1,\"a\":2}", 13, err, sizeof(err)) == NULL);
    SL_CHECK(t, sl_json_parse("{\"a\":", 5, err, sizeof(err)) == NULL);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    SL_CHECK(t, sl_json_parse(deep, 200, err, sizeof(err)) == NULL);
    json_t *e = sl_json_status(SL_ERR_IMG_PIXELS, NULL);
    SL_CHECK(t, strcmp(sl_json_str(json_object_get(e, "error"), "code", ""),
                       "img_pixels") == 0);
    json_decref(e);
}

/* Text that is not UTF-8 (a GBK file name) becomes a JSON string with
 * U+FFFD per bad byte, never NULL (which callers took for "no memory"). */
SL_TEST(base, json_text_not_utf8)
{
    const char *gbk = "/tmp/\xd5\xc5\xc8\xfd.jpg";       /* 张三 in GBK */
    json_t *s = sl_json_text(gbk);
    SL_CHECK(t, json_is_string(s));
    SL_CHECK(t, s && strcmp(json_string_value(s),
                            "/tmp/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.jpg") == 0);
    json_decref(s);
    s = sl_json_text("\xe5\xbc\xa0\xe4\xb8\x89.jpg");         /* 张三 in UTF-8: kept */
    SL_CHECK(t, s && strcmp(json_string_value(s), "\xe5\xbc\xa0\xe4\xb8\x89.jpg") == 0);
    json_decref(s);
    SL_CHECK(t, json_is_null(sl_json_text(NULL)));
    /* overlong, surrogate, above U+10FFFF, truncated sequence */
    SL_CHECK(t, !sl_utf8_valid("\xc0\xaf", 2) && !sl_utf8_valid("\xed\xa0\x80", 3) &&
                !sl_utf8_valid("\xf4\x90\x80\x80", 4) && !sl_utf8_valid("\xe5\xbc", 2));
    SL_CHECK(t, sl_utf8_valid("\xf0\x9f\x98\x80", 4));
    json_t *e = sl_json_status(SL_ERR_NOT_FOUND, gbk);
    SL_CHECK(t, e != NULL);
    const char *msg = sl_json_str(json_object_get(e, "error"), "message", "");
    SL_CHECK(t, strstr(msg, "\xef\xbf\xbd") != NULL);
    SL_CHECK(t, strcmp(sl_json_str(json_object_get(e, "error"), "code", ""), "not_found") == 0);
    json_decref(e);
}

/* The file reader reads regular files only: a FIFO with no writer must not
 * hang it, a device must not be read; at most max bytes. */
SL_TEST(base, read_file_regular_only)
{
    char dir[] = "/tmp/sl-read-XXXXXX";
    SL_ASSERT(mkdtemp(dir));
    char fifo[64], file[64];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    snprintf(file, sizeof(file), "%s/f", dir);
    SL_ASSERT(mkfifo(fifo, 0600) == 0);
    uint8_t *p = NULL;
    size_t n = 0;
    SL_CHECK_EQ(t, sl__read_file(fifo, 100, &p, &n), SL_ERR_UNSUPPORTED);
    SL_CHECK_EQ(t, sl__read_file("/dev/zero", 100, &p, &n), SL_ERR_UNSUPPORTED);
    SL_CHECK_EQ(t, sl__read_file(dir, 100, &p, &n), SL_ERR_IO);
    SL_CHECK_EQ(t, sl__read_file("/nonexistent/x", 100, &p, &n), SL_ERR_NOT_FOUND);
    SL_CHECK_EQ(t, sl__write_file(file, "0123456789", 10), SL_OK);
    SL_CHECK_EQ(t, sl__read_file(file, 9, &p, &n), SL_ERR_TOO_LARGE);
    SL_CHECK_EQ(t, sl__read_file(file, 10, &p, &n), SL_OK);
    SL_CHECK(t, n == 10 && p && memcmp(p, "0123456789", 11) == 0);
    sl__free(p);
    unlink(fifo);
    unlink(file);
    rmdir(dir);
}
