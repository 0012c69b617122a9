#!/usr/bin/env bash
# What a hostile new user does to the program (issue 9): file names that are
# not UTF-8, FIFOs and devices instead of files, out-of-range signals and
# scores, missing pair images, unwritable outputs, logs that are not
# terminals, and the output contract (every failure prints JSON on stdout,
# usage = exit 2, "--" ends the options). SL_BIN=path runs the cases against
# another build (build-asan/shualian, or an old binary to see them fail).
# Cases that need the models or the sample photos skip visibly without them.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
S=$(realpath "${SL_BIN:-$S}")
# eval and calib build are development tools (shualian-dev)
make -s -j2 build/shualian-dev >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
SD=$(realpath "${SL_DEV_BIN:-build/shualian-dev}")
skp() { skip=$((skip + 1)); echo "skip $1: $2"; }
T=10              # seconds: anything that waits longer is hanging

# jqexpect NAME WANT_EXIT JQ_FILTER -- command...: exit code and a jq -e test
jqexpect() {
  local name=$1 want=$2 filt=$3; shift 4
  local out rc
  out=$(timeout $T "$@" 2>"$tmp/err"); rc=$?
  if [ "$rc" = "$want" ] && [ -n "$out" ] && jq -e "$filt" >/dev/null 2>&1 <<<"$out"; then ok "$name"
  else bad "$name (exit $rc, want $want; jq '$filt')"; echo "$out" | head -c 600; echo
       head -c 600 "$tmp/err"; fi
}

SAMPLE=tests/data/sample1.jpg
have_img=0; [ -f "$SAMPLE" ] && have_img=1
have_models=0; [ -f models/fr_detect.onnx ] && [ -f models/fr_feature.onnx ] && have_models=1

# --- issue 8: the command list ----------------------------------------------
n=$($S --help | grep -c '^  img ')
[ "$n" = 1 ] && ok "--help lists img once" || bad "--help lists img $n times"

# --- 13: the output contract -------------------------------------------------
jqexpect "usage error prints JSON on stdout" 2 '.error.code == "usage"' -- $S img info
jqexpect "usage error JSON (face challenge new)" 2 '.error.code == "usage"' -- \
  $S face challenge new --min-steps 9
jqexpect "unknown option is named as such" 2 '.error.message | test("unknown option --bogus")' -- \
  $S face detect x.jpg --bogus
for c in "img info x.jpg" "calib query" "face challenge new" "face challenge check"; do
  jqexpect "unknown option named as such: $c" 2 '.error.message | test("unknown option --bogus")' -- \
    $S $c --bogus
done
jqexpect "unknown option named as such: shualian-dev calib build" 2 '.error.message | test("unknown option --bogus")' -- \
  $SD calib build --bogus
jqexpect "--backend bogus is a usage error in face" 2 '.error.code == "usage"' -- \
  $S face detect x.jpg --backend bogus
jqexpect "--backend bogus is a usage error in nn" 2 '.error.code == "usage"' -- \
  $S nn run models/fr_eye.onnx --input x.bin --backend bogus
printf 'SLFT\001garbage' >"$tmp/bad.slft"
jqexpect "a bad template is rejected input (exit 3)" 3 '.error.code == "face_template_format"' -- \
  $S face verify "$tmp/bad.slft" "$tmp/bad.slft"
if [ $have_img = 1 ]; then
  cp "$SAMPLE" "$tmp/-dash.jpg"
  jqexpect "-- ends the options (img info)" 0 '.width > 0' -- $S img info -- "$tmp/-dash.jpg"
  (cd "$tmp" && timeout $T "$S" img info -- -dash.jpg >/dev/null 2>&1) \
    && ok "-- then a relative name that starts with -" || bad "-- then -dash.jpg (relative)"
  if [ $have_models = 1 ]; then
    (cd "$tmp" && timeout 60 "$S" face detect --models "$OLDPWD/models" -- -dash.jpg \
       >"$tmp/out" 2>/dev/null); rc=$?
    [ "$rc" = 0 ] && jq -e '.face_count >= 1' "$tmp/out" >/dev/null \
      && ok "-- ends the options (face detect)" || bad "-- ends the options (face detect): exit $rc"
  fi
  if [ $have_models = 1 ]; then
    $S img convert "$SAMPLE" "$tmp/tiny.png" --resize 24x24 >/dev/null
    jqexpect "verify's no_face verdict carries zh/en" 1 \
      '.reason == "no_face" and (.zh | length > 0) and (.en | length > 0)' -- \
      $S face verify "$tmp/tiny.png" "$SAMPLE"
  fi
  echo 'not an image' >"$tmp/corrupt.jpg"
  jqexpect "a citizen-facing error carries zh/en" 3 '.error.zh != null and .error.en != null' -- \
    $S face detect "$tmp/corrupt.jpg"
