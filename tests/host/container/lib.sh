# shellcheck shell=bash
# A Debian 12 root with a real systemd, booted in a container (sourced by the
# container tests and bench/host). Used as:
#
#   source tests/host/container/lib.sh
#   ct_root_cached CACHE_DIR             -> prints a cached debootstrap root (built once per package list)
#   ct_boot CACHED_ROOT RUN_DIR          -> fresh copy in RUN_DIR/root, booted; sets CT_ROOT, CT_PID1, CT_NSPAWN
#   ct_exec CMD...                       -> runs CMD inside (nsenter into PID 1's namespaces), clean environment
#   ct_teardown                          -> poweroff, kill what is left, remove the copy
#   ct_at_exit CMD                       -> CMD runs at exit, after ct_teardown (ct_boot installs the EXIT trap)
#
# The container shares the host's network namespace (no --private-network),
# so a repository served on the host's 127.0.0.1 is reachable from inside;
# everything inside that could use the network (tor) is configured offline.
# Needs root, debootstrap, systemd-nspawn (package systemd-container), nsenter.
set -euo pipefail

CT_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CT_SUITE=bookworm
# What the root holds: a booting systemd with D-Bus, apt, tor, and what the
# Ansible role needs (python3, python3-apt for the apt module).
# python3-cffi-backend: ansible-core's python3-cryptography depends on the
# virtual python3-cffi-backend-api-*, which debootstrap does not resolve.
CT_PACKAGES=(systemd systemd-sysv dbus apt gnupg procps python3 python3-apt python3-cffi-backend tor ansible-core)
CT_ROOT='' CT_PID1='' CT_NSPAWN='' CT_RUN_DIR='' CT_MACHINE=''
CT_AT_EXIT=()

ct_at_exit() { CT_AT_EXIT+=("$1"); }
ct_exit() {
  local status=$? cmd
  ct_teardown || true
  for cmd in "${CT_AT_EXIT[@]}"; do eval "$cmd" || true; done
  exit "$status"
}
trap ct_exit EXIT

ct_fail() { echo "FAIL: $*" >&2; exit 1; }
ct_note() { echo "-- $*"; }

ct_require() {
  [ "$(id -u)" = 0 ] || ct_fail "the container tests need root (debootstrap, systemd-nspawn, nsenter); run ctest as root (CI does)"
  local tool
  for tool in debootstrap systemd-nspawn nsenter flock sha256sum; do
    command -v "$tool" >/dev/null || ct_fail "'$tool' is not installed (scripts/setup-debian.sh installs debootstrap, systemd-container, util-linux)"
  done
}

# The cache key is what goes into the root: suite, architecture, package list.
ct_root_key() {
  printf '%s\n' "$CT_SUITE" "$(dpkg --print-architecture)" "${CT_PACKAGES[@]}" | sort | sha256sum | cut -c1-16
}

# debootstrap can finish with packages left unconfigured (it resolves no
# virtual package); a root is usable only when every one is installed and
# configured.
ct_root_check() {
  local root=$1 audit
  audit=$(chroot "$root" dpkg --audit 2>&1 || true)
  [ -z "$audit" ] || { echo "$audit" >&2; return 1; }
  chroot "$root" dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${CT_PACKAGES[@]}" 2>&1 \
    | awk '$1 != "ii" { print "not installed: " $0 > "/dev/stderr"; bad = 1 } END { exit bad }'
}

# Builds the root once (debootstrap from this machine's own Debian archive
# URI) into CACHE_DIR/root-<key>, renamed into place only when complete;
# concurrent callers wait on a lock. Prints the root's path.
ct_root_cached() {
  local cache=$1 key root uri tmp
  mkdir -p "$cache"
  cache=$(cd "$cache" && pwd)
  key=$(ct_root_key)
  root="$cache/root-$key"
  exec {lock}> "$cache/lock"
  flock "$lock"
  if [ ! -e "$root/.complete" ]; then
    uri=$("$CT_HERE/../../../scripts/debian-archive-uri.sh") || ct_fail "cannot derive the Debian archive URI for debootstrap"
    tmp="$cache/.build-$key.$$"
    rm -rf "$root" "$cache"/.build-"$key".*
    echo "-- building the container root ($CT_SUITE, ${CT_PACKAGES[*]}) with debootstrap from $uri (once; cached in $root)" >&2
    local incl
    incl=$(IFS=,; echo "${CT_PACKAGES[*]}")
    if ! debootstrap --variant=minbase --include="$incl" "$CT_SUITE" "$tmp" "$uri" > "$cache/debootstrap.log" 2>&1; then
      tail -n 30 "$cache/debootstrap.log" >&2
      rm -rf "$tmp"
      ct_fail "debootstrap of $CT_SUITE from $uri failed (log: $cache/debootstrap.log)"
    fi
    if ! ct_root_check "$tmp"; then
      rm -rf "$tmp"
      ct_fail "debootstrap left packages not installed or not configured (above)"
    fi
    rm -rf "$tmp/var/cache/apt/archives/"*.deb
    date -u +%FT%TZ > "$tmp/.complete"
    mv -T "$tmp" "$root"
  fi
  flock -u "$lock"
  exec {lock}>&-
  echo "$root"
}

