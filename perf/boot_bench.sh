#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/boot_bench.sh: the boot benchmark, Petrel and QEMU side by side on the
# same KVM. Owns the host half: builds petrel, boot_timer and the null guest,
# packs them with the host's QEMU into a nested-harness payload, boots ONE L1
# (ci/nested/run.sh) that runs perf/boot_bench_l1.sh, then turns its
# PERF-RAW lines into raw.tsv and a table (median and min-max per milestone).
# This host has no usable /dev/kvm, so everything (the null guest included)
# runs on the nested L1's KVM. See docs/performance.md.
#
#   perf/boot_bench.sh [--runs N] [--warmup N] [--configs "LIST"] [--out DIR]
#                      [--build-dir DIR] [--no-build] [--table-only DIR]
#
# --runs N       measured iterations per configuration (default 10)
# --warmup N     unmeasured iterations first (default 1)
# --configs L    subset of: petrel petrel-pvh qemu-microvm qemu-q35 null-petrel
#                null-qemu-microvm (default all), and petrel-noseccomp
#                (petrel with --seccomp false; only when asked for)
# --out DIR      results (default perf/results/boot-<date>): console.log,
#                raw.tsv, table.md, info.txt, smaps-<config>.txt
# --build-dir D  where to build (default build-bench, Release)
# --no-build     use the binaries already in the build dir
# --table-only D re-make table.md from D/console.log, no boot
# Run as root (the nested harness needs it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=10 WARMUP=1 CONFIGS="" OUT="" BUILD="$REPO/build-bench" DO_BUILD=1 TABLE_ONLY=""
usage() { sed -n '10,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?}; shift 2 ;;
    --warmup) WARMUP=${2:?}; shift 2 ;;
    --configs) CONFIGS=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --table-only) TABLE_ONLY=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "boot_bench: unknown argument $1" >&2; usage ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ ]] || usage
say() { echo "boot_bench: $*" >&2; }
# shellcheck source=perf/bench_common.sh
. "$REPO/perf/bench_common.sh"

