/*
 * demo.c -- runs the demo hall's seeds (demo.h) and finds their photos.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "demo.h"

#ifndef SL_DATADIR
#define SL_DATADIR "/usr/local/share"
#endif

/* The seeds, in order: later ones may use what earlier ones added (the
 * registry's persons first). One line per module. */
static const struct { const char *name; sl_demo_seed_fn fn; } seeds[] = {
    { "registry", sl_demo_seed_registry },
    { "verif", sl_demo_seed_verif },
    { "lic", sl_demo_seed_lic },
    { "sub", sl_demo_seed_sub },
    { "hall", sl_demo_seed_hall },
    { NULL, NULL },
};

sl_status sl_demo_persons(const struct sl_demo *d, json_t **out)
{
    char path[600];
    snprintf(path, sizeof path, "%s/demo/persons.json", d->share);
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        sl_log_err("demo: %s:%d: %s", path, je.line, je.text);
        return access(path, R_OK) == 0 ? SL_ERR_CORRUPT : SL_ERR_NOT_FOUND;
    }
    if (!json_is_array(json_object_get(j, "persons"))) {
        sl_log_err("demo: %s: no \"persons\" array", path);
        json_decref(j);
        return SL_ERR_CORRUPT;
    }
    *out = j;
    return SL_OK;
}

static int by_number(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    long nx = strtol(x, NULL, 10), ny = strtol(y, NULL, 10);
    return nx < ny ? -1 : nx > ny ? 1 : strcmp(x, y);
}

sl_status sl_demo_photo_path(const struct sl_demo *d, const json_t *person, size_t person_index,
                             size_t i, char *out, size_t cap)
{
    const char *who = json_string_value(json_object_get(person, "photo_identity"));
    if (d->faces && who && !strchr(who, '/') && strcmp(who, "..") != 0) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/dev/%s", d->faces, who);
        DIR *dh = opendir(dir);
        if (dh) {
            char *names[256];
            size_t n = 0;
            struct dirent *e;
            while ((e = readdir(dh)) && n < SL_ARRAY_LEN(names)) {
                size_t len = strlen(e->d_name);
                if (len > 4 && strcmp(e->d_name + len - 4, ".jpg") == 0)
                    names[n++] = strdup(e->d_name);
            }
            closedir(dh);
            bool ok = true;
            for (size_t k = 0; k < n; k++)
                ok = ok && names[k];
            if (ok)
                qsort(names, n, sizeof *names, by_number);
            sl_status st = SL_ERR_NOT_FOUND;
            if (ok && i < n && (size_t)snprintf(out, cap, "%s/%s", dir, names[i]) < cap)
                st = SL_OK;
            for (size_t k = 0; k < n; k++)
                free(names[k]);
            if (!ok)
                return SL_ERR_NOMEM;
            return st;
        }
    }
    /* no photos of this person: one of the fallback samples (only one
     * photo per person then) */
    json_t *fb = NULL;
    json_t *all = NULL;
    if (i == 0 && sl_demo_persons(d, &all) == SL_OK)
        fb = json_object_get(all, "fallback_photos");
    sl_status st = SL_ERR_NOT_FOUND;
    if (json_array_size(fb) > 0) {
        const char *f = json_string_value(json_array_get(fb, person_index % json_array_size(fb)));
        if (f && (size_t)snprintf(out, cap, "tests/data/%s", f) < cap && access(out, R_OK) == 0)
            st = SL_OK;
    }
    json_decref(all);
    return st;
}

static sl_status write_cred(const struct sl_demo *d)
{
    char path[600], tmp[620];
    snprintf(path, sizeof path, "%s/demo-credentials.json", d->data);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return SL_ERR_IO;
    bool ok = fchmod(fileno(f), 0600) == 0 &&
              json_dumpf(d->cred, f, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return SL_ERR_IO;
    }
    return SL_OK;
}

sl_status sl_demo_seed_all(struct sl_demo *d, char *err, size_t cap)
{
    char *before = json_dumps(d->cred, JSON_SORT_KEYS | JSON_COMPACT);
    if (!before)
        return SL_ERR_NOMEM;
    sl_status st = SL_OK;
    for (size_t i = 0; st == SL_OK && seeds[i].fn; i++) {
        st = seeds[i].fn(d);
        if (st != SL_OK)
            snprintf(err, cap, "demo seed \"%s\": %s", seeds[i].name, sl_status_str(st));
    }
    char *after = st == SL_OK ? json_dumps(d->cred, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    if (st == SL_OK && !after)
        st = SL_ERR_NOMEM;
    if (st == SL_OK && strcmp(before, after) != 0 && (st = write_cred(d)) != SL_OK)
        snprintf(err, cap, "demo: cannot write %s/demo-credentials.json", d->data);
    free(before);
    free(after);
    return st;
}
