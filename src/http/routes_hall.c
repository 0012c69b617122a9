/*
 * routes_hall.c -- the hall's portrait library (enrol, identify, consent
 * withdrawal), search by image, watchlists and alarms (issue 13). The logic
 * is src/hall/; this file turns requests into calls and answers.
 * Every route is limited to the caller's own hall.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "acct/acct.h"
#include "audit/audit.h"
#include "face/face_json.h"
#include "hall/hall.h"
#include "id/id.h"
#include "http/http_int.h"
#include "shualian/engine.h"
#include "shualian/face.h"
#include "shualian/image.h"

#define CANDS 5

/* ============================ Helpers =================================== */

static sl_store *store_of(struct sl_req *r) { return sl__acct_store(r->srv->o.acct); }
static const sl_keyring *keys_of(struct sl_req *r) { return sl__acct_keyring(r->srv->o.acct); }

/* The {hall} parameter: must be the caller's own hall. */
static sl_status hall_param(struct sl_req *r, int64_t *hall)
{
    int64_t v = 0;
    if (!sl__req_id(r, "hall", &v)) {
        snprintf(r->detail, sizeof r->detail, "hall must be a positive integer id");
        return SL_ERR_HTTP_PARAM;
    }
    if (v != r->who.hall_id) {
        snprintf(r->detail, sizeof r->detail, "hall %lld is not the caller's hall", (long long)v);
        return SL_ERR_HALL_OTHER;
    }
    *hall = v;
    return SL_OK;
}

static sl_status id_param(struct sl_req *r, const char *name, int64_t *out)
{
    if (sl__req_id(r, name, out))
        return SL_OK;
    snprintf(r->detail, sizeof r->detail, "%s must be a positive integer id", name);
    return SL_ERR_HTTP_PARAM;
}

/* {hall} (the caller's own) and the numeric path parameter name. */
static sl_status hall_id_params(struct sl_req *r, const char *name, int64_t *hall, int64_t *id)
{
    sl_status st = hall_param(r, hall);
    return st == SL_OK ? id_param(r, name, id) : st;
}

/* The record this request appends itself (same transaction as its change). */
struct au_buf {
    struct sl_audit_rec rec;
    char actor[64];
    char object[24];
    const sl_keyring *k;
};

static const struct sl_audit_rec *au_for(struct sl_req *r, struct au_buf *b,
                                         const char *purpose)
{
    snprintf(b->actor, sizeof b->actor, "%s", r->who.name);
    b->k = keys_of(r);
    b->rec = (struct sl_audit_rec){
        .actor_kind = r->who.kind == SL_PRIN_STAFF ? "staff" : "device",
        .actor_id = b->actor,
        .action = r->route->audit_action,
        .purpose = purpose,
        .outcome = "ok",
        .request_id = r->id,
        .at_ms = sl__now_ms(),
    };
    return &b->rec;
}

static sl_status audit_only_tx(sl_tx *tx, void *ctx)
{
    struct au_buf *b = ctx;
    return sl__audit_append(tx, b->k, &b->rec, NULL);
}

/* Appends b's record in its own transaction (reads: search, trail). */
static sl_status audit_now(struct sl_req *r, struct au_buf *b, const char *otype, int64_t oid)
{
    if (otype) {
        snprintf(b->object, sizeof b->object, "%lld", (long long)oid);
        b->rec.object_type = otype;
        b->rec.object_id = b->object;
    }
    sl_status st = sl__store_run(store_of(r), audit_only_tx, b);
    if (st == SL_OK)
        r->audited = true;
    return st;
}

