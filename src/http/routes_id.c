/*
 * routes_id.c -- verification sessions (issue 11): 实名 / 实人 / 实证 over
 * HTTP, with consent, the under-14 rule, lockout, the bank-card factor and
 * the non-face alternatives. The face step is src/id/session.c
 * (vsession.h); this file parses, applies the matter's policy, stores and
 * answers.
 *
 *   POST /v1/verifications                  device (window/kiosk/h5) or clerk:
 *                                           bind (document, matter, reference),
 *                                           实名 now, the challenge for the face
 *   POST /v1/verifications/{id}/frames      the frames: quality, liveness,
 *                                           实证; the signed result
 *   POST /v1/verifications/{id}/alternative window device or clerk: ID-card
 *                                           reader, clerk's document check,
 *                                           identity code
 *   GET  /v1/verifications/{id}             the signed result (its creator)
 *
 * A refused verification is 200/201 with "passed": false, its reasons
 * (code, zh, en), the next step and the alternatives; 4xx only for
 * malformed requests and for refusals before a session exists (consent,
 * under 14, lockout, liveness mode), which list the alternatives too.
 * Frames are decoded in memory and dropped after the decision; only the
 * best frame is kept, sealed, when the matter's catalogue entry or the
 * person's consent asks for it.
 */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "audit/audit.h"
#include "crypto/crypto.h"
#include "face/face_json.h"
#include "gov/app.h"
#include "http/http_int.h"
#include "id/idcode.h"
#include "id/vsession.h"
#include "store/store.h"

#define FRAME_MAX_BYTES   (2u << 20)          /* one encoded frame          */
#define FRAME_MAX_SIDE    4096u
#define FRAME_MAX_PIXELS  (12u * 1000u * 1000u)
#define FRAMES_BODY_MAX   (24u << 20)
#define ALT_BODY_MAX      (6u << 20)

static const sl_keyring *keys(const struct sl_req *r) { return sl__acct_keyring(r->srv->o.acct); }
static sl_store *store(const struct sl_req *r) { return sl__acct_store(r->srv->o.acct); }

static json_t *iso(int64_t ms)
{
    char t[32];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

static void today(char out[11])
{
    char t[32];
    sl_time_iso8601(t, sizeof t, sl__now_ms());
    memcpy(out, t, 10);
    out[10] = 0;
}

static const char *channel_of(const struct sl_req *r)
{
    if (r->who.kind != SL_PRIN_DEVICE)
        return "staff";
    return (r->who.bits & SL_DEV_WINDOW) ? "window" : (r->who.bits & SL_DEV_KIOSK) ? "kiosk" : "h5";
}

static const char *actor_kind(const struct sl_req *r)
{
    return r->who.kind == SL_PRIN_STAFF ? "staff" : r->who.kind == SL_PRIN_DEVICE ? "device"
                                                                                   : "anonymous";
}

/* ============================ Texts ===================================== */

struct text { const char *code, *zh, *en; };

static const struct text alt_texts[] = {
    { "id_card_reader", "在服务窗口读取身份证（芯片信息与照片）",
      "have your ID card read at a service window (chip data and photo)" },
    { "clerk_document_check", "由窗口工作人员当面核验证件原件",
      "a clerk at a service window checks your original document" },
    { "identity_code", "出示电子身份码（网证）",
      "show your electronic identity code" },
};

static const struct text reason_texts[] = {
    { "person_unknown", "未找到该证件号码的登记信息，请核对证件号码。",
      "No registry record for this document number; check the number." },
    { "name_mismatch", "姓名与证件号码不一致，请核对后重新输入。",
      "The name does not match this document number; check both and try again." },
    { "person_status", "该证件状态不允许办理，请到服务窗口咨询。",
      "This record's status does not allow it; ask at a service window." },
    { "document_expired", "证件已过有效期，请先办理换证。",
      "The document has expired; renew it first." },
    { "face_mismatch", "人脸与登记照片不一致，请本人办理，或选择其他核验方式。",
      "The face does not match the registry photo; the person must be present, or use another way." },
    { "identity_switch", "核验过程中出现了不同的人，请本人独自完成核验。",
      "A different person appeared during the check; the person must complete it alone." },
    { "liveness_failed", "未能确认是本人现场操作，请按提示完成动作后重试。",
      "Could not confirm a live person; follow the prompts and try again." },
    { "spoof", "检测到照片、屏幕或面具等非真人，请本人正对镜头。",
      "A photo, screen or mask was detected; the person must face the camera." },
    { "no_usable_frame", "没有一张合格的照片，请按提示调整后重拍。",
      "No frame was usable; follow the hints and take them again." },
    { "bank_card_invalid", "银行卡号有误，请核对后重新输入。",
      "The bank card number is not valid; check it and try again." },
    { "bank_card_mismatch", "银行未确认该卡与您的姓名、证件号、手机号一致，请核对或换一张卡。",
      "The bank did not confirm this card with your name, ID number and phone; check or use another card." },
    { "bank_card_required", "本事项需要银行卡验证，请提供本人银行卡及预留手机号。",
      "This matter needs a bank card check; give your own card and its phone number." },
    { "session_expired", "核验已超时，请重新开始。", "The verification timed out; start again." },
    { "chip_photo_mismatch", "现场照片与证件芯片照片不一致，请由工作人员核验证件原件。",
      "The live photo does not match the chip photo; ask a clerk to check the original document." },
    { "id_code_invalid", "电子身份码无效或已过期，请刷新后重新出示。",
      "The identity code is not valid or has expired; refresh it and show it again." },
    { "id_code_other_person", "电子身份码不属于本次核验的人员。",
      "The identity code belongs to another person than this verification's." },
    { "card_mismatch", "证件信息与登记信息不一致，请核对证件。",
      "The card data does not match the registry record; check the card." },
};

static const struct text *reason_text(const char *code)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(reason_texts); i++)
        if (strcmp(reason_texts[i].code, code) == 0)
            return &reason_texts[i];
    return NULL;
}

static json_t *alternatives_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < SL_ARRAY_LEN(alt_texts); i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "method", alt_texts[i].code, "zh",
                                           alt_texts[i].zh, "en", alt_texts[i].en));
    return a;
}

static void add_reason(json_t *arr, const char *code, const char *zh, const char *en)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(arr, i), "code")), code) == 0)
            return;
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "code", code, "zh", zh, "en", en));
}

static void add_reason_code(json_t *arr, const char *code)
{
    const struct text *t = reason_text(code);
    add_reason(arr, code, t ? t->zh : code, t ? t->en : code);
}

/* A refusal before a session exists: problem+json with the code, zh/en
 * that say what to do, and the alternatives. */
static sl_status refuse(struct sl_req *r, sl_status st, const char *zh, const char *en,
                        int64_t retry_ms)
{
    unsigned status = sl__http_status_for(st);
    const char *name = sl_status_name(st);
    char type[96];
    snprintf(type, sizeof type, "urn:shualian:problem:%s", name);
    json_t *p = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:o}", "type", type, "title",
                          sl_status_str(st), "status", (int)status, "code", name, "request_id",
                          r->id, "zh", zh, "en", en, "alternatives", alternatives_json());
    if (!p)
        return SL_ERR_NOMEM;
    if (r->detail[0])
        json_object_set_new(p, "detail", json_string(r->detail));
    if (retry_ms > 0)
        json_object_set_new(p, "retry_after", json_integer((json_int_t)((retry_ms + 999) / 1000)));
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    if (!text)
        return SL_ERR_NOMEM;
    r->code = st;
    sl_status rs = sl__reply_bytes(r, status, "application/problem+json", text, strlen(text));
    free(text);
    return rs;
}

/* ============================ Policy ==================================== */

/* What the matter asks for (catalogue entry; defaults for a matter not in
 * the catalogue, e.g. citizen_login). */
struct policy {
    bool in_catalogue;
    bool allow[4];              /* actions, digits, passive, none */
    bool bank_card;             /* factor bank_card listed        */
    bool keep_best_frame;
    int  retention_days;
    double far;
};

static const char *const live_modes[] = { "actions", "digits", "passive", "none" };

static int live_index(const char *m)
{
    for (int i = 0; i < 4; i++)
        if (m && strcmp(m, live_modes[i]) == 0)
            return i;
    return -1;
}

static void policy_of(struct sl_req *r, const char *matter, struct policy *p)
{
    memset(p, 0, sizeof *p);
    p->far = SL_VERIF_DEFAULT_FAR;
    p->allow[0] = p->allow[1] = p->allow[3] = true;   /* no passive by default */
    const json_t *m = NULL;
    if (!r->srv->o.gov || sl__gov_matter(r->srv->o.gov, matter, 0, &m) != SL_OK || !m)
        return;
    p->in_catalogue = true;
    memset(p->allow, 0, sizeof p->allow);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(m, "auth"), i, a) {
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(a, "liveness"), j, v) {
            int k = live_index(json_string_value(v));
            if (k >= 0)
                p->allow[k] = true;
        }
        json_array_foreach(json_object_get(a, "factors"), j, v)
            if (json_string_value(v) && strcmp(json_string_value(v), "bank_card") == 0)
                p->bank_card = true;
        json_t *far = json_object_get(a, "far");
        if (json_is_number(far) && json_number_value(far) > 0 && json_number_value(far) < 1)
            p->far = json_number_value(far);
    }
    json_t *ev = json_object_get(m, "evidence");
    p->keep_best_frame = json_is_true(json_object_get(ev, "keep_best_frame"));
    p->retention_days = (int)json_integer_value(json_object_get(ev, "retention_days"));
}

