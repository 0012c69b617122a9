/*
 * cmd_index.c -- `shualian index create|add|remove|search|stats|compact|
 * verify|collection|crashtest`: the 1:N gallery (include/shualian/index.h)
 * from the command line. Templates come from versioned template files
 * (`face embed --template`), from images through the face engine, or --
 * for benchmarks and imports -- from files of raw little-endian float32
 * vectors (n x dim).
 *
 * Read-only subcommands (search, stats, verify) open the index read-only:
 * they never change a file, and run beside a writer. Writing subcommands
 * take the index's writer lock; --wait S waits up to S seconds for another
 * writer instead of failing at once with index_locked.
 *
 * Input files are opened without blocking, must be regular files, and
 * their size is checked against what is needed before a byte is read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "shualian/engine.h"
#include "shualian/face.h"
#include "shualian/image.h"
#include "shualian/index.h"

#define VEC_FILE_MAX  (2ull << 30)   /* --vectors / --query / --ids bytes  */
#define TPL_FILE_MAX  (SL_FACE_TEMPLATE_HEADER + 4u * SL_FACE_TEMPLATE_MAX_DIM + 4u)
#define IMAGES_MAX    100000u        /* files per --images                 */

/* ============================ Help ======================================= */

static const char *const usage_text =
    "usage: shualian index <sub> DIR [options]\n\n"
    "  create DIR [--dim 512] [--kind int8|fp16|fp32]\n"
    "  add DIR (--templates F.slft... | --images DIR|FILE... |\n"
    "          --vectors F.f32 [--model-id M]) [--first-id N | --ids F.u64]\n"
    "          [--coll C] [--sync always|none] [--wait S]\n"
    "  remove DIR ID... [--wait S]\n"
    "  search DIR (--query F.f32 | --template F.slft) [--k 10] [--threshold T]\n"
    "          [--coll C,C..] [--mode auto|exact|ivf] [--nprobe N] [--threads T]\n"
    "  stats DIR\n"
    "  compact DIR [--ivf NLIST] [--wait S]   snapshot, drop tombstones, train IVF\n"
    "  verify DIR [--repair [--wait S]]       check files (read-only); repair a\n"
    "                                         damaged log, keeping a copy\n"
    "  collection DIR ID NAME [--watch THRESHOLD] [--model M] [--wait S]\n"
    "  crashtest DIR [--iters 200]    SIGKILL durability driver (tests)\n\n"
    "Output is JSON on stdout. `shualian index <sub> --help` describes one.\n";

static const struct {
    const char *sub, *text;
} sub_help[] = {
    { "create",
      "usage: shualian index create DIR [--dim 512] [--kind int8|fp16|fp32]\n\n"
      "Creates an empty index in DIR (made if missing; it must not hold an index).\n"
      "  --dim N        template dimension, 1..4096 (512: the face engine's)\n"
      "  --kind K       storage: int8 (default, 1 byte/dim), fp16, fp32\n" },
    { "add",
      "usage: shualian index add DIR SOURCE [options]\n\n"
      "Adds templates. SOURCE is one of:\n"
      "  --templates F...   versioned template files (`shualian face embed IMAGE\n"
      "                     --template F`); all of one model, which the collection\n"
      "                     takes at its first add and then requires\n"
      "  --images D|F...    image files, or a folder of .jpg/.jpeg/.png: the face\n"
      "                     engine embeds the largest face of each (--models DIR);\n"
      "                     images without a face are listed under \"skipped\"\n"
      "  --vectors F.f32    raw little-endian float32 vectors, n x dim (benchmarks,\n"
      "                     imports); they go into a collection without a model\n"
      "                     unless --model-id M declares the model that made them\n"
      "Options:\n"
      "  --first-id N       ids N, N+1, ... (default: after the largest id present)\n"
      "  --ids F.u64        ids from a file of little-endian u64 (not with --first-id)\n"
      "  --coll C           collection 0..1023 (0)\n"
      "  --sync always|none fdatasync each batch (always) or leave it to the OS\n"
      "  --wait S           wait up to S seconds for another writer (0: fail at once)\n"
      "Ids are 0..9223372036854775807. A duplicate id fails naming the id; the\n"
      "adds before it stay (\"added\" says how many).\n" },
    { "remove",
      "usage: shualian index remove DIR ID... [--wait S]\n\n"
      "Removes templates by id. Exit 4 (not_found) if an id is not in the index;\n"
      "the ids that were present are removed all the same.\n" },
    { "search",
      "usage: shualian index search DIR (--query F.f32 | --template F.slft) [options]\n\n"
      "Top-k search, read-only (never changes DIR; runs beside a writer).\n"
      "  --query F.f32      raw float32 query vectors, n x dim\n"
      "  --template F       one template file: only collections of its model\n"
      "  --k N              hits per query, 1..1024 (10)\n"
      "  --threshold T      only hits with cosine >= T, -1..1\n"
      "  --coll C,C..       only these collections\n"
      "  --mode M           auto (default), exact or ivf\n"
      "  --nprobe N         IVF lists probed\n"
      "  --threads T        threads for this search, 1..64\n"
      "Exit 1 when no query has a hit.\n" },
    { "stats",
      "usage: shualian index stats DIR\n\n"
      "Counts, memory, format version and log state, read-only.\n" },
    { "compact",
      "usage: shualian index compact DIR [--ivf NLIST] [--wait S]\n\n"
      "Writes a snapshot without tombstones and empties the log; --ivf trains the\n"
      "IVF coarse quantiser with NLIST lists first (0: automatic).\n" },
    { "verify",
      "usage: shualian index verify DIR [--repair [--wait S]]\n\n"
      "Checks the snapshot and every log record without changing anything. Exit 0\n"
      "intact, 1 damage found (the JSON names the first bad record).\n"
      "--repair (explicit; takes the writer lock) links the log as it is to\n"
      "DIR/log.damaged-<ms> and rewrites it with every valid record, dropping only\n"
      "the damaged bytes. A read-write open refuses a damaged log until then.\n" },
    { "collection",
      "usage: shualian index collection DIR ID NAME [--watch T] [--model M] [--wait S]\n\n"
      "Names collection ID (0..1023); --watch makes it a watchlist whose hits at\n"
      "or above T (-1..1) are reported; --model fixes the model id its templates\n"
      "must carry (before its first add).\n" },
    { "crashtest",
      "usage: shualian index crashtest DIR [--iters 200]\n\n"
      "SIGKILL durability driver used by the tests (development tool).\n" },
};

static int usage(const char *sub)
{
    for (size_t i = 0; sub && i < SL_ARRAY_LEN(sub_help); i++)
        if (strcmp(sub, sub_help[i].sub) == 0) {
            fputs(sub_help[i].text, stdout);
            return SL_EXIT_OK;
        }
    fputs(usage_text, stdout);
    return SL_EXIT_OK;
}

