/*
 * routes_gov.c -- service matters and applications over HTTP: the route
 * slice of module gov (registered in routes.c) and its thin handlers; the
 * logic, store transactions and audit records are in src/gov/app.c.
 *
 * Who acts as what: staff with the clerk role act as the clerk, reviewers
 * as the reviewer; an h5 (phone) or kiosk device acts for the applicant, a
 * window device as the clerk. The state machine (sl__app_transition) then
 * decides; an illegal step is refused with its code and a "why".
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gov/app.h"
#include "http/http_int.h"
#include "print/print.h"

static struct sl__gov *gov_of(const struct sl_req *r)
{
    return r->srv->o.gov;
}

static void actor_of(const struct sl_req *r, struct sl__gov_actor *a)
{
    memset(a, 0, sizeof *a);
    unsigned roles = 0;
    if (r->who.kind == SL_PRIN_STAFF) {
        if (r->who.bits & SL_ROLE_CLERK) roles |= 1u << SL_ACTOR_CLERK;
        if (r->who.bits & SL_ROLE_REVIEWER) roles |= 1u << SL_ACTOR_REVIEWER;
        a->kind = "staff";
    } else if (r->who.kind == SL_PRIN_DEVICE) {
        if (r->who.bits & (SL_DEV_H5 | SL_DEV_KIOSK)) roles |= 1u << SL_ACTOR_APPLICANT;
        if (r->who.bits & SL_DEV_WINDOW) roles |= 1u << SL_ACTOR_CLERK;
        a->kind = "device";
    } else if (r->who.kind == SL_PRIN_CITIZEN) {
        /* a citizen session: the applicant, for their own applications
         * (or those they opened as a proxy) */
        roles |= 1u << SL_ACTOR_APPLICANT;
        a->kind = "citizen";
        a->person_id = r->who.id;
    } else {
        a->kind = "anonymous";
    }
    a->roles = roles;
    a->id = r->who.name[0] ? r->who.name : r->ip;
    a->hall_id = r->who.hall_id;
    a->request_id = r->id;
}

/* The hold-release job runs on the store lease "gov.holds" (one node at a
 * time): on its own thread every 30 s (sl__gov_jobs_start, started by
 * serve), on POST /v1/gov/jobs/holds, and on gov reads at most once per
 * 30 s of the server clock (so a test clock moved forward takes effect at
 * the next read). */
static void publish(struct sl_req *r, json_t *entries);

static void maybe_tick(struct sl_req *r, bool force)
{
    static atomic_llong last;
    long long now = sl__now_ms(), prev = atomic_load(&last);
    if (!force && now - prev < 30000) return;
    if (!atomic_compare_exchange_strong(&last, &prev, now) && !force) return;
    int n = 0;
    json_t *entries = NULL;
    char holder[64];
    sl__gov_holder(holder, sizeof holder);
    if (sl__gov_tick(gov_of(r), holder, &n, &entries) == SL_OK && entries) publish(r, entries);
    json_decref(entries);
}

static void publish(struct sl_req *r, json_t *entries)
{
    sl__http_gov_publish(r->srv, entries);
}

void sl__http_gov_publish(void *ctx, json_t *entries)
{
    sl_http *h = ctx;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        char topic[48];
        snprintf(topic, sizeof topic, "app.%lld",
                 (long long)json_integer_value(json_object_get(e, "application")));
        sl__sse_publish(h->hub, topic, "progress", e);
    }
}

#define NEED_GOV(r) do { if (!gov_of(r)) return SL_ERR_HTTP_UNAVAILABLE; } while (0)

/* ============================ Catalogue ================================= */

static sl_status h_matter_list(struct sl_req *r)
{
    NEED_GOV(r);
    json_t *a = NULL;
    sl_status st = sl__gov_matter_list(gov_of(r), &a);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, json_pack("{s:o}", "matters", a));
}

static sl_status h_matter_get(struct sl_req *r)
{
    NEED_GOV(r);
    const char *v = sl__req_query(r, "version");
    const json_t *m = NULL;
    sl_status st = sl__gov_matter(gov_of(r), sl__req_param(r, "code"), v ? atoi(v) : 0, &m);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, json_deep_copy(m));
}

