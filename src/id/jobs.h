/*
 * jobs.h -- the id module's scheduled work: the retention job deletes the
 * evidence frames whose retention period is over (sl__frame_sweep_tx).
 *
 * Several nodes may run it: each tick takes the store lease "id.retention"
 * (sl__store_lease, ttl twice the period) in the same transaction as the
 * sweep, so one node sweeps at a time and another takes over when the
 * holder stops renewing. A sweep that removed frames appends an audit
 * record (action "id.frame_sweep", outcome "removed <n>") in that
 * transaction. Time is sl__now_ms() (serve --clock moves it; the thread
 * only waits for the next tick).
 */
#ifndef SL_ID_JOBS_H
#define SL_ID_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"

typedef struct sl_store sl_store;
typedef struct sl_keyring sl_keyring;
struct sl_id_jobs;

#define SL_ID_RETENTION_LEASE "id.retention"
#define SL_ID_RETENTION_PERIOD_MS 60000

/* One tick: *held says whether holder had the lease, *removed (may be
 * NULL) the frames deleted. */
sl_status sl__id_retention_tick(sl_store *s, const sl_keyring *k, const char *holder,
                                int64_t period_ms, bool *held, int64_t *removed);

/* Starts the job thread (a tick every period_ms; s and k borrowed). */
sl_status sl__id_jobs_start(sl_store *s, const sl_keyring *k, const char *holder,
                            int64_t period_ms, struct sl_id_jobs **out);
/* Stops and frees; NULL ok. */
void      sl__id_jobs_stop(struct sl_id_jobs *j);

#endif
