/*
 * routes_registry.c -- the population registry over HTTP and the window's
 * first visit (issue 11; seed 000 情形一). Library: src/id/id.h (registry,
 * verification results) and src/id/enrol.h (photo -> template).
 *
 *   POST /v1/registry/persons          admin: add a person with a registry
 *                                      photo (checked number, one usable
 *                                      face) -> 201 {"person_id"}
 *   GET  /v1/registry/persons/{id}     admin, clerk: the record, masked;
 *                                      ?full=1 unmasks for an admin
 *   POST /v1/registry/persons/lookup   admin, clerk: the same by document
 *                                      (the number travels in the body,
 *                                      never in a URL or an access log)
 *   GET  /v1/registry/face-report      admin: persons whose face data is
 *                                      stored (warning from 90,000)
 *   POST /v1/window/first-visit        window device: live capture + the
 *                                      scanned identity code -> person ->
 *                                      registry template -> 1:1 -> a
 *                                      verification result the clerk's
 *                                      console consumes
 *
 * Masking: a clerk serves the person standing at the window with the
 * document in hand and needs only to recognise the record (first
 * character of the name, first/last four of the number); an admin
 * maintains the registry and may ask for the full record (?full=1). Every
 * read appends an audit record (with the person index, so GET
 * /v1/audit?person= finds it) in the same transaction as the read.
 */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "audit/audit.h"
#include "crypto/crypto.h"
#include "face/face_json.h"
#include "http/http_int.h"
#include "id/enrol.h"
#include "id/id.h"
#include "id/idcode.h"
#include "shualian/image.h"
#include "store/store.h"

#define FIRST_VISIT_MATTER "first_visit"

static const sl_keyring *keys(const struct sl_req *r) { return sl__acct_keyring(r->srv->o.acct); }
static sl_store *store(const struct sl_req *r) { return sl__acct_store(r->srv->o.acct); }

static json_t *iso(int64_t ms)
{
    char t[32];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

static void audit_of(const struct sl_req *r, struct sl_acct_audit *au)
{
    memset(au, 0, sizeof *au);
    au->actor_kind = r->who.kind == SL_PRIN_STAFF ? "staff"
                   : r->who.kind == SL_PRIN_DEVICE ? "device" : "anonymous";
    au->actor_id = r->who.kind != SL_PRIN_NONE ? r->who.name : r->ip;
    au->action = r->route->audit_action;
    au->request_id = r->id;
}

static sl_status b64_field(struct sl_req *r, const char *key, uint8_t **out, size_t *n)
{
    json_t *v = json_object_get(r->json, key);
    const char *s = json_string_value(v);
    size_t sn = json_string_length(v), cap = sn / 4 * 3 + 3, len = 0;
    uint8_t *buf = sl__malloc(cap);
    if (!buf)
        return SL_ERR_NOMEM;
    if (sodium_base642bin(buf, cap, s, sn, " \r\n", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        sl__free(buf);
        snprintf(r->detail, sizeof r->detail, "/%s: not base64 (standard alphabet)", key);
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    *out = buf;
    *n = len;
    return SL_OK;
}

static const char *status_name(enum sl_person_status s)
{
    return s == SL_PERSON_DECEASED ? "deceased" : s == SL_PERSON_CANCELLED ? "cancelled" : "active";
}

static enum sl_person_status status_parse(const char *s)
{
    if (!s || strcmp(s, "active") == 0)
        return SL_PERSON_ACTIVE;
    if (strcmp(s, "deceased") == 0)
        return SL_PERSON_DECEASED;
    if (strcmp(s, "cancelled") == 0)
        return SL_PERSON_CANCELLED;
    return 0;
}

static json_t *person_json(const struct sl_person *p)
{
    char sex[2] = { p->sex, 0 };
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:o}",
                          "person_id", (json_int_t)p->id, "id_type", sl_id_type_name(p->id_type),
                          "id_number", p->number, "name", p->name, "sex", sex,
                          "status", status_name(p->status), "masked", p->masked,
                          "has_photo", p->has_photo, "has_template", p->has_template,
                          "created_at", iso(p->created_ms));
    if (!o)
        return NULL;
    json_object_set_new(o, "birth_date", p->birth_date[0] ? json_string(p->birth_date) : json_null());
    json_object_set_new(o, "valid_from", p->valid_from[0] ? json_string(p->valid_from) : json_null());
    json_object_set_new(o, "valid_to", p->valid_to[0] ? json_string(p->valid_to) : json_null());
    if (!p->masked)
        json_object_set_new(o, "former_names", json_string(p->former_names));
    return o;
}

/* The failed number check, in the problem's detail. */
static void number_detail(struct sl_req *r, const char *why)
{
    snprintf(r->detail, sizeof r->detail, "/id_number: the %s check failed",
             why ? why : "format");
}

/* ============================ Add ======================================= */

/* A refused photo answers 422 with its reasons (like hall captures). */
static sl_status photo_refusal(struct sl_req *r, sl_status st, const struct sl_id_enrol *e)
{
    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:o}", "type", "urn:shualian:problem:photo",
                          "title", sl_status_str(st), "status", 422, "code", sl_status_name(st),
                          "request_id", r->id, "reasons", sl__id_enrol_reasons_json(e));
    if (o) {
        char type[96];
        snprintf(type, sizeof type, "urn:shualian:problem:%s", sl_status_name(st));
        json_object_set_new(o, "type", json_string(type));
        json_object_set_new(o, "detail", json_string(st == SL_ERR_ID_PHOTO_NO_FACE
                            ? "/photo: no face found; send a frontal photo of the person"
                            : "/photo: not usable for comparisons (see reasons)"));
    }
    r->code = st;
    return sl__reply_json(r, 422, o);
}

