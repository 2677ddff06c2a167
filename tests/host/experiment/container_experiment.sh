#!/usr/bin/env bash
# host.container.experiment: `allocpipe-host experiment` over real services
# in a booted Debian 12 container (tests/host/container/lib.sh):
#   - packages from the project's signed repository on loopback (apt);
#   - six instances of the relay workload as a service plus two offline tor
#     relays, split by `experiment start` into three arms (mimalloc-2.0.9,
#     jemalloc-5.3.0, glibc), sampled by its timer every 5 s;
#   - mid-way: one unit restarted by hand, the jemalloc arm's package removed
#     (its samples must turn invalid), a new matching unit started (shown as
#     appeared, not counted);
#   - report: its numbers recomputed from samples.csv here (recompute.py),
#     a second host's file merged, the gate's exit status checked against
#     the recomputed figures;
#   - stop --adopt: every unit maps the adopted library, the timer is gone;
#   - a second experiment stopped without --adopt: every unit's drop-in and
#     mapped library are back as recorded at its start.
# Asserts that the report is complete and correct, never which allocator wins.
#   container_experiment.sh DEBS WORK ROOT_CACHE HTTPD WORKLOAD [KEEP_DIR]
# HTTPD: the tests' allocpipe-test-httpd (serves the repository on loopback).
# KEEP_DIR: where to copy the report (the README's example comes from here).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../container/lib.sh"
source "$here/../container/setup.sh"
debs=$1 work=$2 cache=$3 httpd=$4 workload=$5 keep=${6:-}
ct_require
[ -x "$workload" ] || ct_fail "the relay workload '$workload' was not built"
mkdir -p "$work" && work=$(cd "$work" && pwd)

ct_publish_repo "$debs" "$work" "$httpd"
for id in mimalloc-2.0.9 jemalloc-5.3.0; do
  [[ " ${LIBRARY_IDS[*]} " == *" $id "* ]] || ct_fail "$id was not packaged here (packages.txt); the experiment needs it"
done
root=$(ct_root_cached "$cache")
ct_boot "$root" "$work/run"
ct_add_repo
ct_apt_install allocpipe-host mimalloc-2.0.9 jemalloc-5.3.0
ct_tor_relays 2
install -m 0755 "$workload" "$CT_ROOT/usr/local/bin/allocpipe-relay-workload"
install -m 0644 "$here/allocpipe-relay@.service" "$CT_ROOT/etc/systemd/system/allocpipe-relay@.service"
ct_exec systemctl daemon-reload
relays=()
for i in 1 2 3 4 5 6; do relays+=("allocpipe-relay@$i.service"); done
ct_exec systemctl start "${relays[@]}"
units=("${relays[@]}" "${TOR_UNITS[@]}")

xdir=$CT_ROOT/var/lib/allocpipe/experiments/fleet
step=0
# ah WANT_RC ARGS...: allocpipe-host inside; stdout in $out.
ah() {
  local want=$1 rc=0
  shift
  step=$((step + 1))
  ct_exec allocpipe-host "$@" > "$work/step$step.out" 2> "$work/step$step.err" || rc=$?
  out=$(cat "$work/step$step.out")
  if [ "$rc" != "$want" ]; then
    cat "$work/step$step.out" "$work/step$step.err" >&2
    ct_fail "allocpipe-host $*: exit $rc, expected $want"
  fi
}

# --- start: arms recorded before anything changes, rolled out, timer running
ah 0 experiment start fleet --arm mi=mimalloc-2.0.9 --arm je=jemalloc-5.3.0 --arm base=glibc \
  'allocpipe-relay@*' 'tor@relay*' --interval 5s --seed 7 --health-seconds 2 --wave 4
