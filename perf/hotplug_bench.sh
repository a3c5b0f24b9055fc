#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/hotplug_bench.sh: hot-plug (issue 14), Petrel and QEMU side by side on
# the same KVM and the same guest (the kit's Debian bzImage + initrd.img):
# time from the API call to the guest seeing a new vCPU, memory (virtio-mem,
# ACPI DIMM), a disk and a balloon target, and the VMM's RSS around memory
# plug / unplug and balloon inflation. Owns the host half: builds petrel +
# petrel-remote, packs them with the host's QEMU into a nested-harness
# payload, boots ONE L1 (ci/nested/run.sh) that runs perf/hotplug_bench_l1.sh,
# then turns its PERF-HP lines into raw.tsv and table.md (median and
# min-max). See docs/performance.md, "Hot-plug".
#
#   perf/hotplug_bench.sh [--runs N] [--cases "vcpu memory-virtio-mem ..."]
#                         [--configs "petrel qemu"] [--l1-memory SIZE]
#                         [--out DIR] [--build-dir DIR] [--no-build]
#                         [--env NAME=VAL]... [--table-only DIR]
#
# --runs N        plug/unplug rounds per case and VMM (default 10, the issue's
#                 median of 10), all in one guest boot per case
# --cases L       subset of: vcpu memory-virtio-mem memory-acpi disk balloon
# --configs L     subset of: petrel qemu (default both)
# --l1-memory S   the L1's memory (run.sh --memory; default 3G: a guest that
#                 grows to 1 GiB and touches it, beside the VMM)
# --out DIR       results (default perf/results/hotplug-<date>): console.log,
#                 raw.tsv, table.md, info.txt, skipped.tsv, host.txt
# --build-dir D   where petrel is built (default build-bench, Release)
# --no-build      use the petrel already in the build dir (e.g. --build-dir
#                 build, a RelWithDebInfo tree)
# --env N=V       passed to perf/hotplug_bench_l1.sh (BENCH_WAIT_S, ...)
# --table-only D  re-make table.md from D/console.log, no boot
# Run as root (the nested harness needs it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=10 CASES="vcpu memory-virtio-mem memory-acpi disk balloon" CONFIGS="petrel qemu" L1_MEM=3G OUT=""
BUILD="$REPO/build-bench" DO_BUILD=1 TABLE_ONLY=""
EXTRA=()
usage() { sed -n '14,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?}; shift 2 ;;
    --cases) CASES=${2:?}; shift 2 ;;
    --configs) CONFIGS=${2:?}; shift 2 ;;
    --l1-memory) L1_MEM=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --build-dir) BUILD=$(cd "${2:?}" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --env) [[ ${2:-} == [A-Za-z_]*=* ]] || usage; EXTRA+=(--env "$2"); shift 2 ;;
    --table-only) TABLE_ONLY=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "hotplug_bench: unknown argument $1" >&2; usage ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
for c in $CASES; do
  case "$c" in vcpu|memory-virtio-mem|memory-acpi|disk|balloon) ;; *) usage ;; esac
done
say() { echo "hotplug_bench: $*" >&2; }
# shellcheck source=perf/bench_common.sh
. "$REPO/perf/bench_common.sh"

