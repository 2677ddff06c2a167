#!/usr/bin/env bash
# packaging.arch-gate: packaging/build-debs.cmake never puts an ELF file of
# another machine into a package, nor a manifest naming another architecture:
#   1. an arm64 library key (<id>_arm64) whose library is an x86-64 ELF file;
#   2. an arm64 allocpipe-host whose binary is an x86-64 ELF file;
#   3. an amd64 (build host) library that is an AArch64 ELF file;
#   4. an arm64 library (a real AArch64 ELF) whose manifest says amd64.
# Each is refused with an error naming the file and the expected machine,
# and leaves no package in the output directory. Runs on a fake build tree
# (status, library, stamp, manifest) made here, with passed smoke stamps, for
# a fake id: it needs no selected library (the mutation check's scratch build
# selects none), only the packaging data's tables.
#   arch_gate.sh DATA WORK
source "$(dirname "$0")/common.sh"
data=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
require_tools cmake gcc aarch64-linux-gnu-gcc od
[ "$(dpkg --print-architecture)" = amd64 ] || skip "the fake binaries are amd64 and arm64; this build host is $(dpkg --print-architecture)"
rm -rf "$work" && mkdir -p "$work/bin/smoke/arm64" "$work/libs/arm64" "$work/status/arm64" "$work/out"
id=allocpipe-archgate-1.0 lib=liballocpipe-archgate-1.0.so manifest=liballocpipe-archgate-1.0.manifest.json

# Two tiny shared objects, one per machine (e_machine 62 and 183).
printf 'int allocpipe_arch_gate(void) { return 1; }\n' > "$work/fake.c"
gcc -shared -fPIC -o "$work/x86-64.so" "$work/fake.c"
aarch64-linux-gnu-gcc -shared -fPIC -o "$work/aarch64.so" "$work/fake.c"
[ "$(elf_machine "$work/x86-64.so")" = 62 ] && [ "$(elf_machine "$work/aarch64.so")" = 183 ] \
  || fail "the fake objects are not x86-64 and AArch64; the cases below would test nothing"

fake_tree() {  # arch-dir ("" or /arm64) elf manifest-architecture
  cp "$2" "$work/libs$1/$lib"
  printf '{"id": "%s", "architecture": "%s", "source_file": "fake.tar.gz", "source_sha256": "00"}\n' "$id" "$3" > "$work/libs$1/$manifest"
  echo "BUILT: $id: $work/libs$1/$lib" > "$work/status$1/$id.status"
  touch -d '+1 minute' "$work/bin/smoke$1/$id.passed"
}
data_file() {  # ids arch-ids host-archs [host-binary]
  {
    echo "include(\"$data\")"
    echo "set(ALLOC_PKG_BINARY_DIR \"$work/bin\")"
    echo "set(ALLOC_PKG_LIBS_DIR \"$work/libs\")"
    echo "set(ALLOC_PKG_STATUS_DIR \"$work/status\")"
    echo "set(ALLOC_PKG_IDS \"$1\")"
    echo "set(ALLOC_PKG_${id}_LIBRARY \"$lib\")"
    echo "set(ALLOC_PKG_${id}_MANIFEST \"$manifest\")"
    echo "set(ALLOC_PKG_ARCH_IDS \"$2\")"
    echo "set(ALLOC_PKG_SMOKE_STAMPS \"$work/bin/smoke/$id.passed;$work/bin/smoke/arm64/$id.passed\")"
    echo "set(ALLOC_PKG_HOST_BINARY \"\")"
    echo "set(ALLOC_PKG_HOST_ARCHS \"$3\")"
    echo "set(ALLOC_PKG_HOST_BINARY_arm64 \"${4:-}\")"
  } > "$work/data.cmake"
}
run() { cmake -DDATA="$work/data.cmake" -DOUTPUT_DIR="$work/out" -DWORK_DIR="$work/w" -P "$here/../../packaging/build-debs.cmake" > "$work/run.log" 2>&1; }
stale() { touch "$work/out/stale_1.0-1_all.deb"; echo "built stale stale_1.0-1_all.deb x" > "$work/out/packages.txt"; }
refused() {  # what file expected-words
  stale
  if run; then fail "$1 was packaged"; fi
  local log; log=$(tr -s ' \n' '  ' < "$work/run.log")  # CMake wraps its messages
  grep -qF "$2" <<<"$log" && grep -qF "$3" <<<"$log" \
    || { cat "$work/run.log"; fail "$1 was refused, but the error does not name $2 and '$3'"; }
  [ -z "$(ls "$work/out")" ] || fail "$1: a refused run left files in the output directory: $(ls "$work/out")"
  note "refused: $1 ($(grep -o "is an ELF file for [^:]*\|records architecture '[^']*'" <<<"$log" | head -n 1))"
}

fake_tree /arm64 "$work/x86-64.so" arm64
data_file "" "${id}_arm64" ""
refused "an x86-64 library as ${id}_arm64" "$work/libs/arm64/$lib" "arm64 (AArch64, machine 183)"

cp "$work/x86-64.so" "$work/allocpipe-host"
data_file "" "" arm64 "$work/allocpipe-host"
refused "an x86-64 allocpipe-host as allocpipe-host_arm64" "$work/allocpipe-host" "arm64 (AArch64, machine 183)"

fake_tree "" "$work/aarch64.so" amd64
data_file "$id" "" ""
refused "an AArch64 library as $id (amd64)" "$work/libs/$lib" "amd64 (x86-64, machine 62)"

fake_tree /arm64 "$work/aarch64.so" amd64
data_file "" "${id}_arm64" ""
refused "${id}_arm64 with a manifest recording amd64" "$work/libs/arm64/$manifest" "expected 'arm64'"
echo "PASSED: foreign-machine ELF files (library, allocpipe-host) and a manifest of another architecture are never packaged"
