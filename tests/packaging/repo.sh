#!/usr/bin/env bash
# packaging.repo: the fleet repository, end to end, with the real apt.
#   - a throwaway OpenPGP key signs a repository published by
#     packaging/publish-repo.sh (what the repo target runs) from the built .deb;
#   - it is served on 127.0.0.1 only (python3 http.server, free port);
#   - apt, in a throwaway root, trusts only that key (Signed-By) and runs
#     apt-get update && apt-get install of two packages, which then preload;
#   - with packages of a foreign architecture (ALLOC_ARCHS="amd64;arm64"): the
#     one repository has binary-amd64 and binary-arm64 indices and Release
#     says "Architectures: amd64 arm64"; a minimal arm64 throwaway root
#     (APT::Architecture=arm64, dpkg holding Debian's libc6:arm64 only)
#     apt-get installs an arm64 package from it by its plain name, and a small
#     arm64 program under qemu-user (the superbuild's emulator and
#     QEMU_LD_PREFIX; binfmt_misc is never used) preloads the installed
#     library and finds its malloc in it;
#   - a new revision is published and installed by apt, then rolled back with
#     apt-get install <package>=<old version> (the README's procedure);
#   - refused: the same repository signed by another key (update fails), a
#     package file changed after signing (install fails, nothing installed),
#     a Packages index changed after signing (update fails); and the publisher
#     refuses to replace a published file with different bytes.
# Needs root (apt runs dpkg); skipped otherwise.
#   repo.sh DEBS DATA WORK PUBLISH_SCRIPT
source "$(dirname "$0")/common.sh"
debs=$1 data=$2 work=$3 publish=$4
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || skip "needs root to run apt-get install (even into a throwaway root); run ctest as root (CI does)"
require_tools apt-get apt-cache apt-ftparchive gpg gpgv gpgconf python3 dpkg-deb
read_index "$debs"
native=$(dpkg --print-architecture)
[ ${#BUILT_IDS[@]} -gt 0 ] || skip "no library was built here, nothing to publish: ${SKIPPED//$'\n'/; }"

rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
# GnuPG homes under a short path (agent socket names are limited to ~100 bytes).
gpg_a=$(mktemp -d /tmp/allocpipe-gpg-a.XXXXXX) gpg_b=$(mktemp -d /tmp/allocpipe-gpg-b.XXXXXX)
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  GNUPGHOME=$gpg_a gpgconf --kill all 2>/dev/null || true
  GNUPGHOME=$gpg_b gpgconf --kill all 2>/dev/null || true
  rm -rf "$gpg_a" "$gpg_b" "$work"/apt-*
}
trap cleanup EXIT

new_key() {  # home name -> fingerprint
  GNUPGHOME=$1 gpg --batch --quiet --passphrase '' --quick-gen-key "$2 <$2@example.invalid>" ed25519 sign 1d 2>/dev/null
  GNUPGHOME=$1 gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }'
}
key_a=$(new_key "$gpg_a" "allocpipe fleet test key")
key_b=$(new_key "$gpg_b" "someone else")
[ -n "$key_a" ] && [ -n "$key_b" ] || fail "could not create the throwaway keys"
GNUPGHOME=$gpg_a gpg --batch --export "$key_a" > "$work/fleet-key.gpg"
note "throwaway signing key $key_a; other key $key_b"

suite=allocpipe-test codename=fleet-test
www="$work/www"
mkdir -p "$www"
publish() {  # repo-subdir gnupghome key [debs-dir] -> log in $work/publish-<subdir>.log
  bash "$publish" --debs "${4:-$debs}" --repo "$www/$1" --suite "$suite" --codename "$codename" \
    --component main --origin allocpipe --key "$3" --gnupghome "$2" > "$work/publish-$1.log" 2>&1
}

# --- publish, and the publisher's own refusals
publish good "$gpg_a" "$key_a" || { cat "$work/publish-good.log"; fail "publishing failed"; }
cmp -s "$www/good/allocpipe-archive-keyring.gpg" "$work/fleet-key.gpg" || fail "the published keyring is not the signing key's public key"
grep -q "^Suite: $suite$" "$www/good/dists/$suite/Release" && grep -q "^Codename: $codename$" "$www/good/dists/$suite/Release" \
  || fail "Release does not carry the configured suite/codename"
