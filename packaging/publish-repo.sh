#!/usr/bin/env bash
# Publishes .deb files into a signed APT repository (the `repo` target; the
# tests run it directly with a throwaway key).
#
#   publish-repo.sh --debs DIR --repo DIR --suite SUITE --key FINGERPRINT
#                   [--codename NAME] [--component main] [--origin allocpipe]
#                   [--gnupghome DIR] [--valid-days N] [--architectures "amd64 arm64"]
#
# Layout (the usual Debian one, so any static web server can serve it):
#   pool/<component>/<first letter>/<package>/<package>_<version>_<arch>.deb
#   dists/<suite> -> <suite>.<generation>/ { Release, InRelease, Release.gpg,
#                                            <component>/binary-<arch>/Packages{,.gz,.xz} }
# One binary-<arch> index per architecture (Release: "Architectures: amd64
# arm64"): those given with --architectures (ALLOC_ARCHS; an index may be
# empty, so a host of that architecture finds the repository before its first
# package) plus every architecture a package in the pool has. The packages of
# an id share one pool directory, one file per architecture.
#   <origin>-archive-keyring.gpg / .asc   the public key (for reference only:
#                                         hosts must get it out of band, see README)
# The pool keeps every revision ever published, so a host can go back with
# `apt-get install <package>=<older version>`. A file already in the pool with
# different bytes is refused: a changed build needs a new ALLOC_DEB_REVISION.
# The indices are made by apt-ftparchive and signed with gpg; the new dists
# tree replaces the old one with one atomic rename of the dists/<suite> link.
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8

die() { echo "publish-repo: error: $*" >&2; exit 1; }
say() { echo "publish-repo: $*"; }

debs='' repo='' suite='' codename='' component=main origin=allocpipe key='' valid_days='' architectures=''
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "option '$1' needs a value"
  case $1 in
    --debs) debs=$2 ;;
    --repo) repo=$2 ;;
    --suite) suite=$2 ;;
    --codename) codename=$2 ;;
    --component) component=$2 ;;
    --origin) origin=$2 ;;
    --key) key=$2 ;;
    --gnupghome) export GNUPGHOME=$2 ;;
    --valid-days) valid_days=$2 ;;
    --architectures) architectures=$2 ;;
    *) die "unknown argument '$1' (see the comment at the top of $0)" ;;
  esac
  shift 2
done
[ -n "$key" ] || die "no signing key: configure with -DALLOC_REPO_KEY=<fingerprint of an OpenPGP key whose secret part is in the signer's GnuPG home> (and -DALLOC_REPO_GNUPGHOME=<dir> if it is not the default one)"
[ -n "$debs" ] && [ -n "$repo" ] && [ -n "$suite" ] || die "--debs, --repo and --suite are required"
codename=${codename:-$suite}
for name in "$suite" "$component"; do
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "'$name' is not a valid suite/component name"
done
[ -z "$valid_days" ] || [[ $valid_days =~ ^[1-9][0-9]*$ ]] || die "--valid-days '$valid_days' is not a positive number"
for arch in $architectures; do
  [[ $arch =~ ^[a-z0-9][a-z0-9-]*$ ]] && [ "$arch" != all ] || die "--architectures: '$arch' is not a Debian architecture name (such as amd64 or arm64)"
done
for tool in apt-ftparchive gpg gpgv dpkg-deb xz gzip; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (Debian packages: apt-utils, gnupg, gpgv, dpkg, xz-utils, gzip)"
done
gpg --batch --list-secret-keys -- "$key" >/dev/null 2>&1 \
  || die "the secret key '$key' is not in the GnuPG home ${GNUPGHOME:-~/.gnupg}; 'gpg --list-secret-keys' lists the usable ones"

