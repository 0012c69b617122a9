/*
 * idnum.c -- identity document numbers (include/shualian/idnum.h).
 */
#include <ctype.h>
#include <string.h>

#include "shualian/idnum.h"

static const struct { enum sl_id_type t; const char *name; } type_names[] = {
    { SL_ID_RESIDENT,   "resident_id" },
    { SL_ID_PASSPORT,   "passport" },
    { SL_ID_HK_MACAO,   "hk_macao_permit" },
    { SL_ID_TAIWAN,     "taiwan_permit" },
    { SL_ID_FOREIGN_PR, "foreign_permanent_resident" },
};

enum sl_id_type sl_id_type_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcmp(name, type_names[i].name) == 0)
            return type_names[i].t;
    return 0;
}

const char *sl_id_type_name(enum sl_id_type t)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].t == t)
            return type_names[i].name;
    return "unknown";
}

/* GB/T 2260 province-level codes (first two digits of a region code), and
 * 81/82/83 for the residence permits of Hong Kong, Macao and Taiwan
 * residents (GB/T 2260 gives Taiwan 71; permits use 830000). */
static bool province_ok(int p)
{
    static const unsigned char codes[] = {
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
        41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65,
        71, 81, 82, 83,
    };
    for (size_t i = 0; i < sizeof codes; i++)
        if (codes[i] == p)
            return true;
    return false;
}

char sl_id_check_char(const char *d)
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char map[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!d || d[i] < '0' || d[i] > '9')
            return 0;
        sum += (d[i] - '0') * w[i];
    }
    return map[sum % 11];
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool date_ok(int y, int m, int d)
{
    static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1850 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= (m == 2 && leap ? 29 : len[m - 1]);
}

/* today "YYYY-MM-DD" -> yyyymmdd, or 99991231 if absent/malformed. */
static long today_num(const char *today)
{
    if (!today || strlen(today) != 10 || !all_digits(today, 4) ||
        !all_digits(today + 5, 2) || !all_digits(today + 8, 2))
        return 99991231L;
    return num(today, 4) * 10000L + num(today + 5, 2) * 100L + num(today + 8, 2);
}

static sl_status fail(const char **why, const char *w, sl_status st)
{
    if (why)
        *why = w;
    return st;
}

static sl_status birth(const char **why, int y, int m, int d, const char *today,
                       struct sl_id_info *info)
{
    if (!date_ok(y, m, d) || y * 10000L + m * 100L + d > today_num(today))
        return fail(why, "birth_date", SL_ERR_ID_BIRTH_DATE);
    info->birth_year = y;
    info->birth_month = m;
    info->birth_day = d;
    return SL_OK;
}

static sl_status resident(const char *s, size_t n, const char *today,
                          const char **why, struct sl_id_info *info)
{
    char d[19];
    if (n != 18 && n != 15)
        return fail(why, "length", SL_ERR_ID_LENGTH);
    if (n == 15) {
        if (!all_digits(s, 15))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        /* 15-digit numbers (issued until 1999): YYMMDD, all born 19YY. */
        memcpy(d, s, 6);
        d[6] = '1';
        d[7] = '9';
        memcpy(d + 8, s + 6, 9);
        d[17] = sl_id_check_char(d);
        d[18] = '\0';
        info->converted = true;
    } else {
        if (!all_digits(s, 17) || !(isdigit((unsigned char)s[17]) || s[17] == 'X'))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        memcpy(d, s, 18);
        d[18] = '\0';
    }
    if (!province_ok(num(d, 2)) || (num(d + 2, 4) == 0 && num(d, 2) < 71))
        return fail(why, "region", SL_ERR_ID_REGION);
    sl_status st = birth(why, num(d + 6, 4), num(d + 10, 2), num(d + 12, 2), today, info);
    if (st != SL_OK)
        return st;
    if (!info->converted && sl_id_check_char(d) != d[17])
        return fail(why, "check_digit", SL_ERR_ID_CHECK_DIGIT);
    info->sex = (d[16] - '0') % 2 ? 'M' : 'F';
    memcpy(info->normalised, d, 19);
    return SL_OK;
}

