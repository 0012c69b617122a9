#!/usr/bin/env bash
# Black-box tests of the population registry over HTTP (issue 11; routes in
# src/http/routes_registry.c), `shualian registry import`, the demo
# registry and the window first visit (seed 000 情形一), on SQLite and on a
# throwaway PostgreSQL:
#   POST /v1/registry/persons: valid, every ID type, bad check digit,
#     impossible birth date, 15 -> 18 digits, no face, several faces,
#     duplicate, birth date disagreeing with the number, admin only;
#   look-ups masked for a clerk, full only for an admin asking, each one in
#     GET /v1/audit?person=;
#   registry import: a rejected-rows report (bad check digit, no face, poor
#     quality, duplicate, unreadable photo), kill -9 in the middle and
#     --resume (nothing added twice), a second run without --resume refused;
#   the demo seed is idempotent (a restart gives the same persons);
#   first visit: the person's identity code + their live face passes;
#   someone else's face, a deceased person and a replayed code are refused.
# Needs ../shared/faces (SL_FACES): skips visibly without it.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq base64 convert
SERVE_ARGS=(--threads 4)
FACES=${SL_FACES:-../shared/faces}
if [ ! -d "$FACES/dev" ] || [ ! -f "$M/fr_feature.onnx" ]; then
  echo "skip registry: needs $FACES/dev (SL_FACES) and the models in $M"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
export SL_FACES=$FACES
REQ_MAX_S=60

photo() {   # IDENTITY [N] -> path of its N-th photo (0 = first by number)
  ls "$FACES/dev/$1" | sort -n | sed -n "$(( ${2:-0} + 1 ))p" | sed "s|^|$FACES/dev/$1/|"
}
# GB 11643 check character of 17 digits (bash only: this runs often)
ck() {
  local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) c=10X98765432 i sum=0
  for i in $(seq 0 16); do sum=$((sum + ${s:$i:1} * ${w[$i]})); done
  echo "$s${c:$((sum % 11)):1}"
}
# resident ID with its check character: REGION BIRTH SEQ
rid() { ck "$1$2$(printf %03d "$3")"; }
# foreign permanent resident ID (2023): 9 + PROV NAT BIRTH SEQ + check
fpr() { ck "9$1"; }
add_body() {   # TYPE NUMBER NAME PHOTO [EXTRA_JSON] -> file
  printf '{"id_type":"%s","id_number":"%s","name":"%s","photo":"%s"%s}' "$1" "$2" "$3" \
    "$(base64 -w0 "$4")" "${5:+,$5}" >"$tmp/add.json"
  echo "@$tmp/add.json"
}

