#!/usr/bin/env bash
# The same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
make -s -j"$(nproc)" SANITIZER=address build-asan/shualian-tests build-asan/shualian
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
# cairo/fontconfig (src/print) keep process-wide caches they never free
export LSAN_OPTIONS=suppressions=$PWD/tests/suites/lsan-print.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec build-asan/shualian-tests
