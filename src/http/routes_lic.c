/*
 * routes_lic.c -- the route slice of issue 14 (electronic signatures,
 * licences, credentials; docs/licences.md). Registered with one line in
 * routes.c's slice list.
 *
 *   GET  /v1/esign/key     the hall's public signing key (sl__public_key
 *                          text), so anyone can check a signature offline
 *   POST /v1/esign/verify  checks a signature record (and, if given, the
 *                          document's hash): {valid, code, ...}
 *
 * Licences (logic, store and audit in src/gov/lic_store.c, licstore.h):
 *   POST /v1/licences/issuers            admin: a department with its own key
 *   GET  /v1/licences/issuers            public: issuers and public keys
 *   POST /v1/licences/types              admin: a licence type and its fields
 *   GET  /v1/licences/types              public
 *   POST /v1/licences                    issuer: issue (GB/T 36904 id checked)
 *   POST /v1/licences/{lid}/{action}     issuer: suspend | resume | revoke
 *   GET  /v1/licences/{lid}/check        public: status + issuer signature
 *   POST /v1/licences/holder             clerk/issuer: a person's licences and
 *                                        uses (no field values), audited
 *   POST /v1/me/licences                 phone/kiosk: the holder's own
 *                                        licences with fields and 用证记录,
 *                                        after a face verification
 *                                        (matter "licence_list")
 *   POST /v1/licence-consents            the holder's consent for an
 *                                        application (verification consumed)
 *   POST /v1/licence-consents/withdraw   withdraw it
 *   POST /v1/licence-fetches             免提交: fetch the application's
 *                                        licences under that consent
 * 房查证明 and temporary credentials:
 *   POST /v1/property-certificates       kiosk etc.: issue (verification)
 *   GET  /v1/property-certificates/{serial}   ?format=json|html|pdf
 *   POST /v1/credentials                 window/phone/clerk: issue (verification)
 *   GET  /v1/credentials/{serial}        ?format=json|html|pdf
 *   POST /v1/credentials/{serial}/revoke staff / window
 *   GET  /v1/verify/property-certificate?code=   public
 *   GET  /v1/verify/credential?code=     public: valid|expired|revoked + photo
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "acct/acct.h"
#include "gov/app.h"
#include "gov/lic.h"
#include "gov/licstore.h"
#include "id/idcode.h"
#include "http/http_int.h"
#include "print/print.h"
#include "shualian/image.h"

static const sl_keyring *keys(const struct sl_req *r)
{
    return r->srv->o.acct ? sl__acct_keyring(r->srv->o.acct) : NULL;
}

static sl_status h_esign_key(struct sl_req *r)
{
    const sl_keyring *k = keys(r);
    if (!k)
        return SL_ERR_HTTP_UNAVAILABLE;
    char pub[SL_CRYPTO_PUBKEY_MAX];
    sl_status st = sl__public_key(k, 0, pub, sizeof pub);
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:s,s:s}", "suite",
                          sl__suite_name(sl__keyring_suite(k)), "public_key", pub));
}

/* The answer is 200 either way: {valid:false, code} says why a signature
 * does not hold; only a malformed request is a problem. */
static sl_status h_esign_verify(struct sl_req *r)
{
    const sl_keyring *k = keys(r);
    if (!k)
        return SL_ERR_HTTP_UNAVAILABLE;
    struct sl__esign rec;
    sl_status st = sl__esign_from_json(json_object_get(r->json, "signature"), &rec);
    if (st != SL_OK) {
        snprintf(r->detail, sizeof r->detail,
                 "signature must be an object {doc_hash, verification_id, result, "
                 "signed_at_ms, suite, kid, sig}");
        return st;
    }
    const char *want = sl_json_str(r->json, "doc_hash", NULL);
    if (want && strcmp(want, rec.doc_hash) != 0)
        st = SL_ERR_CRYPTO_SIGNATURE;
    else
        st = sl__esign_verify(k, NULL, 0, &rec);
    return sl__reply_json(r, 200, json_pack("{s:b,s:s,s:s,s:s,s:I,s:I}",
        "valid", st == SL_OK, "code", st == SL_OK ? "ok" : sl_status_name(st),
        "verification_id", rec.verification_id, "suite", rec.suite,
        "kid", (json_int_t)rec.kid, "signed_at_ms", (json_int_t)rec.signed_at_ms));
}


