/*
 * acct.h -- accounts: halls, staff users, devices, sessions, login
 * (what the HTTP layer and the admin CLI call).
 *
 * Halls (service halls, kiosk sites, online channels) are organisations;
 * staff users and devices belong to one hall. Staff have roles (bit set
 * below) and log in with a password (Argon2id) for a bearer session token:
 * 256-bit random, stored only as a keyed hash (sl__mac purpose
 * "acct-session"), with an idle and an absolute expiry, revocable (logout,
 * disable). Devices (window cameras, kiosks, H5 channels) have an id and an
 * API key shown once and stored hashed (sl__mac purpose "acct-device");
 * a revoked device is refused. Failed logins are counted per user in the
 * store and lock the user for a while after too many; the state is rows,
 * so several server nodes sharing one PostgreSQL agree on it.
 *
 * Time is sl__now_ms() (the settable test clock). Every function runs its
 * own transaction(s) unless it takes an sl_tx. Nothing here prints.
 *
 * Status details 144..159 (status.h): SL_ERR_ACCT_*.
 */
#ifndef SL_ACCT_H
#define SL_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "base/json.h"

typedef struct sl_store sl_store;
typedef struct sl_keyring sl_keyring;
typedef struct sl_tx sl_tx;

/* Staff roles (bits) and device classes (bits), as the route table uses
 * them. Names: sl__acct_role_name / sl__acct_class_name. */
enum {
    SL_ROLE_ADMIN    = 1u << 0,
    SL_ROLE_CLERK    = 1u << 1,
    SL_ROLE_REVIEWER = 1u << 2,
    SL_ROLE_AUDITOR  = 1u << 3,
    SL_ROLE_ISSUER   = 1u << 4,
    SL_ROLE_ALL      = 0x1fu,   /* staff roles (citizen is not one)        */
    SL_ROLE_CITIZEN  = 1u << 5, /* a citizen session (POST /v1/citizen/sessions) */
    SL_DEV_WINDOW    = 1u << 8,
    SL_DEV_KIOSK     = 1u << 9,
    SL_DEV_H5        = 1u << 10,
    SL_DEV_ALL       = 0x700u,
};
/* "admin", ... "window", ...; NULL for a bit that is not one of these. */
const char *sl__acct_bit_name(uint32_t bit);
/* Parses one role or device-class name; 0 if unknown. */
uint32_t    sl__acct_bit_parse(const char *name);
/* Parses "clerk,reviewer" into roles (staff bits only); false on an
 * unknown or empty name. */
bool        sl__acct_roles_parse(const char *list, uint32_t *roles);
/* A JSON array of the names of the bits set in mask. */
json_t     *sl__acct_bits_json(uint32_t mask);

/* Who made a request. */
enum sl_principal_kind { SL_PRIN_NONE = 0, SL_PRIN_STAFF, SL_PRIN_DEVICE, SL_PRIN_CITIZEN };
struct sl_principal {
    enum sl_principal_kind kind;
    int64_t  id;          /* user id, device row id, or the citizen's
                             person_id (registry, id.h)                    */
    int64_t  hall_id;     /* citizen: the hall of the device logged in at  */
    uint32_t bits;        /* roles (staff), the one device class bit, or
                             SL_ROLE_CITIZEN                               */
    int64_t  session_id;  /* staff/citizen: the session row; 0 for devices */
    char     name[64];    /* username, device id, or "citizen:<person_id>"
                             (public, not secret)                          */
};

/* Settings (JSON config "accounts": {...}); zero fields take defaults. */
struct sl_acct_opts {
    int64_t session_idle_ms;      /* 30 min: unused session expires        */
    int64_t session_abs_ms;       /* 12 h: session expires regardless      */
    int     lockout_after;        /* 5 failed logins ...                   */
    int64_t lockout_ms;           /* ... lock the user for 15 min          */
    int64_t citizen_idle_ms;      /* 10 min: unused citizen session expires */
    int64_t citizen_abs_ms;       /* 30 min: citizen session expires anyway */
};

typedef struct sl_acct sl_acct;

/* An audit record as the HTTP layer and the CLI describe it; acct appends
 * it through the audit module inside the transaction of the change it
 * records (the outcome is filled in by the call when NULL). */
struct sl_acct_audit {
    const char *actor_kind;   /* staff | device | citizen | system | anonymous */
    const char *actor_id;
    const char *action;       /* the route table's audit action             */
    const char *object_type;
    const char *object_id;
    const char *id_masked;    /* masked ID number, never the number         */
    const char *purpose;      /* matter / application id                    */
    const char *outcome;      /* "ok" or a status name; NULL: from the call */
    const char *request_id;
};

/* Binds the module to an open, migrated store and a keyring (both
 * borrowed: they must outlive *out). */
sl_status sl__acct_new(sl_store *s, const sl_keyring *k,
                       const struct sl_acct_opts *o, sl_acct **out);
void      sl__acct_free(sl_acct *a);
sl_store *sl__acct_store(const sl_acct *a);
const sl_keyring *sl__acct_keyring(const sl_acct *a);

/* SL_OK if the store answers a trivial query (readiness). */
sl_status sl__acct_ping(sl_acct *a);
/* One token from the store-backed bucket (cls, key); SL_ERR_HTTP_RATE
 * with *retry_ms when empty (state shared by every node). */
sl_status sl__acct_rate_take(sl_acct *a, const char *cls, const char *key,
                             double per_s, double burst, int64_t *retry_ms);
/* The same per ID number (later routes: rate per person): the bucket key
 * is a keyed MAC of the number ("rate-id"), never the number itself. */
sl_status sl__acct_rate_take_id(sl_acct *a, const char *cls, const char *id_number,
                                double per_s, double burst, int64_t *retry_ms);