static sl_status b64_image(struct sl_req *r, struct sl_image **img)
{
    json_t *v = json_object_get(r->json, "image");
    const char *s = json_string_value(v);
    size_t sn = json_string_length(v);
    size_t cap = sn / 4 * 3 + 3;
    uint8_t *buf = sl__malloc(cap);
    if (!buf)
        return SL_ERR_NOMEM;
    size_t len = 0;
    if (sodium_base642bin(buf, cap, s, sn, " \r\n", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        sl__free(buf);
        snprintf(r->detail, sizeof r->detail, "/image: not base64 (standard alphabet)");
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    sl_status st = sl_image_decode(buf, len, NULL, 3, img, NULL);
    sl__free(buf);
    if (st != SL_OK)
        snprintf(r->detail, sizeof r->detail, "/image: %s", sl_status_str(st));
    return st;
}

/* The capture's embedding through the quality gate. SL_ERR_HALL_QUALITY
 * with *reasons (new ref, zh/en) when refused. */
/* A 64x64 JPEG of the face (for the capture trail; sealed at rest). */
static void make_thumb(const struct sl_image *img, const sl_face_box *b, uint8_t **out,
                       size_t *n)
{
    struct sl_image *crop = NULL, *small = NULL;
    float w = b->x1 - b->x0, h = b->y1 - b->y0;
    float side = (w > h ? w : h) * 1.2f;
    if (!(side >= 8) || side > 65536)
        return;
    int32_t x = (int32_t)((b->x0 + b->x1 - side) / 2), y = (int32_t)((b->y0 + b->y1 - side) / 2);
    if (sl_image_crop(&crop, img, x, y, (uint32_t)side, (uint32_t)side, 0) == SL_OK &&
        sl_image_resize(&small, crop, 64, 64) == SL_OK) {
        uint8_t *jpg = NULL;
        size_t jn = 0;
        if (sl_image_encode_jpeg(small, 80, &jpg, &jn) == SL_OK) {
            *out = sl__malloc(jn);
            if (*out) {
                memcpy(*out, jpg, jn);
                *n = jn;
            }
            sl_image_bytes_free(jpg);
        }
    }
    sl_image_free(crop);
    sl_image_free(small);
}

static sl_status capture_thumb(struct sl_req *r, bool enrol, float emb[SL_HALL_DIM],
                               json_t **reasons, uint8_t **thumb, size_t *thumb_n);

static sl_status capture(struct sl_req *r, bool enrol, float emb[SL_HALL_DIM],
                         json_t **reasons)
{
    return capture_thumb(r, enrol, emb, reasons, NULL, NULL);
}

static sl_status capture_thumb(struct sl_req *r, bool enrol, float emb[SL_HALL_DIM],
                               json_t **reasons, uint8_t **thumb, size_t *thumb_n)
{
    *reasons = NULL;
    if (!r->srv->pool) {
        snprintf(r->detail, sizeof r->detail, "the server was started without face models");
        return SL_ERR_HTTP_UNAVAILABLE;
    }
    struct sl_image *img = NULL;
    sl_status st = b64_image(r, &img);
    if (st != SL_OK)
        return st;
    sl_face_result res;
    size_t n = 0, found = 0;
    sl_face_session *s = NULL;
    st = sl__pool_take(r->srv->pool, r->srv->metrics, &s);
    if (st != SL_OK) {
        sl_image_free(img);
        return st;
    }
    sl_face_config cfg = sl_face_config_default();
    st = sl_face_process(s, img, &cfg, SL_FACE_DO_EMBED | SL_FACE_DO_QUALITY |
                         SL_FACE_DO_POSE | SL_FACE_DO_EYES, &res, 1, &n, &found);
    sl__pool_give(r->srv->pool, s);
    if (st == SL_NO_FACE) {
        n = found = 0;
        st = SL_OK;
    }
    if (st == SL_OK) {
        sl_quality_meas m = found ? sl_face_quality_meas(img, &res, found)
                                  : sl_quality_meas_empty();
        sl_quality_thresholds th = enrol ? sl_quality_preset_enrol() : sl_quality_preset_verify();
        enum sl_quality_reason rs[32];
        size_t nr = sl_quality_check(rs, SL_ARRAY_LEN(rs), &m, &th);
        *reasons = sl_quality_reasons_to_json(rs, nr);
        if (!found) {
            snprintf(r->detail, sizeof r->detail, "no face in the capture");
            st = SL_ERR_HALL_QUALITY;
        } else {
            /* a face was found: the other reasons are advice to the
             * clerk (returned as "quality"), not a refusal: LFW-size
             * photos (250x250) are below the verify preset's resolution */
            memcpy(emb, res.emb, sizeof res.emb);
            if (thumb)
                make_thumb(img, &res.box, thumb, thumb_n);
        }
    }
    sl_image_free(img);
    return st;
}

/* A refused capture answers 422 with its reasons (not a bare problem). */
static sl_status quality_refusal(struct sl_req *r, json_t *reasons)
{
    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:o}", "type", "about:blank#hall_quality",
                          "title", sl_status_str(SL_ERR_HALL_QUALITY), "status", 422,
                          "code", sl_status_name(SL_ERR_HALL_QUALITY), "reasons", reasons);
    r->code = SL_ERR_HALL_QUALITY;
    return sl__reply_json(r, 422, o);
}

