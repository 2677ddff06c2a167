#!/usr/bin/env bash
# End to end through the real superbuild, against a loopback HTTP mirror:
# cache miss -> download -> verify -> extract -> patch -> build -> install;
# then a no-op rebuild, an offline rebuild from the cache with the server
# gone, a one-recipe change that rebuilds only its ids, a one-byte-changed
# tarball that must fail, name both hashes and leave no library, and a
# rebuild with a broken recipe over a good build, which must fail and leave
# no library, manifest or BUILT status behind (packaging would ship them).
# skipped (unservable) source that later builds do not retry until asked.
# The "allocator" is a tiny mimalloc-shaped CMake project made here, so the
# real mimalloc builder logic runs on it.
set -euo pipefail
source_dir=$1 fetcher=$2 httpd=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; true' EXIT

make_toy() {  # version -> mirror/mimalloc-<version>.tar.gz
  local v=$1 d="toy/mimalloc-$1"
  mkdir -p "$d/src"
  cat > "$d/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.13)
project(libmimalloc C)
option(MI_SECURE "" OFF)
option(MI_OVERRIDE "" OFF)
option(MI_BUILD_SHARED "" ON)
option(MI_BUILD_STATIC "" ON)
option(MI_BUILD_OBJECT "" ON)
option(MI_BUILD_TESTS "" ON)
set(name mimalloc)
if(MI_SECURE)
  set(name mimalloc-secure)
endif()
add_library(${name} SHARED src/toy.c)
target_compile_definitions(${name} PRIVATE TOY_SECURE=$<BOOL:${MI_SECURE}> TOY_OVERRIDE=$<BOOL:${MI_OVERRIDE}>)
set_target_properties(${name} PROPERTIES VERSION 1.0 SOVERSION 1)
CM
  printf 'int toy_secure(void) { return TOY_SECURE; }\nint toy_override(void) { return TOY_OVERRIDE; }\n' > "$d/src/toy.c"
  printf 'Toy license %s\n' "$v" > "$d/LICENSE"
  mkdir -p mirror
  tar -C toy -czf "mirror/mimalloc-$v.tar.gz" "mimalloc-$v"
}

