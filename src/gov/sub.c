/*
 * sub.c -- 一人一事一认证 filings, citizens' e-signatures, commitments,
 * remote delegation and third-party agreement (sub.h documents the model).
 * Every function is one store transaction that also appends its audit
 * record(s).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "acct/acct.h"
#include "base/json.h"
#include "crypto/crypto.h"
#include "gov/gov.h"
#include "gov/lic.h"
#include "gov/sub.h"
#include "id/id.h"
#include "store/store.h"

const char sl__sub_commitment_text[] =
    "本人知晓采用电子身份证明验证身份的风险，承诺对因此产生的后果负全部责任";

static const char *const roles[] = { "legal_representative", "shareholder", "director",
                                     "supervisor", "liaison", "agent", NULL };

#define WHY(...) sl__gov_pathf(c->why, c->cap, __VA_ARGS__)

/* ============================ Helpers =================================== */

static json_t *iso(int64_t ms)
{
    if (ms <= 0) return json_null();
    char t[40];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

static sl_status audit(sl_tx *tx, const sl_keyring *k, const struct sl__sub_actor *a,
                       const char *action, const char *otype, int64_t oid, const char *masked,
                       const uint8_t *idx, const char *purpose, const char *outcome)
{
    char o[32];
    snprintf(o, sizeof o, "%" PRId64, oid);
    struct sl_audit_rec r = {
        .actor_kind = a && a->kind ? a->kind : "system",
        .actor_id = a && a->id ? a->id : "system",
        .action = action, .object_type = otype, .object_id = o,
        .id_masked = masked, .person_idx = idx, .purpose = purpose,
        .outcome = outcome ? outcome : "ok",
        .request_id = a ? a->request_id : NULL, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, k, &r, NULL);
}

static char *canon(const json_t *o)
{
    return json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
}

static sl_status hash_hex(const sl_keyring *k, const char *p, size_t n, char out[65])
{
    uint8_t h[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__hash(sl__keyring_suite(k), p, n, h);
    if (st != SL_OK) return st;
    return sl__hex_encode(out, 65, h, sizeof h);
}

/* A registry person named by {id_type, id_number, name}: real-name check
 * (audited), masked number and name, blind index. */
struct who {
    int64_t person;
    enum sl_id_type t;
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char masked[SL_ID_MAX];
    char name[SL_ID_NAME_MAX];
};

struct ctx {
    sl_store *s;
    const sl_keyring *k;
    const struct sl__sub_actor *a;
    const json_t *body;
    int64_t id, vid, person;
    const char *reason;
    char *why;
    size_t cap;
    json_t *out;
};

static void reset(struct ctx *c)
{
    json_decref(c->out);
    c->out = NULL;
    if (c->why && c->cap) c->why[0] = '\0';
}

static sl_status lookup(struct ctx *c, sl_tx *tx, const json_t *p, const char *path,
                        const char *purpose, struct who *w)
{
    memset(w, 0, sizeof *w);
    const char *tn = sl_json_str(p, "id_type", NULL);
    const char *num = sl_json_str(p, "id_number", NULL);
    const char *name = sl_json_str(p, "name", NULL);
    if (!json_is_object(p) || !tn || !num || !name || !*name) {
        WHY("%s: needs id_type, id_number and name", path);
        return SL_ERR_SUB_FORMAT;
    }
    w->t = sl_id_type_parse(tn);
    if (!w->t) {
        WHY("%s.id_type: resident_id, passport, hk_macao_permit, taiwan_permit or "
            "foreign_permanent_resident", path);
        return SL_ERR_SUB_FORMAT;
    }
    char today[40];
    sl_time_iso8601(today, sizeof today, sl__now_ms());
    today[10] = '\0';
    const char *bad = NULL;
    struct sl_id_info info;
    sl_status st = sl_id_check(w->t, num, today, &bad, &info);
    if (st != SL_OK) {
        WHY("%s.id_number: %s", path, bad ? bad : "invalid");
        return st;
    }
    char hex[65];
    st = sl__id_blind(c->k, w->t, info.normalised, hex);
    if (st == SL_OK) st = sl__hex_decode(w->idx, sizeof w->idx, hex);
    if (st != SL_OK) return st;
    struct sl_acct_audit au = { .actor_kind = c->a->kind, .actor_id = c->a->id,
                                .action = "sub.person.lookup", .purpose = purpose,
                                .request_id = c->a->request_id };
    struct sl_person pr;
    st = sl__person_real_name_tx(tx, c->k, w->t, num, name, false, &au, &pr);
    if (st == SL_ERR_ID_PERSON_UNKNOWN || st == SL_ERR_ID_NAME_MISMATCH) {
        WHY("%s: the name and number are not a registry person (姓名、证件号码不一致)", path);
        return SL_ERR_SUB_IDENTITY;
    }
    if (st != SL_OK) {
        WHY("%s: %s", path, sl_status_name(st));
        return st;
    }
    w->person = pr.id;
    snprintf(w->masked, sizeof w->masked, "%s", pr.number);
    snprintf(w->name, sizeof w->name, "%s", pr.name);
    return SL_OK;
}

/* The seed 002 FAQ reason for a verification that did not pass. */
static sl_status classify(sl_tx *tx, const struct sl_verification *v, char *why, size_t cap)
{
    if ((v->levels_required & SL_LEVEL_REAL_NAME) && !(v->levels_passed & SL_LEVEL_REAL_NAME)) {
        sl__gov_pathf(why, cap, "identity check failed: name/number (身份验证失败)");
        return SL_ERR_SUB_IDENTITY;
    }
    /* the reason codes, read from the text of the full signed result
     * (sl_verification.result_json is cut at 1 KiB, before "reasons" in
     * sorted-key order) */
    char *full = NULL;
    const char *text = v->result_json;
    if (tx && sl__verification_result_tx(tx, v->id, &full) == SL_OK)
        text = full;
    sl_status st = SL_ERR_SUB_FACE;
    static const char *const q[] = { "quality", "dark", "blur", "resolution", "small",
                                     "light", "bright", "exposure", NULL };
    static const char *const tr[] = { "transient", "busy", "timeout", "internal",
                                      "unavailable", "engine", NULL };
    static const char *const idn[] = { "name", "person_unknown", "id_", NULL };
    int rank = 0;   /* transient 3 > quality 2 > identity 1 > face 0 */
    for (const char *p = strstr(text, "\"code\""); p; p = strstr(p + 6, "\"code\"")) {
        char code[64];
        const char *b = p + 6;
        while (*b == ' ' || *b == ':') b++;
        if (*b != '"') continue;
        b++;
        const char *e = strchr(b, '"');
        size_t n = e ? (size_t)(e - b) : strlen(b);
        snprintf(code, sizeof code, "%.*s", (int)(n < sizeof code ? n : sizeof code - 1), b);
        for (size_t k = 0; tr[k]; k++)
            if (strstr(code, tr[k]) && rank < 3) { rank = 3; st = SL_ERR_SUB_TRANSIENT; }
        for (size_t k = 0; q[k]; k++)
            if (strstr(code, q[k]) && rank < 2) { rank = 2; st = SL_ERR_SUB_QUALITY; }
        for (size_t k = 0; idn[k]; k++)
            if (strstr(code, idn[k]) && rank < 1) { rank = 1; st = SL_ERR_SUB_IDENTITY; }
    }
    sl__free(full);
    sl__gov_pathf(why, cap, "verification %" PRId64 " did not pass: %s", v->id,
                  st == SL_ERR_SUB_QUALITY ? "low resolution or dark lighting (像素低、光线暗)"
                  : st == SL_ERR_SUB_TRANSIENT ? "transient error, retry later (请稍后重试)"
                  : st == SL_ERR_SUB_IDENTITY ? "identity mismatch (身份验证失败)"
                  : "face mismatch (人像比对未通过)");
    return st;
}

/* Consumes verification vid for (person, matter, ref), mapping its errors
 * to the FAQ codes. */
static sl_status consume(struct ctx *c, sl_tx *tx, int64_t person, const char *matter,
                         const char *ref, struct sl_verification *v)
{
    struct sl_verification pre;
    sl_status st = sl__verification_get_tx(tx, c->vid, &pre);
    if (st == SL_ERR_NOT_FOUND) {
        WHY("no such verification %" PRId64, c->vid);
        return SL_ERR_SUB_NOT_FOUND;
    }
    if (st != SL_OK) return st;
    st = sl__verification_consume(tx, c->vid, person, matter, ref, v);
    if (st == SL_ERR_ID_VERIF_FAILED) return classify(tx, &pre, c->why, c->cap);
    if (st == SL_ERR_ID_VERIF_BINDING)
        WHY("verification %" PRId64 " was made for another person, matter or filing "
            "(it must be bound to %s %s)", c->vid, matter, ref);
    else if (st == SL_ERR_ID_VERIF_USED)
        WHY("verification %" PRId64 " was already used: verify again", c->vid);
    else if (st == SL_ERR_ID_VERIF_EXPIRED)
        WHY("verification %" PRId64 " expired: verify again", c->vid);
    return st;
}

/* Signs doc for verification v; *sig_id gets the row. */
static sl_status sign_doc(struct ctx *c, sl_tx *tx, const struct sl_verification *v,
                          const char *otype, int64_t oid, const char *masked, const char *doc,
                          int64_t *sig_id)
{
    /* the evidence is the whole signed result (result_json is cut at 1 KiB) */
    char ev[65], *full = NULL;
    sl_status st = sl__verification_result_tx(tx, v->id, &full);
    if (st != SL_OK) return st;
    st = hash_hex(c->k, full, strlen(full), ev);
    sl__free(full);
    if (st != SL_OK) return st;
    char ref[SL_ESIGN_REF_MAX];
    snprintf(ref, sizeof ref, "%" PRId64 "@%.40s", v->id, ev);
    int64_t now = sl__now_ms();
    struct sl__esign rec;
    st = sl__esign_make(c->k, doc, strlen(doc), ref, "match", now, &rec);
    if (st != SL_OK) return st;
    json_t *rj = sl__esign_to_json(&rec);
    char *rt = rj ? canon(rj) : NULL;
    json_decref(rj);
    if (!rt) return SL_ERR_NOMEM;
    st = sl__tx_query_int(tx,
        "INSERT INTO sub_signature (object_type, object_id, person_id, id_masked, doc, doc_hash, "
        "verification_id, evidence_hash, record, created_ms) VALUES (?,?,?,?,?,?,?,?,?,?) "
        "RETURNING id",
        SL_ARGS(SL_TEXT(otype), SL_INT(oid), SL_INT(v->person_id), SL_TEXT(masked), SL_TEXT(doc),
                SL_TEXT(rec.doc_hash), SL_INT(v->id), SL_TEXT(ev), SL_TEXT(rt), SL_INT(now)),
        sig_id);
    free(rt);
    return st;
}

/* {id, verification_id, evidence_hash, doc_hash, signed_at, signature} */
static sl_status sig_view(sl_tx *tx, int64_t id, json_t **out)
{
    *out = NULL;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT object_type, object_id, id_masked, doc, doc_hash, verification_id, "
        "evidence_hash, record, created_ms FROM sub_signature WHERE id = ?",
        SL_ARGS(SL_INT(id)), &r);
    if (st != SL_OK) return st;
    if (sl__rows_count(r) == 0) {
        sl__rows_free(r);
        return SL_ERR_SUB_NOT_FOUND;
    }
    json_t *rec = json_loads(sl__rows_text(r, 0, 7), 0, NULL);
    *out = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:I,s:s,s:o,s:o}",
        "id", (json_int_t)id, "object_type", sl__rows_text(r, 0, 0),
        "object_id", (json_int_t)sl__rows_int(r, 0, 1), "signer", sl__rows_text(r, 0, 2),
        "document", sl__rows_text(r, 0, 3), "doc_hash", sl__rows_text(r, 0, 4),
        "verification_id", (json_int_t)sl__rows_int(r, 0, 5),
        "evidence_hash", sl__rows_text(r, 0, 6), "signature", rec ? rec : json_null(),
        "signed_at", iso(sl__rows_int(r, 0, 8)));
    sl__rows_free(r);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

