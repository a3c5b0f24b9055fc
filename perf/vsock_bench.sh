#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/vsock_bench.sh: vsock stream throughput, guest->host and host->guest,
# Petrel (Cloud Hypervisor's hybrid vsock: a UNIX socket on the host) and
# QEMU (vhost-vsock-pci: AF_VSOCK on the host) side by side on the same KVM
# and guest (the kit's Debian kernel + initrd.img, 2 vCPUs, 512 MiB). Owns the
# host half: builds petrel, packs it with the host's QEMU into a nested-harness
# payload, boots ONE L1 (ci/nested/run.sh) that runs perf/vsock_bench_l1.sh,
# then turns its PERF-VSOCK lines into raw.tsv and table.md (median and
# min-max). Both ends are the kit's vsock_peer (ci/guest-kit/vsock_peer.c).
# See docs/performance.md, "vsock stream throughput".
#
#   perf/vsock_bench.sh [--runs N] [--mib M] [--configs "petrel qemu"]
#                       [--out DIR] [--build-dir DIR] [--no-build]
#                       [--env NAME=VAL]... [--table-only DIR]
#
# --runs N        VM boots per configuration (default 3; each measures both
#                 directions once)
# --mib M         MiB streamed per direction (default 64)
# --configs L     subset of: petrel qemu (default both)
# --out DIR       results (default perf/results/vsock-<date>): console.log,
#                 raw.tsv, table.md, info.txt, skipped.tsv, host.txt
# --build-dir D   where to build petrel (default build-bench, Release)
# --no-build      use the petrel already in the build dir
# --env N=V       passed to perf/vsock_bench_l1.sh (BENCH_CMD_petrel=...)
# --table-only D  re-make table.md from D/console.log, no boot
# Run as root (the nested harness needs it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=3 MIB=64 CONFIGS="petrel qemu" OUT="" BUILD="$REPO/build-bench" DO_BUILD=1 TABLE_ONLY=""
EXTRA=()
usage() { sed -n '14,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?}; shift 2 ;;
    --mib) MIB=${2:?}; shift 2 ;;
    --configs) CONFIGS=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --env) [[ ${2:-} == [A-Za-z_]*=* ]] || usage; EXTRA+=(--env "$2"); shift 2 ;;
    --table-only) TABLE_ONLY=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "vsock_bench: unknown argument $1" >&2; usage ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $MIB =~ ^[1-9][0-9]*$ ]] || usage
for c in $CONFIGS; do case "$c" in petrel|qemu) ;; *) usage ;; esac; done
say() { echo "vsock_bench: $*" >&2; }
# shellcheck source=perf/bench_common.sh
. "$REPO/perf/bench_common.sh"

