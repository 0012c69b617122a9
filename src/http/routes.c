/*
 * routes.c -- THE route table: method, path pattern ({params}), handler,
 * who may call it (roles / device classes), body limit, rate-limit class,
 * audit action, request and response schemas. Dispatch, permission
 * checks, body limits, rate limits, audit and the OpenAPI document all
 * read this table; handlers do not repeat those checks.
 *
 * Adding a route: write the handler (sl_status h(struct sl_req *)), its
 * schemas as C data, and one row below (docs/server.md).
 */
#include <string.h>

#include "http/http_int.h"

/* ============================ Schemas =================================== */

static const struct sl_schema s_str64 = { .type = SL_S_STRING, .min_len = 1, .max_len = 64 };
static const struct sl_schema s_password = { .type = SL_S_STRING, .min_len = 1, .max_len = 256,
                                             .format = "password" };
static const struct sl_schema s_int = { .type = SL_S_INT };
static const struct sl_schema s_bool = { .type = SL_S_BOOL };
static const struct sl_schema s_num = { .type = SL_S_NUMBER };
static const struct sl_schema s_any = { .type = SL_S_ANY };
static const struct sl_schema s_datetime = { .type = SL_S_STRING, .format = "date-time" };
static const struct sl_schema s_roles = { .type = SL_S_ARRAY, .items = &s_str64,
                                          .min_len = 1, .max_len = 5 };
/* base64 of a JPEG/PNG: 10 MiB of image is 14 MiB of text */
#define SL_IMAGE_B64_MAX ((size_t)14 << 20)
static const struct sl_schema s_image = { .type = SL_S_STRING, .format = "byte",
    .min_len = 4, .max_len = SL_IMAGE_B64_MAX,
    .desc = "JPEG or PNG image, base64 (standard alphabet)" };
static const struct sl_schema s_template = { .type = SL_S_STRING, .format = "byte",
    .min_len = 4, .max_len = 8192, .desc = "a stored face template (SLFT), base64" };
static const struct sl_schema s_threshold = { .type = SL_S_STRING, .min_len = 1, .max_len = 32,
    .desc = "far:X (false-accept target) or raw:X (cosine); default the calibrated far:1e-3" };

