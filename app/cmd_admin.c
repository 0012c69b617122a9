/*
 * cmd_admin.c -- `shualian admin`: accounts and backups on the server's
 * data, without the server running (or while it runs: the store is
 * shared safely).
 *
 *   shualian admin [--data DIR] [--db URL] [--keys FILE] <what> ...
 *     user add NAME --hall H --roles R1,R2 [--password PW]
 *     user list | user disable NAME
 *     device add --hall H --class window|kiosk|h5 [--label L]
 *     device list | device revoke ID
 *     hall add NAME [--kind hall|kiosk_site|online] | hall list
 *     backup DEST
 *     rotate-key          new current sealing key, then re-encrypt every
 *                         registered column in batches (servers keep running)
 * H is a hall id or name. A generated password or device key is printed
 * once. Every change is audited (actor "system", "admin CLI").
 */
#include <stdlib.h>
#include <string.h>

#include "acct/acct.h"
#include "app.h"
#include "crypto/crypto.h"
#include "rekey/rekey.h"
#include "store/store.h"

static const char admin_usage[] =
    "usage: shualian admin [--data DIR] [--db URL] [--keys FILE] <command>\n\n"
    "  user add NAME --hall H --roles admin,clerk,... [--password PW]\n"
    "  user list\n"
    "  user disable NAME\n"
    "  device add --hall H --class window|kiosk|h5 [--label TEXT]\n"
    "  device list\n"
    "  device revoke ID\n"
    "  hall add NAME [--kind hall|kiosk_site|online]\n"
    "  hall list\n"
    "  backup DEST          SQLite: an online copy; PostgreSQL: see docs/store.md\n"
    "  rotate-key           a new current key; every encrypted column re-sealed in\n"
    "                       batches while servers run (they pick the key up)\n"
    "H is a hall id or name. Generated passwords and device keys are shown once.\n";

