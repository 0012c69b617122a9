/*
 * fit_model.h -- face-like 512-d templates for shualian-dev's 1:N
 * benchmarks (`bench index`, `hall serve`; docs/index.md "workload").
 * Identity centres are drawn from mean + low-rank covariance + isotropic
 * residual: fitted to real embeddings (dev_model_init with a raw float32
 * file, or dev_model_fit_rows), the documented stand-in, or isotropic.
 * A sample of an identity has cosine ~0.78-0.87 to its centre, so two
 * samples of one identity meet at ~0.6-0.75 (our engine's genuine scores).
 * Everything is deterministic in (ident, seed).
 */
#ifndef SL_DEV_FIT_MODEL_H
#define SL_DEV_FIT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev.h"

#define DEV_DIM  512
#define DEV_RANK 64

struct dev_model {
    bool  iso;
    float mean[DEV_DIM];
    float basis[DEV_RANK][DEV_DIM];   /* orthonormal rows                  */
    float sd[DEV_RANK];               /* sqrt eigenvalue                   */
    float res_sd;                     /* isotropic residual per dim        */
};

uint64_t dev_rnd(uint64_t *s);                 /* xorshift64              */
float    dev_unif(uint64_t *s);                /* [-1, 1)                 */
float    dev_gauss(uint64_t *s);               /* approx N(0,1)           */
void     dev_normalize(float *v, size_t n);

/* iso: isotropic; else fit (raw float32 n x 512, or NULL: the stand-in).
 * *desc names what was set up ("isotropic", "fitted-standin", "fitted"). */
sl_status dev_model_init(struct dev_model *m, bool iso, const char *fit, const char **desc);
/* Mean + top-DEV_RANK eigenpairs of n real embeddings (rows normalised
 * here); SL_ERR_INVALID when n < 2 * DEV_RANK. Sets m->iso false. */
sl_status dev_model_fit_rows(struct dev_model *m, const float *x, size_t n);
/* The centre of identity ident (unit length). */
void dev_centre_of(const struct dev_model *m, uint64_t ident, float *c);
/* A sample (one photo's template) of the identity with centre c. */
void dev_sample_of(const float *c, uint64_t seed, float *out);
/* The face embeddings of an eval cache (`shualian-dev eval --cache`),
 * normalised, n x DEV_DIM, with each one's identity (its photo's folder)
 * in *labels (both sl__free'd by the caller); NULL when none. hall_serve.c */
float *dev_cache_embeddings(const char *path, size_t *n, char (**labels)[64]);

#endif
