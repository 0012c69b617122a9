/*
 * hall.h -- the hall's portrait library (1:N), watchlists and alarms
 * (issue 13). Module decision: src/hall/, its routes in
 * src/http/routes_hall.c.
 *
 * The store is the system of record: persons, their sealed templates
 * (several photos each; a person is scored by the L2-normalised mean of
 * their embeddings, the individual ones kept so the mean can be rebuilt),
 * watchlist entries (sealed templates), alarms. Every change appends a row
 * to hall_change in the same transaction; each node's in-memory cache
 * (means and watchlist vectors) is a cache of the store that catches up
 * by reading hall_change past the last id it applied (sl__hall_sync), so
 * a change made on another node is seen by the next request here.
 *
 * Thread safety: all functions may be called from any thread.
 */
#ifndef SL_HALL_H
#define SL_HALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "base/base.h"
#include "base/json.h"
#include "store/store.h"

typedef struct sl_keyring sl_keyring;

#define SL_HALL_DIM          512
#define SL_HALL_MAX_PHOTOS   5        /* photos kept per person            */
/* Open-set identification threshold (cosine against the fused mean):
 * above the FAR 1e-4 threshold measured for every photo count (0.406 for
 * 1 photo .. 0.438 for 4; bench/hall_fusion.py, docs/hall.md).
 * With N persons enrolled, FPIR <= about N x 1e-4. */
#define SL_HALL_IDENT_THRESHOLD 0.45
/* Watchlist hit threshold (exact scan of every active entry). */
#define SL_HALL_WATCH_THRESHOLD 0.45

/* Catches this node's cache up with the store (every change since the
 * last one applied). Cheap when nothing changed: one indexed query. */
sl_status sl__hall_sync(sl_store *s, const sl_keyring *k);
/* Rebuilds the cache from the store on a thread (progress in the log);
 * sl__hall_ready() is false until it is done (/readyz answers 503).
 * sl__hall_load_wait() joins it (server shutdown). */
sl_status sl__hall_load_start(sl_store *s, const sl_keyring *k);
void      sl__hall_load_wait(void);
bool      sl__hall_ready(void);
/* PostgreSQL: true while this node's listener (LISTEN hall_change) is
 * connected and applying every change as it commits anywhere; searches
 * and capture checks then skip the catch-up query. False on SQLite and
 * while the listener reconnects (every request catches up then). */
bool      sl__hall_listening(void);
/* Persons / active watchlist entries in the cache (all halls). */
size_t    sl__hall_cached_persons(void);
size_t    sl__hall_cached_watch(void);

/* Enrols a new person in hall with one embedding (L2-normalised) and
 * recorded consent; au (may be NULL) is appended in the same transaction
 * with object_id set to the person. */
sl_status sl__hall_enrol(sl_store *s, const sl_keyring *k, int64_t hall,
                         const float emb[SL_HALL_DIM], const char *label,
                         const struct sl_audit_rec *au, int64_t *person);
/* Adds a photo to a person (dropped when SL_HALL_MAX_PHOTOS are held or it
 * is nearly identical to a stored one: *added false). *count gets the
 * templates held. SL_ERR_HALL_PERSON if absent/withdrawn/other hall. */
sl_status sl__hall_add_photo(sl_store *s, const sl_keyring *k, int64_t hall,
                             int64_t person, const float emb[SL_HALL_DIM],
                             const struct sl_audit_rec *au, bool *added, int *count);
/* Consent withdrawn: deletes the person's templates from the store and
 * this node's cache at once (other nodes at their next sync). */
sl_status sl__hall_withdraw(sl_store *s, const sl_keyring *k, int64_t hall,
                            int64_t person, const struct sl_audit_rec *au,
                            int64_t *removed);

/* ---- enrolment after a verified visit (seed 000 情形一 -> 情形二) ----
 * A registry person enters a hall's library only after a passed
 * verification at that hall (matter SL_HALL_ENROL_MATTER, reference
 * "hall:<id>", consumed here) and with a recorded consent of purpose
 * "library_enrolment" (scope "hall:<id>" or ""): recorded in the same
 * transaction when consent_now is set, else one recorded before must
 * exist. The capture must match the person's registry template (when they
 * have one) at SL_HALL_VISIT_MATCH. A person already in the library gets
 * the capture as another photo (kept when it differs; at most
 * SL_HALL_MAX_PHOTOS) -- every verified visit keeps the library current. */
#define SL_HALL_ENROL_MATTER "hall_enrolment"
#define SL_HALL_CONSENT_PURPOSE "library_enrolment"
/* 1:1 capture vs registry template: the FAR 1e-3 threshold measured for
 * one photo (0.331, docs/hall.md) rounded up. */
