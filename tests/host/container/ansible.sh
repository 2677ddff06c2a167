#!/usr/bin/env bash
# host.container.ansible: the Ansible role (packaging/ansible) with Debian's
# ansible-playbook, inside a booted Debian 12 container with a local
# connection, against the project's signed repository served on loopback:
#   - first run: adds the repository (deb822, Signed-By), installs
#     allocpipe-host and the library packages, enables the library on three
#     offline tor relays (and configures, without starting, the inactive
#     tor@default), collects status --json; PLAY RECAP failed=0, changed>0;
#     every relay maps the library (status --json, and the collected report);
#   - second run: PLAY RECAP changed=0 failed=0, and no relay was restarted
#     (same MainPIDs);
#   - a third run that adds a unit dying inside its health window fails the
#     host (ansible-playbook exit 2, failed=1); allocpipe-host put that unit
#     back, and the relays still map the library.
#   ansible.sh DEBS WORK ROOT_CACHE HTTPD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/setup.sh"
debs=$1 work=$2 cache=$3 httpd=$4
ct_require

mkdir -p "$work" && work=$(cd "$work" && pwd)
ct_publish_repo "$debs" "$work" "$httpd"
lib=mimalloc-2.0.9-secure
[[ " ${LIBRARY_IDS[*]} " == *" $lib "* ]] || ct_fail "$lib was not packaged here (packages.txt), the test needs it"
packages=("$lib")
[[ " ${LIBRARY_IDS[*]} " != *" jemalloc-5.3.0 "* ]] || packages+=(jemalloc-5.3.0)
root=$(ct_root_cached "$cache")
ct_boot "$root" "$work/run"
ct_tor_relays 3
# As on a real relay host, Debian's tor@default is loaded but not running
# (tor-generator: tor.service wants it once /etc/tor/torrc exists): enable
# gives it the drop-in without starting it, and a second run must leave it be.
printf 'DisableNetwork 1\nSocksPort 0\n' > "$CT_ROOT/etc/tor/torrc"
ct_exec systemctl daemon-reload
[ "$(ct_exec systemctl show -p LoadState,ActiveState --value tor@default.service | tr '\n' ' ')" = "loaded inactive " ] \
  || ct_fail "tor@default.service is not loaded and inactive: $(ct_exec systemctl show -p LoadState,ActiveState tor@default.service)"

# The role and a test inventory: this container is the (only) host, reached
# with a local connection as root (no sudo in the root, hence no become).
rm -rf "$CT_ROOT/root/ansible"
cp -a "$CT_PROJECT/packaging/ansible" "$CT_ROOT/root/ansible"
mkdir -p "$CT_ROOT/root/ansible/files"
install -m 0644 "$REPO_KEYRING" "$CT_ROOT/root/ansible/files/allocpipe-archive-keyring.gpg"
cat > "$CT_ROOT/root/ansible/test-inventory.ini" <<EOF
[allocpipe_hosts]
container ansible_connection=local ansible_python_interpreter=/usr/bin/python3 ansible_become=false

[allocpipe_hosts:vars]
allocpipe_repo_uri=$REPO_URL
allocpipe_repo_suite=$REPO_SUITE
allocpipe_repo_keyring_src=/root/ansible/files/allocpipe-archive-keyring.gpg
allocpipe_library_id=$lib
allocpipe_wave=2
allocpipe_health_seconds=2
allocpipe_metrics_file=/run/allocpipe-test.prom
allocpipe_report_dir=/root/allocpipe-status
EOF
packages_json=$(printf '"%s",' "${packages[@]}")
extra="{\"allocpipe_packages\": [${packages_json%,}]}"

