/*
 * acct_int.h -- private to the files of src/acct.
 */
#ifndef SL_ACCT_INT_H
#define SL_ACCT_INT_H

#include "acct/acct.h"
#include "crypto/crypto.h"
#include "store/store.h"

struct sl_acct {
    sl_store            *store;   /* borrowed */
    const sl_keyring    *keys;    /* borrowed */
    struct sl_acct_opts  o;
};

/* Appends au (with outcome when au->outcome is NULL) in tx. NULL au: no-op. */
sl_status sl__acct_audit_tx(sl_acct *a, sl_tx *tx, const struct sl_acct_audit *au,
                            const char *outcome);

/* Resolves a citizen bearer token "cit_<hex>" (acct_citizen.c). */
sl_status sl__acct_citizen_auth(sl_acct *a, const char *token, struct sl_principal *p);

#endif
