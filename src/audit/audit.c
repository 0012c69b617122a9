/*
 * audit.c -- the hash-chained audit log (audit.h): append with signed
 * checkpoints, verification that names the first damaged record, queries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"

#define HASH SL_CRYPTO_HASH_BYTES
static const char mac_purpose[] = "audit chain";
static const char rec_tag[] = "shualian-audit-v1";
static const char cp_tag[] = "shualian-audit-checkpoint-v1";

/* ============================ Encoding ==================================== */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static sl_status add_u64(struct sl_buf *b, uint64_t v)
{
    uint8_t x[8];
    put_u64(x, v);
    return sl_buf_append(b, x, 8);
}

/* F(x): u32be length || bytes, or 0xffffffff for NULL */
static sl_status add_field(struct sl_buf *b, const void *p, size_t n)
{
    uint8_t x[4];
    put_u32(x, p ? (uint32_t)n : 0xffffffffu);
    sl_status st = sl_buf_append(b, x, 4);
    if (st == SL_OK && p && n)
        st = sl_buf_append(b, p, n);
    return st;
}

static sl_status add_text(struct sl_buf *b, const char *s)
{
    return add_field(b, s, s ? strlen(s) : 0);
}

/* hash_n = MAC_k("audit chain", M_n); see audit.h for M_n. */
static sl_status rec_mac(const sl_keyring *k, int64_t seq, const uint8_t prev[HASH],
                         const struct sl_audit_rec *r, uint8_t out[HASH])
{
    struct sl_buf b;
    sl_buf_init(&b, (size_t)16 * SL_AUDIT_FIELD_MAX + 256);
    sl_status st = sl_buf_append(&b, rec_tag, sizeof(rec_tag) - 1);
    if (st == SL_OK) st = add_u64(&b, (uint64_t)seq);
    if (st == SL_OK) st = sl_buf_append(&b, prev, HASH);
    if (st == SL_OK) st = add_u64(&b, (uint64_t)r->at_ms);
    if (st == SL_OK) st = add_text(&b, r->actor_kind);
    if (st == SL_OK) st = add_text(&b, r->actor_id);
    if (st == SL_OK) st = add_text(&b, r->action);
    if (st == SL_OK) st = add_text(&b, r->object_type);
    if (st == SL_OK) st = add_text(&b, r->object_id);
    if (st == SL_OK) st = add_text(&b, r->id_masked);
    if (st == SL_OK) st = add_field(&b, r->person_idx, r->person_idx ? HASH : 0);
    if (st == SL_OK) st = add_text(&b, r->purpose);
    if (st == SL_OK) st = add_text(&b, r->outcome);
    if (st == SL_OK) st = add_text(&b, r->request_id);
    if (st == SL_OK)
        st = sl__mac(k, mac_purpose, b.data, b.len, out);
    sl_buf_free(&b);
    return st;
}

static void cp_message(uint8_t msg[sizeof(cp_tag) - 1 + 8 + HASH + 8], int64_t seq,
                       const uint8_t hash[HASH], int64_t at_ms)
{
    size_t o = sizeof(cp_tag) - 1;
    memcpy(msg, cp_tag, o);
    put_u64(msg + o, (uint64_t)seq);
    memcpy(msg + o + 8, hash, HASH);
    put_u64(msg + o + 8 + HASH, (uint64_t)at_ms);
}
#define CP_MSG_BYTES (sizeof(cp_tag) - 1 + 8 + HASH + 8)

static void hex(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* ============================ Append ====================================== */

static bool field_ok(const char *s, bool required)
{
    if (!s)
        return !required;
    size_t n = strlen(s);
    return n <= SL_AUDIT_FIELD_MAX && (n > 0 || !required);
}

struct head {
    int64_t seq;
    uint8_t hash[HASH];       /* zeros when seq == 0 */
    int64_t cp_seq;
    int64_t cp_ms;
};

static sl_status head_read(sl_tx *tx, struct head *h)
{
    memset(h, 0, sizeof(*h));
    sl_rows *r;
    sl_status st = sl__tx_query(tx, "SELECT seq, hash, cp_seq, cp_ms FROM audit_head WHERE id = 1",
                                NULL, 0, &r);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(r) == 1) {
        h->seq = sl__rows_int(r, 0, 0);
        size_t n = 0;
        const void *p = sl__rows_blob(r, 0, 1, &n);
        if (p && n == HASH)
            memcpy(h->hash, p, HASH);
        else if (h->seq != 0)
            st = SL_ERR_AUDIT_BROKEN;          /* head hash missing/wrong size */
        h->cp_seq = sl__rows_int(r, 0, 2);
        h->cp_ms = sl__rows_int(r, 0, 3);
    } else {
        st = SL_ERR_NOT_FOUND;                 /* made by migration 50: deleted */
    }
    sl__rows_free(r);
    return st;
}

