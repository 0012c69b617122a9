/*
 * rules.c -- eligibility rules as data: validation and three-valued
 * evaluation with an explanation (gov.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gov/gov.h"


void sl__gov_pathf(char *p, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, cap, fmt, ap);
    va_end(ap);
}

/* ----------------------- shared-data vocabulary ------------------------ */

static const struct {
    const char *source;
    const char *fields[12];
} sources[] = {
    /* 民政: marriage and divorce registration */
    { "civil_marriage", { "status", "spouse_id_type", "spouse_id_number", "spouse_name",
                          "registered_on", NULL } },
    /* 民政: death registration (cremation / death certificates) */
    { "civil_death", { "deceased", "date_of_death", "certificate_no", NULL } },
    /* 自然资源和规划 / 不动产: ownership records */
    { "land_property", { "count", "cert_no", "address", "region", "owners", "area_m2",
                         "registered_on", "usage", NULL } },
    /* 卫生健康: medical birth certificates (出生医学证明) */
    { "health_birth", { "cert_no", "child_name", "child_birth_date", "mother_id_number",
                        "father_id_number", "hospital", "region", NULL } },
    /* 人力资源和社会保障: contribution records */
    { "hrss_social_security", { "status", "city", "months_paid", "employer", NULL } },
    /* 侨办: returned overseas Chinese status */
    { "ocao_returned_overseas", { "status", "approved_on", "country_of_residence", NULL } },
    /* 公安: household register */
    { "police_household", { "household_no", "region", "address", "head_id_number",
                            "relation_to_head", "members_count", "status", NULL } },
    /* 住房公积金: the housing provident fund account */
    { "housing_fund", { "status", "balance_cny", "months_paid", NULL } },
    /* 公安: criminal records (for 无犯罪记录证明) */
    { "police_criminal_record", { "has_record", "checked_on", NULL } },
};

static const char *const licence_types[] = {
    "resident_id", "household_register", "marriage_certificate", "divorce_certificate",
    "property_certificate", "birth_certificate", "business_licence",
    "returned_overseas_certificate", "social_security_card", NULL,
};

bool sl__shared_source_known(const char *source)
{
    for (size_t i = 0; source && i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(sources[i].source, source) == 0)
            return true;
    return false;
}

bool sl__shared_field_known(const char *source, const char *field)
{
    for (size_t i = 0; source && field && i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(sources[i].source, source) == 0)
            for (size_t j = 0; sources[i].fields[j]; j++)
                if (strcmp(sources[i].fields[j], field) == 0)
                    return true;
    return false;
}

bool sl__licence_type_known(const char *type)
{
    for (size_t i = 0; type && licence_types[i]; i++)
        if (strcmp(licence_types[i], type) == 0)
            return true;
    return false;
}

/* Facts about the applicant (from the registry) and the application. */
static const char *const applicant_fields[] = {
    "age", "sex", "status", "id_type", "region", "nationality", "birth_date", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* --------------------------- validation -------------------------------- */

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN, OP_CONTAINS,
          OP_PREFIX, OP_EXISTS, OP_MISSING, OP_N };
static const char *const op_names[OP_N] = {
    "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "prefix",
    "exists", "missing",
};

static int op_parse(const char *s)
{
    for (int i = 0; s && i < OP_N; i++)
        if (strcmp(op_names[i], s) == 0)
            return i;
    return -1;
}

struct check {
    char *err;
    size_t cap;
    int nodes;
};

__attribute__((format(printf, 3, 4)))
static sl_status bad(struct check *c, const char *path, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->err)
        sl__gov_pathf(c->err, c->cap, "%s: %s", path, what);
    return SL_ERR_RULES_FORMAT;
}

static bool fact_path_ok(const char *p)
{
    char src[64];
    const char *dot;
    if (strncmp(p, "applicant.", 10) == 0)
        return in_list(applicant_fields, p + 10);
    if (strncmp(p, "application.", 12) == 0) {
        /* form fields: a lowercase identifier */
        const char *f = p + 12;
        if (!*f)
            return false;
        for (; *f; f++)
            if (!((*f >= 'a' && *f <= 'z') || (*f >= '0' && *f <= '9') || *f == '_'))
                return false;
        return true;
    }
    if (strncmp(p, "shared.", 7) != 0 || !(dot = strchr(p + 7, '.')) ||
        (size_t)(dot - (p + 7)) >= sizeof src)
        return false;
    memcpy(src, p + 7, (size_t)(dot - (p + 7)));
    src[dot - (p + 7)] = '\0';
    return sl__shared_field_known(src, dot + 1);
}

