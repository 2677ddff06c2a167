#!/usr/bin/env bash
# A build that produces a library for the wrong architecture publishes
# nothing: cmake/BuildLibrary.cmake run on a plan for arm64 (ELF machine 183)
# whose builder "produces" an x86-64 shared object (a builder that ignored
# the cross toolchain), with a previous good build's files in place, must
# fail naming both machines and leave no library, manifest or BUILT status.
# The same plan for amd64 (machine 62) publishes. A fake fetcher, no
# network, no compiler.
#   wrong_architecture.sh SOURCE_DIR ELF_FILE WORK   (ELF_FILE: an x86-64 shared object)
set -euo pipefail
source_dir=$1 elf=$2 work=$3
rm -rf "$work" && mkdir -p "$work/libs" "$work/status" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The fetcher "extracts" an empty tree and records what it fetched.
cat > fetch <<'F'
#!/bin/sh
while [ $# -gt 0 ]; do case $1 in --dest) dest=$2; shift 2;; --record) record=$2; shift 2;; *) shift;; esac; done
mkdir -p "$dest"
printf '{"file": "toy-1.0.tar.gz", "sha256": "%s", "source": "http://127.0.0.1:9/toy-1.0.tar.gz"}\n' \
  "$(printf '0%.0s' $(seq 64))" > "$record"
F
chmod +x fetch
cat > builder.cmake <<B
function(allocpipe_build)
  set(BUILT_LIBRARY [==[$elf]==] PARENT_SCOPE)
  set(BUILD_OPTIONS "" PARENT_SCOPE)
endfunction()
B

case_() {  # name arch elf-machine elf-name expected(published|refused)
  local name=$1 arch=$2 machine=$3 elf_name=$4 want=$5 rc=0
  cat > "plan-$name.cmake" <<P
set(ID [==[toy-1.0]==])
set(NAME [==[toy-1.0_$arch]==])
set(ALLOCATOR [==[toy]==])
set(VARIANT [==[normal]==])
set(WORK_DIR [==[$work/work-$name]==])
set(LIBRARY [==[$work/libs/libtoy-1.0.so]==])
set(MANIFEST [==[$work/libs/libtoy-1.0.manifest.json]==])
set(STATUS [==[$work/status/toy-1.0.status]==])
set(FETCHER [==[$work/fetch]==])
set(DOWNLOAD_DIR [==[$work/cache]==])
set(MISSING_SOURCE [==[FAIL]==])
set(SOURCE [==[toy-1.0.tar.gz]==])
set(SOURCE_SHA256 [==[$(printf '0%.0s' $(seq 64))]==])
set(URL [==[http://127.0.0.1:9/toy-1.0.tar.gz]==])
set(PINS [==[]==])
set(PATCHES [==[]==])
set(BUILDER [==[$work/builder.cmake]==])
set(BUILDER_LAYERS [==[]==])
set(ARCH [==[$arch]==])
set(ELF_MACHINE [==[$machine]==])
set(ELF_NAME [==[$elf_name]==])
P
  echo "a good library" > libs/libtoy-1.0.so
  echo '{"id": "toy-1.0"}' > libs/libtoy-1.0.manifest.json
  echo "BUILT: toy-1.0_$arch: $work/libs/libtoy-1.0.so" > status/toy-1.0.status
  cmake -DPLAN="$work/plan-$name.cmake" -P "$source_dir/cmake/BuildLibrary.cmake" > "$name.log" 2>&1 || rc=$?
  if [ "$want" = published ]; then
    [ "$rc" = 0 ] || { cat "$name.log"; fail "$name: BuildLibrary.cmake failed (exit $rc)"; }
    cmp -s "$elf" libs/libtoy-1.0.so || fail "$name: the library was not published"
    grep -q "\"architecture\" : \"$arch\"" libs/libtoy-1.0.manifest.json || fail "$name: the manifest does not record architecture $arch"
  else
    [ "$rc" != 0 ] || { cat "$name.log"; fail "$name: BuildLibrary.cmake published an x86-64 file as $arch"; }
    tr -s ' \n' '  ' < "$name.log" | grep -q "wrong architecture: .* is an ELF file for machine 62 (x86-64), expected $arch ($elf_name, machine $machine)" \
      || { cat "$name.log"; fail "$name: the error does not name both machines"; }
    for f in libs/libtoy-1.0.so libs/libtoy-1.0.manifest.json; do
      [ ! -e "$f" ] || fail "$name: $f exists after a wrong-architecture build"
    done
    if grep -qs '^BUILT' status/toy-1.0.status; then fail "$name: the status still says BUILT"; fi
  fi
  echo "-- $name: exit $rc ($want)"
}

case_ x86-64-as-arm64 arm64 183 AArch64 refused
case_ x86-64-as-amd64 amd64 62 x86-64 published
echo "PASSED"