/* ============================ Errors ===================================== */

/* sl_cli_fail with the cause spelled out ("DIR: the index log has a damaged
 * record ...") and the CLI-wide rule for corrupt data files the user
 * handed us: input rejected (3), like any other bad input file. */
static int ix_fail(sl_status st, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ix_fail(sl_status st, const char *what, const char *fmt, ...)
{
    char msg[400] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int rc = sl_cli_fail(st, what, "%s%s%s", msg, msg[0] ? ": " : "",
                         sl_status_str(st));
    if (SL_STATUS_PRIMARY(st) == SL_ERR_CORRUPT)
        rc = SL_EXIT_INPUT;
    return rc;
}

/* ============================ Input files ================================ */

/* Reads a whole regular file of at most max bytes (and, when unit > 0, a
 * positive multiple of unit). The file is opened without blocking (a FIFO
 * cannot hang us), must be a regular file, and its size is checked before
 * anything is read. Caller frees *out (16-byte aligned). */
static sl_status read_regular(const char *path, uint64_t max, size_t unit,
                              uint8_t **out, size_t *len, char *why, size_t cap)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? SL_ERR_NOT_FOUND : SL_ERR_IO;
    }
    struct stat sb;
    sl_status st = SL_OK;
    if (fstat(fd, &sb) != 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        st = SL_ERR_IO;
    } else if (!S_ISREG(sb.st_mode)) {
        snprintf(why, cap, "%s: not a regular file (pipes and devices are "
                 "refused)", path);
        st = SL_ERR_INVALID;
    } else if ((uint64_t)sb.st_size > max) {
        snprintf(why, cap, "%s: %lld bytes, over the limit of %llu", path,
                 (long long)sb.st_size, (unsigned long long)max);
        st = SL_ERR_TOO_LARGE;
    } else if (unit && (sb.st_size == 0 || (size_t)sb.st_size % unit)) {
        snprintf(why, cap, "%s: %lld bytes is not a whole number of %zu-byte "
                 "records", path, (long long)sb.st_size, unit);
        st = SL_ERR_INDEX_DIM;
    }
    size_t n = st == SL_OK ? (size_t)sb.st_size : 0;
    uint8_t *buf = st == SL_OK ? sl__aligned_alloc(16, n ? n : 1) : NULL;
    if (st == SL_OK && !buf) {
        snprintf(why, cap, "%s: %zu bytes", path, n);
        st = SL_ERR_NOMEM;
    }
    for (size_t got = 0; st == SL_OK && got < n;) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(why, cap, "%s: %s", path, r < 0 ? strerror(errno)
                                                     : "file shrank while read");
            st = SL_ERR_IO;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (st != SL_OK) {
        sl__free(buf);
        return st;
    }
    *out = buf;
    *len = n;
    return SL_OK;
}

/* Reads a raw float32 file of n x dim values. Caller frees *out. */
static sl_status read_vectors(const char *path, size_t dim, float **out,
                              size_t *n, char *why, size_t cap)
{
    uint8_t *buf;
    size_t len;
    sl_status st = read_regular(path, VEC_FILE_MAX, dim * sizeof(float), &buf,
                                &len, why, cap);
    if (st == SL_ERR_INDEX_DIM)
        snprintf(why, cap, "%s: not a whole number of %zu-d float32 vectors",
                 path, dim);
    if (st != SL_OK)
        return st;
    *out = (float *)buf;
    *n = len / (dim * sizeof(float));
    return SL_OK;
}

/* Reads one template file into t. */
static sl_status read_template(const char *path, sl_face_template *t,
                               char *why, size_t cap)
{
    uint8_t *buf;
    size_t len;
    sl_status st = read_regular(path, TPL_FILE_MAX, 0, &buf, &len, why, cap);
    if (st != SL_OK)
        return st;
    st = sl_face_template_read(t, buf, len);
    sl__free(buf);
    if (st != SL_OK)
        snprintf(why, cap, "%s: not a valid template file", path);
    return st;
}

/* ============================ Ids ======================================== */

/* An id: decimal digits only (no sign, no spaces), 0..SL_INDEX_ID_MAX. */
static bool parse_id(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > SL_INDEX_ID_MAX)
        return false;
    *out = v;
    return true;
}

/* Ids above INT64_MAX cannot be added any more; an old index may hold one:
 * it is printed as a string rather than wrapped negative. */
static json_t *id_json(uint64_t id)
{
    if (id <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)id);
    char b[24];
    snprintf(b, sizeof(b), "%llu", (unsigned long long)id);
    return json_string(b);
}

/* --wait S -> milliseconds. */
static bool parse_wait(const char *s, uint32_t *ms)
{
    double d;
    if (!sl_cli_parse_double(s, &d) || !(d >= 0 && d <= 3600))
        return false;
    *ms = (uint32_t)(d * 1000);
    return true;
}

/* ============================ Open ======================================= */

static sl_status open_index(sl_index **ix, const char *dir, bool write,
                            uint32_t wait_ms, uint32_t threads, uint32_t sync)
{
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.open_mode = write ? SL_INDEX_OPEN_WRITE : SL_INDEX_OPEN_READ;
    o.lock_wait_ms = wait_ms;
    if (threads)
        o.threads = threads;
    o.sync = sync;
    return sl_index_open(ix, dir, &o);
}

static int open_fail(sl_status st, const char *what, const char *dir)
{
    if (st == SL_ERR_NOT_FOUND)
        return sl_cli_fail(st, what, "%s: no index there (no log or snapshot; "
                           "`shualian index create %s` makes one)", dir, dir);
    if (st == SL_ERR_INDEX_LOCKED)
        return sl_cli_fail(st, what, "%s: another process has the index open "
                           "for writing (retry, or pass --wait SECONDS)", dir);
    if (st == SL_ERR_INDEX_DAMAGED)
        return ix_fail(st, what, "%s: `shualian index verify %s` names the "
                       "record; `--repair` fixes it", dir, dir);
    return ix_fail(st, what, "%s", dir);
}

/* ============================ Subcommands ================================ */

static const char *kind_name(uint32_t k)
{
    return k == SL_INDEX_INT8 ? "int8" : k == SL_INDEX_FP16 ? "fp16" : "fp32";
}

static bool parse_kind(const char *s, uint32_t *k)
{
    if (strcmp(s, "int8") == 0)
        *k = SL_INDEX_INT8;
    else if (strcmp(s, "fp16") == 0)
        *k = SL_INDEX_FP16;
    else if (strcmp(s, "fp32") == 0)
        *k = SL_INDEX_FP32;
    else
        return false;
    return true;
}

