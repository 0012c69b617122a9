/*
 * cmd_serve.c -- `shualian serve`: the identity server.
 *
 *   shualian serve [--config FILE] [--listen ADDR:PORT] [--db URL]
 *                  [--data DIR] [--keys FILE] [--suite gm|intl]
 *                  [--models DIR] [--no-models] [--demo] [--clock FILE]
 *                  [--threads N] [--engines N] [--timeout S] ...
 *
 * Opens (creating on first start) the key file and the store, applies
 * migrations, optionally creates the demo hall, loads the face engine
 * once (sessions are pooled by the server), serves until SIGTERM/SIGINT,
 * then shuts down gracefully (stop accepting, end event streams, let
 * in-flight requests finish, exit 0 within 10 s).
 *
 * Command-line options override the config file (JSON, the same names
 * with '_' for '-'; see docs/server.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SL_DATADIR
#define SL_DATADIR "/usr/local/share"
#endif

#include "acct/acct.h"
#include "gov/app.h"
#include "app.h"
#include "demo.h"
#include "id/jobs.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "id/id.h"
#include "shualian/engine.h"
#include "store/store.h"

#define MAX_RATES 16

sl_app_serve_hook_fn sl_app_serve_hook;   /* app.h: NULL in the product */
void *sl_app_serve_hook_ctx;
#ifndef SL_DATADIR
#define SL_SERVE_DATADIR "/usr/local/share"
#else
#define SL_SERVE_DATADIR SL_DATADIR
#endif

struct serve_cfg {
    const char *listen, *db, *data, *keys, *suite, *models, *calib, *clock, *matters, *shared_data,
               *bank_file, *id_calib;
    bool demo, no_models, quiet;
    long threads, engines, engine_wait_ms, max_conns, per_ip, timeout_s, header_max,
         sse_hb_ms;
    struct sl_acct_opts acct;
    struct sl_http_rate rates[MAX_RATES];
    size_t n_rates;
    json_t *file;            /* the config file (strings borrowed from it) */
    char db_buf[600], keys_buf[600];
};

static const char serve_usage[] =
    "usage: shualian serve [options]\n\n"
    "  --config FILE        JSON settings (the options below, '_' for '-')\n"
    "  --listen ADDR:PORT   default 127.0.0.1:8080 (port 0: any free port)\n"
    "  --db URL             sqlite:PATH or postgresql://...; default sqlite:DATA/shualian.db\n"
    "  --data DIR           data folder (default ./var), created 0700\n"
    "  --keys FILE          key file (default DATA/keys), created 0600\n"
    "  --suite gm|intl      cryptography suite for a new key file (default gm)\n"
    "  --models DIR         face models (default $SL_MODELS or ./models)\n"
    "  --calib FILE         face calibration (default $SL_CALIB or the shipped table,\n"
    "                       as `shualian face verify`)\n"
    "  --no-models          serve without the face engine (face routes: 503)\n"
    "  --demo               create (once) a demo hall with users and devices;\n"
    "                       credentials in DATA/demo-credentials.json (0600)\n"
    "  --clock FILE         test clock: epoch ms or ISO-8601 UTC, re-read on change\n"
    "  --matters DIR        service-matter catalogue (default share/shualian/matters)\n"
    "  --shared-data DIR    shared-data files, <source>.json (default share/shualian/exchange)\n"
    "  --bank-file FILE     bank-card verifier lines card,id_number,name,phone\n"
    "                       (default with --demo: share/shualian/demo/bank.csv)\n"
    "  --id-calib FILE      实证 thresholds for fused frames (default\n"
    "                       share/shualian/id-fusion-calib.json; docs/identity.md)\n"
    "  --threads N          worker threads (default 2)\n"
    "  --engines N          face engine sessions (default = threads)\n"
    "  --engine-wait-ms N   wait for a free engine before 503 (default 5000)\n"
    "  --max-connections N  (default 4096)   --per-ip-connections N (default 0 = off)\n"
    "  --timeout S          idle/slow connection timeout (default 30)\n"
    "  --header-max BYTES   request line + headers (default 16384)\n"
    "  --sse-heartbeat-ms N event-stream heartbeat (default 15000)\n"
    "  --quiet              no access log\n"
    "Prints {\"listening\":URL,...} on stdout once serving. SIGTERM/SIGINT stop it.\n";

