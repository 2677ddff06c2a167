#!/usr/bin/env bash
# packaging.lifecycle: install / use / upgrade / remove / purge with the real
# dpkg, in a throwaway root (dpkg --root): the host's own files and package
# database are never touched. The throwaway database starts as a copy of the
# host's, so the packages' Depends (libc6) are satisfied as on a real host.
#   1. install every package (libraries + -dbgsym) at once: no file conflicts;
#   2. a real program preloading each installed library runs, library mapped;
#   3. upgrade one package (+ its -dbgsym) to a new revision made by the same
#      packaging script; 4. remove one, purge another;
#   5. dpkg --verify is clean after every step; at the end everything is
#      purged and not one file or directory is left in the root;
#   6. no maintainer script exists and no service manager is ever called
#      (systemctl, service, invoke-rc.d, ... are shims that record calls).
# Needs root (dpkg sets file owners); skipped otherwise.
#   lifecycle.sh DEBS DATA WORK
source "$(dirname "$0")/common.sh"
debs=$1 data=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || skip "needs root to run dpkg (even into a throwaway root); run ctest as root (CI does)"
require_tools dpkg dpkg-deb dpkg-query python3 cmake
read_index "$debs"
[ ${#BUILT_IDS[@]} -gt 0 ] || skip "no library was built here, nothing to install: ${SKIPPED//$'\n'/; }"

rm -rf "$work" && mkdir -p "$work"
purged=
root="$work/root"
trap 'rm -rf "$root"' EXIT
make_dpkg_root "$root"
before=$(cd "$root" && find . -path ./var -prune -o -print | sort)

# Service-manager shims, first in PATH for every dpkg run: any call is recorded.
mkdir -p "$work/shims"
for tool in systemctl service invoke-rc.d deb-systemd-invoke deb-systemd-helper update-rc.d initctl; do
  printf '#!/bin/sh\necho "%s $*" >> "%s"\n' "$tool" "$work/service-calls.log" > "$work/shims/$tool"
  chmod +x "$work/shims/$tool"
done
: > "$work/service-calls.log"
dpkg_root() { PATH="$work/shims:$PATH" dpkg --root="$root" "$@"; }
verify() {
  # Only our packages own files in this root; anything reported is a real defect.
  dpkg_verify_clean "$root" "$1"
  note "dpkg --verify clean after $1"
}
installed_version() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null || true; }
libpath() { dpkg-query --admindir="$root/var/lib/dpkg" -L "$1" | grep '\.so$'; }

# 1. everything at once
all=()
for id in "${BUILT_IDS[@]}"; do all+=("${DEB_OF[$id]}" "${DBGSYM_OF[$id]}"); done
for tool in "${!TOOL_DEB[@]}"; do all+=("${TOOL_DEB[$tool]}" "${TOOL_DBGSYM[$tool]}"); done  # allocpipe-host
dpkg_root -i "${all[@]}" > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "installing all ${#all[@]} packages at once failed"; }
for id in "${BUILT_IDS[@]}"; do
  want=$(dpkg-deb -f "${DEB_OF[$id]}" Version)
  [ "$(installed_version "$id")" = "ii $want" ] || fail "$id is '$(installed_version "$id")' after install, expected 'ii $want'"
  [ "$(installed_version "$id-dbgsym")" = "ii $want" ] || fail "$id-dbgsym is not installed"
done
note "installed ${#all[@]} packages at once: ${BUILT_IDS[*]} ${!TOOL_DEB[*]} (+ -dbgsym)"
if [ -n "${TOOL_DEB[allocpipe-host]:-}" ]; then
  "$root/usr/bin/allocpipe-host" --version | grep -q '^allocpipe-host ' || fail "the installed /usr/bin/allocpipe-host does not run"
  "$root/usr/bin/allocpipe-host" list --lib-dir "$root$(dirname "$(libpath "${BUILT_IDS[0]}")")" | grep -q "^${BUILT_IDS[0]} " \
    || fail "the installed allocpipe-host does not list the installed ${BUILT_IDS[0]}"
  note "allocpipe-host installed: runs and lists the installed libraries"
fi
verify "install"

# 2. a program preloading each installed library
for id in "${BUILT_IDS[@]}"; do
  lib=$(libpath "$id")
  [ -f "$root$lib" ] || fail "$id: $lib is not installed"
  run_preloaded "$root$lib"
  note "$id: python3 with LD_PRELOAD=$lib runs, library mapped"
done

