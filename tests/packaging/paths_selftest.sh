#!/usr/bin/env bash
# packaging.selftest.paths: check_paths.sh finds a build-host path wherever a
# package can hold one (README, gzip-compressed changelog, control file,
# symlink target, compressed debug info of a library) and does not mistake
# a longer path sharing the prefix for it. Fake packages, made here.
#   paths_selftest.sh WORK
source "$(dirname "$0")/common.sh"
work=$1
here=$(cd "$(dirname "$0")" && pwd)
require_tools dpkg-deb gcc gzip objcopy readelf
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
src="$work/host/src" build="$work/host/src/build/default" cache="$work/host/cache/downloads"
mkdir -p "$src" "$build" "$cache"

# make_deb NAME: a package tree in $work/$NAME/pkg (filled by the caller) -> $work/$NAME/debs
make_tree() {
  local t="$work/$1/pkg"
  mkdir -p "$t/DEBIAN" "$t/usr/share/doc/fake"
  printf 'Package: fake\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: fake\n a fake package for the self-test\n' > "$t/DEBIAN/control"
  printf 'Installed as /usr/local/lib/mimalloc/libfake.so, built in /usr/src/fake/build.\nNot the same directory: %s-other/x, /usr%s.\n' "$src" "$src" > "$t/usr/share/doc/fake/README"
  printf 'fake (1.0-1) unstable; urgency=medium\n\n  * built\n' | gzip -9n > "$t/usr/share/doc/fake/changelog.Debian.gz"
}
make_debs() {
  local d="$work/$1/debs"
  mkdir -p "$d"
  dpkg-deb --root-owner-group -Zgzip --build "$work/$1/pkg" "$d/fake.deb" > /dev/null
  cp "$d/fake.deb" "$d/fake-dbgsym.deb"
  echo "built fake fake.deb fake-dbgsym.deb" > "$d/packages.txt"
}
check() { bash "$here/check_paths.sh" "$work/$1/debs" "$work/$1/check" "$src" "$build" "$cache" > "$work/$1.log" 2>&1; }
expect_found() {  # case member path
  if check "$1"; then cat "$work/$1.log"; fail "$1: check_paths.sh passed a package holding $3 in $2"; fi
  grep -qF "fake.deb: $2: $3" "$work/$1.log" || { cat "$work/$1.log"; fail "$1: the failure does not name $2 and $3"; }
  note "$1: found $3 in $2"
}

make_tree clean && make_debs clean
check clean || { cat "$work/clean.log"; fail "a package without build-host paths was refused"; }
note "clean: passed (longer paths sharing the prefix are not the path)"

make_tree readme
printf 'Built from %s/recipes/mimalloc/2.0.9.recipe\n' "$src" >> "$work/readme/pkg/usr/share/doc/fake/README"
make_debs readme && expect_found readme data/usr/share/doc/fake/README "$src"

make_tree changelog
printf 'fake (1.0-1) unstable; urgency=medium\n\n  * built in %s\n' "$build" | gzip -9n > "$work/changelog/pkg/usr/share/doc/fake/changelog.Debian.gz"
make_debs changelog && expect_found changelog data/usr/share/doc/fake/changelog.Debian.gz "$build"

make_tree control
printf ' source cached at %s/sha256\n' "$cache" >> "$work/control/pkg/DEBIAN/control"
make_debs control && expect_found control control/control "$cache"

make_tree symlink
ln -s "$build/libs/libfake.so" "$work/symlink/pkg/usr/share/doc/fake/link"
make_debs symlink && expect_found symlink data/usr/share/doc/fake/link "$build"

# A library whose debug info names the build directory only inside a
# compressed debug section (as a dbgsym's .debug file may be).
make_tree elf
mkdir -p "$work/elf/pkg/usr/lib"
echo 'int fake(void) { return 1; }' > "$work/fake.c"
(cd "$work" && gcc -g -shared -fPIC -o "$work/libfake.so" fake.c)
for _ in $(seq 200); do echo "$build/work/fake/src/fake.c"; done > "$work/debug-paths"
objcopy --add-section .debug_allocpipe_selftest="$work/debug-paths" "$work/libfake.so" "$work/libfake-paths.so"
objcopy --compress-debug-sections=zlib "$work/libfake-paths.so" "$work/elf/pkg/usr/lib/libfake.so"
readelf -SW "$work/elf/pkg/usr/lib/libfake.so" | grep -q '\.debug_allocpipe_selftest .* C ' \
  || fail "objcopy did not compress the debug section; the case tests nothing"
if grep -qaF "$build" "$work/elf/pkg/usr/lib/libfake.so"; then fail "the build path is readable without decompression; the case tests nothing"; fi
make_debs elf && expect_found elf data/usr/lib/libfake.so "$build"
echo "PASSED"
