/*
 * bank.c -- the bank-card second factor (seed 002): Luhn check and a
 * file-backed bank-verification implementation (id.h).
 */
#include <stdio.h>
#include <string.h>

#include "id/id_int.h"

bool sl__bank_luhn(const char *card)
{
    if (!card)
        return false;
    size_t n = strlen(card);
    if (n < 12 || n > 19)
        return false;
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = card[n - 1 - i];
        if (ch < '0' || ch > '9')
            return false;
        int d = ch - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

struct bank_row { char card[20], id[SL_ID_MAX], name[SL_ID_NAME_MAX], phone[24]; };
struct bank_file { struct bank_row *rows; size_t n; };

static void bank_free(void *ctx)
{
    struct bank_file *b = ctx;
    if (!b)
        return;
    sl__free(b->rows);
    sl__free(b);
}

static sl_status bank_check(void *ctx, const struct sl_bank_check *c)
{
    const struct bank_file *b = ctx;
    if (!c || !c->card || !sl__bank_luhn(c->card))
        return SL_ERR_ID_BANK_CARD;
    for (size_t i = 0; i < b->n; i++) {
        const struct bank_row *r = &b->rows[i];
        if (strcmp(r->card, c->card) != 0)
            continue;
        bool ok = c->id_number && c->name && c->phone && strcmp(r->id, c->id_number) == 0 &&
                  strcmp(r->name, c->name) == 0 && strcmp(r->phone, c->phone) == 0;
        return ok ? SL_OK : SL_ERR_ID_BANK_MISMATCH;
    }
    return SL_ERR_ID_BANK_MISMATCH;
}

static bool field(char **p, char *out, size_t cap)
{
    char *s = *p, *e = strchr(s, ',');
    size_t n = e ? (size_t)(e - s) : strcspn(s, "\r\n");
    if (n >= cap)
        return false;
    memcpy(out, s, n);
    out[n] = 0;
    *p = e ? e + 1 : s + n;
    return e != NULL;
}

sl_status sl__bank_file_open(const char *path, struct sl_bank_verifier *v)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return SL_ERR_IO;
    struct bank_file *b = sl__malloc(sizeof *b);
    if (!b) {
        fclose(f);
        return SL_ERR_NOMEM;
    }
    b->rows = NULL;
    b->n = 0;
    size_t cap = 0;
    char line[512];
    sl_status st = SL_OK;
    while (st == SL_OK && fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n') && !feof(f)) {
            st = SL_ERR_INVALID;
            break;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
            continue;
        if (b->n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct bank_row *nr = sl__malloc(nc * sizeof *nr);
            if (!nr) {
                st = SL_ERR_NOMEM;
                break;
            }
            if (b->n)
                memcpy(nr, b->rows, b->n * sizeof *nr);
            sl__free(b->rows);
            b->rows = nr;
            cap = nc;
        }
        struct bank_row *r = &b->rows[b->n];
        if (!field(&p, r->card, sizeof r->card) || !field(&p, r->id, sizeof r->id) ||
            !field(&p, r->name, sizeof r->name) || field(&p, r->phone, sizeof r->phone) ||
            !r->phone[0]) {
            st = SL_ERR_INVALID;
            break;
        }
        b->n++;
    }
    fclose(f);
    if (st != SL_OK) {
        bank_free(b);
        return st;
    }
    v->ctx = b;
    v->check = bank_check;
    v->free = bank_free;
    return SL_OK;
}
