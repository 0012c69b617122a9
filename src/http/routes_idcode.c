/*
 * routes_idcode.c -- identity codes (网证/电子身份码) and kiosk login by
 * 扫码 and 亮码 (issue 11 part B). Format and checks: src/id/idcode.h.
 *
 *   POST /v1/id-codes               the phone channel (h5 device) gets a
 *                                   fresh 60 s code + QR (SVG, PNG)
 *   POST /v1/id-codes/verify        window/kiosk device or staff: code text
 *                                   (scanner) or a camera frame (QR decoded
 *                                   here); signature, expiry, purpose, hall,
 *                                   single use on every node; pseudonym, and
 *                                   the person only for a window/clerk that
 *                                   names the matter at hand
 *   POST /v1/kiosk/logins           kiosk: a login session + its QR
 *   GET  /v1/kiosk/logins/{id}      kiosk: poll the outcome; once approved,
 *                                   the first poll also gets a citizen
 *                                   session for the person ("citizen")
 *   GET  /v1/kiosk/logins/{id}/events  kiosk: the outcome as SSE
 *   POST /v1/kiosk/logins/approve   phone: approve once with a login code
 *
 * Single use is sl__store_once (scope "idcode", key = nonce) in the same
 * transaction as the person look-up and the audit record, so a replay is
 * refused on every node sharing the store and two concurrent presentations
 * of one code give exactly one success.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "crypto/crypto.h"
#include "http/http_int.h"
#include "id/id.h"
#include "id/idcode.h"
#include "shualian/image.h"
#include "store/store.h"

#define KIOSK_LOGIN_TTL_MS 120000

static const sl_keyring *keys(const struct sl_req *r) { return sl__acct_keyring(r->srv->o.acct); }
static sl_store *store(const struct sl_req *r) { return sl__acct_store(r->srv->o.acct); }

static json_t *iso(int64_t ms)
{
    char t[32];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

static const char *actor_kind(const struct sl_req *r)
{
    return r->who.kind == SL_PRIN_STAFF ? "staff" : r->who.kind == SL_PRIN_DEVICE ? "device"
                                                                                   : "anonymous";
}

/* QR of text as {"qr_svg", "qr_png"} members of o. */
static sl_status add_qr(json_t *o, const char *text)
{
    char *svg = NULL;
    uint8_t *png = NULL;
    size_t pn = 0;
    sl_status st = sl__qr_svg(text, &svg);
    if (st == SL_OK)
        st = sl__qr_png(text, 4, &png, &pn);
    if (st == SL_OK) {
        size_t cap = sodium_base64_encoded_len(pn, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = sl__malloc(cap);
        if (!b64) {
            st = SL_ERR_NOMEM;
        } else {
            sodium_bin2base64(b64, cap, png, pn, sodium_base64_VARIANT_ORIGINAL);
            json_object_set_new(o, "qr_svg", json_string(svg));
            json_object_set_new(o, "qr_png", json_string(b64));
            sl__free(b64);
        }
    }
    sl__free(svg);
    sl__free(png);
    return st;
}

/* ============================ Issue ===================================== */

struct issue_ctx {
    int64_t hall;
    const char *person;
    const char *subject_hex;
    int64_t now;
};

static sl_status issue_tx(sl_tx *tx, void *vctx)
{
    struct issue_ctx *c = vctx;
    sl_val a[] = { SL_INT(c->hall), SL_TEXT(c->subject_hex), SL_TEXT(c->person), SL_INT(c->now) };
    return sl__tx_exec(tx,
                       "INSERT INTO idcode_subject (hall_id, subject, person_ref, created_ms) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (hall_id, subject) DO NOTHING",
                       a, 4, NULL);
}

static sl_status sl__h_idcode_issue(struct sl_req *r)
{
    const char *person = json_string_value(json_object_get(r->json, "person"));
    char own[24];
    if (r->who.kind == SL_PRIN_CITIZEN) {
        /* a citizen's phone gets the citizen's own code, never another's */
        snprintf(own, sizeof own, "%lld", (long long)r->who.id);
        if (person && strcmp(person, own) != 0) {
            snprintf(r->detail, sizeof r->detail, "/person: a citizen gets only their own code");
            return SL_ERR_HTTP_FIELD_VALUE;
        }
        person = own;
    } else if (!person) {
        snprintf(r->detail, sizeof r->detail, "/person: required for a device or staff caller");
        return SL_ERR_HTTP_FIELD_MISSING;
    }
    json_t *hv = json_object_get(r->json, "hall");
    int64_t hall = hv ? json_integer_value(hv) : r->who.hall_id;
    if (hall < 1 || hall > (int64_t)UINT32_MAX) {
        snprintf(r->detail, sizeof r->detail, "/hall: not a hall id");
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    const char *pn = json_string_value(json_object_get(r->json, "purpose"));
    int purpose = pn ? sl__idcode_purpose_parse(pn) : SL_IDCODE_IDENTIFY;
    int64_t now = sl__now_ms();
    char text[SL_IDCODE_TEXT_LEN + 1];
    struct sl_idcode c;
    sl_status st = sl__idcode_issue(keys(r), person, (uint32_t)hall, purpose, now, 0, text,
                                    sizeof text, &c);
    if (st != SL_OK)
        return st;
    char sub[2 * SL_IDCODE_SUBJECT_LEN + 1];
    sl__idcode_subject_hex(c.subject, sub);
    struct issue_ctx ic = { hall, person, sub, now };
    st = sl__store_run(store(r), issue_tx, &ic);
    if (st != SL_OK)
        return st;
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "person");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%s", person);
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o}", "code", text, "purpose",
                          sl__idcode_purpose_name(purpose), "subject", sub, "hall",
                          (json_int_t)hall, "issued_at", iso(c.issued_ms), "expires_at",
                          iso(c.expires_ms));
    st = add_qr(o, text);
    if (st != SL_OK) {
        json_decref(o);
        return st;
    }
    return sl__reply_json(r, 201, o);
}