static json_t *stats_json(sl_index *ix)
{
    struct sl_index_stats st;
    if (sl_index_stats(ix, &st) != SL_OK)
        return json_object();
    json_t *j = json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:i,s:i,s:I,s:I,s:i,s:s,s:i}",
                     "dim", (int)st.dim, "kind", kind_name(st.kind),
                     "live", (json_int_t)st.live, "dead", (json_int_t)st.dead,
                     "bytes", (json_int_t)st.bytes,
                     "bytes_per_template", (json_int_t)st.bytes_per_template,
                     "ivf_nlist", (int)st.ivf_nlist, "ivf_nprobe", (int)st.ivf_nprobe,
                     "log_records", (json_int_t)st.log_records,
                     "log_cut_bytes", (json_int_t)st.log_cut_bytes,
                     "collections", (int)st.ncollections, "kernel", st.kernel,
                     "format_version", (int)st.version);
    if (j && st.log_damaged_record)
        json_object_set_new(j, "log_damaged_record",
                            json_integer((json_int_t)st.log_damaged_record));
    return j;
}

/* Warns (stderr) when a read-only open found damage it could not fix. */
static void warn_damage(sl_index *ix, const char *dir)
{
    struct sl_index_stats st;
    if (sl_index_stats(ix, &st) == SL_OK && st.log_damaged_record)
        fprintf(stderr, "shualian: index %s: log record %llu is damaged; "
                "the records after it are not loaded (see `shualian index "
                "verify %s`)\n", dir, (unsigned long long)st.log_damaged_record,
                dir);
}

static int sub_create(int argc, char **argv)
{
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        long v;
        if (strcmp(argv[i], "--dim") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, SL_INDEX_DIM_MAX, &v))
                return sl_cli_usage_error("index create", "bad --dim");
            o.dim = (uint32_t)v;
        } else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
            if (!parse_kind(argv[++i], &o.kind))
                return sl_cli_usage_error("index create", "bad --kind");
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index create", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir)
        return sl_cli_usage_error("index create", "DIR missing");
    sl_index *ix;
    sl_status st = sl_index_create(&ix, dir, &o);
    if (st == SL_ERR_INDEX_EXISTS)
        return sl_cli_fail(st, "index create", "%s already holds an index", dir);
    if (st != SL_OK)
        return ix_fail(st, "index create", "%s", dir);
    json_t *j = stats_json(ix);
    sl_index_free(ix);
    return sl_cli_print(j);
}

/* --images: DIR (its .jpg/.jpeg/.png files, sorted) or files. */
static bool image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
                   strcasecmp(dot, ".png") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct paths {
    char  **p;
    size_t  n, cap;
};

static void paths_free(struct paths *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        sl__free(ps->p[i]);
    sl__free(ps->p);
    memset(ps, 0, sizeof(*ps));
}

static sl_status paths_add(struct paths *ps, const char *a, const char *b)
{
    if (ps->n >= IMAGES_MAX)
        return SL_ERR_TOO_LARGE;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        char **p = sl__realloc(ps->p, cap * sizeof(*p));
        if (!p)
            return SL_ERR_NOMEM;
        ps->p = p;
        ps->cap = cap;
    }
    size_t n = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;
    char *s = sl__malloc(n);
    if (!s)
        return SL_ERR_NOMEM;
    snprintf(s, n, b ? "%s/%s" : "%s", a, b ? b : "");
    ps->p[ps->n++] = s;
    return SL_OK;
}

