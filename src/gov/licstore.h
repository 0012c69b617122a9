/*
 * licstore.h -- issue 14 in the store (module gov): issuers with their own
 * signing keys, licence types, licences (issue, suspend, resume, revoke,
 * public check), the holder's licences and 用证记录, 免提交 fetches under
 * a consent record, the property-record certificate (房查证明) and
 * temporary identity credentials (seed 004). What http/routes_lic.c calls.
 *
 * Every change is one store transaction that also appends its audit
 * record(s). Licence fields, credential content and certificates are
 * stored only sealed; holders are found by the blind index of their ID
 * number (sl__mac "id_number", the same index gov_app and the audit log
 * use). Times come from sl__now_ms().
 *
 * No licence field leaves the server without a covering consent record:
 * sl__lic_fetch releases fields only under an id_consent row of purpose
 * "licence_use" whose scope is "gov_app:<application id>:<licence type>",
 * given by the holder with a passed verification consumed for that
 * application (sl__lic_consent_give), and only the fields the matter's
 * catalogue entry names for that material. Each release is a lic_use row
 * (the holder's 用证记录) and a "licence.use" audit record, in the same
 * transaction.
 */
#ifndef SL_GOV_LICSTORE_H
#define SL_GOV_LICSTORE_H

#include "crypto/crypto.h"
#include "gov/lic.h"
#include "store/store.h"

struct sl__gov;
struct sl__exchange;

/* Who acts (for audit records). */
struct sl__lic_actor {
    const char *kind;          /* staff | device | citizen | system */
    const char *id;            /* username / device id             */
    int64_t     hall_id;
    const char *request_id;
};

struct sl__lic {
    sl_store             *store;
    const sl_keyring     *keys;        /* the hall's keys                */
    struct sl__gov       *gov;         /* matters (may be NULL)          */
    struct sl__exchange  *x;           /* shared data (may be NULL)      */
};

/* ------------------------------ issuers, types -------------------------- */
/* A new issuer (a department of hall) with a fresh signing key of the
 * server's suite. uscc: 18-character unified social credit code (check
 * character verified). SL_ERR_LIC_EXISTS if the uscc is taken.
 * *out: {id, name, uscc, public_key}. */
sl_status sl__lic_issuer_add(struct sl__lic *L, const struct sl__lic_actor *a, int64_t hall,
                             const char *name, const char *uscc, json_t **out);
/* [{id, name, uscc, public_key}] */
sl_status sl__lic_issuer_list(struct sl__lic *L, json_t **out);
/* A licence type: code = the GB/T 36904 type code (digits), kind = one of
 * the catalogue's licence types (resident_id, ...), fields = its data
 * field names, issuer = its issuer's uscc. */
sl_status sl__lic_type_add(struct sl__lic *L, const struct sl__lic_actor *a, const char *code,
                           const char *kind, const char *name, const json_t *fields,
                           const char *issuer_uscc, json_t **out);
sl_status sl__lic_type_list(struct sl__lic *L, json_t **out);

/* ------------------------------ licences --------------------------------- */
/* Issues a licence. req: {kind, holder_id_number, fields{...}, licence_id?
 * (validated: GB/T 36904 form and check character, type and issuer parts
 * matching the type; else made from serial), serial?, valid_from_ms?,
 * valid_to_ms?}. why (cap bytes) gets the reason of SL_ERR_LICENCE_ID /
 * SL_ERR_LIC_DATA. *out: {licence_id, kind, status, ...}. */
sl_status sl__lic_issue(struct sl__lic *L, const struct sl__lic_actor *a, const json_t *req,
                        char *why, size_t cap, json_t **out);
/* suspend / resume / revoke (sl__lic_step). */
sl_status sl__lic_change(struct sl__lic *L, const struct sl__lic_actor *a,
                         const char *licence_id, sl__lic_action act, const char *reason,
                         json_t **out);
/* The public check: {licence_id, kind, issuer, status, usable, code,
 * signature_valid, public_key}; never a field value. */
sl_status sl__lic_check(struct sl__lic *L, const char *licence_id, json_t **out);
/* The holder's licences (fields only when with_fields: the holder's own
 * view) with every use (用证记录). Audited as "licence.list" on the
 * holder's index. */
sl_status sl__lic_holder_list(struct sl__lic *L, const struct sl__lic_actor *a,
                              const char *id_number, bool with_fields, json_t **out);

/* The same with fields, for the holder: consumes a passed verification of
 * matter "licence_list" (any reference) and lists that person's licences. */
sl_status sl__lic_holder_mine(struct sl__lic *L, const struct sl__lic_actor *a, int64_t verif,
                              json_t **out);

