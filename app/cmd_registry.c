/*
 * cmd_registry.c -- `shualian registry import --csv FILE --photos DIR`:
 * loads the population registry (issue 11) from a CSV and a photo folder.
 *
 * CSV (UTF-8, comma-separated, RFC 4180 quoting; docs/identity.md): a
 * header row naming the columns, in any order --
 *   id_type,id_number,name,sex,birth_date,valid_to,photo
 * (required: id_type, id_number, name, photo; optional as well:
 * valid_from, former_names, status) -- then one person per row. photo is
 * a file name under --photos (no absolute paths, no "..").
 *
 * Each row: the number is checked (sl_id_check), sex and birth date must
 * agree with it, the photo is read and enrolled (src/id/enrol.h: one
 * usable face), then the person is added. Rows are committed in batches
 * (--batch, default 50): the persons of a batch, its rejected rows and the
 * progress record (table id_import, keyed by the CSV's SHA-256, with the
 * last row done) go in ONE transaction, so after an interruption (even
 * kill -9) --resume continues after the last committed row and nothing is
 * added twice. Rejected rows (bad number with the failed check, no face,
 * poor photo quality, duplicate, unreadable photo, bad row) are kept with
 * the progress and listed in the JSON report on stdout (--report FILE
 * writes it to a file instead); rows are numbered from 1 after the header.
 * Progress on stderr (cli/progress.c); --log-batches adds one line per
 * committed batch. Exit 0 when the import finished (rejected rows are not
 * an error), 1 on a store/engine failure, 2 on bad usage or a bad CSV
 * header.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "acct/acct.h"
#include "crypto/crypto.h"
#include "id/enrol.h"
#include "id/id.h"
#include "store/store.h"

#define CSV_MAX ((size_t)512 << 20)
#define MAX_COLS 16

enum col { C_TYPE, C_NUMBER, C_NAME, C_SEX, C_BIRTH, C_VALID_TO, C_PHOTO, C_VALID_FROM,
           C_FORMER, C_STATUS, C_N };
static const char *const col_names[C_N] = { "id_type", "id_number", "name", "sex",
    "birth_date", "valid_to", "photo", "valid_from", "former_names", "status" };

static int usage(void)
{
    fprintf(stderr,
        "usage: shualian registry import --csv FILE --photos DIR [--resume] [--batch N]\n"
        "                                [--report FILE] [--data DIR | --db URL] [--keys FILE]\n"
        "                                [--models DIR | --no-models] [--log-batches]\n"
        "  CSV header: id_type,id_number,name,sex,birth_date,valid_to,photo (any order;\n"
        "  valid_from, former_names, status optional). Rows are committed in batches with\n"
        "  a progress record keyed by the CSV's SHA-256: after an interruption run the\n"
        "  same command with --resume. JSON report (accepted, rejected rows with reasons)\n"
        "  on stdout.\n");
    return 2;
}

/* ============================ CSV ======================================= */

/* Splits one record starting at *p (end e) into fields (pointers into a
 * copy it makes in buf, NUL-terminated); quotes per RFC 4180. Returns the
 * number of fields, -1 on a malformed quote; *p moves past the record. */