# One index per architecture of the packages, each listing exactly that architecture's.
archs=$(for deb in "${ALL_DEBS[@]}"; do dpkg-deb -f "$deb" Architecture; done | sort -u | xargs)
[ "$(sed -n 's/^Architectures: //p' "$www/good/dists/$suite/Release")" = "$archs" ] \
  || fail "Release says 'Architectures: $(sed -n 's/^Architectures: //p' "$www/good/dists/$suite/Release")', the packages are for '$archs'"
for arch in $archs; do
  index="$www/good/dists/$suite/main/binary-$arch/Packages"
  [ -f "$index" ] || fail "no binary-$arch index although packages for $arch were published"
  want=$(for deb in "${ALL_DEBS[@]}"; do [ "$(dpkg-deb -f "$deb" Architecture)" != "$arch" ] || dpkg-deb -f "$deb" Package; done | sort)
  [ "$(sed -n 's/^Package: //p' "$index" | sort)" = "$want" ] || fail "binary-$arch/Packages lists $(sed -n 's/^Package: //p' "$index" | xargs), expected $(xargs <<<"$want")"
  [ -z "$(grep '^Architecture: ' "$index" | grep -vx "Architecture: $arch")" ] || fail "binary-$arch/Packages lists packages of another architecture"
  grep -q "main/binary-$arch/Packages.xz$" "$www/good/dists/$suite/Release" || fail "Release does not sign main/binary-$arch/Packages.xz"
done
note "one repository, architectures $archs: one signed index each"
# A configured architecture without packages yet (--architectures, from
# ALLOC_ARCHS) still gets its (empty) index, so its hosts can add the source.
mkdir -p "$work/native-only"
for deb in "${ALL_DEBS[@]}"; do [ "$(dpkg-deb -f "$deb" Architecture)" != "$native" ] || cp "$deb" "$work/native-only/"; done
bash "$publish" --debs "$work/native-only" --repo "$work/native-only-repo" --suite "$suite" --key "$key_a" --gnupghome "$gpg_a" \
  --architectures "$native riscv64" > "$work/native-only.log" 2>&1 || { cat "$work/native-only.log"; fail "publishing with --architectures failed"; }
[ "$(sed -n 's/^Architectures: //p' "$work/native-only-repo/dists/$suite/Release")" = "$native riscv64" ] \
  || fail "--architectures '$native riscv64': Release says 'Architectures: $(sed -n 's/^Architectures: //p' "$work/native-only-repo/dists/$suite/Release")'"
[ -f "$work/native-only-repo/dists/$suite/main/binary-riscv64/Packages" ] && [ ! -s "$work/native-only-repo/dists/$suite/main/binary-riscv64/Packages" ] \
  || fail "--architectures riscv64 without any riscv64 package: no empty binary-riscv64 index"
if bash "$publish" --debs "$work/native-only" --repo "$work/native-only-repo" --suite "$suite" --key "$key_a" --gnupghome "$gpg_a" \
     --architectures "$native all" > "$work/native-only.log" 2>&1; then fail "--architectures 'all' was accepted"; fi
note "--architectures: an architecture without packages gets an empty signed index; 'all' is refused"
publish good "$gpg_a" "$key_a" || { cat "$work/publish-good.log"; fail "publishing the same files again failed"; }
grep -q "published 0 new file(s)" "$work/publish-good.log" || fail "republishing identical files was not a no-op"
mkdir -p "$work/changed"
first=${BUILT_IDS[0]}
cp "${DEB_OF[$first]}" "$work/changed/"
changed="$work/changed/$(basename "${DEB_OF[$first]}")"
printf 'X' | dd of="$changed" bs=1 seek=$(( $(stat -c %s "$changed") / 2 )) conv=notrunc status=none
if publish good "$gpg_a" "$key_a" "$work/changed"; then fail "the publisher replaced a published file with different bytes"; fi
grep -q "already published with different content" "$work/publish-good.log" || { cat "$work/publish-good.log"; fail "unexpected publisher error"; }
note "publisher: identical files are a no-op; a changed file under a published name is refused"
if bash "$publish" --debs "$debs" --repo "$work/nokey" --suite "$suite" --key "" > "$work/nokey.log" 2>&1; then fail "publishing without a key succeeded"; fi
grep -q "ALLOC_REPO_KEY" "$work/nokey.log" || fail "publishing without a key does not say how to configure one"

