#!/usr/bin/env bash
# Unit and differential tests, normal build.
set -euo pipefail
make -s -j"$(nproc)" build/shualian-tests build/shualian
exec build/shualian-tests
