/*
 * fuzz_index_log.c -- libFuzzer target: the index log replay and snapshot
 * loader (src/index/persist.c) on arbitrary bytes. Byte 0 picks the file
 * (even: log, odd: snapshot); with bit 1 set, the harness repairs the CRCs
 * of the header and of every record-shaped chunk, so the fuzzer reaches the
 * record payload checks (bad ids, collections, NaN vectors, lengths) and not
 * only the checksum rejections. Opening must never crash or leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/index_format.h"
#include "index/index_int.h"

static void fix_log(uint8_t *p, size_t n)
{
    if (n < sizeof(struct sl__ix_log_head))
        return;
    struct sl__ix_log_head h;
    memcpy(&h, p, sizeof(h));
    memcpy(h.magic, SL__IX_LOG_MAGIC, 8);
    h.version = SL__IX_VERSION;
    h.dim = 1 + h.dim % 128;
    h.kind %= 3;
    h.base_seq = 0;
    h.head_crc = sl__crc32c(0, &h, offsetof(struct sl__ix_log_head, head_crc));
    memcpy(p, &h, sizeof(h));
    size_t off = sizeof(h);
    uint64_t seq = 0;
    while (off + sizeof(struct sl__ix_rec) <= n) {
        struct sl__ix_rec r;
        memcpy(&r, p + off, sizeof(r));
        r.magic = SL__IX_REC_MAGIC;
        r.type = 1 + r.type % 4;
        size_t room = n - off - sizeof(r);
        r.len = (uint32_t)(room ? r.len % (room + 1) : 0);
        r.len &= ~7u;
        r.seq = ++seq;
        memcpy(p + off, &r, sizeof(r));
        uint32_t crc = sl__crc32c(0, p + off + 4, 8);
        crc = sl__crc32c(crc, p + off + 16, 8);
        crc = sl__crc32c(crc, p + off + sizeof(r), r.len);
        memcpy(p + off + 12, &crc, 4);
        off += sizeof(r) + r.len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/sl-fuzz-index-%d", (int)getpid());
        mkdir(dir, 0700);
        sl_log_set_level(SL_LOG_OFF);
    }
    if (size < 1 || size > (1u << 20))
        return 0;
    uint8_t mode = data[0];
    uint8_t *buf = malloc(size - 1 + 1);
    memcpy(buf, data + 1, size - 1);
    size_t n = size - 1;
    char lp[128], sp[128];
    snprintf(lp, sizeof(lp), "%s/log", dir);
    snprintf(sp, sizeof(sp), "%s/snapshot", dir);
    unlink(lp);
    unlink(sp);
    if (mode & 1) {
        FILE *f = fopen(sp, "wb");
        if (f) {
            fwrite(buf, 1, n, f);
            fclose(f);
        }
    } else {
        if (mode & 2)
            fix_log(buf, n);
        FILE *f = fopen(lp, "wb");
        if (f) {
            fwrite(buf, 1, n, f);
            fclose(f);
        }
    }
    sl_index *ix = NULL;
    if (sl_index_open(&ix, dir, NULL) == SL_OK) {
        struct sl_index_stats st;
        if (sl_index_stats(ix, &st) == SL_OK && st.live && st.dim <= 128) {
            float q[128] = { 1.0f };
            struct sl_index_query qq;
            sl_index_query_default(&qq);
            struct sl_index_hit h[10];
            size_t nh;
            (void)sl_index_search(ix, &qq, q, st.dim, h, 10, &nh);
        }
        sl_index_free(ix);
    }
    free(buf);
    return 0;
}
