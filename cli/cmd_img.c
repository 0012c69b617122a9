/*
 * cmd_img.c -- `shualian img info|convert`: image files through the img
 * module (decode limits, EXIF orientation, encoders, resize). The timing
 * bench is `shualian-dev img bench` (dev/img_bench.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "shualian/image.h"

/* ============================ Shared options ============================ */

struct img_opts {
    struct sl_image_limits lim;
    bool gray;
    uint32_t rw, rh;        /* --resize, 0 = none */
    long quality;
    long runs;
};

/* Parses the options common to the subcommands; positional arguments are
 * collected into pos (at most npos). Returns -1 on success or an exit code. */
static int parse_opts(const char *cmd, int argc, char **argv, struct img_opts *o,
                      const char **pos, int npos, int *got)
{
    *got = 0;
    bool opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;           /* the rest are files, e.g. "-x.jpg" */
            continue;
        }
        if (opts_done || a[0] != '-' || a[1] == 0) {
            if (*got >= npos)
                return sl_cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*got)++] = a;
            continue;
        }
        if (strcmp(a, "--gray") == 0) {
            o->gray = true;
            continue;
        }
        if (!sl_cli_opt_known(a, "--max-bytes --max-width --max-height --max-pixels "
                                 "--quality --runs --resize"))
            return sl_cli_usage_error(cmd, "unknown option %s", a);
        if (i + 1 >= argc)
            return sl_cli_usage_error(cmd, "option %s needs a value", a);
        const char *val = argv[++i];
        if (strcmp(a, "--max-bytes") == 0 && sl_cli_parse_long(val, 1, 1L << 34, &v))
            o->lim.max_bytes = (size_t)v;
        else if (strcmp(a, "--max-width") == 0 && sl_cli_parse_long(val, 1, 65535, &v))
            o->lim.max_width = (uint32_t)v;
        else if (strcmp(a, "--max-height") == 0 && sl_cli_parse_long(val, 1, 65535, &v))
            o->lim.max_height = (uint32_t)v;
        else if (strcmp(a, "--max-pixels") == 0 &&
                 sl_cli_parse_long(val, 1, 1L << 32, &v))
            o->lim.max_pixels = (uint64_t)v;
        else if (strcmp(a, "--quality") == 0 && sl_cli_parse_long(val, 1, 100, &v))
            o->quality = v;
        else if (strcmp(a, "--runs") == 0 && sl_cli_parse_long(val, 1, 100000, &v))
            o->runs = v;
        else if (strcmp(a, "--resize") == 0) {
            char *x = strchr(val, 'x');
            char wbuf[16];
            long w, h;
            if (!x || (size_t)(x - val) >= sizeof(wbuf))
                return sl_cli_usage_error(cmd, "--resize wants WxH, got '%s'", val);
            memcpy(wbuf, val, (size_t)(x - val));
            wbuf[x - val] = 0;
            if (!sl_cli_parse_long(wbuf, 1, 65535, &w) ||
                !sl_cli_parse_long(x + 1, 1, 65535, &h))
                return sl_cli_usage_error(cmd, "--resize wants WxH, got '%s'", val);
            o->rw = (uint32_t)w;
            o->rh = (uint32_t)h;
        } else {
            return sl_cli_usage_error(cmd, "bad option or value: %s %s", a, val);
        }
    }
    return -1;
}

/* Reads and decodes path; prints the error and returns an exit code, or
 * returns -1 with *out (and *info, *nbytes) set. */
static int load(const char *what, const char *path, const struct img_opts *o,
                struct sl_image **out, struct sl_image_info *info, size_t *nbytes)
{
    uint8_t *b = NULL;
    size_t n = 0;
    /* one byte over the limit is enough for the decoder to say img_bytes */
    sl_status st = sl_file_read(path, o->lim.max_bytes + 1, &b, &n);
    if (st == SL_ERR_TOO_LARGE)
        return sl_cli_fail(SL_ERR_IMG_BYTES, what, "%s: larger than %zu bytes", path,
                           o->lim.max_bytes);
    if (st != SL_OK)        /* the CLI's messages for the other read errors */
        return sl_cli_read_fail(what, path, st, o->lim.max_bytes + 1);
    st = sl_image_decode(b, n, &o->lim, o->gray ? 1 : 0, out, info);
    sl_free(b);
    if (st != SL_OK)
        return sl_cli_fail(st, what, "%s: %s", path, sl_status_str(st));
    *nbytes = n;
    return -1;
}

/* ============================ info ====================================== */

