/*
 * lockout.c -- failed-verification lockout per document, in the store (id.h).
 */
#include "id/id_int.h"

static sl_status lock_row(sl_tx *tx, const char *blind, int64_t *fails, int64_t *win,
                          int64_t *level, int64_t *until)
{
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT failures, window_ms, level, locked_until_ms"
                                " FROM id_lockout WHERE blind = ?", SL_ARGS(SL_TEXT(blind)), &r);
    *fails = *win = *level = *until = 0;
    if (st == SL_OK && sl__rows_count(r) == 1) {
        *fails = sl__rows_int(r, 0, 0);
        *win = sl__rows_int(r, 0, 1);
        *level = sl__rows_int(r, 0, 2);
        *until = sl__rows_int(r, 0, 3);
    }
    sl__rows_free(r);
    return st;
}

sl_status sl__id_lock_check(sl_tx *tx, const char *blind, int64_t now_ms, int64_t *until_ms)
{
    int64_t f, w, l, u;
    sl_status st = lock_row(tx, blind, &f, &w, &l, &u);
    if (until_ms)
        *until_ms = 0;
    if (st != SL_OK)
        return st;
    if (u > now_ms) {
        if (until_ms)
            *until_ms = u;
        return SL_ERR_ID_LOCKED;
    }
    return SL_OK;
}

sl_status sl__id_lock_fail(sl_tx *tx, const char *blind, int64_t now_ms, int64_t *until_ms)
{
    int64_t f, w, l, u;
    sl_status st = lock_row(tx, blind, &f, &w, &l, &u);
    if (until_ms)
        *until_ms = 0;
    if (st != SL_OK)
        return st;
    if (now_ms - w >= SL_ID_LOCK_WINDOW_MS) {   /* a new window */
        f = 0;
        w = now_ms;
    }
    f++;
    if (f >= SL_ID_LOCK_FAILS) {
        int64_t d = SL_ID_LOCK_MS;
        for (int64_t i = 0; i < l && d < SL_ID_LOCK_MAX_MS; i++)
            d *= 2;
        if (d > SL_ID_LOCK_MAX_MS)
            d = SL_ID_LOCK_MAX_MS;
        u = now_ms + d;
        l++;
        f = 0;
        w = now_ms;
        if (until_ms)
            *until_ms = u;
    }
    return sl__tx_exec(tx,
        "INSERT INTO id_lockout (blind, failures, window_ms, level, locked_until_ms)"
        " VALUES (?,?,?,?,?) ON CONFLICT (blind) DO UPDATE SET failures = excluded.failures,"
        " window_ms = excluded.window_ms, level = excluded.level,"
        " locked_until_ms = excluded.locked_until_ms",
        SL_ARGS(SL_TEXT(blind), SL_INT(f), SL_INT(w), SL_INT(l), SL_INT(u)), NULL);
}

sl_status sl__id_lock_success(sl_tx *tx, const char *blind)
{
    return sl__tx_exec(tx, "DELETE FROM id_lockout WHERE blind = ?", SL_ARGS(SL_TEXT(blind)), NULL);
}