write_recipe() {  # version
  local v=$1
  mkdir -p recipes/mimalloc
  # The real mimalloc family folder (builder, identity, texts) without its versions.
  find "$source_dir/recipes/mimalloc" -maxdepth 1 -type f ! -name '*.recipe' ! -name '*.hash' -exec cp {} recipes/mimalloc/ \;
  cat > "recipes/mimalloc/$v.recipe" <<R
# toy recipe for the end-to-end test
VERSION       = $v
DESCRIPTION   = toy allocator-shaped project
HOMEPAGE      = https://example.invalid/toy
SOURCE        = mimalloc-$v.tar.gz
URL           = http://127.0.0.1:9/unreachable/mimalloc-$v.tar.gz
LICENSE       = MIT
LICENSE_FILES = LICENSE
VARIANTS      = normal secure
R
  {
    echo "sha256  $(sha256sum "mirror/mimalloc-$v.tar.gz" | cut -d' ' -f1)  mimalloc-$v.tar.gz"
    echo "sha256  $(sha256sum "toy/mimalloc-$v/LICENSE" | cut -d' ' -f1)  LICENSE"
    for p in patches/mimalloc/$v/*.patch; do
      if [ -e "$p" ]; then echo "sha256  $(sha256sum "$p" | cut -d' ' -f1)  $(basename "$p")"; fi
    done
  } > "recipes/mimalloc/$v.hash"
}

start_server() {  # dir
  rm -f port
  "$httpd" "$1" port & server_pid=$!
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
  [ -s port ] || fail "test HTTP server did not start"
  port=$(cat port)
}

# The toy is not an allocator, so the smoke gate stays out of these builds and
# only the library targets are built.
toy_ids="mimalloc-1.0.0 mimalloc-1.0.0-secure mimalloc-2.0.0 mimalloc-2.0.0-secure"
build() {  # build dir, targets...
  local b=$1; shift
  cmake --build "$b" --target "$@"
}

configure() {  # build dir, cache dir, extra args...
  local b=$1 c=$2; shift 2
  cmake -S "$source_dir" -B "$b" -G Ninja -DBUILD_TESTING=OFF -DALLOC_FETCHER="$fetcher" \
    -DALLOC_RECIPES_DIR="$work/recipes" -DALLOC_PATCHES_DIR="$work/patches" \
    -DALLOC_DOWNLOAD_DIR="$c" -DALLOC_DEBIAN_SOURCES=OFF -DALLOCPIPE_SMOKE_IN_ALL=OFF "$@" > "$b.configure.log" 2>&1 \
    || { cat "$b.configure.log"; fail "configure of $b failed"; }
}

make_toy 1.0.0
make_toy 2.0.0
mkdir -p patches/mimalloc/1.0.0
cat > patches/mimalloc/1.0.0/0001-add-marker.patch <<'P'
--- a/src/toy.c
+++ b/src/toy.c
@@ -1,2 +1,3 @@
 int toy_secure(void) { return TOY_SECURE; }
 int toy_override(void) { return TOY_OVERRIDE; }
+int toy_patched_by_allocpipe(void) { return 1; }
P
write_recipe 1.0.0
write_recipe 2.0.0
start_server "$work/mirror"
echo "== 1. cache miss: download from the loopback mirror, verify, extract, patch, build, install"
configure b1 "$work/cache" -DALLOC_MIRRORS="http://127.0.0.1:$port"
build b1 $toy_ids > b1.build.log 2>&1 || { cat b1.build.log; fail "first build failed"; }
grep -q "fetching http://127.0.0.1:$port/mimalloc-1.0.0.tar.gz" b1.build.log || fail "did not download from the mirror"
DESTDIR="$work/root" cmake --install b1 > /dev/null
lib=$work/root/usr/local/lib/mimalloc
for f in libmimalloc-1.0.0.so libmimalloc-1.0.0-secure.so libmimalloc-2.0.0.so libmimalloc-2.0.0-secure.so \
         libmimalloc-1.0.0.manifest.json libmimalloc-1.0.0-secure.manifest.json; do
  [ -f "$lib/$f" ] || fail "not installed: $lib/$f"
done
[ "$(stat -c %a "$lib/libmimalloc-1.0.0.so")" = 644 ] || fail "library mode is not 0644"
nm -D "$lib/libmimalloc-1.0.0.so" | grep -q toy_patched_by_allocpipe || fail "patch was not applied"
if nm -D "$lib/libmimalloc-2.0.0.so" | grep -q toy_patched_by_allocpipe; then fail "1.0.0's patch leaked into 2.0.0"; fi
python3 - "$lib" "$(sha256sum mirror/mimalloc-1.0.0.tar.gz | cut -d' ' -f1)" <<'PY'
import json, sys
lib, sha = sys.argv[1], sys.argv[2]
m = json.load(open(f"{lib}/libmimalloc-1.0.0-secure.manifest.json"))
assert m["source_sha256"] == sha, m
assert m["source_url"].startswith("http://127.0.0.1:9/unreachable/"), m
assert m["variant"] == "secure" and "-DMI_SECURE=ON" in m["configure_options"], m
assert "-DMI_OVERRIDE=ON" in m["configure_options"], m
assert m["patches"] and m["patches"][0].startswith("0001-add-marker.patch="), m
assert m["compiler"], m
print("manifest ok:", m["id"], m["source_sha256"][:12])
PY

echo "== 2. nothing changed: the second build does no work"
build b1 $toy_ids -- -n -d explain > b1.noop.log 2>&1
grep -q "no work to do" b1.noop.log || { cat b1.noop.log; fail "second build wanted to do work"; }

echo "== 3. a changed recipe rebuilds only its ids"
echo "# touched by the test" >> recipes/mimalloc/2.0.0.recipe
build b1 $toy_ids > b1.rebuild.log 2>&1 || { cat b1.rebuild.log; fail "rebuild failed"; }
grep -q "building mimalloc-2.0.0-secure" b1.rebuild.log || fail "2.0.0-secure was not rebuilt"
if grep -q "building mimalloc-1.0.0" b1.rebuild.log; then fail "1.0.0 was rebuilt although its recipe did not change"; fi

echo "== 4. server gone, offline: the cache alone serves a fresh build tree"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
configure b2 "$work/cache" -DALLOC_OFFLINE=ON -DALLOC_BUILD="mimalloc-1.0.0-secure"
build b2 mimalloc-1.0.0-secure > b2.build.log 2>&1 || { cat b2.build.log; fail "offline build from the cache failed"; }
grep -q "cache hit" b2.build.log || fail "offline build did not report a cache hit"
[ -f b2/libs/libmimalloc-1.0.0-secure.so ] || fail "offline build produced no library"

echo "== 5. a one-byte-changed tarball fails, names both hashes, produces no library"
mkdir -p tampered
cp mirror/mimalloc-1.0.0.tar.gz tampered/
printf '\x01' | dd of=tampered/mimalloc-1.0.0.tar.gz bs=1 seek=100 conv=notrunc status=none
good=$(sha256sum mirror/mimalloc-1.0.0.tar.gz | cut -d' ' -f1)
bad=$(sha256sum tampered/mimalloc-1.0.0.tar.gz | cut -d' ' -f1)
[ "$good" != "$bad" ] || fail "tampering did not change the file"
start_server "$work/tampered"
configure b3 "$work/cache-empty" -DALLOC_MIRRORS="http://127.0.0.1:$port" -DALLOC_BUILD="mimalloc-1.0.0"
if build b3 mimalloc-1.0.0 > b3.build.log 2>&1; then fail "a tampered tarball was accepted"; fi
grep -q "sha256 mismatch: expected $good, got $bad" b3.build.log || { cat b3.build.log; fail "report does not name both hashes"; }
if ls b3/libs/*.so 2>/dev/null; then fail "a library was produced from a tampered tarball"; fi
[ -z "$(ls -A cache-empty/sha256)" ] || fail "the tampered file was cached"
# ALLOC_MISSING_SOURCE=SKIP tolerates an unreachable source, never wrong bytes.
configure b4 "$work/cache-empty" -DALLOC_MIRRORS="http://127.0.0.1:$port" -DALLOC_BUILD="mimalloc-1.0.0" -DALLOC_MISSING_SOURCE=SKIP
if build b4 mimalloc-1.0.0 > b4.build.log 2>&1; then fail "SKIP mode skipped a tampered tarball instead of failing"; fi
grep -q "sha256 mismatch: expected $good, got $bad" b4.build.log || { cat b4.build.log; fail "SKIP mode: report does not name both hashes"; }

echo "== 6. a failed rebuild over a good build leaves no library, manifest or BUILT status"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
start_server "$work/mirror"
configure b5 "$work/cache" -DALLOC_MIRRORS="http://127.0.0.1:$port" -DALLOC_BUILD="mimalloc-1.0.0"
build b5 mimalloc-1.0.0 > b5.build.log 2>&1 || { cat b5.build.log; fail "the good build before the broken recipe failed"; }
published="b5/libs/libmimalloc-1.0.0.so b5/libs/libmimalloc-1.0.0.manifest.json"
for f in $published; do [ -f "$f" ] || fail "the good build did not publish $f"; done
grep -q '^BUILT' b5/status/mimalloc-1.0.0.status || fail "the good build did not write a BUILT status"
cp recipes/mimalloc/1.0.0.hash hash-1.0.0.good
sed -i "s/^sha256  $good  mimalloc-1.0.0.tar.gz$/sha256  $bad  mimalloc-1.0.0.tar.gz/" recipes/mimalloc/1.0.0.hash
grep -q "$bad" recipes/mimalloc/1.0.0.hash || fail "the test did not manage to break the pin"
if build b5 mimalloc-1.0.0 > b5.rebuild.log 2>&1; then fail "the rebuild with a wrong pin succeeded"; fi
grep -q "sha256 mismatch: expected $bad, got $good" b5.rebuild.log || { cat b5.rebuild.log; fail "the failed rebuild does not name both hashes"; }
for f in $published; do [ ! -e "$f" ] || fail "the failed rebuild left the previous build's $f in place"; done
if grep -qs '^BUILT' b5/status/mimalloc-1.0.0.status; then fail "the failed rebuild left the status BUILT"; fi
cp hash-1.0.0.good recipes/mimalloc/1.0.0.hash
echo "== 7. a source no place serves, with SKIP: recorded once; the next build is a no-op (no fetch, no warning)"
configure b6 "$work/cache-none" -DALLOC_OFFLINE=ON -DALLOC_BUILD="mimalloc-1.0.0" -DALLOC_MISSING_SOURCE=SKIP
build b6 mimalloc-1.0.0 smoke-mimalloc-1.0.0 > b6.build.log 2>&1 || { cat b6.build.log; fail "SKIP build of a missing source failed"; }
grep -q "^NOT BUILT" b6/status/mimalloc-1.0.0.status || { cat b6.build.log; fail "the skip was not recorded in the status file"; }
build b6 mimalloc-1.0.0 smoke-mimalloc-1.0.0 -- -n -d explain > b6.noop.log 2>&1
grep -q "no work to do" b6.noop.log || { cat b6.noop.log; fail "a build after a recorded skip wanted to do work"; }
build b6 mimalloc-1.0.0 smoke-mimalloc-1.0.0 > b6.again.log 2>&1 || { cat b6.again.log; fail "no-op build failed"; }
if grep -Eq "NOT BUILT|could not obtain|fetch" b6.again.log; then cat b6.again.log; fail "a no-op build printed something about the missing source"; fi
build b6 retry-missing > b6.retry.log 2>&1 || { cat b6.retry.log; fail "retry-missing failed"; }
[ ! -e b6/status/mimalloc-1.0.0.status ] || fail "retry-missing left the NOT BUILT status"
build b6 mimalloc-1.0.0 -- -n > b6.retry-plan.log 2>&1
grep -q "Fetching, verifying and building mimalloc-1.0.0" b6.retry-plan.log || { cat b6.retry-plan.log; fail "after retry-missing the source is not tried again"; }
echo "superbuild end-to-end: all checks passed"