static sl_status list_images(char **args, size_t nargs, struct paths *ps)
{
    for (size_t i = 0; i < nargs; i++) {
        struct stat sb;
        if (stat(args[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(args[i]);
            if (!d)
                return SL_ERR_IO;
            size_t first = ps->n;
            struct dirent *de;
            sl_status st = SL_OK;
            while (st == SL_OK && (de = readdir(d)))
                if (de->d_name[0] != '.' && image_name(de->d_name))
                    st = paths_add(ps, args[i], de->d_name);
            closedir(d);
            if (st != SL_OK)
                return st;
            qsort(ps->p + first, ps->n - first, sizeof(char *), cmp_str);
        } else {
            sl_status st = paths_add(ps, args[i], NULL);
            if (st != SL_OK)
                return st;
        }
    }
    return SL_OK;
}

/* Embeds the largest face of each image (face engine: detect, landmarks,
 * align, embed). Images that fail are listed in skipped. */
static int embed_images(const struct paths *ps, const char *models, float **out,
                        char ***names, size_t *n, json_t *skipped)
{
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    sl_face_result *res = NULL;
    char err[512] = "";
    sl_face_engine_opts eo = sl_face_engine_opts_default();
    eo.models_dir = models;
    eo.models = SL_FM_CORE;
    sl_status st = sl_face_engine_new(&e, &eo, err, sizeof(err));
    if (st != SL_OK)
        return sl_cli_fail(st, "index add", "the face engine: %s",
                           err[0] ? err : sl_status_str(st));
    int rc = -1;
    st = sl_face_session_new(&s, e);
    float *v = sl__malloc((ps->n ? ps->n : 1) * SL_FACE_EMBED_DIM * sizeof(float));
    char **nm = sl__calloc(ps->n ? ps->n : 1, sizeof(char *));
    res = sl__calloc(1, sizeof(*res));
    if (st != SL_OK || !v || !nm || !res) {
        rc = sl_cli_fail(st != SL_OK ? st : SL_ERR_NOMEM, "index add",
                         "the face engine session");
        goto out;
    }
    sl_face_config cfg = sl_face_config_default();
    size_t k = 0;
    for (size_t i = 0; i < ps->n; i++) {
        uint8_t *buf;
        size_t len;
        char why[600];
        struct sl_image *img = NULL;
        st = read_regular(ps->p[i], SL_IMAGE_DEFAULT_MAX_BYTES, 0, &buf, &len,
                          why, sizeof(why));
        if (st == SL_OK) {
            st = sl_image_decode(buf, len, NULL, 3, &img, NULL);
            sl__free(buf);
        }
        size_t got = 0, found = 0;
        if (st == SL_OK)
            st = sl_face_process(s, img, &cfg, SL_FACE_DO_EMBED, res, 1, &got,
                                 &found);
        sl_image_free(img);
        if (st == SL_OK && (!got || !res->has_emb))
            st = SL_NO_FACE;
        if (st != SL_OK) {
            json_array_append_new(skipped, json_pack("{s:s,s:s}", "file",
                                  ps->p[i], "reason", st == SL_NO_FACE ? "no_face"
                                  : sl_status_name(st)));
            continue;
        }
        memcpy(v + k * SL_FACE_EMBED_DIM, res->emb, sizeof(res->emb));
        nm[k++] = ps->p[i];
    }
    *out = v;
    *names = nm;
    *n = k;
    v = NULL;
    nm = NULL;
out:
    sl__free(v);
    sl__free(nm);
    sl__free(res);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return rc;
}

static int sub_add(int argc, char **argv)
{
    const char *dir = NULL, *vecs = NULL, *idfile = NULL, *model_arg = NULL;
    const char *models = NULL;
    uint64_t first = 0;
    bool have_first = false;
    long coll = 0;
    uint32_t wait_ms = 0, sync = SL_INDEX_SYNC_ALWAYS;
    char **tpls = NULL, **images = NULL;
    size_t ntpls = 0, nimages = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc) {
            vecs = argv[++i];
        } else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc) {
            idfile = argv[++i];
        } else if (strcmp(argv[i], "--first-id") == 0 && i + 1 < argc) {
            if (!parse_id(argv[++i], &first))
                return sl_cli_usage_error("index add", "bad --first-id '%s' (an "
                                          "id is 0..%llu)", argv[i],
                                          (unsigned long long)SL_INDEX_ID_MAX);
            have_first = true;
        } else if (strcmp(argv[i], "--coll") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 0, SL_INDEX_COLL_MAX - 1, &coll))
                return sl_cli_usage_error("index add", "bad --coll (0..%u)",
                                          SL_INDEX_COLL_MAX - 1);
        } else if (strcmp(argv[i], "--sync") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "none") == 0)
                sync = SL_INDEX_SYNC_NONE;
            else if (strcmp(argv[i], "always") == 0)
                sync = SL_INDEX_SYNC_ALWAYS;
            else
                return sl_cli_usage_error("index add", "bad --sync '%s' (always "
                                          "or none)", argv[i]);
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            if (!parse_wait(argv[++i], &wait_ms))
                return sl_cli_usage_error("index add", "bad --wait (seconds, 0..3600)");
        } else if (strcmp(argv[i], "--model-id") == 0 && i + 1 < argc) {
            model_arg = argv[++i];
        } else if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) {
            models = argv[++i];
        } else if ((strcmp(argv[i], "--templates") == 0 ||
                    strcmp(argv[i], "--images") == 0) && i + 1 < argc) {
            /* the file arguments up to the next option */
            bool t = argv[i][2] == 't';
            int j = i + 1;
            while (j < argc && argv[j][0] != '-')
                j++;
            if (t) {
                tpls = argv + i + 1;
                ntpls = (size_t)(j - i - 1);
            } else {
                images = argv + i + 1;
                nimages = (size_t)(j - i - 1);
            }
            if (j == i + 1)
                return sl_cli_usage_error("index add", "%s needs files", argv[i]);
            i = j - 1;
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index add", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir || (!!vecs + !!tpls + !!images) != 1)
        return sl_cli_usage_error("index add", "DIR and one of --templates, "
                                  "--images, --vectors are required");
    if (have_first && idfile)
        return sl_cli_usage_error("index add", "--first-id and --ids exclude "
                                  "each other");
    if (model_arg && !vecs)
        return sl_cli_usage_error("index add", "--model-id goes with --vectors "
                                  "(templates and images carry their model)");
    if (model_arg && (!model_arg[0] || strlen(model_arg) >= SL_INDEX_MODEL_MAX))
        return sl_cli_usage_error("index add", "bad --model-id");
    sl_index *ix;
    sl_status st = open_index(&ix, dir, true, wait_ms, 0, sync);
    if (st != SL_OK)
        return open_fail(st, "index add", dir);
    struct sl_index_stats ss;
    float *v = NULL;
    uint64_t *ids = NULL;
    uint32_t *colls = NULL;
    char **names = NULL;
    struct paths ps = { 0 };
    json_t *skipped = json_array();
    const char *model = model_arg;
    sl_face_template *t = NULL;
    size_t n = 0, added = 0;
    char why[600] = "";
    int rc;
    if (sl_index_stats(ix, &ss) != SL_OK) {
        rc = sl_cli_fail(SL_ERR_INTERNAL, "index add", "stats");
        goto out;
    }
    if (images) {
        model = SL_FACE_ENGINE_MODEL_ID;
        if (ss.dim != SL_FACE_EMBED_DIM) {
            rc = sl_cli_fail(SL_ERR_INDEX_DIM, "index add", "%s holds %u-d "
                             "templates; the face engine makes %d-d", dir,
                             ss.dim, SL_FACE_EMBED_DIM);
            goto out;
        }
        st = list_images(images, nimages, &ps);
        if (st != SL_OK) {
            rc = ix_fail(st, "index add", "--images");
            goto out;
        }
        if ((rc = embed_images(&ps, models, &v, &names, &n, skipped)) >= 0)
            goto out;
    } else if (tpls) {
        t = sl__malloc(sizeof(*t));
        v = sl__malloc(ntpls * ss.dim * sizeof(float));
        if (!t || !v) {
            rc = sl_cli_fail(SL_ERR_NOMEM, "index add", "%zu templates", ntpls);
            goto out;
        }
        static char first_model[SL_FACE_MODEL_ID_MAX];
        for (size_t i = 0; i < ntpls; i++) {
            st = read_template(tpls[i], t, why, sizeof(why));
            if (st == SL_OK && t->dim != ss.dim) {
                st = SL_ERR_INDEX_DIM;
                snprintf(why, sizeof(why), "%s: a %u-d template; the index "
                         "holds %u-d", tpls[i], t->dim, ss.dim);
            }
            if (st == SL_OK && i && strcmp(t->model_id, first_model) != 0) {
                st = SL_ERR_INDEX_MODEL;
                snprintf(why, sizeof(why), "%s: model '%s', the first template's "
                         "is '%s'", tpls[i], t->model_id, first_model);
            }
            if (st != SL_OK) {
                rc = ix_fail(st, "index add", "%s", why);
                goto out;
            }
            if (!i)
                snprintf(first_model, sizeof(first_model), "%s", t->model_id);
            memcpy(v + i * ss.dim, t->v, ss.dim * sizeof(float));
        }
        n = ntpls;
        model = first_model;
    } else {
        st = read_vectors(vecs, ss.dim, &v, &n, why, sizeof(why));
        if (st != SL_OK) {
            rc = ix_fail(st, "index add", "%s", why);
            goto out;
        }
    }
    if (idfile) {
        uint8_t *b;
        size_t idlen;
        st = read_regular(idfile, VEC_FILE_MAX, 8, &b, &idlen, why, sizeof(why));
        ids = (uint64_t *)b;
        if (st == SL_OK && idlen != n * 8) {
            st = SL_ERR_INVALID;
            snprintf(why, sizeof(why), "%s: %zu ids for %zu templates", idfile,
                     idlen / 8, n);
        }
        if (st != SL_OK) {
            rc = ix_fail(st, "index add", "%s", why);
            goto out;
        }
    } else {
        /* default: after the largest id present, so a second add works */
        if (!have_first)
            first = sl_index_max_id(ix) + 1;
        if (n && first > SL_INDEX_ID_MAX - (n - 1)) {
            rc = sl_cli_fail(SL_ERR_INDEX_ID, "index add", "ids %llu.. would "
                             "pass the largest id", (unsigned long long)first);
            goto out;
        }
        ids = sl__malloc((n ? n : 1) * sizeof(uint64_t));
        for (size_t i = 0; ids && i < n; i++)
            ids[i] = first + i;
    }
    colls = sl__malloc((n ? n : 1) * sizeof(uint32_t));
    if (!ids || !colls) {
        rc = sl_cli_fail(SL_ERR_NOMEM, "index add", "%zu vectors", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        colls[i] = (uint32_t)coll;
    st = sl_index_add_batch_model(ix, model, ids, colls, v, n, ss.dim, &added);
    if (st == SL_OK)
        st = sl_index_sync(ix);
    if (st != SL_OK) {
        char what[160] = "";
        if (added < n)
            snprintf(what, sizeof(what), "id %llu%s%s%s", (unsigned long long)ids[added],
                     names ? " (" : "", names ? names[added] : "", names ? ")" : "");
        if (st == SL_ERR_INDEX_DUP)
            rc = sl_cli_fail(st, "index add", "%s is already in the index "
                             "(%zu of %zu added before it)", what, added, n);
        else if (st == SL_ERR_INDEX_MODEL) {
            char has[SL_INDEX_MODEL_MAX] = "";
            bool fixed = sl_index_collection_model(ix, (uint32_t)coll, has,
                                                   sizeof(has)) == SL_OK && has[0];
            rc = sl_cli_fail(st, "index add", "collection %ld holds %s%s%s; "
                             "these are %s%s%s (%zu of %zu added)", coll,
                             fixed ? "templates of model '" : "raw vectors",
                             fixed ? has : "", fixed ? "'" : "",
                             model && model[0] ? "templates of model '" : "raw vectors",
                             model && model[0] ? model : "", model && model[0] ? "'" : "",
                             added, n);
        } else
            rc = ix_fail(st, "index add", "%s (%zu of %zu added)", what, added, n);
        goto out;
    }
    json_t *res = json_pack("{s:I,s:o,s:o}", "added", (json_int_t)added,
                            "first_id", id_json(n ? ids[0] : 0),
                            "stats", stats_json(ix));
    if (model && model[0])
        json_object_set_new(res, "model_id", json_string(model));
    if (images)
        json_object_set(res, "skipped", skipped);
    rc = sl_cli_print(res);
    if (rc == SL_EXIT_OK && images && added == 0)
        rc = SL_EXIT_NEGATIVE;      /* no image had a face */
out:
    json_decref(skipped);
    paths_free(&ps);
    sl__free(names);
    sl__free(t);
    sl__free(v);
    sl__free(ids);
    sl__free(colls);
    sl_index_free(ix);
    return rc;
}

static int sub_remove(int argc, char **argv)
{
    const char *dir = NULL;
    uint32_t wait_ms = 0;
    uint64_t *ids = sl__malloc((size_t)argc * sizeof(uint64_t));
    size_t nids = 0;
    if (!ids)
        return sl_cli_fail(SL_ERR_NOMEM, "index remove", NULL);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            if (!parse_wait(argv[++i], &wait_ms)) {
                sl__free(ids);
                return sl_cli_usage_error("index remove", "bad --wait");
            }
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else if (!parse_id(argv[i], &ids[nids++])) {
            sl__free(ids);
            return sl_cli_usage_error("index remove", "bad id '%s' (an id is "
                                      "0..%llu)", argv[i],
                                      (unsigned long long)SL_INDEX_ID_MAX);
        }
    }
    if (!dir || !nids) {
        sl__free(ids);
        return sl_cli_usage_error("index remove", "DIR and ids required");
    }
    sl_index *ix;
    sl_status st = open_index(&ix, dir, true, wait_ms, 0, SL_INDEX_SYNC_ALWAYS);
    if (st != SL_OK) {
        sl__free(ids);
        return open_fail(st, "index remove", dir);
    }
    json_t *gone = json_array();
    char missing[256] = "";
    size_t nmissing = 0, ml = 0;
    int rc = SL_EXIT_OK;
    for (size_t i = 0; i < nids; i++) {
        st = sl_index_remove(ix, ids[i]);
        if (st == SL_OK) {
            json_array_append_new(gone, id_json(ids[i]));
        } else if (st == SL_ERR_NOT_FOUND) {
            if (ml < sizeof(missing) - 32)
                ml += (size_t)snprintf(missing + ml, sizeof(missing) - ml, "%s%llu",
                                       nmissing ? ", " : "", (unsigned long long)ids[i]);
            nmissing++;
        } else {
            rc = ix_fail(st, "index remove", "id %llu", (unsigned long long)ids[i]);
            goto out;
        }
    }
    if (nmissing)
        rc = sl_cli_fail(SL_ERR_NOT_FOUND, "index remove", "%zu id(s) not in the "
                         "index: %s%s (the other %zu removed)", nmissing, missing,
                         ml >= sizeof(missing) - 32 ? ", ..." : "",
                         json_array_size(gone));
    else
        rc = sl_cli_print(json_pack("{s:O}", "removed", gone));
out:
    json_decref(gone);
    sl_index_free(ix);
    sl__free(ids);
    return rc;
}

static bool parse_colls(const char *s, uint32_t *out, size_t cap, size_t *n)
{
    *n = 0;
    while (*s) {
        char *end;
        errno = 0;
        if (*s < '0' || *s > '9')
            return false;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || v >= SL_INDEX_COLL_MAX || *n == cap)
            return false;
        out[(*n)++] = (uint32_t)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return false;
    }
    return *n > 0;
}

