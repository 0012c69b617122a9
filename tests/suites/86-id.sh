#!/usr/bin/env bash
# Black-box tests of verification sessions (issue 11: 实名/实人/实证, src/http/
# routes_id.c, src/id/session.c) over HTTP against the real server with the
# demo persons (share/shualian/demo/persons.json), on SQLite and on a
# throwaway PostgreSQL: each level alone and combined; refusals from real
# inputs (wrong number, wrong name, someone else's face, a dark frame, a
# blurred frame, two faces, an identity switch); replayed challenge, frames
# after the decision, an expired session on the settable clock; the actions
# and digits challenges; lockout and its release; every non-face
# alternative recorded; bank-card variants; consent missing; under 14; the
# signed result. Live frames are a person's other photos of
# ../shared/faces/dev (the first photo is the registry photo), scaled to a
# camera's size; without the photos the face tests skip visibly.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq base64 convert
SERVE_ARGS=(--threads 2 --quiet)
REQ_MAX_S=60                         # 30 frames of face checks take their time
FACES=${SL_FACES:-../shared/faces}
[ -d "$FACES/dev" ] || FACES=/work/shared/faces
export SL_FACES=$FACES
HAVE_FACES=0; [ -d "$FACES/dev/Keanu_Reeves" ] && [ -d "$M" ] && HAVE_FACES=1

has_reason() { jq -e --arg c "$1" '[.reasons[]?.code] | index($c) != null' <<<"$BODY" >/dev/null; }
rcheck() {   # NAME REASON: a refused result (200/201, passed false) with that reason
  if [ "$(jq -r .passed <<<"$BODY" 2>/dev/null)" = false ] && has_reason "$2"; then ok "$1"
  else bad "$1 (want refused with $2; status $ST)"; echo "$BODY" | jq -c 'del(.alternatives, .signature)' 2>/dev/null | head -c 600; echo; fi
}

# ---- persons (share/shualian/demo/persons.json)
JIA=330302198805126615; YI=330302199003034529; DING=330302197508153022
WU=330106198203041010; JI=330106198507091025; ZI=330302201405063015; GENG=33030219421108101X
WU_CARD=$(awk -F, '$2=="'$WU'"{print $1}' share/shualian/demo/bank.csv)
WU_PHONE=$(awk -F, '$2=="'$WU'"{print $4}' share/shualian/demo/bank.csv)

# ---- frames: a photo scaled to a camera's size (the dev photos are 150 px),
# a little moved per frame as a video would be, on a wider background
cam() { convert "$1" -filter Catrom -resize 320x320 -unsharp 0x1+1.5+0 ${3-} -gravity center -background '#808080' -extent 640x560 "$2"; }
video() {   # OUT PHOTO N [extra convert ops]: N frames of one photo, jittered
  local out=$1 src=$2 n=$3 i
  for i in $(seq 1 "$n"); do
    cam "$src" "$out.$i.jpg" "-distort SRT $((i % 3 - 1)).$((i % 5)) ${4-}"
  done
}
body() {   # FILE... -> {"frames":[...]} with t_ms 0, STEP, 2*STEP, ...
  local t=0 first=1 step=${STEP:-200}
  printf '{"frames":['
  for f in "$@"; do
    [ $first = 1 ] || printf ','; first=0
    printf '{"t_ms":%d,"image":"%s"}' $t "$(base64 -w0 "$f")"; t=$((t + step))
  done
  printf ']}'
}
prepare_frames() {
  D=$tmp/f; mkdir -p $D
  video $D/jia "$FACES/dev/Keanu_Reeves/2.jpg" 3
  video $D/ding "$FACES/dev/Madonna/2.jpg" 3
  cam "$FACES/dev/Kate_Winslet/1002.jpg" $D/other.jpg
  cam "$FACES/dev/Keanu_Reeves/2.jpg" $D/dark.jpg "-evaluate multiply 0.12"
  cam "$FACES/dev/Keanu_Reeves/2.jpg" $D/blur.jpg "-blur 0x5"
  convert "$FACES/dev_group/two_people.jpg" -resize 640x640 $D/two.jpg
  cam "$FACES/dev/Keanu_Reeves/1.jpg" $D/chip.jpg
  # a challenge's worth of frames: the same still, every 400 ms for 12 s
  for i in $(seq 1 30); do cp $D/jia.$((i % 3 + 1)).jpg $D/still.$i.jpg; done
}

