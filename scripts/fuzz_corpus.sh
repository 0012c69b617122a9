#!/usr/bin/env bash
# fuzz_corpus.sh -- seed corpora for the decoder fuzz targets:
#   build-fuzz/corpus/fuzz_jpeg/  small JPEGs (RGB, gray, EXIF orientation,
#                                 and with ImageMagick: progressive, CMYK)
#   build-fuzz/corpus/fuzz_png/   small PNGs (RGB, gray, and with
#                                 ImageMagick: 16-bit, palette, alpha,
#                                 interlaced, 1-bit)
# Sources: tests/data/sample1.jpg through `shualian img convert`, or an
# ImageMagick gradient when the test photos are absent. Files are kept
# under ~4 KB so the fuzzer's mutations stay fast. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -j2 build/shualian >/dev/null
SL=build/shualian
J=build-fuzz/corpus/fuzz_jpeg
P=build-fuzz/corpus/fuzz_png
mkdir -p "$J" "$P"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
have_im=0
command -v convert >/dev/null && have_im=1

SRC=tests/data/sample1.jpg
if [ ! -f "$SRC" ]; then
  [ $have_im = 1 ] || { echo "fuzz_corpus: no tests/data and no ImageMagick" >&2; exit 1; }
  convert -size 64x48 gradient:red-blue "$T/src.png"
  SRC=$T/src.png
fi

conv() { $SL img convert "$SRC" "$@" >/dev/null; }
conv "$J/rgb_32x24.jpg" --resize 32x24 --quality 75
conv "$J/gray_24x16.jpg" --resize 24x16 --gray --quality 60
conv "$J/rgb_17x9.jpg" --resize 17x9 --quality 90
conv "$P/rgb_24x16.png" --resize 24x16
conv "$P/gray_13x7.png" --resize 13x7 --gray

# EXIF orientation 6 (big-endian TIFF) spliced after SOI
head -c 2 "$J/rgb_17x9.jpg" > "$J/exif6_17x9.jpg"
printf '\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00' >> "$J/exif6_17x9.jpg"
tail -c +3 "$J/rgb_17x9.jpg" >> "$J/exif6_17x9.jpg"

if [ $have_im = 1 ]; then
  B=$P/rgb_24x16.png
  convert "$B" -interlace JPEG -quality 80 "$J/progressive.jpg"
  convert "$B" -colorspace CMYK -quality 80 "$J/cmyk.jpg"
  convert "$B" -sampling-factor 1x1 -quality 80 "$J/444.jpg"
  convert "$B" -depth 16 "PNG48:$P/rgb16.png"
  convert "$B" -colors 16 "PNG8:$P/palette.png"
  convert "$B" -alpha set -channel A -evaluate set 50% "PNG32:$P/rgba.png"
  convert "$B" -interlace PNG "$P/interlaced.png"
  convert "$B" -monochrome "$P/mono.png"
  convert "$B" -colorspace Gray -alpha set "PNG:$P/gray_alpha.png" 2>/dev/null || true
else
  echo "fuzz_corpus: ImageMagick absent: only the basic seeds" >&2
fi
echo "fuzz_corpus: $(ls "$J" | wc -l) JPEG seeds in $J, $(ls "$P" | wc -l) PNG seeds in $P"
