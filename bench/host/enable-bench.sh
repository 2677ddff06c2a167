#!/usr/bin/env bash
# bench/host: how long `allocpipe-host enable` takes over N units split into
# waves, and how much of that is allocpipe-host's own overhead (a benchmark,
# not a test: it prints figures and asserts nothing about time).
#
#   bench/host/enable-bench.sh [BUILD_DIR] [N=12] [WAVE=4] [HEALTH_SECONDS=3] [LIBRARY_ID=mimalloc-2.0.9-secure]
#
# In a booted Debian 12 container (tests/host/container/lib.sh; the root
# cached by the container tests is reused), with the packages installed by
# apt from a signed repository on loopback, N offline tor relays
# (tor-instance-create) are measured:
#   restart  the services' own start time: `systemctl restart` of the units
#            of one wave at once (one job each, in parallel, as allocpipe-host
#            restarts a wave), per wave size, median of 3
#   enable   `allocpipe-host enable ID tor@* --canary 1 --wave WAVE --health-seconds H`,
#            then `disable` (which also restarts one unit first, then WAVE at a time)
# and per-wave overhead = (wall time - waves x H - sum of the waves' restart
# times) / waves. Needs root and a build tree with the deb target built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../tests/host/container/lib.sh"
source "$here/../../tests/host/container/setup.sh"
build=${1:-$CT_PROJECT/build/default} n=${2:-12} wave=${3:-4} health=${4:-3} lib=${5:-mimalloc-2.0.9-secure}
for v in "$n" "$wave" "$health"; do [[ $v =~ ^[1-9][0-9]*$ ]] || ct_fail "N, WAVE and HEALTH_SECONDS must be positive integers (got '$v')"; done
ct_require
work="$build/bench/host"
mkdir -p "$work"
ct_publish_repo "$build/deb" "$work" "$build/tests/allocpipe-test-httpd"
[[ " ${LIBRARY_IDS[*]} " == *" $lib "* ]] || ct_fail "$lib is not among the packaged libraries: ${LIBRARY_IDS[*]}"
root=$(ct_root_cached "$build/tests/host/container/cache")
ct_boot "$root" "$work/run"
ct_add_repo
ct_apt_install allocpipe-host "$lib"
ct_tor_relays "$n"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
# The services' own restart time for a wave of k units (median of 3).
declare -A restart_of=()
restart_time() {
  local k=$1 t0 t1 runs=() i
  for i in 1 2 3; do
    t0=$(now); ct_exec systemctl restart "${TOR_UNITS[@]:0:$k}"; t1=$(now)
    runs+=("$(calc "$t1 - $t0")")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}
# waves CANARY: wave sizes as allocpipe-host makes them (the canary alone
# first when CANARY is 1, then WAVE at a time); sets SIZES and BASE (the sum
# of the waves' own restart times).
waves() {
  local left=$n k
  SIZES=()
  if [ "$1" = 1 ]; then SIZES=(1); left=$((n - 1)); fi
  while [ "$left" -gt 0 ]; do SIZES+=($((left < wave ? left : wave))); left=$((left - wave)); done
  BASE=0
  for k in "${SIZES[@]}"; do
    [ -n "${restart_of[$k]:-}" ] || restart_of[$k]=$(restart_time "$k")
    BASE=$(calc "$BASE + ${restart_of[$k]}")
  done
}

timed() {  # prints wall seconds of allocpipe-host ARGS (must exit 0)
  local t0 t1 rc=0
  t0=$(now)
  ct_exec allocpipe-host --quiet "$@" > "$work/last.log" 2>&1 || rc=$?
  t1=$(now)
  [ "$rc" = 0 ] || { cat "$work/last.log" >&2; ct_fail "allocpipe-host $* exited with $rc"; }
  calc "$t1 - $t0"
}
report() {  # NAME WALL (after waves)
  local count=${#SIZES[@]} over
  over=$(calc "($2 - $count * $health - $BASE) / $count")
  printf '%-18s %3d units in %2d waves (%s): wall %6.2f s = health %3d s + restarts %5.2f s + overhead %5.2f s per wave (%.1f%% of wall)\n' \
    "$1" "$n" "$count" "$(IFS=+; echo "${SIZES[*]}")" "$2" "$((count * health))" "$BASE" "$over" "$(calc "100 * $over * $count / $2")"
}
waves 1  # measure every wave size before any rollout
t_enable=$(timed enable "$lib" 'tor@*' --canary 1 --wave "$wave" --health-seconds "$health")
ct_exec allocpipe-host status 'tor@*' > /dev/null || ct_fail "status after enable: not every relay maps $lib"
t_disable=$(timed disable 'tor@*' --wave "$wave" --health-seconds "$health")

echo "== allocpipe-host over $n offline tor relays, waves of $wave, health window $health s ($lib)"
for k in $(printf '%s\n' "${!restart_of[@]}" | sort -n); do
  printf '   systemctl restart of %2d relays at once: %.2f s (median of 3)\n' "$k" "${restart_of[$k]}"
done
waves 1; report "enable (canary 1)" "$t_enable"
waves 1; report "disable (canary 1)" "$t_disable"
