# Sourced by fuzz/run.sh and fuzz/sanitize.sh: configures the one sanitizer
# build tree (clang-14) both use. Not meant to be run on its own.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${ALLOCPIPE_FUZZ_BUILD:-$root/build/fuzz}
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

configure_sanitizer_build() {
  if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=${ALLOCPIPE_FUZZ_CC:-clang-14} CXX=${ALLOCPIPE_FUZZ_CXX:-clang++-14} \
      cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo --log-level=WARNING
  fi
}
