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
    { 101, "lic_licences",
      /* issue 14. Issuers: a hall's department with its own signing key
       * (key_id names it in the key file) and its unified social credit
       * code (the issuer part of GB/T 36904 licence ids) */
      "CREATE TABLE lic_issuer ("
      " id {id},"
      " hall_id {int} NOT NULL REFERENCES acct_hall (id),"
      " name {text} NOT NULL,"
      " uscc {text} NOT NULL UNIQUE,"
      " key_id {int} NOT NULL,"
      " created_ms {int} NOT NULL);"
      /* licence types: code (GB/T 36904 type part), name, data fields as a
       * JSON array of names */
      "CREATE TABLE lic_type ("
      " id {id},"
      " code {text} NOT NULL UNIQUE,"
      " name {text} NOT NULL,"
      " fields {text} NOT NULL,"
      " issuer_id {int} NOT NULL REFERENCES lic_issuer (id));"
      /* licences: fields only sealed; the holder found by the blind index
       * of their ID number; status 1 issued, 2 suspended, 3 revoked */
      "CREATE TABLE lic_licence ("
      " id {id},"
      " licence_id {text} NOT NULL UNIQUE,"
      " type_id {int} NOT NULL REFERENCES lic_type (id),"
      " holder_index {blob} NOT NULL,"
      " fields_sealed {blob} NOT NULL,"
      " sig {text} NOT NULL,"
      " status {int} NOT NULL,"
      " valid_from_ms {int} NOT NULL,"
      " valid_to_ms {int} NOT NULL,"
      " issued_ms {int} NOT NULL,"
      " changed_ms {int} NOT NULL);"
      "CREATE INDEX lic_licence_holder ON lic_licence (holder_index);"
      /* every use of a licence (用证记录): which fields went where, under
       * which consent record */
      "CREATE TABLE lic_use ("
      " id {id},"
      " licence_row {int} NOT NULL REFERENCES lic_licence (id),"
      " used_ms {int} NOT NULL,"
      " matter {text} NOT NULL,"
      " fields {text} NOT NULL,"
      " consent_id {text} NOT NULL,"
      " actor {text} NOT NULL);"
      "CREATE INDEX lic_use_licence ON lic_use (licence_row);"
      /* e-signatures: one per consumed verification */
      "CREATE TABLE lic_esign ("
      " id {id},"
      " verification_id {text} NOT NULL UNIQUE,"
      " doc_hash {text} NOT NULL,"
      " result {text} NOT NULL,"
      " signed_at_ms {int} NOT NULL,"
      " suite {text} NOT NULL,"
      " kid {int} NOT NULL,"
      " sig {text} NOT NULL);"
      /* temporary identity credentials (seed 004); month = "YYYY-MM" in
       * the hall's time for the per-person monthly limit */
      "CREATE TABLE lic_credential ("
      " id {id},"
      " serial {text} NOT NULL UNIQUE,"
      " hall_id {int} NOT NULL REFERENCES acct_hall (id),"
      " holder_index {blob} NOT NULL,"
      " month {text} NOT NULL,"
      " sealed {blob} NOT NULL,"
      " status {int} NOT NULL,"
      " valid_to_ms {int} NOT NULL,"
      " issued_ms {int} NOT NULL);"
      "CREATE INDEX lic_credential_holder ON lic_credential (holder_index, month);" },
    /* citizen sessions (acct.h): token only as its keyed MAC; opened by a
     * consumed "citizen_login" verification; idle/absolute expiry */
    { 102, "acct_citizen_sessions",
      "CREATE TABLE acct_citizen_session ("
      " id {id},"
      " person_id {int} NOT NULL,"
      " hall_id {int} NOT NULL,"
      " device {text} NOT NULL,"
      " verification_id {int} NOT NULL,"
      " token_hash {blob} NOT NULL UNIQUE,"
      " created_ms {int} NOT NULL,"
      " last_ms {int} NOT NULL,"
      " expires_ms {int} NOT NULL,"
      " revoked {int} NOT NULL);"
      "CREATE INDEX acct_citizen_session_person ON acct_citizen_session (person_id);" },
    { 110, "lic_http",
      /* issue 14 over HTTP. Each issuer's own signing key: a one-key key
       * file (src/crypto format) sealed under the server's keys, and its
       * public key text for anyone to check the issuer's signatures */
      "CREATE TABLE lic_issuer_key ("
      " issuer_id {int} NOT NULL UNIQUE REFERENCES lic_issuer (id),"
      " keyfile_sealed {blob} NOT NULL,"
      " public_key {text} NOT NULL);"
      /* the catalogue's licence type (resident_id, ...) a type is */
      "ALTER TABLE lic_type ADD COLUMN kind {text};"
      /* the credential's short verification code, for look-up by code */
      "ALTER TABLE lic_credential ADD COLUMN code {text};"
      "CREATE INDEX lic_credential_code ON lic_credential (code);"
      /* signed printables of the licence module (房查证明): content sealed,
       * its hash signed by the hall (the QR carries serial + signature) */
      "CREATE TABLE lic_doc ("
      " id {id},"
      " serial {text} NOT NULL UNIQUE,"
      " kind {text} NOT NULL,"
      " holder_index {blob} NOT NULL,"
      " sealed {blob} NOT NULL,"
      " content_hash {text} NOT NULL,"
      " issued_ms {int} NOT NULL);" },
    /* ---- id 200..299 (idcode: 250..259) ------------------------------- */
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
    { 203, "id_verification_session",
      /* second factors passed (SL_FACTOR_*), and the live session of a
       * verification before its frames: liveness mode, the challenge
       * issued (JSON; its nonce is single-use through store_once), the
       * document's blind index for the lockout, what the matter asks for */
      "ALTER TABLE id_verification ADD COLUMN factors_passed {int} NOT NULL DEFAULT 0;"
      "CREATE TABLE id_verif_session ("
      " verification_id {int} PRIMARY KEY,"
      " liveness {text} NOT NULL,"
      " challenge {text},"
      " blind {text} NOT NULL,"
      " factors_required {int} NOT NULL,"
      " keep_reason {text} NOT NULL,"
      " retention_days {int} NOT NULL,"
      " far {real} NOT NULL,"
      " face_allowed {int} NOT NULL,"
      " done {int} NOT NULL);" },
    { 210, "id_registry_import",
      /* `registry import` progress, keyed by the CSV's SHA-256: rows up to
       * rows_done are committed (with their rejects) in the same
       * transaction as the persons, so --resume continues exactly there */
      "CREATE TABLE id_import ("
      " csv_sha256 {text} PRIMARY KEY,"
      " rows_done {int} NOT NULL,"
      " accepted {int} NOT NULL,"
      " rejected {int} NOT NULL,"
      " started_ms {int} NOT NULL,"
      " updated_ms {int} NOT NULL,"
      " finished_ms {int});"
      /* rejected rows: row number, masked number, code, reason (no photo,
       * no full number, no name) */
      "CREATE TABLE id_import_reject ("
      " csv_sha256 {text} NOT NULL,"
      " row_no {int} NOT NULL,"
      " id_masked {text},"
      " code {text} NOT NULL,"
      " reason {text} NOT NULL,"
      " detail {text},"
      " PRIMARY KEY (csv_sha256, row_no));" },
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
    { 300, "gov_applications",
      /* applications: the ID number only sealed (ad "gov_app|<serial>"),
       * found by its blind index; the shared-data snapshot sealed too */
      "CREATE TABLE gov_app ("
      " id {id},"
      " serial {text} NOT NULL UNIQUE,"
      " matter {text} NOT NULL,"
      " matter_version {int} NOT NULL,"
      " channel {text} NOT NULL,"
      " hall_id {int} NOT NULL,"
      " state {text} NOT NULL,"
      " person_idx {blob} NOT NULL,"
      " id_sealed {blob} NOT NULL,"
      " id_masked {text} NOT NULL,"
      " form {text} NOT NULL,"
      " shared_sealed {blob},"
      " decision {text},"
      " explain {text},"
      " accepted_day {text},"
      " hold_end_day {text},"
      " deadline_day {text},"
      " claimed_by {text},"
      " opened_by {text} NOT NULL,"
      " created_ms {int} NOT NULL,"
      " updated_ms {int} NOT NULL);"
      "CREATE INDEX gov_app_person ON gov_app (person_idx);"
      "CREATE INDEX gov_app_queue ON gov_app (state, hall_id, matter);"
      /* the timeline: every transition with actor, time and reason */
      "CREATE TABLE gov_timeline ("
      " id {id},"
      " app_id {int} NOT NULL REFERENCES gov_app (id),"
      " at_ms {int} NOT NULL,"
      " actor_kind {text} NOT NULL,"
      " actor_id {text} NOT NULL,"
      " event {text} NOT NULL,"
      " from_state {text} NOT NULL,"
      " to_state {text} NOT NULL,"
      " reason {text});"
      "CREATE INDEX gov_timeline_app ON gov_timeline (app_id);" },
    { 301, "gov_matter_versions",
      /* matter versions added by an admin (validated exactly like the
       * shipped files); shared by every node */
      "CREATE TABLE gov_matter ("
      " id {id},"
      " code {text} NOT NULL,"
      " version {int} NOT NULL,"
      " body {text} NOT NULL,"
      " added_by {text} NOT NULL,"
      " created_ms {int} NOT NULL,"
      " UNIQUE (code, version));" },
    /* applications bound to verifications (w3-gov): the registry person
     * (subject), the proxy who opened it (person, relationship) and every
     * consumed verification (role, method, levels) */
    { 302, "gov_app_auth",
      "ALTER TABLE gov_app ADD COLUMN person_id {int};"
      "ALTER TABLE gov_app ADD COLUMN proxy_person_id {int};"
      "ALTER TABLE gov_app ADD COLUMN proxy_relation {text};"
      "CREATE INDEX gov_app_person_id ON gov_app (person_id);"
      "CREATE INDEX gov_app_proxy ON gov_app (proxy_person_id);"
      "CREATE TABLE gov_app_auth ("
      " id {id},"
      " app_id {int} NOT NULL REFERENCES gov_app (id),"
      " role {text} NOT NULL,"
      " person_id {int} NOT NULL,"
      " verification_id {int} NOT NULL UNIQUE,"
      " method {text} NOT NULL,"
      " levels {int} NOT NULL,"
      " at_ms {int} NOT NULL);"
      "CREATE INDEX gov_app_auth_app ON gov_app_auth (app_id);" },
    /* the elderly allowance (seed 003): one row per granted allowance,
     * proof-of-life due dates, payment state; its events (proofs,
     * reminders, suspension, death) as a log */
    { 303, "gov_allowance",
      "CREATE TABLE gov_allowance ("
      " id {id},"
      " app_id {int} NOT NULL REFERENCES gov_app (id),"
      " matter {text} NOT NULL,"
      " person_id {int} NOT NULL,"
      " person_idx {blob} NOT NULL,"
      " id_masked {text} NOT NULL,"
      " hall_id {int} NOT NULL,"
      " proxy_person_id {int},"
      " proxy_relation {text},"
      " state {text} NOT NULL,"
      " interval_days {int} NOT NULL,"
      " remind_days {int} NOT NULL,"
      " last_proof_ms {int} NOT NULL,"
      " due_ms {int} NOT NULL,"
      " reminded_ms {int} NOT NULL,"
      " checked_ms {int} NOT NULL,"
      " created_ms {int} NOT NULL,"
      " updated_ms {int} NOT NULL);"
      "CREATE INDEX gov_allowance_person ON gov_allowance (person_id);"
      "CREATE INDEX gov_allowance_due ON gov_allowance (state, due_ms);"
      "CREATE TABLE gov_allowance_event ("
      " id {id},"
      " allowance_id {int} NOT NULL REFERENCES gov_allowance (id),"
      " at_ms {int} NOT NULL,"
      " kind {text} NOT NULL,"
      " actor_kind {text} NOT NULL,"
      " actor_id {text} NOT NULL,"
      " verification_id {int},"
      " note {text});"
      "CREATE INDEX gov_allowance_event_a ON gov_allowance_event (allowance_id);" },
    /* gov/sub (issue 14, seeds 002 and 004): filings whose every party
     * authenticates and signs for that filing; parties are registry persons
     * (person_id, masked number, blind index: never the number); signatures
     * keep the signed document, the e-signature record and the face
     * evidence (verification id + hash of its signed result); sub_event is
     * what a filer is told (a party refused). */
    { 310, "sub submissions",
      "CREATE TABLE sub_submission ("
      " id {id},"
      " kind {text} NOT NULL,"
      " title {text} NOT NULL,"
      " doc {text},"
      " doc_hash {text},"
      " state {text} NOT NULL,"
      " hall_id {int} NOT NULL,"
      " filer_kind {text} NOT NULL,"
      " filer_id {text} NOT NULL,"
      " filer_person {int} NOT NULL,"
      " created_ms {int} NOT NULL,"
      " submitted_ms {int});"
      "CREATE TABLE sub_party ("
      " id {id},"
      " sub_id {int} NOT NULL REFERENCES sub_submission (id),"
      " seq {int} NOT NULL,"
      " role {text} NOT NULL,"
      " id_type {text} NOT NULL,"
      " person_id {int} NOT NULL,"
      " person_idx {blob} NOT NULL,"
      " id_masked {text} NOT NULL,"
      " name_masked {text} NOT NULL,"
      " state {text} NOT NULL,"
      " verification_id {int},"
      " bank_factor {int} NOT NULL,"
      " signature_id {int},"
      " reason {text},"
      " acted_ms {int},"
      " UNIQUE (sub_id, person_id));"
      "CREATE INDEX sub_party_person ON sub_party (person_id, state);"
      "CREATE TABLE sub_signature ("
      " id {id},"
      " object_type {text} NOT NULL,"
      " object_id {int} NOT NULL,"
      " person_id {int} NOT NULL,"
      " id_masked {text} NOT NULL,"
      " doc {text} NOT NULL,"
      " doc_hash {text} NOT NULL,"
      " verification_id {int} NOT NULL,"
      " evidence_hash {text} NOT NULL,"
      " record {text} NOT NULL,"
      " created_ms {int} NOT NULL);"
      "CREATE INDEX sub_signature_object ON sub_signature (object_type, object_id);"
      "CREATE TABLE sub_event ("
      " id {id},"
      " sub_id {int} NOT NULL,"
      " filer_id {text} NOT NULL,"
      " filer_person {int} NOT NULL,"
      " kind {text} NOT NULL,"
      " body {text} NOT NULL,"
      " at_ms {int} NOT NULL);"
      "CREATE INDEX sub_event_filer ON sub_event (filer_id);" },
    /* gov/sub: remote delegation (谁委托) and third-party agreement (谁同意):
     * the confirmer confirms with a verification bound to the row */
    { 311, "sub delegations",
      "CREATE TABLE sub_delegation ("
      " id {id},"
      " kind {text} NOT NULL,"
      " matter {text} NOT NULL,"
      " application_id {int} NOT NULL,"
      " submission_id {int} NOT NULL,"
      " note {text} NOT NULL,"
      " confirmer_person {int} NOT NULL,"
      " confirmer_idx {blob} NOT NULL,"
      " confirmer_masked {text} NOT NULL,"
      " other_person {int} NOT NULL,"
      " other_masked {text} NOT NULL,"
      " doc {text},"
      " state {text} NOT NULL,"
      " hall_id {int} NOT NULL,"
      " created_by {text} NOT NULL,"
      " verification_id {int},"
      " signature_id {int},"
      " reason {text},"
      " created_ms {int} NOT NULL,"
      " acted_ms {int});"
      "CREATE INDEX sub_delegation_confirmer ON sub_delegation (confirmer_person, state);"
      "CREATE INDEX sub_delegation_app ON sub_delegation (application_id);" },
    /* hall (issue 13): the portrait library, watchlists, alarms, captures.
     * Templates are sealed (ad "hall_template|<person>"); hall_change is
     * the ordered change log every node's in-memory cache catches up on. */
    { 400, "hall library",
      "CREATE TABLE hall_person ("
      " id {id},"
      " hall_id {int} NOT NULL REFERENCES acct_hall (id),"
      " label {text},"
      " consent_ms {int} NOT NULL,"
      " withdrawn_ms {int} NOT NULL,"
      " created_ms {int} NOT NULL);"
      "CREATE TABLE hall_template ("
      " id {id},"
      " person_id {int} NOT NULL REFERENCES hall_person (id),"
      " sealed {blob} NOT NULL,"
      " created_ms {int} NOT NULL);"
      "CREATE INDEX hall_template_person ON hall_template (person_id);"
      "CREATE TABLE hall_watch ("
      " id {id},"
      " hall_id {int} NOT NULL REFERENCES acct_hall (id),"
      " reason {text} NOT NULL,"
      " level {int} NOT NULL,"
      " owner {text} NOT NULL,"
      " expires_ms {int} NOT NULL,"
      " sealed {blob},"
      " deleted {int} NOT NULL,"
      " created_ms {int} NOT NULL);"
      "CREATE TABLE hall_alarm ("
      " id {id},"
      " hall_id {int} NOT NULL,"
      " watch_id {int} NOT NULL,"
      " score {real} NOT NULL,"
      " at_ms {int} NOT NULL,"
      " ack_by {text},"
      " ack_ms {int});"
      "CREATE TABLE hall_change ("
      " id {id},"
      " kind {text} NOT NULL,"
      " ref_id {int} NOT NULL,"
      " at_ms {int} NOT NULL);" },
    /* hall: the capture trail; thumbnails sealed (ad "hall_capture|<id>|thumb")
     * and set to NULL by the retention job after their period */
    { 401, "hall capture trail",
      "CREATE TABLE hall_capture ("
      " id {id},"
      " hall_id {int} NOT NULL,"
      " device {text} NOT NULL,"
      " at_ms {int} NOT NULL,"
      " person_id {int},"
      " score {real},"
      " thumb {blob});"
      "CREATE INDEX hall_capture_person ON hall_capture (person_id);"
      "CREATE INDEX hall_capture_at ON hall_capture (at_ms);" },
    /* hall: a library person is a registry person (id_person) enrolled after
     * a verified visit (0: imported by gallery import); a capture confirmed
     * by a clerk names the verification result it yielded (single use) */
    { 402, "hall library linked to the registry",
      "ALTER TABLE hall_person ADD COLUMN registry_id {int} NOT NULL DEFAULT 0;"
      "CREATE INDEX hall_person_registry ON hall_person (hall_id, registry_id);"
      "ALTER TABLE hall_capture ADD COLUMN verification_id {int};" },
};

const struct sl_migration *sl__schema_list(size_t *n)
{
    *n = SL_ARRAY_LEN(migrations);
    return migrations;
}