static int sub_search(int argc, char **argv)
{
    const char *dir = NULL, *qfile = NULL, *tfile = NULL;
    struct sl_index_query q;
    sl_index_query_default(&q);
    uint32_t colls[64];
    for (int i = 1; i < argc; i++) {
        long v;
        double d;
        if (strcmp(argv[i], "--query") == 0 && i + 1 < argc) {
            qfile = argv[++i];
        } else if (strcmp(argv[i], "--template") == 0 && i + 1 < argc) {
            tfile = argv[++i];
        } else if (strcmp(argv[i], "--k") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, SL_INDEX_K_MAX, &v))
                return sl_cli_usage_error("index search", "bad --k");
            q.k = (uint32_t)v;
        } else if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_double(argv[++i], &d) || d < -1 || d > 1)
                return sl_cli_usage_error("index search", "bad --threshold");
            q.threshold = (float)d;
        } else if (strcmp(argv[i], "--coll") == 0 && i + 1 < argc) {
            if (!parse_colls(argv[++i], colls, 64, &q.ncolls))
                return sl_cli_usage_error("index search", "bad --coll");
            q.colls = colls;
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "exact") == 0)
                q.mode = SL_INDEX_EXACT;
            else if (strcmp(argv[i], "ivf") == 0)
                q.mode = SL_INDEX_IVF;
            else if (strcmp(argv[i], "auto") == 0)
                q.mode = SL_INDEX_AUTO;
            else
                return sl_cli_usage_error("index search", "bad --mode");
        } else if (strcmp(argv[i], "--nprobe") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, 1024, &v))
                return sl_cli_usage_error("index search", "bad --nprobe");
            q.nprobe = (uint32_t)v;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, SL_INDEX_THREADS_MAX, &v))
                return sl_cli_usage_error("index search", "bad --threads");
            q.threads = (uint32_t)v;
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index search", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir || !qfile == !tfile)
        return sl_cli_usage_error("index search", "DIR and one of --query, "
                                  "--template are required");
    sl_index *ix;
    sl_status st = open_index(&ix, dir, false, 0, q.threads, SL_INDEX_SYNC_ALWAYS);
    if (st != SL_OK)
        return open_fail(st, "index search", dir);
    warn_damage(ix, dir);
    struct sl_index_stats ss;
    float *v = NULL;
    size_t n = 0, *counts = NULL;
    struct sl_index_hit *hits = NULL;
    sl_face_template *t = NULL;
    char why[600] = "";
    int rc;
    st = sl_index_stats(ix, &ss);
    if (st == SL_OK && qfile) {
        st = read_vectors(qfile, ss.dim, &v, &n, why, sizeof(why));
    } else if (st == SL_OK) {
        t = sl__malloc(sizeof(*t));
        v = sl__malloc(ss.dim * sizeof(float));
        st = t && v ? read_template(tfile, t, why, sizeof(why)) : SL_ERR_NOMEM;
        if (st == SL_OK && t->dim != ss.dim) {
            st = SL_ERR_INDEX_DIM;
            snprintf(why, sizeof(why), "%s: a %u-d template; the index holds "
                     "%u-d", tfile, t->dim, ss.dim);
        }
        if (st == SL_OK) {
            memcpy(v, t->v, ss.dim * sizeof(float));
            n = 1;
            q.model_id = t->model_id;
        }
    }
    if (st != SL_OK) {
        rc = ix_fail(st, "index search", "%s", why);
        goto out;
    }
    hits = sl__malloc(n * q.k * sizeof(*hits));
    counts = sl__malloc(n * sizeof(size_t));
    if (!hits || !counts) {
        rc = sl_cli_fail(SL_ERR_NOMEM, "index search", "%zu queries", n);
        goto out;
    }
    st = sl_index_search_batch(ix, &q, v, n, ss.dim, hits, counts);
    if (st == SL_ERR_INDEX_MODEL) {
        rc = sl_cli_fail(st, "index search", "a listed collection holds "
                         "templates of another model than '%s'", q.model_id);
        goto out;
    }
    if (st != SL_OK) {
        rc = ix_fail(st, "index search", "%s", qfile ? qfile : tfile);
        goto out;
    }
    json_t *res = json_array();
    size_t found = 0;
    for (size_t j = 0; j < n; j++) {
        json_t *arr = json_array();
        for (size_t i = 0; i < counts[j]; i++) {
            const struct sl_index_hit *h = &hits[j * q.k + i];
            json_array_append_new(arr, json_pack("{s:o,s:o,s:i}", "id",
                                  id_json(h->id), "score",
                                  sl_json_real(h->score, 6), "coll", (int)h->coll));
        }
        found += counts[j] > 0;
        json_array_append_new(res, json_pack("{s:i,s:o}", "query", (int)j, "hits", arr));
    }
    rc = sl_cli_print(json_pack("{s:o}", "results", res));
    if (rc == SL_EXIT_OK && found == 0)
        rc = SL_EXIT_NEGATIVE;
