#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets with clang-14
# (-fsanitize=fuzzer,address,undefined), writes the seed corpus, and runs
# each target for SECONDS (default 60). Exits non-zero on any finding (a
# crash, a sanitizer report, a policy violation, a timeout); the input that
# caused it is kept as build/fuzz/artifacts/<target>-crash-*.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     targets: fuzz_extract fuzz_tar_stream fuzz_recipe_args
#
# The corpus grows in build/fuzz/corpus/<target> and is reused by later
# runs; for a long run: fuzz/run.sh 3600 (see README.md, "Security model").
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_extract fuzz_tar_stream fuzz_recipe_args)

configure_sanitizer_build
cmake --build "$build" --target "${targets[@]}" make_seeds -j "$jobs"
rm -rf "$build/seeds"
"$build/make_seeds" "$build/seeds"
mkdir -p "$build/artifacts"

shm=/dev/shm
[ -w "$shm" ] || shm=${TMPDIR:-/tmp}
status=0
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  mkdir -p "$corpus"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$build/artifacts/$target-")
  case $target in
    fuzz_recipe_args) options+=(-max_len=4096) ;;
    *) options+=(-max_len=65536 -dict="$here/tar.dict") ;;
  esac
  sandbox=$(mktemp -d "$shm/allocpipe-fuzz-sandbox.XXXXXX")
  log=$build/$target.log
  echo "== $target: ${seconds}s (corpus $corpus, log $log)"
  if ALLOCPIPE_FUZZ_SANDBOX=$sandbox "$build/$target" "${options[@]}" "$corpus" "$build/seeds/$target" > "$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$log" | tail -2 | sed 's/^/   /'
  else
    echo "!! $target found a problem; input kept in $build/artifacts/:" >&2
    tail -n 60 "$log" >&2
    status=1
  fi
  rm -rf "$sandbox"
done
exit "$status"
