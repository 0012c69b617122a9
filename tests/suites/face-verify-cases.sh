#!/usr/bin/env bash
# face-verify-cases.sh S TMP -- prints, for a fixed list of `shualian face
# verify` invocations on the six test photos (all 15 pairs, templates,
# no face, raw threshold, other FAR targets, enrol preset), the exit code
# and stdout of each, with TMP replaced by "TMP". 70-face-cli.sh compares
# this with tests/golden/face-verify.txt, recorded before the verdict moved
# from the CLI into the library (sl_face_verify): byte-identical output is
# the contract. Needs tests/data/sample1..6.jpg and ./models.
set -uo pipefail
S=$1 T=$2
D=tests/data
run() {
  local out rc
  out=$("$S" face verify "$@" 2>/dev/null); rc=$?
  printf '## %s\nexit %s\n%s\n' "$*" "$rc" "$out" | sed "s#$T#TMP#g"
}
for i in 1 2 3 4 5 6; do
  for j in 1 2 3 4 5 6; do
    [ "$i" -lt "$j" ] && run $D/sample$i.jpg $D/sample$j.jpg
  done
done
"$S" face embed $D/sample6.jpg --template "$T/s6.slft" >/dev/null
"$S" face embed $D/sample3.jpg --template "$T/s3.slft" >/dev/null
run "$T/s6.slft" $D/sample6.jpg
run $D/sample4.jpg "$T/s6.slft"
run "$T/s6.slft" "$T/s3.slft"
run "$T/s6.slft" "$T/s6.slft"
convert $D/sample1.jpg -resize 200x200 -fill black -colorize 100% "$T/black.jpg"
run "$T/black.jpg" $D/sample1.jpg
run "$T/s6.slft" "$T/black.jpg"
run $D/sample5.jpg $D/sample6.jpg --threshold raw:0.1
run $D/sample5.jpg $D/sample6.jpg --threshold far:1e-4
run $D/sample5.jpg $D/sample6.jpg --threshold far:1e-2
run $D/sample5.jpg $D/sample6.jpg --preset enrol
run $D/sample2.jpg $D/sample3.jpg --no-flip --threshold far:1e-5
