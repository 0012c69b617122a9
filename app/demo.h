/*
 * demo.h -- the demo service hall's synthetic data (serve --demo).
 *
 * `serve --demo` creates the demo hall (users, devices) once, then, after
 * the face engine and the matters are loaded and before the server
 * listens, runs every module's seed in the order of app/demo.c's table.
 * A seed is idempotent: it runs on every start and adds only what is
 * missing (look up first, add second), so a restart, or a second node on
 * the same database, changes nothing.
 *
 * The persons are share/shualian/demo/persons.json (synthetic names and
 * numbers; registry photos from the test photos, see
 * share/shualian/demo/README.md). Each module's seed lives in its own file
 * (app/demo_<module>.c) and adds only its module's data; what a user needs
 * to try it (ids, device keys, card numbers) goes into cred (written to
 * DATA/demo-credentials.json, 0600) and is walked through in docs/.
 *
 * A seed that cannot run (no face engine, no photos) logs a warning and
 * returns SL_OK with the part it could do: the demo hall still starts.
 * Any other error stops serve.
 */
#ifndef SL_CLI_DEMO_H
#define SL_CLI_DEMO_H

#include <stdint.h>
#include <jansson.h>

#include "shualian/status.h"

typedef struct sl_store sl_store;
typedef struct sl_keyring sl_keyring;
typedef struct sl_acct sl_acct;
typedef struct sl_face_engine sl_face_engine;
struct sl__gov;

struct sl_demo {
    sl_store *store;
    sl_keyring *keys;
    sl_acct *acct;
    sl_face_engine *engine;      /* NULL when serve runs --no-models        */
    struct sl__gov *gov;
    int64_t hall;                /* the demo hall's id                      */
    const char *data;            /* the data folder                         */
    const char *share;           /* share/shualian (or the installed copy)  */
    const char *faces;           /* ../shared/faces or SL_FACES; NULL: none */
    json_t *cred;                /* the credentials object; seeds add keys  */
};

typedef sl_status (*sl_demo_seed_fn)(struct sl_demo *d);

/* Runs every seed; on failure *err names the seed. Writes cred back to
 * DATA/demo-credentials.json when a seed changed it. */
sl_status sl_demo_seed_all(struct sl_demo *d, char *err, size_t cap);

/* The seeds (app/demo_<module>.c). */
sl_status sl_demo_seed_registry(struct sl_demo *d);   /* id: registry persons  */
sl_status sl_demo_seed_verif(struct sl_demo *d);      /* id: verification sessions
                                                         (persons if missing, bank cards) */
sl_status sl_demo_seed_lic(struct sl_demo *d);        /* lic: issuers, licences */
sl_status sl_demo_seed_sub(struct sl_demo *d);        /* gov/sub: seeds 002, 004 */
sl_status sl_demo_seed_hall(struct sl_demo *d);       /* hall: library, watchlist */

/* Path of photo number `i` (0 = the registry photo) of a persons.json
 * entry: FACES/dev/<photo_identity>/<n>.jpg sorted by n, or, when faces is
 * NULL or the folder is missing, tests/data/<fallback_photos[k]> (k from
 * the person's index). SL_ERR_NOT_FOUND when none exists. */
sl_status sl_demo_photo_path(const struct sl_demo *d, const json_t *person, size_t person_index,
                             size_t i, char *out, size_t cap);

/* share/shualian/demo/persons.json, parsed (caller json_decref). */
sl_status sl_demo_persons(const struct sl_demo *d, json_t **out);

#endif
