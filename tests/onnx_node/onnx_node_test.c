/*
 * onnx_node_test.c -- ONNX's own backend node tests (Debian package
 * libonnx-testdata: data/node/<test>/model.onnx + test_data_set_N/
 * input_K.pb, output_K.pb) run against our engine, on every backend.
 *
 *   build/onnx-node-test [--data DIR] [--filter SUBSTR] [--verbose]
 *
 * A test is run when every op of its graph is one we support (the others
 * are counted as "unsupported op" and not run). Graph input 0 stays a
 * runtime input when it is float; every other input becomes an
 * initializer carrying its test data (our engine wants shape/axes/weight
 * operands constant), appended to the GraphProto (protobuf concatenation
 * semantics). Each test then must:
 *   PASS     -- every output within |ours - want| <= 1e-7 + 1e-3 |want|
 *               (ONNX's backend-test default), same shape; or
 *   REFUSED  -- a clean load-time refusal: SL_ERR_MODEL_{OP,SHAPE,FORMAT}
 *               or SL_ERR_TOO_LARGE with a one-line reason.
 * Anything else fails the suite: WRONG (a wrong answer or shape), CRASH
 * (a signal), HANG (over 10 s), a refusal at session creation or run, or
 * a refusal with another code. Each test runs in a forked child.
 * Prints one line per failure (every test with --verbose), then counts
 * (pass / refused by reason) and "N passed, N failed, N skipped".
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "shualian/nn.h"
#include "nn/nn_int.h"

#define MAX_IO 16
#define TIMEOUT_S 10

/* Paths are cut to fit on purpose (test dirs are short). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* ============================ Protobuf scan ============================= */
struct rd {
    const uint8_t *p, *end;
};

