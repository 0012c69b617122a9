/*
 * eval.c -- `shualian-dev eval`: the evaluation driver
 * (src/face/eval_int.h, internal to the library) with the real engine as
 * its embedder. A development tool: the product program does not carry it.
 *
 * Embedding is the slow part (~25-40 ms per image), so every image named by
 * the face tree and the pairs file is embedded up front by --threads
 * workers (one engine session each; the models are shared), optionally
 * reusing a cache file keyed by canonical path, size, mtime, the pipeline
 * configuration, the program binary and the model files. The driver's embedder callback then only looks
 * the result up.
 */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev.h"
#include "../cli/face_opts.h"
#include "face/eval_int.h"
#include "shualian/engine.h"

#define EV_MAX_IMAGES   200000
#define EV_PIPELINE_VER 3u       /* bump when the pipeline's output changes */

enum { EV_PENDING = 0, EV_OK = SL__EVCACHE_FACE, EV_NOFACE = SL__EVCACHE_NOFACE, EV_FAILED = 3 };

struct ev_item {
    char    *path;               /* canonical, owned                         */
    int64_t  size, mtime_ns;
    uint8_t  state;
    float   *emb;                /* SL_FACE_EMBED_DIM floats in the block    */
};

struct ev {
    struct ev_item *v;
    size_t          n, cap;
    float          *embs;        /* n x dim                                  */
    sl_face_engine *eng;
    sl_face_session *main_s;     /* for callbacks on images not prewarmed    */
    const sl_face_config *cfg;
    atomic_size_t   next, done, noface;
    uint64_t        cfg_hash;
    const sl_quality_thresholds *quality;   /* NULL: no quality gate        */
    atomic_size_t   q_reason[SL_Q_REASON_MAX + 1];   /* rejections by reason */
};

static bool is_image(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && name[0] != '.' &&
           (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
            strcasecmp(dot, ".png") == 0);
}

static sl_status ev_add(struct ev *e, const char *path)
{
    char canon[PATH_MAX];
    struct stat sb;
    if (!realpath(path, canon) || stat(canon, &sb) != 0 || !S_ISREG(sb.st_mode))
        return SL_OK;               /* the driver reports it */
    if (e->n >= EV_MAX_IMAGES)
        return SL_ERR_TOO_LARGE;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 4096;
        struct ev_item *nv = realloc(e->v, cap * sizeof(*nv));
        if (!nv)
            return SL_ERR_NOMEM;
        e->v = nv;
        e->cap = cap;
    }
    char *p = strdup(canon);
    if (!p)
        return SL_ERR_NOMEM;
    e->v[e->n++] = (struct ev_item){ p, (int64_t)sb.st_size,
                                     (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
                                     EV_PENDING, NULL };
    return SL_OK;
}

static sl_status ev_walk(struct ev *e, const char *root)
{
    DIR *d = opendir(root);
    if (!d)
        return SL_ERR_NOT_FOUND;
    sl_status st = SL_OK;
    struct dirent *de;
    while (st == SL_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof(sub), "%s/%s", root, de->d_name) >= (int)sizeof(sub))
            continue;
        DIR *d2 = opendir(sub);
        if (!d2)
            continue;
        struct dirent *f;
        while (st == SL_OK && (f = readdir(d2)) != NULL) {
            char full[PATH_MAX];
            if (!is_image(f->d_name) ||
                snprintf(full, sizeof(full), "%s/%s", sub, f->d_name) >= (int)sizeof(full))
                continue;
            st = ev_add(e, full);
        }
        closedir(d2);
    }
    closedir(d);
    return st;
}

/* Lists the images of the pairs file (paths relative to its folder, as the
 * driver reads them). An image that is not there is an error naming it,
 * before any embedding: counting it as "no face" would skew the result. */