/* ============================ Create ==================================== */

struct create_ctx {
    struct sl_req *r;
    enum sl_id_type type;
    const char *number, *name, *matter, *reference, *liveness, *channel;
    uint32_t levels;
    struct policy pol;
    const json_t *consent, *bank;
    bool face;                  /* frames will be processed            */
    bool alt;                   /* a non-face alternative will follow   */
    /* out */
    sl_status refusal;          /* a refusal before a session           */
    int64_t retry_ms;
    int64_t id, expires_ms, person_id;
    bool decided, passed;
    json_t *challenge;          /* for the client (or NULL)             */
    json_t *result;             /* when decided at once                 */
    char masked[SL_ID_MAX];
};

static struct sl_acct_audit audit_of(struct sl_req *r, const char *action, const char *masked,
                                     const char *purpose, const char *outcome)
{
    return (struct sl_acct_audit){ .actor_kind = actor_kind(r), .actor_id = r->who.name,
                                   .action = action, .object_type = "verification",
                                   .id_masked = masked, .purpose = purpose, .outcome = outcome,
                                   .request_id = r->id };
}

static sl_status append_audit(sl_tx *tx, struct sl_req *r, const char *action, int64_t vid,
                              const char *blind, const char *masked, const char *purpose,
                              const char *outcome)
{
    uint8_t idx[32];
    size_t bl = 0;
    bool have = blind && sodium_hex2bin(idx, sizeof idx, blind, strlen(blind), NULL, &bl, NULL) == 0 &&
                bl == sizeof idx;
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)vid);
    struct sl_audit_rec rec = {
        .actor_kind = actor_kind(r), .actor_id = r->who.name, .action = action,
        .object_type = "verification", .object_id = oid, .id_masked = masked,
        .person_idx = have ? idx : NULL, .purpose = purpose, .outcome = outcome,
        .request_id = r->id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, keys(r), &rec, NULL);
}

/* The result object (canonical when dumped with sorted keys). */
struct outcome {
    int64_t id, person_id;
    const char *matter, *reference, *channel, *device, *liveness;
    enum sl_verif_method method;
    const char *vouched_by;
    uint32_t levels_required, levels_passed, factors_required, factors_passed;
    bool passed;
    double score, threshold, far;
    const char *mode, *live;
    json_t *reasons;            /* borrowed */
};

static json_t *result_json(const struct outcome *o)
{
    json_t *lv = json_object();
    for (uint32_t b = 1; b <= SL_LEVEL_REAL_DOCUMENT; b <<= 1)
        if (o->levels_required & b)
            json_object_set_new(lv, sl__level_name(b), json_boolean(o->levels_passed & b));
    json_t *fa = json_object();
    if (o->factors_required & SL_FACTOR_BANK_CARD)
        json_object_set_new(fa, "bank_card", json_boolean(o->factors_passed & SL_FACTOR_BANK_CARD));
    json_t *res = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:O,s:s*}",
                            "id", (json_int_t)o->id, "matter", o->matter, "reference",
                            o->reference, "channel", o->channel, "device", o->device, "method",
                            sl__method_name(o->method), "passed", o->passed, "levels", lv,
                            "factors", fa, "reasons", o->reasons, "vouched_by", o->vouched_by);
    if (!res)
        return NULL;
    json_object_set_new(res, "person_id", o->person_id > 0 ? json_integer(o->person_id) : json_null());
    json_object_set_new(res, "liveness", json_string(o->liveness ? o->liveness : "none"));
    json_object_set_new(res, "liveness_verdict", json_string(o->live ? o->live : "not_run"));
    json_object_set_new(res, "score", isfinite(o->score) ? sl_json_real(o->score, 4) : json_null());
    json_object_set_new(res, "threshold",
                        isfinite(o->threshold) ? sl_json_real(o->threshold, 4) : json_null());
    json_object_set_new(res, "far", isfinite(o->far) ? json_real(o->far) : json_null());
    json_object_set_new(res, "calibration", o->mode ? json_string(o->mode) : json_null());
    json_object_set_new(res, "decided_at", iso(sl__now_ms()));
    const char *zh, *en;
    if (o->passed) {
        zh = "核验通过，可以继续办理。";
        en = "Verified; you may continue.";
    } else if (json_array_size(o->reasons) > 0) {
        json_t *first = json_array_get(o->reasons, 0);
        zh = json_string_value(json_object_get(first, "zh"));
        en = json_string_value(json_object_get(first, "en"));
    } else {
        zh = "核验未通过，请重试或选择其他核验方式。";
        en = "Not verified; try again or use another way.";
    }
    json_object_set_new(res, "next_step", json_pack("{s:s,s:s}", "zh", zh, "en", en));
    if (!o->passed)
        json_object_set_new(res, "alternatives", alternatives_json());
    return res;
}

/* Signs and stores the result in tx; *out gets the result with its
 * signature. */
static sl_status finish(sl_tx *tx, struct sl_req *r, const struct outcome *o, json_t **out)
{
    json_t *res = result_json(o);
    if (!res)
        return SL_ERR_NOMEM;
    char *text = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
    sl_status st = text ? SL_OK : SL_ERR_NOMEM;
    if (st == SL_OK && o->factors_passed)
        st = sl__verification_factors_tx(tx, o->id, o->factors_passed);
    if (st == SL_OK)
        st = sl__verification_finish_tx(tx, keys(r), o->id, o->levels_passed, o->passed,
                                        isfinite(o->score) ? o->score : 0,
                                        isfinite(o->far) ? o->far : 0, text);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE id_verif_session SET done = 1 WHERE verification_id = ?",
                         SL_ARGS(SL_INT(o->id)), NULL);
    char sig[160] = "";
    if (st == SL_OK)
        st = sl__verification_signature_tx(tx, o->id, sig, sizeof sig);
    free(text);
    if (st != SL_OK) {
        json_decref(res);
        return st;
    }
    json_object_set_new(res, "signature", json_string(sig));
    *out = res;
    return SL_OK;
}

/* The bank-card factor (seed 002). */
static void bank_check(struct sl_req *r, const json_t *bank, const char *number, const char *name,
                       uint32_t *passed, json_t *reasons)
{
    const char *card = json_string_value(json_object_get(bank, "card"));
    const char *phone = json_string_value(json_object_get(bank, "phone"));
    if (!card || !sl__bank_luhn(card)) {
        add_reason_code(reasons, "bank_card_invalid");
        return;
    }
    const struct sl_bank_verifier *v = r->srv->o.bank;
    struct sl_bank_check c = { name, number, card, phone ? phone : "" };
    sl_status st = v && v->check ? v->check(v->ctx, &c) : SL_ERR_ID_BANK_MISMATCH;
    if (st == SL_OK)
        *passed |= SL_FACTOR_BANK_CARD;
    else
        add_reason_code(reasons, st == SL_ERR_ID_BANK_CARD ? "bank_card_invalid" : "bank_card_mismatch");
}

static sl_status consent_step(sl_tx *tx, struct create_ctx *c, const struct sl_person *p,
                              const struct sl_acct_audit *au, const char **keep_reason)
{
    struct sl_req *r = c->r;
    const char *alts = "id_card_reader,clerk_document_check,identity_code";
    char day[11];
    today(day);
    int age = sl__id_age(p->birth_date, day);
    const json_t *g = json_object_get(c->consent, "guardian");
    char guardian[160] = "";
    if (age >= 0 && age < 14) {
        const char *gn = json_string_value(json_object_get(g, "name"));
        const char *gid = json_string_value(json_object_get(g, "id_number"));
        if (!gn || !gid || !json_is_true(json_object_get(c->consent, "face_processing"))) {
            c->refusal = SL_ERR_ID_GUARDIAN;
            return SL_OK;
        }
        char gm[SL_ID_MAX];
        sl_id_mask(gid, gm);
        snprintf(guardian, sizeof guardian, "%s %s", gm, json_string_value(json_object_get(g, "relation")) ? json_string_value(json_object_get(g, "relation")) : "guardian");
    }
    sl_status st = SL_OK;
    struct sl_consent_new cn = { .person_id = p->id, .scope = c->matter, .channel = c->channel,
                                 .alternative = alts, .guardian = guardian[0] ? guardian : NULL };
    if (json_is_true(json_object_get(c->consent, "face_processing"))) {
        cn.purpose = "face_processing";
        st = sl__consent_record(tx, keys(r), &cn, au, NULL);
    } else if (sl__consent_check(tx, p->id, "face_processing", c->matter, NULL) != SL_OK) {
        c->refusal = SL_ERR_ID_CONSENT;
        return SL_OK;
    }
    if (st == SL_OK && strcmp(c->channel, "h5") == 0) {
        if (json_is_true(json_object_get(c->consent, "remote_frames"))) {
            cn.purpose = "remote_frames";
            st = sl__consent_record(tx, keys(r), &cn, au, NULL);
        } else if (sl__consent_check(tx, p->id, "remote_frames", c->matter, NULL) != SL_OK) {
            c->refusal = SL_ERR_ID_CONSENT;
            snprintf(r->detail, sizeof r->detail, "frames from a phone need the remote_frames consent");
            return SL_OK;
        }
    }
    if (st == SL_OK && json_is_true(json_object_get(c->consent, "keep_best_frame"))) {
        cn.purpose = "keep_best_frame";
        st = sl__consent_record(tx, keys(r), &cn, au, NULL);
        if (st == SL_OK && !(*keep_reason)[0])
            *keep_reason = "consent";
    }
    return st;
}

