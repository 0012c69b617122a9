# lib.sh -- shared by the black-box suites (sourced, not run: check.sh runs
# only tests/suites/NN-*.sh). Builds the program, makes a temp dir removed
# on exit, and defines the counters and the checks:
#   ok NAME / bad NAME       count a pass / a failure
#   expect NAME WANT_EXIT GREP_PATTERN -- command...
#       runs the command; passes when it exits WANT_EXIT and its stdout
#       matches GREP_PATTERN (empty: any output)
make -s -j2 build/shualian >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
S=build/shualian
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; }
expect() {
  local name=$1 want=$2 pat=$3; shift 4
  local out rc
  out=$("$@" 2>"$tmp/err"); rc=$?
  if [ "$rc" = "$want" ] && { [ -z "$pat" ] || grep -q -- "$pat" <<<"$out"; }; then ok "$name"
  else bad "$name (exit $rc, want $want; pattern '$pat')"; echo "$out" | head -c 600; echo; cat "$tmp/err"; fi
}