/* A new matter version, validated exactly like the shipped files. */
static sl_status h_matter_add(struct sl_req *r)
{
    NEED_GOV(r);
    struct sl__gov_actor a;
    actor_of(r, &a);
    char *text = json_dumps(r->json, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!text) return SL_ERR_NOMEM;
    char err[256] = "";
    json_t *out = NULL;
    sl_status st = sl__gov_matter_add(gov_of(r), &a, text, strlen(text), err, sizeof err, &out);
    free(text);
    r->audited = true;
    return sl__reply_result(r, st, err, 201, NULL, out);
}

/* ============================ Applications ============================== */

static sl_status h_app_create(struct sl_req *r)
{
    NEED_GOV(r);
    struct sl__gov_actor a;
    actor_of(r, &a);
    const char *channel = sl_json_str(r->json, "channel", NULL);
    if (!channel)
        channel = r->who.kind == SL_PRIN_DEVICE && (r->who.bits & SL_DEV_H5) ? "phone"
                : r->who.kind == SL_PRIN_DEVICE && (r->who.bits & SL_DEV_KIOSK) ? "kiosk"
                : r->who.kind == SL_PRIN_CITIZEN ? "phone"
                : "window";
    struct sl__gov_proxy proxy = { sl_json_str(json_object_get(r->json, "proxy"), "relation", NULL) };
    json_t *out = NULL;
    sl_status st = sl__gov_app_create(gov_of(r), &a, sl_json_str(r->json, "matter", ""), channel,
                                      sl_json_str(r->json, "id_number", ""),
                                      json_object_get(r->json, "form"),
                                      proxy.relation ? &proxy : NULL, &out);
    r->audited = true;
    if (st != SL_OK) {
        const char *why = sl_json_str(out, "why", NULL);
        if (why) snprintf(r->detail, sizeof r->detail, "%s", why);
        json_decref(out);
        return st;
    }
    return sl__reply_json(r, 201, out);
}

static sl_status h_app_get(struct sl_req *r)
{
    NEED_GOV(r);
    int64_t id;
    if (!sl__req_id(r, "id", &id)) return SL_ERR_APP_NOT_FOUND;
    maybe_tick(r, false);
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_app_get(gov_of(r), &a, id, &out);
    r->audited = true;
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

static sl_status h_app_event(struct sl_req *r)
{
    NEED_GOV(r);
    int64_t id;
    if (!sl__req_id(r, "id", &id)) return SL_ERR_APP_NOT_FOUND;
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL, *entries = NULL;
    sl_status st = sl__gov_app_event(gov_of(r), &a, id, sl__req_param(r, "event"), r->json,
                                     &out, &entries);
    r->audited = true;
    if (st != SL_OK) {
        const char *why = sl_json_str(out, "why", NULL);
        if (why) snprintf(r->detail, sizeof r->detail, "%s", why);
        json_decref(out);
        return st;
    }
    publish(r, entries);
    json_object_set_new(out, "steps", entries);
    return sl__reply_json(r, 200, out);
}

static sl_status h_app_claim(struct sl_req *r)
{
    NEED_GOV(r);
    int64_t id;
    if (!sl__req_id(r, "id", &id)) return SL_ERR_APP_NOT_FOUND;
    struct sl__gov_actor a;
    actor_of(r, &a);
    sl_status st = sl__gov_app_claim(gov_of(r), &a, id);
    r->audited = true;
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id,
                                            "claimed_by", a.id));
}

static sl_status h_app_stream(struct sl_req *r)
{
    NEED_GOV(r);
    int64_t id;
    if (!sl__req_id(r, "id", &id)) return SL_ERR_APP_NOT_FOUND;
    /* the caller must be able to see the application (hall) */
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_app_get(gov_of(r), &a, id, &out);
    r->audited = true;
    if (st != SL_OK) return st;
    json_decref(out);
    char topic[48];
    snprintf(topic, sizeof topic, "app.%lld", (long long)id);
    return sl__sse_start(r, topic);
}