static sl_status ev_pairs(struct ev *e, const char *pairs, char *err, size_t errcap)
{
    uint8_t *text;
    size_t len;
    sl_status st = sl_file_read(pairs, 64u << 20, &text, &len);
    if (st != SL_OK) {
        snprintf(err, errcap, "cannot read %s: %s", pairs, sl_status_str(st));
        return st;
    }
    char base[PATH_MAX];
    snprintf(base, sizeof(base), "%s", pairs);
    char *slash = strrchr(base, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(base, sizeof(base), ".");
    size_t line = 0;
    for (char *p = (char *)text, *nl; st == SL_OK && p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        line++;
        char *f[4], *s2 = NULL;
        int nf = 0;
        for (char *tok = strtok_r(p, "\t\r", &s2); tok && nf < 4; tok = strtok_r(NULL, "\t\r", &s2))
            f[nf++] = tok;
        /* what the driver skips (header, comments, malformed lines: it
         * reports those with their line number) */
        if (nf != 4 || f[0][0] == '#' || (line == 1 && strcmp(f[0], "lfw_fold") == 0))
            continue;
        for (int k = 1; k <= 2 && st == SL_OK; k++) {
            char full[PATH_MAX];
            struct stat sb;
            if (snprintf(full, sizeof(full), "%s/%s", base, f[k]) >= (int)sizeof(full))
                continue;
            if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) {
                snprintf(err, errcap, "%.120s:%zu: no image file %.300s (pair paths are relative "
                                      "to the pairs file's folder)", pairs, line, full);
                st = SL_ERR_NOT_FOUND;
                break;
            }
            st = ev_add(e, full);
        }
    }
    sl_free(text);
    return st;
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct ev_item *)a)->path, ((const struct ev_item *)b)->path);
}

static struct ev_item *ev_find(struct ev *e, const char *canon)
{
    struct ev_item key = { (char *)canon, 0, 0, 0, NULL };
    return e->n ? bsearch(&key, e->v, e->n, sizeof(key), cmp_item) : NULL;
}

/* Sorts, removes duplicates and gives every item its embedding row. */
static sl_status ev_finish_list(struct ev *e)
{
    if (e->n)
        qsort(e->v, e->n, sizeof(*e->v), cmp_item);
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (k && strcmp(e->v[k - 1].path, e->v[i].path) == 0) {
            free(e->v[i].path);
            continue;
        }
        e->v[k++] = e->v[i];
    }
    e->n = k;
    if (!(e->embs = calloc(SL_MAX(e->n, (size_t)1), SL_FACE_EMBED_DIM * sizeof(float))))
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < e->n; i++)
        e->v[i].emb = e->embs + i * SL_FACE_EMBED_DIM;
    return SL_OK;
}

/* ---- cache (format and reader: src/face/evalcache.c); its hash: ---- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Size and mtime of a file into the hash (nothing if it cannot be read). */
static uint64_t hash_file_stamp(uint64_t h, const char *path)
{
    struct stat sb;
    if (path && stat(path, &sb) == 0) {
        int64_t v[2] = { (int64_t)sb.st_size,
                         (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec };
        h = fnv1a(h, v, sizeof(v));
    }
    return h;
}

/* The cache is valid for one program build, one set of model files and one
 * pipeline configuration: a rebuilt engine or new models re-embed. */
static uint64_t cfg_hash(const sl_face_config *c, const char *models_dir)
{
    uint64_t h = 1469598103934665603ull;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        h = hash_file_stamp(h, exe);
    }
    const char *dir = models_dir && *models_dir ? models_dir : getenv("SL_MODELS");
    if (!dir || !*dir)
        dir = "models";
    static const char *const m[] = { "detect", "landmark", "feature", "liveness", "pose", "eye" };
    for (size_t i = 0; i < SL_ARRAY_LEN(m); i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/fr_%s.onnx", dir, m[i]);
        h = hash_file_stamp(h, p);
    }
    uint32_t v = EV_PIPELINE_VER;
    h = fnv1a(h, &v, sizeof(v));
    float f[4] = { c->det_score, c->nms_iou, c->min_face_px, c->live_scale };
    uint8_t b[10] = { c->det_fit, c->nms, c->det_pad, c->flip, c->feature_bgr, c->refine,
                      c->live_bgr, c->live_class, c->antialias, c->pts5 };
    h = fnv1a(h, f, sizeof(f));
    return fnv1a(h, b, sizeof(b));
}

