#!/usr/bin/env bash
# packaging.smoke-gate: packaging/build-debs.cmake never packages a library
# whose declared smoke stamp is missing or older than the library (for a
# foreign architecture: its own stamp smoke/<arch>/<id>.passed), and lists
# a library that was not built as skipped (exit 0, no package). Runs on a
# fake build tree (status, library, stamp) made here; no package is built.
#   smoke_gate.sh DATA WORK
source "$(dirname "$0")/common.sh"
data=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/bin/smoke" "$work/libs" "$work/status" "$work/out"
query() {  # data-file cmake-expression-printing-script
  printf '%s\n' "include(\"$1\")" 'set(id "")' 'if(ALLOC_PKG_IDS)' '  list(GET ALLOC_PKG_IDS 0 id)' 'endif()' "$2" > "$work/query.cmake"
  cmake -P "$work/query.cmake" 2>&1
}
id=$(query "$data" 'message("${id}")')
fake_names=""
if [ -z "$id" ]; then  # no library selected (the mutation check's scratch build): a fake id
  id=allocpipe-gate-1.0
  fake_names="set(ALLOC_PKG_${id}_LIBRARY lib$id.so)"$'\n'"set(ALLOC_PKG_${id}_MANIFEST lib$id.manifest.json)"
fi
[[ $id =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || fail "unexpected library id in $data: $id"
{
  echo "include(\"$data\")"
  echo "$fake_names"
  echo "set(ALLOC_PKG_BINARY_DIR \"$work/bin\")"
  echo "set(ALLOC_PKG_LIBS_DIR \"$work/libs\")"
  echo "set(ALLOC_PKG_STATUS_DIR \"$work/status\")"
  echo "set(ALLOC_PKG_IDS \"$id\")"
  echo "set(ALLOC_PKG_SMOKE_STAMPS \"$work/bin/smoke/$id.passed\")"
  echo "set(ALLOC_PKG_ARCH_IDS \"\")"
  echo "set(ALLOC_PKG_HOST_BINARY \"\")"  # the library gate only: no allocpipe-host package here
  echo "set(ALLOC_PKG_HOST_ARCHS \"\")"
} > "$work/data.cmake"
read -r lib manifest <<<"$(query "$work/data.cmake" 'message("${ALLOC_PKG_${id}_LIBRARY} ${ALLOC_PKG_${id}_MANIFEST}")')"
echo "fake library" > "$work/libs/$lib"
echo '{}' > "$work/libs/$manifest"
echo "BUILT: $id: $work/libs/$lib" > "$work/status/$id.status"
run() { cmake -DDATA="$work/data.cmake" -DOUTPUT_DIR="$work/out" -DWORK_DIR="$work/w" -P "$here/../../packaging/build-debs.cmake" > "$work/run.log" 2>&1; }
stale() { touch "$work/out/stale_1.0-1_all.deb"; echo "built stale stale_1.0-1_all.deb x" > "$work/out/packages.txt"; }

stale
if run; then fail "$id was packaged although its smoke stamp does not exist"; fi
grep -q "never packaged" "$work/run.log" || { cat "$work/run.log"; fail "the refusal does not say why"; }
[ -z "$(ls "$work/out")" ] || fail "a refused run left packages in the output directory: $(ls "$work/out")"
note "missing stamp: refused, output directory emptied"

sed -i "s|^set(ALLOC_PKG_SMOKE_STAMPS .*|set(ALLOC_PKG_SMOKE_STAMPS \"$work/bin/smoke/some-other-id.passed\")|" "$work/data.cmake"
touch "$work/bin/smoke/some-other-id.passed"
stale
if run; then fail "$id was packaged although the smoke gate declares no stamp for it"; fi
grep -q "never packaged" "$work/run.log" || { cat "$work/run.log"; fail "the refusal does not say why"; }
note "gate without a stamp for this id: refused"
sed -i "s|^set(ALLOC_PKG_SMOKE_STAMPS .*|set(ALLOC_PKG_SMOKE_STAMPS \"$work/bin/smoke/$id.passed\")|" "$work/data.cmake"

touch -d '2001-01-01' "$work/bin/smoke/$id.passed"
stale
if run; then fail "$id was packaged although its smoke stamp is older than the library"; fi
grep -q "never packaged" "$work/run.log" || { cat "$work/run.log"; fail "the refusal does not say why"; }
[ -z "$(ls "$work/out")" ] || fail "a refused run left packages in the output directory"
note "stamp older than the library: refused"

# A foreign architecture (<id>_arm64): its own stamp, smoke/arm64/<id>.passed,
# gates it; the build host's stamp for the same id never does.
mkdir -p "$work/libs/arm64" "$work/status/arm64" "$work/bin/smoke/arm64"
echo "fake library" > "$work/libs/arm64/$lib"
echo '{}' > "$work/libs/arm64/$manifest"
echo "BUILT: $id: $work/libs/arm64/$lib" > "$work/status/arm64/$id.status"
touch -d '+1 minute' "$work/bin/smoke/$id.passed"  # newer than both libraries
sed -i -e "s|^set(ALLOC_PKG_ARCH_IDS .*|set(ALLOC_PKG_ARCH_IDS \"${id}_arm64\")|" -e "s|^set(ALLOC_PKG_IDS .*|set(ALLOC_PKG_IDS \"\")|" "$work/data.cmake"
stale
if run; then fail "${id}_arm64 was packaged with only the build host's stamp $id.passed"; fi
grep -q "never packaged" "$work/run.log" || { cat "$work/run.log"; fail "the refusal does not say why"; }
[ -z "$(ls "$work/out")" ] || fail "a refused run left packages in the output directory"
note "arm64 library with only the build host's stamp: refused"
sed -i "s|^set(ALLOC_PKG_SMOKE_STAMPS .*|set(ALLOC_PKG_SMOKE_STAMPS \"$work/bin/smoke/$id.passed;$work/bin/smoke/arm64/$id.passed\")|" "$work/data.cmake"
stale
if run; then fail "${id}_arm64 was packaged although smoke/arm64/$id.passed does not exist"; fi
grep -q "never packaged" "$work/run.log" || { cat "$work/run.log"; fail "the refusal does not say why"; }
note "arm64 library whose declared arm64 stamp is missing: refused"
touch "$work/bin/smoke/arm64/$id.passed"
stale
if run; then fail "a fake (non-ELF) arm64 library was packaged"; fi
! grep -q "never packaged" "$work/run.log" || { cat "$work/run.log"; fail "the arm64 stamp exists and is newer, yet the smoke gate refused"; }
note "arm64 stamp present and newer: the smoke gate lets it through (to the next check)"
sed -i -e "s|^set(ALLOC_PKG_ARCH_IDS .*|set(ALLOC_PKG_ARCH_IDS \"\")|" -e "s|^set(ALLOC_PKG_IDS .*|set(ALLOC_PKG_IDS \"$id\")|" "$work/data.cmake"

echo "NOT BUILT: $id: could not obtain the source (test)" > "$work/status/$id.status"
run || { cat "$work/run.log"; fail "a library that was not built made the run fail"; }
[ "$(cat "$work/out/packages.txt")" = "skipped $id could not obtain the source (test)" ] || fail "packages.txt: $(cat "$work/out/packages.txt")"
[ -z "$(ls "$work/out" | grep '\.deb$' || true)" ] || fail "a package was made for a library that was not built"
note "not built: listed as skipped, no package"
echo "PASSED"
