/*
 * test_store_fx.h -- the database fixture of the store and audit tests:
 * SQLite in a temp directory by default, PostgreSQL when SL_TEST_STORE_URL
 * holds a postgresql:// URL (each test then starts from an empty schema).
 */
#ifndef SL_TEST_STORE_FX_H
#define SL_TEST_STORE_FX_H

#include <stdbool.h>

#include "store/store.h"
#include "test.h"

struct sl_t_fx {
    char dir[256];     /* a temp dir for files (SQLite db, key file)      */
    char url[512];
    bool pg;
};

/* Empty database, opened and migrated; NULL (check already failed) if not. */
sl_store *sl_t_fx_open(struct sl_t *t, struct sl_t_fx *f);
/* Closes s and removes the temp dir. */
void      sl_t_fx_done(struct sl_t_fx *f, sl_store *s);
/* One statement in its own transaction. */
sl_status sl_t_exec1(sl_store *s, const char *sql);

#endif