t_start=$(date +%s)
python3 - "$xdir/experiment.json" "${units[@]}" <<'PY' || ct_fail "experiment.json does not record a balanced, complete assignment"
import json, sys, collections
e = json.load(open(sys.argv[1]))
units = sorted(sys.argv[2:])
assert sorted(u["unit"] for u in e["units"]) == units, e["units"]
sizes = collections.Counter(u["arm"] for u in e["units"])
assert sorted(sizes) == ["base", "je", "mi"] and max(sizes.values()) - min(sizes.values()) <= 1, sizes
assert all(u["state"] == "enrolled" for u in e["units"]), [u for u in e["units"] if u["state"] != "enrolled"]
assert e["seed"] == 7 and e["interval_seconds"] == 5 and e["state"] == "running"
PY
[ "$(ct_exec systemctl is-active allocpipe-experiment-fleet.timer)" = active ] || ct_fail "the experiment's timer is not active"
[ "$(ct_exec systemctl is-enabled allocpipe-experiment-fleet.timer)" = enabled ] || ct_fail "the experiment's timer is not enabled"
arm_units() { python3 -c 'import json,sys; print(" ".join(u["unit"] for u in json.load(open(sys.argv[1]))["units"] if u["arm"] == sys.argv[2]))' "$xdir/experiment.json" "$1"; }
read -r -a mi_units <<< "$(arm_units mi)"
read -r -a je_units <<< "$(arm_units je)"
ct_note "arms: mi=${mi_units[*]} je=${je_units[*]} base=$(arm_units base)"
ah 0 status "${mi_units[@]}" --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert all(u["mapped_id"] == "mimalloc-2.0.9" for u in d["units"]), d' <<< "$out" \
  || ct_fail "the mi arm's units do not map mimalloc-2.0.9 after start"

# --- mid-way: a restart by hand, a new matching unit, the je arm's library removed
sleep 30
ct_exec systemctl restart "${mi_units[0]}"
ct_exec systemctl start allocpipe-relay@7.service
sleep 25
t_removed=$(date +%s)
ct_exec env DEBIAN_FRONTEND=noninteractive apt-get -q -y remove jemalloc-5.3.0 > "$work/apt-remove.log" 2>&1 || ct_fail "apt-get remove jemalloc-5.3.0 failed"
ct_exec systemctl restart "${je_units[0]}"   # now starts without its library (the loader ignores a missing preload)
sleep 35
ah 0 experiment status fleet
grep -q "arm je (jemalloc-5.3.0)" <<< "$out" || ct_fail "experiment status does not show the je arm: $out"
grep -q "INVALID" <<< "$out" || ct_fail "experiment status does not show the je arm's samples as invalid: $out"

# --- report, recomputed here; a second host merged; the gate
ah 0 experiment report fleet --out /root/report
report_step=$step
samples=$xdir/samples.csv
python3 "$here/recompute.py" --samples "$samples" --experiment "$xdir/experiment.json" --report "$CT_ROOT/root/report" \
  --restarted "${mi_units[0]}" --appeared allocpipe-relay@7.service --invalid-after "$t_removed" --invalid-arm je \
  --started "$t_start" || ct_fail "the report does not match samples.csv (recompute.py above)"
python3 - "$samples" "$CT_ROOT/root/second-host.csv" <<'PY'
# A second host's file: same units and arms, another host name and boot, 1 s later, 5% more memory.
import csv, datetime, sys
rows = list(csv.DictReader(open(sys.argv[1])))
fmt = "%Y-%m-%dT%H:%M:%SZ"
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    for r in rows:
        r["host"], r["boot_id"] = "second-host", "b" * 32
        r["time"] = (datetime.datetime.strptime(r["time"], fmt) + datetime.timedelta(seconds=1)).strftime(fmt)
        for k in ("rss_bytes", "anonymous_bytes"):
            if r[k]:
                r[k] = str(int(int(r[k]) * 1.05))
        w.writerow(r)
PY
ah 0 experiment report fleet --merge /root/second-host.csv --out /root/merged
python3 "$here/recompute.py" --samples "$samples" --samples "$CT_ROOT/root/second-host.csv" --experiment "$xdir/experiment.json" \
  --report "$CT_ROOT/root/merged" --hosts 2 || ct_fail "the merged report does not match the two sample files"
gate_rc=0
ct_exec allocpipe-host experiment report fleet --out /root/gate --gate --baseline base --candidate mi > "$work/gate.out" 2>&1 || gate_rc=$?
expected=$(python3 "$here/recompute.py" --samples "$samples" --experiment "$xdir/experiment.json" --report "$CT_ROOT/root/gate" \
  --gate base mi)
