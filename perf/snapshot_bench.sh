#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/snapshot_bench.sh: snapshot, restore and live migration, Petrel and
# QEMU side by side on the same KVM and the same guest (the kit's Debian
# bzImage + initrd.img, 1 vCPU, idle or dirtying 50 MiB/s). Owns the host
# half: builds petrel + petrel-remote, packs them with the host's QEMU into a
# nested-harness payload, boots ONE L1 (ci/nested/run.sh) that runs
# perf/snapshot_bench_l1.sh, then turns its PERF-SNAP lines into raw.tsv and
# table.md (median and min-max). See docs/performance.md, "Snapshot, restore
# and live migration".
#
#   perf/snapshot_bench.sh [--runs N] [--sizes "512 2048"] [--mig-mib M]
#                          [--configs "petrel qemu"] [--l1-memory SIZE]
#                          [--out DIR] [--build-dir DIR] [--no-build]
#                          [--env NAME=VAL]... [--table-only DIR]
#
# --runs N        iterations (default 3); each does every case once per VMM
# --sizes L       guest sizes in MiB for snapshot/restore (default "512 2048")
# --mig-mib M     guest size for the live migrations (default 512)
# --configs L     subset of: petrel qemu (default both)
# --l1-memory S   the L1's memory (run.sh --memory; default 3G, so that a
#                 2 GiB guest and its snapshot fit; the harness's default is 2G)
# --out DIR       results (default perf/results/snapshot-<date>): console.log,
#                 raw.tsv, table.md, info.txt, skipped.tsv, host.txt
# --build-dir D   where to build petrel (default build-bench, Release)
# --no-build      use the petrel already in the build dir
# --env N=V       passed to perf/snapshot_bench_l1.sh (BENCH_MIG_DEADLINE_S...)
# --table-only D  re-make table.md from D/console.log, no boot
# Run as root (the nested harness needs it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=3 SIZES="512 2048" MIG_MIB=512 CONFIGS="petrel qemu" L1_MEM=3G OUT=""
BUILD="$REPO/build-bench" DO_BUILD=1 TABLE_ONLY=""
EXTRA=()
usage() { sed -n '11,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?}; shift 2 ;;
    --sizes) SIZES=${2:?}; shift 2 ;;
    --mig-mib) MIG_MIB=${2:?}; shift 2 ;;
    --configs) CONFIGS=${2:?}; shift 2 ;;
    --l1-memory) L1_MEM=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --env) [[ ${2:-} == [A-Za-z_]*=* ]] || usage; EXTRA+=(--env "$2"); shift 2 ;;
    --table-only) TABLE_ONLY=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "snapshot_bench: unknown argument $1" >&2; usage ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $MIG_MIB =~ ^[1-9][0-9]*$ ]] || usage
for s in $SIZES; do [[ $s =~ ^[1-9][0-9]*$ ]] || usage; done
say() { echo "snapshot_bench: $*" >&2; }
# shellcheck source=perf/bench_common.sh
. "$REPO/perf/bench_common.sh"

