/*
 * app_int.h -- private to src/gov/app.c and src/gov/allowance.c: the
 * module state and the helpers both use.
 */
#ifndef SL_GOV_APP_INT_H
#define SL_GOV_APP_INT_H

#include <pthread.h>

#include "gov/app.h"

struct sl__gov {
    sl_store             *store;
    const sl_keyring     *keys;
    struct sl__catalogue *cat;
    sl_calendar          *cal;
    struct sl__exchange  *x;        /* NULL: no shared data configured */
    /* the hold-release job thread (sl__gov_jobs_start) */
    pthread_t             job;
    bool                  job_running, job_stop;
    pthread_mutex_t       mu;
    pthread_cond_t        cv;
    char                  holder[64];
    int64_t               period_ms;
    void                (*on_entries)(void *ctx, json_t *entries);
    void                 *on_ctx;
    json_t               *added;    /* admin-added matters by "code@v" (mu) */
};

#define CN_OFFSET_MS ((int64_t)8 * 3600 * 1000)
#define DAY_MS       ((int64_t)86400000)

/* Today in China time (UTC+8) of sl__now_ms(). */
sl_day sl__gov_today(void);
/* The matter version (shipped or admin-added) in tx. */
sl_status sl__gov_matter_tx(struct sl__gov *g, sl_tx *tx, const char *code, int version,
                            const json_t **out);
/* allowance.c: grants the allowance of an approved application whose
 * matter has "proof_of_life" (no-op otherwise). */
sl_status sl__gov_allowance_grant_tx(sl_tx *tx, struct sl__gov *g, const struct sl__gov_actor *a,
                                     int64_t app_id, const char *matter, int version,
                                     int64_t person_id, const uint8_t *pidx, const char *masked,
                                     int64_t hall_id, int64_t proxy_person_id,
                                     const char *proxy_relation);

#endif