static const char *real_name_reason(sl_status st)
{
    switch ((int)st) {
    case SL_ERR_ID_PERSON_UNKNOWN: return "person_unknown";
    case SL_ERR_ID_NAME_MISMATCH:  return "name_mismatch";
    case SL_ERR_ID_PERSON_STATUS:  return "person_status";
    case SL_ERR_ID_DOC_EXPIRED:    return "document_expired";
    default:                       return NULL;
    }
}

static sl_status create_tx(sl_tx *tx, void *vctx)
{
    struct create_ctx *c = vctx;
    struct sl_req *r = c->r;
    c->refusal = SL_OK;
    c->decided = false;
    json_decref(c->result);
    c->result = NULL;
    json_decref(c->challenge);
    c->challenge = NULL;
    int64_t now = sl__now_ms();
    char norm[SL_ID_MAX];
    struct sl_id_info info;
    char day[11];
    today(day);
    sl_status st = sl_id_check(c->type, c->number, day, NULL, &info);
    if (st != SL_OK)
        return st;
    snprintf(norm, sizeof norm, "%s", info.normalised);
    char blind[65];
    st = sl__id_blind(keys(r), c->type, norm, blind);
    if (st != SL_OK)
        return st;
    int64_t until = 0;
    st = sl__id_lock_check(tx, blind, now, &until);
    if (st == SL_ERR_ID_LOCKED) {
        c->refusal = st;
        c->retry_ms = until - now;
        return SL_OK;
    }
    if (st != SL_OK)
        return st;
    struct sl_acct_audit au = audit_of(r, "verification.create", c->masked, c->matter, NULL);
    struct sl_person p;
    memset(&p, 0, sizeof p);
    sl_status rn = sl__person_real_name_tx(tx, keys(r), c->type, c->number, c->name, false, &au, &p);
    const char *rn_reason = real_name_reason(rn);
    if (rn != SL_OK && !rn_reason)
        return rn;
    const char *keep_reason = c->pol.keep_best_frame ? "catalogue" : "";
    if (rn == SL_OK && c->face) {
        st = consent_step(tx, c, &p, &au, &keep_reason);
        if (st != SL_OK || c->refusal != SL_OK)
            return st;
    }
    json_t *reasons = json_array();
    if (rn_reason)
        add_reason_code(reasons, rn_reason);
    uint32_t f_req = 0, f_pass = 0;
    if (c->bank || (c->pol.bank_card && c->type == SL_ID_RESIDENT)) {
        f_req |= SL_FACTOR_BANK_CARD;
        if (!c->bank)
            add_reason_code(reasons, "bank_card_required");
        else if (rn == SL_OK)
            bank_check(r, c->bank, norm, c->name, &f_pass, reasons);
    }
    bool vouched = strcmp(c->liveness, "none") == 0;
    char vouch[160] = "";
    if (vouched) {
        const char *clerk = json_string_value(json_object_get(r->json, "clerk"));
        snprintf(vouch, sizeof vouch, "device:%s%s%s", r->who.name, clerk ? " clerk:" : "",
                 clerk ? clerk : "");
    }
    struct sl_verification_new vn = {
        .person_id = rn == SL_OK ? p.id : 0, .matter = c->matter, .reference = c->reference,
        .channel = c->channel, .device = r->who.name, .levels = c->levels,
        .method = vouched ? SL_METHOD_CLERK_VOUCHED : SL_METHOD_FACE,
        .vouched_by = vouched ? vouch : NULL,
    };
    c->person_id = vn.person_id;
    st = sl__verification_create_tx(tx, &vn, &c->id);
    struct sl_verification v;
    if (st == SL_OK)
        st = sl__verification_get_tx(tx, c->id, &v);
    if (st != SL_OK) {
        json_decref(reasons);
        return st;
    }
    c->expires_ms = v.expires_ms;
    /* the challenge */
    sl_challenge ch;
    char *ch_text = NULL;
    bool challenge = rn == SL_OK && c->face &&
                     (strcmp(c->liveness, "actions") == 0 || strcmp(c->liveness, "digits") == 0);
    if (challenge) {
        sl_challenge_opts o = sl_challenge_opts_default();
        if (strcmp(c->liveness, "digits") == 0) {
            o.allowed = (1u << SL_ACT_READ_DIGITS) | (1u << SL_ACT_BLINK);
            o.min_steps = o.max_steps = 2;
        } else {
            o.allowed = (1u << SL_ACT_BLINK) | (1u << SL_ACT_TURN_LEFT) | (1u << SL_ACT_TURN_RIGHT) |
                        (1u << SL_ACT_NOD) | (1u << SL_ACT_OPEN_MOUTH);
            o.min_steps = 2;
            o.max_steps = 3;
        }
        st = sl_challenge_new(&ch, &o, now);
        if (st == SL_OK) {
            c->challenge = sl_challenge_to_json(&ch);
            ch_text = c->challenge ? json_dumps(c->challenge, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            if (!ch_text)
                st = SL_ERR_NOMEM;
        }
    }
    if (st == SL_OK)
        st = sl__tx_exec(tx,
            "INSERT INTO id_verif_session (verification_id, liveness, challenge, blind,"
            " factors_required, keep_reason, retention_days, far, face_allowed, done)"
            " VALUES (?,?,?,?,?,?,?,?,?,0)",
            SL_ARGS(SL_INT(c->id), SL_TEXT(c->liveness), SL_TEXT(ch_text), SL_TEXT(blind),
                    SL_INT(f_req), SL_TEXT(keep_reason), SL_INT(c->pol.retention_days),
                    SL_REAL(c->pol.far), SL_INT(c->face ? 1 : 0)), NULL);
    free(ch_text);
    /* decided at once: 实名 failed, or nothing needs frames */
    bool frames_needed = rn == SL_OK && (c->alt || c->levels & SL_LEVEL_REAL_DOCUMENT ||
                                         ((c->levels & SL_LEVEL_REAL_PERSON) && !vouched));
    if (st == SL_OK && !frames_needed) {
        struct sl_verif_decision_in din = { .levels_required = c->levels, .factors_required = f_req,
                                            .factors_passed = f_pass, .real_name_ok = rn == SL_OK,
                                            .clerk_vouched = vouched };
        bool passed = false;
        uint32_t lv = sl__verif_levels(&din, &passed);
        struct outcome o = { .id = c->id, .person_id = vn.person_id, .matter = c->matter, .reference = c->reference,
                             .channel = c->channel, .device = r->who.name, .liveness = c->liveness,
                             .method = vn.method, .vouched_by = vn.vouched_by,
                             .levels_required = c->levels, .levels_passed = lv,
                             .factors_required = f_req, .factors_passed = f_pass,
                             .passed = passed, .score = NAN, .threshold = NAN, .far = NAN,
                             .live = vouched ? "clerk_vouched" : "not_run", .reasons = reasons };
        st = finish(tx, r, &o, &c->result);
        c->decided = true;
        c->passed = passed;
        if (st == SL_OK)
            st = passed ? sl__id_lock_success(tx, blind) : sl__id_lock_fail(tx, blind, now, NULL);
    } else if (st == SL_OK) {
        /* the factor's result waits for the frames: keep it */
        if (f_pass)
            st = sl__verification_factors_tx(tx, c->id, f_pass);
        if (st == SL_OK && json_array_size(reasons) > 0)
            st = sl__tx_exec(tx, "UPDATE id_verif_session SET factors_required = ? WHERE"
                             " verification_id = ?",
                             SL_ARGS(SL_INT(f_req | (1u << 16)), SL_INT(c->id)), NULL);
    }
    json_decref(reasons);
    if (st == SL_OK)
        st = append_audit(tx, r, "verification.create", c->id, blind, c->masked, c->matter,
                          c->decided ? (c->passed ? "passed" : "refused") : "ok");
    return st;
}

static sl_status sl__h_verif_create(struct sl_req *r)
{
    struct create_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.type = sl_id_type_parse(json_string_value(json_object_get(r->json, "id_type")));
    c.number = json_string_value(json_object_get(r->json, "id_number"));
    c.name = json_string_value(json_object_get(r->json, "name"));
    c.matter = json_string_value(json_object_get(r->json, "matter"));
    c.reference = json_string_value(json_object_get(r->json, "reference"));
    c.liveness = json_string_value(json_object_get(r->json, "liveness"));
    c.consent = json_object_get(r->json, "consent");
    c.bank = json_object_get(r->json, "bank_card");
    c.channel = channel_of(r);
    if (!c.liveness)
        c.liveness = "actions";
    size_t i;
    json_t *lv;
    json_array_foreach(json_object_get(r->json, "levels"), i, lv)
        c.levels |= sl__level_parse(json_string_value(lv));
    if (!c.type || !c.levels) {
        snprintf(r->detail, sizeof r->detail, "/id_type or /levels: not known");
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    /* a malformed number is the caller's error: which check failed */
    char day[11];
    today(day);
    const char *why = NULL;
    struct sl_id_info info;
    sl_status st = sl_id_check(c.type, c.number, day, &why, &info);
    sl_id_mask(c.number, c.masked);
    snprintf(r->audit_id_masked, sizeof r->audit_id_masked, "%s", c.masked);
    if (st != SL_OK) {
        snprintf(r->detail, sizeof r->detail, "/id_number: failed check %s", why ? why : "?");
        return st;
    }
    int64_t retry = 0;
    st = sl__http_rate_take_id(r, info.normalised, &retry);
    if (st != SL_OK)
        return refuse(r, st, "该证件核验过于频繁，请稍后再试。",
                      "Too many verifications for this document; wait and try again.", retry);
    policy_of(r, c.matter, &c.pol);
    const char *meth = json_string_value(json_object_get(r->json, "method"));
    c.alt = meth && strcmp(meth, "alternative") == 0;
    c.face = !c.alt && ((c.levels & SL_LEVEL_REAL_DOCUMENT) ||
                        ((c.levels & SL_LEVEL_REAL_PERSON) && strcmp(c.liveness, "none") != 0));
    int li = live_index(c.liveness);
    if (c.alt && r->who.kind == SL_PRIN_DEVICE && !(r->who.bits & SL_DEV_WINDOW)) {
        snprintf(r->detail, sizeof r->detail, "method alternative: at a window (device or clerk)");
        return refuse(r, SL_ERR_ID_LIVENESS_MODE, "不刷脸的核验方式请到服务窗口办理。",
                      "The ways without a face are at a service window.", 0);
    }
    if (!c.alt && (c.levels & (SL_LEVEL_REAL_PERSON | SL_LEVEL_REAL_DOCUMENT))) {
        if (li == 3 && !(r->who.kind == SL_PRIN_DEVICE && (r->who.bits & SL_DEV_WINDOW))) {
            snprintf(r->detail, sizeof r->detail, "liveness none: only a window device, where the clerk sees the person");
            return refuse(r, SL_ERR_ID_LIVENESS_MODE, "免活体核验只能在服务窗口由工作人员当面办理。",
                          "Verification without a liveness check is only possible at a service window, in front of a clerk.", 0);
        }
        if (li < 0 || !c.pol.allow[li]) {
            snprintf(r->detail, sizeof r->detail, "liveness %s: not allowed for matter %s", c.liveness, c.matter);
            return refuse(r, SL_ERR_ID_LIVENESS_MODE, "本事项不支持该活体检测方式，请按提示完成动作或选择其他核验方式。",
                          "This matter does not allow that liveness mode; use the prompted check or another way.", 0);
        }
        if (c.face && !r->srv->pool) {
            snprintf(r->detail, sizeof r->detail, "the server was started without face models");
            return SL_ERR_HTTP_UNAVAILABLE;
        }
        if ((c.levels & SL_LEVEL_REAL_DOCUMENT) && !r->srv->o.id_calib) {
            snprintf(r->detail, sizeof r->detail, "no 实证 calibration (--id-calib)");
            return SL_ERR_HTTP_UNAVAILABLE;
        }
    }
    st = sl__store_run(store(r), create_tx, &c);
    r->audited = st == SL_OK;
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "verification");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)c.id);
    if (st != SL_OK) {
        json_decref(c.challenge);
        json_decref(c.result);
        return st;
    }
    if (c.refusal != SL_OK) {
        json_decref(c.challenge);
        json_decref(c.result);
        if (c.refusal == SL_ERR_ID_GUARDIAN)
            return refuse(r, c.refusal, "未满14周岁，刷脸核验须经监护人同意；也可选择窗口读取身份证或工作人员核验证件。",
                          "Under 14: face verification needs a guardian's consent; or use the ID-card reader or a clerk's document check at a window.", 0);
        if (c.refusal == SL_ERR_ID_CONSENT)
            return refuse(r, c.refusal, "刷脸核验需要您单独同意人脸信息处理；不同意可选择窗口读取身份证、工作人员核验证件或电子身份码。",
                          "Face verification needs your separate consent to process your face; without it, use the ID-card reader, a clerk's document check or an identity code.", 0);
        return refuse(r, c.refusal, "核验失败次数过多，该证件已暂时锁定，请稍后再试或到窗口办理。",
                      "Too many failed verifications: this document is locked for a while; try later or go to a window.", c.retry_ms);
    }
    json_t *o = json_pack("{s:I,s:I,s:o,s:o,s:s,s:o}", "id", (json_int_t)c.id, "person_id",
                          (json_int_t)c.person_id, "challenge",
                          c.challenge ? c.challenge : json_null(), "expires_at", iso(c.expires_ms),
                          "status", c.decided ? "decided" : c.alt ? "awaiting_alternative" : "awaiting_frames", "alternatives",
                          alternatives_json());
    if (c.decided && c.result) {
        json_object_update(o, c.result);
        json_object_set_new(o, "status", json_string("decided"));
        json_object_set_new(o, "challenge", json_null());
    }
    json_decref(c.result);
    return sl__reply_json(r, 201, o);
}

