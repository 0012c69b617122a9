#!/usr/bin/env bash
# Black-box tests of `shualian serve`: the real server on 127.0.0.1 (a free
# port), against SQLite and against a throwaway PostgreSQL (lib-pg.sh;
# skipped visibly when the postgres binaries are absent). Login, roles,
# device keys, every route x every role (from /v1/openapi.json), problem+json
# codes, the bad-input table, limits (declared/chunked bodies, headers,
# slowloris, 2,000 idle connections), event streams, face routes, rate
# limits and lockout on the settable test clock (no sleeping for expiry),
# SIGTERM -> exit 0 within 10 s.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq node base64
D=tests/data
CLIENT=tests/serve/client.js
have_faces=1
[ -f "$M/fr_feature.onnx" ] && [ -f "$D/sample1.jpg" ] || have_faces=0
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null
SERVE_CONFIG='{ "threads": 2, "engines": 1, "engine_wait_ms": 3000, "timeout_s": 2,
  "max_connections": 8192, "header_max": 16384, "sse_heartbeat_ms": 200,
  "accounts": { "session_idle_s": 600, "lockout_after": 3, "lockout_s": 60 },
  "rate": { "default": { "per_s": 1000, "burst": 100000 },
            "engine":  { "per_s": 1000, "burst": 100000 },
            "login":   { "per_s": 1, "burst": 40 } } }'

