/*
 * acct_audit.c -- the bridge from acct (and through it the HTTP layer) to
 * the audit module: records are appended in the caller's transaction.
 *
 * INTERIM: until branch store's audit module (src/audit/, sl__audit_append
 * and sl__audit_query) is merged, records are written as JSON lines to the
 * log ("kind":"audit") and the query answers an empty list. The signatures
 * here do not change at the merge.
 */
#include <stdio.h>
#include <stdlib.h>

#include "acct/acct_int.h"

sl_status sl__acct_audit_tx(sl_acct *a, sl_tx *tx, const struct sl_acct_audit *au,
                            const char *outcome)
{
    (void)a;
    (void)tx;
    if (!au)
        return SL_OK;
    char ts[32];
    sl_time_iso8601(ts, sizeof ts, sl__now_ms());
    json_t *o = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}",
                          "ts", ts, "kind", "audit", "actor_kind", au->actor_kind,
                          "actor_id", au->actor_id, "action", au->action,
                          "object_type", au->object_type, "object_id", au->object_id,
                          "id_masked", au->id_masked,
                          "outcome", au->outcome ? au->outcome : outcome,
                          "request_id", au->request_id);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(o);
    if (!line)
        return SL_ERR_NOMEM;
    fprintf(stderr, "%s\n", line);
    free(line);
    return SL_OK;
}

sl_status sl__acct_audit_query(sl_acct *a, const char *person, const char *action,
                               int64_t from_ms, int64_t to_ms, size_t limit, json_t **out)
{
    (void)a; (void)person; (void)action; (void)from_ms; (void)to_ms; (void)limit;
    *out = json_array();
    return *out ? SL_OK : SL_ERR_NOMEM;
}
