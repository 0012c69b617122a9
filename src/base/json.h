/*
 * json.h -- small helpers over jansson used by the CLI and the server.
 *
 * Ownership follows jansson: functions returning json_t* return a new
 * reference the caller must json_decref(); "borrowed" says when not.
 */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stdio.h>
#include <jansson.h>

#include "base.h"
#include "shualian/json.h"   /* the public five: parse, status, print, real, text */

/* Parses at most len bytes of untrusted text; rejects nesting deeper than
 * 64 levels and duplicate keys. On error returns NULL and writes a one-line
 * reason into err (cap bytes). */
json_t *sl_json_parse(const char *text, size_t len, char *err, size_t cap);

/* Getters with a default when the key is absent or of another type.
 * Returned strings are borrowed from obj. */
const char *sl_json_str(const json_t *obj, const char *key, const char *dflt);
long long   sl_json_int(const json_t *obj, const char *key, long long dflt);
double      sl_json_num(const json_t *obj, const char *key, double dflt);
bool        sl_json_bool(const json_t *obj, const char *key, bool dflt);

/* {"error":{"code":"<name>","status":<n>,"message":"..."}} for a status.
 * The detail may hold bytes that are not UTF-8 (it is passed through
 * sl_json_text). NULL only when out of memory. */
json_t *sl_json_status(int st, const char *detail);

/* A JSON string for text that may not be UTF-8, such as a file name from a
 * GBK zip: valid UTF-8 is kept as it is, every byte of an invalid sequence
 * becomes U+FFFD (printed as "\ufffd" or the character). jansson's own
 * json_string() returns NULL for such text, which callers then took for
 * "out of memory". NULL s gives JSON null. Returns NULL only when out of
 * memory. */
json_t *sl_json_text(const char *s);

/* true if the n bytes at s are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool sl_utf8_valid(const char *s, size_t n);

/* Writes obj to f, indented when pretty, followed by a newline. Steals
 * nothing. Returns SL_OK or SL_ERR_IO. */
sl_status sl_json_print(FILE *f, const json_t *obj, bool pretty);

/* json_real rounded to 'digits' significant decimals (stable output). */
json_t *sl_json_real(double v, int digits);

#endif
