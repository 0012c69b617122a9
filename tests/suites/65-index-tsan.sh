#!/usr/bin/env bash
# The index's concurrency tests (readers + writers, IVF training and
# compaction during searches) under ThreadSanitizer: build-tsan/.
set -euo pipefail
make -s -j2 SANITIZER=thread build-tsan/shualian-tests
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
export SL_ROOT=$PWD
exec build-tsan/shualian-tests index/concurrent_readers_writers \
  index/search_int8 index/ivf_recall index/watchlist_hook