/* ============================ Session load ============================== */

struct sess {
    struct sl_verification v;
    char liveness[16], keep_reason[16], blind[65];
    char *challenge;            /* JSON text or NULL (sl__malloc'd)       */
    uint32_t factors_required;
    bool factor_reasons;        /* the factor failed at creation         */
    int retention_days;
    double far;
    bool face_allowed, done;
};

static void sess_clear(struct sess *s)
{
    sl__free(s->challenge);
    s->challenge = NULL;
}

static sl_status sess_load(sl_tx *tx, int64_t id, struct sess *s)
{
    memset(s, 0, sizeof *s);
    sl_status st = sl__verification_get_tx(tx, id, &s->v);
    if (st != SL_OK)
        return st;
    sl_rows *rows = NULL;
    st = sl__tx_query(tx, "SELECT liveness, challenge, blind, factors_required, keep_reason,"
                          " retention_days, far, face_allowed, done FROM id_verif_session"
                          " WHERE verification_id = ?", SL_ARGS(SL_INT(id)), &rows);
    if (st == SL_OK && sl__rows_count(rows) == 0)
        st = SL_ERR_NOT_FOUND;
    if (st == SL_OK) {
        snprintf(s->liveness, sizeof s->liveness, "%s", sl__rows_text(rows, 0, 0));
        const char *ch = sl__rows_text(rows, 0, 1);
        if (ch && *ch) {
            size_t n = strlen(ch);
            s->challenge = sl__malloc(n + 1);
            if (!s->challenge)
                st = SL_ERR_NOMEM;
            else
                memcpy(s->challenge, ch, n + 1);
        }
        snprintf(s->blind, sizeof s->blind, "%s", sl__rows_text(rows, 0, 2));
        int64_t fr = sl__rows_int(rows, 0, 3);
        s->factors_required = (uint32_t)fr & 0xffffu;
        s->factor_reasons = (fr >> 16) & 1;
        snprintf(s->keep_reason, sizeof s->keep_reason, "%s", sl__rows_text(rows, 0, 4));
        s->retention_days = (int)sl__rows_int(rows, 0, 5);
        s->far = sl__rows_real(rows, 0, 6);
        s->face_allowed = sl__rows_int(rows, 0, 7) != 0;
        s->done = sl__rows_int(rows, 0, 8) != 0;
    }
    sl__rows_free(rows);
    return st;
}

/* The session's creator (device or staff user) may use it. */
static bool owner(const struct sl_req *r, const struct sess *s)
{
    return strcmp(s->v.device, r->who.name) == 0;
}

static int64_t path_id(struct sl_req *r)
{
    const char *p = sl__req_param(r, "id");
    char *end = NULL;
    long long v = p ? strtoll(p, &end, 10) : 0;
    return p && *p && end && !*end && v > 0 ? (int64_t)v : 0;
}

struct prep_ctx {
    struct sl_req *r;
    int64_t id;
    struct sess s;
    float *tmpl;
    size_t dim;
    const sl_keyring *k;
    bool take_nonce;
    int64_t now;
    sl_status use;              /* nonce/expiry outcome                */
};

