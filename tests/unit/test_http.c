/*
 * test_http.c -- the request path without sockets: route matching (path
 * params, method, traversal), body parsing codes and schema validation
 * codes (src/http).
 */
#include <string.h>

#include "http/http_int.h"
#include "test.h"

static sl_status match(const char *method, const char *path, struct sl_req *r, int *idx)
{
    memset(r, 0, sizeof *r);
    return sl__route_match(r, method, path, idx);
}

SL_TEST(http, route_match)
{
    struct sl_req r;
    int idx = -1;
    SL_CHECK(t, match("GET", "/healthz", &r, &idx) == SL_OK);
    SL_CHECK(t, idx >= 0 && strcmp(sl__route_at((size_t)idx)->path, "/healthz") == 0);
    SL_CHECK(t, match("HEAD", "/healthz", &r, &idx) == SL_OK);
    SL_CHECK(t, match("DELETE", "/healthz", &r, &idx) == SL_ERR_HTTP_METHOD);
    SL_CHECK(t, match("GET", "/nope", &r, &idx) == SL_ERR_HTTP_ROUTE);
    SL_CHECK(t, match("GET", "/healthz/", &r, &idx) == SL_ERR_HTTP_ROUTE);
    SL_CHECK(t, match("POST", "/v1/devices/dev_0a1b/revoke", &r, &idx) == SL_OK);
    SL_CHECK(t, strcmp(sl__req_param(&r, "id"), "dev_0a1b") == 0);
    SL_CHECK(t, sl__req_param(&r, "other") == NULL);
    SL_CHECK(t, match("POST", "/v1/devices/../revoke", &r, &idx) == SL_ERR_HTTP_PARAM);
    SL_CHECK(t, match("POST", "/v1/devices/./revoke", &r, &idx) == SL_ERR_HTTP_PARAM);
    SL_CHECK(t, match("POST", "/v1/devices/a'b/revoke", &r, &idx) == SL_ERR_HTTP_PARAM);
    SL_CHECK(t, match("POST", "/v1/devices//revoke", &r, &idx) == SL_ERR_HTTP_ROUTE);
    SL_CHECK(t, match("POST", "/v1/devices/a/b/revoke", &r, &idx) == SL_ERR_HTTP_ROUTE);
    char longid[200];
    memset(longid, 'a', sizeof longid);
    memcpy(longid, "/v1/users/", 10);
    snprintf(longid + 150, 50, "/disable");
    SL_CHECK(t, match("POST", longid, &r, &idx) == SL_ERR_HTTP_PARAM);
}

SL_TEST(http, table_is_consistent)
{
    for (size_t i = 0; i < sl__route_count(); i++) {
        const struct sl_route *rt = sl__route_at(i);
        SL_CHECKF(t, rt->handler && rt->path[0] == '/', "route %zu", i);
        /* a body schema needs a body limit and the reverse */
        SL_CHECKF(t, (rt->req != NULL) == (rt->body_max > 0), "%s %s body", rt->method, rt->path);
        /* every route is public or names who may call it */
        SL_CHECKF(t, (rt->allow & SL_R_PUBLIC) || (rt->allow & (SL_ROLE_ALL | SL_DEV_ALL | SL_ROLE_CITIZEN)),
                  "%s %s allow", rt->method, rt->path);
        /* a citizen reads the errors: a route citizens may call answers zh/en;
         * and staff-only areas never admit a citizen session */
        SL_CHECKF(t, !(rt->allow & SL_ROLE_CITIZEN) || (rt->allow & SL_R_CITIZEN),
                  "%s %s: citizen route without SL_R_CITIZEN", rt->method, rt->path);
        SL_CHECKF(t, !(rt->allow & SL_ROLE_CITIZEN) || (strncmp(rt->path, "/v1/users", 9) &&
                      strncmp(rt->path, "/v1/devices", 11) && strncmp(rt->path, "/v1/halls", 9) &&
                      strncmp(rt->path, "/v1/audit", 9) && strncmp(rt->path, "/v1/review", 10)),
                  "%s %s: a staff-only area admits citizens", rt->method, rt->path);
        for (size_t j = 0; j < i; j++)
            SL_CHECKF(t, strcmp(sl__route_at(j)->path, rt->path) || strcmp(sl__route_at(j)->method, rt->method),
                      "%s %s twice", rt->method, rt->path);
    }
    json_t *doc = sl__http_openapi();
    SL_CHECK(t, doc && json_object_size(json_object_get(doc, "paths")) > 10);
    json_decref(doc);
}

static sl_status parse(const char *text)
{
    char err[200];
    json_t *v = NULL;
    sl_status st = sl__http_parse_body(text, strlen(text), &v, err, sizeof err);
    json_decref(v);
    return st;
}

