/*
 * fit_model.c -- the face-like template model shared by shualian-dev's
 * 1:N benchmarks (fit_model.h): `bench index` and `hall serve`.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_model.h"

/* ============================ Random numbers ============================= */

uint64_t dev_rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

float dev_unif(uint64_t *s)          /* [-1, 1) */
{
    return (float)((double)(dev_rnd(s) >> 11) / 4503599627370496.0 - 1.0);
}

float dev_gauss(uint64_t *s)         /* approx N(0,1): sum of 3 uniforms */
{
    return (dev_unif(s) + dev_unif(s) + dev_unif(s));
}

void dev_normalize(float *v, size_t n)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)v[i] * v[i];
    float inv = (float)(1.0 / sqrt(ss));
    for (size_t i = 0; i < n; i++)
        v[i] *= inv;
}

/* ============================ Identity model ============================= */


static void orthonormalize(float (*b)[DEV_DIM], size_t r)
{
    for (size_t i = 0; i < r; i++) {
        for (size_t j = 0; j < i; j++) {
            double d = 0;
            for (size_t k = 0; k < DEV_DIM; k++)
                d += (double)b[i][k] * b[j][k];
            for (size_t k = 0; k < DEV_DIM; k++)
                b[i][k] -= (float)d * b[j][k];
        }
        dev_normalize(b[i], DEV_DIM);
    }
}

static void model_standin(struct dev_model *m, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < DEV_DIM; i++)
        m->mean[i] = dev_gauss(&s);
    dev_normalize(m->mean, DEV_DIM);
    for (size_t i = 0; i < DEV_DIM; i++)
        m->mean[i] *= 0.3f;
    for (size_t i = 0; i < DEV_RANK; i++)
        for (size_t k = 0; k < DEV_DIM; k++)
            m->basis[i][k] = dev_gauss(&s);
    orthonormalize(m->basis, DEV_RANK);
    double h = 0;
    for (size_t i = 1; i <= DEV_DIM; i++)
        h += 1.0 / (double)i;
    double total = 1.0 - 0.09, tail = 0;
    for (size_t i = 1; i <= DEV_DIM; i++) {
        double lam = total * (1.0 / (double)i) / h;
        if (i <= DEV_RANK)
            m->sd[i - 1] = (float)sqrt(lam);
        else
            tail += lam;
    }
    m->res_sd = (float)sqrt(tail / DEV_DIM);
}

/* Mean + top-DEV_RANK eigenpairs (subspace iteration) of real embeddings. */
sl_status dev_model_fit_rows(struct dev_model *m, const float *x, size_t n)
{
    if (n < 2 * DEV_RANK)
        return SL_ERR_INVALID;
    m->iso = false;
    double *mean = calloc(DEV_DIM, sizeof(double));
    double *cov = calloc((size_t)DEV_DIM * DEV_DIM, sizeof(double));
    float *v = malloc(DEV_DIM * sizeof(float));
    for (size_t r = 0; r < n; r++) {
        memcpy(v, x + r * DEV_DIM, DEV_DIM * sizeof(float));
        dev_normalize(v, DEV_DIM);
        for (size_t i = 0; i < DEV_DIM; i++)
            mean[i] += v[i];
    }
    for (size_t i = 0; i < DEV_DIM; i++)
        mean[i] /= (double)n;
    for (size_t r = 0; r < n; r++) {
        memcpy(v, x + r * DEV_DIM, DEV_DIM * sizeof(float));
        dev_normalize(v, DEV_DIM);
        for (size_t i = 0; i < DEV_DIM; i++) {
            double a = v[i] - mean[i];
            for (size_t j = 0; j < DEV_DIM; j++)
                cov[i * DEV_DIM + j] += a * (v[j] - mean[j]);
        }
    }
    double trace = 0;
    for (size_t i = 0; i < DEV_DIM; i++) {
        m->mean[i] = (float)mean[i];
        trace += cov[i * DEV_DIM + i] / (double)(n - 1);
    }
    uint64_t s = 99;
    for (size_t i = 0; i < DEV_RANK; i++)
        for (size_t k = 0; k < DEV_DIM; k++)
            m->basis[i][k] = dev_gauss(&s);
    orthonormalize(m->basis, DEV_RANK);
    static float tmp[DEV_RANK][DEV_DIM];
    for (int it = 0; it < 30; it++) {
        for (size_t i = 0; i < DEV_RANK; i++)
            for (size_t a = 0; a < DEV_DIM; a++) {
                double acc = 0;
                for (size_t b = 0; b < DEV_DIM; b++)
                    acc += cov[a * DEV_DIM + b] * m->basis[i][b];
                tmp[i][a] = (float)(acc / (double)(n - 1));
            }
        memcpy(m->basis, tmp, sizeof(tmp));
        orthonormalize(m->basis, DEV_RANK);
    }
    double top = 0;
    for (size_t i = 0; i < DEV_RANK; i++) {
        double rq = 0;
        for (size_t a = 0; a < DEV_DIM; a++) {
            double acc = 0;
            for (size_t b = 0; b < DEV_DIM; b++)
                acc += cov[a * DEV_DIM + b] * m->basis[i][b];
            rq += acc * m->basis[i][a];
        }
        rq /= (double)(n - 1);
        m->sd[i] = (float)sqrt(rq > 0 ? rq : 0);
        top += rq;
    }
    m->res_sd = (float)sqrt(fmax(trace - top, 0) / DEV_DIM);
    free(mean);
    free(cov);
    free(v);
    return SL_OK;
}

