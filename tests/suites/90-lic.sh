#!/usr/bin/env bash
# 90-lic.sh -- issue 14 over HTTP against the real server on 127.0.0.1
# (SQLite, then a throwaway PostgreSQL via lib-pg.sh), fixed test clock:
# the e-signature routes (public key; a signature record checked, every
# kind of bad record answered with its code, a malformed request 422);
# the demo's issuers, types and licences; issuing with the GB/T 36904 id
# validated (wrong check character, foreign fields refused with a reason);
# only issuers issue and revoke; a revoked licence refused at the public
# check; a tampered issuer signature detected; the holder list without
# field values; 免提交 without consent refused with nothing fetched (the
# audit log holds no licence.use); credential / certificate codes that are
# not ours refused. The flows that need a passed face verification
# (consent + fetch, 房查证明, temporary credentials with expiry, revocation
# and the monthly limit) run as unit test gov_licstore on the same store
# kind (SQLite, and SL_TEST_STORE_URL=PostgreSQL): the verification routes
# are branch w3-idverif's.
cd "$(dirname "$0")/../.." || exit 1
. tests/suites/lib-serve.sh
serve_need curl jq
ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
T0=$(ms 2026-12-04T02:00:00Z)
set_clock $T0
SERVE_CONFIG='{ "threads": 2, "rate": { "default": { "per_s": 1000, "burst": 100000 },
                          "login": { "per_s": 100, "burst": 100 } } }'
SERVE_ARGS=(--no-models --quiet --matters share/shualian/matters --shared-data share/shualian/exchange)

post() { curl -s -o "$tmp/body" -w '%{http_code}' -XPOST -H 'content-type: application/json' \
              "http://127.0.0.1:$PORT$1" --data-binary "$2"; }
jb() { jq -e "$1" "$tmp/body" >/dev/null 2>&1; }
sql() {   # $1 db url (empty: sqlite), $2 statement
  if [ -z "$1" ]; then sqlite3 "$tmp/$LABEL/shualian.db" "$2"; else "$PG_BIN/psql" -qtA -d "$1" -c "$2"; fi
}
JIA=330302198805126615

H64=$(printf 'ab%.0s' $(seq 32))
rec() {   # $1 sig hex, $2 suite
  printf '{"doc_hash":"%s","verification_id":"ver_1","result":"match","signed_at_ms":1764813600000,"suite":"%s","kid":1,"sig":"%s"}' \
    "$H64" "$2" "$1"
}