static json_t *sig_or_null(sl_tx *tx, const sl_rows *r, size_t row, size_t col)
{
    if (sl__rows_null(r, row, col)) return json_null();
    json_t *o = NULL;
    if (sig_view(tx, sl__rows_int(r, row, col), &o) != SL_OK) return json_null();
    json_object_del(o, "document");
    return o;
}

/* ============================ Submissions =============================== */

struct subrow {
    int64_t id, hall, filer_person, created;
    char kind[65], state[16], filer_id[65];
    char *doc;
};

static sl_status sub_load(sl_tx *tx, int64_t id, struct subrow *s)
{
    memset(s, 0, sizeof *s);
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT kind, state, hall_id, filer_id, filer_person, created_ms, doc "
        "FROM sub_submission WHERE id = ?", SL_ARGS(SL_INT(id)), &r);
    if (st != SL_OK) return st;
    if (sl__rows_count(r) == 0) {
        sl__rows_free(r);
        return SL_ERR_SUB_NOT_FOUND;
    }
    s->id = id;
    snprintf(s->kind, sizeof s->kind, "%s", sl__rows_text(r, 0, 0));
    snprintf(s->state, sizeof s->state, "%s", sl__rows_text(r, 0, 1));
    s->hall = sl__rows_int(r, 0, 2);
    snprintf(s->filer_id, sizeof s->filer_id, "%s", sl__rows_text(r, 0, 3));
    s->filer_person = sl__rows_int(r, 0, 4);
    s->created = sl__rows_int(r, 0, 5);
    const char *d = sl__rows_text(r, 0, 6);
    s->doc = d ? sl__strdup(d) : NULL;
    sl__rows_free(r);
    return s->doc ? SL_OK : SL_ERR_NOMEM;
}

static bool is_party(sl_tx *tx, int64_t sub, int64_t person)
{
    int64_t n = 0;
    return sl__tx_query_int(tx, "SELECT count(*) FROM sub_party WHERE sub_id = ? AND person_id = ?",
                            SL_ARGS(SL_INT(sub), SL_INT(person)), &n) == SL_OK && n > 0;
}

static sl_status may_see(const struct sl__sub_actor *a, sl_tx *tx, const struct subrow *s)
{
    if (a->person_id > 0)
        return a->person_id == s->filer_person || is_party(tx, s->id, a->person_id)
                   ? SL_OK : SL_ERR_SUB_NOT_FOUND;
    return a->hall_id == s->hall ? SL_OK : SL_ERR_SUB_NOT_FOUND;
}

static json_t *dlg_list(sl_tx *tx, const char *col, int64_t v, const char *kind);