static int img_info(int argc, char **argv)
{
    static const char help[] =
        "usage: shualian img info FILE [--gray] [--max-bytes N] [--max-width N]\n"
        "                          [--max-height N] [--max-pixels N]\n\n"
        "Decodes FILE (JPEG or PNG) with the upload limits (defaults 20 MiB,\n"
        "8192x8192, 40 Mpx) and prints what it found as JSON: width and height\n"
        "after EXIF orientation, channels of the decoded image (1 gray, 3 RGB),\n"
        "the format, the EXIF orientation applied (1..8), the stored size, bit\n"
        "depth, progressive/interlaced, alpha, palette, CMYK.\n"
        "Errors are JSON {\"error\":{\"code\":...}} on stdout with exit status 3\n"
        "(rejected input: img_truncated, img_corrupt, img_width, ...) or 4\n"
        "(cannot read the file).\n";
    if (sl_cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return SL_EXIT_OK;
    }
    struct img_opts o = { .lim = sl_image_limits_default() };
    const char *pos[1];
    int npos, rc = parse_opts("img info", argc, argv, &o, pos, 1, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1)
        return sl_cli_usage_error("img info", "expected one FILE");
    char what[300];
    snprintf(what, sizeof(what), "img info %s", pos[0]);
    struct sl_image *img = NULL;
    struct sl_image_info info;
    size_t n;
    rc = load(what, pos[0], &o, &img, &info, &n);
    if (rc >= 0)
        return rc;
    json_t *j = json_pack(
        "{s:o,s:s,s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:b,s:b,s:b,s:b,s:b}",
        "file", sl_json_text(pos[0]), "format", sl_image_format_name(info.format),
        "bytes", (json_int_t)n, "width", (int)img->width, "height", (int)img->height,
        "channels", (int)img->channels, "orientation", (int)info.orientation,
        "stored_width", (int)info.stored_width, "stored_height",
        (int)info.stored_height, "source_channels", (int)info.source_channels,
        "bit_depth", (int)info.bit_depth, "progressive", info.progressive,
        "interlaced", info.interlaced, "alpha", info.has_alpha, "palette",
        info.palette, "cmyk", info.cmyk);
    sl_image_free(img);
    if (!j)
        return sl_cli_fail(SL_ERR_NOMEM, what, NULL);
    return sl_cli_print(j);
}

/* ============================ convert =================================== */

static int img_convert(int argc, char **argv)
{
    static const char help[] =
        "usage: shualian img convert IN OUT.(png|jpg|jpeg) [--gray] [--resize WxH]\n"
        "                            [--quality Q] [--max-* N as for info]\n\n"
        "Decodes IN (EXIF orientation applied, alpha composited on white),\n"
        "optionally converts to gray (BT.601) and resizes (bilinear, area when\n"
        "shrinking more than 2x), and writes OUT in the format its extension\n"
        "names (JPEG quality Q, default 90). Prints {\"out\",\"width\",...}.\n";
    if (sl_cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return SL_EXIT_OK;
    }
    struct img_opts o = { .lim = sl_image_limits_default(), .quality = 90 };
    const char *pos[2];
    int npos, rc = parse_opts("img convert", argc, argv, &o, pos, 2, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 2)
        return sl_cli_usage_error("img convert", "expected IN and OUT");
    const char *dot = strrchr(pos[1], '.');
    bool png = dot && strcasecmp(dot, ".png") == 0;
    bool jpg = dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0);
    if (!png && !jpg)
        return sl_cli_usage_error("img convert", "OUT must end in .png, .jpg or .jpeg");
    char what[300];
    snprintf(what, sizeof(what), "img convert %s", pos[0]);
    struct sl_image *img = NULL, *rs = NULL;
    struct sl_image_info info;
    size_t n;
    uint8_t *enc = NULL;
    size_t elen = 0;
    rc = load(what, pos[0], &o, &img, &info, &n);
    if (rc >= 0)
        return rc;
    sl_status st = SL_OK;
    if (o.rw) {
        st = sl_image_resize(&rs, img, o.rw, o.rh);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, what, "resize failed");
            goto out_free;
        }
        sl_image_free(img);
        img = rs;
    }
    st = png ? sl_image_encode_png(img, -1, &enc, &elen)
             : sl_image_encode_jpeg(img, (int)o.quality, &enc, &elen);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, what, "encode failed");
        goto out_free;
    }
    st = sl_file_write(pos[1], enc, elen);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, what, "%s: cannot write", pos[1]);
        goto out_free;
    }
    rc = sl_cli_print(json_pack("{s:o,s:o,s:s,s:i,s:i,s:i,s:I,s:i}", "in",
                                sl_json_text(pos[0]), "out", sl_json_text(pos[1]),
                                "format", png ? "png" : "jpeg",
                                "width", (int)img->width, "height", (int)img->height,
                                "channels", (int)img->channels, "bytes",
                                (json_int_t)elen, "orientation",
                                (int)info.orientation));
out_free:
    sl_image_bytes_free(enc);
    sl_image_free(img);
    return rc;
}

/* ============================ Dispatch ================================== */

int cmd_img(int argc, char **argv)
{
    static const char usage[] =
        "usage: shualian img <subcommand> [<args>]\n\n"
        "subcommands:\n"
        "  info FILE               decode and print size, format, orientation\n"
        "  convert IN OUT.png|jpg  decode, optionally --gray/--resize WxH, encode\n\n"
        "Each subcommand takes --help.\n";
    if (argc < 2) {
        fputs(usage, stderr);
        return sl_cli_usage_error("img", "a subcommand is needed");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return SL_EXIT_OK;
    }
    if (strcmp(argv[1], "info") == 0)
        return img_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "convert") == 0)
        return img_convert(argc - 1, argv + 1);
    return sl_cli_usage_error("img", "unknown subcommand '%s'", argv[1]);
}