convert -size 200x200 gradient:white-gray "$tmp/noface.jpg"
convert "$(photo Keanu_Reeves 0)" -evaluate multiply 0.2 "$tmp/dark.jpg"
GROUP=$(ls "$FACES"/dev_group/*.jpg 2>/dev/null | head -1)

run_suite() {   # $1 label, $2 data dir, $3 db url
  local L=$1 DATA=$2 DB=$3
  local ADMIN CLERK AUDITOR WINDOW H5
  ADMIN=$(staff admin); CLERK=$(staff clerk); AUDITOR=$(staff auditor)
  WINDOW=$(dev window); H5=$(dev h5)

  # ---- the demo registry
  [ "$(jq '.persons | length' "$CRED")" = 13 ] && ok "$L: demo seed: 13 persons in the credentials" \
    || bad "$L: demo persons: $(jq -c .persons "$CRED" | head -c 300)"
  req GET /v1/registry/face-report "$ADMIN"
  check "$L: face-data report" 200
  [ "$(jq -r .persons_with_face_data <<<"$BODY")" = 13 ] && [ "$(jq -r .warning <<<"$BODY")" = false ] \
    && ok "$L: 13 persons with face data, no warning" || bad "$L: report: $BODY"
  curl -s "$B/metrics" | grep -q '^shualian_registry_persons_with_face_data 13$' \
    && ok "$L: /metrics gauge" || bad "$L: metrics gauge"
  req GET /v1/registry/face-report "$CLERK"
  check "$L: a clerk cannot read the report" 403

  # ---- POST /v1/registry/persons
  local n1; n1=$(rid 110105 19700101 11)
  req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id "$n1" 测试一 "$(photo Aaron_Sorkin)" '"sex":"M","birth_date":"1970-01-01","valid_to":"2035-01-01","former_names":"测试旧"')"
  check "$L: add a resident (valid number, one face)" 201
  local p1; p1=$(jq -r .person_id <<<"$BODY")
  [ "$(jq -r .id_number <<<"$BODY")" = "1101**********$(echo ${n1:14})" ] && ok "$L: reply masks the number" \
    || bad "$L: masked number: $BODY"
  req POST /v1/registry/persons "$ADMIN" "@$tmp/add.json"
  check "$L: the same document again" 409 id_person_exists
  req POST /v1/registry/persons "$CLERK" "@$tmp/add.json"
  check "$L: a clerk cannot add persons" 403
  local bad_n; bad_n=${n1:0:17}$([ "${n1:17}" = 0 ] && echo 1 || echo 0)
  req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id "$bad_n" 测试 "$(photo Aaron_Sorkin)")"
  check "$L: bad check digit" 422 id_check_digit
  grep -q check_digit <<<"$(jq -r .detail <<<"$BODY")" && ok "$L: the detail names the failed check" \
    || bad "$L: detail: $BODY"
  req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id "$(rid 110105 19700230 11)" 测试 "$(photo Aaron_Sorkin)")"
  check "$L: impossible birth date (30 Feb)" 422 id_birth_date
  req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id "$(rid 110105 19700101 13)" 测试 "$(photo Aaron_Sorkin)" '"birth_date":"1971-01-01"')"
  check "$L: a birth date the number contradicts" 422 id_birth_date
  req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id 110105491231002 旧号 "$(photo Aaron_Peirsol)")"
  check "$L: a 15-digit number is accepted" 201
  [ "$(jq -r .converted <<<"$BODY")" = true ] && ok "$L: ... and converted to 18 digits" || bad "$L: converted: $BODY"
  req POST /v1/registry/persons/lookup "$ADMIN" '{"id_type":"resident_id","id_number":"11010519491231002X","full":true}'
  [ "$ST" = 200 ] && [ "$(jq -r .id_number <<<"$BODY")" = 11010519491231002X ] \
    && ok "$L: the converted person is found by the 18-digit number" || bad "$L: 15->18 lookup: $ST $BODY"
  local ty num ph i=0
  for spec in "passport E12345678 Aaron_Guiel" "passport X1234567 Abbas_Kiarostami" \
              "hk_macao_permit M1234567801 Abdoulaye_Wade" "taiwan_permit 12345678 Abdullah_Gul" \
              "foreign_permanent_resident $(fpr 1115619800101002) Abdul_Rahman" \
              "foreign_permanent_resident USA110801010012 Abdullah"; do
    read -r ty num ph <<<"$spec"
    req POST /v1/registry/persons "$ADMIN" "$(add_body "$ty" "$num" "类型$i" "$(photo "$ph")")"
    check "$L: ID type $ty ($num)" 201
    i=$((i + 1))
  done
  req POST /v1/registry/persons "$ADMIN" "$(add_body driving_licence 12345678 测试 "$(photo Aaron_Sorkin)")"
  check "$L: unknown ID type" 422 id_type
  req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id "$(rid 110105 19700101 15)" 无脸 "$tmp/noface.jpg")"
  check "$L: a photo without a face" 422 id_photo_no_face
  req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id "$(rid 110105 19700101 17)" 太暗 "$tmp/dark.jpg")"
  check "$L: a photo too dark to compare" 422 id_photo_quality
  jq -e '.reasons | map(.code) | index("too_dark")' <<<"$BODY" >/dev/null && ok "$L: ... with the reason too_dark (zh/en)" \
    || bad "$L: dark reasons: $BODY"
  if [ -n "$GROUP" ]; then
    req POST /v1/registry/persons "$ADMIN" "$(add_body resident_id "$(rid 110105 19700101 19)" 多人 "$GROUP")"
    check "$L: a photo with several faces" 422 id_photo_quality
  fi
  printf '{"id_type":"resident_id","id_number":"%s","name":"x","photo":"bm90IGFuIGltYWdl"}' "$(rid 110105 19700101 21)" >"$tmp/junk.json"
  req POST /v1/registry/persons "$ADMIN" "@$tmp/junk.json"
  [ "$ST" = 422 ] && ok "$L: bytes that are not an image: 422 ($(code))" || bad "$L: junk photo: $ST $BODY"

  # ---- look-ups: masked, full only for an admin, audited
  req GET "/v1/registry/persons/$p1" "$CLERK"
  check "$L: clerk reads a person" 200
  [ "$(jq -r .masked <<<"$BODY")" = true ] && [ "$(jq -r .name <<<"$BODY")" = "测**" ] && ! grep -q "$n1" <<<"$BODY" \
    && ok "$L: clerk sees the record masked" || bad "$L: clerk view: $BODY"
  req GET "/v1/registry/persons/$p1?full=1" "$CLERK"
  [ "$(jq -r .masked <<<"$BODY")" = true ] && ok "$L: a clerk asking full still gets it masked" || bad "$L: clerk full: $BODY"
  req GET "/v1/registry/persons/$p1?full=1" "$ADMIN"
  [ "$(jq -r .id_number <<<"$BODY")" = "$n1" ] && [ "$(jq -r .former_names <<<"$BODY")" = 测试旧 ] \
    && ok "$L: an admin asking full sees the record" || bad "$L: admin full: $BODY"
  req POST /v1/registry/persons/lookup "$CLERK" "{\"id_type\":\"resident_id\",\"id_number\":\"$n1\"}"
  [ "$ST" = 200 ] && [ "$(jq -r .person_id <<<"$BODY")" = "$p1" ] && ok "$L: clerk looks up by document" || bad "$L: lookup: $ST $BODY"
  req POST /v1/registry/persons/lookup "$CLERK" "{\"id_type\":\"resident_id\",\"id_number\":\"$(rid 110105 19700101 99)\"}"
  check "$L: look-up of an unknown document" 404 id_person_unknown
  req GET "/v1/registry/persons/999999" "$CLERK"
  check "$L: unknown person_id" 404 id_person_unknown
  req GET "/v1/registry/persons/1" "$WINDOW"
  check "$L: a window device cannot browse the registry" 403
  req GET "/v1/audit?person=$n1" "$AUDITOR"
  local reads; reads=$(jq '[.records[] | select(.action == "person.read")] | length' <<<"$BODY" 2>/dev/null)
  local adds; adds=$(jq '[.records[] | select(.action == "person.add")] | length' <<<"$BODY" 2>/dev/null)
  [ "${reads:-0}" -ge 4 ] && [ "${adds:-0}" = 1 ] && ok "$L: the add and every look-up are in the person's audit ($reads reads)" \
    || bad "$L: audit by person: reads=$reads adds=$adds $(head -c 300 <<<"$BODY")"
  grep -q "$n1" <<<"$BODY" && bad "$L: the audit shows the full number" || ok "$L: the audit keeps the number masked"

  # ---- registry import: rejects, kill -9, --resume
  mkdir -p "$tmp/imp-$L/photos"
  # registry photos the demo seed accepts (one face, enough light), reused:
  # the registry is keyed by document, not by face
  local who k=0 rows="id_type,id_number,name,sex,birth_date,valid_to,photo"
  for who in Keanu_Reeves Kate_Winslet Madonna Ben_Affleck Tina_Fey Jerry_Seinfeld; do
    cp "$(photo "$who")" "$tmp/imp-$L/photos/$who.jpg"
  done
  local good_photos=(Keanu_Reeves Kate_Winslet Madonna Ben_Affleck Tina_Fey Jerry_Seinfeld)
  for k in $(seq 0 39); do
    rows+=$'\n'"resident_id,$(rid 330106 19800101 $((300 + k))),导入$k,,,2036-01-01,${good_photos[$((k % 6))]}.jpg"
  done
  cp "$tmp/noface.jpg" "$tmp/imp-$L/photos/noface.jpg"
  cp "$tmp/dark.jpg" "$tmp/imp-$L/photos/dark.jpg"
  local badck; badck=$(rid 330106 19800101 500); badck=${badck:0:17}$([ "${badck:17}" = 0 ] && echo 1 || echo 0)
  rows+=$'\n'"resident_id,$badck,坏校验位,,,,Madonna.jpg"
  rows+=$'\n'"resident_id,$(rid 330106 19800101 501),无脸,,,,noface.jpg"
  rows+=$'\n'"resident_id,$(rid 330106 19800101 502),太暗,,,,dark.jpg"
  rows+=$'\n'"resident_id,$(rid 330106 19800101 300),重复,,,,Tina_Fey.jpg"
  rows+=$'\n'"resident_id,$(rid 330106 19800101 503),缺照片,,,,missing.jpg"
  for k in $(seq 40 59); do
    rows+=$'\n'"resident_id,$(rid 330106 19800101 $((300 + k))),导入$k,,,2036-01-01,${good_photos[$((k % 6))]}.jpg"
  done
  local good=60
  printf '%s\n' "$rows" >"$tmp/imp-$L/p.csv"
  local IMP=(registry import --csv "$tmp/imp-$L/p.csv" --photos "$tmp/imp-$L/photos" --data "$DATA" --models "$M" --batch 2 --log-batches)
  [ -n "$DB" ] && IMP+=(--db "$DB")
  printf 'id_type,number,name,photo\n' >"$tmp/imp-$L/badhdr.csv"
  "$S" registry import --csv "$tmp/imp-$L/badhdr.csv" --photos "$tmp/imp-$L/photos" --data "$DATA" \
    ${DB:+--db "$DB"} >"$tmp/imp0.json" 2>"$tmp/imp0.err"
  local rc0=$?
  [ $rc0 = 3 ] && grep -q id_import_csv "$tmp/imp0.json" && grep -q '"number"' "$tmp/imp0.err" \
    && ok "$L: a CSV header with an unknown column is refused (exit 3, id_import_csv)" \
    || bad "$L: bad header: exit $rc0 $(cat "$tmp/imp0.json")"
  $S "${IMP[@]}" >"$tmp/imp1.json" 2>"$tmp/imp1.err" &
  local ipid=$!
  for _ in $(seq 1 300); do
    [ "$(grep -c 'committed rows' "$tmp/imp1.err" 2>/dev/null)" -ge 3 ] && break
    kill -0 $ipid 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL $ipid 2>/dev/null; wait $ipid 2>/dev/null
  local done1; done1=$(grep -c 'committed rows' "$tmp/imp1.err")
  [ "$done1" -ge 1 ] && ok "$L: import killed with -9 after $done1 committed batches" || bad "$L: import did not commit before the kill: $(tail -3 "$tmp/imp1.err")"
  local IMP2=(registry import --csv "$tmp/imp-$L/p.csv" --photos "$tmp/imp-$L/photos" --data "$DATA" --models "$M")
  [ -n "$DB" ] && IMP2+=(--db "$DB")
  "$S" "${IMP2[@]}" >"$tmp/imp2.json" 2>"$tmp/imp2.err"
  local rc2=$?
  [ $rc2 != 0 ] && grep -q -- '--resume' "$tmp/imp2.err" && ok "$L: a second import without --resume is refused (names --resume)" \
    || bad "$L: second run: $(tail -2 "$tmp/imp2.err")"
  "$S" "${IMP2[@]}" --resume >"$tmp/imp3.json" 2>"$tmp/imp3.err"
  [ $? = 0 ] && ok "$L: --resume finishes the import" || bad "$L: resume failed: $(tail -3 "$tmp/imp3.err")"
  local from; from=$(jq -r .resumed_from_row "$tmp/imp3.json")
  [ "${from:-0}" -gt 0 ] && [ "$from" -lt $((good + 5)) ] && ok "$L: resumed after row $from" || bad "$L: resumed_from_row $from"
  [ "$(jq -r .accepted "$tmp/imp3.json")" = "$good" ] && ok "$L: every good row accepted exactly once ($good)" \
    || bad "$L: accepted $(jq -r .accepted "$tmp/imp3.json"), want $good"
  local reasons; reasons=$(jq -r '[.rejected[].reason] | sort | join(",")' "$tmp/imp3.json")
  [ "$reasons" = "bad_number,duplicate,no_face,poor_quality,unreadable_photo" ] && ok "$L: rejected rows with their reasons" \
    || bad "$L: rejected reasons: $reasons"
  [ "$(jq -r '.rejected[] | select(.reason == "bad_number") | .code' "$tmp/imp3.json")" = id_check_digit ] \
    && ok "$L: the bad number's failed check (id_check_digit)" || bad "$L: bad number code"
  [ "$(jq -r '.rejected[] | select(.reason == "duplicate") | .row' "$tmp/imp3.json")" = 44 ] \
    && ok "$L: the duplicate is the intended row (not a re-run of committed rows)" || bad "$L: duplicate row: $(jq -c .rejected "$tmp/imp3.json")"
  grep -q "$badck" "$tmp/imp3.json" && bad "$L: the report shows a full number" || ok "$L: the report masks numbers"
  req GET /v1/registry/face-report "$ADMIN"
  [ "$(jq -r .persons_with_face_data <<<"$BODY")" -ge $((13 + good)) ] && ok "$L: imported persons counted" || bad "$L: count after import: $BODY"

  # ---- window first visit (seed 000 情形一): 示例甲
  local pa pc
  pa=$(jq -r '.persons[] | select(.name == "示例甲") | .person_id' "$CRED")
  pc=$(jq -r '.persons[] | select(.name == "示例丙") | .person_id' "$CRED")
  fv() {   # PERSON_ID CAPTURE -> ST BODY (code issued on the phone channel)
    req POST /v1/id-codes "$H5" "{\"person\":\"$1\"}"
    CODE=$(jq -r '.code // empty' <<<"$BODY")
    printf '{"capture":"%s","id_code":"%s","reference":"T-1"}' "$(base64 -w0 "$2")" "$CODE" >"$tmp/fv.json"
    req POST /v1/window/first-visit "$WINDOW" "@$tmp/fv.json"
  }
  fv "$pa" "$(photo Keanu_Reeves 1)"
  check "$L: first visit answered" 200
  [ "$(jq -r .passed <<<"$BODY")" = true ] && [ "$(jq -r .method <<<"$BODY")" = identity_code+face ] \
    && ok "$L: first visit: the person's own live face passes (score $(jq -r .score <<<"$BODY"))" || bad "$L: first visit pass: $BODY"
  [ "$(jq -r .person.name <<<"$BODY")" = "示**" ] && ok "$L: the clerk sees the person masked" || bad "$L: fv person: $BODY"
  jq -e '.id > 0 and .expires_at != null' <<<"$BODY" >/dev/null && ok "$L: a verification result id for the clerk's console" || bad "$L: fv id"
  req POST /v1/window/first-visit "$WINDOW" "@$tmp/fv.json"
  check "$L: the same identity code again" 409 idcode_used
  fv "$pa" "$(photo Kate_Winslet 1)"
  [ "$ST" = 200 ] && [ "$(jq -r .passed <<<"$BODY")" = false ] && [ "$(jq -r '.reasons[0].code' <<<"$BODY")" = id_face_mismatch ] \
    && ok "$L: someone else's face is refused (id_face_mismatch)" || bad "$L: impostor: $ST $BODY"
  jq -e '.reasons[0].zh and .reasons[0].en' <<<"$BODY" >/dev/null && ok "$L: refusal reason in zh and en" || bad "$L: refusal text"
  fv "$pc" "$(photo Hans_Blix 1)"
  [ "$(jq -r .passed <<<"$BODY")" = false ] && [ "$(jq -r '.reasons[0].code' <<<"$BODY")" = id_person_status ] \
    && ok "$L: a deceased person's code is refused (id_person_status)" || bad "$L: deceased: $BODY"
  fv "$pa" "$tmp/noface.jpg"
  [ "$(jq -r .passed <<<"$BODY")" = false ] && [ "$(jq -r '.reasons[0].code' <<<"$BODY")" = no_face ] \
    && ok "$L: a capture without a face is refused (no_face)" || bad "$L: fv no face: $BODY"
  req POST /v1/id-codes "$H5" "{\"person\":\"$pa\"}"
  printf '{"capture":"%s","id_code":"%s"}' "$(base64 -w0 "$(photo Keanu_Reeves 1)")" "$(jq -r .code <<<"$BODY")" >"$tmp/fv.json"
  req POST /v1/window/first-visit "$H5" "@$tmp/fv.json"
  check "$L: only a window device runs a first visit" 403
  req GET "/v1/audit?person=330302198805126615" "$AUDITOR"
  [ "$(jq '[.records[] | select(.action == "window.first_visit")] | length' <<<"$BODY")" -ge 2 ] \
    && ok "$L: first-visit look-ups are on the person's audit" || bad "$L: fv audit: $(head -c 300 <<<"$BODY")"
}

DEMO_PERSONS=
seed_twice() {   # $1 label, $2 data, $3 db: restart and compare the demo persons
  local before; before=$(jq -cS .persons "$2/demo-credentials.json")
  serve_stop "$1"
  if SERVE_DATA=$2 serve_start "${1}2" "$3"; then
    local after; after=$(jq -cS .persons "$2/demo-credentials.json")
    [ "$before" = "$after" ] && ok "$1: demo seed on restart: the same persons and ids" || bad "$1: demo persons changed on restart"
    grep -q 'demo registry: 13 persons (0 added now' "$tmp/${1}2.err" && ok "$1: restart adds nobody" \
      || bad "$1: restart seed: $(grep 'demo registry' "$tmp/${1}2.err")"
    serve_stop "${1}2"
  else bad "$1: restart failed"; serve_kill "${1}2"; fi
}

suite() {   # $1 label: the whole run, then a restart on the same data
  local db_v="DB_$1"
  run_suite "$1" "$DATA" "${!db_v}"
  seed_twice "$1" "$DATA" "${!db_v}"
}
serve_each_store suite
serve_done