frames() {   # BASE AUTH VID FILE...: posts the frames (body in a file: 30 frames are large)
  local b=$1 a=$2 v=$3; shift 3
  body "$@" >"$tmp/frames.json"
  req_at "$b" POST /v1/verifications/$v/frames "$a" "@$tmp/frames.json"
}
create() {   # BASE AUTH NUMBER NAME LEVELS LIVENESS MATTER REF [EXTRA_JSON]
  req_at "$1" POST /v1/verifications "$2" "{\"id_type\":\"resident_id\",\"id_number\":\"$3\",\"name\":\"$4\",\"levels\":$5,\"liveness\":\"$6\",\"matter\":\"$7\",\"reference\":\"$8\"${9:+,$9}}"
  VID=$(jq -r '.id // empty' <<<"$BODY")
}
ALL='["real_name","real_person","real_document"]'
CONSENT='"consent":{"face_processing":true}'

run_suite() {   # $1 label, $2 base URL
  local L=$1 B=$2
  KIOSK=$(dev kiosk); WINDOW=$(dev window); H5=$(dev h5)

  # ---- 实名 alone: pass, wrong name, unknown number, bad check digit
  create $B "$KIOSK" $JIA 示例甲 '["real_name"]' actions citizen_login $L-r1
  check "$L: 实名 alone: 201" 201
  jcheck "$L: 实名 alone passes at once, signed" '.passed == true and .levels.real_name == true and (.signature | length) > 40 and .challenge == null'
  create $B "$KIOSK" $JIA 示例乙 '["real_name"]' actions citizen_login $L-r2
  rcheck "$L: wrong name refused with its reason" name_mismatch
  jcheck "$L: a refusal says what to do (zh/en) and lists the alternatives" '(.next_step.zh | length) > 0 and (.next_step.en | length) > 0 and ([.alternatives[].method] | sort) == ["clerk_document_check","id_card_reader","identity_code"]'
  create $B "$KIOSK" 330302198805126631 示例甲 '["real_name"]' actions citizen_login $L-r3
  rcheck "$L: a number not in the registry refused" person_unknown
  create $B "$KIOSK" 330302198805126614 示例甲 '["real_name"]' actions citizen_login $L-r4
  check "$L: a bad check digit is a malformed request" 422 id_check_digit
  create $B "$KIOSK" 330302194001010010 示例丙 '["real_name"]' actions citizen_login $L-r5
  rcheck "$L: a deceased person refused" person_status

  # ---- a result is consumed once (citizen sessions consume "citizen_login")
  # the name alone (实名) opens no session: a face or a checked document does
  create $B "$KIOSK" $JIA 示例甲 '["real_name"]' actions citizen_login $L-s0
  req_at $B POST /v1/citizen/sessions "$KIOSK" "{\"verification\":$VID}"
  check "$L: a name-only verification opens no citizen session" 403 citizen_login_level
  create $B "$WINDOW" $JIA 示例甲 "$ALL" actions citizen_login $L-s1 '"method":"alternative"'
  req_at $B POST /v1/verifications/$VID/alternative "$WINDOW" '{"method":"clerk_document_check","clerk":"demo-clerk","document":"resident_id card"}'
  req_at $B POST /v1/citizen/sessions "$KIOSK" "{\"verification\":$VID}"
  check "$L: a passed verification (document checked by the clerk) opens a citizen session" 201
  req_at $B POST /v1/citizen/sessions "$KIOSK" "{\"verification\":$VID}"
  check "$L: the same verification consumed twice refused" 409 id_verification_used
  create $B "$KIOSK" $JIA 示例乙 '["real_name"]' actions citizen_login $L-s2
  req_at $B POST /v1/citizen/sessions "$KIOSK" "{\"verification\":$VID}"
  check "$L: a refused verification cannot be consumed" 403 id_verification_failed
  create $B "$KIOSK" $JIA 示例甲 '["real_name"]' actions citizen_login $L-s3
  set_clock $((T0 + 11 * 60 * 1000)); sleep 1.2
  req_at $B POST /v1/citizen/sessions "$KIOSK" "{\"verification\":$VID}"
  check "$L: an expired verification cannot be consumed" 401 id_verification_expired
  set_clock $T0; sleep 1.2

  # ---- consent, liveness modes, under 14
  create $B "$KIOSK" $JIA 示例甲 "$ALL" actions citizen_login $L-c1
  check "$L: face levels without consent refused" 403 id_consent
  jcheck "$L: the consent refusal names the alternatives" '(.alternatives | length) == 3 and (.zh | test("身份证"))'
  create $B "$H5" $JIA 示例甲 "$ALL" actions citizen_login $L-c2 "$CONSENT"
  check "$L: phone frames without remote_frames consent refused" 403 id_consent
  create $B "$KIOSK" $JIA 示例甲 "$ALL" none citizen_login $L-c3 "$CONSENT"
  check "$L: liveness none from a kiosk refused" 403 id_liveness_mode
  create $B "$KIOSK" $JIA 示例甲 "$ALL" passive hj.goufang_qianru $L-c4 "$CONSENT"
  check "$L: passive where the matter does not allow it refused" 403 id_liveness_mode
  create $B "$WINDOW" $ZI 示例子 "$ALL" actions citizen_login $L-c5 "$CONSENT"
  check "$L: under 14 without a guardian refused" 403 id_guardian_required
  jcheck "$L: under-14 refusal names the alternative" '.alternatives | length == 3'
  create $B "$WINDOW" $ZI 示例子 "$ALL" actions citizen_login $L-c6 "\"consent\":{\"face_processing\":true,\"guardian\":{\"name\":\"示例甲\",\"id_number\":\"$JIA\",\"relation\":\"father\"}}"
  check "$L: under 14 with a guardian's consent: session" 201

  # ---- bank card (seed 002): with 实名 alone, decided at once
  create $B "$KIOSK" $WU 示例戊 '["real_name"]' actions company_filing $L-b1 "\"bank_card\":{\"card\":\"$WU_CARD\",\"phone\":\"$WU_PHONE\"}"
  jcheck "$L: bank card confirmed: factor passed" '.passed == true and .factors.bank_card == true'
  create $B "$KIOSK" $WU 示例戊 '["real_name"]' actions company_filing $L-b2 "\"bank_card\":{\"card\":\"$WU_CARD\",\"phone\":\"13900000000\"}"
  rcheck "$L: bank card with another phone refused" bank_card_mismatch
  create $B "$KIOSK" $WU 示例戊 '["real_name"]' actions company_filing $L-b3 "\"bank_card\":{\"card\":\"6222021000000000018\",\"phone\":\"$WU_PHONE\"}"
  rcheck "$L: bank card failing Luhn refused" bank_card_invalid
  create $B "$KIOSK" $JI 示例己 '["real_name"]' actions company_filing $L-b4 "\"bank_card\":{\"card\":\"$WU_CARD\",\"phone\":\"$WU_PHONE\"}"
  rcheck "$L: someone else's card refused" bank_card_mismatch

  # ---- lockout: 5 failures lock the document, the clock releases it
  for i in 1 2 3 4 5; do create $B "$KIOSK" $DING 示例甲 '["real_name"]' actions citizen_login $L-l$i; done
  rcheck "$L: fifth failure still a refusal" name_mismatch
  create $B "$KIOSK" $DING 示例丁 '["real_name"]' actions citizen_login $L-l6
  check "$L: document locked after 5 failures (even with the right name)" 403 id_locked
  jcheck "$L: lock says when to retry" '.retry_after > 0 and (.alternatives | length) == 3'
  set_clock $((T0 + 16 * 60 * 1000)); sleep 1.2
  create $B "$KIOSK" $DING 示例丁 '["real_name"]' actions citizen_login $L-l7
  jcheck "$L: released after the lock time" '.passed == true'
  set_clock $T0; sleep 1.2

  # ---- alternatives (no face, no face consent)
  create $B "$WINDOW" $JIA 示例甲 "$ALL" actions window_service $L-a1 '"method":"alternative"'
  jcheck "$L: alternative session awaits the alternative" '.status == "awaiting_alternative"'
  req_at $B POST /v1/verifications/$VID/alternative "$WINDOW" '{"method":"clerk_document_check","clerk":"demo-clerk","document":"resident_id card"}'
  jcheck "$L: clerk document check recorded" '.passed == true and .method == "clerk_document_check" and (.vouched_by | test("demo-clerk"))'
  create $B "$WINDOW" $JIA 示例甲 "$ALL" actions window_service $L-a2 '"method":"alternative"'
  req_at $B POST /v1/verifications/$VID/alternative "$WINDOW" "{\"method\":\"id_card_reader\",\"card\":{\"id_number\":\"$YI\",\"name\":\"示例乙\"}}"
  rcheck "$L: ID card of another document refused" card_mismatch
  create $B "$WINDOW" $JIA 示例甲 "$ALL" actions window_service $L-a3 '"method":"alternative"'
  req_at $B POST /v1/verifications/$VID/alternative "$WINDOW" '{"method":"identity_code","code":"SLID1.AAAA"}'
  rcheck "$L: a bad identity code refused" id_code_invalid
  create $B "$KIOSK" $JIA 示例甲 "$ALL" actions window_service $L-a4 '"method":"alternative"'
  check "$L: alternatives only at a window" 403 id_liveness_mode
  create $B "$WINDOW" $JIA 示例甲 "$ALL" actions window_service $L-a5 '"method":"alternative"'
  PID_JIA=$(jq -r .person_id <<<"$BODY")
  req_at $B POST /v1/id-codes "$H5" "{\"person\":\"$PID_JIA\"}"
  IDCODE=$(jq -r '.code // empty' <<<"$BODY")
  req_at $B POST /v1/verifications/$VID/alternative "$WINDOW" "{\"method\":\"identity_code\",\"code\":\"$IDCODE\"}"
  jcheck "$L: identity code recorded" '.passed == true and .method == "identity_code"'

  if [ $HAVE_FACES = 0 ]; then
    echo "skip $L: face tests (no $FACES/dev or no models)"; skip=$((skip + 1)); return
  fi
  # ---- the face: 实人 + 实证 pass (passive, window; matter keeps the best frame)
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-f1 "$CONSENT"
  check "$L: passive session at a window" 201
  frames $B "$WINDOW" $VID $D/jia.1.jpg $D/jia.2.jpg $D/jia.3.jpg
  check "$L: frames answered" 200
  jcheck "$L: 实名+实人+实证 pass with the person's own frames" '.passed == true and .levels.real_person == true and .levels.real_document == true and .liveness_verdict == "live"'
  jcheck "$L: 实证 on the fused frames at the calibrated threshold" '.calibration == "idphoto_fused" and .frames.fused == 3 and .score > .threshold and .far < 0.01'
  jcheck "$L: best frame kept as the catalogue entry says" '.best_frame_kept.reason == "catalogue" and .best_frame_kept.retention_days == 30'
  GOOD=$VID
  frames $B "$WINDOW" $VID $D/jia.1.jpg
  check "$L: frames for a decided session refused" 409 id_session_done
  req_at $B GET /v1/verifications/$GOOD "$WINDOW"
  jcheck "$L: GET returns the signed result" '.passed == true and .result.id == '$GOOD' and (.signature | length) > 40 and (.result_json | fromjson | .passed) == true'
  req_at $B GET /v1/verifications/$GOOD "$KIOSK"
  check "$L: another device cannot read it" 404

  # ---- each face level alone
  create $B "$WINDOW" $JIA 示例甲 '["real_document"]' none bdc.buzheng $L-f2 "$CONSENT"
  frames $B "$WINDOW" $VID $D/jia.1.jpg $D/jia.2.jpg $D/jia.3.jpg
  jcheck "$L: 实证 alone" '.passed == true and (.levels | keys) == ["real_document"]'
  create $B "$WINDOW" $JIA 示例甲 '["real_person"]' passive bdc.buzheng $L-f3 "$CONSENT"
  frames $B "$WINDOW" $VID $D/jia.1.jpg $D/jia.2.jpg
  jcheck "$L: 实人 alone (passive)" '.passed == true and (.levels | keys) == ["real_person"]'
  create $B "$WINDOW" $JIA 示例甲 '["real_name","real_person"]' none bdc.buzheng $L-f4 "\"clerk\":\"demo-clerk\""
  jcheck "$L: 实人 vouched by the clerk at a window (liveness none) recorded" '.passed == true and .method == "clerk_vouched" and (.vouched_by | test("demo-clerk"))'

  # ---- refusals from real inputs (a 实名 pass in between resets the failure count)
  reset_jia() { create $B "$KIOSK" $JIA 示例甲 '["real_name"]' actions citizen_login $L-ok$RANDOM; }
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-x1 "$CONSENT"
  frames $B "$WINDOW" $VID $D/other.jpg
  rcheck "$L: someone else's face refused" face_mismatch
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-x2 "$CONSENT"
  frames $B "$WINDOW" $VID $D/dark.jpg
  rcheck "$L: a dark frame refused: too dark" too_dark
  reset_jia
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-x3 "$CONSENT"
  frames $B "$WINDOW" $VID $D/blur.jpg
  rcheck "$L: a blurred frame refused: blurred" blurred
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-x4 "$CONSENT"
  frames $B "$WINDOW" $VID $D/two.jpg
  rcheck "$L: two faces refused: several faces" several_faces
  reset_jia
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-x5 "$CONSENT"
  frames $B "$WINDOW" $VID $D/jia.1.jpg $D/jia.2.jpg $D/ding.1.jpg $D/ding.2.jpg
  rcheck "$L: identity switch within a session refused" identity_switch
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-x6 "$CONSENT"
  set_clock $((T0 + 11 * 60 * 1000)); sleep 1.2
  frames $B "$WINDOW" $VID $D/jia.1.jpg
  rcheck "$L: an expired session refused" session_expired
  set_clock $T0; sleep 1.2
  reset_jia
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-x7 "$CONSENT"
  req_at $B POST /v1/verifications/$VID/frames "$WINDOW" '{"frames":[{"t_ms":0,"image":"bm90IGFuIGltYWdl"}]}'
  check "$L: a frame that is not an image: 4xx, not a crash" 422
  frames $B "$WINDOW" $VID $D/jia.1.jpg
  jcheck "$L: a malformed upload does not spend the challenge" '.passed == true'

  # ---- challenges: actions and digits (stills cannot act: refused, with reasons)
  create $B "$KIOSK" $JIA 示例甲 "$ALL" actions citizen_login $L-h1 "$CONSENT"
  jcheck "$L: actions challenge: nonce, 2-3 steps with prompts" '(.challenge.nonce | length) == 22 and (.challenge.steps | length) >= 2 and (.challenge.steps[0].prompt.zh | length) > 0'
  STEP=400 frames $B "$KIOSK" $VID $D/still.*.jpg
  rcheck "$L: actions not performed by a still photo: liveness failed" liveness_failed
  jcheck "$L: the challenge's own reasons are given" '[.reasons[].code] | index("action_not_done") != null or index("not_done") != null or length > 1'
  STEP=400 frames $B "$KIOSK" $VID $D/still.*.jpg
  check "$L: the challenge replayed: refused" 409 id_session_done
  reset_jia
  create $B "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng $L-h3 "$CONSENT"
  body $D/jia.1.jpg $D/jia.2.jpg >"$tmp/two.json"
  local cp=()
  for n in 1 2; do
    curl -s -o "$tmp/c$n" -w '%{http_code}' -m 60 -H "Authorization: $WINDOW" -H 'Content-Type: application/json' \
      --data-binary "@$tmp/two.json" "$B/v1/verifications/$VID/frames" >"$tmp/s$n" &
    cp+=($!)
  done
  wait "${cp[@]}"
  [ "$(cat $tmp/s1 $tmp/s2 | tr -d '\n' | grep -o 200 | wc -l)" = 1 ] && grep -qE 'id_nonce_used|id_session_done' $tmp/c1 $tmp/c2 \
    && ok "$L: one challenge uploaded twice at once: exactly one decides, the other is a replay" \
    || bad "$L: concurrent uploads: $(cat $tmp/s1) $(cat $tmp/s2)"
  reset_jia
  create $B "$KIOSK" $JIA 示例甲 "$ALL" digits citizen_login $L-h2 "$CONSENT"
  jcheck "$L: digits challenge: digits to read aloud" '[.challenge.steps[] | select(.action == "read_digits") | .digits | test("^[0-9]{4}$")] == [true]'
  STEP=400 frames $B "$KIOSK" $VID $D/still.*.jpg
  rcheck "$L: digits not read (no mouth movement): refused" liveness_failed
}