/* Appends one audit record in its own transaction (for requests that
 * change nothing: reads of personal data, queries). */
sl_status sl__acct_audit(sl_acct *a, const struct sl_acct_audit *au);
/* Audit records matching the filters (any may be NULL / 0) as a JSON
 * array, newest first, at most limit. */
sl_status sl__acct_audit_query(sl_acct *a, const char *person, const char *action,
                               int64_t from_ms, int64_t to_ms, size_t limit,
                               json_t **out);

/* Every mutator below takes 'au' (may be NULL): the audit record of the
 * change, appended in the same transaction. */

/* ============================ Halls ==================================== */
/* kind: "hall" | "kiosk_site" | "online". *id gets the new row id.
 * SL_ERR_ACCT_EXISTS if the name is taken. */
sl_status sl__acct_hall_add(sl_acct *a, const char *name, const char *kind,
                            const struct sl_acct_audit *au, int64_t *id);
/* Finds a hall by name; SL_ERR_NOT_FOUND if none. */
sl_status sl__acct_hall_find(sl_acct *a, const char *name, int64_t *id);
/* [{"id","name","kind","created_at"}] */
sl_status sl__acct_hall_list(sl_acct *a, json_t **out);

/* ============================ Staff users ============================== */
/* Adds a user to hall with roles (SL_ROLE_* bits, at least one) and
 * password (at least 8 bytes). SL_ERR_ACCT_EXISTS if the username exists,
 * SL_ERR_ACCT_PASSWORD if the password is too short. */
sl_status sl__acct_user_add(sl_acct *a, int64_t hall, const char *username,
                            const char *password, uint32_t roles,
                            const struct sl_acct_audit *au, int64_t *id);
/* [{"id","username","hall","roles":[...],"disabled","created_at"}] */
sl_status sl__acct_user_list(sl_acct *a, json_t **out);
/* Disables the user and revokes all their sessions. SL_ERR_NOT_FOUND. */
sl_status sl__acct_user_disable(sl_acct *a, const char *username,
                                const struct sl_acct_audit *au);

/* Logs in: checks throttling/lockout, then the password (outside any
 * transaction: Argon2id takes ~0.1 s). On SL_OK, token (cap >= 65) gets the new bearer token (hex, shown once),
 * *expires_ms the absolute expiry, *roles the user's roles.
 * SL_ERR_ACCT_LOGIN for an unknown user or wrong password (the same code
 * for both), SL_ERR_ACCT_LOCKED while locked out (*retry_ms = wait),
 * SL_ERR_ACCT_DISABLED for a disabled user. */
sl_status sl__acct_login(sl_acct *a, const char *username, const char *password,
                         const struct sl_acct_audit *au, char *token, size_t cap,
                         int64_t *expires_ms, uint32_t *roles, int64_t *retry_ms);
/* Revokes the session of p (logout). */
sl_status sl__acct_logout(sl_acct *a, const struct sl_principal *p,
                          const struct sl_acct_audit *au);
/* Resolves "Authorization: Bearer <token>": SL_OK fills *p (and extends
 * the idle expiry); SL_ERR_ACCT_SESSION if unknown, expired or revoked. */
sl_status sl__acct_auth_bearer(sl_acct *a, const char *token,
                               struct sl_principal *p);

/* ============================ Citizen sessions ========================= *
 * A citizen proves who they are with a passed face (or alternative)
 * verification of matter "citizen_login" (consumed by the caller, in tx)
 * and gets a bearer token "cit_<hex>" (256-bit random, stored only as the
 * keyed MAC "acct-citizen"), idle citizen_idle_ms / absolute
 * citizen_abs_ms, revocable. sl__acct_auth_bearer resolves both kinds:
 * a citizen principal has kind SL_PRIN_CITIZEN, bits SL_ROLE_CITIZEN and
 * id = person_id. Table acct_citizen_session (migration 102). */
/* Opens a session for person in tx (after the caller consumed the
 * verification in the same tx). device: the h5/kiosk device id it was
 * opened on (or "idcode" etc.); token (cap >= 72) gets the token. */
sl_status sl__acct_citizen_open_tx(sl_acct *a, sl_tx *tx, int64_t person, int64_t hall,
                                   const char *device, int64_t verification,
                                   const struct sl_acct_audit *au,
                                   char *token, size_t cap, int64_t *expires_ms);
/* Revokes the citizen session of p (logout). */
sl_status sl__acct_citizen_logout(sl_acct *a, const struct sl_principal *p,
                                  const struct sl_acct_audit *au);
/* Revokes every session of person (e.g. when the person is reported
 * deceased); *n (may be NULL) gets how many. */
sl_status sl__acct_citizen_revoke_person_tx(sl_acct *a, sl_tx *tx, int64_t person,
                                            int64_t *n);

/* ============================ Devices ================================== */
/* Adds a device of class (one SL_DEV_* bit) to hall. id_out (cap >= 33)
 * gets the device id ("dev_<hex>"), key (cap >= 65) the API key, shown
 * once. */
sl_status sl__acct_device_add(sl_acct *a, int64_t hall, uint32_t cls,
                              const char *label, const struct sl_acct_audit *au,
                              char *id_out, size_t id_cap, char *key, size_t key_cap);
/* [{"id","hall","class","label","revoked","created_at"}] */
sl_status sl__acct_device_list(sl_acct *a, json_t **out);
sl_status sl__acct_device_revoke(sl_acct *a, const char *device_id,
                                 const struct sl_acct_audit *au);
/* Resolves "Authorization: Device <id>:<key>" (cred = "<id>:<key>").
 * SL_ERR_ACCT_DEVICE if unknown, wrong key or revoked. */
sl_status sl__acct_auth_device(sl_acct *a, const char *cred,
                               struct sl_principal *p);

#endif
