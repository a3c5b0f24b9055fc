#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/io_bench_l1.sh: the L1 half of perf/io_bench.sh. Runs inside the nested
# harness's L1 (busybox sh, as /payload/run-tests.sh) on L1's real KVM.
# Owns the I/O benchmark loop: for each iteration and configuration it boots
# one L2 guest (the kit's kernel + /payload/initrd-bench.img) with a virtio-blk
# disk (a raw image on L1's tmpfs) and a virtio-net device on a tap, runs
# perf/io_bench_guest.sh in it through petrel.cmd, and prints per test
#
#   PERF-IO config=NAME iter=I try=T test=TEST mib_s=X iops=Y bytes=B [retr=R]
#           cpu_ticks=C guest_ticks=G
#
# where cpu_ticks is the VMM process's utime+stime (/proc/PID/stat fields 14
# and 15, USER_HZ = 100 ticks/s) between the guest's IOB-BEGIN and IOB-END
# lines, and guest_ticks the part of it its vCPU spent in the guest (field 43,
# guest_time, which utime includes). The L1 runs the iperf3 server (on the tap's address). One
# PETREL-RESULT per configuration for the harness; a Petrel whose --help lacks
# --disk/--net is reported as SKIP.
#
# Environment (run.sh --env): BENCH_RUNS (1), BENCH_CONFIGS (all of:
# petrel-uring petrel-sync qemu-uring qemu-threads), BENCH_SECONDS (10, per
# test), BENCH_IMG_MIB (256), BENCH_BLK_TESTS ("seqread seqwrite randread"),
# BENCH_NET_TESTS ("tx rx"; run in the configs whose name ends in -uring:
# the block engine does not change the network path), BENCH_WATCHDOG_S
# (boot + tests + 120), and BENCH_CMD_<config with - as _> to replace a
# configuration's VMM command (eval'd; see the defaults below).
# shellcheck disable=SC2016,SC2034,SC2154  # the VMM commands are eval'd strings
result() { echo "PETREL-RESULT $*"; }

P=/payload
PETREL=$P/bin/petrel
QEMU=$P/bin/qemu-system-x86_64
RUNS=${BENCH_RUNS:-1}
CONFIGS=${BENCH_CONFIGS:-petrel-uring petrel-sync qemu-uring qemu-threads}
SECS=${BENCH_SECONDS:-10}
IMG_MIB=${BENCH_IMG_MIB:-256}
BLK_TESTS=${BENCH_BLK_TESTS-seqread seqwrite randread}
NET_TESTS=${BENCH_NET_TESTS-tx rx}
MEM_MIB=512
IMG=/tmp/io-bench.img
TAP=iobtap0
HOSTIP=192.168.249.1
GUESTIP=192.168.249.2
MASK=255.255.255.0
# shellcheck disable=SC1091
. "$PETREL_KIT/kit.env"
KERNEL=$PETREL_KIT/vmlinux
INITRD=$P/initrd-bench.img
IOT=/tmp/iotools
IPERF3="$IOT/lib64/ld-linux-x86-64.so.2 --library-path $IOT/lib/x86_64-linux-gnu $IOT/usr/bin/iperf3"

# The VMM command of each configuration, eval'd with APPEND (kernel command
# line, set per run) and the variables above. Petrel: --disk's io_engine
# option picks the engine (io_uring, or its synchronous engine; see
# devices/virtio/blk/disk_config.h). The network tests run only in the
# *-uring configs.
PETREL_COMMON='"$PETREL" --kernel "$KERNEL" --initramfs "$INITRD" --cmdline "$APPEND" --cpus boot=1 --memory size=${MEM_MIB}M --serial tty --console off'
PETREL_URING="$PETREL_COMMON --disk path=\$IMG,io_engine=io_uring --net tap=\$TAP,ip=\$HOSTIP,mask=\$MASK"
: "${BENCH_CMD_petrel_uring:=$PETREL_URING}"
: "${BENCH_CMD_petrel_sync:=$PETREL_COMMON --disk path=\$IMG,io_engine=sync}"
# qcow2 (issue 13): the same disk as a qcow2 image with every cluster
# allocated (qemu-img preallocation=metadata), Petrel and QEMU on the same
# file. Not in the default set: --configs "petrel-qcow2-uring qemu-qcow2-uring".
QIMG=/tmp/io-bench.qcow2
: "${BENCH_CMD_petrel_qcow2_uring:=$PETREL_COMMON --disk path=\$QIMG,io_engine=io_uring}"
# The cost of filtering: petrel-uring with the seccomp filters off (the
# default is --seccomp true). Not in the default set: --configs asks for it.
: "${BENCH_CMD_petrel_uring_noseccomp:=$PETREL_URING --seccomp false}"
# QEMU: microvm with PCIe (ACPI-described ECAM), the PVH vmlinux, virtio-blk-pci
# on the same raw image (cache=writeback: the image is on tmpfs, which has no
# O_DIRECT), virtio-net-pci on a tap without vhost.
QEMU_COMMON='"$QEMU" -M microvm,pcie=on -enable-kvm -cpu host -m ${MEM_MIB}M -smp 1 -nodefaults -no-user-config -nographic -serial stdio -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" -netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off -device virtio-net-pci,netdev=n0,romfile='
: "${BENCH_CMD_qemu_uring:=$QEMU_COMMON -drive file=\$IMG,if=none,id=d0,format=raw,cache=writeback,aio=io_uring -device virtio-blk-pci,drive=d0}"
: "${BENCH_CMD_qemu_qcow2_uring:=$QEMU_COMMON -drive file=\$QIMG,if=none,id=d0,format=qcow2,cache=writeback,aio=io_uring -device virtio-blk-pci,drive=d0}"
: "${BENCH_CMD_qemu_threads:=$QEMU_COMMON -drive file=\$IMG,if=none,id=d0,format=raw,cache=writeback,aio=threads -device virtio-blk-pci,drive=d0}"