#define SL_HALL_VISIT_MATCH 0.35
struct sl_acct_audit;
struct sl_hall_visit {
    int64_t hall;
    int64_t verification;
    const float *emb;                    /* the capture (L2-normalised)      */
    bool consent_now;                    /* record the consent given now     */
    const char *channel;                 /* where consent was given          */
    const char *label;                   /* may be NULL                      */
    const struct sl_audit_rec *au;       /* the enrolment's record           */
    const struct sl_acct_audit *consent_au; /* the consent's record (may be NULL) */
};
struct sl_hall_visit_out {
    int64_t person, registry;
    bool enrolled;                       /* new in the library               */
    bool added;                          /* a template was stored            */
    int templates;
};
/* Errors: sl__verification_consume's (SL_ERR_NOT_FOUND, SL_ERR_ID_VERIF_*),
 * SL_ERR_HALL_CONSENT, SL_ERR_HALL_MISMATCH; nothing changes on error. */
sl_status sl__hall_enrol_verified(sl_store *s, const sl_keyring *k,
                                  const struct sl_hall_visit *v, struct sl_hall_visit_out *out);
/* A consent withdrawn elsewhere (id's consent records) reaches the library
 * here: if the registry person behind library person `person` no longer
 * has a live library_enrolment consent for hall, the person is withdrawn
 * (templates deleted, cache updated) and *purged is true. Identification
 * calls it for the candidate it is about to propose. */
sl_status sl__hall_consent_enforce(sl_store *s, const sl_keyring *k, int64_t hall,
                                   int64_t person, bool *purged);
/* "hall:<id>": the verification reference and consent scope of a hall. */
void sl__hall_ref(int64_t hall, char *out, size_t cap);

/* ---- returning visitor: the clerk confirms an identification ----
 * Capture `capture` (from identify, at most SL_HALL_CONFIRM_MS old, in
 * hall) proposed `person` above the threshold; the clerk saw the person
 * and confirms. Yields a passed verification result (method face, 1:N,
 * levels real_name + real_person, vouched_by the clerk) bound to the
 * registry person and (matter, reference) for the clerk's matter to
 * consume with sl__verification_consume. Single use per capture. The
 * person's library consent must still hold. Errors: SL_ERR_HALL_WATCH
 * never; SL_ERR_NOT_FOUND (no such capture in hall), SL_ERR_HALL_CONFIRM,
 * SL_ERR_HALL_UNLINKED (imported person without registry record),
 * SL_ERR_HALL_CONSENT. */
#define SL_HALL_CONFIRM_MS ((int64_t)5 * 60 * 1000)
struct sl_hall_confirm {
    int64_t hall, capture, person;
    const char *matter, *reference;
    const char *device;                  /* the window device or ""          */
    const char *clerk;                   /* who confirmed                    */
    const struct sl_audit_rec *au;
};
struct sl_hall_confirmed {
    int64_t verification, registry;
    double score;
    int64_t expires_ms;
};
sl_status sl__hall_confirm(sl_store *s, const sl_keyring *k, const struct sl_hall_confirm *c,
                           struct sl_hall_confirmed *out);

struct sl_hall_cand {
    int64_t person;
    double  score;
    int     photos;
};
/* The masked registry names of candidates (first character + '*', empty for
 * an imported person without a registry record), for the clerk to compare
 * with who stands at the window before confirming: names[i] (cap bytes
 * each) for cand[i]. Each name read is audited with au (action, actor;
 * object = the registry person) in the one read transaction. */
struct sl_acct_audit;
sl_status sl__hall_masked_names(sl_store *s, const sl_keyring *k, int64_t hall,
                                const struct sl_hall_cand *cand, size_t n,
                                const struct sl_acct_audit *au, char *names, size_t cap);
/* Exact 1:N search of hall's library (cache): the top cap candidates by
 * score, descending. Syncs first. */
sl_status sl__hall_search(sl_store *s, const sl_keyring *k, int64_t hall,
                          const float emb[SL_HALL_DIM], struct sl_hall_cand *out,
                          size_t cap, size_t *n);

/* ---- watchlists ---- */
sl_status sl__hall_watch_add(sl_store *s, const sl_keyring *k, int64_t hall,
                             const float emb[SL_HALL_DIM], const char *reason,
                             int level, const char *owner, int64_t expires_ms,
                             const struct sl_audit_rec *au, int64_t *entry);
sl_status sl__hall_watch_delete(sl_store *s, const sl_keyring *k, int64_t hall,
                                int64_t entry, const struct sl_audit_rec *au);