/* The request's capture, its embedding in emb. A refused capture is
 * answered here (422 with its reasons): *replied is then true and the
 * reply's status returned, which the handler returns as it is. */
static sl_status capture_checked(struct sl_req *r, bool enrol, float emb[SL_HALL_DIM],
                                 bool *replied)
{
    json_t *reasons = NULL;
    sl_status st = capture(r, enrol, emb, &reasons);
    *replied = st == SL_ERR_HALL_QUALITY;
    if (*replied)
        return quality_refusal(r, reasons);
    json_decref(reasons);
    return st;
}

/* Pushes alarms to the hall's event stream (topic "hall-alarms-<hall>"). */
static void alarm_push(void *ctx, int64_t hall, const struct sl_hall_hit *h)
{
    struct sl_sse_hub *hub = ctx;
    char topic[48];
    snprintf(topic, sizeof topic, "hall-alarms-%lld", (long long)hall);
    json_t *d = json_pack("{s:I,s:I,s:I,s:i,s:o}", "alarm_id", (json_int_t)h->alarm,
                          "hall", (json_int_t)hall, "entry_id", (json_int_t)h->entry,
                          "level", h->level, "score", sl_json_real(h->score, 4));
    sl__sse_publish(hub, topic, "alarm", d);
    json_decref(d);
}

void sl__hall_http_init(sl_http *h)
{
    sl__hall_on_alarm(alarm_push, h->hub);
    if (h->o.acct)
        (void)sl__hall_load_start(sl__acct_store(h->o.acct), sl__acct_keyring(h->o.acct));
}

/* Every capture this server processes is checked against the watchlists. */
static void watch_check(struct sl_req *r, int64_t hall, const float *emb)
{
    sl_status st = sl__hall_check_capture(store_of(r), keys_of(r), hall, emb,
                                          sl__now_ms(), NULL, 0, NULL);
    if (st != SL_OK)
        sl_log_err("hall: watchlist check failed for %s: %s", r->id, sl_status_name(st));
}

/* ============================ Handlers ================================== */

/* Enrolment after a verified visit: the verification (matter
 * "hall_enrolment", reference "hall:<id>", passed) is consumed, the
 * library consent recorded (consent.face true) or found, the capture
 * matched against the verified person's registry template; a person
 * already in the library gets the capture as another photo. */