/* ============================ Config ==================================== */

static bool cfg_long(const json_t *f, const char *key, long *out)
{
    json_t *v = json_object_get(f, key);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (long)json_integer_value(v);
    return true;
}

static int load_config(struct serve_cfg *c, const char *path)
{
    uint8_t *text = NULL;
    size_t len = 0;
    sl_status st = sl_file_read(path, 1 << 20, &text, &len);
    if (st != SL_OK)
        return sl_cli_fail(st, "serve", "cannot read config %s", path);
    char err[200];
    c->file = sl_json_parse((const char *)text, len, err, sizeof err);
    sl_free(text);
    if (!c->file || !json_is_object(c->file))
        return sl_cli_fail(SL_ERR_INVALID, "serve", "config %s: %s", path,
                           c->file ? "not an object" : err);
    json_t *f = c->file;
    c->listen = sl_json_str(f, "listen", c->listen);
    c->db = sl_json_str(f, "db", c->db);
    c->data = sl_json_str(f, "data", c->data);
    c->keys = sl_json_str(f, "keys", c->keys);
    c->suite = sl_json_str(f, "suite", c->suite);
    c->models = sl_json_str(f, "models", c->models);
    c->calib = sl_json_str(f, "calib", c->calib);
    c->clock = sl_json_str(f, "clock", c->clock);
    c->demo = sl_json_bool(f, "demo", c->demo);
    c->quiet = !sl_json_bool(f, "access_log", !c->quiet);
    if (!cfg_long(f, "threads", &c->threads) || !cfg_long(f, "engines", &c->engines) ||
        !cfg_long(f, "engine_wait_ms", &c->engine_wait_ms) ||
        !cfg_long(f, "max_connections", &c->max_conns) ||
        !cfg_long(f, "per_ip_connections", &c->per_ip) ||
        !cfg_long(f, "timeout_s", &c->timeout_s) || !cfg_long(f, "header_max", &c->header_max) ||
        !cfg_long(f, "sse_heartbeat_ms", &c->sse_hb_ms))
        return sl_cli_fail(SL_ERR_INVALID, "serve", "config %s: a number is not a "
                           "non-negative integer", path);
    json_t *ac = json_object_get(f, "accounts");
    if (ac) {
        c->acct.session_idle_ms = sl_json_int(ac, "session_idle_s", 0) * 1000;
        c->acct.session_abs_ms = sl_json_int(ac, "session_abs_s", 0) * 1000;
        c->acct.lockout_after = (int)sl_json_int(ac, "lockout_after", 0);
        c->acct.lockout_ms = sl_json_int(ac, "lockout_s", 0) * 1000;
    }
    json_t *rates = json_object_get(f, "rate");
    const char *k;
    json_t *v;
    json_object_foreach(rates, k, v) {
        if (c->n_rates == MAX_RATES)
            break;
        c->rates[c->n_rates++] = (struct sl_http_rate){
            k, sl_json_num(v, "per_s", 0), sl_json_num(v, "burst", 1) };
    }
    return -1;
}

struct opt { const char *name; long *num; const char **str; bool *flag; long lo, hi; };

