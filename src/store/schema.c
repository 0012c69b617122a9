/*
 * schema.c -- the one ordered list of migrations for both dialects
 * (store.h, struct sl_migration). Version ranges per module: store 1..49,
 * audit 50..99, acct 100..199, id 200..299, gov 300..399, hall 400..499.
 * A released migration is never edited; add a new one at its place in the
 * version order.
 */
#include "store/store.h"

static const struct sl_migration migrations[] = {
    /* ---- store 1..49 -------------------------------------------------- */
    { 1, "store_primitives",
      /* single-use keys (nonces, replay caches): one row per key */
      "CREATE TABLE store_once ("
      " scope {text} NOT NULL,"
      " k {blob} NOT NULL,"
      " expires_ms {int} NOT NULL,"
      " PRIMARY KEY (scope, k));"
      "CREATE INDEX store_once_expires ON store_once (expires_ms);"
      /* token buckets: tokens at updated_ms; full again at full_ms */
      "CREATE TABLE store_bucket ("
      " cls {text} NOT NULL,"
      " k {text} NOT NULL,"
      " tokens {real} NOT NULL,"
      " updated_ms {int} NOT NULL,"
      " full_ms {int} NOT NULL,"
      " PRIMARY KEY (cls, k));"
      "CREATE INDEX store_bucket_full ON store_bucket (full_ms);"
      /* named counters and sequences shared by every node */
      "CREATE TABLE store_counter ("
      " name {text} PRIMARY KEY,"
      " v {int} NOT NULL);"
      /* leases for scheduled-job election */
      "CREATE TABLE store_lease ("
      " name {text} PRIMARY KEY,"
      " holder {text} NOT NULL,"
      " expires_ms {int} NOT NULL);" },
    /* ---- audit 50..99 -------------------------------------------------- */
    { 50, "audit_chain",
      /* the chain (src/audit/audit.h): seq is the dense record number */
      "CREATE TABLE audit_log ("
      " seq {int} PRIMARY KEY,"
      " at_ms {int} NOT NULL,"
      " actor_kind {text} NOT NULL,"
      " actor_id {text},"
      " action {text} NOT NULL,"
      " object_type {text},"
      " object_id {text},"
      " id_masked {text},"
      " person_idx {blob},"
      " purpose {text},"
      " outcome {text} NOT NULL,"
      " request_id {text},"
      " prev {blob} NOT NULL,"
      " hash {blob} NOT NULL);"
      "CREATE INDEX audit_log_at ON audit_log (at_ms);"
      "CREATE INDEX audit_log_person ON audit_log (person_idx);"
      "CREATE INDEX audit_log_masked ON audit_log (id_masked);"
      "CREATE INDEX audit_log_action ON audit_log (action, at_ms);"
      /* one row (id = 1): the end of the chain and the last checkpoint */
      "CREATE TABLE audit_head ("
      " id {int} PRIMARY KEY,"
      " seq {int} NOT NULL,"
      " hash {blob},"
      " cp_seq {int} NOT NULL,"
      " cp_ms {int} NOT NULL);"
      "INSERT INTO audit_head (id, seq, hash, cp_seq, cp_ms) VALUES (1, 0, NULL, 0, 0);"
      "CREATE TABLE audit_checkpoint ("
      " seq {int} PRIMARY KEY,"
      " hash {blob} NOT NULL,"
      " at_ms {int} NOT NULL,"
      " sig {blob} NOT NULL);" },
    /* ---- acct 100..199 ------------------------------------------------- */
    { 100, "acct_accounts",
      /* halls: service halls, kiosk sites, online channels */
      "CREATE TABLE acct_hall ("
      " id {id},"
      " name {text} NOT NULL UNIQUE,"
      " kind {text} NOT NULL,"
      " created_ms {int} NOT NULL);"
      /* staff users: Argon2id password; failed logins and lockout here */
      "CREATE TABLE acct_user ("
      " id {id},"
      " hall_id {int} NOT NULL REFERENCES acct_hall (id),"
      " username {text} NOT NULL UNIQUE,"
      " pw_hash {text} NOT NULL,"
      " roles {int} NOT NULL,"
      " disabled {int} NOT NULL,"
      " failed {int} NOT NULL,"
      " locked_until_ms {int} NOT NULL,"
      " created_ms {int} NOT NULL);"
      /* sessions: only a keyed MAC of the bearer token is stored */
      "CREATE TABLE acct_session ("
      " id {id},"
      " user_id {int} NOT NULL REFERENCES acct_user (id),"
      " token_hash {blob} NOT NULL UNIQUE,"
      " created_ms {int} NOT NULL,"
      " last_ms {int} NOT NULL,"
      " expires_ms {int} NOT NULL,"
      " revoked {int} NOT NULL);"
      "CREATE INDEX acct_session_user ON acct_session (user_id);"
      /* devices: only a keyed MAC of the API key is stored */
      "CREATE TABLE acct_device ("
      " id {id},"
      " device_id {text} NOT NULL UNIQUE,"
      " hall_id {int} NOT NULL REFERENCES acct_hall (id),"
      " class {int} NOT NULL,"
      " label {text},"
      " key_hash {blob} NOT NULL,"
      " revoked {int} NOT NULL,"
      " created_ms {int} NOT NULL);" },
    /* ---- id 200..299 --------------------------------------------------- */
    { 200, "id_registry",
      /* persons: number and name sealed, found by a blind index */
      "CREATE TABLE id_person ("
      " id {id},"
      " id_type {int} NOT NULL,"
      " blind {text} NOT NULL,"
      " number_sealed {blob} NOT NULL,"
      " name_sealed {blob} NOT NULL,"
      " former_sealed {blob},"
      " sex {text},"
      " birth_date {text},"
      " valid_from {text},"
      " valid_to {text},"
      " status {int} NOT NULL,"
      " photo_sealed {blob},"
      " template_sealed {blob},"
      " created_ms {int} NOT NULL,"
      " UNIQUE (id_type, blind));"
      /* verification results: single-use, bound to person/matter/reference */
      "CREATE TABLE id_verification ("
      " id {id},"
      " person_id {int} NOT NULL,"
      " matter {text} NOT NULL,"
      " reference {text} NOT NULL,"
      " channel {text} NOT NULL,"
      " device {text} NOT NULL,"
      " levels_required {int} NOT NULL,"
      " levels_passed {int} NOT NULL,"
      " passed {int} NOT NULL,"
      " method {int} NOT NULL,"
      " vouched_by {text},"
      " score {real} NOT NULL,"
      " far {real} NOT NULL,"
      " result_json {text},"
      " signature {blob},"
      " created_ms {int} NOT NULL,"
      " expires_ms {int} NOT NULL,"
      " used_ms {int} NOT NULL);"
      "CREATE INDEX id_verification_person ON id_verification (person_id);"
      /* consent: one kind for face processing, licence use, sharing, library */
      "CREATE TABLE id_consent ("
      " id {id},"
      " person_id {int} NOT NULL,"
      " purpose {text} NOT NULL,"
      " scope {text} NOT NULL,"
      " channel {text},"
      " alternative {text},"
      " guardian {text},"
      " created_ms {int} NOT NULL,"
      " expires_ms {int} NOT NULL,"
      " withdrawn_ms {int} NOT NULL);"
      "CREATE INDEX id_consent_person ON id_consent (person_id, purpose);" },
    { 201, "id_lockout",
      /* failed verifications per document (blind index): shared by nodes */
      "CREATE TABLE id_lockout ("
      " blind {text} PRIMARY KEY,"
      " failures {int} NOT NULL,"
      " window_ms {int} NOT NULL,"
      " level {int} NOT NULL,"
      " locked_until_ms {int} NOT NULL);" },
    { 202, "id_evidence_frame",
      /* a verification's best frame, kept only with a reason, until expiry */
      "CREATE TABLE id_frame ("
      " id {id},"
      " verification_id {int} NOT NULL,"
      " reason {text} NOT NULL,"
      " frame_sealed {blob} NOT NULL,"
      " created_ms {int} NOT NULL,"
      " expires_ms {int} NOT NULL);"
      "CREATE INDEX id_frame_expires ON id_frame (expires_ms);" },
};

const struct sl_migration *sl__schema_list(size_t *n)
{
    *n = SL_ARRAY_LEN(migrations);
    return migrations;
}
