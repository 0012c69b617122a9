/*
 * http_int.h -- shared by the files of src/http only: the request, the route table
 * row, request/response schemas, problem responses, metrics, event streams
 * and the engine pool.
 *
 * A request goes: accept (limits: connections, per-IP) -> first handler
 * call (route match, method, auth, permission, declared body size, content
 * type, rate limit) -> body chunks (each checked against the route's
 * body_max) -> schema validation -> handler -> response (JSON or
 * problem+json) -> access log + metrics. Handlers never repeat the checks
 * that the table states.
 */
#ifndef SL_HTTP_INT_H
#define SL_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "acct/acct.h"
#include "http/http.h"

/* ============================ Schemas ===================================
 * A small schema description in C data: validates request bodies (each
 * violation its own code) and produces the OpenAPI schema. */
enum sl_stype { SL_S_ANY = 0, SL_S_OBJECT, SL_S_STRING, SL_S_INT, SL_S_NUMBER,
                SL_S_BOOL, SL_S_ARRAY };
struct sl_schema;
struct sl_field {
    const char *name;
    const struct sl_schema *schema;
    bool        required;
};
struct sl_schema {
    enum sl_stype type;
    const char   *desc;
    const char   *format;      /* OpenAPI format: "byte" (base64), "date-time" */
    size_t        min_len;     /* strings: bytes; arrays: items             */
    size_t        max_len;     /* 0: no limit                               */
    double        min, max;    /* numbers when min < max                    */
    const struct sl_field *fields;  /* objects: NULL-name terminated        */
    const struct sl_schema *items;  /* arrays                               */
    const char *const *enums;       /* strings: NULL terminated             */
};
/* Validates v against s. On failure returns the code and writes the
 * JSON-pointer-like path of the offending value into where (cap bytes). */
sl_status sl__schema_check(const struct sl_schema *s, const json_t *v,
                           char *where, size_t cap);
/* Parses an untrusted body: depth is checked on the bytes first (limit
 * 32), then jansson (duplicate keys rejected). Codes: SL_ERR_HTTP_DEPTH,
 * _JSON, _UTF8, _NUL. err gets a one-line reason. */
sl_status sl__http_parse_body(const char *p, size_t n, json_t **out, char *err,
                              size_t cap);
/* The OpenAPI/JSON-Schema object for s (new ref). */
json_t   *sl__schema_json(const struct sl_schema *s);

/* ============================ Requests ================================== */
struct sl_route;
struct sl_sse;

#define SL_HTTP_MAX_PARAMS 4

struct sl_req {
    sl_http               *srv;
    struct MHD_Connection *conn;
    const struct sl_route *route;      /* NULL: no route matched          */
    int                    route_idx;  /* index in the table, -1 if none   */
    char                   id[40];     /* request id ("req_<hex>")         */
    char                   method[8];
    char                   path[256];  /* URL path, truncated for the log  */
    char                   ip[48];
    uint64_t               t0_ns;
    struct sl_principal    who;
    struct sl_buf          body;       /* capped at route->body_max        */
    bool                   body_over;  /* a chunk went over the cap        */
    bool                   started;    /* checks done, body being read     */
    bool                   responded;
    unsigned               status;     /* HTTP status sent                 */
    sl_status              code;       /* status reported (problem) or OK  */
    json_t                *json;       /* parsed, validated body (or NULL) */
    size_t                 n_params;
    struct { const char *name; size_t nlen; char value[128]; } params[SL_HTTP_MAX_PARAMS];
    /* audit fields a handler fills (object, masked id, purpose) */
    char                   audit_object_type[32];
    char                   audit_object_id[64];
    char                   audit_id_masked[32];
    bool                   audited;    /* handler appended its own record */
    struct sl_sse         *sse;        /* event stream, if the route is one */
    /* SL_R_ENGINE routes (work.c): the handler runs on a worker while the
     * connection is suspended; its response waits here for MHD's thread */
    bool                   deferred;
    struct MHD_Response   *resp;
    uint64_t               queued_ns;
    struct sl_req         *next_job;   /* the worker queue's link          */
    char                   detail[256];/* problem detail a handler may set */
};

