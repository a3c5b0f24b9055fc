#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/io_bench.sh: the block and network I/O benchmark, Petrel and QEMU side
# by side on the same KVM, guest kernel and disk image. Owns the host half:
# builds petrel, packs it with the host's QEMU, the kit's initrd-io.img (+
# perf/io_bench_guest.sh) and the kit's fio/iperf3 tree into a nested-harness
# payload, boots ONE L1 (ci/nested/run.sh) that runs perf/io_bench_l1.sh, then
# turns its PERF-IO lines into raw.tsv and table.md (median and min-max).
# Everything runs on the nested L1's KVM. See docs/performance.md.
#
#   perf/io_bench.sh [--runs N] [--configs "LIST"] [--seconds S] [--img-mib M]
#                    [--out DIR] [--build-dir DIR] [--no-build] [--env NAME=VAL]...
#                    [--table-only DIR]
#
# --runs N       VM boots per configuration (default 1; each runs all tests)
# --configs L    subset of: petrel-uring petrel-sync qemu-uring qemu-threads
#                petrel-uring-noseccomp (--seccomp false; not in the default)
#                petrel-qcow2-uring qemu-qcow2-uring (a preallocated qcow2
#                image; not in the default)
#                (default all; petrel-* print SKIP while petrel lacks --disk/--net)
# --seconds S    length of each fio / iperf3 test (default 10)
# --img-mib M    size of the raw disk image on L1's tmpfs (default 256)
# --out DIR      results (default perf/results/io-<date>): console.log, raw.tsv,
#                table.md, info.txt, host.txt
# --build-dir D  where to build petrel (default build-bench, Release)
# --no-build     use the petrel already in the build dir (none: petrel-* SKIP)
# --env N=V      passed to perf/io_bench_l1.sh, e.g. a VMM command:
#                --env 'BENCH_CMD_petrel_sync=...' (see io_bench_l1.sh)
# --table-only D re-make table.md from D/console.log, no boot
# Run as root (the nested harness needs it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=1 CONFIGS="" SECS=10 IMG_MIB=256 OUT="" BUILD="$REPO/build-bench" DO_BUILD=1 TABLE_ONLY=""
EXTRA=()
usage() { sed -n '10,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?}; shift 2 ;;
    --configs) CONFIGS=${2:?}; shift 2 ;;
    --seconds) SECS=${2:?}; shift 2 ;;
    --img-mib) IMG_MIB=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --env) [[ ${2:-} == [A-Za-z_]*=* ]] || usage; EXTRA+=(--env "$2"); shift 2 ;;
    --table-only) TABLE_ONLY=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "io_bench: unknown argument $1" >&2; usage ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $SECS =~ ^[1-9][0-9]*$ && $IMG_MIB =~ ^[1-9][0-9]*$ ]] || usage
say() { echo "io_bench: $*" >&2; }
# shellcheck source=perf/bench_common.sh
. "$REPO/perf/bench_common.sh"