static sl_status write_checkpoint(sl_tx *tx, const sl_keyring *k, int64_t seq,
                                  const uint8_t hash[HASH], int64_t at_ms)
{
    uint8_t msg[CP_MSG_BYTES], sig[SL_CRYPTO_SIG_BYTES];
    cp_message(msg, seq, hash, at_ms);
    sl_status st = sl__sign(k, msg, sizeof(msg), sig);
    if (st != SL_OK)
        return st;
    st = sl__tx_exec(tx, "INSERT INTO audit_checkpoint (seq, hash, at_ms, sig) VALUES (?, ?, ?, ?)",
                     SL_ARGS(SL_INT(seq), SL_BLOB(hash, HASH), SL_INT(at_ms),
                             SL_BLOB(sig, sizeof(sig))), NULL);
    if (st == SL_OK) {
        char hh[2 * HASH + 1], sh[2 * SL_CRYPTO_SIG_BYTES + 1];
        hex(hh, hash, HASH);
        hex(sh, sig, sizeof(sig));
        /* an outside copy of the checkpoint (audit.h): keep these lines */
        sl_log_info("audit checkpoint seq=%" PRId64 " at_ms=%" PRId64 " hash=%s sig=%s",
                    seq, at_ms, hh, sh);
    }
    return st;
}

sl_status sl__audit_append(sl_tx *tx, const sl_keyring *k,
                           const struct sl_audit_rec *r, int64_t *seq)
{
    if (!r || !k || !field_ok(r->actor_kind, true) || !field_ok(r->action, true) ||
        !field_ok(r->outcome, true) || !field_ok(r->actor_id, false) ||
        !field_ok(r->object_type, false) || !field_ok(r->object_id, false) ||
        !field_ok(r->id_masked, false) || !field_ok(r->purpose, false) ||
        !field_ok(r->request_id, false))
        return SL_ERR_AUDIT_FIELD;
    struct head h;
    sl_status st = head_read(tx, &h);
    if (st == SL_ERR_NOT_FOUND)
        st = SL_ERR_AUDIT_BROKEN;
    if (st != SL_OK)
        return st;
    int64_t n = h.seq + 1;
    uint8_t hash[HASH];
    st = rec_mac(k, n, h.hash, r, hash);
    if (st != SL_OK)
        return st;
    bool cp_due = n - h.cp_seq >= SL_AUDIT_CP_RECORDS || r->at_ms - h.cp_ms >= SL_AUDIT_CP_MS;
    if (cp_due) {
        h.cp_seq = n;
        h.cp_ms = r->at_ms;
    }
    /* The head first: on PostgreSQL a concurrent append then fails here
     * with a serialization failure (retried), not later with a duplicate
     * record number (a constraint error, which is not retried). */
    st = sl__tx_exec(tx, "UPDATE audit_head SET seq = ?, hash = ?, cp_seq = ?, cp_ms = ? WHERE id = 1",
                     SL_ARGS(SL_INT(n), SL_BLOB(hash, HASH), SL_INT(h.cp_seq), SL_INT(h.cp_ms)),
                     NULL);
    if (st != SL_OK)
        return st;
    st = sl__tx_exec(tx,
        "INSERT INTO audit_log (seq, at_ms, actor_kind, actor_id, action, object_type, "
        "object_id, id_masked, person_idx, purpose, outcome, request_id, prev, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        SL_ARGS(SL_INT(n), SL_INT(r->at_ms), SL_TEXT(r->actor_kind), SL_TEXT(r->actor_id),
                SL_TEXT(r->action), SL_TEXT(r->object_type), SL_TEXT(r->object_id),
                SL_TEXT(r->id_masked),
                r->person_idx ? SL_BLOB(r->person_idx, HASH) : SL_NULL,
                SL_TEXT(r->purpose), SL_TEXT(r->outcome), SL_TEXT(r->request_id),
                SL_BLOB(h.hash, HASH), SL_BLOB(hash, HASH)), NULL);
    if (st == SL_OK && cp_due)
        st = write_checkpoint(tx, k, n, hash, r->at_ms);
    if (st == SL_OK && seq)
        *seq = n;
    return st;
}