# --- the bad repositories
publish otherkey "$gpg_b" "$key_b" || { cat "$work/publish-otherkey.log"; fail "publishing with the other key failed"; }
cp -a "$www/good" "$www/tampered-deb"
victim=$(find "$www/tampered-deb/pool" -name "$(basename "${DEB_OF[$first]}")")
printf 'X' | dd of="$victim" bs=1 seek=$(( $(stat -c %s "$victim") / 2 )) conv=notrunc status=none
cp -a "$www/good" "$www/tampered-index"
packages_dir="$www/tampered-index/dists/$suite/main/binary-$native"  # the index the build host's root reads
sed -i 's/^Priority: optional$/Priority: required/' "$packages_dir/Packages"
rm -f "$packages_dir/Packages.gz" "$packages_dir/Packages.xz"
gzip -9n -k "$packages_dir/Packages" && xz -9 -k "$packages_dir/Packages"

# --- serve on loopback
python3 -u -m http.server --bind 127.0.0.1 --directory "$www" 0 > "$work/httpd.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9][0-9]*\) .*/\1/p' "$work/httpd.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/httpd.log"; fail "the loopback HTTP server did not start"; }
note "serving $www on http://127.0.0.1:$port/"

# closure_of ARCH PACKAGE...: the dpkg status stanzas of the installed
# PACKAGE:ARCH and of every installed ARCH package they depend on, recursively.
closure_of() {
  local arch=$1 pkg dep
  local -a todo=("${@:2}")
  local -A seen=()
  while [ ${#todo[@]} -gt 0 ]; do
    pkg=${todo[0]} todo=("${todo[@]:1}")
    [ -z "${seen[$pkg]:-}" ] || continue
    seen[$pkg]=1
    dpkg-query -s "$pkg:$arch" && echo
    for dep in $(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$pkg:$arch" | tr ',|' '\n\n' | sed 's/([^)]*)//g; s/:any//' | awk 'NF { print $1 }'); do
      if dpkg-query -W -f='${db:Status-Abbrev}' "$dep:$arch" 2>/dev/null | grep -q '^ii'; then todo+=("$dep"); fi
    done
  done
}

# A throwaway apt + dpkg root that trusts only the fleet key for this source,
# of the build host's architecture unless a third argument names another.
apt_root() {  # name repo-subdir [arch]
  local root="$work/apt-$1" arch=${3:-$native}
  make_dpkg_root "$root"
  if [ "$arch" != "$native" ]; then
    # A minimal host of that architecture: its dpkg database holds Debian's
    # C and C++ runtime for $arch (installed here from multiarch; every Debian
    # host with apt has libstdc++6, which apt itself needs, and jemalloc and
    # tcmalloc depend on it) and what they depend on, nothing of the build
    # host's architecture; apt's native architecture is $arch, so a plain
    # package name means the $arch package.
    for runtime in libc6 libstdc++6; do
      dpkg-query -W -f='${db:Status-Abbrev}' "$runtime:$arch" 2>/dev/null | grep -q '^ii' \
        || fail "$runtime:$arch is not installed on this host (multiarch; scripts/setup-debian.sh installs it)"
    done
    closure_of "$arch" libc6 libstdc++6 > "$root/var/lib/dpkg/status"
    printf '%s\n' "$native" "$arch" > "$root/var/lib/dpkg/arch"  # dpkg's own is always the build host's
  fi
  mkdir -p "$root/etc/apt/sources.list.d" "$root/etc/apt/apt.conf.d" "$root/etc/apt/preferences.d" \
           "$root/etc/apt/trusted.gpg.d" "$root/etc/apt/keyrings" "$root/var/lib/apt/lists/partial" \
           "$root/var/cache/apt/archives/partial" "$root/var/log/apt"
  cp "$work/fleet-key.gpg" "$root/etc/apt/keyrings/allocpipe.gpg"
  cat > "$root/apt.conf" <<EOF
Dir "$root/";
Dir::State::status "$root/var/lib/dpkg/status";
DPkg::Options { "--root=$root"; };
APT::Get::Assume-Yes "true";
Acquire::Languages "none";
Acquire::http::Proxy "DIRECT";
Acquire::Retries "0";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
EOF
  cat > "$root/etc/apt/sources.list.d/allocpipe.sources" <<EOF
Types: deb
URIs: http://127.0.0.1:$port/$2/
Suites: $suite
Components: main
Signed-By: $root/etc/apt/keyrings/allocpipe.gpg
EOF
  echo "$root"
}
apt_in() { local root=$1; shift; APT_CONFIG="$root/apt.conf" "$@"; }
status_of() { dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' "$2" 2>/dev/null || true; }

# --- good: update, install two packages, use them
two=("${BUILT_IDS[@]:0:2}")
[ ${#two[@]} = 2 ] || two=("$first" "$first-dbgsym")  # only one library built here
root=$(apt_root good good)
apt_in "$root" apt-get -q -o APT::Update::Error-Mode=any update > "$work/good-update.log" 2>&1 \
  || { cat "$work/good-update.log"; fail "apt-get update of the signed repository failed"; }
apt_in "$root" apt-get -q install "${two[@]}" > "$work/good-install.log" 2>&1 \
  || { cat "$work/good-install.log"; fail "apt-get install ${two[*]} failed"; }
for id in "${two[@]}"; do
  got=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Architecture}' "$id")
  [ "$got" = "$native" ] || fail "apt installed $id for $got on a $native host"
done
preloaded=0
for id in "${two[@]}"; do
  want=$(dpkg-deb -f "${DEB_OF[$first]}" Version)
  [ -z "${DEB_OF[$id]:-}" ] || want=$(dpkg-deb -f "${DEB_OF[$id]}" Version)
  [ "$(status_of "$root" "$id")" = "ii $want" ] || fail "$id is '$(status_of "$root" "$id")' after apt-get install"
  [ -n "${DEB_OF[$id]:-}" ] || continue  # $first-dbgsym when only one library was built: no library in it
  lib=$(dpkg-query --admindir="$root/var/lib/dpkg" -L "$id" | grep '\.so$') || fail "$id installed no .so file"
  [ "$(wc -l <<<"$lib")" = 1 ] || fail "$id installed more than one .so file: $lib"
  run_preloaded "$root$lib"
  preloaded=$((preloaded + 1))
done
[ "$preloaded" -ge 1 ] || fail "no library installed through apt was preloaded"
note "signed repository: apt-get update && apt-get install ${two[*]}: installed, $preloaded preloaded"

# --- a new revision through the repository, then the rollback
old=$(dpkg-deb -f "${DEB_OF[$first]}" Version)
new_revision="${old##*-}+repotest1"
new="${old%-*}-$new_revision"
cmake -DDATA="$data" -DOUTPUT_DIR="$work/rev2" -DWORK_DIR="$work/rev2-work" -DREVISION="$new_revision" -DIDS="$first" \
  -P "$here/../../packaging/build-debs.cmake" > "$work/rev2.log" 2>&1 || { cat "$work/rev2.log"; fail "building a new revision of $first failed"; }
publish good "$gpg_a" "$key_a" "$work/rev2" || { cat "$work/publish-good.log"; fail "publishing the new revision failed"; }
apt_in "$root" apt-get -q -o APT::Update::Error-Mode=any update > "$work/good-update2.log" 2>&1 || { cat "$work/good-update2.log"; fail "apt-get update after republishing failed"; }
apt_in "$root" apt-get -q install --only-upgrade "$first" > "$work/good-upgrade.log" 2>&1 || { cat "$work/good-upgrade.log"; fail "apt upgrade of $first failed"; }
[ "$(status_of "$root" "$first")" = "ii $new" ] || fail "$first is '$(status_of "$root" "$first")' after the upgrade, expected $new"
apt_in "$root" apt-get -q install --allow-downgrades "$first=$old" > "$work/good-rollback.log" 2>&1 || { cat "$work/good-rollback.log"; fail "rolling $first back to $old failed"; }
[ "$(status_of "$root" "$first")" = "ii $old" ] || fail "$first is '$(status_of "$root" "$first")' after the rollback, expected $old"
note "upgrade to $new via apt, rollback to $old with apt-get install $first=$old"

# --- a host of each foreign architecture installs its package from the same repository
declare -A foreign_done=()
foreign_preloaded=""
for key in "${FOREIGN_IDS[@]}"; do
  arch=${key##*_} id=${key%_*}
  [ -z "${foreign_done[$arch]:-}" ] || continue  # one package per architecture
  foreign_done[$arch]=1
  triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_GNU_TYPE 2>/dev/null)
  require_tools "$triplet-gcc"
  emulator=$(emulator_of "$arch")
  root=$(apt_root "good-$arch" good "$arch")
  apt_in "$root" apt-get -q -o APT::Update::Error-Mode=any update > "$work/good-$arch-update.log" 2>&1 \
    || { cat "$work/good-$arch-update.log"; fail "apt-get update of the signed repository failed on the $arch root"; }
  apt_in "$root" apt-get -q install "$id" > "$work/good-$arch-install.log" 2>&1 \
    || { cat "$work/good-$arch-install.log"; fail "apt-get install $id failed on the $arch root"; }
  want=$(dpkg-deb -f "${DEB_OF[$key]}" Version)
  [ "$(status_of "$root" "$id")" = "ii $want" ] || fail "$id is '$(status_of "$root" "$id")' on the $arch root after apt-get install"
  got=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Architecture}' "$id")
  [ "$got" = "$arch" ] || fail "apt installed $id for $got on the $arch root"
  lib=$(dpkg-query --admindir="$root/var/lib/dpkg" -L "$id" | grep '\.so$') || fail "$id ($arch) installed no .so file"
  [ "$(elf_machine "$root$lib")" = "$(arch_elf_machine "$arch")" ] || fail "the $lib apt installed on the $arch root is not an $arch ELF file"
  # Under emulation, explicitly: the emulator runs the program (its -E sets
  # the guest's environment, so the preload is the guest's loader's).
  "$triplet-gcc" -O1 -o "$work/probe-$arch" "$here/foreign_preload_probe.c" || fail "cannot build the $arch probe with $triplet-gcc"
  if emulate "$arch" "$work/probe-$arch" "$root$lib" > "$work/probe-$arch-bare.log" 2>&1; then
    fail "the $arch probe claims malloc comes from $root$lib without any preload; it proves nothing"
  fi
  out=$(emulate "$arch" -E "LD_PRELOAD=$root$lib" "$work/probe-$arch" "$root$lib" 2>&1) \
    || fail "$arch program with LD_PRELOAD=$lib (under $emulator) failed: $out"
  note "$arch root: apt-get install $id from the same repository ($want, $arch); under emulation: $out"
  foreign_preloaded+="$id ($arch) "
done

# --- refused: signed by another key
root=$(apt_root otherkey otherkey)
if apt_in "$root" apt-get -q -o APT::Update::Error-Mode=any update > "$work/otherkey-update.log" 2>&1; then
  cat "$work/otherkey-update.log"; fail "apt accepted a repository signed by another key"
fi
grep -qE "NO_PUBKEY|not signed|signatures couldn't be verified" "$work/otherkey-update.log" \
  || { cat "$work/otherkey-update.log"; fail "apt failed on the other key's repository, but not for its signature"; }
if apt_in "$root" apt-get -q install "$first" > "$work/otherkey-install.log" 2>&1; then fail "apt installed $first from a repository signed by another key"; fi
[ -z "$(status_of "$root" "$first")" ] || [[ $(status_of "$root" "$first") =~ ^un ]] || fail "$first got installed from the other key's repository"
note "refused: repository signed by another key ($(grep -oE 'NO_PUBKEY [0-9A-F]+|not signed' "$work/otherkey-update.log" | head -n 1))"

# --- refused: package file changed after signing
root=$(apt_root tampered-deb tampered-deb)
apt_in "$root" apt-get -q -o APT::Update::Error-Mode=any update > "$work/tampered-deb-update.log" 2>&1 \
  || { cat "$work/tampered-deb-update.log"; fail "apt-get update of the repository with a changed .deb failed (its indices are intact)"; }
if apt_in "$root" apt-get -q install "$first" > "$work/tampered-deb-install.log" 2>&1; then
  cat "$work/tampered-deb-install.log"; fail "apt installed a package file changed after signing"
fi
grep -qE "Hash Sum mismatch|unexpected size" "$work/tampered-deb-install.log" \
  || { cat "$work/tampered-deb-install.log"; fail "apt refused the changed package, but not for its hash"; }
[ -z "$(status_of "$root" "$first")" ] || [[ $(status_of "$root" "$first") =~ ^un ]] || fail "$first got installed from the tampered file"
[ ! -e "$root/usr" ] || fail "files were unpacked from the tampered package"
note "refused: package file changed after signing (Hash Sum mismatch)"

# --- refused: index changed after signing
root=$(apt_root tampered-index tampered-index)
if apt_in "$root" apt-get -q -o APT::Update::Error-Mode=any update > "$work/tampered-index-update.log" 2>&1; then
  cat "$work/tampered-index-update.log"; fail "apt accepted a Packages index changed after signing"
fi
grep -qE "Hash Sum mismatch|unexpected size" "$work/tampered-index-update.log" \
  || { cat "$work/tampered-index-update.log"; fail "apt refused the changed index, but not for its hash"; }
note "refused: Packages index changed after signing"

[ -z "$SKIPPED" ] || note "not packaged here (not built): ${SKIPPED//$'\n'/; }"
echo "PASSED: signed repository ($archs) installs ${two[*]} with apt${foreign_preloaded:+, and ${foreign_preloaded% } preloaded under emulation}; upgrade + rollback; other key, changed package and changed index refused"
