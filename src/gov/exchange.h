/*
 * exchange.h -- shared government data (数据共享): an interface to the
 * other departments' systems -- civil affairs (marriage, divorce, death),
 * land and property, health (births), human resources and social security,
 * housing fund, overseas Chinese affairs, public security (household
 * register, criminal records) -- and a file-backed implementation for the
 * demo and the tests (a real upstream plugs in as another ops table).
 *
 * A fetch names the source, the person (normalised ID number) and the
 * fields the matter needs; only those fields are returned, whatever the
 * implementation holds (data minimisation is enforced here, once). The
 * caller (applications) binds each fetch to an application, snapshots the
 * result into it, and audits it.
 */
#ifndef SL_GOV_EXCHANGE_H
#define SL_GOV_EXCHANGE_H

#include "gov/gov.h"

struct sl__exchange;

struct sl__exchange_ops {
    const char *name;
    /* *out: the person's record(s) in that source (a new reference), or
     * NULL when the source has none -- "no record" is an answer, not an
     * error. An array means several records (e.g. properties). */
    sl_status (*fetch)(void *impl, const char *source, const char *id_number, json_t **out);
    void (*free)(void *impl);
};

sl_status sl__exchange_new(const struct sl__exchange_ops *ops, void *impl,
                           struct sl__exchange **out);
/* The file-backed implementation: dir holds <source>.json files,
 * {"records": {"<id number>": RECORD | [RECORD, ...]}}. */
sl_status sl__exchange_open_files(const char *dir, char *err, size_t cap,
                                  struct sl__exchange **out);
void sl__exchange_free(struct sl__exchange *x);

/* Fetches `fields` (a JSON array of names, each known for the source) of
 * the person's record; *out is a new object holding only those fields that
 * the source has ({} when it has no record; "count" is the number of
 * records unless the record has its own). SL_ERR_EXCHANGE_SOURCE for an
 * unknown source or field. */
sl_status sl__exchange_fetch(struct sl__exchange *x, const char *source, const char *id_number,
                             const json_t *fields, json_t **out);

#endif