/* ============================ licences ================================== */

static void lic_of(const struct sl_req *r, struct sl__lic *L, struct sl__lic_actor *a)
{
    L->store = sl__acct_store(r->srv->o.acct);
    L->keys = keys(r);
    L->gov = r->srv->o.gov;
    L->x = r->srv->o.gov ? sl__gov_exchange(r->srv->o.gov) : NULL;
    a->kind = r->who.kind == SL_PRIN_STAFF ? "staff" : r->who.kind == SL_PRIN_DEVICE ? "device"
            : r->who.kind == SL_PRIN_CITIZEN ? "citizen" : "anonymous";
    a->id = r->who.name[0] ? r->who.name : r->ip;
    a->hall_id = r->who.hall_id;
    a->request_id = r->id;
}

#define LIC(r) struct sl__lic L; struct sl__lic_actor A; \
    do { if (!(r)->srv->o.acct) return SL_ERR_HTTP_UNAVAILABLE; lic_of((r), &L, &A); } while (0)

static int64_t int_of(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (json_is_integer(v)) return json_integer_value(v);
    const char *s = json_string_value(v);
    char *end = NULL;
    long long x = s ? strtoll(s, &end, 10) : 0;
    return s && *s && !*end ? x : 0;
}

static sl_status h_issuer_add(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_issuer_add(&L, &A, r->who.hall_id, sl_json_str(r->json, "name", ""),
                                      sl_json_str(r->json, "uscc", ""), &out);
    if (st == SL_ERR_LIC_DATA)
        snprintf(r->detail, sizeof r->detail, "uscc: 18 characters with a valid GB 32100 check character");
    return sl__reply_result(r, st, NULL, 201, NULL, out);
}

static sl_status h_issuer_list(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_issuer_list(&L, &out);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, json_pack("{s:o}", "issuers", out));
}

static sl_status h_type_add(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_type_add(&L, &A, sl_json_str(r->json, "code", ""),
                                    sl_json_str(r->json, "kind", ""), sl_json_str(r->json, "name", ""),
                                    json_object_get(r->json, "fields"),
                                    sl_json_str(r->json, "issuer", ""), &out);
    if (st == SL_ERR_LIC_DATA)
        snprintf(r->detail, sizeof r->detail, "code: digits; kind: a catalogue licence type; "
                 "fields: non-empty array of names");
    return sl__reply_result(r, st, NULL, 201, NULL, out);
}

static sl_status h_type_list(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_type_list(&L, &out);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, json_pack("{s:o}", "types", out));
}

static sl_status h_issue(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    char why[200] = "";
    sl_status st = sl__lic_issue(&L, &A, r->json, why, sizeof why, &out);
    return sl__reply_result(r, st, why, 201, NULL, out);
}

static sl_status h_change(struct sl_req *r)
{
    LIC(r);
    const char *act = sl__req_param(r, "action");
    sl__lic_action a = strcmp(act, "revoke") == 0 ? SL_LIC_REVOKE
                     : strcmp(act, "suspend") == 0 ? SL_LIC_SUSPEND
                     : strcmp(act, "resume") == 0 ? SL_LIC_RESUME : 0;
    if (!a) {
        snprintf(r->detail, sizeof r->detail, "action is suspend, resume or revoke");
        return SL_ERR_HTTP_ROUTE;
    }
    json_t *out = NULL;
    sl_status st = sl__lic_change(&L, &A, sl__req_param(r, "lid"), a,
                                  sl_json_str(r->json, "reason", NULL), &out);
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

static sl_status h_check(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_check(&L, sl__req_param(r, "lid"), &out);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, out);
}