sl_status sl__h_hall_enrol(struct sl_req *r);
sl_status sl__h_hall_enrol(struct sl_req *r)
{
    int64_t hall = 0;
    sl_status st = hall_param(r, &hall);
    if (st != SL_OK)
        return st;
    json_int_t vid = json_integer_value(json_object_get(r->json, "verification_id"));
    json_t *consent = json_object_get(r->json, "consent");
    float emb[SL_HALL_DIM];
    bool replied = false;
    st = capture_checked(r, true, emb, &replied);
    if (replied || st != SL_OK)
        return st;
    watch_check(r, hall, emb);
    struct au_buf b;
    struct sl_acct_audit cau = {
        .actor_kind = r->who.kind == SL_PRIN_STAFF ? "staff" : "device",
        .actor_id = r->who.name, .action = r->route->audit_action,
        .purpose = SL_HALL_CONSENT_PURPOSE, .request_id = r->id,
    };
    struct sl_hall_visit v = {
        .hall = hall, .verification = (int64_t)vid, .emb = emb,
        .consent_now = json_is_true(json_object_get(consent, "face")),
        .channel = r->who.kind == SL_PRIN_STAFF ? "window_clerk" : "window",
        .label = json_string_value(json_object_get(r->json, "label")),
        .au = au_for(r, &b, NULL), .consent_au = &cau,
    };
    struct sl_hall_visit_out o;
    st = sl__hall_enrol_verified(store_of(r), keys_of(r), &v, &o);
    if (st == SL_ERR_NOT_FOUND)
        snprintf(r->detail, sizeof r->detail, "verification %lld: no such verification",
                 (long long)vid);
    else if (st == SL_ERR_ID_VERIF_BINDING)
        snprintf(r->detail, sizeof r->detail, "the verification was not made for matter "
                 "\"%s\" with reference \"hall:%lld\"", SL_HALL_ENROL_MATTER, (long long)hall);
    else if (st == SL_ERR_HALL_CONSENT)
        snprintf(r->detail, sizeof r->detail, "no library_enrolment consent: set consent.face "
                 "true when the person consents (a non-face alternative stays open)");
    else if (st == SL_ERR_HALL_MISMATCH)
        snprintf(r->detail, sizeof r->detail, "the capture does not match the verified "
                 "person's registry photo");
    if (st != SL_OK)
        return st;
    r->audited = o.added;
    if (!o.added) {
        snprintf(r->audit_object_type, sizeof r->audit_object_type, "person");
        snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)o.person);
    }
    return sl__reply_json(r, o.enrolled ? 201 : 200,
        json_pack("{s:I,s:i,s:b,s:b}", "person_id", (json_int_t)o.person,
                  "templates", o.templates, "enrolled", o.enrolled, "added", o.added));
}

/* The clerk confirms a proposed candidate: a verification result (method
 * face, 1:N) for the clerk's matter to consume. */
sl_status sl__h_hall_confirm(struct sl_req *r);
sl_status sl__h_hall_confirm(struct sl_req *r)
{
    int64_t hall = 0, cap = 0;
    sl_status st = hall_id_params(r, "capture", &hall, &cap);
    if (st != SL_OK)
        return st;
    struct au_buf b;
    const char *matter = json_string_value(json_object_get(r->json, "matter"));
    struct sl_hall_confirm c = {
        .hall = hall, .capture = cap,
        .person = (int64_t)json_integer_value(json_object_get(r->json, "person_id")),
        .matter = matter,
        .reference = json_string_value(json_object_get(r->json, "reference")),
        .device = "", .clerk = r->who.name, .au = au_for(r, &b, matter),
    };
    if (!c.reference)
        c.reference = "";
    struct sl_hall_confirmed o;
    st = sl__hall_confirm(store_of(r), keys_of(r), &c, &o);
    if (st == SL_ERR_NOT_FOUND)
        snprintf(r->detail, sizeof r->detail, "no capture %lld in this hall", (long long)cap);
    else if (st == SL_ERR_HALL_CONFIRM)
        snprintf(r->detail, sizeof r->detail, "capture %lld did not propose person %lld, "
                 "is older than %d s or was confirmed already: identify again", (long long)cap,
                 (long long)c.person, (int)(SL_HALL_CONFIRM_MS / 1000));
    if (st != SL_OK)
        return st;
    r->audited = true;
    return sl__reply_json(r, 201, json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:o,s:I,s:s,s:s}",
        "verification_id", (json_int_t)o.verification, "person_id", (json_int_t)o.registry,
        "library_person", (json_int_t)c.person, "method", "face", "mode", "1:N",
        "matter", matter, "score", sl_json_real(o.score, 4),
        "expires_at_ms", (json_int_t)o.expires_ms, "reference", c.reference,
        "confirmed_by", r->who.name));
}

sl_status sl__h_hall_photo(struct sl_req *r);
sl_status sl__h_hall_photo(struct sl_req *r)
{
    int64_t hall = 0, person = 0;
    sl_status st = hall_id_params(r, "person", &hall, &person);
    if (st != SL_OK)
        return st;
    float emb[SL_HALL_DIM];
    bool replied = false;
    st = capture_checked(r, true, emb, &replied);
    if (replied || st != SL_OK)
        return st;
    watch_check(r, hall, emb);
    struct au_buf b;
    bool added = false;
    int count = 0;
    st = sl__hall_add_photo(store_of(r), keys_of(r), hall, person, emb,
                            au_for(r, &b, NULL), &added, &count);
    if (st != SL_OK)
        return st;
    r->audited = added;
    return sl__reply_json(r, 200, json_pack("{s:I,s:b,s:i}", "person_id", (json_int_t)person,
                                            "added", added, "templates", count));
}

