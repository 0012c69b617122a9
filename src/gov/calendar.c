/*
 * calendar.c -- the working-day calendar (include/shualian/calendar.h).
 *
 * A loaded calendar is one byte per day of its years (0 = rest day,
 * 1 = working day) plus the names of the listed days: queries are an
 * array look-up, and the range check is the whole of "fail closed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "shualian/calendar.h"

#define CAL_FILE_MAX   (1u << 20)
#define CAL_YEARS_MAX  200
#define CAL_NAME_MAX   96
#define CAL_NOTICE_MAX 200
#define CAL_ADD_MAX    10000

struct named_day {
    sl_day day;
    char   name[CAL_NAME_MAX];
};

struct sl_calendar {
    int      first, last;          /* years [first, last], all present    */
    sl_day   day0;                 /* 1 January of `first`                */
    size_t   ndays;
    uint8_t *working;              /* ndays entries                       */
    char   (*notice)[CAL_NOTICE_MAX]; /* per year                         */
    struct named_day *names;       /* sorted by day                       */
    size_t   nnames;
};

/* ------------------------------ days ----------------------------------- */

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's civil-from-days,
 * inverted); valid for any year this program will see. */
static sl_day days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (sl_day)(era * 146097 + doe - 719468);
}

static void civil_from_days(sl_day z, int *y, int *m, int *d)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = z - era * 146097;
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int y, int m)
{
    static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Parses exactly "YYYY-MM-DD" at s (length n). */
static bool parse_day(const char *s, size_t n, sl_day *out)
{
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
        return false;
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    *out = days_from_civil(y, m, d);
    return true;
}

sl_status sl_day_parse(const char *s, sl_day *out)
{
    sl_day d;
    if (!s || !out || !parse_day(s, strlen(s), &d))
        return SL_ERR_INVALID;
    *out = d;
    return SL_OK;
}

void sl_day_format(sl_day d, char buf[11])
{
    int y, m, dd;
    civil_from_days(d, &y, &m, &dd);
    unsigned uy = (unsigned)y % 10000u, um = (unsigned)m % 100u, ud = (unsigned)dd % 100u;
    buf[0] = (char)('0' + uy / 1000); buf[1] = (char)('0' + uy / 100 % 10);
    buf[2] = (char)('0' + uy / 10 % 10); buf[3] = (char)('0' + uy % 10);
    buf[4] = '-'; buf[5] = (char)('0' + um / 10); buf[6] = (char)('0' + um % 10);
    buf[7] = '-'; buf[8] = (char)('0' + ud / 10); buf[9] = (char)('0' + ud % 10);
    buf[10] = '\0';
}

int sl_day_weekday(sl_day d)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int w = (int)((d % 7 + 7) % 7);
    return (w + 3) % 7;
}

int sl_day_year(sl_day d)
{
    int y, m, dd;
    civil_from_days(d, &y, &m, &dd);
    return y;
}

/* ------------------------------ loading -------------------------------- */

struct entry {           /* one parsed off/work line, applied after parsing */
    sl_day a, b;
    bool   work;
    char   name[CAL_NAME_MAX];
};

struct parser {
    const char *name;
    char       *msg;
    int         line;
    struct entry *e;
    size_t      ne, cap;
    int         years[CAL_YEARS_MAX];
    char        notices[CAL_YEARS_MAX][CAL_NOTICE_MAX];
    int         nyears;
};

__attribute__((format(printf, 3, 4)))
static sl_status fail(struct parser *p, const char *field, const char *fmt, ...)
{
    if (p->msg) {
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(p->msg, SL_CAL_MSG_MAX, "%s:%d: %s: %s", p->name, p->line,
                 field, what);
    }
    return SL_ERR_CAL_FORMAT;
}