/* Reads the optional date field key ("YYYY-MM-DD") into out; false (detail
 * set) if present but malformed. */
static bool date_field(struct sl_req *r, const char *key, const char **out)
{
    *out = json_string_value(json_object_get(r->json, key));
    if (!*out)
        return true;
    int y, m, d;
    char tail;
    if (strlen(*out) == 10 && sscanf(*out, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
        m >= 1 && m <= 12 && d >= 1 && d <= 31)
        return true;
    snprintf(r->detail, sizeof r->detail, "/%s: write the date as YYYY-MM-DD", key);
    return false;
}

static sl_status sl__h_registry_add(struct sl_req *r)
{
    const char *tn = json_string_value(json_object_get(r->json, "id_type"));
    enum sl_id_type t = sl_id_type_parse(tn);
    if (!t) {
        snprintf(r->detail, sizeof r->detail, "/id_type: one of resident_id, passport, "
                 "hk_macao_permit, taiwan_permit, foreign_permanent_resident");
        return SL_ERR_ID_TYPE;
    }
    const char *number = json_string_value(json_object_get(r->json, "id_number"));
    const char *name = json_string_value(json_object_get(r->json, "name"));
    const char *sex = json_string_value(json_object_get(r->json, "sex"));
    const char *birth = NULL, *vfrom = NULL, *vto = NULL;
    if (!date_field(r, "birth_date", &birth) || !date_field(r, "valid_from", &vfrom) ||
        !date_field(r, "valid_to", &vto))
        return SL_ERR_HTTP_FIELD_VALUE;
    enum sl_person_status ps = status_parse(json_string_value(json_object_get(r->json, "status")));
    /* the number first: a bad one is refused before the photo is decoded */
    char today[32];
    sl_time_iso8601(today, sizeof today, sl__now_ms());
    today[10] = 0;
    const char *why = NULL;
    struct sl_id_info info;
    sl_status st = sl_id_check(t, number, today, &why, &info);
    if (st != SL_OK) {
        number_detail(r, why);
        return st;
    }
    /* what the caller states must agree with what the number encodes */
    if (birth && info.birth_year) {
        char b[16];
        snprintf(b, sizeof b, "%04d-%02d-%02d", info.birth_year, info.birth_month, info.birth_day);
        if (strcmp(b, birth) != 0) {
            snprintf(r->detail, sizeof r->detail,
                     "/birth_date: the number encodes another birth date");
            return SL_ERR_ID_BIRTH_DATE;
        }
    }
    if (sex && info.sex && sex[0] != info.sex) {
        snprintf(r->detail, sizeof r->detail, "/sex: the number's sequence encodes %c", info.sex);
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    if (!r->srv->pool) {
        snprintf(r->detail, sizeof r->detail, "the server was started without face models");
        return SL_ERR_HTTP_UNAVAILABLE;
    }
    uint8_t *photo = NULL;
    size_t pn = 0;
    if ((st = b64_field(r, "photo", &photo, &pn)) != SL_OK)
        return st;
    struct sl_person_new p = {
        .id_type = t, .number = number, .name = name,
        .former_names = json_string_value(json_object_get(r->json, "former_names")),
        .valid_from = vfrom, .valid_to = vto, .status = ps, .photo = photo, .photo_n = pn,
    };
    struct sl_acct_audit au;
    audit_of(r, &au);
    struct sl_id_enrol *e = sl__malloc(sizeof *e);
    sl_face_session *s = NULL;
    if (!e)
        st = SL_ERR_NOMEM;
    if (st == SL_OK)
        st = sl__pool_take(r->srv->pool, r->srv->metrics, &s);
    int64_t id = 0;
    if (st == SL_OK) {
        st = sl__person_enrol(store(r), keys(r), s, &p, &au, &why, e, &id);
        sl__pool_give(r->srv->pool, s);
    }
    sl__free(photo);
    if (st == SL_OK) {
        r->audited = true;
        snprintf(r->audit_object_type, sizeof r->audit_object_type, "person");
        snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)id);
        char masked[SL_ID_MAX];
        sl_id_mask(info.normalised, masked);
        json_t *o = json_pack("{s:I,s:s,s:s,s:b,s:b,s:o}", "person_id", (json_int_t)id,
                              "id_type", sl_id_type_name(t), "id_number", masked,
                              "converted", info.converted, "template", 1,
                              "quality", sl__id_enrol_reasons_json(e));
        sl__free(e);
        return sl__reply_json(r, 201, o);
    }
    if (st == SL_ERR_ID_PHOTO_NO_FACE || st == SL_ERR_ID_PHOTO_QUALITY) {
        st = photo_refusal(r, st, e);
        sl__free(e);
        return st;
    }
    sl__free(e);
    if (SL_STATUS_PRIMARY(st) == SL_ERR_INVALID && st != SL_ERR_NOMEM && !r->detail[0]) {
        if (st == SL_ERR_INVALID)
            snprintf(r->detail, sizeof r->detail, "/name: give the person's name (1..127 bytes)");
        else if ((st >> 8) >= 192 && (st >> 8) <= 198)
            number_detail(r, why);
        else
            snprintf(r->detail, sizeof r->detail, "/photo: %s", sl_status_str(st));
    }
    return st;
}

