/*
 * catalogue.c -- the service-matter catalogue: one JSON file per matter
 * (format in docs/matters.md and share/shualian/matters/README.md),
 * validated at load; errors name "file:line: field: what is wrong".
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "gov/catalogue.h"


#define MATTER_FILE_MAX (256u << 10)
#define MATTERS_MAX     512

struct sl__catalogue {
    json_t **m;           /* each a validated matter object (owned)       */
    size_t   n;
};

struct v {                 /* one file's validation */
    const char *file;
    const struct sl__jsonpos *pos;
    char *err;
    size_t cap;
};

__attribute__((format(printf, 3, 4)))
static sl_status bad(struct v *v, const char *path, const char *fmt, ...)
{
    char what[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (v->err)
        sl__gov_pathf(v->err, v->cap, "%s:%d: %s: %s", v->file,
                 sl__jsonpos_line(v->pos, path), path, what);
    return SL_ERR_MATTER_FORMAT;
}

static bool one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool ident(const char *s, size_t max, bool dots)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || (dots && s[i] == '.')))
            return false;
    return true;
}

/* Only the listed keys may appear (a typo is refused, not ignored). */
static sl_status keys(struct v *v, const json_t *o, const char *path,
                      const char *const *allowed)
{
    const char *k;
    json_t *x;
    char p[256];
    json_object_foreach((json_t *)o, k, x) {
        if (!one_of(k, allowed)) {
            sl__gov_pathf(p, sizeof p, "%s%s%s", path, *path ? "." : "", k);
            return bad(v, p, "unknown field");
        }
    }
    return SL_OK;
}

static sl_status text2(struct v *v, const json_t *o, const char *path)
{
    static const char *const zh_en[] = { "zh", "en", NULL };
    char p[256];
    if (!json_is_object(o))
        return bad(v, path, "must be an object {\"zh\": ..., \"en\": ...}");
    for (int i = 0; i < 2; i++) {
        const json_t *s = json_object_get(o, zh_en[i]);
        sl__gov_pathf(p, sizeof p, "%s.%s", path, zh_en[i]);
        if (!json_is_string(s) || json_string_length(s) == 0)
            return bad(v, p, "missing or empty text");
    }
    return keys(v, o, path, zh_en);
}

/* An object with id + zh + en (+ extra keys allowed by `more`). */
static sl_status item(struct v *v, const json_t *o, const char *path, bool need_id)
{
    char p[256];
    if (!json_is_object(o))
        return bad(v, path, "must be an object");
    if (need_id) {
        sl__gov_pathf(p, sizeof p, "%s.id", path);
        if (!ident(json_string_value(json_object_get(o, "id")), 64, false))
            return bad(v, p, "missing, or not a lowercase identifier");
    }
    static const char *const t[] = { "zh", "en" };
    for (int i = 0; i < 2; i++) {
        const json_t *s = json_object_get(o, t[i]);
        sl__gov_pathf(p, sizeof p, "%s.%s", path, t[i]);
        if (!json_is_string(s) || json_string_length(s) == 0)
            return bad(v, p, "missing or empty text");
    }
    return SL_OK;
}

static sl_status str_set(struct v *v, const json_t *a, const char *path,
                         const char *const *allowed, bool need_one)
{
    char p[256];
    if (!json_is_array(a) || (need_one && json_array_size(a) == 0))
        return bad(v, path, "must be a%s array", need_one ? " non-empty" : "n");
    for (size_t i = 0; i < json_array_size(a); i++) {
        sl__gov_pathf(p, sizeof p, "%s[%zu]", path, i);
        const char *s = json_string_value(json_array_get(a, i));
        if (!one_of(s, allowed)) {
            char list[200] = "";
            for (size_t k = 0; allowed[k]; k++)
                sl__gov_pathf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         k ? ", " : "", allowed[k]);
            return bad(v, p, "'%s' is not one of: %s", s ? s : "(not a string)", list);
        }
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_array_get(a, i), json_array_get(a, j)))
                return bad(v, p, "'%s' is listed twice", s);
    }
    return SL_OK;
}

static sl_status int_field(struct v *v, const json_t *o, const char *key, const char *path,
                           long lo, long hi, bool need)
{
    char p[256];
    const json_t *x = json_object_get(o, key);
    sl__gov_pathf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
    if (!x && !need)
        return SL_OK;
    if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
        return bad(v, p, "must be a whole number %ld..%ld", lo, hi);
    return SL_OK;
}

