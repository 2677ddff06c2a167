#!/usr/bin/env bash
# A failed rebuild over a good one unpublishes it: cmake/BuildLibrary.cmake
# run on a plan whose fetch fails, with the previous build's library,
# manifest and BUILT status in place, must leave none of them (packaging and
# the smoke gate would take them for this build's). Both ways a fetch fails:
# wrong bytes (always an error) and no place serving the source with
# ALLOC_MISSING_SOURCE=SKIP (NOT BUILT, with the reason). The fast twin of
# step 6 of superbuild_e2e.sh; no network, no compiler.
#   failed_rebuild.sh SOURCE_DIR WORK
set -euo pipefail
source_dir=$1 work=$2
rm -rf "$work" && mkdir -p "$work/libs" "$work/status" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

case_() {  # name missing-source fetcher-message fetcher-exit-status expected-exit(0|nonzero)
  # The fetcher's exit status is the interface (3: no place serves it,
  # 4: wrong bytes; README "Exit status"); the message is only the reason shown.
  local name=$1 missing=$2 message=$3 status=$4 want=$5 rc=0
  printf '#!/bin/sh\necho "allocpipe-fetch: %s" >&2\nexit %s\n' "$message" "$status" > "fetch-$name"
  chmod +x "fetch-$name"
  cat > "plan-$name.cmake" <<P
set(ID [==[toy-1.0]==])
set(ALLOCATOR [==[mimalloc]==])
set(VARIANT [==[normal]==])
set(WORK_DIR [==[$work/work-$name]==])
set(LIBRARY [==[$work/libs/libtoy-1.0.so]==])
set(MANIFEST [==[$work/libs/libtoy-1.0.manifest.json]==])
set(STATUS [==[$work/status/toy-1.0.status]==])
set(FETCHER [==[$work/fetch-$name]==])
set(DOWNLOAD_DIR [==[$work/cache]==])
set(MIRRORS [==[]==])
set(OFFLINE [==[OFF]==])
set(MISSING_SOURCE [==[$missing]==])
set(SOURCE [==[toy-1.0.tar.gz]==])
set(SOURCE_SHA256 [==[$(printf '0%.0s' $(seq 64))]==])
set(URL [==[http://127.0.0.1:9/toy-1.0.tar.gz]==])
set(PINS [==[LICENSE=$(printf '1%.0s' $(seq 64))]==])
set(PATCHES [==[]==])
P
  echo "a good library" > libs/libtoy-1.0.so
  echo '{"id": "toy-1.0"}' > libs/libtoy-1.0.manifest.json
  echo "BUILT: toy-1.0: $work/libs/libtoy-1.0.so" > status/toy-1.0.status
  cmake -DPLAN="$work/plan-$name.cmake" -P "$source_dir/cmake/BuildLibrary.cmake" > "$name.log" 2>&1 || rc=$?
  if [ "$want" = 0 ]; then
    [ "$rc" = 0 ] || { cat "$name.log"; fail "$name: BuildLibrary.cmake failed (exit $rc), expected a skip"; }
  else
    [ "$rc" != 0 ] || { cat "$name.log"; fail "$name: BuildLibrary.cmake succeeded although the fetch failed"; }
  fi
  for f in libs/libtoy-1.0.so libs/libtoy-1.0.manifest.json; do
    [ ! -e "$f" ] || fail "$name: the previous build's $f survived the failed rebuild"
  done
  if grep -qs '^BUILT' status/toy-1.0.status; then fail "$name: the status still says BUILT"; fi
  echo "-- $name: exit $rc, no library, no manifest, status: $(cat status/toy-1.0.status 2>/dev/null || echo none)"
}

case_ wrong-bytes SKIP "sha256 mismatch: expected 000, got 111" 4 nonzero
case_ not-served SKIP "could not obtain toy-1.0.tar.gz from any place" 3 0
grep -q '^NOT BUILT: toy-1.0: could not obtain' status/toy-1.0.status || fail "not-served: the status does not say NOT BUILT with the reason"
case_ fetch-failed FAIL "could not obtain toy-1.0.tar.gz from any place" 3 nonzero
case_ other-failure SKIP "extract toy-1.0.tar.gz: entry 'toy-1.0/p': devices, FIFOs and sockets are refused" 1 nonzero
echo "PASSED"
