/*
 * index_crash.c -- `shualian-dev index crashtest DIR [--iters 200]`: the
 * SIGKILL durability driver of the 1:N index (tests/suites/60-index-crash.sh),
 * moved out of the product CLI.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev.h"
#include "shualian/index.h"

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


int dev_index(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "crashtest") == 0)
        return sub_crashtest(argc - 1, argv + 1);
    bool help = sl_cli_wants_help(argc, argv);
    fputs("usage: shualian-dev index crashtest DIR [--iters 200]\n"
          "  a child adds/removes/compacts; SIGKILLed at random; every\n"
          "  acknowledged change must survive (exit 1 if not).\n",
          help ? stdout : stderr);
    return help ? SL_EXIT_OK : SL_EXIT_USAGE;
}
