/*
 * exchange.c -- shared government data (数据共享): the data-exchange
 * interface and its file-backed implementation (exchange.h).
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
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
 * loaded at open and read again when a file is replaced (its mtime, size
 * or inode changes: a department pushing new records); a missing file
 * means the source has no records. */

struct files {
    json_t *by_source;      /* {"land_property": {"<id>": ...}, ...} (mu) */
    char dir[4096];
    pthread_mutex_t mu;
    json_t *stamp;          /* {"<source>": "mtime.ns:size"} as loaded (mu) */
};

static void file_stamp(const char *path, char out[64])
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        snprintf(out, 64, "absent");
    else
        snprintf(out, 64, "%lld.%09ld:%lld:%llu", (long long)sb.st_mtim.tv_sec,
                 (long)sb.st_mtim.tv_nsec, (long long)sb.st_size, (unsigned long long)sb.st_ino);
}

/* A source file replaced since it was loaded (new records pushed by the
 * department, e.g. a death record) is read again; a file that no longer
 * parses keeps the records last loaded. */
static void files_refresh(struct files *f, const char *source)
{
    char path[4200], now[64];
    snprintf(path, sizeof path, "%s/%s.json", f->dir, source);
    file_stamp(path, now);
    const char *was = json_string_value(json_object_get(f->stamp, source));
    if (was && strcmp(was, now) == 0)
        return;
    json_object_set_new(f->stamp, source, json_string(now));
    uint8_t *buf = NULL;
    size_t n = 0;
    if (sl__read_file(path, EXCHANGE_FILE_MAX, &buf, &n) != SL_OK)
        return;
    json_t *j = sl_json_parse((const char *)buf, n, NULL, 0);
    sl__free(buf);
    json_t *recs = j ? json_object_get(j, "records") : NULL;
    if (json_is_object(recs))
        json_object_set(f->by_source, source, recs);
    else
        sl_log_warn("shared data: %s no longer parses; keeping the records last loaded", path);
    json_decref(j);
}

static sl_status files_fetch(void *impl, const char *source, const char *id_number,
                             json_t **out)
{
    struct files *f = impl;
    pthread_mutex_lock(&f->mu);
    files_refresh(f, source);
    json_t *recs = json_object_get(f->by_source, source);
    json_t *r = recs ? json_object_get(recs, id_number) : NULL;
    *out = r ? json_deep_copy(r) : NULL;
    pthread_mutex_unlock(&f->mu);
    return SL_OK;
}

static void files_free(void *impl)
{
    struct files *f = impl;
    if (!f)
        return;
    json_decref(f->by_source);
    json_decref(f->stamp);
    pthread_mutex_destroy(&f->mu);
    sl__free(f);
}

static const struct sl__exchange_ops files_ops = { "files", files_fetch, files_free };

sl_status sl__exchange_open_files(const char *dir, char *err, size_t cap,
                                  struct sl__exchange **out)
{
    struct files *f = sl__calloc(1, sizeof *f);
    if (!f)
        return SL_ERR_NOMEM;
    pthread_mutex_init(&f->mu, NULL);
    f->stamp = json_object();
    snprintf(f->dir, sizeof f->dir, "%s", dir);
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
        char stamp[64];
        file_stamp(path, stamp);
        json_object_set_new(f->stamp, src, json_string(stamp));
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