static int parse_args(struct serve_cfg *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return sl_cli_usage_error("serve", "--config needs a file");
            int rc = load_config(c, argv[i + 1]);
            if (rc >= 0)
                return rc;
        }
    const char *cfgfile = NULL;
    const struct opt opts[] = {
        { "--config", NULL, &cfgfile, NULL, 0, 0 },
        { "--listen", NULL, &c->listen, NULL, 0, 0 },
        { "--db", NULL, &c->db, NULL, 0, 0 },
        { "--data", NULL, &c->data, NULL, 0, 0 },
        { "--keys", NULL, &c->keys, NULL, 0, 0 },
        { "--suite", NULL, &c->suite, NULL, 0, 0 },
        { "--models", NULL, &c->models, NULL, 0, 0 },
        { "--calib", NULL, &c->calib, NULL, 0, 0 },
        { "--clock", NULL, &c->clock, NULL, 0, 0 },
        { "--matters", NULL, &c->matters, NULL, 0, 0 },
        { "--shared-data", NULL, &c->shared_data, NULL, 0, 0 },
        { "--bank-file", NULL, &c->bank_file, NULL, 0, 0 },
        { "--id-calib", NULL, &c->id_calib, NULL, 0, 0 },
        { "--demo", NULL, NULL, &c->demo, 0, 0 },
        { "--no-models", NULL, NULL, &c->no_models, 0, 0 },
        { "--quiet", NULL, NULL, &c->quiet, 0, 0 },
        { "--threads", &c->threads, NULL, NULL, 1, 256 },
        { "--engines", &c->engines, NULL, NULL, 1, 256 },
        { "--engine-wait-ms", &c->engine_wait_ms, NULL, NULL, 1, 600000 },
        { "--max-connections", &c->max_conns, NULL, NULL, 1, 1000000 },
        { "--per-ip-connections", &c->per_ip, NULL, NULL, 0, 1000000 },
        { "--timeout", &c->timeout_s, NULL, NULL, 1, 3600 },
        { "--header-max", &c->header_max, NULL, NULL, 1024, 1 << 20 },
        { "--sse-heartbeat-ms", &c->sse_hb_ms, NULL, NULL, 50, 3600000 },
    };
    for (int i = 1; i < argc; i++) {
        const struct opt *o = NULL;
        for (size_t k = 0; k < SL_ARRAY_LEN(opts) && !o; k++)
            if (strcmp(argv[i], opts[k].name) == 0)
                o = &opts[k];
        if (!o)
            return sl_cli_usage_error("serve", "unknown option '%s'", argv[i]);
        if (o->flag) {
            *o->flag = true;
            continue;
        }
        if (i + 1 >= argc)
            return sl_cli_usage_error("serve", "%s needs a value", o->name);
        const char *val = argv[++i];
        if (o->str)
            *o->str = val;
        else if (!sl_cli_parse_long(val, o->lo, o->hi, o->num))
            return sl_cli_usage_error("serve", "%s: '%s' is not a number in [%ld, %ld]",
                                      o->name, val, o->lo, o->hi);
    }
    return -1;
}

/* ============================ Opening the data ========================== */

int sl_cli_server_open(const char *data, const char *db, const char *keys,
                       const char *suite, bool create, const struct sl_acct_opts *ao,
                       sl_store **s, sl_keyring **k, sl_acct **a, const char *cmd)
{
    char dbb[600], keysb[600];
    if (create && mkdir(data, 0700) != 0 && errno != EEXIST)
        return sl_cli_fail(SL_ERR_IO, cmd, "cannot create data folder %s: %s", data,
                           strerror(errno));
    if (!keys) {
        snprintf(keysb, sizeof keysb, "%s/keys", data);
        keys = keysb;
    }
    if (!db) {
        snprintf(dbb, sizeof dbb, "sqlite:%s/shualian.db", data);
        db = dbb;
    }
    sl_suite su = SL_SUITE_GM;
    if (suite && sl__suite_parse(suite, &su) != SL_OK)
        return sl_cli_usage_error(cmd, "--suite must be gm or intl");
    sl_status st = sl__crypto_init();
    if (st == SL_OK)
        st = sl__keyring_open(keys, su, create, k);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "key file %s: %s", keys, sl_status_str(st));
    st = sl__store_open(db, NULL, s);
    if (st != SL_OK) {
        sl__keyring_free(*k);
        return sl_cli_fail(st, cmd, "cannot open the store %s", strncmp(db, "sqlite:", 7) == 0
                           ? db : "(postgresql URL)");
    }
    st = sl__store_migrate(*s);
    if (st == SL_OK)
        st = sl__acct_new(*s, *k, ao, a);
    if (st != SL_OK) {
        sl__store_close(*s);
        sl__keyring_free(*k);
        return sl_cli_fail(st, cmd, "store migration: %s", sl_status_str(st));
    }
    return -1;
}

/* ============================ The demo hall ============================= */

static const struct { const char *role; uint32_t bits; } demo_users[] = {
    { "admin", SL_ROLE_ADMIN }, { "clerk", SL_ROLE_CLERK },
    { "reviewer", SL_ROLE_REVIEWER }, { "auditor", SL_ROLE_AUDITOR },
};

