/*
 * json.c -- helpers over jansson (json.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

static int depth_of(const json_t *v, int limit)
{
    if (limit < 0)
        return 1 << 20;
    int best = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            int d = depth_of(c, limit - 1);
            if (d > best)
                best = d;
        }
        return best + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) {
            int d = depth_of(c, limit - 1);
            if (d > best)
                best = d;
        }
        return best + 1;
    }
    return 0;
}

json_t *sl_json_parse(const char *text, size_t len, char *err, size_t cap)
{
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        snprintf(err, cap, "invalid JSON at line %d column %d: %s", je.line,
                 je.column, je.text);
        return NULL;
    }
    if (depth_of(v, 64) > 64) {
        snprintf(err, cap, "JSON nested deeper than 64 levels");
        json_decref(v);
        return NULL;
    }
    return v;
}

const char *sl_json_str(const json_t *obj, const char *key, const char *dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

long long sl_json_int(const json_t *obj, const char *key, long long dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

double sl_json_num(const json_t *obj, const char *key, double dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

bool sl_json_bool(const json_t *obj, const char *key, bool dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if the
 * byte at s does not start one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;                  /* overlong */
        else if (c == 0xed)
            hi = 0x9f;                  /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;                  /* overlong */
        else if (c == 0xf4)
            hi = 0x8f;                  /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

bool sl_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0 || (k == 1 && p[i] == 0))
            return false;
        i += k;
    }
    return true;
}

json_t *sl_json_text(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s);
    if (sl_utf8_valid(s, n))
        return json_stringn(s, n);
    /* worst case every byte becomes the 3 bytes of U+FFFD */
    size_t cap;
    if (sl__mul_overflow(n, 3, &cap))
        return NULL;
    char *out = sl__malloc(cap + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        }
    }
    json_t *j = json_stringn(out, o);
    sl__free(out);
    return j;
}

json_t *sl_json_status(int st, const char *detail)
{
    /* json_object_set_new() takes the value's reference even on failure */
    json_t *e = json_object();
    if (!e || json_object_set_new(e, "code", json_string(sl_status_name(st))) ||
        json_object_set_new(e, "status", json_integer(st)) ||
        json_object_set_new(e, "message",
                            sl_json_text(detail && *detail ? detail : sl_status_str(st)))) {
        json_decref(e);
        return NULL;
    }
    json_t *o = json_object();
    if (!o) {
        json_decref(e);
        return NULL;
    }
    if (json_object_set_new(o, "error", e)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

sl_status sl_json_print(FILE *f, const json_t *obj, bool pretty)
{
    size_t flags = JSON_REAL_PRECISION(10) | JSON_ENSURE_ASCII * 0;
    if (pretty)
        flags |= JSON_INDENT(2);
    else
        flags |= JSON_COMPACT;
    if (json_dumpf(obj, f, flags) != 0)
        return SL_ERR_IO;
    fputc('\n', f);
    return ferror(f) ? SL_ERR_IO : SL_OK;
}

json_t *sl_json_real(double v, int digits)
{
    if (!isfinite(v))
        return json_null();
    char s[64];
    snprintf(s, sizeof(s), "%.*g", digits, v);
    return json_real(strtod(s, NULL));
}
