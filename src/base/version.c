/*
 * version.c -- sl_version() / sl_version_number(): the version the library
 * was built as (the Makefile's VERSION, passed as SL_VERSION).
 */
#include "base/base.h"

#ifndef SL_VERSION
#error "SL_VERSION (\"MAJOR.MINOR.PATCH\") comes from the Makefile"
#endif

const char *sl_version(void)
{
    return SL_VERSION;
}

int sl_version_number(void)
{
    static const char v[] = SL_VERSION;
    int part[3] = { 0, 0, 0 };
    size_t k = 0;
    for (const char *p = v; *p && k < 3; p++) {
        if (*p == '.')
            k++;
        else if (*p >= '0' && *p <= '9')
            part[k] = part[k] * 10 + (*p - '0');
        else
            break;          /* a suffix ("-rc1") ends the number */
    }
    return part[0] * 1000000 + part[1] * 1000 + part[2];
}
