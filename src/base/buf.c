/*
 * buf.c -- bounded growable byte buffer and whole-file helpers (base.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

void sl_buf_init(struct sl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->magic = SL_BUF_MAGIC;
}

void sl_buf_free(struct sl_buf *b)
{
    if (!b)
        return;
    sl__free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Makes room for n more bytes (+1 spare for a terminator). */
static sl_status reserve(struct sl_buf *b, size_t n)
{
    SL_DEBUG_ASSERT(b->magic == SL_BUF_MAGIC);
    SL_DEBUG_ASSERT(b->len <= b->cap);
    if (n > b->max || b->len > b->max - n) {
        sl_buf_free(b);
        return SL_ERR_TOO_LARGE;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return SL_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    uint8_t *p = sl__realloc(b->data, cap);
    if (!p) {
        sl_buf_free(b);
        return SL_ERR_NOMEM;
    }
    b->data = p;
    b->cap = cap;
    return SL_OK;
}

sl_status sl_buf_append(struct sl_buf *b, const void *p, size_t n)
{
    SL_DEBUG_ASSERT(n == 0 || p != NULL);
    sl_status st = reserve(b, n);
    if (st != SL_OK)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return SL_OK;
}

sl_status sl_buf_appendf(struct sl_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_ERR_INVALID;
    if ((size_t)n < sizeof(small))
        return sl_buf_append(b, small, (size_t)n);
    sl_status st = reserve(b, (size_t)n);
    if (st != SL_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SL_OK;
}

sl_status sl_buf_terminate(struct sl_buf *b)
{
    sl_status st = reserve(b, 0);
    if (st != SL_OK)
        return st;
    b->data[b->len] = 0;
    return SL_OK;
}

uint8_t *sl_buf_detach(struct sl_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

sl_status sl__read_file(const char *path, size_t max, uint8_t **out,
                        size_t *len)
{
    /* O_NONBLOCK: opening a FIFO without a writer must not hang; fstat
     * then refuses anything but a regular file before a byte is read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? SL_ERR_NOT_FOUND
             : errno == ENXIO ? SL_ERR_UNSUPPORTED : SL_ERR_IO;
    struct sl_buf b;
    sl_buf_init(&b, max);
    struct stat sb;
    sl_status st = SL_OK;
    if (fstat(fd, &sb) != 0) {
        st = SL_ERR_IO;
        goto out_close;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = S_ISDIR(sb.st_mode) ? SL_ERR_IO : SL_ERR_UNSUPPORTED;
        goto out_close;
    }
    if ((uint64_t)sb.st_size > max) {
        st = SL_ERR_TOO_LARGE;
        goto out_close;
    }
    /* the file may grow while we read: never more than max bytes (the
     * buffer's cap), and one byte over it says SL_ERR_TOO_LARGE */
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = SL_ERR_IO;
            goto out_close;
        }
        if (n == 0)
            break;
        if ((st = sl_buf_append(&b, chunk, (size_t)n)) != SL_OK)
            goto out_close;
    }
    if ((st = sl_buf_terminate(&b)) == SL_OK)
        *out = sl_buf_detach(&b, len);
out_close:
    sl_buf_free(&b);
    close(fd);
    return st;
}

sl_status sl__write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return SL_ERR_IO;
    size_t w = n ? fwrite(p, 1, n, f) : 0;
    int rc = fclose(f);
    return (w == n && rc == 0) ? SL_OK : SL_ERR_IO;
}