static sl_status fields_of(struct v *v, const json_t *a, const char *path, const char *source)
{
    char p[256];
    if (!json_is_array(a) || json_array_size(a) == 0)
        return bad(v, path, "name the fields the matter needs (data minimisation): a "
                            "non-empty array");
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *f = json_string_value(json_array_get(a, i));
        sl__gov_pathf(p, sizeof p, "%s[%zu]", path, i);
        if (source ? !sl__shared_field_known(source, f) : !ident(f, 64, false))
            return bad(v, p, "'%s' is not a field of %s", f ? f : "(not a string)",
                       source ? source : "the licence");
    }
    return SL_OK;
}

static sl_status replaced_by(struct v *v, const json_t *r, const char *path)
{
    static const char *const k_shared[] = { "shared", "fields", NULL };
    static const char *const k_lic[] = { "licence", "fields", NULL };
    char p[256];
    if (!json_is_object(r))
        return bad(v, path, "an exempt material names what replaces it: "
                            "{\"shared\": SOURCE, \"fields\": [...]} or "
                            "{\"licence\": TYPE, \"fields\": [...]}");
    const char *src = json_string_value(json_object_get(r, "shared"));
    const char *lic = json_string_value(json_object_get(r, "licence"));
    sl__gov_pathf(p, sizeof p, "%s.fields", path);
    if (src) {
        if (!sl__shared_source_known(src)) {
            sl__gov_pathf(p, sizeof p, "%s.shared", path);
            return bad(v, p, "'%s' is not a shared-data source", src);
        }
        sl_status st = keys(v, r, path, k_shared);
        return st != SL_OK ? st : fields_of(v, json_object_get(r, "fields"), p, src);
    }
    if (lic) {
        if (!sl__licence_type_known(lic)) {
            sl__gov_pathf(p, sizeof p, "%s.licence", path);
            return bad(v, p, "'%s' is not an electronic licence type", lic);
        }
        sl_status st = keys(v, r, path, k_lic);
        return st != SL_OK ? st : fields_of(v, json_object_get(r, "fields"), p, NULL);
    }
    return bad(v, path, "needs \"shared\" (a data source) or \"licence\" (a licence type)");
}