static sl_status sub_view(sl_tx *tx, const struct subrow *s, json_t **out)
{
    *out = NULL;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT title, doc_hash, created_ms, submitted_ms FROM sub_submission WHERE id = ?",
        SL_ARGS(SL_INT(s->id)), &r);
    if (st != SL_OK) return st;
    json_t *doc = json_loads(s->doc, 0, NULL);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:o,s:o}",
        "id", (json_int_t)s->id, "reference", "", "kind", s->kind, "title", sl__rows_text(r, 0, 0),
        "document", json_incref(json_object_get(doc, "document")),
        "doc_hash", sl__rows_text(r, 0, 1), "state", s->state,
        "created_at", iso(sl__rows_int(r, 0, 2)),
        "submitted_at", iso(sl__rows_null(r, 0, 3) ? 0 : sl__rows_int(r, 0, 3)),
        "signed_document", json_string(s->doc));
    sl__rows_free(r);
    json_decref(doc);
    if (!o) return SL_ERR_NOMEM;
    char ref[32];
    snprintf(ref, sizeof ref, "sub_%" PRId64, s->id);
    json_object_set_new(o, "reference", json_string(ref));
    json_object_set_new(o, "expires_at", iso(s->created + SL_SUB_PENDING_MS));
    st = sl__tx_query(tx,
        "SELECT seq, role, id_type, id_masked, name_masked, state, bank_factor, verification_id, "
        "signature_id, reason, acted_ms FROM sub_party WHERE sub_id = ? ORDER BY seq",
        SL_ARGS(SL_INT(s->id)), &r);
    if (st != SL_OK) { json_decref(o); return st; }
    json_t *parties = json_array(), *missing = json_array();
    for (size_t i = 0; i < sl__rows_count(r); i++) {
        json_t *p = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o}",
            "seq", (json_int_t)sl__rows_int(r, i, 0), "role", sl__rows_text(r, i, 1),
            "id_type", sl__rows_text(r, i, 2), "id_masked", sl__rows_text(r, i, 3),
            "name", sl__rows_text(r, i, 4), "state", sl__rows_text(r, i, 5),
            "bank_card_required", sl__rows_int(r, i, 6) != 0,
            "verification_id", sl__rows_null(r, i, 7) ? json_null()
                                                      : json_integer(sl__rows_int(r, i, 7)),
            "signature", sig_or_null(tx, r, i, 8),
            "reason", sl__rows_null(r, i, 9) ? json_null() : json_string(sl__rows_text(r, i, 9)),
            "acted_at", iso(sl__rows_null(r, i, 10) ? 0 : sl__rows_int(r, i, 10)));
        if (strcmp(sl__rows_text(r, i, 5), "signed") != 0)
            json_array_append_new(missing, json_integer(sl__rows_int(r, i, 0)));
        json_array_append_new(parties, p);
    }
    sl__rows_free(r);
    json_object_set_new(o, "parties", parties);
    json_object_set_new(o, "missing", missing);
    st = sl__tx_query(tx, "SELECT kind, body, at_ms FROM sub_event WHERE sub_id = ? ORDER BY id",
                      SL_ARGS(SL_INT(s->id)), &r);
    if (st != SL_OK) { json_decref(o); return st; }
    json_t *ev = json_array();
    for (size_t i = 0; i < sl__rows_count(r); i++) {
        json_t *b = json_loads(sl__rows_text(r, i, 1), 0, NULL);
        json_array_append_new(ev, json_pack("{s:s,s:o,s:o}", "kind", sl__rows_text(r, i, 0),
                                            "at", iso(sl__rows_int(r, i, 2)),
                                            "detail", b ? b : json_null()));
    }
    sl__rows_free(r);
    json_object_set_new(o, "events", ev);
    json_object_set_new(o, "delegations", dlg_list(tx, "submission_id", s->id, "delegation"));
    json_object_set_new(o, "agreements", dlg_list(tx, "submission_id", s->id, "agreement"));
    *out = o;
    return SL_OK;
}

static sl_status create_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    const json_t *b = c->body;
    const char *kind = sl_json_str(b, "kind", NULL), *title = sl_json_str(b, "title", NULL);
    const json_t *doc = json_object_get(b, "document"), *parties = json_object_get(b, "parties");
    if (!kind || !*kind || strlen(kind) > 64 || !title || !*title || !json_is_object(doc) ||
        !json_is_array(parties) || json_array_size(parties) < 1 ||
        json_array_size(parties) > SL_SUB_PARTIES_MAX) {
        WHY("needs kind, title, document (object) and parties (1..%d)", SL_SUB_PARTIES_MAX);
        return SL_ERR_SUB_FORMAT;
    }
    int64_t now = sl__now_ms(), id = 0;
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO sub_submission (kind, title, state, hall_id, filer_kind, filer_id, "
        "filer_person, created_ms) VALUES (?,?,'open',?,?,?,?,?) RETURNING id",
        SL_ARGS(SL_TEXT(kind), SL_TEXT(title), SL_INT(c->a->hall_id), SL_TEXT(c->a->kind),
                SL_TEXT(c->a->id), SL_INT(c->a->person_id), SL_INT(now)), &id);
    if (st != SL_OK) return st;
    char ref[32];
    snprintf(ref, sizeof ref, "sub_%" PRId64, id);
    json_t *plist = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(parties, i, p) {
        char path[32];
        snprintf(path, sizeof path, "parties[%zu]", i);
        const char *role = sl_json_str(p, "role", "");
        bool ok = false;
        for (size_t k = 0; roles[k]; k++) ok = ok || strcmp(roles[k], role) == 0;
        if (!ok) {
            WHY("%s.role: legal_representative, shareholder, director, supervisor, liaison "
                "or agent", path);
            st = SL_ERR_SUB_FORMAT;
            break;
        }
        struct who w;
        st = lookup(c, tx, p, path, ref, &w);
        if (st != SL_OK) break;
        if (is_party(tx, id, w.person)) {
            WHY("%s: the same person is named twice", path);
            st = SL_ERR_SUB_FORMAT;
            break;
        }
        st = sl__tx_exec(tx,
            "INSERT INTO sub_party (sub_id, seq, role, id_type, person_id, person_idx, id_masked, "
            "name_masked, state, bank_factor) VALUES (?,?,?,?,?,?,?,?,'pending',?)",
            SL_ARGS(SL_INT(id), SL_INT(i + 1), SL_TEXT(role), SL_TEXT(sl_id_type_name(w.t)),
                    SL_INT(w.person), SL_BLOB(w.idx, sizeof w.idx), SL_TEXT(w.masked),
                    SL_TEXT(w.name), SL_INT(w.t == SL_ID_RESIDENT)), NULL);
        if (st == SL_OK)
            st = audit(tx, c->k, c->a, "sub.party.add", "submission", id, w.masked, w.idx, ref, NULL);
        if (st != SL_OK) break;
        json_array_append_new(plist, json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)(i + 1),
                              "role", role, "id_type", sl_id_type_name(w.t), "id_masked", w.masked,
                              "name", w.name));
    }
    if (st != SL_OK) { json_decref(plist); return st; }
    json_t *d = json_pack("{s:s,s:s,s:s,s:O,s:o,s:I}", "submission", ref, "kind", kind,
                          "title", title, "document", doc, "parties", plist,
                          "created_at_ms", (json_int_t)now);
    char *text = d ? canon(d) : NULL;
    json_decref(d);
    if (!text) return SL_ERR_NOMEM;
    char h[65];
    st = hash_hex(c->k, text, strlen(text), h);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE sub_submission SET doc = ?, doc_hash = ? WHERE id = ?",
                         SL_ARGS(SL_TEXT(text), SL_TEXT(h), SL_INT(id)), NULL);
    free(text);
    if (st == SL_OK) st = audit(tx, c->k, c->a, "sub.create", "submission", id, NULL, NULL, ref, NULL);
    struct subrow s;
    if (st == SL_OK) st = sub_load(tx, id, &s);
    if (st == SL_OK) {
        st = sub_view(tx, &s, &c->out);
        sl__free(s.doc);
    }
    return st;
}