static sl_status write_private(const char *path, const char *text)
{
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return SL_ERR_IO;
    size_t n = strlen(text);
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return SL_ERR_IO;
    }
    return SL_OK;
}

/* Creates the demo hall once; prints the credentials when they are new. */
static int demo_setup(sl_acct *a, const char *data)
{
    char path[600];
    snprintf(path, sizeof path, "%s/demo-credentials.json", data);
    int64_t hall = 0;
    sl_status st = sl__acct_hall_find(a, "demo", &hall);
    if (st == SL_OK) {
        if (access(path, R_OK) != 0)
            return sl_cli_fail(SL_ERR_STATE, "serve --demo", "the demo hall exists but %s is "
                               "gone; its passwords cannot be shown again (use a new --data "
                               "folder, or shualian admin user add)", path);
        fprintf(stderr, "demo hall %lld exists; credentials in %s\n", (long long)hall, path);
        return -1;
    }
    struct sl_acct_audit au = { .actor_kind = "system", .actor_id = "serve --demo",
                                .action = "demo.create" };
    st = sl__acct_hall_add(a, "demo", "hall", &au, &hall);
    json_t *users = json_object(), *devices = json_object();
    for (size_t i = 0; st == SL_OK && i < SL_ARRAY_LEN(demo_users); i++) {
        char user[64], pw[40];
        snprintf(user, sizeof user, "demo-%s", demo_users[i].role);
        st = sl__random_token(pw, sizeof pw, 12);
        if (st == SL_OK) {
            au.action = "user.add";
            st = sl__acct_user_add(a, hall, user, pw, demo_users[i].bits, &au, NULL);
        }
        if (st == SL_OK)
            json_object_set_new(users, demo_users[i].role,
                                json_pack("{s:s,s:s}", "username", user, "password", pw));
    }
    /* h5: the phone channel (identity codes, 扫码 approval; docs/idcode.md) */
    static const char *const classes[] = { "window", "kiosk", "h5" };
    for (size_t i = 0; st == SL_OK && i < SL_ARRAY_LEN(classes); i++) {
        char id[40], key[80];
        au.action = "device.add";
        st = sl__acct_device_add(a, hall, sl__acct_bit_parse(classes[i]), classes[i], &au,
                                 id, sizeof id, key, sizeof key);
        if (st == SL_OK)
            json_object_set_new(devices, classes[i],
                                json_pack("{s:s,s:s}", "id", id, "key", key));
    }
    json_t *cred = json_pack("{s:I,s:o,s:o}", "hall", (json_int_t)hall, "users", users,
                             "devices", devices);
    char *text = cred ? json_dumps(cred, JSON_INDENT(2)) : NULL;
    if (st == SL_OK && !text)
        st = SL_ERR_NOMEM;
    if (st == SL_OK)
        st = write_private(path, text);
    free(text);
    if (st == SL_OK) {
        /* shown once, on stdout (the log on stderr never holds secrets) */
        json_t *shown = json_pack("{s:O,s:s}", "demo", cred, "credentials_file", path);
        sl_json_print(stdout, shown, false);
        json_decref(shown);
        fflush(stdout);
    }
    json_decref(cred);
    if (st != SL_OK)
        return sl_cli_fail(st, "serve --demo", "cannot create the demo hall");
    return -1;
}

