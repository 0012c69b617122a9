/*
 * util.h -- small helpers a program using the library needs too: bounded
 * whole-file reads and writes, freeing what the library hands out, an
 * allocation counter, clocks, the CPU features in use and the library's
 * version.
 */
#ifndef SHUALIAN_UTIL_H
#define SHUALIAN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the whole file at path into a new buffer (NUL-terminated, the NUL
 * not counted in *len; 16-byte aligned). A file over max bytes gives
 * SL_ERR_TOO_LARGE without reading it all. Free *out with sl_free(). */
SL_API SL_NODISCARD sl_status sl_file_read(const char *path, size_t max,
                                           uint8_t **out, size_t *len);
/* Writes n bytes to path (created or truncated). */
SL_API SL_NODISCARD sl_status sl_file_write(const char *path, const void *p, size_t n);
/* Frees a buffer the library allocated for the caller (sl_file_read).
 * NULL is fine. */
SL_API void sl_free(void *p);
/* Allocations the library has made so far in this process (e.g. to check
 * that a steady-state call allocates nothing). */
SL_API uint64_t sl_alloc_count(void);

/* Monotonic nanoseconds (durations) and Unix epoch milliseconds. */
SL_API uint64_t sl_time_mono_ns(void);
SL_API int64_t  sl_time_wall_ms(void);

/* Detects the CPU features now (otherwise done on first use); idempotent
 * and thread-safe. SL_CPU_DISABLE="avx512,avx2" masks features. */
SL_API void sl_cpu_init(void);
/* The CPU features the kernels use ("avx512vnni avx512 avx2 sse4.1",
 * "neon", ...; after SL_CPU_DISABLE) into out (cap bytes); returns out. */
SL_API const char *sl_cpu_describe(char *out, size_t cap);

/* The library's version as "MAJOR.MINOR.PATCH" (static text, never NULL):
 * the version of the library linked at run time, which may differ from the
 * headers a program was compiled with. Versioning rules: docs/api.md. */
SL_API const char *sl_version(void);
/* The same as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH (0.1.0 is
 * 1000), for comparisons: sl_version_number() >= 1002000 means 1.2.0 or
 * later. */
SL_API int sl_version_number(void);

#ifdef __cplusplus
}
#endif

#endif