/* ============================ Verify (亮码) ============================== */

/* The code text from "code", or decoded from the QR in "image". */
static sl_status code_text(struct sl_req *r, char **text)
{
    const char *s = json_string_value(json_object_get(r->json, "code"));
    if (s) {
        size_t n = strlen(s);
        *text = sl__malloc(n + 1);
        if (!*text)
            return SL_ERR_NOMEM;
        memcpy(*text, s, n + 1);
        return SL_OK;
    }
    json_t *iv = json_object_get(r->json, "image");
    if (!iv) {
        snprintf(r->detail, sizeof r->detail, "give the scanned text in /code or a camera frame in /image");
        return SL_ERR_HTTP_FIELD_MISSING;
    }
    const char *b = json_string_value(iv);
    size_t bn = json_string_length(iv), cap = bn / 4 * 3 + 3, len = 0;
    uint8_t *bytes = sl__malloc(cap);
    if (!bytes)
        return SL_ERR_NOMEM;
    if (sodium_base642bin(bytes, cap, b, bn, " \r\n", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        sl__free(bytes);
        snprintf(r->detail, sizeof r->detail, "/image: not base64 (standard alphabet)");
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    struct sl_image *img = NULL;
    sl_status st = sl_image_decode(bytes, len, NULL, 1, &img, NULL);
    sl__free(bytes);
    if (st != SL_OK) {
        snprintf(r->detail, sizeof r->detail, "/image: %s", sl_status_str(st));
        return st;
    }
    st = sl__qr_decode_gray(img->data, img->width, img->height, img->stride, text);
    sl_image_free(img);
    return st;
}

struct login_ctx;
struct verify_ctx {
    struct sl_req *r;
    const struct sl_idcode *c;
    const char *matter;
    bool disclose;          /* the caller may learn the person            */
    int64_t now;
    char subject[2 * SL_IDCODE_SUBJECT_LEN + 1];
    char person[129];       /* out: "" if not disclosed / unknown         */
    struct login_ctx *login;/* approve: the kiosk login session            */
    bool session;           /* kiosk 亮码 login: open a citizen session     */
    char token[80];         /* out (session)                               */
    int64_t expires;
    struct sl_person p;
};

static sl_status verify_tx(sl_tx *tx, void *vctx)
{
    struct verify_ctx *v = vctx;
    v->person[0] = 0;
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
    if (ref && v->disclose)
        snprintf(v->person, sizeof v->person, "%s", ref);
    if (v->session) {
        /* 亮码 login at a kiosk: the code's registry person gets a citizen
         * session on this kiosk, in the transaction that takes the code */
        char *end = NULL;
        long long pid = ref ? strtoll(ref, &end, 10) : 0;
        if (!ref || !*ref || !end || *end || pid <= 0) {
            sl__rows_free(rows);
            snprintf(v->r->detail, sizeof v->r->detail, "the code names no registry person");
            return SL_ERR_NOT_FOUND;
        }
        st = sl__http_citizen_open_tx(v->r, tx, 0, pid, v->r->who.name, "identity_code",
                                      v->token, sizeof v->token, &v->expires, &v->p);
        if (st != SL_OK) {
            sl__rows_free(rows);
            return st;
        }
    }
    /* the use, on the person's record (audit object person/<ref>) */
    struct sl_audit_rec rec = {
        .actor_kind = actor_kind(v->r), .actor_id = v->r->who.name,
        .action = v->r->route->audit_action, .object_type = ref ? "person" : "idcode",
        .object_id = ref ? ref : v->subject, .purpose = v->matter,
        .outcome = v->disclose ? "ok_disclosed" : "ok", .request_id = v->r->id, .at_ms = v->now,
    };
    st = sl__audit_append(tx, keys(v->r), &rec, NULL);
    sl__rows_free(rows);
    return st;
}

/* Checks a code for r's hall and takes it (single use) in its own
 * transaction. */
static sl_status take_code(struct sl_req *r, const char *text, int purpose,
                           struct sl_idcode *c, struct verify_ctx *v)
{
    int64_t now = sl__now_ms();
    sl_status st = sl__idcode_check(keys(r), text, strlen(text), now, purpose, c);
    if (st != SL_OK)
        return st;
    if ((int64_t)c->hall_id != r->who.hall_id) {
        snprintf(r->detail, sizeof r->detail, "the code was issued for hall %u, not this one",
                 (unsigned)c->hall_id);
        return SL_ERR_IDCODE_PURPOSE;
    }
    v->r = r;
    v->c = c;
    v->now = now;
    sl__idcode_subject_hex(c->subject, v->subject);
    st = sl__store_run(store(r), verify_tx, v);
    r->audited = st == SL_OK;
    return st;
}

static sl_status sl__h_idcode_verify(struct sl_req *r)
{
    char *text = NULL;
    sl_status st = code_text(r, &text);
    if (st != SL_OK)
        return st;
    const char *pn = json_string_value(json_object_get(r->json, "purpose"));
    int purpose = pn ? sl__idcode_purpose_parse(pn) : SL_IDCODE_IDENTIFY;
    const char *matter = json_string_value(json_object_get(r->json, "matter"));
    struct sl_idcode c;
    struct verify_ctx v = { .matter = matter };
    /* the identity goes only to a relying party acting on a matter: a
     * window device or a clerk of the code's hall naming the matter */
    v.disclose = matter && matter[0] &&
                 (r->who.bits & (SL_DEV_WINDOW | SL_ROLE_CLERK | SL_ROLE_ADMIN));
    v.session = json_is_true(json_object_get(r->json, "session"));
    if (v.session && !(r->who.kind == SL_PRIN_DEVICE && (r->who.bits & SL_DEV_KIOSK))) {
        sl__free(text);
        snprintf(r->detail, sizeof r->detail, "/session: only a kiosk logs a citizen in by 亮码");
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    st = take_code(r, text, purpose, &c, &v);
    sl__free(text);
    if (st != SL_OK) {
        sodium_memzero(v.token, sizeof v.token);
        return st;
    }
    json_t *o = json_pack("{s:b,s:s,s:s,s:I,s:o,s:o}", "valid", 1, "subject", v.subject,
                          "purpose", sl__idcode_purpose_name(c.purpose), "hall",
                          (json_int_t)c.hall_id, "issued_at", iso(c.issued_ms),
                          "expires_at", iso(c.expires_ms));
    if (v.person[0])
        json_object_set_new(o, "person", json_pack("{s:s,s:s}", "person_id", v.person,
                                                    "matter", matter));
    else
        json_object_set_new(o, "person", json_null());
    if (v.session)
        json_object_set_new(o, "citizen", json_pack("{s:s,s:I,s:o,s:s}", "token", v.token,
            "person_id", (json_int_t)v.p.id, "expires_at", iso(v.expires), "name", v.p.name));
    sodium_memzero(&v, sizeof v);
    return sl__reply_json(r, 200, o);
}

/* ============================ Kiosk login (扫码) ========================= */

struct login_ctx {
    const char *id;
    int64_t hall, now, expires;
    const char *device;
    /* approve */
    const char *subject, *by;
    /* read */
    char state[16];
    char who[2 * SL_IDCODE_SUBJECT_LEN + 1];
    int64_t approved_ms;
};

static sl_status login_new_tx(sl_tx *tx, void *vctx)
{
    struct login_ctx *c = vctx;
    sl_val a[] = { SL_TEXT(c->id), SL_INT(c->hall), SL_TEXT(c->device), SL_INT(c->now),
                   SL_INT(c->expires) };
    return sl__tx_exec(tx,
                       "INSERT INTO idcode_kiosk_login (id, hall_id, device, state, created_ms, "
                       "expires_ms) VALUES (?, ?, ?, 'pending', ?, ?)",
                       a, 5, NULL);
}

static sl_status sl__h_kiosk_login_new(struct sl_req *r)
{
    char id[SL_KIOSK_LOGIN_ID_LEN + 1], text[40];
    sl__kiosk_login_id(id, sizeof id);
    snprintf(text, sizeof text, SL_KIOSK_LOGIN_PREFIX "%s", id);
    int64_t now = sl__now_ms();
    struct login_ctx c = { .id = id, .hall = r->who.hall_id, .now = now,
                           .expires = now + KIOSK_LOGIN_TTL_MS, .device = r->who.name };
    sl_status st = sl__store_run(store(r), login_new_tx, &c);
    if (st != SL_OK)
        return st;
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "kiosk_login");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%s", id);
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "id", id, "qr_text", text, "state", "pending",
                          "expires_at", iso(c.expires));
    st = add_qr(o, text);
    if (st != SL_OK) {
        json_decref(o);
        return st;
    }
    return sl__reply_json(r, 201, o);
}

static sl_status login_read_tx(sl_tx *tx, void *vctx)
{
    struct login_ctx *c = vctx;
    sl_rows *rows = NULL;
    sl_val a[] = { SL_TEXT(c->id) };
    sl_status st = sl__tx_query(tx,
        "SELECT state, subject, expires_ms, approved_ms, device, hall_id "
        "FROM idcode_kiosk_login WHERE id = ?", a, 1, &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 0 ||
        (c->device && strcmp(sl__rows_text(rows, 0, 4), c->device) != 0) ||
        (c->hall && sl__rows_int(rows, 0, 5) != c->hall)) {
        sl__rows_free(rows);
        return SL_ERR_NOT_FOUND;
    }
    snprintf(c->state, sizeof c->state, "%s", sl__rows_text(rows, 0, 0));
    const char *s = sl__rows_text(rows, 0, 1);
    snprintf(c->who, sizeof c->who, "%s", s ? s : "");
    c->expires = sl__rows_int(rows, 0, 2);
    c->approved_ms = sl__rows_null(rows, 0, 3) ? 0 : sl__rows_int(rows, 0, 3);
    if (strcmp(c->state, "pending") == 0 && c->now >= c->expires)
        snprintf(c->state, sizeof c->state, "expired");
    sl__rows_free(rows);
    return SL_OK;
}

static json_t *login_json(const struct login_ctx *c)
{
    json_t *o = json_pack("{s:s,s:s,s:o}", "id", c->id, "state", c->state, "expires_at",
                          iso(c->expires));
    if (strcmp(c->state, "approved") == 0) {
        json_object_set_new(o, "subject", json_string(c->who));
        json_object_set_new(o, "approved_at", iso(c->approved_ms));
    }
    return o;
}

/* The approved login's citizen session, minted once for the kiosk that
 * polls (single use: store_once "kiosk.citizen" on the login id), for the
 * person the approving phone's identity code names. */
struct kiosk_citizen { struct sl_req *r; const struct login_ctx *c; bool issued, taken;
                       char token[80]; int64_t expires; struct sl_person p; };

static sl_status kiosk_citizen_tx(sl_tx *tx, void *vctx)
{
    struct kiosk_citizen *k = vctx;
    k->issued = k->taken = false;
    sl_rows *rows = NULL;
    sl_val a[] = { SL_INT(k->r->who.hall_id), SL_TEXT(k->c->who) };
    sl_status st = sl__tx_query(tx, "SELECT person_ref FROM idcode_subject WHERE hall_id = ? "
                                    "AND subject = ?", a, 2, &rows);
    if (st != SL_OK)
        return st;
    const char *ref = sl__rows_count(rows) ? sl__rows_text(rows, 0, 0) : NULL;
    char *end = NULL;
    long long pid = ref ? strtoll(ref, &end, 10) : 0;
    bool ok = ref && *ref && end && !*end && pid > 0;
    sl__rows_free(rows);
    if (!ok)
        return SL_OK;   /* a code without a registry person: no session */
    st = sl__store_once(tx, "kiosk.citizen", k->c->id, strlen(k->c->id), k->c->now,
                        k->c->now + 24LL * 3600 * 1000);
    if (st == SL_ERR_STORE_USED) {
        k->taken = true;
        return SL_OK;
    }
    if (st == SL_OK)
        st = sl__http_citizen_open_tx(k->r, tx, 0, pid, k->r->who.name, "kiosk_login",
                                      k->token, sizeof k->token, &k->expires, &k->p);
    k->issued = st == SL_OK;
    return st;
}

static sl_status sl__h_kiosk_login_get(struct sl_req *r)
{
    struct login_ctx c = { .id = sl__req_param(r, "id"), .device = r->who.name,
                           .now = sl__now_ms() };
    sl_status st = sl__store_run_read(store(r), login_read_tx, &c);
    if (st != SL_OK)
        return st;
    json_t *o = login_json(&c);
    if (strcmp(c.state, "approved") == 0) {
        struct kiosk_citizen *k = sl__calloc(1, sizeof *k);
        if (!k) {
            json_decref(o);
            return SL_ERR_NOMEM;
        }
        k->r = r;
        k->c = &c;
        st = sl__store_run(store(r), kiosk_citizen_tx, k);
        if (st == SL_OK && k->issued)
            json_object_set_new(o, "citizen", json_pack("{s:s,s:I,s:o,s:s}", "token", k->token,
                "person_id", (json_int_t)k->p.id, "expires_at", iso(k->expires),
                "name", k->p.name));
        else if (st == SL_OK && k->taken)
            json_object_set_new(o, "citizen", json_pack("{s:s}", "state", "already_issued"));
        sodium_memzero(k, sizeof *k);
        sl__free(k);
        if (st != SL_OK) {
            json_decref(o);
            return st;
        }
    }
    return sl__reply_json(r, 200, o);
}

static sl_status sl__h_kiosk_login_events(struct sl_req *r)
{
    struct login_ctx c = { .id = sl__req_param(r, "id"), .device = r->who.name,
                           .now = sl__now_ms() };
    sl_status st = sl__store_run_read(store(r), login_read_tx, &c);
    if (st != SL_OK)
        return st;
    char topic[32];   /* the SSE hub keeps 31 bytes of a topic */
    snprintf(topic, sizeof topic, "kl/%s", c.id);
    return sl__sse_start(r, topic);
}

static sl_status approve_tx(sl_tx *tx, void *vctx)
{
    struct verify_ctx *v = vctx;
    struct login_ctx *c = v->login;
    sl_status st = sl__store_once(tx, "idcode", v->c->nonce, SL_IDCODE_NONCE_LEN, v->now,
                                  v->c->expires_ms + 60000);
    if (st == SL_ERR_STORE_USED)
        return SL_ERR_IDCODE_USED;
    if (st != SL_OK)
        return st;
    int64_t changed = 0;
    sl_val a[] = { SL_TEXT(v->subject), SL_TEXT(v->r->who.name), SL_INT(v->now),
                   SL_TEXT(c->id), SL_INT(c->hall), SL_INT(v->now) };
    st = sl__tx_exec(tx,
        "UPDATE idcode_kiosk_login SET state = 'approved', subject = ?, approved_by = ?, "
        "approved_ms = ? WHERE id = ? AND hall_id = ? AND state = 'pending' AND expires_ms > ?",
        a, 6, &changed);
    if (st != SL_OK)
        return st;
    if (changed != 1) {
        c->now = v->now;
        c->device = NULL;
        st = login_read_tx(tx, c);
        if (st != SL_OK)
            return st;
        return strcmp(c->state, "expired") == 0 ? SL_ERR_KIOSK_LOGIN_EXPIRED
                                                : SL_ERR_KIOSK_LOGIN_DONE;
    }
    struct sl_audit_rec rec = {
        .actor_kind = actor_kind(v->r), .actor_id = v->r->who.name,
        .action = v->r->route->audit_action, .object_type = "kiosk_login", .object_id = c->id,
        .outcome = "ok", .request_id = v->r->id, .at_ms = v->now,
    };
    return sl__audit_append(tx, keys(v->r), &rec, NULL);
}

static sl_status sl__h_kiosk_login_approve(struct sl_req *r)
{
    char id[SL_KIOSK_LOGIN_ID_LEN + 1];
    if (sl__kiosk_login_parse(json_string_value(json_object_get(r->json, "login")), id,
                              sizeof id) != SL_OK) {
        snprintf(r->detail, sizeof r->detail, "/login: not a kiosk login text (SLKL1.<id>)");
        return SL_ERR_IDCODE_FORMAT;
    }
    const char *text = json_string_value(json_object_get(r->json, "code"));
    int64_t now = sl__now_ms();
    struct sl_idcode code;
    sl_status st = sl__idcode_check(keys(r), text, strlen(text), now, SL_IDCODE_LOGIN, &code);
    if (st != SL_OK)
        return st;
    /* the login code names the kiosk's hall; the login row must match it */
    struct login_ctx c = { .id = id, .hall = code.hall_id };
    struct verify_ctx v = { .r = r, .c = &code, .now = now, .login = &c };
    sl__idcode_subject_hex(code.subject, v.subject);
    st = sl__store_run(store(r), approve_tx, &v);
    if (st == SL_ERR_NOT_FOUND)
        snprintf(r->detail, sizeof r->detail, "no such kiosk login session in the code's hall");
    if (st != SL_OK)
        return st;
    r->audited = true;
    c.now = now;
    c.device = NULL;
    snprintf(c.state, sizeof c.state, "approved");
    snprintf(c.who, sizeof c.who, "%s", v.subject);
    c.approved_ms = now;
    c.expires = code.expires_ms;
    char topic[32];   /* the SSE hub keeps 31 bytes of a topic */
    snprintf(topic, sizeof topic, "kl/%s", id);
    json_t *ev = json_pack("{s:s,s:s,s:s}", "id", id, "state", "approved", "subject", v.subject);
    sl__sse_publish(r->srv->hub, topic, "approved", ev);
    json_decref(ev);
    return sl__reply_json(r, 200, json_pack("{s:s,s:s,s:s}", "id", id, "state", "approved",
                                            "subject", v.subject));
}

/* The phone's 扫一扫 (扫码): the kiosk QR's text, from the phone camera's
 * frame decoded here (or the text a native scanner read), with what the
 * phone is about to approve -- the kiosk (device id and label) and its
 * hall's name -- so the citizen confirms before approving. Nothing is
 * changed; nothing personal is read. */
struct scan_ctx {
    const char *id;
    int64_t now;
    char state[16], device[64], label[128], hall[128];
    int64_t hall_id, expires;
};

static sl_status scan_tx(sl_tx *tx, void *vctx)
{
    struct scan_ctx *c = vctx;
    sl_rows *rows = NULL;
    sl_val a[] = { SL_TEXT(c->id) };
    sl_status st = sl__tx_query(tx,
        "SELECT k.state, k.expires_ms, k.device, k.hall_id, h.name, d.label "
        "FROM idcode_kiosk_login k JOIN acct_hall h ON h.id = k.hall_id "
        "LEFT JOIN acct_device d ON d.device_id = k.device WHERE k.id = ?", a, 1, &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 0) {
        sl__rows_free(rows);
        return SL_ERR_NOT_FOUND;
    }
    snprintf(c->state, sizeof c->state, "%s", sl__rows_text(rows, 0, 0));
    c->expires = sl__rows_int(rows, 0, 1);
    snprintf(c->device, sizeof c->device, "%s", sl__rows_text(rows, 0, 2));
    c->hall_id = sl__rows_int(rows, 0, 3);
    snprintf(c->hall, sizeof c->hall, "%s", sl__rows_text(rows, 0, 4));
    const char *l = sl__rows_null(rows, 0, 5) ? NULL : sl__rows_text(rows, 0, 5);
    snprintf(c->label, sizeof c->label, "%s", l ? l : "");
    if (strcmp(c->state, "pending") == 0 && c->now >= c->expires)
        snprintf(c->state, sizeof c->state, "expired");
    sl__rows_free(rows);
    return SL_OK;
}

static sl_status sl__h_kiosk_login_scan(struct sl_req *r)
{
    char *text = NULL;
    const char *s = json_string_value(json_object_get(r->json, "login"));
    sl_status st;
    if (s) {
        size_t n = strlen(s);
        text = sl__malloc(n + 1);
        if (!text)
            return SL_ERR_NOMEM;
        memcpy(text, s, n + 1);
    } else {
        st = code_text(r, &text);
        if (st != SL_OK)
            return st;
    }
    char id[SL_KIOSK_LOGIN_ID_LEN + 1];
    if (sl__kiosk_login_parse(text, id, sizeof id) != SL_OK) {
        sl__free(text);
        snprintf(r->detail, sizeof r->detail, "the QR is not a kiosk login code (SLKL1.<id>)");
        return SL_ERR_IDCODE_FORMAT;
    }
    struct scan_ctx c = { .id = id, .now = sl__now_ms() };
    st = sl__store_run_read(store(r), scan_tx, &c);
    if (st == SL_ERR_NOT_FOUND)
        snprintf(r->detail, sizeof r->detail, "no such kiosk login session");
    if (st == SL_OK && strcmp(c.state, "expired") == 0)
        st = SL_ERR_KIOSK_LOGIN_EXPIRED;
    else if (st == SL_OK && strcmp(c.state, "pending") != 0)
        st = SL_ERR_KIOSK_LOGIN_DONE;
    if (st != SL_OK) {
        sl__free(text);
        return st;
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:{s:I,s:s},s:{s:s,s:s}}", "login", text, "id", id,
                          "state", c.state, "expires_at", iso(c.expires), "hall", "id",
                          (json_int_t)c.hall_id, "name", c.hall, "kiosk", "device", c.device,
                          "label", c.label);
    sl__free(text);
    return sl__reply_json(r, 200, o);
}