# table DIR: DIR/console.log -> DIR/raw.tsv, DIR/info.txt, DIR/skipped.tsv,
# DIR/table.md (printed).
table() {
  local dir=$1
  grep -a '^PERF-INFO ' "$dir/console.log" | sed 's/^PERF-INFO //; s/\r$//' >"$dir/info.txt" || true
  # PERF-HP <vmm> <case>:<metric> <run> <value> <unit>
  grep -a '^PERF-HP ' "$dir/console.log" | tr -d '\r' | awk '
    BEGIN { print "vmm\tcase\tmetric\trun\tvalue\tunit" }
    NF >= 6 { i = index($3, ":"); printf "%s\t%s\t%s\t%s\t%s\t%s\n", $2, substr($3, 1, i - 1), substr($3, i + 1), $4, $5, $6 }' >"$dir/raw.tsv"
  grep -a -E '^PERF-(SKIP|UNSUP|FAIL) vmm=' "$dir/console.log" | tr -d '\r' |
    sed 's/^PERF-\([A-Z]*\) vmm=\([^ ]*\) case=\([^ ]*\) \{0,1\}/\1\t\2\t\3\t/' >"$dir/skipped.tsv" || true

  awk -F'\t' -v skipfile="$dir/skipped.tsv" -v cases="vcpu memory-virtio-mem memory-acpi disk balloon" '
    function sortv(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    }
    function stat(key,   a, n, k, x, med, fmt) {
      n = 0
      for (k = 1; k <= cnt[key]; k++) { x = val[key, k]; if (x != "" && x != "n/a") a[++n] = x + 0 }
      if (n == 0) return "n/a"
      sortv(a, n)
      med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      fmt = (med == int(med) && a[1] == int(a[1]) && a[n] == int(a[n])) ? "%d" : "%.0f"
      if (n == 1) return sprintf(fmt, med) " (n=1)"
      return sprintf(fmt " (" fmt "–" fmt ")", med, a[1], a[n]) (n != maxn ? " (n=" n ")" : "")
    }
    NR == 1 { next }
    {
      vm = $1; c = $2; m = $3
      key = vm SUBSEP c SUBSEP m
      val[key, ++cnt[key]] = $5
      if (cnt[key] > maxn) maxn = cnt[key]
      if (!((c, m) in rowseen)) { rowseen[c, m] = 1; rowsof[c] = rowsof[c] " " m }
    }
    END {
      while ((getline line < skipfile) > 0) {
        split(line, f, "\t")
        if (f[1] == "SKIP") {
          skip[f[2], f[3]] = 1; skipl[++ns] = f[2] " " f[3] ": " f[4]
          if ((j = index(f[3], ":")) > 0) rowseen[substr(f[3], 1, j - 1), substr(f[3], j + 1)] = 1
        }
        else if (f[1] == "UNSUP") { unsup[f[2], f[3]] = 1; unsl[++nu] = f[2] " " f[3] ": " f[4] }
        else { fail[f[2], f[3]] = 1; faill[++nf] = f[2] " " f[3] ": " f[4] }
      }
      desc["plug_ms"] = "API call -> guest sees it, ms"
      desc["unplug_ms"] = "unplug call -> guest no longer sees it, ms"
      desc["inflate_ms"] = "balloon 512 MiB call -> actual size 512 MiB, ms"
      desc["deflate_ms"] = "balloon back call -> actual size 1 GiB, ms"
      desc["actual_mib"] = "guest size seen by the VMM after the inflate (or its wait), MiB"
      desc["rss_boot_kib"] = "VMM RSS after boot (512 MiB), KiB"
      desc["rss_plugged_kib"] = "VMM RSS, 512 MiB plugged and touched, KiB"
      desc["rss_unplugged_kib"] = "VMM RSS after the unplug, KiB"
      desc["rss_before_kib"] = "VMM RSS, guest filled and freed 600 MiB, KiB"
      desc["rss_inflated_kib"] = "VMM RSS, balloon at 512 MiB, KiB"
      order = "plug_ms unplug_ms inflate_ms actual_mib deflate_ms rss_boot_kib rss_before_kib rss_plugged_kib rss_inflated_kib rss_unplugged_kib"
      no = split(order, ord, " ")
      print "Median (min–max) over the runs (n=… where a cell has fewer); times include the client call, the guest probe'"'"'s 100 ms period and L1'"'"'s 100 ms poll."
      print ""
      print "| case | metric | Petrel | QEMU |"
      print "|---|---|---|---|"
      nc = split(cases, cs, " ")
      for (ci = 1; ci <= nc; ci++) {
        c = cs[ci]; printed = 0
        for (oi = 1; oi <= no; oi++) {
          m = ord[oi]
          if (!((c, m) in rowseen)) continue
          row = "| " c " | " desc[m] " |"
          split("petrel qemu", vs, " ")
          for (i = 1; i <= 2; i++) {
            key = vs[i] SUBSEP c SUBSEP m
            if (cnt[key] > 0) cellv = stat(key)
            else if ((vs[i], c ":" m) in skip || (vs[i], c) in skip) cellv = "skipped"
            else if ((vs[i], c) in unsup) cellv = "not supported"
            else if ((vs[i], c) in fail) cellv = "failed"
            else cellv = "–"
            row = row " " cellv " |"
          }
          print row; printed = 1
        }
        if (!printed && ((("petrel", c) in unsup) || (("qemu", c) in unsup) || (("petrel", c) in skip) || (("qemu", c) in skip))) {
          row = "| " c " | plug |"
          split("petrel qemu", vs, " ")
          for (i = 1; i <= 2; i++) row = row " " (((vs[i], c) in unsup) ? "not supported" : (((vs[i], c) in skip) ? "skipped" : "–")) " |"
          print row
        }
      }
      if (nu > 0) { print ""; print "Not supported:"; for (i = 1; i <= nu; i++) print "- " unsl[i] }
      if (ns > 0) { print ""; print "Skipped:"; for (i = 1; i <= ns; i++) print "- " skipl[i] }
      if (nf > 0) { print ""; print "Failed:"; for (i = 1; i <= nf; i++) print "- " faill[i] }
    }' "$dir/raw.tsv" >"$dir/table.md"
  cat "$dir/table.md"
}