/* A path parameter ({name}) of the matched route; NULL if none. */
const char *sl__req_param(const struct sl_req *r, const char *name);
/* A path parameter that must be a positive integer id: true and *id set,
 * or false (absent, empty, not all digits, zero, negative); the caller
 * picks the problem (its not-found, or SL_ERR_HTTP_PARAM with a detail). */
bool sl__req_id(const struct sl_req *r, const char *name, int64_t *id);
/* A query parameter (borrowed from MHD); NULL if absent. */
const char *sl__req_query(const struct sl_req *r, const char *name);
const char *sl__req_header(const struct sl_req *r, const char *name);

/* Handlers: fill the response with one of the sl__reply_* calls and return
 * SL_OK, or return an error status (the dispatcher answers it as
 * problem+json, with detail from sl__req_detail if set). */
typedef sl_status (*sl_http_handler)(struct sl_req *r);

/* Sends obj (stolen) as application/json with HTTP status. */
sl_status sl__reply_json(struct sl_req *r, unsigned status, json_t *obj);
/* The last step of a handler whose library call audited in its own
 * transaction and answered st and out (owned by the caller):
 *   st != SL_OK: why (when not NULL or empty) becomes the problem detail,
 *                out is freed, st is returned (r->audited is left as is);
 *   SL_OK:       r->audited = true, and out is replied with status code,
 *                as {key: out} when key is not NULL.
 * Each call site reads: call the library, then `return sl__reply_result(...)`. */
sl_status sl__reply_result(struct sl_req *r, sl_status st, const char *why, unsigned code,
                           const char *key, json_t *out);
/* Sends bytes (copied) with a content type. */
sl_status sl__reply_bytes(struct sl_req *r, unsigned status, const char *ctype,
                          const void *p, size_t n);
/* Sends bytes (copied) with a content type, a Cache-Control value (NULL:
 * no-store) and extra headers (name, value, ..., NULL). The web pages. */
sl_status sl__reply_page(struct sl_req *r, unsigned status, const char *ctype,
                         const void *p, size_t n, const char *cache,
                         const char *const *hdrs);
/* Sends an RFC 9457 problem for st; detail (may be NULL) is English, for
 * developers. retry_after_s > 0 adds Retry-After. */
sl_status sl__reply_problem(struct sl_req *r, sl_status st, const char *detail,
                            unsigned retry_after_s);
/* The HTTP status for a status code. */
unsigned  sl__http_status_for(sl_status st);

/* ============================ Route table =============================== */
enum {
    SL_R_PUBLIC   = 1u << 16,  /* no credentials needed                    */
    SL_R_SSE      = 1u << 17,  /* an event stream (suspend/resume)         */
    SL_R_CITIZEN  = 1u << 18,  /* a citizen may read the errors: zh/en     */
    SL_R_RAW      = 1u << 19,  /* response is not JSON (metrics, docs)     */
    SL_R_ENGINE   = 1u << 20,  /* face engine work: runs on the engine
                                  workers, the connection suspended (work.c) */
};
/* Who may call (allow): SL_ROLE_* and SL_DEV_* bits (acct.h), or
 * SL_R_PUBLIC. Devices are allowed only by their class bits. */
struct sl_route {
    const char        *method;       /* "GET", "POST", ...                 */
    const char        *path;         /* "/v1/users/{id}"                   */
    sl_http_handler    handler;
    uint32_t           allow;        /* role/class bits | SL_R_* flags      */
    size_t             body_max;     /* bytes; 0 = no body accepted        */
    const char        *rate_class;   /* NULL: "default"                    */
    const char        *audit_action; /* NULL: not audited                  */
    const struct sl_schema *req;     /* request body schema (NULL: none)   */
    const struct sl_schema *resp;    /* 2xx response schema (for OpenAPI)  */
    const char        *summary;
    const char        *tag;
};
/* The table is composed of slices: the core rows (routes.c) and one array
 * per module (routes_<module>.c), each registered with one line in
 * routes.c's slice list. Routes are numbered across the slices in order;
 * dispatch, metrics and OpenAPI see one table through these two calls. */
struct sl_route_slice {
    const struct sl_route *rows;
    const size_t          *n;
};
size_t                 sl__route_count(void);
const struct sl_route *sl__route_at(size_t i);   /* i < sl__route_count() */
/* Module slices. */
extern const struct sl_route sl__gov_routes[];
extern const size_t sl__gov_n_routes;
extern const struct sl_route sl__hall_routes[];
extern const size_t sl__hall_n_routes;
/* routes_hall.c: starts the library cache's load from the store and points
 * watchlist alarms (from any module's sl__hall_check_capture) at h's hub. */
