/*
 * licence_id.c -- electronic licence identifiers (GB/T 36904-2018, 电子证照
 * 标识) and the check characters they rest on (gov.h):
 *
 *   1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>
 *
 *   type code    the licence type's code: digits, 1-20
 *   issuer code  the issuing department's unified social credit code
 *                (统一社会信用代码, GB 32100-2015: 18 characters from
 *                0-9 A-H J-N P-R T U W-Y, the last a MOD 31 check)
 *   serial       the issuer's serial number: 1-40 characters 0-9 A-Z
 *   version      digits, 1-4
 *   check        one character 0-9 A-Z by ISO 7064 MOD 37,36 (GB/T 17710),
 *                computed here over every character before it with the
 *                dots left out (our reading of the standard, stated so
 *                that an integrator can check it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gov/gov.h"

#define LID_PREFIX "1.2.156.3005.2."

static const char iso_alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static int iso_value(char c)
{
    const char *p = c ? strchr(iso_alpha, c) : NULL;
    return p ? (int)(p - iso_alpha) : -1;
}

char sl__iso7064_37_36(const char *s)
{
    int p = 36;
    for (; s && *s; s++) {
        int v = iso_value(*s);
        if (v < 0)
            return 0;
        int x = (p + v) % 36;
        if (x == 0)
            x = 36;
        p = (2 * x) % 37;
    }
    return iso_alpha[(37 - p) % 36];
}

static const char uscc_alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

char sl__uscc_check_char(const char *first17)
{
    static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        const char *p = first17 && first17[i] ? strchr(uscc_alpha, first17[i]) : NULL;
        if (!p)
            return 0;
        sum += (int)(p - uscc_alpha) * w[i];
    }
    int c = 31 - sum % 31;
    return uscc_alpha[c == 31 ? 0 : c];
}

static bool all_of(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

__attribute__((format(printf, 3, 4)))
static sl_status why_fail(char *why, size_t cap, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return SL_ERR_LICENCE_ID;
}

/* The check input: every character before the check, dots left out. */
static bool check_input(const char *id, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (id[i] != '.') {
            if (k + 1 >= cap)
                return false;
            out[k++] = id[i];
        }
    out[k] = '\0';
    return true;
}

sl_status sl__licence_id_parse(const char *id, struct sl__licence_id *out, char *why, size_t cap)
{
    static const char digits[] = "0123456789";
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > SL_LICENCE_ID_MAX - 1)
        return why_fail(why, cap, "length: a licence identifier has 1 to %u characters",
                        SL_LICENCE_ID_MAX - 1);
    if (strncmp(id, LID_PREFIX, strlen(LID_PREFIX)) != 0)
        return why_fail(why, cap, "prefix: a licence identifier starts with " LID_PREFIX);
    const char *parts[5];
    size_t lens[5];
    const char *p = id + strlen(LID_PREFIX);
    for (int i = 0; i < 5; i++) {
        const char *dot = strchr(p, '.');
        if ((i < 4) != (dot != NULL))
            return why_fail(why, cap, "format: expected 5 dot-separated parts after the prefix "
                            "(type, issuer, serial, version, check)");
        parts[i] = p;
        lens[i] = dot ? (size_t)(dot - p) : strlen(p);
        p = dot ? dot + 1 : p + lens[i];
    }
    if (lens[0] < 1 || lens[0] > 20 || !all_of(parts[0], lens[0], digits))
        return why_fail(why, cap, "type: the licence type code is 1-20 digits");
    if (lens[1] != 18 || !all_of(parts[1], 18, uscc_alpha))
        return why_fail(why, cap, "issuer: the issuer code is an 18-character unified social "
                        "credit code");
    char first17[18];
    memcpy(first17, parts[1], 17);
    first17[17] = '\0';
    if (sl__uscc_check_char(first17) != parts[1][17])
        return why_fail(why, cap, "issuer: the unified social credit code's check character "
                        "is wrong (GB 32100)");
    if (lens[2] < 1 || lens[2] > 40 || !all_of(parts[2], lens[2], iso_alpha))
        return why_fail(why, cap, "serial: the serial number is 1-40 characters 0-9 A-Z");
    if (lens[3] < 1 || lens[3] > 4 || !all_of(parts[3], lens[3], digits))
        return why_fail(why, cap, "version: the version is 1-4 digits");
    if (lens[4] != 1 || iso_value(parts[4][0]) < 0)
        return why_fail(why, cap, "check: the check is one character 0-9 A-Z");
    char in[SL_LICENCE_ID_MAX];
    if (!check_input(id, (size_t)(parts[4] - 1 - id), in, sizeof in) ||
        sl__iso7064_37_36(in) != parts[4][0])
        return why_fail(why, cap, "check: the check character is wrong (ISO 7064 MOD 37,36): "
                        "the identifier was mistyped or altered");
    if (out) {
        memset(out, 0, sizeof *out);
        memcpy(out->type, parts[0], lens[0]);
        memcpy(out->issuer, parts[1], 18);
        memcpy(out->serial, parts[2], lens[2]);
        memcpy(out->version, parts[3], lens[3]);
        memcpy(out->id, id, n + 1);
    }
    return SL_OK;
}

sl_status sl__licence_id_make(const char *type, const char *issuer, const char *serial,
                              unsigned version, char out[SL_LICENCE_ID_MAX])
{
    char body[SL_LICENCE_ID_MAX], in[SL_LICENCE_ID_MAX];
    int n = snprintf(body, sizeof body, LID_PREFIX "%s.%s.%s.%u", type ? type : "",
                     issuer ? issuer : "", serial ? serial : "", version);
    if (n < 0 || (size_t)n + 3 > sizeof body || !check_input(body, (size_t)n, in, sizeof in))
        return SL_ERR_LICENCE_ID;
    char c = sl__iso7064_37_36(in);
    if (!c)
        return SL_ERR_LICENCE_ID;
    memcpy(out, body, (size_t)n);
    out[n] = '.';
    out[n + 1] = c;
    out[n + 2] = '\0';
    return sl__licence_id_parse(out, NULL, NULL, 0);
}
