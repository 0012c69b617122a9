/*
 * routes_acct.c -- login/logout/me, admin routes for halls, users and
 * devices, and the auditor's GET /v1/audit. Each changing call hands the
 * route's audit record to acct, which appends it in the same transaction
 * as the change (r->audited then tells the dispatcher it is done).
 */
#include <string.h>

#include "http/http_int.h"

static void audit_of(const struct sl_req *r, struct sl_acct_audit *au)
{
    memset(au, 0, sizeof *au);
    au->actor_kind = r->who.kind == SL_PRIN_STAFF ? "staff"
                   : r->who.kind == SL_PRIN_DEVICE ? "device" : "anonymous";
    au->actor_id = r->who.kind != SL_PRIN_NONE ? r->who.name : r->ip;
    au->action = r->route->audit_action;
    au->request_id = r->id;
}

static json_t *iso(int64_t ms)
{
    char t[32];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

sl_status sl__h_login(struct sl_req *r)
{
    struct sl_acct_audit au;
    audit_of(r, &au);
    au.actor_kind = "anonymous";
    char token[80];
    int64_t expires = 0, retry = 0;
    uint32_t roles = 0;
    sl_status st = sl__acct_login(r->srv->o.acct, json_string_value(json_object_get(r->json, "username")),
                                  json_string_value(json_object_get(r->json, "password")), &au,
                                  token, sizeof token, &expires, &roles, &retry);
    r->audited = true;
    if (st == SL_ERR_ACCT_LOCKED)
        return sl__reply_problem(r, st, NULL, (unsigned)((retry + 999) / 1000));
    if (st != SL_OK)
        return st;
    json_t *o = json_pack("{s:s,s:o,s:o}", "token", token, "expires_at", iso(expires),
                          "roles", sl__acct_bits_json(roles));
    memset(token, 0, sizeof token);
    return sl__reply_json(r, 200, o);
}

sl_status sl__h_logout(struct sl_req *r)
{
    struct sl_acct_audit au;
    audit_of(r, &au);
    sl_status st = sl__acct_logout(r->srv->o.acct, &r->who, &au);
    r->audited = true;
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:b}", "logged_out", 1));
}

sl_status sl__h_me(struct sl_req *r)
{
    return sl__reply_json(r, 200, json_pack("{s:s,s:s,s:I,s:o}",
        "kind", r->who.kind == SL_PRIN_STAFF ? "staff" : "device", "name", r->who.name,
        "hall", (json_int_t)r->who.hall_id, "roles", sl__acct_bits_json(r->who.bits)));
}

/* ============================ Admin ===================================== */

static sl_status reply_list(struct sl_req *r, sl_status (*fn)(sl_acct *, json_t **),
                            const char *key)
{
    json_t *a = NULL;
    sl_status st = fn(r->srv->o.acct, &a);
    if (st != SL_OK)
        return st;
    json_t *o = json_object();
    json_object_set_new(o, key, a);
    return sl__reply_json(r, 200, o);
}

sl_status sl__h_hall_list(struct sl_req *r)   { return reply_list(r, sl__acct_hall_list, "halls"); }
sl_status sl__h_user_list(struct sl_req *r)   { return reply_list(r, sl__acct_user_list, "users"); }
sl_status sl__h_device_list(struct sl_req *r) { return reply_list(r, sl__acct_device_list, "devices"); }

sl_status sl__h_hall_add(struct sl_req *r)
{
    struct sl_acct_audit au;
    audit_of(r, &au);
    const char *kind = json_string_value(json_object_get(r->json, "kind"));
    int64_t id = 0;
    sl_status st = sl__acct_hall_add(r->srv->o.acct,
                                     json_string_value(json_object_get(r->json, "name")),
                                     kind ? kind : "hall", &au, &id);
    r->audited = true;
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

sl_status sl__h_user_add(struct sl_req *r)
{
    uint32_t roles = 0;
    json_t *ra = json_object_get(r->json, "roles"), *v;
    size_t i;
    json_array_foreach(ra, i, v) {
        uint32_t b = sl__acct_bit_parse(json_string_value(v));
        if (!(b & SL_ROLE_ALL)) {
            snprintf(r->detail, sizeof r->detail, "/roles/%zu: not a staff role", i);
            return SL_ERR_HTTP_FIELD_VALUE;
        }
        roles |= b;
    }
    struct sl_acct_audit au;
    audit_of(r, &au);
    int64_t id = 0;
    sl_status st = sl__acct_user_add(r->srv->o.acct,
                                     json_integer_value(json_object_get(r->json, "hall")),
                                     json_string_value(json_object_get(r->json, "username")),
                                     json_string_value(json_object_get(r->json, "password")),
                                     roles, &au, &id);
    r->audited = true;
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

sl_status sl__h_user_disable(struct sl_req *r)
{
    struct sl_acct_audit au;
    audit_of(r, &au);
    sl_status st = sl__acct_user_disable(r->srv->o.acct, sl__req_param(r, "username"), &au);
    r->audited = true;
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:b}", "disabled", 1));
}

sl_status sl__h_device_add(struct sl_req *r)
{
    struct sl_acct_audit au;
    audit_of(r, &au);
    char id[40], key[80];
    sl_status st = sl__acct_device_add(r->srv->o.acct,
                                       json_integer_value(json_object_get(r->json, "hall")),
                                       sl__acct_bit_parse(json_string_value(json_object_get(r->json, "class"))),
                                       json_string_value(json_object_get(r->json, "label")),
                                       &au, id, sizeof id, key, sizeof key);
    r->audited = true;
    if (st != SL_OK)
        return st;
    st = sl__reply_json(r, 201, json_pack("{s:s,s:s}", "id", id, "key", key));
    memset(key, 0, sizeof key);
    return st;
}

sl_status sl__h_device_revoke(struct sl_req *r)
{
    struct sl_acct_audit au;
    audit_of(r, &au);
    sl_status st = sl__acct_device_revoke(r->srv->o.acct, sl__req_param(r, "id"), &au);
    r->audited = true;
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:b}", "revoked", 1));
}

/* ============================ Audit ===================================== */

static bool time_param(struct sl_req *r, const char *name, int64_t *out)
{
    const char *s = sl__req_query(r, name);
    *out = 0;
    if (!s)
        return true;
    if (sl__clock_parse(s, out) != SL_OK) {
        snprintf(r->detail, sizeof r->detail, "?%s= must be epoch ms or ISO-8601 UTC", name);
        return false;
    }
    return true;
}

sl_status sl__h_audit(struct sl_req *r)
{
    int64_t from, to;
    if (!time_param(r, "from", &from) || !time_param(r, "to", &to))
        return SL_ERR_HTTP_PARAM;
    const char *person = sl__req_query(r, "person");
    const char *action = sl__req_query(r, "action");
    if ((person && strlen(person) > 64) || (action && strlen(action) > 64)) {
        snprintf(r->detail, sizeof r->detail, "person and action are at most 64 bytes");
        return SL_ERR_HTTP_PARAM;
    }
    json_t *rows = NULL;
    sl_status st = sl__acct_audit_query(r->srv->o.acct, person, action, from, to, 500, &rows);
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:o}", "records", rows));
}
