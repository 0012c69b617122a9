/*
 * lic_store.c -- issue 14 in the store: issuers and their keys, licence
 * types, licences, 免提交 under consent, 房查证明 and temporary
 * credentials (licstore.h).
 *
 * An issuer's key: a one-key key file in src/crypto's format, made by
 * sl__keyring_open(create) in a private temporary directory, read back and
 * stored sealed (lic_issuer_key); to sign or verify, the text is written
 * again to a private temporary file, opened and the file removed. Opened
 * key rings are kept for the process's life in a small table keyed by the
 * issuer's public key text (a cache of what the store holds, so every node
 * computes the same).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acct/acct.h"
#include "audit/audit.h"
#include "base/json.h"
#include "gov/app.h"
#include "gov/exchange.h"
#include "gov/gov.h"
#include "gov/licstore.h"
#include "id/id.h"

#define SIG_HEX (2 * SL_CRYPTO_SIG_BYTES + 1)

/* ============================ helpers =================================== */

static json_t *iso(int64_t ms)
{
    char t[32];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

static const char *today(char t[11])
{
    char iso8601[32];
    sl_time_iso8601(iso8601, sizeof iso8601, sl__now_ms() + 8 * 3600 * 1000LL);
    memcpy(t, iso8601, 10);
    t[10] = '\0';
    return t;
}

/* Blind index (raw) and masked form of a resident ID number. */
static sl_status holder_of(const sl_keyring *k, const char *number, uint8_t idx[SL_CRYPTO_HASH_BYTES],
                           char masked[SL_ID_MAX])
{
    char t[11];
    struct sl_id_info info;
    sl_status st = sl_id_check(SL_ID_RESIDENT, number ? number : "", today(t), NULL, &info);
    if (st != SL_OK) return st;
    if (masked) sl_id_mask(info.normalised, masked);
    return sl__mac(k, "id_number", info.normalised, strlen(info.normalised), idx);
}

static sl_status audit(sl_tx *tx, const struct sl__lic *L, const struct sl__lic_actor *a,
                       const char *action, const char *otype, const char *oid,
                       const char *masked, const uint8_t *pidx, const char *purpose,
                       const char *outcome)
{
    struct sl_audit_rec r = {
        .actor_kind = a && a->kind ? a->kind : "system",
        .actor_id = a ? a->id : NULL, .action = action,
        .object_type = otype, .object_id = oid, .id_masked = masked,
        .person_idx = pidx, .purpose = purpose, .outcome = outcome ? outcome : "ok",
        .request_id = a ? a->request_id : NULL, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, L->keys, &r, NULL);
}

static bool strs_of(const json_t *arr, const char **out, size_t cap, size_t *n)
{
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) > cap) return false;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || !*s) return false;
        out[(*n)++] = s;
    }
    return true;
}

/* Signs msg with the hall key, hex of the blob into hex. */
static sl_status hall_sign(const sl_keyring *k, const char *msg, char hex[SIG_HEX])
{
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    sl_status st = sl__sign(k, msg, strlen(msg), sig);
    if (st != SL_OK) return st;
    return sl__hex_encode(hex, SIG_HEX, sig, sizeof sig);
}

static bool hall_verify(const sl_keyring *k, const char *msg, const char *hex)
{
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    if (!hex || strlen(hex) != SIG_HEX - 1 || sl__hex_decode(sig, sizeof sig, hex) != SL_OK)
        return false;
    return sl__verify(k, msg, strlen(msg), sig, sizeof sig) == SL_OK;
}

static sl_status seal_json(const sl_keyring *k, const char *ad, const json_t *o, uint8_t **ct,
                           size_t *n)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    if (!s) return SL_ERR_NOMEM;
    sl_status st = sl__seal(k, ad, strlen(ad), s, strlen(s), ct, n);
    sodium_memzero(s, strlen(s));
    free(s);
    return st;
}

static sl_status open_json(const sl_keyring *k, const char *ad, const void *ct, size_t n,
                           json_t **out)
{
    uint8_t *pt = NULL;
    size_t pn = 0;
    sl_status st = sl__open(k, ad, strlen(ad), ct, n, &pt, &pn);
    if (st != SL_OK) return st;
    *out = json_loadb((const char *)pt, pn, 0, NULL);
    sodium_memzero(pt, pn);
    sl__free(pt);
    return *out ? SL_OK : SL_ERR_CORRUPT;
}

/* ============================ issuer keys =============================== */

static sl_status tmpdir(char dir[64])
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, 64, "%s/sl-lic-XXXXXX", t && *t && strlen(t) < 40 ? t : "/tmp");
    return mkdtemp(dir) ? SL_OK : SL_ERR_IO;
}

static void tmpclean(const char *dir)
{
    char p[96];
    snprintf(p, sizeof p, "%s/k", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/k.lock", dir);
    unlink(p);
    rmdir(dir);
}

/* A new one-key key file: its text (sl__malloc'd) and public key. */
static sl_status issuer_key_new(sl_suite suite, char **text, size_t *n, char pub[SL_CRYPTO_PUBKEY_MAX])
{
    char dir[64], path[96];
    sl_status st = tmpdir(dir);
    if (st != SL_OK) return st;
    snprintf(path, sizeof path, "%s/k", dir);
    sl_keyring *k = NULL;
    st = sl__keyring_open(path, suite, true, &k);
    if (st == SL_OK) st = sl__public_key(k, 0, pub, SL_CRYPTO_PUBKEY_MAX);
    sl__keyring_free(k);
    if (st == SL_OK) {
        FILE *f = fopen(path, "rb");
        char *buf = sl__malloc(4096);
        size_t got = 0;
        if (!f || !buf) {
            st = f ? SL_ERR_NOMEM : SL_ERR_IO;
        } else {
            got = fread(buf, 1, 4095, f);
            buf[got] = '\0';
        }
        if (f) fclose(f);
        if (st == SL_OK && (got == 0 || got == 4095)) st = SL_ERR_IO;
        if (st == SL_OK) {
            *text = buf;
            *n = got;
        } else if (buf) {
            sodium_memzero(buf, 4096);
            sl__free(buf);
        }
    }
    tmpclean(dir);
    return st;
}

#define KR_CACHE 64
static pthread_mutex_t kr_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { char pub[SL_CRYPTO_PUBKEY_MAX]; sl_keyring *k; } kr_cache[KR_CACHE];

/* The issuer's key ring from its sealed key file (cached by public key). */
static sl_status issuer_keyring(const struct sl__lic *L, const char *pub, const void *sealed,
                                size_t sn, const char *uscc, const sl_keyring **out)
{
    pthread_mutex_lock(&kr_mu);
    for (size_t i = 0; i < KR_CACHE && kr_cache[i].k; i++)
        if (strcmp(kr_cache[i].pub, pub) == 0) {
            *out = kr_cache[i].k;
            pthread_mutex_unlock(&kr_mu);
            return SL_OK;
        }
    char ad[96];
    snprintf(ad, sizeof ad, "lic_issuer_key|%s", uscc);
    uint8_t *pt = NULL;
    size_t pn = 0;
    sl_status st = sl__open(L->keys, ad, strlen(ad), sealed, sn, &pt, &pn);
    char dir[64] = "", path[96];
    if (st == SL_OK) st = tmpdir(dir);
    sl_keyring *k = NULL;
    if (st == SL_OK) {
        snprintf(path, sizeof path, "%s/k", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, pt, pn) != (ssize_t)pn) st = SL_ERR_IO;
        if (fd >= 0) close(fd);
        if (st == SL_OK) st = sl__keyring_open(path, sl__keyring_suite(L->keys), false, &k);
        tmpclean(dir);
    }
    if (pt) {
        sodium_memzero(pt, pn);
        sl__free(pt);
    }
    if (st == SL_OK) {
        size_t i = 0;
        while (i < KR_CACHE && kr_cache[i].k) i++;
        if (i == KR_CACHE) {   /* full: replace the oldest (never freed: in use elsewhere) */
            i = 0;
        }
        snprintf(kr_cache[i].pub, sizeof kr_cache[i].pub, "%s", pub);
        kr_cache[i].k = k;
        *out = k;
    }
    pthread_mutex_unlock(&kr_mu);
    return st;
}

/* ============================ issuers and types ========================= */

struct issuer_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    int64_t hall;
    const char *name, *uscc;
    const char *text;
    size_t n;
    const char *pub;
    int64_t id;
};