suite_tests() {   # $1 label, $2 db url
  local label=$1
  ok "$label: server starts"
  local key; key=$(curl -s "http://127.0.0.1:$PORT/v1/esign/key")
  if jq -e '.suite == "gm" and (.public_key | startswith("gm:1:"))' <<<"$key" >/dev/null; then
    ok "$label: GET /v1/esign/key gives the hall's public key"
  else bad "$label: esign key ($key)"; fi

  # well-formed blob (magic SLS 01, suite gm, kid 1) whose signature is wrong
  local forged="534c530101""00000001"$(printf '11%.0s' $(seq 64))
  local c; c=$(post /v1/esign/verify "{\"signature\":$(rec "$forged" gm)}")
  if [ "$c" = 200 ] && jq -e '.valid == false and .code == "crypto_signature"' "$tmp/body" >/dev/null; then
    ok "$label: a forged signature is not valid (crypto_signature)"
  else bad "$label: forged ($c $(cat "$tmp/body"))"; fi

  c=$(post /v1/esign/verify "{\"signature\":$(rec "$(printf '00%.0s' $(seq 73))" gm)}")
  if [ "$c" = 200 ] && jq -e '.valid == false and .code == "crypto_format"' "$tmp/body" >/dev/null; then
    ok "$label: a blob without the magic is crypto_format"
  else bad "$label: bad magic ($c $(cat "$tmp/body"))"; fi

  # checked before the signature: a blob that alone is crypto_format
  c=$(post /v1/esign/verify "{\"signature\":$(rec "$(printf '00%.0s' $(seq 73))" gm),\"doc_hash\":\"$(printf 'cd%.0s' $(seq 32))\"}")
  if [ "$c" = 200 ] && jq -e '.valid == false and .code == "crypto_signature"' "$tmp/body" >/dev/null; then
    ok "$label: another document's hash is not valid"
  else bad "$label: doc hash ($c $(cat "$tmp/body"))"; fi

  c=$(post /v1/esign/verify '{"signature":{"doc_hash":"x"}}')
  if [ "$c" = 422 ] && jq -e '.code == "esign_format"' "$tmp/body" >/dev/null; then
    ok "$label: a malformed record is 422 esign_format"
  else bad "$label: malformed ($c $(cat "$tmp/body"))"; fi

  c=$(post /v1/esign/verify '{"nosig":1}')
  if [ "${c:0:1}" = 4 ]; then ok "$label: a body without signature is refused ($c)"
  else bad "$label: no signature ($c)"; fi

  # migration 101 made the issue-14 tables on this store
  local tabs
  if [ -z "$2" ]; then
    tabs=$(command -v sqlite3 >/dev/null && sqlite3 "$tmp/$label/shualian.db" \
      "SELECT count(*) FROM sqlite_master WHERE type='table' AND name LIKE 'lic\\_%' ESCAPE '\\'")
  else
    tabs=$("$PG_BIN/psql" -qtA -d "$2" -c "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'lic\\_%'")
  fi
  if [ -z "$tabs" ] && [ -z "$2" ]; then skip=$((skip + 1)); echo "skip $label: sqlite3 absent"
  elif [ "$tabs" = 8 ]; then ok "$label: migrations 101 and 110 made the 8 lic_ tables"
  else bad "$label: lic tables ($tabs)"; fi

  if curl -s "http://127.0.0.1:$PORT/v1/openapi.json" | jq -e '.paths["/v1/esign/verify"].post' >/dev/null; then
    ok "$label: OpenAPI lists /v1/esign/verify"
  else bad "$label: openapi"; fi
  licence_tests "$label" "$2"
  if curl -s "http://127.0.0.1:$PORT/v1/openapi.json" | jq -e '.paths["/v1/licence-fetches"].post and .paths["/v1/verify/credential"].get and .paths["/v1/me/licences"].get' >/dev/null; then
    ok "$label: OpenAPI lists the licence, credential and citizen routes"
  else bad "$label: openapi licence routes"; fi
}