/* Next whitespace-separated word in [*s, end); returns its length. */
static size_t word(const char **s, const char *end, const char **w)
{
    while (*s < end && (**s == ' ' || **s == '\t'))
        (*s)++;
    *w = *s;
    while (*s < end && **s != ' ' && **s != '\t')
        (*s)++;
    return (size_t)(*s - *w);
}

static void rest(const char *s, const char *end, char *out, size_t cap)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    size_t n = (size_t)(end - s);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static sl_status parse_line(struct parser *p, const char *s, const char *end)
{
    const char *w;
    size_t n = word(&s, end, &w);
    if (n == 0 || w[0] == '#')
        return SL_OK;
    if (n == 4 && memcmp(w, "year", 4) == 0) {
        const char *y;
        size_t yn = word(&s, end, &y);
        int year;
        if (yn != 4 || !digits(y, 4, &year) || year < 1900)
            return fail(p, "year", "'%.*s' is not a four-digit year",
                        (int)(yn > 20 ? 20 : yn), y);
        for (int i = 0; i < p->nyears; i++)
            if (p->years[i] == year)
                return fail(p, "year", "%d is listed twice", year);
        if (p->nyears == CAL_YEARS_MAX)
            return fail(p, "year", "more than %d years", CAL_YEARS_MAX);
        p->years[p->nyears] = year;
        rest(s, end, p->notices[p->nyears], CAL_NOTICE_MAX);
        if (!p->notices[p->nyears][0])
            return fail(p, "notice", "year %d names no notice", year);
        p->nyears++;
        return SL_OK;
    }
    bool work = n == 4 && memcmp(w, "work", 4) == 0;
    if (!work && !(n == 3 && memcmp(w, "off", 3) == 0))
        return fail(p, "keyword", "'%.*s' is not year, off or work",
                    (int)(n > 20 ? 20 : n), w);
    if (p->nyears == 0)
        return fail(p, "keyword", "'%s' before the first year line",
                    work ? "work" : "off");
    const char *d;
    size_t dn = word(&s, end, &d);
    struct entry e = { 0 };
    e.work = work;
    const char *dots = dn > 10 ? d + 10 : NULL;
    if (dots && !work && dn == 22 && dots[0] == '.' && dots[1] == '.') {
        if (!parse_day(d, 10, &e.a) || !parse_day(d + 12, 10, &e.b))
            return fail(p, "date", "'%.*s' is not a range YYYY-MM-DD..YYYY-MM-DD",
                        (int)dn, d);
        if (e.b < e.a)
            return fail(p, "date", "range '%.*s' ends before it starts", (int)dn, d);
    } else {
        if (!parse_day(d, dn, &e.a))
            return fail(p, "date", "'%.*s' is not a date YYYY-MM-DD%s",
                        (int)(dn > 30 ? 30 : dn), d, work ? "" : " or a range");
        e.b = e.a;
    }
    int year = p->years[p->nyears - 1];
    if (sl_day_year(e.a) != year || sl_day_year(e.b) != year)
        return fail(p, "date", "'%.*s' is not in the year %d above it",
                    (int)dn, d, year);
    if (work && sl_day_weekday(e.a) < 5)
        return fail(p, "date", "%.*s is a weekday: a make-up working day is a "
                    "Saturday or Sunday", (int)dn, d);
    rest(s, end, e.name, CAL_NAME_MAX);
    if (!e.name[0])
        return fail(p, "name", "the day needs a name");
    if (p->ne == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct entry *ne = sl__realloc(p->e, cap * sizeof *ne);
        if (!ne)
            return SL_ERR_NOMEM;
        p->e = ne;
        p->cap = cap;
    }
    p->e[p->ne++] = e;
    return SL_OK;
}