static sl_status run(sl_store *s, sl_status (*fn)(sl_tx *, void *), struct ctx *c, json_t **out)
{
    *out = NULL;
    sl_status st = sl__store_run(s, fn, c);
    *out = c->out;
    c->out = NULL;
    return st;
}

sl_status sl__sub_create(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         const json_t *body, char *why, size_t cap, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .body = body, .why = why, .cap = cap };
    return run(s, create_tx, &c, out);
}

static sl_status get_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    struct subrow s;
    sl_status st = sub_load(tx, c->id, &s);
    if (st != SL_OK) return st;
    st = may_see(c->a, tx, &s);
    char ref[32];
    snprintf(ref, sizeof ref, "sub_%" PRId64, s.id);
    if (st == SL_OK) st = sub_view(tx, &s, &c->out);
    if (st == SL_OK) st = audit(tx, c->k, c->a, "sub.read", "submission", s.id, NULL, NULL, ref, NULL);
    sl__free(s.doc);
    return st;
}

sl_status sl__sub_get(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                      int64_t id, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = id };
    return run(s, get_tx, &c, out);
}

static sl_status submit_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    struct subrow s;
    sl_status st = sub_load(tx, c->id, &s);
    if (st != SL_OK) return st;
    st = may_see(c->a, tx, &s);
    if (st == SL_OK && c->a->person_id > 0 && c->a->person_id != s.filer_person) {
        WHY("only the filer submits");
        st = SL_ERR_SUB_NOT_PARTY;
    }
    if (st == SL_OK && strcmp(s.state, "open") != 0) {
        WHY("the filing is %s", s.state);
        st = SL_ERR_SUB_STATE;
    }
    sl_rows *r = NULL;
    if (st == SL_OK)
        st = sl__tx_query(tx, "SELECT seq, role, name_masked, state FROM sub_party "
                              "WHERE sub_id = ? AND state <> 'signed' ORDER BY seq",
                          SL_ARGS(SL_INT(s.id)), &r);
    if (st == SL_OK && sl__rows_count(r) > 0) {
        char list[400] = "";
        for (size_t i = 0; i < sl__rows_count(r); i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s#%" PRId64 " %s %s (%s)", i ? "; " : "",
                     sl__rows_int(r, i, 0), sl__rows_text(r, i, 1), sl__rows_text(r, i, 2),
                     sl__rows_text(r, i, 3));
        }
        WHY("not authenticated and signed for this filing: %s", list);
        st = SL_ERR_SUB_PARTIES;
    }
    sl__rows_free(r);
    char ref[32];
    snprintf(ref, sizeof ref, "sub_%" PRId64, s.id);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE sub_submission SET state = 'submitted', submitted_ms = ? "
                             "WHERE id = ?", SL_ARGS(SL_INT(sl__now_ms()), SL_INT(s.id)), NULL);
    if (st == SL_OK) {
        snprintf(s.state, sizeof s.state, "submitted");
        st = audit(tx, c->k, c->a, "sub.submit", "submission", s.id, NULL, NULL, ref, NULL);
    }
    if (st == SL_OK) st = sub_view(tx, &s, &c->out);
    sl__free(s.doc);
    return st;
}

sl_status sl__sub_submit(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         int64_t id, char *why, size_t cap, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = id, .why = why, .cap = cap };
    return run(s, submit_tx, &c, out);
}

/* The acting person: a citizen's own, or the verification's (device). */
static sl_status acting_person(struct ctx *c, sl_tx *tx, int64_t *person)
{
    if (c->a->person_id > 0) {
        *person = c->a->person_id;
        return SL_OK;
    }
    if (c->vid <= 0) {
        WHY("a verification of the person is needed");
        return SL_ERR_SUB_FORMAT;
    }
    struct sl_verification v;
    sl_status st = sl__verification_get_tx(tx, c->vid, &v);
    if (st == SL_ERR_NOT_FOUND) {
        WHY("no such verification %" PRId64, c->vid);
        return SL_ERR_SUB_NOT_FOUND;
    }
    if (st != SL_OK) return st;
    if (v.person_id <= 0) return classify(tx, &v, c->why, c->cap);
    *person = v.person_id;
    return SL_OK;
}

struct partyrow {
    int64_t id, bank;
    char state[16], masked[SL_ID_MAX], role[32], name[SL_ID_NAME_MAX];
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
};

static sl_status party_load(sl_tx *tx, int64_t sub, int64_t person, struct partyrow *p)
{
    memset(p, 0, sizeof *p);
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT id, state, bank_factor, id_masked, person_idx, role, name_masked FROM sub_party "
        "WHERE sub_id = ? AND person_id = ?", SL_ARGS(SL_INT(sub), SL_INT(person)), &r);
    if (st != SL_OK) return st;
    if (sl__rows_count(r) == 0) {
        sl__rows_free(r);
        return SL_ERR_SUB_NOT_PARTY;
    }
    p->id = sl__rows_int(r, 0, 0);
    snprintf(p->state, sizeof p->state, "%s", sl__rows_text(r, 0, 1));
    p->bank = sl__rows_int(r, 0, 2);
    snprintf(p->masked, sizeof p->masked, "%s", sl__rows_text(r, 0, 3));
    size_t n = 0;
    const void *b = sl__rows_blob(r, 0, 4, &n);
    if (b && n == sizeof p->idx) memcpy(p->idx, b, n);
    snprintf(p->role, sizeof p->role, "%s", sl__rows_text(r, 0, 5));
    snprintf(p->name, sizeof p->name, "%s", sl__rows_text(r, 0, 6));
    sl__rows_free(r);
    return SL_OK;
}

/* Loads the open, recent filing and the acting party (pending). */
static sl_status party_step(struct ctx *c, sl_tx *tx, struct subrow *s, struct partyrow *p,
                            int64_t *person)
{
    sl_status st = sub_load(tx, c->id, s);
    if (st != SL_OK) return st;
    if (strcmp(s->state, "open") != 0) {
        WHY("the filing is %s", s->state);
        return SL_ERR_SUB_STATE;
    }
    if (sl__now_ms() - s->created > SL_SUB_PENDING_MS) {
        WHY("the filing was opened more than 7 days ago");
        return SL_ERR_SUB_EXPIRED;
    }
    st = acting_person(c, tx, person);
    if (st != SL_OK) return st;
    st = party_load(tx, s->id, *person, p);
    if (st == SL_ERR_SUB_NOT_PARTY) WHY("the person is not a party of this filing");
    if (st == SL_OK && strcmp(p->state, "pending") != 0) {
        WHY("this party has already %s", p->state);
        st = SL_ERR_SUB_STATE;
    }
    return st;
}

