/*
 * kernel.h -- the part of src/index that another module may use: the int8
 * scan kernel (AVX-512 VNNI / AVX2 / NEON / C, picked once for this CPU)
 * over rows the caller keeps itself. The hall's watchlist check scans its
 * contiguous int8 copy with it (src/hall/hall.c). Everything else of the
 * index stays behind index_int.h, private to src/index.
 */
#ifndef SL_INDEX_KERNEL_H
#define SL_INDEX_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* Scores n consecutive rows of codes (each pdim int8, pdim a multiple of
 * 64): out[r] = scale[r] * qscale * (q . row r). qu is q + 128 (uint8) and
 * vsum[r] the sum of row r's codes (the SIMD versions use both). */
void sl__ix_scan_i8(const int8_t *codes, size_t pdim, size_t n, const int8_t *q,
                    const uint8_t *qu, const int32_t *vsum, const float *scale,
                    float qscale, float *out);

#endif
