/*
 * test_face_eval.c -- the evaluation driver with fake embedders: a small
 * synthetic tree whose files hold their own embedding (hand-checkable
 * metrics), and the real ../shared/faces layout (enumeration and pair
 * resolution only; no image is decoded).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "base/json.h"
#include "face/eval_int.h"
#include "test.h"

/* Files hold "x y" (the embedding), "noface", or for PAD one score. */
static sl_status file_embed(void *ctx, const char *path, float *out, size_t dim)
{
    (void)ctx;
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return SL_ERR_IO;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    if (strncmp(buf, "noface", 6) == 0)
        return SL_NO_FACE;
    return dim == 2 && sscanf(buf, "%f %f", &out[0], &out[1]) == 2 ? SL_OK : SL_ERR_INVALID;
}

static sl_status file_live(void *ctx, const char *path, float *score)
{
    float v[2];
    sl_status st = file_embed(ctx, path, v, 2);
    if (st == SL_ERR_INVALID) {            /* one number */
        FILE *f = fopen(path, "r");
        int ok = f && fscanf(f, "%f", score) == 1;
        if (f)
            fclose(f);
        return ok ? SL_OK : SL_ERR_INVALID;
    }
    return st;
}

static void put(const char *root, const char *rel, const char *content)
{
    char path[512], dir[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = 0;
        mkdir(dir, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    SL_ASSERT(f);
    fputs(content, f);
    fclose(f);
}

static double num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

SL_TEST(face, eval_synthetic_tree)
{
    char root[] = "/tmp/sl-eval-XXXXXX";
    SL_ASSERT(mkdtemp(root));
    put(root, "tree/Ann/1.jpg", "1 0.05");
    put(root, "tree/Ann/2.jpg", "0.98 -0.05");
    put(root, "tree/Bob/1.jpg", "0.05 1");
    put(root, "tree/Bob/2.JPG", "-0.05 0.97");
    put(root, "tree/Bob/3.png", "0.1 1");
    put(root, "tree/Cat/1.jpg", "-1 0.1");          /* distractor */
    put(root, "tree/Dan/1.jpeg", "noface");
    put(root, "tree/Dan/2.jpg", "-0.7 -0.7");
    put(root, "tree/Dan/notes.txt", "1 1");          /* not an image */
    put(root, "tree/.hidden/1.jpg", "1 1");          /* hidden folder */
    put(root, "pairs.tsv",
        "lfw_fold\tpath1\tpath2\tsame_person\n"
        "1\ttree/Ann/1.jpg\ttree/Ann/2.jpg\t1\n"
        "1\ttree/Ann/1.jpg\ttree/Bob/1.jpg\t0\n"
        "2\ttree/Bob/1.jpg\ttree/Bob/3.png\t1\n"
        "2\ttree/Cat/1.jpg\ttree/Bob/2.JPG\t0\n"
        "3\ttree/Dan/1.jpeg\ttree/Dan/2.jpg\t1\n"     /* no face: counts wrong */
        "3\ttree/Ann/2.jpg\ttree/Cat/1.jpg\t0\n");
    put(root, "pad/real/r1.jpg", "0.9");
    put(root, "pad/real/r2.jpg", "0.7");
    put(root, "pad/real/r3.jpg", "noface");
    put(root, "pad/spoof/s1.jpg", "0.2");
    put(root, "pad/spoof/s2.jpg", "0.6");

    char tree[600], pairs[600], pad[600], det[600], roc[600], cal[600];
    snprintf(tree, sizeof(tree), "%s/tree", root);
    snprintf(pairs, sizeof(pairs), "%s/pairs.tsv", root);
    snprintf(pad, sizeof(pad), "%s/pad", root);
    snprintf(det, sizeof(det), "%s/det.svg", root);
    snprintf(roc, sizeof(roc), "%s/roc.svg", root);
    snprintf(cal, sizeof(cal), "%s/calib.json", root);
    sl__eval_opts o = { .root = tree, .pairs = pairs, .pad_root = pad, .pad_threshold = 0.5,
                       .det_svg = det, .roc_svg = roc, .calib_out = cal, .model_id = "fake" };
    sl__eval_embedder e = { NULL, 2, file_embed, file_live };
    json_t *r = NULL;
    char err[256] = "";
    SL_CHECK_EQ(t, sl__eval_run(&r, &o, &e, err, sizeof(err)), SL_OK);
    SL_CHECKF(t, r != NULL, "err: %s", err);
    if (!r)
        return;
    SL_CHECK_EQ(t, sl_json_int(r, "images", -1), 8);       /* pairs reuse tree images */
    SL_CHECK_EQ(t, sl_json_int(r, "identities", -1), 4);
    SL_CHECK_EQ(t, sl_json_int(r, "no_face", -1), 1);
    const json_t *nf = json_object_get(r, "no_face_images");
    SL_CHECK(t, json_array_size(nf) == 1 &&
                strstr(json_string_value(json_array_get(nf, 0)), "Dan/1.jpeg"));
    /* folds 1 and 2 are separable; fold 3 has the no-face same pair */
    const json_t *folds = json_object_get(r, "lfw_folds");
    SL_CHECK(t, json_array_size(folds) == 3);
    SL_CHECK(t, json_number_value(json_array_get(folds, 0)) == 1 &&
                json_number_value(json_array_get(folds, 1)) == 1 &&
                json_number_value(json_array_get(folds, 2)) == 0.5);
    SL_CHECK(t, fabs(num(r, "lfw_accuracy") - 2.5 / 3) < 1e-6);
    SL_CHECK_EQ(t, sl_json_int(r, "pairs_no_face", -1), 1);
    /* all pairs over the 7 tree images with a face: genuine Ann 1, Bob 3 */
    SL_CHECK_EQ(t, sl_json_int(r, "genuine_pairs", -1), 4);
    SL_CHECK_EQ(t, sl_json_int(r, "impostor_pairs", -1), 21 - 4);
    const json_t *tar = json_object_get(r, "tar_at_far");
    SL_CHECK(t, json_number_value(json_object_get(tar, "1e-2")) == 1 &&
                json_number_value(json_object_get(tar, "1e-3")) == 1 &&
                json_number_value(json_object_get(tar, "1e-4")) == 1);
    SL_CHECK(t, num(r, "eer") == 0);
    /* probes: Ann x2, Bob x3 (Dan has one image with a face): all hit */
    SL_CHECK(t, num(r, "rank1") == 1 && sl_json_int(r, "rank1_probes", -1) == 5);
    /* PAD at 0.5: attacks 0.2, 0.6 -> APCER 1/2; live 0.9, 0.7 -> BPCER 0;
     * AUC: 0.9 > both, 0.7 > both -> 1 */
    SL_CHECK(t, num(r, "apcer") == 0.5 && num(r, "bpcer") == 0 && num(r, "acer") == 0.25);
    SL_CHECK(t, num(r, "auc") == 1 && sl_json_int(r, "pad_no_face", -1) == 1);
    /* files */
    uint8_t *svg;
    size_t len;
    SL_CHECK_EQ(t, sl__read_file(det, 1 << 20, &svg, &len), SL_OK);
    SL_CHECK(t, len > 100 && strncmp((char *)svg, "<?xml", 5) == 0 && strstr((char *)svg, "DET"));
    sl__free(svg);
    SL_CHECK_EQ(t, sl__read_file(roc, 1 << 20, &svg, &len), SL_OK);
    sl__free(svg);
    sl_calib c;
    SL_CHECK_EQ(t, sl_calib_load(&c, cal), SL_OK);
    SL_CHECK(t, strcmp(c.model_id, "fake") == 0 && sl_calib_get(&c, "live") &&
                sl_calib_get(&c, "live")->n_genuine == 4);
    sl_calib_free(&c);
    /* summary table */
    char *txt = NULL;
    size_t tl = 0;
    FILE *mf = open_memstream(&txt, &tl);
    sl__eval_print_summary(mf, r);
    fclose(mf);
    SL_CHECK(t, txt && strstr(txt, "TAR @ FAR 1e-3") && strstr(txt, "100.00 %") &&
                strstr(txt, "PAD ACER"));
    free(txt);
    json_decref(r);

    /* a malformed pairs file names its line */
    put(root, "bad.tsv", "lfw_fold\tpath1\tpath2\tsame_person\n1\ta\tb\t1\n2\ta\tb\n");
    snprintf(pairs, sizeof(pairs), "%s/bad.tsv", root);
    sl__eval_opts ob = { .pairs = pairs };
    SL_CHECK_EQ(t, sl__eval_run(&r, &ob, &e, err, sizeof(err)), SL_ERR_INVALID);
    SL_CHECKF(t, strstr(err, "bad.tsv:3") != NULL, "err: %s", err);
    /* a pair image that is not there is an error naming it, not "no face" */
    put(root, "miss.tsv", "1\ttree/Ann/1.jpg\ttree/Ann/9.jpg\t1\n");
    snprintf(pairs, sizeof(pairs), "%s/miss.tsv", root);
    sl__eval_opts omiss = { .pairs = pairs };
    SL_CHECK_EQ(t, sl__eval_run(&r, &omiss, &e, err, sizeof(err)), SL_ERR_NOT_FOUND);
    SL_CHECKF(t, strstr(err, "tree/Ann/9.jpg") != NULL, "err: %s", err);
    /* a face tree without an image is refused, not null metrics */
    char empty[600];
    snprintf(empty, sizeof(empty), "%s/empty/x", root);
    put(root, "empty/x/readme.txt", "no images");
    snprintf(empty, sizeof(empty), "%s/empty", root);
    sl__eval_opts oe = { .root = empty };
    SL_CHECK_EQ(t, sl__eval_run(&r, &oe, &e, err, sizeof(err)), SL_ERR_INVALID);
    /* missing folders */
    sl__eval_opts om = { .root = "/nonexistent/faces" };
    SL_CHECK_EQ(t, sl__eval_run(&r, &om, &e, err, sizeof(err)), SL_ERR_NOT_FOUND);
    /* a cap on the number of images */
    sl__eval_opts oc = { .root = tree, .max_images = 3 };
    SL_CHECK_EQ(t, sl__eval_run(&r, &oc, &e, err, sizeof(err)), SL_ERR_TOO_LARGE);

    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    SL_CHECK(t, system(cmd) == 0);
}

/* Embedding from the identity folder name (plus a little per-file noise):
 * touches no file, so the whole dev layout is walked in milliseconds. */
static sl_status name_embed(void *ctx, const char *path, float *out, size_t dim)
{
    (void)ctx;
    const char *slash = strrchr(path, '/'), *id = slash;
    while (id > path && id[-1] != '/')
        id--;
    uint64_t h = 1469598103934665603ull, hf = h;
    for (const char *p = id; p < slash; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    for (const char *p = slash; *p; p++)
        hf = (hf ^ (uint8_t)*p) * 1099511628211ull;
    unsigned long long s = h, sf = hf;
    for (size_t k = 0; k < dim; k++)
        out[k] = sl_t_randf(&s) + 0.3f * sl_t_randf(&sf);
    return SL_OK;
}

SL_TEST(face, eval_real_layout)
{
    const char *faces = sl_t_faces_dir();
    if (!faces) {
        sl_t_skip(t, "../shared/faces not found");
        return;
    }
    char dev[512], pairs[512];
    snprintf(dev, sizeof(dev), "%s/dev", faces);
    snprintf(pairs, sizeof(pairs), "%s/lfw_pairs_dev.tsv", faces);
    sl__eval_opts o = { .root = dev, .pairs = pairs };
    sl__eval_embedder e = { NULL, 32, name_embed, NULL };
    json_t *r = NULL;
    char err[256] = "";
    SL_CHECK_EQ(t, sl__eval_run(&r, &o, &e, err, sizeof(err)), SL_OK);
    if (!r) {
        SL_CHECKF(t, false, "err: %s", err);
        return;
    }
    /* README counts: 2,526 identities, 5,544 images; every pair path is a
     * tree image (no extra images), 3,599 pairs */
    SL_CHECK_EQ(t, sl_json_int(r, "images", -1), 5544);
    SL_CHECK_EQ(t, sl_json_int(r, "identities", -1), 2526);
    SL_CHECK_EQ(t, sl_json_int(r, "pairs", -1), 3599);
    SL_CHECK_EQ(t, sl_json_int(r, "genuine_pairs", -1), 11951);
    SL_CHECK_EQ(t, json_array_size(json_object_get(r, "lfw_folds")), 6);
    /* the fake embedder separates identities: near-perfect scores */
    SL_CHECK(t, num(r, "lfw_accuracy") > 0.99 && num(r, "rank1") > 0.99);
    json_decref(r);
}