static sl_status issuer_tx(sl_tx *tx, void *p)
{
    struct issuer_ctx *c = p;
    int64_t n = 0;
    sl_status st = sl__tx_query_int(tx, "SELECT count(*) FROM lic_issuer WHERE uscc = ?",
                                    SL_ARGS(SL_TEXT(c->uscc)), &n);
    if (st != SL_OK) return st;
    if (n) return SL_ERR_LIC_EXISTS;
    st = sl__tx_query_int(tx,
        "INSERT INTO lic_issuer (hall_id, name, uscc, key_id, created_ms) VALUES (?,?,?,1,?)"
        " RETURNING id", SL_ARGS(SL_INT(c->hall), SL_TEXT(c->name), SL_TEXT(c->uscc),
                                 SL_INT(sl__now_ms())), &c->id);
    if (st != SL_OK) return st;
    char ad[96];
    snprintf(ad, sizeof ad, "lic_issuer_key|%s", c->uscc);
    uint8_t *ct = NULL;
    size_t cn = 0;
    st = sl__seal(c->L->keys, ad, strlen(ad), c->text, c->n, &ct, &cn);
    if (st != SL_OK) return st;
    st = sl__tx_exec(tx, "INSERT INTO lic_issuer_key (issuer_id, keyfile_sealed, public_key)"
                         " VALUES (?,?,?)", SL_ARGS(SL_INT(c->id), SL_BLOB(ct, cn), SL_TEXT(c->pub)),
                     NULL);
    sl__free(ct);
    if (st != SL_OK) return st;
    return audit(tx, c->L, c->a, "licence.issuer.add", "lic_issuer", c->uscc, NULL, NULL, NULL, "ok");
}

sl_status sl__lic_issuer_add(struct sl__lic *L, const struct sl__lic_actor *a, int64_t hall,
                             const char *name, const char *uscc, json_t **out)
{
    if (!name || !*name || strlen(name) > 200 || !uscc || strlen(uscc) != 18 ||
        sl__uscc_check_char(uscc) != uscc[17])
        return SL_ERR_LIC_DATA;
    char *text = NULL;
    size_t n = 0;
    char pub[SL_CRYPTO_PUBKEY_MAX];
    sl_status st = issuer_key_new(sl__keyring_suite(L->keys), &text, &n, pub);
    if (st != SL_OK) return st;
    struct issuer_ctx c = { L, a, hall, name, uscc, text, n, pub, 0 };
    st = sl__store_run(L->store, issuer_tx, &c);
    sodium_memzero(text, n);
    sl__free(text);
    if (st != SL_OK) return st;
    *out = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)c.id, "name", name, "uscc", uscc,
                     "public_key", pub);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

struct list_ctx { const char *sql; json_t *out; int kind; };

static sl_status list_tx(sl_tx *tx, void *p)
{
    struct list_ctx *c = p;
    json_decref(c->out);
    c->out = json_array();
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, c->sql, NULL, 0, &rw);
    if (st != SL_OK) return st;
    for (size_t i = 0; i < sl__rows_count(rw); i++) {
        json_t *o;
        if (c->kind == 0)
            o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)sl__rows_int(rw, i, 0),
                          "name", sl__rows_text(rw, i, 1), "uscc", sl__rows_text(rw, i, 2),
                          "public_key", sl__rows_text(rw, i, 3));
        else
            o = json_pack("{s:s,s:s,s:s,s:o,s:s}", "code", sl__rows_text(rw, i, 0),
                          "kind", sl__rows_text(rw, i, 1) ? sl__rows_text(rw, i, 1) : "",
                          "name", sl__rows_text(rw, i, 2),
                          "fields", json_loads(sl__rows_text(rw, i, 3), 0, NULL),
                          "issuer", sl__rows_text(rw, i, 4));
        json_array_append_new(c->out, o);
    }
    sl__rows_free(rw);
    return SL_OK;
}