static sl_status h_review_queue(struct sl_req *r)
{
    NEED_GOV(r);
    maybe_tick(r, false);
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_queue(gov_of(r), &a, sl__req_query(r, "matter"), &out);
    r->audited = true;
    return sl__reply_result(r, st, NULL, 200, "applications", out);
}

static sl_status h_app_list(struct sl_req *r)
{
    NEED_GOV(r);
    maybe_tick(r, false);
    const char *ov = sl__req_query(r, "overdue");
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_list(gov_of(r), &a, sl__req_query(r, "state"),
                                sl__req_query(r, "matter"), ov && strcmp(ov, "1") == 0, &out);
    r->audited = true;
    return sl__reply_result(r, st, st == SL_ERR_APP_FORM ? "no such state" : NULL, 200,
                            "applications", out);
}

/* ============================ Citizens and the allowance ================ */

static sl_status h_my_apps(struct sl_req *r)
{
    NEED_GOV(r);
    maybe_tick(r, false);
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_my_apps(gov_of(r), &a, &out);
    r->audited = true;
    return sl__reply_result(r, st, NULL, 200, "applications", out);
}

static void allowance_tick(struct sl_req *r, bool force)
{
    static atomic_llong last;
    long long now = sl__now_ms(), prev = atomic_load(&last);
    if (!force && now - prev < 30000) return;
    if (!atomic_compare_exchange_strong(&last, &prev, now) && !force) return;
    char holder[64];
    sl__gov_holder(holder, sizeof holder);
    (void)sl__gov_allowance_tick(gov_of(r), holder, NULL, NULL, NULL);
}

static sl_status h_my_allowances(struct sl_req *r)
{
    NEED_GOV(r);
    allowance_tick(r, false);
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_allowance_mine(gov_of(r), &a, &out);
    r->audited = true;
    return sl__reply_result(r, st, NULL, 200, "allowances", out);
}

static sl_status h_allowance_list(struct sl_req *r)
{
    NEED_GOV(r);
    allowance_tick(r, false);
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_allowance_list(gov_of(r), &a, sl__req_query(r, "state"), &out);
    r->audited = true;
    return sl__reply_result(r, st,
                            st == SL_ERR_APP_FORM ? "state: active, suspended or stopped" : NULL,
                            200, "allowances", out);
}

static sl_status h_allowance_proof(struct sl_req *r)
{
    NEED_GOV(r);
    int64_t id, vid;
    if (!sl__req_id(r, "id", &id)) return SL_ERR_APP_NOT_FOUND;
    if (!sl__http_verif_id(json_object_get(r->json, "verification"), &vid)) {
        snprintf(r->detail, sizeof r->detail, "/verification: a verification id");
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *out = NULL;
    sl_status st = sl__gov_allowance_proof(gov_of(r), &a, id, vid, &out);
    r->audited = true;
    if (st == SL_ERR_ID_VERIF_BINDING)
        snprintf(r->detail, sizeof r->detail, "the verification must be of the elder, for matter "
                 "of the allowance, reference allowance:%lld", (long long)id);
    return sl__reply_result(r, st, NULL, 200, NULL, out);
}

static sl_status h_allowance_jobs(struct sl_req *r)
{
    NEED_GOV(r);
    char holder[64];
    sl__gov_holder(holder, sizeof holder);
    int rem = 0, sus = 0, stop = 0;
    sl_status st = sl__gov_allowance_tick(gov_of(r), holder, &rem, &sus, &stop);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, json_pack("{s:i,s:i,s:i}", "reminded", rem, "suspended", sus,
                                            "stopped", stop));
}

static sl_status h_gov_jobs(struct sl_req *r)
{
    NEED_GOV(r);
    int n = 0;
    json_t *entries = NULL;
    char holder[64];
    sl__gov_holder(holder, sizeof holder);
    sl_status st = sl__gov_tick(gov_of(r), holder, &n, &entries);
    if (st != SL_OK) return st;
    publish(r, entries);
    json_decref(entries);
    return sl__reply_json(r, 200, json_pack("{s:i}", "released", n));
}

/* ============================ Receipts ================================== */

