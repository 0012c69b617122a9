/*
 * fuzz_http_request.c -- the server's request path without sockets:
 * "METHOD PATH\n" then a body. Routes the method and path through the
 * route table (path parameters, traversal checks), parses the body as an
 * untrusted JSON body (depth pre-check, jansson, each failure its code),
 * and validates it against the matched route's request schema -- or every
 * route's schema when no route matched -- so the whole table is exercised.
 * Aborts if a result breaks an invariant (a code outside the http range for
 * a parse failure, an SL_OK route without a route index).
 */
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

static void check_schema(const struct sl_schema *s, const json_t *v)
{
    char where[256];
    sl_status st = sl__schema_check(s, v, where, sizeof where);
    if (st != SL_OK && (st >> 8) < 128)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - data) : size;
    char line[512];
    size_t ln = head < sizeof line ? head : sizeof line - 1;
    memcpy(line, data, ln);
    line[ln] = '\0';
    const char *method = line, *path = "/";
    char *sp = strchr(line, ' ');
    if (sp) {
        *sp = '\0';
        path = sp + 1;
    }
    struct sl_req *r = calloc(1, sizeof *r);
    if (!r)
        return 0;
    int idx = -1;
    sl_status st = sl__route_match(r, method, path, &idx);
    if (st == SL_OK && (idx < 0 || (size_t)idx >= sl__route_count()))
        abort();
    if (st == SL_OK)
        for (size_t i = 0; i < r->n_params; i++)
            if (strchr(r->params[i].value, '/') || strcmp(r->params[i].value, "..") == 0)
                abort();
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t blen = nl ? size - head - 1 : 0;
    char err[200];
    json_t *v = NULL;
    sl_status pst = sl__http_parse_body(body, blen, &v, err, sizeof err);
    if (pst != SL_OK && pst != SL_ERR_NOMEM && ((pst >> 8) < 128 || (pst >> 8) > 143))
        abort();
    if (pst == SL_OK) {
        if (st == SL_OK && sl__route_at((size_t)idx)->req)
            check_schema(sl__route_at((size_t)idx)->req, v);
        else
            for (size_t i = 0; i < sl__route_count(); i++)
                if (sl__route_at(i)->req)
                    check_schema(sl__route_at(i)->req, v);
        json_decref(v);
    }
    free(r);
    return 0;
}
