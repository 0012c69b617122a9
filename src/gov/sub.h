/*
 * sub.h -- issue 14, seeds 002 and 004 (module gov): 一人一事一认证
 * filings, citizens' e-signatures with face evidence, commitments kept
 * with an application, remote delegation (谁委托) and third-party
 * agreement (谁同意). What http/routes_sub.c and the demo seed call.
 *
 * A submission (e.g. a company registration filing) has a document (JSON)
 * and parties (role + registry person). Its signed document is the
 * canonical JSON (sorted keys, compact) of
 *   {"submission", "kind", "title", "document", "parties": [{"seq","role",
 *    "id_type","id_masked","name"}], "created_at_ms"}
 * and every party signs exactly those bytes. A party confirms with a
 * verification bound to (that person, matter = the submission's kind,
 * reference = "sub_<id>"), consumed single-use (sl__verification_consume):
 * a verification of another filing, or one already used, is refused.
 * Resident-ID holders must also have passed the bank-card factor (seed
 * 002 FAQ 6). The submission can be submitted only when every party
 * signed; a party may refuse (the filer is told: a sub_event row).
 *
 * A delegation (kind "delegation": the principal confirms; kind
 * "agreement": the third party, e.g. the householder, confirms) is
 * confirmed with a verification bound to (the confirmer, matter = the
 * kind, reference = "dlg_<id>") and signed the same way.
 *
 * Signatures (sl__esign_make, lic.h): verification_id field =
 * "<verification id>@<first 40 hex of the hash of its signed result>", so
 * the face evidence is inside the signed message; result "match". Rows
 * keep the document, so GET /v1/signatures/{id} shows what was signed.
 *
 * Every change and every read of a party's data appends an audit record
 * in the same transaction. Time is sl__now_ms(). Status details 184..187
 * (SL_ERR_SUB_*).
 */
#ifndef SL_GOV_SUB_H
#define SL_GOV_SUB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base.h"
#include "shualian/status.h"

typedef struct sl_store sl_store;
typedef struct sl_tx sl_tx;
typedef struct sl_keyring sl_keyring;

#define SL_SUB_PENDING_MS ((int64_t)7 * 24 * 60 * 60 * 1000)   /* "近7天的待办" */
#define SL_SUB_PARTIES_MAX 20

/* 本人知晓采用电子身份证明验证身份的风险，承诺对因此产生的后果负全部责任 (seed 000) */
extern const char sl__sub_commitment_text[];

/* Who acts. A citizen (citizen session) has person_id > 0; staff and
 * devices act for their hall. */
struct sl__sub_actor {
    const char *kind;         /* staff | device | citizen                  */
    const char *id;           /* username / device id / "person:<id>"      */
    int64_t     hall_id;
    int64_t     person_id;    /* citizen: the session's person; else 0     */
    const char *request_id;
};

/* Opens a filing. body: {"kind", "title", "document": {...}, "parties":
 * [{"role", "id_type", "id_number", "name"}]}; each party must be a
 * registry person whose name matches (else SL_ERR_SUB_IDENTITY, why names
 * the party). *out: the view (sl__sub_get). */
sl_status sl__sub_create(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         const json_t *body, char *why, size_t cap, json_t **out);
/* The filing: document, parties (masked) and their states, signatures,
 * delegations linked to it, the filer's events. Staff/devices of its hall,
 * its filer, or a party (citizen). */
sl_status sl__sub_get(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                      int64_t id, json_t **out);
/* Submits: SL_ERR_SUB_PARTIES (why lists them) unless every party signed. */
sl_status sl__sub_submit(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         int64_t id, char *why, size_t cap, json_t **out);
/* A party confirms and signs with verification vid (a citizen: must be
 * theirs; a device: the verification names the person). Refusals of the
 * verification map to the seed's FAQ: SL_ERR_SUB_IDENTITY, _FACE,
 * _QUALITY, _TRANSIENT (*out, when set, has "reasons" [{code,zh,en}]). */
sl_status sl__sub_confirm(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                          int64_t id, int64_t vid, char *why, size_t cap, json_t **out);
/* A party refuses (vid identifies a device caller's person; a citizen may
 * pass 0). Recorded; the filer gets an event. */
sl_status sl__sub_refuse(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         int64_t id, int64_t vid, const char *reason, char *why, size_t cap,
                         json_t **out);
/* A person's pending items of the last SL_SUB_PENDING_MS (filings where
 * they are a party who has not acted; delegations/agreements to confirm)
 * and notices (a party refused a filing they filed). */
sl_status sl__sub_pending(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                          int64_t person, json_t **out);

/* Delegations. body: {"kind": "delegation", "matter", "application"?,
 * "submission"?, "note"?, "principal": {id_type,id_number,name}, "agent":
 * {...}} or {"kind": "agreement", ..., "third_party": {...}, "applicant":
 * {...}}. */
sl_status sl__dlg_create(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         const json_t *body, char *why, size_t cap, json_t **out);
sl_status sl__dlg_get(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                      int64_t id, json_t **out);
sl_status sl__dlg_confirm(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                          int64_t id, int64_t vid, char *why, size_t cap, json_t **out);
sl_status sl__dlg_refuse(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                         int64_t id, int64_t vid, const char *reason, char *why, size_t cap,
                         json_t **out);

/* A stored signature (public): document, record, evidence. */
sl_status sl__sig_get(sl_store *s, int64_t id, json_t **out);
/* Checks a signature record against a document text (doc may be NULL:
 * the record alone) with k: *out {valid, code, verification_id,
 * evidence_hash, ...}. Only a malformed record is an error. */
sl_status sl__sig_check(const sl_keyring *k, const json_t *record, const char *doc,
                        json_t **out);

/* The seed 000 commitment signed by the applicant of application app_id
 * with a verification bound to (applicant, "commitment", "app_<id>");
 * kept with the application (sub_signature object "application").
 * For the gov application routes: call it in their transaction. */
sl_status sl__sub_commitment_tx(sl_tx *tx, const sl_keyring *k, const struct sl__sub_actor *a,
                                int64_t app_id, int64_t vid, char *why, size_t cap,
                                json_t **out);
sl_status sl__sub_commitment(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                             int64_t app_id, int64_t vid, char *why, size_t cap, json_t **out);
/* What an application shows of this module: {"delegations": [...],
 * "agreements": [...], "commitments": [...]} with their evidence. */
sl_status sl__sub_app_evidence_tx(sl_tx *tx, int64_t app_id, json_t **out);
sl_status sl__sub_app_evidence(sl_store *s, const sl_keyring *k, const struct sl__sub_actor *a,
                               int64_t app_id, json_t **out);

#endif
