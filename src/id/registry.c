/*
 * registry.c -- the population registry on the store (id.h): persons with
 * sealed number/name/photo/template found by a blind index, audited look-ups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id/id_int.h"

sl_status sl__id_audit(sl_tx *tx, const sl_keyring *k, const struct sl_acct_audit *au,
                       const char *object_type, int64_t object_id,
                       const char *id_masked, const uint8_t *person_idx,
                       const char *purpose, const char *outcome)
{
    if (!au)
        return SL_OK;
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)object_id);
    struct sl_audit_rec r = {
        .actor_kind = au->actor_kind ? au->actor_kind : "system",
        .actor_id = au->actor_id, .action = au->action ? au->action : "id",
        .object_type = object_type, .object_id = oid,
        .id_masked = id_masked ? id_masked : au->id_masked, .person_idx = person_idx,
        .purpose = au->purpose ? au->purpose : purpose,
        .outcome = au->outcome ? au->outcome : outcome,
        .request_id = au->request_id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, k, &r, NULL);
}

sl_status sl__id_blind(const sl_keyring *k, enum sl_id_type t,
                       const char *normalised, char hex[65])
{
    (void)t;   /* the index is the audit module's person index; the type is a column */
    uint8_t mac[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__mac(k, "id_number", normalised, strlen(normalised), mac);
    if (st != SL_OK)
        return st;
    return sl__hex_encode(hex, 65, mac, sizeof mac);
}

static void today_str(char out[11])
{
    char ts[32];
    sl_time_iso8601(ts, sizeof ts, sl__now_ms());
    memcpy(out, ts, 10);
    out[10] = 0;
}

/* ad = "id_person|<blind>|<what>" */
static sl_status seal_field(const sl_keyring *k, const char *blind, const char *what,
                            const void *p, size_t n, uint8_t **ct, size_t *ctn)
{
    char ad[128];
    int an = snprintf(ad, sizeof ad, "id_person|%s|%s", blind, what);
    return sl__seal(k, ad, (size_t)an, p, n, ct, ctn);
}

static sl_status open_field(const sl_keyring *k, const char *blind, const char *what,
                            const void *ct, size_t ctn, uint8_t **pt, size_t *n)
{
    char ad[128];
    int an = snprintf(ad, sizeof ad, "id_person|%s|%s", blind, what);
    return sl__open(k, ad, (size_t)an, ct, ctn, pt, n);
}

static void mask_name(const char *name, char *out, size_t cap)
{
    /* keep the first UTF-8 character, then one '*' per further character */
    size_t i = 0, o = 0;
    if (!name[0]) { out[0] = 0; return; }
    do { out[o++] = name[i++]; } while (name[i] && ((unsigned char)name[i] & 0xc0) == 0x80 && o + 1 < cap);
    for (; name[i] && o + 1 < cap; i++)
        if (((unsigned char)name[i] & 0xc0) != 0x80)
            out[o++] = '*';
    out[o] = 0;
}

