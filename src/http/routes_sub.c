/*
 * routes_sub.c -- the route slice of issue 14's seeds 002 and 004
 * (src/gov/sub.h; docs/licences.md "一人一事一认证" and "Remote
 * delegation"). Registered with one line in routes.c's slice list.
 *
 *   POST /v1/submissions                 open a filing with its parties
 *   GET  /v1/submissions/{id}            the filing, parties, signatures, events
 *   POST /v1/submissions/{id}/confirm    a party confirms + signs (verification)
 *   POST /v1/submissions/{id}/refuse     a party refuses (the filer is told)
 *   POST /v1/submissions/{id}/submit     refused until every party signed
 *   GET  /v1/me/pending                  a citizen's items of the last 7 days
 *   POST /v1/delegations                 a delegation / third-party agreement
 *   GET  /v1/delegations/{id}
 *   POST /v1/delegations/{id}/confirm    the principal / third party, by face
 *   POST /v1/delegations/{id}/refuse
 *   POST /v1/commitments                 the seed 000 commitment, signed
 *   GET  /v1/applications/{id}/evidence  who delegated, who agreed, commitments
 *   GET  /v1/signatures/{id}             public: a signed document + record
 *   POST /v1/signatures/verify           public: {valid, code}
 *
 * Citizens call with their session (kind SL_PRIN_CITIZEN, bits
 * SL_ROLE_CITIZEN, id = person_id); devices act for a person through that
 * person's verification.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gov/sub.h"
#include "http/http_int.h"
#include "store/store.h"


static const sl_keyring *keys(const struct sl_req *r) { return sl__acct_keyring(r->srv->o.acct); }
static sl_store *store(const struct sl_req *r) { return sl__acct_store(r->srv->o.acct); }

struct actor {
    struct sl__sub_actor a;
    char id[80];
};

static void actor_of(const struct sl_req *r, struct actor *x)
{
    memset(x, 0, sizeof *x);
    bool citizen = r->who.kind == SL_PRIN_CITIZEN;
    x->a.kind = citizen ? "citizen" : r->who.kind == SL_PRIN_STAFF ? "staff"
              : r->who.kind == SL_PRIN_DEVICE ? "device" : "anonymous";
    x->a.person_id = citizen ? r->who.id : 0;
    if (citizen)
        snprintf(x->id, sizeof x->id, "person:%" PRId64, r->who.id);
    else
        snprintf(x->id, sizeof x->id, "%s", r->who.name[0] ? r->who.name : r->ip);
    x->a.id = x->id;
    x->a.hall_id = r->who.hall_id;
    x->a.request_id = r->id;
}

static int64_t vid_of(const struct sl_req *r)
{
    int64_t v = 0;
    return sl__http_verif_id(json_object_get(r->json, "verification"), &v) ? v : 0;
}

#define ACT(r) struct actor x; actor_of(r, &x); char why[512] = ""; json_t *out = NULL; \
    int64_t id = 0; (void)id

static sl_status h_sub_create(struct sl_req *r)
{
    ACT(r);
    sl_status st = sl__sub_create(store(r), keys(r), &x.a, r->json, why, sizeof why, &out);
    return sl__reply_result(r, st, why, 201, NULL, out);
}

static sl_status h_sub_get(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__sub_get(store(r), keys(r), &x.a, id, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_sub_submit(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__sub_submit(store(r), keys(r), &x.a, id, why, sizeof why, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_sub_confirm(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__sub_confirm(store(r), keys(r), &x.a, id, vid_of(r), why, sizeof why, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_sub_refuse(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__sub_refuse(store(r), keys(r), &x.a, id, vid_of(r),
                                  sl_json_str(r->json, "reason", ""), why, sizeof why, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_pending(struct sl_req *r)
{
    ACT(r);
    if (x.a.person_id <= 0) return SL_ERR_HTTP_FORBIDDEN;
    sl_status st = sl__sub_pending(store(r), keys(r), &x.a, x.a.person_id, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_dlg_create(struct sl_req *r)
{
    ACT(r);
    sl_status st = sl__dlg_create(store(r), keys(r), &x.a, r->json, why, sizeof why, &out);
    return sl__reply_result(r, st, why, 201, NULL, out);
}

static sl_status h_dlg_get(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__dlg_get(store(r), keys(r), &x.a, id, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_dlg_confirm(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__dlg_confirm(store(r), keys(r), &x.a, id, vid_of(r), why, sizeof why, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_dlg_refuse(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__dlg_refuse(store(r), keys(r), &x.a, id, vid_of(r),
                                  sl_json_str(r->json, "reason", ""), why, sizeof why, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_commit(struct sl_req *r)
{
    ACT(r);
    sl_status st = sl__sub_commitment(store(r), keys(r), &x.a,
                                      (int64_t)sl_json_int(r->json, "application", 0), vid_of(r),
                                      why, sizeof why, &out);
    return sl__reply_result(r, st, why, 201, NULL, out);
}

static sl_status h_evidence(struct sl_req *r)
{
    ACT(r);
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    sl_status st = sl__sub_app_evidence(store(r), keys(r), &x.a, id, &out);
    return sl__reply_result(r, st, why, 200, NULL, out);
}

static sl_status h_sig_get(struct sl_req *r)
{
    int64_t id = 0;
    if (!sl__req_id(r, "id", &id)) return SL_ERR_SUB_NOT_FOUND;
    json_t *out = NULL;
    sl_status st = sl__sig_get(store(r), id, &out);
    if (st != SL_OK) return st;
    snprintf(r->audit_object_type, sizeof r->audit_object_type, "signature");
    snprintf(r->audit_object_id, sizeof r->audit_object_id, "%" PRId64, id);
    return sl__reply_json(r, 200, out);
}

/* {"id"} checks a stored signature against its stored document; with
 * "document" (exact text) and/or "signature" (record) the caller's copies
 * are checked instead. 200 {valid, code} either way. */
