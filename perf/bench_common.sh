# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/bench_common.sh: what the host halves of the nested benchmarks
# (boot_bench.sh, io_bench.sh) share; sourced after they set REPO and define
# say() and table(). A Release build, the QEMU payload directory, the host
# description and the one L1 boot that runs the benchmark.

# bench_build BUILD TARGET...: configures BUILD (Release) if needed, builds TARGETs.
bench_build() {
  local build=$1
  shift
  [ -f "$build/build.ninja" ] ||
    cmake -S "$REPO" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build "$build" --target "$@" -j2 >&2
}

# bench_payload NAME: PAYLOAD := a new temporary directory (removed on exit)
# holding the nested harness's QEMU payload (ci/nested/make-qemu-payload.sh).
bench_payload() {
  PAYLOAD=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap 'rm -rf "$PAYLOAD"' EXIT
  bash "$REPO/ci/nested/make-qemu-payload.sh" "$PAYLOAD" >&2
}

# bench_host_info OUT COMMAND: OUT/host.txt with the date, host, CPU, load,
# Petrel's git revision and COMMAND (how the benchmark was invoked).
bench_host_info() {
  {
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) host=$(hostname) host_cpus=$(nproc)"
    echo "host_cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "host_load=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "petrel_git=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "command=$2"
  } >"$1/host.txt"
}

# bench_run_l1 OUT SCRIPT TIMEOUT [--env N=V]...: boots one L1 with PAYLOAD
# that runs SCRIPT (console in OUT/console.log), prints the table (table OUT)
# and exits with the harness's status.
bench_run_l1() {
  local out=$1 script=$2 timeout=$3 rc=0
  shift 3
  bash "$REPO/ci/nested/run.sh" --payload "$PAYLOAD" --script "$script" \
    --timeout "$timeout" "$@" >"$out/console.log" || rc=$?
  echo "host_load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/host.txt"
  grep -a -E '^(PERF-FAIL|PETREL-RESULT|nested:)' "$out/console.log" | tr -d '\r' >&2 || true
  table "$out"
  say "raw numbers: $out/raw.tsv; harness exit $rc"
  exit "$rc"
}
