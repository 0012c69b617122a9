/*
 * fuzz_png.c -- libFuzzer target for the PNG decode path (and the EXIF
 * parser). Seed corpus: scripts/fuzz_corpus.sh. Run: docs/fuzzing.md.
 *
 * libFuzzer cannot keep chunk CRCs valid, so most mutations would die at
 * the CRC check. When bit 2 of the last byte is set, the target first
 * rewrites every chunk's CRC in a copy, so the decoder proper (IHDR
 * checks, PLTE/tRNS/eXIf, zlib, filters, Adam7) sees mutated data too.
 */
#include <string.h>

#include <zlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_crcs(uint8_t *p, size_t n)
{
    size_t off = 8;
    while (off + 12 <= n) {
        size_t len = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
                     (size_t)p[off + 2] << 8 | p[off + 3];
        if (len > n - off - 12)
            break;
        uLong crc = crc32(0, p + off + 4, (uInt)(len + 4));
        uint8_t *c = p + off + 8 + len;
        c[0] = (uint8_t)(crc >> 24);
        c[1] = (uint8_t)(crc >> 16);
        c[2] = (uint8_t)(crc >> 8);
        c[3] = (uint8_t)crc;
        off += len + 12;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8 && size <= (4u << 20) && (data[size - 1] & 4)) {
        uint8_t *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, size);
        fix_crcs(copy, size);
        fuzz_decode(copy, size, SL_IMAGE_FORMAT_PNG);
        free(copy);
        return 0;
    }
    return fuzz_decode(data, size, SL_IMAGE_FORMAT_PNG);
}