void sl__hall_http_init(sl_http *h);
extern const struct sl_route sl__idcode_routes[];
extern const size_t sl__idcode_n_routes;
extern const struct sl_route sl__lic_routes[];
extern const size_t sl__lic_n_routes;
extern const struct sl_route sl__sub_routes[];
extern const size_t sl__sub_n_routes;
extern const struct sl_route sl__id_routes[];
extern const size_t sl__id_n_routes;
extern const struct sl_route sl__registry_routes[];
extern const size_t sl__registry_n_routes;
/* routes_registry.c: the registry's face-data gauge for /metrics. */
sl_status sl__registry_metrics(const sl_http *h, struct sl_buf *b);
/* routes_citizen.c: citizen sessions (the shared contract) */
extern const struct sl_route sl__citizen_routes[];
extern const size_t sl__citizen_n_routes;
/* A verification id from a body value (integer or decimal text); false if
 * it is neither or not positive. */
bool sl__http_verif_id(const json_t *v, int64_t *id);
/* The audit record skeleton of r (actor staff/device/citizen/anonymous,
 * the route's action, the request id). */
void sl__http_citizen_audit(const struct sl_req *r, struct sl_acct_audit *au);
/* Opens a citizen session for person in tx (the caller consumed the
 * verification in tx): the person must be active; the look-up and the
 * session are audited as "citizen.login" whatever the route (its own
 * action is the caller's to write), with method -- "face", "alternative"
 * (a consumed verification), "identity_code" (the kiosk's 亮码),
 * "kiosk_login" (扫码 approved by the phone) -- as the record's purpose.
 * p gets the masked record. */
struct sl_person;
sl_status sl__http_citizen_open_tx(struct sl_req *r, sl_tx *tx, int64_t verification,
                                   int64_t person, const char *device, const char *method,
                                   char *token, size_t cap, int64_t *expires,
                                   struct sl_person *p);

/* Matches method+path. *idx gets the route (or -1); SL_ERR_HTTP_ROUTE if
 * no path matches, SL_ERR_HTTP_METHOD if the path matches with another
 * method. Path params are written into r. */
sl_status sl__route_match(struct sl_req *r, const char *method, const char *path,
                          int *idx);

/* ============================ Server state ============================== */
struct sl_pool;
struct sl_work;
struct sl_sse_hub;
struct sl_metrics;
struct sl_watchdog;

struct sl_http {
    struct MHD_Daemon  *d;
    struct sl_http_opts o;
    uint16_t            port;
    atomic_int          inflight;     /* requests between start and done   */
    atomic_bool         stopping;
    atomic_ullong       seq;          /* request id counter                */
    uint64_t            boot_ns;
    char                node[9];      /* random node tag in request ids    */
    struct sl_pool     *pool;         /* face engine sessions (or NULL)    */
    struct sl_sse_hub  *hub;
    struct sl_metrics  *metrics;
    struct sl_watchdog *watchdog;     /* slow-client deadline (server.c)   */
    struct sl_work     *work;         /* engine workers (work.c) or NULL   */
};

/* Rate limits: takes one token for r's client address (and device) in the
 * route's class. SL_ERR_HTTP_RATE with *retry_ms when empty. */
sl_status sl__http_rate_take(struct sl_req *r, int64_t *retry_ms);
/* The same per ID number, for routes that act on a person (id/gov/hall
 * routes call it once they have parsed the number; the bucket key is a
 * keyed MAC of it). Answer SL_ERR_HTTP_RATE with Retry-After. */
sl_status sl__http_rate_take_id(struct sl_req *r, const char *id_number, int64_t *retry_ms);
/* Appends the route's audit record for r (own transaction) unless the
 * handler already did (r->audited). */
void      sl__http_audit(struct sl_req *r);

/* ============================ Metrics =================================== */
sl_status sl__metrics_new(size_t n_routes, struct sl_metrics **out);
void      sl__metrics_free(struct sl_metrics *m);
void      sl__metrics_request(struct sl_metrics *m, int route_idx, unsigned status,
                              double seconds);
