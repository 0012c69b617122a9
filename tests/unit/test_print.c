/* test_print.c -- printables: HTML escaping, PDF output with CJK fonts,
 * receipt page height fitted to content, bad input refused. */
#include <string.h>

#include "base/base.h"
#include "print/print.h"
#include "test.h"

static sl__doc *sample(void)
{
    sl__doc *d = NULL;
    if (sl__doc_new(&d) != SL_OK) return NULL;
    sl__doc_text(d, SL_DOC_TITLE, "受理凭证 / Acceptance receipt");
    sl__doc_field(d, "受理编号 Serial", "SL-2026-000001");
    sl__doc_text(d, SL_DOC_BODY, "自遗失声明满15个工作日后3个工作日内办结 <script>x</script>");
    sl__doc_qr(d, "shualian:receipt:v1:abc", "扫码核验 Scan to verify");
    uint8_t px[4 * 5 * 3];
    memset(px, 0x80, sizeof px);
    sl__doc_photo(d, px, 4, 5, 12);
    return d;
}

static bool contains(const uint8_t *p, size_t n, const char *s)
{
    return memmem(p, n, s, strlen(s)) != NULL;
}

SL_TEST(print, html_escapes_and_inlines)
{
    sl__doc *d = sample();
    SL_CHECK(t, d != NULL);
    char *h = NULL;
    size_t n = 0;
    SL_CHECK(t, sl__doc_html(d, SL_DOC_RECEIPT80, "a<b", &h, &n) == SL_OK);
    SL_CHECK(t, h && strlen(h) == n);
    SL_CHECK(t, strstr(h, "<script>") == NULL);
    SL_CHECK(t, strstr(h, "&lt;script&gt;") != NULL);
    SL_CHECK(t, strstr(h, "<title>a&lt;b</title>") != NULL);
    SL_CHECK(t, strstr(h, "<svg class=\"qr\"") != NULL);
    SL_CHECK(t, strstr(h, "data:image/png;base64,") != NULL);
    SL_CHECK(t, strstr(h, "80mm") != NULL);
    sl__free(h);
    SL_CHECK(t, sl__doc_html(d, SL_DOC_A4, NULL, &h, &n) == SL_OK);
    SL_CHECK(t, strstr(h, "size:A4") != NULL);
    sl__free(h);
    sl__doc_free(d);
}

SL_TEST(print, pdf_a4_and_receipt)
{
    sl__doc *d = sample();
    uint8_t *p = NULL;
    size_t n = 0;
    SL_CHECK(t, sl__doc_pdf(d, SL_DOC_A4, &p, &n) == SL_OK);
    SL_CHECK(t, n > 1000 && memcmp(p, "%PDF-", 5) == 0);
    SL_CHECK(t, contains(p, n, "595.28 841.89"));
    /* the CJK text used the Noto CJK font (fonts-noto-cjk) */
    SL_CHECKF(t, contains(p, n, "NotoSansCJK") || contains(p, n, "Noto Sans CJK"),
              "no Noto CJK font embedded (is fonts-noto-cjk installed?)");
    sl__free(p);
    SL_CHECK(t, sl__doc_pdf(d, SL_DOC_RECEIPT80, &p, &n) == SL_OK);
    SL_CHECK(t, n > 1000 && memcmp(p, "%PDF-", 5) == 0);
    SL_CHECK(t, contains(p, n, "/MediaBox [ 0 0 226.77"));
    SL_CHECK(t, !contains(p, n, "841.89"));
    sl__free(p);
    sl__doc_free(d);
}

SL_TEST(print, bad_input_refused)
{
    sl__doc *d = NULL;
    SL_CHECK(t, sl__doc_new(&d) == SL_OK);
    SL_CHECK(t, sl__doc_text(d, SL_DOC_BODY, "\xff\xfe") == SL_ERR_PRINT_INPUT);
    SL_CHECK(t, sl__doc_text(d, SL_DOC_BODY, NULL) == SL_ERR_PRINT_INPUT);
    SL_CHECK(t, sl__doc_qr(d, "", NULL) == SL_ERR_PRINT_INPUT);
    uint8_t px[3] = { 0 };
    SL_CHECK(t, sl__doc_photo(d, px, 1, 1, 2) == SL_ERR_PRINT_INPUT);
    SL_CHECK(t, sl__doc_photo(d, px, 0, 1, 3) == SL_ERR_PRINT_INPUT);
    for (int i = 0; i < SL_DOC_MAX_ITEMS; i++)
        SL_CHECK(t, sl__doc_text(d, SL_DOC_SMALL, "x") == SL_OK);
    SL_CHECK(t, sl__doc_text(d, SL_DOC_SMALL, "x") == SL_ERR_PRINT_INPUT);
    uint8_t *p = NULL;
    size_t n;
    SL_CHECK(t, sl__doc_pdf(d, (enum sl_doc_format)7, &p, &n) == SL_ERR_PRINT_INPUT);
    sl__doc_free(d);
    sl__doc_free(NULL);
}
