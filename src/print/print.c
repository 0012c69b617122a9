/*
 * print.c -- printables: the document model and its HTML and PDF renderers.
 * See print.h. The PDF path lays the items out with pango on a cairo PDF
 * surface; the receipt format is measured first so the page is exactly as
 * tall as its content. The HTML path inlines the QR as SVG and the photo as
 * a PNG data: URI, so a print view is one self-contained response.
 */
#include "print/print.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <sodium.h>
#include <string.h>

#include "base/base.h"

enum item_kind { IT_TEXT, IT_FIELD, IT_QR, IT_PHOTO };

struct item {
    enum item_kind    kind;
    enum sl_doc_style style;
    char             *a;        /* text / label / QR content              */
    char             *b;        /* field value / QR caption (may be NULL) */
    uint8_t          *rgb;      /* photo, packed w*3 per row              */
    int               w, h;
};

struct sl__doc {
    struct item items[SL_DOC_MAX_ITEMS];
    int         n;
};

sl_status sl__doc_new(sl__doc **out)
{
    sl__doc *d = sl__calloc(1, sizeof *d);
    if (!d) return SL_ERR_NOMEM;
    *out = d;
    return SL_OK;
}

void sl__doc_free(sl__doc *d)
{
    if (!d) return;
    for (int i = 0; i < d->n; i++) {
        sl__free(d->items[i].a);
        sl__free(d->items[i].b);
        sl__free(d->items[i].rgb);
    }
    sl__free(d);
}

static bool text_ok(const char *s)
{
    if (!s) return false;
    size_t n = strlen(s);
    return n <= SL_DOC_MAX_TEXT && g_utf8_validate(s, (gssize)n, NULL);
}

static struct item *push(sl__doc *d)
{
    if (!d || d->n >= SL_DOC_MAX_ITEMS) return NULL;
    struct item *it = &d->items[d->n];
    memset(it, 0, sizeof *it);
    return it;
}

sl_status sl__doc_text(sl__doc *d, enum sl_doc_style style, const char *utf8)
{
    if (!text_ok(utf8) || style > SL_DOC_SMALL) return SL_ERR_PRINT_INPUT;
    struct item *it = push(d);
    if (!it) return SL_ERR_PRINT_INPUT;
    it->kind = IT_TEXT;
    it->style = style;
    if (!(it->a = sl__strdup(utf8))) return SL_ERR_NOMEM;
    d->n++;
    return SL_OK;
}

sl_status sl__doc_field(sl__doc *d, const char *label, const char *value)
{
    if (!text_ok(label) || !text_ok(value)) return SL_ERR_PRINT_INPUT;
    struct item *it = push(d);
    if (!it) return SL_ERR_PRINT_INPUT;
    it->kind = IT_FIELD;
    it->a = sl__strdup(label);
    it->b = sl__strdup(value);
    if (!it->a || !it->b) {
        sl__free(it->a); sl__free(it->b);
        return SL_ERR_NOMEM;
    }
    d->n++;
    return SL_OK;
}

sl_status sl__doc_qr(sl__doc *d, const char *content, const char *caption)
{
    if (!text_ok(content) || !*content || (caption && !text_ok(caption)))
        return SL_ERR_PRINT_INPUT;
    struct item *it = push(d);
    if (!it) return SL_ERR_PRINT_INPUT;
    it->kind = IT_QR;
    it->a = sl__strdup(content);
    it->b = caption ? sl__strdup(caption) : NULL;
    if (!it->a || (caption && !it->b)) {
        sl__free(it->a); sl__free(it->b);
        return SL_ERR_NOMEM;
    }
    d->n++;
    return SL_OK;
}

sl_status sl__doc_photo(sl__doc *d, const uint8_t *rgb, int w, int h,
                        size_t stride)
{
    if (!rgb || w <= 0 || h <= 0 || w > 2048 || h > 2048 ||
        stride < (size_t)w * 3)
        return SL_ERR_PRINT_INPUT;
    struct item *it = push(d);
    if (!it) return SL_ERR_PRINT_INPUT;
    it->kind = IT_PHOTO;
    it->w = w;
    it->h = h;
    if (!(it->rgb = sl__malloc((size_t)w * (size_t)h * 3))) return SL_ERR_NOMEM;
    for (int y = 0; y < h; y++)
        memcpy(it->rgb + (size_t)y * (size_t)w * 3, rgb + (size_t)y * stride,
               (size_t)w * 3);
    d->n++;
    return SL_OK;
}

/* ---------------------------------------------------------------- QR */

static QRcode *qr_encode(const char *s)
{
    return QRcode_encodeData((int)strlen(s), (const unsigned char *)s, 0,
                             QR_ECLEVEL_M);
}