licence_tests() {   # $1 label, $2 db url
  local label=$1 db=$2 c=$tmp/$1/demo-credentials.json
  LABEL=$label
  req GET /v1/licences/types ""
  if [ "$ST" = 200 ] && jb '(.types | length) == 5 and ([.types[].kind] | index("property_certificate"))'; then
    ok "$label: the demo's 5 licence types"
  else bad "$label: types ($ST $(cat "$tmp/body"))"; fi
  req GET /v1/licences/issuers ""
  if jb '(.issuers | length) == 4 and all(.issuers[]; .public_key | startswith("gm:1:"))'; then
    ok "$label: 4 issuers, each with its own public key"
  else bad "$label: issuers ($(cat "$tmp/body"))"; fi
  local lid; lid=$(jq -r '.licences.licences["示例甲"].resident_id' "$c")
  req GET "/v1/licences/$lid/check" ""
  if jb '.usable == true and .signature_valid == true and .status == "issued" and (has("fields") | not)'; then
    ok "$label: a demo licence checks (issuer signature, usable, no field values)"
  else bad "$label: check ($ST $(cat "$tmp/body"))"; fi

  local ISS CLERK AUD H5
  ISS=$(staff issuer) CLERK=$(staff clerk) AUD=$(staff auditor) H5=$(dev h5)
  local fields='{"name":"示例甲","id_number":"'$JIA'","sex":"M","birth_date":"1988-05-12","address":"温州","valid_to":"2036-01-01"}'
  local iss; iss=$(jq -r .licences.issuers.police.uscc "$c")
  # a licence id with a wrong check character, another type's id, foreign fields
  req POST /v1/licences "$ISS" '{"kind":"resident_id","holder_id_number":"'$JIA'","licence_id":"1.2.156.3005.2.100001.'$iss'.T1.1.A","fields":'"$fields"'}'
  if [ "$ST" = 422 ] && jb '.code == "licence_id" and (.detail | test("check"))'; then
    ok "$label: a GB/T 36904 id with a wrong check character refused with the reason"
  else bad "$label: bad check char ($ST $(cat "$tmp/body"))"; fi
  req POST /v1/licences "$ISS" '{"kind":"resident_id","holder_id_number":"'$JIA'","licence_id":"not-an-id","fields":'"$fields"'}'
  if [ "$ST" = 422 ] && jb '.code == "licence_id" and (.detail | length > 0)'; then
    ok "$label: a malformed licence id refused ($(jq -r .detail "$tmp/body" | cut -c1-40))"
  else bad "$label: malformed id ($ST $(cat "$tmp/body"))"; fi
  req POST /v1/licences "$ISS" '{"kind":"resident_id","holder_id_number":"'$JIA'","fields":{"name":"x","secret":"y"}}'
  if [ "$ST" = 422 ] && jb '.code == "licence_data"'; then ok "$label: fields outside the type refused"
  else bad "$label: fields ($ST $(cat "$tmp/body"))"; fi
  req POST /v1/licences "$CLERK" '{"kind":"resident_id","holder_id_number":"'$JIA'","fields":'"$fields"'}'
  if [ "$ST" = 403 ]; then ok "$label: a clerk may not issue"; else bad "$label: clerk issues ($ST)"; fi
  req POST /v1/licences "$ISS" '{"kind":"resident_id","holder_id_number":"'$JIA'","serial":"SUITE1","fields":'"$fields"'}'
  local new; new=$(jq -r .licence_id "$tmp/body")
  if [ "$ST" = 201 ] && [[ "$new" == 1.2.156.3005.2.100001.$iss.SUITE1.1.* ]]; then
    ok "$label: an issuer issues a licence (GB/T 36904 id $new)"
  else bad "$label: issue ($ST $(cat "$tmp/body"))"; fi
  # revoke (issuer only), then the check says revoked
  req POST "/v1/licences/$new/revoke" "$CLERK" '{"reason":"x"}'
  [ "$ST" = 403 ] && ok "$label: a clerk may not revoke" || bad "$label: clerk revoke ($ST)"
  req POST "/v1/licences/$new/revoke" "$ISS" '{"reason":"reported lost"}'
  req GET "/v1/licences/$new/check" ""
  if jb '.status == "revoked" and .usable == false and .code == "licence_revoked"'; then
    ok "$label: a revoked licence is refused (licence_revoked)"
  else bad "$label: revoked ($(cat "$tmp/body"))"; fi
  req POST "/v1/licences/$new/resume" "$ISS" '{}'
  [ "$ST" = 409 ] && jb '.code == "licence_transition"' && ok "$label: revocation is final (409)" || bad "$label: resume revoked ($ST)"
  # a tampered issuer signature: one hex digit of the stored signature changed
  local prop; prop=$(jq -r '.licences.licences["示例丁"].property_certificate' "$c")
  if [ -z "$db" ] && ! command -v sqlite3 >/dev/null; then skip=$((skip + 1)); echo "skip $label: sqlite3 absent (tamper)"
  else
    sql "$db" "UPDATE lic_licence SET sig = substr(sig, 1, 90) || CASE WHEN substr(sig, 91, 1) = 'a' THEN 'b' ELSE 'a' END || substr(sig, 92) WHERE licence_id = '$prop'" >/dev/null
    req GET "/v1/licences/$prop/check" ""
    if jb '.signature_valid == false and .usable == false and .code == "licence_tampered"'; then
      ok "$label: a tampered issuer signature is detected (licence_tampered)"
    else bad "$label: tamper ($(cat "$tmp/body"))"; fi
  fi
  # the holder list for staff: kinds, status and uses, never field values
  req POST /v1/licences/holder "$CLERK" '{"id_number":"'$JIA'"}'
  if [ "$ST" = 200 ] && jb '(.licences | length) == 5 and all(.licences[]; has("fields") | not) and all(.licences[]; .uses | type == "array")'; then
    ok "$label: the holder list (5 licences of 示例甲, uses, no field values)"
  else bad "$label: holder list ($ST $(cat "$tmp/body" | head -c 300))"; fi

  # 免提交 without consent: refused, nothing fetched
  req POST /v1/applications "$H5" '{"matter":"gjj.tiqu","id_number":"'$JIA'","form":{"amount_cny":"100000","bank_account":"6222020000000000"}}'
  local app; app=$(jq -r .id "$tmp/body")
  req POST /v1/licence-fetches "$H5" '{"application":'"$app"'}'
  if [ "$ST" = 403 ] && jb '.code == "licence_consent" and (.zh | length > 0) and (.en | length > 0)'; then
    ok "$label: housing-fund withdrawal without consent refused (403 licence_consent, zh/en)"
  else bad "$label: fetch without consent ($ST $(cat "$tmp/body"))"; fi
  req POST /v1/licence-consents "$H5" '{"application":'"$app"',"verification":999999}'
  if [ "${ST:0:1}" = 4 ]; then ok "$label: consent without a real verification refused ($ST $(jq -r .code "$tmp/body"))"
  else bad "$label: bogus consent ($ST)"; fi
  req GET "/v1/audit?action=licence.use" "$AUD"
  if [ "$ST" = 200 ] && jb '(.records | length) == 0'; then
    ok "$label: the audit log holds no licence.use: no field left the server"
  else bad "$label: audit ($ST $(cat "$tmp/body" | head -c 300))"; fi
  req GET "/v1/audit?action=licence.fetch" "$AUD"
  if jb '(.records | length) >= 1 and all(.records[]; .outcome != "ok")'; then
    ok "$label: the refused fetch is audited with its outcome"
  else bad "$label: fetch audit ($(cat "$tmp/body" | head -c 300))"; fi

  # codes that are not ours
  req GET "/v1/verify/credential?code=ABCDEFGH" ""
  [ "$ST" = 422 ] && jb '.code == "print_token" and (.zh | length > 0)' && ok "$label: an unknown credential code refused (print_token)" || bad "$label: cred code ($ST $(cat "$tmp/body"))"
  req GET "/v1/verify/property-certificate?code=SLPC1.FC1.$(printf 'a%.0s' $(seq 64)).$(printf '0%.0s' $(seq 146))" ""
  [ "$ST" = 422 ] && ok "$label: a forged certificate QR refused" || bad "$label: cert forged ($ST $(cat "$tmp/body"))"
  req POST /v1/credentials "$(dev window)" '{"verification":424242}'
  [ "${ST:0:1}" = 4 ] && ok "$label: a credential needs a real verification ($ST)" || bad "$label: credential ($ST)"

  flow_tests "$label" "$db" "$app"

  # the verification-bound flows (library over this store kind)
  local ut
  if [ -z "$db" ]; then ut=$(SL_TEST_STORE_URL= build/shualian-tests gov_licstore 2>&1)
  else ut=$(SL_TEST_STORE_URL=$db build/shualian-tests gov_licstore 2>&1); fi
  if grep -q "^1 passed, 0 failed" <<<"$ut"; then
    ok "$label: consent + fetch, 房查证明 + QR, credentials (gov_licstore: $(grep -o '[0-9]* checks' <<<"$ut"))"
  else bad "$label: gov_licstore"; echo "$ut" | tail -15; fi
}