/* Runs the modules' demo seeds (app/demo.h) on every --demo start. */
static int demo_seed(const struct serve_cfg *c, sl_store *store, sl_keyring *keys,
                     sl_acct *acct, sl_face_engine *engine, struct sl__gov *gov)
{
    char path[600];
    snprintf(path, sizeof path, "%s/demo-credentials.json", c->data);
    json_error_t je;
    json_t *cred = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    int64_t hall = 0;
    if (!cred || sl__acct_hall_find(acct, "demo", &hall) != SL_OK) {
        json_decref(cred);
        return sl_cli_fail(SL_ERR_STATE, "serve --demo", "%s: %s", path,
                           cred ? "no demo hall" : je.text);
    }
    const char *faces = getenv("SL_FACES");
    if (!faces || !faces[0])
        faces = "../shared/faces";
    if (access(faces, R_OK | X_OK) != 0) {
        sl_log_warn("serve --demo: %s is absent: demo persons get the sample photos of "
                    "tests/data (set SL_FACES to the face photos folder)", faces);
        faces = NULL;
    }
    struct sl_demo d = {
        .store = store, .keys = keys, .acct = acct, .engine = engine, .gov = gov,
        .hall = hall, .data = c->data, .faces = faces, .cred = cred,
        .share = access("share/shualian/demo/persons.json", R_OK) == 0 ? "share/shualian"
                                                                       : SL_DATADIR "/shualian",
    };
    char err[256] = "";
    sl_status st = sl_demo_seed_all(&d, err, sizeof err);
    json_decref(cred);
    if (st != SL_OK)
        return sl_cli_fail(st, "serve --demo", "%s", err);
    return -1;
}