# Per-run changes to the fresh copy, before it boots: no archive source (the
# only apt source is the one a test adds), a hostname, and no tor@default:
# tor.service is not started at boot and /etc/tor/torrc is removed, so Debian's
# tor-generator does not pull tor@default in (it would try to reach the Tor
# network); only the offline instances a test creates exist and run.
ct_prepare_copy() {
  local root=$1 name=$2
  : > "$root/etc/apt/sources.list"
  rm -f "$root/var/lib/apt/lists/"*_Packages "$root/var/lib/apt/lists/"*Release* 2>/dev/null || true
  echo "$name" > "$root/etc/hostname"
  rm -f "$root/etc/systemd/system/multi-user.target.wants/tor.service" "$root/etc/tor/torrc"
  # No apt-daily run in the middle of a test's apt-get (it would hold the lock).
  rm -f "$root/etc/systemd/system/timers.target.wants/apt-daily"*.timer
  # An empty machine-id: systemd generates one on the first boot of this copy.
  : > "$root/etc/machine-id"
}

# ct_boot CACHED_ROOT RUN_DIR: copies the root (reflink where the file system
# can), boots it, and waits until systemd inside reports running (or degraded,
# reported with the failed units).
ct_boot() {
  local cached=$1 run_dir=$2 i state
  mkdir -p "$run_dir"
  CT_RUN_DIR=$(cd "$run_dir" && pwd)
  CT_ROOT="$CT_RUN_DIR/root"
  CT_MACHINE="allocpipe-$$-$RANDOM"
  rm -rf "$CT_ROOT"
  cp -a --reflink=auto "$cached" "$CT_ROOT"
  ct_prepare_copy "$CT_ROOT" "$CT_MACHINE"
  # --register=no: no machined on the build host; --keep-unit: no scope either
  # (there is no systemd on the host to create one).
  systemd-nspawn --boot --register=no --keep-unit --console=pipe --machine="$CT_MACHINE" -D "$CT_ROOT" \
    < /dev/null > "$CT_RUN_DIR/console.log" 2>&1 &
  CT_NSPAWN=$!
  for i in $(seq 300); do
    CT_PID1=$(pgrep -P "$CT_NSPAWN" 2>/dev/null | head -n 1 || true)
    [ -z "$CT_PID1" ] || [ "$(cat "/proc/$CT_PID1/comm" 2>/dev/null)" != systemd ] || break
    kill -0 "$CT_NSPAWN" 2>/dev/null || { cat "$CT_RUN_DIR/console.log" >&2; ct_fail "systemd-nspawn --boot exited before systemd started"; }
    CT_PID1=''
    sleep 0.1
  done
  [ -n "$CT_PID1" ] || ct_fail "no systemd process under systemd-nspawn ($CT_NSPAWN) after 30 s"
  # Until systemd listens on its private socket, systemctl answers nothing
  # (or "offline"); then --wait blocks until start-up is finished.
  for i in $(seq 600); do
    state=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin nsenter --target "$CT_PID1" --all -- \
            systemctl is-system-running 2>/dev/null || true)
    case $state in ''|offline|unknown) ;; *) break ;; esac
    kill -0 "$CT_NSPAWN" 2>/dev/null || { cat "$CT_RUN_DIR/console.log" >&2; ct_fail "the container stopped while booting"; }
    sleep 0.1
  done
  [ "$state" != starting ] && [ "$state" != initializing ] || state=$(timeout 120 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    nsenter --target "$CT_PID1" --all -- systemctl is-system-running --wait 2>/dev/null || true)
  case $state in
    running) ;;
    degraded) ct_note "container booted degraded; failed units: $(ct_exec systemctl list-units --state=failed --plain --no-legend | tr '\n' ' ')" ;;
    *) cat "$CT_RUN_DIR/console.log" >&2; ct_fail "systemd in the container did not reach running (state: '${state:-none}')" ;;
  esac
  ct_note "container $CT_MACHINE booted: systemd-nspawn pid $CT_NSPAWN, systemd pid $CT_PID1 ($state)"
}

# Runs a command inside the container: every namespace of its PID 1, its root,
# and a clean environment (nothing leaks from the build host).
ct_exec() {
  [ -n "$CT_PID1" ] || ct_fail "ct_exec: no container is running"
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root TERM=dumb \
    nsenter --target "$CT_PID1" --all -- "$@"
}

# Powers the container off (systemd's own shutdown, so units stop cleanly),
# kills it if it does not stop in time, and removes the per-run copy.
ct_teardown() {
  local i
  if [ -n "$CT_NSPAWN" ] && kill -0 "$CT_NSPAWN" 2>/dev/null; then
    # SIGRTMIN+4 asks systemd for poweroff (systemd(1), "Signals").
    [ -z "$CT_PID1" ] || kill -s RTMIN+4 "$CT_PID1" 2>/dev/null || true
    for i in $(seq 300); do kill -0 "$CT_NSPAWN" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$CT_NSPAWN" 2>/dev/null; then
      echo "-- container $CT_MACHINE did not power off in 30 s; killing it" >&2
      kill -TERM "$CT_NSPAWN" 2>/dev/null; sleep 1; kill -TERM "$CT_NSPAWN" 2>/dev/null || true
      for i in $(seq 50); do kill -0 "$CT_NSPAWN" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$CT_NSPAWN" 2>/dev/null || true
      [ -z "$CT_PID1" ] || kill -KILL "$CT_PID1" 2>/dev/null || true
    fi
    wait "$CT_NSPAWN" 2>/dev/null || true
  fi
  CT_NSPAWN='' CT_PID1=''
  if [ -n "$CT_ROOT" ] && [ -d "$CT_ROOT" ]; then
    # Nothing may still be mounted below the copy before it is removed.
    if grep -q " $CT_ROOT[/ ]" /proc/self/mounts; then
      awk -v r="$CT_ROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r | xargs -r umount -l
    fi
    rm -rf --one-file-system "$CT_ROOT"
  fi
  [ -z "$CT_MACHINE" ] || rm -rf "/run/systemd/nspawn/propagate/$CT_MACHINE"
  CT_ROOT=''
}
