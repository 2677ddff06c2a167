#!/usr/bin/env bash
# Prints the first URI of this machine's own Debian archive entry for
# bookworm (deb822 *.sources first, then sources.list), so that nothing in the
# project ever names an archive host. Used by setup-debian.sh (deb-src
# entries) and the container tests (debootstrap). Exit 1 when there is none.
set -euo pipefail
archive_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk 'BEGIN{RS=""; FS="\n"}
         /(^|\n)Types:[^\n]*deb([ \t\n]|$)/ && /(^|\n)Suites:[^\n]*bookworm([ \t\n]|$)/ {
           for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); print u[1]; exit }
         }' "$f"
  done
  if [ -e /etc/apt/sources.list ]; then
    awk '$1 == "deb" && $3 == "bookworm" { print $2 }' /etc/apt/sources.list
  fi
}
uri=$(archive_uri | head -n 1 || true)
if [ -z "$uri" ]; then
  echo "debian-archive-uri: no 'deb ... bookworm' entry found in /etc/apt/sources.list{,.d}" >&2
  exit 1
fi
echo "$uri"
