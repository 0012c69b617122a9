/*
 * openapi.c -- the OpenAPI 3.1 document, generated from the route table
 * and its schemas (nothing written by hand per route), and the docs page
 * that renders it (plain HTML + a few lines of script served by us;
 * nothing from a CDN).
 *
 * Each operation carries "x-allow": the roles and device classes that may
 * call it ("public" for none needed); the test suite builds its
 * every-route x every-role matrix from it.
 */
#include <string.h>

#include "http/http_int.h"

static json_t *problem_schema(void)
{
    return json_pack("{s:s,s:{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s}},s:[s,s,s,s]}",
                     "type", "object", "properties",
                     "type", "type", "string",
                     "title", "type", "string",
                     "status", "type", "integer",
                     "code", "type", "string",
                     "detail", "type", "string",
                     "request_id", "type", "string",
                     "zh", "type", "string",
                     "en", "type", "string",
                     "required", "type", "title", "status", "code");
}

static json_t *operation(const struct sl_route *rt)
{
    json_t *op = json_object();
    json_object_set_new(op, "summary", json_string(rt->summary ? rt->summary : ""));
    char opid[128];
    snprintf(opid, sizeof opid, "%s %s", rt->method, rt->path);
    json_object_set_new(op, "operationId", json_string(opid));
    if (rt->tag)
        json_object_set_new(op, "tags", json_pack("[s]", rt->tag));
    json_t *allow = json_array();
    if (rt->allow & SL_R_PUBLIC) {
        json_array_append_new(allow, json_string("public"));
        json_object_set_new(op, "security", json_array());
    } else {
        json_t *who = sl__acct_bits_json(rt->allow & (SL_ROLE_ALL | SL_DEV_ALL | SL_ROLE_CITIZEN));
        json_array_extend(allow, who);
        json_decref(who);
        json_t *sec = json_array();
        if (rt->allow & SL_ROLE_ALL)
            json_array_append_new(sec, json_pack("{s:[]}", "bearer"));
        if (rt->allow & SL_ROLE_CITIZEN)
            json_array_append_new(sec, json_pack("{s:[]}", "citizen"));
        if (rt->allow & SL_DEV_ALL)
            json_array_append_new(sec, json_pack("{s:[]}", "Device"));
        json_object_set_new(op, "security", sec);
    }
    json_object_set_new(op, "x-allow", allow);
    json_object_set_new(op, "x-body-max", json_integer((json_int_t)rt->body_max));
    if (rt->rate_class)
        json_object_set_new(op, "x-rate-class", json_string(rt->rate_class));
    if (rt->audit_action)
        json_object_set_new(op, "x-audit-action", json_string(rt->audit_action));
    if (rt->allow & SL_R_ENGINE)
        json_object_set_new(op, "x-engine-worker", json_true());
    json_t *params = json_array();
    for (const char *p = strchr(rt->path, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:{s:s,s:s}}",
                                                "name", p + 1, (size_t)(e - p - 1),
                                                "in", "path", "required", 1,
                                                "schema", "type", "string",
                                                "pattern", "^[A-Za-z0-9_.@-]{1,127}$"));
    }
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (rt->req)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:{s:{s:o}}}", "required", 1, "content",
                                      "application/json", "schema", sl__schema_json(rt->req)));
    json_t *resp = json_object();
    json_t *ok;
    if (rt->allow & SL_R_SSE)
        ok = json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", "event stream",
                       "content", "text/event-stream", "schema", "type", "string");
    else if (rt->allow & SL_R_RAW)
        ok = json_pack("{s:s}", "description", "text");
    else
        ok = json_pack("{s:s,s:{s:{s:o}}}", "description", "success", "content",
                       "application/json", "schema",
                       rt->resp ? sl__schema_json(rt->resp) : json_pack("{s:s}", "type", "object"));
    json_object_set_new(resp, "200", ok);
    json_object_set_new(resp, "default",
                        json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", "problem (RFC 9457)",
                                  "content", "application/problem+json", "schema",
                                  "$ref", "#/components/schemas/Problem"));
    json_object_set_new(op, "responses", resp);
    return op;
}