/* ============================ Serve ===================================== */

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int cmd_serve(int argc, char **argv)
{
    if (sl_cli_wants_help(argc, argv)) {
        fputs(serve_usage, stdout);
        return SL_EXIT_OK;
    }
    struct serve_cfg c = { .listen = "127.0.0.1:8080", .data = "var", .suite = "gm" };
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        goto out_cfg;
    if (c.clock && sl__clock_set_file(c.clock) != SL_OK) {
        rc = sl_cli_fail(SL_ERR_INVALID, "serve", "--clock %s: not readable, or not epoch "
                         "ms / ISO-8601 UTC", c.clock);
        goto out_cfg;
    }
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    /* every thread started from here on inherits the blocked signals; the
     * main thread takes them with sigwait */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    sl_store *store = NULL;
    sl_keyring *keys = NULL;
    sl_acct *acct = NULL;
    rc = sl_cli_server_open(c.data, c.db, c.keys, c.suite, true, &c.acct, &store, &keys,
                            &acct, "serve");
    if (rc >= 0)
        goto out_cfg;
    if (c.demo && (rc = demo_setup(acct, c.data)) >= 0)
        goto out_store;

    sl_face_engine *engine = NULL;
    if (!c.no_models) {
        sl_face_engine_opts eo = sl_face_engine_opts_default();
        const char *env = getenv("SL_MODELS");
        eo.models_dir = c.models ? c.models : env ? env : "models";
        eo.calib_path = c.calib ? c.calib : getenv("SL_CALIB");
        eo.models = SL_FM_CORE | SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_EYE) |
                    SL_FM_BIT(SL_FM_LIVENESS);   /* passive liveness of verifications */
        char err[512] = "";
        sl_status st = sl_face_engine_new(&engine, &eo, err, sizeof err);
        if (st != SL_OK) {
            sl_log_warn("face engine not loaded (%s): %s; face routes answer 503",
                        sl_status_name(st), err[0] ? err : sl_status_str(st));
            engine = NULL;
        }
    }
    struct sl__gov *gov = NULL;
    {
        char gerr[512] = "";
        sl_status gst = sl__gov_open(store, keys, c.matters, c.shared_data, gerr, sizeof gerr, &gov);
        if (gst != SL_OK) {
            rc = sl_cli_fail(gst, "serve", "matters/shared data: %s",
                             gerr[0] ? gerr : sl_status_str(gst));
            goto out_engine;
        }
    }
    if (c.demo && (rc = demo_seed(&c, store, keys, acct, engine, gov)) >= 0)
        goto out_engine;
    if (sl_app_serve_hook && (rc = sl_app_serve_hook(store, keys, acct,
                                                     sl_app_serve_hook_ctx)) >= 0)
        goto out_engine;
    /* verification sessions: the bank-card verifier and the 实证 thresholds */
    struct sl_bank_verifier bank = { 0 };
    sl_status st_bank = SL_OK;
    const char *bank_path = c.bank_file ? c.bank_file
                          : c.demo ? "share/shualian/demo/bank.csv" : NULL;
    if (bank_path && (st_bank = sl__bank_file_open(bank_path, &bank)) != SL_OK) {
        rc = sl_cli_fail(st_bank, "serve", "--bank-file %s: not readable or not card,id_number,"
                         "name,phone lines", bank_path);
        goto out_engine;
    }
    sl_calib idcal;
    memset(&idcal, 0, sizeof idcal);
    bool have_idcal = false;
    {
        const char *cp = c.id_calib ? c.id_calib : "share/shualian/id-fusion-calib.json";
        have_idcal = sl_calib_load(&idcal, cp) == SL_OK;
        if (!have_idcal && !c.id_calib)
            have_idcal = sl_calib_load(&idcal, SL_SERVE_DATADIR "/shualian/id-fusion-calib.json") == SL_OK;
        if (!have_idcal && c.id_calib) {
            rc = sl_cli_fail(SL_ERR_FACE_CALIB_FORMAT, "serve", "--id-calib %s: not a calibration file", cp);
            goto out_bank;
        }
        if (!have_idcal)
            sl_log_warn("serve: no 实证 calibration (share/shualian/id-fusion-calib.json); "
                        "real_document verifications answer 503");
    }
    struct sl_http_opts ho = {
        .listen = c.listen, .threads = (unsigned)c.threads, .max_conns = (unsigned)c.max_conns,
        .per_ip_conns = (unsigned)c.per_ip, .timeout_s = (unsigned)c.timeout_s,
        .header_max = (size_t)c.header_max, .engines = (unsigned)c.engines,
        .engine_wait_ms = (unsigned)c.engine_wait_ms, .sse_heartbeat_ms = (unsigned)c.sse_hb_ms,
        .rates = c.rates, .n_rates = c.n_rates, .acct = acct, .engine = engine,
        .access_log = !c.quiet, .gov = gov, .bank = bank_path ? &bank : NULL,
        .id_calib = have_idcal ? &idcal : NULL,
    };
    sl_http *h = NULL;
    char err[256] = "";
    sl_status st = sl__http_start(&ho, &h, err, sizeof err);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "serve", "%s", err[0] ? err : sl_status_str(st));
        goto out_bank;
    }
    char host[128];
    snprintf(host, sizeof host, "%s", c.listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        snprintf(host, sizeof host, "127.0.0.1");
    char base[200];
    snprintf(base, sizeof base, "http://%s:%u", host, (unsigned)sl__http_port(h));
    printf("{\"listening\":\"%s\",\"port\":%u,\"docs\":\"%s/docs\",\"openapi\":\"%s/v1/openapi.json\","
           "\"health\":\"%s/healthz\",\"models\":%s,\"store\":\"%s\"}\n",
           base, (unsigned)sl__http_port(h), base, base, base, engine ? "true" : "false",
           sl__store_kind_name(store));
    fflush(stdout);
    fprintf(stderr, "web pages: %s/web/console/index.html (window console), "
            "%s/web/kiosk/index.html (kiosk), %s/web/h5/index.html (phone)\n", base, base, base);

    {
        char holder[64];
        sl__gov_holder(holder, sizeof holder);
        if (sl__gov_jobs_start(gov, holder, 30000, sl__http_gov_publish, h) != SL_OK)
            sl_log_warn("serve: the hold-release job did not start; holds are released on requests");
    }
    struct sl_id_jobs *id_jobs = NULL;   /* evidence-frame retention (src/id/jobs.h) */
    {
        char holder[64];
        sl__gov_holder(holder, sizeof holder);
        if (sl__id_jobs_start(store, keys, holder, SL_ID_RETENTION_PERIOD_MS, &id_jobs) != SL_OK)
            sl_log_warn("serve: the evidence-frame retention job did not start");
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    sl_log_info("serve: %s: stopping (finishing in-flight requests)",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
    sl__gov_jobs_stop(gov);
    sl__id_jobs_stop(id_jobs);
    sl__http_shutdown(h, 8000);
    rc = SL_EXIT_OK;
out_bank:
    if (bank.free)
        bank.free(bank.ctx);
    sl_calib_free(&idcal);
out_engine:
    sl__gov_free(gov);
    sl_face_engine_free(engine);
out_store:
    sl__acct_free(acct);
    sl__store_close(store);
    sl__keyring_free(keys);
out_cfg:
    json_decref(c.file);
    fflush(stderr);
    return rc;
}
