#!/usr/bin/env bash
# host.container.scenarios: allocpipe-host against a real systemd, real tor
# and real apt, in a booted Debian 12 container (lib.sh):
#   - the packages come from the project's own signed repository, served on
#     the host's loopback (apt-get install allocpipe-host <libraries>);
#   - four offline relays from Debian's tor-instance-create, plus two small
#     services: one dies a few seconds after it starts with a preload, one
#     runs as nobody;
#   - enable (canary, waves) maps the library in every relay and status says
#     configured = mapped; disable and rollback restore the recorded state;
#   - faults, each ending with every unit as it was before and nothing
#     half-written (a snapshot of the units, /etc/systemd/system and the
#     state directory compared byte for byte): an unknown id, a pattern that
#     matches nothing, a library that aborts when loaded, a read-only
#     /etc/systemd/system, a unit that dies inside its health window, a
#     preload the loader ignores (the library unreadable for the unit's user,
#     as AppArmor would deny it), kill -9
#     of allocpipe-host mid-rollout then rollback, a library file removed
#     after enable; and status exits 1 for a drop-in naming a missing library.
# Asserts on exit statuses, status --json fields and file contents only.
#   scenarios.sh DEBS WORK ROOT_CACHE HTTPD ABORTING_LIBRARY
# ABORTING_LIBRARY: a .so whose constructor calls abort() (the unit tests'
# allocpipe-host-test-abort), installed inside as if it were an allocpipe library.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/setup.sh"
debs=$1 work=$2 cache=$3 httpd=$4 aborting=$5
ct_require
[ -f "$aborting" ] || ct_fail "the aborting test library '$aborting' was not built"

mkdir -p "$work" && work=$(cd "$work" && pwd)
ct_publish_repo "$debs" "$work" "$httpd"
root=$(ct_root_cached "$cache")
ct_boot "$root" "$work/run"
ct_add_repo

lib=mimalloc-2.0.9-secure
[[ " ${LIBRARY_IDS[*]} " == *" $lib "* ]] || ct_fail "$lib was not packaged here (packages.txt), the scenarios need it"
extra=()
for id in mimalloc-2.0.9 jemalloc-5.3.0; do
  [[ " ${LIBRARY_IDS[*]} " != *" $id "* ]] || extra+=("$id")
done
ct_apt_install allocpipe-host "$lib" "${extra[@]}"
ct_exec test -x /usr/bin/allocpipe-host || ct_fail "apt-get install allocpipe-host did not install /usr/bin/allocpipe-host"
ct_note "installed from the signed repository: allocpipe-host $lib ${extra[*]}"

ct_tor_relays 4
install -m 0755 "$here/dies-when-preloaded" "$CT_ROOT/usr/local/bin/allocpipe-test-dies"
install -m 0644 "$here/zz-allocpipe-test-dies.service" "$CT_ROOT/etc/systemd/system/zz-allocpipe-test-dies.service"
install -m 0644 "$here/allocpipe-test-nobody.service" "$CT_ROOT/etc/systemd/system/allocpipe-test-nobody.service"
ct_exec systemctl daemon-reload
ct_exec systemctl start zz-allocpipe-test-dies.service allocpipe-test-nobody.service
mkdir -p "$CT_ROOT/usr/local/lib/allocpipe-test"
install -m 0755 "$here/snapshot.py" "$CT_ROOT/usr/local/lib/allocpipe-test/snapshot.py"
dies=zz-allocpipe-test-dies.service nobody=allocpipe-test-nobody.service
all_units=("${TOR_UNITS[@]}" "$dies" "$nobody")
libdir=/usr/local/lib/mimalloc
libfile=$(ct_exec python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["library"])' "$libdir/lib$lib.manifest.json")
libpath=$libdir/$libfile

