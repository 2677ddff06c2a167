# shellcheck shell=bash
# Shared by the packaging tests (sourced). The package list is the
# packages.txt index that packaging/build-debs.cmake writes next to the .deb
# files: "built <id> <deb> <dbgsym deb>" or "skipped <id> <reason>".
set -euo pipefail
export LC_ALL=C.UTF-8

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }
# ctest maps exit code 77 to "skipped" (SKIP_RETURN_CODE) for these tests.
skip() { echo "SKIPPED: $*"; exit 77; }

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "'$tool' is not installed (see packaging/README.md, 'What CI installs')"
  done
}

# index DEBS_DIR: checks the index exists; sets BUILT_IDS, DEB_OF[id], DBGSYM_OF[id], SKIPPED (lines),
# and TOOL_DEB[name], TOOL_DBGSYM[name] for the tool packages (allocpipe-host).
# Those are the build host's architecture. Packages of a foreign architecture
# (key <id>_<arch>, e.g. mimalloc-2.0.9-secure_arm64) are in FOREIGN_IDS
# (DEB_OF/DBGSYM_OF by key) and FOREIGN_TOOLS (TOOL_DEB/TOOL_DBGSYM by key),
# so the loops that install into this host's throwaway roots never see them.
# ALL_DEBS: every package of every architecture (+ -dbgsym).
declare -a BUILT_IDS=() FOREIGN_IDS=() FOREIGN_TOOLS=() ALL_DEBS=()
declare -A DEB_OF=() DBGSYM_OF=()
declare -A TOOL_DEB=() TOOL_DBGSYM=() FOREIGN_TOOL_DEB=() FOREIGN_TOOL_DBGSYM=()
SKIPPED=""
read_index() {
  local dir=$1 kind id deb dbgsym
  [ -f "$dir/packages.txt" ] || fail "$dir/packages.txt is missing: the deb target did not run (cmake --build <dir> --target deb)"
  while read -r kind id deb dbgsym; do
    case $kind in
      built|tool)
        [ -f "$dir/$deb" ] && [ -f "$dir/$dbgsym" ] || fail "$dir/packages.txt lists $deb and $dbgsym but they are not there"
        ALL_DEBS+=("$dir/$deb" "$dir/$dbgsym") ;;
    esac
    case $kind:$id in
      built:*_*) FOREIGN_IDS+=("$id"); DEB_OF[$id]=$dir/$deb; DBGSYM_OF[$id]=$dir/$dbgsym ;;
      built:*) BUILT_IDS+=("$id"); DEB_OF[$id]=$dir/$deb; DBGSYM_OF[$id]=$dir/$dbgsym ;;
      skipped:*) SKIPPED+="$id: $deb $dbgsym"$'\n' ;;
      # allocpipe-host: not a library, so not in the library loops
      tool:*_*) FOREIGN_TOOLS+=("$id"); FOREIGN_TOOL_DEB[$id]=$dir/$deb; FOREIGN_TOOL_DBGSYM[$id]=$dir/$dbgsym ;;
      tool:*) TOOL_DEB[$id]=$dir/$deb; TOOL_DBGSYM[$id]=$dir/$dbgsym ;;
      *) fail "$dir/packages.txt: unexpected line '$kind $id ...'" ;;
    esac
  done < "$dir/packages.txt"
}

# binutil ARCH TOOL: the binutils program that reads ELF files of ARCH (the
# build host's own, also for "all", or Debian's cross <triplet>-TOOL).
binutil() {
  local arch=$1 tool=$2 triplet
  if [ "$arch" = "$(dpkg --print-architecture)" ] || [ "$arch" = all ]; then echo "$tool"; return; fi
  triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_GNU_TYPE 2>/dev/null) || fail "'$arch' is not a Debian architecture"
  command -v "$triplet-$tool" >/dev/null || fail "'$triplet-$tool' is not installed (Debian package binutils-$triplet)"
  echo "$triplet-$tool"
}
# elf_machine FILE: its e_machine (ELF header bytes 18-19, little-endian).
elf_machine() { od -An -tu2 -j18 -N2 -- "$1" | tr -d ' '; }
# arch_elf_machine ARCH: the e_machine of Debian's own C library for ARCH
# (libc6:ARCH, via multiarch), the reference a package's ELF files must match.
arch_elf_machine() {
  local triplet libc
  triplet=$(dpkg-architecture -a"$1" -qDEB_HOST_MULTIARCH 2>/dev/null) || fail "'$1' is not a Debian architecture"
  libc=/lib/$triplet/libc.so.6
  [ -f "$libc" ] || fail "$libc is missing: install libc6:$1 (multiarch, scripts/setup-debian.sh)"
  elf_machine "$libc"
}