static sl_status prep_tx(sl_tx *tx, void *vctx)
{
    struct prep_ctx *p = vctx;
    sess_clear(&p->s);
    if (p->tmpl) {
        sodium_memzero(p->tmpl, p->dim * sizeof(float));
        sl__free(p->tmpl);
        p->tmpl = NULL;
    }
    p->use = SL_OK;
    sl_status st = sess_load(tx, p->id, &p->s);
    if (st != SL_OK)
        return st;
    if (p->s.done || p->s.v.used_ms) {
        p->use = SL_ERR_ID_SESSION_DONE;
        return SL_OK;
    }
    if (p->now >= p->s.v.expires_ms) {
        p->use = SL_ERR_ID_VERIF_EXPIRED;
        return SL_OK;
    }
    if (p->take_nonce) {
        /* single use on every node: the challenge's nonce (or the session) */
        uint8_t key[SL_CHALLENGE_NONCE_BYTES + 8];
        size_t kn = 0;
        sl_challenge ch;
        json_t *cj = p->s.challenge ? json_loads(p->s.challenge, 0, NULL) : NULL;
        if (cj && sl_challenge_from_json(&ch, cj) == SL_OK) {
            memcpy(key, ch.nonce, SL_CHALLENGE_NONCE_BYTES);
            kn = SL_CHALLENGE_NONCE_BYTES;
        } else {
            memcpy(key, "session:", 8);
            memcpy(key + 8, &p->id, sizeof p->id);
            kn = 8 + sizeof p->id;
        }
        json_decref(cj);
        st = sl__store_once(tx, "verif_nonce", key, kn, p->now, p->s.v.expires_ms + 60000);
        if (st == SL_ERR_STORE_USED) {
            p->use = SL_ERR_ID_NONCE_USED;
            return SL_OK;
        }
        if (st != SL_OK)
            return st;
    }
    if (p->take_nonce && p->s.v.person_id > 0 && (p->s.v.levels_required & SL_LEVEL_REAL_DOCUMENT)) {
        st = sl__person_template_tx(tx, p->k, p->s.v.person_id, &p->tmpl, &p->dim);
        if (st == SL_ERR_NOT_FOUND)
            st = SL_OK;           /* no registry face: 实证 cannot pass */
        /* the registry template is personal data: its read is audited here */
        if (st == SL_OK && p->r)
            st = append_audit(tx, p->r, "verification.template_read", p->id, p->s.blind, NULL,
                              p->s.v.matter, p->tmpl ? "ok" : "no_template");
    }
    return st;
}

static void prep_clear(struct prep_ctx *p)
{
    sess_clear(&p->s);
    if (p->tmpl) {
        sodium_memzero(p->tmpl, p->dim * sizeof(float));
        sl__free(p->tmpl);
    }
    p->tmpl = NULL;
}

/* ============================ Frames ==================================== */

struct frames_in {
    size_t n;
    struct sl_image *img[SL_VERIF_MAX_FRAMES];
    int64_t t[SL_VERIF_MAX_FRAMES];
};

static void frames_free(struct frames_in *f)
{
    for (size_t i = 0; i < f->n; i++) {
        if (f->img[i] && f->img[i]->data)
            sodium_memzero(f->img[i]->data, (size_t)f->img[i]->stride * (size_t)f->img[i]->height);
        sl_image_free(f->img[i]);
        f->img[i] = NULL;
    }
    f->n = 0;
}

