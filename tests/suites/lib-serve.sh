# lib-serve.sh -- the server-start preamble of the black-box suites (sourced,
# not run; sources lib.sh and lib-pg.sh itself). One copy of: the build
# check, a data dir per node, `serve --demo` on SQLite or on the throwaway
# PostgreSQL, the settable test clock, waiting for /readyz, the demo
# credentials, logins, auth headers, requests and checks, and stopping with
# SIGTERM (exit 0 within 10 s is itself a check).
#
#   . "$(dirname "$0")/lib-serve.sh"
#   serve_need curl jq                       # skip the suite visibly if absent
#   SERVE_CONFIG='{"threads":2}'             # optional: written as --config
#   SERVE_ARGS=(--no-models)                 # optional: extra serve arguments
#   SERVE_DEMO=0                             # optional: no --demo (a restart)
#   SERVE_WAIT_READY=0                       # optional: do not wait for /readyz
#   suite() { local L=$1; req GET /healthz ""; check "$L: healthz" 200; ... }
#   serve_each_store suite                   # sqlite, then pg (or a visible skip)
#   serve_done                               # prints "N passed, N failed, N skipped"
#
# Finer control (several nodes on one database, restarts, SIGKILL):
#   serve_start LABEL [DB_URL] [extra serve args...]
#       starts a node; DB_URL empty = SQLite in the data dir. Data dir is
#       $SERVE_DATA if set (two nodes sharing keys), else $tmp/LABEL. Sets
#       B (base URL), PORT, DATA, CRED, SRV_PID, DB_ARG (--db ... for the
#       admin/audit CLI), and B_<LABEL>, PID_<LABEL>. Returns 1 if the node
#       did not listen or become ready (its stderr tail is printed).
#   serve_stop LABEL      SIGTERM; ok/bad on "exit 0 within 10 s, no sanitizer report"
#   serve_kill LABEL      SIGKILL (durability tests); no check
#   serve_use LABEL       makes LABEL's node the one req/login/dev talk to
# Clock: set_clock MS (NOW holds the value; T0 defaults to 2026-12-04T11:00Z).
# Requests: req METHOD PATH AUTH [BODY|@file] -> ST, BODY   (on $B)
#           req_at BASE METHOD PATH AUTH [BODY|@file]
#           code; check NAME STATUS [CODE]; jcheck NAME JQ_EXPR (on BODY)
#           REQ_MAX_S: curl's time limit per request (default 20 s)
# Auth:     login ROLE -> token; staff ROLE -> "Bearer <token>" (cached per node);
#           dev CLASS -> "Device <id>:<key>" (window, kiosk, h5 ... from the
#           credentials file); citizen VERIFICATION [DEVICE_CLASS] -> "Bearer
#           <citizen token>" via POST /v1/citizen/sessions (the w3-gov
#           contract), empty if refused.
# Verifications (issue 11's contract; needs convert and base64):
#           frames_of PHOTO -> {"frames":[...]} (3 camera-like frames)
#           altverif AUTH ID_NUMBER NAME MATTER REF -> VID (the window's
#             non-face alternative, a clerk's document check)
#           mkverif AUTH ID_NUMBER NAME MATTER REF IMAGE [LIVENESS] -> VID
#             (face), VLAST, VBODY
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-pg.sh"
S=${SL_SERVE_BIN:-$S}    # e.g. build-asan/shualian to run a suite under ASan
M=${SL_MODELS:-models}
T0=${T0:-1796382000000}  # 2026-12-04T11:00:00Z on the test clock
NOW=$T0
SERVE_CONFIG=${SERVE_CONFIG:-}
SERVE_READY_S=${SERVE_READY_S:-60}
SERVE_DEMO=${SERVE_DEMO:-1}   # 0: start without --demo (restarts on seeded data)
SERVE_WAIT_READY=${SERVE_WAIT_READY:-1}   # 0: return once listening
REQ_MAX_S=${REQ_MAX_S:-20}    # curl -m of req/req_at (face-heavy suites want more)
declare -a SERVE_ARGS=("${SERVE_ARGS[@]}")
declare -A SERVE_PIDS=() SERVE_TOK=()
SRV_PID= B= PORT= DATA= CRED= DB_ARG=() SRV_LABEL=

serve_need() {   # tools... : skip the whole suite visibly when one is absent
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "skip $(basename "$0"): $t absent"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
  done
}
set_clock() { NOW=$1; echo "$1" >"$tmp/clock.new" && mv "$tmp/clock.new" "$tmp/clock"; }
set_clock "$T0"