# --- helpers
step=0
# ah WANT_RC ARGS...: runs allocpipe-host inside; stdout in $out, stderr in $err.
ah() {
  local want=$1 rc=0
  shift
  step=$((step + 1))
  out="$CT_RUN_DIR/step$step.out" err="$CT_RUN_DIR/step$step.err"
  ct_exec allocpipe-host "$@" > "$out" 2> "$err" || rc=$?
  if [ "$rc" != "$want" ]; then
    echo "---- stdout"; cat "$out"; echo "---- stderr"; cat "$err"
    ct_fail "allocpipe-host $*: exit status $rc, expected $want"
  fi
}
snapshot() { ct_exec python3 /usr/local/lib/allocpipe-test/snapshot.py --lib-dir "$libdir" "${all_units[@]}"; }
# as_before WHAT: the units, /etc/systemd/system and the state directory are as in the baseline.
as_before() {
  snapshot > "$CT_RUN_DIR/after-$step.json"
  if ! diff -u "$CT_RUN_DIR/baseline.json" "$CT_RUN_DIR/after-$step.json" > "$CT_RUN_DIR/diff-$step.txt"; then
    cat "$CT_RUN_DIR/diff-$step.txt"
    ct_fail "after $1: not every unit is as it was before (diff above: baseline vs now)"
  fi
  ct_note "as before: $1"
}
# json FILE PYTHON-EXPRESSION-over-d [ARG...]: prints the value; the ARGs are sys.argv[3:].
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
check() {  # FILE EXPR WHAT [ARG...]: EXPR must be True
  [ "$(json "$1" "$2" "${@:4}")" = True ] || { cat "$1"; ct_fail "$3 (check: $2)"; }
}
# Every given unit is active, configured with and mapping $lib, per status --json
# and per /proc/MainPID/maps read by the test itself.
all_mapped() {
  local unit
  ah 0 status --json "$@"
  check "$out" "d['ok'] is True and sorted(u['unit'] for u in d['units']) == sorted(sys.argv[3:])" "status does not list exactly $*" "$@"
  for unit in "$@"; do
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); unit, lib, path = sys.argv[2:5]
u = next(u for u in d["units"] if u["unit"] == unit)
ok = (u["active_state"] == "active" and u["configured_source"] == "drop-in" and u["configured_id"] == lib
      and u["configured_library"] == path and u["mapped_id"] == lib and u["mapped_library"] == path and u["match"] is True)
sys.exit(0 if ok else 1)' "$out" "$unit" "$lib" "$libpath" || { cat "$out"; ct_fail "status --json: $unit is not active with $lib configured and mapped"; }
  done
  snapshot > "$CT_RUN_DIR/mapped-$step.json"
  for unit in "$@"; do
    [ "$(json "$CT_RUN_DIR/mapped-$step.json" "d['units'][sys.argv[3]]['mapped']" "$unit")" = "['$libpath']" ] \
      || ct_fail "$unit: its MainPID does not map exactly $libpath: $(json "$CT_RUN_DIR/mapped-$step.json" "d['units'][sys.argv[3]]" "$unit")"
  done
}
# Journals: journals_now saves the ids; new_journal prints the one id created
# since (fails unless exactly one); journal_state ID prints its state.
journals_now() { ah 0 journals --json; json "$out" "' '.join(sorted(j['id'] for j in d))" > "$CT_RUN_DIR/journal-ids"; }
new_journal() {
  ah 0 journals --json
  json "$out" "' '.join(sorted(set(j['id'] for j in d) - set(open(sys.argv[3]).read().split())))" "$CT_RUN_DIR/journal-ids" > "$CT_RUN_DIR/journal-new"
  [ "$(wc -w < "$CT_RUN_DIR/journal-new")" = 1 ] || ct_fail "expected exactly one new journal, got: '$(cat "$CT_RUN_DIR/journal-new")'"
  cat "$CT_RUN_DIR/journal-new"
}
no_new_journal() {
  ah 0 journals --json
  [ "$(json "$out" "' '.join(sorted(j['id'] for j in d))")" = "$(cat "$CT_RUN_DIR/journal-ids")" ] || ct_fail "$1 created a journal, expected none"
}
journal_state() { ah 0 journals --json; json "$out" "next(j['state'] for j in d if j['id'] == sys.argv[3])" "$1"; }

# --- baseline: nothing configured, nothing preloaded, everything active
snapshot > "$CT_RUN_DIR/baseline.json"
check "$CT_RUN_DIR/baseline.json" "all(u['active'] == 'active' and u['mapped'] == [] and u['drop_ins'] == {} for u in d['units'].values())" \
  "baseline: every unit must be active, on glibc, without drop-ins"
ah 0 status --json 'tor@*'
check "$out" "d['ok'] is True and len(d['units']) == 4 and all(u['configured_source'] == 'none' and u['mapped_library'] is None and u['match'] is True for u in d['units'])" \
  "status before any enable: four relays, nothing configured, nothing mapped"
ah 0 list --json
check "$out" "sys.argv[3] in [l['id'] for l in (d if isinstance(d, list) else d['libraries'])]" "list --json does not show $lib" "$lib"