sl_status sl__audit_checkpoint(sl_tx *tx, const sl_keyring *k, int64_t now_ms)
{
    struct head h;
    sl_status st = head_read(tx, &h);
    if (st == SL_ERR_NOT_FOUND)
        st = SL_ERR_AUDIT_BROKEN;
    if (st != SL_OK || h.seq == 0 || h.cp_seq == h.seq)
        return st;
    st = write_checkpoint(tx, k, h.seq, h.hash, now_ms);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE audit_head SET cp_seq = ?, cp_ms = ? WHERE id = 1",
                         SL_ARGS(SL_INT(h.seq), SL_INT(now_ms)), NULL);
    return st;
}

/* ============================ Verify ====================================== */

#define BATCH 500
#define MAX_SHIFT 3           /* renumbered-delete detection looks this far */

static const char rec_cols[] =
    "seq, at_ms, actor_kind, actor_id, action, object_type, object_id, id_masked, "
    "person_idx, purpose, outcome, request_id, prev, hash";

/* One record as the verifier sees it. */
struct vrow {
    int64_t seq;
    uint8_t prev[HASH];
    uint8_t hash[HASH];
    bool    mac_ok;           /* MAC matches at its own record number       */
    bool    mac_shifted;      /* ... or at seq + 1..MAX_SHIFT (renumbered)  */
};

static bool blob32(const sl_rows *r, size_t i, size_t c, uint8_t out[HASH])
{
    size_t n = 0;
    const void *p = sl__rows_blob(r, i, c, &n);
    if (!p || n != HASH) {
        memset(out, 0, HASH);
        return false;
    }
    memcpy(out, p, HASH);
    return true;
}

static sl_status load_row(const sl_keyring *k, const sl_rows *r, size_t i, struct vrow *v)
{
    v->seq = sl__rows_int(r, i, 0);
    bool prev_ok = blob32(r, i, 12, v->prev);     /* both always copied */
    bool hash_ok = blob32(r, i, 13, v->hash);
    bool shapes = prev_ok && hash_ok;
    size_t pn = 0;
    const uint8_t *pidx = sl__rows_blob(r, i, 8, &pn);
    struct sl_audit_rec rec = {
        .at_ms = sl__rows_int(r, i, 1),
        .actor_kind = sl__rows_text(r, i, 2), .actor_id = sl__rows_text(r, i, 3),
        .action = sl__rows_text(r, i, 4), .object_type = sl__rows_text(r, i, 5),
        .object_id = sl__rows_text(r, i, 6), .id_masked = sl__rows_text(r, i, 7),
        .person_idx = pidx && pn == HASH ? pidx : NULL,
        .purpose = sl__rows_text(r, i, 9), .outcome = sl__rows_text(r, i, 10),
        .request_id = sl__rows_text(r, i, 11),
    };
    v->mac_ok = v->mac_shifted = false;
    if (pidx && pn != HASH)
        shapes = false;
    if (!shapes)
        return SL_OK;                         /* a malformed row: not ok */
    uint8_t m[HASH];
    sl_status st = rec_mac(k, v->seq, v->prev, &rec, m);
    if (st != SL_OK)
        return st;
    v->mac_ok = sl__ct_equal(m, v->hash, HASH);
    for (int d = 1; !v->mac_ok && d <= MAX_SHIFT && st == SL_OK; d++) {
        st = rec_mac(k, v->seq + d, v->prev, &rec, m);
        v->mac_shifted = st == SL_OK && sl__ct_equal(m, v->hash, HASH);
        if (v->mac_shifted)
            break;
    }
    return st;
}

struct walk {
    struct sl_audit_report *rep;
    int64_t expect_seq;       /* next record number expected               */
    uint8_t expect_prev[HASH];
    int64_t last_seq;         /* last good record                          */
    uint8_t last_hash[HASH];
    const int64_t *cp_seq;    /* checkpoints (sorted), their hashes         */
    const uint8_t (*cp_hash)[HASH];
    size_t  n_cp, next_cp;
    int64_t head;
};

