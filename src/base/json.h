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
#include "shualian/json.h"   /* the public four: parse, status, print, real */

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

/* {"error":{"code":"<name>","status":<n>,"message":"..."}} for a status. */
json_t *sl_json_status(int st, const char *detail);

/* Writes obj to f, indented when pretty, followed by a newline. Steals
 * nothing. Returns SL_OK or SL_ERR_IO. */
sl_status sl_json_print(FILE *f, const json_t *obj, bool pretty);

/* json_real rounded to 'digits' significant decimals (stable output). */
json_t *sl_json_real(double v, int digits);

#endif