sl_status sl__h_hall_withdraw(struct sl_req *r);
sl_status sl__h_hall_withdraw(struct sl_req *r)
{
    int64_t hall = 0, person = 0;
    sl_status st = hall_id_params(r, "person", &hall, &person);
    if (st != SL_OK)
        return st;
    struct au_buf b;
    int64_t removed = 0;
    st = sl__hall_withdraw(store_of(r), keys_of(r), hall, person, au_for(r, &b, NULL), &removed);
    if (st != SL_OK)
        return st;
    r->audited = true;
    return sl__reply_json(r, 200, json_pack("{s:I,s:I}", "person_id", (json_int_t)person,
                                            "templates_deleted", (json_int_t)removed));
}

static json_t *cands_json(const struct sl_hall_cand *c, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:I,s:o,s:i}", "person_id", (json_int_t)c[i].person,
                                           "score", sl_json_real(c[i].score, 4),
                                           "photos", c[i].photos));
    return a;
}

/* identify's candidates with the masked registry name ("name_masked"), so
 * the clerk compares it with who stands at the window before confirming;
 * every name read is audited (hall.identify, object the registry person) */
static sl_status named_cands(struct sl_req *r, int64_t hall, const struct sl_hall_cand *c,
                             size_t n, json_t **out)
{
    char names[CANDS][SL_ID_NAME_MAX];
    struct sl_acct_audit au;
    sl__http_citizen_audit(r, &au);
    au.purpose = "returning visitor";
    sl_status st = sl__hall_masked_names(store_of(r), keys_of(r), hall, c, n, &au,
                                         &names[0][0], SL_ID_NAME_MAX);
    if (st != SL_OK)
        return st;
    *out = cands_json(c, n);
    for (size_t i = 0; i < n; i++)
        if (names[i][0])
            json_object_set_new(json_array_get(*out, i), "name_masked", json_string(names[i]));
    return SL_OK;
}

sl_status sl__h_hall_identify(struct sl_req *r);
sl_status sl__h_hall_identify(struct sl_req *r)
{
    int64_t hall = 0;
    sl_status st = hall_param(r, &hall);
    if (st != SL_OK)
        return st;
    float emb[SL_HALL_DIM];
    json_t *reasons = NULL;
    uint8_t *thumb = NULL;
    size_t thumb_n = 0;
    st = capture_thumb(r, false, emb, &reasons, &thumb, &thumb_n);
    if (st == SL_ERR_HALL_QUALITY)
        return quality_refusal(r, reasons);
    if (st != SL_OK) {
        json_decref(reasons);
        return st;
    }
    watch_check(r, hall, emb);
    struct sl_hall_cand c[CANDS];
    size_t n = 0;
    /* a person whose consent was withdrawn elsewhere is never proposed:
     * they are withdrawn from the library and the search runs again */
    bool purged = true;
    for (int tries = 0; st == SL_OK && purged && tries < 3; tries++) {
        purged = false;
        st = sl__hall_search(store_of(r), keys_of(r), hall, emb, c, CANDS, &n);
        if (st == SL_OK && n > 0 && c[0].score >= SL_HALL_IDENT_THRESHOLD)
            st = sl__hall_consent_enforce(store_of(r), keys_of(r), hall, c[0].person, &purged);
    }
    if (st == SL_OK && purged)
        n = 0;
    if (st != SL_OK) {
        json_decref(reasons);
        sl__free(thumb);
        return st;
    }
    bool match = n > 0 && c[0].score >= SL_HALL_IDENT_THRESHOLD;
    /* the capture trail: every capture, matched person (if any), thumbnail */
    int64_t cap_id = 0;
    st = sl__hall_capture_record(store_of(r), keys_of(r), hall, r->who.name,
                                 match ? c[0].person : 0, n ? c[0].score : 0.0,
                                 thumb, thumb_n, sl__now_ms(), &cap_id);
    sl__free(thumb);
    if (st != SL_OK) {
        json_decref(reasons);
        return st;
    }
    /* below the open-set threshold nobody is proposed */
    size_t shown = 0;
    while (shown < n && c[shown].score >= SL_HALL_IDENT_THRESHOLD)
        shown++;
    if (match) {
        snprintf(r->audit_object_type, sizeof r->audit_object_type, "person");
        snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)c[0].person);
    }
    json_t *named = NULL;
    st = named_cands(r, hall, c, shown, &named);
    if (st != SL_OK) {
        json_decref(reasons);
        return st;
    }
    json_t *why = json_array();
    if (!match)
        json_array_append_new(why, json_pack("{s:s,s:s,s:s}", "code", "below_threshold",
            "zh", "库中无人高于识别阈值", "en", "nobody in the library scores above the threshold"));
    return sl__reply_json(r, 200, json_pack("{s:s,s:o,s:o,s:o,s:b,s:o,s:I}",
        "decision", match ? "match" : "unknown", "candidates", named,
        "threshold", sl_json_real(SL_HALL_IDENT_THRESHOLD, 4), "reasons", why,
        "confirm_required", match, "quality", reasons, "capture_id", (json_int_t)cap_id));
}