# table DIR: DIR/console.log -> DIR/raw.tsv, DIR/info.txt, DIR/skipped.tsv,
# DIR/table.md (printed).
table() {
  local dir=$1
  grep -a '^PERF-INFO ' "$dir/console.log" | sed 's/^PERF-INFO //; s/\r$//' >"$dir/info.txt" || true
  grep -a '^PERF-VSOCK ' "$dir/console.log" | tr -d '\r' | awk '
    BEGIN {
      n = split("config iter try dir bytes sink_ms sink_mbps src_ms src_mbps write_ms drained", col, " ")
      for (i = 1; i <= n; i++) printf "%s%s", col[i], (i < n ? "\t" : "\n")
    }
    {
      delete v
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      for (i = 1; i <= n; i++) printf "%s%s", (col[i] in v ? v[col[i]] : "n/a"), (i < n ? "\t" : "\n")
    }' >"$dir/raw.tsv"
  grep -a '^PETREL-RESULT vsock-[^ ]* SKIP' "$dir/console.log" | tr -d '\r' |
    sed 's/^PETREL-RESULT vsock-\([^ ]*\) SKIP \{0,1\}/\1\t/' >"$dir/skipped.tsv" || true
  local configs
  configs=$(sed -n 's/.* configs=\([^ ]*\).*/\1/p' "$dir/info.txt" | head -1 | tr ',' ' ')
  local mib
  mib=$(sed -n 's/.* mib=\([0-9]*\).*/\1/p' "$dir/info.txt" | head -1)

  awk -F'\t' -v configs="$configs" -v mib="${mib:-?}" -v skipfile="$dir/skipped.tsv" '
    function sortv(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    }
    # stat(config, dir, metric): "median (min–max)" of the runs, MiB/s
    function stat(c, d, m,   a, n, k, x, med) {
      n = 0
      for (k = 1; k <= cnt[c, d]; k++) { x = val[c, d, k, m]; if (x != "" && x != "n/a" && x + 0 > 0) a[++n] = x + 0 }
      if (n == 0) return "n/a"
      sortv(a, n)
      med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      if (n == 1) return sprintf("%.1f", med)
      return sprintf("%.1f (%.1f–%.1f)", med, a[1], a[n])
    }
    NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    {
      c = $idx["config"]; d = $idx["dir"]
      k = ++cnt[c, d]
      val[c, d, k, "sink"] = $idx["sink_mbps"]
      # the sender'"'"'s figure only when it saw the receiver close (drained=1)
      val[c, d, k, "src"] = ($idx["drained"] == 1) ? $idx["src_mbps"] : "n/a"
      if (!(c in seen)) { seen[c] = 1; extra[++ne] = c }
    }
    END {
      while ((getline line < skipfile) > 0) { split(line, f, "\t"); skip[f[1]] = f[2] }
      nc = split(configs, cs, " ")
      if (nc == 0) for (i = 1; i <= ne; i++) cs[++nc] = extra[i]
      desc["petrel"] = "Petrel (hybrid vsock, UNIX socket)"; desc["qemu"] = "QEMU (vhost-vsock-pci)"
      nd = split("g2h h2g", ds, " ")
      ddesc["g2h"] = "guest→host"; ddesc["h2g"] = "host→guest"
      head = "| direction |"; sep = "|---|"
      for (i = 1; i <= nc; i++) { head = head " " (cs[i] in desc ? desc[cs[i]] : cs[i]) " |"; sep = sep "---|" }
      printf "One stream of %s MiB per direction, 64 KiB writes; MiB/s, median (min–max) over the runs.\n", mib
      print "Receiver: its first byte to EOF. Sender: its first write until the receiver closed."
      print ""
      print head; print sep
      for (j = 1; j <= nd; j++) {
        for (m = 1; m <= 2; m++) {
          d = ds[j]; mt = (m == 1) ? "sink" : "src"
          row = "| " ddesc[d] ", " (m == 1 ? "receiver" : "sender") " |"
          for (i = 1; i <= nc; i++) {
            c = cs[i]
            if (c in skip) cellv = "not measured"
            else if (cnt[c, d] == 0) cellv = "–"
            else cellv = stat(c, d, mt)
            row = row " " cellv " |"
          }
          print row
        }
      }
      for (i = 1; i <= nc; i++) if (cs[i] in skip) printf "\n%s skipped: %s\n", cs[i], skip[cs[i]]
    }' "$dir/raw.tsv" >"$dir/table.md"
  cat "$dir/table.md"
}

if [ -n "$TABLE_ONLY" ]; then
  table "$TABLE_ONLY"
  exit 0
fi

OUT=${OUT:-$REPO/perf/results/vsock-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
case " $CONFIGS " in
  *" petrel "*) [ "$DO_BUILD" = 1 ] && bench_build "$BUILD" petrel ;;
esac
bench_payload petrel-vsockbench
if [ -f "$BUILD/vmm/petrel" ]; then cp "$BUILD/vmm/petrel" "$PAYLOAD/bin/"
else say "no $BUILD/vmm/petrel: Petrel will be skipped"; fi

envs=(--env "BENCH_RUNS=$RUNS" --env "BENCH_MIB=$MIB" --env "BENCH_CONFIGS=$CONFIGS"
  ${EXTRA[@]+"${EXTRA[@]}"})
# L1 boot (~2 min under TCG); per run and VMM a guest boot (~30 s) and two
# streams (nested TCG: ~10-20 MiB/s, so ~MIB/10 s each).
nconf=$(echo "$CONFIGS" | wc -w)
timeout=$((300 + RUNS * nconf * (120 + MIB)))
bench_host_info "$OUT" "perf/vsock_bench.sh --runs $RUNS --mib $MIB --configs \"$CONFIGS\""
say "results in $OUT; one L1 boot, $RUNS run(s) per configuration, $MIB MiB per direction, timeout ${timeout} s"
bench_run_l1 "$OUT" "$REPO/perf/vsock_bench_l1.sh" "$timeout" "${envs[@]}"
