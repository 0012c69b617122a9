#!/usr/bin/env bash
# Black-box tests of the elderly allowance (高龄津贴, seed 003, issue 14)
# and of citizen sessions over HTTP: the real server on 127.0.0.1 on SQLite
# and on a throwaway PostgreSQL (lib-pg.sh), the demo hall, a copy of the
# demo shared data (so a death record can "arrive": the file is replaced),
# on the fixed test clock (time moves by writing the file, never by
# sleeping).
#   示例辛 logs in on his phone (a passed "citizen_login" verification ->
#     citizen session; GET /v1/me masked; logout ends it)
#   as his father 示例庚's proxy (relation child) he applies; the elder's
#     face is captured on the son's phone (another photo of the elder's
#     photo identity): liveness + 1:1 against the registry photo ->
#     submitted -> auto-approved (age >= 80 from the registry, no death
#     record) -> allowance active
#   a different person's face for the elder: refused; a verification of
#     another matter or a used one: refused
#   proof of life due: reminder (visible on /v1/me/allowances and to
#     staff) -> overdue -> suspended -> a new proof of life resumes it
#   a death record arrives from civil affairs -> stopped; no more proofs
# The face parts need the models, ../shared/faces, the verification routes
# (w3-idverif) and the demo registry (w3-idreg): without them they are
# skipped visibly.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq base64 convert
ELDER=33030219421108101X SON=330302197002151038 BUYER=330302198805126615
ALLOW=mz.gaoling_jintie
F=${SL_FACES:-../shared/faces}/dev
ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
T0=$(ms 2026-03-02T02:00:00Z)        # Monday 2026-03-02 10:00 in China
DAY=86400000
set_clock $T0
REQ_MAX_S=30
SERVE_CONFIG='{ "threads": 2, "rate": { "default": { "per_s": 1000, "burst": 100000 },
                          "login": { "per_s": 100, "burst": 100 } } }'