static void damage(struct sl_audit_report *rep, int64_t seq, const char *kind, const char *detail)
{
    if (!rep->ok && rep->first_bad <= seq)
        return;                               /* keep the first one */
    rep->ok = false;
    rep->first_bad = seq;
    rep->kind = kind;
    snprintf(rep->detail, sizeof(rep->detail), "record %" PRId64 ": %s", seq, detail);
}

/* Judges p given its successor nx (NULL at the end). false: stop. */
static bool judge(struct walk *w, const struct vrow *p, const struct vrow *nx)
{
    struct sl_audit_report *rep = w->rep;
    if (p->seq != w->expect_seq) {
        damage(rep, w->expect_seq, "deleted", "missing: the record numbers jump");
        return false;
    }
    bool link = memcmp(p->prev, w->expect_prev, HASH) == 0;
    bool next_skips = nx && memcmp(nx->prev, w->expect_prev, HASH) == 0;
    if (p->mac_ok && link) {
        while (w->next_cp < w->n_cp && w->cp_seq[w->next_cp] < p->seq)
            w->next_cp++;
        for (; w->next_cp < w->n_cp && w->cp_seq[w->next_cp] == p->seq; w->next_cp++) {
            if (memcmp(w->cp_hash[w->next_cp], p->hash, HASH) != 0) {
                damage(rep, p->seq, "edited",
                       "differs from its checkpoint or anchor (chain rewritten)");
                return false;
            }
        }
        memcpy(w->expect_prev, p->hash, HASH);
        memcpy(w->last_hash, p->hash, HASH);
        w->last_seq = p->seq;
        w->expect_seq++;
        rep->records++;
        return true;
    }
    if (nx && memcmp(p->prev, nx->hash, HASH) == 0)
        damage(rep, p->seq, "reordered", "links to the record after it");
    else if (next_skips || (!nx && link && p->seq > w->head))
        damage(rep, p->seq, "inserted", "not part of the chain (the chain goes around it)");
    else if (!link && p->mac_shifted)
        damage(rep, p->seq, "deleted", "missing: the records after it were renumbered");
    else
        damage(rep, p->seq, "edited", link ? "content does not match its MAC"
                                           : "does not link to the record before it");
    return false;
}

/* Loads the checkpoints and checks their signatures. */
static sl_status load_checkpoints(sl_tx *tx, const sl_keyring *k, struct sl_audit_report *rep,
                                  int64_t **seqs, uint8_t (**hashes)[HASH], size_t *n)
{
    *seqs = NULL;
    *hashes = NULL;
    *n = 0;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT seq, hash, at_ms, sig FROM audit_checkpoint ORDER BY seq",
                                NULL, 0, &r);
    if (st != SL_OK)
        return st;
    size_t cnt = sl__rows_count(r);
    *seqs = sl__calloc(cnt ? cnt : 1, sizeof(**seqs));
    *hashes = sl__calloc(cnt ? cnt : 1, sizeof(**hashes));
    if (!*seqs || !*hashes) {
        sl__rows_free(r);
        return SL_ERR_NOMEM;
    }
    for (size_t i = 0; i < cnt; i++) {
        int64_t seq = sl__rows_int(r, i, 0);
        uint8_t h[HASH], msg[CP_MSG_BYTES];
        size_t sn = 0;
        const uint8_t *sig = sl__rows_blob(r, i, 3, &sn);
        bool good = blob32(r, i, 1, h) && sig;
        if (good) {
            cp_message(msg, seq, h, sl__rows_int(r, i, 2));
            good = sl__verify(k, msg, sizeof(msg), sig, sn) == SL_OK;
        }
        if (!good) {
            damage(rep, seq, "checkpoint", "the checkpoint's signature does not verify");
            continue;
        }
        (*seqs)[*n] = seq;
        memcpy((*hashes)[*n], h, HASH);
        (*n)++;
        rep->checkpoints++;
    }
    sl__rows_free(r);
    return SL_OK;
}

/* Adds the anchor's (seq, hash) to the sorted checkpoint arrays. */
static sl_status add_anchor(const struct sl_audit_anchor *a, int64_t **seqs,
                            uint8_t (**hashes)[HASH], size_t *n)
{
    int64_t *ns = sl__realloc(*seqs, (*n + 1) * sizeof(**seqs));
    if (!ns)
        return SL_ERR_NOMEM;
    *seqs = ns;
    uint8_t (*nh)[HASH] = sl__realloc(*hashes, (*n + 1) * sizeof(**hashes));
    if (!nh)
        return SL_ERR_NOMEM;
    *hashes = nh;
    size_t i = *n;
    while (i > 0 && ns[i - 1] > a->seq) {
        ns[i] = ns[i - 1];
        memcpy(nh[i], nh[i - 1], HASH);
        i--;
    }
    ns[i] = a->seq;
    memcpy(nh[i], a->hash, HASH);
    (*n)++;
    return SL_OK;
}