static sl_status confirm_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    struct subrow s;
    struct partyrow p;
    int64_t person = 0;
    sl_status st = party_step(c, tx, &s, &p, &person);
    char ref[32];
    snprintf(ref, sizeof ref, "sub_%" PRId64, c->id);
    struct sl_verification v;
    if (st == SL_OK) st = consume(c, tx, person, s.kind, ref, &v);
    if (st == SL_OK && p.bank && !(v.factors_passed & SL_FACTOR_BANK_CARD)) {
        WHY("party %s holds a resident ID: the verification must include the bank-card "
            "factor (本人银行卡信息核验)", p.masked);
        st = SL_ERR_SUB_BANK_FACTOR;
    }
    int64_t sig = 0;
    if (st == SL_OK) st = sign_doc(c, tx, &v, "submission", s.id, p.masked, s.doc, &sig);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE sub_party SET state = 'signed', verification_id = ?, "
                             "signature_id = ?, acted_ms = ? WHERE id = ?",
                         SL_ARGS(SL_INT(v.id), SL_INT(sig), SL_INT(sl__now_ms()), SL_INT(p.id)),
                         NULL);
    if (st == SL_OK)
        st = audit(tx, c->k, c->a, "sub.sign", "submission", s.id, p.masked, p.idx, ref, NULL);
    json_t *sv = NULL;
    if (st == SL_OK) st = sig_view(tx, sig, &sv);
    if (st == SL_OK)
        c->out = json_pack("{s:I,s:s,s:s,s:s,s:o}", "submission", (json_int_t)s.id,
                           "role", p.role, "id_masked", p.masked, "state", "signed", "signature", sv);
    sl__free(s.doc);
    return st;
}

sl_status sl__sub_confirm(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                          int64_t id, int64_t vid, char *why, size_t cap, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = id, .vid = vid, .why = why, .cap = cap };
    return run(s, confirm_tx, &c, out);
}

static sl_status refuse_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    struct subrow s;
    struct partyrow p;
    int64_t person = 0;
    sl_status st = party_step(c, tx, &s, &p, &person);
    char ref[32];
    snprintf(ref, sizeof ref, "sub_%" PRId64, c->id);
    struct sl_verification v;
    /* a device caller proves who refuses with that person's verification */
    if (st == SL_OK && c->a->person_id <= 0) st = consume(c, tx, person, s.kind, ref, &v);
    int64_t now = sl__now_ms();
    const char *reason = c->reason && *c->reason ? c->reason : "";
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE sub_party SET state = 'refused', reason = ?, acted_ms = ?, "
                             "verification_id = ? WHERE id = ?",
                         SL_ARGS(SL_TEXT(reason), SL_INT(now),
                                 c->a->person_id > 0 ? SL_NULL : SL_INT(c->vid), SL_INT(p.id)),
                         NULL);
    json_t *ev = NULL;
    if (st == SL_OK) {
        ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "role", p.role, "name", p.name,
                       "id_masked", p.masked, "reason", reason,
                       "zh", "相关人员拒绝确认该业务，请联系其核实后重新提交。",
                       "en", "A person named in the filing refused it; contact them and file again.");
        char *t = ev ? canon(ev) : NULL;
        if (!t) st = SL_ERR_NOMEM;
        else
            st = sl__tx_exec(tx, "INSERT INTO sub_event (sub_id, filer_id, filer_person, kind, "
                                 "body, at_ms) VALUES (?,?,?,'party_refused',?,?)",
                             SL_ARGS(SL_INT(s.id), SL_TEXT(s.filer_id), SL_INT(s.filer_person),
                                     SL_TEXT(t), SL_INT(now)), NULL);
        free(t);
    }
    if (st == SL_OK)
        st = audit(tx, c->k, c->a, "sub.refuse", "submission", s.id, p.masked, p.idx, ref, NULL);
    if (st == SL_OK)
        c->out = json_pack("{s:I,s:s,s:s,s:O}", "submission", (json_int_t)s.id, "state", "refused",
                           "filer_told", "party_refused", "event", ev);
    json_decref(ev);
    sl__free(s.doc);
    return st;
}

sl_status sl__sub_refuse(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         int64_t id, int64_t vid, const char *reason, char *why, size_t cap,
                         json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = id, .vid = vid, .reason = reason,
                     .why = why, .cap = cap };
    return run(s, refuse_tx, &c, out);
}

static sl_status pending_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    int64_t since = sl__now_ms() - SL_SUB_PENDING_MS;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT s.id, s.kind, s.title, p.role, s.created_ms, p.id_masked, p.person_idx "
        "FROM sub_party p JOIN sub_submission s ON s.id = p.sub_id "
        "WHERE p.person_id = ? AND p.state = 'pending' AND s.state = 'open' AND s.created_ms >= ? "
        "ORDER BY s.created_ms DESC", SL_ARGS(SL_INT(c->person), SL_INT(since)), &r);
    if (st != SL_OK) return st;
    json_t *items = json_array();
    char masked[SL_ID_MAX] = "";
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    bool have_idx = false;
    for (size_t i = 0; i < sl__rows_count(r); i++) {
        json_array_append_new(items, json_pack("{s:s,s:I,s:s,s:s,s:s,s:o,s:o}",
            "type", "submission", "id", (json_int_t)sl__rows_int(r, i, 0),
            "kind", sl__rows_text(r, i, 1), "title", sl__rows_text(r, i, 2),
            "role", sl__rows_text(r, i, 3), "created_at", iso(sl__rows_int(r, i, 4)),
            "expires_at", iso(sl__rows_int(r, i, 4) + SL_SUB_PENDING_MS)));
        size_t n = 0;
        const void *b = sl__rows_blob(r, i, 6, &n);
        if (!have_idx && b && n == sizeof idx) {
            memcpy(idx, b, n);
            snprintf(masked, sizeof masked, "%s", sl__rows_text(r, i, 5));
            have_idx = true;
        }
    }
    sl__rows_free(r);
    st = sl__tx_query(tx,
        "SELECT id, kind, matter, note, created_ms, confirmer_masked, confirmer_idx, other_masked "
        "FROM sub_delegation WHERE confirmer_person = ? AND state = 'pending' AND created_ms >= ? "
        "ORDER BY created_ms DESC", SL_ARGS(SL_INT(c->person), SL_INT(since)), &r);
    if (st != SL_OK) { json_decref(items); return st; }
    for (size_t i = 0; i < sl__rows_count(r); i++) {
        json_array_append_new(items, json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:o,s:o}",
            "type", sl__rows_text(r, i, 1), "id", (json_int_t)sl__rows_int(r, i, 0),
            "kind", sl__rows_text(r, i, 2), "title", sl__rows_text(r, i, 3),
            "role", strcmp(sl__rows_text(r, i, 1), "agreement") == 0 ? "third_party" : "principal",
            "other", sl__rows_text(r, i, 7), "created_at", iso(sl__rows_int(r, i, 4)),
            "expires_at", iso(sl__rows_int(r, i, 4) + SL_SUB_PENDING_MS)));
        size_t n = 0;
        const void *b = sl__rows_blob(r, i, 6, &n);
        if (!have_idx && b && n == sizeof idx) {
            memcpy(idx, b, n);
            snprintf(masked, sizeof masked, "%s", sl__rows_text(r, i, 5));
            have_idx = true;
        }
    }
    sl__rows_free(r);
    /* what the person filed and a party refused: the filer is told */
    json_t *notices = json_array();
    st = sl__tx_query(tx, "SELECT sub_id, kind, body, at_ms FROM sub_event WHERE filer_person = ? "
                          "AND at_ms >= ? ORDER BY id DESC",
                      SL_ARGS(SL_INT(c->person), SL_INT(since)), &r);
    if (st == SL_OK) {
        for (size_t i = 0; i < sl__rows_count(r); i++) {
            json_t *b = json_loads(sl__rows_text(r, i, 2), 0, NULL);
            json_array_append_new(notices, json_pack("{s:I,s:s,s:o,s:o}",
                "submission", (json_int_t)sl__rows_int(r, i, 0), "kind", sl__rows_text(r, i, 1),
                "at", iso(sl__rows_int(r, i, 3)), "detail", b ? b : json_null()));
        }
        sl__rows_free(r);
    }
    if (st == SL_OK)
        st = audit(tx, c->k, c->a, "sub.pending", "person", c->person, masked[0] ? masked : NULL,
                   have_idx ? idx : NULL, "pending", NULL);
    if (st != SL_OK) { json_decref(items); json_decref(notices); return st; }
    c->out = json_pack("{s:o,s:o,s:I}", "items", items, "notices", notices, "days", (json_int_t)7);
    return c->out ? SL_OK : SL_ERR_NOMEM;
}

