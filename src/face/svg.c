/*
 * svg.c -- DET and ROC plots as standalone SVG for `shualian-dev eval`
 * (internal: eval_int.h).
 *
 * One plot per evaluation run, a few thousand points per curve: plain
 * formatted text into a capped buffer. Axes: FAR is always log10; DET puts
 * FRR on a log10 axis too, ROC puts TAR on a linear 0..1 axis.
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "face/eval_int.h"

#define SVG_MAX_BYTES (4u << 20)
#define SVG_W   640.0
#define SVG_H   540.0
#define PLOT_L   80.0    /* plot area, pixels from the left/top edges */
#define PLOT_R  610.0
#define PLOT_T   50.0
#define PLOT_B  470.0
#define LOG_FLOOR_MIN (-8)   /* lowest decade ever drawn */

static const char *const palette[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
    "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

struct axis {
    bool   log;
    double lo, hi;   /* log: decades (e.g. -6 .. 0); linear: values */
};

static double axis_pos(const struct axis *a, double v, double p0, double p1)
{
    double x;
    if (a->log) {
        double floor_v = pow(10, a->lo);
        x = log10(v > floor_v ? v : floor_v);
    } else {
        x = v;
    }
    x = SL_CLAMP(x, a->lo, a->hi);
    return p0 + (x - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

/* Lowest decade that shows every non-zero rate, clamped. */
static double low_decade(const sl__plot_curve *c, size_t nc, bool use_far)
{
    double mn = 1;
    for (size_t k = 0; k < nc; k++)
        for (size_t i = 0; i < c[k].n; i++) {
            double v = use_far ? c[k].pts[i].far : c[k].pts[i].frr;
            if (v > 0 && v < mn)
                mn = v;
        }
    double d = floor(log10(mn));
    if (d > -1)
        d = -1;
    return SL_MAX(d, (double)LOG_FLOOR_MIN);
}

static sl_status put_escaped(struct sl_buf *b, const char *s)
{
    sl_status st = SL_OK;
    for (; s && *s && st == SL_OK; s++) {
        switch (*s) {
        case '&':  st = sl_buf_append(b, "&amp;", 5); break;
        case '<':  st = sl_buf_append(b, "&lt;", 4); break;
        case '>':  st = sl_buf_append(b, "&gt;", 4); break;
        case '"':  st = sl_buf_append(b, "&quot;", 6); break;
        case '\'': st = sl_buf_append(b, "&#39;", 5); break;
        default:
            /* control characters are not allowed in XML 1.0 */
            if ((unsigned char)*s < 0x20)
                st = sl_buf_append(b, " ", 1);
            else
                st = sl_buf_append(b, s, 1);
        }
    }
    return st;
}

#define TRY(expr) do { if ((st = (expr)) != SL_OK) goto out_fail; } while (0)

static sl_status draw_axes(struct sl_buf *b, const struct axis *ax,
                           const struct axis *ay, const char *xlabel,
                           const char *ylabel)
{
    sl_status st;
    /* vertical grid: FAR decades */
    for (int d = (int)ax->lo; d <= (int)ax->hi; d++) {
        double x = axis_pos(ax, pow(10, d), PLOT_L, PLOT_R);
        TRY(sl_buf_appendf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                              "class=\"grid\"/>\n", x, PLOT_T, x, PLOT_B));
        TRY(sl_buf_appendf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                              "1e%d</text>\n", x, PLOT_B + 18, d));
    }
    if (ay->log) {
        for (int d = (int)ay->lo; d <= (int)ay->hi; d++) {
            double y = axis_pos(ay, pow(10, d), PLOT_B, PLOT_T);
            TRY(sl_buf_appendf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                  "class=\"grid\"/>\n", PLOT_L, y, PLOT_R, y));
            TRY(sl_buf_appendf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
                                  "1e%d</text>\n", PLOT_L - 6, y + 4, d));
        }
    } else {
        for (int k = 0; k <= 10; k++) {
            double y = axis_pos(ay, k / 10.0, PLOT_B, PLOT_T);
            TRY(sl_buf_appendf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                  "class=\"grid\"/>\n", PLOT_L, y, PLOT_R, y));
            TRY(sl_buf_appendf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
                                  "%.1f</text>\n", PLOT_L - 6, y + 4, k / 10.0));
        }
    }
    TRY(sl_buf_appendf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "class=\"frame\"/>\n", PLOT_L, PLOT_T, PLOT_R - PLOT_L,
                       PLOT_B - PLOT_T));
    TRY(sl_buf_appendf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                       (PLOT_L + PLOT_R) / 2, PLOT_B + 40, xlabel));
    TRY(sl_buf_appendf(b, "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" "
                          "transform=\"rotate(-90 20 %.1f)\">%s</text>\n",
                       (PLOT_T + PLOT_B) / 2, (PLOT_T + PLOT_B) / 2, ylabel));