# ---------------------------------------------------------------- the suite
run_suite() {
  local L=$1
  # the demo hall and its credentials file
  [ "$(stat -c %a "$CRED" 2>/dev/null)" = 600 ] && ok "$L: demo credentials file is 0600" \
    || bad "$L: demo credentials mode '$(stat -c %a "$CRED" 2>/dev/null)'"
  jq -e '(.hall|type=="number") and ([.users.admin,.users.clerk,.users.reviewer,.users.auditor][]|has("username") and has("password")) and ([.devices.window,.devices.kiosk][]|has("id") and has("key"))' \
    "$CRED" >/dev/null && ok "$L: credentials file has the contract's shape" || bad "$L: credentials shape"

  req GET /healthz ""; check "$L: healthz" 200
  [ "$(curl -s -D - -o /dev/null "$B/healthz" | grep -ci '^x-request-id: req_')" = 1 ] \
    && ok "$L: X-Request-Id header" || bad "$L: no X-Request-Id"
  req GET /readyz ""
  if [ $have_faces = 1 ]; then check "$L: readyz (store + models)" 200; else check "$L: readyz without models" 503 http_unavailable; fi

  # login contract
  local TA TC TR TU
  TA=$(login admin); TC=$(login clerk); TR=$(login reviewer); TU=$(login auditor)
  [ -n "$TA" ] && [ -n "$TC" ] && [ -n "$TR" ] && [ -n "$TU" ] && ok "$L: four staff log in" || bad "$L: staff login"
  req POST /v1/auth/login "" "{\"username\":\"$(jq -r .users.clerk.username "$CRED")\",\"password\":\"$(jq -r .users.clerk.password "$CRED")\"}"
  jq -e '(.token|length) >= 40 and (.expires_at|test("Z$")) and .roles == ["clerk"] and (keys|sort) == ["expires_at","roles","token"]' <<<"$BODY" >/dev/null \
    && ok "$L: login answers {token, expires_at, roles}" || bad "$L: login body $BODY"
  req GET /v1/auth/me "Bearer $TA"
  [ "$ST" = 200 ] && jq -e '.roles == ["admin"]' <<<"$BODY" >/dev/null && ok "$L: bearer token works" || bad "$L: me $ST $BODY"
  req GET /v1/auth/me "$(dev window)"
  [ "$ST" = 200 ] && jq -e '.kind == "device" and .roles == ["window"]' <<<"$BODY" >/dev/null && ok "$L: device key works" || bad "$L: device me $ST $BODY"
  req GET /v1/auth/me "Bearer nonsense-token"; check "$L: unknown token" 401 acct_session
  req GET /v1/auth/me "Device $(jq -r .devices.window.id "$CRED"):wrong"; check "$L: wrong device key" 401 acct_device
  req GET /v1/auth/me "Basic abc"; check "$L: unknown auth scheme" 401 http_auth
  req POST /v1/auth/login "" '{"username":"nobody","password":"whatever1"}'; check "$L: unknown user" 401 acct_login
  req POST /v1/auth/login "" "{\"username\":\"$(jq -r .users.admin.username "$CRED")\",\"password\":\"wrong-pass\"}"
  check "$L: wrong password" 401 acct_login

  # every route x every role, from the OpenAPI document
  req GET /v1/openapi.json ""
  echo "$BODY" >"$tmp/openapi.json"
  jq -e '.openapi == "3.1.0" and .components.securitySchemes.bearer and .components.securitySchemes.Device' \
    "$tmp/openapi.json" >/dev/null && ok "$L: OpenAPI 3.1 with bearer and Device schemes" || bad "$L: openapi head"
  # valid OpenAPI 3.1 by the official schema (an npm test tool), and every
  # row of the route table (read from the sources) is in it
  local vout vrc
  vout=$(node tests/serve/openapi-validate.mjs "$tmp/openapi.json"); vrc=$?
  if [ $vrc = 2 ]; then skip=$((skip + 1)); echo "skip $L: OpenAPI schema validation: validator not installed (scripts/setup.sh)"
  elif [ $vrc = 0 ]; then ok "$L: /v1/openapi.json is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)"
  else bad "$L: /v1/openapi.json invalid: $(head -c 600 <<<"$vout")"; fi
  grep -ohE '\{ *"(GET|POST|PUT|DELETE|PATCH)", *"/[^"]*"' src/http/routes*.c \
    | sed -E 's/\{ *"([A-Z]+)", *"([^"]*)"/\1 \2/' | sort -u >"$tmp/table.routes"
  jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | "\(ascii_upcase) \($p)"' "$tmp/openapi.json" \
    | sort -u >"$tmp/openapi.routes"
  if [ "$(wc -l <"$tmp/table.routes")" -gt 20 ] && diff "$tmp/table.routes" "$tmp/openapi.routes" >"$tmp/routes.diff"; then
    ok "$L: the OpenAPI document lists every route of the table ($(wc -l <"$tmp/table.routes") rows), no more"
  else bad "$L: route table vs OpenAPI: $(head -c 400 "$tmp/routes.diff")"; fi
  local -A AUTH=( [admin]="Bearer $TA" [clerk]="Bearer $TC" [reviewer]="Bearer $TR"
                  [auditor]="Bearer $TU" [window]="$(dev window)" [kiosk]="$(dev kiosk)" [none]="" )
  local n_ok=0 n_bad=0
  while IFS=$'\t' read -r m p allow; do
    [ "$p" = /v1/auth/logout ] && continue
    local path who; path=$(sed -E "s/\{[^}]*\}/x/g" <<<"$p")
    for who in admin clerk reviewer auditor window kiosk none; do
      local want body=""
      [ "$m" = POST ] && body='{}'
      if grep -qw public <<<"$allow" || grep -qw "$who" <<<"$allow"; then want=allowed
      elif [ $who = none ]; then want=401; else want=403; fi
      ST=$(curl -s -o "$tmp/body" -w '%{http_code}' -m 1 -X "$m" ${AUTH[$who]:+-H "Authorization: ${AUTH[$who]}"} \
           ${body:+-H 'Content-Type: application/json' --data-binary "$body"} "$B$path")
      if { [ $want = allowed ] && [ "$ST" != 401 ] && [ "$ST" != 403 ] && [ "$ST" != 000 ] && [ "$ST" -lt 500 ]; } ||
         [ "$ST" = "$want" ]; then n_ok=$((n_ok + 1))
      else n_bad=$((n_bad + 1)); echo "  $m $p as $who: $ST (want $want)"; fi
    done
  done < <(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] | [(.key|ascii_upcase), $p, (.value["x-allow"]|join(","))] | @tsv' "$tmp/openapi.json")
  [ $n_bad = 0 ] && [ $n_ok -gt 100 ] && ok "$L: every route x every role: $n_ok allowed-or-refused as the table says" \
    || bad "$L: route x role matrix: $n_bad wrong of $((n_ok + n_bad))"

  # the bad-input table: each its own code, no crash
  req POST /v1/auth/login "" '{"username":'; check "$L: malformed JSON" 400 http_json
  printf '{"username":"\xff\xfe","password":"x"}' >"$tmp/utf8.json"
  req POST /v1/auth/login "" @"$tmp/utf8.json"; check "$L: invalid UTF-8" 400 http_utf8
  req POST /v1/auth/login "" '{"username":"a\u0000b","password":"x"}'; check "$L: NUL in a string" 400 http_nul
  req POST /v1/auth/login "" '{"username":"a","password":"b","extra":1}'; check "$L: unknown field" 422 http_field_unknown
  req POST /v1/auth/login "" '{"username":"a"}'; check "$L: missing field" 422 http_field_missing
  req POST /v1/auth/login "" '{"username":7,"password":"b"}'; check "$L: wrong-typed field" 422 http_field_type
  req POST /v1/auth/login "" '[1,2]'; check "$L: array instead of object" 422 http_field_type
  req POST /v1/auth/login "" '{"username":"a","password":"b","username":"c"}'; check "$L: duplicate key" 400 http_json
  head -c 10000 /dev/zero | tr '\0' '[' >"$tmp/deep.json"
  req POST /v1/faces/detect "$(dev window)" @"$tmp/deep.json"; check "$L: 10,000-deep nesting" 400 http_depth
  ST=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary '{}' "$B/v1/auth/login"); BODY=$(cat "$tmp/body")
  check "$L: wrong content type" 415 http_content_type
  out=$(node $CLIENT declared 127.0.0.1 "$PORT" /v1/faces/detect 1073741824 "$(dev window)")
  jq -e '.status == 413 and .code == "http_body_too_large" and .ms < 3000' <<<"$out" >/dev/null \
    && ok "$L: 1 GB declared body refused before reading ($out)" || bad "$L: declared 1 GB: $out"
  head -c 9000 /dev/zero | tr '\0' 'a' | sed 's/^/{"username":"/; s/$/","password":"x"}/' >"$tmp/big.json"
  ST=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
       --data-binary @"$tmp/big.json" "$B/v1/auth/login"); BODY=$(cat "$tmp/body")
  check "$L: chunked body over the route limit" 413 http_body_too_large
  req POST "/v1/users/../disable" "Bearer $TA"; check "$L: path traversal in an id" 422 http_param
  req POST "/v1/devices/x'%3B%20DROP%20TABLE%20acct_user--/revoke" "Bearer $TA"; check "$L: SQL metacharacters in an id" 422 http_param
  req POST /v1/halls "Bearer $TA" "{\"name\":\"x'); DROP TABLE acct_hall;--\"}"; check "$L: SQL metacharacters in a body field" 201
  req GET /v1/halls "Bearer $TA"
  jq -e '[.halls[].name] | index("x'"'"'); DROP TABLE acct_hall;--") != null' <<<"$BODY" >/dev/null \
    && ok "$L: ... stored verbatim" || bad "$L: hall name not verbatim: $BODY"
  ST=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 65536 /dev/zero | tr '\0' 'h')" "$B/healthz")
  [ "$ST" = 431 ] || [ "$ST" = 413 ] && ok "$L: huge header refused ($ST)" || bad "$L: huge header: $ST"
  req GET /healthz ""; check "$L: still healthy after the bad inputs" 200

  # admin routes, device keys and revocation
  req POST /v1/devices "Bearer $TA" "{\"class\":\"h5\",\"hall\":$(jq .hall "$CRED"),\"label\":\"test\"}"; check "$L: admin adds a device" 201
  local did dkey; did=$(jq -r .id <<<"$BODY"); dkey=$(jq -r .key <<<"$BODY")
  req GET /v1/auth/me "Device $did:$dkey"; check "$L: new h5 device authenticates" 200
  req POST /v1/faces/detect "Device $did:$dkey" '{}'; check "$L: h5 device may not call the engine routes" 403 http_forbidden
  req POST "/v1/devices/$did/revoke" "Bearer $TA"; check "$L: admin revokes it" 200
  req GET /v1/auth/me "Device $did:$dkey"; check "$L: revoked device refused" 401 acct_device
  req POST /v1/users "Bearer $TA" "{\"username\":\"u-$L\",\"password\":\"short\",\"roles\":[\"clerk\"],\"hall\":$(jq .hall "$CRED")}"
  check "$L: short password refused" 422 acct_password
  req POST /v1/users "Bearer $TA" "{\"username\":\"u-$L\",\"password\":\"long enough\",\"roles\":[\"window\"],\"hall\":$(jq .hall "$CRED")}"
  check "$L: a device class is not a staff role" 422 http_field_value

  # audit route: auditor only
  req GET "/v1/audit?action=auth.login" "Bearer $TU"; check "$L: auditor reads the audit log" 200
  jq -e '[.records[] | select(.action == "auth.login")] | (map(select(.outcome == "ok")) | length) >= 4 and (map(select(.outcome == "acct_login")) | length) >= 2' \
    <<<"$BODY" >/dev/null && ok "$L: logins audited, failed ones with their code" || bad "$L: login audit: $(head -c 300 <<<"$BODY")"
  req GET /v1/users "Bearer $TC"; check "$L: clerk may not list users" 403 http_forbidden
  req GET "/v1/audit?action=user.list" "Bearer $TU"
  jq -e '[.records[] | select(.outcome == "http_forbidden")] | length >= 1' <<<"$BODY" >/dev/null \
    && ok "$L: a refused call on an audited route is audited" || bad "$L: refusal not audited: $(head -c 300 <<<"$BODY")"
  req GET "/v1/audit?action=audit.query" "Bearer $TU"
  jq -e '(.records | length) >= 1 and .records[0].actor.kind == "staff"' <<<"$BODY" >/dev/null \
    && ok "$L: the audit query is itself audited" || bad "$L: audit.query not audited: $(head -c 300 <<<"$BODY")"
  req GET /v1/audit "Bearer $TA"; check "$L: admin may not read the audit log" 403 http_forbidden
  req GET "/v1/audit?from=yesterday" "Bearer $TU"; check "$L: bad audit time filter" 422 http_param

  # masking in the access log: an ID number in a path, never tokens
  req POST /v1/users/110101199003077777/disable "Bearer $TA"
  grep -q '1101\*\*\*\*\*\*\*\*\*\*7777' "$tmp/$L.err" && ! grep -q 110101199003077777 "$tmp/$L.err" \
    && ok "$L: ID numbers masked in the access log" || bad "$L: ID number not masked in the log"
  ! grep -qF "$TA" "$tmp/$L.err" && ! grep -qF "$(jq -r .devices.window.key "$CRED")" "$tmp/$L.err" \
    && ok "$L: no tokens or keys in the log" || bad "$L: a secret reached the log"

  # event stream: ready + ping events; a client that leaves is noticed
  curl -s -N -m 1.5 -H "Authorization: Bearer $TC" "$B/v1/events/ping" >"$tmp/sse" 2>/dev/null
  grep -q '^event: ready' "$tmp/sse" && [ "$(grep -c '^event: ping' "$tmp/sse")" -ge 2 ] \
    && ok "$L: event stream: ready, then pings" || bad "$L: sse: $(head -c 300 "$tmp/sse")"
  sleep 0.6
  req GET /metrics ""
  grep -q '^shualian_sse_streams 0' <<<"$BODY" && ok "$L: a departed stream client is noticed (heartbeat)" \
    || bad "$L: streams left: $(grep shualian_sse_streams <<<"$BODY")"

  # face routes (the verdict is the library's: same as `shualian face verify`)
  if [ $have_faces = 1 ]; then
    printf '{"image":"%s"}' "$(base64 -w0 $D/sample1.jpg)" >"$tmp/img1.json"
    req POST /v1/faces/detect "$(dev window)" @"$tmp/img1.json"
    [ "$ST" = 200 ] && jq -e '.face_count == 3 and (.faces|length) == 3' <<<"$BODY" >/dev/null \
      && ok "$L: detect finds the 3 faces of sample1" || bad "$L: detect $ST $(head -c 300 <<<"$BODY")"
    req POST /v1/faces/quality "Bearer $TC" @"$tmp/img1.json"
    [ "$ST" = 200 ] && jq -e '.pass == false and ([.reasons[].code] | index("several_faces")) != null' <<<"$BODY" >/dev/null \
      && ok "$L: quality reports several_faces with reasons" || bad "$L: quality $ST $(head -c 300 <<<"$BODY")"
    convert $D/sample6.jpg -crop 600x600+1290+110 +repage "$tmp/p1.jpg"
    convert $D/sample6.jpg -crop 420x480+1380+220 +repage -resize 70% "$tmp/p2.jpg"
    $S face embed "$tmp/p1.jpg" --template "$tmp/p1.slft" >/dev/null
    local pair
    for pair in "$D/sample1.jpg $D/sample2.jpg" "$tmp/p1.jpg $tmp/p2.jpg" "$tmp/p1.slft $tmp/p2.jpg"; do
      set -- $pair
      local ka=image_a; [ "${1##*.}" = slft ] && ka=template_a
      printf '{"%s":"%s","image_b":"%s"}' $ka "$(base64 -w0 "$1")" "$(base64 -w0 "$2")" >"$tmp/cmp.json"
      req POST /v1/faces/compare "$(dev kiosk)" @"$tmp/cmp.json"
      $S face verify "$1" "$2" >"$tmp/cli.json" 2>/dev/null
      if [ "$ST" = 200 ] && diff <(jq -S 'del(.a.image,.b.image,.a.template,.b.template)' "$tmp/cli.json") \
                                 <(jq -S 'del(.a.image,.b.image,.a.template,.b.template)' <<<"$BODY") >/dev/null; then
        ok "$L: compare $(basename "$1") $(basename "$2") = shualian face verify (match $(jq .match <<<"$BODY"))"
      else bad "$L: compare $(basename "$1") $(basename "$2"): $ST"; diff <(jq -S . "$tmp/cli.json") <(jq -S . <<<"$BODY") | head -10; fi
    done
    printf '{"image_a":"%s"}' "$(base64 -w0 $D/sample1.jpg)" >"$tmp/cmp1.json"
    req POST /v1/faces/compare "$(dev kiosk)" @"$tmp/cmp1.json"; check "$L: compare needs a b side" 422 http_field_missing
    req POST /v1/faces/compare "$(dev kiosk)" '{"image_a":"bm90IGFuIGltYWdl","image_b":"bm90IGFuIGltYWdl"}'
    check "$L: compare of non-images" 422 img_format
    req POST /v1/faces/compare "$(dev kiosk)" '{"image_a":"!!!!","image_b":"bm90"}'; check "$L: not base64" 422 http_field_value
    printf '{"image_a":"%s","image_b":"%s","threshold":"0.35"}' "$(base64 -w0 $D/sample1.jpg)" "$(base64 -w0 $D/sample2.jpg)" >"$tmp/bare.json"
    req POST /v1/faces/compare "$(dev kiosk)" @"$tmp/bare.json"
    check "$L: a bare threshold number is refused" 422 http_field_value
    # engine pool: 1 session; 4 concurrent compares all answered (queued, not refused)
    local cpids=()
    for i in 1 2 3 4; do
      curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: $(dev kiosk)" -H 'Content-Type: application/json' \
        --data-binary @"$tmp/cmp.json" "$B/v1/faces/compare" >>"$tmp/conc.$L" &
      cpids+=($!)
    done
    wait "${cpids[@]}"
    [ "$(sort -u "$tmp/conc.$L" | tr -d '\n')" = 200 ] && ok "$L: 4 concurrent compares on 1 engine session all answered" \
      || bad "$L: concurrent compares: $(tr '\n' ' ' <"$tmp/conc.$L")"
  else
    skip=$((skip + 1)); echo "skip $L: face routes (models or tests/data absent)"
  fi

  # metrics
  req GET /metrics ""
  grep -q '^shualian_http_requests_total{route="/healthz",method="GET",status="200"} [1-9]' <<<"$BODY" &&
  grep -q '^shualian_http_request_duration_seconds_bucket{route="/v1/auth/login",method="POST",status="200",le="+Inf"} [1-9]' <<<"$BODY" &&
  grep -q '^shualian_engine_pool_wait_seconds_count' <<<"$BODY" && grep -q '^shualian_verifications_total{outcome="match"}' <<<"$BODY" \
    && ok "$L: /metrics: requests, latency histograms, pool wait, verifications" || bad "$L: metrics"
  req GET /docs ""
  [ "$ST" = 200 ] && grep -q 'openapi.json' <<<"$BODY" && ! grep -qiE '<script[^>]+src=|<link[^>]+href="http' <<<"$BODY" \
    && ok "$L: docs page served by us (nothing from a CDN)" || bad "$L: docs"

  # lockout (3 failures) and rate limit on the test clock; no sleeping
  local ru rp; ru=$(jq -r .users.reviewer.username "$CRED"); rp=$(jq -r .users.reviewer.password "$CRED")
  for i in 1 2 3; do req POST /v1/auth/login "" "{\"username\":\"$ru\",\"password\":\"bad-$i-pass\"}"; done
  req POST /v1/auth/login "" "{\"username\":\"$ru\",\"password\":\"$rp\"}"; check "$L: locked after 3 failures (right password too)" 429 acct_locked
  set_clock $((T0 + 61000))
  req POST /v1/auth/login "" "{\"username\":\"$ru\",\"password\":\"$rp\"}"; check "$L: lock expires on the test clock" 200
  local got429=0
  for i in $(seq 1 45); do
    ST=$(curl -s -D "$tmp/hdr" -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: application/json' \
         -d '{"username":"nobody","password":"whatever"}' "$B/v1/auth/login")
    [ "$ST" = 429 ] && { got429=1; break; }
  done
  BODY=$(cat "$tmp/body")
  [ $got429 = 1 ] && [ "$(code)" = http_rate_limited ] && grep -qi '^retry-after: [1-9]' "$tmp/hdr" \
    && ok "$L: login rate limit: 429 with Retry-After" || bad "$L: no 429 from the login bucket"
  set_clock $((T0 + 200000))
  req POST /v1/auth/login "" '{"username":"nobody","password":"whatever"}'; check "$L: bucket refilled on the test clock" 401 acct_login
  # session expiry (idle 600 s) and logout
  req POST /v1/auth/logout "Bearer $TR"; check "$L: logout" 200
  req GET /v1/auth/me "Bearer $TR"; check "$L: token refused after logout" 401 acct_session
  set_clock $((T0 + 200000 + 601000))
  req GET /v1/auth/me "Bearer $TC"; check "$L: idle session expired on the test clock" 401 acct_session

  # slowloris and 2,000 idle connections
  out=$(node $CLIENT slowloris 127.0.0.1 "$PORT")
  jq -e '.closed_after_ms > 0 and .closed_after_ms < 8000' <<<"$out" >/dev/null \
    && ok "$L: slowloris connection closed by the timeout ($out)" || bad "$L: slowloris: $out"
  out=$(node $CLIENT idle 127.0.0.1 "$PORT" 2000)
  jq -e '.opened == 2000 and .healthz == 200' <<<"$out" >/dev/null \
    && ok "$L: 2,000 idle connections, /healthz still answers ($out)" || bad "$L: idle connections: $out"

  # graceful stop with a stream open and face requests queued on the one
  # engine worker (suspended connections: MHD aborts if one is left)
  local spids=() kauth
  if [ $have_faces = 1 ]; then
    : >"$tmp/stop.$L"
    kauth=$(dev kiosk)
    for i in 1 2 3 4 5 6 7 8; do
      curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: $kauth" -H 'Content-Type: application/json' \
        --data-binary @"$tmp/cmp.json" "$B/v1/faces/compare" >>"$tmp/stop.$L" &
      spids+=($!)
    done
    # SIGTERM once all 8 are in (one running, seven queued on the worker)
    for _ in $(seq 1 100); do
      curl -s "$B/metrics" | awk '/^shualian_engine_queue_requests/ {q=$2}
        /^shualian_engine_pool_sessions\{state="busy"\}/ {b=$2} END {exit !(q + b >= 8)}' && break
      sleep 0.05
    done
  fi
  curl -s -N -m 20 -H "Authorization: Bearer $TA" "$B/v1/events/ping" >/dev/null 2>&1 &
  local cpid=$!
  sleep 0.3
  serve_stop "$L"
  wait $cpid 2>/dev/null
  if [ $have_faces = 1 ]; then
    wait "${spids[@]}"
    [ "$(sort -u "$tmp/stop.$L" | tr -d '\n')" = 200 ] \
      && ok "$L: 8 face requests in flight at SIGTERM all answered 200" \
      || bad "$L: face requests at SIGTERM: $(sort "$tmp/stop.$L" | uniq -c | tr '\n' ' ')"
  fi
  # the admin CLI on the same data (server stopped; it works while running too)
  local ad=(--data "$DATA") did2
  [ "$L" = pg ] && ad+=("${DB_ARG[@]}")
  expect "$L: admin hall add" 0 '"name":"cli-hall"' -- $S admin "${ad[@]}" hall add cli-hall --kind online
  expect "$L: admin user add shows a generated password once" 0 '"password"' -- \
    $S admin "${ad[@]}" user add cli-user --hall cli-hall --roles clerk,reviewer
  expect "$L: admin user add of a taken name" 3 '"code":"acct_exists"' -- \
    $S admin "${ad[@]}" user add cli-user --hall cli-hall --roles clerk --password longenough
  expect "$L: admin user add with an unknown role" 2 '' -- \
    $S admin "${ad[@]}" user add cli-user2 --hall cli-hall --roles janitor
  expect "$L: admin user list" 0 '"username":"cli-user"' -- $S admin "${ad[@]}" user list
  expect "$L: admin user disable" 0 '"disabled":true' -- $S admin "${ad[@]}" user disable cli-user
  did2=$($S admin "${ad[@]}" device add --hall cli-hall --class kiosk --label k2 | jq -r .id)
  [ -n "$did2" ] && [ "$did2" != null ] && ok "$L: admin device add" || bad "$L: admin device add"
  expect "$L: admin device revoke" 0 '"revoked":true' -- $S admin "${ad[@]}" device revoke "$did2"
  out=$($S admin "${ad[@]}" device list)
  jq -e --arg d "$did2" '[.[] | select(.id == $d)][0].revoked == true' <<<"$out" >/dev/null \
    && ok "$L: admin device list shows it revoked" || bad "$L: device list: $(head -c 200 <<<"$out")"
  expect "$L: admin hall list" 0 '"name":"cli-hall"' -- $S admin "${ad[@]}" hall list
  if [ "$L" = sqlite ]; then
    expect "$L: admin backup" 0 '"backup"' -- $S admin "${ad[@]}" backup "$tmp/backup.db"
    [ "$(head -c 15 "$tmp/backup.db" 2>/dev/null)" = "SQLite format 3" ] && ok "$L: the backup is an SQLite database" \
      || bad "$L: backup file"
  else
    expect "$L: admin backup on PostgreSQL points at pg_dump" 4 '"code":"store_backup"' -- \
      $S admin "${ad[@]}" backup "$tmp/backup.db"
  fi
  expect "$L: the audit chain written by the server verifies" 0 '' -- $S audit verify "${DB_ARG[@]}" --keys "$DATA/keys"
}