static sl_status receipt_doc(const json_t *rc, sl__doc **out)
{
    sl__doc *d = NULL;
    sl_status st = sl__doc_new(&d);
    if (st != SL_OK) return st;
    const json_t *dates = json_object_get(rc, "dates");
    const json_t *name = json_object_get(rc, "name");
    const char *he = json_string_value(json_object_get(dates, "hold_end"));
    char line[600];
    st = sl__doc_text(d, SL_DOC_TITLE, "受理凭证 / Acceptance receipt");
    if (st == SL_OK) {
        snprintf(line, sizeof line, "%s / %s", sl_json_str(name, "zh", ""), sl_json_str(name, "en", ""));
        st = sl__doc_text(d, SL_DOC_HEADING, line);
    }
    if (st == SL_OK) st = sl__doc_field(d, "受理编号 Serial", sl_json_str(rc, "serial", ""));
    if (st == SL_OK) st = sl__doc_field(d, "申请人 Applicant", sl_json_str(rc, "id_masked", ""));
    if (st == SL_OK) st = sl__doc_field(d, "受理日期 Accepted", sl_json_str(dates, "accepted", ""));
    if (st == SL_OK && he) st = sl__doc_field(d, "公告期满 Notice period ends", he);
    if (st == SL_OK) st = sl__doc_field(d, "办结时限 Completed by", sl_json_str(dates, "deadline", ""));
    const json_t *stm = json_object_get(rc, "statement");
    if (st == SL_OK) st = sl__doc_text(d, SL_DOC_BODY, sl_json_str(stm, "zh", ""));
    if (st == SL_OK) st = sl__doc_text(d, SL_DOC_SMALL, sl_json_str(stm, "en", ""));
    if (st == SL_OK)
        st = sl__doc_qr(d, sl_json_str(rc, "qr", ""),
                        "扫码或在 /v1/receipts/verify 核验 · verify at /v1/receipts/verify");
    if (st != SL_OK) {
        sl__doc_free(d);
        return st;
    }
    *out = d;
    return SL_OK;
}

static sl_status h_app_receipt(struct sl_req *r)
{
    NEED_GOV(r);
    int64_t id;
    if (!sl__req_id(r, "id", &id)) return SL_ERR_APP_NOT_FOUND;
    struct sl__gov_actor a;
    actor_of(r, &a);
    json_t *rc = NULL;
    sl_status st = sl__gov_receipt(gov_of(r), &a, id, &rc);
    r->audited = true;
    if (st != SL_OK) return st;
    const char *fmt = sl__req_query(r, "format");
    const char *size = sl__req_query(r, "size");
    enum sl_doc_format df = size && strcmp(size, "80mm") == 0 ? SL_DOC_RECEIPT80 : SL_DOC_A4;
    if (!fmt || strcmp(fmt, "json") == 0) return sl__reply_json(r, 200, rc);
    sl__doc *d = NULL;
    st = receipt_doc(rc, &d);
    json_decref(rc);
    if (st != SL_OK) return st;
    if (strcmp(fmt, "pdf") == 0) {
        uint8_t *p = NULL;
        size_t n = 0;
        st = sl__doc_pdf(d, df, &p, &n);
        if (st == SL_OK) st = sl__reply_bytes(r, 200, "application/pdf", p, n);
        sl__free(p);
    } else if (strcmp(fmt, "html") == 0) {
        char *h = NULL;
        size_t n = 0;
        st = sl__doc_html(d, df, "受理凭证", &h, &n);
        if (st == SL_OK) st = sl__reply_bytes(r, 200, "text/html; charset=utf-8", h, n);
        sl__free(h);
    } else {
        snprintf(r->detail, sizeof r->detail, "format is json, html or pdf");
        st = SL_ERR_PRINT_INPUT;
    }
    sl__doc_free(d);
    return st;
}

static sl_status h_receipt_verify(struct sl_req *r)
{
    NEED_GOV(r);
    json_t *out = NULL;
    sl_status st = sl__gov_receipt_verify(gov_of(r), sl__req_query(r, "code"), &out);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, out);
}

static sl_status h_notices(struct sl_req *r)
{
    NEED_GOV(r);
    maybe_tick(r, false);
    json_t *out = NULL;
    sl_status st = sl__gov_notices(gov_of(r), &out);
    if (st != SL_OK) return st;
    return sl__reply_json(r, 200, json_pack("{s:o}", "notices", out));
}