if [ ! -c /dev/kvm ]; then
  for c in $CONFIGS; do result "io-$c" SKIP "no /dev/kvm in L1"; done
  exit 0
fi

# --- L1 set-up: tun, the iperf3 server, the disk image ------------------------
insmod /lib/modules/l1/tun.ko 2>/dev/null
if [ ! -c /dev/net/tun ]; then mkdir -p /dev/net && mknod /dev/net/tun c 10 200; fi
mkdir -p $IOT && tar -xf $P/iotools.tar -C $IOT
ip link set lo up
$IPERF3 -s >/tmp/iperf3-server.log 2>&1 &
iperf_pid=$!
dd if=/dev/zero of=$IMG bs=1M count="$IMG_MIB" 2>/dev/null
case " $CONFIGS " in
  *qcow2*) "$P/bin/qemu-img" create -q -f qcow2 -o preallocation=metadata "$QIMG" "${IMG_MIB}M" ||
    echo "PERF-FAIL qemu-img could not make $QIMG" ;;
esac

echo "PERF-INFO l1_kernel=$(uname -r) l1_cpus=$(grep -c ^processor /proc/cpuinfo) l1_mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
echo "PERF-INFO qemu=$("$QEMU" --version | head -1 | tr ' ' '_')"
echo "PERF-INFO petrel=$("$PETREL" --version 2>&1 | head -1 | tr ' ' '_')"  # "not found" if absent
echo "PERF-INFO fio=$($IOT/lib64/ld-linux-x86-64.so.2 --library-path $IOT/lib/x86_64-linux-gnu $IOT/usr/bin/fio --version) iperf3=$($IPERF3 --version | head -1 | cut -d' ' -f2)"
echo "PERF-INFO runs=$RUNS seconds=$SECS img_mib=$IMG_MIB mem_mib=$MEM_MIB configs=$(printf '%s' "$CONFIGS" | tr -s ' ' ',') blk=$(printf '%s' "$BLK_TESTS" | tr -s ' ' ',') net=$(printf '%s' "$NET_TESTS" | tr -s ' ' ',')"

petrel_ok=1
petrel_why=""
if [ ! -x "$PETREL" ]; then petrel_ok=0; petrel_why="petrel: no binary in the payload"
elif ! "$PETREL" --help 2>&1 | grep -q -- '--disk'; then petrel_ok=0; petrel_why="petrel: no --disk support yet"
elif ! "$PETREL" --help 2>&1 | grep -q -- '--net'; then petrel_ok=0; petrel_why="petrel: no --net support yet"; fi

tests_of() {  # tests_of CONFIG
  case "$1" in
    *qcow2*) echo "$BLK_TESTS" ;;  # no network device in those
    *-uring|*-uring-noseccomp) echo "$BLK_TESTS $NET_TESTS" ;;
    *) echo "$BLK_TESTS" ;;
  esac
}