static sl_status model_fit(struct dev_model *m, const char *path)
{
    uint8_t *buf;
    size_t len;
    sl_status st = sl__read_file(path, 4ull << 30, &buf, &len);
    if (st != SL_OK)
        return st;
    st = dev_model_fit_rows(m, (const float *)buf, len / (DEV_DIM * sizeof(float)));
    sl__free(buf);
    return st;
}

/* Sets up m for --dist (iso) and --fit (path or NULL): isotropic, the
 * fitted stand-in, or a fit to real embeddings. *desc names what was set
 * up, for the report. */
sl_status dev_model_init(struct dev_model *m, bool iso, const char *fit,
                            const char **desc)
{
    m->iso = iso;
    *desc = iso ? "isotropic" : "fitted-standin";
    if (iso)
        return SL_OK;
    if (!fit) {
        model_standin(m, 2024);
        return SL_OK;
    }
    sl_status st = model_fit(m, fit);
    if (st == SL_OK)
        *desc = "fitted";
    return st;
}

void dev_centre_of(const struct dev_model *m, uint64_t ident, float *c)
{
    uint64_t s = ident * 0x9e3779b97f4a7c15ULL + 12345;
    if (m->iso) {
        for (size_t i = 0; i < DEV_DIM; i++)
            c[i] = dev_gauss(&s);
        dev_normalize(c, DEV_DIM);
        return;
    }
    for (size_t i = 0; i < DEV_DIM; i++)
        c[i] = m->mean[i] + m->res_sd * 1.732f * dev_unif(&s);
    for (size_t r = 0; r < DEV_RANK; r++) {
        float z = m->sd[r] * dev_gauss(&s);
        const float *b = m->basis[r];
        for (size_t i = 0; i < DEV_DIM; i++)
            c[i] += z * b[i];
    }
    dev_normalize(c, DEV_DIM);
}

/* A sample of the identity: cosine to the centre in [0.775, 0.866], so
 * two samples have cosine ~0.6-0.75. */
void dev_sample_of(const float *c, uint64_t seed, float *out)
{
    uint64_t s = seed * 0xbf58476d1ce4e5b9ULL + 7;
    float n[DEV_DIM];
    double d = 0;
    for (size_t i = 0; i < DEV_DIM; i++) {
        n[i] = dev_unif(&s);
        d += (double)n[i] * c[i];
    }
    for (size_t i = 0; i < DEV_DIM; i++)
        n[i] -= (float)d * c[i];
    dev_normalize(n, DEV_DIM);
    float cs = 0.775f + 0.091f * (dev_unif(&s) + 1) / 2, sn = sqrtf(1 - cs * cs);
    for (size_t i = 0; i < DEV_DIM; i++)
        out[i] = cs * c[i] + sn * n[i];
}

