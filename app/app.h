/*
 * app.h -- the server program's commands (serve, admin, audit, matters,
 * gallery) and what they share. app/ is the composition root: the one
 * place above src/http that wires the internal modules (store, keyring,
 * accounts, engine, matters, hall) into a running server or an operator
 * command. Layering (docs/architecture.md): app/ may include src/<any>/
 * and cli/cli.h; nothing includes app/. cli/ (the library's tools) uses
 * only the public headers, include/shualian/.
 */
#ifndef SL_APP_H
#define SL_APP_H

#include <stdbool.h>

#include "../cli/cli.h"

/* Opens the key file, the store (migrated) and the accounts for serve and
 * admin: data is the data folder (created 0700 when create), db/keys/suite
 * may be NULL (defaults under data). Returns -1 on success, else the exit
 * code (error printed). */
struct sl_acct_opts;
typedef struct sl_store sl_store;
typedef struct sl_keyring sl_keyring;
typedef struct sl_acct sl_acct;
int sl_cli_server_open(const char *data, const char *db, const char *keys,
                       const char *suite, bool create, const struct sl_acct_opts *ao,
                       sl_store **s, sl_keyring **k, sl_acct **a, const char *cmd);

/* A step run by `serve` after the demo seeds and before the server starts
 * (so before the hall cache is loaded and /readyz turns true). NULL in
 * the product program; shualian-dev's hall scale bench (dev/hall_serve.c)
 * sets it to fill the demo hall's in-memory library. Returns -1 to go on,
 * else serve's exit code. */
typedef int (*sl_app_serve_hook_fn)(sl_store *s, sl_keyring *k, sl_acct *a, void *ctx);
extern sl_app_serve_hook_fn sl_app_serve_hook;
extern void *sl_app_serve_hook_ctx;

#endif
