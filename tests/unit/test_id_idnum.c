/*
 * test_id_idnum.c -- identity document numbers: the GB 11643 examples,
 * each failing check named, 15 -> 18 conversion, every document type.
 */
#include <string.h>

#include "shualian/idnum.h"
#include "test.h"

static void valid(struct sl_t *t, enum sl_id_type ty, const char *num, const char *norm)
{
    struct sl_id_info info;
    const char *why = "x";
    sl_status st = sl_id_check(ty, num, "2026-12-04", &why, &info);
    SL_CHECKF(t, st == SL_OK, "%s %s: status %s (%s)", sl_id_type_name(ty), num,
              sl_status_name(st), why ? why : "-");
    if (st == SL_OK && norm)
        SL_CHECKF(t, strcmp(info.normalised, norm) == 0, "%s -> %s, want %s", num,
                  info.normalised, norm);
}

static void invalid(struct sl_t *t, enum sl_id_type ty, const char *num, sl_status want,
                    const char *want_why)
{
    struct sl_id_info info;
    const char *why = NULL;
    sl_status st = sl_id_check(ty, num, "2026-12-04", &why, &info);
    SL_CHECKF(t, st == want, "%s %s: status %s, want %s", sl_id_type_name(ty), num,
              sl_status_name(st), sl_status_name(want));
    SL_CHECKF(t, why && strcmp(why, want_why) == 0, "%s: why %s, want %s", num,
              why ? why : "(null)", want_why);
}

SL_TEST(id, resident_numbers)
{
    /* GB 11643-1999's own examples. */
    valid(t, SL_ID_RESIDENT, "11010519491231002X", NULL);
    valid(t, SL_ID_RESIDENT, "440524188001010014", NULL);
    valid(t, SL_ID_RESIDENT, "11010519491231002x", "11010519491231002X");
    SL_CHECK_EQ(t, sl_id_check_char("11010519491231002"), 'X');
    SL_CHECK_EQ(t, sl_id_check_char("44052418800101001"), '4');
    SL_CHECK_EQ(t, sl_id_check_char("4405241880010100"), 0);
    struct sl_id_info info;
    SL_CHECK(t, sl_id_check(SL_ID_RESIDENT, "11010519491231002X", "2026-12-04", NULL, &info) == SL_OK);
    SL_CHECK_EQ(t, info.birth_year, 1949);
    SL_CHECK_EQ(t, info.birth_month, 12);
    SL_CHECK_EQ(t, info.sex, 'F');
    /* 15 digits -> 18: 19 inserted, check computed. */
    SL_CHECK(t, sl_id_check(SL_ID_RESIDENT, "110105491231002", "2026-12-04", NULL, &info) == SL_OK);
    SL_CHECK(t, strcmp(info.normalised, "11010519491231002X") == 0);
    SL_CHECK(t, info.converted);
    /* each failing check named */
    invalid(t, SL_ID_RESIDENT, "110105194912310021", SL_ERR_ID_CHECK_DIGIT, "check_digit");
    invalid(t, SL_ID_RESIDENT, "11010519491231002", SL_ERR_ID_LENGTH, "length");
    invalid(t, SL_ID_RESIDENT, "1101051949123100XX", SL_ERR_ID_CHARS, "characters");
    invalid(t, SL_ID_RESIDENT, "110105 949123100 X", SL_ERR_ID_CHARS, "characters");
    invalid(t, SL_ID_RESIDENT, "990105194912310023", SL_ERR_ID_REGION, "region");
    invalid(t, SL_ID_RESIDENT, "110000194912310020", SL_ERR_ID_REGION, "region");
    invalid(t, SL_ID_RESIDENT, "110105194902300025", SL_ERR_ID_BIRTH_DATE, "birth_date");
    invalid(t, SL_ID_RESIDENT, "110105203001010013", SL_ERR_ID_BIRTH_DATE, "birth_date");
    invalid(t, SL_ID_RESIDENT, "110105491331002", SL_ERR_ID_BIRTH_DATE, "birth_date");
    invalid(t, SL_ID_RESIDENT, "", SL_ERR_ID_LENGTH, "length");
    /* Leap days: 2000-02-29 exists, 1900-02-29 does not. */
    char n[19] = "11010520000229001";
    n[17] = sl_id_check_char(n); n[18] = 0;
    valid(t, SL_ID_RESIDENT, n, NULL);
    memcpy(n, "11010519000229001", 17);
    n[17] = sl_id_check_char(n);
    invalid(t, SL_ID_RESIDENT, n, SL_ERR_ID_BIRTH_DATE, "birth_date");
    /* Residence permits of Hong Kong/Macao/Taiwan residents: 81/82/83 0000. */
    memcpy(n, "81000019900101001", 17);
    n[17] = sl_id_check_char(n);
    valid(t, SL_ID_RESIDENT, n, NULL);
    /* Every single-digit typo in the first 17 digits is caught (MOD 11-2). */
    int caught = 0, tried = 0;
    for (int i = 0; i < 17; i++)
        for (char c = '0'; c <= '9'; c++) {
            char m[19];
            memcpy(m, "11010519491231002X", 19);
            if (m[i] == c) continue;
            m[i] = c;
            tried++;
            caught += sl_id_check(SL_ID_RESIDENT, m, "2026-12-04", NULL, &info) != SL_OK;
        }
    SL_CHECK_EQ(t, caught, tried);
}