/* ============================ Schemas and rows ========================== */

static const struct sl_schema s_person = { .type = SL_S_STRING, .min_len = 1, .max_len = 128,
    .desc = "the registry's person id (the id module's person_id)" };
static const struct sl_schema s_hall = { .type = SL_S_INT, .min = 1, .max = 4294967295.0,
    .desc = "relying hall (default: the caller's hall)" };
static const char *const purposes[] = { "identify", "login", NULL };
static const struct sl_schema s_purpose = { .type = SL_S_STRING, .enums = purposes,
    .desc = "identify (亮码, default) or login (扫码 approval)" };
static const struct sl_schema s_code = { .type = SL_S_STRING, .min_len = 1, .max_len = 512,
    .desc = "identity code text SLID1.… (idcode.h)" };
static const struct sl_schema s_frame = { .type = SL_S_STRING, .format = "byte", .min_len = 4,
    .max_len = (size_t)14 << 20, .desc = "camera frame with the QR, JPEG or PNG, base64" };
static const struct sl_schema s_matter = { .type = SL_S_STRING, .min_len = 1, .max_len = 64,
    .desc = "the matter at hand; with it a window or clerk learns the person" };
static const struct sl_schema s_login = { .type = SL_S_STRING, .min_len = 1, .max_len = 64,
    .desc = "the kiosk QR's text SLKL1.<id>" };