/* ============================ Read ====================================== */

struct read_ctx {
    struct sl_req *r;
    int64_t id;
    enum sl_id_type t;
    const char *number;
    bool full;
    struct sl_person p;
};

static sl_status read_tx(sl_tx *tx, void *vctx)
{
    struct read_ctx *c = vctx;
    struct sl_acct_audit au;
    audit_of(c->r, &au);
    au.outcome = c->full ? "ok_full" : "ok_masked";
    if (c->number)
        return sl__person_find_tx(tx, keys(c->r), c->t, c->number, c->full, &au, &c->p);
    return sl__person_get_tx(tx, keys(c->r), c->id, c->full, &au, &c->p);
}

static bool want_full(struct sl_req *r, const char *q)
{
    return q && (strcmp(q, "1") == 0 || strcmp(q, "true") == 0) &&
           r->who.kind == SL_PRIN_STAFF && (r->who.bits & SL_ROLE_ADMIN);
}

static sl_status reply_person(struct sl_req *r, struct read_ctx *c)
{
    sl_status st = sl__store_run(store(r), read_tx, c);
    if (st != SL_OK)
        return st;
    r->audited = true;
    return sl__reply_json(r, 200, person_json(&c->p));
}

static sl_status sl__h_registry_get(struct sl_req *r)
{
    const char *ids = sl__req_param(r, "id");
    char *end = NULL;
    long long id = ids ? strtoll(ids, &end, 10) : 0;
    if (!ids || !*ids || *end || id <= 0) {
        snprintf(r->detail, sizeof r->detail, "{id}: a person_id (positive integer)");
        return SL_ERR_HTTP_PARAM;
    }
    struct read_ctx c = { .r = r, .id = id, .full = want_full(r, sl__req_query(r, "full")) };
    return reply_person(r, &c);
}