[ $HAVE_FACES = 1 ] && prepare_frames
if serve_start sqlite ""; then run_suite sqlite "$B_sqlite"; serve_stop sqlite
else bad "sqlite: server did not start"; serve_kill sqlite; fi

if pg_start; then
  set_clock $T0
  if SERVE_DATA=$tmp/pg serve_start pga "$PG_URL" && SERVE_DATA=$tmp/pg serve_start pgb "$PG_URL"; then
    serve_use pga
    run_suite pg "$B_pga"
    # a session's frames are single-use across nodes
    if [ $HAVE_FACES = 1 ]; then
      WINDOW=$(dev window)
      create "$B_pga" "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng pg-n1 "$CONSENT"
      frames "$B_pga" "$WINDOW" $VID $D/jia.1.jpg
      check "pg: frames on node A" 200
      frames "$B_pgb" "$WINDOW" $VID $D/jia.1.jpg
      check "pg: the same session's frames on node B refused" 409 id_session_done
      # one challenge uploaded at A and at B at once: exactly one decides
      create "$B_pga" "$WINDOW" $JIA 示例甲 "$ALL" passive bdc.buzheng pg-n2 "$CONSENT"
      body $D/jia.1.jpg $D/jia.2.jpg >"$tmp/two.json"
      curl -s -o "$tmp/c1" -w '%{http_code}' -m 60 -H "Authorization: $WINDOW" -H 'Content-Type: application/json' \
        --data-binary "@$tmp/two.json" "$B_pga/v1/verifications/$VID/frames" >"$tmp/s1" & q1=$!
      curl -s -o "$tmp/c2" -w '%{http_code}' -m 60 -H "Authorization: $WINDOW" -H 'Content-Type: application/json' \
        --data-binary "@$tmp/two.json" "$B_pgb/v1/verifications/$VID/frames" >"$tmp/s2" & q2=$!
      wait $q1 $q2
      [ "$(cat $tmp/s1 $tmp/s2 | grep -o 200 | wc -l)" = 1 ] && grep -qE 'id_nonce_used|id_session_done' $tmp/c1 $tmp/c2 \
        && ok "pg: one challenge at node A and node B at once: exactly one decides" \
        || bad "pg: concurrent uploads on two nodes: $(cat $tmp/s1) $(cat $tmp/s2)"
    fi
    KIOSK=$(dev kiosk)
    for i in 1 2 3 4 5; do create "$B_pga" "$KIOSK" $YI 示例甲 '["real_name"]' actions citizen_login pg-l$i; done
    create "$B_pgb" "$KIOSK" $YI 示例乙 '["real_name"]' actions citizen_login pg-l6
    check "pg: a lock made on node A holds on node B" 403 id_locked
    serve_stop pga; serve_stop pgb
  else bad "pg: servers did not start"; serve_kill pga; serve_kill pgb; fi
else
  echo "skip pg: $PG_SKIP"; skip=$((skip + 1))
fi
serve_done