sl_status sl__sub_pending(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                          int64_t person, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .person = person };
    return run(s, pending_tx, &c, out);
}

/* ============================ Delegations =============================== */

static json_t *dlg_json(sl_tx *tx, const sl_rows *r, size_t i)
{
    /* columns: id kind matter application_id submission_id note state doc
     *          verification_id signature_id reason created_ms acted_ms */
    json_t *doc = sl__rows_null(r, i, 7) ? NULL : json_loads(sl__rows_text(r, i, 7), 0, NULL);
    json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:O,s:O,s:o,s:o,s:o,s:o,s:o,s:s}",
        "id", (json_int_t)sl__rows_int(r, i, 0), "kind", sl__rows_text(r, i, 1),
        "matter", sl__rows_text(r, i, 2), "application", (json_int_t)sl__rows_int(r, i, 3),
        "submission", (json_int_t)sl__rows_int(r, i, 4), "note", sl__rows_text(r, i, 5),
        "state", sl__rows_text(r, i, 6),
        "confirmer", json_object_get(doc, "confirmer") ? json_object_get(doc, "confirmer") : json_null(),
        "other", json_object_get(doc, "other") ? json_object_get(doc, "other") : json_null(),
        "verification_id", sl__rows_null(r, i, 8) ? json_null() : json_integer(sl__rows_int(r, i, 8)),
        "signature", sig_or_null(tx, r, i, 9),
        "reason", sl__rows_null(r, i, 10) ? json_null() : json_string(sl__rows_text(r, i, 10)),
        "created_at", iso(sl__rows_int(r, i, 11)),
        "acted_at", iso(sl__rows_null(r, i, 12) ? 0 : sl__rows_int(r, i, 12)),
        "signed_document", sl__rows_null(r, i, 7) ? "" : sl__rows_text(r, i, 7));
    json_decref(doc);
    return o;
}

#define DLG_COLS "id, kind, matter, application_id, submission_id, note, state, doc, " \
                 "verification_id, signature_id, reason, created_ms, acted_ms"

static json_t *dlg_list(sl_tx *tx, const char *col, int64_t v, const char *kind)
{
    json_t *a = json_array();
    sl_rows *r = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT " DLG_COLS " FROM sub_delegation WHERE %s = ? AND kind = ? "
             "ORDER BY id", strcmp(col, "application_id") == 0 ? "application_id" : "submission_id");
    if (sl__tx_query(tx, sql, SL_ARGS(SL_INT(v), SL_TEXT(kind)), &r) != SL_OK) return a;
    for (size_t i = 0; i < sl__rows_count(r); i++) json_array_append_new(a, dlg_json(tx, r, i));
    sl__rows_free(r);
    return a;
}

static sl_status dlg_create_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    const json_t *b = c->body;
    const char *kind = sl_json_str(b, "kind", "");
    bool agree = strcmp(kind, "agreement") == 0;
    if (!agree && strcmp(kind, "delegation") != 0) {
        WHY("kind: delegation or agreement");
        return SL_ERR_SUB_FORMAT;
    }
    const char *ck = agree ? "third_party" : "principal", *ok = agree ? "applicant" : "agent";
    const char *matter = sl_json_str(b, "matter", NULL), *note = sl_json_str(b, "note", "");
    long long app = sl_json_int(b, "application", 0), sub = sl_json_int(b, "submission", 0);
    if (!matter || !*matter || strlen(matter) > 64 || app < 0 || sub < 0 ||
        !json_is_object(json_object_get(b, ck)) || !json_is_object(json_object_get(b, ok))) {
        WHY("a %s needs matter, %s and %s ({id_type, id_number, name})", kind, ck, ok);
        return SL_ERR_SUB_FORMAT;
    }
    int64_t now = sl__now_ms(), id = 0;
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO sub_delegation (kind, matter, application_id, submission_id, note, "
        "confirmer_person, confirmer_idx, confirmer_masked, other_person, other_masked, state, "
        "hall_id, created_by, created_ms) VALUES (?,?,?,?,?,0,?,'',0,'','pending',?,?,?) "
        "RETURNING id",
        SL_ARGS(SL_TEXT(kind), SL_TEXT(matter), SL_INT(app), SL_INT(sub), SL_TEXT(note),
                SL_BLOB("", 0), SL_INT(c->a->hall_id), SL_TEXT(c->a->id), SL_INT(now)), &id);
    if (st != SL_OK) return st;
    char ref[32];
    snprintf(ref, sizeof ref, "dlg_%" PRId64, id);
    struct who cw, ow;
    st = lookup(c, tx, json_object_get(b, ck), ck, ref, &cw);
    if (st == SL_OK) st = lookup(c, tx, json_object_get(b, ok), ok, ref, &ow);
    if (st != SL_OK) return st;
    if (cw.person == ow.person) {
        WHY("%s and %s are the same person", ck, ok);
        return SL_ERR_SUB_FORMAT;
    }
    /* a citizen asks only for themselves: one of the two parties; staff and
     * devices of the hall record either (the transaction rolls back) */
    if (c->a->person_id > 0 && c->a->person_id != cw.person && c->a->person_id != ow.person) {
        WHY("you can ask for a %s only as its %s or %s", kind, ck, ok);
        return SL_ERR_SUB_NOT_PARTY;
    }
    if (sub > 0) {
        int64_t n = 0;
        st = sl__tx_query_int(tx, "SELECT count(*) FROM sub_submission WHERE id = ?",
                              SL_ARGS(SL_INT(sub)), &n);
        if (st == SL_OK && n == 0) {
            WHY("no such submission %lld", sub);
            return SL_ERR_SUB_NOT_FOUND;
        }
    }
    json_t *d = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},s:I}",
        "delegation", ref, "kind", kind, "matter", matter, "application", (json_int_t)app,
        "submission", (json_int_t)sub, "note", note,
        "confirmer", "role", ck, "id_masked", cw.masked, "name", cw.name,
        "other", "role", ok, "id_masked", ow.masked, "name", ow.name,
        "created_at_ms", (json_int_t)now);
    char *text = d ? canon(d) : NULL;
    json_decref(d);
    if (!text) return SL_ERR_NOMEM;
    st = sl__tx_exec(tx, "UPDATE sub_delegation SET doc = ?, confirmer_person = ?, confirmer_idx = ?, "
                         "confirmer_masked = ?, other_person = ?, other_masked = ? WHERE id = ?",
                     SL_ARGS(SL_TEXT(text), SL_INT(cw.person), SL_BLOB(cw.idx, sizeof cw.idx),
                             SL_TEXT(cw.masked), SL_INT(ow.person), SL_TEXT(ow.masked), SL_INT(id)),
                     NULL);
    free(text);
    if (st == SL_OK)
        st = audit(tx, c->k, c->a, "sub.delegation.create", "delegation", id, cw.masked, cw.idx,
                   ref, NULL);
    sl_rows *r = NULL;
    if (st == SL_OK)
        st = sl__tx_query(tx, "SELECT " DLG_COLS " FROM sub_delegation WHERE id = ?",
                          SL_ARGS(SL_INT(id)), &r);
    if (st == SL_OK) {
        c->out = dlg_json(tx, r, 0);
        sl__rows_free(r);
    }
    return st;
}