for L in sqlite pg; do
  if [ $L = pg ]; then pg_start || { skip=$((skip + 1)); echo "skip PostgreSQL: $PG_SKIP"; break; }; fi
  set_clock $T0
  if serve_start $L "$([ $L = pg ] && echo "$PG_URL")"; then run_suite $L
  else bad "$L: server did not start"; serve_kill $L; fi
done

# engine pool: one session and no patience -> 503 http_busy + Retry-After
if [ $have_faces = 1 ]; then
  SERVE_CONFIG=
  serve_start busy "" --threads 4 --engines 1 --engine-wait-ms 1 --per-ip-connections 8 --quiet \
    || bad "busy: server did not start"
  printf '{"image_a":"%s","image_b":"%s"}' "$(base64 -w0 $D/sample1.jpg)" "$(base64 -w0 $D/sample6.jpg)" >"$tmp/busy.json"
  bpids=()
  for i in 1 2 3 4 5 6; do
    curl -s -D "$tmp/busy.h$i" -o "$tmp/busy.b$i" -w '%{http_code}\n' -H "Authorization: $(dev window)" \
      -H 'Content-Type: application/json' --data-binary @"$tmp/busy.json" "$B/v1/faces/compare" >>"$tmp/busy.codes" &
    bpids+=($!)
  done
  wait "${bpids[@]}"
  n200=$(grep -c '^200$' "$tmp/busy.codes"); n503=$(grep -c '^503$' "$tmp/busy.codes")
  busy_ok=0
  for i in 1 2 3 4 5 6; do
    grep -q '"code":"http_busy"' "$tmp/busy.b$i" && grep -qi '^retry-after: [1-9]' "$tmp/busy.h$i" && busy_ok=1
  done
  [ "$n200" -ge 1 ] && [ "$n503" -ge 1 ] && [ $busy_ok = 1 ] \
    && ok "engine pool of 1 without patience: $n200 served, $n503 x 503 http_busy with Retry-After" \
    || bad "engine busy: codes $(tr '\n' ' ' <"$tmp/busy.codes")"
  out=$(node $CLIENT idle 127.0.0.1 "$PORT" 8)
  jq -e '.healthz != 200' <<<"$out" >/dev/null && ok "per-IP limit 8: a 9th connection is refused ($out)" \
    || bad "per-IP limit: $out"
  out=$(node $CLIENT idle 127.0.0.1 "$PORT" 6)
  jq -e '.healthz == 200' <<<"$out" >/dev/null && ok "per-IP limit 8: 7 connections served" || bad "per-IP: $out"
  # a second server on the same port: a clear refusal and a plain exit,
  # not a crash (it segfaulted once: the portrait library's cache load
  # outlived the store on this path)
  "$S" serve --no-models --quiet --data "$tmp/taken" --listen "127.0.0.1:$PORT" \
    >"$tmp/taken.out" 2>"$tmp/taken.err"; rc=$?
  [ $rc -gt 0 ] && [ $rc -lt 128 ] && grep -q 'cannot listen on 127.0.0.1' "$tmp/taken.err" \
    && ok "port in use: refused with its reason, exit $rc (no crash)" \
    || bad "port in use: exit $rc: $(tail -2 "$tmp/taken.err")"
  serve_stop busy
fi

serve_done