static int csv_record(const char **p, const char *e, char *buf, size_t cap, char **f, int maxf)
{
    const char *s = *p;
    size_t o = 0;
    int n = 0;
    bool start = true;
    f[n++] = buf;
    while (s < e) {
        if (start && *s == '"') {
            s++;
            for (;;) {
                if (s >= e)
                    return -1;
                if (*s == '"') {
                    if (s + 1 < e && s[1] == '"') {
                        if (o + 1 < cap)
                            buf[o++] = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                if (o + 1 < cap)
                    buf[o++] = *s;
                s++;
            }
            start = false;
            if (s < e && *s != ',' && *s != '\n' && *s != '\r')
                return -1;
            continue;
        }
        if (*s == ',') {
            buf[o++ < cap ? o - 1 : cap - 1] = 0;
            if (n == maxf)
                return -1;
            f[n++] = buf + (o < cap ? o : cap - 1);
            s++;
            start = true;
            continue;
        }
        if (*s == '\n' || *s == '\r') {
            if (*s == '\r' && s + 1 < e && s[1] == '\n')
                s++;
            s++;
            break;
        }
        if (o + 1 < cap)
            buf[o++] = *s;
        s++;
        start = false;
    }
    buf[o < cap ? o : cap - 1] = 0;
    *p = s;
    return n;
}

static bool blank_line(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p >= e || *p == '\n';
}

/* ============================ Rows ====================================== */

struct row {
    long no;                       /* 1 = first row after the header      */
    char buf[4096];
    char *f[MAX_COLS];
    int nf;
    /* validation (outside the transaction) */
    const char *code, *reason;     /* set: rejected before the store      */
    char detail[200];
    char masked[SL_ID_MAX];
    struct sl_person_new p;
    float emb[SL_FACE_EMBED_DIM];
    bool has_emb;
    /* the transaction's outcome (reset on every run of it) */
    const char *tx_code, *tx_reason;
};

static const char *field(const struct row *r, const int *cols, enum col c)
{
    if (cols[c] < 0 || cols[c] >= r->nf)
        return NULL;
    const char *v = r->f[cols[c]];
    return v[0] ? v : NULL;
}

static void reject(struct row *r, const char *reason, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reject(struct row *r, const char *reason, const char *code, const char *fmt, ...)
{
    r->reason = reason;
    r->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

static enum sl_person_status status_of(const char *s)
{
    if (!s || strcmp(s, "active") == 0)
        return SL_PERSON_ACTIVE;
    if (strcmp(s, "deceased") == 0)
        return SL_PERSON_DECEASED;
    if (strcmp(s, "cancelled") == 0)
        return SL_PERSON_CANCELLED;
    return 0;
}

/* Checks a row and enrols its photo (engine work, before the store). */
static void prepare(struct row *r, const int *cols, int ncols, const char *photos,
                    sl_face_session *ses, const char *today)
{
    if (r->nf != ncols) {
        reject(r, "bad_row", "id_import_csv", "%d fields, the header has %d", r->nf, ncols);
        return;
    }
    const char *tn = field(r, cols, C_TYPE), *num = field(r, cols, C_NUMBER);
    enum sl_id_type t = sl_id_type_parse(tn);
    if (!t) {
        reject(r, "bad_number", "id_type", "id_type \"%.40s\" is not a known document type",
               tn ? tn : "");
        return;
    }
    const char *why = NULL;
    struct sl_id_info info;
    sl_status st = sl_id_check(t, num ? num : "", today, &why, &info);
    if (st != SL_OK) {
        if (num)
            sl_id_mask(num, r->masked);
        reject(r, "bad_number", sl_status_name((int)st), "the %s check failed",
               why ? why : "format");
        return;
    }
    sl_id_mask(info.normalised, r->masked);
    const char *birth = field(r, cols, C_BIRTH), *sex = field(r, cols, C_SEX);
    if (birth && info.birth_year) {
        char b[16];
        snprintf(b, sizeof b, "%04d-%02d-%02d", info.birth_year, info.birth_month, info.birth_day);
        if (strcmp(b, birth) != 0) {
            reject(r, "bad_number", "id_birth_date", "birth_date differs from the number's");
            return;
        }
    }
    if (sex && info.sex && (sex[0] != info.sex || sex[1])) {
        reject(r, "bad_number", "id_format", "sex differs from the number's (%c)", info.sex);
        return;
    }
    const char *name = field(r, cols, C_NAME);
    if (!name || strlen(name) >= SL_ID_NAME_MAX) {
        reject(r, "bad_row", "invalid", "name missing or longer than %u bytes", SL_ID_NAME_MAX - 1);
        return;
    }
    enum sl_person_status ps = status_of(field(r, cols, C_STATUS));
    if (!ps) {
        reject(r, "bad_row", "invalid", "status: active, deceased or cancelled");
        return;
    }
    const char *photo = field(r, cols, C_PHOTO);
    if (!photo || photo[0] == '/' || strstr(photo, "..")) {
        reject(r, "unreadable_photo", "invalid", "photo: a file name under --photos");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", photos, photo);
    uint8_t *bytes = NULL;
    size_t n = 0;
    st = sl__read_file(path, SL_ID_PHOTO_MAX, &bytes, &n);
    if (st != SL_OK) {
        reject(r, "unreadable_photo", sl_status_name((int)st), "%s: %s", photo, sl_status_str(st));
        return;
    }
    r->p = (struct sl_person_new){
        .id_type = t, .number = num, .name = name,
        .former_names = field(r, cols, C_FORMER), .valid_from = field(r, cols, C_VALID_FROM),
        .valid_to = field(r, cols, C_VALID_TO), .status = ps,
    };
    if (ses) {
        struct sl_id_enrol *e = sl__malloc(sizeof *e);
        st = e ? sl__id_enrol_photo(ses, bytes, n, e) : SL_ERR_NOMEM;
        if (st == SL_OK) {
            memcpy(r->emb, e->emb, sizeof r->emb);
            r->has_emb = true;
        } else if (st == SL_ERR_ID_PHOTO_NO_FACE) {
            reject(r, "no_face", sl_status_name((int)st), "no face in %s", photo);
        } else if (st == SL_ERR_ID_PHOTO_QUALITY) {
            size_t o = 0;
            o += (size_t)snprintf(r->detail, sizeof r->detail, "%s:", photo);
            for (size_t i = 0; i < e->n_reasons && o < sizeof r->detail; i++)
                o += (size_t)snprintf(r->detail + o, sizeof r->detail - o, " %s",
                                      sl_quality_reason_name(e->reasons[i]));
            r->reason = "poor_quality";
            r->code = sl_status_name((int)st);
        } else {
            reject(r, "unreadable_photo", sl_status_name((int)st), "%s: %s", photo,
                   sl_status_str(st));
        }
        sl__free(e);
    }
    /* the photo is sealed with the person */
    if (!r->code) {
        void *copy = sl__malloc(n);
        if (copy) {
            memcpy(copy, bytes, n);
            r->p.photo = copy;
            r->p.photo_n = n;
        }
    }
    sl__free(bytes);
}

/* ============================ Batches =================================== */

struct batch {
    const sl_keyring *k;
    const char *sha;
    struct row *rows;
    size_t n;
    long last_row;
    int64_t accepted, rejected;     /* totals before the batch             */
    int64_t acc_out, rej_out;       /* totals after it (set by the tx)     */
    bool first;                     /* no progress record yet              */
};

static sl_status batch_tx(sl_tx *tx, void *vctx)
{
    struct batch *b = vctx;
    int64_t acc = b->accepted, rej = b->rejected, now = sl__now_ms();
    struct sl_acct_audit au = { .actor_kind = "system", .actor_id = "registry-import",
                                .action = "person.import", .purpose = "registry import" };
    sl_status st = SL_OK;
    for (size_t i = 0; i < b->n && st == SL_OK; i++) {
        struct row *r = &b->rows[i];
        r->tx_code = r->code;
        r->tx_reason = r->reason;
        if (!r->code) {
            struct sl_person_new p = r->p;
            if (r->has_emb) {
                p.tmpl = r->emb;
                p.tmpl_dim = SL_FACE_EMBED_DIM;
            }
            int64_t id = 0;
            st = sl__person_add_tx(tx, b->k, &p, &au, NULL, &id);
            if (st == SL_ERR_ID_PERSON_EXISTS || SL_STATUS_PRIMARY(st) == SL_ERR_INVALID) {
                r->tx_code = sl_status_name((int)st);
                r->tx_reason = st == SL_ERR_ID_PERSON_EXISTS ? "duplicate" : "bad_row";
                st = SL_OK;
            }
        }
        if (st != SL_OK)
            break;
        if (r->tx_code) {
            rej++;
            const char *detail = r->reason ? r->detail
                               : strcmp(r->tx_reason, "duplicate") == 0
                               ? "a person with this document is already in the registry" : "";
            st = sl__tx_exec(tx, "INSERT INTO id_import_reject (csv_sha256, row_no, id_masked,"
                             " code, reason, detail) VALUES (?,?,?,?,?,?)",
                             SL_ARGS(SL_TEXT(b->sha), SL_INT(r->no),
                                     SL_TEXT(r->masked[0] ? r->masked : NULL),
                                     SL_TEXT(r->tx_code), SL_TEXT(r->tx_reason),
                                     SL_TEXT(detail)), NULL);
        } else {
            acc++;
        }
    }
    if (st != SL_OK)
        return st;
    if (b->first)
        st = sl__tx_exec(tx, "INSERT INTO id_import (csv_sha256, rows_done, accepted, rejected,"
                         " started_ms, updated_ms) VALUES (?,?,?,?,?,?)",
                         SL_ARGS(SL_TEXT(b->sha), SL_INT(b->last_row), SL_INT(acc), SL_INT(rej),
                                 SL_INT(now), SL_INT(now)), NULL);
    else
        st = sl__tx_exec(tx, "UPDATE id_import SET rows_done = ?, accepted = ?, rejected = ?,"
                         " updated_ms = ? WHERE csv_sha256 = ?",
                         SL_ARGS(SL_INT(b->last_row), SL_INT(acc), SL_INT(rej), SL_INT(now),
                                 SL_TEXT(b->sha)), NULL);
    b->acc_out = acc;
    b->rej_out = rej;
    return st;
}

struct progress {
    const char *sha;
    bool found, finished;
    long rows_done;
    int64_t accepted, rejected;
};

static sl_status progress_tx(sl_tx *tx, void *vctx)
{
    struct progress *p = vctx;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT rows_done, accepted, rejected, finished_ms FROM"
                                " id_import WHERE csv_sha256 = ?", SL_ARGS(SL_TEXT(p->sha)), &r);
    if (st == SL_OK && sl__rows_count(r)) {
        p->found = true;
        p->rows_done = (long)sl__rows_int(r, 0, 0);
        p->accepted = sl__rows_int(r, 0, 1);
        p->rejected = sl__rows_int(r, 0, 2);
        p->finished = !sl__rows_null(r, 0, 3);
    }
    sl__rows_free(r);
    return st;
}

static sl_status finish_tx(sl_tx *tx, void *vctx)
{
    struct progress *p = vctx;
    int64_t now = sl__now_ms();
    if (!p->found)
        return sl__tx_exec(tx, "INSERT INTO id_import (csv_sha256, rows_done, accepted, rejected,"
                           " started_ms, updated_ms, finished_ms) VALUES (?,0,0,0,?,?,?)",
                           SL_ARGS(SL_TEXT(p->sha), SL_INT(now), SL_INT(now), SL_INT(now)), NULL);
    return sl__tx_exec(tx, "UPDATE id_import SET finished_ms = ?, updated_ms = ? WHERE"
                       " csv_sha256 = ?", SL_ARGS(SL_INT(now), SL_INT(now), SL_TEXT(p->sha)), NULL);
}

struct rejects {
    const char *sha;
    json_t *arr;
};

static sl_status rejects_tx(sl_tx *tx, void *vctx)
{
    struct rejects *x = vctx;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT row_no, id_masked, code, reason, detail FROM"
                                " id_import_reject WHERE csv_sha256 = ? ORDER BY row_no",
                                SL_ARGS(SL_TEXT(x->sha)), &r);
    for (size_t i = 0; st == SL_OK && i < sl__rows_count(r); i++) {
        json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "row", (json_int_t)sl__rows_int(r, i, 0),
                              "code", sl__rows_text(r, i, 2), "reason", sl__rows_text(r, i, 3),
                              "detail", sl__rows_null(r, i, 4) ? "" : sl__rows_text(r, i, 4));
        if (o && !sl__rows_null(r, i, 1))
            json_object_set_new(o, "id_number", json_string(sl__rows_text(r, i, 1)));
        json_array_append_new(x->arr, o);
    }
    sl__rows_free(r);
    return st;
}

static void free_batch(struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i].p.photo) {
            sodium_memzero((void *)rows[i].p.photo, rows[i].p.photo_n);
            sl__free((void *)rows[i].p.photo);
        }
        sodium_memzero(rows[i].emb, sizeof rows[i].emb);
        rows[i].p.photo = NULL;
    }
}