/* ---------------------------------------------------------------- photo */

static cairo_surface_t *photo_surface(const struct item *it)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
                                                    it->w, it->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_surface_flush(s);
    uint8_t *px = cairo_image_surface_get_data(s);
    int st = cairo_image_surface_get_stride(s);
    for (int y = 0; y < it->h; y++) {
        uint32_t *row = (uint32_t *)(void *)(px + (size_t)y * (size_t)st);
        const uint8_t *src = it->rgb + (size_t)y * (size_t)it->w * 3;
        for (int x = 0; x < it->w; x++)
            row[x] = 0xff000000u | ((uint32_t)src[3 * x] << 16) |
                     ((uint32_t)src[3 * x + 1] << 8) | src[3 * x + 2];
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* Photo box in points: at most 35 x 45 mm, aspect kept. */
static void photo_box(const struct item *it, double *w, double *h)
{
    double mw = 35.0 / 25.4 * 72.0, mh = 45.0 / 25.4 * 72.0;
    double sc = mw / it->w;
    if (it->h * sc > mh) sc = mh / it->h;
    *w = it->w * sc;
    *h = it->h * sc;
}

/* ---------------------------------------------------------------- PDF */

struct page {
    double width, margin, qr_size;
};

static void page_of(enum sl_doc_format fmt, struct page *p)
{
    if (fmt == SL_DOC_RECEIPT80) {
        p->width = 80.0 / 25.4 * 72.0;
        p->margin = 4.0 / 25.4 * 72.0;
        p->qr_size = 40.0 / 25.4 * 72.0;
    } else {
        p->width = 595.28;
        p->margin = 20.0 / 25.4 * 72.0;
        p->qr_size = 35.0 / 25.4 * 72.0;
    }
}

static double font_size(enum sl_doc_style st, enum sl_doc_format fmt)
{
    double base = fmt == SL_DOC_RECEIPT80 ? 8.5 : 10.5;
    switch (st) {
    case SL_DOC_TITLE:   return base * 1.6;
    case SL_DOC_HEADING: return base * 1.2;
    case SL_DOC_SMALL:   return base * 0.8;
    default:             return base;
    }
}

/* Lays out one text block at y (draw=false only measures); returns height. */
static double draw_text(cairo_t *cr, const struct page *p, double y,
                        const char *markup_free_text, const char *bold_prefix,
                        enum sl_doc_style st, enum sl_doc_format fmt, bool draw)
{
    PangoLayout *lay = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_new();
    pango_font_description_set_family(fd, "Noto Sans CJK SC,Noto Sans,sans");
    pango_font_description_set_absolute_size(fd, font_size(st, fmt) * PANGO_SCALE);
    if (st == SL_DOC_TITLE || st == SL_DOC_HEADING)
        pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(lay, fd);
    pango_layout_set_width(lay, (int)((p->width - 2 * p->margin) * PANGO_SCALE));
    pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
    if (st == SL_DOC_TITLE) pango_layout_set_alignment(lay, PANGO_ALIGN_CENTER);

    if (bold_prefix) {
        /* label bold, value plain: attributes, never markup, so no text
         * can be interpreted as markup */
        size_t la = strlen(bold_prefix), lb = strlen(markup_free_text);
        char *s = sl__malloc(la + 2 + lb + 1);
        if (s) {
            memcpy(s, bold_prefix, la);
            s[la] = ':';
            s[la + 1] = ' ';
            memcpy(s + la + 2, markup_free_text, lb + 1);
            PangoAttrList *al = pango_attr_list_new();
            PangoAttribute *a = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
            a->start_index = 0;
            a->end_index = (guint)(la + 1);
            pango_attr_list_insert(al, a);
            pango_layout_set_attributes(lay, al);
            pango_attr_list_unref(al);
            pango_layout_set_text(lay, s, -1);
            sl__free(s);
        }
    } else {
        pango_layout_set_text(lay, markup_free_text, -1);
    }
    int w, h;
    pango_layout_get_size(lay, &w, &h);
    if (draw) {
        cairo_move_to(cr, p->margin, y);
        pango_cairo_show_layout(cr, lay);
    }
    pango_font_description_free(fd);
    g_object_unref(lay);
    return (double)h / PANGO_SCALE;
}

/* Draws (or measures) the whole document; returns the content height. */
static double render(cairo_t *cr, const sl__doc *d, enum sl_doc_format fmt,
                     bool draw)
{
    struct page p;
    page_of(fmt, &p);
    double y = p.margin, gap = fmt == SL_DOC_RECEIPT80 ? 3 : 5;
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int i = 0; i < d->n; i++) {
        const struct item *it = &d->items[i];
        switch (it->kind) {
        case IT_TEXT:
            y += draw_text(cr, &p, y, it->a, NULL, it->style, fmt, draw) + gap;
            break;
        case IT_FIELD:
            y += draw_text(cr, &p, y, it->b, it->a, SL_DOC_BODY, fmt, draw) + gap;
            break;
        case IT_QR: {
            QRcode *q = qr_encode(it->a);
            if (!q) break;
            int n = q->width, quiet = 2;
            double mod = p.qr_size / (n + 2 * quiet);
            double x0 = (p.width - p.qr_size) / 2;
            if (draw) {
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < n; c++)
                        if (q->data[r * n + c] & 1)
                            cairo_rectangle(cr, x0 + (c + quiet) * mod,
                                            y + (r + quiet) * mod, mod, mod);
                cairo_fill(cr);
            }
            QRcode_free(q);
            y += p.qr_size + gap;
            if (it->b)
                y += draw_text(cr, &p, y, it->b, NULL, SL_DOC_SMALL, fmt, draw) + gap;
            break;
        }
        case IT_PHOTO: {
            double w, h;
            photo_box(it, &w, &h);
            if (draw) {
                cairo_surface_t *s = photo_surface(it);
                if (s) {
                    cairo_save(cr);
                    cairo_translate(cr, p.margin, y);
                    cairo_scale(cr, w / it->w, h / it->h);
                    cairo_set_source_surface(cr, s, 0, 0);
                    cairo_paint(cr);
                    cairo_restore(cr);
                    cairo_surface_destroy(s);
                    cairo_set_source_rgb(cr, 0, 0, 0);
                }
            }
            y += h + gap;
            break;
        }
        }
    }
    return y + p.margin;
}