# table DIR: DIR/console.log -> DIR/raw.tsv, DIR/info.txt, DIR/smaps-*.txt,
# DIR/table.md (printed).
table() {
  local dir=$1
  grep -a '^PERF-INFO ' "$dir/console.log" | sed 's/^PERF-INFO //; s/\r$//' >"$dir/info.txt" || true
  rm -f "$dir"/smaps-*.txt
  grep -a '^PERF-SMAPS ' "$dir/console.log" | tr -d '\r' |
    awk -v d="$dir" '{ f = d "/smaps-" $2 ".txt"; print $3, $4, $5, $6 > f }' || true
  grep -a '^PERF-RAW ' "$dir/console.log" | tr -d '\r' | awk '
    BEGIN {
      n = split("config iter try ok first_output_ms guest_entry_ms marker_ms exit_ms exit_code timed_out killed_after_markers rss_kib rss_excl_guest_kib anon_excl_guest_kib pss_excl_guest_kib peak_rss_kib", col, " ")
      for (i = 1; i <= n; i++) printf "%s%s", col[i], (i < n ? "\t" : "\n")
    }
    {
      delete v
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      v["ok"] = (v["marker_ms"] != "" && v["marker_ms"] != -1 && v["timed_out"] == 0 &&
                 (v["exit_code"] == 0 || v["killed_after_markers"] == 1)) ? 1 : 0
      for (i = 1; i <= n; i++) printf "%s%s", (col[i] in v ? v[col[i]] : "n/a"), (i < n ? "\t" : "\n")
    }' >"$dir/raw.tsv"

  awk -F'\t' -v info="$dir/info.txt" '
    function sortv(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    }
    # cell(config, metric, scale, fmt): "median (min-max)" over the good runs.
    function cell(c, m, scale, fmt,   a, n, i, k, med) {
      n = 0
      for (k = 1; k <= cnt[c]; k++) {
        x = val[c, k, m]
        if (x == "n/a" || x == "" || x < 0) continue
        a[++n] = x / scale
      }
      if (n == 0) return "n/a"
      sortv(a, n)
      med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      return sprintf(fmt " (" fmt "–" fmt ")", med, a[1], a[n])
    }
    NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    {
      c = $idx["config"]
      if (!(c in seen)) { seen[c] = 1; order[++nc] = c }
      if ($idx["iter"] == 0) next                       # warm-up
      if (!$idx["ok"]) { retries[c]++; next }
      k = ++cnt[c]
      if ($idx["killed_after_markers"] == 1) killed[c]++
      for (m in idx) val[c, k, m] = $idx[m]
    }
    END {
      desc["petrel"] = "Petrel, Linux bzImage"
      desc["petrel-pvh"] = "Petrel, Linux PVH vmlinux"
      desc["petrel-noseccomp"] = "Petrel, Linux bzImage, --seccomp false"
      desc["qemu-microvm"] = "QEMU -M microvm, Linux PVH vmlinux"
      desc["qemu-q35"] = "QEMU -M q35, Linux bzImage"
      desc["null-petrel"] = "Petrel, null guest"
      desc["null-qemu-microvm"] = "QEMU -M microvm, null guest"
      print "Median (min–max) over n runs; times in ms from exec, memory in MiB."
      print "Marker: PETREL-GUEST-READY (Linux) or PETREL-NULL-OK (null guest). RSS excl. guest:"
      print "the VMM'"'"'s smaps Rss at the marker minus the guest-RAM mapping (anon: its private"
      print "part); peak RSS: ru_maxrss of the whole process (includes guest pages the guest"
      print "touched). Retries: runs that hung/failed and were re-run (not in the statistics)."
      print "Exit: the guest powers off (Linux: ACPI S5, petrel.end=poweroff; null guest: S5 write"
      print "to port 0x600, then the i8042 reset) and the VMM exits by itself."
      for (o = 1; o <= nc; o++)
        if (killed[order[o]] > 0)
          printf "%s: %d of %d runs did not exit and were killed 5 s after the marker (exit n/a).\n",
            order[o], killed[order[o]], cnt[order[o]]
      print ""
      print "| VMM / config | n | retries | first guest instr. | first output | marker | exit | RSS excl. guest | of it anon | peak RSS |"
      print "|---|---|---|---|---|---|---|---|---|---|"
      for (o = 1; o <= nc; o++) {
        c = order[o]
        printf "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", (c in desc ? desc[c] : c), cnt[c], retries[c] + 0,
          cell(c, "guest_entry_ms", 1, "%.1f"), cell(c, "first_output_ms", 1, "%.1f"),
          cell(c, "marker_ms", 1, "%.1f"), cell(c, "exit_ms", 1, "%.1f"),
          cell(c, "rss_excl_guest_kib", 1024, "%.2f"), cell(c, "anon_excl_guest_kib", 1024, "%.2f"),
          cell(c, "peak_rss_kib", 1024, "%.1f")
      }
    }' "$dir/raw.tsv" >"$dir/table.md"
  cat "$dir/table.md"
}

if [ -n "$TABLE_ONLY" ]; then
  table "$TABLE_ONLY"
  exit 0
fi

OUT=${OUT:-$REPO/perf/results/boot-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

if [ "$DO_BUILD" = 1 ]; then bench_build "$BUILD" petrel boot_timer null_guest; fi
for f in vmm/petrel perf/boot_timer tests/guests/null_guest.elf; do
  [ -f "$BUILD/$f" ] || { say "missing $BUILD/$f (build it, or drop --no-build)"; exit 1; }
done

bench_payload petrel-bench
# q35 also needs SeaBIOS and the vapic option ROM (make-qemu-payload.sh has
# only microvm's firmware); QEMU finds them in share/qemu beside its binary.
for f in bios-256k.bin kvmvapic.bin; do
  src=/usr/share/qemu/$f
  [ -e "$src" ] || src=/usr/share/seabios/$f
  cp -L "$src" "$PAYLOAD/share/qemu/"
done
cp "$BUILD/vmm/petrel" "$BUILD/perf/boot_timer" "$PAYLOAD/bin/"
install -m 644 "$BUILD/tests/guests/null_guest.elf" "$PAYLOAD/bin/"  # data, no ldd

envs=(--env "BENCH_RUNS=$RUNS" --env "BENCH_WARMUP=$WARMUP")
[ -n "$CONFIGS" ] && envs+=(--env "BENCH_CONFIGS=$CONFIGS")
# L1 boot + per iteration about 6 boots of 0.1-15 s under TCG; generous, since
# a timeout retries the whole L1 boot.
timeout=$((300 + (RUNS + WARMUP) * 150))
bench_host_info "$OUT" "perf/boot_bench.sh --runs $RUNS --warmup $WARMUP${CONFIGS:+ --configs \"$CONFIGS\"}"
say "results in $OUT; one L1 boot, $RUNS runs (+$WARMUP warm-up) per configuration"
bench_run_l1 "$OUT" "$REPO/perf/boot_bench_l1.sh" "$timeout" "${envs[@]}"
