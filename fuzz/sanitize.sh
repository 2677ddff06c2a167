#!/usr/bin/env bash
# The fetcher's unit tests (and the allocpipe-fetch binary some of them run)
# built with clang-14 -fsanitize=address,undefined, in the same build tree as
# the fuzz targets, then run. Exits non-zero on a failing test or any
# sanitizer report.
#
#   fuzz/sanitize.sh [GTEST_FILTER]
set -euo pipefail
source "$(dirname "$0")/common.sh"
configure_sanitizer_build
cmake --build "$build" --target allocpipe-fetch-tests allocpipe-fetch -j "$jobs"
"$build/allocpipe-fetch-tests" --gtest_brief=1 ${1:+"--gtest_filter=$1"}