static sl_status decode_b64_image(struct sl_req *r, const json_t *v, const char *where,
                                  struct sl_image **out)
{
    const char *s = json_string_value(v);
    size_t sn = json_string_length(v);
    if (!s || sn / 4 * 3 > FRAME_MAX_BYTES + 3) {
        snprintf(r->detail, sizeof r->detail, "%s: over %u bytes", where, FRAME_MAX_BYTES);
        return SL_ERR_ID_FRAMES_LIMIT;
    }
    size_t cap = sn / 4 * 3 + 3, len = 0;
    uint8_t *buf = sl__malloc(cap);
    if (!buf)
        return SL_ERR_NOMEM;
    if (sodium_base642bin(buf, cap, s, sn, " \r\n", &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        sl__free(buf);
        snprintf(r->detail, sizeof r->detail, "%s: not base64 (standard alphabet)", where);
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    struct sl_image_limits lim = { .max_bytes = FRAME_MAX_BYTES, .max_width = FRAME_MAX_SIDE,
                                   .max_height = FRAME_MAX_SIDE, .max_pixels = FRAME_MAX_PIXELS };
    sl_status st = sl_image_decode(buf, len, &lim, 3, out, NULL);
    sodium_memzero(buf, len);
    sl__free(buf);
    if (st != SL_OK) {
        snprintf(r->detail, sizeof r->detail, "%s: %s", where, sl_status_str(st));
        if (SL_STATUS_PRIMARY(st) == SL_ERR_TOO_LARGE)
            st = SL_ERR_ID_FRAMES_LIMIT;
    }
    return st;
}

static sl_status frames_decode(struct sl_req *r, int64_t base_ms, struct frames_in *f)
{
    json_t *arr = json_object_get(r->json, "frames");
    size_t n = json_array_size(arr);
    if (n == 0 || n > SL_VERIF_MAX_FRAMES) {
        snprintf(r->detail, sizeof r->detail, "/frames: 1..%d frames", SL_VERIF_MAX_FRAMES);
        return n ? SL_ERR_ID_FRAMES_LIMIT : SL_ERR_HTTP_FIELD_VALUE;
    }
    /* every limit before any decoding: count (above), bytes, then pixels */
    for (size_t i = 0; i < n; i++) {
        json_t *im = json_object_get(json_array_get(arr, i), "image");
        if (json_string_length(im) / 4 * 3 > FRAME_MAX_BYTES + 3) {
            snprintf(r->detail, sizeof r->detail, "/frames/%zu/image: over %u bytes", i, FRAME_MAX_BYTES);
            return SL_ERR_ID_FRAMES_LIMIT;
        }
    }
    int64_t last = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        json_t *fr = json_array_get(arr, i);
        int64_t t = json_integer_value(json_object_get(fr, "t_ms"));
        if (t <= last && i > 0) {
            snprintf(r->detail, sizeof r->detail, "/frames/%zu/t_ms: not increasing", i);
            frames_free(f);
            return SL_ERR_HTTP_FIELD_VALUE;
        }
        last = t;
        char where[48];
        snprintf(where, sizeof where, "/frames/%zu/image", i);
        sl_status st = decode_b64_image(r, json_object_get(fr, "image"), where, &f->img[i]);
        if (st != SL_OK) {
            f->n = i;
            frames_free(f);
            return st;
        }
        f->t[i] = base_ms + t;
        f->n = i + 1;
    }
    return SL_OK;
}

static void live_reasons(json_t *reasons, uint32_t bits)
{
    for (int b = 1; b <= SL_LR_MAX; b++)
        if (bits & (1u << b))
            add_reason(reasons, sl_live_reason_name((enum sl_live_reason)b),
                       sl_live_reason_msg((enum sl_live_reason)b, SL_LANG_ZH),
                       sl_live_reason_msg((enum sl_live_reason)b, SL_LANG_EN));
}

static void quality_reasons(json_t *reasons, uint32_t bits)
{
    for (int b = 1; b <= SL_Q_REASON_MAX; b++)
        if (bits & (1u << b))
            add_reason(reasons, sl_quality_reason_name((enum sl_quality_reason)b),
                       sl_quality_reason_msg((enum sl_quality_reason)b, SL_LANG_ZH),
                       sl_quality_reason_msg((enum sl_quality_reason)b, SL_LANG_EN));
}

struct done_ctx {
    struct sl_req *r;
    struct prep_ctx *p;
    struct outcome o;
    const uint8_t *best_jpeg;
    size_t best_n;
    json_t *result;
};

static sl_status done_tx(sl_tx *tx, void *vctx)
{
    struct done_ctx *d = vctx;
    json_decref(d->result);
    d->result = NULL;
    struct sess cur;
    sl_status st = sess_load(tx, d->p->id, &cur);
    bool done = st == SL_OK && cur.done;
    sess_clear(&cur);
    if (st != SL_OK)
        return st;
    if (done)
        return SL_ERR_ID_SESSION_DONE;
    st = finish(tx, d->r, &d->o, &d->result);
    int64_t now = sl__now_ms();
    if (st == SL_OK)
        st = d->o.passed ? sl__id_lock_success(tx, d->p->s.blind)
                         : sl__id_lock_fail(tx, d->p->s.blind, now, NULL);
    if (st == SL_OK && d->best_jpeg && d->p->s.keep_reason[0]) {
        int days = d->p->s.retention_days > 0 ? d->p->s.retention_days : 30;
        st = sl__frame_keep_tx(tx, keys(d->r), d->o.id, d->p->s.keep_reason, d->best_jpeg,
                               d->best_n, now + (int64_t)days * 86400000, NULL);
        if (st == SL_OK)
            json_object_set_new(d->result, "best_frame_kept",
                                json_pack("{s:s,s:i}", "reason", d->p->s.keep_reason,
                                          "retention_days", days));
    }
    if (st == SL_OK)
        st = append_audit(tx, d->r, d->r->route->audit_action, d->o.id, d->p->s.blind, NULL,
                          d->o.matter, d->o.passed ? "passed" : "refused");
    return st;
}

/* Answers a session that cannot take frames or an alternative any more. */
static sl_status use_refusal(struct sl_req *r, struct prep_ctx *p)
{
    if (p->use == SL_ERR_ID_VERIF_EXPIRED) {
        json_t *reasons = json_array();
        add_reason_code(reasons, "session_expired");
        struct outcome o = { .id = p->id, .person_id = p->s.v.person_id, .matter = p->s.v.matter, .reference = p->s.v.reference,
                             .channel = p->s.v.channel, .device = p->s.v.device,
                             .liveness = p->s.liveness, .method = p->s.v.method,
                             .vouched_by = p->s.v.vouched_by[0] ? p->s.v.vouched_by : NULL,
                             .levels_required = p->s.v.levels_required,
                             .factors_required = p->s.factors_required, .score = NAN,
                             .threshold = NAN, .far = NAN, .reasons = reasons };
        struct done_ctx d = { .r = r, .p = p, .o = o };
        sl_status st = sl__store_run(store(r), done_tx, &d);
        json_decref(reasons);
        if (st != SL_OK)
            return st;
        r->audited = true;
        json_object_set_new(d.result, "status", json_string("decided"));
        return sl__reply_json(r, 200, d.result);
    }
    if (p->use == SL_ERR_ID_NONCE_USED)
        return refuse(r, p->use, "该核验挑战已使用过，请重新开始核验。",
                      "This challenge was already used (a replay); start a new verification.", 0);
    return refuse(r, p->use, "本次核验已有结果，请重新开始核验。",
                  "This verification already has a result; start a new one.", 0);
}

static sl_status sl__h_verif_frames(struct sl_req *r)
{
    int64_t id = path_id(r);
    if (!id)
        return SL_ERR_NOT_FOUND;
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "verification");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)id);
    if (!r->srv->pool) {
        snprintf(r->detail, sizeof r->detail, "the server was started without face models");
        return SL_ERR_HTTP_UNAVAILABLE;
    }
    /* malformed frames are refused before the nonce is spent */
    struct prep_ctx p = { .r = r, .id = id, .k = keys(r), .now = sl__now_ms() };
    sl_status st = sl__store_run(store(r), prep_tx, &p);
    if (st != SL_OK) {
        prep_clear(&p);
        return st;
    }
    if (!owner(r, &p.s)) {
        prep_clear(&p);
        return SL_ERR_NOT_FOUND;
    }
    if (p.use != SL_OK) {
        st = use_refusal(r, &p);
        prep_clear(&p);
        return st;
    }
    if (!p.s.face_allowed) {
        prep_clear(&p);
        snprintf(r->detail, sizeof r->detail, "this session takes no frames (no face level, or 实名 failed)");
        return SL_ERR_ID_SESSION_DONE;
    }
    sl_challenge ch;
    bool have_ch = false;
    if (p.s.challenge) {
        json_t *cj = json_loads(p.s.challenge, 0, NULL);
        have_ch = cj && sl_challenge_from_json(&ch, cj) == SL_OK;
        json_decref(cj);
    }
    struct frames_in f;
    memset(&f, 0, sizeof f);
    st = frames_decode(r, have_ch ? ch.issued_at_ms : 0, &f);
    if (st != SL_OK) {
        prep_clear(&p);
        return st;
    }
    /* now the single use: a second upload for this challenge is a replay */
    p.take_nonce = true;
    p.now = sl__now_ms();
    st = sl__store_run(store(r), prep_tx, &p);
    if (st == SL_OK && p.use != SL_OK) {
        frames_free(&f);
        st = use_refusal(r, &p);
        prep_clear(&p);
        return st;
    }
    struct sl_verif_analysis a;
    memset(&a, 0, sizeof a);
    sl_face_session *fs = NULL;
    if (st == SL_OK)
        st = sl__pool_take(r->srv->pool, r->srv->metrics, &fs);
    if (st == SL_OK) {
        st = sl__verif_analyse(fs, f.img, f.t, f.n, p.s.liveness, have_ch ? &ch : NULL,
                               p.tmpl, p.tmpl ? p.dim : 0, r->srv->o.id_calib,
                               p.s.far > 0 ? p.s.far : SL_VERIF_DEFAULT_FAR, &a);
        sl__pool_give(r->srv->pool, fs);
    }
    /* the best frame, encoded, only if it is to be kept */
    uint8_t *jpeg = NULL;
    size_t jn = 0;
    if (st == SL_OK && p.s.keep_reason[0] && a.best >= 0 &&
        sl_image_encode_jpeg(f.img[a.best], 90, &jpeg, &jn) != SL_OK)
        jpeg = NULL;
    size_t n_recv = f.n;
    frames_free(&f);                  /* raw frames: gone after the decision */
    if (st != SL_OK) {
        sl__verif_analysis_free(&a);
        prep_clear(&p);
        return st;
    }
    json_t *reasons = json_array();
    bool vouched = strcmp(p.s.liveness, "none") == 0;
    if (p.s.v.person_id <= 0)
        add_reason_code(reasons, "person_unknown");
    if (a.identity_switch)
        add_reason_code(reasons, "identity_switch");
    if (a.live == SL_VLIVE_SPOOF)
        add_reason_code(reasons, "spoof");
    else if (a.live == SL_VLIVE_RETRY)
        add_reason_code(reasons, "liveness_failed");
    live_reasons(reasons, a.live_reasons & ~(1u << SL_LR_IDENTITY_SWITCH));
    if (a.n_quality_ok == 0) {
        add_reason_code(reasons, "no_usable_frame");
        quality_reasons(reasons, a.quality_seen);
    }
    if ((p.s.v.levels_required & SL_LEVEL_REAL_DOCUMENT) && a.doc_ran && !a.doc_match)
        add_reason_code(reasons, "face_mismatch");
    uint32_t fpass = p.s.v.factors_passed;
    if ((p.s.factors_required & SL_FACTOR_BANK_CARD) && !(fpass & SL_FACTOR_BANK_CARD))
        add_reason_code(reasons, p.s.factor_reasons ? "bank_card_mismatch" : "bank_card_required");
    struct sl_verif_decision_in din = { .levels_required = p.s.v.levels_required,
                                        .factors_required = p.s.factors_required,
                                        .factors_passed = fpass,
                                        .real_name_ok = p.s.v.person_id > 0,
                                        .clerk_vouched = vouched, .a = &a };
    bool passed = false;
    uint32_t lv = sl__verif_levels(&din, &passed);
    struct done_ctx d = {
        .r = r, .p = &p, .best_jpeg = jpeg, .best_n = jn,
        .o = { .id = id, .person_id = p.s.v.person_id, .matter = p.s.v.matter, .reference = p.s.v.reference,
               .channel = p.s.v.channel, .device = p.s.v.device, .liveness = p.s.liveness,
               .method = p.s.v.method,
               .vouched_by = p.s.v.vouched_by[0] ? p.s.v.vouched_by : NULL,
               .levels_required = p.s.v.levels_required, .levels_passed = lv,
               .factors_required = p.s.factors_required, .factors_passed = fpass,
               .passed = passed, .score = a.doc_ran ? a.score : NAN,
               .threshold = a.doc_ran ? a.threshold : NAN, .far = a.doc_ran ? a.far : NAN,
               .mode = a.mode, .live = vouched ? "clerk_vouched" : sl__verif_live_name(a.live),
               .reasons = reasons },
    };
    st = sl__store_run(store(r), done_tx, &d);
    if (jpeg) {
        sodium_memzero(jpeg, jn);
        sl_image_bytes_free(jpeg);
    }
    size_t nq = a.n_quality_ok, nf = a.n_fused;
    sl__verif_analysis_free(&a);
    prep_clear(&p);
    json_decref(reasons);
    if (st != SL_OK)
        return st;
    r->audited = true;
    json_object_set_new(d.result, "frames", json_pack("{s:I,s:I,s:I}", "received",
                        (json_int_t)n_recv, "quality_ok", (json_int_t)nq, "fused", (json_int_t)nf));
    json_object_set_new(d.result, "status", json_string("decided"));
    return sl__reply_json(r, 200, d.result);
}

/* ============================ Alternatives ============================== */

struct idcode_ctx {
    const struct sl_idcode *c;
    int64_t now;
    char person[129];
};

static sl_status idcode_tx(sl_tx *tx, void *vctx)
{
    struct idcode_ctx *v = vctx;
    v->person[0] = 0;
    sl_status st = sl__store_once(tx, "idcode", v->c->nonce, SL_IDCODE_NONCE_LEN, v->now,
                                  v->c->expires_ms + 60000);
    if (st == SL_ERR_STORE_USED)
        return SL_ERR_IDCODE_USED;
    if (st != SL_OK)
        return st;
    char sub[2 * SL_IDCODE_SUBJECT_LEN + 1];
    sl__idcode_subject_hex(v->c->subject, sub);
    sl_rows *rows = NULL;
    st = sl__tx_query(tx, "SELECT person_ref FROM idcode_subject WHERE hall_id = ? AND subject = ?",
                      SL_ARGS(SL_INT(v->c->hall_id), SL_TEXT(sub)), &rows);
    if (st == SL_OK && sl__rows_count(rows))
        snprintf(v->person, sizeof v->person, "%s", sl__rows_text(rows, 0, 0));
    sl__rows_free(rows);
    return st;
}

