/*
 * columns.c -- the registry of encrypted columns (rekey.h): one line per
 * {blob} column that holds sl__seal values. A module that adds such a
 * column in a migration (src/store/schema.c) adds its line here in the
 * same commit; `admin rotate-key` re-encrypts exactly these.
 */
#include <stdio.h>

#include "rekey/rekey.h"

/* gov's application number: "gov_app|<serial>" (no kind) */
static size_t ad_table_key(char *out, size_t cap, const struct sl_enc_column *c,
                           const char *key)
{
    int w = snprintf(out, cap, "%s|%s", c->table, key);
    return w < 0 ? 0 : (size_t)w >= cap ? cap - 1 : (size_t)w;
}

/* Each module's AD, as its own code builds it (rekey.h): ad_col names the
 * column whose value is the AD's middle part when it is not the row id. */
static const struct sl_enc_column columns[] = {
    /* table           id col  blob column        AD kind     AD key column    builder */
    /* id (registry.c: "id_person|<blind>|<what>"; frames.c) */
    { "id_person",     "id",   "number_sealed",   "number",   "blind",           NULL },
    { "id_person",     "id",   "name_sealed",     "name",     "blind",           NULL },
    { "id_person",     "id",   "former_sealed",   "former",   "blind",           NULL },
    { "id_person",     "id",   "photo_sealed",    "photo",    "blind",           NULL },
    { "id_person",     "id",   "template_sealed", "template", "blind",           NULL },
    { "id_frame",      "id",   "frame_sealed",    "best",     "verification_id", NULL },
    /* gov (app.c: "gov_app|<serial>", "gov_app|<serial>|shared") */
    { "gov_app",       "id",   "id_sealed",       "id",       "serial",          ad_table_key },
    { "gov_app",       "id",   "shared_sealed",   "shared",   "serial",          NULL },
    /* hall (hall.c: "<table>|<person or entry>|template", "hall_capture|<id>|thumb") */
    { "hall_template", "id",   "sealed",          "template", "person_id",       NULL },
    { "hall_watch",    "id",   "sealed",          "template", NULL,              NULL },
    { "hall_capture",  "id",   "thumb",           "thumb",    NULL,              NULL },
    /* lic (lic_store.c: "lic_licence|<licence id>", "lic_doc|<serial>",
     * "lic_credential|<serial>"; the issuers' sealed key files are bound to
     * the issuer's USCC, a column of another table: not re-sealed yet) */
    { "lic_licence",   "id",   "fields_sealed",   "fields",   "licence_id",      ad_table_key },
    { "lic_doc",       "id",   "sealed",          "doc",      "serial",          ad_table_key },
    { "lic_credential","id",   "sealed",          "credential","serial",         ad_table_key },
    { NULL, NULL, NULL, NULL, NULL, NULL },   /* end; keeps the array non-empty */
};

const struct sl_enc_column *sl__enc_columns(size_t *n)
{
    *n = SL_ARRAY_LEN(columns) - 1;
    return columns;
}