/* ============================ Command =================================== */

static int import(int argc, char **argv)
{
    const char *csv = NULL, *photos = NULL, *data = "data", *db = NULL, *keys = NULL;
    const char *models = NULL, *report = NULL;
    bool resume = false, no_models = false, log_batches = false;
    long batch = 50;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--resume") == 0) { resume = true; continue; }
        if (strcmp(a, "--no-models") == 0) { no_models = true; continue; }
        if (strcmp(a, "--log-batches") == 0) { log_batches = true; continue; }
        if (!v)
            return usage();
        if (strcmp(a, "--csv") == 0) csv = v;
        else if (strcmp(a, "--photos") == 0) photos = v;
        else if (strcmp(a, "--data") == 0) data = v;
        else if (strcmp(a, "--db") == 0) db = v;
        else if (strcmp(a, "--keys") == 0) keys = v;
        else if (strcmp(a, "--models") == 0) models = v;
        else if (strcmp(a, "--report") == 0) report = v;
        else if (strcmp(a, "--batch") == 0) {
            if (!sl_cli_parse_long(v, 1, 10000, &batch))
                return sl_cli_usage_error("registry import", "--batch: 1..10000 rows");
        } else return usage();
        i++;
    }
    if (!csv || !photos)
        return sl_cli_usage_error("registry import", "--csv FILE and --photos DIR are required");
    uint8_t *text = NULL;
    size_t tn = 0;
    sl_status st = sl__read_file(csv, CSV_MAX, &text, &tn);
    if (st != SL_OK)
        return sl_cli_fail(st, "registry import", "cannot read %s", csv);
    uint8_t h[crypto_hash_sha256_BYTES];
    char sha[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(h, text, tn);
    sodium_bin2hex(sha, sizeof sha, h, sizeof h);

    /* header */
    const char *p = (const char *)text, *e = p + tn;
    if (tn >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    struct row *hdr = sl__calloc(1, sizeof *hdr);
    int cols[C_N];
    for (int c = 0; c < C_N; c++)
        cols[c] = -1;
    int ncols = hdr ? csv_record(&p, e, hdr->buf, sizeof hdr->buf, hdr->f, MAX_COLS) : -1;
    int rc = -1;
    for (int i = 0; i < ncols && rc < 0; i++) {
        int c = 0;
        while (c < C_N && strcmp(hdr->f[i], col_names[c]) != 0)
            c++;
        if (c == C_N || cols[c] >= 0)
            rc = sl_cli_fail(SL_ERR_ID_IMPORT_CSV, "registry import", "%s: header column %d "
                             "\"%.40s\" is %s", csv, i + 1, hdr->f[i],
                             c == C_N ? "not a known column" : "repeated");
        else
            cols[c] = i;
    }
    if (rc < 0 && (ncols < 0 || cols[C_TYPE] < 0 || cols[C_NUMBER] < 0 || cols[C_NAME] < 0 ||
                   cols[C_PHOTO] < 0))
        rc = sl_cli_fail(SL_ERR_ID_IMPORT_CSV, "registry import", "%s: the header must name "
                         "id_type,id_number,name,photo (and may name sex,birth_date,valid_to,"
                         "valid_from,former_names,status)", csv);
    sl__free(hdr);
    if (rc >= 0) {
        sl__free(text);
        return rc == 1 ? 2 : rc;
    }
    const char *body = p;
    size_t total = 0;
    for (const char *q = body; q < e;) {
        const char *nl = memchr(q, '\n', (size_t)(e - q));
        if (!blank_line(q, e))
            total++;
        q = nl ? nl + 1 : e;
    }

    sl_store *s = NULL;
    sl_keyring *k = NULL;
    sl_acct *a = NULL;
    rc = sl_cli_server_open(data, db, keys, NULL, false, NULL, &s, &k, &a, "registry import");
    if (rc >= 0) {
        sl__free(text);
        return rc;
    }
    struct progress pg = { .sha = sha };
    st = sl__store_run_read(s, progress_tx, &pg);
    sl_face_engine *eng = NULL;
    sl_face_session *ses = NULL;
    struct row *rows = NULL;
    json_t *rej = NULL;
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "registry import", "store: %s", sl_status_str(st));
        goto out;
    }
    if (pg.found && !resume) {
        rc = sl_cli_fail(SL_ERR_STATE, "registry import", "%s was imported before (%s at row "
                         "%ld): run the same command with --resume", csv,
                         pg.finished ? "finished" : "interrupted", pg.rows_done);
        goto out;
    }
    if (!no_models) {
        sl_face_engine_opts eo = sl_face_engine_opts_default();
        const char *env = getenv("SL_MODELS");
        eo.models_dir = models ? models : env ? env : "models";
        eo.models = SL_FM_CORE | SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_EYE);
        char err[512] = "";
        st = sl_face_engine_new(&eng, &eo, err, sizeof err);
        if (st == SL_OK)
            st = sl_face_session_new(&ses, eng);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, "registry import", "face engine: %s (--no-models imports "
                             "without templates)", err[0] ? err : sl_status_str(st));
            goto out;
        }
    } else {
        sl_log_warn("registry import: --no-models: persons are added without face templates");
    }
    rows = sl__calloc((size_t)batch, sizeof *rows);
    if (!rows) {
        rc = sl_cli_fail(SL_ERR_NOMEM, "registry import", "out of memory");
        goto out;
    }
    char today[32];
    sl_time_iso8601(today, sizeof today, sl__now_ms());
    today[10] = 0;
    struct sl_cli_progress pr;
    sl_cli_progress_init(&pr, "import");
    long row_no = 0, resumed_from = pg.found ? pg.rows_done : 0;
    int64_t accepted = pg.accepted, rejected = pg.rejected;
    bool first = !pg.found;
    const char *q = body;
    while (rc < 0 && !pg.finished) {
        size_t n = 0;
        while (n < (size_t)batch && q < e) {
            if (blank_line(q, e)) {
                const char *nl = memchr(q, '\n', (size_t)(e - q));
                q = nl ? nl + 1 : e;
                continue;
            }
            row_no++;
            struct row *r = &rows[n];
            memset(r, 0, sizeof *r);
            r->no = row_no;
            r->nf = csv_record(&q, e, r->buf, sizeof r->buf, r->f, MAX_COLS);
            if (row_no <= pg.rows_done)
                continue;   /* committed before the interruption */
            if (r->nf < 0)
                reject(r, "bad_row", "id_import_csv", "malformed quoting");
            else
                prepare(r, cols, ncols, photos, ses, today);
            n++;
        }
        if (n == 0)
            break;
        struct batch b = { .k = k, .sha = sha, .rows = rows, .n = n, .last_row = rows[n - 1].no,
                           .accepted = accepted, .rejected = rejected, .first = first };
        st = sl__store_run(s, batch_tx, &b);
        free_batch(rows, n);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, "registry import", "store: %s (committed up to row %ld; "
                             "run again with --resume)", sl_status_str(st),
                             first ? 0L : (long)pg.rows_done);
            break;
        }
        first = false;
        pg.found = true;
        pg.rows_done = b.last_row;
        accepted = b.acc_out;
        rejected = b.rej_out;
        if (log_batches)
            fprintf(stderr, "registry import: committed rows ..%ld (%lld accepted, %lld rejected)\n",
                    b.last_row, (long long)accepted, (long long)rejected);
        sl_cli_progress_update(&pr, (size_t)row_no, total, (size_t)rejected, false);
    }
    if (rc >= 0)
        goto out;
    sl_cli_progress_update(&pr, (size_t)row_no, total, (size_t)rejected, true);
    if (!pg.finished && (st = sl__store_run(s, finish_tx, &pg)) != SL_OK) {
        rc = sl_cli_fail(st, "registry import", "store: %s", sl_status_str(st));
        goto out;
    }
    rej = json_array();
    struct rejects rx = { sha, rej };
    st = rej ? sl__store_run_read(s, rejects_tx, &rx) : SL_ERR_NOMEM;
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "registry import", "store: %s", sl_status_str(st));
        goto out;
    }
    json_t *rep = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:O}", "csv", csv, "sha256", sha,
                            "rows", (json_int_t)total, "accepted", (json_int_t)accepted,
                            "rejected_count", (json_int_t)rejected,
                            "resumed_from_row", (json_int_t)resumed_from,
                            "templates", ses != NULL, "rejected", rej);
    char *out = rep ? json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(rep);
    if (!out) {
        rc = sl_cli_fail(SL_ERR_NOMEM, "registry import", "out of memory");
        goto out;
    }
    if (report) {
        FILE *f = fopen(report, "w");
        bool ok = f && fputs(out, f) >= 0 && fputc('\n', f) != EOF;
        ok = (f && fclose(f) == 0) && ok;
        if (!ok)
            rc = sl_cli_fail(SL_ERR_IO, "registry import", "cannot write %s", report);
    } else {
        printf("%s\n", out);
    }
    free(out);
    if (rc < 0)
        rc = 0;
out:
    json_decref(rej);
    sl__free(rows);
    sl_face_session_free(ses);
    sl_face_engine_free(eng);
    sl__acct_free(a);
    sl__store_close(s);
    sl__keyring_free(k);
    sl__free(text);
    return rc;
}

int cmd_registry(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "import") != 0)
        return usage();
    return import(argc, argv);
}