else
  skp "-- and zh/en error cases" "no $SAMPLE"
fi

# --- 5: file names that are not UTF-8 (GBK) ----------------------------------
gbk=$(printf '\xd5\xc5\xc8\xfd')            # 张三 in GBK
jqexpect "missing GBK-named file: JSON not_found" 4 \
  '.error.code == "not_found" and (.error.message | contains("\ufffd"))' -- \
  $S img info "$tmp/$gbk.jpg"
if [ $have_img = 1 ]; then
  cp "$SAMPLE" "$tmp/$gbk.jpg"
  jqexpect "img info of a GBK name: escaped, not nomem" 0 '.file | endswith("\ufffd\ufffd\ufffd\ufffd.jpg")' -- \
    $S img info "$tmp/$gbk.jpg"
  if [ $have_models = 1 ]; then
    jqexpect "face detect of a GBK name" 0 '.image | contains("\ufffd")' -- \
      $S face detect "$tmp/$gbk.jpg"
    jqexpect "face verify of a GBK name: image is not null" 0 '.a.image | contains("\ufffd")' -- \
      $S face verify "$tmp/$gbk.jpg" "$SAMPLE"
  fi
fi

# --- 8: FIFOs, devices, bounded reads ----------------------------------------
mkfifo "$tmp/fifo.jpg"
jqexpect "img info refuses a FIFO without hanging" 3 '.error.code == "unsupported"' -- \
  $S img info "$tmp/fifo.jpg"
jqexpect "face detect refuses a FIFO" 3 '.error.code == "unsupported"' -- \
  $S face detect "$tmp/fifo.jpg"
jqexpect "face verify refuses a FIFO" 3 '.error.code == "unsupported"' -- \
  $S face verify "$tmp/fifo.jpg" "$tmp/fifo.jpg"
jqexpect "img info refuses a device" 3 '.error.code == "unsupported"' -- $S img info /dev/zero
if [ -f models/fr_eye.onnx ]; then
  jqexpect "nn run --input /dev/zero is refused" 3 '.error.code == "unsupported"' -- \
    $S nn run models/fr_eye.onnx --input /dev/zero
  head -c 1048576 /dev/zero >"$tmp/big.bin"
  jqexpect "nn run: a too-big input is refused by size" 3 '.error.code == "model_shape"' -- \
    $S nn run models/fr_eye.onnx --input "$tmp/big.bin"
fi
T0=1700000000000
$S face challenge new --now $T0 --min-steps 2 --max-steps 2 >"$tmp/c.json"
if [ $have_img = 1 ]; then
  for i in $(seq 5000); do printf '%d\t%s\n' "$((T0 + i * 33))" "$SAMPLE"; done >"$tmp/frames.tsv"
  jqexpect "5000 frames refused before any image is analysed" 3 '.error.code == "too_large"' -- \
    $S face challenge check --challenge "$tmp/c.json" --frames "$tmp/frames.tsv"
fi
jqexpect "challenge --signals from a FIFO is refused" 3 '.error.code == "unsupported"' -- \
  $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/fifo.jpg"

# --- 10: liveness challenge ----------------------------------------------------
jqexpect "challenge new: --min-steps 4 --max-steps 2 refused" 2 '.error.code == "usage"' -- \
  $S face challenge new --min-steps 4 --max-steps 2
frames() {   # frames FIELD VALUE T_START: 40 face frames from T_START, one field overridden
  jq -n --arg f "$1" --argjson v "$2" --argjson t0 "$3" \
    '{frames: [range(40) | {t_ms: ($t0 + . * 100), face: true, eye_open_left: 0.9,
      eye_open_right: 0.9, yaw: 0, pitch: 0, roll: 0, mouth_open: 0.05,
      similarity: 0.9, live_score: 0.9} | .[$f] = $v]}'
}
frames similarity 5.0 $((T0 + 100)) >"$tmp/s.json"
jqexpect "similarity 5.0 is refused" 3 '.error.code == "challenge_signal"' -- \
  $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/s.json"