static sl_status check_node(struct check *c, const json_t *n, const char *path, int depth)
{
    char sub[256];
    if (depth > SL_RULES_DEPTH_MAX)
        return bad(c, path, "nested deeper than %d levels", SL_RULES_DEPTH_MAX);
    if (++c->nodes > SL_RULES_NODES_MAX)
        return bad(c, path, "more than %d conditions", SL_RULES_NODES_MAX);
    if (!json_is_object(n))
        return bad(c, path, "a condition must be an object");
    const json_t *v;
    if ((v = json_object_get(n, "all")) || (v = json_object_get(n, "any"))) {
        const char *k = json_object_get(n, "all") ? "all" : "any";
        if (json_object_size(n) != 1)
            return bad(c, path, "'%s' must be the only key of its object", k);
        if (!json_is_array(v) || json_array_size(v) == 0)
            return bad(c, path, "'%s' needs a non-empty array of conditions", k);
        for (size_t i = 0; i < json_array_size(v); i++) {
            sl__gov_pathf(sub, sizeof sub, "%s.%s[%zu]", path, k, i);
            sl_status st = check_node(c, json_array_get(v, i), sub, depth + 1);
            if (st != SL_OK)
                return st;
        }
        return SL_OK;
    }
    if ((v = json_object_get(n, "not"))) {
        if (json_object_size(n) != 1)
            return bad(c, path, "'not' must be the only key of its object");
        sl__gov_pathf(sub, sizeof sub, "%s.not", path);
        return check_node(c, v, sub, depth + 1);
    }
    const json_t *fact = json_object_get(n, "fact"), *op = json_object_get(n, "op");
    if (!fact)
        return bad(c, path, "a condition is all, any, not, or a fact comparison "
                            "{\"fact\", \"op\", \"value\"}");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)n, key, val) {
        if (strcmp(key, "fact") && strcmp(key, "op") && strcmp(key, "value")) {
            sl__gov_pathf(sub, sizeof sub, "%s.%s", path, key);
            return bad(c, sub, "unknown key (fact, op and value are allowed)");
        }
    }
    sl__gov_pathf(sub, sizeof sub, "%s.fact", path);
    if (!json_is_string(fact) || !fact_path_ok(json_string_value(fact)))
        return bad(c, sub, "'%s' is not a known fact (applicant.<field>, "
                   "application.<field>, shared.<source>.<field>)",
                   json_is_string(fact) ? json_string_value(fact) : "(not a string)");
    sl__gov_pathf(sub, sizeof sub, "%s.op", path);
    int o = json_is_string(op) ? op_parse(json_string_value(op)) : -1;
    if (o < 0)
        return bad(c, sub, "unknown operator (eq ne lt le gt ge in not_in contains "
                           "prefix exists missing)");
    const json_t *value = json_object_get(n, "value");
    sl__gov_pathf(sub, sizeof sub, "%s.value", path);
    switch (o) {
    case OP_EXISTS: case OP_MISSING:
        if (value)
            return bad(c, sub, "'%s' takes no value", op_names[o]);
        break;
    case OP_IN: case OP_NOT_IN:
        if (!json_is_array(value) || json_array_size(value) == 0)
            return bad(c, sub, "'%s' needs a non-empty array", op_names[o]);
        break;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        if (!json_is_number(value) && !json_is_string(value))
            return bad(c, sub, "'%s' compares with a number or a string", op_names[o]);
        break;
    case OP_PREFIX:
        if (!json_is_string(value))
            return bad(c, sub, "'prefix' needs a string");
        break;
    default:
        if (!value || json_is_object(value) || json_is_array(value))
            return bad(c, sub, "'%s' needs a single value", op_names[o]);
    }
    return SL_OK;
}

