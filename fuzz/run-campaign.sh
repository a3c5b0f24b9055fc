#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# A fuzzing campaign: runs every libFuzzer target of a PETREL_FUZZ build for
# a given time, several at once, keeps the corpus between campaigns, copies
# each crash into fuzz/regressions/<target>/ (where CI replays it on every
# run once it is fixed) and prints one line of figures per target.
#
#   fuzz/run-campaign.sh [--build DIR] [--minutes M] [--jobs J]
#                        [--corpus DIR] [--only "target..."]
#
#   --build   the clang ASan+UBSan+libFuzzer tree (default build-fuzz), made by
#             cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14
#               -DCMAKE_ASM_COMPILER=clang-14 -DPETREL_FUZZ=ON && cmake --build build-fuzz
#   --minutes minutes per target (default 30), wall clock: the table reports
#             the CPU time each fuzzer really got beside it
#   --jobs    targets run at once (default: the number of CPUs)
#   --corpus  where corpora live across campaigns (default
#             ~/.cache/petrel/fuzz-corpus/<target>); fuzz/seeds/<target> and
#             fuzz/regressions/<target> are read as extra corpora, never written
#   --only    a subset of targets, by name
#
# Figures (also written to <corpus>/campaign-<date>.md): executions, the
# coverage libFuzzer reports at the end (cov: edges, ft: features), corpus
# size before and after, crashes. Exit status 1 if any target crashed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build-fuzz MINUTES=30 JOBS=$(nproc) CORPUS=${HOME:-/root}/.cache/petrel/fuzz-corpus ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    --minutes) MINUTES=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-campaign: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done
case "$MINUTES" in ''|*[!0-9.]*) echo "run-campaign: --minutes wants a number, got '$MINUTES'" >&2; exit 2 ;; esac
if [ ! -d "$BUILD/fuzz" ]; then
  echo "run-campaign: no fuzz targets in $BUILD (build with -DPETREL_FUZZ=ON; see --help)" >&2
  exit 2
fi

targets=()
for t in $(find "$BUILD/fuzz" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x -printf '%f\n' | sort); do
  if [ -z "$ONLY" ] || [[ " $ONLY " == *" $t "* ]]; then targets+=("$t"); fi
done
[ ${#targets[@]} -gt 0 ] || { echo "run-campaign: no target matches '$ONLY'" >&2; exit 2; }
seconds=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')
stamp=$(date -u +%Y%m%d-%H%M%S)
work=$CORPUS/.campaign-$stamp
mkdir -p "$work"
echo "run-campaign: ${#targets[@]} targets, ${seconds}s each, $JOBS at a time; logs in $work"

# run_one <target>: one libFuzzer run; leaves <work>/<target>.{log,before}.
run_one() {
  local t=$1 corpus=$CORPUS/$1 extra=()
  mkdir -p "$corpus" "$work/crashes-$t"
  ls "$corpus" | wc -l >"$work/$t.before"
  [ -d "$ROOT/fuzz/regressions/$t" ] && extra+=("$ROOT/fuzz/regressions/$t")
  [ -d "$ROOT/fuzz/seeds/$t" ] && extra+=("$ROOT/fuzz/seeds/$t")
  "$BUILD/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 \
    -print_final_stats=1 -artifact_prefix="$work/crashes-$t/" "$corpus" "${extra[@]}" \
    >"$work/$t.log" 2>&1
  echo $? >"$work/$t.rc"
  # The CPU the fuzzer really got (user + system of this shell's children):
  # less than the wall time when other work shares the machine. `times`
  # writes to a file: in a pipeline it would run in a subshell with no
  # children.
  times >"$work/$t.times"
  awk 'NR == 2 { n = split($1 " " $2, t, " "); s = 0
    for (i = 1; i <= n; i++) { split(t[i], ms, "m"); s += ms[1] * 60 + ms[2] }
    printf "%d\n", s }' "$work/$t.times" >"$work/$t.cpu"
}
export -f run_one
export BUILD CORPUS ROOT work seconds
printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'

# Figures, and crashes into the tree.
summary=$CORPUS/campaign-$stamp.md
{
  echo "| target | wall s | CPU s | executions | cov | ft | corpus before → after | crashes |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$summary"
crashed=0
for t in "${targets[@]}"; do
  log=$work/$t.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  before=$(cat "$work/$t.before") after=$(ls "$CORPUS/$t" | wc -l)
  n=0
  for c in "$work/crashes-$t"/*; do
    [ -f "$c" ] || continue
    n=$((n + 1))
    mkdir -p "$ROOT/fuzz/regressions/$t"
    cp "$c" "$ROOT/fuzz/regressions/$t/$(basename "$c")"
  done
  [ $n -eq 0 ] || crashed=1
  echo "| $t | $seconds | $(cat "$work/$t.cpu" 2>/dev/null || echo ?) | ${execs:-?} | $(echo "$cov" | awk '{print $2}') | $(echo "$cov" | awk '{print $4}') | $before → $after | $n |" >>"$summary"
  [ $n -eq 0 ] || { echo "run-campaign: $t crashed ($n inputs, now in fuzz/regressions/$t):"; grep -m3 -E 'ERROR|SUMMARY' "$log"; }
done
cat "$summary"
echo "run-campaign: figures in $summary"
[ $crashed -eq 0 ] || echo "run-campaign: fix the crashes; their inputs stay in fuzz/regressions/ so CI replays them"
exit $crashed