sl_status sl__audit_verify(sl_store *s, const sl_keyring *k,
                           const struct sl_audit_anchor *anchor,
                           struct sl_audit_report *rep)
{
    int64_t expect_min = anchor ? anchor->seq : 0;
    memset(rep, 0, sizeof(*rep));
    rep->ok = true;
    struct walk w = { .rep = rep, .expect_seq = 1 };
    int64_t *cps = NULL;
    uint8_t (*cph)[HASH] = NULL;
    size_t ncp = 0;
    struct head h = { 0 };
    /* One snapshot for the head, what lies beyond it and the checkpoints:
     * appends running meanwhile change all three together. The records
     * are then read up to that head, in batches (later appends are not
     * looked at). */
    sl_tx *tx;
    sl_status st = sl__tx_begin_read(s, &tx);
    if (st == SL_OK) {
        st = head_read(tx, &h);
        if (st == SL_ERR_AUDIT_BROKEN) {
            damage(rep, h.seq, "edited", "the head row's hash is malformed");
            st = SL_OK;
        } else if (st == SL_ERR_NOT_FOUND) {
            h.seq = -1;                       /* judged at the end */
            st = SL_OK;
        }
        int64_t beyond = 0;
        if (st == SL_OK && h.seq >= 0)
            st = sl__tx_query_int(tx, "SELECT COALESCE(MIN(seq), 0) FROM audit_log WHERE seq > ?",
                                  SL_ARGS(SL_INT(h.seq)), &beyond);
        if (st == SL_OK && beyond > 0)
            damage(rep, beyond, "inserted", "a record beyond the head");
        if (st == SL_OK)
            st = load_checkpoints(tx, k, rep, &cps, &cph, &ncp);
        sl__tx_rollback(tx);                 /* never write while verifying */
    }
    if (st == SL_OK && anchor && anchor->has_hash && anchor->seq > 0)
        st = add_anchor(anchor, &cps, &cph, &ncp);
    w.cp_seq = cps;
    w.cp_hash = (const uint8_t (*)[HASH])cph;
    w.n_cp = ncp;
    w.head = h.seq;
    rep->head = h.seq;

    struct vrow pend, cur;
    bool have_pend = false, go = true;
    int64_t after = 0;
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT %s FROM audit_log WHERE seq > ? AND seq <= ? "
             "ORDER BY seq LIMIT %d", rec_cols, BATCH);
    int64_t bound = h.seq >= 0 ? h.seq : INT64_MAX;
    while (st == SL_OK && go) {
        sl_rows *r = NULL;
        st = sl__tx_begin_read(s, &tx);
        if (st != SL_OK)
            break;
        st = sl__tx_query(tx, sql, SL_ARGS(SL_INT(after), SL_INT(bound)), &r);
        sl__tx_rollback(tx);
        if (st != SL_OK)
            break;
        size_t cnt = sl__rows_count(r);
        for (size_t i = 0; i < cnt && go && st == SL_OK; i++) {
            st = load_row(k, r, i, &cur);
            if (st != SL_OK)
                break;
            after = cur.seq;
            if (have_pend)
                go = judge(&w, &pend, &cur);
            pend = cur;
            have_pend = true;
        }
        sl__rows_free(r);
        if (cnt < BATCH)
            break;
    }
    if (st == SL_OK && go && have_pend)
        go = judge(&w, &pend, NULL);
    if (st == SL_OK && go) {
        /* the end: head, checkpoints and the caller's number against it */
        int64_t last = w.last_seq;
        if (h.seq < 0)
            damage(rep, last + 1, "truncated", "the head row is missing");
        else if (h.seq > last)
            damage(rep, last + 1, "truncated", "the head names records that are not there");
        else if (h.seq < last)
            damage(rep, h.seq + 1, "inserted", "records beyond the head");
        else if (last > 0 && memcmp(h.hash, w.last_hash, HASH) != 0)
            damage(rep, last, "edited", "the head's hash differs from the last record's");
        if (ncp && cps[ncp - 1] > last)
            damage(rep, last + 1, "truncated", "a checkpoint names records that are not there");
        if (expect_min > last)
            damage(rep, last + 1, "truncated", "fewer records than the anchor names");
    }
    sl__free(cps);
    sl__free(cph);
    if (!rep->ok)
        sl_log_warn("audit chain damaged: %s (%s)", rep->detail, rep->kind);
    return st;
}

