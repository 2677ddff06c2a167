#!/usr/bin/env bash
# packaging.lintian: lintian reports no error on any package of any
# architecture (tags overridden on purpose live in
# packaging/debian/lintian-overrides.in, each after a one-line "# Reason:"
# comment), and no two packages of one architecture share a file, so all of
# them can be installed at once, next to Debian's libmimalloc2.0 / libmimalloc3
# / libjemalloc2 (which use other names and the multiarch library directory).
# The arm64 and amd64 packages of an id do share their files: they are one
# package (same name) in two architectures, never installed together.
#   lintian.sh DEBS_DIR OVERRIDES_TEMPLATE
source "$(dirname "$0")/common.sh"
debs=$1 overrides=$2
require_tools lintian dpkg-deb
read_index "$debs"
[ ${#BUILT_IDS[@]} -gt 0 ] || skip "no library was built here, nothing to lint: ${SKIPPED//$'\n'/; }"

# Every override has its reason on the line before it.
prev=
while IFS= read -r line; do
  if [[ $line =~ ^@PACKAGE@: ]]; then
    [[ $prev =~ ^#\ Reason:\ .{10,} ]] || fail "$overrides: override '$line' has no '# Reason: ...' line before it"
  elif [ -n "$line" ] && [[ ! $line =~ ^# ]]; then
    fail "$overrides: unexpected line '$line'"
  fi
  prev=$line
done < "$overrides"

all=("${ALL_DEBS[@]}")
note "lintian on ${#all[@]} packages ($(for deb in "${all[@]}"; do dpkg-deb -f "$deb" Architecture; done | sort | uniq -c | xargs))"
# With --show-overrides, lintian 2.116 also exits 2 for overridden errors, so
# the verdict is read from its output: an "E:" line is an error not overridden.
status=0
output=$(lintian --fail-on error --show-overrides --tag-display-limit 0 "${all[@]}" 2>&1) || status=$?
printf '%s\n' "$output"
[ "$status" = 0 ] || [ "$status" = 2 ] || fail "lintian itself failed (exit $status)"
errors=$(grep -c '^E: ' <<<"$output" || true)
[ "$errors" = 0 ] || fail "lintian reported $errors error(s) (the E: lines above)"
overridden=$(grep -c '^O: ' <<<"$output" || true)

# No file in two packages of one architecture; nothing in Debian's own library directories.
listing=$(for deb in "${all[@]}"; do
  dpkg-deb -c "$deb" | awk -v p="$(basename "$deb")" -v a="$(dpkg-deb -f "$deb" Architecture)" '$1 !~ /^d/ { print a ":" $6, p }'
done)
dups=$(awk '{ print $1 }' <<<"$listing" | sort | uniq -d)
[ -z "$dups" ] || fail "files shipped by more than one package of one architecture:"$'\n'"$(grep -F -f <(printf '%s\n' "$dups") <<<"$listing")"
! grep -qE '^[a-z0-9]+:\./(usr/)?lib/[a-z0-9_]+-linux-gnu[a-z0-9_]*/' <<<"$listing" || fail "a package ships a file in the multiarch library directory, where Debian's allocator packages live"
for id in "${BUILT_IDS[@]}"; do
  [[ ! $id =~ ^lib ]] || fail "package name $id is in Debian's lib* namespace"
done
[ -z "$SKIPPED" ] || note "not packaged here (not built): ${SKIPPED//$'\n'/; }"
echo "PASSED: lintian: no error on ${#all[@]} packages ($overridden overridden tags, reasons above); no file shared between two packages of one architecture"
