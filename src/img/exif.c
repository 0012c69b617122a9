/*
 * exif.c -- the one EXIF field we need: orientation (tag 0x0112 in IFD0).
 *
 * Input is untrusted. TIFF layout (offsets relative to the TIFF header):
 *   0  "II" (little-endian) or "MM" (big-endian)   2  42 (u16)
 *   4  offset of IFD0 (u32)
 *   IFD: count (u16), count x 12-byte entries, next-IFD offset (u32)
 *   entry: tag (u16) type (u16) count (u32) value-or-offset (4 bytes)
 * Orientation is type SHORT (3), count 1, the value in the first two bytes
 * of the value field. Every read is bounds-checked against len; a
 * malformed structure means "no orientation" (1), never an error: the
 * pixels are still good.
 */
#include <string.h>

#include "img.h"

static uint32_t rd16(const uint8_t *p, bool le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8
              : (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

static uint32_t rd32(const uint8_t *p, bool le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                    (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

uint32_t sl__exif_orientation_tiff(const uint8_t *tiff, size_t len)
{
    bool le;
    if (!tiff || len < 8)
        return 1;
    if (tiff[0] == 'I' && tiff[1] == 'I')
        le = true;
    else if (tiff[0] == 'M' && tiff[1] == 'M')
        le = false;
    else
        return 1;
    if (rd16(tiff + 2, le) != 42)
        return 1;
    uint32_t ifd = rd32(tiff + 4, le);
    if (ifd < 8 || (size_t)ifd > len || len - ifd < 2)
        return 1;
    uint32_t n = rd16(tiff + ifd, le);
    size_t avail = (len - ifd - 2) / 12;
    if (n > avail)
        n = (uint32_t)avail;            /* read what is there */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = tiff + ifd + 2 + (size_t)i * 12;
        if (rd16(e, le) != 0x0112)
            continue;
        if (rd16(e + 2, le) != 3 || rd32(e + 4, le) != 1)
            return 1;
        uint32_t v = rd16(e + 8, le);
        return v >= 1 && v <= 8 ? v : 1;
    }
    return 1;
}

uint32_t sl__exif_orientation_app1(const uint8_t *p, size_t len)
{
    if (!p || len < 6 || memcmp(p, "Exif\0\0", 6) != 0)
        return 1;
    return sl__exif_orientation_tiff(p + 6, len - 6);
}
