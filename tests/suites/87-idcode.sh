#!/usr/bin/env bash
# Black-box tests of identity codes (网证, src/id/idcode.h) and kiosk login
# (扫码 / 亮码) over HTTP against the real server, on SQLite and on a
# throwaway PostgreSQL: issue + QR, verify by text and by camera frame,
# replay, tampering, expiry on the settable clock, purpose and hall,
# identity disclosed only with a matter, two kiosks presenting one code at
# once (exactly one succeeds), kiosk login approved once + SSE + expiry;
# on PostgreSQL two server processes: a code used on node A is refused on
# node B, and one code at A and B at once gives exactly one success.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq base64 convert
SERVE_ARGS=(--threads 4)

issue() {   # BASE PERSON [PURPOSE] -> CODE (and BODY)
  req_at "$1" POST /v1/id-codes "$H5" "{\"person\":\"$2\",\"purpose\":\"${3:-identify}\"}"
  CODE=$(jq -r '.code // empty' <<<"$BODY")
}

run_suite() {   # $1 label, $2 base URL
  local L=$1 B=$2
  KIOSK=$(dev kiosk); WINDOW=$(dev window); H5=$(dev h5); AUDITOR=$(staff auditor)
  # ---- issue
  issue $B p_demo_1
  check "$L: the phone channel gets a code" 201
  [[ $CODE == SLID1.* ]] && [ ${#CODE} = 176 ] && ok "$L: code is SLID1. + 170 base64url" || bad "$L: code shape: $CODE"
  grep -q p_demo_1 <<<"$CODE$(jq -r .subject <<<"$BODY")" && bad "$L: the code shows the person" || ok "$L: no plaintext identity in code or subject"
  [ "$(jq -r '.qr_svg | startswith("<svg")' <<<"$BODY")" = true ] && ok "$L: QR as SVG" || bad "$L: QR SVG"
  jq -r .qr_png <<<"$BODY" | base64 -d >"$tmp/qr.png" 2>/dev/null
  [ "$(head -c 4 "$tmp/qr.png" | od -An -c | tr -d ' ')" = "211PNG" ] && ok "$L: QR as PNG" || bad "$L: QR PNG"
  local sub1; sub1=$(jq -r .subject <<<"$BODY")
  req_at $B POST /v1/id-codes "$KIOSK" '{"person":"p_demo_1"}'
  check "$L: a kiosk cannot issue codes" 403
  # ---- verify (亮码 by scanner text): pseudonym only without a matter
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$CODE\"}"
  check "$L: kiosk verifies the code" 200
  [ "$(jq -r .subject <<<"$BODY")" = "$sub1" ] && [ "$(jq -r .person <<<"$BODY")" = null ] \
    && ok "$L: kiosk gets the pseudonym, not the person" || bad "$L: kiosk disclosure: $BODY"
  req_at $B POST /v1/id-codes/verify "$WINDOW" "{\"code\":\"$CODE\",\"matter\":\"000\"}"
  check "$L: replayed code refused" 409 idcode_used
  # ---- window with a matter learns the person; the use is on the person's record
  issue $B p_demo_1
  local sub2; sub2=$(jq -r .subject <<<"$BODY")
  [ "$sub1" = "$sub2" ] && ok "$L: same person, same hall, same pseudonym" || bad "$L: pseudonym changed"
  req_at $B POST /v1/id-codes/verify "$WINDOW" "{\"code\":\"$CODE\",\"matter\":\"000\"}"
  check "$L: window verifies with a matter" 200
  [ "$(jq -r .person.person_id <<<"$BODY")" = p_demo_1 ] && ok "$L: window learns the person for the matter" || bad "$L: person: $BODY"
  # ---- tampering, garbage, purpose
  issue $B p_demo_1
  local t=${CODE:0:100}; local c=${CODE:100:1}; [ "$c" = A ] && c=B || c=A
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$t$c${CODE:101}\"}"
  check "$L: altered code refused" 403 idcode_signature
  req_at $B POST /v1/id-codes/verify "$KIOSK" '{"code":"SLID1.hello"}'
  check "$L: garbage refused" 422 idcode_format
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$CODE\",\"purpose\":\"login\"}"
  check "$L: identify code refused for login" 403 idcode_purpose
  # the pseudonym is per hall: a code for another hall is refused here
  req_at $B POST /v1/id-codes "$H5" '{"person":"p_demo_1","hall":999}'
  [ "$(jq -r .subject <<<"$BODY")" != "$sub1" ] && ok "$L: another hall, another pseudonym" || bad "$L: pseudonym per hall"
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$(jq -r .code <<<"$BODY")\"}"
  check "$L: a code for another hall is refused" 403 idcode_purpose
  # ---- expiry on the test clock
  issue $B p_demo_1
  set_clock $((NOW + 60000))
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$CODE\"}"
  check "$L: code refused after 60 s" 401 idcode_expired
  # ---- 亮码 by camera frame: the server finds the QR
  issue $B p_demo_2
  jq -r .qr_png <<<"$BODY" | base64 -d >"$tmp/qr.png"
  convert "$tmp/qr.png" -bordercolor '#c8c8c8' -border 80 -resize 640x480 "$tmp/frame.jpg"
  printf '{"image":"%s"}' "$(base64 -w0 "$tmp/frame.jpg")" >"$tmp/frame.json"
  req_at $B POST /v1/id-codes/verify "$KIOSK" @"$tmp/frame.json"
  check "$L: code read from a JPEG camera frame" 200
  convert -size 320x240 xc:'#808080' "$tmp/blank.png"
  printf '{"image":"%s"}' "$(base64 -w0 "$tmp/blank.png")" >"$tmp/blank.json"
  req_at $B POST /v1/id-codes/verify "$KIOSK" @"$tmp/blank.json"
  check "$L: frame without a QR" 404 idcode_no_qr
  # ---- two kiosks present the same code at once: exactly one succeeds
  for i in 1 2 3; do
    issue $B p_demo_3
    curl -s -o /dev/null -w '%{http_code}\n' -m 20 -H "Authorization: $KIOSK" -H 'Content-Type: application/json' \
      --data-binary "{\"code\":\"$CODE\"}" $B/v1/id-codes/verify >"$tmp/r1" &
    local p1=$!
    curl -s -o /dev/null -w '%{http_code}\n' -m 20 -H "Authorization: $WINDOW" -H 'Content-Type: application/json' \
      --data-binary "{\"code\":\"$CODE\"}" $B/v1/id-codes/verify >"$tmp/r2" &
    wait $p1 $!
    local got; got=$(cat "$tmp/r1" "$tmp/r2" | sort | tr '\n' ' ')
    [ "$got" = "200 409 " ] && ok "$L: one code at two devices at once, round $i: exactly one succeeds" \
      || bad "$L: concurrent presentation round $i: $got"
  done
  # ---- 扫码: kiosk login session, phone approves once, kiosk learns it
  req_at $B POST /v1/kiosk/logins "$KIOSK"
  check "$L: kiosk opens a login session" 201
  local lid qr; lid=$(jq -r .id <<<"$BODY"); qr=$(jq -r .qr_text <<<"$BODY")
  [ "$(jq -r '.qr_svg | startswith("<svg")' <<<"$BODY")" = true ] && ok "$L: login QR as SVG" || bad "$L: login QR"
  curl -s -N -m 6 -H "Authorization: $KIOSK" "$B/v1/kiosk/logins/$lid/events" >"$tmp/sse" 2>/dev/null &
  local sse=$!
  sleep 0.5
  issue $B p_demo_4 identify
  req_at $B POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"$qr\",\"code\":\"$CODE\"}"
  check "$L: an identify code cannot approve a login" 403 idcode_purpose
  issue $B p_demo_4 login
  local lcode=$CODE lsub; lsub=$(jq -r .subject <<<"$BODY")
  req_at $B POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"$qr\",\"code\":\"$lcode\"}"
  check "$L: the phone approves the login" 200
  req_at $B POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"$qr\",\"code\":\"$lcode\"}"
  check "$L: the same login code again" 409 idcode_used
  issue $B p_demo_4 login
  req_at $B POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"$qr\",\"code\":\"$CODE\"}"
  check "$L: a login is approved once" 409 kiosk_login_done
  req_at $B GET /v1/kiosk/logins/$lid "$KIOSK"
  [ "$ST" = 200 ] && [ "$(jq -r .state <<<"$BODY")" = approved ] && [ "$(jq -r .subject <<<"$BODY")" = "$lsub" ] \
    && ok "$L: kiosk polls: approved, with the pseudonym" || bad "$L: poll: $ST $BODY"
  wait $sse 2>/dev/null
  grep -q '^event: approved' "$tmp/sse" && grep -q "$lsub" "$tmp/sse" && ok "$L: kiosk learns it by SSE" \
    || { bad "$L: SSE"; head -c 300 "$tmp/sse"; echo; }
  req_at $B GET /v1/kiosk/logins/$lid "$WINDOW"
  check "$L: a window cannot read a kiosk login" 403
  # expiry of the login session
  req_at $B POST /v1/kiosk/logins "$KIOSK"
  qr=$(jq -r .qr_text <<<"$BODY"); lid=$(jq -r .id <<<"$BODY")
  set_clock $((NOW + 121000))
  issue $B p_demo_4 login
  req_at $B POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"$qr\",\"code\":\"$CODE\"}"
  check "$L: an expired login session cannot be approved" 401 kiosk_login_expired
  req_at $B GET /v1/kiosk/logins/$lid "$KIOSK"
  [ "$(jq -r .state <<<"$BODY")" = expired ] && ok "$L: kiosk polls: expired" || bad "$L: poll expired: $BODY"
  req_at $B POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"SLKL1.AAAAAAAAAAAAAAAAAAAAAA\",\"code\":\"$CODE\"}"
  check "$L: unknown login session" 404
  # ---- the phone's 扫一扫 (web/h5/scan.js) and 亮码 login (web/kiosk)
  req_at $B POST /v1/kiosk/logins "$KIOSK"
  jq -r .qr_png <<<"$BODY" | base64 -d >"$tmp/klogin.png"
  qr=$(jq -r .qr_text <<<"$BODY")
  printf '{"image":"%s"}' "$(base64 -w0 "$tmp/klogin.png")" >"$tmp/kscan.json"
  req_at $B POST /v1/kiosk/logins/scan "$H5" "@$tmp/kscan.json"
  [ "$ST" = 200 ] && [ "$(jq -r .login <<<"$BODY")" = "$qr" ] && [ "$(jq -r .kiosk.device <<<"$BODY")" = "$(cut -d: -f1 <<<"${KIOSK#Device }")" ] \
    && [ -n "$(jq -r '.hall.name // empty' <<<"$BODY")" ] && ok "$L: 扫一扫 frame -> the kiosk and hall to confirm" || bad "$L: scan: $ST $BODY"
  req_at $B POST /v1/kiosk/logins/scan "$KIOSK" "{\"login\":\"$qr\"}"
  check "$L: a kiosk cannot use the phone's scan" 403
  req_at $B POST /v1/kiosk/logins/scan "$H5" '{"login":"SLID1.nope"}'
  check "$L: scan of a QR that is no kiosk login" 422 idcode_format
  set_clock $((NOW + 242000))
  req_at $B POST /v1/kiosk/logins/scan "$H5" "{\"login\":\"$qr\"}"
  check "$L: scan of an expired kiosk login" 401 kiosk_login_expired
  issue $B p_demo_4
  req_at $B POST /v1/id-codes/verify "$WINDOW" "{\"code\":\"$CODE\",\"session\":true}"
  check "$L: only a kiosk logs a citizen in by 亮码" 422
  local n0; n0=$(logins_by_code $B)
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$CODE\",\"session\":true}"
  check "$L: 亮码 login needs a registry person (p_demo_4 is none)" 404
  # ---- 亮码 login of a registry person (示例辛, his phone's own code): the
  # session opening is audited as citizen.login (method identity_code) and
  # the verify as idcode.verify; a failed verify leaves no citizen.login
  altverif "$WINDOW" 330302197002151038 示例辛 citizen_login "lk-$L"
  local ph; ph=$(citizen "$VID" h5)
  [ -n "$ph" ] && ok "$L: 示例辛's phone has a citizen session" || bad "$L: citizen session for 示例辛: $VBODY"
  req_at $B POST /v1/id-codes "$ph" '{}'
  check "$L: the phone shows its own code" 201
  local code; code=$(jq -r .code <<<"$BODY")
  [ "$(logins_by_code $B)" = "$n0" ] && ok "$L: no citizen.login from the refused 亮码" || bad "$L: citizen.login after a refusal"
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$code\",\"session\":true}"
  local pid; pid=$(jq -r '.citizen.person_id // empty' <<<"$BODY")
  [ "$ST" = 200 ] && [ -n "$(jq -r '.citizen.token // empty' <<<"$BODY")" ] && [ -n "$pid" ] \
    && ok "$L: 亮码 at the kiosk opens 示例辛's citizen session" || bad "$L: 亮码 login: $ST $BODY"
  req_at $B GET "/v1/audit?action=citizen.login" "$AUDITOR"
  jq -e '[.records[] | select(.purpose == "identity_code" and .object.type == "citizen_session"
        and .id_masked == "3303**********1038" and .actor.kind == "device")] | length == 1' <<<"$BODY" >/dev/null \
    && ok "$L: the audit holds one citizen.login (identity_code) for the session opened" \
    || bad "$L: citizen.login record: $(jq -c '[.records[] | select(.purpose == "identity_code")]' <<<"$BODY" | head -c 600)"
  [ "$(logins_by_code $B)" -gt "$n0" ] && ok "$L: citizen.login records by identity code: $n0 -> $(logins_by_code $B)" \
    || bad "$L: no new citizen.login record"
  req_at $B GET "/v1/audit?action=idcode.verify" "$AUDITOR"
  jq -e --arg p "$pid" '[.records[] | select(.object.type == "person" and .object.id == $p)] | length >= 1' <<<"$BODY" >/dev/null \
    && ok "$L: the verify itself is still audited (idcode.verify on person/$pid)" || bad "$L: idcode.verify record for $pid"
  local n1; n1=$(logins_by_code $B)
  req_at $B POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$code\",\"session\":true}"
  check "$L: the same code again opens nothing" 409 idcode_used
  [ "$(logins_by_code $B)" = "$n1" ] && ok "$L: the failed verify adds no citizen.login" || bad "$L: citizen.login after a failed verify"
}

logins_by_code() {   # BASE -> how many citizen.login records name the identity code
  local ST BODY
  req_at "$1" GET "/v1/audit?action=citizen.login" "$AUDITOR"
  jq '[.records[] | select(.purpose == "identity_code")] | length' <<<"$BODY"
}

set_clock $T0
if serve_start sqlite ""; then run_suite sqlite "$B_sqlite"; serve_stop sqlite
else bad "sqlite: server did not start"; serve_kill sqlite; fi

if pg_start; then
  set_clock $T0
  if SERVE_DATA=$tmp/pg serve_start pga "$PG_URL" && SERVE_DATA=$tmp/pg serve_start pgb "$PG_URL"; then
    serve_use pga
    run_suite pg "$B_pga"
    H5=$(dev h5); KIOSK=$(dev kiosk); WINDOW=$(dev window)
    # a code used on node A is refused on node B
    issue "$B_pga" p_demo_5
    req_at "$B_pga" POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$CODE\"}"
    check "pg: node A accepts the code" 200
    req_at "$B_pgb" POST /v1/id-codes/verify "$WINDOW" "{\"code\":\"$CODE\"}"
    check "pg: node B refuses the code used on A" 409 idcode_used
    # issued on B, used on A
    issue "$B_pgb" p_demo_5
    req_at "$B_pga" POST /v1/id-codes/verify "$KIOSK" "{\"code\":\"$CODE\"}"
    check "pg: a code issued on B verifies on A" 200
    # the same code at A and B at once: exactly one succeeds
    for i in 1 2 3; do
      issue "$B_pga" p_demo_6
      curl -s -o /dev/null -w '%{http_code}\n' -m 20 -H "Authorization: $KIOSK" -H 'Content-Type: application/json' \
        --data-binary "{\"code\":\"$CODE\"}" "$B_pga/v1/id-codes/verify" >"$tmp/r1" &
      p1=$!
      curl -s -o /dev/null -w '%{http_code}\n' -m 20 -H "Authorization: $WINDOW" -H 'Content-Type: application/json' \
        --data-binary "{\"code\":\"$CODE\"}" "$B_pgb/v1/id-codes/verify" >"$tmp/r2" &
      wait $p1 $!
      got=$(cat "$tmp/r1" "$tmp/r2" | sort | tr '\n' ' ')
      [ "$got" = "200 409 " ] && ok "pg: one code at node A and node B at once, round $i: exactly one succeeds" \
        || bad "pg: two-node concurrent round $i: $got"
    done
    # a kiosk login opened on A is approved on B and A sees it
    req_at "$B_pga" POST /v1/kiosk/logins "$KIOSK"
    qr=$(jq -r .qr_text <<<"$BODY"); lid=$(jq -r .id <<<"$BODY")
    issue "$B_pgb" p_demo_7 login
    req_at "$B_pgb" POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"$qr\",\"code\":\"$CODE\"}"
    check "pg: login opened on A approved on B" 200
    req_at "$B_pga" GET /v1/kiosk/logins/$lid "$KIOSK"
    [ "$(jq -r .state <<<"$BODY")" = approved ] && ok "pg: node A's kiosk polls: approved" || bad "pg: poll on A: $BODY"
    serve_stop pga; serve_stop pgb
  else
    bad "pg: servers did not start"; tail -5 "$tmp/pga.err" "$tmp/pgb.err" 2>/dev/null
  fi
else
  skip=$((skip + 1)); echo "skip PostgreSQL: $PG_SKIP"
fi

serve_done