/* 1:1 of two images with the engine's own verdict (calibration "live"). */
static sl_status chip_match(struct sl_req *r, struct sl_image *a, struct sl_image *b, bool *match,
                            double *score)
{
    sl_face_session *s = NULL;
    sl_status st = sl__pool_take(r->srv->pool, r->srv->metrics, &s);
    if (st != SL_OK)
        return st;
    sl_face_input ia = { .image = a }, ib = { .image = b };
    sl_face_verify_opts o = sl_face_verify_opts_default();
    sl_face_verdict v;
    st = sl_face_verify(s, &ia, &ib, &o, &v);
    sl__pool_give(r->srv->pool, s);
    if (st == SL_OK) {
        *match = !v.no_face && v.decision.match;
        *score = v.no_face ? NAN : v.decision.score;
    }
    return st;
}

static sl_status sl__h_verif_alternative(struct sl_req *r)
{
    int64_t id = path_id(r);
    if (!id)
        return SL_ERR_NOT_FOUND;
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "verification");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)id);
    const char *method = json_string_value(json_object_get(r->json, "method"));
    bool window = r->who.kind == SL_PRIN_DEVICE ? (r->who.bits & SL_DEV_WINDOW) != 0 : true;
    if (!window) {
        snprintf(r->detail, sizeof r->detail, "alternatives are recorded at a window (device or clerk)");
        return SL_ERR_HTTP_FORBIDDEN;
    }
    struct prep_ctx p = { .r = r, .id = id, .k = keys(r), .now = sl__now_ms(), .take_nonce = false };
    sl_status st = sl__store_run(store(r), prep_tx, &p);
    if (st != SL_OK) {
        prep_clear(&p);
        return st;
    }
    if (!owner(r, &p.s) && r->who.kind != SL_PRIN_STAFF) {
        prep_clear(&p);
        return SL_ERR_NOT_FOUND;
    }
    if (p.use != SL_OK) {
        st = use_refusal(r, &p);
        prep_clear(&p);
        return st;
    }
    json_t *reasons = json_array();
    enum sl_verif_method m = 0;
    char vouch[200] = "";
    double score = NAN;
    bool ok = p.s.v.person_id > 0;
    if (!ok)
        add_reason_code(reasons, "person_unknown");
    struct sl_person person;
    memset(&person, 0, sizeof person);
    if (strcmp(method, "id_card_reader") == 0) {
        m = SL_METHOD_ID_CARD;
        const json_t *card = json_object_get(r->json, "card");
        const char *cn = json_string_value(json_object_get(card, "id_number"));
        const char *nm = json_string_value(json_object_get(card, "name"));
        if (!cn || !nm) {
            json_decref(reasons);
            prep_clear(&p);
            snprintf(r->detail, sizeof r->detail, "/card: id_number and name from the chip");
            return SL_ERR_ID_ALTERNATIVE;
        }
        /* the card is the session's document */
        char day[11], blind[65] = "";
        today(day);
        struct sl_id_info info;
        enum sl_id_type t = sl_id_type_parse(json_string_value(json_object_get(card, "id_type")));
        if (!t)
            t = SL_ID_RESIDENT;
        if (sl_id_check(t, cn, day, NULL, &info) != SL_OK ||
            sl__id_blind(keys(r), t, info.normalised, blind) != SL_OK ||
            strcmp(blind, p.s.blind) != 0) {
            ok = false;
            add_reason_code(reasons, "card_mismatch");
        }
        snprintf(vouch, sizeof vouch, "device:%s reader", r->who.name);
        json_t *chip = json_object_get(r->json, "chip_photo");
        json_t *live = json_object_get(r->json, "live_image");
        if (ok && chip && live) {
            struct sl_image *a = NULL, *b = NULL;
            st = decode_b64_image(r, chip, "/chip_photo", &a);
            if (st == SL_OK)
                st = decode_b64_image(r, live, "/live_image", &b);
            bool match = false;
            if (st == SL_OK)
                st = chip_match(r, a, b, &match, &score);
            sl_image_free(a);
            sl_image_free(b);
            if (st != SL_OK) {
                json_decref(reasons);
                prep_clear(&p);
                return st;
            }
            if (!match) {
                ok = false;
                add_reason_code(reasons, "chip_photo_mismatch");
            }
        }
    } else if (strcmp(method, "clerk_document_check") == 0) {
        m = SL_METHOD_CLERK_DOCUMENT;
        const char *clerk = r->who.kind == SL_PRIN_STAFF ? r->who.name
                          : json_string_value(json_object_get(r->json, "clerk"));
        const char *doc = json_string_value(json_object_get(r->json, "document"));
        if (!clerk || !*clerk || !doc || !*doc) {
            json_decref(reasons);
            prep_clear(&p);
            snprintf(r->detail, sizeof r->detail, "/clerk and /document: who checked which document");
            return SL_ERR_ID_ALTERNATIVE;
        }
        snprintf(vouch, sizeof vouch, "clerk:%s document:%s%s%s", clerk, doc,
                 r->who.kind == SL_PRIN_DEVICE ? " device:" : "",
                 r->who.kind == SL_PRIN_DEVICE ? r->who.name : "");
    } else {
        m = SL_METHOD_ID_CODE;
        const char *code = json_string_value(json_object_get(r->json, "code"));
        if (!code) {
            json_decref(reasons);
            prep_clear(&p);
            snprintf(r->detail, sizeof r->detail, "/code: the scanned identity code");
            return SL_ERR_ID_ALTERNATIVE;
        }
        struct sl_idcode c;
        struct idcode_ctx ic = { .c = &c, .now = sl__now_ms() };
        st = sl__idcode_check(keys(r), code, strlen(code), ic.now, SL_IDCODE_IDENTIFY, &c);
        if (st == SL_OK && (int64_t)c.hall_id != r->who.hall_id)
            st = SL_ERR_IDCODE_PURPOSE;
        if (st == SL_OK)
            st = sl__store_run(store(r), idcode_tx, &ic);
        if (st != SL_OK && SL_STATUS_PRIMARY(st) != SL_ERR_NOMEM &&
            SL_STATUS_PRIMARY(st) != SL_ERR_IO) {
            ok = false;
            add_reason(reasons, "id_code_invalid", reason_text("id_code_invalid")->zh,
                       reason_text("id_code_invalid")->en);
            snprintf(r->detail, sizeof r->detail, "identity code: %s", sl_status_name(st));
            st = SL_OK;
        } else if (st != SL_OK) {
            json_decref(reasons);
            prep_clear(&p);
            return st;
        } else {
            char pid[24];
            snprintf(pid, sizeof pid, "%lld", (long long)p.s.v.person_id);
            if (strcmp(ic.person, pid) != 0) {
                ok = false;
                add_reason_code(reasons, "id_code_other_person");
            }
        }
        snprintf(vouch, sizeof vouch, "device:%s identity_code", r->who.name);
    }
    uint32_t fpass = p.s.v.factors_passed;
    if ((p.s.factors_required & SL_FACTOR_BANK_CARD) && !(fpass & SL_FACTOR_BANK_CARD)) {
        ok = false;
        add_reason_code(reasons, p.s.factor_reasons ? "bank_card_mismatch" : "bank_card_required");
    }
    uint32_t lv = ok ? p.s.v.levels_required : (p.s.v.person_id > 0 ? SL_LEVEL_REAL_NAME : 0);
    lv &= p.s.v.levels_required;
    int64_t ch = 0;
    struct done_ctx d = {
        .r = r, .p = &p,
        .o = { .id = id, .person_id = p.s.v.person_id, .matter = p.s.v.matter, .reference = p.s.v.reference,
               .channel = p.s.v.channel, .device = p.s.v.device, .liveness = p.s.liveness,
               .method = m, .vouched_by = vouch, .levels_required = p.s.v.levels_required,
               .levels_passed = lv, .factors_required = p.s.factors_required,
               .factors_passed = fpass, .passed = ok, .score = score, .threshold = NAN,
               .far = NAN, .mode = NULL, .live = "not_run", .reasons = reasons },
    };
    st = sl__store_run(store(r), done_tx, &d);
    if (st == SL_OK) {
        /* the method and who vouched, on the result row too */
        sl_tx *tx = NULL;
        st = sl__tx_begin(store(r), &tx);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "UPDATE id_verification SET method = ?, vouched_by = ? WHERE id = ?",
                             SL_ARGS(SL_INT(m), SL_TEXT(vouch), SL_INT(id)), &ch);
        st = st == SL_OK ? sl__tx_commit(tx) : (tx ? (sl__tx_rollback(tx), st) : st);
    }
    (void)person;
    prep_clear(&p);
    json_decref(reasons);
    if (st != SL_OK) {
        json_decref(d.result);
        return st;
    }
    r->audited = true;
    json_object_set_new(d.result, "status", json_string("decided"));
    return sl__reply_json(r, 200, d.result);
}

/* ============================ Get ======================================= */

struct get_ctx {
    int64_t id;
    struct sl_req *r;
    struct sess s;
    char *json;
    char sig[160];
};

