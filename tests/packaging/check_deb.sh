#!/usr/bin/env bash
# packaging.contents.<id> (and packaging.contents.<id>_<arch> for a foreign
# architecture): the package of one library id is what the issue asks for, or
# the id is reported skipped ("NOT BUILT HERE") when its library was not
# built here. Never passes for a library that is not packaged.
#   check_deb.sh ID DEBS_DIR STATUS_FILE LIBS_LIBRARY LIBS_MANIFEST LIBDIR REVISION HOMEPAGE WORK [ARCH]
# (ARCH: the package's Debian architecture, default the build host's.)
source "$(dirname "$0")/common.sh"
id=$1 debs=$2 status=$3 built_library=$4 built_manifest=$5 libdir=$6 revision=$7 homepage=$8 work=$9
arch=${10:-$(dpkg --print-architecture)}
key=$id
[ "$arch" = "$(dpkg --print-architecture)" ] || key=${id}_$arch  # packages.txt's key for a foreign architecture
rm -rf "$work" && mkdir -p "$work"

[ -f "$status" ] || fail "$id: no build status $status (the superbuild has not run)"
if grep -q '^NOT BUILT' "$status"; then
  read_index "$debs"
  grep -q "^$key:" <<<"$SKIPPED" || fail "$key was not built but $debs/packages.txt does not list it as skipped"
  [ -z "${DEB_OF[$key]:-}" ] || fail "$key was not built but a package was made for it"
  echo "NOT BUILT HERE: $(sed 's/^NOT BUILT: //' "$status" | head -n 1)"
  exit 0
fi
require_tools dpkg-deb readelf md5sum sha256sum od
objcopy=$(binutil "$arch" objcopy)
read_index "$debs"
deb=${DEB_OF[$key]:-} dbgsym=${DBGSYM_OF[$key]:-}
[ -n "$deb" ] || fail "$key was built but $debs/packages.txt lists no package for it"

version=$(sed -n 's/.*"version" *: *"\([^"]*\)".*/\1/p' "$built_manifest")
variant=$(sed -n 's/.*"variant" *: *"\([^"]*\)".*/\1/p' "$built_manifest")
allocator=$(sed -n 's/.*"allocator" *: *"\([^"]*\)".*/\1/p' "$built_manifest")
source_sha=$(sed -n 's/.*"source_sha256" *: *"\([^"]*\)".*/\1/p' "$built_manifest")
library=$(basename "$built_library") manifest=$(basename "$built_manifest")
manifest_arch=$(sed -n 's/.*"architecture" *: *"\([^"]*\)".*/\1/p' "$built_manifest")

field() { dpkg-deb -f "$1" "$2"; }
expect_field() {  # deb field expected
  local got; got=$(field "$1" "$2")
  [ "$got" = "$3" ] || fail "$(basename "$1"): $2 is '$got', expected '$3'"
}

# --- control fields
expect_field "$deb" Package "$id"
expect_field "$deb" Version "$version-$revision"
expect_field "$deb" Architecture "$arch"
[[ $(basename "$deb") == "${id}_${version}-${revision}_$arch.deb" ]] || fail "$(basename "$deb") is not named ${id}_${version}-${revision}_$arch.deb"
[[ $(basename "$dbgsym") == "${id}-dbgsym_${version}-${revision}_$arch.deb" ]] || fail "$(basename "$dbgsym") is not named ${id}-dbgsym_${version}-${revision}_$arch.deb"
# Both architectures install the same path: never Multi-Arch: same (see packaging/README.md).
[[ $(field "$deb" Multi-Arch) =~ ^(no)?$ ]] || fail "$(basename "$deb") declares Multi-Arch: $(field "$deb" Multi-Arch), but every architecture installs the same $libdir/$library"
[ -n "$manifest_arch" ] || [ "$key" = "$id" ] || fail "$built_manifest records no architecture (a foreign build's manifest must)"
[ -z "$manifest_arch" ] || [ "$manifest_arch" = "$arch" ] || fail "$built_manifest records architecture '$manifest_arch', the package is $arch"
expect_field "$deb" Section libs
expect_field "$deb" Priority optional
expect_field "$deb" Homepage "$homepage"
[[ $(field "$deb" Maintainer) =~ ^[^\<]+\ \<[^@]+@[^\>]+\>$ ]] || fail "Maintainer '$(field "$deb" Maintainer)' is not 'Name <address>'"
[[ $(field "$deb" Depends) =~ (^|, )libc6\ \(\>=\ [0-9.]+\) ]] || fail "Depends '$(field "$deb" Depends)' was not computed by dpkg-shlibdeps (no libc6 (>= ...))"
description=$(field "$deb" Description)
synopsis=$(head -n 1 <<<"$description")
for word in "$allocator" "$version" "$variant"; do
  grep -qw -- "$word" <<<"$synopsis" || fail "Description synopsis '$synopsis' does not say '$word'"
done
grep -q "$source_sha" <<<"$description" || fail "Description does not give the source SHA-256 $source_sha"
case $variant in
  secure) grep -q "Secure variant:" <<<"$description" || fail "Description of a secure build does not say what secure means" ;;
  normal) grep -q "Normal variant:" <<<"$description" || fail "Description of a normal build does not say it is not the secure one" ;;
esac

