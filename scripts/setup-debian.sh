#!/usr/bin/env bash
# Installs what allocpipe needs to build and test on Debian 12, and enables
# deb-src entries for Debian 12 (bookworm), 13 (trixie) and unstable (sid) so
# the Debian source packages can serve as the authenticated alternate source
# (unstable: jemalloc 5.3.1).
# Idempotent: safe to run again. Needs root (re-runs itself with sudo).
set -euo pipefail
if [ "$(id -u)" != 0 ]; then exec sudo "$0" "$@"; fi
export DEBIAN_FRONTEND=noninteractive

# deb-src entries reuse the URIs of this machine's own Debian archive entry,
# so no archive host is ever written into the project.
src_list=/etc/apt/sources.list.d/allocpipe-deb-src.sources
uri=$("$(dirname "$0")/debian-archive-uri.sh") \
  || { echo "setup-debian: cannot derive deb-src entries without the machine's own Debian archive entry" >&2; exit 1; }
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
want=$(printf 'Types: deb-src\nURIs: %s\nSuites: bookworm trixie sid\nComponents: main\nSigned-By: %s\n' "$uri" "$keyring")
if [ ! -f "$src_list" ] || [ "$(cat "$src_list")" != "$want" ]; then
  printf '%s\n' "$want" > "$src_list.tmp" && mv "$src_list.tmp" "$src_list"
  echo "setup-debian: wrote $src_list (deb-src for bookworm, trixie and sid from $uri)"
fi

apt-get update -q
apt-get install -y -q --no-install-recommends \
  build-essential cmake ninja-build pkg-config patch python3 ca-certificates dpkg-dev \
  librsvg2-bin fonts-dejavu-core lintian apt-utils gnupg gpgv binutils file xz-utils \
  zlib1g-dev libbz2-dev liblzma-dev libzstd-dev clang-14 libclang-rt-14-dev \
  libcurl4-openssl-dev libssl-dev libarchive-dev libgtest-dev googletest git \
  libsystemd-dev autoconf automake libtool
# arm64 (ALLOC_ARCHS, cmake/Architectures.cmake): Debian's cross toolchain
# (crossbuild-essential-arm64: aarch64-linux-gnu-gcc/g++ and the cross C
# library they link against), qemu-user to run the smoke gate and the
# benchmark workload under emulation (binfmt_misc is never registered: the
# programs are started as `qemu-aarch64-static -L / ...`) against Debian's
# multiarch arm64 runtime (libc6:arm64, libstdc++6:arm64), and the workload's
# compressors for arm64 (the same archive URIs serve arm64). allocpipe-host
# for arm64 (built by the cross tools sub-build) links libsystemd:arm64; the
# arm64 packages' Depends are computed by dpkg-shlibdeps against libc6:arm64.
# All of these are Multi-Arch: same, so no amd64 package is removed.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -q
fi
apt-get install -y -q --no-install-recommends \
  crossbuild-essential-arm64 qemu-user-static \
  libc6:arm64 libstdc++6:arm64 zlib1g-dev:arm64 libzstd-dev:arm64 liblzma-dev:arm64 \
  libsystemd-dev:arm64
# The host tests (tests/host/container): a Debian 12 root booted with a real
# systemd in a container, and the Ansible role run inside it.
apt-get install -y -q --no-install-recommends \
  debootstrap systemd-container ansible-core util-linux
