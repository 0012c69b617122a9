/*
 * fuzz_jpeg.c -- libFuzzer target for the JPEG decode path (and the EXIF
 * parser). Seed corpus: scripts/fuzz_corpus.sh. Run: docs/fuzzing.md.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode(data, size, SL_IMAGE_FORMAT_JPEG);
}