static void ev_cache_load(struct ev *e, const char *path)
{
    sl__evcache c;
    char err[256];
    sl_status st = sl__evcache_read(&c, path, SL_FACE_EMBED_DIM, err, sizeof err);
    if (st != SL_OK) {
        if (st != SL_ERR_NOT_FOUND)
            fprintf(stderr, "eval: the cache %s: %s (%s): not used\n", path, err,
                    sl_status_name(st));
        return;
    }
    size_t hits = 0;
    for (size_t i = 0; c.hash == e->cfg_hash && i < c.n; i++) {
        const sl__evcache_entry *ce = &c.v[i];
        struct ev_item *it = ev_find(e, ce->path);
        if (!it || it->size != ce->size || it->mtime_ns != ce->mtime_ns)
            continue;
        it->state = ce->state;
        memcpy(it->emb, ce->emb, SL_FACE_EMBED_DIM * sizeof(float));
        hits++;
    }
    sl__evcache_free(&c);
    if (hits)
        fprintf(stderr, "eval: %zu embeddings from the cache %s\n", hits, path);
}

static sl_status ev_cache_save(const struct ev *e, const char *path)
{
    sl__evcache_entry *v = malloc((e->n ? e->n : 1) * sizeof *v);
    if (!v)
        return SL_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++) {
        const struct ev_item *it = &e->v[i];
        if (it->state == EV_OK || it->state == EV_NOFACE)
            v[n++] = (sl__evcache_entry){ it->path, it->size, it->mtime_ns, it->state, it->emb };
    }
    sl_status st = sl__evcache_write(path, e->cfg_hash, v, n, SL_FACE_EMBED_DIM);
    free(v);
    return st;
}

/* ---- embedding ---- */

/* Embeds (emb) or scores (live) the main face of a file. With a quality
 * gate (q), a face that fails it counts as not found: it would have been
 * refused at capture. The first failed reason is counted in qr. */
static sl_status embed_file(sl_face_session *s, const sl_face_config *cfg, const char *path,
                            float *emb, float *live, const sl_quality_thresholds *q,
                            atomic_size_t *qr)
{
    uint8_t *buf;
    size_t len;
    sl_status st = sl_file_read(path, SL_IMAGE_DEFAULT_MAX_BYTES, &buf, &len);
    if (st != SL_OK)
        return st;
    struct sl_image *img = NULL;
    st = sl_image_decode(buf, len, NULL, 3, &img, NULL);
    sl_free(buf);
    if (st != SL_OK)
        return st;
    sl_face_result *r = malloc(sizeof(*r));
    size_t n = 0, found = 0;
    uint32_t what = emb ? SL_FACE_DO_EMBED : SL_FACE_DO_LIVENESS;
    if (q)
        what |= SL_FACE_DO_QUALITY | SL_FACE_DO_POSE | SL_FACE_DO_EYES;
    st = r ? sl_face_process(s, img, cfg, what, r, 1, &n, &found) : SL_ERR_NOMEM;
    if (st == SL_OK && q) {
        sl_quality_meas m = sl_face_quality_meas(img, r, found);
        enum sl_quality_reason rs[SL_Q_REASON_MAX];
        if (sl_quality_check(rs, SL_ARRAY_LEN(rs), &m, q) > 0) {
            if (qr && rs[0] <= SL_Q_REASON_MAX)
                atomic_fetch_add(&qr[rs[0]], 1);
            st = SL_NO_FACE;
        }
    }
    if (st == SL_OK && emb)
        memcpy(emb, r->emb, SL_FACE_EMBED_DIM * sizeof(float));
    if (st == SL_OK && live)
        *live = r->live_score;
    free(r);
    sl_image_free(img);
    return st;
}

