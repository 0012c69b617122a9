#!/usr/bin/env bash
# Head pose in `shualian face quality` (docs/face.md, "Head pose: which
# source per angle"): the yaw the check uses comes from the 68 landmarks
# when they fit the face (fr_pose said 68 degrees for the near-frontal
# ../shared/faces/dev/Abel_Pacheco/1.jpg and "please face the camera"
# fired), from fr_pose when they do not (a profile); the measurements name
# their sources, distinct from the face object's fr_pose angles. Needs the
# models and tests/data; the photo from ../shared/faces skips visibly.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
M=${SL_MODELS:-models}
D=tests/data
F=${SL_FACES:-${SL_ROOT:-.}/../shared/faces}
if [ ! -f "$M/fr_pose.onnx" ] || [ ! -f "$D/sample2.jpg" ]; then
  echo "skip face pose: models ($M) or test photos ($D) absent"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi

# distinct names: the face object's fr_pose yaw/roll vs the measurements'
out=$($S face quality $D/sample1.jpg)
jq -e '.face.roll and .face.yaw and .quality.measurements.roll_eye_line
       and .quality.measurements.yaw_checked
       and (.quality.measurements | has("roll") or has("yaw") | not)' <<<"$out" >/dev/null \
  && ok "quality: roll_eye_line and yaw_checked, distinct from the face's fr_pose roll/yaw" \
  || bad "quality measurement names: $(jq -c .quality.measurements <<<"$out")"

# a profile (sample2's main face, fr_pose yaw ~83): the landmarks do not fit,
# fr_pose's yaw is used and the reason stays
expect "profile face -> off_pose_yaw" 1 '"code":"off_pose_yaw"' -- $S face quality $D/sample2.jpg

if [ -f "$F/dev/Abel_Pacheco/1.jpg" ]; then
  A=$F/dev/Abel_Pacheco/1.jpg
  for img in "$A" mirror; do
    if [ "$img" = mirror ]; then convert "$A" -flop "$tmp/abel_m.jpg"; img=$tmp/abel_m.jpg; fi
    out=$($S face quality "$img")
    jq -e '[.quality.reasons[].code] | index("off_pose_yaw") == null' <<<"$out" >/dev/null \
      && jq -e '.quality.measurements.yaw_checked | fabs < 30' <<<"$out" >/dev/null \
      && ok "near-frontal $(basename "$img"): no off_pose_yaw (yaw_checked $(jq .quality.measurements.yaw_checked <<<"$out"))" \
      || bad "near-frontal $img: $(jq -c '[.face.yaw, .quality.measurements.yaw_checked, [.quality.reasons[].code]]' <<<"$out")"
  done
  # the mirror image gives the opposite yaw (within 3 degrees)
  a=$($S face quality "$A" | jq .quality.measurements.yaw_checked)
  b=$($S face quality "$tmp/abel_m.jpg" | jq .quality.measurements.yaw_checked)
  awk -v a="$a" -v b="$b" 'BEGIN { d = a + b; exit !(d < 3 && d > -3) }' \
    && ok "mirror yaw: $a vs $b" || bad "mirror yaw: $a vs $b"
else
  skip=$((skip + 1)); echo "skip near-frontal photo: $F/dev/Abel_Pacheco/1.jpg absent"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