# table DIR: DIR/console.log -> DIR/raw.tsv, DIR/info.txt, DIR/skipped.tsv,
# DIR/table.md (printed).
table() {
  local dir=$1
  grep -a '^PERF-INFO ' "$dir/console.log" | sed 's/^PERF-INFO //; s/\r$//' >"$dir/info.txt" || true
  grep -a '^PERF-SNAP ' "$dir/console.log" | tr -d '\r' | awk '
    BEGIN { n = split("vmm iter case metric value", col, " "); print "vmm\titer\tcase\tmetric\tvalue" }
    {
      delete v
      for (i = 2; i <= NF; i++) { k = substr($i, 1, index($i, "=") - 1); v[k] = substr($i, index($i, "=") + 1) }
      for (i = 1; i <= n; i++) printf "%s%s", (col[i] in v ? v[col[i]] : "n/a"), (i < n ? "\t" : "\n")
    }' >"$dir/raw.tsv"
  grep -a -E '^PERF-(SKIP|FAIL) vmm=' "$dir/console.log" | tr -d '\r' |
    sed 's/^PERF-\([A-Z]*\) vmm=\([^ ]*\) case=\([^ ]*\) \{0,1\}/\1\t\2\t\3\t/' >"$dir/skipped.tsv" || true

  awk -F'\t' -v skipfile="$dir/skipped.tsv" '
    function sortv(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    }
    function stat(key,   a, n, k, x, med, fmt) {
      n = 0
      for (k = 1; k <= cnt[key]; k++) { x = val[key, k]; if (x != "" && x != "n/a") a[++n] = x + 0 }
      if (n == 0) return "n/a"
      sortv(a, n)
      med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      fmt = (med == int(med) && a[1] == int(a[1]) && a[n] == int(a[n])) ? "%d" : "%.1f"
      if (n == 1) return sprintf(fmt, med)
      return sprintf(fmt " (" fmt "–" fmt ")", med, a[1], a[n])
    }
    NR == 1 { next }
    {
      vm = $1; c = $3; m = $4
      if (vm == "all") { clockv[++nclock] = $5; next }
      key = vm SUBSEP c SUBSEP m
      val[key, ++cnt[key]] = $5
      if (!((c, m) in rowseen)) { rowseen[c, m] = 1; rows[++nr] = c SUBSEP m }
      if (!(c in caseseen)) { caseseen[c] = 1 }
    }
    END {
      while ((getline line < skipfile) > 0) {
        split(line, f, "\t")
        if (f[1] == "SKIP") { skip[f[2], f[3]] = f[4]; skipl[++ns] = f[2] " " f[3] ": " f[4] }
        else faill[++nf] = f[2] " " f[3] ": " f[4]
      }
      desc["snapshot_ms"] = "snapshot request, wall ms (VM already paused)"
      desc["vmm_snapshot_ms"] = "snapshot, VMM-internal ms"
      desc["disk_kib"] = "file(s) on disk, du -k KiB"
      desc["apparent_kib"] = "file(s) apparent size, KiB"
      desc["to_paused_ms"] = "exec -> VM paused (polled), wall ms"
      desc["vmm_start_to_restored_ms"] = "VMM start -> restored event, ms"
      desc["vmm_restore_ms"] = "restoring -> restored events, ms"
      desc["poll_ms"] = "one status poll, wall ms"
      desc["polls"] = "status polls until paused"
      desc["resume_ms"] = "resume request, wall ms"
      desc["running_after_resume"] = "running after resume (1 = yes)"
      desc["rss_kib"] = "VMM RSS after resume, KiB"
      desc["total_ms"] = "migration request, wall ms"
      desc["vmm_total_ms"] = "migration total, VMM-reported ms"
      desc["downtime_ms"] = "downtime, VMM-reported ms"
      desc["rounds"] = "memory rounds / dirty syncs"
      desc["sent_mib"] = "memory sent, MiB"
      desc["guest_dirty_mib_s"] = "guest dirty rate measured, MiB/s"
      desc["source_exited"] = "source VMM exited (1 = yes)"
      desc["dest_running"] = "destination runs the guest (1 = yes)"
      print "Median (min–max) over the runs; wall times include the client call and clock reads (see below)."
      print ""
      print "| case | metric | Petrel | QEMU |"
      print "|---|---|---|---|"
      for (r = 1; r <= nr; r++) {
        split(rows[r], cm, SUBSEP); c = cm[1]; m = cm[2]
        row = "| " c " | " (m in desc ? desc[m] : m) " |"
        split("petrel qemu", vs, " ")
        for (i = 1; i <= 2; i++) {
          key = vs[i] SUBSEP c SUBSEP m
          if (cnt[key] > 0) cellv = stat(key)
          else if ((vs[i], c) in skip) cellv = "skipped"
          else cellv = "–"
          row = row " " cellv " |"
        }
        print row
      }
      if (nclock > 0) { printf "\nOne clock read in L1 (an awk process reading /proc/timer_list): %s ms.\n", clockv[1] }
      if (ns > 0) { print ""; print "Skipped:"; for (i = 1; i <= ns; i++) print "- " skipl[i] }
      if (nf > 0) { print ""; print "Failed:"; for (i = 1; i <= nf; i++) print "- " faill[i] }
    }' "$dir/raw.tsv" >"$dir/table.md"
  cat "$dir/table.md"
}

if [ -n "$TABLE_ONLY" ]; then
  table "$TABLE_ONLY"
  exit 0
fi

OUT=${OUT:-$REPO/perf/results/snapshot-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
case " $CONFIGS " in
  *" petrel "*) [ "$DO_BUILD" = 1 ] && bench_build "$BUILD" petrel petrel-remote ;;
esac
bench_payload petrel-snapbench
# QEMU runs -M q35 with the bzImage (microvm would need the PVH vmlinux, and
# pays seconds of RTC probing, docs/performance.md): SeaBIOS and the vapic ROM
# (make-qemu-payload.sh has only microvm's firmware), as boot_bench.sh does.
for f in bios-256k.bin kvmvapic.bin; do
  src=/usr/share/qemu/$f
  [ -e "$src" ] || src=/usr/share/seabios/$f
  cp -L "$src" "$PAYLOAD/share/qemu/"
done
for b in vmm/petrel vmm/api/petrel-remote; do
  if [ -f "$BUILD/$b" ]; then cp "$BUILD/$b" "$PAYLOAD/bin/"
  else say "no $BUILD/$b: Petrel will be skipped"; fi
done

envs=(--env "BENCH_RUNS=$RUNS" --env "BENCH_SIZES=$SIZES" --env "BENCH_MIG_MIB=$MIG_MIB"
  --env "BENCH_CONFIGS=$CONFIGS" ${EXTRA[@]+"${EXTRA[@]}"})
# L1 boot (~2 min under TCG); per run and VMM: a guest boot (~10-40 s) per
# size and migration case, and up to BENCH_MIG_DEADLINE_S (240) per migration.
nconf=$(echo "$CONFIGS" | wc -w)
nsizes=$(echo "$SIZES" | wc -w)
timeout=$((300 + RUNS * nconf * (nsizes * 120 + 2 * 360)))
bench_host_info "$OUT" "perf/snapshot_bench.sh --runs $RUNS --sizes \"$SIZES\" --mig-mib $MIG_MIB --configs \"$CONFIGS\" --l1-memory $L1_MEM"
say "results in $OUT; one L1 boot ($L1_MEM), $RUNS run(s), timeout ${timeout} s"
bench_run_l1 "$OUT" "$REPO/perf/snapshot_bench_l1.sh" "$timeout" --memory "$L1_MEM" "${envs[@]}"