static bool upper_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static sl_status foreign_pr(const char *s, size_t n, const char *today,
                            const char **why, struct sl_id_info *info)
{
    if (n == 18) {
        if (!all_digits(s, 17) || !(isdigit((unsigned char)s[17]) || s[17] == 'X'))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        if (s[0] != '9')
            return fail(why, "prefix", SL_ERR_ID_FORMAT);
        if (!province_ok(num(s + 1, 2)))
            return fail(why, "region", SL_ERR_ID_REGION);
        sl_status st = birth(why, num(s + 6, 4), num(s + 10, 2), num(s + 12, 2), today, info);
        if (st != SL_OK)
            return st;
        if (sl_id_check_char(s) != s[17])
            return fail(why, "check_digit", SL_ERR_ID_CHECK_DIGIT);
        info->sex = (s[16] - '0') % 2 ? 'M' : 'F';
    } else if (n == 15) {
        for (int i = 0; i < 3; i++)
            if (s[i] < 'A' || s[i] > 'Z')
                return fail(why, "format", SL_ERR_ID_FORMAT);
        if (!all_digits(s + 3, 12))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        /* YYMMDD: the century is the one that puts the date in the past. */
        int yy = num(s + 5, 2), y = 2000 + yy;
        if (y * 10000L + num(s + 7, 2) * 100L + num(s + 9, 2) > today_num(today))
            y -= 100;
        sl_status st = birth(why, y, num(s + 7, 2), num(s + 9, 2), today, info);
        if (st != SL_OK)
            return st;
    } else {
        return fail(why, "length", SL_ERR_ID_LENGTH);
    }
    memcpy(info->normalised, s, n);
    info->normalised[n] = '\0';
    return SL_OK;
}

sl_status sl_id_check(enum sl_id_type t, const char *number, const char *today,
                      const char **why, struct sl_id_info *out)
{
    struct sl_id_info info = { .type = t };
    char s[SL_ID_MAX];
    size_t n = 0;
    if (why)
        *why = NULL;
    if (!number || !out)
        return fail(why, "format", SL_ERR_INVALID);
    if (sl_id_type_name(t)[0] == 'u')
        return fail(why, "type", SL_ERR_ID_TYPE);
    /* Normalise: drop surrounding spaces, capitals; nothing else is fixed
     * silently (an inner space or dash is an error the person should see). */
    const char *p = number;
    while (*p == ' ')
        p++;
    size_t len = strlen(p);
    while (len && p[len - 1] == ' ')
        len--;
    if (len == 0 || len >= SL_ID_MAX)
        return fail(why, "length", SL_ERR_ID_LENGTH);
    for (; n < len; n++)
        s[n] = (char)toupper((unsigned char)p[n]);
    s[n] = '\0';
    sl_status st = SL_OK;
    switch (t) {
    case SL_ID_RESIDENT:
        st = resident(s, n, today, why, &info);
        break;
    case SL_ID_FOREIGN_PR:
        st = foreign_pr(s, n, today, why, &info);
        break;
    case SL_ID_PASSPORT:
        if (!upper_alnum(s, n))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        if (n < 5 || n > 20)
            return fail(why, "length", SL_ERR_ID_LENGTH);
        /* A Chinese passport must have its shape: E + I/O + 7 digits is
         * none (those letters are never issued). Other 9-character numbers
         * starting with E or G (GB5512345) are foreign: shape only. */
        if (s[0] == 'E' && n == 9 && (s[1] == 'I' || s[1] == 'O') && all_digits(s + 2, 7))
            return fail(why, "format", SL_ERR_ID_FORMAT);
        break;
    case SL_ID_HK_MACAO:
        if (!upper_alnum(s, n))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        if (s[0] != 'H' && s[0] != 'M')
            return fail(why, "prefix", SL_ERR_ID_FORMAT);
        if (n != 9 && n != 11)
            return fail(why, "length", SL_ERR_ID_LENGTH);
        if (!all_digits(s + 1, n - 1))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        break;
    case SL_ID_TAIWAN:
        if (!upper_alnum(s, n))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        if (n != 8 && n != 10)
            return fail(why, "length", SL_ERR_ID_LENGTH);
        if (!all_digits(s, 8) ||
            (n == 10 && !(isdigit((unsigned char)s[9]) &&
                          (isdigit((unsigned char)s[8]) || (s[8] >= 'A' && s[8] <= 'Z')))))
            return fail(why, "characters", SL_ERR_ID_CHARS);
        break;
    }
    if (st != SL_OK)
        return st;
    if (!info.normalised[0])
        memcpy(info.normalised, s, n + 1);
    *out = info;
    return SL_OK;
}

void sl_id_mask(const char *number, char out[SL_ID_MAX])
{
    size_t n = number ? strlen(number) : 0;
    if (n >= SL_ID_MAX)
        n = SL_ID_MAX - 1;
    /* keep 4+4 of long numbers, 2+2 of 8-12, 1+1 of shorter ones */
    size_t keep = n >= 13 ? 4 : n >= 8 ? 2 : n >= 3 ? 1 : 0;
    for (size_t i = 0; i < n; i++)
        out[i] = i < keep || i >= n - keep ? number[i] : '*';
    out[n] = '\0';
}