# A throwaway dpkg database that knows what the host has installed (so the
# packages' Depends are satisfied) but owns no file: installs go under $1.
make_dpkg_root() {
  local root=$1 pkg
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
  chmod 755 "$root"
  cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
  : > "$root/var/lib/dpkg/available"
  dpkg-query -W -f='${binary:Package}\n' | while read -r pkg; do : > "$root/var/lib/dpkg/info/$pkg.list"; done
}

# Runs a real program with <library> preloaded and checks the library is
# mapped in it and the program's output is right.
run_preloaded() {
  local library=$1 out
  out=$(LD_PRELOAD=$library /usr/bin/python3 -c '
import sys
blocks = [bytearray(n % 4096 + 1) for n in range(200000)]
del blocks[::2]
text = "".join(str(i) for i in range(20000))
maps = open("/proc/self/maps").read()
print(len(text), sys.argv[1] in maps)
' "$library" 2>&1) || fail "python3 with LD_PRELOAD=$library failed: $out"
  [ "$out" = "88890 True" ] || fail "python3 with LD_PRELOAD=$library: expected '88890 True' (output right, library mapped), got: $out"
}

# dpkg_verify_clean ROOT WHAT: dpkg --verify of a throwaway root must succeed
# (exit status 0: the database and file lists could be read) and report
# nothing (it exits 0 even when it lists modified or missing files, so its
# report is judged too). stderr is shown, not judged.
dpkg_verify_clean() {
  local root=$1 what=$2 out rc=0
  out=$(dpkg --root="$root" --verify 2>"$root.verify.stderr") || rc=$?
  [ "$rc" = 0 ] || fail "dpkg --verify after $what exited with status $rc:"$'\n'"$out$(cat "$root.verify.stderr")"
  [ -z "$out" ] || fail "dpkg --verify after $what:"$'\n'"$out"
  rm -f "$root.verify.stderr"
}

# paths_in_deb DEB WORK PATH...: prints "<member>: <path>" for every member
# of the package (data and control files, symlink targets; .gz files
# decompressed, ELF files with their debug sections decompressed) that holds
# one of the PATHs (absolute directories of the build host: source, build,
# download cache) as a whole path, not as the tail of a longer one such as
# /usr/src/<id> for a source directory /src.
paths_in_deb() {
  local deb=$1 work=$2 member file objcopy
  shift 2
  objcopy=$(binutil "$(dpkg-deb -f "$deb" Architecture)" objcopy)
  rm -rf "$work" && mkdir -p "$work/data" "$work/control"
  dpkg-deb -x "$deb" "$work/data"
  dpkg-deb -e "$deb" "$work/control"
  while IFS= read -r -d '' file; do
    member=${file#"$work/"}
    if [ -L "$file" ]; then
      readlink -- "$file" > "$work/content"
    elif [[ $file == *.gz ]]; then
      zcat -- "$file" > "$work/content" || fail "$member: not a valid gzip file"
    elif [ "$(head -c 4 -- "$file" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
      "$objcopy" --decompress-debug-sections -- "$file" "$work/content" || fail "$member: $objcopy cannot read it"
    else
      cp -- "$file" "$work/content"
    fi
    ALLOCPIPE_PATHS=$(printf '%s\n' "$@") perl -e '
      my @paths = split /\n/, $ENV{ALLOCPIPE_PATHS};
      local $/; binmode STDIN; my $content = <STDIN>;
      for my $p (@paths) {
        print "$ARGV[0]: $p\n" if $content =~ m{(?<![A-Za-z0-9._/+~-])\Q$p\E(?![A-Za-z0-9._+~-])};
      }' "$member" < "$work/content"
  done < <(find "$work/data" "$work/control" \( -type f -o -type l \) -print0 | sort -z)
}

# emulate ARCH PROGRAM ARGS...: runs a program of a foreign architecture
# under its user-mode emulator, never through binfmt_misc. The emulator and
# its library root (QEMU_LD_PREFIX) are the superbuild's
# (ALLOC_ARCH_<arch>_EMULATOR, _EMULATOR_PREFIX), given to the test as
# ALLOCPIPE_EMULATOR_<arch> and ALLOCPIPE_EMULATOR_PREFIX_<arch>.
emulator_of() {
  local var=ALLOCPIPE_EMULATOR_$1
  [ -n "${!var:-}" ] || fail "no emulator for $1: the test needs \$$var (the superbuild's ALLOC_ARCH_$1_EMULATOR)"
  command -v "${!var}" >/dev/null || fail "the emulator '${!var}' for $1 is not installed (Debian package qemu-user-static)"
  echo "${!var}"
}
emulate() {
  local arch=$1 emulator prefix_var=ALLOCPIPE_EMULATOR_PREFIX_$1
  shift
  emulator=$(emulator_of "$arch")
  QEMU_LD_PREFIX=${!prefix_var:-/} "$emulator" "$@"
}