static const struct sl_field f_login[] = {
    { "username", &s_str64, true },
    { "password", &s_password, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_login = { .type = SL_S_OBJECT, .fields = f_login };
static const struct sl_field f_login_resp[] = {
    { "token", &s_str64, true },
    { "expires_at", &s_datetime, true },
    { "roles", &s_roles, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_login_resp = { .type = SL_S_OBJECT, .fields = f_login_resp };

static const struct sl_field f_image[] = {
    { "image", &s_image, true },
    { "all_faces", &s_bool, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_image_req = { .type = SL_S_OBJECT, .fields = f_image };
static const struct sl_field f_compare[] = {
    { "image_a", &s_image, false },
    { "image_b", &s_image, false },
    { "template_a", &s_template, false },
    { "template_b", &s_template, false },
    { "threshold", &s_threshold, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_compare_req = { .type = SL_S_OBJECT, .fields = f_compare,
    .desc = "two images, an image and a template, or two templates (a and b)" };
static const struct sl_field f_verdict[] = {
    { "match", &s_bool, true },
    { "score", &s_num, false },
    { "threshold", &s_num, false },
    { "far_estimate", &s_num, false },
    { "frr_estimate", &s_num, false },
    { "a", &s_any, false },
    { "b", &s_any, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_verdict = { .type = SL_S_OBJECT, .fields = f_verdict,
    .desc = "exactly what `shualian face verify` prints" };
static const struct sl_schema s_obj = { .type = SL_S_OBJECT };

static const char *const hall_kinds[] = { "hall", "kiosk_site", "online", NULL };
static const struct sl_schema s_hall_kind = { .type = SL_S_STRING, .enums = hall_kinds };
static const struct sl_field f_hall[] = {
    { "name", &s_str64, true },
    { "kind", &s_hall_kind, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_hall_req = { .type = SL_S_OBJECT, .fields = f_hall };
static const struct sl_field f_user[] = {
    { "username", &s_str64, true },
    { "password", &s_password, true },
    { "roles", &s_roles, true },
    { "hall", &s_int, true },
    { NULL, NULL, false },
};
static const struct sl_schema s_user_req = { .type = SL_S_OBJECT, .fields = f_user };
static const char *const dev_classes[] = { "window", "kiosk", "h5", NULL };
static const struct sl_schema s_dev_class = { .type = SL_S_STRING, .enums = dev_classes };
static const struct sl_field f_device[] = {
    { "class", &s_dev_class, true },
    { "hall", &s_int, true },
    { "label", &s_str64, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_device_req = { .type = SL_S_OBJECT, .fields = f_device };

/* ============================ The table ================================= */

#define STAFF   SL_ROLE_ALL
#define DEVICES SL_DEV_ALL
#define ENGINE_USERS (SL_ROLE_ALL | SL_DEV_WINDOW | SL_DEV_KIOSK)   /* not h5 */
#define KB      ((size_t)1024)
#define FACE_BODY (SL_IMAGE_B64_MAX * 2 + 64 * KB)

static const struct sl_route core_routes[] = {
    /* method  path                handler              allow                      body    rate      audit */
    { "GET",  "/healthz",          sl__h_healthz,       SL_R_PUBLIC,               0, NULL, NULL, NULL, NULL,
      "process is up", "system" },
    { "GET",  "/readyz",           sl__h_readyz,        SL_R_PUBLIC,               0, NULL, NULL, NULL, NULL,
      "store reachable and models loaded", "system" },
    { "GET",  "/metrics",          sl__h_metrics,       SL_R_PUBLIC | SL_R_RAW,    0, NULL, NULL, NULL, NULL,
      "Prometheus metrics", "system" },
    { "GET",  "/v1/openapi.json",  sl__h_openapi,       SL_R_PUBLIC,               0, NULL, NULL, NULL, NULL,
      "this OpenAPI document", "system" },
    { "GET",  "/docs",             sl__h_docs,          SL_R_PUBLIC | SL_R_RAW,    0, NULL, NULL, NULL, NULL,
      "API documentation page", "system" },
    { "POST", "/v1/auth/login",    sl__h_login,         SL_R_PUBLIC,               4 * KB, "login", "auth.login",
      &s_login, &s_login_resp, "staff login: a bearer session token", "auth" },
    { "POST", "/v1/auth/logout",   sl__h_logout,        STAFF,                     0, "default", "auth.logout",
      NULL, NULL, "end this session", "auth" },
    { "GET",  "/v1/auth/me",       sl__h_me,            STAFF | DEVICES,           0, "default", NULL,
      NULL, &s_obj, "who am I (staff or device)", "auth" },
    { "GET",  "/v1/events/ping",   sl__h_events_ping,   STAFF | SL_R_SSE,          0, "default", NULL,
      NULL, NULL, "test event stream: a ping event per heartbeat", "system" },
    { "GET",  "/v1/audit",         sl__h_audit,         SL_ROLE_AUDITOR,           0, "default", "audit.query",
      NULL, &s_obj, "audit records (?person=&action=&from=&to=)", "audit" },
    { "GET",  "/v1/halls",         sl__h_hall_list,     SL_ROLE_ADMIN,             0, "default", NULL,
      NULL, &s_obj, "list halls", "admin" },
    { "POST", "/v1/halls",         sl__h_hall_add,      SL_ROLE_ADMIN,             4 * KB, "default", "hall.add",
      &s_hall_req, &s_obj, "add a hall", "admin" },
    { "GET",  "/v1/users",         sl__h_user_list,     SL_ROLE_ADMIN,             0, "default", "user.list",
      NULL, &s_obj, "list staff users", "admin" },
    { "POST", "/v1/users",         sl__h_user_add,      SL_ROLE_ADMIN,             4 * KB, "default", "user.add",
      &s_user_req, &s_obj, "add a staff user", "admin" },
    { "POST", "/v1/users/{username}/disable", sl__h_user_disable, SL_ROLE_ADMIN,   0, "default", "user.disable",
      NULL, &s_obj, "disable a user and end their sessions", "admin" },
    { "GET",  "/v1/devices",       sl__h_device_list,   SL_ROLE_ADMIN,             0, "default", NULL,
      NULL, &s_obj, "list devices", "admin" },
    { "POST", "/v1/devices",       sl__h_device_add,    SL_ROLE_ADMIN,             4 * KB, "default", "device.add",
      &s_device_req, &s_obj, "add a device: its key is shown once", "admin" },
    { "POST", "/v1/devices/{id}/revoke", sl__h_device_revoke, SL_ROLE_ADMIN,       0, "default", "device.revoke",
      NULL, &s_obj, "revoke a device key", "admin" },
    { "POST", "/v1/faces/detect",  sl__h_face_detect,   ENGINE_USERS | SL_R_CITIZEN | SL_R_ENGINE, FACE_BODY / 2, "engine", "face.detect",
      &s_image_req, &s_obj, "find faces: boxes, landmarks, scores", "faces" },
    { "POST", "/v1/faces/quality", sl__h_face_quality,  ENGINE_USERS | SL_R_CITIZEN | SL_R_ENGINE, FACE_BODY / 2, "engine", "face.quality",
      &s_image_req, &s_obj, "quality of the main face with reasons (zh/en)", "faces" },
    { "POST", "/v1/faces/compare", sl__h_face_compare,  ENGINE_USERS | SL_R_CITIZEN | SL_R_ENGINE, FACE_BODY, "engine", "face.compare",
      &s_compare_req, &s_verdict, "1:1 verdict, as `shualian face verify`", "faces" },
    /* web pages (web.c): static files, strict CSP */
    { "GET",  "/",                 sl__h_web_root,      SL_R_PUBLIC | SL_R_RAW,    0, NULL, NULL, NULL, NULL,
      "the web start page (links to console, kiosk, phone)", "web" },
    { "GET",  "/web/{a}",          sl__h_web_file,      SL_R_PUBLIC | SL_R_RAW,    0, NULL, NULL, NULL, NULL,
      "a web page file", "web" },
    { "GET",  "/web/{a}/{b}",      sl__h_web_file,      SL_R_PUBLIC | SL_R_RAW,    0, NULL, NULL, NULL, NULL,
      "a web page file in a folder", "web" },
};
static const size_t core_n_routes = SL_ARRAY_LEN(core_routes);

/* The slices, in matching order: add one line per module. */
static const struct sl_route_slice slices[] = {
    { core_routes, &core_n_routes },
    { sl__gov_routes, &sl__gov_n_routes },
    { sl__hall_routes, &sl__hall_n_routes },
    { sl__idcode_routes, &sl__idcode_n_routes },
    { sl__lic_routes, &sl__lic_n_routes },
    { sl__sub_routes, &sl__sub_n_routes },
    { sl__id_routes, &sl__id_n_routes },
    { sl__registry_routes, &sl__registry_n_routes },
    { sl__citizen_routes, &sl__citizen_n_routes },
};

size_t sl__route_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(slices); i++)
        n += *slices[i].n;
    return n;
}

const struct sl_route *sl__route_at(size_t i)
{
    for (size_t k = 0; k < SL_ARRAY_LEN(slices); k++) {
        if (i < *slices[k].n)
            return &slices[k].rows[i];
        i -= *slices[k].n;
    }
    SL_ASSERT(!"route index out of range");
    return NULL;
}

/* ============================ Matching ================================== */

/* Path parameter values: ids, usernames. No '/', no "." or "..", no
 * control bytes or quotes: anything else is SL_ERR_HTTP_PARAM. */
static bool param_ok(const char *p, size_t n)
{
    if (n == 0 || n >= 128)
        return false;
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
                  c == '@';
        if (!ok)
            return false;
    }
    return true;
}

/* 1: match, 0: no match, -1: matches but a param is invalid. */
static int match_path(const char *pat, const char *path, struct sl_req *r)
{
    size_t np = 0;
    while (*pat && *path) {
        if (*pat == '{') {
            const char *close = strchr(pat, '}');
            if (!close)
                return 0;
            const char *end = strchr(path, '/');
            size_t vn = end ? (size_t)(end - path) : strlen(path);
            if (vn == 0)
                return 0;
            /* the value: any bytes up to the next '/' (MHD unescaped %xx) */
            if (np < SL_HTTP_MAX_PARAMS && r) {
                r->params[np].name = pat + 1;
                r->params[np].nlen = (size_t)(close - pat - 1);
                size_t cp = vn < sizeof r->params[np].value ? vn : sizeof r->params[np].value - 1;
                memcpy(r->params[np].value, path, cp);
                r->params[np].value[cp] = '\0';
            }
            int bad = !param_ok(path, vn);
            np++;
            pat = close + 1;
            path += vn;
            if (bad) {
                int rest = match_path(pat, path, NULL);
                if (rest == 1 && r)
                    r->n_params = np < SL_HTTP_MAX_PARAMS ? np : SL_HTTP_MAX_PARAMS;
                return rest == 1 ? -1 : 0;
            }
            continue;
        }
        if (*pat != *path)
            return 0;
        pat++;
        path++;
    }
    if (*pat || *path)
        return 0;
    if (r)
        r->n_params = np < SL_HTTP_MAX_PARAMS ? np : SL_HTTP_MAX_PARAMS;
    return 1;
}

sl_status sl__route_match(struct sl_req *r, const char *method, const char *path,
                          int *idx)
{
    bool path_seen = false, bad_param = false;
    *idx = -1;
    size_t n_routes = sl__route_count();
    for (size_t i = 0; i < n_routes; i++) {
        const struct sl_route *rt = sl__route_at(i);
        int m = match_path(rt->path, path, r);
        if (m == 0)
            continue;
        path_seen = true;
        if (strcmp(rt->method, method) != 0 &&
            !(strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
            continue;
        if (m < 0) {
            bad_param = true;
            *idx = (int)i;
            continue;
        }
        *idx = (int)i;
        return SL_OK;
    }
    if (bad_param) {
        snprintf(r->detail, sizeof r->detail,
                 "path parameter must be letters, digits, '_', '-', '.', '@' (not . or ..)");
        r->route = sl__route_at((size_t)*idx);
        return SL_ERR_HTTP_PARAM;
    }
    *idx = -1;
    return path_seen ? SL_ERR_HTTP_METHOD : SL_ERR_HTTP_ROUTE;
}