static const struct sl_schema s_any = { .type = SL_S_ANY };
static const struct sl_schema s_bool = { .type = SL_S_BOOL,
    .desc = "kiosk 亮码 login: open a citizen session for the code's person" };

static const struct sl_field f_issue[] = {
    { "person", &s_person, false }, { "hall", &s_hall, false },
    { "purpose", &s_purpose, false }, { NULL, NULL, false },
};
static const struct sl_schema s_issue = { .type = SL_S_OBJECT, .fields = f_issue };
static const struct sl_field f_verify[] = {
    { "code", &s_code, false }, { "image", &s_frame, false },
    { "purpose", &s_purpose, false }, { "matter", &s_matter, false },
    { "session", &s_bool, false }, { NULL, NULL, false },
};
static const struct sl_schema s_verify = { .type = SL_S_OBJECT, .fields = f_verify };
static const struct sl_field f_approve[] = {
    { "login", &s_login, true }, { "code", &s_code, true }, { NULL, NULL, false },
};
static const struct sl_schema s_approve = { .type = SL_S_OBJECT, .fields = f_approve };
static const struct sl_field f_scan[] = {
    { "login", &s_login, false }, { "image", &s_frame, false }, { NULL, NULL, false },
};
static const struct sl_schema s_scan = { .type = SL_S_OBJECT, .fields = f_scan };

