/*
 * frames.c -- kept evidence frames and their retention job (id.h).
 */
#include <stdio.h>
#include <string.h>

#include "id/id_int.h"

static int frame_ad(char *ad, size_t cap, int64_t vid)
{
    return snprintf(ad, cap, "id_frame|%lld|best", (long long)vid);
}

sl_status sl__frame_keep_tx(sl_tx *tx, const sl_keyring *k, int64_t verification_id,
                            const char *reason, const void *jpeg, size_t n,
                            int64_t expires_ms, int64_t *id)
{
    if (!reason || !reason[0] || !jpeg || !n || expires_ms <= 0)
        return SL_ERR_INVALID;
    char ad[64];
    int an = frame_ad(ad, sizeof ad, verification_id);
    uint8_t *ct = NULL;
    size_t ctn = 0;
    sl_status st = sl__seal(k, ad, (size_t)an, jpeg, n, &ct, &ctn);
    if (st != SL_OK)
        return st;
    int64_t fid = 0;
    st = sl__tx_query_int(tx,
        "INSERT INTO id_frame (verification_id, reason, frame_sealed, created_ms, expires_ms)"
        " VALUES (?,?,?,?,?) RETURNING id",
        SL_ARGS(SL_INT(verification_id), SL_TEXT(reason), SL_BLOB(ct, ctn),
                SL_INT(sl__now_ms()), SL_INT(expires_ms)), &fid);
    sl__free(ct);
    if (st == SL_OK && id)
        *id = fid;
    return st;
}

sl_status sl__frame_get_tx(sl_tx *tx, const sl_keyring *k, int64_t verification_id,
                           uint8_t **jpeg, size_t *n)
{
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT frame_sealed FROM id_frame WHERE verification_id = ? AND expires_ms > ?"
        " ORDER BY id DESC LIMIT 1",
        SL_ARGS(SL_INT(verification_id), SL_INT(sl__now_ms())), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_NOT_FOUND;
    if (st == SL_OK) {
        char ad[64];
        int an = frame_ad(ad, sizeof ad, verification_id);
        size_t ctn = 0;
        const void *ct = sl__rows_blob(r, 0, 0, &ctn);
        st = sl__open(k, ad, (size_t)an, ct, ctn, jpeg, n);
    }
    sl__rows_free(r);
    return st;
}

sl_status sl__frame_sweep_tx(sl_tx *tx, int64_t now_ms, int64_t *removed)
{
    return sl__tx_exec(tx, "DELETE FROM id_frame WHERE expires_ms <= ?",
                       SL_ARGS(SL_INT(now_ms)), removed);
}
