#!/usr/bin/env bash
# host.container.root: builds (or finds) the cached Debian 12 root the
# container tests boot, and proves it boots: systemd reaches running, D-Bus
# answers, and teardown leaves no container process behind.
#   root.sh CACHE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
ct_require
cache=$1
root=$(ct_root_cached "$cache")
ct_boot "$root" "$cache/boot-check"
[ "$(ct_exec busctl --system call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.DBus.Properties Get ss org.freedesktop.systemd1.Manager Version | cut -d' ' -f1)" = v ] \
  || ct_fail "systemd's D-Bus API does not answer inside the container"
ct_exec dpkg-query -W tor ansible-core > /dev/null || ct_fail "tor or ansible-core missing from the root"
nspawn=$CT_NSPAWN
ct_teardown
! kill -0 "$nspawn" 2>/dev/null || ct_fail "systemd-nspawn ($nspawn) is still running after teardown"
[ ! -e "$cache/boot-check/root" ] || ct_fail "the per-run copy was not removed"
echo "PASSED: cached root $root boots with systemd (D-Bus answers) and tears down cleanly"
