#!/usr/bin/env bash
# packaging.host.<arch>: the allocpipe-host package of a foreign architecture
# (from the cross tools sub-build) is the build host's package in another
# architecture: same name, version and file list, Architecture <arch>, an
# ELF binary (and .debug file) of that machine, Depends computed for <arch>;
# and the packaged binary runs under qemu-user: --version, and `list` finds
# the library of the <arch> library package unpacked next to it.
#   check_host_deb.sh DEBS ARCH WORK
source "$(dirname "$0")/common.sh"
debs=$1 arch=$2 work=$3
require_tools dpkg-deb readelf od
read_index "$debs"
key=allocpipe-host_$arch
deb=${FOREIGN_TOOL_DEB[$key]:-} dbgsym=${FOREIGN_TOOL_DBGSYM[$key]:-}
[ -n "$deb" ] || fail "$debs/packages.txt lists no $key package (is allocpipe-host built by allocpipe-tools-$arch?)"
native_deb=${TOOL_DEB[allocpipe-host]:-}
[ -n "$native_deb" ] || fail "$debs/packages.txt lists no allocpipe-host package of the build host to compare with"
rm -rf "$work" && mkdir -p "$work/pkg" "$work/dbg" "$work/native"
field() { dpkg-deb -f "$1" "$2"; }

# --- the same package, another architecture
for name in Package Version Section Priority Maintainer Homepage Description Recommends; do
  [ "$(field "$deb" $name)" = "$(field "$native_deb" $name)" ] || fail "$name of $(basename "$deb") is '$(field "$deb" $name)', the build host's package has '$(field "$native_deb" $name)'"
done
[ "$(field "$deb" Architecture)" = "$arch" ] || fail "$(basename "$deb"): Architecture is '$(field "$deb" Architecture)', expected $arch"
[ "$(basename "$deb")" = "allocpipe-host_$(field "$deb" Version)_$arch.deb" ] || fail "$(basename "$deb") is not named allocpipe-host_<version>_$arch.deb"
[[ $(field "$deb" Multi-Arch) =~ ^(no)?$ ]] || fail "$(basename "$deb") declares Multi-Arch: $(field "$deb" Multi-Arch) although it installs /usr/bin/allocpipe-host like every architecture"
depends=$(field "$deb" Depends)
for lib in libc6 libsystemd0 libstdc++6; do
  [[ ", $depends" == *", $lib (>= "[0-9]* ]] || fail "Depends '$depends' of $(basename "$deb") has no versioned $lib (dpkg-shlibdeps for $arch)"
done
dpkg-deb -x "$deb" "$work/pkg"
dpkg-deb -x "$native_deb" "$work/native"
listing() { (cd "$1" && find . | sort); }
[ "$(listing "$work/pkg")" = "$(listing "$work/native")" ] \
  || fail "$(basename "$deb") installs other files than the build host's package:"$'\n'"$(diff <(listing "$work/native") <(listing "$work/pkg") || true)"
(cd "$work/pkg" && dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums | md5sum --quiet -c -) || fail "md5sums of $(basename "$deb") do not match its files"

# --- an ELF binary of that machine, stripped, with its debug info in the -dbgsym
binary="$work/pkg/usr/bin/allocpipe-host"
want_machine=$(arch_elf_machine "$arch")
[ "$(elf_machine "$binary")" = "$want_machine" ] || fail "usr/bin/allocpipe-host in $(basename "$deb") has ELF e_machine $(elf_machine "$binary"), a $arch package needs $want_machine"
! readelf -SW "$binary" | grep -qE '\.debug_info|\.symtab' || fail "usr/bin/allocpipe-host in $(basename "$deb") is not stripped"
bid=$(readelf -n "$binary" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
[ -n "$bid" ] || fail "usr/bin/allocpipe-host has no build-id"
[ "$(field "$dbgsym" Architecture)" = "$arch" ] && [ "$(field "$dbgsym" Build-Ids)" = "$bid" ] \
  || fail "$(basename "$dbgsym"): Architecture '$(field "$dbgsym" Architecture)', Build-Ids '$(field "$dbgsym" Build-Ids)'; expected $arch and $bid"
dpkg-deb -x "$dbgsym" "$work/dbg"
debug_file="$work/dbg/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug"
[ -f "$debug_file" ] && [ "$(elf_machine "$debug_file")" = "$want_machine" ] || fail "$(basename "$dbgsym") has no $arch debug file for build-id $bid"

# --- it runs, under emulation
version=$(emulate "$arch" "$binary" --version 2>&1) || fail "the $arch allocpipe-host does not run under $(emulator_of "$arch"): $version"
[[ $version == "allocpipe-host $(field "$deb" Version | sed 's/-[^-]*$//')"* ]] || fail "the $arch allocpipe-host --version says '$version'"
libs=()
for foreign in "${FOREIGN_IDS[@]}"; do [[ $foreign == *_$arch ]] && libs+=("${foreign%_"$arch"}"); done
if [ ${#libs[@]} -gt 0 ]; then
  dpkg-deb -x "${DEB_OF[${libs[0]}_$arch]}" "$work/pkg"
  libdir=$(dirname "$(cd "$work/pkg" && find . -name '*.so' -path '*/usr/local/lib/*' | head -n 1)")
  listed=$(emulate "$arch" "$binary" list --lib-dir "$work/pkg/${libdir#./}" 2>&1) || fail "the $arch allocpipe-host list failed under emulation: $listed"
  grep -q "^${libs[0]} " <<<"$listed" || fail "the $arch allocpipe-host does not list the $arch ${libs[0]} unpacked next to it: $listed"
  note "under emulation: $version; list finds ${libs[0]} ($arch)"
else
  note "under emulation: $version (no $arch library package to list)"
fi
echo "PASSED: $(basename "$deb") + $(basename "$dbgsym"): the build host's package for $arch (e_machine $want_machine), runs under emulation"