sl_status sl__person_add_tx(sl_tx *tx, const sl_keyring *k,
                            const struct sl_person_new *p,
                            const struct sl_acct_audit *au,
                            const char **why, int64_t *id)
{
    if (!p || !p->number || !p->name || !p->name[0] || strlen(p->name) >= SL_ID_NAME_MAX)
        return SL_ERR_INVALID;
    char today[11];
    today_str(today);
    struct sl_id_info info;
    sl_status st = sl_id_check(p->id_type, p->number, today, why, &info);
    if (st != SL_OK)
        return st;
    char blind[65];
    if ((st = sl__id_blind(k, info.type, info.normalised, blind)) != SL_OK)
        return st;
    uint8_t *num_ct = NULL, *name_ct = NULL, *former_ct = NULL, *photo_ct = NULL, *tmpl_ct = NULL;
    size_t num_n = 0, name_n = 0, former_n = 0, photo_n = 0, tmpl_n = 0;
    st = seal_field(k, blind, "number", info.normalised, strlen(info.normalised), &num_ct, &num_n);
    if (st == SL_OK)
        st = seal_field(k, blind, "name", p->name, strlen(p->name), &name_ct, &name_n);
    if (st == SL_OK && p->former_names && p->former_names[0])
        st = seal_field(k, blind, "former", p->former_names, strlen(p->former_names), &former_ct, &former_n);
    if (st == SL_OK && p->photo && p->photo_n)
        st = seal_field(k, blind, "photo", p->photo, p->photo_n, &photo_ct, &photo_n);
    if (st == SL_OK && p->tmpl && p->tmpl_dim)
        st = seal_field(k, blind, "template", p->tmpl, p->tmpl_dim * sizeof(float), &tmpl_ct, &tmpl_n);
    char birth[32] = "", sex[2] = { info.sex, 0 };
    if (info.birth_year)
        snprintf(birth, sizeof birth, "%04d-%02d-%02d", info.birth_year,
                 info.birth_month, info.birth_day);
    int64_t pid = 0;
    if (st == SL_OK) {
        sl_rows *r = NULL;
        st = sl__tx_query(tx,
            "INSERT INTO id_person (id_type, blind, number_sealed, name_sealed, former_sealed,"
            " sex, birth_date, valid_from, valid_to, status, photo_sealed, template_sealed, created_ms)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id_type, blind) DO NOTHING RETURNING id",
            SL_ARGS(SL_INT(info.type), SL_TEXT(blind), SL_BLOB(num_ct, num_n),
                    SL_BLOB(name_ct, name_n),
                    former_ct ? SL_BLOB(former_ct, former_n) : SL_NULL,
                    SL_TEXT(info.sex ? sex : NULL), SL_TEXT(birth[0] ? birth : NULL),
                    SL_TEXT(p->valid_from), SL_TEXT(p->valid_to),
                    SL_INT(p->status ? p->status : SL_PERSON_ACTIVE),
                    photo_ct ? SL_BLOB(photo_ct, photo_n) : SL_NULL,
                    tmpl_ct ? SL_BLOB(tmpl_ct, tmpl_n) : SL_NULL,
                    SL_INT(sl__now_ms())), &r);
        if (st == SL_OK) {
            if (sl__rows_count(r) == 0)
                st = SL_ERR_ID_PERSON_EXISTS;
            else
                pid = sl__rows_int(r, 0, 0);
        }
        sl__rows_free(r);
    }
    sl__free(num_ct); sl__free(name_ct); sl__free(former_ct); sl__free(photo_ct); sl__free(tmpl_ct);
    if (st == SL_OK && au) {
        char masked[SL_ID_MAX];
        uint8_t idx[SL_CRYPTO_HASH_BYTES];
        sl_id_mask(info.normalised, masked);
        st = sl__hex_decode(idx, sizeof idx, blind);
        if (st == SL_OK)
            st = sl__id_audit(tx, k, au, "person", pid, masked, idx, NULL, "ok");
    }
    if (st == SL_OK && id)
        *id = pid;
    return st;
}

struct add_ctx {
    const sl_keyring *k; const struct sl_person_new *p;
    const struct sl_acct_audit *au; const char **why; int64_t id;
};
static sl_status add_fn(sl_tx *tx, void *c)
{
    struct add_ctx *x = c;
    x->id = 0;
    return sl__person_add_tx(tx, x->k, x->p, x->au, x->why, &x->id);
}
sl_status sl__person_add(sl_store *s, const sl_keyring *k,
                         const struct sl_person_new *p,
                         const struct sl_acct_audit *au,
                         const char **why, int64_t *id)
{
    struct add_ctx x = { k, p, au, why, 0 };
    sl_status st = sl__store_run(s, add_fn, &x);
    if (st == SL_OK && id)
        *id = x.id;
    return st;
}

#define PERSON_COLS "id, id_type, blind, number_sealed, name_sealed, former_sealed, sex," \
    " birth_date, valid_from, valid_to, status, photo_sealed IS NOT NULL," \
    " template_sealed IS NOT NULL, created_ms"