frames live_score 7.0 $((T0 + 100)) >"$tmp/s.json"
jqexpect "live_score 7.0 is refused" 3 '.error.code == "challenge_signal"' -- \
  $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/s.json"
frames eye_open_left -0.5 $((T0 + 100)) >"$tmp/s.json"
jqexpect "eye_open -0.5 is refused" 3 '.error.code == "challenge_signal"' -- \
  $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/s.json"
frames yaw 0 $((T0 - 10000)) >"$tmp/s.json"
jqexpect "frames all before issued_at have their own reason" 1 \
  '.reasons[0].code == "frames_before_issue" and .reasons[0].zh != null and .reasons[0].en != null' -- \
  $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/s.json"

# --- 12: calib build input checks ------------------------------------------------
printf '0.6\n0.7\n5\n' >"$tmp/g5.txt"
printf '0.1\n0.2\n0.0\n' >"$tmp/i.txt"
printf '0.6\n0.7\n0.8\n' >"$tmp/g.txt"
jqexpect "calib build refuses a score of 5" 3 '.error.message | test("g5.txt: line 3")' -- \
  $SD calib build --genuine "$tmp/g5.txt" --impostor "$tmp/i.txt" --out "$tmp/c5.json"
jqexpect "calib build refuses swapped files" 3 '.error.message | test("swapped")' -- \
  $SD calib build --genuine "$tmp/i.txt" --impostor "$tmp/g.txt" --out "$tmp/cs.json"
jqexpect "calib build still builds from good files" 0 '.genuine == 3' -- \
  $SD calib build --genuine "$tmp/g.txt" --impostor "$tmp/i.txt" --out "$tmp/cg.json"

# --- 11 and 14: eval ---------------------------------------------------------------
if [ $have_img = 1 ] && [ $have_models = 1 ]; then
  mkdir -p "$tmp/faces/a" "$tmp/faces/b" "$tmp/empty"
  cp tests/data/sample1.jpg "$tmp/faces/a/1.jpg"; cp tests/data/sample2.jpg "$tmp/faces/a/2.jpg"
  cp tests/data/sample3.jpg "$tmp/faces/b/1.jpg"; cp tests/data/sample4.jpg "$tmp/faces/b/2.jpg"
  printf 'lfw_fold\tpath1\tpath2\tsame_person\n1\ta/1.jpg\ta/2.jpg\t1\n2\tb/1.jpg\tb/2.jpg\t1\n' \
    >"$tmp/faces/good.tsv"
  jqexpect "eval: a pairs file with its header line runs" 0 '.pairs == 2' -- \
    $SD eval --pairs "$tmp/faces/good.tsv" --threads 1
  printf '1\ta/1.jpg\ta/2.jpg\t1\n1\ta/1.jpg\tb/9.jpg\t0\n' >"$tmp/faces/pairs.tsv"
  jqexpect "eval: a missing pair image is an error naming it" 4 \
    '.error.code == "not_found" and (.error.message | test("b/9.jpg"))' -- \
    $SD eval --pairs "$tmp/faces/pairs.tsv" --threads 1
  jqexpect "eval: an empty --faces is refused" 3 '.error.code == "invalid"' -- \
    $SD eval --faces "$tmp/empty" --threads 1
  out=$(timeout 60 $SD eval --faces "$tmp/faces" --threads 1 --plot /nonexistent/det.svg 2>"$tmp/err"); rc=$?
  if [ "$rc" = 4 ] && ! grep -q embedding "$tmp/err"; then ok "eval: unwritable --plot refused before the run"
  else bad "eval: unwritable --plot (exit $rc)"; head -c 300 "$tmp/err"; fi
  timeout 120 $SD eval --faces "$tmp/faces" --threads 1 >"$tmp/ev.json" 2>"$tmp/ev.log"; rc=$?
  if [ "$rc" = 0 ] && ! grep -q $'\r' "$tmp/ev.log" && grep -q '^embedding: 4/4' "$tmp/ev.log"; then
    ok "eval progress into a log: plain lines, no carriage returns"
  else bad "eval progress into a log (exit $rc)"; head -c 400 "$tmp/ev.log" | od -c | head; fi
else
  skp "eval cases" "models or sample photos absent"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
