#!/usr/bin/env bash
# The mutation check: every mutation of tests/mutation/mutations.txt, applied
# one at a time to a scratch copy of this tree (HEAD plus uncommitted and
# untracked files), must make at least one of its tests fail. A surviving
# mutation fails the check and is printed with its diff; a mutation whose
# snippet is gone (STALE) or that no longer builds fails it too.
#
#   tests/mutation/run.sh [--work DIR] [--download-dir DIR] [--budget SECONDS]
#                         [--only REGEX] [--keep]
#
#   --work DIR          scratch area (default: <repo>/build/mutation): DIR/src is
#                       a detached `git worktree` of the snapshot, DIR/build its
#                       one build tree, configured once and rebuilt incrementally
#   --download-dir DIR  ALLOC_DOWNLOAD_DIR of the scratch build (share the cache)
#   --budget SECONDS    stop starting mutations once this much time went into
#                       them (default 420; setup and baseline come on top,
#                       about 10 minutes in all on 2 cores); at least one
#                       always runs; the order is rotated by the commit hash,
#                       so successive commits cover the whole list; the output
#                       says which ran and which were left for later
#   --only REGEX        only the mutations whose name matches (grep -E)
#   --keep              keep DIR (worktree and warm build) for the next run;
#                       by default both are removed at the end (also on
#                       INT/TERM; a run killed outright leaves DIR, which the
#                       next run reuses and then removes)
#
# The scratch build selects no allocator library (ALLOC_BUILD empty): the
# killing tests are unit tests and self-tests on fakes, so nothing is
# downloaded and no allocator is compiled. Exit status: 0 every mutation run
# was killed and none is stale; 1 otherwise; 2 bad usage or setup failure.
set -euo pipefail
# All of it in one compound command: bash reads it whole before running it,
# so editing this file during a run cannot derail the run.
{
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
work="$repo/build/mutation" download_dir="" budget=420 only="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --work) work=$2; shift 2 ;;
    --download-dir) download_dir=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "run.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ $budget =~ ^[0-9]+$ ]] || { echo "run.sh: --budget: expected seconds, got '$budget'" >&2; exit 2; }
start=$SECONDS
mkdir -p "$work"
work=$(cd "$work" && pwd)
src="$work/src" build="$work/build" logs="$work/logs"

# --- snapshot: HEAD plus the working tree (tracked changes and untracked,
# non-ignored files), as a commit object that no ref points to
head=$(git -C "$repo" rev-parse HEAD)
index=$(mktemp)
trap 'rm -f "$index"' EXIT
GIT_INDEX_FILE=$index git -C "$repo" read-tree HEAD
GIT_INDEX_FILE=$index git -C "$repo" add -A
tree=$(GIT_INDEX_FILE=$index git -C "$repo" write-tree)
snapshot=$(GIT_AUTHOR_NAME=allocpipe-mutation GIT_AUTHOR_EMAIL=mutation@example.invalid \
  GIT_COMMITTER_NAME=allocpipe-mutation GIT_COMMITTER_EMAIL=mutation@example.invalid \
  git -C "$repo" commit-tree "$tree" -p "$head" -m "mutation check: $head plus the working tree")
rm -f "$index"