static sl_status fill_person(const sl_keyring *k, sl_rows *r, bool full,
                             struct sl_person *out)
{
    memset(out, 0, sizeof *out);
    out->id = sl__rows_int(r, 0, 0);
    out->id_type = (enum sl_id_type)sl__rows_int(r, 0, 1);
    const char *blind = sl__rows_text(r, 0, 2);
    const char *what[3] = { "number", "name", "former" };
    char *dst[3] = { out->number, out->name, out->former_names };
    size_t cap[3] = { sizeof out->number, sizeof out->name, sizeof out->former_names };
    for (int i = 0; i < 3; i++) {
        size_t ctn = 0;
        const void *ct = sl__rows_blob(r, 0, (size_t)(3 + i), &ctn);
        if (!ct)
            continue;
        uint8_t *pt = NULL;
        size_t n = 0;
        sl_status st = open_field(k, blind, what[i], ct, ctn, &pt, &n);
        if (st != SL_OK)
            return st;
        if (n >= cap[i])
            n = cap[i] - 1;
        memcpy(dst[i], pt, n);
        dst[i][n] = 0;
        memset(pt, 0, n);
        sl__free(pt);
    }
    const char *t;
    if ((t = sl__rows_text(r, 0, 6)))
        out->sex = t[0];
    if ((t = sl__rows_text(r, 0, 7)))
        snprintf(out->birth_date, sizeof out->birth_date, "%s", t);
    if ((t = sl__rows_text(r, 0, 8)))
        snprintf(out->valid_from, sizeof out->valid_from, "%s", t);
    if ((t = sl__rows_text(r, 0, 9)))
        snprintf(out->valid_to, sizeof out->valid_to, "%s", t);
    out->status = (enum sl_person_status)sl__rows_int(r, 0, 10);
    out->has_photo = sl__rows_int(r, 0, 11) != 0;
    out->has_template = sl__rows_int(r, 0, 12) != 0;
    out->created_ms = sl__rows_int(r, 0, 13);
    if (!full) {
        char m[SL_ID_MAX], nm[SL_ID_NAME_MAX];
        sl_id_mask(out->number, m);
        memcpy(out->number, m, sizeof m);
        mask_name(out->name, nm, sizeof nm);
        memcpy(out->name, nm, sizeof nm);
        out->former_names[0] = 0;
        out->masked = true;
    }
    return SL_OK;
}

static sl_status audit_read(sl_tx *tx, const sl_keyring *k, const struct sl_acct_audit *au,
                            const struct sl_person *p, const char *blind, const char *outcome)
{
    if (!au)
        return SL_OK;
    char masked[SL_ID_MAX];
    if (p->masked)
        snprintf(masked, sizeof masked, "%s", p->number);
    else
        sl_id_mask(p->number, masked);
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__hex_decode(idx, sizeof idx, blind);
    if (st != SL_OK)
        return st;
    return sl__id_audit(tx, k, au, "person", p->id, masked, idx, NULL, outcome);
}