# table DIR: DIR/console.log -> DIR/raw.tsv, DIR/info.txt, DIR/table.md (printed).
table() {
  local dir=$1
  grep -a '^PERF-INFO ' "$dir/console.log" | sed 's/^PERF-INFO //; s/\r$//' >"$dir/info.txt" || true
  grep -a '^PERF-IO ' "$dir/console.log" | tr -d '\r' | awk '
    BEGIN {
      n = split("config iter try test mib_s iops bytes retr cpu_ticks guest_ticks tap_drops", col, " ")
      for (i = 1; i <= n; i++) printf "%s%s", col[i], (i < n ? "\t" : "\n")
    }
    {
      delete v
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      for (i = 1; i <= n; i++) printf "%s%s", (col[i] in v ? v[col[i]] : "n/a"), (i < n ? "\t" : "\n")
    }' >"$dir/raw.tsv"
  # Configurations the L1 skipped, with the reason ("petrel: no --disk support yet").
  grep -a '^PETREL-RESULT io-[^ ]* SKIP' "$dir/console.log" | tr -d '\r' |
    sed 's/^PETREL-RESULT io-\([^ ]*\) SKIP \{0,1\}/\1\t/' >"$dir/skipped.tsv" || true
  local configs
  configs=$(sed -n 's/.* configs=\([^ ]*\).*/\1/p' "$dir/info.txt" | head -1 | tr ',' ' ')

  awk -F'\t' -v configs="$configs" -v skipfile="$dir/skipped.tsv" '
    function sortv(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    }
    # stat(list of values, fmt): "median" or "median (min–max)"
    function stat(c, t, m, fmt,   a, n, k, x, med) {
      n = 0
      for (k = 1; k <= cnt[c, t]; k++) { x = val[c, t, k, m]; if (x != "" && x != "n/a" && x != "-" && x >= 0) a[++n] = x }
      if (n == 0) return "n/a"
      sortv(a, n)
      med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      if (n == 1) return sprintf(fmt, med)
      return sprintf(fmt " (" fmt "–" fmt ")", med, a[1], a[n])
    }
    function cputab(m, ms, title,   i, j, t, c, row, cellv) {
      print ""; print title; print ""
      print head; print sep
      for (j = 1; j <= tn; j++) {
        t = ts[j]; row = "| " tdesc[t] " |"
        for (i = 1; i <= nc; i++) {
          c = cs[i]
          if (c in skip) cellv = "not yet measured"
          else if (cnt[c, t] == 0) cellv = "–"
          else cellv = stat(c, t, m, "%.2f") " [" stat(c, t, ms, "%.1f") "]"
          row = row " " cellv " |"
        }
        print row
      }
    }
    NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    {
      c = $idx["config"]; t = $idx["test"]
      k = ++cnt[c, t]
      val[c, t, k, "mib_s"] = $idx["mib_s"]
      val[c, t, k, "iops"] = $idx["iops"]
      b = $idx["bytes"]; ct = $idx["cpu_ticks"]
      # VMM CPU seconds (USER_HZ = 100) per GiB moved
      gt = $idx["guest_ticks"]
      val[c, t, k, "cpu"] = (b > 0 && ct >= 0) ? (ct / 100) / (b / 1073741824) : "n/a"
      val[c, t, k, "own"] = (b > 0 && ct >= 0 && gt >= 0) ? ((ct - gt) / 100) / (b / 1073741824) : "n/a"
      val[c, t, k, "cpus"] = (ct >= 0) ? ct / 100 : "n/a"
      val[c, t, k, "owns"] = (ct >= 0 && gt >= 0) ? (ct - gt) / 100 : "n/a"
      if (!(c in seen)) { seen[c] = 1; extra[++ne] = c }
    }
    END {
      while ((getline line < skipfile) > 0) { split(line, f, "\t"); skip[f[1]] = f[2] }
      nc = split(configs, cs, " ")
      if (nc == 0) for (i = 1; i <= ne; i++) cs[++nc] = extra[i]
      desc["petrel-uring"] = "Petrel io_uring"; desc["petrel-sync"] = "Petrel sync"
      desc["qemu-uring"] = "QEMU aio=io_uring"; desc["qemu-threads"] = "QEMU aio=threads"
      desc["petrel-uring-noseccomp"] = "Petrel io_uring, --seccomp false"
      desc["petrel-qcow2-uring"] = "Petrel qcow2 io_uring"; desc["qemu-qcow2-uring"] = "QEMU qcow2 aio=io_uring"
      tn = split("seqread seqwrite randread tx rx", ts, " ")
      tdesc["seqread"] = "seq. read 1 MiB, QD16"; tdesc["seqwrite"] = "seq. write 1 MiB, QD16"
      tdesc["randread"] = "rand. read 4 KiB, QD32"; tdesc["tx"] = "TCP guest→host"; tdesc["rx"] = "TCP host→guest"
      head = "| test |"; sep = "|---|"
      for (i = 1; i <= nc; i++) { head = head " " (cs[i] in desc ? desc[cs[i]] : cs[i]) " |"; sep = sep "---|" }
      print "Throughput in MiB/s (random read: IOPS), median (min–max) over the runs."
      print ""
      print head; print sep
      for (j = 1; j <= tn; j++) {
        t = ts[j]; row = "| " tdesc[t] " |"; any = 0
        for (i = 1; i <= nc; i++) {
          c = cs[i]
          if (c in skip) cellv = "not yet measured"
          else if (cnt[c, t] == 0) cellv = "–"
          else { any = 1; cellv = (t == "randread") ? stat(c, t, "iops", "%.0f") " IOPS" : stat(c, t, "mib_s", "%.1f") }
          row = row " " cellv " |"
        }
        print row
      }
      cputab("cpu", "cpus", "VMM CPU time per GiB moved (utime+stime of the whole VMM process, vCPU time in the guest included), s/GiB [CPU s during the test].")
      cputab("own", "owns", "The same without the vCPUs'"'"' time in the guest (utime+stime−guest_time): the VMM'"'"'s own work, s/GiB [CPU s].")
      for (c in skip) printf "\n%s skipped: %s", c, skip[c]
      print ""
    }' "$dir/raw.tsv" >"$dir/table.md"
  cat "$dir/table.md"
}