sl_status sl__matter_check(const json_t *m, const char *file, const struct sl__jsonpos *pos,
                           char *err, size_t cap)
{
    struct v vv = { .file = file ? file : "matter", .pos = pos, .err = err, .cap = cap };
    struct v *v = &vv;
    static const char *const top[] = {
        "code", "version", "seed", "name", "department", "channels", "auth",
        "alternatives", "form", "materials", "rules", "auto_approve", "time_limit",
        "holds", "notices", "commitments", "fees", "evidence", "receipt", "proof_of_life", NULL,
    };
    static const char *const channels[] = { "window", "kiosk", "phone", NULL };
    static const char *const who[] = { "applicant", "each_party", "agent", "principal",
                                       "third_party", "subject", NULL };
    static const char *const levels[] = { "real_name", "real_person", "real_document", NULL };
    static const char *const factors[] = { "bank_card", "id_code", NULL };
    static const char *const liveness[] = { "actions", "digits", "passive", "none", NULL };
    static const char *const alts[] = { "id_card_reader", "clerk_document_check", "id_code",
                                        "bank_card", NULL };
    static const char *const provide[] = { "submit", "exempt", "generated", NULL };
    static const char *const ftypes[] = { "text", "date", "choice", "bool", "id_number",
                                          "number", NULL };
    char p[256];
    sl_status st;
    if (!json_is_object(m))
        return bad(v, "", "a matter is a JSON object");
    if ((st = keys(v, m, "", top)) != SL_OK)
        return st;
    if (!ident(json_string_value(json_object_get(m, "code")), 64, true))
        return bad(v, "code", "missing, or not lowercase letters, digits, '_' and '.'");
    if ((st = int_field(v, m, "version", "", 1, 1000000, true)) != SL_OK ||
        (st = text2(v, json_object_get(m, "name"), "name")) != SL_OK ||
        (st = text2(v, json_object_get(m, "department"), "department")) != SL_OK ||
        (st = str_set(v, json_object_get(m, "channels"), "channels", channels, true)) != SL_OK)
        return st;
    const json_t *seed = json_object_get(m, "seed");
    if (seed && !json_is_string(seed))
        return bad(v, "seed", "must be a string");

    const json_t *auth = json_object_get(m, "auth");
    if (!json_is_array(auth) || json_array_size(auth) == 0)
        return bad(v, "auth", "who must authenticate, and how: a non-empty array");
    for (size_t i = 0; i < json_array_size(auth); i++) {
        static const char *const k[] = { "who", "levels", "factors", "liveness", NULL };
        const json_t *a = json_array_get(auth, i);
        sl__gov_pathf(p, sizeof p, "auth[%zu]", i);
        if (!json_is_object(a))
            return bad(v, p, "must be an object");
        if ((st = keys(v, a, p, k)) != SL_OK)
            return st;
        sl__gov_pathf(p, sizeof p, "auth[%zu].who", i);
        if (!one_of(json_string_value(json_object_get(a, "who")), who))
            return bad(v, p, "must be applicant, each_party, agent, principal, "
                             "third_party or subject");
        sl__gov_pathf(p, sizeof p, "auth[%zu].levels", i);
        if ((st = str_set(v, json_object_get(a, "levels"), p, levels, true)) != SL_OK)
            return st;
        sl__gov_pathf(p, sizeof p, "auth[%zu].factors", i);
        if (json_object_get(a, "factors") &&
            (st = str_set(v, json_object_get(a, "factors"), p, factors, false)) != SL_OK)
            return st;
        sl__gov_pathf(p, sizeof p, "auth[%zu].liveness", i);
        if (json_object_get(a, "liveness") &&
            (st = str_set(v, json_object_get(a, "liveness"), p, liveness, true)) != SL_OK)
            return st;
    }
    /* A face is never the only way (SPEC §3). */
    if ((st = str_set(v, json_object_get(m, "alternatives"), "alternatives", alts, true))
        != SL_OK)
        return st;

    const json_t *form = json_object_get(m, "form");
    if (form && !json_is_array(form))
        return bad(v, "form", "must be an array of fields");
    for (size_t i = 0; form && i < json_array_size(form); i++) {
        static const char *const k[] = { "name", "zh", "en", "type", "required", "options",
                                         NULL };
        const json_t *f = json_array_get(form, i);
        sl__gov_pathf(p, sizeof p, "form[%zu]", i);
        if ((st = item(v, f, p, false)) != SL_OK || (st = keys(v, f, p, k)) != SL_OK)
            return st;
        sl__gov_pathf(p, sizeof p, "form[%zu].name", i);
        if (!ident(json_string_value(json_object_get(f, "name")), 64, false))
            return bad(v, p, "missing, or not a lowercase identifier");
        sl__gov_pathf(p, sizeof p, "form[%zu].type", i);
        const char *ty = json_string_value(json_object_get(f, "type"));
        if (!one_of(ty, ftypes))
            return bad(v, p, "must be text, date, choice, bool, id_number or number");
        sl__gov_pathf(p, sizeof p, "form[%zu].options", i);
        const json_t *opt = json_object_get(f, "options");
        if (strcmp(ty, "choice") == 0 && (!json_is_array(opt) || !json_array_size(opt)))
            return bad(v, p, "a choice needs a non-empty options array");
        sl__gov_pathf(p, sizeof p, "form[%zu].required", i);
        if (json_object_get(f, "required") && !json_is_boolean(json_object_get(f, "required")))
            return bad(v, p, "must be true or false");
    }

    const json_t *mat = json_object_get(m, "materials");
    if (!json_is_array(mat))
        return bad(v, "materials", "must be an array (empty when nothing is needed)");
    for (size_t i = 0; i < json_array_size(mat); i++) {
        static const char *const k[] = { "id", "zh", "en", "provide", "replaced_by", NULL };
        const json_t *x = json_array_get(mat, i);
        sl__gov_pathf(p, sizeof p, "materials[%zu]", i);
        if ((st = item(v, x, p, true)) != SL_OK || (st = keys(v, x, p, k)) != SL_OK)
            return st;
        const char *pr = json_string_value(json_object_get(x, "provide"));
        sl__gov_pathf(p, sizeof p, "materials[%zu].provide", i);
        if (!one_of(pr, provide))
            return bad(v, p, "must be submit, exempt (免提交) or generated");
        sl__gov_pathf(p, sizeof p, "materials[%zu].replaced_by", i);
        if (strcmp(pr, "exempt") == 0) {
            if ((st = replaced_by(v, json_object_get(x, "replaced_by"), p)) != SL_OK)
                return st;
        } else if (json_object_get(x, "replaced_by")) {
            return bad(v, p, "only an exempt material is replaced");
        }
    }

    const json_t *rules = json_object_get(m, "rules");
    if (rules) {
        char rerr[300];
        if (sl__rules_check(rules, "rules", rerr, sizeof rerr) != SL_OK) {
            char *colon = strstr(rerr, ": ");
            if (colon)
                *colon = '\0';
            return bad(v, rerr, "%s", colon ? colon + 2 : "malformed rule");
        }
    }
    if (json_object_get(m, "auto_approve") && !json_is_boolean(json_object_get(m, "auto_approve")))
        return bad(v, "auto_approve", "must be true or false");

    const json_t *tl = json_object_get(m, "time_limit");
    if (!json_is_object(tl))
        return bad(v, "time_limit", "the statutory time limit: {\"working_days\": N, "
                                    "\"from\": \"accepted\" | \"hold_end\"}");
    {
        static const char *const k[] = { "working_days", "from", NULL };
        static const char *const from[] = { "accepted", "hold_end", NULL };
        if ((st = keys(v, tl, "time_limit", k)) != SL_OK ||
            (st = int_field(v, tl, "working_days", "time_limit", 0, 365, true)) != SL_OK)
            return st;
        if (!one_of(json_string_value(json_object_get(tl, "from")), from))
            return bad(v, "time_limit.from", "must be accepted or hold_end");
    }
    const json_t *holds = json_object_get(m, "holds");
    if (holds && !json_is_array(holds))
        return bad(v, "holds", "must be an array");
    for (size_t i = 0; holds && i < json_array_size(holds); i++) {
        static const char *const k[] = { "id", "zh", "en", "working_days", "publish", NULL };
        const json_t *h = json_array_get(holds, i);
        sl__gov_pathf(p, sizeof p, "holds[%zu]", i);
        if ((st = item(v, h, p, true)) != SL_OK || (st = keys(v, h, p, k)) != SL_OK ||
            (st = int_field(v, h, "working_days", p, 1, 365, true)) != SL_OK)
            return st;
        sl__gov_pathf(p, sizeof p, "holds[%zu].publish", i);
        if (json_object_get(h, "publish") && !json_is_boolean(json_object_get(h, "publish")))
            return bad(v, p, "must be true or false");
    }
    if (!strcmp(json_string_value(json_object_get(tl, "from")), "hold_end") &&
        json_array_size(holds) == 0)
        return bad(v, "time_limit.from", "hold_end needs a hold in holds");

    static const char *const lists[] = { "notices", "commitments", NULL };
    for (size_t l = 0; lists[l]; l++) {
        const json_t *a = json_object_get(m, lists[l]);
        if (a && !json_is_array(a))
            return bad(v, lists[l], "must be an array");
        for (size_t i = 0; a && i < json_array_size(a); i++) {
            static const char *const k[] = { "id", "zh", "en", NULL };
            sl__gov_pathf(p, sizeof p, "%s[%zu]", lists[l], i);
            if ((st = item(v, json_array_get(a, i), p, true)) != SL_OK ||
                (st = keys(v, json_array_get(a, i), p, k)) != SL_OK)
                return st;
        }
    }
    const json_t *fees = json_object_get(m, "fees");
    if (fees && !json_is_array(fees))
        return bad(v, "fees", "must be an array (empty: no fee)");
    for (size_t i = 0; fees && i < json_array_size(fees); i++) {
        static const char *const k[] = { "id", "zh", "en", "amount_cny", NULL };
        const json_t *f = json_array_get(fees, i);
        sl__gov_pathf(p, sizeof p, "fees[%zu]", i);
        if ((st = item(v, f, p, true)) != SL_OK || (st = keys(v, f, p, k)) != SL_OK)
            return st;
        sl__gov_pathf(p, sizeof p, "fees[%zu].amount_cny", i);
        const json_t *amt = json_object_get(f, "amount_cny");
        if (!json_is_number(amt) || json_number_value(amt) < 0)
            return bad(v, p, "must be a number >= 0");
    }
    const json_t *ev = json_object_get(m, "evidence");
    if (ev) {
        static const char *const k[] = { "keep_best_frame", "retention_days", NULL };
        if (!json_is_object(ev))
            return bad(v, "evidence", "must be an object");
        if ((st = keys(v, ev, "evidence", k)) != SL_OK ||
            (st = int_field(v, ev, "retention_days", "evidence", 1, 3650, false)) != SL_OK)
            return st;
        if (!json_is_boolean(json_object_get(ev, "keep_best_frame")))
            return bad(v, "evidence.keep_best_frame", "must be true or false");
    }
    const json_t *rc = json_object_get(m, "receipt");
    if (rc && (st = text2(v, rc, "receipt")) != SL_OK)
        return st;
    /* periodic proof of life (seed 003 elderly allowance): every
     * interval_days by the same face check, reminded remind_days before */
    const json_t *pol = json_object_get(m, "proof_of_life");
    if (pol) {
        static const char *const k[] = { "interval_days", "remind_days", NULL };
        if (!json_is_object(pol))
            return bad(v, "proof_of_life", "must be an object");
        if ((st = keys(v, pol, "proof_of_life", k)) != SL_OK ||
            (st = int_field(v, pol, "interval_days", "proof_of_life", 1, 3650, true)) != SL_OK ||
            (st = int_field(v, pol, "remind_days", "proof_of_life", 0, 365, false)) != SL_OK)
            return st;
    }
    return SL_OK;
}