sl_status sl__person_find_tx(sl_tx *tx, const sl_keyring *k,
                             enum sl_id_type t, const char *number, bool full,
                             const struct sl_acct_audit *au,
                             struct sl_person *out)
{
    char today[11];
    today_str(today);
    struct sl_id_info info;
    sl_status st = sl_id_check(t, number, today, NULL, &info);
    if (st != SL_OK)
        return st;
    char blind[65];
    if ((st = sl__id_blind(k, info.type, info.normalised, blind)) != SL_OK)
        return st;
    sl_rows *r = NULL;
    st = sl__tx_query(tx, "SELECT " PERSON_COLS " FROM id_person WHERE blind = ?",
                      SL_ARGS(SL_TEXT(blind)), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_ID_PERSON_UNKNOWN;
    if (st == SL_OK)
        st = fill_person(k, r, full, out);
    sl__rows_free(r);
    if (st == SL_OK)
        st = audit_read(tx, k, au, out, blind, "ok");
    return st;
}

sl_status sl__person_real_name_tx(sl_tx *tx, const sl_keyring *k,
                                  enum sl_id_type t, const char *number,
                                  const char *name, bool full,
                                  const struct sl_acct_audit *au,
                                  struct sl_person *out)
{
    if (!name)
        return SL_ERR_INVALID;
    struct sl_person p;
    sl_status st = sl__person_find_tx(tx, k, t, number, true, NULL, &p);
    if (st != SL_OK)
        return st;
    char today[11];
    today_str(today);
    if (strcmp(p.name, name) != 0)
        st = SL_ERR_ID_NAME_MISMATCH;
    else if (p.status != SL_PERSON_ACTIVE)
        st = SL_ERR_ID_PERSON_STATUS;
    else if (p.valid_to[0] && strcmp(p.valid_to, today) < 0)
        st = SL_ERR_ID_DOC_EXPIRED;
    char blind[65];
    sl_status st2 = sl__id_blind(k, p.id_type, p.number, blind);
    if (!full) {
        char m[SL_ID_MAX], nm[SL_ID_NAME_MAX];
        sl_id_mask(p.number, m);
        memcpy(p.number, m, sizeof m);
        mask_name(p.name, nm, sizeof nm);
        memcpy(p.name, nm, sizeof nm);
        p.former_names[0] = 0;
        p.masked = true;
    }
    if (st2 == SL_OK)
        st2 = audit_read(tx, k, au, &p, blind, st == SL_OK ? "ok" : sl_status_name((int)st));
    *out = p;
    return st2 != SL_OK ? st2 : st;
}

struct find_ctx {
    const sl_keyring *k; enum sl_id_type t; const char *number; bool full;
    const struct sl_acct_audit *au; struct sl_person *out;
};
static sl_status find_fn(sl_tx *tx, void *c)
{
    struct find_ctx *x = c;
    return sl__person_find_tx(tx, x->k, x->t, x->number, x->full, x->au, x->out);
}
sl_status sl__person_find(sl_store *s, const sl_keyring *k,
                          enum sl_id_type t, const char *number, bool full,
                          const struct sl_acct_audit *au,
                          struct sl_person *out)
{
    struct find_ctx x = { k, t, number, full, au, out };
    return sl__store_run(s, find_fn, &x);
}

sl_status sl__person_get_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                            bool full, const struct sl_acct_audit *au,
                            struct sl_person *out)
{
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT " PERSON_COLS " FROM id_person WHERE id = ?",
                                SL_ARGS(SL_INT(id)), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_ID_PERSON_UNKNOWN;
    char blind[65] = "";
    if (st == SL_OK) {
        snprintf(blind, sizeof blind, "%s", sl__rows_text(r, 0, 2));
        st = fill_person(k, r, full, out);
    }
    sl__rows_free(r);
    if (st == SL_OK)
        st = audit_read(tx, k, au, out, blind, "ok");
    return st;
}

static sl_status get_blob(sl_tx *tx, const sl_keyring *k, int64_t id,
                          const char *col, const char *what, uint8_t **pt, size_t *n)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT blind, %s FROM id_person WHERE id = ?", col);
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, sql, SL_ARGS(SL_INT(id)), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_ID_PERSON_UNKNOWN;
    if (st == SL_OK) {
        size_t ctn = 0;
        const void *ct = sl__rows_blob(r, 0, 1, &ctn);
        st = ct ? open_field(k, sl__rows_text(r, 0, 0), what, ct, ctn, pt, n)
                : SL_ERR_NOT_FOUND;
    }
    sl__rows_free(r);
    return st;
}

sl_status sl__person_template_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                                 float **tmpl, size_t *dim)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    sl_status st = get_blob(tx, k, id, "template_sealed", "template", &pt, &n);
    if (st != SL_OK)
        return st;
    if (n == 0 || n % sizeof(float)) {
        sl__free(pt);
        return SL_ERR_CORRUPT;
    }
    *tmpl = (float *)(void *)pt;   /* sl__malloc'd, suitably aligned */
    *dim = n / sizeof(float);
    return SL_OK;
}

sl_status sl__person_photo_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                              uint8_t **photo, size_t *n)
{
    return get_blob(tx, k, id, "photo_sealed", "photo", photo, n);
}