SL_TEST(http, body_parse_codes)
{
    SL_CHECK(t, parse("{\"a\":1}") == SL_OK);
    SL_CHECK(t, parse("{\"a\":") == SL_ERR_HTTP_JSON);
    SL_CHECK(t, parse("") == SL_ERR_HTTP_JSON);
    SL_CHECK(t, parse("{\"a\":\"\xff\"}") == SL_ERR_HTTP_UTF8);
    SL_CHECK(t, parse("{\"a\":\"x\\u0000y\"}") == SL_ERR_HTTP_NUL);
    SL_CHECK(t, parse("{\"a\":1,\"a\":2}") == SL_ERR_HTTP_JSON);
    char deep[20001];
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = '\0';
    SL_CHECK(t, parse(deep) == SL_ERR_HTTP_DEPTH);
    /* brackets inside strings do not count */
    char str[200];
    snprintf(str, sizeof str, "{\"a\":\"%s\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    SL_CHECK(t, parse(str) == SL_OK);
}

static const struct sl_schema s_name = { .type = SL_S_STRING, .min_len = 1, .max_len = 8 };
static const struct sl_schema s_n = { .type = SL_S_INT, .min = 0, .max = 10 };
static const char *const colours[] = { "red", "blue", NULL };
static const struct sl_schema s_col = { .type = SL_S_STRING, .enums = colours };
static const struct sl_schema s_list = { .type = SL_S_ARRAY, .items = &s_name, .max_len = 2 };
static const struct sl_field f_obj[] = {
    { "name", &s_name, true }, { "n", &s_n, false }, { "colour", &s_col, false },
    { "list", &s_list, false }, { NULL, NULL, false },
};
static const struct sl_schema s_obj = { .type = SL_S_OBJECT, .fields = f_obj };

static sl_status check(const char *text, char *where)
{
    json_t *v = json_loads(text, 0, NULL);
    char w[200];
    sl_status st = sl__schema_check(&s_obj, v, w, sizeof w);
    if (where)
        snprintf(where, 200, "%s", w);
    json_decref(v);
    return st;
}

SL_TEST(http, schema_codes)
{
    char where[200];
    SL_CHECK(t, check("{\"name\":\"ann\"}", NULL) == SL_OK);
    SL_CHECK(t, check("{\"name\":\"ann\",\"n\":3,\"colour\":\"red\",\"list\":[\"a\"]}", NULL) == SL_OK);
    SL_CHECK(t, check("{}", where) == SL_ERR_HTTP_FIELD_MISSING);
    SL_CHECK(t, strcmp(where, "/name") == 0);
    SL_CHECK(t, check("{\"name\":\"ann\",\"x\":1}", where) == SL_ERR_HTTP_FIELD_UNKNOWN);
    SL_CHECK(t, strcmp(where, "/x") == 0);
    SL_CHECK(t, check("{\"name\":5}", NULL) == SL_ERR_HTTP_FIELD_TYPE);
    SL_CHECK(t, check("[]", NULL) == SL_ERR_HTTP_FIELD_TYPE);
    SL_CHECK(t, check("{\"name\":\"ann\",\"n\":1.5}", NULL) == SL_ERR_HTTP_FIELD_TYPE);
    SL_CHECK(t, check("{\"name\":\"ann\",\"n\":11}", NULL) == SL_ERR_HTTP_FIELD_VALUE);
    SL_CHECK(t, check("{\"name\":\"\"}", NULL) == SL_ERR_HTTP_FIELD_VALUE);
    SL_CHECK(t, check("{\"name\":\"123456789\"}", NULL) == SL_ERR_HTTP_FIELD_VALUE);
    SL_CHECK(t, check("{\"name\":\"ann\",\"colour\":\"green\"}", NULL) == SL_ERR_HTTP_FIELD_VALUE);
    SL_CHECK(t, check("{\"name\":\"ann\",\"list\":[\"a\",7]}", where) == SL_ERR_HTTP_FIELD_TYPE);
    SL_CHECK(t, strcmp(where, "/list/1") == 0);
    SL_CHECK(t, check("{\"name\":\"ann\",\"list\":[\"a\",\"b\",\"c\"]}", NULL) == SL_ERR_HTTP_FIELD_VALUE);
    json_t *js = sl__schema_json(&s_obj);
    SL_CHECK(t, json_is_false(json_object_get(js, "additionalProperties")));
    SL_CHECK(t, json_array_size(json_object_get(js, "required")) == 1);
    json_decref(js);
}

SL_TEST(http, status_mapping)
{
    SL_CHECK_EQ(t, sl__http_status_for(SL_ERR_HTTP_BODY), 413);
    SL_CHECK_EQ(t, sl__http_status_for(SL_ERR_HTTP_AUTH), 401);
    SL_CHECK_EQ(t, sl__http_status_for(SL_ERR_HTTP_FORBIDDEN), 403);
    SL_CHECK_EQ(t, sl__http_status_for(SL_ERR_ACCT_LOCKED), 429);
    SL_CHECK_EQ(t, sl__http_status_for(SL_ERR_HTTP_BUSY), 503);
    SL_CHECK_EQ(t, sl__http_status_for(SL_ERR_IMG_FORMAT), 422);
    SL_CHECK_EQ(t, sl__http_status_for(SL_ERR_INTERNAL), 500);
    /* every http/acct code has a stable name, not the primary's */
    static const int codes[] = { SL_ERR_HTTP_JSON, SL_ERR_HTTP_DEPTH, SL_ERR_HTTP_RATE,
                                 SL_ERR_ACCT_LOGIN, SL_ERR_ACCT_SESSION, SL_ERR_ACCT_EXISTS };
    for (size_t i = 0; i < SL_ARRAY_LEN(codes); i++)
        SL_CHECKF(t, strncmp(sl_status_name(codes[i]), "http_", 5) == 0 ||
                     strncmp(sl_status_name(codes[i]), "acct_", 5) == 0, "code %d", codes[i]);
}
