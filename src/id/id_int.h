/*
 * id_int.h -- private to the files of src/id.
 */
#ifndef SL_ID_INT_H
#define SL_ID_INT_H

#include "acct/acct.h"
#include "audit/audit.h"
#include "crypto/crypto.h"
#include "id/id.h"
#include "store/store.h"

/* Appends au (NULL: no-op) to the audit chain in tx with the given object,
 * masked number and 32-byte person blind index (either may be NULL). */
sl_status sl__id_audit(sl_tx *tx, const sl_keyring *k, const struct sl_acct_audit *au,
                       const char *object_type, int64_t object_id,
                       const char *id_masked, const uint8_t *person_idx,
                       const char *purpose, const char *outcome);

#endif