# A passed verification made at the window without a face (the clerk's
# document check: the non-face alternative), for $1 number, $2 name,
# $3 matter, $4 reference -> its id on stdout.
alt_verif() {
  local W; W=$(dev window)
  req POST /v1/verifications "$W" '{"id_type":"resident_id","id_number":"'$1'","name":"'$2'","levels":["real_name","real_person"],"liveness":"none","method":"alternative","matter":"'$3'","reference":"'$4'","consent":{"face_processing":true}}'
  local v; v=$(jq -r .id "$tmp/body")
  req POST "/v1/verifications/$v/alternative" "$W" '{"method":"clerk_document_check","clerk":"demo-clerk","document":"resident ID card"}'
  jb '.passed == true' && echo "$v"
}

flow_tests() {   # $1 label, $2 db url, $3 the gjj.tiqu application of 示例甲
  local label=$1 db=$2 app=$3 W CLERK AUD ISS v
  W=$(dev window) CLERK=$(staff clerk) AUD=$(staff auditor) ISS=$(staff issuer)
  v=$(alt_verif $JIA 示例甲 gjj.tiqu "$app")
  if [ -z "$v" ]; then bad "$label: a passed verification (window, clerk's document check)"; return; fi
  req POST /v1/licence-consents "$W" '{"application":'"$app"',"verification":'"$v"'}'
  if [ "$ST" = 201 ] && jb '(.consents | length) == 3'; then ok "$label: 示例甲 consents for the withdrawal (3 licence types, verification consumed)"
  else bad "$label: consent ($ST $(cat "$tmp/body"))"; fi
  req POST /v1/licence-consents "$W" '{"application":'"$app"',"verification":'"$v"'}'
  [ "$ST" = 409 ] && ok "$label: the verification is single-use" || bad "$label: reused verification ($ST $(jq -r .code "$tmp/body"))"
  # her newest resident ID licence was revoked above: refused, nothing released
  req POST /v1/licence-fetches "$W" '{"application":'"$app"'}'
  if [ "$ST" = 403 ] && jb '.code == "licence_revoked"'; then ok "$label: a revoked licence is refused at use (licence_revoked)"
  else bad "$label: fetch with a revoked licence ($ST $(cat "$tmp/body"))"; fi
  local fields='{"name":"示例甲","id_number":"'$JIA'","sex":"M","birth_date":"1988-05-12","address":"温州","valid_to":"2036-01-01"}'
  req POST /v1/licences "$ISS" '{"kind":"resident_id","holder_id_number":"'$JIA'","serial":"SUITE2","fields":'"$fields"'}'
  req POST /v1/licence-fetches "$W" '{"application":'"$app"'}'
  if [ "$ST" = 200 ] && jb '(.materials.id_document.fields | keys) == ["id_number","name"]
        and (.materials.property_certificate.fields | keys) == ["address","cert_no","owners","registered_on"]
        and (.materials.marriage_certificate.fields | keys) == ["spouse_name","status"]'; then
    ok "$label: housing-fund withdrawal: licences fetched under consent, only the matter's fields"
  else bad "$label: fetch ($ST $(cat "$tmp/body" | head -c 400))"; fi
  req GET "/v1/audit?action=licence.use" "$AUD"
  if jb '(.records | length) == 3 and all(.records[]; (.purpose | test("^gov_app:'"$app"' consent:[0-9]+$")) and .id_masked == "3303**********6615")'; then
    ok "$label: audit: 3 licence.use records, each naming the application and its consent record"
  else bad "$label: audit after fetch ($(cat "$tmp/body" | head -c 400))"; fi
  req POST /v1/licences/holder "$CLERK" '{"id_number":"'$JIA'"}'
  if jb '[.licences[] | select(.uses | length > 0) | .uses[0].matter] == ["gjj.tiqu","gjj.tiqu","gjj.tiqu"]'; then
    ok "$label: every use is on the holder's list (用证记录: matter, time, by)"
  else bad "$label: uses ($(jq -c '[.licences[] | {kind, n: (.uses | length)}]' "$tmp/body"))"; fi
  # the holder herself: a citizen session (kiosk) -> GET /v1/me/licences
  v=$(alt_verif $JIA 示例甲 citizen_login kiosk-login)
  req POST /v1/citizen/sessions "$(dev kiosk)" '{"verification":'"$v"'}'
  local ctok; ctok=$(jq -r '.token // empty' "$tmp/body")
  if [ -n "$ctok" ]; then
    req GET /v1/me/licences "Bearer $ctok"
    local rid; rid=$(jq -r '[.licences[] | select(.kind == "resident_id" and .status == "issued")][-1].licence_id' "$tmp/body")
    if [ "$ST" = 200 ] && jb '(.licences | length) == 6 and ([.licences[] | select(.kind == "property_certificate")][0].fields.cert_no | length > 0)'; then
      ok "$label: the holder lists her licences with their fields (citizen session)"
    else bad "$label: /v1/me/licences ($ST $(head -c 300 "$tmp/body"))"; fi
    req GET "/v1/me/licences/$rid/uses" "Bearer $ctok"
    if [ "$ST" = 200 ] && jb '(.uses | length) == 1 and .uses[0].matter == "gjj.tiqu" and (.uses[0].fields | sort) == ["id_number","name"] and (.uses[0].by | length > 0)'; then
      ok "$label: 用证记录 of one licence: who, when, which matter, which fields"
    else bad "$label: uses ($ST $(head -c 300 "$tmp/body"))"; fi
    req GET /v1/me/licences "$(dev kiosk)"
    [ "$ST" = 403 ] && ok "$label: /v1/me/licences needs a citizen session (device refused)" || bad "$label: me as device ($ST)"
  else bad "$label: citizen session ($ST $(cat "$tmp/body"))"; fi
  req POST /v1/licence-consents/withdraw "$W" '{"application":'"$app"'}'
  req POST /v1/licence-fetches "$W" '{"application":'"$app"'}'
  [ "$ST" = 403 ] && jb '.code == "licence_consent"' && ok "$label: after withdrawal the fetch is refused" || bad "$label: withdrawn ($ST)"
  req GET "/v1/audit?action=licence.use" "$AUD"
  jb '(.records | length) == 3' && ok "$label: audit: nothing more fetched after withdrawal" || bad "$label: audit after withdrawal"

  # 房查证明 for 示例乙 with her spouse 示例甲 (marriage licence), printed, QR verified
  v=$(alt_verif 330302199003034529 示例乙 bdc.fangcha_zhengming kiosk-1)
  req POST /v1/property-certificates "$W" '{"verification":'"$v"'}'
  local serial qr
  serial=$(jq -r .serial "$tmp/body") qr=$(jq -r .qr "$tmp/body")
  if [ "$ST" = 201 ] && jb '.holder.properties.count == 0 and .spouse.properties.count == 1 and .spouse.id_masked == "3303**********6615"'; then
    ok "$label: 房查证明 for 示例乙 and her spouse 示例甲 (from the marriage licence and land_property)"
  else bad "$label: certificate ($ST $(cat "$tmp/body" | head -c 300))"; fi
  curl -s -o "$tmp/pc.pdf" -H "Authorization: $W" "http://127.0.0.1:$PORT/v1/property-certificates/$serial?format=pdf"
  [ "$(head -c 5 "$tmp/pc.pdf")" = "%PDF-" ] && ok "$label: the certificate prints as PDF ($(wc -c <"$tmp/pc.pdf") bytes)" || bad "$label: certificate pdf ($(head -c 200 "$tmp/pc.pdf"))"
  ST=$(curl -s -o "$tmp/body" -w '%{http_code}' -G "http://127.0.0.1:$PORT/v1/verify/property-certificate" --data-urlencode "code=$qr")
  [ "$ST" = 200 ] && jb '.valid == true and .spouse_included == true' && ok "$label: the certificate's QR verifies at the public route" || bad "$label: qr verify ($ST $(cat "$tmp/body"))"
  local flipped=0 i
  for i in 10 30 60 100 180; do
    local b=${qr:0:$i} ch=${qr:$i:1} n
    n=$([ "$ch" = 1 ] && echo 2 || echo 1)
    ST=$(curl -s -o /dev/null -w '%{http_code}' -G "http://127.0.0.1:$PORT/v1/verify/property-certificate" --data-urlencode "code=$b$n${qr:$((i + 1))}")
    [ "$ST" = 422 ] && flipped=$((flipped + 1))
  done
  [ $flipped = 5 ] && ok "$label: one changed byte in the QR fails (5 of 5 positions)" || bad "$label: changed bytes ($flipped of 5 refused)"

  # temporary credentials of 示例壬: issued, verified, revoked, expired, monthly limit 3
  local c1 c2 code1
  v=$(alt_verif 330106199206182016 示例壬 temp_credential w1); req POST /v1/credentials "$W" '{"verification":'"$v"'}'
  c1=$(jq -r .serial "$tmp/body") code1=$(jq -r .code "$tmp/body")
  if [ "$ST" = 201 ] && jb '.id_masked == "3301**********2016" and (.code | length) == 8 and (.qr | startswith("SLTC1.")) and .hall == "demo"'; then
    ok "$label: a temporary credential after a verification at the window (serial, code, QR, 24 h)"
  else bad "$label: credential ($ST $(cat "$tmp/body" | head -c 300))"; fi
  curl -s -o "$tmp/cr.pdf" -H "Authorization: $W" "http://127.0.0.1:$PORT/v1/credentials/$c1?format=pdf"
  [ "$(head -c 5 "$tmp/cr.pdf")" = "%PDF-" ] && ok "$label: the credential prints as PDF" || bad "$label: credential pdf ($(head -c 200 "$tmp/cr.pdf"))"
  req GET "/v1/verify/credential?code=$code1" ""
  [ "$ST" = 200 ] && jb '.status == "valid" and (has("name") | not) and .name_masked == "示**"' && ok "$label: the public check says valid (masked name, photo slot)" || bad "$label: verify valid ($ST $(cat "$tmp/body" | head -c 300))"
  v=$(alt_verif 330106199206182016 示例壬 temp_credential w2); req POST /v1/credentials "$W" '{"verification":'"$v"',"hours":2}'
  c2=$(jq -r .code "$tmp/body")
  v=$(alt_verif 330106199206182016 示例壬 temp_credential w3); req POST /v1/credentials "$W" '{"verification":'"$v"'}'
  v=$(alt_verif 330106199206182016 示例壬 temp_credential w4); req POST /v1/credentials "$W" '{"verification":'"$v"'}'
  [ "$ST" = 403 ] && jb '.code == "credential_limit" and (.zh | length > 0)' && ok "$label: the 4th credential in a month is refused (credential_limit)" || bad "$label: limit ($ST $(cat "$tmp/body"))"
  req POST "/v1/credentials/$c1/revoke" "$CLERK" '{"reason":"lost"}'
  req GET "/v1/verify/credential?code=$code1" ""
  jb '.status == "revoked"' && ok "$label: a revoked credential checks as revoked" || bad "$label: revoked ($(cat "$tmp/body" | head -c 200))"
  set_clock "$(ms 2026-12-04T04:30:00Z)"
  req GET "/v1/verify/credential?code=$c2" ""
  jb '.status == "expired"' && ok "$label: after its 2 hours (test clock) the credential checks as expired" || bad "$label: expired ($(cat "$tmp/body" | head -c 200))"
}

suite() {   # $1 label: the node is up (SQLite, then PostgreSQL); the clock back to T0
  local db_v="DB_$1"
  suite_tests "$1" "${!db_v}"
  set_clock $T0
}
serve_each_store suite
serve_done