SL_TEST(id, other_documents)
{
    valid(t, SL_ID_PASSPORT, "E12345678", NULL);
    valid(t, SL_ID_PASSPORT, "EA1234567", NULL);
    valid(t, SL_ID_PASSPORT, "G12345678", NULL);
    valid(t, SL_ID_PASSPORT, "x1234567", "X1234567");          /* foreign: shape only */
    invalid(t, SL_ID_PASSPORT, "EI1234567", SL_ERR_ID_FORMAT, "format");
    valid(t, SL_ID_PASSPORT, "GB5512345", NULL);               /* foreign (demo person) */
    invalid(t, SL_ID_PASSPORT, "E123", SL_ERR_ID_LENGTH, "length");
    invalid(t, SL_ID_PASSPORT, "E1234-5678", SL_ERR_ID_CHARS, "characters");
    valid(t, SL_ID_HK_MACAO, "H12345678", NULL);
    valid(t, SL_ID_HK_MACAO, "M1234567801", NULL);
    invalid(t, SL_ID_HK_MACAO, "K12345678", SL_ERR_ID_FORMAT, "prefix");
    invalid(t, SL_ID_HK_MACAO, "H1234567", SL_ERR_ID_LENGTH, "length");
    invalid(t, SL_ID_HK_MACAO, "H1234567A", SL_ERR_ID_CHARS, "characters");
    valid(t, SL_ID_TAIWAN, "12345678", NULL);
    valid(t, SL_ID_TAIWAN, "1234567801", NULL);
    valid(t, SL_ID_TAIWAN, "12345678B1", NULL);
    invalid(t, SL_ID_TAIWAN, "1234567", SL_ERR_ID_LENGTH, "length");
    invalid(t, SL_ID_TAIWAN, "A2345678", SL_ERR_ID_CHARS, "characters");
    /* Foreign permanent resident ID: 2023 18-digit and 2004 15-character. */
    char n[19] = "93115619800101002";   /* 9, Beijing 11, Germany 156?, 1980-01-01 */
    n[17] = sl_id_check_char(n); n[18] = 0;
    valid(t, SL_ID_FOREIGN_PR, n, NULL);
    n[17] = n[17] == '0' ? '1' : '0';
    invalid(t, SL_ID_FOREIGN_PR, n, SL_ERR_ID_CHECK_DIGIT, "check_digit");
    memcpy(n, "13115619800101002", 17);
    n[17] = sl_id_check_char(n);
    invalid(t, SL_ID_FOREIGN_PR, n, SL_ERR_ID_FORMAT, "prefix");
    valid(t, SL_ID_FOREIGN_PR, "USA110801010012", NULL);
    invalid(t, SL_ID_FOREIGN_PR, "USA110813010012", SL_ERR_ID_BIRTH_DATE, "birth_date");
    invalid(t, SL_ID_FOREIGN_PR, "U5A110801010012", SL_ERR_ID_FORMAT, "format");
    invalid(t, SL_ID_FOREIGN_PR, "USA1108010100", SL_ERR_ID_LENGTH, "length");
    /* types by name */
    SL_CHECK_EQ(t, sl_id_type_parse("resident_id"), SL_ID_RESIDENT);
    SL_CHECK_EQ(t, sl_id_type_parse("foreign_permanent_resident"), SL_ID_FOREIGN_PR);
    SL_CHECK_EQ(t, sl_id_type_parse("driving_licence"), 0);
    struct sl_id_info info;
    SL_CHECK(t, sl_id_check(0, "E12345678", NULL, NULL, &info) == SL_ERR_ID_TYPE);
    SL_CHECK(t, sl_id_check(SL_ID_PASSPORT, NULL, NULL, NULL, &info) != SL_OK);
    char m[SL_ID_MAX];
    sl_id_mask("41010519491231123X", m);
    SL_CHECK(t, strcmp(m, "4101**********123X") == 0);
    sl_id_mask("E12345678", m);
    SL_CHECK(t, strcmp(m, "E1*****78") == 0);
}