serve_use() {
  local l=$1 v
  SRV_LABEL=$l
  v="PID_$l"; SRV_PID=${!v-}
  v="B_$l";   B=${!v-}; PORT=${B##*:}
  v="DATA_$l"; DATA=${!v-}; CRED=$DATA/demo-credentials.json
  v="DB_$l";  if [ -n "${!v-}" ]; then DB_ARG=(--db "${!v}"); else DB_ARG=(--db "sqlite:$DATA/shualian.db"); fi
}

serve_start() {   # LABEL [DB_URL] [extra args...]
  local label=$1 db=${2-}; shift; [ $# -gt 0 ] && shift
  local data=${SERVE_DATA:-$tmp/$label}
  mkdir -p "$data"
  local args=(serve --listen 127.0.0.1:0 --data "$data" --clock "$tmp/clock" --models "$M")
  [ "$SERVE_DEMO" = 1 ] && args+=(--demo)
  if [ -n "$SERVE_CONFIG" ]; then
    printf '%s\n' "$SERVE_CONFIG" >"$tmp/$label.json"; args+=(--config "$tmp/$label.json")
  fi
  [ -n "$db" ] && args+=(--db "$db")
  args+=("${SERVE_ARGS[@]}" "$@")
  LSAN_OPTIONS=suppressions=$PWD/tests/suites/lsan-print.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS} \
    "$S" "${args[@]}" >"$tmp/$label.out" 2>"$tmp/$label.err" &
  local pid=$!
  SERVE_PIDS[$label]=$pid
  printf -v "PID_$label" '%s' "$pid"
  printf -v "DATA_$label" '%s' "$data"
  printf -v "DB_$label" '%s' "$db"
  local i port=
  for i in $(seq 1 $((SERVE_READY_S * 50))); do
    grep -q '"listening"' "$tmp/$label.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  port=$(jq -r 'select(.port).port' "$tmp/$label.out" 2>/dev/null | head -1)
  if [ -z "$port" ] || [ "$port" = null ]; then
    echo "  $label: server did not listen:"; tail -5 "$tmp/$label.err"; return 1
  fi
  printf -v "B_$label" 'http://127.0.0.1:%s' "$port"
  serve_use "$label"
  [ "$SERVE_WAIT_READY" = 1 ] || return 0
  # ready: the store is reachable and the portrait library loaded (models
  # only when they are there to load)
  local r
  for i in $(seq 1 $((SERVE_READY_S * 50))); do
    r=$(curl -s -m 2 "$B/readyz")
    jq -e '.status == "ready" or ((.detail // "") | test("store reachable.*library loaded"))' <<<"$r" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "  $label: server not ready: $r"; tail -5 "$tmp/$label.err"; return 1
}

serve_stop() {   # LABEL: SIGTERM -> exit 0 within 10 s, no sanitizer report
  local label=${1:-$SRV_LABEL} pid rc=0 t0 t1
  pid=${SERVE_PIDS[$label]-}
  [ -n "$pid" ] || return 0
  t0=$(date +%s%N)
  kill -TERM "$pid" 2>/dev/null
  ( sleep 12; kill -KILL "$pid" 2>/dev/null ) &
  local guard=$!
  wait "$pid" || rc=$?
  kill "$guard" 2>/dev/null; wait "$guard" 2>/dev/null
  t1=$(date +%s%N)
  unset "SERVE_PIDS[$label]"
  local ms=$(( (t1 - t0) / 1000000 ))
  if [ $rc = 0 ] && [ $ms -lt 10000 ] && ! grep -q "Sanitizer" "$tmp/$label.err"; then
    ok "$label: SIGTERM -> exit 0 in $ms ms"
  else
    bad "$label: SIGTERM -> exit $rc after $ms ms"; grep -A12 "Sanitizer" "$tmp/$label.err" | head -40
  fi
  # a route doing face engine work without SL_R_ENGINE ran it on an HTTP
  # thread (src/http/work.c): the pool says so once in the log
  if grep -q "taken outside the engine workers" "$tmp/$label.err" "$tmp/$label.out" 2>/dev/null; then
    bad "$label: a face engine session was taken outside the engine workers"
  fi
}
serve_kill() {   # LABEL: SIGKILL, no check
  local label=${1:-$SRV_LABEL} pid
  pid=${SERVE_PIDS[$label]-}
  [ -n "$pid" ] || return 0
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  unset "SERVE_PIDS[$label]"
}
serve_kill_all() { local l; for l in "${!SERVE_PIDS[@]}"; do serve_kill "$l"; done; }
trap 'serve_kill_all; pg_stop; rm -rf "$tmp"' EXIT

serve_each_store() {   # FUNC: run FUNC LABEL on a fresh SQLite node, then on PostgreSQL
  local fn=$1
  SERVE_TOK=()
  if serve_start sqlite ""; then "$fn" sqlite; serve_stop sqlite
  else bad "sqlite: server did not start"; serve_kill sqlite; fi
  if pg_start; then
    SERVE_TOK=()
    if serve_start pg "$PG_URL"; then "$fn" pg; serve_stop pg
    else bad "pg: server did not start"; serve_kill pg; fi
  else
    skip=$((skip + 1)); echo "skip PostgreSQL: $PG_SKIP"
  fi
}
serve_done() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; }