if [ -n "$TABLE_ONLY" ]; then
  table "$TABLE_ONLY"
  exit 0
fi

OUT=${OUT:-$REPO/perf/results/hotplug-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
case " $CONFIGS " in
  *" petrel "*) [ "$DO_BUILD" = 1 ] && bench_build "$BUILD" petrel petrel-remote ;;
esac
bench_payload petrel-hpbench
# QEMU runs -M q35 with the bzImage: SeaBIOS and the vapic ROM (as
# snapshot_bench.sh; make-qemu-payload.sh has only microvm's firmware).
for f in bios-256k.bin kvmvapic.bin; do
  src=/usr/share/qemu/$f
  [ -e "$src" ] || src=/usr/share/seabios/$f
  cp -L "$src" "$PAYLOAD/share/qemu/"
done
for b in vmm/petrel vmm/api/petrel-remote; do
  if [ -f "$BUILD/$b" ]; then cp "$BUILD/$b" "$PAYLOAD/bin/"
  else say "no $BUILD/$b: Petrel will be skipped"; fi
done

envs=(--env "BENCH_RUNS=$RUNS" --env "BENCH_CASES=$CASES" --env "BENCH_CONFIGS=$CONFIGS" ${EXTRA[@]+"${EXTRA[@]}"})
# L1 boot (~2 min under TCG); per VMM and case a guest boot (~20-60 s) and
# per run a plug and an unplug (seconds; up to BENCH_WAIT_S, 60, each).
nconf=$(echo "$CONFIGS" | wc -w)
ncases=$(echo "$CASES" | wc -w)
timeout=$((300 + nconf * ncases * (90 + RUNS * 40)))
bench_host_info "$OUT" "perf/hotplug_bench.sh --runs $RUNS --cases \"$CASES\" --configs \"$CONFIGS\" --l1-memory $L1_MEM --build-dir $BUILD$([ "$DO_BUILD" = 0 ] && echo ' --no-build')"
say "results in $OUT; one L1 boot ($L1_MEM), $RUNS run(s), timeout ${timeout} s"
bench_run_l1 "$OUT" "$REPO/perf/hotplug_bench_l1.sh" "$timeout" --memory "$L1_MEM" "${envs[@]}"
