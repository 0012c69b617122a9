/*
 * rows.c -- the in-memory result set of sl__tx_query (store.h): backends
 * fill it row by row; readers convert between types on access.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

sl_rows *sl__rows_new(size_t cols)
{
    sl_rows *r = sl__calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cols = cols;
    if (cols) {
        r->names = sl__calloc(cols, sizeof(*r->names));
        if (!r->names) {
            sl__free(r);
            return NULL;
        }
    }
    return r;
}

sl_status sl__rows_set_name(sl_rows *r, size_t col, const char *name)
{
    SL_ASSERT(col < r->cols);
    sl__free(r->names[col]);
    r->names[col] = sl__strdup(name ? name : "");
    return r->names[col] ? SL_OK : SL_ERR_NOMEM;
}

sl_status sl__rows_push(sl_rows *r)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        size_t bytes;
        if (sl__mul_overflow(cap, r->cols ? r->cols : 1, &bytes) ||
            sl__mul_overflow(bytes, sizeof(struct sl_cell), &bytes))
            return SL_ERR_NOMEM;
        struct sl_cell *c = sl__realloc(r->cells, bytes);
        if (!c)
            return SL_ERR_NOMEM;
        r->cells = c;
        r->cap = cap;
    }
    memset(r->cells + r->count * r->cols, 0, r->cols * sizeof(struct sl_cell));
    r->count++;
    return SL_OK;
}

struct sl_cell *sl__rows_cell(sl_rows *r, size_t row, size_t col)
{
    SL_ASSERT(row < r->count && col < r->cols);
    return &r->cells[row * r->cols + col];
}

sl_status sl__cell_set_bytes(struct sl_cell *c, sl_vtype t, const void *p, size_t n)
{
    char *b = sl__malloc(n + 1);
    if (!b)
        return SL_ERR_NOMEM;
    if (n)
        memcpy(b, p, n);
    b[n] = 0;
    sl__free(c->p);
    c->p = b;
    c->n = n;
    c->t = t;
    return SL_OK;
}

static const struct sl_cell *cell(const sl_rows *r, size_t row, size_t col)
{
    SL_ASSERT(r && row < r->count && col < r->cols);
    return &r->cells[row * r->cols + col];
}

size_t sl__rows_count(const sl_rows *r) { return r ? r->count : 0; }
size_t sl__rows_cols(const sl_rows *r) { return r ? r->cols : 0; }

bool sl__rows_null(const sl_rows *r, size_t row, size_t col)
{
    return cell(r, row, col)->t == SL_V_NULL;
}

int64_t sl__rows_int(const sl_rows *r, size_t row, size_t col)
{
    const struct sl_cell *c = cell(r, row, col);
    switch (c->t) {
    case SL_V_INT:  return c->i;
    case SL_V_REAL: return (int64_t)c->r;
    case SL_V_TEXT: return strtoll(c->p, NULL, 10);
    default:        return 0;
    }
}

double sl__rows_real(const sl_rows *r, size_t row, size_t col)
{
    const struct sl_cell *c = cell(r, row, col);
    switch (c->t) {
    case SL_V_INT:  return (double)c->i;
    case SL_V_REAL: return c->r;
    case SL_V_TEXT: return strtod(c->p, NULL);
    default:        return 0;
    }
}

const char *sl__rows_text(const sl_rows *r, size_t row, size_t col)
{
    /* numbers are given their text form once, on first read */
    struct sl_cell *c = (struct sl_cell *)cell(r, row, col);
    if (c->t == SL_V_NULL)
        return NULL;
    if (!c->p && (c->t == SL_V_INT || c->t == SL_V_REAL)) {
        char tmp[40];
        int n = c->t == SL_V_INT ? snprintf(tmp, sizeof(tmp), "%lld", (long long)c->i)
                                 : snprintf(tmp, sizeof(tmp), "%.17g", c->r);
        char *b = sl__malloc((size_t)n + 1);
        if (!b)
            return NULL;
        memcpy(b, tmp, (size_t)n + 1);
        c->p = b;
        c->n = (size_t)n;
    }
    return c->p;
}

const void *sl__rows_blob(const sl_rows *r, size_t row, size_t col, size_t *n)
{
    const char *p = sl__rows_text(r, row, col);
    *n = p ? cell(r, row, col)->n : 0;
    return p;
}

const char *sl__rows_name(const sl_rows *r, size_t col)
{
    SL_ASSERT(r && col < r->cols);
    return r->names[col] ? r->names[col] : "";
}

void sl__rows_free(sl_rows *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count * r->cols; i++)
        sl__free(r->cells[i].p);
    for (size_t i = 0; i < r->cols; i++)
        sl__free(r->names[i]);
    sl__free(r->names);
    sl__free(r->cells);
    sl__free(r);
}
