/*
 * util.c -- the public helpers of include/shualian/util.h that wrap
 * internal ones (the clocks and sl_cpu_describe are exported directly from
 * time.c and cpu.c).
 */
#include "base/base.h"

sl_status sl_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
    return sl__read_file(path, max, out, len);
}

sl_status sl_file_write(const char *path, const void *p, size_t n)
{
    return sl__write_file(path, p, n);
}

void sl_free(void *p)
{
    sl__free(p);
}

uint64_t sl_alloc_count(void)
{
    return sl__alloc_calls();
}