static bool rd_varint(struct rd *b, uint64_t *v)
{
    uint64_t r = 0;
    for (int sh = 0; sh < 64 && b->p < b->end; sh += 7) {
        uint8_t c = *b->p++;
        r |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* Next field: number, wire type, and for wire type 2 the payload. */
static bool rd_field(struct rd *b, uint32_t *f, uint32_t *wt, struct rd *sub)
{
    uint64_t k, n;
    if (b->p >= b->end || !rd_varint(b, &k))
        return false;
    *f = (uint32_t)(k >> 3);
    *wt = (uint32_t)(k & 7);
    switch (*wt) {
    case 0: return rd_varint(b, &n);
    case 1: if (b->end - b->p < 8) return false; b->p += 8; return true;
    case 5: if (b->end - b->p < 4) return false; b->p += 4; return true;
    case 2:
        if (!rd_varint(b, &n) || n > (uint64_t)(b->end - b->p))
            return false;
        sub->p = b->p;
        sub->end = b->p + n;
        b->p += n;
        return true;
    default: return false;
    }
}

static bool rd_eq(struct rd s, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(s.end - s.p) == n && memcmp(s.p, lit, n) == 0;
}

/* What the driver needs from model.onnx. */
struct model_info {
    struct rd graph;               /* GraphProto payload                   */
    int  ninputs;                  /* graph inputs without an initializer  */
    char inputs[MAX_IO][128];
    int  in_float[MAX_IO];         /* elem_type == FLOAT                   */
    bool ops_ok;                   /* every op is one we support           */
    char bad_op[64];
    int64_t opset;
};

/* ValueInfoProto -> TypeProto.tensor_type.elem_type (1 = FLOAT). */
static int elem_type(struct rd vi)
{
    uint32_t f, wt;
    struct rd s, t, tt;
    while (rd_field(&vi, &f, &wt, &s))
        if (f == 2 && wt == 2)
            while (rd_field(&s, &f, &wt, &t))
                if (f == 1 && wt == 2)
                    while (tt = t, rd_field(&t, &f, &wt, &s))
                        if (f == 1 && wt == 0) {
                            uint64_t k, x;
                            if (rd_varint(&tt, &k) && rd_varint(&tt, &x))
                                return (int)x;
                        }
    return 0;
}

static bool scan_model(const uint8_t *p, size_t n, struct model_info *mi)
{
    struct rd b = { p, p + n }, s, g;
    uint32_t f, wt;
    memset(mi, 0, sizeof *mi);
    mi->ops_ok = true;
    bool have = false;
    while (rd_field(&b, &f, &wt, &s)) {
        if (f == 7 && wt == 2) {
            mi->graph = s;
            have = true;
        } else if (f == 8 && wt == 2) {
            struct rd o = s, t;
            bool onnx = true;
            uint64_t ver = 0;
            while (o.p < o.end) {
                const uint8_t *at = o.p;
                if (!rd_field(&o, &f, &wt, &t))
                    break;
                if (f == 1 && wt == 2)
                    onnx = t.p == t.end || rd_eq(t, "ai.onnx");
                if (f == 2 && wt == 0) {
                    struct rd v = { at + 1, o.end };
                    rd_varint(&v, &ver);
                }
            }
            if (onnx)
                mi->opset = (int64_t)ver;
        }
    }
    if (!have)
        return false;
    /* initializer names first, so inputs that have one are not counted */
    char inits[64][128];
    int ninits = 0;
    g = mi->graph;
    while (rd_field(&g, &f, &wt, &s)) {
        if (f == 5 && wt == 2 && ninits < 64) {
            struct rd t = s, nm;
            inits[ninits][0] = 0;
            while (rd_field(&t, &f, &wt, &nm))
                if (f == 8 && wt == 2 && nm.end - nm.p < 128) {
                    memcpy(inits[ninits], nm.p, (size_t)(nm.end - nm.p));
                    inits[ninits][nm.end - nm.p] = 0;
                }
            ninits++;
        }
    }
    g = mi->graph;
    while (rd_field(&g, &f, &wt, &s)) {
        struct rd t = s, x;
        if (f == 1 && wt == 2) {                 /* NodeProto */
            struct rd op = { NULL, NULL }, dom = { NULL, NULL };
            while (rd_field(&t, &f, &wt, &x)) {
                if (f == 4 && wt == 2)
                    op = x;
                if (f == 7 && wt == 2)
                    dom = x;
            }
            char name[64] = "";
            if (op.p && op.end - op.p < 64) {
                memcpy(name, op.p, (size_t)(op.end - op.p));
                name[op.end - op.p] = 0;
            }
            bool ok = sl__nn_op_from_name(name) >= 0 &&
                      (!dom.p || dom.p == dom.end || rd_eq(dom, "ai.onnx"));
            if (!ok && mi->ops_ok) {
                mi->ops_ok = false;
                snprintf(mi->bad_op, sizeof mi->bad_op, "%s", name);
            }
        } else if (f == 11 && wt == 2 && mi->ninputs < MAX_IO) {
            char name[128] = "";
            while (rd_field(&t, &f, &wt, &x))
                if (f == 1 && wt == 2 && x.end - x.p < 128) {
                    memcpy(name, x.p, (size_t)(x.end - x.p));
                    name[x.end - x.p] = 0;
                }
            bool init = false;
            for (int i = 0; i < ninits; i++)
                init |= strcmp(inits[i], name) == 0;
            if (init)
                continue;
            snprintf(mi->inputs[mi->ninputs], sizeof mi->inputs[0], "%s", name);
            mi->in_float[mi->ninputs] = elem_type(s) == 1;
            mi->ninputs++;
        }
    }
    return true;
}

/* ============================ Protobuf write ============================ */
struct wr {
    uint8_t *p;
    size_t n, cap;
};

static void wr_raw(struct wr *w, const void *d, size_t n)
{
    if (w->n + n > w->cap) {
        size_t cap = (w->n + n) * 2 + 64;
        uint8_t *q = realloc(w->p, cap);
        if (!q)
            abort();
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

static void wr_varint(struct wr *w, uint64_t v)
{
    uint8_t b[10];
    int k = 0;
    do {
        b[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[k] |= 0x80;
        k++;
    } while (v);
    wr_raw(w, b, (size_t)k);
}

static void wr_bytes(struct wr *w, uint32_t f, const void *d, size_t n)
{
    wr_varint(w, (uint64_t)f << 3 | 2);
    wr_varint(w, n);
    wr_raw(w, d, n);
}

/* ============================ Files ===================================== */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0, r;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *t = realloc(buf, cap);
            if (!t) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = t;
        }
        r = fread(buf + len, 1, cap - len, f);
        len += r;
    } while (r > 0);
    fclose(f);
    *n = len;
    return buf;
}

/* ============================ One test ================================== */
enum { R_PASS, R_REFUSED, R_WRONG, R_ERROR, R_NODATA };

/* Runs test dir on backend; the verdict line into msg. */
static int run_one(const char *dir, const struct model_info *mi, const uint8_t *model,
                   size_t mlen, const char *backend, char *msg, size_t cap)
{
    char path[4096], err[256];
    int verdict = R_PASS;
    struct sl_nn_value in[MAX_IO], want[MAX_IO];
    uint8_t *inb[MAX_IO] = { NULL };
    size_t inl[MAX_IO] = { 0 };
    int nin = 0, nwant = 0;
    sl_nn_model *m = NULL;
    sl_nn_session *s = NULL;
    float *outs[MAX_IO] = { NULL };
    memset(in, 0, sizeof in);
    memset(want, 0, sizeof want);
    snprintf(msg, cap, "ok");

    /* data set 0 (every test has one; a few have more, same op) */
    for (int k = 0; k < MAX_IO; k++) {
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, k);
        inb[k] = slurp(path, &inl[k]);
        if (!inb[k])
            break;
        char *nm = NULL;
        if (sl__nn_tensor_read(inb[k], inl[k], &in[k], &nm, err, sizeof err)) {
            free(nm);
            nin = k + 1;
            snprintf(msg, cap, "input_%d.pb: %s", k, err);
            verdict = R_NODATA;
            goto out;
        }
        sl__free(nm);
        nin = k + 1;
    }
    for (int k = 0; k < MAX_IO; k++) {
        size_t n;
        snprintf(path, sizeof path, "%s/test_data_set_0/output_%d.pb", dir, k);
        uint8_t *b = slurp(path, &n);
        if (!b)
            break;
        char *nm = NULL;
        sl_status st = sl__nn_tensor_read(b, n, &want[k], &nm, err, sizeof err);
        sl__free(nm);
        free(b);
        nwant = k + 1;
        if (st) {
            snprintf(msg, cap, "output_%d.pb: %s", k, err);
            verdict = R_NODATA;
            goto out;
        }
    }
    if (nin != mi->ninputs) {
        snprintf(msg, cap, "%d input files for %d graph inputs", nin, mi->ninputs);
        verdict = R_NODATA;
        goto out;
    }

    if (nin && !mi->in_float[0]) {
        snprintf(msg, cap, "input 0 is not float32 (graph inputs are float32)");
        verdict = R_NODATA;
        goto out;
    }
    /* the model with every input but a float input 0 as an initializer */
    struct wr g = { 0 }, mod = { 0 };
    wr_raw(&g, mi->graph.p, (size_t)(mi->graph.end - mi->graph.p));
    for (int k = 0; k < nin; k++) {
        if (k == 0 && mi->in_float[0])
            continue;
        struct wr t = { 0 };
        wr_raw(&t, inb[k], inl[k]);
        wr_bytes(&t, 8, mi->inputs[k], strlen(mi->inputs[k]));   /* last wins */
        wr_bytes(&g, 5, t.p, t.n);
        free(t.p);
    }
    {
        struct rd b = { model, model + mlen }, sub;
        uint32_t f, wt;
        while (b.p < b.end) {
            const uint8_t *at = b.p;
            if (!rd_field(&b, &f, &wt, &sub))
                break;
            if (f != 7)
                wr_raw(&mod, at, (size_t)(b.p - at));
        }
    }
    wr_bytes(&mod, 7, g.p, g.n);
    free(g.p);
    sl_status st = sl_nn_model_load_mem(&m, mod.p, mod.n, err, sizeof err);
    free(mod.p);
    if (st) {
        bool clean = (st & 0xff) == (SL_ERR_MODEL_OP & 0xff) ||
                     (st & 0xff) == (SL_ERR_MODEL_SHAPE & 0xff) ||
                     (st & 0xff) == (SL_ERR_MODEL_FORMAT & 0xff) ||
                     (st & 0xff) == (SL_ERR_TOO_LARGE & 0xff);
        snprintf(msg, cap, "%s: %s", sl_status_name(st), err[0] ? err : "(no reason)");
        verdict = clean && err[0] ? R_REFUSED : R_ERROR;
        goto out;
    }
    struct sl_nn_options o = { .backend = backend, .threads = 1 };
    st = sl_nn_session_new_opts(&s, m, &o);
    if (st) {
        snprintf(msg, cap, "session: %s", sl_status_name(st));
        verdict = R_ERROR;
        goto out;
    }
    int no = sl_nn_model_num_outputs(m);
    if (no != nwant) {
        snprintf(msg, cap, "%d outputs, the test has %d", no, nwant);
        verdict = R_WRONG;
        goto out;
    }
    const float *ip[MAX_IO];
    size_t ic[MAX_IO], oc[MAX_IO];
    int nrun = sl_nn_model_num_inputs(m);
    if (nrun != (mi->in_float[0] ? 1 : 0)) {
        snprintf(msg, cap, "model has %d runtime inputs", nrun);
        verdict = R_ERROR;
        goto out;
    }
    if (nrun) {
        ip[0] = in[0].data;
        ic[0] = (size_t)sl__nn_numel(&in[0]);
    }
    for (int k = 0; k < no; k++) {
        oc[k] = sl_nn_model_output_size(m, k);
        outs[k] = calloc(oc[k] + 1, sizeof(float));
    }
    st = sl_nn_session_run(s, ip, ic, outs, oc);
    if (st) {
        snprintf(msg, cap, "run: %s", sl_status_name(st));
        verdict = R_ERROR;
        goto out;
    }
    for (int k = 0; k < no; k++) {
        int64_t d[SL_NN_MAX_RANK];
        int r = sl_nn_model_output_shape(m, k, d, SL_NN_MAX_RANK);
        bool same = r == want[k].rank;
        for (int i = 0; same && i < r; i++)
            same = d[i] == want[k].dims[i];
        if (!same || want[k].dtype != SL_NN_F32) {
            snprintf(msg, cap, "output %d: %s", k, same ? "not float" : "shape differs");
            verdict = R_WRONG;
            goto out;
        }
        const float *w = want[k].data;
        for (size_t i = 0; i < oc[k]; i++) {
            float a = outs[k][i], b = w[i];
            if ((isnan(a) && isnan(b)) || a == b)
                continue;
            if (!(fabsf(a - b) <= 1e-7f + 1e-3f * fabsf(b))) {
                snprintf(msg, cap, "output %d [%zu]: %.9g, want %.9g", k, i, a, b);
                verdict = R_WRONG;
                goto out;
            }
        }
    }
out:
    for (int k = 0; k < MAX_IO; k++) {
        free(inb[k]);
        free(outs[k]);
        sl__free(in[k].data);
        sl__free(want[k].data);
    }
    sl_nn_session_free(s);
    sl_nn_model_free(m);
    return verdict;
}

/* ============================ Reasons =================================== */
/* A refusal's reason without the node/value names: "node 'x' (Conv):
 * only 2-D convolution..." -> "Conv: only 2-D convolution...". */
static void reason_key(const char *msg, char *out, size_t cap)
{
    size_t k = 0;
    bool q = false;
    for (const char *p = msg; *p && k + 1 < cap; p++) {
        if (*p == '\'') {
            q = !q;
            if (!q && k + 2 < cap)
                out[k++] = '*';
            continue;
        }
        if (!q)
            out[k++] = *p;
    }
    out[k] = 0;
}

struct tally {
    char key[200];
    int n;
};

static void tally_add(struct tally *t, int *nt, int cap, const char *key)
{
    for (int i = 0; i < *nt; i++)
        if (strcmp(t[i].key, key) == 0) {
            t[i].n++;
            return;
        }
    if (*nt < cap) {
        snprintf(t[*nt].key, sizeof t[0].key, "%s", key);
        t[(*nt)++].n = 1;
    }
}

static int cmp_tally(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;
    return x->n != y->n ? y->n - x->n : strcmp(x->key, y->key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ============================ Main ====================================== */
int main(int argc, char **argv)
{
    const char *data = "/usr/share/libonnx-testdata/data/node", *filter = NULL;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
        else {
            fprintf(stderr, "usage: onnx-node-test [--data DIR] [--filter SUBSTR] [--verbose]\n");
            return 2;
        }
    }
    DIR *d = opendir(data);
    if (!d) {
        printf("skip: %s missing (Debian package libonnx-testdata; scripts/setup.sh)\n", data);
        printf("0 passed, 0 failed, 1 skipped\n");
        return 0;
    }
    char **names = NULL;
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) || (filter && !strstr(e->d_name, filter)))
            continue;
        char **t = realloc(names, sizeof *names * (size_t)(nn + 1));
        if (!t)
            return 2;
        names = t;
        names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof *names, cmp_str);

    const char *backends[2] = { "ref", "xnnpack" };
    int nbe = strstr(sl_nn_backends(), "xnnpack") ? 2 : 1;
    int n_unsup = 0, n_tests = 0, cnt[5][2] = { { 0 } }, n_fail = 0;
    static struct tally reasons[256], unsup[256];
    int nreasons = 0, nunsup = 0;
    for (int t = 0; t < nn; t++) {
        char dir[4096], path[4200];
        snprintf(dir, sizeof dir, "%s/%s", data, names[t]);
        snprintf(path, sizeof path, "%s/model.onnx", dir);
        size_t mlen;
        uint8_t *model = slurp(path, &mlen);
        struct model_info mi;
        if (!model || !scan_model(model, mlen, &mi)) {
            free(model);
            continue;
        }
        if (!mi.ops_ok) {
            n_unsup++;
            tally_add(unsup, &nunsup, 256, mi.bad_op);
            free(model);
            continue;
        }
        n_tests++;
        int first = -1;
        char first_key[200] = "";
        for (int b = 0; b < nbe; b++) {
            char msg[400] = "";
            int pfd[2];
            if (pipe(pfd))
                return 2;
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                close(pfd[0]);
                alarm(TIMEOUT_S);
                int v = run_one(dir, &mi, model, mlen, backends[b], msg, sizeof msg);
                if (write(pfd[1], msg, strlen(msg) + 1) < 0)
                    _exit(100);
                _exit(v);
            }
            close(pfd[1]);
            ssize_t r = read(pfd[0], msg, sizeof msg - 1);
            msg[r > 0 ? r : 0] = 0;
            close(pfd[0]);
            int ws = 0, verdict;
            waitpid(pid, &ws, 0);
            if (WIFEXITED(ws) && WEXITSTATUS(ws) <= R_NODATA) {
                verdict = WEXITSTATUS(ws);
            } else {
                verdict = R_ERROR;
                snprintf(msg, sizeof msg, "%s (signal %d)",
                         WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM ? "HANG" : "CRASH",
                         WIFSIGNALED(ws) ? WTERMSIG(ws) : -1);
            }
            if (verdict == R_NODATA) {        /* data the reader cannot hold */
                verdict = R_REFUSED;
                char m2[400];
                snprintf(m2, sizeof m2, "test data: %.300s", msg);
                snprintf(msg, sizeof msg, "%s", m2);
            }
            cnt[verdict][b]++;
            static const char *vn[] = { "PASS", "REFUSED", "WRONG", "ERROR", "NODATA" };
            bool bad = verdict == R_WRONG || verdict == R_ERROR;
            if (bad)
                n_fail++;
            if (bad || verbose)
                printf("%-7s %-55s %-7s opset %-2lld %s\n", bad ? "FAIL" : vn[verdict], names[t],
                       backends[b], (long long)mi.opset, msg);
            if (verdict == R_REFUSED) {
                char key[200];
                reason_key(msg, key, sizeof key);
                if (b == 0)
                    tally_add(reasons, &nreasons, 256, key);
                if (first < 0)
                    snprintf(first_key, sizeof first_key, "%s", key);
            }
            /* both backends share the load: a refusal must be the same */
            if (b == 0)
                first = verdict;
            else if ((first == R_REFUSED) != (verdict == R_REFUSED)) {
                n_fail++;
                printf("FAIL    %-55s backends disagree on refusing\n", names[t]);
            }
        }
        free(model);
    }
    qsort(reasons, (size_t)nreasons, sizeof reasons[0], cmp_tally);
    qsort(unsup, (size_t)nunsup, sizeof unsup[0], cmp_tally);
    printf("\nnode tests: %d; with an op we do not support (not run): %d; run: %d\n",
           nn, n_unsup, n_tests);
    for (int b = 0; b < nbe; b++)
        printf("  %-7s pass %d, refused %d, wrong %d, error/crash/hang %d\n", backends[b],
               cnt[R_PASS][b], cnt[R_REFUSED][b], cnt[R_WRONG][b], cnt[R_ERROR][b]);
    printf("refusals by reason (ref):\n");
    for (int i = 0; i < nreasons; i++)
        printf("  %3d  %s\n", reasons[i].n, reasons[i].key);
    if (verbose) {
        printf("first unsupported op of the tests not run:\n");
        for (int i = 0; i < nunsup; i++)
            printf("  %3d  %s\n", unsup[i].n, unsup[i].key);
    }
    int passed = 0;
    for (int b = 0; b < nbe; b++)
        passed += cnt[R_PASS][b] + cnt[R_REFUSED][b];
    printf("%d passed, %d failed, %d skipped\n", passed, n_fail, n_unsup);
    for (int i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return n_fail ? 1 : 0;
}