XN=0
next_exchange() {   # each node its own copy of the exchange (the suite edits it)
  XN=$((XN + 1)); XD=$tmp/exchange.$XN
  cp -r share/shualian/exchange "$XD"
  SERVE_ARGS=(--quiet --matters share/shualian/matters --shared-data "$XD")
}
next_exchange
photo() { ls "$F/$1"/*.jpg 2>/dev/null | sort -V | sed -n "$(( $2 + 1 ))p"; }
# The registry person id of a document: a 实名-only verification (no face)
person_of() {   # ID_NUMBER NAME -> PID
  req POST /v1/verifications "$KIOSK" "{\"id_type\":\"resident_id\",\"id_number\":\"$1\",\"name\":\"$2\",\"levels\":[\"real_name\"],\"liveness\":\"actions\",\"matter\":\"citizen_login\",\"reference\":\"whois\"}"
  PID=$(jq -r '.person_id // empty' <<<"$BODY"); RNV=$(jq -r '.id // empty' <<<"$BODY")
}
# citizen_login ID_NUMBER NAME -> CIT ("Bearer cit_...") or '': the kiosk
# 扫码 login -- the phone shows a login identity code of the person, the
# kiosk's login is approved with it, the kiosk's poll carries the session
citizen_login() {
  CIT=
  person_of "$1" "$2"; [ -n "$PID" ] || return 1
  req POST /v1/id-codes "$H5" "{\"person\":\"$PID\",\"purpose\":\"login\"}"
  local code; code=$(jq -r '.code // empty' <<<"$BODY")
  req POST /v1/kiosk/logins "$KIOSK"
  local lid qr; lid=$(jq -r .id <<<"$BODY"); qr=$(jq -r .qr_text <<<"$BODY")
  req POST /v1/kiosk/logins/approve "$H5" "{\"login\":\"$qr\",\"code\":\"$code\"}"
  [ "$ST" = 200 ] || return 1
  req GET "/v1/kiosk/logins/$lid" "$KIOSK"
  local tok; tok=$(jq -r '.citizen.token // empty' <<<"$BODY")
  [ -n "$tok" ] && CIT="Bearer $tok"
}

run_suite() {
  local L=$1 TA TC H5 id al
  TA="Bearer $(login admin)"; TC="Bearer $(login clerk)"
  KIOSK="Device $(jq -r .devices.kiosk.id "$CRED"):$(jq -r .devices.kiosk.key "$CRED")"
  WIN="Device $(jq -r .devices.window.id "$CRED"):$(jq -r .devices.window.key "$CRED")"
  req POST /v1/devices "$TA" "{\"class\":\"h5\",\"hall\":$(jq .hall "$CRED"),\"label\":\"son's phone\"}"
  H5="Device $(jq -r .id <<<"$BODY"):$(jq -r .key <<<"$BODY")"
  [ "$ST" = 201 ] && ok "$L: the son's phone (h5 device)" || bad "$L: h5 device $ST $BODY"

  # ---- citizen sessions: what needs no face
  req POST /v1/citizen/sessions "$H5" '{"verification":987654321}'
  check "$L: a session from an unknown verification refused" 404
  req POST /v1/citizen/sessions "$H5" '{"verification":"x1"}'
  check "$L: a session from a non-id refused" 422 http_field_value
  req POST /v1/citizen/sessions "$TC" '{"verification":1}'
  check "$L: staff cannot open citizen sessions" 403 http_forbidden
  req GET /v1/me "$H5"; check "$L: a device is not a citizen" 403 http_forbidden
  req GET /v1/me "Bearer cit_0123456789abcdef"; check "$L: an unknown citizen token" 401 acct_session
  req GET /v1/me/allowances "$TC"; check "$L: staff have no /v1/me/allowances" 403 http_forbidden
  req GET /v1/allowances "$TC"; check "$L: staff list the hall's allowances" 200
  jcheck "$L: none yet" '.allowances == []'
  req POST /v1/gov/jobs/allowances "$TA"; check "$L: the allowance job runs on demand" 200

  # ---- citizen sessions from verifications
  person_of "$SON" 示例辛
  if [ -z "$RNV" ]; then
    skip=$((skip + 1))
    echo "skip $L: the flows need the verification routes (w3-idverif) and the demo registry: $ST $(head -c 200 <<<"$BODY")"
    return 0
  fi
  req POST /v1/citizen/sessions "$KIOSK" "{\"verification\":$RNV}"
  check "$L: the name and number alone (实名) open no session" 403 citizen_login_level
  altverif "$WIN" "$SON" 示例辛 citizen_login "window-login"
  req POST /v1/citizen/sessions "$KIOSK" "{\"verification\":${VID:-0}}"
  check "$L: a citizen_login verification (document checked at a window) opens a session" 201
  jcheck "$L: session: token, person, expiry in 30 min, masked name" '(.token|startswith("cit_")) and .person_id > 0 and (.expires_at|test("Z$")) and .name != "示例辛"'
  req POST /v1/citizen/sessions "$KIOSK" "{\"verification\":${VID:-0}}"
  check "$L: the login verification is used once" 409 id_verification_used
  altverif "$WIN" "$SON" 示例辛 mz.gaoling_jintie "x1"
  req POST /v1/citizen/sessions "$KIOSK" "{\"verification\":${VID:-0}}"
  check "$L: a verification of another matter opens no session" 403 id_verification_binding
  # 示例辛 logs in at a kiosk by 扫码: his phone approves, the kiosk gets his session
  if ! citizen_login "$SON" 示例辛; then
    bad "$L: 扫码 login: $ST $(head -c 300 <<<"$BODY")"; return 0
  fi
  ok "$L: 示例辛 logs in by 扫码: the kiosk's poll carries his citizen session"
  req GET "/v1/kiosk/logins/$(jq -r .id <<<"$BODY")" "$KIOSK"
  jcheck "$L: the session is handed out once" '.citizen.state == "already_issued"'
  req GET /v1/me "$CIT"
  jcheck "$L: /v1/me: his own record, masked" '.kind == "citizen" and .id_masked == "3303**********1038" and .name != "示例辛" and (tostring|test("330302197002151038")|not)'

  # ---- the proxy application for the elder
  req POST /v1/applications "$CIT" "{\"matter\":\"hj.goufang_qianru\",\"id_number\":\"$BUYER\",\"form\":{\"reason\":\"x\"}}"
  check "$L: a citizen cannot apply for someone else without being a proxy" 403 application_forbidden
  req POST /v1/applications "$CIT" "{\"matter\":\"$ALLOW\",\"id_number\":\"$ELDER\",\"form\":{\"bank_account\":\"6222020000001234\"},\"proxy\":{\"relation\":\"child\"}}"
  check "$L: the son opens 高龄津贴 as his father's proxy" 201
  id=$(jq .id <<<"$BODY")
  jcheck "$L: proxy recorded, identified by his session" '.proxy.relation == "child" and .proxy.identified == true and .channel == "phone"'
  req POST "/v1/applications/$id/request_auth" "$CIT" '{}'; check "$L: request_auth" 200
  # the elder's face on the son's phone: first someone else's face
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "$id" "$(photo Jerry_Seinfeld 2)" passive
  [ -z "$VID" ] && [ -n "$VLAST" ] && ok "$L: a different person's face does not pass for the elder" \
    || bad "$L: another face: VID=$VID $(head -c 300 <<<"$VBODY")"
  req POST "/v1/applications/$id/submit" "$CIT" "{\"verifications\":[${VLAST:-0}],\"commitments\":[\"truthful\"]}"
  check "$L: submit with the failed verification refused" 403 id_verification_failed
  altverif "$WIN" "$ELDER" 示例庚 zm.huji_zhengming "$id"
  req POST "/v1/applications/$id/submit" "$CIT" "{\"verifications\":[${VLAST:-0}],\"commitments\":[\"truthful\"]}"
  check "$L: a verification of another matter refused" 403 id_verification_binding
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "$id" "$F/Jiang_Zemin/3.jpg" passive
  [ -n "$VID" ] && ok "$L: the elder's face (another photo of him) passes liveness + 1:1" || bad "$L: elder face: $(jq -c "[.reasons[]?.code, .liveness_verdict, .score]" <<<"$VBODY")"
  local vel=$VID
  req POST "/v1/applications/$id/submit" "$CIT" "{\"verifications\":[${VID:-0}],\"commitments\":[\"truthful\"]}"
  check "$L: submitted with the elder's verification" 200
  jcheck "$L: rules: age >= 80 (registry) and no death record" '.decision == "approve" and (.explanation.rules[] | select(.id=="age80") | .facts["applicant.age"] >= 80)'
  req POST "/v1/applications/$id/accept" "$TC" '{}'
  jcheck "$L: accepted and auto-approved" '.state == "approved"'
  req GET /v1/me/applications "$CIT"
  jcheck "$L: the son sees it as proxy" "any(.applications[]; .id == $id and .as == \"proxy\")"
  req GET "/v1/applications/$id" "$CIT"
  jcheck "$L: he reads it with its timeline and authentications" '.state == "approved" and (.authentications[0].role == "subject") and (.authentications[0].method == "face")'
  curl -s -N -m 2 -H "Authorization: $CIT" "$B/v1/applications/$id/events" >"$tmp/sse" 2>/dev/null
  grep -q '^event: ready' "$tmp/sse" && ok "$L: he follows its progress by SSE with his session" || bad "$L: citizen SSE: $(head -c 200 "$tmp/sse")"
  req GET "/v1/applications/$((id - 0))/receipt?format=json" "$CIT"
  [ "$ST" = 200 ] && ok "$L: he gets the receipt" || bad "$L: citizen receipt $ST"
  req GET /v1/me/allowances "$CIT"
  jcheck "$L: the allowance is active, next proof due in 182 days" '.allowances[0].state == "active" and .allowances[0].payment == "paying" and .allowances[0].proxy.relation == "child" and .allowances[0].as == "proxy"'
  al=$(jq '.allowances[0].id' <<<"$BODY")
  # a used verification cannot be a proof of life
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${vel:-0}}"
  check "$L: a used (application) verification is no proof of life" 403 id_verification_binding
  req POST /v1/citizen/logout "$CIT" ''; check "$L: logout" 200
  req GET /v1/me "$CIT"; check "$L: the session ended" 401 acct_session

  # ---- proof of life: reminder, overdue, suspended, resumed
  set_clock $((T0 + 153 * DAY)); TA="Bearer $(login admin)"; TC="Bearer $(login clerk)"
  req POST /v1/gov/jobs/allowances "$TA"
  jcheck "$L: 29 days before due: a reminder" '.reminded == 1 or .reminded == 0'
  req GET "/v1/allowances?state=active" "$TC"
  jcheck "$L: staff see the reminder" "any(.allowances[]; .id == $al and (.reminders|length) == 1)"
  set_clock $((T0 + 183 * DAY)); TA="Bearer $(login admin)"; TC="Bearer $(login clerk)"
  req POST /v1/gov/jobs/allowances "$TA"
  req GET "/v1/allowances?state=suspended" "$TC"
  jcheck "$L: overdue: payment suspended automatically" "any(.allowances[]; .id == $al and .payment == \"suspended\")"
  citizen_login "$SON" 示例辛
  req GET /v1/me/allowances "$CIT"
  jcheck "$L: the son sees suspended, the reminder and what to do (zh/en)" '.allowances[0].state == "suspended" and (.allowances[0].reminders|length) == 1 and (.allowances[0].next.zh|test("刷脸"))'
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "allowance:$al" "$F/Jiang_Zemin/10.jpg" passive
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${VID:-0}}"
  check "$L: a new proof of life (the elder's face on the son's phone)" 200
  jcheck "$L: resumed" '.state == "active" and any(.events[]; .kind == "resumed")'
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${VID:-0}}"
  check "$L: the same proof again refused" 409 id_verification_used

  # ---- a death record arrives from civil affairs
  jq --arg n "$ELDER" '.records[$n] = {"deceased": true, "date_of_death": "2026-09-03", "certificate_no": "WZ-2026-000999"}' \
    "$XD/civil_death.json" >"$XD/civil_death.json.new" && mv "$XD/civil_death.json.new" "$XD/civil_death.json"
  set_clock $((T0 + 185 * DAY)); TA="Bearer $(login admin)"; TC="Bearer $(login clerk)"
  req POST /v1/gov/jobs/allowances "$TA"
  req GET "/v1/allowances?state=stopped" "$TC"
  jcheck "$L: death record: payment stopped, with the reason" "any(.allowances[]; .id == $al and .payment == \"stopped\" and any(.events[]; .kind == \"stopped\" and (.note|test(\"civil affairs\"))))"
  citizen_login "$SON" 示例辛
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "allowance:$al" "$F/Jiang_Zemin/3.jpg" passive
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${VID:-0}}"
  check "$L: no proof of life after a death record" 409 allowance_stopped
}

suite() {   # $1 label: the server is up; clock and exchange fresh for the next store
  ok "$1: server up"
  run_suite "$1"
  set_clock $T0; next_exchange
}
serve_each_store suite
serve_done
