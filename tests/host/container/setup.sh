# shellcheck shell=bash
# What every container test and bench/host needs before its own part (sourced
# after lib.sh):
#
#   ct_publish_repo DEBS WORK HTTPD  signs DEBS/*.deb into a repository with a throwaway key (publish-repo.sh,
#                                  what the repo target runs) and serves it on 127.0.0.1 with HTTPD (the
#                                  tests' allocpipe-test-httpd); sets REPO_URL, REPO_SUITE, REPO_KEYRING
#                                  (host path of the public key), LIBRARY_IDS
#   ct_add_repo                    inside: the repository as a deb822 source with Signed-By, apt-get update
#   ct_apt_install PKG...          inside: apt-get install from that repository only
#   ct_tor_relays N                inside: relay1..relayN with Debian's tor-instance-create, offline, started
#
# Fails (never skips) when something the tests need is missing: a test that
# cannot run says why and is red.

CT_PROJECT=$(cd "$CT_HERE/../../.." && pwd)
REPO_URL='' REPO_SUITE=allocpipe-test REPO_KEYRING='' LIBRARY_IDS=()

ct_publish_repo() {
  local debs=$1 work=$2 httpd=$3 gpg_home key port kind id _ server_pid
  [ -f "$debs/packages.txt" ] || ct_fail "$debs/packages.txt is missing: the deb target did not run (cmake --build <dir> --target deb)"
  compgen -G "$debs/allocpipe-host_*.deb" > /dev/null \
    || ct_fail "no allocpipe-host_*.deb in $debs: the allocpipe-host package was not built, so there is nothing to test on the host"
  LIBRARY_IDS=()
  while read -r kind id _; do
    # <id>_<arch>: a foreign architecture's package, not for this amd64 container
    [ "$kind" != built ] || [[ $id == *_* ]] || LIBRARY_IDS+=("$id")
  done < "$debs/packages.txt"
  [ ${#LIBRARY_IDS[@]} -gt 0 ] || ct_fail "no library was packaged in $debs (packages.txt lists none as built)"
  for tool in gpg gpgconf; do command -v "$tool" > /dev/null || ct_fail "'$tool' is not installed"; done
  [ -x "$httpd" ] || ct_fail "the test HTTP server '$httpd' was not built (target allocpipe-test-httpd)"

  mkdir -p "$work"
  # GnuPG homes under a short path (agent socket names are limited to ~100 bytes).
  gpg_home=$(mktemp -d /tmp/allocpipe-ct-gpg.XXXXXX)
  ct_at_exit "GNUPGHOME=$gpg_home gpgconf --kill all 2>/dev/null; rm -rf $gpg_home"
  GNUPGHOME=$gpg_home gpg --batch --quiet --passphrase '' --quick-gen-key "allocpipe container test <ct@example.invalid>" ed25519 sign 1d 2>/dev/null
  key=$(GNUPGHOME=$gpg_home gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
  [ -n "$key" ] || ct_fail "could not create the throwaway signing key"
  rm -rf "$work/www"
  bash "$CT_PROJECT/packaging/publish-repo.sh" --debs "$debs" --repo "$work/www/repo" --suite "$REPO_SUITE" \
    --component main --origin allocpipe --key "$key" --gnupghome "$gpg_home" > "$work/publish.log" 2>&1 \
    || { cat "$work/publish.log" >&2; ct_fail "publishing $debs into a signed repository failed"; }
  REPO_KEYRING="$work/www/repo/allocpipe-archive-keyring.gpg"

  rm -f "$work/httpd.port"
  "$httpd" "$work/www" "$work/httpd.port" > "$work/httpd.log" 2>&1 &
  server_pid=$!
  ct_at_exit "kill $server_pid 2>/dev/null"
  for _ in $(seq 100); do
    [ ! -s "$work/httpd.port" ] || break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  port=$(cat "$work/httpd.port" 2>/dev/null || true)
  [ -n "$port" ] || { cat "$work/httpd.log" >&2; ct_fail "the loopback HTTP server did not start"; }
  REPO_URL="http://127.0.0.1:$port/repo/"
  ct_note "repository signed by throwaway key $key, served at $REPO_URL (libraries: ${LIBRARY_IDS[*]})"
}

ct_add_repo() {
  mkdir -p "$CT_ROOT/etc/apt/keyrings"
  install -m 0644 "$REPO_KEYRING" "$CT_ROOT/etc/apt/keyrings/allocpipe.gpg"
  cat > "$CT_ROOT/etc/apt/sources.list.d/allocpipe.sources" <<EOF
Types: deb
URIs: $REPO_URL
Suites: $REPO_SUITE
Components: main
Signed-By: /etc/apt/keyrings/allocpipe.gpg
EOF
  ct_exec apt-get -q -o APT::Update::Error-Mode=any -o Acquire::http::Proxy=DIRECT update > "$CT_RUN_DIR/apt-update.log" 2>&1 \
    || { cat "$CT_RUN_DIR/apt-update.log" >&2; ct_fail "apt-get update of the signed repository inside the container failed"; }
}

ct_apt_install() {
  ct_exec env DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends -o Acquire::http::Proxy=DIRECT \
    install "$@" > "$CT_RUN_DIR/apt-install.log" 2>&1 \
    || { cat "$CT_RUN_DIR/apt-install.log" >&2; ct_fail "apt-get install $* inside the container failed"; }
}

# Offline relays: DisableNetwork (no connection is made or accepted, only the
# control socket), never published; ShutdownWaitLength 0 so that a restart
# does not wait tor's default 30 s for circuits that cannot exist here.
ct_tor_relays() {
  local n=$1 i name
  TOR_UNITS=()
  for i in $(seq "$n"); do
    name=relay$i
    ct_exec tor-instance-create "$name" > /dev/null
    cat > "$CT_ROOT/etc/tor/instances/$name/torrc" <<EOF
# allocpipe container test: a relay that never touches the network.
Nickname $name
ContactInfo allocpipe-test@example.invalid
ORPort 127.0.0.1:auto
DisableNetwork 1
PublishServerDescriptor 0
AssumeReachable 1
ExitRelay 0
ShutdownWaitLength 0
EOF
    TOR_UNITS+=("tor@$name.service")
  done
  ct_exec systemctl start "${TOR_UNITS[@]}" || ct_fail "starting the offline tor relays failed: $(ct_exec systemctl --no-pager status "${TOR_UNITS[@]}" 2>&1 | tail -n 20)"
  for name in "${TOR_UNITS[@]}"; do
    [ "$(ct_exec systemctl show -p ActiveState --value "$name")" = active ] || ct_fail "$name is not active after start"
  done
  ct_note "tor relays running offline: ${TOR_UNITS[*]}"
}