void      sl__metrics_pool_wait(struct sl_metrics *m, double seconds);
/* outcome: "match", "no_match", "no_face", "error" */
void      sl__metrics_verify(struct sl_metrics *m, const char *outcome);
sl_status sl__metrics_render(struct sl_metrics *m, const sl_http *h,
                             struct sl_buf *out);

/* ============================ Event streams ============================= *
 * text/event-stream responses built on suspend/resume: a stream with
 * nothing to send suspends its connection; publishing or the heartbeat
 * (a comment line every sse_heartbeat_ms) resumes it. The heartbeat is
 * also how a client that left is noticed: the write fails and MHD closes
 * the connection (a suspended connection does not see a client leave). */
sl_status sl__sse_hub_new(sl_http *h, struct sl_sse_hub **out);
/* Ends every stream (shutdown) and frees the hub after they are gone. */
void      sl__sse_hub_close(struct sl_sse_hub *hub);
void      sl__sse_hub_free(struct sl_sse_hub *hub);
/* Answers r with a new stream subscribed to topic. */
sl_status sl__sse_start(struct sl_req *r, const char *topic);
/* Sends "event: <event>\ndata: <json>\n\n" to every stream on topic. */
void      sl__sse_publish(struct sl_sse_hub *hub, const char *topic,
                          const char *event, const json_t *data);
size_t    sl__sse_count(struct sl_sse_hub *hub);

/* ============================ Engine pool =============================== *
 * Face engine sessions, one per request at a time; never more than
 * configured. A request that waits longer than engine_wait_ms gets
 * SL_ERR_HTTP_BUSY (503 + Retry-After). */
typedef struct sl_face_session sl_face_session;
sl_status sl__pool_new(const sl_face_engine *e, unsigned n, unsigned wait_ms,
                       struct sl_pool **out);
void      sl__pool_free(struct sl_pool *p);
sl_status sl__pool_take(struct sl_pool *p, struct sl_metrics *m,
                        sl_face_session **out);
void      sl__pool_give(struct sl_pool *p, sl_face_session *s);
unsigned  sl__pool_size(const struct sl_pool *p);
unsigned  sl__pool_busy(struct sl_pool *p);

/* ============================ Engine workers ============================ *
 * n threads running the handlers of SL_R_ENGINE routes, FIFO (work.c says
 * why). run(r) is called on a worker for each pushed request. */
struct sl_work;
sl_status sl__work_new(unsigned n, void (*run)(struct sl_req *r), struct sl_work **out);
/* false once sl__work_free has begun: the caller runs r itself */
bool      sl__work_push(struct sl_work *w, struct sl_req *r);
size_t    sl__work_queued(struct sl_work *w);
/* true on a worker thread (the engine pool warns when taken elsewhere) */
bool      sl__work_on_worker(void);
/* runs every queued request, then joins the threads */
void      sl__work_free(struct sl_work *w);

/* ============================ Handlers ================================== */
sl_status sl__h_healthz(struct sl_req *r);
sl_status sl__h_readyz(struct sl_req *r);
sl_status sl__h_metrics(struct sl_req *r);
sl_status sl__h_openapi(struct sl_req *r);
sl_status sl__h_docs(struct sl_req *r);
sl_status sl__h_web_root(struct sl_req *r);
sl_status sl__h_web_file(struct sl_req *r);
sl_status sl__h_events_ping(struct sl_req *r);
sl_status sl__h_login(struct sl_req *r);
sl_status sl__h_logout(struct sl_req *r);
sl_status sl__h_me(struct sl_req *r);
sl_status sl__h_audit(struct sl_req *r);
sl_status sl__h_hall_list(struct sl_req *r);
sl_status sl__h_hall_add(struct sl_req *r);
sl_status sl__h_user_list(struct sl_req *r);
sl_status sl__h_user_add(struct sl_req *r);
sl_status sl__h_user_disable(struct sl_req *r);
sl_status sl__h_device_list(struct sl_req *r);
sl_status sl__h_device_add(struct sl_req *r);
sl_status sl__h_device_revoke(struct sl_req *r);
sl_status sl__h_face_detect(struct sl_req *r);
sl_status sl__h_face_quality(struct sl_req *r);
sl_status sl__h_face_compare(struct sl_req *r);

#endif