static sl_status sl__h_registry_lookup(struct sl_req *r)
{
    enum sl_id_type t = sl_id_type_parse(json_string_value(json_object_get(r->json, "id_type")));
    if (!t) {
        snprintf(r->detail, sizeof r->detail, "/id_type: one of resident_id, passport, "
                 "hk_macao_permit, taiwan_permit, foreign_permanent_resident");
        return SL_ERR_ID_TYPE;
    }
    const char *number = json_string_value(json_object_get(r->json, "id_number"));
    int64_t retry = 0;
    sl_status st = sl__http_rate_take_id(r, number, &retry);
    if (st == SL_ERR_HTTP_RATE)
        return sl__reply_problem(r, st, "too many look-ups of this number",
                                 (unsigned)((retry + 999) / 1000));
    if (st != SL_OK)
        return st;
    json_t *fv = json_object_get(r->json, "full");
    struct read_ctx c = { .r = r, .t = t, .number = number,
                          .full = json_is_true(fv) && want_full(r, "1") };
    st = reply_person(r, &c);
    if (st != SL_OK && SL_STATUS_PRIMARY(st) == SL_ERR_INVALID && !r->detail[0]) {
        const char *why = NULL;
        struct sl_id_info info;
        char today[32];
        sl_time_iso8601(today, sizeof today, sl__now_ms());
        today[10] = 0;
        if (sl_id_check(t, number, today, &why, &info) != SL_OK)
            number_detail(r, why);
    }
    return st;
}

/* ============================ Face-data report ========================== */

static sl_status report_tx(sl_tx *tx, void *vctx)
{
    return sl__person_face_report_tx(tx, (json_t **)vctx);
}

static sl_status sl__h_registry_face_report(struct sl_req *r)
{
    json_t *o = NULL;
    sl_status st = sl__store_run_read(store(r), report_tx, &o);
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, o);
}

static sl_status count_tx(sl_tx *tx, void *vctx)
{
    return sl__person_face_count_tx(tx, (int64_t *)vctx);
}

sl_status sl__registry_metrics(const sl_http *h, struct sl_buf *b)
{
    int64_t n = -1;
    if (!h->o.acct || sl__store_run_read(sl__acct_store(h->o.acct), count_tx, &n) != SL_OK)
        return SL_OK;   /* no gauge rather than a failed scrape */
    return sl_buf_appendf(b,
        "# HELP shualian_registry_persons_with_face_data Persons whose face data (photo or "
        "template) the registry stores; a filing is due within 30 working days of 100000.\n"
        "# TYPE shualian_registry_persons_with_face_data gauge\n"
        "shualian_registry_persons_with_face_data %lld\n"
        "# HELP shualian_registry_face_data_warn_at The count from which the report warns.\n"
        "# TYPE shualian_registry_face_data_warn_at gauge\n"
        "shualian_registry_face_data_warn_at %d\n",
        (long long)n, SL_ID_FACE_COUNT_WARN);
}

/* ============================ Window first visit ======================== */

/* A refusal reason {"code","zh","en"}. */
static json_t *reason(const char *code, const char *zh, const char *en)
{
    return json_pack("{s:s,s:s,s:s}", "code", code, "zh", zh, "en", en);
}

struct fv_ctx {
    struct sl_req *r;
    const struct sl_idcode *c;
    int64_t now;
    char subject[2 * SL_IDCODE_SUBJECT_LEN + 1];
    /* out */
    int64_t person;          /* 0: the code names nobody in the registry  */
    struct sl_person p;
    float *tmpl;
    size_t dim;
    sl_status look;          /* person/template outcome                   */
};

/* Takes the code (single use on every node), finds the person and the
 * registry template; the look-up is audited with the person index. */
