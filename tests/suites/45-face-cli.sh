#!/usr/bin/env bash
# Black-box tests of `shualian face challenge` and `shualian calib query` (no
# models needed): challenges judged on synthetic signals, calibration round
# trip (tables built by the development program, `shualian-dev calib build`).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
make -s -j2 build/shualian-dev >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
SD=build/shualian-dev

T0=1700000000000
expect "challenge new prints a challenge" 0 '"nonce":"' -- $S face challenge new --now $T0
expect "challenge new honours --actions" 0 '"action":"nod"' -- \
  $S face challenge new --now $T0 --actions nod,blink --min-steps 2 --max-steps 2
expect "challenge new refuses too few actions" 3 'invalid' -- \
  $S face challenge new --actions nod --min-steps 2
expect "challenge new refuses unknown action" 2 '' -- $S face challenge new --actions fly
expect "face without subcommand is a usage error" 2 '' -- $S face
expect "face challenge check needs files" 2 '' -- $S face challenge check

if command -v node >/dev/null; then
  for k in 1 2 3 4 5; do
    $S face challenge new --now $T0 --min-steps 3 --max-steps 4 >"$tmp/c$k.json"
    node tests/tools/face_signals.js "$tmp/c$k.json" pass >"$tmp/s$k.json"
    expect "random challenge $k passes when performed" 0 '"pass":true' -- \
      $S face challenge check --challenge "$tmp/c$k.json" --signals "$tmp/s$k.json"
  done
  $S face challenge new --now $T0 --actions turn_left,open_mouth,nod --min-steps 3 --max-steps 3 >"$tmp/c.json"
  for m in swap:action_wrong_order identity:identity_switch late:action_too_late \
           noface:no_face spoof:spoof; do
    node tests/tools/face_signals.js "$tmp/c.json" "${m%%:*}" >"$tmp/s.json"
    expect "challenge fails: ${m%%:*}" 1 "\"${m#*:}\"" -- \
      $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/s.json"
  done
  node tests/tools/face_signals.js "$tmp/c.json" pass >"$tmp/s.json"
  expect "opposite yaw convention fails the turn" 1 '"pass":false' -- \
    $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/s.json" --yaw-sign -1
  sed 's/"nonce":"[^"]*"/"nonce":"short"/' "$tmp/c.json" >"$tmp/bad.json"
  expect "malformed challenge is refused" 3 'challenge_format' -- \
    $S face challenge check --challenge "$tmp/bad.json" --signals "$tmp/s.json"
  echo '{"frames":[{"t_ms":2,"face":false},{"t_ms":1,"face":false}]}' >"$tmp/dec.json"
  expect "decreasing frame times are refused" 3 'challenge_format' -- \
    $S face challenge check --challenge "$tmp/c.json" --signals "$tmp/dec.json"
else
  skip=$((skip + 1)); echo "skip challenge checks: node not found"
fi

# calibration: scores -> table -> queries
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) print 0.45 + 0.4 * rand() }' >"$tmp/g.txt"
awk 'BEGIN { srand(8); for (i = 0; i < 30000; i++) print 0.35 * rand() * rand() }' >"$tmp/i.txt"
expect "calib build" 0 '"far":0.001' -- \
  $SD calib build --genuine "$tmp/g.txt" --impostor "$tmp/i.txt" --out "$tmp/cal.json" --source test
expect "calib build --append idphoto" 0 '"mode":"idphoto"' -- \
  $SD calib build --genuine "$tmp/g.txt" --impostor "$tmp/i.txt" --out "$tmp/cal.json" --mode idphoto --append
expect "calib file has both modes" 0 '"idphoto"' -- cat "$tmp/cal.json"
expect "calib query --far" 0 '"threshold"' -- $S calib query --calib "$tmp/cal.json" --far 1e-3
expect "calib query high score matches" 0 '"match":true' -- \
  $S calib query --calib "$tmp/cal.json" --score 0.8 --threshold far:1e-3
expect "calib query low score does not match" 1 '"match":false' -- \
  $S calib query --calib "$tmp/cal.json" --score 0.05 --threshold far:1e-3
expect "calib query refuses a bare threshold number (far:X or raw:X)" 2 '' -- \
  $S calib query --calib "$tmp/cal.json" --score 0.8 --threshold 0.35
expect "calib query default threshold is far:1e-3" 0 '"match":true' -- \
  $S calib query --calib "$tmp/cal.json" --score 0.8
expect "calib query unknown mode" 4 'not_found' -- \
  $S calib query --calib "$tmp/cal.json" --mode other --far 1e-3
expect "the product does not build tables (shualian-dev calib build does)" 2 'shualian-dev calib build' -- \
  $S calib build --genuine "$tmp/g.txt" --impostor "$tmp/i.txt" --out "$tmp/p.json"
[ ! -e "$tmp/p.json" ] && ok "shualian calib build wrote nothing" || bad "shualian calib build wrote a table"
printf '0.5\nnot-a-number\n' >"$tmp/bad.txt"
expect "calib build refuses a bad score file" 3 'line 2' -- \
  $SD calib build --genuine "$tmp/bad.txt" --impostor "$tmp/i.txt" --out "$tmp/x.json"
echo '{"format":"shualian-calibration","version":9}' >"$tmp/v9.json"
expect "calib query refuses an unknown version" 3 'face_calib_format' -- \
  $S calib query --calib "$tmp/v9.json" --far 1e-3

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