# ---------------------------------------------------------------- requests
req_at() {   # BASE METHOD PATH AUTH [BODY|@file] -> ST, BODY
  local b=$1 m=$2 p=$3 a=$4 body=${5-}
  local args=(-s -o "$tmp/body" -w '%{http_code}' -X "$m" --path-as-is -m "$REQ_MAX_S")
  [ -n "$a" ] && args+=(-H "Authorization: $a")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  ST=$(curl "${args[@]}" "$b$p")
  BODY=$(cat "$tmp/body")
}
req() { req_at "$B" "$@"; }
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

# ---------------------------------------------------------------- auth
login() {   # ROLE -> token (empty on failure)
  local u p
  u=$(jq -r ".users.$1.username" "$CRED"); p=$(jq -r ".users.$1.password" "$CRED")
  curl -s -m 20 "$B/v1/auth/login" -H 'Content-Type: application/json' \
    --data-binary "$(jq -nc --arg u "$u" --arg p "$p" '{username:$u,password:$p}')" | jq -r '.token // empty'
}
staff() {   # ROLE -> "Bearer <token>", one login per role and node
  local k="$SRV_LABEL/$1"
  [ -n "${SERVE_TOK[$k]-}" ] || SERVE_TOK[$k]=$(login "$1")
  echo "Bearer ${SERVE_TOK[$k]}"
}
dev() { echo "Device $(jq -r ".devices.$1.id" "$CRED"):$(jq -r ".devices.$1.key" "$CRED")"; }
citizen() {   # VERIFICATION_ID [DEVICE_CLASS=h5] -> "Bearer <citizen token>" (empty if refused)
  local ST BODY t
  req POST /v1/citizen/sessions "$(dev "${2:-h5}")" "{\"verification\":$(jq -Rn --arg v "$1" '$v|tonumber? // $v')}"
  t=$(jq -r '.token // empty' <<<"$BODY" 2>/dev/null)
  [ -n "$t" ] && echo "Bearer $t"
}

# ---------------------------------------------------------------- verifications
# Camera-like frames of a still (the dev photos are 150 px): scaled, on a
# wider background, a little moved per frame as a video would be.
frames_of() {   # PHOTO -> {"frames":[...]} (3 frames, 200 ms apart)
  local i t=0 first=1
  printf '{"frames":['
  for i in 1 2 3; do
    convert "$1" -filter Catrom -resize 320x320 -unsharp 0x1+1.5+0 -distort SRT "$((i % 3 - 1)).$((i % 5))" \
      -gravity center -background '#808080' -extent 640x560 "$tmp/cam.$i.jpg"
    [ $first = 1 ] || printf ','; first=0
    printf '{"t_ms":%d,"image":"%s"}' $t "$(base64 -w0 "$tmp/cam.$i.jpg")"; t=$((t + 200))
  done
  printf ']}'
}
# altverif AUTH(window) ID_NUMBER NAME MATTER REF -> VID: the non-face
# alternative at a window (the clerk checks the ID document)
altverif() {
  VID= VLAST=
  req POST /v1/verifications "$1" "{\"id_type\":\"resident_id\",\"id_number\":\"$2\",\"name\":\"$3\",\"levels\":[\"real_name\",\"real_person\",\"real_document\"],\"liveness\":\"actions\",\"matter\":\"$4\",\"reference\":\"$5\",\"method\":\"alternative\"}"
  [ "$ST" = 201 ] || return 1
  VLAST=$(jq -r .id <<<"$BODY")
  req POST "/v1/verifications/$VLAST/alternative" "$1" '{"method":"clerk_document_check","clerk":"demo-clerk","document":"resident_id card"}'
  VBODY=$BODY
  [ "$ST" = 200 ] && [ "$(jq -r .passed <<<"$BODY")" = true ] && VID=$VLAST
}
# mkverif AUTH ID_NUMBER NAME MATTER REF IMAGE [LIVENESS] -> VID (passed) or
# '' (not passed, or the routes absent), VLAST (the session id either
# way), VBODY (the last answer)
mkverif() {
  local a=$1 num=$2 name=$3 matter=$4 ref=$5 img=$6 live=${7:-digits}
  VID= VLAST= VBODY=
  [ -n "$img" ] && [ -f "$img" ] || return 1
  req POST /v1/verifications "$a" "{\"id_type\":\"resident_id\",\"id_number\":\"$num\",\"name\":\"$name\",\"levels\":[\"real_name\",\"real_person\",\"real_document\"],\"liveness\":\"$live\",\"matter\":\"$matter\",\"reference\":\"$ref\",\"consent\":{\"face_processing\":true,\"remote_frames\":true}}"
  VBODY=$BODY
  [ "$ST" = 201 ] || return 1
  VLAST=$(jq -r .id <<<"$BODY")
  frames_of "$img" >"$tmp/frames.json"
  req POST "/v1/verifications/$VLAST/frames" "$a" "@$tmp/frames.json"
  VBODY=$BODY
  [ "$ST" = 200 ] && [ "$(jq -r .passed <<<"$BODY")" = true ] && VID=$VLAST
}
