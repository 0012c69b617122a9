/*
 * crc32_shim.c -- zlib's crc32() for the aarch64 unit-test binary run under
 * qemu-user (tests/suites/16-aarch64.sh) only: the cross toolchain has no
 * arm64 zlib (no multiarch -dev packages), and the index store and the
 * templates checksum with it. Bitwise CRC-32 (IEEE 802.3, reflected,
 * polynomial 0xEDB88320), the same values as zlib; never linked into the
 * library or the programs.
 */
#include <stddef.h>

unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len);

unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len)
{
    if (!buf)
        return 0;
    unsigned long c = crc ^ 0xFFFFFFFFul;
    for (unsigned int i = 0; i < len; i++) {
        c ^= buf[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320ul & (0ul - (c & 1)));
    }
    return (c ^ 0xFFFFFFFFul) & 0xFFFFFFFFul;
}
