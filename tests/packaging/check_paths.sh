#!/usr/bin/env bash
# packaging.paths: no package (library, allocpipe-host, or -dbgsym, of any
# architecture) holds a path of the build host: the source tree, the build
# tree, the download cache. Every member is
# read (README, manifest, copyright, changelog decompressed, control files,
# the library and its debug info with debug sections decompressed). The
# clean-build comparison of reproducible.sh cannot see these: a path that is
# the same in both trees does not differ between them.
#   check_paths.sh DEBS WORK PATH...
source "$(dirname "$0")/common.sh"
debs=$1 work=$2
shift 2
require_tools dpkg-deb objcopy perl zcat
read_index "$debs"
[ ${#BUILT_IDS[@]} -gt 0 ] || skip "no library was built here, no package to read: ${SKIPPED//$'\n'/; }"
paths=()
for path in "$@"; do
  [[ $path == /?* ]] || fail "expected an absolute directory other than /, got '$path'"
  paths+=("${path%/}")
  real=$(realpath -m -- "$path")
  [ "$real" = "${path%/}" ] || paths+=("$real")
done
rm -rf "$work" && mkdir -p "$work"
found=""
debs_to_read=("${ALL_DEBS[@]}")  # libraries and allocpipe-host, every architecture, each + -dbgsym
for deb in "${debs_to_read[@]}"; do
  hits=$(paths_in_deb "$deb" "$work/$(basename "$deb")" "${paths[@]}")
  [ -z "$hits" ] || found+=$(sed "s|^|$(basename "$deb"): |" <<<"$hits")$'\n'
done
[ -z "$found" ] || fail "build-host paths inside the packages (member: path):"$'\n'"$found"
note "read every member of ${#debs_to_read[@]} packages (${#BUILT_IDS[@]} libraries ${FOREIGN_IDS[*]} ${!TOOL_DEB[*]} ${FOREIGN_TOOLS[*]}, each + -dbgsym): none holds ${paths[*]}"
echo "PASSED"