sl_status sl__matter_parse(const char *text, size_t n, const char *file, char *err,
                           size_t cap, json_t **out)
{
    char jerr[200];
    json_t *m = sl_json_parse(text, n, jerr, sizeof jerr);
    if (!m) {
        if (err)
            sl__gov_pathf(err, cap, "%s: %s", file, jerr);
        return SL_ERR_MATTER_FORMAT;
    }
    struct sl__jsonpos *pos = sl__jsonpos_scan(text, n);
    sl_status st = sl__matter_check(m, file, pos, err, cap);
    sl__jsonpos_free(pos);
    if (st != SL_OK) {
        json_decref(m);
        return st;
    }
    *out = m;
    return SL_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

sl_status sl__catalogue_load_dir(const char *dir, char *err, size_t cap,
                                 struct sl__catalogue **out)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (err)
            sl__gov_pathf(err, cap, "%s: cannot open the catalogue folder", dir);
        return SL_ERR_IO;
    }
    char *names[MATTERS_MAX];
    size_t nn = 0;
    struct dirent *e;
    sl_status st = SL_OK;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (nn == MATTERS_MAX) {
            if (err)
                sl__gov_pathf(err, cap, "%s: more than %d matter files", dir, MATTERS_MAX);
            st = SL_ERR_TOO_LARGE;
            break;
        }
        names[nn] = strdup(e->d_name);
        if (!names[nn]) {
            st = SL_ERR_NOMEM;
            break;
        }
        nn++;
    }
    closedir(d);
    qsort(names, nn, sizeof names[0], cmp_name);
    struct sl__catalogue *c = NULL;
    if (st == SL_OK && !(c = sl__calloc(1, sizeof *c)))
        st = SL_ERR_NOMEM;
    if (c && !(c->m = sl__calloc(nn ? nn : 1, sizeof *c->m)))
        st = SL_ERR_NOMEM;
    for (size_t i = 0; st == SL_OK && i < nn; i++) {
        char path[4096];
        uint8_t *buf;
        size_t len;
        sl__gov_pathf(path, sizeof path, "%s/%s", dir, names[i]);
        st = sl__read_file(path, MATTER_FILE_MAX, &buf, &len);
        if (st != SL_OK) {
            if (err)
                sl__gov_pathf(err, cap, "%s: %s", path, sl_status_str(st));
            break;
        }
        json_t *m;
        st = sl__matter_parse((const char *)buf, len, path, err, cap, &m);
        sl__free(buf);
        if (st != SL_OK)
            break;
        for (size_t j = 0; j < c->n; j++)
            if (json_equal(json_object_get(c->m[j], "code"), json_object_get(m, "code")) &&
                json_equal(json_object_get(c->m[j], "version"), json_object_get(m, "version"))) {
                if (err)
                    sl__gov_pathf(err, cap, "%s:1: code: matter '%s' version %lld is also "
                             "defined in another file", path,
                             json_string_value(json_object_get(m, "code")),
                             (long long)json_integer_value(json_object_get(m, "version")));
                st = SL_ERR_MATTER_FORMAT;
            }
        if (st != SL_OK) {
            json_decref(m);
            break;
        }
        c->m[c->n++] = m;
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    if (st != SL_OK) {
        sl__catalogue_free(c);
        return st;
    }
    *out = c;
    return SL_OK;
}

void sl__catalogue_free(struct sl__catalogue *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        json_decref(c->m[i]);
    sl__free(c->m);
    sl__free(c);
}

size_t sl__catalogue_count(const struct sl__catalogue *c)
{
    return c ? c->n : 0;
}

const json_t *sl__catalogue_at(const struct sl__catalogue *c, size_t i)
{
    return c && i < c->n ? c->m[i] : NULL;
}

const json_t *sl__catalogue_get(const struct sl__catalogue *c, const char *code, int version)
{
    const json_t *best = NULL;
    for (size_t i = 0; c && code && i < c->n; i++) {
        if (strcmp(json_string_value(json_object_get(c->m[i], "code")), code) != 0)
            continue;
        json_int_t ver = json_integer_value(json_object_get(c->m[i], "version"));
        if (version > 0 ? ver == version
                        : !best || ver > json_integer_value(json_object_get(best, "version")))
            best = c->m[i];
    }
    return best;
}
