/*
 * id_fusion.c -- `shualian-dev id fusion-calib`: measures the 实证
 * thresholds of a verification session (src/id/vsession.h) on the dev set.
 *
 * From the embeddings `shualian-dev eval --cache FILE` keeps (one per image of
 * FACES/dev/<identity>/<n>.jpg): for every identity with 4 or more images
 * the first by number stands for the registry photo, the next up to five
 * for live frames. Genuine: registry vs the fused (L2-normalised mean,
 * sl__verif_fuse) frames of the same identity; impostor: registry vs the
 * fused frames of every other identity. The same for one frame (the
 * first live one), the single-frame mode. Writes a calibration file with
 * tables "idphoto_fused" and "idphoto_single" (docs/calibration.md format)
 * and prints TAR at FAR 1e-2 / 1e-3 for both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "face/eval_int.h"
#include "id/vsession.h"
#include "shualian/engine.h"
#include "shualian/face.h"

struct img {
    char id[128];
    long num;
    float emb[SL_FACE_EMBED_DIM];
};

static int by_id_num(const void *a, const void *b)
{
    const struct img *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : x->num < y->num ? -1 : x->num > y->num;
}

static float dot(const float *a, const float *b)
{
    double d = 0;
    for (size_t j = 0; j < SL_FACE_EMBED_DIM; j++)
        d += (double)a[j] * b[j];
    return (float)d;
}

/* The photos with a face of the cache, by identity then number. */
static int load(const char *path, struct img **out, size_t *n)
{
    sl__evcache c;
    char err[256];
    sl_status st = sl__evcache_read(&c, path, SL_FACE_EMBED_DIM, err, sizeof err);
    if (st != SL_OK) {
        fprintf(stderr, "id fusion-calib: %s: %s (%s)\n", path, err, sl_status_name(st));
        return -1;
    }
    struct img *v = calloc(c.n ? c.n : 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < c.n; i++) {
        const sl__evcache_entry *e = &c.v[i];
        const char *idn;
        size_t il = sl__evcache_identity(e->path, &idn);
        if (e->state != SL__EVCACHE_FACE || il == 0 || il >= sizeof v[k].id)
            continue;
        memcpy(v[k].id, idn, il);
        v[k].id[il] = 0;
        v[k].num = strtol(idn + il + 1, NULL, 10);
        memcpy(v[k].emb, e->emb, sizeof v[k].emb);
        k++;
    }
    sl__evcache_free(&c);
    if (!v)
        return -1;
    qsort(v, k, sizeof *v, by_id_num);
    *out = v;
    *n = k;
    return 0;
}

static void report(const sl_calib *c, const char *mode)
{
    const sl_calib_table *t = sl_calib_get(c, mode);
    if (!t)
        return;
    printf("%-15s genuine %llu impostor %llu", mode, (unsigned long long)t->n_genuine,
           (unsigned long long)t->n_impostor);
    for (size_t i = 0; i < t->n_targets; i++)
        if (t->targets[i].far >= 1e-3 * 0.99)
            printf("  FAR %.0e: thr %.4f TAR %.2f%% (support %llu)", t->targets[i].far,
                   t->targets[i].threshold, 100.0 * (1.0 - t->targets[i].frr),
                   (unsigned long long)t->targets[i].support);
    printf("\n");
}

int dev_id(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "fusion-calib") != 0 || sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian-dev id fusion-calib --cache EVAL.cache [--out FILE]\n\n"
               "Measures the 实证 thresholds for fused (best 3..5 frames) and single-frame\n"
               "comparisons against a registry photo from `shualian-dev eval --cache` embeddings\n"
               "(docs/identity.md). --out writes the calibration (default\n"
               "share/shualian/id-fusion-calib.json).\n");
        return argc < 2 ? SL_EXIT_USAGE : SL_EXIT_OK;
    }
    const char *cache = NULL, *outp = "share/shualian/id-fusion-calib.json";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--cache") == 0)
            cache = argv[i + 1];
        else if (strcmp(argv[i], "--out") == 0)
            outp = argv[i + 1];
    }
    struct img *v = NULL;
    size_t n = 0;
    if (!cache || load(cache, &v, &n) != 0) {
        fprintf(stderr, "id fusion-calib: cannot read the cache %s\n", cache ? cache : "(none)");
        return SL_EXIT_USAGE;
    }
    /* identities with >= 4 images: registry = first, live = next <= 5 */
    size_t cap = n / 4 + 1, m = 0;
    const float **reg = calloc(cap, sizeof *reg);
    float *fused = calloc(cap * SL_FACE_EMBED_DIM, sizeof(float));
    const float **single = calloc(cap, sizeof *single);
    float *gs = NULL, *gf = NULL, *is = NULL, *imp = NULL;
    for (size_t i = 0; reg && fused && single && i < n;) {
        size_t j = i;
        while (j < n && strcmp(v[j].id, v[i].id) == 0)
            j++;
        if (j - i >= 4) {
            const float *e[SL_VERIF_FUSE_MAX];
            size_t k = 0;
            for (size_t q = i + 1; q < j && k < SL_VERIF_FUSE_MAX; q++)
                e[k++] = v[q].emb;
            if (sl__verif_fuse(e, k, SL_FACE_EMBED_DIM, fused + m * SL_FACE_EMBED_DIM) == SL_OK) {
                reg[m] = v[i].emb;
                single[m] = v[i + 1].emb;
                m++;
            }
        }
        i = j;
    }
    size_t ni = m * (m - 1);
    gs = calloc(m, sizeof *gs);
    gf = calloc(m, sizeof *gf);
    is = calloc(ni, sizeof *is);
    imp = calloc(ni, sizeof *imp);
    int rc = SL_EXIT_OK;
    if (!gs || !gf || !is || !imp || m < 10) {
        fprintf(stderr, "id fusion-calib: too few identities with 4+ images (%zu)\n", m);
        rc = SL_EXIT_USAGE;
        goto out;
    }
    size_t k = 0;
    for (size_t a = 0; a < m; a++) {
        gs[a] = dot(reg[a], single[a]);
        gf[a] = dot(reg[a], fused + a * SL_FACE_EMBED_DIM);
        for (size_t b = 0; b < m; b++) {
            if (a == b)
                continue;
            is[k] = dot(reg[a], single[b]);
            imp[k] = dot(reg[a], fused + b * SL_FACE_EMBED_DIM);
            k++;
        }
    }
    sl_calib c;
    char src[128];
    snprintf(src, sizeof src, "shualian-dev id fusion-calib, %zu identities of the dev set", m);
    if (sl__calib_init(&c, SL_FACE_ENGINE_MODEL_ID, src) != SL_OK ||
        sl__calib_add(&c, SL_VERIF_MODE_FUSED, gf, m, imp, k) != SL_OK ||
        sl__calib_add(&c, SL_VERIF_MODE_SINGLE, gs, m, is, k) != SL_OK ||
        sl__calib_save(&c, outp) != SL_OK) {
        fprintf(stderr, "id fusion-calib: cannot build or write %s\n", outp);
        rc = SL_EXIT_INPUT;
    } else {
        printf("%zu identities (registry = first photo, live = next up to %d)\n", m,
               SL_VERIF_FUSE_MAX);
        report(&c, SL_VERIF_MODE_FUSED);
        report(&c, SL_VERIF_MODE_SINGLE);
        printf("written: %s\n", outp);
    }
    sl_calib_free(&c);
out:
    free(gs);
    free(gf);
    free(is);
    free(imp);
    free(reg);
    free(fused);
    free(single);
    free(v);
    return rc;
}