struct worker {
    struct ev      *e;
    sl_face_session *s;
    pthread_t       th;
    sl_status       st;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct ev *e = w->e;
    for (;;) {
        size_t i = atomic_fetch_add(&e->next, 1);
        if (i >= e->n)
            break;
        struct ev_item *it = &e->v[i];
        if (it->state != EV_PENDING)
            continue;
        sl_status st = embed_file(w->s, e->cfg, it->path, it->emb, NULL, e->quality, e->q_reason);
        it->state = st == SL_OK ? EV_OK : st == SL_NO_FACE ? EV_NOFACE : EV_FAILED;
        if (st == SL_NO_FACE)
            atomic_fetch_add(&e->noface, 1);
        if (st == SL_ERR_NOMEM)
            w->st = st;
        atomic_fetch_add(&e->done, 1);
    }
    return NULL;
}

static sl_status ev_prewarm(struct ev *e, long threads)
{
    size_t todo = 0;
    for (size_t i = 0; i < e->n; i++)
        todo += e->v[i].state == EV_PENDING;
    if (!todo)
        return SL_OK;
    struct worker w[64];
    long nt = SL_MIN(threads, 64L);
    sl_status st = SL_OK;
    long started = 0;
    atomic_store(&e->next, 0);
    atomic_store(&e->done, 0);
    for (long k = 0; k < nt; k++) {
        w[k] = (struct worker){ e, NULL, 0, SL_OK };
        if ((st = sl_face_session_new(&w[k].s, e->eng)) != SL_OK)
            break;
        if (pthread_create(&w[k].th, NULL, worker_main, &w[k]) != 0) {
            sl_face_session_free(w[k].s);
            st = SL_ERR_INTERNAL;
            break;
        }
        started++;
    }
    struct sl_cli_progress pr;
    sl_cli_progress_init(&pr, "embedding");
    while (started && atomic_load(&e->done) < todo) {
        struct timespec ts = { 0, 200000000 };
        nanosleep(&ts, NULL);
        sl_cli_progress_update(&pr, atomic_load(&e->done), todo, atomic_load(&e->noface),
                               false);
        bool alive = false;
        for (long k = 0; k < started; k++)
            alive |= w[k].st == SL_OK;
        if (!alive)
            break;
    }
    for (long k = 0; k < started; k++) {
        pthread_join(w[k].th, NULL);
        if (w[k].st != SL_OK)
            st = w[k].st;
        sl_face_session_free(w[k].s);
    }
    if (started)
        sl_cli_progress_update(&pr, atomic_load(&e->done), todo, atomic_load(&e->noface),
                               true);
    return started ? st : (st != SL_OK ? st : SL_ERR_INTERNAL);
}

/* ---- driver callbacks ---- */

static sl_status cb_embed(void *ctx, const char *path, float *out, size_t dim)
{
    struct ev *e = ctx;
    char canon[PATH_MAX];
    if (dim != SL_FACE_EMBED_DIM)
        return SL_ERR_INVALID;
    if (!realpath(path, canon))
        return SL_ERR_NOT_FOUND;
    struct ev_item *it = ev_find(e, canon);
    if (it && it->state == EV_OK) {
        memcpy(out, it->emb, dim * sizeof(float));
        return SL_OK;
    }
    if (it && it->state == EV_NOFACE)
        return SL_NO_FACE;
    return embed_file(e->main_s, e->cfg, canon, out, NULL, e->quality, e->q_reason);
}

/* The driver's progress (its own stages) through the CLI's one display. */
struct ev_progress {
    struct sl_cli_progress p;
    const char            *what;
};

static void cb_progress(void *ctx, const char *what, size_t done, size_t total,
                        size_t noface, bool final)
{
    struct ev_progress *ep = ctx;
    if (!ep->what || strcmp(ep->what, what) != 0)
        sl_cli_progress_init(&ep->p, what);
    ep->what = what;
    sl_cli_progress_update(&ep->p, done, total, noface, final);
}