static sl_status fv_take_tx(sl_tx *tx, void *vctx)
{
    struct fv_ctx *v = vctx;
    v->person = 0;
    v->look = SL_OK;
    sl_status st = sl__store_once(tx, "idcode", v->c->nonce, SL_IDCODE_NONCE_LEN, v->now,
                                  v->c->expires_ms + 60000);
    if (st == SL_ERR_STORE_USED)
        return SL_ERR_IDCODE_USED;
    if (st != SL_OK)
        return st;
    sl_rows *rows = NULL;
    sl_val a[] = { SL_INT(v->c->hall_id), SL_TEXT(v->subject) };
    st = sl__tx_query(tx, "SELECT person_ref FROM idcode_subject WHERE hall_id = ? AND subject = ?",
                      a, 2, &rows);
    if (st != SL_OK)
        return st;
    const char *ref = sl__rows_count(rows) ? sl__rows_text(rows, 0, 0) : NULL;
    char *end = NULL;
    long long pid = ref ? strtoll(ref, &end, 10) : 0;
    if (ref && *end)
        pid = 0;
    sl__rows_free(rows);
    struct sl_acct_audit au;
    audit_of(v->r, &au);
    au.purpose = FIRST_VISIT_MATTER;
    if (pid <= 0) {
        v->look = SL_ERR_ID_PERSON_UNKNOWN;
        struct sl_audit_rec rec = {
            .actor_kind = au.actor_kind, .actor_id = au.actor_id, .action = au.action,
            .object_type = "idcode", .object_id = v->subject, .purpose = au.purpose,
            .outcome = "id_person_unknown", .request_id = v->r->id, .at_ms = v->now,
        };
        return sl__audit_append(tx, keys(v->r), &rec, NULL);
    }
    st = sl__person_get_tx(tx, keys(v->r), pid, false, &au, &v->p);
    if (st == SL_ERR_ID_PERSON_UNKNOWN) {
        v->look = st;
        return SL_OK;
    }
    if (st != SL_OK)
        return st;
    v->person = pid;
    if (v->p.status != SL_PERSON_ACTIVE) {
        v->look = SL_ERR_ID_PERSON_STATUS;
        return SL_OK;
    }
    st = sl__person_template_tx(tx, keys(v->r), pid, &v->tmpl, &v->dim);
    if (st == SL_ERR_NOT_FOUND) {
        v->look = SL_ERR_ID_NO_TEMPLATE;
        return SL_OK;
    }
    return st;
}

struct fv_rec {
    struct sl_req *r;
    int64_t person;
    const char *matter, *reference;
    bool passed;
    double score, far;
    const char *result;
    int64_t id, expires;
};

static sl_status fv_record_tx(sl_tx *tx, void *vctx)
{
    struct fv_rec *f = vctx;
    struct sl_verification_new vn = {
        .person_id = f->person, .matter = f->matter, .reference = f->reference,
        .channel = "window", .device = f->r->who.name,
        .levels = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_DOCUMENT, .method = SL_METHOD_ID_CODE,
        .vouched_by = f->r->who.name,
    };
    sl_status st = sl__verification_create_tx(tx, &vn, &f->id);
    if (st == SL_OK)
        st = sl__verification_finish_tx(tx, keys(f->r), f->id,
                                        f->passed ? SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_DOCUMENT
                                                  : (f->person ? SL_LEVEL_REAL_NAME : 0),
                                        f->passed, f->score, f->far, f->result);
    struct sl_verification got;
    if (st == SL_OK && sl__verification_get_tx(tx, f->id, &got) == SL_OK)
        f->expires = got.expires_ms;
    return st;
}

/* The capture's main face: embedding and the verify preset's reasons.
 * *found = 0 when there is no face. */
static sl_status fv_capture(struct sl_req *r, float emb[SL_FACE_EMBED_DIM], size_t *found,
                            json_t **quality)
{
    uint8_t *bytes = NULL;
    size_t n = 0;
    sl_status st = b64_field(r, "capture", &bytes, &n);
    if (st != SL_OK)
        return st;
    struct sl_image *img = NULL;
    st = sl_image_decode(bytes, n, NULL, 3, &img, NULL);
    sl__free(bytes);
    if (st != SL_OK) {
        snprintf(r->detail, sizeof r->detail, "/capture: %s", sl_status_str(st));
        return st;
    }
    sl_face_result *res = sl__calloc(1, sizeof *res);
    sl_face_session *s = NULL;
    if (!res)
        st = SL_ERR_NOMEM;
    if (st == SL_OK)
        st = sl__pool_take(r->srv->pool, r->srv->metrics, &s);
    size_t got = 0;
    *found = 0;
    if (st == SL_OK) {
        sl_face_config cfg = sl_face_config_default();
        st = sl_face_process(s, img, &cfg, SL_FACE_DO_EMBED | SL_FACE_DO_QUALITY |
                             SL_FACE_DO_POSE | SL_FACE_DO_EYES, res, 1, &got, found);
        sl__pool_give(r->srv->pool, s);
        if (st == SL_NO_FACE) {
            *found = got = 0;
            st = SL_OK;
        }
    }
    if (st == SL_OK) {
        sl_quality_meas m = *found ? sl_face_quality_meas(img, res, *found) : sl_quality_meas_empty();
        sl_quality_thresholds th = sl_quality_preset_verify();
        enum sl_quality_reason rs[SL_Q_REASON_MAX];
        size_t nr = sl_quality_check(rs, SL_ARRAY_LEN(rs), &m, &th);
        *quality = sl_quality_reasons_to_json(rs, SL_MIN(nr, SL_ARRAY_LEN(rs)));
        if (got && res->has_emb)
            memcpy(emb, res->emb, sizeof res->emb);
        else
            *found = 0;
    }
    sl__free(res);
    sl_image_free(img);
    return st;
}