/* The same for a citizen session's person (registry id): every licence
 * with fields and uses, or (licence_id not NULL) that licence's uses only
 * (SL_ERR_LIC_NOT_FOUND if it is not the person's). */
sl_status sl__lic_holder_person(struct sl__lic *L, const struct sl__lic_actor *a, int64_t person,
                                const char *licence_id, json_t **out);

/* ------------------------------ 免提交 ----------------------------------- */
/* The holder's consent for application app_id: consumes verification
 * verif (a passed verification of the applicant for matter = the
 * application's matter, reference = the application id in decimal) and
 * records one consent (purpose licence_use) per licence type the matter's
 * materials are replaced by, until expires_ms (0: 24 h). proxy (may be
 * NULL): who gave it for the holder ("relation:name"), recorded. *out:
 * {application, consents:[{id, licence, fields, expires_at}]}. */
sl_status sl__lic_consent_give(struct sl__lic *L, const struct sl__lic_actor *a, int64_t app_id,
                               int64_t verif, const char *proxy, int64_t expires_ms,
                               json_t **out);
/* Withdraws the application's licence consents (all, or consent id). */
sl_status sl__lic_consent_withdraw(struct sl__lic *L, const struct sl__lic_actor *a,
                                   int64_t app_id, int64_t consent_id, json_t **out);
/* Fetches the licences the application's matter replaces materials with:
 * every such material needs a covering consent (else SL_ERR_LIC_CONSENT
 * and nothing is released); each licence must be usable (revoked /
 * suspended / expired refused with their codes) and its issuer signature
 * must verify (SL_ERR_LIC_TAMPERED). *out: {application, materials:
 * {<material id>: {licence_id, kind, fields{only the named ones}} |
 * {missing: true}}}. */
sl_status sl__lic_fetch(struct sl__lic *L, const struct sl__lic_actor *a, int64_t app_id,
                        json_t **out);

/* ------------------------------ 房查证明 --------------------------------- */
/* The property-record certificate for the person of a passed verification
 * with matter "bdc.fangcha_zhengming" (any reference), and their spouse
 * (from the marriage licence, used under the consent recorded by that
 * verification), from the land_property shared data. Signed (hall key);
 * *out: {serial, issued_at, holder (masked), spouse (masked) , properties,
 * qr}. */
sl_status sl__lic_propcert_issue(struct sl__lic *L, const struct sl__lic_actor *a, int64_t verif,
                                 json_t **out);
/* The same for a citizen session's person (kiosk 扫码/亮码 login, the
 * session itself opened by a passed face verification): the citizen's
 * consent given on the kiosk screen is recorded as the licence_use
 * consent. */
sl_status sl__lic_propcert_issue_person(struct sl__lic *L, const struct sl__lic_actor *a,
                                        int64_t person, json_t **out);
/* The certificate again (for printing): SL_ERR_LIC_NOT_FOUND if none. */
sl_status sl__lic_propcert_get(struct sl__lic *L, const struct sl__lic_actor *a,
                               const char *serial, json_t **out);
/* Public: checks a certificate QR content: {valid, serial, issued_at,
 * holder (masked), count}; SL_ERR_PRINT_TOKEN if not ours. */
sl_status sl__lic_propcert_verify(struct sl__lic *L, const char *qr, json_t **out);

/* ------------------------------ credentials ------------------------------ */
#define SL_CRED_DEFAULT_HOURS 24
#define SL_CRED_DEFAULT_LIMIT 3
/* Issues a temporary identity credential for the person of a passed
 * verification with matter "temp_credential" (any reference), valid hours
 * (0: 24), at most limit per person per month (SL_ERR_CRED_LIMIT).
 * *out: {serial, code, qr, name, id_masked, hall, valid_to, photo (base64
 * JPEG or null)}. */
sl_status sl__lic_cred_issue(struct sl__lic *L, const struct sl__lic_actor *a, int64_t verif,
                             const char *purpose, unsigned hours, unsigned limit, json_t **out);
/* Public: by QR content or 8-character code: {status: valid | expired |
 * revoked, serial, name (masked), id_masked, valid_to, hall, photo}.
 * SL_ERR_PRINT_TOKEN if neither is ours. */
sl_status sl__lic_cred_verify(struct sl__lic *L, const char *qr_or_code, json_t **out);
sl_status sl__lic_cred_get(struct sl__lic *L, const struct sl__lic_actor *a, const char *serial,
                           json_t **out);
sl_status sl__lic_cred_revoke(struct sl__lic *L, const struct sl__lic_actor *a,
                              const char *serial, const char *reason);

#endif