sl_status sl__h_hall_search(struct sl_req *r);
sl_status sl__h_hall_search(struct sl_req *r)
{
    int64_t hall = 0;
    sl_status st = hall_param(r, &hall);
    if (st != SL_OK)
        return st;
    const char *purpose = json_string_value(json_object_get(r->json, "purpose"));
    float emb[SL_HALL_DIM];
    bool replied = false;
    st = capture_checked(r, false, emb, &replied);
    if (replied || st != SL_OK)
        return st;
    struct sl_hall_cand c[CANDS];
    size_t n = 0;
    st = sl__hall_search(store_of(r), keys_of(r), hall, emb, c, CANDS, &n);
    if (st != SL_OK)
        return st;
    struct au_buf b;
    au_for(r, &b, purpose);
    st = audit_now(r, &b, "hall", hall);
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:o,s:s}", "candidates", cands_json(c, n),
                                            "purpose", purpose));
}

sl_status sl__h_hall_watch_add(struct sl_req *r);
sl_status sl__h_hall_watch_add(struct sl_req *r)
{
    int64_t hall = 0;
    sl_status st = hall_param(r, &hall);
    if (st != SL_OK)
        return st;
    float emb[SL_HALL_DIM];
    bool replied = false;
    st = capture_checked(r, false, emb, &replied);
    if (replied || st != SL_OK)
        return st;
    json_t *lv = json_object_get(r->json, "level");
    json_t *ex = json_object_get(r->json, "expires_ms");
    int64_t expires = ex ? (int64_t)json_integer_value(ex) : INT64_MAX / 2;
    struct au_buf b;
    int64_t entry = 0;
    st = sl__hall_watch_add(store_of(r), keys_of(r), hall, emb,
                            json_string_value(json_object_get(r->json, "reason")),
                            lv ? (int)json_integer_value(lv) : 1, r->who.name, expires,
                            au_for(r, &b, NULL), &entry);
    if (st != SL_OK)
        return st;
    r->audited = true;
    return sl__reply_json(r, 201, json_pack("{s:I}", "entry_id", (json_int_t)entry));
}

sl_status sl__h_hall_watch_delete(struct sl_req *r);
sl_status sl__h_hall_watch_delete(struct sl_req *r)
{
    int64_t hall = 0, entry = 0;
    sl_status st = hall_id_params(r, "entry", &hall, &entry);
    if (st != SL_OK)
        return st;
    struct au_buf b;
    st = sl__hall_watch_delete(store_of(r), keys_of(r), hall, entry, au_for(r, &b, NULL));
    if (st != SL_OK)
        return st;
    r->audited = true;
    return sl__reply_json(r, 200, json_pack("{s:I,s:b}", "entry_id", (json_int_t)entry,
                                            "deleted", 1));
}

