/*
 * catalogue.h -- the service-matter catalogue (module gov).
 *
 * One JSON file per matter version under a folder (the shipped one is
 * share/shualian/matters/; its README.md documents every field). Every
 * file is validated at load -- unknown fields, wrong types, unknown
 * shared-data sources or licence types, malformed rules, a matter without
 * a non-face alternative -- and refused with "file:line: field: what".
 * An application keeps the (code, version) it was opened under, so old
 * versions stay loadable next to new ones.
 */
#ifndef SL_GOV_CATALOGUE_H
#define SL_GOV_CATALOGUE_H

#include "gov/gov.h"

struct sl__catalogue;

/* Validates one matter object; err gets "file:line: field: what". */
sl_status sl__matter_check(const json_t *m, const char *file, const struct sl__jsonpos *pos,
                           char *err, size_t cap);
/* Parses and validates one matter file's text; *out is a new reference. */
sl_status sl__matter_parse(const char *text, size_t n, const char *file, char *err,
                           size_t cap, json_t **out);
/* Loads every *.json of dir (sorted by name); all or nothing. */
sl_status sl__catalogue_load_dir(const char *dir, char *err, size_t cap,
                                 struct sl__catalogue **out);
void      sl__catalogue_free(struct sl__catalogue *c);
size_t    sl__catalogue_count(const struct sl__catalogue *c);
/* Borrowed references, valid while the catalogue lives. */
const json_t *sl__catalogue_at(const struct sl__catalogue *c, size_t i);
/* version 0: the newest version of code. NULL if absent. */
const json_t *sl__catalogue_get(const struct sl__catalogue *c, const char *code, int version);

#endif