# --- 1. enable with a canary and waves; disable restores
journals_now
ah 0 enable "$lib" 'tor@*' --canary 1 --wave 2 --health-seconds 3
all_mapped "${TOR_UNITS[@]}"
j=$(new_journal)
[ "$(journal_state "$j")" = finished ] || ct_fail "the enable's journal $j is not 'finished'"
for unit in "${TOR_UNITS[@]}"; do
  grep -qxF "Environment=\"LD_PRELOAD=$libpath\"" "$CT_ROOT/etc/systemd/system/$unit.d/50-allocpipe.conf" \
    || ct_fail "$unit: the drop-in does not preload $libpath"
done
ct_note "enable --canary 1 --wave 2: all four relays map $libpath, status exit 0"
ah 0 disable 'tor@*' --wave 2 --health-seconds 1
as_before "disable"
ah 0 status --json 'tor@*'
check "$out" "d['ok'] is True and all(u['configured_source'] == 'none' and u['mapped_library'] is None for u in d['units'])" "status after disable"

# --- 2. enable, then rollback of that journal restores
journals_now
ah 0 enable "$lib" 'tor@*' --canary 1 --wave 3 --health-seconds 2
all_mapped "${TOR_UNITS[@]}"
j=$(new_journal)
ah 0 rollback
as_before "rollback of an enable"
[ "$(journal_state "$j")" = rolled-back ] || ct_fail "the rolled-back journal $j is not marked rolled-back"

# --- 3. refusals before any unit is touched: no journal, nothing changed
journals_now
ah 0 enable "$lib" 'tor@*' --dry-run
as_before "enable --dry-run"
ah 2 enable nosuch-9.9.9 'tor@*'
as_before "an id that is not installed (exit 2)"
ah 2 enable "$lib" 'nosuch@*'
as_before "a pattern that matches nothing (exit 2)"
no_new_journal "a dry run or a refusal"

install -m 0644 "$aborting" "$CT_ROOT$libdir/libabort-test.so"
sha=$(sha256sum "$aborting" | cut -d' ' -f1)
cat > "$CT_ROOT$libdir/libabort-test.manifest.json" <<EOF
{ "id": "abort-test", "allocator": "mimalloc", "version": "0.0.1", "variant": "normal",
  "library": "libabort-test.so", "source_sha256": "$sha", "source_url": "tests/host/unit/preload_abort.c" }
EOF
ah 0 list --json
check "$out" "'abort-test' in [l['id'] for l in (d if isinstance(d, list) else d['libraries'])]" "list does not show the test's aborting library"
ah 3 enable abort-test 'tor@*'
rm -f "$CT_ROOT$libdir/libabort-test.so" "$CT_ROOT$libdir/libabort-test.manifest.json"
as_before "a library that aborts when loaded (exit 3)"
no_new_journal "the refused aborting library"

ct_exec sh -c 'mount --bind /etc/systemd/system /etc/systemd/system && mount -o remount,bind,ro /etc/systemd/system'
ct_exec sh -c '! touch /etc/systemd/system/.allocpipe-test-rw 2>/dev/null' || ct_fail "the read-only bind mount of /etc/systemd/system is writable"
ah 3 enable "$lib" 'tor@*'
ct_exec umount /etc/systemd/system
as_before "a read-only /etc/systemd/system (exit 3)"
no_new_journal "the refusal on a read-only unit directory"

# --- 4. a unit that dies inside its health window is put back
journals_now
ah 1 enable "$lib" "$dies" --health-seconds 6
as_before "a unit that dies inside its health window (exit 1, put back)"
[ "$(journal_state "$(new_journal)")" = failed ] || ct_fail "the journal of the rollout stopped by $dies is not 'failed'"
# rollback without an id acts on the newest journal, which has nothing left to undo.
ah 0 rollback
as_before "rollback (no id) right after a rollout whose only unit was put back"
journals_now
ah 1 enable "$lib" 'tor@*' "$dies" --canary 1 --wave 2 --health-seconds 5 --max-failures 1
j=$(new_journal)
ah 0 journals --json
check "$out" "[u['phase'] for u in next(j for j in d if j['id'] == sys.argv[3])['units'] if u['unit'].startswith('tor@')].count('passed') >= 1" \
  "the mixed rollout: no relay passed before the dying unit stopped it (is the order still running units by name?)" "$j"
snapshot > "$CT_RUN_DIR/dies-mixed.json"
check "$CT_RUN_DIR/dies-mixed.json" "d['units'][sys.argv[3]]['drop_ins'] == {} and d['units'][sys.argv[3]]['mapped'] == [] and d['units'][sys.argv[3]]['active'] == 'active'" \
  "the unit that died is not back as it was (after a mixed rollout)" "$dies"
