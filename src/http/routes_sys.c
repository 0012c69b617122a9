/*
 * routes_sys.c -- system routes: /healthz, /readyz, /metrics, the test
 * event stream; and the table-driven rate limits and audit records the
 * dispatcher applies to every route.
 */
#include <string.h>

#include "hall/hall.h"
#include "http/http_int.h"
#include "shualian/engine.h"

sl_status sl__h_healthz(struct sl_req *r)
{
    double up = (double)(sl_time_mono_ns() - r->srv->boot_ns) / 1e9;
    return sl__reply_json(r, 200, json_pack("{s:s,s:f}", "status", "ok", "uptime_s", up));
}

sl_status sl__h_readyz(struct sl_req *r)
{
    bool store_ok = r->srv->o.acct && sl__acct_ping(r->srv->o.acct) == SL_OK;
    bool models_ok = r->srv->pool != NULL;
    bool hall_ok = sl__hall_ready();   /* the portrait library's cache is loaded */
    json_t *o = json_pack("{s:s,s:b,s:b,s:b}", "status",
                          store_ok && models_ok && hall_ok ? "ready" : "not_ready",
                          "store", store_ok, "models", models_ok, "library", hall_ok);
    if (store_ok && models_ok && hall_ok)
        return sl__reply_json(r, 200, o);
    json_decref(o);
    snprintf(r->detail, sizeof r->detail, "store %s, models %s, library %s",
             store_ok ? "reachable" : "unreachable", models_ok ? "loaded" : "not loaded",
             hall_ok ? "loaded" : "loading");
    return SL_ERR_HTTP_UNAVAILABLE;
}

sl_status sl__h_metrics(struct sl_req *r)
{
    struct sl_buf b;
    sl_buf_init(&b, 4 << 20);
    sl_status st = sl__metrics_render(r->srv->metrics, r->srv, &b);
    if (st == SL_OK)
        st = sl__reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8",
                             b.data, b.len);
    sl_buf_free(&b);
    return st;
}

sl_status sl__h_events_ping(struct sl_req *r)
{
    return sl__sse_start(r, "ping");
}

/* ============================ Rate limits =============================== */

/* Built-in classes; the config's "rate" object overrides or adds. */
static const struct sl_http_rate default_rates[] = {
    { "default", 50, 100 },
    { "login",   1,  10 },
    { "engine",  10, 20 },
};

static const struct sl_http_rate *rate_for(const sl_http *h, const char *cls)
{
    for (size_t i = 0; i < h->o.n_rates; i++)
        if (strcmp(h->o.rates[i].cls, cls) == 0)
            return &h->o.rates[i];
    for (size_t i = 0; i < SL_ARRAY_LEN(default_rates); i++)
        if (strcmp(default_rates[i].cls, cls) == 0)
            return &default_rates[i];
    return &default_rates[0];
}

sl_status sl__http_rate_take(struct sl_req *r, int64_t *retry_ms)
{
    const struct sl_route *rt = r->route;
    if (!rt->rate_class || !r->srv->o.acct)
        return SL_OK;
    const struct sl_http_rate *rate = rate_for(r->srv, rt->rate_class);
    if (rate->per_s <= 0)
        return SL_OK;
    char key[96];
    snprintf(key, sizeof key, "ip:%s", r->ip);
    sl_status st = sl__acct_rate_take(r->srv->o.acct, rt->rate_class, key, rate->per_s,
                                      rate->burst, retry_ms);
    if (st == SL_OK && r->who.kind == SL_PRIN_DEVICE) {
        snprintf(key, sizeof key, "dev:%s", r->who.name);
        st = sl__acct_rate_take(r->srv->o.acct, rt->rate_class, key, rate->per_s,
                                rate->burst, retry_ms);
    }
    return st;
}

sl_status sl__http_rate_take_id(struct sl_req *r, const char *id_number, int64_t *retry_ms)
{
    const struct sl_route *rt = r->route;
    if (!rt->rate_class || !r->srv->o.acct)
        return SL_OK;
    const struct sl_http_rate *rate = rate_for(r->srv, rt->rate_class);
    if (rate->per_s <= 0)
        return SL_OK;
    return sl__acct_rate_take_id(r->srv->o.acct, rt->rate_class, id_number, rate->per_s,
                                 rate->burst, retry_ms);
}

/* ============================ Audit ===================================== */

void sl__http_audit(struct sl_req *r)
{
    if (!r->srv->o.acct)
        return;
    char id[64];
    const char *kind = r->who.kind == SL_PRIN_STAFF ? "staff"
                     : r->who.kind == SL_PRIN_DEVICE ? "device" : "anonymous";
    snprintf(id, sizeof id, "%s", r->who.kind != SL_PRIN_NONE ? r->who.name : r->ip);
    char outcome[48];
    if (r->code == SL_OK && r->status < 400)
        snprintf(outcome, sizeof outcome, "ok");
    else
        snprintf(outcome, sizeof outcome, "%s", sl_status_name(r->code ? r->code : SL_ERR_INTERNAL));
    struct sl_acct_audit a = {
        .actor_kind = kind,
        .actor_id = id,
        .action = r->route->audit_action,
        .object_type = r->audit_object_type[0] ? r->audit_object_type : NULL,
        .object_id = r->audit_object_id[0] ? r->audit_object_id : NULL,
        .id_masked = r->audit_id_masked[0] ? r->audit_id_masked : NULL,
        .outcome = outcome,
        .request_id = r->id,
    };
    sl_status st = sl__acct_audit(r->srv->o.acct, &a);
    if (st != SL_OK)
        sl_log_err("audit append failed for %s: %s", r->id, sl_status_name(st));
}