sl_status sl__rules_check(const json_t *rules, const char *base, char *err, size_t cap)
{
    struct check c = { .err = err, .cap = cap };
    char path[256];
    if (err && cap)
        err[0] = '\0';
    if (!json_is_array(rules))
        return bad(&c, base, "rules must be an array");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        sl__gov_pathf(path, sizeof path, "%s[%zu]", base, i);
        if (!json_is_object(r))
            return bad(&c, path, "a rule must be an object");
        static const char *const need[] = { "id", "zh", "en" };
        for (size_t k = 0; k < 3; k++) {
            const json_t *s = json_object_get(r, need[k]);
            if (!json_is_string(s) || !json_string_length(s)) {
                sl__gov_pathf(path, sizeof path, "%s[%zu].%s", base, i, need[k]);
                return bad(&c, path, "missing or empty (every rule has an id and "
                                     "zh/en text that explains it to a citizen)");
            }
        }
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(rules, j), "id"),
                           json_object_get(r, "id"))) {
                sl__gov_pathf(path, sizeof path, "%s[%zu].id", base, i);
                return bad(&c, path, "duplicate rule id");
            }
        const char *els = json_string_value(json_object_get(r, "else"));
        if (!els || (strcmp(els, "refuse") && strcmp(els, "review"))) {
            sl__gov_pathf(path, sizeof path, "%s[%zu].else", base, i);
            return bad(&c, path, "must be \"refuse\" or \"review\"");
        }
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)r, key, val) {
            if (strcmp(key, "id") && strcmp(key, "zh") && strcmp(key, "en") &&
                strcmp(key, "check") && strcmp(key, "else")) {
                sl__gov_pathf(path, sizeof path, "%s[%zu].%s", base, i, key);
                return bad(&c, path, "unknown key");
            }
        }
        sl__gov_pathf(path, sizeof path, "%s[%zu].check", base, i);
        if (!json_object_get(r, "check"))
            return bad(&c, path, "missing");
        sl_status st = check_node(&c, json_object_get(r, "check"), path, 1);
        if (st != SL_OK)
            return st;
    }
    return SL_OK;
}

/* --------------------------- evaluation -------------------------------- */

static const json_t *lookup(const json_t *facts, const char *path)
{
    /* applicant.x, application.x, shared.source.x */
    char part[128];
    const json_t *cur = facts;
    const char *p = path;
    int parts = strncmp(path, "shared.", 7) == 0 ? 3 : 2;
    for (int i = 0; i < parts && cur; i++) {
        const char *dot = i < parts - 1 ? strchr(p, '.') : NULL;
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, part) : NULL;
        p = dot ? dot + 1 : p + n;
    }
    return json_is_null(cur) ? NULL : cur;
}

static int cmp(const json_t *a, const json_t *b, bool *ok)
{
    *ok = true;
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return (x > y) - (x < y);
    }
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_boolean(a) && json_is_boolean(b))
        return json_is_true(a) - json_is_true(b);
    *ok = false;
    return 0;
}

static enum sl__tv tv_not(enum sl__tv v)
{
    return v == SL_TV_UNKNOWN ? v : v == SL_TV_TRUE ? SL_TV_FALSE : SL_TV_TRUE;
}