ah 0 rollback
as_before "a mixed rollout stopped by a dying unit, then rollback"
[ "$(journal_state "$j")" = rolled-back ] || ct_fail "the mixed rollout's journal $j is not marked rolled-back"

# The loader's silent ignore (what AppArmor does to a preload it denies): a
# library the service's user cannot read. The probe (as root) passes; ld.so in
# the service prints "cannot be preloaded ... ignored" and it runs on glibc.
mkdir -p "$CT_ROOT/opt/privlib"
install -m 0600 "$CT_ROOT$libpath" "$CT_ROOT/opt/privlib/$libfile"
install -m 0644 "$CT_ROOT$libdir/lib$lib.manifest.json" "$CT_ROOT/opt/privlib/"
journals_now
ah 1 --lib-dir /opt/privlib enable "$lib" "$nobody" --health-seconds 2
[ "$(journal_state "$(new_journal)")" = failed ] || ct_fail "the journal of the rollout the loader ignored is not 'failed'"
as_before "a preload the loader ignores (unreadable for the service's user; exit 1, put back)"
rm -r "$CT_ROOT/opt/privlib"

# --- 5. kill -9 of allocpipe-host mid-rollout, then rollback
ct_exec allocpipe-host enable "$lib" 'tor@*' --canary 1 --wave 1 --health-seconds 4 > "$CT_RUN_DIR/killed.out" 2>&1 &
bg=$!
victim=
for _ in $(seq 300); do
  if compgen -G "$CT_ROOT/etc/systemd/system/tor@*.service.d/50-allocpipe.conf" > /dev/null; then
    victim=$(ct_exec pgrep -x allocpipe-host || true)
    break
  fi
  sleep 0.1
done
[ -n "$victim" ] || { cat "$CT_RUN_DIR/killed.out"; ct_fail "allocpipe-host wrote no drop-in within 30 s (or had already exited)"; }
ct_exec kill -KILL $victim
wait "$bg" || true
[ "$(ls "$CT_ROOT"/etc/systemd/system/tor@*.service.d/50-allocpipe.conf | wc -l)" -lt 4 ] || ct_fail "the kill came too late: every relay was already done"
ct_note "killed allocpipe-host (pid $victim inside) mid-rollout"
ah 0 rollback
as_before "kill -9 mid-rollout, then rollback"

# --- 6. a library file removed after enable; status flags it
ah 0 enable "$lib" tor@relay1 --health-seconds 1
all_mapped tor@relay1.service
rm "$CT_ROOT$libpath"
ct_exec systemctl restart tor@relay1.service
ah 1 status --json tor@relay1
check "$out" "d['ok'] is False and d['units'][0]['match'] is False and d['units'][0]['configured_library'] == sys.argv[3] and d['units'][0]['mapped_library'] is None" \
  "status after the library file was removed: configured $libpath, mapped none, exit 1" "$libpath"
# Its manifest names a file that is gone: the id counts as not installed.
ah 2 enable "$lib" 'tor@*'
ah 0 disable tor@relay1 --health-seconds 1
ct_apt_install --reinstall "$lib"
as_before "a library removed after enable, then disable"

# --- 7. status flags a hand-written drop-in that names a missing library
mkdir -p "$CT_ROOT/etc/systemd/system/tor@relay2.service.d"
printf '[Service]\nEnvironment="LD_PRELOAD=%s/libmimalloc-9.9.9.so"\n' "$libdir" > "$CT_ROOT/etc/systemd/system/tor@relay2.service.d/allocator.conf"
ct_exec systemctl daemon-reload
ct_exec systemctl restart tor@relay2.service
ah 1 status --json tor@relay2
check "$out" "d['ok'] is False and d['units'][0]['match'] is False and d['units'][0]['configured_library'] == sys.argv[3] and d['units'][0]['mapped_library'] is None" \
  "status of a unit whose drop-in names a missing library: exit 1, configured != mapped" "$libdir/libmimalloc-9.9.9.so"
ah 3 enable "$lib" tor@relay2
ah 1 status
rm -r "$CT_ROOT/etc/systemd/system/tor@relay2.service.d"
ct_exec systemctl daemon-reload
ct_exec systemctl restart tor@relay2.service
as_before "status checks (the hand-written drop-in removed again)"

echo "PASSED: enable/disable/rollback over 4 tor relays and every fault scenario, in a booted Debian 12 container"