out:
    sl__free(t);
    sl__free(v);
    sl__free(hits);
    sl__free(counts);
    sl_index_free(ix);
    return rc;
}

static int sub_stats(int argc, char **argv)
{
    if (argc != 2)
        return sl_cli_usage_error("index stats", "DIR required");
    sl_index *ix;
    sl_status st = open_index(&ix, argv[1], false, 0, 0, SL_INDEX_SYNC_ALWAYS);
    if (st != SL_OK)
        return open_fail(st, "index stats", argv[1]);
    warn_damage(ix, argv[1]);
    json_t *j = stats_json(ix);
    sl_index_free(ix);
    return sl_cli_print(j);
}

static int sub_compact(int argc, char **argv)
{
    long nlist = -1;
    uint32_t wait_ms = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ivf") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 0, 1 << 20, &nlist))
                return sl_cli_usage_error("index compact", "bad --ivf");
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            if (!parse_wait(argv[++i], &wait_ms))
                return sl_cli_usage_error("index compact", "bad --wait");
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index compact", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir)
        return sl_cli_usage_error("index compact", "DIR required");
    sl_index *ix;
    sl_status st = open_index(&ix, dir, true, wait_ms, 2, SL_INDEX_SYNC_ALWAYS);
    if (st != SL_OK)
        return open_fail(st, "index compact", dir);
    if (nlist >= 0)
        st = sl_index_ivf_train(ix, (uint32_t)nlist);
    if (st == SL_OK)
        st = sl_index_compact(ix);
    int rc = st == SL_OK ? sl_cli_print(stats_json(ix))
                         : ix_fail(st, "index compact", "%s", dir);
    sl_index_free(ix);
    return rc;
}