json_t *sl__http_openapi(void)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < sl__route_count(); i++) {
        const struct sl_route *rt = sl__route_at(i);
        json_t *item = json_object_get(paths, rt->path);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, rt->path, item);
        }
        char m[8];
        size_t k = 0;
        for (; rt->method[k] && k < sizeof m - 1; k++)
            m[k] = (char)(rt->method[k] | 0x20);
        m[k] = '\0';
        json_object_set_new(item, m, operation(rt));
    }
    json_t *doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:o,s:{s:{s:o},s:{s:{s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s}}}}",
        "openapi", "3.1.0",
        "info", "title", "shualian identity server", "version", SL_VERSION,
        "description", "Face verification and accounts. Errors are application/problem+json "
                       "with a stable machine 'code'.",
        "paths", paths,
        "components", "schemas", "Problem", problem_schema(),
        "securitySchemes",
        "bearer", "type", "http", "scheme", "bearer", "description",
        "staff session token from POST /v1/auth/login",
        "Device", "type", "apiKey", "in", "header", "name", "Authorization",
        "description", "Authorization: Device <id>:<key> (window, kiosk, h5 devices)",
        "citizen", "type", "http", "scheme", "bearer", "description",
        "citizen session token (cit_...) from POST /v1/citizen/sessions: a passed "
        "\"citizen_login\" verification, 10 min idle / 30 min absolute");
    return doc;
}

sl_status sl__h_openapi(struct sl_req *r)
{
    return sl__reply_json(r, 200, sl__http_openapi());
}

static const char docs_html[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>shualian API</title><style>"
    "body{font:14px/1.4 sans-serif;margin:2em;max-width:70em}"
    "h2{border-bottom:1px solid #ccc}code,pre{background:#f4f4f4;padding:2px 4px}"
    ".m{display:inline-block;width:4em;font-weight:bold}.a{color:#666}"
    "</style></head><body><h1>shualian identity server API</h1>"
    "<p>Machine-readable: <a href=\"/v1/openapi.json\">/v1/openapi.json</a> (OpenAPI 3.1). "
    "Staff send <code>Authorization: Bearer &lt;token&gt;</code> (from "
    "<code>POST /v1/auth/login</code>); devices send "
    "<code>Authorization: Device &lt;id&gt;:&lt;key&gt;</code>. Errors are "
    "<code>application/problem+json</code> with a stable <code>code</code>.</p>"
    "<div id=\"ops\">loading...</div><script>"
    "fetch('/v1/openapi.json').then(r=>r.json()).then(d=>{"
    "const e=document.getElementById('ops');e.textContent='';"
    "for(const [p,item] of Object.entries(d.paths)){for(const [m,op] of Object.entries(item)){"
    "const s=document.createElement('section');const h=document.createElement('h2');"
    "h.innerHTML='<span class=m>'+m.toUpperCase()+'</span> <code></code>';"
    "h.querySelector('code').textContent=p;s.appendChild(h);"
    "const d1=document.createElement('p');d1.textContent=op.summary;s.appendChild(d1);"
    "const d2=document.createElement('p');d2.className='a';"
    "d2.textContent='allowed: '+op['x-allow'].join(', ')+(op['x-audit-action']?'; audited as '+op['x-audit-action']:'');"
    "s.appendChild(d2);if(op.requestBody){const pre=document.createElement('pre');"
    "pre.textContent=JSON.stringify(op.requestBody.content['application/json'].schema,null,2);"
    "s.appendChild(pre);}e.appendChild(s);}}});"
    "</script></body></html>";

sl_status sl__h_docs(struct sl_req *r)
{
    return sl__reply_bytes(r, 200, "text/html; charset=utf-8", docs_html,
                           sizeof docs_html - 1);
}
