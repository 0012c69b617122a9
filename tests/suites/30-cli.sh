#!/usr/bin/env bash
# Black-box tests of `shualian img`: good files, and bad files made here in
# a temp dir (empty, not an image, truncated, corrupt, huge declared size,
# zero size, over limits). Each case checks the exit status and the JSON
# "code" field. Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 build/shualian >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
SL=build/shualian
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0 skip=0

ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1: $2"; }
skp()  { skip=$((skip + 1)); echo "skip $1: $2"; }

# expect NAME WANT_EXIT WANT_CODE CMD...   (WANT_CODE "-" = no error object)
expect() {
  local name=$1 want_rc=$2 want_code=$3; shift 3
  local out rc code
  out=$("$@" 2>/dev/null); rc=$?
  code=$(printf '%s' "$out" | grep -o '"code":"[a-z_]*"' | head -n1 | cut -d'"' -f4)
  if [ "$rc" != "$want_rc" ]; then
    bad "$name" "exit $rc, want $want_rc (out: ${out:0:160})"
  elif [ "$want_code" != "-" ] && [ "$code" != "$want_code" ]; then
    bad "$name" "code '$code', want '$want_code'"
  elif [ "$want_code" = "-" ] && [ -n "$code" ]; then
    bad "$name" "unexpected error code '$code'"
  else
    ok "$name"
  fi
}

# jfield FILE-OR-ARGS... : prints .KEY of the JSON from `img info`
jfield() { local key=$1; shift; "$SL" img info "$@" 2>/dev/null | jq -r ".$key"; }

# --- help and usage -------------------------------------------------------
expect "img --help"          0 - $SL img --help
expect "img info --help"     0 - $SL img info --help
expect "img convert --help"  0 - $SL img convert --help
expect "img bench is not in the product" 2 usage $SL img bench --help
expect "img (no args)"       2 usage $SL img
expect "img nosuch"          2 usage $SL img nosuch
expect "info no file"        2 usage $SL img info
expect "info bad option"     2 usage $SL img info x.jpg --frobnicate 1
expect "convert bad ext"     2 usage $SL img convert x.jpg y.gif

# --- a good base image -----------------------------------------------------
GOOD=tests/data/sample1.jpg
if [ ! -f "$GOOD" ]; then
  if command -v convert >/dev/null; then
    convert -size 1920x1280 gradient:red-blue "$T/base.jpg" && GOOD=$T/base.jpg
  fi
fi
if [ ! -f "$GOOD" ]; then
  skp "good-file cases" "no tests/data/sample1.jpg and no ImageMagick"
  echo "$pass passed, $fail failed, $skip skipped"
  [ "$fail" = 0 ]; exit
fi

expect "info good jpeg" 0 - $SL img info "$GOOD"
[ "$(jfield width "$GOOD")x$(jfield height "$GOOD")" = "1920x1280" ] && ok "good jpeg size" \
  || bad "good jpeg size" "$(jfield width "$GOOD")x$(jfield height "$GOOD")"
[ "$(jfield format "$GOOD")" = jpeg ] && ok "good jpeg format" || bad "good jpeg format" "?"

# small derived files made with our own convert
expect "convert to png" 0 - $SL img convert "$GOOD" "$T/s.png" --resize 64x48
expect "convert to jpg gray" 0 - $SL img convert "$GOOD" "$T/g.jpg" --resize 40x30 --gray --quality 80
[ "$(jfield width "$T/s.png")/$(jfield channels "$T/s.png")/$(jfield format "$T/s.png")" = "64/3/png" ] \
  && ok "png info" || bad "png info" "$($SL img info "$T/s.png")"
[ "$(jfield channels "$T/g.jpg")" = 1 ] && ok "gray jpeg channels" || bad "gray jpeg channels" "?"
expect "info --gray" 0 - $SL img info "$T/s.png" --gray

# EXIF orientation 6 spliced into a JPEG: width/height swap
head -c 2 "$T/g.jpg" > "$T/o6.jpg"
printf '\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00' >> "$T/o6.jpg"
tail -c +3 "$T/g.jpg" >> "$T/o6.jpg"
[ "$(jfield orientation "$T/o6.jpg") $(jfield width "$T/o6.jpg")x$(jfield height "$T/o6.jpg")" = "6 30x40" ] \
  && ok "exif orientation 6" || bad "exif orientation 6" "$($SL img info "$T/o6.jpg")"

