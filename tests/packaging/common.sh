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
declare -a BUILT_IDS=()
declare -A DEB_OF=() DBGSYM_OF=()
declare -A TOOL_DEB=() TOOL_DBGSYM=()
SKIPPED=""
read_index() {
  local dir=$1 kind id deb dbgsym
  [ -f "$dir/packages.txt" ] || fail "$dir/packages.txt is missing: the deb target did not run (cmake --build <dir> --target deb)"
  while read -r kind id deb dbgsym; do
    case $kind in
      built)
        [ -f "$dir/$deb" ] && [ -f "$dir/$dbgsym" ] || fail "$dir/packages.txt lists $deb and $dbgsym but they are not there"
        BUILT_IDS+=("$id"); DEB_OF[$id]=$dir/$deb; DBGSYM_OF[$id]=$dir/$dbgsym ;;
      skipped) SKIPPED+="$id: $deb $dbgsym"$'\n' ;;
      tool)  # allocpipe-host: not a library, so not in the library loops
        [ -f "$dir/$deb" ] && [ -f "$dir/$dbgsym" ] || fail "$dir/packages.txt lists $deb and $dbgsym but they are not there"
        TOOL_DEB[$id]=$dir/$deb; TOOL_DBGSYM[$id]=$dir/$dbgsym ;;
      *) fail "$dir/packages.txt: unexpected line '$kind $id ...'" ;;
    esac
  done < "$dir/packages.txt"
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
  local deb=$1 work=$2 member file
  shift 2
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
      objcopy --decompress-debug-sections -- "$file" "$work/content" || fail "$member: objcopy cannot read it"
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