# cpu_ticks PID VAR: sets VAR_cpu to utime + stime and VAR_guest to guest_time
# (fields 14, 15 and 43 of /proc/PID/stat, proc(5)), builtins only. The
# vCPU threads' time in guest mode is counted in utime and again in
# guest_time, so cpu - guest is the VMM's own work (device emulation, exits).
cpu_ticks() {
  s="" var=$2
  # shellcheck disable=SC2015  # either failing means no sample
  [ -r "/proc/$1/stat" ] && read -r s <"/proc/$1/stat" || { eval "${var}_cpu=-1 ${var}_guest=-1"; return; }
  s=${s##*) }  # drop "pid (comm) "; fields 3.. remain, so field N is $((N - 2))
  # shellcheck disable=SC2086
  set -- $s
  eval "${var}_cpu=$((${12} + ${13})) ${var}_guest=${41}"
}

# tap_drops VAR: sets VAR_drops to the packets the host dropped on the way to
# the VMM (the tap's tx_dropped: its queue was full because the VMM did not
# read fast enough); 0 if there is no tap.
tap_drops() {
  d=0
  [ -r /sys/class/net/$TAP/statistics/tx_dropped ] && read -r d </sys/class/net/$TAP/statistics/tx_dropped
  eval "${1}_drops=$d"
}

# run_one CONFIG ITER TRY: one VM; prints PERF-IO lines; returns 0 if every
# test produced a result.
run_one() {
  c=$1 it=$2 try=$3
  tests=$(tests_of "$c")
  cmd=$(printf 'sh /io_bench_guest.sh %s %s/24 %s %s' "$SECS" "$GUESTIP" "$HOSTIP" "$tests" | base64 -w0)
  APPEND="$PETREL_KIT_L2_CMDLINE petrel.cmd=$cmd petrel.end=poweroff"
  v=BENCH_CMD_$(echo "$c" | tr - _)
  eval "vmm_cmd=\$$v"
  ntests=$(echo "$tests" | wc -w)
  wd=${BENCH_WATCHDOG_S:-$((ntests * (SECS + 15) + 120))}
  rm -f /tmp/con.fifo /tmp/con.log
  mkfifo /tmp/con.fifo
  # The subshell execs busybox timeout, which execs the VMM in the same
  # process (its watchdog is a child): $! is the VMM.
  ( eval "exec timeout -s KILL $wd $vmm_cmd" ) >/tmp/con.fifo 2>/tmp/vmm.err &
  pid=$!
  # The tap exists once the VMM opened it: give it the host address (Petrel
  # with ip= may already have done so; then this fails harmlessly).
  ( i=0
    while [ ! -d /sys/class/net/$TAP ] && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
    ip addr add $HOSTIP/24 dev $TAP 2>/dev/null; ip link set $TAP up ) &
  good=0 done_seen=0 b_cpu=-1 e_cpu=-1 b_drops=0 e_drops=0
  while IFS= read -r line; do
    echo "$line" >>/tmp/con.log
    case "$line" in
      IOB-BEGIN*) cpu_ticks $pid b; tap_drops b ;;
      IOB-END*) cpu_ticks $pid e; tap_drops e ;;
      IOB-RESULT*)
        kv=${line#IOB-RESULT }
        kv=${kv% .*}  # the guest's trailing " ." (and the console's \r)
        ct=-1 gt=-1
        [ "$b_cpu" -ge 0 ] && [ "$e_cpu" -ge 0 ] && ct=$((e_cpu - b_cpu)) && gt=$((e_guest - b_guest))
        echo "PERF-IO config=$c iter=$it try=$try $kv cpu_ticks=$ct guest_ticks=$gt tap_drops=$((e_drops - b_drops))"
        good=$((good + 1)) ;;
      IOB-ERROR*) echo "PERF-FAIL config=$c iter=$it try=$try $line" ;;
      PETREL-GUEST-CMD-DONE*) done_seen=1 ;;
    esac
  done </tmp/con.fifo
  wait $pid
  rc=$?
  if [ "$good" -ne "$ntests" ]; then
    echo "PERF-FAIL config=$c iter=$it try=$try $good of $ntests tests, vmm exit $rc, cmd done $done_seen; last console lines and VMM stderr:"
    tail -n 15 /tmp/con.log | sed 's/^/PERF-FAIL   /'
    tail -n 10 /tmp/vmm.err | sed 's/^/PERF-FAIL   /'
    echo "PERF-FAIL   L1 tap: $(ip addr show $TAP 2>&1 | tr '\n' ' ')"
    return 1
  fi
  return 0
}

# skip_why CONFIG: why CONFIG cannot run (empty: it can).
skip_why() {
  case "$1" in petrel*) [ "$petrel_ok" = 1 ] || { echo "$petrel_why"; return; } ;; esac
  eval "[ -n \"\${BENCH_CMD_$(echo "$1" | tr - _):-}\" ]" ||
    echo "$1: no command (set BENCH_CMD_$1 in perf/io_bench_l1.sh)"
}

for c in $CONFIGS; do eval "fails_$(echo "$c" | tr - _)=0"; done
iter=1
while [ "$iter" -le "$RUNS" ]; do
  for c in $CONFIGS; do
    [ -z "$(skip_why "$c")" ] || continue
    run_one "$c" "$iter" 1 || run_one "$c" "$iter" 2 || eval "fails_$(echo "$c" | tr - _)=\$((fails_$(echo "$c" | tr - _) + 1))"
  done
  iter=$((iter + 1))
done
kill $iperf_pid 2>/dev/null

for c in $CONFIGS; do
  why=$(skip_why "$c")
  if [ -n "$why" ]; then result "io-$c" SKIP "$why"; continue; fi
  eval "f=\$fails_$(echo "$c" | tr - _)"
  if [ "$f" = 0 ]; then result "io-$c" PASS "$RUNS runs"; else result "io-$c" FAIL "$f of $RUNS runs failed twice"; fi
done
exit 0
