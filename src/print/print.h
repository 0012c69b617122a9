/*
 * print.h -- printables: a small document of text lines, labelled fields,
 * QR codes and a photo, rendered as HTML (A4 or 80 mm receipt-printer
 * width) or as a one-page PDF (cairo + pango, Noto CJK fonts).
 *
 * Reused by receipts (gov), licences and credentials: build a document with
 * the sl__doc_* calls in reading order, then render it. The document copies
 * what it is given; nothing here touches the store or the network.
 *
 *   sl__doc *d;
 *   sl__doc_new(&d);
 *   sl__doc_text(d, SL_DOC_TITLE, "受理凭证 / Acceptance receipt");
 *   sl__doc_field(d, "受理编号 Serial", serial);
 *   sl__doc_qr(d, signed_content);
 *   sl__doc_pdf(d, SL_DOC_A4, &pdf, &pdf_len);     (free pdf with sl__free)
 *   sl__doc_free(d);
 *
 * Text is UTF-8 (invalid UTF-8 is refused with SL_ERR_PRINT_INPUT); HTML
 * output escapes everything, so document text can never inject markup.
 */
#ifndef SL_PRINT_H
#define SL_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"

typedef struct sl__doc sl__doc;

enum sl_doc_style {
    SL_DOC_TITLE,     /* large, bold, centred                              */
    SL_DOC_HEADING,   /* bold                                              */
    SL_DOC_BODY,      /* normal paragraph, wrapped                         */
    SL_DOC_SMALL,     /* fine print (notices, verification hints)          */
};

enum sl_doc_format {
    SL_DOC_A4,        /* 210 x 297 mm page, 20 mm margins                  */
    SL_DOC_RECEIPT80, /* 80 mm roll (72 mm printable), height fits content */
};

/* Limits: a document has at most SL_DOC_MAX_ITEMS items; a text at most
 * SL_DOC_MAX_TEXT bytes; a photo at most 2048 x 2048 pixels. */
#define SL_DOC_MAX_ITEMS 256
#define SL_DOC_MAX_TEXT  4096

sl_status sl__doc_new(sl__doc **out);
void      sl__doc_free(sl__doc *d);                     /* NULL is a no-op */

sl_status sl__doc_text(sl__doc *d, enum sl_doc_style style, const char *utf8);
/* A "label: value" line (label bold). */
sl_status sl__doc_field(sl__doc *d, const char *label, const char *value);
/* A QR code of content (byte mode, error correction M), with an optional
 * caption under it (NULL for none). */
sl_status sl__doc_qr(sl__doc *d, const char *content, const char *caption);
/* A photo from 8-bit RGB pixels (stride bytes per row), shown at most
 * 35 x 45 mm (ID-photo size), aspect kept. */
sl_status sl__doc_photo(sl__doc *d, const uint8_t *rgb, int w, int h,
                        size_t stride);

/* Renders. *out is NUL-terminated for HTML; free with sl__free. */
sl_status sl__doc_html(const sl__doc *d, enum sl_doc_format fmt,
                       const char *title, char **out, size_t *len);
sl_status sl__doc_pdf(const sl__doc *d, enum sl_doc_format fmt,
                      uint8_t **out, size_t *len);

#endif