sl_status sl__lic_issuer_list(struct sl__lic *L, json_t **out)
{
    struct list_ctx c = { "SELECT i.id, i.name, i.uscc, k.public_key FROM lic_issuer i"
                          " JOIN lic_issuer_key k ON k.issuer_id = i.id ORDER BY i.id", NULL, 0 };
    sl_status st = sl__store_run_read(L->store, list_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

sl_status sl__lic_type_list(struct sl__lic *L, json_t **out)
{
    struct list_ctx c = { "SELECT t.code, t.kind, t.name, t.fields, i.uscc FROM lic_type t"
                          " JOIN lic_issuer i ON i.id = t.issuer_id ORDER BY t.id", NULL, 1 };
    sl_status st = sl__store_run_read(L->store, list_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

struct type_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    const char *code, *kind, *name, *fields, *uscc;
};

static sl_status type_tx(sl_tx *tx, void *p)
{
    struct type_ctx *c = p;
    int64_t iss = 0, n = 0;
    sl_status st = sl__tx_query_int(tx, "SELECT id FROM lic_issuer WHERE uscc = ?",
                                    SL_ARGS(SL_TEXT(c->uscc)), &iss);
    if (st == SL_ERR_NOT_FOUND) return SL_ERR_LIC_NOT_FOUND;
    if (st != SL_OK) return st;
    st = sl__tx_query_int(tx, "SELECT count(*) FROM lic_type WHERE code = ? OR kind = ?",
                          SL_ARGS(SL_TEXT(c->code), SL_TEXT(c->kind)), &n);
    if (st != SL_OK) return st;
    if (n) return SL_ERR_LIC_EXISTS;
    st = sl__tx_exec(tx, "INSERT INTO lic_type (code, name, fields, issuer_id, kind) VALUES (?,?,?,?,?)",
                     SL_ARGS(SL_TEXT(c->code), SL_TEXT(c->name), SL_TEXT(c->fields), SL_INT(iss),
                             SL_TEXT(c->kind)), NULL);
    if (st != SL_OK) return st;
    return audit(tx, c->L, c->a, "licence.type.add", "lic_type", c->code, NULL, NULL, NULL, "ok");
}

sl_status sl__lic_type_add(struct sl__lic *L, const struct sl__lic_actor *a, const char *code,
                           const char *kind, const char *name, const json_t *fields,
                           const char *issuer_uscc, json_t **out)
{
    const char *f[64];
    size_t nf = 0;
    if (!code || !*code || strlen(code) > 20 || strspn(code, "0123456789") != strlen(code) ||
        !sl__licence_type_known(kind) || !name || !*name || !strs_of(fields, f, 64, &nf) || !nf)
        return SL_ERR_LIC_DATA;
    char *fs = json_dumps(fields, JSON_COMPACT);
    if (!fs) return SL_ERR_NOMEM;
    struct type_ctx c = { L, a, code, kind, name, fs, issuer_uscc ? issuer_uscc : "" };
    sl_status st = sl__store_run(L->store, type_tx, &c);
    free(fs);
    if (st != SL_OK) return st;
    *out = json_pack("{s:s,s:s,s:s,s:O,s:s}", "code", code, "kind", kind, "name", name,
                     "fields", fields, "issuer", c.uscc);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* ============================ licences ================================== */

/* One licence row joined with its type and issuer key. */
#define LIC_SELECT \
    "SELECT l.id, l.licence_id, l.fields_sealed, l.sig, l.status, l.valid_from_ms," \
    " l.valid_to_ms, l.issued_ms, t.kind, t.name, i.uscc, i.name, k.keyfile_sealed," \
    " k.public_key, l.holder_index FROM lic_licence l JOIN lic_type t ON t.id = l.type_id" \
    " JOIN lic_issuer i ON i.id = t.issuer_id JOIN lic_issuer_key k ON k.issuer_id = i.id"
enum { C_ROW, C_LID, C_FIELDS, C_SIG, C_STATUS, C_FROM, C_TO, C_ISSUED, C_KIND, C_TNAME,
       C_USCC, C_INAME, C_KEY, C_PUB, C_HOLDER };

/* Opens a licence row's fields and checks the issuer's signature:
 * SL_ERR_LIC_TAMPERED if either fails. *fields (may be NULL) gets them. */
static sl_status lic_open_check(const struct sl__lic *L, const sl_rows *rw, size_t i, json_t **fields)
{
    const char *lid = sl__rows_text(rw, i, C_LID);
    char ad[160];
    snprintf(ad, sizeof ad, "lic_licence|%s", lid);
    size_t n = 0, kn = 0;
    const void *ct = sl__rows_blob(rw, i, C_FIELDS, &n);
    const void *key = sl__rows_blob(rw, i, C_KEY, &kn);
    json_t *f = NULL;
    sl_status st = open_json(L->keys, ad, ct, n, &f);
    if (st != SL_OK) return SL_ERR_LIC_TAMPERED;
    const sl_keyring *ik = NULL;
    st = issuer_keyring(L, sl__rows_text(rw, i, C_PUB), key, kn, sl__rows_text(rw, i, C_USCC), &ik);
    if (st == SL_OK)
        st = sl__lic_verify(ik, lid, sl__rows_int(rw, i, C_ISSUED), f, sl__rows_text(rw, i, C_SIG));
    if (st != SL_OK) {
        json_decref(f);
        return st == SL_ERR_NOMEM || st == SL_ERR_IO ? st : SL_ERR_LIC_TAMPERED;
    }
    if (fields) *fields = f;
    else json_decref(f);
    return SL_OK;
}

struct issue_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    const json_t *req;
    char *why;
    size_t cap;
    char lid[SL_LICENCE_ID_MAX];
    json_t *out;
};

static sl_status issue_tx(sl_tx *tx, void *p)
{
    struct issue_ctx *c = p;
    const json_t *req = c->req;
    const char *kind = sl_json_str(req, "kind", "");
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT t.id, t.code, t.fields, i.uscc, k.keyfile_sealed, k.public_key FROM lic_type t"
        " JOIN lic_issuer i ON i.id = t.issuer_id JOIN lic_issuer_key k ON k.issuer_id = i.id"
        " WHERE t.kind = ?", SL_ARGS(SL_TEXT(kind)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) {
        sl__rows_free(rw);
        snprintf(c->why, c->cap, "no licence type of kind '%s'", kind);
        return SL_ERR_LIC_NOT_FOUND;
    }
    int64_t type_id = sl__rows_int(rw, 0, 0);
    char tcode[24], uscc[20];
    snprintf(tcode, sizeof tcode, "%s", sl__rows_text(rw, 0, 1));
    snprintf(uscc, sizeof uscc, "%s", sl__rows_text(rw, 0, 3));
    /* the fields: exactly the type's */
    json_t *tf = json_loads(sl__rows_text(rw, 0, 2), 0, NULL);
    const json_t *fields = json_object_get(req, "fields");
    size_t i;
    json_t *v;
    st = SL_OK;
    json_array_foreach(tf, i, v) {
        if (!json_object_get(fields, json_string_value(v))) {
            snprintf(c->why, c->cap, "fields.%s: missing (the type's fields are required)",
                     json_string_value(v));
            st = SL_ERR_LIC_DATA;
            break;
        }
    }
    const char *k;
    json_object_foreach((json_t *)fields, k, v) {
        if (st != SL_OK) break;
        bool known = false;
        size_t j;
        json_t *w;
        json_array_foreach(tf, j, w) known |= strcmp(json_string_value(w), k) == 0;
        if (!known) {
            snprintf(c->why, c->cap, "fields.%s: not a field of this licence type", k);
            st = SL_ERR_LIC_DATA;
        }
    }
    json_decref(tf);
    if (st != SL_OK) { sl__rows_free(rw); return st; }
    /* the identifier: given (validated) or made */
    const char *given = sl_json_str(req, "licence_id", NULL);
    struct sl__licence_id pid;
    if (given) {
        st = sl__licence_id_parse(given, &pid, c->why, c->cap);
        if (st == SL_OK && strcmp(pid.type, tcode) != 0) {
            snprintf(c->why, c->cap, "type code %s is not this type's (%s)", pid.type, tcode);
            st = SL_ERR_LICENCE_ID;
        }
        if (st == SL_OK && strcmp(pid.issuer, uscc) != 0) {
            snprintf(c->why, c->cap, "issuer code %s is not this type's issuer (%s)", pid.issuer, uscc);
            st = SL_ERR_LICENCE_ID;
        }
        if (st == SL_OK) snprintf(c->lid, sizeof c->lid, "%s", pid.id);
    } else {
        int64_t seq = 0;
        st = sl__store_counter(tx, "lic.serial", 1, &seq);
        char serial[48];
        const char *sv = sl_json_str(req, "serial", NULL);
        if (sv) snprintf(serial, sizeof serial, "%s", sv);
        else snprintf(serial, sizeof serial, "%08" PRId64, seq);
        if (st == SL_OK) st = sl__licence_id_make(tcode, uscc, serial, 1, c->lid);
        if (st != SL_OK && st != SL_ERR_NOMEM) {
            snprintf(c->why, c->cap, "serial: 1-40 characters 0-9 A-Z");
            st = SL_ERR_LICENCE_ID;
        }
    }
    if (st != SL_OK) { sl__rows_free(rw); return st; }
    int64_t n = 0;
    st = sl__tx_query_int(tx, "SELECT count(*) FROM lic_licence WHERE licence_id = ?",
                          SL_ARGS(SL_TEXT(c->lid)), &n);
    if (st == SL_OK && n) { snprintf(c->why, c->cap, "licence %s exists", c->lid); st = SL_ERR_LIC_EXISTS; }
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char masked[SL_ID_MAX];
    if (st == SL_OK) {
        st = holder_of(c->L->keys, sl_json_str(req, "holder_id_number", ""), idx, masked);
        if (st != SL_OK) snprintf(c->why, c->cap, "holder_id_number: not a valid resident ID number");
    }
    const sl_keyring *ik = NULL;
    if (st == SL_OK) {
        size_t kn = 0;
        const void *key = sl__rows_blob(rw, 0, 4, &kn);
        st = issuer_keyring(c->L, sl__rows_text(rw, 0, 5), key, kn, uscc, &ik);
    }
    sl__rows_free(rw);
    if (st != SL_OK) return st;
    int64_t now = sl__now_ms();
    int64_t from = sl_json_int(req, "valid_from_ms", now), to = sl_json_int(req, "valid_to_ms", 0);
    if (to && to <= from) {
        snprintf(c->why, c->cap, "valid_to_ms must be after valid_from_ms (or 0: no end)");
        return SL_ERR_LIC_DATA;
    }
    char sig[SIG_HEX];
    st = sl__lic_sign(ik, c->lid, now, fields, sig);
    if (st != SL_OK) return st;
    char ad[160];
    snprintf(ad, sizeof ad, "lic_licence|%s", c->lid);
    uint8_t *ct = NULL;
    size_t cn = 0;
    st = seal_json(c->L->keys, ad, fields, &ct, &cn);
    if (st != SL_OK) return st;
    st = sl__tx_exec(tx,
        "INSERT INTO lic_licence (licence_id, type_id, holder_index, fields_sealed, sig, status,"
        " valid_from_ms, valid_to_ms, issued_ms, changed_ms) VALUES (?,?,?,?,?,1,?,?,?,?)",
        SL_ARGS(SL_TEXT(c->lid), SL_INT(type_id), SL_BLOB(idx, sizeof idx), SL_BLOB(ct, cn),
                SL_TEXT(sig), SL_INT(from), SL_INT(to), SL_INT(now), SL_INT(now)), NULL);
    sl__free(ct);
    if (st != SL_OK) return st;
    st = audit(tx, c->L, c->a, "licence.issue", "licence", c->lid, masked, idx, kind, "ok");
    if (st != SL_OK) return st;
    json_decref(c->out);
    c->out = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "licence_id", c->lid, "kind", kind,
                       "status", "issued", "holder", masked, "valid_from", iso(from),
                       "valid_to", to ? iso(to) : json_null(), "issued_at", iso(now), "issuer", uscc);
    return c->out ? SL_OK : SL_ERR_NOMEM;
}

sl_status sl__lic_issue(struct sl__lic *L, const struct sl__lic_actor *a, const json_t *req,
                        char *why, size_t cap, json_t **out)
{
    struct issue_ctx c = { L, a, req, why, cap, "", NULL };
    sl_status st = sl__store_run(L->store, issue_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

struct change_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    const char *lid, *reason;
    sl__lic_action act;
    sl__lic_status to;
};

static sl_status change_tx(sl_tx *tx, void *p)
{
    struct change_ctx *c = p;
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, "SELECT status, holder_index FROM lic_licence WHERE licence_id = ?",
                                SL_ARGS(SL_TEXT(c->lid)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) { sl__rows_free(rw); return SL_ERR_LIC_NOT_FOUND; }
    st = sl__lic_step((sl__lic_status)sl__rows_int(rw, 0, 0), c->act, &c->to);
    size_t hn = 0;
    uint8_t idx[SL_CRYPTO_HASH_BYTES] = { 0 };
    const void *h = sl__rows_blob(rw, 0, 1, &hn);
    if (h && hn == sizeof idx) memcpy(idx, h, hn);
    sl__rows_free(rw);
    if (st != SL_OK) return st;
    st = sl__tx_exec(tx, "UPDATE lic_licence SET status = ?, changed_ms = ? WHERE licence_id = ?",
                     SL_ARGS(SL_INT(c->to), SL_INT(sl__now_ms()), SL_TEXT(c->lid)), NULL);
    if (st != SL_OK) return st;
    const char *act = c->act == SL_LIC_REVOKE ? "licence.revoke"
                    : c->act == SL_LIC_SUSPEND ? "licence.suspend" : "licence.resume";
    return audit(tx, c->L, c->a, act, "licence", c->lid, NULL, idx, c->reason, "ok");
}

sl_status sl__lic_change(struct sl__lic *L, const struct sl__lic_actor *a,
                         const char *licence_id, sl__lic_action act, const char *reason,
                         json_t **out)
{
    struct change_ctx c = { L, a, licence_id ? licence_id : "", reason, act, 0 };
    sl_status st = sl__store_run(L->store, change_tx, &c);
    if (st != SL_OK) return st;
    *out = json_pack("{s:s,s:s}", "licence_id", c.lid, "status", sl__lic_status_name(c.to));
    return *out ? SL_OK : SL_ERR_NOMEM;
}

struct check_ctx { const struct sl__lic *L; const char *lid; json_t *out; };

static sl_status check_tx(sl_tx *tx, void *p)
{
    struct check_ctx *c = p;
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, LIC_SELECT " WHERE l.licence_id = ?", SL_ARGS(SL_TEXT(c->lid)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) { sl__rows_free(rw); return SL_ERR_LIC_NOT_FOUND; }
    sl_status sig = lic_open_check(c->L, rw, 0, NULL);
    sl__lic_status s = (sl__lic_status)sl__rows_int(rw, 0, C_STATUS);
    sl_status use = sig != SL_OK ? sig
                  : sl__lic_usable(s, sl__rows_int(rw, 0, C_FROM), sl__rows_int(rw, 0, C_TO), sl__now_ms());
    json_decref(c->out);
    c->out = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:b,s:s}", "licence_id", c->lid,
                       "kind", sl__rows_text(rw, 0, C_KIND), "issuer", sl__rows_text(rw, 0, C_INAME),
                       "status", sl__lic_status_name(s), "usable", use == SL_OK,
                       "code", use == SL_OK ? "ok" : sl_status_name(use),
                       "signature_valid", sig == SL_OK, "public_key", sl__rows_text(rw, 0, C_PUB));
    sl__rows_free(rw);
    return c->out ? SL_OK : SL_ERR_NOMEM;
}

sl_status sl__lic_check(struct sl__lic *L, const char *licence_id, json_t **out)
{
    struct check_ctx c = { L, licence_id ? licence_id : "", NULL };
    sl_status st = sl__store_run_read(L->store, check_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

struct holder_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char masked[SL_ID_MAX];
    bool with_fields;
    int64_t verif;
    json_t *out;
};

static sl_status holder_tx(sl_tx *tx, void *p)
{
    struct holder_ctx *c = p;
    json_decref(c->out);
    c->out = json_array();
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, LIC_SELECT " WHERE l.holder_index = ? ORDER BY l.id",
                                SL_ARGS(SL_BLOB(c->idx, sizeof c->idx)), &rw);
    if (st != SL_OK) return st;
    int64_t now = sl__now_ms();
    for (size_t i = 0; st == SL_OK && i < sl__rows_count(rw); i++) {
        sl__lic_status s = (sl__lic_status)sl__rows_int(rw, i, C_STATUS);
        int64_t to = sl__rows_int(rw, i, C_TO);
        json_t *f = NULL;
        sl_status sig = lic_open_check(c->L, rw, i, c->with_fields ? &f : NULL);
        sl_status use = sig != SL_OK ? sig : sl__lic_usable(s, sl__rows_int(rw, i, C_FROM), to, now);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "licence_id",
                              sl__rows_text(rw, i, C_LID), "kind", sl__rows_text(rw, i, C_KIND),
                              "name", sl__rows_text(rw, i, C_TNAME),
                              "issuer", sl__rows_text(rw, i, C_INAME),
                              "status", sl__lic_status_name(s), "issued_at",
                              iso(sl__rows_int(rw, i, C_ISSUED)), "valid_to", to ? iso(to) : json_null(),
                              "code", use == SL_OK ? "ok" : sl_status_name(use));
        if (f) json_object_set_new(o, "fields", f);
        sl_rows *u = NULL;
        st = sl__tx_query(tx, "SELECT used_ms, matter, fields, consent_id, actor FROM lic_use"
                              " WHERE licence_row = ? ORDER BY id",
                          SL_ARGS(SL_INT(sl__rows_int(rw, i, C_ROW))), &u);
        json_t *uses = json_array();
        for (size_t j = 0; st == SL_OK && j < sl__rows_count(u); j++)
            json_array_append_new(uses, json_pack("{s:o,s:s,s:o,s:s,s:s}",
                "at", iso(sl__rows_int(u, j, 0)), "matter", sl__rows_text(u, j, 1),
                "fields", json_loads(sl__rows_text(u, j, 2), 0, NULL),
                "consent", sl__rows_text(u, j, 3), "by", sl__rows_text(u, j, 4)));
        sl__rows_free(u);
        json_object_set_new(o, "uses", uses);
        json_array_append_new(c->out, o);
    }
    sl__rows_free(rw);
    if (st != SL_OK) return st;
    return audit(tx, c->L, c->a, "licence.list", "person", NULL, c->masked, c->idx, NULL, "ok");
}

