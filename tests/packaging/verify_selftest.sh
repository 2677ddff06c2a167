#!/usr/bin/env bash
# packaging.selftest.verify: dpkg_verify_clean (common.sh, what lifecycle.sh
# runs after every step) fails on a changed file, a deleted file and on a
# dpkg database dpkg cannot read (dpkg --verify then exits 2 and reports
# nothing on stdout; it exits 0 for changed files, so both are judged).
# A fake package in a throwaway root; needs root (dpkg sets owners).
#   verify_selftest.sh WORK
source "$(dirname "$0")/common.sh"
work=$1
[ "$(id -u)" = 0 ] || skip "needs root to run dpkg (even into a throwaway root); run ctest as root (CI does)"
require_tools dpkg dpkg-deb
rm -rf "$work" && mkdir -p "$work/pkg/DEBIAN" "$work/pkg/usr/share/doc/fake"
work=$(cd "$work" && pwd)
printf 'Package: fake\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: fake\n a fake package for the self-test\n' > "$work/pkg/DEBIAN/control"
echo "the installed file" > "$work/pkg/usr/share/doc/fake/README"
dpkg-deb --root-owner-group --build "$work/pkg" "$work/fake.deb" > /dev/null
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: > "$root/var/lib/dpkg/status"
: > "$root/var/lib/dpkg/available"
dpkg --root="$root" -i "$work/fake.deb" > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "installing the fake package failed"; }
readme="$root/usr/share/doc/fake/README"

# expect_refused CASE: dpkg_verify_clean must fail (in a subshell: fail exits)
expect_refused() {
  if (dpkg_verify_clean "$root" "$1") > "$work/$1.log" 2>&1; then fail "dpkg_verify_clean passed $1"; fi
  grep -q "dpkg --verify after $1" "$work/$1.log" || { cat "$work/$1.log"; fail "$1: refused, but not by dpkg --verify"; }
  note "$1: refused ($(grep -m1 -v '^FAIL' "$work/$1.log" || true))"
}
(dpkg_verify_clean "$root" install) || fail "dpkg_verify_clean refused a clean root"
note "clean root: passed"

cp "$readme" "$work/README.orig"
echo "changed" >> "$readme"
expect_refused "a changed file"
rm "$readme"
expect_refused "a deleted file"
cp "$work/README.orig" "$readme"
(dpkg_verify_clean "$root" restore) || fail "dpkg_verify_clean refused the restored root"

cp "$root/var/lib/dpkg/status" "$work/status.orig"
echo "garbage" > "$root/var/lib/dpkg/status"
expect_refused "an unreadable database"
grep -q "exited with status" "$work/an unreadable database.log" || fail "the unreadable database was not refused for dpkg's exit status"
cp "$work/status.orig" "$root/var/lib/dpkg/status"
echo "PASSED"