/* Value of --name in argv[from..), or NULL. */
static const char *opt(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static sl_status hall_id(sl_acct *a, const char *h, int64_t *id)
{
    long v;
    if (sl_cli_parse_long(h, 1, 1L << 62, &v)) {
        *id = v;
        return SL_OK;
    }
    return sl__acct_hall_find(a, h, id);
}

static int run(sl_acct *a, sl_store *s, sl_keyring *k, int argc, char **argv, int i)
{
    const char *what = argv[i], *verb = i + 1 < argc ? argv[i + 1] : "";
    struct sl_acct_audit au = { .actor_kind = "system", .actor_id = "admin CLI" };
    sl_status st;
    json_t *list = NULL;
    if (strcmp(what, "rotate-key") == 0) {
        struct sl_rekey_opts ro = { 0 };
        struct sl_rekey_report rep = { 0 };
        uint32_t kid = 0;
        st = sl__rekey_rotate(s, k, &ro, &kid, &rep);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin rotate-key", "re-encryption stopped (run it again "
                               "to finish): %llu of %llu re-sealed",
                               (unsigned long long)rep.resealed, (unsigned long long)rep.scanned);
        return sl_cli_print(json_pack("{s:I, s:I, s:I, s:I, s:I}", "key_id", (json_int_t)kid,
                                      "scanned", (json_int_t)rep.scanned,
                                      "resealed", (json_int_t)rep.resealed,
                                      "current", (json_int_t)rep.current,
                                      "failed", (json_int_t)rep.failed));
    }
    if (strcmp(what, "backup") == 0) {
        if (!verb[0])
            return sl_cli_usage_error("admin backup", "a destination file is needed");
        st = sl__store_backup(s, verb);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin backup", "cannot back up to %s", verb);
        return sl_cli_print(json_pack("{s:s}", "backup", verb));
    }
    if (strcmp(verb, "list") == 0) {
        if (strcmp(what, "user") == 0)
            st = sl__acct_user_list(a, &list);
        else if (strcmp(what, "device") == 0)
            st = sl__acct_device_list(a, &list);
        else if (strcmp(what, "hall") == 0)
            st = sl__acct_hall_list(a, &list);
        else
            return sl_cli_usage_error("admin", "unknown command '%s'", what);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin", "cannot list %ss", what);
        return sl_cli_print(list);
    }
    const char *arg = i + 2 < argc ? argv[i + 2] : NULL;
    if (strcmp(what, "hall") == 0 && strcmp(verb, "add") == 0 && arg) {
        int64_t id = 0;
        au.action = "hall.add";
        const char *kind = opt(argc, argv, i, "--kind");
        if (kind && strcmp(kind, "hall") && strcmp(kind, "kiosk_site") && strcmp(kind, "online"))
            return sl_cli_usage_error("admin hall add", "--kind is hall, kiosk_site or online");
        st = sl__acct_hall_add(a, arg, kind ? kind : "hall", &au, &id);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin hall add", "%s", arg);
        return sl_cli_print(json_pack("{s:I,s:s}", "id", (json_int_t)id, "name", arg));
    }
    if (strcmp(what, "user") == 0 && strcmp(verb, "add") == 0 && arg && arg[0] != '-') {
        const char *h = opt(argc, argv, i, "--hall"), *roles_s = opt(argc, argv, i, "--roles");
        const char *pw = opt(argc, argv, i, "--password");
        uint32_t roles = 0;
        int64_t hall = 0;
        if (!h || !roles_s || !sl__acct_roles_parse(roles_s, &roles))
            return sl_cli_usage_error("admin user add", "--hall H and --roles "
                                      "admin|clerk|reviewer|auditor|issuer[,...] are needed");
        if ((st = hall_id(a, h, &hall)) != SL_OK)
            return sl_cli_fail(st, "admin user add", "no hall '%s'", h);
        char gen[40];
        if (!pw) {
            if ((st = sl__random_token(gen, sizeof gen, 12)) != SL_OK)
                return sl_cli_fail(st, "admin user add", NULL);
            pw = gen;
        }
        int64_t id = 0;
        au.action = "user.add";
        st = sl__acct_user_add(a, hall, arg, pw, roles, &au, &id);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin user add", "%s", arg);
        json_t *o = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "username", arg,
                              "roles", sl__acct_bits_json(roles));
        if (pw == gen)
            json_object_set_new(o, "password", json_string(gen));
        return sl_cli_print(o);
    }
    if (strcmp(what, "user") == 0 && strcmp(verb, "disable") == 0 && arg) {
        au.action = "user.disable";
        st = sl__acct_user_disable(a, arg, &au);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin user disable", "%s", arg);
        return sl_cli_print(json_pack("{s:s,s:b}", "username", arg, "disabled", 1));
    }
    if (strcmp(what, "device") == 0 && strcmp(verb, "add") == 0) {
        const char *h = opt(argc, argv, i, "--hall"), *cls_s = opt(argc, argv, i, "--class");
        uint32_t cls = cls_s ? sl__acct_bit_parse(cls_s) : 0;
        int64_t hall = 0;
        if (!h || !(cls & SL_DEV_ALL))
            return sl_cli_usage_error("admin device add", "--hall H and --class "
                                      "window|kiosk|h5 are needed");
        if ((st = hall_id(a, h, &hall)) != SL_OK)
            return sl_cli_fail(st, "admin device add", "no hall '%s'", h);
        char id[40], key[80];
        au.action = "device.add";
        st = sl__acct_device_add(a, hall, cls, opt(argc, argv, i, "--label"), &au, id,
                                 sizeof id, key, sizeof key);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin device add", NULL);
        return sl_cli_print(json_pack("{s:s,s:s,s:s}", "id", id, "key", key, "class", cls_s));
    }
    if (strcmp(what, "device") == 0 && strcmp(verb, "revoke") == 0 && arg) {
        au.action = "device.revoke";
        st = sl__acct_device_revoke(a, arg, &au);
        if (st != SL_OK)
            return sl_cli_fail(st, "admin device revoke", "%s", arg);
        return sl_cli_print(json_pack("{s:s,s:b}", "id", arg, "revoked", 1));
    }
    return sl_cli_usage_error("admin", "unknown or incomplete command");
}

int cmd_admin(int argc, char **argv)
{
    if (sl_cli_wants_help(argc, argv) || argc < 2) {
        fputs(admin_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? SL_EXIT_USAGE : SL_EXIT_OK;
    }
    const char *data = "var", *db = NULL, *keys = NULL;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--data") == 0)
            data = argv[i + 1];
        else if (strcmp(argv[i], "--db") == 0)
            db = argv[i + 1];
        else if (strcmp(argv[i], "--keys") == 0)
            keys = argv[i + 1];
        else
            return sl_cli_usage_error("admin", "unknown option '%s'", argv[i]);
    }
    if (i >= argc)
        return sl_cli_usage_error("admin", "a command is needed");
    sl_store *s = NULL;
    sl_keyring *k = NULL;
    sl_acct *a = NULL;
    int rc = sl_cli_server_open(data, db, keys, NULL, true, NULL, &s, &k, &a, "admin");
    if (rc >= 0)
        return rc;
    rc = run(a, s, k, argc, argv, i);
    sl__acct_free(a);
    sl__store_close(s);
    sl__keyring_free(k);
    return rc;
}