sl_status sl__lic_holder_list(struct sl__lic *L, const struct sl__lic_actor *a,
                              const char *id_number, bool with_fields, json_t **out)
{
    struct holder_ctx c = { .L = L, .a = a, .with_fields = with_fields };
    sl_status st = holder_of(L->keys, id_number, c.idx, c.masked);
    if (st != SL_OK) return st;
    st = sl__store_run(L->store, holder_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = json_pack("{s:s,s:o}", "holder", c.masked, "licences", c.out);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* The holder's own view after a face verification (matter "licence_list"):
 * consumed here, then the list with fields and uses. */
static sl_status verified(sl_tx *tx, const struct sl__lic *L, const struct sl__lic_actor *a,
                          int64_t verif, const char *matter, const char *action,
                          struct sl_person *p, uint8_t idx[SL_CRYPTO_HASH_BYTES], char masked[SL_ID_MAX]);

static sl_status mine_tx(sl_tx *tx, void *p)
{
    struct holder_ctx *c = p;
    struct sl_person per;
    sl_status st = verified(tx, c->L, c->a, c->verif, "licence_list", "person.read", &per, c->idx, c->masked);
    if (st != SL_OK) return st;
    sodium_memzero(per.number, sizeof per.number);
    return holder_tx(tx, c);
}

sl_status sl__lic_holder_mine(struct sl__lic *L, const struct sl__lic_actor *a, int64_t verif,
                              json_t **out)
{
    struct holder_ctx c = { .L = L, .a = a, .with_fields = true, .verif = verif };
    sl_status st = sl__store_run(L->store, mine_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = json_pack("{s:s,s:o}", "holder", c.masked, "licences", c.out);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

static sl_status person_tx(sl_tx *tx, void *p)
{
    struct holder_ctx *c = p;
    struct sl_person per;
    struct sl_acct_audit au = { .actor_kind = c->a ? c->a->kind : "system",
                                .actor_id = c->a ? c->a->id : NULL, .action = "person.read",
                                .purpose = "licence_list", .request_id = c->a ? c->a->request_id : NULL };
    sl_status st = sl__person_get_tx(tx, c->L->keys, c->verif, true, &au, &per);
    if (st == SL_OK) st = holder_of(c->L->keys, per.number, c->idx, c->masked);
    sodium_memzero(per.number, sizeof per.number);
    if (st != SL_OK) return st;
    return holder_tx(tx, c);
}

sl_status sl__lic_holder_person(struct sl__lic *L, const struct sl__lic_actor *a, int64_t person,
                                const char *licence_id, json_t **out)
{
    struct holder_ctx c = { .L = L, .a = a, .with_fields = !licence_id, .verif = person };
    sl_status st = sl__store_run(L->store, person_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    if (licence_id) {   /* one licence's uses */
        size_t i;
        json_t *e;
        json_array_foreach(c.out, i, e)
            if (strcmp(sl_json_str(e, "licence_id", ""), licence_id) == 0) {
                *out = json_pack("{s:s,s:s,s:O}", "licence_id", licence_id, "kind",
                                 sl_json_str(e, "kind", ""), "uses", json_object_get(e, "uses"));
                json_decref(c.out);
                return *out ? SL_OK : SL_ERR_NOMEM;
            }
        json_decref(c.out);
        return SL_ERR_LIC_NOT_FOUND;
    }
    *out = json_pack("{s:s,s:o}", "holder", c.masked, "licences", c.out);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* ============================ 免提交 ==================================== */

struct app_row {
    char matter[64];
    int version;
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char masked[SL_ID_MAX];
    int64_t person;
    const json_t *m;   /* the matter (catalogue) */
};

/* The application's row in tx (the matter itself is looked up before the
 * transaction: sl__gov_matter runs its own). */
static sl_status app_row_tx(sl_tx *tx, int64_t app_id, struct app_row *ar)
{
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, "SELECT matter, matter_version, person_idx, id_masked FROM gov_app"
                                    " WHERE id = ?", SL_ARGS(SL_INT(app_id)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) { sl__rows_free(rw); return SL_ERR_APP_NOT_FOUND; }
    snprintf(ar->matter, sizeof ar->matter, "%s", sl__rows_text(rw, 0, 0));
    ar->version = (int)sl__rows_int(rw, 0, 1);
    size_t n = 0;
    const void *p = sl__rows_blob(rw, 0, 2, &n);
    memset(ar->idx, 0, sizeof ar->idx);
    if (p && n == sizeof ar->idx) memcpy(ar->idx, p, n);
    snprintf(ar->masked, sizeof ar->masked, "%s", sl__rows_text(rw, 0, 3));
    sl__rows_free(rw);
    return SL_OK;
}

static sl_status app_pre_tx(sl_tx *tx, void *p)
{
    struct app_row *ar = p;
    return app_row_tx(tx, ar->person, ar);
}

/* Before the transaction: the application's matter. */
static sl_status app_matter(const struct sl__lic *L, int64_t app_id, const json_t **m)
{
    if (!L->gov) return SL_ERR_UNSUPPORTED;
    struct app_row ar = { .person = app_id };
    sl_status st = sl__store_run_read(L->store, app_pre_tx, &ar);
    if (st != SL_OK) return st;
    return sl__gov_matter(L->gov, ar.matter, ar.version, m);
}

static sl_status app_load(sl_tx *tx, const struct sl__lic *L, int64_t app_id, const json_t *m,
                          struct app_row *ar)
{
    (void)L;
    sl_status st = app_row_tx(tx, app_id, ar);
    if (st != SL_OK) return st;
    if (!m || strcmp(sl_json_str(m, "code", ""), ar->matter) != 0) return SL_ERR_STATE;
    ar->m = m;
    char hex[2 * SL_CRYPTO_HASH_BYTES + 1];
    sl__hex_encode(hex, sizeof hex, ar->idx, sizeof ar->idx);
    st = sl__tx_query_int(tx, "SELECT id FROM id_person WHERE blind = ? AND id_type = 1",
                          SL_ARGS(SL_TEXT(hex)), &ar->person);
    if (st == SL_ERR_NOT_FOUND) {   /* not in the registry: no consent can exist */
        ar->person = 0;
        st = SL_OK;
    }
    return st;
}

struct consent_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    const json_t *m;
    int64_t app, verif, expires, consent;
    const char *proxy;
    json_t *out;
};

static sl_status consent_tx(sl_tx *tx, void *p)
{
    struct consent_ctx *c = p;
    struct app_row ar;
    sl_status st = app_load(tx, c->L, c->app, c->m, &ar);
    if (st != SL_OK) return st;
    if (!ar.person) return SL_ERR_ID_PERSON_UNKNOWN;
    char ref[24];
    snprintf(ref, sizeof ref, "%" PRId64, c->app);
    st = sl__verification_consume(tx, c->verif, ar.person, ar.matter, ref, NULL);
    if (st != SL_OK) return st;
    json_decref(c->out);
    c->out = json_array();
    const json_t *mats = json_object_get(ar.m, "materials");
    size_t i;
    json_t *mt;
    char alts[256] = "";
    size_t j;
    json_t *al;
    json_array_foreach(json_object_get(ar.m, "alternatives"), j, al) {
        size_t l = strlen(alts);
        snprintf(alts + l, sizeof alts - l, "%s%s", l ? "," : "", json_string_value(al));
    }
    char app_s[32];
    snprintf(app_s, sizeof app_s, "gov_app:%" PRId64, c->app);
    struct sl_acct_audit au = { .actor_kind = c->a ? c->a->kind : "system",
                                .actor_id = c->a ? c->a->id : NULL, .action = "licence.consent",
                                .id_masked = ar.masked, .purpose = app_s,
                                .request_id = c->a ? c->a->request_id : NULL };
    json_array_foreach(mats, i, mt) {
        const json_t *rb = json_object_get(mt, "replaced_by");
        const char *lic = sl_json_str(rb, "licence", NULL);
        if (!lic) continue;
        char scope[96];
        snprintf(scope, sizeof scope, "gov_app:%" PRId64 ":%s", c->app, lic);
        struct sl_consent_new cn = { .person_id = ar.person, .purpose = "licence_use", .scope = scope,
                                     .channel = c->a ? c->a->kind : "", .alternative = alts,
                                     .guardian = c->proxy, .expires_ms = c->expires };
        int64_t cid = 0;
        st = sl__consent_record(tx, c->L->keys, &cn, &au, &cid);
        if (st != SL_OK) return st;
        json_array_append_new(c->out, json_pack("{s:I,s:s,s:s,s:O,s:o}", "id", (json_int_t)cid,
                              "material", sl_json_str(mt, "id", ""), "licence", lic,
                              "fields", json_object_get(rb, "fields"), "expires_at", iso(c->expires)));
    }
    return SL_OK;
}

sl_status sl__lic_consent_give(struct sl__lic *L, const struct sl__lic_actor *a, int64_t app_id,
                               int64_t verif, const char *proxy, int64_t expires_ms,
                               json_t **out)
{
    int64_t now = sl__now_ms();
    if (expires_ms <= 0) expires_ms = now + 24 * 3600 * 1000LL;
    if (expires_ms <= now) return SL_ERR_INVALID;
    struct consent_ctx c = { L, a, NULL, app_id, verif, expires_ms, 0, proxy, NULL };
    sl_status st = app_matter(L, app_id, &c.m);
    if (st == SL_OK) st = sl__store_run(L->store, consent_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = json_pack("{s:I,s:o}", "application", (json_int_t)app_id, "consents", c.out);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

static sl_status withdraw_tx(sl_tx *tx, void *p)
{
    struct consent_ctx *c = p;
    struct app_row ar;
    sl_status st = app_load(tx, c->L, c->app, c->m, &ar);
    if (st != SL_OK) return st;
    char like[48];
    snprintf(like, sizeof like, "gov_app:%" PRId64 ":%%", c->app);
    sl_rows *rw = NULL;
    st = sl__tx_query(tx, "SELECT id FROM id_consent WHERE person_id = ? AND purpose = 'licence_use'"
                          " AND scope LIKE ? AND withdrawn_ms = 0",
                      SL_ARGS(SL_INT(ar.person), SL_TEXT(like)), &rw);
    if (st != SL_OK) return st;
    char app_s[32];
    snprintf(app_s, sizeof app_s, "gov_app:%" PRId64, c->app);
    struct sl_acct_audit au = { .actor_kind = c->a ? c->a->kind : "system",
                                .actor_id = c->a ? c->a->id : NULL,
                                .action = "licence.consent.withdraw", .id_masked = ar.masked,
                                .purpose = app_s, .request_id = c->a ? c->a->request_id : NULL };
    json_decref(c->out);
    c->out = json_array();
    for (size_t i = 0; st == SL_OK && i < sl__rows_count(rw); i++) {
        int64_t id = sl__rows_int(rw, i, 0);
        if (c->consent && id != c->consent) continue;
        st = sl__consent_withdraw(tx, c->L->keys, ar.person, id, &au);
        json_array_append_new(c->out, json_integer(id));
    }
    sl__rows_free(rw);
    if (st == SL_OK && !json_array_size(c->out)) st = SL_ERR_NOT_FOUND;
    return st;
}

sl_status sl__lic_consent_withdraw(struct sl__lic *L, const struct sl__lic_actor *a,
                                   int64_t app_id, int64_t consent_id, json_t **out)
{
    struct consent_ctx c = { L, a, NULL, app_id, 0, 0, consent_id, NULL, NULL };
    sl_status st = app_matter(L, app_id, &c.m);
    if (st == SL_OK) st = sl__store_run(L->store, withdraw_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = json_pack("{s:I,s:o}", "application", (json_int_t)app_id, "withdrawn", c.out);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* Uses the holder's newest licence of kind under consent cid: usable,
 * signature checked, only `asked` fields released; records the use
 * (lic_use + audit "licence.use"). *got NULL: the holder has none. */
static sl_status lic_use(sl_tx *tx, const struct sl__lic *L, const struct sl__lic_actor *a,
                         const uint8_t idx[SL_CRYPTO_HASH_BYTES], const char *masked,
                         const char *kind, const json_t *asked, int64_t cid, const char *matter,
                         const char *purpose, json_t **got)
{
    *got = NULL;
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, LIC_SELECT " WHERE l.holder_index = ? AND t.kind = ?"
                                    " ORDER BY l.issued_ms DESC, l.id DESC LIMIT 1",
                                SL_ARGS(SL_BLOB(idx, SL_CRYPTO_HASH_BYTES), SL_TEXT(kind)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) { sl__rows_free(rw); return SL_OK; }
    char lid[SL_LICENCE_ID_MAX];
    snprintf(lid, sizeof lid, "%s", sl__rows_text(rw, 0, C_LID));
    st = sl__lic_usable((sl__lic_status)sl__rows_int(rw, 0, C_STATUS), sl__rows_int(rw, 0, C_FROM),
                        sl__rows_int(rw, 0, C_TO), sl__now_ms());
    json_t *fields = NULL;
    if (st == SL_OK) st = lic_open_check(L, rw, 0, &fields);
    int64_t row = sl__rows_int(rw, 0, C_ROW);
    sl__rows_free(rw);
    if (st != SL_OK) return st;
    const char *names[64];
    size_t nn = 0;
    if (!strs_of(asked, names, 64, &nn)) { json_decref(fields); return SL_ERR_LIC_DATA; }
    json_t *rel = NULL;
    st = sl__lic_disclose(fields, names, nn, names, nn, &rel, NULL);
    json_decref(fields);
    if (st == SL_ERR_NOT_FOUND) st = SL_ERR_LIC_DATA;
    if (st != SL_OK) return st;
    char *fs = json_dumps(asked, JSON_COMPACT);
    char cs[24];
    snprintf(cs, sizeof cs, "%" PRId64, cid);
    st = fs ? sl__tx_exec(tx, "INSERT INTO lic_use (licence_row, used_ms, matter, fields, consent_id,"
                              " actor) VALUES (?,?,?,?,?,?)",
                          SL_ARGS(SL_INT(row), SL_INT(sl__now_ms()), SL_TEXT(matter), SL_TEXT(fs),
                                  SL_TEXT(cs), SL_TEXT(a && a->id ? a->id : "system")), NULL)
            : SL_ERR_NOMEM;
    free(fs);
    if (st == SL_OK) {
        char why[160];
        snprintf(why, sizeof why, "%s consent:%s", purpose, cs);
        st = audit(tx, L, a, "licence.use", "licence", lid, masked, idx, why, "ok");
    }
    if (st != SL_OK) { json_decref(rel); return st; }
    *got = json_pack("{s:s,s:s,s:o,s:I}", "licence_id", lid, "kind", kind, "fields", rel,
                     "consent", (json_int_t)cid);
    return *got ? SL_OK : SL_ERR_NOMEM;
}

struct fetch_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    const json_t *m;
    int64_t app;
    json_t *out;
};

static sl_status fetch_tx(sl_tx *tx, void *p)
{
    struct fetch_ctx *c = p;
    struct app_row ar;
    sl_status st = app_load(tx, c->L, c->app, c->m, &ar);
    if (st != SL_OK) return st;
    const json_t *mats = json_object_get(ar.m, "materials");
    size_t i;
    json_t *mt;
    int64_t cids[32] = { 0 };
    /* every covered material first: no consent, nothing released */
    json_array_foreach(mats, i, mt) {
        const char *lic = sl_json_str(json_object_get(mt, "replaced_by"), "licence", NULL);
        if (!lic || i >= 32) continue;
        char scope[96];
        snprintf(scope, sizeof scope, "gov_app:%" PRId64 ":%s", c->app, lic);
        st = sl__consent_check(tx, ar.person, "licence_use", scope, &cids[i]);
        if (st == SL_ERR_ID_CONSENT) return SL_ERR_LIC_CONSENT;
        if (st != SL_OK) return st;
    }
    json_decref(c->out);
    c->out = json_object();
    char purpose[32];
    snprintf(purpose, sizeof purpose, "gov_app:%" PRId64, c->app);
    json_array_foreach(mats, i, mt) {
        const json_t *rb = json_object_get(mt, "replaced_by");
        const char *lic = sl_json_str(rb, "licence", NULL);
        if (!lic || i >= 32) continue;
        json_t *got = NULL;
        st = lic_use(tx, c->L, c->a, ar.idx, ar.masked, lic, json_object_get(rb, "fields"), cids[i],
                     ar.matter, purpose, &got);
        if (st != SL_OK) return st;
        json_object_set_new(c->out, sl_json_str(mt, "id", "?"),
                            got ? got : json_pack("{s:b,s:s}", "missing", 1, "kind", lic));
    }
    return SL_OK;
}

sl_status sl__lic_fetch(struct sl__lic *L, const struct sl__lic_actor *a, int64_t app_id,
                        json_t **out)
{
    struct fetch_ctx c = { L, a, NULL, app_id, NULL };
    sl_status st = app_matter(L, app_id, &c.m);
    if (st == SL_OK) st = sl__store_run(L->store, fetch_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = json_pack("{s:I,s:o}", "application", (json_int_t)app_id, "materials", c.out);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* ============================ verified persons ========================== */

/* Consumes a passed verification of matter for its own person and
 * reference; p gets the person (full). */
static sl_status verified(sl_tx *tx, const struct sl__lic *L, const struct sl__lic_actor *a,
                          int64_t verif, const char *matter, const char *action,
                          struct sl_person *p, uint8_t idx[SL_CRYPTO_HASH_BYTES], char masked[SL_ID_MAX])
{
    struct sl_verification v;
    sl_status st = sl__verification_get_tx(tx, verif, &v);
    if (st != SL_OK) return st;
    if (strcmp(v.matter, matter) != 0) return SL_ERR_ID_VERIF_BINDING;
    st = sl__verification_consume(tx, verif, v.person_id, matter, v.reference, NULL);
    if (st != SL_OK) return st;
    struct sl_acct_audit au = { .actor_kind = a ? a->kind : "system", .actor_id = a ? a->id : NULL,
                                .action = action, .purpose = matter,
                                .request_id = a ? a->request_id : NULL };
    st = sl__person_get_tx(tx, L->keys, v.person_id, true, &au, p);
    if (st != SL_OK) return st;
    return holder_of(L->keys, p->number, idx, masked);
}

static void mask_name(const char *name, char *out, size_t cap)
{
    /* first character (UTF-8) kept, the rest one '*' each */
    size_t i = 1, o;
    while (name[i] && (name[i] & 0xC0) == 0x80) i++;
    o = i < cap ? i : 0;
    memcpy(out, name, o);
    for (const char *s = name + i; *s && o + 2 < cap; s++)
        if ((*s & 0xC0) != 0x80) out[o++] = '*';
    out[o] = '\0';
}

/* ============================ 房查证明 ================================== */

static const char *const prop_fields[] = { "count", "cert_no", "address", "area_m2", "registered_on", NULL };

static json_t *props_of(const struct sl__lic *L, const char *number)
{
    json_t *f = json_array(), *out = NULL;
    for (size_t i = 0; prop_fields[i]; i++) json_array_append_new(f, json_string(prop_fields[i]));
    if (!L->x || sl__exchange_fetch(L->x, "land_property", number, f, &out) != SL_OK)
        out = json_object();
    json_decref(f);
    return out;
}

struct pc_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    int64_t verif;
    json_t *out;
    int64_t person;   /* a citizen session's person instead of verif */
};

#define PC_MATTER "bdc.fangcha_zhengming"

static sl_status pc_tx(sl_tx *tx, void *p)
{
    struct pc_ctx *c = p;
    struct sl_person per;
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char masked[SL_ID_MAX];
    sl_status st;
    char scope[64];
    if (c->person > 0) {
        /* a citizen session (kiosk 扫码/亮码 login, itself opened by a face
         * verification): the person is the session's; the citizen's tick on
         * the kiosk is the consent recorded below */
        struct sl_acct_audit ra = { .actor_kind = c->a ? c->a->kind : "system",
                                    .actor_id = c->a ? c->a->id : NULL, .action = "person.read",
                                    .purpose = PC_MATTER, .request_id = c->a ? c->a->request_id : NULL };
        st = sl__person_get_tx(tx, c->L->keys, c->person, true, &ra, &per);
        if (st == SL_OK && per.status != SL_PERSON_ACTIVE) st = SL_ERR_ID_PERSON_STATUS;
        if (st == SL_OK) st = holder_of(c->L->keys, per.number, idx, masked);
        if (st != SL_OK) { sodium_memzero(per.number, sizeof per.number); return st; }
        snprintf(scope, sizeof scope, PC_MATTER ":citizen:%" PRId64, sl__now_ms());
    } else {
        st = verified(tx, c->L, c->a, c->verif, PC_MATTER, "person.read", &per, idx, masked);
        if (st != SL_OK) return st;
        /* the verification in this flow is the holder's consent to use the
         * marriage licence (spouse) for this certificate */
        snprintf(scope, sizeof scope, PC_MATTER ":%" PRId64, c->verif);
    }
    struct sl_acct_audit au = { .actor_kind = c->a ? c->a->kind : "system",
                                .actor_id = c->a ? c->a->id : NULL, .action = "licence.consent",
                                .id_masked = masked, .purpose = PC_MATTER,
                                .request_id = c->a ? c->a->request_id : NULL };
    struct sl_consent_new cn = { .person_id = per.id, .purpose = "licence_use", .scope = scope,
                                 .channel = c->a ? c->a->kind : "", .alternative = "window",
                                 .expires_ms = sl__now_ms() + 600000 };
    int64_t cid = 0;
    st = sl__consent_record(tx, c->L->keys, &cn, &au, &cid);
    if (st != SL_OK) return st;
    json_t *asked = json_pack("[s,s]", "spouse_name", "spouse_id_number"), *mar = NULL;
    st = lic_use(tx, c->L, c->a, idx, masked, "marriage_certificate", asked, cid, PC_MATTER, scope, &mar);
    json_decref(asked);
    /* a revoked/suspended marriage licence (divorce): no spouse part */
    if (st == SL_ERR_LIC_REVOKED || st == SL_ERR_LIC_SUSPENDED || st == SL_ERR_LIC_EXPIRED) st = SL_OK;
    if (st != SL_OK) return st;
    int64_t seq = 0;
    st = sl__store_counter(tx, "lic.propcert", 1, &seq);
    if (st != SL_OK) { json_decref(mar); return st; }
    int64_t now = sl__now_ms();
    char serial[40], day[11];
    today(day);
    snprintf(serial, sizeof serial, "FC%.4s%.2s%.2s%06" PRId64, day, day + 5, day + 8, seq);
    char nm[SL_ID_NAME_MAX];
    mask_name(per.name, nm, sizeof nm);
    json_t *content = json_pack("{s:s,s:s,s:o,s:{s:s,s:s,s:o}}", "kind", "property_record_certificate",
                                "serial", serial, "issued_at", iso(now), "holder", "name", per.name,
                                "id_masked", masked, "properties", props_of(c->L, per.number));
    const json_t *mf = json_object_get(mar, "fields");
    const char *sid = sl_json_str(mf, "spouse_id_number", NULL);
    if (sid) {
        char smask[SL_ID_MAX];
        sl_id_mask(sid, smask);
        json_object_set_new(content, "spouse", json_pack("{s:s,s:s,s:o}", "name",
                            sl_json_str(mf, "spouse_name", ""), "id_masked", smask,
                            "properties", props_of(c->L, sid)));
    } else {
        json_object_set_new(content, "spouse", json_null());
    }
    json_decref(mar);
    char *text = json_dumps(content, JSON_COMPACT | JSON_SORT_KEYS);
    uint8_t h[SL_CRYPTO_HASH_BYTES];
    char hhex[2 * SL_CRYPTO_HASH_BYTES + 1], msg[256], sig[SIG_HEX];
    st = text ? sl__hash(sl__keyring_suite(c->L->keys), text, strlen(text), h) : SL_ERR_NOMEM;
    free(text);
    if (st == SL_OK) st = sl__hex_encode(hhex, sizeof hhex, h, sizeof h);
    snprintf(msg, sizeof msg, "shualian-propcert-v1\n%s\n%s\n", serial, hhex);
    if (st == SL_OK) st = hall_sign(c->L->keys, msg, sig);
    char ad[64], qr[400];
    snprintf(ad, sizeof ad, "lic_doc|%s", serial);
    snprintf(qr, sizeof qr, "SLPC1.%s.%s.%s", serial, hhex, sig);
    uint8_t *ct = NULL;
    size_t cn2 = 0;
    json_t *wrap = json_pack("{s:O,s:s}", "content", content, "qr", qr);
    if (st == SL_OK) st = wrap ? seal_json(c->L->keys, ad, wrap, &ct, &cn2) : SL_ERR_NOMEM;
    json_decref(wrap);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "INSERT INTO lic_doc (serial, kind, holder_index, sealed, content_hash,"
                             " issued_ms) VALUES (?,'property_record_certificate',?,?,?,?)",
                         SL_ARGS(SL_TEXT(serial), SL_BLOB(idx, sizeof idx), SL_BLOB(ct, cn2),
                                 SL_TEXT(hhex), SL_INT(now)), NULL);
    sl__free(ct);
    if (st == SL_OK)
        st = audit(tx, c->L, c->a, "certificate.issue", "certificate", serial, masked, idx, PC_MATTER, "ok");
    if (st != SL_OK) { json_decref(content); return st; }
    json_object_set_new(content, "qr", json_string(qr));
    json_object_set_new(content, "holder_masked_name", json_string(nm));
    json_decref(c->out);
    c->out = content;
    return SL_OK;
}

sl_status sl__lic_propcert_issue(struct sl__lic *L, const struct sl__lic_actor *a, int64_t verif,
                                 json_t **out)
{
    struct pc_ctx c = { L, a, verif, NULL, 0 };
    sl_status st = sl__store_run(L->store, pc_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

sl_status sl__lic_propcert_issue_person(struct sl__lic *L, const struct sl__lic_actor *a,
                                        int64_t person, json_t **out)
{
    struct pc_ctx c = { L, a, 0, NULL, person };
    if (person <= 0) return SL_ERR_INVALID;
    sl_status st = sl__store_run(L->store, pc_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

struct doc_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    const char *serial, *hash;
    json_t *out;
};

static sl_status pc_get_tx(sl_tx *tx, void *p)
{
    struct doc_ctx *c = p;
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, "SELECT sealed, content_hash, holder_index FROM lic_doc WHERE serial = ?",
                                SL_ARGS(SL_TEXT(c->serial)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) { sl__rows_free(rw); return c->hash ? SL_ERR_PRINT_TOKEN : SL_ERR_LIC_NOT_FOUND; }
    if (c->hash && strcmp(c->hash, sl__rows_text(rw, 0, 1)) != 0) {
        sl__rows_free(rw);
        return SL_ERR_PRINT_TOKEN;
    }
    char ad[64];
    snprintf(ad, sizeof ad, "lic_doc|%s", c->serial);
    size_t n = 0, hn = 0;
    const void *ct = sl__rows_blob(rw, 0, 0, &n);
    json_decref(c->out);
    c->out = NULL;
    json_t *wrap = NULL;
    st = open_json(c->L->keys, ad, ct, n, &wrap);
    if (st == SL_OK) {
        c->out = json_incref(json_object_get(wrap, "content"));
        if (c->out) json_object_set(c->out, "qr", json_object_get(wrap, "qr"));
        else st = SL_ERR_CORRUPT;
    }
    json_decref(wrap);
    uint8_t idx[SL_CRYPTO_HASH_BYTES] = { 0 };
    const void *h = sl__rows_blob(rw, 0, 2, &hn);
    if (h && hn == sizeof idx) memcpy(idx, h, hn);
    sl__rows_free(rw);
    if (st != SL_OK || c->hash) return st;
    return audit(tx, c->L, c->a, "certificate.read", "certificate", c->serial,
                 sl_json_str(json_object_get(c->out, "holder"), "id_masked", NULL), idx, PC_MATTER, "ok");
}

sl_status sl__lic_propcert_get(struct sl__lic *L, const struct sl__lic_actor *a,
                               const char *serial, json_t **out)
{
    struct doc_ctx c = { L, a, serial ? serial : "", NULL, NULL };
    sl_status st = sl__store_run(L->store, pc_get_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

sl_status sl__lic_propcert_verify(struct sl__lic *L, const char *qr, json_t **out)
{
    char buf[400], serial[40], hhex[80], sig[SIG_HEX + 4];
    if (!qr || strlen(qr) >= sizeof buf || strncmp(qr, "SLPC1.", 6) != 0) return SL_ERR_PRINT_TOKEN;
    snprintf(buf, sizeof buf, "%s", qr + 6);
    char *d1 = strchr(buf, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2 || d1 - buf >= (long)sizeof serial || d2 - d1 - 1 != 64 || strlen(d2 + 1) != SIG_HEX - 1)
        return SL_ERR_PRINT_TOKEN;
    *d1 = *d2 = '\0';
    snprintf(serial, sizeof serial, "%.39s", buf);
    snprintf(hhex, sizeof hhex, "%.79s", d1 + 1);
    snprintf(sig, sizeof sig, "%.149s", d2 + 1);
    char msg[256];
    snprintf(msg, sizeof msg, "shualian-propcert-v1\n%s\n%s\n", serial, hhex);
    if (!hall_verify(L->keys, msg, sig)) return SL_ERR_PRINT_TOKEN;
    struct doc_ctx c = { L, NULL, serial, hhex, NULL };
    sl_status st = sl__store_run_read(L->store, pc_get_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    const json_t *h = json_object_get(c.out, "holder");
    const json_t *sp = json_object_get(c.out, "spouse");
    char nm[SL_ID_NAME_MAX];
    mask_name(sl_json_str(h, "name", "?"), nm, sizeof nm);
    *out = json_pack("{s:b,s:s,s:O,s:s,s:s,s:O,s:b}", "valid", 1, "serial", serial,
                     "issued_at", json_object_get(c.out, "issued_at"), "holder", nm,
                     "holder_id", sl_json_str(h, "id_masked", ""),
                     "properties", json_object_get(json_object_get(h, "properties"), "count")
                         ? json_object_get(json_object_get(h, "properties"), "count") : json_integer(0),
                     "spouse_included", json_is_object(sp));
    json_decref(c.out);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* ============================ credentials =============================== */

#define CRED_MATTER "temp_credential"

struct cred_ctx {
    const struct sl__lic *L;
    const struct sl__lic_actor *a;
    int64_t verif;
    const char *purpose;
    unsigned hours, limit;
    const char *key;      /* serial / qr / code */
    const char *reason;
    json_t *out;
};

static sl_status cred_tx(sl_tx *tx, void *p)
{
    struct cred_ctx *c = p;
    struct sl_person per;
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char masked[SL_ID_MAX];
    sl_status st = verified(tx, c->L, c->a, c->verif, CRED_MATTER, "person.read", &per, idx, masked);
    if (st != SL_OK) return st;
    int64_t now = sl__now_ms(), n = 0;
    char month[8];
    sl__cred_month(now, month);
    st = sl__tx_query_int(tx, "SELECT count(*) FROM lic_credential WHERE holder_index = ? AND month = ?",
                          SL_ARGS(SL_BLOB(idx, sizeof idx), SL_TEXT(month)), &n);
    if (st == SL_OK) st = sl__cred_limit_check((unsigned)n, c->limit);
    if (st != SL_OK) return st;
    int64_t seq = 0;
    st = sl__store_counter(tx, "lic.credential", 1, &seq);
    if (st != SL_OK) return st;
    char serial[32], code[SL_CRED_CODE_LEN + 1];
    snprintf(serial, sizeof serial, "TC%.4s%.2s%06" PRId64, month, month + 5, seq);
    st = sl__cred_code(c->L->keys, serial, code);
    if (st != SL_OK) return st;
    char hall[128] = "";
    sl_rows *rw = NULL;
    if (sl__tx_query(tx, "SELECT name FROM acct_hall WHERE id = ?",
                     SL_ARGS(SL_INT(c->a ? c->a->hall_id : 0)), &rw) == SL_OK && sl__rows_count(rw))
        snprintf(hall, sizeof hall, "%s", sl__rows_text(rw, 0, 0));
    sl__rows_free(rw);
    uint8_t *photo = NULL;
    size_t pn = 0;
    json_t *ph = json_null();
    if (sl__person_photo_tx(tx, c->L->keys, per.id, &photo, &pn) == SL_OK && pn) {
        size_t cap = sodium_base64_encoded_len(pn, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = sl__malloc(cap);
        if (b64) {
            sodium_bin2base64(b64, cap, photo, pn, sodium_base64_VARIANT_ORIGINAL);
            json_decref(ph);
            ph = json_string(b64);
            sl__free(b64);
        }
    }
    sl__free(photo);
    int64_t to = now + (int64_t)c->hours * 3600 * 1000;
    char nm[SL_ID_NAME_MAX];
    mask_name(per.name, nm, sizeof nm);
    json_t *content = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "serial", serial, "name", per.name,
                                "name_masked", nm, "id_masked", masked, "hall", hall, "issued_at", iso(now),
                                "valid_to", iso(to), "photo", ph);
    if (c->purpose) json_object_set_new(content, "purpose", json_string(c->purpose));
    char msg[160], sig[SIG_HEX], ad[64], qr[300];
    snprintf(msg, sizeof msg, "shualian-credential-v1\n%s\n%" PRId64 "\n", serial, to);
    st = hall_sign(c->L->keys, msg, sig);
    snprintf(qr, sizeof qr, "SLTC1.%s.%" PRId64 ".%s", serial, to, sig);
    json_object_set_new(content, "qr", json_string(qr));
    json_object_set_new(content, "code", json_string(code));
    snprintf(ad, sizeof ad, "lic_credential|%s", serial);
    uint8_t *ct = NULL;
    size_t cn = 0;
    if (st == SL_OK) st = seal_json(c->L->keys, ad, content, &ct, &cn);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "INSERT INTO lic_credential (serial, hall_id, holder_index, month, sealed,"
                             " status, valid_to_ms, issued_ms, code) VALUES (?,?,?,?,?,1,?,?,?)",
                         SL_ARGS(SL_TEXT(serial), SL_INT(c->a ? c->a->hall_id : 0),
                                 SL_BLOB(idx, sizeof idx), SL_TEXT(month), SL_BLOB(ct, cn), SL_INT(to),
                                 SL_INT(now), SL_TEXT(code)), NULL);
    sl__free(ct);
    if (st == SL_OK)
        st = audit(tx, c->L, c->a, "credential.issue", "credential", serial, masked, idx, c->purpose, "ok");
    if (st != SL_OK) { json_decref(content); return st; }
    json_object_set_new(content, "issued_this_month", json_integer(n + 1));
    json_object_set_new(content, "monthly_limit", json_integer(c->limit));
    json_decref(c->out);
    c->out = content;
    return SL_OK;
}

sl_status sl__lic_cred_issue(struct sl__lic *L, const struct sl__lic_actor *a, int64_t verif,
                             const char *purpose, unsigned hours, unsigned limit, json_t **out)
{
    struct cred_ctx c = { .L = L, .a = a, .verif = verif, .purpose = purpose,
                          .hours = hours ? hours : SL_CRED_DEFAULT_HOURS,
                          .limit = limit ? limit : SL_CRED_DEFAULT_LIMIT };
    if (c.hours > 24 * 31) return SL_ERR_INVALID;
    sl_status st = sl__store_run(L->store, cred_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

/* By serial (c->key, full view, audited) or, when c->reason == "verify",
 * by QR/code (public view). */
static sl_status cred_get_tx(sl_tx *tx, void *p)
{
    struct cred_ctx *c = p;
    const char *by = "serial", *key = c->key;
    char serial[40] = "";
    bool pub = c->reason && strcmp(c->reason, "verify") == 0;
    if (pub && strncmp(key, "SLTC1.", 6) == 0) {
        char buf[300];
        snprintf(buf, sizeof buf, "%s", key + 6);
        char *d1 = strchr(buf, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
        if (!d2 || d1 - buf >= (long)sizeof serial) return SL_ERR_PRINT_TOKEN;
        *d1 = *d2 = '\0';
        snprintf(serial, sizeof serial, "%.39s", buf);
        char msg[160];
        snprintf(msg, sizeof msg, "shualian-credential-v1\n%s\n%s\n", serial, d1 + 1);
        if (!hall_verify(c->L->keys, msg, d2 + 1)) return SL_ERR_PRINT_TOKEN;
        key = serial;
    } else if (pub) {
        if (strlen(key) != SL_CRED_CODE_LEN) return SL_ERR_PRINT_TOKEN;
        by = "code";
    }
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT serial, sealed, status, valid_to_ms, holder_index FROM lic_credential"
                              " WHERE %s = ?", by);
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, sql, SL_ARGS(SL_TEXT(key)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) { sl__rows_free(rw); return pub ? SL_ERR_PRINT_TOKEN : SL_ERR_LIC_NOT_FOUND; }
    char ad[64];
    snprintf(ad, sizeof ad, "lic_credential|%s", sl__rows_text(rw, 0, 0));
    size_t n = 0, hn = 0;
    const void *ct = sl__rows_blob(rw, 0, 1, &n);
    json_t *content = NULL;
    st = open_json(c->L->keys, ad, ct, n, &content);
    int64_t status = sl__rows_int(rw, 0, 2), to = sl__rows_int(rw, 0, 3);
    uint8_t idx[SL_CRYPTO_HASH_BYTES] = { 0 };
    const void *h = sl__rows_blob(rw, 0, 4, &hn);
    if (h && hn == sizeof idx) memcpy(idx, h, hn);
    sl__rows_free(rw);
    if (st != SL_OK) return st;
    const char *s = status == SL_LIC_REVOKED ? "revoked" : sl__now_ms() >= to ? "expired" : "valid";
    json_object_set_new(content, "status", json_string(s));
    if (pub) {   /* the public view: no full name */
        json_object_del(content, "name");
        json_object_del(content, "purpose");
        json_object_del(content, "qr");
        json_object_del(content, "code");
    }
    json_decref(c->out);
    c->out = content;
    return audit(tx, c->L, c->a, pub ? "credential.verify" : "credential.read", "credential",
                 sl_json_str(content, "serial", ""), sl_json_str(content, "id_masked", NULL), idx,
                 NULL, s);
}

sl_status sl__lic_cred_verify(struct sl__lic *L, const char *qr_or_code, json_t **out)
{
    if (!qr_or_code || strlen(qr_or_code) > 280) return SL_ERR_PRINT_TOKEN;
    struct sl__lic_actor anon = { "anonymous", NULL, 0, NULL };
    struct cred_ctx c = { .L = L, .a = &anon, .key = qr_or_code, .reason = "verify" };
    sl_status st = sl__store_run(L->store, cred_get_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

sl_status sl__lic_cred_get(struct sl__lic *L, const struct sl__lic_actor *a, const char *serial,
                           json_t **out)
{
    struct cred_ctx c = { .L = L, .a = a, .key = serial ? serial : "" };
    sl_status st = sl__store_run(L->store, cred_get_tx, &c);
    if (st != SL_OK) { json_decref(c.out); return st; }
    *out = c.out;
    return SL_OK;
}

static sl_status cred_revoke_tx(sl_tx *tx, void *p)
{
    struct cred_ctx *c = p;
    sl_rows *rw = NULL;
    sl_status st = sl__tx_query(tx, "SELECT status, holder_index FROM lic_credential WHERE serial = ?",
                                SL_ARGS(SL_TEXT(c->key)), &rw);
    if (st != SL_OK) return st;
    if (!sl__rows_count(rw)) { sl__rows_free(rw); return SL_ERR_LIC_NOT_FOUND; }
    int64_t s = sl__rows_int(rw, 0, 0);
    size_t hn = 0;
    uint8_t idx[SL_CRYPTO_HASH_BYTES] = { 0 };
    const void *h = sl__rows_blob(rw, 0, 1, &hn);
    if (h && hn == sizeof idx) memcpy(idx, h, hn);
    sl__rows_free(rw);
    if (s == SL_LIC_REVOKED) return SL_ERR_LIC_TRANSITION;
    st = sl__tx_exec(tx, "UPDATE lic_credential SET status = 3 WHERE serial = ?", SL_ARGS(SL_TEXT(c->key)), NULL);
    if (st != SL_OK) return st;
    return audit(tx, c->L, c->a, "credential.revoke", "credential", c->key, NULL, idx, c->reason, "ok");
}

sl_status sl__lic_cred_revoke(struct sl__lic *L, const struct sl__lic_actor *a,
                              const char *serial, const char *reason)
{
    struct cred_ctx c = { .L = L, .a = a, .key = serial ? serial : "", .reason = reason };
    return sl__store_run(L->store, cred_revoke_tx, &c);
}