static sl_status sl__h_first_visit(struct sl_req *r)
{
    if (!r->srv->pool || !r->srv->o.engine) {
        snprintf(r->detail, sizeof r->detail, "the server was started without face models: "
                 "verify the person by the document at the window");
        return SL_ERR_HTTP_UNAVAILABLE;
    }
    const char *matter = json_string_value(json_object_get(r->json, "matter"));
    const char *reference = json_string_value(json_object_get(r->json, "reference"));
    if (!matter)
        matter = FIRST_VISIT_MATTER;
    if (!reference)
        reference = "";
    sl_face_verify_opts vo = sl_face_verify_opts_default();
    json_t *farv = json_object_get(r->json, "far");
    if (farv) {
        char spec[48];
        snprintf(spec, sizeof spec, "far:%g", json_number_value(farv));
        if (sl_face_threshold_parse(spec, &vo.threshold) != SL_OK) {
            snprintf(r->detail, sizeof r->detail, "/far: a false-accept rate in (0, 0.1]");
            return SL_ERR_HTTP_FIELD_VALUE;
        }
    }
    /* the ID-photo calibration when the engine has one (registry photo vs
     * live capture), else the live table */
    const sl_calib *cal = sl_face_engine_calib(r->srv->o.engine);
    snprintf(vo.mode, sizeof vo.mode, "%s", cal && sl_calib_get(cal, "idphoto") ? "idphoto" : "live");

    /* 1. the code: signature, expiry, purpose, hall (cheap, before the face) */
    const char *text = json_string_value(json_object_get(r->json, "id_code"));
    int64_t now = sl__now_ms();
    struct sl_idcode code;
    sl_status st = sl__idcode_check(keys(r), text, strlen(text), now, SL_IDCODE_IDENTIFY, &code);
    if (st != SL_OK)
        return st;
    if ((int64_t)code.hall_id != r->who.hall_id) {
        snprintf(r->detail, sizeof r->detail, "the code was issued for hall %u, not this one",
                 (unsigned)code.hall_id);
        return SL_ERR_IDCODE_PURPOSE;
    }
    /* 2. the capture (before the code is used: a bad image costs no code) */
    float *emb = sl__malloc(SL_FACE_EMBED_DIM * sizeof *emb);
    if (!emb)
        return SL_ERR_NOMEM;
    size_t found = 0;
    json_t *quality = NULL;
    st = fv_capture(r, emb, &found, &quality);
    if (st != SL_OK) {
        sl__free(emb);
        return st;
    }
    /* 3. use the code once and find the person and the registry face */
    struct fv_ctx v = { .r = r, .c = &code, .now = now };
    sl__idcode_subject_hex(code.subject, v.subject);
    st = sl__store_run(store(r), fv_take_tx, &v);
    if (st != SL_OK) {
        sl__free(emb);
        json_decref(quality);
        return st;
    }
    r->audited = true;
    /* 4. 1:1 */
    json_t *reasons = json_array();
    bool passed = false;
    double score = 0, far = 0, threshold = 0;
    if (v.look == SL_ERR_ID_PERSON_UNKNOWN) {
        json_array_append_new(reasons, reason("id_person_unknown",
            "该身份码未关联登记人员，请出示身份证件办理",
            "the code names no registry person: show an identity document at the window"));
    } else if (v.look == SL_ERR_ID_PERSON_STATUS) {
        json_array_append_new(reasons, reason("id_person_status",
            "该人员登记状态不是正常（如已死亡或注销），不能办理",
            "the registry record is not active (deceased or cancelled): no matter can proceed"));
    } else if (v.look == SL_ERR_ID_NO_TEMPLATE) {
        json_array_append_new(reasons, reason("id_no_template",
            "登记库中没有此人的照片，请由窗口人员核验身份证件",
            "the registry holds no photo of this person: the clerk checks the identity document"));
    } else if (!found) {
        json_array_append_new(reasons, reason("no_face",
            "未检测到人脸，请正对摄像头重新拍摄",
            "no face in the capture: face the camera and capture again"));
    } else {
        sl_face_template *a = sl__malloc(sizeof *a), *b = sl__malloc(sizeof *b);
        sl_face_verdict *vd = sl__malloc(sizeof *vd);
        if (!a || !b || !vd)
            st = SL_ERR_NOMEM;
        if (st == SL_OK)
            st = sl__id_template_of(r->srv->o.engine, v.tmpl, v.dim, a);
        if (st == SL_OK)
            st = sl__id_template_of(r->srv->o.engine, emb, SL_FACE_EMBED_DIM, b);
        if (st == SL_OK)
            st = sl_face_verify_templates(r->srv->o.engine, a, b, &vo, vd);
        if (st == SL_OK) {
            passed = vd->decision.match;
            score = vd->decision.score;
            far = isfinite(vd->decision.far_estimate) ? vd->decision.far_estimate : 0;
            threshold = vd->decision.threshold;
            sl__metrics_verify(r->srv->metrics, passed ? "match" : "no_match");
            if (!passed)
                json_array_append_new(reasons, reason("id_face_mismatch",
                    "现场人脸与登记照片不一致，请由窗口人员核验身份证件",
                    "the face does not match the registry photo: the clerk checks the identity "
                    "document instead"));
        } else {
            sl__metrics_verify(r->srv->metrics, "error");
        }
        sl__free(a);
        sl__free(b);
        sl__free(vd);
    }
    if (v.tmpl) {
        sodium_memzero(v.tmpl, v.dim * sizeof(float));
        sl__free(v.tmpl);
    }
    sodium_memzero(emb, SL_FACE_EMBED_DIM * sizeof *emb);
    sl__free(emb);
    if (st != SL_OK) {
        json_decref(reasons);
        json_decref(quality);
        return st;
    }
    /* 5. the result the clerk's console consumes (signed, single use) */
    json_t *res = json_pack("{s:s,s:s,s:I,s:s,s:s,s:b,s:o,s:o,s:o,s:O}",
                            "kind", "first_visit", "method", "identity_code+face",
                            "person_id", (json_int_t)v.person, "matter", matter,
                            "reference", reference, "passed", passed,
                            "score", sl_json_real(score, 5), "far", sl_json_real(far, 6),
                            "threshold", sl_json_real(threshold, 5), "reasons", reasons);
    char *canon = res ? json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(res);
    struct fv_rec f = { .r = r, .person = v.person, .matter = matter, .reference = reference,
                        .passed = passed, .score = score, .far = far, .result = canon };
    st = canon ? sl__store_run(store(r), fv_record_tx, &f) : SL_ERR_NOMEM;
    free(canon);
    if (st != SL_OK) {
        json_decref(reasons);
        json_decref(quality);
        return st;
    }
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "verification");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)f.id);
    json_t *o = json_pack("{s:I,s:b,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}",
                          "id", (json_int_t)f.id, "passed", passed, "method", "identity_code+face",
                          "matter", matter, "reference", reference,
                          "score", sl_json_real(score, 5), "far", sl_json_real(far, 6),
                          "threshold", sl_json_real(threshold, 5), "reasons", reasons,
                          "quality", quality ? quality : json_array(),
                          "expires_at", iso(f.expires));
    if (o && v.person)
        json_object_set_new(o, "person", person_json(&v.p));
    else if (o)
        json_object_set_new(o, "person", json_null());
    if (o)
        json_object_set_new(o, "levels", json_pack("{s:b,s:b,s:b}", "real_name", v.person > 0 &&
                            v.look == SL_OK, "real_person", 0, "real_document", passed));
    return sl__reply_json(r, 200, o);
}