current=""  # the file a mutation is applied to, restored on any exit
cleanup() {
  [ -z "$current" ] || git -C "$src" checkout -q -- "$current" 2>/dev/null || true
  if [ "$keep" = 0 ]; then
    git -C "$repo" worktree remove --force "$src" 2>/dev/null || true
    git -C "$repo" worktree prune
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the scratch worktree (reused with --keep: only changed files are rewritten)
if git -C "$src" rev-parse --is-inside-work-tree > /dev/null 2>&1 \
   && [ "$(git -C "$src" rev-parse --path-format=absolute --git-common-dir)" = "$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)" ]; then
  git -C "$src" checkout -q --detach --force "$snapshot"
  git -C "$src" clean -fdq
else
  rm -rf "$src"
  git -C "$repo" worktree prune
  git -C "$repo" worktree add -q --detach "$src" "$snapshot"
fi
rm -rf "$logs" && mkdir -p "$logs"

# The list and its tool are the snapshot's too: what is checked is one tree.
list="$src/tests/mutation/mutations.txt"
mutate() { python3 "$src/tests/mutation/mutate.py" "$@"; }
# --- the list must apply to this tree, all of it (also what is not run now)
echo "== mutation list: $list"
if ! mutate check "$list" "$src" > "$logs/check.txt" 2>&1; then
  cat "$logs/check.txt"
  echo "mutation check: FAILED: stale or malformed entries above (update $list)"
  exit 1
fi
mapfile -t all < <(mutate names "$list")
selected=()
for name in "${all[@]}"; do
  if [ -z "$only" ] || grep -qE -- "$only" <<<"$name"; then selected+=("$name"); fi
done
[ ${#selected[@]} -gt 0 ] || { echo "run.sh: --only '$only' matches no mutation" >&2; exit 2; }

# --- one build tree, configured once; no allocator library in it
echo "== scratch build: $build (sources $src, snapshot of $head)"
if [ ! -f "$build/CMakeCache.txt" ]; then
  args=(-S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON -DALLOC_BUILD=
        -DALLOC_MISSING_SOURCE=SKIP -DALLOCPIPE_SMOKE_IN_ALL=OFF)
  [ -z "$download_dir" ] || args+=("-DALLOC_DOWNLOAD_DIR=$download_dir")
  cmake "${args[@]}" > "$logs/configure.log" 2>&1 || { cat "$logs/configure.log"; echo "run.sh: configuring the scratch build failed" >&2; exit 2; }
fi
build_tree() { cmake --build "$build" > "$1" 2>&1; }
build_tree "$logs/build.log" || { tail -n 50 "$logs/build.log"; echo "run.sh: the unmutated scratch tree does not build" >&2; exit 2; }
echo "   built in $((SECONDS - start)) s"

# run_tests LOG CTEST-SELECTION...: ctest on the scratch build; sets FAILED
# and SKIPPED (test names)
run_tests() {
  local log=$1 rc=0
  shift
  ctest --test-dir "$build" "$@" --no-tests=error -j2 --timeout 300 > "$log" 2>&1 || rc=$?
  FAILED=$(sed -n '/^The following tests FAILED:/,$ s/^[[:space:]]*[0-9]\+ - \(.*\) ([^()]*)$/\1/p' "$log" | tr '\n' ' ')
  SKIPPED=$(sed -n 's/^.*Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*$/\1/p' "$log" | tr '\n' ' ')
  if [ "$rc" != 0 ] && [ -z "$FAILED" ]; then FAILED="(ctest exit status $rc, see $log)"; fi
  return 0
}

# --- baseline: every mutation's tests exist, and pass (and run) unmutated.
# One ctest run over the union, by test number (a CMake regex has at most
# 9 groups, too few to join the mutations' regexes).
numbers=() unmatched=()
for name in "${selected[@]}"; do
  found=$(ctest --test-dir "$build" -N -R "$(mutate get "$list" "$name" tests)" | sed -n 's/^ *Test *#\([0-9]*\): .*/\1/p')
  [ -n "$found" ] || unmatched+=("$name")
  numbers+=($found)
done
if [ ${#unmatched[@]} -gt 0 ]; then
  echo "mutation check: FAILED: 'tests:' matches no test of the scratch build for: ${unmatched[*]} (update $list)"
  exit 1
fi
mapfile -t numbers < <(printf '%s\n' "${numbers[@]}" | sort -nu)
run_tests "$logs/baseline.log" -I "0,0,0,$(IFS=,; echo "${numbers[*]}")"
if [ -n "$FAILED" ] || [ -n "$SKIPPED" ]; then
  tail -n 40 "$logs/baseline.log"
  echo "mutation check: FAILED: the killing tests must pass unmutated; failed: ${FAILED:-none}; skipped here: ${SKIPPED:-none}"
  exit 1
fi
echo "   baseline: ${#numbers[@]} killing tests pass unmutated ($((SECONDS - start)) s)"

# --- one mutation at a time, the order rotated by the commit hash
n=${#selected[@]}
offset=$(( 16#${head:0:8} % n ))
echo "== $n mutations, starting at #$((offset + 1)) (commit ${head:0:12}), budget ${budget} s"
survived=() broken=() ran=() left=()
phase=$SECONDS
for ((i = 0; i < n; i++)); do
  name=${selected[$(( (offset + i) % n ))]}
  if [ ${#ran[@]} -gt 0 ] && [ $((SECONDS - phase)) -ge "$budget" ]; then left+=("$name"); continue; fi
  t0=$SECONDS
  file=$(mutate get "$list" "$name" file) tests=$(mutate get "$list" "$name" tests)
  current=$file
  mutate apply "$list" "$name" "$src"
  diff=$(git -C "$src" diff -- "$file")
  if ! build_tree "$logs/$name.build.log"; then
    result="BROKEN (does not build, see $logs/$name.build.log)"; broken+=("$name")
  else
    run_tests "$logs/$name.test.log" -R "$tests"
    if [ -n "$FAILED" ]; then
      read -ra killers <<<"$FAILED"
      result="killed by ${killers[*]:0:3}"
      [ ${#killers[@]} -le 3 ] || result+=" (+$(( ${#killers[@]} - 3 )) more)"
    else
      result="SURVIVED (${tests}: all passed)"; survived+=("$name")
      printf '%s\n' "-- survivor $name: $(mutate get "$list" "$name" why)" "$diff"
    fi
  fi
  git -C "$src" checkout -q -- "$file"
  current=""
  ran+=("$name")
  printf '   %-42s %4d s  %s\n' "$name" $((SECONDS - t0)) "$result"
done
# The restored tree must build again (so the next run, or --keep, starts warm).
build_tree "$logs/restore.log" || { tail -n 30 "$logs/restore.log"; echo "run.sh: the restored scratch tree does not build" >&2; exit 2; }

echo "== ran ${#ran[@]} of $n mutations in $((SECONDS - phase)) s ($((SECONDS - start)) s in all)"
[ ${#left[@]} = 0 ] || echo "   not run this time (budget ${budget} s; a later commit starts elsewhere): ${left[*]}"
if [ ${#survived[@]} -gt 0 ] || [ ${#broken[@]} -gt 0 ]; then
  echo "mutation check: FAILED: survived: ${survived[*]:-none}; broken: ${broken[*]:-none}"
  exit 1
fi
echo "mutation check: PASSED: every mutation run was killed"
exit 0
}