static sl_status get_tx(sl_tx *tx, void *vctx)
{
    struct get_ctx *g = vctx;
    sess_clear(&g->s);
    free(g->json);
    g->json = NULL;
    sl_status st = sess_load(tx, g->id, &g->s);
    if (st != SL_OK)
        return st;
    if (!owner(g->r, &g->s))
        return SL_ERR_NOT_FOUND;
    sl_rows *rows = NULL;
    st = sl__tx_query(tx, "SELECT result_json FROM id_verification WHERE id = ?",
                      SL_ARGS(SL_INT(g->id)), &rows);
    if (st == SL_OK && sl__rows_count(rows) && sl__rows_text(rows, 0, 0))
        g->json = strdup(sl__rows_text(rows, 0, 0));
    sl__rows_free(rows);
    if (st == SL_OK)
        st = sl__verification_signature_tx(tx, g->id, g->sig, sizeof g->sig);
    if (st == SL_OK)
        st = append_audit(tx, g->r, "verification.read", g->id, g->s.blind, NULL, g->s.v.matter, "ok");
    return st;
}

static sl_status sl__h_verif_get(struct sl_req *r)
{
    struct get_ctx g = { .id = path_id(r), .r = r };
    if (!g.id)
        return SL_ERR_NOT_FOUND;
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "verification");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%lld", (long long)g.id);
    sl_status st = sl__store_run(store(r), get_tx, &g);
    if (st != SL_OK) {
        sess_clear(&g.s);
        free(g.json);
        return st;
    }
    r->audited = true;
    const struct sl_verification *v = &g.s.v;
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:b,s:o,s:o}", "id", (json_int_t)v->id, "matter",
                          v->matter, "reference", v->reference, "method", sl__method_name(v->method),
                          "passed", v->passed, "expires_at", iso(v->expires_ms), "used_at",
                          v->used_ms ? iso(v->used_ms) : json_null());
    json_object_set_new(o, "status", json_string(g.s.done ? "decided" : "awaiting_frames"));
    if (g.json && *g.json) {
        json_object_set_new(o, "result_json", json_string(g.json));
        json_object_set_new(o, "result", json_loads(g.json, 0, NULL));
        json_object_set_new(o, "signature", json_string(g.sig));
        json_object_set_new(o, "signature_alg", json_string(sl__suite_name(sl__keyring_suite(keys(r)))));
    }
    sess_clear(&g.s);
    free(g.json);
    return sl__reply_json(r, 200, o);
}

/* ============================ Table ===================================== */

static const char *const id_types[] = { "resident_id", "passport", "hk_macao_permit",
                                        "taiwan_permit", "foreign_permanent_resident", NULL };
static const char *const level_enum[] = { "real_name", "real_person", "real_document", NULL };
static const char *const liveness_enum[] = { "actions", "digits", "passive", "none", NULL };
static const char *const alt_enum[] = { "id_card_reader", "clerk_document_check", "identity_code", NULL };

static const struct sl_schema s_str = { SL_S_STRING, "text", NULL, 1, 256, 0, 0, NULL, NULL, NULL };
static const struct sl_schema s_bool = { SL_S_BOOL, "yes/no", NULL, 0, 0, 0, 0, NULL, NULL, NULL };
static const struct sl_schema s_int = { SL_S_INT, "integer", NULL, 0, 0, 0, 0, NULL, NULL, NULL };
static const struct sl_schema s_id_type = { SL_S_STRING, "ID type", NULL, 1, 40, 0, 0, NULL, NULL, id_types };
static const struct sl_schema s_level = { SL_S_STRING, "level", NULL, 1, 20, 0, 0, NULL, NULL, level_enum };
static const struct sl_schema s_levels = { SL_S_ARRAY, "levels required (any non-empty subset)", NULL, 1, 3, 0, 0, NULL, &s_level, NULL };
static const struct sl_schema s_liveness = { SL_S_STRING, "liveness mode", NULL, 1, 10, 0, 0, NULL, NULL, liveness_enum };
static const struct sl_field f_guardian[] = {
    { "name", &s_str, true }, { "id_number", &s_str, true }, { "relation", &s_str, false },
    { NULL, NULL, false } };
static const struct sl_schema s_guardian = { SL_S_OBJECT, "guardian (under 14)", NULL, 0, 0, 0, 0, f_guardian, NULL, NULL };
static const struct sl_field f_consent[] = {
    { "face_processing", &s_bool, false }, { "remote_frames", &s_bool, false },
    { "keep_best_frame", &s_bool, false }, { "guardian", &s_guardian, false },
    { NULL, NULL, false } };
static const struct sl_schema s_consent = { SL_S_OBJECT, "the person's separate consents for this use", NULL, 0, 0, 0, 0, f_consent, NULL, NULL };
static const struct sl_field f_bank[] = {
    { "card", &s_str, true }, { "phone", &s_str, true }, { NULL, NULL, false } };
static const struct sl_schema s_bank = { SL_S_OBJECT, "bank-card second factor (seed 002)", NULL, 0, 0, 0, 0, f_bank, NULL, NULL };
static const char *const method_enum[] = { "face", "alternative", NULL };
static const struct sl_schema s_method = { SL_S_STRING, "face (default) or alternative (no face: an alternative follows)", NULL, 1, 12, 0, 0, NULL, NULL, method_enum };
static const struct sl_field f_create[] = {
    { "id_type", &s_id_type, true }, { "id_number", &s_str, true }, { "name", &s_str, true },
    { "levels", &s_levels, true }, { "liveness", &s_liveness, false },
    { "matter", &s_str, true }, { "reference", &s_str, true },
    { "consent", &s_consent, false }, { "bank_card", &s_bank, false },
    { "clerk", &s_str, false }, { "method", &s_method, false }, { NULL, NULL, false } };
static const struct sl_schema s_create = { SL_S_OBJECT, "a verification session", NULL, 0, 0, 0, 0, f_create, NULL, NULL };

static const struct sl_schema s_image = { SL_S_STRING, "JPEG or PNG, base64", "byte", 1, 0, 0, 0, NULL, NULL, NULL };
static const struct sl_field f_frame[] = {
    { "t_ms", &s_int, true }, { "image", &s_image, true }, { NULL, NULL, false } };
static const struct sl_schema s_frame = { SL_S_OBJECT, "a frame: ms since the challenge was issued", NULL, 0, 0, 0, 0, f_frame, NULL, NULL };
static const struct sl_schema s_frame_arr = { SL_S_ARRAY, "frames, t_ms increasing", NULL, 1, SL_VERIF_MAX_FRAMES, 0, 0, NULL, &s_frame, NULL };
static const struct sl_field f_frames[] = { { "frames", &s_frame_arr, true }, { NULL, NULL, false } };
static const struct sl_schema s_frames = { SL_S_OBJECT, "the frames of a session", NULL, 0, 0, 0, 0, f_frames, NULL, NULL };

static const struct sl_schema s_alt_method = { SL_S_STRING, "method", NULL, 1, 30, 0, 0, NULL, NULL, alt_enum };
static const struct sl_field f_card[] = {
    { "id_type", &s_id_type, false }, { "id_number", &s_str, true }, { "name", &s_str, true },
    { "valid_to", &s_str, false }, { NULL, NULL, false } };
static const struct sl_schema s_card = { SL_S_OBJECT, "ID-card chip data", NULL, 0, 0, 0, 0, f_card, NULL, NULL };
static const struct sl_schema s_code = { SL_S_STRING, "identity code text", NULL, 1, 512, 0, 0, NULL, NULL, NULL };
static const struct sl_field f_alt[] = {
    { "method", &s_alt_method, true }, { "card", &s_card, false },
    { "chip_photo", &s_image, false }, { "live_image", &s_image, false },
    { "clerk", &s_str, false }, { "document", &s_str, false }, { "code", &s_code, false },
    { NULL, NULL, false } };
static const struct sl_schema s_alt = { SL_S_OBJECT, "a non-face alternative", NULL, 0, 0, 0, 0, f_alt, NULL, NULL };

static const struct sl_schema s_result = { SL_S_OBJECT, "the (signed) verification result", NULL, 0, 0, 0, 0, NULL, NULL, NULL };

#define VERIF_CALLERS (SL_DEV_WINDOW | SL_DEV_KIOSK | SL_DEV_H5 | SL_ROLE_CLERK | SL_R_CITIZEN)

const struct sl_route sl__id_routes[] = {
    { "POST", "/v1/verifications", sl__h_verif_create, VERIF_CALLERS, 64 * 1024, "verify",
      "verification.create", &s_create, &s_result,
      "Start a verification (实名 at once; the challenge for 实人/实证)", "identity" },
    { "POST", "/v1/verifications/{id}/frames", sl__h_verif_frames, VERIF_CALLERS | SL_R_ENGINE, FRAMES_BODY_MAX,
      "engine", "verification.frames", &s_frames, &s_result,
      "Upload the frames: quality, liveness, 实证; the signed result", "identity" },
    { "POST", "/v1/verifications/{id}/alternative", sl__h_verif_alternative,
      SL_DEV_WINDOW | SL_ROLE_CLERK | SL_R_CITIZEN | SL_R_ENGINE, ALT_BODY_MAX, "verify",
      "verification.alternative", &s_alt, &s_result,
      "Verify without a face: ID-card reader, clerk's document check, identity code", "identity" },
    { "GET", "/v1/verifications/{id}", sl__h_verif_get, VERIF_CALLERS, 0, NULL,
      "verification.read", NULL, &s_result, "The signed result (the session's creator)",
      "identity" },
};
const size_t sl__id_n_routes = SL_ARRAY_LEN(sl__id_routes);