/* ============================ Schemas and rows =========================== */

static const struct sl_schema s_code = { .type = SL_S_STRING, .min_len = 1, .max_len = 64 };
static const struct sl_schema s_idno = { .type = SL_S_STRING, .min_len = 1, .max_len = 32,
                                         .desc = "resident ID number (18 characters)" };
static const char *const channels[] = { "window", "kiosk", "phone", NULL };
static const struct sl_schema s_channel = { .type = SL_S_STRING, .enums = channels };
static const struct sl_schema s_form = { .type = SL_S_OBJECT,
    .desc = "the matter's form fields, e.g. {\"reason\": \"...\"}" };
static const char *const relations[] = { "child", "spouse", "relative", "community_worker",
                                         "guardian", NULL };
static const struct sl_schema s_relation = { .type = SL_S_STRING, .enums = relations,
    .desc = "the proxy's relationship to the person applied for" };
static const struct sl_field f_proxy[] = {
    { "relation", &s_relation, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_proxy = { .type = SL_S_OBJECT, .fields = f_proxy,
    .desc = "applying for someone else (matters whose auth names an agent, e.g. the elderly "
            "allowance): the proxy is the citizen session's person, or is verified at submit" };
static const struct sl_field f_create[] = {
    { "matter", &s_code, true },
    { "id_number", &s_idno, true },
    { "channel", &s_channel, false },
    { "form", &s_form, false },
    { "proxy", &s_proxy, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_create = { .type = SL_S_OBJECT, .fields = f_create };
static const struct sl_schema s_text = { .type = SL_S_STRING, .min_len = 1, .max_len = 1024 };
static const struct sl_schema s_verif = { .type = SL_S_ANY,
    .desc = "a verification id (integer or its decimal text)" };
static const struct sl_schema s_verifs = { .type = SL_S_ARRAY, .items = &s_verif, .max_len = 8,
    .desc = "verification ids, one per person who must authenticate, each made for matter = "
            "the matter code and reference = this application's id (consumed once)" };
static const struct sl_field f_proof[] = {
    { "verification", &s_verif, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_proof = { .type = SL_S_OBJECT, .fields = f_proof,
    .desc = "the elder's verification: matter = the allowance's matter, reference = "
            "allowance:<id>" };
static const struct sl_schema s_commits = { .type = SL_S_ARRAY, .items = &s_code, .max_len = 16,
    .desc = "ids of the matter's commitments the applicant signs (all are required at submit)" };
static const struct sl_field f_event[] = {
    { "reason", &s_text, false },
    { "verifications", &s_verifs, false },
    { "commitments", &s_commits, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_event = { .type = SL_S_OBJECT, .fields = f_event };
static const struct sl_schema s_obj = { .type = SL_S_OBJECT };

#define STAFF   SL_ROLE_ALL
#define DEVICES SL_DEV_ALL
#define CITIZEN SL_ROLE_CITIZEN
#define KB      ((size_t)1024)

const struct sl_route sl__gov_routes[] = {
    { "GET",  "/v1/matters",       h_matter_list,   SL_R_PUBLIC,               0, "default", NULL,
      NULL, &s_obj, "the service-matter catalogue (newest versions)", "matters" },
    { "POST", "/v1/matters",       h_matter_add,        SL_ROLE_ADMIN,             256 * KB, "default", "matter.add",
      &s_obj, &s_obj, "add a new version of a matter (validated like the shipped files)", "matters" },
    { "GET",  "/v1/matters/{code}", h_matter_get,   SL_R_PUBLIC,               0, "default", NULL,
      NULL, &s_obj, "one matter (?version=N, default newest)", "matters" },
    { "POST", "/v1/applications",  h_app_create,    STAFF | DEVICES | CITIZEN | SL_R_CITIZEN, 16 * KB, "default",
      "application.create", &s_create, &s_obj,
      "open an application (draft): ID number + the matter's form (reason)", "applications" },
    { "GET",  "/v1/applications",  h_app_list,          SL_ROLE_CLERK | SL_ROLE_REVIEWER | SL_ROLE_ADMIN, 0,
      "default", "application.list", NULL, &s_obj,
      "the hall's applications (?state=&matter=&overdue=1), with dates and overdue flags", "applications" },
    { "GET",  "/v1/applications/{id}", h_app_get,   STAFF | DEVICES | CITIZEN | SL_R_CITIZEN, 0, "default",
      "application.read", NULL, &s_obj, "the application, its dates and timeline", "applications" },
    { "GET",  "/v1/applications/{id}/events", h_app_stream, STAFF | DEVICES | CITIZEN | SL_R_SSE | SL_R_CITIZEN, 0, "default",
      "application.read", NULL, NULL, "live progress (server-sent events, zh/en next step)",
      "applications" },
    { "GET",  "/v1/applications/{id}/receipt", h_app_receipt, STAFF | DEVICES | CITIZEN | SL_R_RAW | SL_R_CITIZEN, 0, "default",
      "application.read", NULL, NULL,
      "受理凭证: ?format=json|html|pdf&size=a4|80mm, with a signed QR", "applications" },
    { "POST", "/v1/applications/{id}/claim", h_app_claim, SL_ROLE_REVIEWER, 0, "default",
      "application.claim", NULL, &s_obj, "claim an application in review", "review" },
    { "POST", "/v1/applications/{id}/{event}", h_app_event, STAFF | DEVICES | CITIZEN | SL_R_CITIZEN, 16 * KB,
      "default", "application.step", &s_event, &s_obj,
      "take a step: request_auth submit accept review approve return reject resubmit complete "
      "collect withdraw", "applications" },
    { "GET",  "/v1/me/applications", h_my_apps,     CITIZEN | SL_R_CITIZEN,    0, "default",
      "application.list.mine", NULL, &s_obj,
      "my applications (as the person or their proxy), with dates and next steps", "citizen" },
    { "GET",  "/v1/me/allowances", h_my_allowances, CITIZEN | SL_R_CITIZEN,    0, "default",
      "allowance.list", NULL, &s_obj,
      "my elderly allowances (as the elder or the proxy): payment, due date, reminders", "citizen" },
    { "GET",  "/v1/allowances",    h_allowance_list, SL_ROLE_CLERK | SL_ROLE_REVIEWER | SL_ROLE_ADMIN, 0,
      "default", "allowance.list", NULL, &s_obj,
      "the hall's elderly allowances (?state=active|suspended|stopped) with reminders", "allowance" },
    { "POST", "/v1/allowances/{id}/proof-of-life", h_allowance_proof,
      STAFF | DEVICES | CITIZEN | SL_R_CITIZEN, 1024, "default", "allowance.proof_of_life",
      &s_proof, &s_obj, "a proof of life: the elder's face verification for the allowance "
      "(resumes a suspended payment)", "allowance" },
    { "POST", "/v1/gov/jobs/allowances", h_allowance_jobs, SL_ROLE_ADMIN,      0, "default", NULL,
      NULL, &s_obj, "run the allowance job now: reminders, overdue suspension, death records "
      "(it also runs by itself)", "admin" },
    { "GET",  "/v1/review",        h_review_queue,  SL_ROLE_REVIEWER,          0, "default", "application.queue",
      NULL, &s_obj, "the review queue of my hall (?matter=), with overdue flags", "review" },
    { "POST", "/v1/gov/jobs/holds", h_gov_jobs,     SL_ROLE_ADMIN,             0, "default", NULL,
      NULL, &s_obj, "run the hold-release job now (it also runs by itself)", "admin" },
    { "GET",  "/v1/receipts/verify", h_receipt_verify, SL_R_PUBLIC | SL_R_CITIZEN, 0, "default", NULL,
      NULL, &s_obj, "verify a receipt's QR content (?code=)", "public" },
    { "GET",  "/v1/notices",       h_notices,       SL_R_PUBLIC | SL_R_CITIZEN, 0, "default", NULL,
      NULL, &s_obj, "published notices (遗失声明) with their dates", "public" },
};
const size_t sl__gov_n_routes = SL_ARRAY_LEN(sl__gov_routes);