# --- control archive: control + md5sums only; no maintainer script can touch a service
members=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed 's|^\./||' | grep -v '^$' | sort | tr '\n' ' ')
[ "$members" = "control md5sums " ] || fail "control archive holds '$members', expected only control and md5sums (no maintainer scripts, triggers or conffiles)"

# --- files: exactly these, with md5sums that match
mkdir -p "$work/pkg" "$work/dbg"
dpkg-deb -x "$deb" "$work/pkg"
files=$(cd "$work/pkg" && find . ! -type d | sed 's|^\./||' | sort)
expected=$(printf '%s\n' "${libdir#/}/$library" "${libdir#/}/$manifest" "usr/share/doc/$id/README" \
  "usr/share/doc/$id/changelog.Debian.gz" "usr/share/doc/$id/copyright" "usr/share/lintian/overrides/$id" | sort)
[ "$files" = "$expected" ] || fail "$(basename "$deb") installs:"$'\n'"$files"$'\n'"expected:"$'\n'"$expected"
(cd "$work/pkg" && dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums | md5sum --quiet -c -) || fail "md5sums of $(basename "$deb") do not match its files"
cmp -s "$built_manifest" "$work/pkg/${libdir#/}/$manifest" || fail "the packaged manifest differs from $built_manifest"
perm_bad=$(cd "$work/pkg" && find . \( -type f ! -perm 0644 \) -o \( -type d ! -perm 0755 \))
[ -z "$perm_bad" ] || fail "files not 0644 / directories not 0755: $perm_bad"

# copyright = the upstream license, verbatim: its SHA-256 is the recipe's pin recorded in the manifest
copyright_sha=$(sha256sum < "$work/pkg/usr/share/doc/$id/copyright" | cut -d' ' -f1)
grep -q "=$copyright_sha\"" "$built_manifest" || fail "usr/share/doc/$id/copyright (sha256 $copyright_sha) is not the pinned upstream license file of $manifest"
zcat "$work/pkg/usr/share/doc/$id/changelog.Debian.gz" | head -n 1 | grep -qF "$id ($version-$revision)" \
  || fail "changelog.Debian.gz does not start with '$id ($version-$revision)'"
grep -qF "$libdir/$library" "$work/pkg/usr/share/doc/$id/README" || fail "README does not name $libdir/$library"

# --- the library: stripped, same build-id and same code as the one that passed the smoke gate
packaged="$work/pkg/${libdir#/}/$library"
# An ELF file of the package's own architecture: e_machine as Debian's libc6:<arch>.
want_machine=$(arch_elf_machine "$arch")
for elf in "$packaged" "$built_library"; do
  [ "$(elf_machine "$elf")" = "$want_machine" ] \
    || fail "$elf has ELF e_machine $(elf_machine "$elf"); a $arch package needs e_machine $want_machine (that of /lib/$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)/libc.so.6)"
done
sections=$(readelf -SW "$packaged")
! grep -qE '\.debug_info|\.symtab' <<<"$sections" || fail "$library in the package is not stripped"
grep -q '\.gnu_debuglink' <<<"$sections" || fail "$library in the package has no .gnu_debuglink"
build_id() { readelf -n "$1" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p'; }
bid=$(build_id "$packaged")
[ -n "$bid" ] && [ "$bid" = "$(build_id "$built_library")" ] || fail "build-id '$bid' of the packaged library differs from $built_library's"
"$objcopy" -O binary --only-section=.text "$packaged" "$work/text.packaged"
"$objcopy" -O binary --only-section=.text "$built_library" "$work/text.built"
cmp -s "$work/text.packaged" "$work/text.built" || fail ".text of the packaged $library differs from the smoke-tested $built_library"

# --- the -dbgsym package: build-id based debug info for exactly this library
[ -n "$dbgsym" ] || fail "no -dbgsym package for $id"
expect_field "$dbgsym" Package "$id-dbgsym"
expect_field "$dbgsym" Version "$version-$revision"
expect_field "$dbgsym" Depends "$id (= $version-$revision)"
expect_field "$dbgsym" Section debug
expect_field "$dbgsym" Build-Ids "$bid"
dpkg-deb -x "$dbgsym" "$work/dbg"
dbg_files=$(cd "$work/dbg" && find . ! -type d | sed 's|^\./||' | sort | tr '\n' ' ')
[ "$dbg_files" = "usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug usr/share/doc/$id-dbgsym " ] \
  || fail "$(basename "$dbgsym") installs '$dbg_files'"
[ "$(readlink "$work/dbg/usr/share/doc/$id-dbgsym")" = "$id" ] || fail "/usr/share/doc/$id-dbgsym is not a link to $id"
debug_file="$work/dbg/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug"
readelf -SW "$debug_file" | grep -q '\.debug_info' || fail "the .debug file has no .debug_info"
[ "$(elf_machine "$debug_file")" = "$want_machine" ] || fail "the .debug file of $(basename "$dbgsym") has ELF e_machine $(elf_machine "$debug_file"), expected $want_machine ($arch)"
expect_field "$dbgsym" Architecture "$arch"
(cd "$work/dbg" && dpkg-deb --ctrl-tarfile "$dbgsym" | tar -xO ./md5sums | md5sum --quiet -c -) || fail "md5sums of $(basename "$dbgsym") do not match its files"

note "$key: $(basename "$deb") + $(basename "$dbgsym") ($arch, ELF e_machine $want_machine): fields, files, stripped library (build-id $bid, .text identical to the smoke-tested one), detached debug info"
echo "PASSED"