static sl_status h_sig_verify(struct sl_req *r)
{
    json_t *stored = NULL;
    long long id = sl_json_int(r->json, "id", 0);
    if (id > 0) {
        sl_status st = sl__sig_get(store(r), id, &stored);
        if (st != SL_OK) return st;
    }
    const json_t *rec = json_object_get(r->json, "signature");
    if (!rec) rec = json_object_get(stored, "signature");
    const char *doc = sl_json_str(r->json, "document", NULL);
    if (!doc) doc = sl_json_str(stored, "document", NULL);
    json_t *out = NULL;
    sl_status st = rec ? sl__sig_check(keys(r), rec, doc, &out) : SL_ERR_SUB_FORMAT;
    if (st == SL_OK && stored) {
        /* the stored record must be the one given */
        json_t *sr = json_object_get(stored, "signature");
        if (!json_equal(sr, (json_t *)rec)) {
            json_object_set_new(out, "valid", json_false());
            json_object_set_new(out, "code", json_string("signature_differs"));
        }
        json_object_set(out, "evidence_hash", json_object_get(stored, "evidence_hash"));
        json_object_set(out, "signer", json_object_get(stored, "signer"));
    }
    json_decref(stored);
    if (st != SL_OK) {
        snprintf(r->detail, sizeof r->detail, "give id, or signature {doc_hash, verification_id, "
                 "result, signed_at_ms, suite, kid, sig} (and document: the exact text)");
        return st;
    }
    return sl__reply_json(r, 200, out);
}

/* ============================ Schemas and rows =========================== */

static const struct sl_schema s_obj = { .type = SL_S_OBJECT };
static const struct sl_schema s_short = { .type = SL_S_STRING, .min_len = 1, .max_len = 64 };
static const struct sl_schema s_title = { .type = SL_S_STRING, .min_len = 1, .max_len = 200 };
static const struct sl_schema s_note = { .type = SL_S_STRING, .max_len = 500 };
static const struct sl_schema s_idno = { .type = SL_S_STRING, .min_len = 1, .max_len = 32 };
static const struct sl_schema s_name = { .type = SL_S_STRING, .min_len = 1, .max_len = 120 };
static const char *const id_types[] = { "resident_id", "passport", "hk_macao_permit",
                                        "taiwan_permit", "foreign_permanent_resident", NULL };