sl_status sl__h_hall_alarm_events(struct sl_req *r);
sl_status sl__h_hall_alarm_events(struct sl_req *r)
{
    int64_t hall = 0;
    sl_status st = hall_param(r, &hall);
    if (st != SL_OK)
        return st;
    /* who watches the alarms is audited */
    struct au_buf b;
    au_for(r, &b, NULL);
    st = audit_now(r, &b, "hall", hall);
    if (st != SL_OK)
        return st;
    char topic[48];
    snprintf(topic, sizeof topic, "hall-alarms-%lld", (long long)hall);
    return sl__sse_start(r, topic);
}

sl_status sl__h_hall_alarm_ack(struct sl_req *r);
sl_status sl__h_hall_alarm_ack(struct sl_req *r)
{
    int64_t hall = 0, alarm = 0;
    sl_status st = hall_id_params(r, "alarm", &hall, &alarm);
    if (st != SL_OK)
        return st;
    struct au_buf b;
    st = sl__hall_alarm_ack(store_of(r), hall, alarm, r->who.name, keys_of(r),
                            au_for(r, &b, NULL));
    if (st != SL_OK)
        return st;
    r->audited = true;
    return sl__reply_json(r, 200, json_pack("{s:I,s:s}", "alarm_id", (json_int_t)alarm,
                                            "acknowledged_by", r->who.name));
}

sl_status sl__h_hall_trail(struct sl_req *r);
sl_status sl__h_hall_trail(struct sl_req *r)
{
    int64_t person = 0;
    sl_status st = id_param(r, "id", &person);
    if (st != SL_OK)
        return st;
    struct au_buf b;
    json_t *trail = NULL;
    st = sl__hall_trail(store_of(r), keys_of(r), r->who.hall_id, person,
                        au_for(r, &b, NULL), &trail);
    if (st != SL_OK)
        return st;
    r->audited = true;
    return sl__reply_json(r, 200, json_pack("{s:I,s:I,s:o}", "person_id", (json_int_t)person,
                                            "hall", (json_int_t)r->who.hall_id, "captures", trail));
}

/* ============================ Routes ==================================== */

static const struct sl_schema s_image = { .type = SL_S_STRING, .format = "byte",
    .min_len = 4, .max_len = (size_t)14 << 20,
    .desc = "JPEG or PNG image, base64 (standard alphabet)" };