/* ============================ Schemas and rows ========================== */

static const struct sl_schema s_id_type = { .type = SL_S_STRING, .min_len = 1, .max_len = 32,
    .desc = "resident_id | passport | hk_macao_permit | taiwan_permit | "
            "foreign_permanent_resident" };
static const struct sl_schema s_id_number = { .type = SL_S_STRING, .min_len = 1, .max_len = 32,
    .desc = "the document number (a 15-digit resident number is converted to 18)" };
static const struct sl_schema s_name = { .type = SL_S_STRING, .min_len = 1, .max_len = 127 };
static const struct sl_schema s_former = { .type = SL_S_STRING, .max_len = 127,
    .desc = "曾用名, ';'-separated" };
static const char *const sexes[] = { "M", "F", NULL };
static const struct sl_schema s_sex = { .type = SL_S_STRING, .enums = sexes,
    .desc = "M or F (must agree with a resident number)" };
static const struct sl_schema s_date = { .type = SL_S_STRING, .min_len = 10, .max_len = 10,
    .format = "date", .desc = "YYYY-MM-DD" };
static const char *const statuses[] = { "active", "deceased", "cancelled", NULL };
static const struct sl_schema s_status = { .type = SL_S_STRING, .enums = statuses };
static const struct sl_schema s_photo = { .type = SL_S_STRING, .format = "byte", .min_len = 4,
    .max_len = (size_t)14 << 20, .desc = "registry photo, JPEG or PNG, base64 (one face)" };
