/*
 * web.c -- the static pages under web/ (clerk console, kiosk, phone H5):
 * GET /, /web/{a}, /web/{a}/{b}. Path parameters are already limited by
 * the route matcher to [A-Za-z0-9_.@-] without "." or ".."; here a name
 * must also not start with '.', must have a known extension (which gives
 * the content type), and its resolved path must stay inside the web
 * root (no symlink leaves it). Every page carries a strict
 * Content-Security-Policy (no inline script or style, nothing from
 * another origin). The root is $SL_WEB_DIR, else ./web.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "http/http_int.h"

#define WEB_FILE_MAX ((size_t)2 * 1024 * 1024)

static const char CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static const struct { const char *ext, *ctype; } types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".css",  "text/css; charset=utf-8" },
    { ".js",   "text/javascript; charset=utf-8" },
    { ".mjs",  "text/javascript; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg",  "image/svg+xml" },
    { ".png",  "image/png" },
    { ".ico",  "image/x-icon" },
};

static const char *ctype_for(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < SL_ARRAY_LEN(types); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].ctype;
    return NULL;
}

static bool name_ok(const char *s)
{
    return s && s[0] && s[0] != '.' && strlen(s) < 64;
}

static sl_status serve_file(struct sl_req *r, const char *a, const char *b)
{
    const char *leaf = b ? b : a;
    const char *ctype = ctype_for(leaf);
    if (!name_ok(a) || (b && !name_ok(b)) || !ctype) {
        snprintf(r->detail, sizeof r->detail, "no such page");
        return SL_ERR_HTTP_ROUTE;
    }
    const char *env = getenv("SL_WEB_DIR");
    char root[PATH_MAX], want[PATH_MAX], real[PATH_MAX];
    if (!realpath(env && env[0] ? env : "web", root)) {
        snprintf(r->detail, sizeof r->detail, "web root not found (SL_WEB_DIR)");
        return SL_ERR_HTTP_ROUTE;
    }
    int n = b ? snprintf(want, sizeof want, "%s/%s/%s", root, a, b)
              : snprintf(want, sizeof want, "%s/%s", root, a);
    size_t rl = strlen(root);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof want || !realpath(want, real) ||
        strncmp(real, root, rl) != 0 || real[rl] != '/' || stat(real, &st) != 0 ||
        !S_ISREG(st.st_mode) || (size_t)st.st_size > WEB_FILE_MAX) {
        snprintf(r->detail, sizeof r->detail, "no such page");
        return SL_ERR_HTTP_ROUTE;
    }
    FILE *f = fopen(real, "rb");
    if (!f)
        return SL_ERR_HTTP_ROUTE;
    size_t size = (size_t)st.st_size;
    char *buf = sl__malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return SL_ERR_NOMEM;
    }
    size_t got = fread(buf, 1, size, f);
    fclose(f);
    if (got != size) {
        sl__free(buf);
        return SL_ERR_IO;
    }
    const char *const hdrs[] = {
        "Content-Security-Policy", CSP,
        "Referrer-Policy", "no-referrer",
        "X-Frame-Options", "DENY",
        "Permissions-Policy", "camera=(self), microphone=(), geolocation=()",
        NULL, NULL,
    };
    /* pages revalidate on every load; scripts and styles are short-lived */
    const char *cache = strstr(ctype, "text/html") ? "no-cache" : "public, max-age=300";
    sl_status s = sl__reply_page(r, 200, ctype, buf, size, cache, hdrs);
    sl__free(buf);
    return s;
}

sl_status sl__h_web_root(struct sl_req *r)
{
    return serve_file(r, "index.html", NULL);
}

sl_status sl__h_web_file(struct sl_req *r)
{
    return serve_file(r, sl__req_param(r, "a"), sl__req_param(r, "b"));
}
