/*
 * columns.c -- the registry of encrypted columns (rekey.h): one line per
 * {blob} column that holds sl__seal values. A module that adds such a
 * column in a migration (src/store/schema.c) adds its line here in the
 * same commit; `admin rotate-key` re-encrypts exactly these.
 */
#include "rekey/rekey.h"

static const struct sl_enc_column columns[] = {
    /* table              id column  blob column   AD kind                */
    /* (id, gov and hall modules append theirs: photos, templates, ID numbers) */
    { NULL, NULL, NULL, NULL },          /* end; keeps the array non-empty */
};

const struct sl_enc_column *sl__enc_columns(size_t *n)
{
    *n = SL_ARRAY_LEN(columns) - 1;
    return columns;
}