#define STAFF_ANY (SL_ROLE_ADMIN | SL_ROLE_CLERK | SL_ROLE_REVIEWER | SL_ROLE_ISSUER)

const struct sl_route sl__idcode_routes[] = {
    { "POST", "/v1/id-codes", sl__h_idcode_issue,
      SL_DEV_H5 | SL_ROLE_ADMIN | SL_ROLE_CITIZEN | SL_R_CITIZEN, 4096, NULL,
      "idcode.issue", &s_issue, &s_any, "a fresh identity code (60 s) with its QR", "identity" },
    { "POST", "/v1/id-codes/verify", sl__h_idcode_verify,
      SL_DEV_WINDOW | SL_DEV_KIOSK | STAFF_ANY | SL_R_CITIZEN, ((size_t)14 << 20) + 4096, NULL,
      "idcode.verify", &s_verify, &s_any, "check and use an identity code (亮码)", "identity" },
    { "POST", "/v1/kiosk/logins", sl__h_kiosk_login_new, SL_DEV_KIOSK, 0, NULL,
      "kiosk.login.new", NULL, &s_any, "a kiosk login session and its QR (扫码)", "identity" },
    { "GET", "/v1/kiosk/logins/{id}", sl__h_kiosk_login_get, SL_DEV_KIOSK, 0, NULL, NULL,
      NULL, &s_any, "the login session's state (polling)", "identity" },
    { "GET", "/v1/kiosk/logins/{id}/events", sl__h_kiosk_login_events, SL_DEV_KIOSK | SL_R_SSE,
      0, NULL, NULL, NULL, NULL, "the login session's outcome as server-sent events", "identity" },
    { "POST", "/v1/kiosk/logins/scan", sl__h_kiosk_login_scan,
      SL_DEV_H5 | SL_ROLE_CITIZEN | SL_R_CITIZEN, ((size_t)14 << 20) + 4096, "default", NULL, &s_scan,
      &s_any, "the phone's 扫一扫: the kiosk QR in a camera frame -> the kiosk and hall to confirm",
      "identity" },
    { "POST", "/v1/kiosk/logins/approve", sl__h_kiosk_login_approve,
      SL_DEV_H5 | SL_ROLE_CITIZEN | SL_R_CITIZEN,
      4096, NULL, "kiosk.login.approve", &s_approve, &s_any,
      "the phone approves a kiosk login once with a login code", "identity" },
};
const size_t sl__idcode_n_routes = SL_ARRAY_LEN(sl__idcode_routes);
