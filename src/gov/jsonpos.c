/*
 * jsonpos.c -- where each value of a JSON text starts (line numbers by
 * path), so that a catalogue or rule file refused for a semantic reason
 * names "file:line: field" like a syntax error does. jansson keeps no
 * positions, so the text is scanned once more after jansson accepted it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gov/gov.h"


#define POS_PATH_MAX 200
#define POS_DEPTH_MAX 64

struct pos_entry {
    char path[POS_PATH_MAX];
    int  line;
};

struct sl__jsonpos {
    struct pos_entry *e;
    size_t n, cap;
};

struct scan {
    const char *s, *end;
    int line;
    struct sl__jsonpos *pos;
    char path[POS_PATH_MAX];
    int depth;
};

static void skip_ws(struct scan *sc)
{
    while (sc->s < sc->end && (*sc->s == ' ' || *sc->s == '\t' || *sc->s == '\n' ||
                               *sc->s == '\r')) {
        if (*sc->s == '\n')
            sc->line++;
        sc->s++;
    }
}

static bool record(struct scan *sc)
{
    struct sl__jsonpos *p = sc->pos;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct pos_entry *e = sl__realloc(p->e, cap * sizeof *e);
        if (!e)
            return false;
        p->e = e;
        p->cap = cap;
    }
    memcpy(p->e[p->n].path, sc->path, POS_PATH_MAX);
    p->e[p->n].line = sc->line;
    p->n++;
    return true;
}

/* Copies a JSON string's raw content (escapes kept as written, which is
 * what a field name in a message should show) into out. */
static bool scan_string(struct scan *sc, char *out, size_t cap)
{
    size_t k = 0;
    if (sc->s >= sc->end || *sc->s != '"')
        return false;
    sc->s++;
    while (sc->s < sc->end && *sc->s != '"') {
        if (*sc->s == '\\' && sc->s + 1 < sc->end) {
            if (out && k + 1 < cap) out[k++] = *sc->s;
            sc->s++;
        }
        if (out && k + 1 < cap) out[k++] = *sc->s;
        sc->s++;
    }
    if (out)
        out[k] = '\0';
    if (sc->s >= sc->end)
        return false;
    sc->s++;
    return true;
}

static bool scan_value(struct scan *sc);

static bool with_suffix(struct scan *sc, const char *suffix, bool (*fn)(struct scan *))
{
    size_t n = strlen(sc->path);
    char save[POS_PATH_MAX];
    memcpy(save, sc->path, POS_PATH_MAX);
    if (n + strlen(suffix) + 1 < POS_PATH_MAX)
        strcat(sc->path, suffix);
    bool ok = fn(sc);
    memcpy(sc->path, save, POS_PATH_MAX);
    return ok;
}

static bool scan_value(struct scan *sc)
{
    skip_ws(sc);
    if (sc->s >= sc->end)
        return false;
    if (!record(sc))
        return false;
    if (*sc->s == '{' || *sc->s == '[') {
        bool obj = *sc->s == '{';
        if (++sc->depth > POS_DEPTH_MAX)
            return false;
        sc->s++;
        skip_ws(sc);
        for (size_t i = 0; sc->s < sc->end && *sc->s != (obj ? '}' : ']'); i++) {
            char suffix[POS_PATH_MAX];
            if (obj) {
                char key[POS_PATH_MAX - 2];
                if (!scan_string(sc, key, sizeof key))
                    return false;
                skip_ws(sc);
                if (sc->s >= sc->end || *sc->s != ':')
                    return false;
                sc->s++;
                sl__gov_pathf(suffix, sizeof suffix, "%s%s", sc->path[0] ? "." : "", key);
            } else {
                sl__gov_pathf(suffix, sizeof suffix, "[%zu]", i);
            }
            if (!with_suffix(sc, suffix, scan_value))
                return false;
            skip_ws(sc);
            if (sc->s < sc->end && *sc->s == ',') {
                sc->s++;
                skip_ws(sc);
            }
        }
        if (sc->s >= sc->end)
            return false;
        sc->s++;
        sc->depth--;
        return true;
    }
    if (*sc->s == '"')
        return scan_string(sc, NULL, 0);
    while (sc->s < sc->end && !strchr(",]} \t\r\n", *sc->s))
        sc->s++;
    return true;
}

struct sl__jsonpos *sl__jsonpos_scan(const char *text, size_t n)
{
    struct sl__jsonpos *p = sl__calloc(1, sizeof *p);
    if (!p)
        return NULL;
    struct scan sc = { .s = text, .end = text + n, .line = 1, .pos = p };
    scan_value(&sc);     /* a partial index is still useful */
    return p;
}

int sl__jsonpos_line(const struct sl__jsonpos *p, const char *path)
{
    if (!p || !path)
        return 0;
    /* The longest recorded prefix of path: a missing field is reported at
     * the line of the object that should hold it. */
    int best = 0;
    size_t best_len = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t l = strlen(p->e[i].path);
        if (strncmp(p->e[i].path, path, l) == 0 &&
            (path[l] == '\0' || path[l] == '.' || path[l] == '[' || l == 0) &&
            (l > best_len || best == 0)) {
            best = p->e[i].line;
            best_len = l;
        }
    }
    return best;
}

void sl__jsonpos_free(struct sl__jsonpos *p)
{
    if (!p)
        return;
    sl__free(p->e);
    sl__free(p);
}