sl_status sl__dlg_create(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         const json_t *body, char *why, size_t cap, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .body = body, .why = why, .cap = cap };
    return run(s, dlg_create_tx, &c, out);
}

struct dlgrow {
    int64_t confirmer, other, hall, created;
    char kind[16], state[16], masked[SL_ID_MAX];
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char *doc;
};

static sl_status dlg_load(struct ctx *c, sl_tx *tx, struct dlgrow *d)
{
    memset(d, 0, sizeof *d);
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT kind, state, confirmer_person, other_person, hall_id, created_ms, doc, "
        "confirmer_masked, confirmer_idx FROM sub_delegation WHERE id = ?",
        SL_ARGS(SL_INT(c->id)), &r);
    if (st != SL_OK) return st;
    if (sl__rows_count(r) == 0) {
        sl__rows_free(r);
        return SL_ERR_SUB_NOT_FOUND;
    }
    snprintf(d->kind, sizeof d->kind, "%s", sl__rows_text(r, 0, 0));
    snprintf(d->state, sizeof d->state, "%s", sl__rows_text(r, 0, 1));
    d->confirmer = sl__rows_int(r, 0, 2);
    d->other = sl__rows_int(r, 0, 3);
    d->hall = sl__rows_int(r, 0, 4);
    d->created = sl__rows_int(r, 0, 5);
    d->doc = sl__strdup(sl__rows_text(r, 0, 6) ? sl__rows_text(r, 0, 6) : "");
    snprintf(d->masked, sizeof d->masked, "%s", sl__rows_text(r, 0, 7));
    size_t n = 0;
    const void *b = sl__rows_blob(r, 0, 8, &n);
    if (b && n == sizeof d->idx) memcpy(d->idx, b, n);
    sl__rows_free(r);
    if (!d->doc) return SL_ERR_NOMEM;
    const struct sl__sub_actor *a = c->a;
    if (a->person_id > 0 ? (a->person_id != d->confirmer && a->person_id != d->other)
                         : a->hall_id != d->hall) {
        sl__free(d->doc);
        d->doc = NULL;
        return SL_ERR_SUB_NOT_FOUND;
    }
    return SL_OK;
}

static sl_status dlg_get_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    struct dlgrow d;
    sl_status st = dlg_load(c, tx, &d);
    if (st != SL_OK) return st;
    sl__free(d.doc);
    char ref[32];
    snprintf(ref, sizeof ref, "dlg_%" PRId64, c->id);
    sl_rows *r = NULL;
    st = sl__tx_query(tx, "SELECT " DLG_COLS " FROM sub_delegation WHERE id = ?",
                      SL_ARGS(SL_INT(c->id)), &r);
    if (st == SL_OK) {
        c->out = dlg_json(tx, r, 0);
        sl__rows_free(r);
        st = audit(tx, c->k, c->a, "sub.delegation.read", "delegation", c->id, d.masked, d.idx,
                   ref, NULL);
    }
    return st;
}

sl_status sl__dlg_get(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                      int64_t id, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = id };
    return run(s, dlg_get_tx, &c, out);
}

static sl_status dlg_act_tx(sl_tx *tx, void *vc, bool confirm)
{
    struct ctx *c = vc;
    reset(c);
    struct dlgrow d;
    sl_status st = dlg_load(c, tx, &d);
    if (st != SL_OK) return st;
    if (strcmp(d.state, "pending") != 0) {
        WHY("the %s is already %s", d.kind, d.state);
        st = SL_ERR_SUB_STATE;
    } else if (sl__now_ms() - d.created > SL_SUB_PENDING_MS) {
        WHY("the request is older than 7 days");
        st = SL_ERR_SUB_EXPIRED;
    }
    int64_t person = 0;
    if (st == SL_OK) st = acting_person(c, tx, &person);
    if (st == SL_OK && person != d.confirmer) {
        WHY("only the %s confirms (the verification is another person's)",
            strcmp(d.kind, "agreement") == 0 ? "third party" : "principal");
        st = SL_ERR_SUB_NOT_PARTY;
    }
    char ref[32];
    snprintf(ref, sizeof ref, "dlg_%" PRId64, c->id);
    struct sl_verification v;
    bool need_v = confirm || c->a->person_id <= 0;
    if (st == SL_OK && need_v) st = consume(c, tx, person, d.kind, ref, &v);
    int64_t sig = 0, now = sl__now_ms();
    if (st == SL_OK && confirm) st = sign_doc(c, tx, &v, "delegation", c->id, d.masked, d.doc, &sig);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE sub_delegation SET state = ?, verification_id = ?, "
                             "signature_id = ?, reason = ?, acted_ms = ? WHERE id = ?",
                         SL_ARGS(SL_TEXT(confirm ? "confirmed" : "refused"),
                                 need_v ? SL_INT(c->vid) : SL_NULL, confirm ? SL_INT(sig) : SL_NULL,
                                 SL_TEXT(confirm ? NULL : (c->reason ? c->reason : "")),
                                 SL_INT(now), SL_INT(c->id)), NULL);
    if (st == SL_OK)
        st = audit(tx, c->k, c->a, confirm ? "sub.delegation.confirm" : "sub.delegation.refuse",
                   "delegation", c->id, d.masked, d.idx, ref, NULL);
    sl__free(d.doc);
    sl_rows *r = NULL;
    if (st == SL_OK)
        st = sl__tx_query(tx, "SELECT " DLG_COLS " FROM sub_delegation WHERE id = ?",
                          SL_ARGS(SL_INT(c->id)), &r);
    if (st == SL_OK) {
        c->out = dlg_json(tx, r, 0);
        sl__rows_free(r);
    }
    return st;
}

static sl_status dlg_confirm_tx(sl_tx *tx, void *vc) { return dlg_act_tx(tx, vc, true); }
static sl_status dlg_refuse_tx(sl_tx *tx, void *vc) { return dlg_act_tx(tx, vc, false); }

sl_status sl__dlg_confirm(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                          int64_t id, int64_t vid, char *why, size_t cap, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = id, .vid = vid, .why = why, .cap = cap };
    return run(s, dlg_confirm_tx, &c, out);
}

sl_status sl__dlg_refuse(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         int64_t id, int64_t vid, const char *reason, char *why, size_t cap,
                         json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = id, .vid = vid, .reason = reason,
                     .why = why, .cap = cap };
    return run(s, dlg_refuse_tx, &c, out);
}

/* ============================ Signatures ================================ */

struct sigctx { int64_t id; json_t *out; };

static sl_status sig_get_tx(sl_tx *tx, void *vc)
{
    struct sigctx *c = vc;
    json_decref(c->out);
    c->out = NULL;
    return sig_view(tx, c->id, &c->out);
}

sl_status sl__sig_get(sl_store *s, int64_t id, json_t **out)
{
    struct sigctx c = { .id = id };
    sl_status st = sl__store_run_read(s, sig_get_tx, &c);
    *out = c.out;
    return st;
}