static sl_status cb_live(void *ctx, const char *path, float *score)
{
    struct ev *e = ctx;
    return embed_file(e->main_s, e->cfg, path, NULL, score, NULL, NULL);
}

int dev_eval(int argc, char **argv)
{
    const char *cmd = "eval";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian-dev eval --faces DIR [--pairs FILE] [--pad DIR] [--json OUT.json]\n"
               "         [--plot DET.svg] [--roc ROC.svg] [--threads N] [--cache FILE]\n"
               "         [--calib-out FILE] [--pad-threshold X] [--quality verify|enrol]\n"
               "         [engine options]\n\n"
               "Evaluates the face engine: LFW pairs protocol (k-fold over the folds of\n"
               "the pairs file), all-pairs ROC over <faces>/<identity>/<images> (TAR at\n"
               "FAR 1e-2/1e-3/1e-4, EER), rank-1 identification, PAD metrics on\n"
               "<pad>/{real,spoof}. Progress and a summary go to stderr, JSON to stdout.\n"
               "--cache keeps embeddings keyed by path, size, mtime, configuration,\n"
               "program build and model files.\n"
               "--quality verify|enrol [--quality-min-side PX]: images whose main face\n"
               "fails the quality preset count as no face (refused at capture); the\n"
               "first failed reason of each is counted in quality_rejected.\n"
               "Pairs file: lines 'fold<TAB>path1<TAB>path2<TAB>same(0/1)'; the paths\n"
               "are relative to the pairs file's folder (not --faces); a missing image\n"
               "is an error (exit 4), not a pair without a face. --faces needs at least\n"
               "one <identity>/<image>. Output files are checked before the run.\n");
        sl_cli_fe_help();
        return SL_EXIT_OK;
    }
    struct fe_opts o;
    int rc = sl_cli_fe_parse(&o, argc, argv, cmd);
    if (rc >= 0)
        return rc;
    if (o.npos)
        return sl_cli_usage_error(cmd, "unexpected argument '%s'", o.pos[0]);
    if (!o.faces && !o.pairs && !o.pad)
        return sl_cli_usage_error(cmd, "--faces, --pairs or --pad is required");
    /* outputs first: a long run must not end on an unwritable path */
    const char *outs[] = { o.json_out, o.plot, o.roc, o.calib_out, o.cache };
    for (size_t k = 0; k < SL_ARRAY_LEN(outs); k++)
        if (sl_cli_check_writable(outs[k]) != SL_OK)
            return sl_cli_fail(SL_ERR_IO, cmd, "cannot write %s", outs[k]);
    struct ev e;
    memset(&e, 0, sizeof(e));
    e.cfg = &o.cfg;
    e.cfg_hash = cfg_hash(&o.cfg, o.models);
    sl_quality_thresholds qth;
    if (o.quality_gate) {
        qth = strcmp(o.quality_gate, "enrol") == 0 ? sl_quality_preset_enrol()
                                                   : sl_quality_preset_verify();
        if (o.quality_min_side >= 0)
            qth.min_image_side = (int32_t)o.quality_min_side;
        e.quality = &qth;
        char key[64];
        int kl = snprintf(key, sizeof(key), "quality:%s:%ld", o.quality_gate,
                          o.quality_min_side);
        e.cfg_hash = fnv1a(e.cfg_hash, key, (size_t)kl);
    }
    json_t *res = NULL;
    char err[512] = "";
    uint32_t models = (o.faces || o.pairs ? SL_FM_CORE : 0) |
                      (o.quality_gate ? SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_EYE) : 0) |
                      (o.pad ? SL_FM_BIT(SL_FM_DETECT) | SL_FM_BIT(SL_FM_LANDMARK) |
                               SL_FM_BIT(SL_FM_LIVENESS) : 0);
    sl_status st;
    if (o.faces && (st = ev_walk(&e, o.faces)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot list %s", o.faces);
        goto out;
    }
    if (o.faces && e.n == 0) {
        rc = sl_cli_fail(SL_ERR_INVALID, cmd, "no images in %s (want %s/<identity>/<image>"
                         ".jpg or .png)", o.faces, o.faces);
        goto out;
    }
    if (o.pairs && (st = ev_pairs(&e, o.pairs, err, sizeof(err))) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "%s", err[0] ? err : sl_status_str(st));
        goto out;
    }
    sl_face_engine_opts eo = { .models_dir = o.models, .models = models,
                               .backend = o.backend, .threads = 1,
                               .skip_model_check = o.no_model_check };
    st = sl_face_engine_new(&e.eng, &eo, err, sizeof(err));
    if (st != SL_OK) {
        rc = sl_cli_fail(st, cmd, "%s", err);
        goto out;
    }
    if ((st = sl_face_session_new(&e.main_s, e.eng)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot create a session");
        goto out;
    }
    if ((st = ev_finish_list(&e)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, NULL);
        goto out;
    }
    if (o.cache)
        ev_cache_load(&e, o.cache);
    if ((st = ev_prewarm(&e, o.threads)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "embedding failed");
        goto out;
    }
    if (o.cache && (st = ev_cache_save(&e, o.cache)) != SL_OK)
        fprintf(stderr, "eval: cannot write the cache %s\n", o.cache);
    struct ev_progress evp = { .what = NULL };
    sl__eval_opts eopt = {
        .root = o.faces, .pairs = o.pairs, .pad_root = o.pad,
        .pad_threshold = isnan(o.pad_threshold) ? sl_passive_defaults().live_min
                                                : o.pad_threshold,
        .det_svg = o.plot, .roc_svg = o.roc, .calib_out = o.calib_out,
        .model_id = SL_FACE_ENGINE_MODEL_ID, .progress = cb_progress, .progress_ctx = &evp,
    };
    sl__eval_embedder emb = { &e, SL_FACE_EMBED_DIM, cb_embed, o.pad ? cb_live : NULL };
    if ((st = sl__eval_run(&res, &eopt, &emb, err, sizeof(err))) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "%s", err[0] ? err : sl_status_str(st));
        goto out;
    }
    json_object_set_new(res, "config", json_pack("{s:s, s:s, s:b, s:b, s:b, s:f, s:f, s:i}",
        "det_fit", o.cfg.det_fit == SL_DET_SQUASH ? "squash" : "letterbox",
        "nms", o.cfg.nms == SL_NMS_PACKAGE ? "package" : "iou",
        "det_pad", o.cfg.det_pad, "flip", o.cfg.flip, "feature_bgr", o.cfg.feature_bgr,
        "det_score", (double)o.cfg.det_score, "nms_iou", (double)o.cfg.nms_iou,
        "refine", (int)o.cfg.refine));
    json_object_set_new(json_object_get(res, "config"), "antialias", json_boolean(o.cfg.antialias));
    if (e.quality) {
        json_t *qj = json_object();
        for (int k = 1; qj && k <= SL_Q_REASON_MAX; k++)
            if (atomic_load(&e.q_reason[k]))
                json_object_set_new(qj, sl_quality_reason_name((enum sl_quality_reason)k),
                                    json_integer((json_int_t)atomic_load(&e.q_reason[k])));
        json_object_set_new(res, "quality_gate", json_string(o.quality_gate));
        json_object_set_new(res, "quality_rejected", qj);
    }
    sl__eval_print_summary(stderr, res);
    if (o.json_out) {
        char *text = json_dumps(res, JSON_INDENT(1) | JSON_SORT_KEYS);
        st = text ? sl_file_write(o.json_out, text, strlen(text)) : SL_ERR_NOMEM;
        free(text);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, cmd, "cannot write %s", o.json_out);
            goto out;
        }
    }
    rc = sl_cli_print(res);
    res = NULL;
out:
    json_decref(res);
    for (size_t i = 0; i < e.n; i++)
        free(e.v[i].path);
    free(e.v);
    free(e.embs);
    sl_face_session_free(e.main_s);
    sl_face_engine_free(e.eng);
    return rc;
}
