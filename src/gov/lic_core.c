/*
 * lic_core.c -- electronic licence status steps, the use check and the
 * selective-disclosure check (lic.h).
 */
#include <string.h>

#include "gov/lic.h"

static const char *const NAMES[] = { NULL, "issued", "suspended", "revoked" };

const char *sl__lic_status_name(sl__lic_status s)
{
    return (s >= SL_LIC_ISSUED && s <= SL_LIC_REVOKED) ? NAMES[s] : "?";
}

sl_status sl__lic_status_parse(const char *name, sl__lic_status *out)
{
    if (!name || !out)
        return SL_ERR_INVALID;
    for (int i = SL_LIC_ISSUED; i <= SL_LIC_REVOKED; i++)
        if (strcmp(name, NAMES[i]) == 0) {
            *out = (sl__lic_status)i;
            return SL_OK;
        }
    return SL_ERR_INVALID;
}

sl_status sl__lic_step(sl__lic_status from, sl__lic_action a,
                       sl__lic_status *to)
{
    if (!to || from < SL_LIC_ISSUED || from > SL_LIC_REVOKED)
        return SL_ERR_INVALID;
    sl__lic_status next;
    switch (a) {
    case SL_LIC_SUSPEND:
        if (from != SL_LIC_ISSUED)
            return SL_ERR_LIC_TRANSITION;
        next = SL_LIC_SUSPENDED;
        break;
    case SL_LIC_RESUME:
        if (from != SL_LIC_SUSPENDED)
            return SL_ERR_LIC_TRANSITION;
        next = SL_LIC_ISSUED;
        break;
    case SL_LIC_REVOKE:
        if (from == SL_LIC_REVOKED)
            return SL_ERR_LIC_TRANSITION;
        next = SL_LIC_REVOKED;
        break;
    default:
        return SL_ERR_INVALID;
    }
    *to = next;
    return SL_OK;
}

sl_status sl__lic_usable(sl__lic_status s, int64_t valid_from_ms,
                         int64_t valid_to_ms, int64_t now_ms)
{
    if (s == SL_LIC_REVOKED)
        return SL_ERR_LIC_REVOKED;
    if (s == SL_LIC_SUSPENDED)
        return SL_ERR_LIC_SUSPENDED;
    if (s != SL_LIC_ISSUED)
        return SL_ERR_INVALID;
    if (now_ms < valid_from_ms || (valid_to_ms && now_ms >= valid_to_ms))
        return SL_ERR_LIC_EXPIRED;
    return SL_OK;
}

sl_status sl__lic_disclose_check(const char *const *asked, size_t na,
                                 const char *const *consented, size_t nc,
                                 const char **missing)
{
    if ((na && !asked) || (nc && !consented))
        return SL_ERR_INVALID;
    for (size_t j = 0; j < nc; j++)
        if (!consented[j] || !*consented[j])
            return SL_ERR_INVALID;
    for (size_t i = 0; i < na; i++) {
        if (!asked[i] || !*asked[i])
            return SL_ERR_INVALID;
        bool covered = false;
        for (size_t j = 0; j < nc && !covered; j++)
            covered = strcmp(asked[i], consented[j]) == 0;
        if (!covered) {
            if (missing)
                *missing = asked[i];
            return SL_ERR_LIC_CONSENT;
        }
    }
    return SL_OK;
}