playbook() {  # RUN-NAME [WANT_RC [EXTRA_VARS_JSON]]: runs the playbook, prints its recap line's counters
  local log="$CT_RUN_DIR/ansible-$1.log" rc=0
  ct_exec env ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 sh -c 'cd /root/ansible && exec ansible-playbook -i test-inventory.ini -e "$1" site.yml' \
    playbook "${3:-$extra}" > "$log" 2>&1 || rc=$?
  [ "$rc" = "${2:-0}" ] || { cat "$log" >&2; ct_fail "ansible-playbook ($1 run) exited with $rc, expected ${2:-0}"; }
  sed -n '/^PLAY RECAP/,$p' "$log" | awk '$1 == "container" && $2 == ":" { $1 = $2 = ""; print }'
}
counter() { tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p"; }

recap=$(playbook first)
ct_note "first run: $recap"
[ -n "$recap" ] || ct_fail "no PLAY RECAP line for the host in the first run"
[ "$(counter "$recap" failed)" = 0 ] && [ "$(counter "$recap" unreachable)" = 0 ] || ct_fail "first run: $recap"
[ "$(counter "$recap" changed)" -gt 0 ] || ct_fail "first run changed nothing: $recap"

grep -qxF "Signed-By: /etc/apt/keyrings/allocpipe.gpg" "$CT_ROOT/etc/apt/sources.list.d/allocpipe.sources" \
  || ct_fail "the role's repository entry has no Signed-By"
cmp -s "$REPO_KEYRING" "$CT_ROOT/etc/apt/keyrings/allocpipe.gpg" || ct_fail "the role did not install the repository key"
for pkg in allocpipe-host "${packages[@]}"; do
  [ "$(ct_exec dpkg-query -W -f='${db:Status-Abbrev}' "$pkg")" = "ii " ] || ct_fail "$pkg is not installed after the first run"
done
rc=0; ct_exec allocpipe-host status --json 'tor@*' > "$CT_RUN_DIR/status.json" || rc=$?
[ "$rc" = 0 ] || { cat "$CT_RUN_DIR/status.json"; ct_fail "allocpipe-host status after the role: exit $rc, expected 0"; }
python3 - "$CT_RUN_DIR/status.json" "$lib" "${TOR_UNITS[@]}" <<'EOF' || { cat "$CT_RUN_DIR/status.json"; ct_fail "status --json after the role: not every relay maps the library (or tor@default was started)"; }
import json, sys
d = json.load(open(sys.argv[1])); lib = sys.argv[2]; relays = sorted(sys.argv[3:])
units = {u["unit"]: u for u in d["units"]}
ok = d["ok"] is True and sorted(units) == sorted(relays + ["tor@default.service"]) and all(
    units[r]["configured_id"] == lib and units[r]["mapped_id"] == lib and units[r]["match"] is True for r in relays)
default = units.get("tor@default.service", {})
ok = ok and default.get("active_state") == "inactive" and default.get("configured_id") == lib
sys.exit(0 if ok else 1)
EOF
report="$CT_ROOT/root/allocpipe-status/container.json"
[ -f "$report" ] || ct_fail "the role did not collect status --json on the controller ($report)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["ok"] is True and sum(u["match"] is True for u in d["units"]) == 3 else 1)' "$report" \
  || { cat "$report"; ct_fail "the collected status report does not show three matching relays"; }
ct_exec test -s /run/allocpipe-test.prom || ct_fail "the role's handler did not write the metrics textfile"
ct_note "first run: repository with Signed-By, packages installed, $lib enabled on ${TOR_UNITS[*]}, report collected"

pids() { local u; for u in "${TOR_UNITS[@]}"; do ct_exec systemctl show -p MainPID --value "$u"; done | tr '\n' ' '; }
before=$(pids)
recap=$(playbook second)
ct_note "second run: $recap"
[ "$(counter "$recap" failed)" = 0 ] && [ "$(counter "$recap" changed)" = 0 ] || ct_fail "the second run is not a no-op: $recap"
[ "$(pids)" = "$before" ] || ct_fail "the second run restarted relays (MainPIDs $before -> $(pids))"

# A unit that dies inside its health window: the host fails, nothing is left half-done.
install -m 0755 "$here/dies-when-preloaded" "$CT_ROOT/usr/local/bin/allocpipe-test-dies"
install -m 0644 "$here/zz-allocpipe-test-dies.service" "$CT_ROOT/etc/systemd/system/zz-allocpipe-test-dies.service"
ct_exec systemctl daemon-reload
ct_exec systemctl start zz-allocpipe-test-dies.service
recap=$(playbook failing 2 "${extra%\}}, \"allocpipe_units\": [\"tor@*.service\", \"zz-allocpipe-test-dies.service\"]}")
ct_note "run with a dying unit: $recap"
[ "$(counter "$recap" failed)" = 1 ] || ct_fail "the run with a dying unit did not fail the host: $recap"
[ ! -e "$CT_ROOT/etc/systemd/system/zz-allocpipe-test-dies.service.d" ] || ct_fail "the dying unit's drop-in directory is still there"
[ "$(ct_exec systemctl show -p ActiveState --value zz-allocpipe-test-dies.service)" = active ] || ct_fail "the dying unit is not active again"
[ "$(pids)" = "$before" ] || ct_fail "the failing run restarted relays that were already converged"
ct_exec allocpipe-host status 'tor@*' > /dev/null || ct_fail "the relays no longer map the library after the failing run"

echo "PASSED: the Ansible role converges (changed>0, failed=0), is idempotent (second run changed=0, no restart), and a failing unit fails the host"