static int cmp_named(const void *a, const void *b)
{
    const struct named_day *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

static sl_status build(struct parser *p, sl_calendar **out)
{
    int first = p->years[0], last = p->years[0];
    for (int i = 1; i < p->nyears; i++) {
        if (p->years[i] < first) first = p->years[i];
        if (p->years[i] > last) last = p->years[i];
    }
    if (last - first + 1 != p->nyears) {
        p->line = 0;
        return fail(p, "year", "years %d..%d have a gap: every year between "
                    "the first and the last needs its notice", first, last);
    }
    sl_calendar *c = sl__calloc(1, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    c->first = first;
    c->last = last;
    c->day0 = days_from_civil(first, 1, 1);
    c->ndays = (size_t)(days_from_civil(last + 1, 1, 1) - c->day0);
    c->working = sl__malloc(c->ndays);
    c->notice = sl__calloc((size_t)p->nyears, sizeof *c->notice);
    c->names = sl__calloc(p->ne ? p->ne * 12 : 1, sizeof *c->names);
    if (!c->working || !c->notice || !c->names) {
        sl_calendar_free(c);
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < p->nyears; i++)
        memcpy(c->notice[p->years[i] - first], p->notices[i], CAL_NOTICE_MAX);
    for (size_t i = 0; i < c->ndays; i++)
        c->working[i] = sl_day_weekday(c->day0 + (sl_day)i) < 5;
    /* 2: listed off, 3: listed work -- to refuse a day listed both ways. */
    uint8_t *seen = sl__calloc(c->ndays, 1);
    if (!seen) {
        sl_calendar_free(c);
        return SL_ERR_NOMEM;
    }
    size_t cap = p->ne * 12;
    for (size_t i = 0; i < p->ne; i++) {
        const struct entry *e = &p->e[i];
        if (e->b - e->a > 366) {
            sl__free(seen);
            sl_calendar_free(c);
            return SL_ERR_CAL_FORMAT;
        }
        for (sl_day d = e->a; d <= e->b; d++) {
            size_t k = (size_t)(d - c->day0);
            if (seen[k] && seen[k] != (e->work ? 3 : 2)) {
                char ds[11];
                sl_day_format(d, ds);
                p->line = 0;
                sl__free(seen);
                sl_calendar_free(c);
                return fail(p, "date", "%s is listed both as off and as work", ds);
            }
            seen[k] = e->work ? 3 : 2;
            c->working[k] = e->work;
            if (c->nnames == cap) {
                /* More named days than 12 per entry: ranges over 12 days. */
                size_t ncap = cap * 2;
                struct named_day *nn = sl__realloc(c->names, ncap * sizeof *nn);
                if (!nn) {
                    sl__free(seen);
                    sl_calendar_free(c);
                    return SL_ERR_NOMEM;
                }
                c->names = nn;
                cap = ncap;
            }
            c->names[c->nnames].day = d;
            memcpy(c->names[c->nnames].name, e->name, CAL_NAME_MAX);
            c->nnames++;
        }
    }
    sl__free(seen);
    qsort(c->names, c->nnames, sizeof *c->names, cmp_named);
    *out = c;
    return SL_OK;
}

sl_status sl_calendar_load(const char *text, size_t n, const char *name,
                           char *msg, sl_calendar **out)
{
    if (msg)
        msg[0] = '\0';
    if (!text || !out)
        return SL_ERR_INVALID;
    struct parser *p = sl__calloc(1, sizeof *p);
    if (!p)
        return SL_ERR_NOMEM;
    p->name = name ? name : "calendar";
    p->msg = msg;
    sl_status st = SL_OK;
    const char *s = text, *end = text + n;
    if (memchr(text, '\0', n)) {
        p->line = 1;
        st = fail(p, "file", "contains a NUL byte (not a text file)");
    }
    while (st == SL_OK && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        p->line++;
        st = parse_line(p, s, le);
        s = nl ? nl + 1 : end;
    }
    if (st == SL_OK && p->nyears == 0) {
        p->line = 0;
        st = fail(p, "year", "the file lists no year");
    }
    if (st == SL_OK)
        st = build(p, out);
    sl__free(p->e);
    sl__free(p);
    return st;
}

sl_status sl_calendar_load_file(const char *path, char *msg, sl_calendar **out)
{
    if (msg)
        msg[0] = '\0';
    if (!path || !out)
        return SL_ERR_INVALID;
    uint8_t *buf;
    size_t n;
    sl_status st = sl__read_file(path, CAL_FILE_MAX, &buf, &n);
    if (st != SL_OK) {
        if (msg)
            snprintf(msg, SL_CAL_MSG_MAX, "%s: %s", path, sl_status_str(st));
        return st;
    }
    st = sl_calendar_load((const char *)buf, n, path, msg, out);
    sl__free(buf);
    return st;
}

/* The compiled-in copy of share/shualian/calendar-cn.txt (generated by
 * the Makefile into build/gen/calendar_data.c). */
extern const char sl__calendar_cn[];
extern const size_t sl__calendar_cn_len;

sl_status sl_calendar_builtin(sl_calendar **out)
{
    char msg[SL_CAL_MSG_MAX];
    return sl_calendar_load(sl__calendar_cn, sl__calendar_cn_len,
                            "calendar-cn.txt (built in)", msg, out);
}

void sl_calendar_free(sl_calendar *c)
{
    if (!c)
        return;
    sl__free(c->working);
    sl__free(c->notice);
    sl__free(c->names);
    sl__free(c);
}

/* ------------------------------ queries -------------------------------- */

void sl_calendar_years(const sl_calendar *c, int *first, int *last)
{
    if (first) *first = c ? c->first : 0;
    if (last) *last = c ? c->last : -1;
}

const char *sl_calendar_notice(const sl_calendar *c, int year)
{
    if (!c || year < c->first || year > c->last)
        return NULL;
    return c->notice[year - c->first];
}

static bool in_range(const sl_calendar *c, sl_day d)
{
    return d >= c->day0 && (size_t)(d - c->day0) < c->ndays;
}

sl_status sl_calendar_is_working(const sl_calendar *c, sl_day d, bool *out)
{
    if (!c || !out)
        return SL_ERR_INVALID;
    if (!in_range(c, d))
        return SL_ERR_CAL_RANGE;
    *out = c->working[d - c->day0];
    return SL_OK;
}

const char *sl_calendar_name(const sl_calendar *c, sl_day d)
{
    if (!c)
        return NULL;
    struct named_day key = { .day = d };
    const struct named_day *hit = bsearch(&key, c->names, c->nnames,
                                          sizeof *c->names, cmp_named);
    return hit ? hit->name : NULL;
}

sl_status sl_calendar_add_working_days(const sl_calendar *c, sl_day from,
                                       int n, sl_day *out)
{
    if (!c || !out || n < 0 || n > CAL_ADD_MAX)
        return SL_ERR_INVALID;
    if (!in_range(c, from))
        return SL_ERR_CAL_RANGE;
    sl_day d = from;
    if (n == 0) {
        while (in_range(c, d) && !c->working[d - c->day0])
            d++;
        if (!in_range(c, d))
            return SL_ERR_CAL_RANGE;
        *out = d;
        return SL_OK;
    }
    while (n > 0) {
        d++;
        if (!in_range(c, d))
            return SL_ERR_CAL_RANGE;
        n -= c->working[d - c->day0];
    }
    *out = d;
    return SL_OK;
}

sl_status sl_calendar_working_days_between(const sl_calendar *c, sl_day a,
                                           sl_day b, int *out)
{
    if (!c || !out)
        return SL_ERR_INVALID;
    if (b <= a) {
        *out = 0;
        return SL_OK;
    }
    if (!in_range(c, a) || !in_range(c, b))
        return SL_ERR_CAL_RANGE;
    int n = 0;
    for (sl_day d = a + 1; d <= b; d++)
        n += c->working[d - c->day0];
    *out = n;
    return SL_OK;
}
