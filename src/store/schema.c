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
    /* ---- id 200..299 (idcode: 250..259) ------------------------------- */
    { 250, "idcode",
      /* identity codes (src/id/idcode.h): which person a hall's pseudonym
       * names (written at issue; read only by an authorised verifier) */
      "CREATE TABLE idcode_subject ("
      " hall_id {int} NOT NULL,"
      " subject {text} NOT NULL,"
      " person_ref {text} NOT NULL,"
      " created_ms {int} NOT NULL,"
      " PRIMARY KEY (hall_id, subject));"
      /* kiosk 扫码 login sessions: pending -> approved once, or expire */
      "CREATE TABLE idcode_kiosk_login ("
      " id {text} PRIMARY KEY,"
      " hall_id {int} NOT NULL,"
      " device {text} NOT NULL,"
      " state {text} NOT NULL,"
      " subject {text},"
      " approved_by {text},"
      " created_ms {int} NOT NULL,"
      " expires_ms {int} NOT NULL,"
      " approved_ms {int});"
      "CREATE INDEX idcode_kiosk_login_expires ON idcode_kiosk_login (expires_ms);" },
};

const struct sl_migration *sl__schema_list(size_t *n)
{
    *n = SL_ARRAY_LEN(migrations);
    return migrations;
}