static sl_status h_holder(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_holder_list(&L, &A, sl_json_str(r->json, "id_number", ""), false, &out);
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

static sl_status h_me_licences(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_holder_mine(&L, &A, int_of(r->json, "verification"), &out);
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

/* A citizen session: the person's own licences / one licence's uses. */
static sl_status h_my_licences(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_holder_person(&L, &A, r->who.id, sl__req_param(r, "lid"), &out);
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

static sl_status h_consent(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    int64_t ttl = sl_json_int(r->json, "expires_in_s", 0);
    sl_status st = sl__lic_consent_give(&L, &A, int_of(r->json, "application"),
                                        int_of(r->json, "verification"),
                                        sl_json_str(r->json, "proxy", NULL),
                                        ttl > 0 ? sl__now_ms() + ttl * 1000 : 0, &out);
    return sl__reply_result(r, st, NULL, 201, NULL, out);
}

static sl_status h_consent_withdraw(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_consent_withdraw(&L, &A, int_of(r->json, "application"),
                                            int_of(r->json, "consent"), &out);
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

static sl_status h_fetch(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_fetch(&L, &A, int_of(r->json, "application"), &out);
    if (st == SL_ERR_LIC_CONSENT)
        snprintf(r->detail, sizeof r->detail, "no consent covers this application's licences: "
                 "the holder gives it with POST /v1/licence-consents; nothing was fetched");
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

/* ============================ printables ================================ */

static sl_status reply_doc(struct sl_req *r, sl__doc *d, const char *title)
{
    const char *fmt = sl__req_query(r, "format");
    sl_status st;
    if (fmt && strcmp(fmt, "pdf") == 0) {
        uint8_t *p = NULL;
        size_t n = 0;
        st = sl__doc_pdf(d, SL_DOC_A4, &p, &n);
        if (st == SL_OK) st = sl__reply_bytes(r, 200, "application/pdf", p, n);
        sl__free(p);
    } else {
        char *h = NULL;
        size_t n = 0;
        st = sl__doc_html(d, SL_DOC_A4, title, &h, &n);
        if (st == SL_OK) st = sl__reply_bytes(r, 200, "text/html; charset=utf-8", h, n);
        sl__free(h);
    }
    sl__doc_free(d);
    return st;
}

static bool want_json(const struct sl_req *r)
{
    const char *fmt = sl__req_query(r, "format");
    return !fmt || strcmp(fmt, "json") == 0;
}

/* The tail of a printable's GET (房查证明, temporary credential): the
 * record rec (stolen) as JSON, or built by doc into a document and sent
 * as HTML or PDF (?format=). The library audited the read. */
static sl_status reply_printable(struct sl_req *r, json_t *rec,
                                 sl_status (*doc)(const json_t *, sl__doc **), const char *title)
{
    r->audited = true;
    if (want_json(r)) return sl__reply_json(r, 200, rec);
    sl__doc *d = NULL;
    sl_status st = doc(rec, &d);
    json_decref(rec);
    if (st != SL_OK) return st;
    return reply_doc(r, d, title);
}

static sl_status check_fmt(struct sl_req *r)
{
    const char *fmt = sl__req_query(r, "format");
    if (fmt && strcmp(fmt, "json") && strcmp(fmt, "pdf") && strcmp(fmt, "html")) {
        snprintf(r->detail, sizeof r->detail, "format is json, html or pdf");
        return SL_ERR_PRINT_INPUT;
    }
    return SL_OK;
}

static void props_lines(sl__doc *d, const char *who, const json_t *p, sl_status *st)
{
    char line[512];
    const json_t *props = json_object_get(p, "properties");
    long long n = sl_json_int(props, "count", 0);
    snprintf(line, sizeof line, "%s：%s（%s）", who, sl_json_str(p, "name", ""), sl_json_str(p, "id_masked", ""));
    if (*st == SL_OK) *st = sl__doc_text(d, SL_DOC_HEADING, line);
    if (n == 0) {
        if (*st == SL_OK) *st = sl__doc_text(d, SL_DOC_BODY, "无不动产登记记录 / No real-estate records");
        return;
    }
    snprintf(line, sizeof line, "%lld", n);
    if (*st == SL_OK) *st = sl__doc_field(d, "登记记录数 Records", line);
    if (*st == SL_OK) *st = sl__doc_field(d, "不动产权证号 Certificate", sl_json_str(props, "cert_no", ""));
    if (*st == SL_OK) *st = sl__doc_field(d, "坐落 Address", sl_json_str(props, "address", ""));
    const json_t *a = json_object_get(props, "area_m2");
    snprintf(line, sizeof line, "%.2f m²", json_is_number(a) ? json_number_value(a) : 0.0);
    if (*st == SL_OK) *st = sl__doc_field(d, "面积 Area", line);
    if (*st == SL_OK) *st = sl__doc_field(d, "登记日期 Registered", sl_json_str(props, "registered_on", ""));
}

static sl_status propcert_doc(const json_t *c, sl__doc **out)
{
    sl__doc *d = NULL;
    sl_status st = sl__doc_new(&d);
    if (st != SL_OK) return st;
    st = sl__doc_text(d, SL_DOC_TITLE, "不动产登记信息查询证明 / Certificate of real-estate records");
    if (st == SL_OK) st = sl__doc_field(d, "编号 Serial", sl_json_str(c, "serial", ""));
    if (st == SL_OK) st = sl__doc_field(d, "出具时间 Issued", sl_json_str(c, "issued_at", ""));
    props_lines(d, "申请人 Applicant", json_object_get(c, "holder"), &st);
    if (json_is_object(json_object_get(c, "spouse")))
        props_lines(d, "配偶 Spouse", json_object_get(c, "spouse"), &st);
    if (st == SL_OK)
        st = sl__doc_qr(d, sl_json_str(c, "qr", ""),
                        "扫码或在 /v1/verify/property-certificate 核验 · verify at /v1/verify/property-certificate");
    if (st != SL_OK) { sl__doc_free(d); return st; }
    *out = d;
    return SL_OK;
}

static sl_status h_propcert_issue(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st;
    if (r->who.kind == SL_PRIN_CITIZEN) {
        /* at a kiosk after 扫码/亮码 login: the session's person, with the
         * consent the citizen ticked on the screen (seed 003) */
        if (!json_is_true(json_object_get(json_object_get(r->json, "consent"), "licence_use")))
            return SL_ERR_KIOSK_CONSENT;
        st = sl__lic_propcert_issue_person(&L, &A, r->who.id, &out);
    } else {
        st = sl__lic_propcert_issue(&L, &A, int_of(r->json, "verification"), &out);
    }
    if (st == SL_OK) {   /* the QR as SVG, for the page that prints it */
        char *svg = NULL;
        if (sl__qr_svg(sl_json_str(out, "qr", ""), &svg) == SL_OK)
            json_object_set_new(out, "qr_svg", json_string(svg));
        sl__free(svg);
    }
    return sl__reply_result(r, st, NULL, 201, NULL, out);
}

static sl_status h_propcert_get(struct sl_req *r)
{
    LIC(r);
    sl_status st = check_fmt(r);
    if (st != SL_OK) return st;
    json_t *out = NULL;
    st = sl__lic_propcert_get(&L, &A, sl__req_param(r, "serial"), &out);
    if (st != SL_OK) return st;
    return reply_printable(r, out, propcert_doc, "房查证明");
}

static sl_status h_propcert_verify(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_propcert_verify(&L, sl__req_query(r, "code"), &out);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, out);
}

static unsigned cred_limit(void)
{
    const char *e = getenv("SHUALIAN_CRED_MONTHLY_LIMIT");
    long v = e ? strtol(e, NULL, 10) : 0;
    return v > 0 && v < 1000 ? (unsigned)v : SL_CRED_DEFAULT_LIMIT;
}

static sl_status h_cred_issue(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    long long hours = sl_json_int(r->json, "hours", 0);
    sl_status st = sl__lic_cred_issue(&L, &A, int_of(r->json, "verification"),
                                      sl_json_str(r->json, "purpose", NULL),
                                      hours > 0 ? (unsigned)hours : 0, cred_limit(), &out);
    if (st == SL_ERR_CRED_LIMIT)
        snprintf(r->detail, sizeof r->detail, "%u temporary credentials this month already", cred_limit());
    return sl__reply_result(r, st, NULL, 201, NULL, out);
}

static sl_status cred_doc(const json_t *c, sl__doc **out)
{
    sl__doc *d = NULL;
    sl_status st = sl__doc_new(&d);
    if (st != SL_OK) return st;
    st = sl__doc_text(d, SL_DOC_TITLE, "临时身份证明 / Temporary identity credential");
    const char *b64 = sl_json_str(c, "photo", NULL);
    if (st == SL_OK && b64) {
        size_t cap = strlen(b64), n = 0;
        uint8_t *bin = sl__malloc(cap + 1);
        struct sl_image *img = NULL;
        if (bin && sodium_base642bin(bin, cap, b64, strlen(b64), NULL, &n, NULL,
                                     sodium_base64_VARIANT_ORIGINAL) == 0 &&
            sl_image_decode(bin, n, NULL, 3, &img, NULL) == SL_OK) {
            st = sl__doc_photo(d, img->data, (int)img->width, (int)img->height, img->stride);
            sl_image_free(img);
        }
        sl__free(bin);
    }
    if (st == SL_OK) st = sl__doc_field(d, "姓名 Name", sl_json_str(c, "name", ""));
    if (st == SL_OK) st = sl__doc_field(d, "公民身份号码 ID number", sl_json_str(c, "id_masked", ""));
    if (st == SL_OK) st = sl__doc_field(d, "编号 Serial", sl_json_str(c, "serial", ""));
    if (st == SL_OK) st = sl__doc_field(d, "有效期至 Valid until", sl_json_str(c, "valid_to", ""));
    if (st == SL_OK) st = sl__doc_field(d, "出具大厅 Issued at", sl_json_str(c, "hall", ""));
    if (st == SL_OK) st = sl__doc_field(d, "核验码 Verification code", sl_json_str(c, "code", ""));
    if (st == SL_OK)
        st = sl__doc_qr(d, sl_json_str(c, "qr", ""),
                        "扫码或在 /v1/verify/credential 输入核验码 · verify at /v1/verify/credential");
    if (st == SL_OK)
        st = sl__doc_text(d, SL_DOC_SMALL, "本证明仅在有效期内、经核验有效时使用 / Valid only within its "
                          "period and when the check says valid");
    if (st != SL_OK) { sl__doc_free(d); return st; }
    *out = d;
    return SL_OK;
}

static sl_status h_cred_get(struct sl_req *r)
{
    LIC(r);
    sl_status st = check_fmt(r);
    if (st != SL_OK) return st;
    json_t *out = NULL;
    st = sl__lic_cred_get(&L, &A, sl__req_param(r, "serial"), &out);
    if (st != SL_OK) return st;
    return reply_printable(r, out, cred_doc, "临时身份证明");
}

static sl_status h_cred_revoke(struct sl_req *r)
{
    LIC(r);
    const char *serial = sl__req_param(r, "serial");
    sl_status st = sl__lic_cred_revoke(&L, &A, serial, sl_json_str(r->json, "reason", NULL));
    return sl__reply_result(r, st, NULL, 200, NULL,
                            json_pack("{s:s,s:s}", "serial", serial, "status", "revoked"));
}

static sl_status h_cred_verify(struct sl_req *r)
{
    LIC(r);
    json_t *out = NULL;
    sl_status st = sl__lic_cred_verify(&L, sl__req_query(r, "code"), &out);
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

static const struct sl_schema s_hex64 = { .type = SL_S_STRING, .min_len = 64, .max_len = 64,
    .desc = "lower-case hex of the document's hash (SM3 | BLAKE2b-256)" };
static const struct sl_schema s_sigobj = { .type = SL_S_OBJECT,
    .desc = "a signature record: doc_hash, verification_id, result, signed_at_ms, suite, kid, sig" };
static const struct sl_field f_verify[] = {
    { "signature", &s_sigobj, true },
    { "doc_hash", &s_hex64, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_verify_req = { .type = SL_S_OBJECT, .fields = f_verify };
static const struct sl_schema s_obj = { .type = SL_S_OBJECT };


static const struct sl_schema s_name = { .type = SL_S_STRING, .min_len = 1, .max_len = 200 };
static const struct sl_schema s_uscc = { .type = SL_S_STRING, .min_len = 18, .max_len = 18,
    .desc = "unified social credit code (GB 32100)" };
static const struct sl_field f_issuer[] = {
    { "name", &s_name, true }, { "uscc", &s_uscc, true }, { NULL, NULL, false },
};
static const struct sl_schema s_issuer = { .type = SL_S_OBJECT, .fields = f_issuer };
static const struct sl_schema s_tcode = { .type = SL_S_STRING, .min_len = 1, .max_len = 20,
    .desc = "GB/T 36904 type code (digits)" };
static const char *const kinds[] = { "resident_id", "household_register", "marriage_certificate",
    "divorce_certificate", "property_certificate", "birth_certificate", "business_licence",
    "returned_overseas_certificate", "social_security_card", NULL };
static const struct sl_schema s_kind = { .type = SL_S_STRING, .enums = kinds };
static const struct sl_schema s_fname = { .type = SL_S_STRING, .min_len = 1, .max_len = 64 };
static const struct sl_schema s_fnames = { .type = SL_S_ARRAY, .items = &s_fname, .min_len = 1,
                                           .max_len = 64 };
static const struct sl_field f_type[] = {
    { "code", &s_tcode, true }, { "kind", &s_kind, true }, { "name", &s_name, true },
    { "fields", &s_fnames, true }, { "issuer", &s_uscc, true }, { NULL, NULL, false },
};
static const struct sl_schema s_type = { .type = SL_S_OBJECT, .fields = f_type };
static const struct sl_schema s_idno = { .type = SL_S_STRING, .min_len = 1, .max_len = 32,
    .desc = "resident ID number (18 characters)" };
static const struct sl_schema s_lid = { .type = SL_S_STRING, .min_len = 1, .max_len = 127,
    .desc = "GB/T 36904 licence identifier 1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>" };
static const struct sl_schema s_serial = { .type = SL_S_STRING, .min_len = 1, .max_len = 40 };
static const struct sl_schema s_fields = { .type = SL_S_OBJECT, .desc = "the type's data fields" };
static const struct sl_schema s_ms = { .type = SL_S_INT, .desc = "epoch ms" };
static const struct sl_field f_issue[] = {
    { "kind", &s_kind, true }, { "holder_id_number", &s_idno, true }, { "fields", &s_fields, true },
    { "licence_id", &s_lid, false }, { "serial", &s_serial, false },
    { "valid_from_ms", &s_ms, false }, { "valid_to_ms", &s_ms, false }, { NULL, NULL, false },
};
static const struct sl_schema s_issue = { .type = SL_S_OBJECT, .fields = f_issue };
static const struct sl_schema s_reason = { .type = SL_S_STRING, .max_len = 500 };
static const struct sl_field f_reason[] = { { "reason", &s_reason, false }, { NULL, NULL, false } };
static const struct sl_schema s_reason_req = { .type = SL_S_OBJECT, .fields = f_reason };
static const struct sl_field f_holder[] = { { "id_number", &s_idno, true }, { NULL, NULL, false } };
static const struct sl_schema s_holder = { .type = SL_S_OBJECT, .fields = f_holder };
static const struct sl_schema s_ref = { .type = SL_S_ANY, .desc = "an id (integer or decimal text)" };
static const struct sl_field f_verif[] = { { "verification", &s_ref, true }, { NULL, NULL, false } };
static const struct sl_schema s_verif = { .type = SL_S_OBJECT, .fields = f_verif };
/* 房查证明: a verification (staff, devices), or a citizen session + the consent ticked on the kiosk */
static const struct sl_schema s_pc_bool = { .type = SL_S_BOOL };
static const struct sl_field f_pc_consent[] = { { "licence_use", &s_pc_bool, true }, { NULL, NULL, false } };
static const struct sl_schema s_pc_consent = { .type = SL_S_OBJECT, .fields = f_pc_consent,
    .desc = "citizen session: agreement to read own and spouse's property and marriage records" };
static const struct sl_field f_pc[] = { { "verification", &s_ref, false },
                                        { "consent", &s_pc_consent, false }, { NULL, NULL, false } };
static const struct sl_schema s_pc = { .type = SL_S_OBJECT, .fields = f_pc };
static const struct sl_schema s_ttl = { .type = SL_S_INT, .desc = "seconds (default 86400)" };
static const struct sl_schema s_proxy = { .type = SL_S_STRING, .max_len = 200,
    .desc = "who gives it for the holder: \"relation:name\" (recorded)" };
static const struct sl_field f_consent[] = {
    { "application", &s_ref, true }, { "verification", &s_ref, true },
    { "proxy", &s_proxy, false }, { "expires_in_s", &s_ttl, false }, { NULL, NULL, false },
};
static const struct sl_schema s_consent = { .type = SL_S_OBJECT, .fields = f_consent };
static const struct sl_field f_withdraw[] = {
    { "application", &s_ref, true }, { "consent", &s_ref, false }, { NULL, NULL, false },
};
static const struct sl_schema s_withdraw = { .type = SL_S_OBJECT, .fields = f_withdraw };
static const struct sl_field f_fetch[] = { { "application", &s_ref, true }, { NULL, NULL, false } };
static const struct sl_schema s_fetch = { .type = SL_S_OBJECT, .fields = f_fetch };
static const struct sl_schema s_hours = { .type = SL_S_INT, .desc = "validity in hours (default 24)" };
static const struct sl_schema s_purpose = { .type = SL_S_STRING, .max_len = 64,
    .desc = "the matter the credential is for" };
static const struct sl_field f_cred[] = {
    { "verification", &s_ref, true }, { "purpose", &s_purpose, false }, { "hours", &s_hours, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_cred = { .type = SL_S_OBJECT, .fields = f_cred };

#define STAFF_LIC (SL_ROLE_CLERK | SL_ROLE_ISSUER | SL_ROLE_ADMIN)
#define KB ((size_t)1024)

const struct sl_route sl__lic_routes[] = {
    { "GET",  "/v1/esign/key",    h_esign_key,    SL_R_PUBLIC, 0, "default", NULL,
      NULL, &s_obj, "the hall's public signing key for checking e-signatures offline", "licences" },
    { "POST", "/v1/esign/verify", h_esign_verify, SL_R_PUBLIC, 4 * KB, "default", NULL,
      &s_verify_req, &s_obj, "check an e-signature record: {valid, code}", "licences" },
    { "POST", "/v1/licences/issuers", h_issuer_add, SL_ROLE_ADMIN, 4 * KB, "default", "licence.issuer.add",
      &s_issuer, &s_obj, "add an issuing department with its own signing key", "licences" },
    { "GET",  "/v1/licences/issuers", h_issuer_list, SL_R_PUBLIC, 0, "default", NULL,
      NULL, &s_obj, "issuers and their public keys", "licences" },
    { "POST", "/v1/licences/types", h_type_add, SL_ROLE_ADMIN, 8 * KB, "default", "licence.type.add",
      &s_type, &s_obj, "add a licence type: GB/T 36904 code, kind, data fields, issuer", "licences" },
    { "GET",  "/v1/licences/types", h_type_list, SL_R_PUBLIC, 0, "default", NULL,
      NULL, &s_obj, "licence types and their fields", "licences" },
    { "POST", "/v1/licences/holder", h_holder, STAFF_LIC | SL_DEV_WINDOW, 1 * KB, "default", "licence.list",
      &s_holder, &s_obj, "a person's licences and their uses (no field values)", "licences" },
    { "POST", "/v1/licences", h_issue, SL_ROLE_ISSUER, 64 * KB, "default", "licence.issue",
      &s_issue, &s_obj, "issue a licence (GB/T 36904 id validated, issuer-signed)", "licences" },
    { "GET",  "/v1/licences/{lid}/check", h_check, SL_R_PUBLIC | SL_R_CITIZEN, 0, "default", NULL,
      NULL, &s_obj, "a licence's status and issuer signature (no field values)", "public" },
    { "POST", "/v1/licences/{lid}/{action}", h_change, SL_ROLE_ISSUER, 1 * KB, "default", "licence.change",
      &s_reason_req, &s_obj, "suspend, resume or revoke a licence", "licences" },
    { "POST", "/v1/me/licences", h_me_licences, SL_DEV_H5 | SL_DEV_KIOSK | SL_R_CITIZEN, 1 * KB, "default",
      "licence.list", &s_verif, &s_obj,
      "the holder's licences with fields and 用证记录, after a face verification (matter licence_list)",
      "licences" },
    { "GET",  "/v1/me/licences", h_my_licences, SL_ROLE_CITIZEN | SL_R_CITIZEN, 0, "default",
      "licence.list", NULL, &s_obj, "my licences, their fields and every use (用证记录)", "citizen" },
    { "GET",  "/v1/me/licences/{lid}/uses", h_my_licences, SL_ROLE_CITIZEN | SL_R_CITIZEN, 0, "default",
      "licence.list", NULL, &s_obj, "every use of one of my licences: who, when, which matter", "citizen" },
    { "POST", "/v1/licence-consents/withdraw", h_consent_withdraw,
      STAFF_LIC | SL_DEV_ALL | SL_R_CITIZEN, 1 * KB, "default", "licence.consent.withdraw",
      &s_withdraw, &s_obj, "withdraw licence-use consent for an application", "licences" },
    { "POST", "/v1/licence-consents", h_consent, SL_ROLE_CLERK | SL_DEV_ALL | SL_R_CITIZEN, 1 * KB,
      "default", "licence.consent", &s_consent, &s_obj,
      "the holder's consent (a passed verification for the application) to use their licences",
      "licences" },
    { "POST", "/v1/licence-fetches", h_fetch, SL_ROLE_CLERK | SL_ROLE_REVIEWER | SL_DEV_ALL | SL_R_CITIZEN,
      1 * KB, "default", "licence.fetch", &s_fetch, &s_obj,
      "免提交: the application's licences, only the fields its matter needs, under consent", "licences" },
    { "POST", "/v1/property-certificates", h_propcert_issue,
      SL_ROLE_CLERK | SL_DEV_ALL | SL_ROLE_CITIZEN | SL_R_CITIZEN,
      1 * KB, "default", "certificate.issue", &s_pc, &s_obj,
      "房查证明 for the verified person and spouse (signed, with a verification QR)", "kiosk" },
    { "GET",  "/v1/property-certificates/{serial}", h_propcert_get, SL_ROLE_ALL | SL_DEV_ALL | SL_R_RAW,
      0, "default", "certificate.read", NULL, NULL, "the certificate: ?format=json|html|pdf", "kiosk" },
    { "POST", "/v1/credentials", h_cred_issue, SL_ROLE_CLERK | SL_DEV_WINDOW | SL_DEV_H5 | SL_R_CITIZEN,
      1 * KB, "default", "credential.issue", &s_cred, &s_obj,
      "a temporary identity credential after a face verification (matter temp_credential)", "credentials" },
    { "GET",  "/v1/credentials/{serial}", h_cred_get, SL_ROLE_CLERK | SL_ROLE_ADMIN | SL_DEV_WINDOW | SL_DEV_H5
      | SL_R_RAW, 0, "default", "credential.read", NULL, NULL,
      "the credential: ?format=json|html|pdf", "credentials" },
    { "POST", "/v1/credentials/{serial}/revoke", h_cred_revoke, SL_ROLE_CLERK | SL_ROLE_ADMIN | SL_DEV_WINDOW,
      1 * KB, "default", "credential.revoke", &s_reason_req, &s_obj, "revoke a credential", "credentials" },
    { "GET",  "/v1/verify/credential", h_cred_verify, SL_R_PUBLIC | SL_R_CITIZEN, 0, "default",
      "credential.verify", NULL, &s_obj,
      "public check of a credential QR or code (?code=): valid|expired|revoked, photo", "public" },
    { "GET",  "/v1/verify/property-certificate", h_propcert_verify, SL_R_PUBLIC | SL_R_CITIZEN, 0,
      "default", NULL, NULL, &s_obj, "public check of a 房查证明 QR (?code=)", "public" },
};
const size_t sl__lic_n_routes = SL_ARRAY_LEN(sl__lic_routes);