static int sub_verify(int argc, char **argv)
{
    const char *dir = NULL;
    bool repair = false;
    uint32_t wait_ms = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repair") == 0) {
            repair = true;
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            if (!parse_wait(argv[++i], &wait_ms))
                return sl_cli_usage_error("index verify", "bad --wait");
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index verify", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir)
        return sl_cli_usage_error("index verify", "DIR required");
    struct sl_index_check c;
    char backup[4200] = "";
    sl_status st = sl_index_check(dir, &c);
    sl_status found = st;
    if (repair && (st == SL_ERR_INDEX_DAMAGED || st == SL_ERR_INDEX_CHECKSUM)) {
        struct sl_index_opts o;
        sl_index_opts_default(&o);
        o.lock_wait_ms = wait_ms;
        struct sl_index_check after;
        st = sl_index_repair(dir, &o, &after, backup, sizeof(backup));
        if (st != SL_OK)
            return open_fail(st, "index verify --repair", dir);
        st = sl_index_check(dir, &after);
    }
    if (st != SL_OK && st != SL_ERR_INDEX_DAMAGED && st != SL_ERR_INDEX_CHECKSUM)
        return open_fail(st, "index verify", dir);
    json_t *j = json_pack("{s:b,s:s,s:i,s:I,s:I,s:I}", "ok", st == SL_OK,
                          "status", sl_status_name(st),
                          "format_version", (int)c.version,
                          "snapshot_rows", (json_int_t)c.snapshot_rows,
                          "log_records", (json_int_t)c.records,
                          "damaged_tail_bytes", (json_int_t)c.bad_bytes);
    if (c.damaged_record) {
        json_object_set_new(j, "damage", json_pack("{s:I,s:I,s:I,s:s}",
                            "record", (json_int_t)c.damaged_record,
                            "offset", (json_int_t)c.damaged_offset,
                            "valid_records_after", (json_int_t)c.salvaged,
                            "kind", c.torn_tail ? "torn_tail" : "damaged"));
        if (!repair && !c.torn_tail)
            fprintf(stderr, "shualian: index verify: %s/log record %llu is damaged "
                    "and %llu valid records follow it; `shualian index verify "
                    "--repair %s` keeps them (and a copy of the log)\n", dir,
                    (unsigned long long)c.damaged_record,
                    (unsigned long long)c.salvaged, dir);
    }
    if (repair)
        json_object_set_new(j, "repaired", json_pack("{s:b,s:s,s:s}", "changed",
                            backup[0] != 0, "backup", backup, "found",
                            sl_status_name(found)));
    int rc = sl_cli_print(j);
    if (rc == SL_EXIT_OK && st != SL_OK)
        rc = SL_EXIT_NEGATIVE;          /* damage found (and not repaired) */
    return rc;
}