if [ -n "$TABLE_ONLY" ]; then
  table "$TABLE_ONLY"
  exit 0
fi

OUT=${OUT:-$REPO/perf/results/io-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
CONFIGS_EFF=${CONFIGS:-petrel-uring petrel-sync qemu-uring qemu-threads}

want_petrel=0
case " $CONFIGS_EFF " in *" petrel"*) want_petrel=1 ;; esac
if [ "$want_petrel" = 1 ] && [ "$DO_BUILD" = 1 ]; then bench_build "$BUILD" petrel; fi

# The guest kit: initrd-io.img (the kit's initrd + fio, iperf3) and the tools tree.
bash "$REPO/ci/guest-kit/build.sh" >&2
# shellcheck disable=SC1091
. "${PETREL_GUEST_KIT:-$HOME/.cache/petrel/guest-kit}/kit.env"
[ -s "${PETREL_KIT_INITRD_IO:-}" ] && [ -d "${PETREL_KIT_IOTOOLS:-}" ] ||
  { say "the guest kit has no initrd-io.img / iotools (ci/guest-kit/build.sh --force)"; exit 1; }

bench_payload petrel-iobench
if [ "$want_petrel" = 1 ]; then
  if [ -f "$BUILD/vmm/petrel" ]; then cp "$BUILD/vmm/petrel" "$PAYLOAD/bin/"
  else say "no $BUILD/vmm/petrel: the petrel configurations will be skipped"; fi
fi
# The guest script as one more (gzip'd) cpio after the kit's initrd-io.img.
G="$PAYLOAD/guest-stage"
mkdir -p "$G"
install -m 755 "$REPO/perf/io_bench_guest.sh" "$G/io_bench_guest.sh"
cp "$PETREL_KIT_INITRD_IO" "$PAYLOAD/initrd-bench.img"
(cd "$G" && echo io_bench_guest.sh | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >>"$PAYLOAD/initrd-bench.img"
rm -rf "$G"
# The tools tree as a tar: run.sh would add host libraries for every ELF file
# it finds in the payload; iperf3 in L1 runs with the tree's own loader.
tar -C "$PETREL_KIT_IOTOOLS" -cf "$PAYLOAD/iotools.tar" .

envs=(--env "BENCH_RUNS=$RUNS" --env "BENCH_SECONDS=$SECS" --env "BENCH_IMG_MIB=$IMG_MIB"
  --env "BENCH_CONFIGS=$CONFIGS_EFF" ${EXTRA[@]+"${EXTRA[@]}"})
# L1 boot (~1-2 min under TCG) + per VM boot (~30 s) and 5 tests of SECS + ~15 s each.
nconf=$(echo "$CONFIGS_EFF" | wc -w)
timeout=$((300 + RUNS * nconf * (60 + 5 * (SECS + 20))))
bench_host_info "$OUT" "perf/io_bench.sh --runs $RUNS --seconds $SECS --img-mib $IMG_MIB${CONFIGS:+ --configs \"$CONFIGS\"}"
say "results in $OUT; one L1 boot, $RUNS run(s) per configuration, ${SECS} s per test"
bench_run_l1 "$OUT" "$REPO/perf/io_bench_l1.sh" "$timeout" "${envs[@]}"
