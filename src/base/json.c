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

json_t *sl_json_status(int st, const char *detail)
{
    return json_pack("{s:{s:s,s:i,s:s}}", "error", "code", sl_status_name(st),
                     "status", st, "message",
                     detail && *detail ? detail : sl_status_str(st));
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