/* ============================ Query ======================================= */

static bool is_hex64(const char *s)
{
    if (strlen(s) != 2 * HASH)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return false;
    return true;
}

static json_t *text_or_null(const sl_rows *r, size_t i, size_t c)
{
    const char *s = sl__rows_text(r, i, c);
    return s ? json_string(s) : json_null();
}

sl_status sl__audit_query(sl_tx *tx, const struct sl_audit_filter *f, json_t **out)
{
    *out = NULL;
    struct sl_audit_filter none = { 0 };
    if (!f)
        f = &none;
    int limit = f->limit == 0 ? 100 : f->limit;
    if (limit < 1 || limit > 1000)
        return SL_ERR_INVALID;
    /* the SQL is fixed fragments only; every value is a parameter */
    char sql[768];
    sl_val args[8];
    size_t n = 0;
    uint8_t pidx[HASH];
    int w = snprintf(sql, sizeof(sql), "SELECT %s FROM audit_log WHERE seq > ?", rec_cols);
    args[n++] = SL_INT(f->after_seq);
    if (f->person && *f->person) {
        if (is_hex64(f->person)) {
            if (sl__hex_decode(pidx, HASH, f->person) != SL_OK)
                return SL_ERR_INVALID;
            w += snprintf(sql + w, sizeof(sql) - (size_t)w, " AND person_idx = ?");
            args[n++] = SL_BLOB(pidx, HASH);
        } else {
            w += snprintf(sql + w, sizeof(sql) - (size_t)w, " AND id_masked = ?");
            args[n++] = SL_TEXT(f->person);
        }
    }
    if (f->action && *f->action) {
        w += snprintf(sql + w, sizeof(sql) - (size_t)w, " AND action = ?");
        args[n++] = SL_TEXT(f->action);
    }
    if (f->actor_id && *f->actor_id) {
        w += snprintf(sql + w, sizeof(sql) - (size_t)w, " AND actor_id = ?");
        args[n++] = SL_TEXT(f->actor_id);
    }
    if (f->from_ms) {
        w += snprintf(sql + w, sizeof(sql) - (size_t)w, " AND at_ms >= ?");
        args[n++] = SL_INT(f->from_ms);
    }
    if (f->to_ms) {
        w += snprintf(sql + w, sizeof(sql) - (size_t)w, " AND at_ms < ?");
        args[n++] = SL_INT(f->to_ms);
    }
    snprintf(sql + w, sizeof(sql) - (size_t)w, " ORDER BY seq LIMIT ?");
    args[n++] = SL_INT(limit);

    sl_rows *r;
    sl_status st = sl__tx_query(tx, sql, args, n, &r);
    if (st != SL_OK)
        return st;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < sl__rows_count(r); i++) {
        char at[32], hh[2 * HASH + 1] = "";
        int64_t at_ms = sl__rows_int(r, i, 1);
        sl_time_iso8601(at, sizeof(at), at_ms);
        uint8_t h[HASH];
        if (blob32(r, i, 13, h))
            hex(hh, h, HASH);
        json_t *o = json_pack("{s:I,s:s,s:I,s:{s:o,s:o},s:o,s:{s:o,s:o},s:o,s:o,s:o,s:o,s:s}",
            "seq", (json_int_t)sl__rows_int(r, i, 0), "at", at, "at_ms", (json_int_t)at_ms,
            "actor", "kind", text_or_null(r, i, 2), "id", text_or_null(r, i, 3),
            "action", text_or_null(r, i, 4),
            "object", "type", text_or_null(r, i, 5), "id", text_or_null(r, i, 6),
            "id_masked", text_or_null(r, i, 7), "purpose", text_or_null(r, i, 9),
            "outcome", text_or_null(r, i, 10), "request_id", text_or_null(r, i, 11),
            "hash", hh);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    sl__rows_free(r);
    if (!arr)
        return SL_ERR_NOMEM;
    *out = arr;
    return SL_OK;
}