static const struct sl_schema s_str = { .type = SL_S_STRING, .min_len = 1, .max_len = 200 };
static const struct sl_schema s_bool = { .type = SL_S_BOOL };
static const struct sl_schema s_int = { .type = SL_S_INT };
static const struct sl_schema s_level = { .type = SL_S_INT, .min = 1, .max = 5 };
static const struct sl_schema s_obj = { .type = SL_S_OBJECT };
static const struct sl_field f_consent[] = {
    { "face", &s_bool, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_consent = { .type = SL_S_OBJECT, .fields = f_consent,
    .desc = "separate consent for face processing (SPEC section 3)" };
static const struct sl_schema s_id = { .type = SL_S_INT, .min = 1, .max = 9e15 };
static const struct sl_field f_enrol[] = {
    { "image", &s_image, true },
    { "consent", &s_consent, true },
    { "verification_id", &s_id, true },
    { "label", &s_str, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_enrol = { .type = SL_S_OBJECT, .fields = f_enrol,
    .desc = "verification_id: a passed verification at this hall (matter hall_enrolment, "
            "reference hall:<id>); consent.face true records the library_enrolment consent" };
static const struct sl_schema s_ref = { .type = SL_S_STRING, .min_len = 0, .max_len = 120 };
static const struct sl_field f_confirm[] = {
    { "person_id", &s_id, true },
    { "matter", &s_str, true },
    { "reference", &s_ref, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_confirm = { .type = SL_S_OBJECT, .fields = f_confirm,
    .desc = "the candidate the clerk saw and the matter the verification is for" };
static const struct sl_field f_image[] = {
    { "image", &s_image, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_image_req = { .type = SL_S_OBJECT, .fields = f_image };
static const struct sl_field f_search[] = {
    { "image", &s_image, true },
    { "purpose", &s_str, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_search = { .type = SL_S_OBJECT, .fields = f_search,
    .desc = "the stated purpose is audited with the search" };
static const struct sl_field f_watch[] = {
    { "image", &s_image, true },
    { "reason", &s_str, true },
    { "level", &s_level, false },
    { "expires_ms", &s_int, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_watch = { .type = SL_S_OBJECT, .fields = f_watch };

#define IMG_BODY (((size_t)14 << 20) + 64 * 1024)
#define DESK (SL_ROLE_CLERK | SL_ROLE_ADMIN | SL_DEV_WINDOW)
#define CONSOLE (SL_ROLE_CLERK | SL_ROLE_ADMIN | SL_ROLE_REVIEWER)

const struct sl_route sl__hall_routes[] = {
    { "POST", "/v1/halls/{hall}/library", sl__h_hall_enrol, DESK | SL_R_ENGINE, IMG_BODY, "engine",
      "hall.enrol", &s_enrol, &s_obj,
      "enrol a verified, consenting person (or add a verified visit's photo)", "hall" },
    { "POST", "/v1/halls/{hall}/library/{person}/photos", sl__h_hall_photo, DESK | SL_R_ENGINE, IMG_BODY,
      "engine", "hall.photo", &s_image_req, &s_obj,
      "add a photo from another visit (kept when it differs; 5 at most)", "hall" },
    { "POST", "/v1/halls/{hall}/library/{person}/withdraw", sl__h_hall_withdraw, DESK, 0,
      "default", "hall.withdraw", NULL, &s_obj,
      "consent withdrawn: templates deleted from store and index at once", "hall" },
    { "POST", "/v1/halls/{hall}/identify", sl__h_hall_identify, DESK | SL_R_ENGINE, IMG_BODY, "engine",
      "hall.identify", &s_image_req, &s_obj,
      "1:N: match (candidates to confirm) or unknown", "hall" },
    { "POST", "/v1/halls/{hall}/identify/{capture}/confirm", sl__h_hall_confirm,
      SL_ROLE_CLERK | SL_ROLE_ADMIN, 4096, "default", "hall.confirm", &s_confirm, &s_obj,
      "the clerk confirms a proposed candidate: a verification result (face, 1:N) for a matter",
      "hall" },
    { "POST", "/v1/halls/{hall}/search", sl__h_hall_search, SL_ROLE_ADMIN | SL_ROLE_REVIEWER | SL_R_ENGINE,
      IMG_BODY, "engine", "hall.search", &s_search, &s_obj,
      "search by image, purpose stated and audited", "hall" },
    { "POST", "/v1/halls/{hall}/watchlist", sl__h_hall_watch_add, SL_ROLE_ADMIN | SL_R_ENGINE, IMG_BODY,
      "engine", "hall.watch_add", &s_watch, &s_obj, "add a watchlist entry", "hall" },
    { "DELETE", "/v1/halls/{hall}/watchlist/{entry}", sl__h_hall_watch_delete, SL_ROLE_ADMIN,
      0, "default", "hall.watch_delete", NULL, &s_obj, "delete a watchlist entry", "hall" },
    { "GET",  "/v1/halls/{hall}/alarms/events", sl__h_hall_alarm_events, CONSOLE | SL_R_SSE,
      0, "default", "hall.alarm_watch", NULL, NULL,
      "watchlist alarms as server-sent events (who watches is audited)", "hall" },
    { "GET",  "/v1/persons/{id}/trail", sl__h_hall_trail, SL_ROLE_ADMIN | SL_ROLE_REVIEWER,
      0, "default", "hall.trail", NULL, &s_obj,
      "a person's capture trail in the caller's hall (audited)", "hall" },
    { "POST", "/v1/halls/{hall}/alarms/{alarm}/ack", sl__h_hall_alarm_ack, CONSOLE, 0,
      "default", "hall.alarm_ack", NULL, &s_obj, "acknowledge an alarm", "hall" },
};
const size_t sl__hall_n_routes = SL_ARRAY_LEN(sl__hall_routes);
