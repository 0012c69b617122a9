/*
 * json.h -- the few JSON helpers (over jansson) that programs printing the
 * library's results need too: a strict parser for untrusted text, stable
 * rounding of reals, printing, and the error object of a status. The rest
 * of src/base/json.h stays internal.
 */
#ifndef SHUALIAN_JSON_H
#define SHUALIAN_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses at most len bytes of untrusted text; rejects nesting deeper than
 * 64 levels and duplicate keys. On error returns NULL and writes a one-line
 * reason into err (cap bytes). The result is a new reference. */
SL_API json_t *sl_json_parse(const char *text, size_t len, char *err, size_t cap);

/* {"error":{"code":"<name>","status":<n>,"message":"..."}} for a status
 * (new reference). */
SL_API json_t *sl_json_status(int st, const char *detail);

/* Writes obj to f, indented when pretty, followed by a newline. Steals
 * nothing. Returns SL_OK or SL_ERR_IO. */
SL_API sl_status sl_json_print(FILE *f, const json_t *obj, bool pretty);

/* json_real rounded to 'digits' significant decimals (stable output; new
 * reference). */
SL_API json_t *sl_json_real(double v, int digits);

/* A JSON string for text that may not be UTF-8 (a file name, say): valid
 * UTF-8 is kept, every byte of an invalid sequence becomes U+FFFD. NULL s
 * gives JSON null. NULL only when out of memory. */
SL_API json_t *sl_json_text(const char *s);

#ifdef __cplusplus
}
#endif

#endif
