/*
 * idnum.h -- identity document numbers: which checks a number passes, and
 * the one that failed, in words a clerk or citizen can act on.
 *
 * Types (the ones the seeds name):
 *   SL_ID_RESIDENT     居民身份证 (GB 11643-1999): 18 characters, 6-digit
 *                      region code (province part checked against the
 *                      GB/T 2260 provinces; 81/82/83 are the residence
 *                      permits of Hong Kong, Macao and Taiwan residents),
 *                      8-digit birth date (a real date, not in the future),
 *                      3-digit sequence (odd = male), ISO 7064 MOD 11-2
 *                      check character 0-9 or X. Legacy 15-digit numbers
 *                      (YYMMDD birth date, no check character) are
 *                      converted to 18 digits (19YY, check computed).
 *   SL_ID_PASSPORT     护照: the Chinese ordinary passport (E + 8 digits,
 *                      or E + a letter other than I/O + 7 digits; G + 8
 *                      digits for older ones), or a foreign passport (5-20
 *                      capital letters and digits: issuing states differ,
 *                      so only the shape is checked).
 *   SL_ID_HK_MACAO     港澳居民来往内地通行证: H (Hong Kong) or M (Macao)
 *                      + 8 digits (+ 2 digits of issue count on cards from
 *                      2013).
 *   SL_ID_TAIWAN       台湾居民来往大陆通行证: 8 digits (cards since 2015),
 *                      or the older 10-character booklet number
 *                      (8 digits + 2 digits or a letter + digit).
 *   SL_ID_FOREIGN_PR   外国人永久居留身份证: the 2023 18-character number
 *                      (9, 2-digit province, 3-digit nationality (ISO 3166
 *                      numeric), 8-digit birth date, 3-digit sequence,
 *                      MOD 11-2 check), or the 2004 15-character number
 *                      (3-letter nationality, 2-digit authority, YYMMDD
 *                      birth date, 3-digit sequence, 1 check digit:
 *                      shape and date only; its check rule is unpublished).
 *
 * The normalised number (capital letters, 18-digit resident numbers) is
 * what a registry stores and looks up.
 */
#ifndef SHUALIAN_IDNUM_H
#define SHUALIAN_IDNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sl_id_type {
    SL_ID_RESIDENT   = 1,
    SL_ID_PASSPORT   = 2,
    SL_ID_HK_MACAO   = 3,
    SL_ID_TAIWAN     = 4,
    SL_ID_FOREIGN_PR = 5,
};

#define SL_ID_MAX 24u   /* normalised number incl. NUL */

/* What was read off a valid number. Fields a type does not carry are 0. */
struct sl_id_info {
    enum sl_id_type type;
    char normalised[SL_ID_MAX];
    int  birth_year, birth_month, birth_day;   /* 0 when not encoded   */
    char sex;                                  /* 'M', 'F', or 0       */
    bool converted;                            /* 15 -> 18 digits      */
};

/* "resident_id", "passport", "hk_macao_permit", "taiwan_permit",
 * "foreign_permanent_resident" <-> the enum. Unknown name: 0. */
SL_API enum sl_id_type sl_id_type_parse(const char *name);
SL_API const char *sl_id_type_name(enum sl_id_type t);

/* Checks `number` as a document of type `t`; `today` ("YYYY-MM-DD", from
 * the caller's clock) bounds birth dates. On success fills *out. On
 * failure returns SL_ERR_ID_* and, if `why` is not NULL, points it at a
 * static code naming the check that failed: "length", "characters",
 * "region", "birth_date", "check_digit", "prefix", "format". */
SL_API SL_NODISCARD sl_status sl_id_check(enum sl_id_type t, const char *number,
                                          const char *today, const char **why,
                                          struct sl_id_info *out);

/* Masks a number for logs and screens: the first 4 and last 4 characters
 * kept, the rest '*' (4101**********123X); short numbers keep less.
 * out must hold SL_ID_MAX bytes. */
SL_API void sl_id_mask(const char *number, char out[SL_ID_MAX]);

/* The GB 11643 check character of the first 17 digits ('0'-'9' or 'X'),
 * or 0 if they are not 17 digits. */
SL_API char sl_id_check_char(const char *first17);

#ifdef __cplusplus
}
#endif

#endif
