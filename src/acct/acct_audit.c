/*
 * acct_audit.c -- the bridge from acct (and through it the HTTP layer) to
 * the audit module (src/audit/audit.h): records are appended with
 * sl__audit_append in the caller's transaction, so a record commits with
 * the change it describes; queries go through sl__audit_query.
 *
 * No full ID number reaches a record: actor and object ids are passed
 * through sl_mask_ids_in (a username may be an ID number), and a person
 * filter given as an ID number is turned into its blind index.
 */
#include <string.h>

#include "acct/acct_int.h"
#include "audit/audit.h"

/* Copies s into buf with ID numbers masked; NULL stays NULL. */
static const char *masked(char *buf, size_t cap, const char *s)
{
    if (!s)
        return NULL;
    snprintf(buf, cap, "%s", s);
    sl_mask_ids_in(buf);
    return buf;
}

sl_status sl__acct_audit_tx(sl_acct *a, sl_tx *tx, const struct sl_acct_audit *au,
                            const char *outcome)
{
    if (!au)
        return SL_OK;
    char actor[128], object[128];
    struct sl_audit_rec r = {
        .actor_kind = au->actor_kind ? au->actor_kind : "system",
        .actor_id = masked(actor, sizeof actor, au->actor_id),
        .action = au->action ? au->action : "unknown",
        .object_type = au->object_type,
        .object_id = masked(object, sizeof object, au->object_id),
        .id_masked = au->id_masked,
        .purpose = au->purpose,
        .outcome = au->outcome ? au->outcome : outcome ? outcome : "ok",
        .request_id = au->request_id,
        .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, a->keys, &r, NULL);
}

static bool is_id_number(const char *s)
{
    size_t n = strlen(s);
    if (n != 15 && n != 18)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (!digit && !(i == 17 && (s[i] == 'X' || s[i] == 'x')))
            return false;
    }
    return true;
}

struct query_ctx { struct sl_audit_filter f; json_t *out; };

static sl_status query_fn(sl_tx *tx, void *ctx)
{
    struct query_ctx *c = ctx;
    json_decref(c->out);
    c->out = NULL;
    return sl__audit_query(tx, &c->f, &c->out);
}

sl_status sl__acct_audit_query(sl_acct *a, const char *person, const char *action,
                               int64_t from_ms, int64_t to_ms, size_t limit, json_t **out)
{
    char idx_hex[2 * SL_CRYPTO_HASH_BYTES + 1];
    if (person && is_id_number(person)) {
        uint8_t idx[SL_CRYPTO_HASH_BYTES];
        char up[19];
        snprintf(up, sizeof up, "%s", person);
        if (up[17] == 'x')
            up[17] = 'X';
        sl_status st = sl__mac(a->keys, "id_number", up, strlen(up), idx);
        if (st == SL_OK)
            st = sl__hex_encode(idx_hex, sizeof idx_hex, idx, sizeof idx);
        if (st != SL_OK)
            return st;
        person = idx_hex;
    }
    struct query_ctx c = { .f = { .person = person, .action = action, .from_ms = from_ms,
                                  .to_ms = to_ms, .limit = (int)SL_MIN(limit, 1000) } };
    sl_status st = sl__store_run_read(a->store, query_fn, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}
