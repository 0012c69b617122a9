/*
 * app.h -- applications in the store (module gov): create, read with the
 * timeline, take a step (THE transition table, sl__app_transition), the
 * review queue, receipts with a signed QR, published loss declarations,
 * and the hold-release job. What http/routes_gov.c calls.
 *
 * Every change is one store transaction that also appends the audit record
 * (and the timeline row), so the three commit together. The ID number is
 * stored only sealed, found by its blind index; shared data fetched for an
 * application is snapshotted (sealed) into it, limited to the fields its
 * matter names, and audited.
 *
 * Dates: acceptance, hold end and completion deadline are days of the
 * working-day calendar in China time (UTC+8) of sl__now_ms(); a date out of
 * the calendar's years fails closed (SL_ERR_CAL_RANGE).
 */
#ifndef SL_GOV_APP_H
#define SL_GOV_APP_H

#include "crypto/crypto.h"
#include "gov/catalogue.h"
#include "gov/exchange.h"
#include "shualian/calendar.h"
#include "store/store.h"

struct sl__gov;

/* matters_dir / exchange_dir NULL: the shipped defaults
 * (share/shualian/matters, share/shualian/exchange; then SL_DATADIR). */
sl_status sl__gov_open(sl_store *s, const sl_keyring *k, const char *matters_dir,
                       const char *exchange_dir, char *err, size_t cap,
                       struct sl__gov **out);
void      sl__gov_free(struct sl__gov *g);
const struct sl__catalogue *sl__gov_catalogue(const struct sl__gov *g);

/* A matter (version 0: the newest), shipped or added by an admin; the
 * pointer stays valid while g lives. SL_ERR_MATTER_UNKNOWN if absent. */
sl_status sl__gov_matter(struct sl__gov *g, const char *code, int version, const json_t **out);
/* Every matter version: the shipped ones, then those added (array). */
sl_status sl__gov_matter_list(struct sl__gov *g, json_t **out);

/* Who acts: roles are SL_ACTOR_* bits the caller may act as. */
struct sl__gov_actor {
    unsigned    roles;        /* 1u << SL_ACTOR_APPLICANT | ...            */
    const char *kind;         /* staff | device | system                   */
    const char *id;           /* username / device id                      */
    int64_t     hall_id;
    const char *request_id;
    int64_t     person_id;    /* a citizen session: the registry person;
                                 0 for staff and devices                   */
};

/* Who opens an application for someone else (seed 003 proxy): relation
 * "child" | "spouse" | "relative" | "community_worker" | "guardian". The
 * proxy's identity is their citizen session (a->person_id) or, at submit,
 * a verification of the proxy bound to the application ("agent"). */
struct sl__gov_proxy {
    const char *relation;     /* NULL: not a proxy application            */
};

/* Adds a new version of a matter from its JSON text, validated exactly as
 * the shipped files (err: "where:line: field: what"); the version must be
 * newer than the newest of its code (SL_ERR_MATTER_VERSION). Audited. */
sl_status sl__gov_matter_add(struct sl__gov *g, const struct sl__gov_actor *a, const char *text,
                             size_t n, char *err, size_t cap, json_t **out);

/* Opens an application in draft. form: {"reason": ..., ...} checked
 * against the matter's form. The subject is looked up in the registry
 * (audited); a citizen applies for themselves, or as a proxy (proxy
 * non-NULL, only for matters whose "auth" names an "agent").
 *
 * Binding order (docs/matters.md): open the draft, then create each
 * verification with matter = the matter code, reference = the draft's id
 * (decimal), person = the subject (or the agent), then submit with
 * "verifications": [ids]. Each is consumed with sl__verification_consume
 * in the submit transaction; levels must cover the matter's "auth" entry.
 * Refusals: SL_ERR_APP_AUTH (missing / levels short), SL_ERR_ID_VERIF_*
 * (other matter/person/reference, used, expired, failed). */
sl_status sl__gov_app_create(struct sl__gov *g, const struct sl__gov_actor *a,
                             const char *matter, const char *channel,
                             const char *id_number, const json_t *form,
                             const struct sl__gov_proxy *proxy, json_t **out);
/* Applications of the citizen a->person_id (as subject or proxy), newest
 * first, at most 200; audited. */