struct sl_hall_hit {
    int64_t alarm;
    int64_t entry;
    int     level;
    double  score;
};
/* Called with each new alarm (e.g. to push it to event streams). */
typedef void (*sl_hall_alarm_fn)(void *ctx, int64_t hall, const struct sl_hall_hit *h);
void      sl__hall_on_alarm(sl_hall_alarm_fn fn, void *ctx);
/* Checks one capture against every active (unexpired) watchlist entry of
 * hall, EXACTLY (a full scan, never an approximate index). Each hit at or
 * above SL_HALL_WATCH_THRESHOLD is stored as an alarm and reported to the
 * alarm hook; a hit never refuses anyone by itself. hits may be NULL. For
 * every module that processes a capture (identify, verification, kiosk
 * login). */
sl_status sl__hall_check_capture(sl_store *s, const sl_keyring *k, int64_t hall,
                                 const float emb[SL_HALL_DIM], int64_t now_ms,
                                 struct sl_hall_hit *hits, size_t cap, size_t *n);
/* Acknowledges an alarm of hall by who; au appended in the same tx. */
sl_status sl__hall_alarm_ack(sl_store *s, int64_t hall, int64_t alarm,
                             const char *who, const sl_keyring *k,
                             const struct sl_audit_rec *au);

/* ---- capture trail ---- */
/* Thumbnails are kept this long, then deleted by the retention job. */
#define SL_HALL_THUMB_KEEP_MS ((int64_t)30 * 24 * 3600 * 1000)
/* Records one capture (device, hall, time, matched person or 0, score, a
 * thumbnail sealed at rest; thumb may be NULL). Runs the retention job
 * (thumbnails older than SL_HALL_THUMB_KEEP_MS deleted) in the same
 * transaction, so it runs wherever captures are processed. */
sl_status sl__hall_capture_record(sl_store *s, const sl_keyring *k, int64_t hall,
                                  const char *device, int64_t person, double score,
                                  const void *thumb, size_t thumb_n, int64_t now_ms,
                                  int64_t *id);
/* Deletes thumbnails taken before now_ms - keep_ms; *removed (may be NULL). */
sl_status sl__hall_retention(sl_tx *tx, int64_t now_ms, int64_t keep_ms, int64_t *removed);
/* A person's trail in hall: [{"capture_id","at_ms","device","score",
 * "thumbnail" (bool)}], newest first; au appended in the same tx. */
sl_status sl__hall_trail(sl_store *s, const sl_keyring *k, int64_t hall, int64_t person,
                         const struct sl_audit_rec *au, json_t **out);

/* Look-ups for idempotent seeds (app/demo_hall.c): the library person of
 * a registry person in hall (*withdrawn true when they withdrew: a seed
 * must not enrol them again), the live watchlist entry with this reason.
 * SL_ERR_NOT_FOUND when none. */
sl_status sl__hall_person_of(sl_store *s, int64_t hall, int64_t registry, int64_t *person,
                             bool *withdrawn);
sl_status sl__hall_watch_find(sl_store *s, int64_t hall, const char *reason, int64_t *entry);

/* For the scale benchmark only (shualian-dev hall serve, bench/hall_http.sh;
 * never the product's routes): adds n persons (ids[i], rows of
 * SL_HALL_DIM floats, unit length) straight into hall's in-memory library,
 * not the store: the hours-long store fill is skipped. ids must not be
 * store person ids (use >= SL_HALL_BENCH_ID0). They stay until the cache
 * is rebuilt. sl__hall_bench_index then trains the IVF as a rebuild would
 * (libraries from 200,000 persons) and reports hall's index. */
#define SL_HALL_BENCH_ID0 ((int64_t)1 << 40)
struct sl_index_stats;
sl_status sl__hall_bench_add(int64_t hall, const uint64_t *ids, const float *rows, size_t n);
sl_status sl__hall_bench_index(int64_t hall, struct sl_index_stats *out);
/* The bench's nprobe sweep: hall's best match at nprobe lists (0: the
 * default) without the catch-up query; *id 0 when empty. */
sl_status sl__hall_bench_top1(int64_t hall, const float emb[SL_HALL_DIM], uint32_t nprobe,
                              int64_t *id, double *score);

/* Writes one library person inside tx exactly as enrolment does (the
 * hall_person row, the template sealed with ad "hall_template|<id>|template",
 * the hall_change row), without the audit record and without syncing the
 * cache: sl__hall_enrol adds those. Also the bench's store fill
 * (shualian-dev hall fill: many persons a transaction). */
sl_status sl__hall_enrol_write(sl_tx *tx, const sl_keyring *k, int64_t hall,
                               const float emb[SL_HALL_DIM], const char *label,
                               int64_t *person);

/* For unit tests: persons a page of the cache load (0: the default 4096);
 * the load opens a page's templates on SL_HALL_LOAD_THREADS threads (env,
 * 1..4; default the CPUs online, at most 4). */
void      sl__hall_set_load_page(size_t persons);

/* For unit tests and benchmarks: drop the cache (next sync rebuilds). */
void      sl__hall_cache_reset(void);

#endif