static cairo_status_t buf_write(void *closure, const unsigned char *data,
                                unsigned int n)
{
    return sl_buf_append(closure, data, n) == SL_OK
               ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

sl_status sl__doc_pdf(const sl__doc *d, enum sl_doc_format fmt,
                      uint8_t **out, size_t *len)
{
    if (!d || !out || !len || (fmt != SL_DOC_A4 && fmt != SL_DOC_RECEIPT80))
        return SL_ERR_PRINT_INPUT;
    struct page p;
    page_of(fmt, &p);
    double height = 841.89;
    if (fmt == SL_DOC_RECEIPT80) {
        /* measure on a recording surface, then size the page to fit */
        cairo_surface_t *rs = cairo_recording_surface_create(
            CAIRO_CONTENT_COLOR_ALPHA, NULL);
        cairo_t *mc = cairo_create(rs);
        height = render(mc, d, fmt, false);
        cairo_destroy(mc);
        cairo_surface_destroy(rs);
    }
    struct sl_buf b;
    sl_buf_init(&b, (size_t)64 << 20);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(buf_write, &b,
                                                             p.width, height);
    cairo_t *cr = cairo_create(s);
    render(cr, d, fmt, true);
    cairo_show_page(cr);
    cairo_status_t cst = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (cst == CAIRO_STATUS_SUCCESS) cst = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (cst != CAIRO_STATUS_SUCCESS || b.len == 0) {
        sl_buf_free(&b);
        return cst == CAIRO_STATUS_NO_MEMORY ? SL_ERR_NOMEM : SL_ERR_PRINT_RENDER;
    }
    *out = sl_buf_detach(&b, len);
    return SL_OK;
}

/* ---------------------------------------------------------------- HTML */

static sl_status esc(struct sl_buf *b, const char *s)
{
    sl_status st = SL_OK;
    for (; *s && st == SL_OK; s++) {
        switch (*s) {
        case '<':  st = sl_buf_append(b, "&lt;", 4); break;
        case '>':  st = sl_buf_append(b, "&gt;", 4); break;
        case '&':  st = sl_buf_append(b, "&amp;", 5); break;
        case '"':  st = sl_buf_append(b, "&quot;", 6); break;
        case '\'': st = sl_buf_append(b, "&#39;", 5); break;
        default:   st = sl_buf_append(b, s, 1); break;
        }
    }
    return st;
}

static sl_status html_qr(struct sl_buf *b, const char *content)
{
    QRcode *q = qr_encode(content);
    if (!q) return SL_ERR_PRINT_RENDER;
    int n = q->width, full = n + 4;
    sl_status st = sl_buf_appendf(b,
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" "
        "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
        "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
        full, full, full, full);
    for (int r = 0; r < n && st == SL_OK; r++)
        for (int c = 0; c < n && st == SL_OK; c++)
            if (q->data[r * n + c] & 1)
                st = sl_buf_appendf(b, "M%d %dh1v1h-1z", c + 2, r + 2);
    if (st == SL_OK) st = sl_buf_appendf(b, "\"/></svg>");
    QRcode_free(q);
    return st;
}

static sl_status html_photo(struct sl_buf *b, const struct item *it)
{
    cairo_surface_t *s = photo_surface(it);
    if (!s) return SL_ERR_PRINT_RENDER;
    struct sl_buf png;
    sl_buf_init(&png, (size_t)32 << 20);
    cairo_status_t cst = cairo_surface_write_to_png_stream(s, buf_write, &png);
    cairo_surface_destroy(s);
    if (cst != CAIRO_STATUS_SUCCESS) {
        sl_buf_free(&png);
        return SL_ERR_PRINT_RENDER;
    }
    size_t n64 = sodium_base64_ENCODED_LEN(png.len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = sl__malloc(n64);
    sl_status st = SL_ERR_NOMEM;
    if (b64) {
        sodium_bin2base64(b64, n64, png.data, png.len,
                          sodium_base64_VARIANT_ORIGINAL);
        st = sl_buf_appendf(b, "<img class=\"photo\" alt=\"photo\" "
                               "src=\"data:image/png;base64,%s\">", b64);
        sl__free(b64);
    }
    sl_buf_free(&png);
    return st;
}

sl_status sl__doc_html(const sl__doc *d, enum sl_doc_format fmt,
                       const char *title, char **out, size_t *len)
{
    if (!d || !out || (fmt != SL_DOC_A4 && fmt != SL_DOC_RECEIPT80) ||
        (title && !text_ok(title)))
        return SL_ERR_PRINT_INPUT;
    struct sl_buf b;
    sl_buf_init(&b, (size_t)64 << 20);
    bool rc = fmt == SL_DOC_RECEIPT80;
    sl_status st = sl_buf_appendf(&b,
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
        "<title>");
    if (st == SL_OK) st = esc(&b, title ? title : "");
    if (st == SL_OK)
        st = sl_buf_appendf(&b,
            "</title><style>"
            "@page{size:%s;margin:%s}"
            "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;"
            "width:%s;margin:0 auto;font-size:%s;color:#000}"
            "h1{font-size:1.6em;text-align:center;margin:.3em 0}"
            "h2{font-size:1.2em;margin:.4em 0}p{margin:.25em 0}"
            ".small{font-size:.8em}.qr{display:block;width:%s;margin:.5em auto}"
            ".cap{text-align:center}.photo{max-width:35mm;max-height:45mm}"
            "</style></head><body class=\"%s\">\n",
            rc ? "80mm auto" : "A4", rc ? "4mm" : "20mm",
            rc ? "72mm" : "170mm", rc ? "9pt" : "10.5pt",
            rc ? "40mm" : "35mm", rc ? "receipt80" : "a4");
    for (int i = 0; i < d->n && st == SL_OK; i++) {
        const struct item *it = &d->items[i];
        switch (it->kind) {
        case IT_TEXT: {
            static const char *open[] = { "<h1>", "<h2>", "<p>",
                                          "<p class=\"small\">" };
            static const char *close[] = { "</h1>\n", "</h2>\n", "</p>\n",
                                           "</p>\n" };
            st = sl_buf_appendf(&b, "%s", open[it->style]);
            if (st == SL_OK) st = esc(&b, it->a);
            if (st == SL_OK) st = sl_buf_appendf(&b, "%s", close[it->style]);
            break;
        }
        case IT_FIELD:
            st = sl_buf_appendf(&b, "<p><b>");
            if (st == SL_OK) st = esc(&b, it->a);
            if (st == SL_OK) st = sl_buf_appendf(&b, ":</b> ");
            if (st == SL_OK) st = esc(&b, it->b);
            if (st == SL_OK) st = sl_buf_appendf(&b, "</p>\n");
            break;
        case IT_QR:
            st = html_qr(&b, it->a);
            if (st == SL_OK && it->b) {
                st = sl_buf_appendf(&b, "<p class=\"small cap\">");
                if (st == SL_OK) st = esc(&b, it->b);
                if (st == SL_OK) st = sl_buf_appendf(&b, "</p>\n");
            }
            break;
        case IT_PHOTO:
            st = html_photo(&b, it);
            break;
        }
    }
    if (st == SL_OK) st = sl_buf_appendf(&b, "</body></html>\n");
    if (st == SL_OK) st = sl_buf_terminate(&b);
    if (st != SL_OK) {
        sl_buf_free(&b);
        return st;
    }
    size_t n;
    *out = (char *)sl_buf_detach(&b, &n);
    if (len) *len = n;
    return SL_OK;
}