shopt -s nullglob
files=("$debs"/*.deb)
[ ${#files[@]} -gt 0 ] || die "no .deb files in '$debs' (build them first: cmake --build <dir> --target deb)"
mkdir -p "$repo/pool/$component" "$repo/dists"
repo=$(cd "$repo" && pwd)

# 1. Pool: add new files, keep identical ones, refuse changed ones.
added=0
for deb in "${files[@]}"; do
  package=$(dpkg-deb -f "$deb" Package) version=$(dpkg-deb -f "$deb" Version) arch=$(dpkg-deb -f "$deb" Architecture) \
    || die "$deb is not a Debian package"
  name="${package}_${version#*:}_${arch}.deb"
  dir="$repo/pool/$component/${package:0:1}/$package"
  target="$dir/$name"
  if [ -e "$target" ]; then
    cmp -s "$deb" "$target" || die "$name is already published with different content; the fleet may have installed it. Rebuild with a new revision (-DALLOC_DEB_REVISION=<n+1>) instead of replacing it."
    continue
  fi
  mkdir -p "$dir"
  cp "$deb" "$target.tmp" && mv "$target.tmp" "$target"
  say "added pool/$component/${package:0:1}/$package/$name"
  added=$((added + 1))
done

# 2. Indices in a new generation directory.
generation="$suite.$(date -u +%Y%m%dT%H%M%SZ).$$"
gen="$repo/dists/$generation"
mkdir -p "$gen"
cd "$repo"
archs=$( (for f in pool/"$component"/*/*/*.deb $architectures; do
            if [ -f "$f" ]; then dpkg-deb -f "$f" Architecture; else echo "$f"; fi
          done) | grep -vx all | sort -u | tr '\n' ' ')
[ -n "${archs// }" ] || archs="$(dpkg --print-architecture) "
archs=${archs% }
weak=(-o APT::FTPArchive::MD5=false -o APT::FTPArchive::SHA1=false)
for arch in $archs; do
  out="$gen/$component/binary-$arch"
  mkdir -p "$out"
  apt-ftparchive "${weak[@]}" --arch "$arch" packages "pool/$component" > "$out/Packages"
  gzip -9n -k "$out/Packages"
  xz -9 -k "$out/Packages"
done
release=(-o "APT::FTPArchive::Release::Origin=$origin" -o "APT::FTPArchive::Release::Label=$origin"
         -o "APT::FTPArchive::Release::Suite=$suite" -o "APT::FTPArchive::Release::Codename=$codename"
         -o "APT::FTPArchive::Release::Architectures=$archs" -o "APT::FTPArchive::Release::Components=$component"
         -o "APT::FTPArchive::Release::Description=allocpipe allocator libraries")
if [ -n "$valid_days" ]; then
  release+=(-o "APT::FTPArchive::Release::ValidTime=$((valid_days * 86400))")
fi
apt-ftparchive "${weak[@]}" "${release[@]}" release "$gen" > "$repo/dists/.Release.$$"
mv "$repo/dists/.Release.$$" "$gen/Release"

# 3. Signatures (InRelease for current apt, Release.gpg for old clients),
#    checked against the exported public key before anything is switched.
gpg --batch --yes --local-user "$key" --digest-algo SHA512 --clearsign --output "$gen/InRelease" "$gen/Release"
gpg --batch --yes --local-user "$key" --digest-algo SHA512 --armor --detach-sign --output "$gen/Release.gpg" "$gen/Release"
gpg --batch --export "$key" > "$repo/dists/.keyring.$$"
gpg --batch --armor --export "$key" > "$repo/dists/.keyring.asc.$$"
gpgv --keyring "$repo/dists/.keyring.$$" "$gen/InRelease" 2>/dev/null \
  || die "the InRelease just signed with '$key' does not verify against that key's public part"
mv "$repo/dists/.keyring.$$" "$repo/$origin-archive-keyring.gpg"
mv "$repo/dists/.keyring.asc.$$" "$repo/$origin-archive-keyring.asc"

# 4. Switch dists/<suite> atomically; keep the previous generation for
#    clients that are mid-download, drop older ones.
previous=$(readlink "dists/$suite" 2>/dev/null || true)
if [ -e "dists/$suite" ] && [ ! -L "dists/$suite" ]; then
  die "dists/$suite exists and is not the link this script maintains; move it away"
fi
ln -s "$generation" "dists/.link.$$"
mv -T "dists/.link.$$" "dists/$suite"
for old in dists/"$suite".*; do
  case ${old#dists/} in
    "$generation"|"$previous") ;;
    *) rm -rf "$old" ;;
  esac
done
fpr=$(gpg --batch --with-colons --fingerprint "$key" | awk -F: '$1 == "fpr" { print $10; exit }')
say "published $added new file(s); suite $suite ($codename), component $component, architectures $archs"
say "repository: $repo (signed by $fpr)"