static int sub_collection(int argc, char **argv)
{
    long id = -1;
    double thr = 0;
    int watch = 0;
    const char *dir = NULL, *name = NULL, *model = NULL;
    uint32_t wait_ms = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--watch") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_double(argv[++i], &thr) || thr < -1 || thr > 1)
                return sl_cli_usage_error("index collection", "bad --watch "
                                          "(a cosine threshold, -1..1)");
            watch = 1;
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            model = argv[++i];
            if (!model[0] || strlen(model) >= SL_INDEX_MODEL_MAX)
                return sl_cli_usage_error("index collection", "bad --model");
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            if (!parse_wait(argv[++i], &wait_ms))
                return sl_cli_usage_error("index collection", "bad --wait");
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else if (id < 0 && argv[i][0] != '-') {
            if (!sl_cli_parse_long(argv[i], 0, SL_INDEX_COLL_MAX - 1, &id))
                return sl_cli_usage_error("index collection", "bad ID (0..%u)",
                                          SL_INDEX_COLL_MAX - 1);
        } else if (!name && argv[i][0] != '-') {
            name = argv[i];
        } else {
            return sl_cli_usage_error("index collection", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir || id < 0 || !name)
        return sl_cli_usage_error("index collection", "DIR ID NAME required");
    if (strlen(name) >= SL_INDEX_NAME_MAX)
        return sl_cli_usage_error("index collection", "NAME over %u bytes",
                                  SL_INDEX_NAME_MAX - 1);
    sl_index *ix;
    sl_status st = open_index(&ix, dir, true, wait_ms, 0, SL_INDEX_SYNC_ALWAYS);
    if (st != SL_OK)
        return open_fail(st, "index collection", dir);
    if (model)
        st = sl_index_collection_set_model(ix, (uint32_t)id, model);
    if (st == SL_OK)
        st = sl_index_collection_set(ix, (uint32_t)id, name, watch, (float)thr);
    int rc = st == SL_OK ? sl_cli_print(stats_json(ix))
                         : ix_fail(st, "index collection", "collection %ld", id);
    sl_index_free(ix);
    return rc;
}

/* ============================ crashtest ================================== */
/* A child adds/removes/compacts and prints each acknowledged change to a
 * pipe; the parent SIGKILLs it at a random time, reopens the index and
 * checks every acknowledged change is there and every template is intact. */

#define CT_DIM 128

static void ct_vec(uint64_t id, float *v)
{
    uint64_t s = id * 0x9e3779b97f4a7c15ULL + 1;
    for (int i = 0; i < CT_DIM; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
    }
}

static void ct_child(const char *dir, int fd, uint64_t base, unsigned seed,
                     bool sync_always)
{
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.sync = sync_always ? SL_INDEX_SYNC_ALWAYS : SL_INDEX_SYNC_NONE;
    sl_index *ix;
    if (sl_index_open(&ix, dir, &o) != SL_OK)
        _exit(3);
    uint64_t next = base;
    uint64_t acked[4096];
    size_t nacked = 0;
    srand(seed);
    for (;;) {
        char line[64];
        int r = rand() % 100;
        int len;
        if (r < 8 && nacked) {
            size_t at = (size_t)rand() % nacked;
            /* intent first: a remove that lands but is not acknowledged
             * (killed before "D") may legitimately be either way */
            len = snprintf(line, sizeof(line), "R %llu\n", (unsigned long long)acked[at]);
            if (write(fd, line, (size_t)len) != len)
                _exit(7);
            if (sl_index_remove(ix, acked[at]) != SL_OK)
                _exit(4);
            len = snprintf(line, sizeof(line), "D %llu\n", (unsigned long long)acked[at]);
            acked[at] = acked[--nacked];
        } else if (r == 8) {
            if (sl_index_compact(ix) != SL_OK)
                _exit(5);
            continue;
        } else {
            float v[CT_DIM];
            ct_vec(next, v);
            if (sl_index_add(ix, next, (uint32_t)(next % 3), v, CT_DIM) != SL_OK)
                _exit(6);
            len = snprintf(line, sizeof(line), "A %llu\n", (unsigned long long)next);
            if (nacked < 4096)
                acked[nacked++] = next;
            next++;
        }
        if (write(fd, line, (size_t)len) != len)
            _exit(7);
    }
}

struct ct_state {
    uint64_t *ids;          /* acknowledged adds                          */
    uint8_t  *del;          /* 1: deleted, 2: delete started, not acked   */
    size_t    n, cap;
};

static int sub_crashtest(int argc, char **argv)
{
    const char *dir = NULL;
    long iters = 200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, 1000000, &iters))
                return sl_cli_usage_error("index crashtest", "bad --iters");
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index crashtest", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir)
        return sl_cli_usage_error("index crashtest", "DIR required");
    struct ct_state s = { 0 };
    long failures = 0, passes = 0;
    uint64_t total_acked = 0, total_cut = 0;
    char cmd[4200];
    sl_log_set_level(SL_LOG_ERROR);
    for (long it = 0; it < iters; it++) {
        if (it % 50 == 0) {                 /* fresh directory now and then */
            snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
            if (system(cmd) != 0)
                return sl_cli_fail(SL_ERR_IO, "index crashtest", "rm %s", dir);
            struct sl_index_opts o;
            sl_index_opts_default(&o);
            o.dim = CT_DIM;
            sl_index *ix;
            sl_status st = sl_index_create(&ix, dir, &o);
            if (st != SL_OK)
                return sl_cli_fail(st, "index crashtest", "%s", dir);
            sl_index_free(ix);
            s.n = 0;
        }
        int p[2];
        if (pipe(p) != 0)
            return sl_cli_fail(SL_ERR_IO, "index crashtest", "pipe");
        uint64_t base = (uint64_t)(it + 1) * 1000000ull;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
            return sl_cli_fail(SL_ERR_IO, "index crashtest", "fork");
        if (pid == 0) {
            close(p[0]);
            ct_child(dir, p[1], base, (unsigned)(it * 7919 + 1), it % 2 == 0);
            _exit(0);
        }
        close(p[1]);
        /* read acks while the child runs; kill it at a random moment */
        uint64_t deadline = sl_time_mono_ns() +
                            (uint64_t)(2 + rand() % 40) * 1000000ull;
        char buf[1 << 16];
        size_t have = 0;
        int status = 0;
        bool killed = false;
        for (;;) {
            if (!killed && sl_time_mono_ns() >= deadline) {
                kill(pid, SIGKILL);
                killed = true;
            }
            struct timeval tv = { 0, 1000 };
            fd_set fs;
            FD_ZERO(&fs);
            FD_SET(p[0], &fs);
            if (select(p[0] + 1, &fs, NULL, NULL, &tv) > 0) {
                ssize_t r = read(p[0], buf + have, sizeof(buf) - 1 - have);
                if (r <= 0)
                    break;                      /* child gone, pipe drained */
                have += (size_t)r;
                /* parse whole lines */
                size_t start = 0;
                for (size_t i = 0; i < have; i++) {
                    if (buf[i] != '\n')
                        continue;
                    buf[i] = 0;
                    unsigned long long id = strtoull(buf + start + 2, NULL, 10);
                    if (buf[start] == 'A') {
                        if (s.n == s.cap) {
                            s.cap = s.cap ? s.cap * 2 : 4096;
                            s.ids = sl__realloc(s.ids, s.cap * 8);
                            s.del = sl__realloc(s.del, s.cap);
                            if (!s.ids || !s.del)
                                return sl_cli_fail(SL_ERR_NOMEM, "index crashtest", "state");
                        }
                        s.ids[s.n] = id;
                        s.del[s.n++] = 0;
                        total_acked++;
                    } else {
                        /* R: remove started (state 2, either way is fine);
                         * D: remove acknowledged (state 1, must be gone) */
                        for (size_t k = s.n; k-- > 0;)
                            if (s.ids[k] == id) {
                                s.del[k] = buf[start] == 'D' ? 1 : 2;
                                break;
                            }
                        total_acked += buf[start] == 'D';
                    }
                    start = i + 1;
                }
                memmove(buf, buf + start, have - start);
                have -= start;
            }
        }
        close(p[0]);
        waitpid(pid, &status, 0);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            fprintf(stderr, "iteration %ld: child ended by itself (status %d)\n",
                    it, status);
            failures++;
            continue;
        }
        /* reopen and check */
        sl_index *ix;
        struct sl_index_opts o;
        sl_index_opts_default(&o);
        sl_status st = sl_index_open(&ix, dir, &o);
        if (st != SL_OK) {
            fprintf(stderr, "iteration %ld: reopen failed: %s\n", it, sl_status_name(st));
            failures++;
            continue;
        }
        struct sl_index_stats ss;
        if (sl_index_stats(ix, &ss) == SL_OK)
            total_cut += ss.log_cut_bytes;
        long bad = 0;
        struct sl_index_query q;
        sl_index_query_default(&q);
        q.k = 1;
        q.mode = SL_INDEX_EXACT;
        for (size_t k = 0; k < s.n; k++) {
            bool live = sl_index_contains(ix, s.ids[k]);
            if (s.del[k] == 2) {        /* settle the unacknowledged remove */
                s.del[k] = !live;
                continue;
            }
            if (live == (bool)s.del[k]) {
                if (bad < 5)
                    fprintf(stderr, "iteration %ld: id %llu %s\n", it,
                            (unsigned long long)s.ids[k],
                            s.del[k] ? "deleted but present" : "acknowledged but missing");
                bad++;
            }
        }
        /* templates intact: a sample finds itself with score ~1 */
        for (size_t k = 0; k < s.n; k += 1 + s.n / 20) {
            if (s.del[k])
                continue;
            float v[CT_DIM];
            ct_vec(s.ids[k], v);
            struct sl_index_hit h;
            size_t n;
            if (sl_index_search(ix, &q, v, CT_DIM, &h, 1, &n) != SL_OK || n != 1 ||
                h.id != s.ids[k] || h.score < 0.99f) {
                if (bad < 5)
                    fprintf(stderr, "iteration %ld: template %llu damaged\n", it,
                            (unsigned long long)s.ids[k]);
                bad++;
            }
        }
        sl_index_free(ix);
        if (bad)
            failures++;
        else
            passes++;
        if (bad && getenv("SL_CRASH_STOP")) {
            fprintf(stderr, "stopped at iteration %ld (SL_CRASH_STOP)\n", it);
            break;
        }
    }
    sl__free(s.ids);
    sl__free(s.del);
    json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I}", "iterations", (json_int_t)iters,
                          "passed", (json_int_t)passes, "failed", (json_int_t)failures,
                          "acknowledged_ops", (json_int_t)total_acked,
                          "tail_bytes_cut", (json_int_t)total_cut);
    int rc = sl_cli_print(j);
    return failures ? SL_EXIT_NEGATIVE : rc;
}

int cmd_index(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return argc < 2 ? (fputs(usage_text, stderr), SL_EXIT_USAGE) : usage(NULL);
    const char *sub = argv[1];
    if (sl_cli_wants_help(argc - 1, argv + 1))
        return usage(sub);
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {
        { "create", sub_create }, { "add", sub_add }, { "remove", sub_remove },
        { "search", sub_search }, { "stats", sub_stats },
        { "compact", sub_compact }, { "verify", sub_verify },
        { "collection", sub_collection }, { "crashtest", sub_crashtest },
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(subs); i++)
        if (strcmp(sub, subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    return sl_cli_usage_error("index", "unknown subcommand '%s'", sub);
}