static const struct sl_schema s_bool = { .type = SL_S_BOOL };
static const struct sl_schema s_any = { .type = SL_S_ANY };
static const struct sl_schema s_code = { .type = SL_S_STRING, .min_len = 1, .max_len = 512,
    .desc = "the identity code's scanned text SLID1.… (idcode.h)" };
static const struct sl_schema s_matter = { .type = SL_S_STRING, .min_len = 1, .max_len = 63,
    .desc = "the matter the result is for (default first_visit)" };
static const struct sl_schema s_reference = { .type = SL_S_STRING, .max_len = 127,
    .desc = "application or ticket the result is bound to (default \"\")" };
static const struct sl_schema s_far = { .type = SL_S_NUMBER, .min = 1e-7, .max = 0.1,
    .desc = "false-accept rate of the 1:1 (default 1e-3)" };

static const struct sl_field f_add[] = {
    { "id_type", &s_id_type, true }, { "id_number", &s_id_number, true },
    { "name", &s_name, true }, { "photo", &s_photo, true },
    { "former_names", &s_former, false }, { "sex", &s_sex, false },
    { "birth_date", &s_date, false }, { "valid_from", &s_date, false },
    { "valid_to", &s_date, false }, { "status", &s_status, false }, { NULL, NULL, false },
};
static const struct sl_schema s_add = { .type = SL_S_OBJECT, .fields = f_add };
static const struct sl_field f_lookup[] = {
    { "id_type", &s_id_type, true }, { "id_number", &s_id_number, true },
    { "full", &s_bool, false }, { NULL, NULL, false },
};
static const struct sl_schema s_lookup = { .type = SL_S_OBJECT, .fields = f_lookup };
static const struct sl_field f_fv[] = {
    { "capture", &s_photo, true }, { "id_code", &s_code, true },
    { "matter", &s_matter, false }, { "reference", &s_reference, false },
    { "far", &s_far, false }, { NULL, NULL, false },
};
static const struct sl_schema s_fv = { .type = SL_S_OBJECT, .fields = f_fv };

#define BODY_PHOTO (((size_t)14 << 20) + 8192)

const struct sl_route sl__registry_routes[] = {
    { "POST", "/v1/registry/persons", sl__h_registry_add, SL_ROLE_ADMIN | SL_R_ENGINE, BODY_PHOTO, NULL,
      "person.add", &s_add, &s_any, "add a person with a registry photo (checked number, one "
      "usable face)", "registry" },
    { "POST", "/v1/registry/persons/lookup", sl__h_registry_lookup, SL_ROLE_ADMIN | SL_ROLE_CLERK,
      4096, NULL, "person.read", &s_lookup, &s_any,
      "a person by document (masked; full for an admin asking full)", "registry" },
    { "GET", "/v1/registry/persons/{id}", sl__h_registry_get, SL_ROLE_ADMIN | SL_ROLE_CLERK, 0,
      NULL, "person.read", NULL, &s_any, "a person by person_id (masked; ?full=1 for an admin)",
      "registry" },
    { "GET", "/v1/registry/face-report", sl__h_registry_face_report, SL_ROLE_ADMIN, 0, NULL,
      "registry.face_report", NULL, &s_any,
      "persons whose face data is stored (warning from 90,000; filing at 100,000)", "registry" },
    { "POST", "/v1/window/first-visit", sl__h_first_visit, SL_DEV_WINDOW | SL_R_CITIZEN | SL_R_ENGINE,
      BODY_PHOTO, NULL, "window.first_visit", &s_fv, &s_any,
      "window first visit: identity code + live capture -> 1:1 with the registry photo",
      "identity" },
};
const size_t sl__registry_n_routes = SL_ARRAY_LEN(sl__registry_routes);