out_fail:
    return st;
}

sl_status sl__plot_svg(char **out, size_t *len, enum sl__plot_kind kind,
                       const char *title, const sl__plot_curve *curves,
                       size_t ncurves)
{
    if (!out || !len || !curves || ncurves == 0 ||
        ncurves > SL_ARRAY_LEN(palette) ||
        (kind != SL__PLOT_DET && kind != SL__PLOT_ROC))
        return SL_ERR_INVALID;
    for (size_t k = 0; k < ncurves; k++) {
        if (!curves[k].pts && curves[k].n)
            return SL_ERR_INVALID;
        for (size_t i = 0; i < curves[k].n; i++)
            if (!(curves[k].pts[i].far >= 0 && curves[k].pts[i].far <= 1 &&
                  curves[k].pts[i].frr >= 0 && curves[k].pts[i].frr <= 1))
                return SL_ERR_INVALID;
    }
    bool det = kind == SL__PLOT_DET;
    struct axis ax = { true, low_decade(curves, ncurves, true), 0 };
    struct axis ay = det ? (struct axis){ true, low_decade(curves, ncurves, false), 0 }
                         : (struct axis){ false, 0, 1 };
    struct sl_buf b;
    sl_status st;
    sl_buf_init(&b, SVG_MAX_BYTES);
    TRY(sl_buf_appendf(&b,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
        "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
        "<style>text{font-family:sans-serif;font-size:12px;fill:#222}"
        ".grid{stroke:#ddd;stroke-width:1}"
        ".frame{fill:none;stroke:#444;stroke-width:1}"
        ".curve{fill:none;stroke-width:2}</style>\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
        SVG_W, SVG_H, SVG_W, SVG_H));
    TRY(sl_buf_appendf(&b, "<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" "
                           "style=\"font-size:15px\">", SVG_W / 2));
    TRY(put_escaped(&b, title ? title : (det ? "DET" : "ROC")));
    TRY(sl_buf_append(&b, "</text>\n", 8));
    TRY(draw_axes(&b, &ax, &ay, "false accept rate (FAR)",
                  det ? "false reject rate (FRR)" : "true accept rate (TAR)"));

    for (size_t k = 0; k < ncurves; k++) {
        const sl__plot_curve *c = &curves[k];
        TRY(sl_buf_appendf(&b, "<polyline class=\"curve\" stroke=\"%s\" points=\"",
                           palette[k]));
        for (size_t i = 0; i < c->n; i++) {
            double x = axis_pos(&ax, c->pts[i].far, PLOT_L, PLOT_R);
            double yv = det ? c->pts[i].frr : 1 - c->pts[i].frr;
            double y = axis_pos(&ay, yv, PLOT_B, PLOT_T);
            TRY(sl_buf_appendf(&b, "%s%.2f,%.2f", i ? " " : "", x, y));
        }
        TRY(sl_buf_append(&b, "\"/>\n", 4));
        /* legend, top-right for DET (curves run bottom-left), bottom-right for ROC */
        double ly = det ? PLOT_T + 18 + 18 * (double)k
                        : PLOT_B - 12 - 18 * (double)(ncurves - 1 - k);
        TRY(sl_buf_appendf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"%s\" stroke-width=\"3\"/>\n",
                           PLOT_R - 190, ly - 4, PLOT_R - 165, ly - 4, palette[k]));
        TRY(sl_buf_appendf(&b, "<text x=\"%.1f\" y=\"%.1f\">", PLOT_R - 158, ly));
        TRY(put_escaped(&b, c->label ? c->label : ""));
        TRY(sl_buf_append(&b, "</text>\n", 8));
    }
    TRY(sl_buf_append(&b, "</svg>\n", 7));
    TRY(sl_buf_terminate(&b));
    *out = (char *)sl_buf_detach(&b, len);
    return SL_OK;
out_fail:
    sl_buf_free(&b);
    return st;
}
