/*
 * routes_citizen.c -- citizen sessions (the shared contract): a citizen on
 * a phone (h5 device) or at a kiosk proves who they are with a passed
 * verification of matter "citizen_login" and gets a bearer token for the
 * routes whose rows allow SL_ROLE_CITIZEN.
 *
 *   POST /v1/citizen/sessions  h5/kiosk device: {"verification": id} ->
 *                              201 {"token","person_id","expires_at","name"}
 *   GET  /v1/me                citizen: the own record, masked
 *   POST /v1/citizen/logout    citizen: end this session
 *
 * The verification is consumed (sl__verification_consume) in the same
 * transaction as the session row and the audit record, so a verification
 * opens at most one session on every node.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "http/http_int.h"
#include "id/id.h"
#include "store/store.h"

static json_t *iso(int64_t ms)
{
    char t[32];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

bool sl__http_verif_id(const json_t *v, int64_t *id)
{
    if (json_is_integer(v)) {
        *id = json_integer_value(v);
        return *id > 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 20)
        return false;
    char *end = NULL;
    long long x = strtoll(s, &end, 10);
    if (*end || x <= 0)
        return false;
    *id = x;
    return true;
}

void sl__http_citizen_audit(const struct sl_req *r, struct sl_acct_audit *au)
{
    memset(au, 0, sizeof *au);
    au->actor_kind = r->who.kind == SL_PRIN_STAFF ? "staff"
                   : r->who.kind == SL_PRIN_DEVICE ? "device"
                   : r->who.kind == SL_PRIN_CITIZEN ? "citizen" : "anonymous";
    au->actor_id = r->who.kind != SL_PRIN_NONE ? r->who.name : r->ip;
    au->action = r->route ? r->route->audit_action : NULL;
    au->request_id = r->id;
}

sl_status sl__http_citizen_open_tx(struct sl_req *r, sl_tx *tx, int64_t verification,
                                   int64_t person, const char *device, const char *method,
                                   char *token, size_t cap, int64_t *expires,
                                   struct sl_person *p)
{
    sl_acct *a = r->srv->o.acct;
    const sl_keyring *k = sl__acct_keyring(a);
    struct sl_acct_audit au;
    sl__http_citizen_audit(r, &au);
    au.action = "citizen.login";   /* also under 亮码's idcode.verify route */
    au.purpose = method;
    sl_status st = sl__person_get_tx(tx, k, person, false, &au, p);
    if (st == SL_OK && p->status != SL_PERSON_ACTIVE)
        st = SL_ERR_ID_PERSON_STATUS;
    if (st == SL_OK) {
        au.id_masked = p->number;
        st = sl__acct_citizen_open_tx(a, tx, person, r->who.hall_id, device, verification,
                                      &au, token, cap, expires);
    }
    return st;
}

struct open_ctx { struct sl_req *r; int64_t vid; char token[80]; int64_t expires;
                  struct sl_person p; };

static sl_status open_fn(sl_tx *tx, void *vctx)
{
    struct open_ctx *c = vctx;
    struct sl_verification v;
    sl_status st = sl__verification_get_tx(tx, c->vid, &v);
    if (st != SL_OK)
        return st;
    if (strcmp(v.matter, "citizen_login") != 0) {
        snprintf(c->r->detail, sizeof c->r->detail,
                 "verification %lld is for matter \"%s\", not \"citizen_login\"",
                 (long long)c->vid, v.matter);
        return SL_ERR_ID_VERIF_BINDING;
    }
    st = sl__verification_consume(tx, c->vid, v.person_id, "citizen_login", v.reference, &v);
    if (st != SL_OK)
        return st;
    /* the name and number alone (实名) open no session: a face or a document */
    if (!(v.levels_passed & (SL_LEVEL_REAL_PERSON | SL_LEVEL_REAL_DOCUMENT)) &&
        v.method == SL_METHOD_FACE)
        return SL_ERR_CITIZEN_LEVEL;
    return sl__http_citizen_open_tx(c->r, tx, c->vid, v.person_id, c->r->who.name,
                                    v.method == SL_METHOD_FACE ? "face" : "alternative",
                                    c->token, sizeof c->token, &c->expires, &c->p);
}