static enum sl__tv eval_node(const json_t *n, const json_t *facts, json_t *used)
{
    const json_t *v;
    if ((v = json_object_get(n, "all")) || (v = json_object_get(n, "any"))) {
        bool all = json_object_get(n, "all") != NULL;
        enum sl__tv acc = all ? SL_TV_TRUE : SL_TV_FALSE;
        for (size_t i = 0; i < json_array_size(v); i++) {
            enum sl__tv r = eval_node(json_array_get(v, i), facts, used);
            if (all && r == SL_TV_FALSE) acc = SL_TV_FALSE;
            else if (!all && r == SL_TV_TRUE) acc = SL_TV_TRUE;
            else if (r == SL_TV_UNKNOWN && acc != (all ? SL_TV_FALSE : SL_TV_TRUE))
                acc = SL_TV_UNKNOWN;
        }
        return acc;
    }
    if ((v = json_object_get(n, "not")))
        return tv_not(eval_node(v, facts, used));
    const char *path = json_string_value(json_object_get(n, "fact"));
    int o = op_parse(json_string_value(json_object_get(n, "op")));
    const json_t *value = json_object_get(n, "value");
    const json_t *f = lookup(facts, path);
    if (used)
        json_object_set_new(used, path, f ? json_deep_copy(f) : json_null());
    if (o == OP_EXISTS)
        return f ? SL_TV_TRUE : SL_TV_FALSE;
    if (o == OP_MISSING)
        return f ? SL_TV_FALSE : SL_TV_TRUE;
    if (!f)
        return SL_TV_UNKNOWN;
    bool ok;
    int c;
    switch (o) {
    case OP_EQ: case OP_NE:
        c = cmp(f, value, &ok);
        if (!ok)
            return SL_TV_UNKNOWN;
        return (c == 0) == (o == OP_EQ) ? SL_TV_TRUE : SL_TV_FALSE;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        c = cmp(f, value, &ok);
        if (!ok)
            return SL_TV_UNKNOWN;
        return (o == OP_LT ? c < 0 : o == OP_LE ? c <= 0 : o == OP_GT ? c > 0 : c >= 0)
                   ? SL_TV_TRUE : SL_TV_FALSE;
    case OP_IN: case OP_NOT_IN: {
        bool found = false, comparable = false;
        for (size_t i = 0; i < json_array_size(value); i++) {
            c = cmp(f, json_array_get(value, i), &ok);
            comparable |= ok;
            found |= ok && c == 0;
        }
        if (!comparable)
            return SL_TV_UNKNOWN;
        return found == (o == OP_IN) ? SL_TV_TRUE : SL_TV_FALSE;
    }
    case OP_CONTAINS:
        if (json_is_array(f)) {
            for (size_t i = 0; i < json_array_size(f); i++) {
                c = cmp(json_array_get(f, i), value, &ok);
                if (ok && c == 0)
                    return SL_TV_TRUE;
            }
            return SL_TV_FALSE;
        }
        if (json_is_string(f) && json_is_string(value))
            return strstr(json_string_value(f), json_string_value(value))
                       ? SL_TV_TRUE : SL_TV_FALSE;
        return SL_TV_UNKNOWN;
    case OP_PREFIX:
        if (!json_is_string(f))
            return SL_TV_UNKNOWN;
        return strncmp(json_string_value(f), json_string_value(value),
                       json_string_length(value)) == 0 ? SL_TV_TRUE : SL_TV_FALSE;
    }
    return SL_TV_UNKNOWN;
}

const char *sl__decision_name(enum sl__decision d)
{
    return d == SL_DECIDE_APPROVE ? "approve" : d == SL_DECIDE_REFUSE ? "refuse" : "review";
}

sl_status sl__rules_eval(const json_t *rules, const json_t *facts, bool auto_approve,
                         enum sl__decision *out, json_t **explain)
{
    static const char *const tv_names[] = { "false", "true", "unknown" };
    if (!json_is_array(rules) || !out)
        return SL_ERR_INVALID;
    json_t *list = explain ? json_array() : NULL;
    bool refuse = false, review = !auto_approve;
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        json_t *used = explain ? json_object() : NULL;
        enum sl__tv v = eval_node(json_object_get(r, "check"), facts, used);
        const char *els = json_string_value(json_object_get(r, "else"));
        bool els_refuse = els && strcmp(els, "refuse") == 0;
        if (v == SL_TV_FALSE && els_refuse)
            refuse = true;
        else if (v != SL_TV_TRUE)
            review = true;
        if (list)
            json_array_append_new(list, json_pack(
                "{s:O, s:O, s:O, s:s, s:s, s:o}", "id", json_object_get(r, "id"),
                "zh", json_object_get(r, "zh"), "en", json_object_get(r, "en"),
                "result", tv_names[v], "else", els ? els : "review", "facts", used));
    }
    *out = refuse ? SL_DECIDE_REFUSE : review ? SL_DECIDE_REVIEW : SL_DECIDE_APPROVE;
    if (explain) {
        *explain = json_pack("{s:s, s:b, s:o}", "decision", sl__decision_name(*out),
                             "auto_approve_allowed", auto_approve, "rules", list);
        if (!*explain)
            return SL_ERR_NOMEM;
    }
    return SL_OK;
}
