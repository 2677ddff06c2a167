#!/usr/bin/env bash
# Configure-time errors must name the bad input and what was expected.
set -euo pipefail
source_dir=$1 fetcher=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_configure_error() {  # name, expected text, cmake args...
  local name=$1 expected=$2; shift 2
  if cmake -S "$source_dir" -B "b-$name" -G Ninja -DBUILD_TESTING=OFF -DALLOC_FETCHER="$fetcher" "$@" > "$name.log" 2>&1; then
    fail "$name: configure succeeded"
  fi
  tr -s " \n" "  " < "$name.log" | grep -qF -- "$expected" || { cat "$name.log"; fail "$name: error does not say '$expected'"; }
  echo "ok: $name"
}
expect_configure_error unknown-id "ALLOC_BUILD: unknown library id 'mimalloc-9.9.9'" -DALLOC_BUILD=mimalloc-9.9.9
grep -q "mimalloc-2.0.9-secure" unknown-id.log || fail "unknown-id: valid ids are not listed"
expect_configure_error bad-debian-mode "ALLOC_DEBIAN_SOURCES='sometimes': expected AUTO, ON or OFF" -DALLOC_DEBIAN_SOURCES=sometimes
# The architecture axis (cmake/Architectures.cmake): an unknown architecture,
# and a foreign one whose cross compiler or emulator is missing, name the
# value and the Debian package to install.
expect_configure_error unknown-arch "ALLOC_ARCHS: unsupported architecture 'riscv64' (expected Debian architecture names, supported: amd64, arm64)" -DALLOC_ARCHS="amd64;riscv64"
expect_configure_error missing-cross-compiler "ALLOC_ARCHS lists arm64, but its cross compiler 'no-such-cross-gcc' is not installed: install the Debian package crossbuild-essential-arm64" -DALLOC_ARCHS="amd64;arm64" -DALLOC_CROSS_PREFIX_arm64=no-such-cross-
expect_configure_error missing-emulator "its user-mode emulator 'no-such-qemu-aarch64' is not installed (the smoke gate runs every arm64 library under it): install the Debian package qemu-user-static" -DALLOC_ARCHS="amd64;arm64" -DALLOC_EMULATOR_arm64=no-such-qemu-aarch64
expect_configure_error bad-page-size "ALLOC_PAGE_SIZE_arm64='64k': expected 4096, 16384 or 65536 (bytes)" -DALLOC_PAGE_SIZE_arm64=64k
expect_configure_error relative-libdir "ALLOC_LIBDIR='lib': expected an absolute path" -DALLOC_LIBDIR:STRING=lib

# The family folder without its other versions, then one version to break.
mkdir -p recipes/mimalloc
find "$source_dir/recipes/mimalloc" -maxdepth 1 -type f ! -name '*.recipe' ! -name '*.hash' -exec cp {} recipes/mimalloc/ \;
cp "$source_dir/recipes/mimalloc/2.0.9.recipe" "$source_dir/recipes/mimalloc/2.0.9.hash" recipes/mimalloc/
echo "VERSON = 2.0.9" >> recipes/mimalloc/2.0.9.recipe
expect_configure_error typo-key "2.0.9.recipe:$(wc -l < recipes/mimalloc/2.0.9.recipe): unknown key 'VERSON'" -DALLOC_RECIPES_DIR="$work/recipes"
cp "$source_dir/recipes/mimalloc/2.0.9.recipe" recipes/mimalloc/
sed -i '/  LICENSE$/d' recipes/mimalloc/2.0.9.hash
expect_configure_error unpinned-license "no sha256 line for 'LICENSE'" -DALLOC_RECIPES_DIR="$work/recipes"
cp "$source_dir/recipes/mimalloc/2.0.9.hash" recipes/mimalloc/
mkdir -p patches/mimalloc/2.0.9 && echo "not pinned" > patches/mimalloc/2.0.9/0001-x.patch
expect_configure_error unpinned-patch "no sha256 line for '0001-x.patch'" -DALLOC_RECIPES_DIR="$work/recipes" -DALLOC_PATCHES_DIR="$work/patches"
rm -r patches/mimalloc/2.0.9

# A family folder must hold everything family-specific; a missing piece is
# named with the folder. A version may not inherit another's deviations.
mv recipes/mimalloc/secure.txt secure.txt.saved
expect_configure_error family-no-secure-text "variant 'secure' needs $work/recipes/mimalloc/secure.txt" -DALLOC_RECIPES_DIR="$work/recipes"
mv secure.txt.saved recipes/mimalloc/secure.txt
mv recipes/mimalloc/package-normal.txt package-normal.txt.saved
expect_configure_error family-no-package-text "variant 'normal' needs $work/recipes/mimalloc/package-normal.txt" -DALLOC_RECIPES_DIR="$work/recipes"
mv package-normal.txt.saved recipes/mimalloc/package-normal.txt
mkdir -p recipes/hoard && cp recipes/mimalloc/2.0.9.recipe recipes/mimalloc/2.0.9.hash recipes/hoard/
expect_configure_error family-incomplete "allocator family 'hoard': $work/recipes/hoard/family.conf is missing" -DALLOC_RECIPES_DIR="$work/recipes"
rm -r recipes/hoard
echo "KNOWN_DEVIATIONS = calloc.overflow" >> recipes/mimalloc/family.conf
expect_configure_error family-deviations "family.conf:$(wc -l < recipes/mimalloc/family.conf): unknown key 'KNOWN_DEVIATIONS'" -DALLOC_RECIPES_DIR="$work/recipes"
echo "configure errors: all checks passed"
