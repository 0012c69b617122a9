/*
 * calib_int.h -- what the calibration reader (calib.c, the engine's run
 * time) and the table builder (calib_build.c, tooling) share: the file's
 * format name and version and two small checks. Not public API.
 */
#ifndef SL_FACE_CALIB_INT_H
#define SL_FACE_CALIB_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "shualian/face.h"

#define SL__CALIB_FORMAT  "shualian-calibration"
#define SL__CALIB_VERSION 1

/* A mode name: 1..SL_CALIB_MODE_MAX-1 bytes of [a-z0-9_]. */
bool sl__calib_mode_ok(const char *m);
/* Copies src (NULL = "") into dst, cut to cap - 1 bytes, NUL-terminated. */
void sl__calib_copy_str(char *dst, size_t cap, const char *src);

#endif