sl_status sl__gov_my_apps(struct sl__gov *g, const struct sl__gov_actor *a, json_t **out);

/* ============================ Elderly allowance (seed 003) ============== *
 * Granted when an application of a matter with "proof_of_life" is
 * approved: state "active", due = approval + interval_days. A proof of
 * life is a verification (matter = the allowance's matter, person = the
 * elder, reference = "allowance:<id>") consumed here; it moves the due
 * date and resumes a suspended allowance. The job (sl__gov_allowance_tick,
 * store lease "gov.allowance") stores a reminder remind_days before due,
 * suspends when overdue and stops on a death record from shared data
 * (civil_death) or the registry. */
sl_status sl__gov_allowance_proof(struct sl__gov *g, const struct sl__gov_actor *a,
                                  int64_t allowance, int64_t verification, json_t **out);
/* The citizen's allowances (as elder or proxy) with events; audited. */
sl_status sl__gov_allowance_mine(struct sl__gov *g, const struct sl__gov_actor *a, json_t **out);
/* Staff: the hall's allowances (?state=), with reminders/events; audited. */
sl_status sl__gov_allowance_list(struct sl__gov *g, const struct sl__gov_actor *a,
                                 const char *state, json_t **out);
/* One run of the allowance job (lease "gov.allowance"); counts may be NULL. */
sl_status sl__gov_allowance_tick(struct sl__gov *g, const char *holder, int *reminded,
                                 int *suspended, int *stopped);
/* The application with its timeline, dates and zh/en next-step text. */
sl_status sl__gov_app_get(struct sl__gov *g, const struct sl__gov_actor *a,
                          int64_t id, json_t **out);
/* Takes step `event` (accept also computes the dates and runs the automatic
 * steps). body: {"reason", "verifications": [...]} (may be NULL).
 * *out: the application view; *entries: timeline rows added (for SSE). */
sl_status sl__gov_app_event(struct sl__gov *g, const struct sl__gov_actor *a,
                            int64_t id, const char *event, const json_t *body,
                            json_t **out, json_t **entries);
/* Claims an in-review application for reviewer a. */
sl_status sl__gov_app_claim(struct sl__gov *g, const struct sl__gov_actor *a, int64_t id);
/* In-review applications of the actor's hall (matter may be NULL), with
 * the overdue flag. Lists are audited (object: the hall). */
sl_status sl__gov_queue(struct sl__gov *g, const struct sl__gov_actor *a, const char *matter,
                        json_t **out);
/* Applications of the actor's hall (newest first, at most 500), filtered by state
 * and matter (NULL: any), optionally only the overdue ones (for staff). */
sl_status sl__gov_list(struct sl__gov *g, const struct sl__gov_actor *a, const char *state,
                       const char *matter, bool overdue_only, json_t **out);
/* Receipt facts: serial, dates, statement (zh/en), the signed QR content. */
sl_status sl__gov_receipt(struct sl__gov *g, const struct sl__gov_actor *a,
                          int64_t id, json_t **out);
/* Verifies a receipt QR content: {"valid": true, serial, dates, state}. */
sl_status sl__gov_receipt_verify(struct sl__gov *g, const char *content, json_t **out);
/* Published notices (loss declarations): serial, matter, date, hold end. */
sl_status sl__gov_notices(struct sl__gov *g, json_t **out);
/* The scheduled job: releases holds whose end has passed, under the store
 * lease "gov.holds" (one node at a time). *released gets the count and
 * *entries (may be NULL) the timeline rows added. */
sl_status sl__gov_tick(struct sl__gov *g, const char *holder, int *released,
                       json_t **entries);

/* This process's lease holder name: "<hostname>:<pid>". */
void      sl__gov_holder(char *out, size_t cap);
/* Runs sl__gov_tick every period_ms (wall time) on its own thread until
 * sl__gov_free; every node may run it, the lease makes one do the work.
 * on_entries (may be NULL) receives the timeline rows the job added (the
 * server publishes them to the applicants' event streams). */
sl_status sl__gov_jobs_start(struct sl__gov *g, const char *holder, int64_t period_ms,
                             void (*on_entries)(void *ctx, json_t *entries), void *ctx);
/* Stops the job thread (waits for a running tick); NULL or not started: no-op. */
void      sl__gov_jobs_stop(struct sl__gov *g);

#endif
