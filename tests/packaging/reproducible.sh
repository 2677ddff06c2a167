#!/usr/bin/env bash
# Reproducible packages: the same inputs give bit-identical .deb files.
#
#   reproducible.sh packaging DATA DEBS WORK
#     Packages every built library once more with packaging/build-debs.cmake,
#     from the same built libraries, into fresh output and work directories at
#     another (longer) path, under umask 077 and another TZ, and compares the
#     result byte for byte with the deb target's output. Covers the packaging
#     step (staging, strip, debug split, CPack, dbgsym repack) for every id;
#     the libraries themselves are not rebuilt here.
#
#   reproducible.sh clean-build SOURCE_DIR DEBS WORK FETCHER DOWNLOAD_DIR DEBIAN_SOURCES [ID...]
#     Two brand-new build trees at different paths build the first built id of
#     the list from the download cache (offline), then package it; the two
#     .deb pairs must be identical to each other and to the main tree's. When
#     the main tree also packaged that id for a foreign architecture
#     (<id>_arm64), the trees cross-build and package that one too. Only
#     the library target is built in these trees, so their packaging runs on a
#     test-local copy of the packaging data without the smoke stamps: the gate
#     itself is tested by packaging.deb and packaging.smoke-gate.
source "$(dirname "$0")/common.sh"
mode=$1; shift
here=$(cd "$(dirname "$0")" && pwd)

compare_dirs() {  # a b what
  local a=$1 b=$2 what=$3 f n=0
  for f in "$a"/*.deb; do
    [ -f "$b/$(basename "$f")" ] || fail "$what: $(basename "$f") is in $a but not in $b"
    if ! cmp -s "$f" "$b/$(basename "$f")"; then
      echo "$(basename "$f") differs ($what); first differing bytes:" >&2
      cmp -l "$f" "$b/$(basename "$f")" | head -n 5 >&2 || true
      diff <(dpkg-deb -c "$f") <(dpkg-deb -c "$b/$(basename "$f")") >&2 || true
      diff <(dpkg-deb -I "$f") <(dpkg-deb -I "$b/$(basename "$f")") >&2 || true
      fail "$what: $(basename "$f") is not bit-identical"
    fi
    n=$((n + 1))
  done
  [ "$(ls "$a"/*.deb | wc -l)" = "$(ls "$b"/*.deb | wc -l)" ] || fail "$what: $a and $b hold different package sets"
  note "$what: $n .deb files bit-identical"
}

case $mode in
packaging)
  data=$1 debs=$2 work=$3
  read_index "$debs"
  [ ${#BUILT_IDS[@]} -gt 0 ] || skip "no library was built here, nothing to package: ${SKIPPED//$'\n'/; }"
  rm -rf "$work" && mkdir -p "$work"
  (umask 077; TZ=Pacific/Auckland LANG=C cmake -DDATA="$data" -DOUTPUT_DIR="$work/out" \
     -DWORK_DIR="$work/a/much/longer/work/directory/path" -P "$here/../../packaging/build-debs.cmake") > "$work/run.log" 2>&1 \
     || { cat "$work/run.log"; fail "the second packaging run failed"; }
  compare_dirs "$work/out" "$debs" "a second packaging run (other paths, umask 077, TZ) vs the deb target's"
  echo "PASSED: ${#BUILT_IDS[@]} libraries, $(ls "$work"/out/*.deb | wc -l) packages, bit-identical across two packaging runs"
  ;;
clean-build)
  source_dir=$1 debs=$2 work=$3 fetcher=$4 download_dir=$5 debian_sources=$6; shift 6
  read_index "$debs"
  id=
  for candidate in "$@"; do
    if [ -n "${DEB_OF[$candidate]:-}" ]; then id=$candidate; break; fi
  done
  [ -n "$id" ] || skip "none of '$*' was built here (the cheap ones to rebuild twice): ${SKIPPED//$'\n'/; }"
  keys=("$id") archs=("$(dpkg --print-architecture)")
  for key in "${FOREIGN_IDS[@]}"; do
    [ "${key%_*}" != "$id" ] || { keys+=("$key"); archs+=("${key##*_}"); }
  done
  archs_list=$(IFS=';'; echo "${archs[*]}")
  rm -rf "$work" && mkdir -p "$work"
  trees=("$work/tree-a" "$work/tree-b/at/a/longer/path")
  for tree in "${trees[@]}"; do
    note "fresh build tree $tree: ${keys[*]} from the download cache, offline"
    mkdir -p "$(dirname "$tree")"
    cmake -S "$source_dir" -B "$tree" -G Ninja -DALLOC_BUILD="$id" -DALLOC_OFFLINE=ON -DBUILD_TESTING=OFF \
      -DALLOC_FETCHER="$fetcher" -DALLOC_DOWNLOAD_DIR="$download_dir" -DALLOC_DEBIAN_SOURCES="$debian_sources" \
      -DALLOC_MISSING_SOURCE=FAIL -DALLOC_JOBS=2 -DALLOC_BUILD_HOST=OFF -DALLOC_ARCHS="$archs_list" \
      > "$tree.configure.log" 2>&1 || { cat "$tree.configure.log"; fail "configure of $tree failed"; }
    cmake --build "$tree" --target "${keys[@]}" > "$tree.build.log" 2>&1 || { tail -n 40 "$tree.build.log"; fail "building ${keys[*]} in $tree failed"; }
    sed 's/^set(ALLOC_PKG_SMOKE_STAMPS .*/set(ALLOC_PKG_SMOKE_STAMPS "")/' "$tree/packaging/packages.cmake" > "$tree.packages.cmake"
    cmake -DDATA="$tree.packages.cmake" -DOUTPUT_DIR="$tree.deb" -DWORK_DIR="$tree.debwork" \
      -P "$source_dir/packaging/build-debs.cmake" > "$tree.deb.log" 2>&1 || { cat "$tree.deb.log"; fail "packaging $id from $tree failed"; }
  done
  compare_dirs "${trees[0]}.deb" "${trees[1]}.deb" "two clean builds of ${keys[*]}"
  mkdir -p "$work/main"
  for key in "${keys[@]}"; do cp "${DEB_OF[$key]}" "${DBGSYM_OF[$key]}" "$work/main/"; done
  compare_dirs "${trees[0]}.deb" "$work/main" "clean build vs the main tree's packages of ${keys[*]}"
  rm -rf "${trees[@]}" "$work/tree-b"
  echo "PASSED: ${keys[*]} built from scratch in two trees at different paths (${archs[*]}): bit-identical .deb and -dbgsym"
  ;;
*) fail "unknown mode '$mode'" ;;
esac