sl_status sl__person_set_face_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                                 const void *photo, size_t photo_n,
                                 const float *tmpl, size_t dim,
                                 const struct sl_acct_audit *au)
{
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT blind FROM id_person WHERE id = ?",
                                SL_ARGS(SL_INT(id)), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_ID_PERSON_UNKNOWN;
    char blind[65] = "";
    if (st == SL_OK)
        snprintf(blind, sizeof blind, "%s", sl__rows_text(r, 0, 0));
    sl__rows_free(r);
    uint8_t *ct = NULL;
    size_t ctn = 0;
    if (st == SL_OK && photo && photo_n) {
        st = seal_field(k, blind, "photo", photo, photo_n, &ct, &ctn);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "UPDATE id_person SET photo_sealed = ? WHERE id = ?",
                             SL_ARGS(SL_BLOB(ct, ctn), SL_INT(id)), NULL);
        sl__free(ct);
    }
    if (st == SL_OK && tmpl && dim) {
        st = seal_field(k, blind, "template", tmpl, dim * sizeof(float), &ct, &ctn);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "UPDATE id_person SET template_sealed = ? WHERE id = ?",
                             SL_ARGS(SL_BLOB(ct, ctn), SL_INT(id)), NULL);
        sl__free(ct);
    }
    if (st == SL_OK && au) {
        uint8_t idx[SL_CRYPTO_HASH_BYTES];
        st = sl__hex_decode(idx, sizeof idx, blind);
        if (st == SL_OK)
            st = sl__id_audit(tx, k, au, "person", id, NULL, idx, NULL, "ok");
    }
    return st;
}

sl_status sl__person_face_count_tx(sl_tx *tx, int64_t *n)
{
    return sl__tx_query_int(tx, "SELECT count(*) FROM id_person WHERE photo_sealed IS NOT NULL"
                            " OR template_sealed IS NOT NULL", NULL, 0, n);
}

sl_status sl__person_face_report_tx(sl_tx *tx, json_t **out)
{
    int64_t n = 0;
    sl_status st = sl__person_face_count_tx(tx, &n);
    if (st != SL_OK)
        return st;
    bool warn = n >= SL_ID_FACE_COUNT_WARN;
    json_t *o = json_pack("{s:I,s:i,s:i,s:b}", "persons_with_face_data", (json_int_t)n,
                          "warn_at", SL_ID_FACE_COUNT_WARN, "filing_at", SL_ID_FACE_COUNT_FILING,
                          "warning", warn);
    if (o && warn)
        json_object_set_new(o, "message", json_pack("{s:s,s:s}",
            "zh", "存储人脸信息的人数已接近10万，达到10万后须在30个工作日内向网信部门备案",
            "en", "persons with stored face data approach 100,000: a filing is due within "
                  "30 working days of reaching it"));
    if (!o)
        return SL_ERR_NOMEM;
    *out = o;
    return SL_OK;
}

static sl_status src_find(void *ctx, sl_tx *tx, const sl_keyring *k,
                          enum sl_id_type t, const char *number, bool full,
                          const struct sl_acct_audit *au, struct sl_person *out)
{
    (void)ctx;
    return sl__person_find_tx(tx, k, t, number, full, au, out);
}
static sl_status src_tmpl(void *ctx, sl_tx *tx, const sl_keyring *k, int64_t id,
                          float **tmpl, size_t *dim)
{
    (void)ctx;
    return sl__person_template_tx(tx, k, id, tmpl, dim);
}
const struct sl_id_source *sl__id_source_store(void)
{
    static const struct sl_id_source src = { "store", NULL, src_find, src_tmpl };
    return &src;
}

int sl__id_age(const char *birth, const char *today)
{
    int by, bm, bd, ty, tm, td;
    if (!birth || !today || sscanf(birth, "%4d-%2d-%2d", &by, &bm, &bd) != 3 ||
        sscanf(today, "%4d-%2d-%2d", &ty, &tm, &td) != 3)
        return -1;
    int age = ty - by;
    if (tm < bm || (tm == bm && td < bd))
        age--;
    return age < 0 ? -1 : age;
}