sl_status sl__sig_check(const sl_keyring *k, const json_t *record, const char *doc, json_t **out)
{
    *out = NULL;
    struct sl__esign rec;
    sl_status st = sl__esign_from_json(record, &rec);
    if (st != SL_OK) return st;
    st = sl__esign_verify(k, doc, doc ? strlen(doc) : 0, &rec);
    const char *at = strchr(rec.verification_id, '@');
    *out = json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "valid", st == SL_OK,
                     "code", st == SL_OK ? "ok" : sl_status_name(st),
                     "verification_id", rec.verification_id,
                     "evidence_hash_prefix", at ? at + 1 : "", "doc_hash", rec.doc_hash,
                     "suite", rec.suite, "kid", (json_int_t)rec.kid,
                     "signed_at_ms", (json_int_t)rec.signed_at_ms);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* ============================ Commitments =============================== */

sl_status sl__sub_commitment_tx(sl_tx *tx, const sl_keyring *k, const struct sl__sub_actor *a,
                                int64_t app_id, int64_t vid, char *why, size_t cap,
                                json_t **out)
{
    struct ctx cc = { .k = k, .a = a, .id = app_id, .vid = vid, .why = why, .cap = cap };
    struct ctx *c = &cc;
    *out = NULL;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT matter, serial, id_masked, person_idx FROM gov_app "
                                    "WHERE id = ?", SL_ARGS(SL_INT(app_id)), &r);
    if (st != SL_OK) return st;
    if (sl__rows_count(r) == 0) {
        sl__rows_free(r);
        WHY("no such application %" PRId64, app_id);
        return SL_ERR_SUB_NOT_FOUND;
    }
    char matter[65], serial[65], masked[SL_ID_MAX];
    uint8_t idx[SL_CRYPTO_HASH_BYTES] = { 0 };
    snprintf(matter, sizeof matter, "%s", sl__rows_text(r, 0, 0));
    snprintf(serial, sizeof serial, "%s", sl__rows_text(r, 0, 1));
    snprintf(masked, sizeof masked, "%s", sl__rows_text(r, 0, 2));
    size_t n = 0;
    const void *b = sl__rows_blob(r, 0, 3, &n);
    if (b && n == sizeof idx) memcpy(idx, b, n);
    sl__rows_free(r);
    struct sl_verification pre;
    st = sl__verification_get_tx(tx, vid, &pre);
    if (st == SL_ERR_NOT_FOUND) {
        WHY("no such verification %" PRId64, vid);
        return SL_ERR_SUB_NOT_FOUND;
    }
    if (st != SL_OK) return st;
    if (a->person_id > 0 && pre.person_id != a->person_id) return SL_ERR_ID_VERIF_BINDING;
    /* the signer is the applicant: same blind index */
    struct sl_acct_audit au = { .actor_kind = a->kind, .actor_id = a->id,
                                .action = "sub.commitment.signer", .purpose = serial,
                                .request_id = a->request_id };
    struct sl_person p;
    if (pre.person_id <= 0) return classify(tx, &pre, why, cap);
    st = sl__person_get_tx(tx, k, pre.person_id, true, &au, &p);
    char hex[65];
    uint8_t pidx[SL_CRYPTO_HASH_BYTES];
    struct sl_id_info info;
    char today[40];
    sl_time_iso8601(today, sizeof today, sl__now_ms());
    today[10] = '\0';
    if (st == SL_OK) st = sl_id_check(p.id_type, p.number, today, NULL, &info);
    memset(p.number, 0, sizeof p.number);
    if (st == SL_OK) st = sl__id_blind(k, p.id_type, info.normalised, hex);
    if (st == SL_OK) st = sl__hex_decode(pidx, sizeof pidx, hex);
    if (st != SL_OK) return st;
    if (memcmp(pidx, idx, sizeof idx) != 0) {
        WHY("the verification is not the applicant's");
        return SL_ERR_SUB_NOT_PARTY;
    }
    int64_t have = 0;
    st = sl__tx_query_int(tx, "SELECT count(*) FROM sub_signature WHERE object_type = "
                              "'application' AND object_id = ?", SL_ARGS(SL_INT(app_id)), &have);
    if (st == SL_OK && have > 0) {
        WHY("the commitment of this application is already signed");
        return SL_ERR_SUB_STATE;
    }
    char ref[32];
    snprintf(ref, sizeof ref, "app_%" PRId64, app_id);
    struct sl_verification v;
    if (st == SL_OK) st = consume(c, tx, pre.person_id, "commitment", ref, &v);
    if (st != SL_OK) return st;
    json_t *d = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}", "application", (json_int_t)app_id,
                          "serial", serial, "matter", matter, "commitment",
                          sl__sub_commitment_text, "signer", masked,
                          "signed_at_ms", (json_int_t)sl__now_ms());
    char *text = d ? canon(d) : NULL;
    json_decref(d);
    if (!text) return SL_ERR_NOMEM;
    int64_t sig = 0;
    st = sign_doc(c, tx, &v, "application", app_id, masked, text, &sig);
    free(text);
    if (st == SL_OK)
        st = audit(tx, k, a, "sub.commitment.sign", "application", app_id, masked, idx, serial, NULL);
    if (st == SL_OK) st = sig_view(tx, sig, out);
    return st;
}

static sl_status commit_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    return sl__sub_commitment_tx(tx, c->k, c->a, c->id, c->vid, c->why, c->cap, &c->out);
}

sl_status sl__sub_commitment(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                             int64_t app_id, int64_t vid, char *why, size_t cap, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = app_id, .vid = vid, .why = why, .cap = cap };
    return run(s, commit_tx, &c, out);
}

sl_status sl__sub_app_evidence_tx(sl_tx *tx, int64_t app_id, json_t **out)
{
    *out = NULL;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT id FROM sub_signature WHERE object_type = "
                                    "'application' AND object_id = ? ORDER BY id",
                                SL_ARGS(SL_INT(app_id)), &r);
    if (st != SL_OK) return st;
    json_t *cm = json_array();
    for (size_t i = 0; i < sl__rows_count(r); i++) {
        json_t *o = NULL;
        if (sig_view(tx, sl__rows_int(r, i, 0), &o) == SL_OK) json_array_append_new(cm, o);
    }
    sl__rows_free(r);
    *out = json_pack("{s:I,s:o,s:o,s:o}", "application", (json_int_t)app_id,
                     "delegations", dlg_list(tx, "application_id", app_id, "delegation"),
                     "agreements", dlg_list(tx, "application_id", app_id, "agreement"),
                     "commitments", cm);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

static sl_status evidence_tx(sl_tx *tx, void *vc)
{
    struct ctx *c = vc;
    reset(c);
    int64_t hall = 0;
    sl_status st = sl__tx_query_int(tx, "SELECT hall_id FROM gov_app WHERE id = ?",
                                    SL_ARGS(SL_INT(c->id)), &hall);
    if (st == SL_ERR_NOT_FOUND || (st == SL_OK && c->a->person_id <= 0 && hall != c->a->hall_id))
        return SL_ERR_SUB_NOT_FOUND;
    if (st == SL_OK) st = sl__sub_app_evidence_tx(tx, c->id, &c->out);
    if (st == SL_OK)
        st = audit(tx, c->k, c->a, "sub.evidence.read", "application", c->id, NULL, NULL,
                   "evidence", NULL);
    return st;
}

sl_status sl__sub_app_evidence(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                               int64_t app_id, json_t **out)
{
    struct ctx c = { .s = s, .k = k, .a = a, .id = app_id };
    return run(s, evidence_tx, &c, out);
}