[ "$gate_rc" = "$expected" ] || { cat "$work/gate.out" >&2; ct_fail "experiment report --gate exited $gate_rc, the recomputed verdict is $expected"; }
ct_note "gate base -> mi: exit $gate_rc (recomputed: $expected)"
# The container has no rsvg-convert (a server need not): the report links
# chart.svg and says so; the SVG must still render (rsvg-convert here, on the build host).
[ ! -e "$CT_ROOT/root/report/chart.png" ] || ct_fail "chart.png written although the container has no rsvg-convert"
grep -q "chart.png not written" "$work/step$report_step.err" || ct_fail "the report did not say that chart.png was not written"
command -v rsvg-convert > /dev/null || ct_fail "rsvg-convert is not installed on the build host (librsvg2-bin, scripts/setup-debian.sh)"
rsvg-convert --format=png --background-color=white --output="$work/chart.png" "$CT_ROOT/root/report/chart.svg" \
  || ct_fail "the report's chart.svg does not render"
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$CT_ROOT/root/report/"{report.md,arms.csv,units.csv,chart.svg} "$work/chart.png" "$keep/"
  sed -i 's/](chart.svg)/](chart.png)/' "$keep/report.md"
  cp "$samples" "$keep/samples.csv"
fi

# --- stop --adopt: every unit on the adopted library, the timer gone
ah 0 experiment stop fleet --adopt mi --health-seconds 2 --wave 4
ah 0 status "${units[@]}" --json
python3 -c 'import json,sys; d=json.load(sys.stdin); bad=[u["unit"] for u in d["units"] if u["mapped_id"] != "mimalloc-2.0.9" or not u["match"]]; assert not bad, bad' <<< "$out" \
  || ct_fail "after stop --adopt mi, some units do not map mimalloc-2.0.9"
for f in allocpipe-experiment-fleet.timer allocpipe-experiment-fleet.service; do
  [ ! -e "$CT_ROOT/etc/systemd/system/$f" ] || ct_fail "$f is still in /etc/systemd/system after stop"
done
[ ! -e "$CT_ROOT/etc/systemd/system/timers.target.wants/allocpipe-experiment-fleet.timer" ] || ct_fail "the timer is still enabled after stop"
[ "$(ct_exec systemctl is-active allocpipe-experiment-fleet.timer || true)" != active ] || ct_fail "the timer still runs after stop"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["state"] == "stopped" and e["adopted"] == "mi", e["state"]' "$xdir/experiment.json" \
  || ct_fail "experiment.json does not record the stop and the adopted arm"
n=$(wc -l < "$samples")
sleep 7
[ "$(wc -l < "$samples")" = "$n" ] || ct_fail "samples are still appended after stop"

# --- a second experiment, stopped without --adopt: back to what it recorded at start
snapshot() {
  local u
  for u in "${TOR_UNITS[@]}" allocpipe-relay@1.service allocpipe-relay@2.service; do
    printf '%s %s\n' "$u" "$(cat "$CT_ROOT/etc/systemd/system/$u.d/50-allocpipe.conf" 2>/dev/null | sha256sum | cut -c1-16)"
  done
  ct_exec allocpipe-host status "${TOR_UNITS[@]}" allocpipe-relay@1.service allocpipe-relay@2.service --json \
    | python3 -c 'import json,sys; [print(u["unit"], u["mapped_id"]) for u in json.load(sys.stdin)["units"]]'
}
before=$(snapshot)
ah 0 experiment start back --arm g=glibc --arm m=mimalloc-2.0.9 'tor@relay*' allocpipe-relay@1 allocpipe-relay@2 --interval 5s --seed 3 --health-seconds 2
sleep 6
ah 0 experiment stop back --health-seconds 2
after=$(snapshot)
[ "$before" = "$after" ] || ct_fail "stop without --adopt did not restore the recorded state: before
$before
after
$after"
ct_teardown
echo "PASSED: experiment start/status/report/stop over ${#units[@]} real services in 3 arms; report recomputed from samples.csv; merge, gate, adopt and rollback checked"