# --- bad files ---------------------------------------------------------------
: > "$T/empty.jpg"
echo "this is not an image" > "$T/text.jpg"
printf 'GIF89a\x01\x00\x01\x00\x00\x00\x00;' > "$T/x.gif"
size=$(stat -c %s "$GOOD")
head -c $((size / 2)) "$GOOD" > "$T/half.jpg"
head -c $((size - 2)) "$GOOD" > "$T/noeoi.jpg"
{ head -c $((size / 2)) "$GOOD"; printf '\xff\xd9'; } > "$T/halfeoi.jpg"
head -c 300 "$GOOD" > "$T/head.jpg"
psize=$(stat -c %s "$T/s.png")
head -c $((psize / 2)) "$T/s.png" > "$T/half.png"
head -c 20 "$T/s.png" > "$T/sig.png"
# IHDR with a wrong CRC
{ head -c 29 "$T/s.png"; printf '\x00\x00\x00\x00'; tail -c +34 "$T/s.png"; } > "$T/crc.png"
PNGSIG='\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d'
IEND='\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82'
printf "$PNGSIG"'\x49\x48\x44\x52\x00\x00\xea\x60\x00\x00\xea\x60\x08\x02\x00\x00\x00\x0f\xb0\xe2\x15'"$IEND" > "$T/huge.png"
printf "$PNGSIG"'\x49\x48\x44\x52\x00\x00\x00\x00\x00\x00\x00\x0a\x08\x02\x00\x00\x00\x15\x72\xc8\x23'"$IEND" > "$T/zero.png"
printf "$PNGSIG"'\x49\x48\x44\x52\x00\x00\x1f\x40\x00\x00\x1f\x40\x08\x02\x00\x00\x00\x89\x93\x3a\xa3'"$IEND" > "$T/bomb.png"
# JPEG with SOF0 dimensions patched to 60000x60000 (offset of FFC0 found with grep)
sof=$(LC_ALL=C grep -obUaP '\xff\xc0' "$T/g.jpg" | head -n1 | cut -d: -f1)
if [ -n "$sof" ]; then
  { head -c $((sof + 5)) "$T/g.jpg"; printf '\xea\x60\xea\x60'; tail -c +$((sof + 10)) "$T/g.jpg"; } > "$T/huge.jpg"
  { head -c $((sof + 5)) "$T/g.jpg"; printf '\x00\x00\x00\x28'; tail -c +$((sof + 10)) "$T/g.jpg"; } > "$T/zero.jpg"
fi

expect "missing file"        4 not_found       $SL img info "$T/nope.jpg"
expect "empty file"          3 img_empty       $SL img info "$T/empty.jpg"
expect "text file"           3 img_format      $SL img info "$T/text.jpg"
expect "gif file"            3 img_format      $SL img info "$T/x.gif"
expect "jpeg cut in half"    3 img_truncated   $SL img info "$T/half.jpg"
expect "jpeg without EOI"    3 img_truncated   $SL img info "$T/noeoi.jpg"
expect "jpeg half + EOI"     3 img_truncated   $SL img info "$T/halfeoi.jpg"
expect "jpeg header only"    3 img_truncated   $SL img info "$T/head.jpg"
expect "png cut in half"     3 img_truncated   $SL img info "$T/half.png"
expect "png cut in IHDR"     3 img_truncated   $SL img info "$T/sig.png"
expect "png IHDR bad CRC"    3 img_corrupt     $SL img info "$T/crc.png"
expect "png 60000x60000"     3 img_width       $SL img info "$T/huge.png"
expect "png zero width"      3 img_dimensions  $SL img info "$T/zero.png"
expect "png 8000x8000 bomb"  3 img_pixels      $SL img info "$T/bomb.png"
if [ -n "$sof" ]; then
  expect "jpeg 60000x60000"  3 img_width       $SL img info "$T/huge.jpg"
  expect "jpeg zero height"  3 img_dimensions  $SL img info "$T/zero.jpg"
else
  bad "jpeg SOF0" "no FFC0 marker found in $T/g.jpg"
fi
expect "over --max-bytes"    3 img_bytes       $SL img info "$GOOD" --max-bytes 1000
expect "over --max-width"    3 img_width       $SL img info "$GOOD" --max-width 1000
expect "over --max-height"   3 img_height      $SL img info "$GOOD" --max-height 1000
expect "over --max-pixels"   3 img_pixels      $SL img info "$GOOD" --max-pixels 1000000
expect "convert bad input"   3 img_truncated   $SL img convert "$T/half.jpg" "$T/out.png"
expect "convert unwritable"  4 io              $SL img convert "$T/s.png" "$T/no/such/dir/x.png"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
