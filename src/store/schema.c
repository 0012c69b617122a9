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
};

const struct sl_migration *sl__schema_list(size_t *n)
{
    *n = SL_ARRAY_LEN(migrations);
    return migrations;
}
