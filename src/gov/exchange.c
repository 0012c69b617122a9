/*
 * exchange.c -- shared government data (数据共享): the data-exchange
 * interface and its file-backed implementation (exchange.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "gov/exchange.h"

#define EXCHANGE_FILE_MAX (64u << 20)

struct sl__exchange {
    const struct sl__exchange_ops *ops;
    void *impl;
};

sl_status sl__exchange_fetch(struct sl__exchange *x, const char *source, const char *id_number,
                             const json_t *fields, json_t **out)
{
    if (!x || !source || !id_number || !json_is_array(fields) || !out)
        return SL_ERR_INVALID;
    if (!sl__shared_source_known(source))
        return SL_ERR_EXCHANGE_SOURCE;
    for (size_t i = 0; i < json_array_size(fields); i++)
        if (!sl__shared_field_known(source, json_string_value(json_array_get(fields, i))))
            return SL_ERR_EXCHANGE_SOURCE;
    json_t *rec = NULL;
    sl_status st = x->ops->fetch(x->impl, source, id_number, &rec);
    if (st != SL_OK)
        return st;
    /* Minimisation happens here, once, whatever the implementation: only
     * the fields the matter named leave this function. */
    json_t *res = json_object();
    if (!res) {
        json_decref(rec);
        return SL_ERR_NOMEM;
    }
    const json_t *first = json_is_array(rec) ? json_array_get(rec, 0) : rec;
    for (size_t i = 0; i < json_array_size(fields); i++) {
        const char *f = json_string_value(json_array_get(fields, i));
        if (strcmp(f, "count") == 0 && !json_object_get(first, "count")) {
            /* "count": how many records the person has (properties...) */
            json_object_set_new(res, f, json_integer(!rec ? 0 : json_is_array(rec)
                                                              ? (json_int_t)json_array_size(rec) : 1));
            continue;
        }
        json_t *v = first ? json_object_get(first, f) : NULL;
        if (v)
            json_object_set(res, f, v);
    }
    json_decref(rec);
    *out = res;
    return SL_OK;
}

void sl__exchange_free(struct sl__exchange *x)
{
    if (!x)
        return;
    if (x->ops->free)
        x->ops->free(x->impl);
    sl__free(x);
}

sl_status sl__exchange_new(const struct sl__exchange_ops *ops, void *impl,
                           struct sl__exchange **out)
{
    struct sl__exchange *x = sl__calloc(1, sizeof *x);
    if (!x)
        return SL_ERR_NOMEM;
    x->ops = ops;
    x->impl = impl;
    *out = x;
    return SL_OK;
}

/* ---------------------- the file-backed implementation ------------------ *
 * A folder with one <source>.json per source:
 *   {"source": "land_property", "records": {"<id number>": RECORD | [RECORD, ...]}}
 * loaded at open; a missing file means the source has no records. */

struct files {
    json_t *by_source;      /* {"land_property": {"<id>": ...}, ...} */
};

static sl_status files_fetch(void *impl, const char *source, const char *id_number,
                             json_t **out)
{
    struct files *f = impl;
    json_t *recs = json_object_get(f->by_source, source);
    json_t *r = recs ? json_object_get(recs, id_number) : NULL;
    *out = r ? json_incref(r) : NULL;
    return SL_OK;
}

static void files_free(void *impl)
{
    struct files *f = impl;
    if (!f)
        return;
    json_decref(f->by_source);
    sl__free(f);
}

static const struct sl__exchange_ops files_ops = { "files", files_fetch, files_free };

sl_status sl__exchange_open_files(const char *dir, char *err, size_t cap,
                                  struct sl__exchange **out)
{
    struct files *f = sl__calloc(1, sizeof *f);
    if (!f)
        return SL_ERR_NOMEM;
    f->by_source = json_object();
    DIR *d = opendir(dir);
    if (!d) {
        files_free(f);
        if (err)
            snprintf(err, cap, "%s: cannot open the shared-data folder", dir);
        return SL_ERR_IO;
    }
    struct dirent *e;
    sl_status st = SL_OK;
    while (st == SL_OK && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        char path[4096], src[128], jerr[200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(src, sizeof src, "%.*s", (int)(l - 5), e->d_name);
        if (!sl__shared_source_known(src)) {
            if (err)
                snprintf(err, cap, "%s: '%s' is not a shared-data source", path, src);
            st = SL_ERR_EXCHANGE_SOURCE;
            break;
        }
        uint8_t *buf;
        size_t n;
        st = sl__read_file(path, EXCHANGE_FILE_MAX, &buf, &n);
        if (st != SL_OK) {
            if (err)
                snprintf(err, cap, "%s: %s", path, sl_status_str(st));
            break;
        }
        json_t *j = sl_json_parse((const char *)buf, n, jerr, sizeof jerr);
        sl__free(buf);
        json_t *recs = j ? json_object_get(j, "records") : NULL;
        if (!json_is_object(recs)) {
            if (err)
                snprintf(err, cap, "%s: %s", path, j ? "needs {\"records\": {ID: record}}" : jerr);
            json_decref(j);
            st = SL_ERR_EXCHANGE_FORMAT;
            break;
        }
        json_object_set(f->by_source, src, recs);
        json_decref(j);
    }
    closedir(d);
    if (st != SL_OK) {
        files_free(f);
        return st;
    }
    st = sl__exchange_new(&files_ops, f, out);
    if (st != SL_OK)
        files_free(f);
    return st;
}