static const struct sl_schema s_idtype = { .type = SL_S_STRING, .enums = id_types };
static const char *const role_names[] = { "legal_representative", "shareholder", "director",
                                          "supervisor", "liaison", "agent", NULL };
static const struct sl_schema s_role = { .type = SL_S_STRING, .enums = role_names };
static const struct sl_field f_person[] = {
    { "id_type", &s_idtype, true },
    { "id_number", &s_idno, true },
    { "name", &s_name, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_person = { .type = SL_S_OBJECT, .fields = f_person,
    .desc = "a registry person: document type, number and name (checked against the registry)" };
static const struct sl_field f_party[] = {
    { "role", &s_role, true },
    { "id_type", &s_idtype, true },
    { "id_number", &s_idno, true },
    { "name", &s_name, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_party = { .type = SL_S_OBJECT, .fields = f_party };
static const struct sl_schema s_parties = { .type = SL_S_ARRAY, .items = &s_party, .min_len = 1,
                                            .max_len = SL_SUB_PARTIES_MAX };
static const struct sl_schema s_doc = { .type = SL_S_OBJECT,
    .desc = "the filing's content (e.g. company name, capital); its canonical form is signed" };
static const struct sl_field f_create[] = {
    { "kind", &s_short, true },
    { "title", &s_title, true },
    { "document", &s_doc, true },
    { "parties", &s_parties, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_create = { .type = SL_S_OBJECT, .fields = f_create };
static const struct sl_schema s_vid = { .type = SL_S_INT, .min = 1, .max = 9.0e15,
    .desc = "a verification id (POST /v1/verifications) bound to this item" };
static const struct sl_field f_confirm[] = {
    { "verification", &s_vid, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_confirm = { .type = SL_S_OBJECT, .fields = f_confirm };
static const struct sl_field f_refuse[] = {
    { "verification", &s_vid, false },
    { "reason", &s_note, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_refuse = { .type = SL_S_OBJECT, .fields = f_refuse };
static const char *const dkinds[] = { "delegation", "agreement", NULL };
static const struct sl_schema s_dkind = { .type = SL_S_STRING, .enums = dkinds };
static const struct sl_schema s_ref = { .type = SL_S_INT, .min = 0, .max = 9.0e15 };
static const struct sl_field f_dlg[] = {
    { "kind", &s_dkind, true },
    { "matter", &s_short, true },
    { "application", &s_ref, false },
    { "submission", &s_ref, false },
    { "note", &s_note, false },
    { "principal", &s_person, false },
    { "agent", &s_person, false },
    { "third_party", &s_person, false },
    { "applicant", &s_person, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_dlg = { .type = SL_S_OBJECT, .fields = f_dlg,
    .desc = "delegation: principal + agent; agreement: third_party + applicant" };
static const struct sl_field f_commit[] = {
    { "application", &s_ref, true },
    { "verification", &s_vid, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_commit = { .type = SL_S_OBJECT, .fields = f_commit };
static const struct sl_schema s_doctext = { .type = SL_S_STRING, .max_len = 60000,
    .desc = "the signed document's exact text" };
static const struct sl_field f_verify[] = {
    { "id", &s_ref, false },
    { "signature", &s_obj, false },
    { "document", &s_doctext, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_verify = { .type = SL_S_OBJECT, .fields = f_verify };
static const struct sl_field f_none[] = { { NULL, NULL, false } };
static const struct sl_schema s_none = { .type = SL_S_OBJECT, .fields = f_none,
    .desc = "no members: {}" };

#define STAFF    (SL_ROLE_CLERK | SL_ROLE_ADMIN)
#define READERS  (SL_ROLE_CLERK | SL_ROLE_ADMIN | SL_ROLE_REVIEWER | SL_ROLE_AUDITOR)
#define DEVICES  SL_DEV_ALL
#define CITIZEN  (SL_ROLE_CITIZEN | SL_R_CITIZEN)
#define KB       ((size_t)1024)

const struct sl_route sl__sub_routes[] = {
    { "POST", "/v1/submissions", h_sub_create, STAFF | DEVICES | CITIZEN, 64 * KB, "default",
      "submission.create", &s_create, &s_obj,
      "open a filing (一人一事一认证): document + parties with roles and ID types", "submissions" },
    { "GET",  "/v1/submissions/{id}", h_sub_get, READERS | DEVICES | CITIZEN, 0, "default",
      "submission.read", NULL, &s_obj,
      "the filing: document, parties and their states, signatures, events, delegations",
      "submissions" },
    { "POST", "/v1/submissions/{id}/confirm", h_sub_confirm, SL_ROLE_CLERK | DEVICES | CITIZEN,
      1 * KB, "default", "submission.sign", &s_confirm, &s_obj,
      "a party confirms and signs with a verification bound to this filing", "submissions" },
    { "POST", "/v1/submissions/{id}/refuse", h_sub_refuse, SL_ROLE_CLERK | DEVICES | CITIZEN,
      2 * KB, "default", "submission.refuse", &s_refuse, &s_obj,
      "a party refuses the filing (recorded; the filer is told)", "submissions" },
    { "POST", "/v1/submissions/{id}/submit", h_sub_submit, STAFF | DEVICES | CITIZEN, 64,
      "default", "submission.submit", &s_none, &s_obj,
      "submit: refused (sub_parties) until every party has signed for this filing", "submissions" },
    { "GET",  "/v1/me/pending", h_pending, CITIZEN, 0, "default", "submission.pending", NULL,
      &s_obj, "my pending items of the last 7 days (filings, delegations, agreements)",
      "submissions" },
    { "POST", "/v1/delegations", h_dlg_create, STAFF | DEVICES | CITIZEN, 4 * KB, "default",
      "delegation.create", &s_dlg, &s_obj,
      "ask a principal to delegate a matter, or a third party to agree (谁委托 / 谁同意)",
      "delegations" },
    { "GET",  "/v1/delegations/{id}", h_dlg_get, READERS | DEVICES | CITIZEN, 0, "default",
      "delegation.read", NULL, &s_obj, "a delegation or agreement with its evidence",
      "delegations" },
    { "POST", "/v1/delegations/{id}/confirm", h_dlg_confirm, DEVICES | CITIZEN, 1 * KB, "default",
      "delegation.confirm", &s_confirm, &s_obj,
      "the principal / third party confirms with a face verification bound to it", "delegations" },
    { "POST", "/v1/delegations/{id}/refuse", h_dlg_refuse, DEVICES | CITIZEN, 2 * KB, "default",
      "delegation.refuse", &s_refuse, &s_obj, "the principal / third party refuses",
      "delegations" },
    { "POST", "/v1/commitments", h_commit, SL_ROLE_CLERK | DEVICES | CITIZEN, 1 * KB, "default",
      "commitment.sign", &s_commit, &s_obj,
      "the applicant signs the seed 000 commitment (承诺书), kept with the application",
      "delegations" },
    { "GET",  "/v1/applications/{id}/evidence", h_evidence, READERS | DEVICES | CITIZEN, 0,
      "default", "application.evidence", NULL, &s_obj,
      "who delegated, who agreed and the signed commitments of an application", "delegations" },
    { "GET",  "/v1/signatures/{id}", h_sig_get, SL_R_PUBLIC | SL_R_CITIZEN, 0, "default",
      "signature.read", NULL, &s_obj,
      "a signed document (exact text), its e-signature record and face evidence", "public" },
    { "POST", "/v1/signatures/verify", h_sig_verify, SL_R_PUBLIC | SL_R_CITIZEN, 64 * KB,
      "default", NULL, &s_verify, &s_obj,
      "check a signature (stored id, or a record + the document text): {valid, code}", "public" },
};
const size_t sl__sub_n_routes = SL_ARRAY_LEN(sl__sub_routes);