static sl_status h_session_open(struct sl_req *r)
{
    struct open_ctx *c = sl__calloc(1, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    c->r = r;
    sl_status st = SL_OK;
    if (!sl__http_verif_id(json_object_get(r->json, "verification"), &c->vid)) {
        snprintf(r->detail, sizeof r->detail, "/verification: a verification id");
        st = SL_ERR_HTTP_FIELD_VALUE;
    }
    if (st == SL_OK)
        st = sl__store_run(sl__acct_store(r->srv->o.acct), open_fn, c);
    if (st == SL_OK) {
        r->audited = true;
        snprintf(r->audit_object_type, sizeof r->audit_object_type, "person");
        json_t *o = json_pack("{s:s,s:I,s:o,s:s,s:s}", "token", c->token,
                              "person_id", (json_int_t)c->p.id, "expires_at", iso(c->expires),
                              "name", c->p.name, "id_masked", c->p.number);
        st = sl__reply_json(r, 201, o);
    }
    sodium_memzero(c, sizeof *c);
    sl__free(c);
    return st;
}

struct me_ctx { struct sl_req *r; struct sl_person p; };

static sl_status me_fn(sl_tx *tx, void *vctx)
{
    struct me_ctx *c = vctx;
    struct sl_acct_audit au;
    sl__http_citizen_audit(c->r, &au);
    return sl__person_get_tx(tx, sl__acct_keyring(c->r->srv->o.acct), c->r->who.id, false,
                             &au, &c->p);
}

static sl_status h_me(struct sl_req *r)
{
    struct me_ctx c = { r, { 0 } };
    sl_status st = sl__store_run(sl__acct_store(r->srv->o.acct), me_fn, &c);
    if (st != SL_OK)
        return st;
    r->audited = true;
    const char *status = c.p.status == SL_PERSON_ACTIVE ? "active"
                       : c.p.status == SL_PERSON_DECEASED ? "deceased" : "cancelled";
    json_t *o = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:b}", "kind", "citizen",
                          "person_id", (json_int_t)c.p.id, "name", c.p.name,
                          "id_masked", c.p.number, "id_type", sl_id_type_name(c.p.id_type),
                          "status", status, "has_photo", c.p.has_photo);
    return sl__reply_json(r, 200, o);
}

static sl_status h_logout(struct sl_req *r)
{
    struct sl_acct_audit au;
    sl__http_citizen_audit(r, &au);
    sl_status st = sl__acct_citizen_logout(r->srv->o.acct, &r->who, &au);
    r->audited = true;
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:b}", "logged_out", 1));
}

/* ============================ Schemas and table ========================= */

static const struct sl_schema s_verif_id = { .type = SL_S_ANY,
    .desc = "a verification id (integer, or its decimal text) created with matter "
            "\"citizen_login\" and passed" };
static const struct sl_field f_open[] = {
    { "verification", &s_verif_id, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_open = { .type = SL_S_OBJECT, .fields = f_open };
static const struct sl_schema s_str = { .type = SL_S_STRING };
static const struct sl_schema s_int = { .type = SL_S_INT };
static const struct sl_schema s_dt = { .type = SL_S_STRING, .format = "date-time" };
static const struct sl_field f_open_resp[] = {
    { "token", &s_str, true },
    { "person_id", &s_int, true },
    { "expires_at", &s_dt, true },
    { "name", &s_str, true },
    { "id_masked", &s_str, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_open_resp = { .type = SL_S_OBJECT, .fields = f_open_resp };
static const struct sl_schema s_obj = { .type = SL_S_OBJECT };

#define CIT (SL_ROLE_CITIZEN | SL_R_CITIZEN)

const struct sl_route sl__citizen_routes[] = {
    { "POST", "/v1/citizen/sessions", h_session_open, SL_DEV_H5 | SL_DEV_KIOSK | SL_R_CITIZEN,
      1024, "login", "citizen.login", &s_open, &s_open_resp,
      "citizen session from a passed \"citizen_login\" verification (consumed)", "citizen" },
    { "GET",  "/v1/me",               h_me,         CIT, 0, "default", "person.read.self",
      NULL, &s_obj, "the citizen's own record (masked)", "citizen" },
    { "POST", "/v1/citizen/logout",   h_logout,     CIT, 0, "default", "citizen.logout",
      NULL, &s_obj, "end this citizen session", "citizen" },
};
const size_t sl__citizen_n_routes = SL_ARRAY_LEN(sl__citizen_routes);