# 3. upgrade one package to a new revision, built by the same script
up=${BUILT_IDS[0]}
old=$(dpkg-deb -f "${DEB_OF[$up]}" Version)
new_revision="${old##*-}+lifecycle1"
cmake -DDATA="$data" -DOUTPUT_DIR="$work/rev2" -DWORK_DIR="$work/rev2-work" -DREVISION="$new_revision" -DIDS="$up" \
  -P "$here/../../packaging/build-debs.cmake" > "$work/rev2.log" 2>&1 || { cat "$work/rev2.log"; fail "building the new revision of $up failed"; }
new="${old%-*}-$new_revision"
dpkg --compare-versions "$new" gt "$old" || fail "$new does not sort after $old"
dpkg_root -i "$work/rev2/"*.deb > "$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "upgrading $up to $new failed"; }
grep -qF "Unpacking $up ($new) over ($old)" "$work/upgrade.log" || { cat "$work/upgrade.log"; fail "dpkg did not upgrade $up over $old"; }
[ "$(installed_version "$up")" = "ii $new" ] || fail "$up is '$(installed_version "$up")' after the upgrade, expected 'ii $new'"
[ "$(installed_version "$up-dbgsym")" = "ii $new" ] || fail "$up-dbgsym was not upgraded with it"
zcat "$root/usr/share/doc/$up/changelog.Debian.gz" | head -n 1 | grep -qF "($new)" || fail "the installed changelog of $up is not the new revision's"
run_preloaded "$root$(libpath "$up")"
note "upgraded $up $old -> $new (+ -dbgsym); preload still works"
verify "upgrade"

# 4. remove one, purge another (each with its -dbgsym, which depends on it)
removed=${BUILT_IDS[$(( ${#BUILT_IDS[@]} > 1 ? 1 : 0 ))]}
removed_files=$(dpkg-query --admindir="$root/var/lib/dpkg" -L "$removed" "$removed-dbgsym" | sort -u)
dpkg_root -r "$removed-dbgsym" "$removed" > "$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "removing $removed failed"; }
[[ ! $(installed_version "$removed") =~ ^ii ]] || fail "$removed is still installed after dpkg -r"
while read -r path; do
  [ -n "$path" ] && [ "$path" != / ] || continue
  if [ -e "$root$path" ] && [ ! -d "$root$path" ]; then fail "dpkg -r $removed left $path behind"; fi
done <<<"$removed_files"
note "removed $removed: its files are gone"
verify "remove"
if [ ${#BUILT_IDS[@]} -gt 2 ]; then
  purged=${BUILT_IDS[2]}
  dpkg_root -P "$purged-dbgsym" "$purged" > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purging $purged failed"; }
  [ -z "$(installed_version "$purged")" ] || [[ $(installed_version "$purged") =~ ^un ]] || fail "$purged is '$(installed_version "$purged")' after dpkg -P"
  [ ! -e "$root/usr/share/doc/$purged" ] || fail "dpkg -P $purged left /usr/share/doc/$purged"
  note "purged $purged"
  verify "purge"
fi

# 5. purge everything that is left; the root must be exactly as before
ours=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null \
  | awk '$1 != "un" { print $2 }' | grep -xF -f <(for id in "${BUILT_IDS[@]}" "${!TOOL_DEB[@]}"; do echo "$id"; echo "$id-dbgsym"; done) || true)
if [ -n "$ours" ]; then
  # shellcheck disable=SC2086
  dpkg_root -P $ours > "$work/purge-all.log" 2>&1 || { cat "$work/purge-all.log"; fail "purging everything failed"; }
fi
verify "purging everything"
after=$(cd "$root" && find . -path ./var -prune -o -print | sort)
[ "$after" = "$before" ] || fail "files or directories left behind after purging everything:"$'\n'"$(comm -13 <(echo "$before") <(echo "$after"))"
left=$(cd "$root/var/lib/dpkg/info" && ls | grep -F -f <(for id in "${BUILT_IDS[@]}" "${!TOOL_DEB[@]}"; do echo "$id."; echo "$id-dbgsym."; done) || true)
[ -z "$left" ] || fail "dpkg database files left behind: $left"

# 6. nothing touched a service
[ ! -s "$work/service-calls.log" ] || fail "a service manager was called: $(cat "$work/service-calls.log")"
for deb in "${all[@]}" "$work/rev2/"*.deb; do
  scripts=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed 's|^\./||' | grep -E '^(preinst|postinst|prerm|postrm|triggers|config)$' || true)
  [ -z "$scripts" ] || fail "$(basename "$deb") has maintainer scripts: $scripts"
done
note "no maintainer scripts, no service-manager call"
[ -z "$SKIPPED" ] || note "not packaged here (not built): ${SKIPPED//$'\n'/; }"
echo "PASSED: install ${#all[@]} / preload ${#BUILT_IDS[@]} / upgrade $up / remove $removed${purged:+ / purge $purged} / purge all; dpkg --verify clean; nothing left behind"
