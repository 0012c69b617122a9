/*
 * base.h -- what every module of libshualian may call: assertions,
 * allocation (with failure injection), arena, bounded buffer, logging with
 * ID-number masking, time, CPU features. JSON helpers are in json.h.
 *
 * Conventions: functions that can fail return sl_status; outputs come first;
 * (pointer, length) pairs for inputs. Nothing here keeps hidden global state
 * except the log sink, the allocation counters and the CPU feature word, all
 * of which are safe to read from any thread.
 */
#ifndef SL_BASE_H
#define SL_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"
#include "shualian/util.h"   /* the public clocks and sl_cpu_describe */

/* ============================ Assertions ================================ */

/* Programmer errors abort with a location; runtime errors return codes. */
_Noreturn void sl__abort(const char *file, int line, const char *expr);
#define SL_ASSERT(x) \
    do { if (!(x)) sl__abort(__FILE__, __LINE__, #x); } while (0)
#ifdef NDEBUG
#define SL_DEBUG_ASSERT(x) ((void)0)
#else
#define SL_DEBUG_ASSERT(x) SL_ASSERT(x)
#endif

#define SL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SL_CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))

/* ============================ Allocation ================================
 * All library allocations go through these. sl__fail_after(n) makes the
 * n-th following allocation fail (n = 0 disables); tests use it to walk
 * every error path. Counters are atomic. */
void *sl__malloc(size_t n);
void *sl__calloc(size_t count, size_t size);
void *sl__realloc(void *p, size_t n);
void  sl__free(void *p);
void *sl__aligned_alloc(size_t align, size_t n);   /* free with sl__free */
char *sl__strdup(const char *s);
void  sl__fail_after(long n);
/* Allocation calls made since start (successful or injected failures). */
uint64_t sl__alloc_calls(void);

/* true if a*b overflows size_t; otherwise *out = a*b. */
static inline bool sl__mul_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

/* ============================ Arena ======================================
 * One block sized up front; allocation is a pointer bump; reset is O(1).
 * Exhaustion returns NULL (the sizing was wrong): it never grows. */
struct sl_arena {
    uint8_t *base;     /* block start; owned                               */
    size_t   cap;      /* bytes in the block                               */
    size_t   used;     /* bytes handed out, including alignment padding    */
    size_t   peak;     /* highest 'used' seen, for sizing reports          */
};
sl_status sl__arena_init(struct sl_arena *a, size_t cap);
void      sl__arena_free(struct sl_arena *a);           /* zeroes *a        */
void     *sl__arena_alloc(struct sl_arena *a, size_t n, size_t align);
static inline void sl__arena_reset(struct sl_arena *a) { a->used = 0; }

/* ============================ Bounded buffer =============================
 * A growable byte buffer with a hard cap. On SL_ERR_TOO_LARGE or
 * SL_ERR_NOMEM the buffer has already been released (len = cap = 0). */
#define SL_BUF_MAGIC 0x66627566u  /* "fbuf" */
struct sl_buf {
    uint8_t *data;     /* NULL until the first append                      */
    size_t   len;      /* bytes in use                                     */
    size_t   cap;      /* bytes allocated                                  */
    size_t   max;      /* hard limit, e.g. the max upload size             */
    uint32_t magic;    /* SL_BUF_MAGIC once initialised                    */
};
void      sl_buf_init(struct sl_buf *b, size_t max);   /* cannot fail      */
sl_status sl_buf_append(struct sl_buf *b, const void *p, size_t n);
sl_status sl_buf_appendf(struct sl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends a NUL that is not counted in len (data is then a C string). */
sl_status sl_buf_terminate(struct sl_buf *b);
/* Hands the bytes to the caller (free with sl__free); b is left empty. */
uint8_t  *sl_buf_detach(struct sl_buf *b, size_t *len);
void      sl_buf_free(struct sl_buf *b);

/* Reads a whole regular file into a new buffer (NUL-terminated, NUL not
 * counted); the one reader for files named by users (CLI operands, lists).
 * Never blocks on and never reads from anything else: a FIFO, device or
 * socket gives SL_ERR_UNSUPPORTED (opened O_NONBLOCK, checked with fstat
 * before any read), a directory SL_ERR_IO, a missing file SL_ERR_NOT_FOUND.
 * Reads at most max bytes: a file over max (or growing past it) gives
 * SL_ERR_TOO_LARGE, so pass what the caller needs, not a generous cap.
 * Caller frees *out with sl__free. */
sl_status sl__read_file(const char *path, size_t max, uint8_t **out,
                        size_t *len);
sl_status sl__write_file(const char *path, const void *p, size_t n);

/* ============================ Logging ==================================== */
enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR,
                    SL_LOG_OFF };
void sl_log_set_level(enum sl_log_level lv);
enum sl_log_level sl_log_get_level(void);
/* Parses "debug|info|warn|error|off"; false if unknown. */
bool sl_log_level_parse(const char *s, enum sl_log_level *out);
/* One line on stderr: ISO time, level, message. Every 15/18-digit ID number
 * in the formatted message is masked before it is written. */
void sl_log(enum sl_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define sl_log_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)
#define sl_log_info(...)  sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_log_warn(...)  sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_log_err(...)   sl_log(SL_LOG_ERROR, __VA_ARGS__)

/* Masks one ID number: keeps the first 4 and last 4 characters, '*' between
 * ("410105199001011234" -> "4101**********1234"). Writes at most cap bytes
 * including the NUL; returns the length it wanted to write. */
size_t sl_mask_id(char *out, size_t cap, const char *id);
/* Masks, in place, every run of 15 digits or 17 digits + [0-9Xx] that is not
 * part of a longer digit run (resident ID numbers). Returns how many. */
size_t sl_mask_ids_in(char *s);

/* ============================ Time ======================================= */
uint64_t sl_time_mono_ns(void);        /* monotonic, for durations           */
int64_t  sl_time_wall_ms(void);        /* Unix epoch milliseconds            */
/* "2026-11-21T12:34:56.789Z"; cap >= 25. */
void     sl_time_iso8601(char *out, size_t cap, int64_t wall_ms);

/* The one time source for expiry (sessions, lockouts, rate limits, audit):
 * epoch milliseconds from the wall clock, or from the test clock file when
 * one is set (clock.c). Thread-safe. */
int64_t  sl__now_ms(void);
/* Sets (path) or clears (NULL) the test clock file: one time, epoch ms or
 * ISO-8601 UTC ("2026-12-04T11:00:00Z", optional .mmm), re-read when the
 * file changes. SL_ERR_IO/NOT_FOUND if unreadable, SL_ERR_INVALID if the
 * time does not parse (the clock is then the wall clock). */
sl_status sl__clock_set_file(const char *path);
/* Parses one such time (surrounding blanks allowed) into *out. */
sl_status sl__clock_parse(const char *text, int64_t *out);

/* ============================ CPU features ===============================
 * Detected once (sl_cpu_init, idempotent, thread-safe); kernels are picked
 * from this word at start, never per call. SL_CPU_DISABLE="avx512,avx2"
 * in the environment masks features (to test fallbacks). */
enum {
    SL_CPU_SSE41      = 1u << 0,
    SL_CPU_AVX2       = 1u << 1,   /* with FMA and F16C                   */
    SL_CPU_AVX512F    = 1u << 2,   /* with BW, DQ, VL                     */
    SL_CPU_AVX512VNNI = 1u << 3,
    SL_CPU_NEON       = 1u << 4,
    SL_CPU_NEON_DOT   = 1u << 5,
};
void     sl_cpu_init(void);
uint32_t sl_cpu_features(void);
/* "avx512vnni avx512f avx2 sse4.1" etc. into out; returns out. */
const char *sl_cpu_describe(char *out, size_t cap);

#endif
