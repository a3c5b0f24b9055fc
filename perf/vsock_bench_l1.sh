#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/vsock_bench_l1.sh: the L1 half of perf/vsock_bench.sh. Runs inside the
# nested harness's L1 (busybox sh, as /payload/run-tests.sh) on L1's real KVM.
# Owns the vsock stream loop: for each iteration and configuration it boots
# one L2 guest (the kit's Debian kernel + initrd.img, 2 vCPUs, 512 MiB) with
# a vsock device (guest CID 3) and moves BENCH_MIB MiB one way in each
# direction with the kit's vsock_peer (ci/guest-kit/vsock_peer.c):
#
#   g2h  guest `vsock-source 2 5000 B`  ->  L1 sink on port 5000
#   h2g  L1 source to port 6000         ->  guest `vsock-sink 6000`
#
# Petrel (Cloud Hypervisor's hybrid vsock, --vsock cid=3,socket=S): the L1
# sink is `unix-sink S_5000`, the L1 source `hybrid-source S 6000 B`.
# QEMU (-device vhost-vsock-pci,guest-cid=3, the L1 kernel's vhost_vsock):
# the L1 uses AF_VSOCK, `vsock-sink 5000` and `vsock-source 3 6000 B`.
# The guest runs the same command in both. Per direction it prints
#
#   PERF-VSOCK config=NAME iter=I try=T dir=g2h|h2g bytes=B sink_ms=S
#              sink_mbps=R src_ms=T2 src_mbps=R2 write_ms=W drained=D
#
# sink_*: the receiver's time from its first byte to EOF; src_*: the
# sender's time from its first write until the receiver closed (drained=1;
# see vsock_peer.c); MiB/s. One PETREL-RESULT per configuration.
#
# Environment (run.sh --env): BENCH_RUNS (3), BENCH_CONFIGS ("petrel qemu"),
# BENCH_MIB (64, per direction), BENCH_WATCHDOG_S (per VM, default 300 +
# BENCH_MIB * 4), BENCH_CMD_<config> to replace a configuration's VMM command
# (eval'd; see the defaults below).
# shellcheck disable=SC2016,SC2034,SC2154  # the VMM commands are eval'd strings
result() { echo "PETREL-RESULT $*"; }

P=/payload
PETREL=$P/bin/petrel
QEMU=$P/bin/qemu-system-x86_64
PEER=$PETREL_KIT/vsock_peer
RUNS=${BENCH_RUNS:-3}
CONFIGS=${BENCH_CONFIGS:-petrel qemu}
MIB=${BENCH_MIB:-64}
BYTES=$((MIB * 1048576))
MEM_MIB=512
SOCK=/tmp/vsb.sock
G2H_PORT=5000
H2G_PORT=6000
# shellcheck disable=SC1091
. "$PETREL_KIT/kit.env"
BZIMAGE=$PETREL_KIT/bzImage
VMLINUX=$PETREL_KIT/vmlinux
INITRD=$PETREL_KIT/initrd.img

# The VMM command of each configuration, eval'd with APPEND (set per run).
# Petrel: the kit's bzImage, as the functional vsock test boots it. QEMU:
# microvm with PCIe and the PVH vmlinux (as perf/io_bench_l1.sh), vhost-vsock.
PETREL_CMD='"$PETREL" --kernel "$BZIMAGE" --initramfs "$INITRD" --cmdline "$APPEND" --cpus boot=2 --memory size=${MEM_MIB}M --serial tty --console off --vsock cid=3,socket=$SOCK'
QEMU_CMD='"$QEMU" -M microvm,pcie=on -enable-kvm -cpu host -m ${MEM_MIB}M -smp 2 -nodefaults -no-user-config -nographic -serial stdio -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND" -device vhost-vsock-pci,guest-cid=3'
: "${BENCH_CMD_petrel:=$PETREL_CMD}"
: "${BENCH_CMD_qemu:=$QEMU_CMD}"

if [ ! -c /dev/kvm ]; then
  for c in $CONFIGS; do result "vsock-$c" SKIP "no /dev/kvm in L1"; done
  exit 0
fi

echo "PERF-INFO l1_kernel=$(uname -r) l1_cpus=$(grep -c ^processor /proc/cpuinfo) l1_mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
echo "PERF-INFO qemu=$("$QEMU" --version 2>&1 | head -1 | tr ' ' '_')"
echo "PERF-INFO petrel=$("$PETREL" --version 2>&1 | head -1 | tr ' ' '_')"  # "not found" if absent
echo "PERF-INFO runs=$RUNS mib=$MIB mem_mib=$MEM_MIB vcpus=2 configs=$(printf '%s' "$CONFIGS" | tr -s ' ' ',')"

# QEMU's vhost-vsock: /dev/vhost-vsock and AF_VSOCK in L1 (the kit's L1
# modules; l1-init.sh loads only kvm).
qemu_why=""
case " $CONFIGS " in
  *" qemu "*)
    for m in vhost_iotlb vhost vsock vmw_vsock_virtio_transport_common vhost_vsock; do
      [ -f "/lib/modules/l1/$m.ko" ] || { qemu_why="qemu: no $m.ko in the kit's L1 modules"; break; }
      insmod "/lib/modules/l1/$m.ko" 2>/tmp/insmod.err ||
        grep -q 'File exists' /tmp/insmod.err || { qemu_why="qemu: insmod $m: $(cat /tmp/insmod.err)"; break; }
    done
    if [ -z "$qemu_why" ] && [ ! -c /dev/vhost-vsock ]; then
      # devtmpfs normally makes it; misc minor from /proc/misc otherwise.
      minor=$(awk '$2 == "vhost-vsock" { print $1 }' /proc/misc)
      [ -n "$minor" ] && mknod /dev/vhost-vsock c 10 "$minor"
      [ -c /dev/vhost-vsock ] || qemu_why="qemu: no /dev/vhost-vsock"
    fi ;;
esac

skip_why() {
  case "$1" in
    petrel)
      if [ ! -x "$PETREL" ]; then echo "petrel: no binary in the payload"; return; fi
      "$PETREL" --help 2>&1 | grep -q -- '--vsock' || echo "petrel: no --vsock" ;;
    qemu)
      if [ ! -x "$QEMU" ]; then echo "qemu: no binary in the payload"; return; fi
      [ -z "$qemu_why" ] || echo "$qemu_why" ;;
    *) eval "[ -n \"\${BENCH_CMD_$1:-}\" ]" || echo "$1: no command (BENCH_CMD_$1)" ;;
  esac
}

CR=$(printf '\r')

# kv LINE KEY: the value of KEY=... in LINE (empty if absent).
kv() {
  for w in $1; do
    case "$w" in "$2"=*) echo "${w#*=}"; return ;; esac
  done
}

# The guest's part: the h2g sink in the background, then the g2h source, then
# wait for the h2g stream to end and print the sink's line.
GUEST_CMD="vsock_peer vsock-sink $H2G_PORT >/tmp/sink.log 2>&1 &
sleep 1
echo VSB-G2H-BEGIN
vsock_peer vsock-source 2 $G2H_PORT $BYTES 2>&1 | sed 's/^/VSB-G2H /'
echo VSB-H2G-READY
i=0; while ! grep -q -e PETREL-VSOCK-STREAM -e PETREL-VSOCK-FAIL /tmp/sink.log && [ \$i -lt 600 ]; do sleep 1; i=\$((i + 1)); done
sed 's/^/VSB-H2G /' /tmp/sink.log"

# run_one CONFIG ITER TRY: one VM, both directions; prints two PERF-VSOCK
# lines; returns 0 if both directions produced a result.
run_one() {
  c=$1 it=$2 try=$3
  cmd=$(printf '%s\n' "$GUEST_CMD" | base64 -w0)
  APPEND="$PETREL_KIT_L2_CMDLINE petrel.cmd=$cmd petrel.end=poweroff"
  eval "vmm_cmd=\$BENCH_CMD_$c"
  wd=${BENCH_WATCHDOG_S:-$((300 + MIB * 4))}
  rm -f "$SOCK" "${SOCK}_$G2H_PORT" /tmp/con.fifo /tmp/con.log /tmp/g2h-sink.log /tmp/h2g-src.log
  # The L1 end of g2h: listening before the guest boots.
  case "$c" in
    petrel) "$PEER" unix-sink "${SOCK}_$G2H_PORT" >/tmp/g2h-sink.log 2>&1 & ;;
    *) "$PEER" vsock-sink $G2H_PORT >/tmp/g2h-sink.log 2>&1 & ;;
  esac
  sink_pid=$!
  mkfifo /tmp/con.fifo
  ( eval "exec timeout -s KILL $wd $vmm_cmd" ) </dev/null >/tmp/con.fifo 2>/tmp/vmm.err &
  pid=$!
  g2h_src="" h2g_sink=""
  while IFS= read -r line; do
    line=${line%"$CR"}
    echo "$line" >>/tmp/con.log
    case "$line" in
      "VSB-G2H PETREL-VSOCK-STREAM"*) g2h_src=$line ;;
      "VSB-H2G PETREL-VSOCK-STREAM"*) h2g_sink=$line ;;
      VSB-H2G-READY*)
        # The L1 end of h2g, while the guest waits for the stream.
        case "$c" in
          petrel) "$PEER" hybrid-source "$SOCK" $H2G_PORT $BYTES >/tmp/h2g-src.log 2>&1 ;;
          *) "$PEER" vsock-source 3 $H2G_PORT $BYTES >/tmp/h2g-src.log 2>&1 ;;
        esac ;;
    esac
  done </tmp/con.fifo
  wait $pid
  rc=$?
  kill $sink_pid 2>/dev/null
  wait $sink_pid 2>/dev/null
  g2h_sink=$(grep -m1 'PETREL-VSOCK-STREAM role=sink' /tmp/g2h-sink.log 2>/dev/null)
  h2g_src=$(grep -m1 'PETREL-VSOCK-STREAM role=source' /tmp/h2g-src.log 2>/dev/null)
  good=0
  for d in g2h h2g; do
    eval "sl=\$${d}_sink sr=\$${d}_src"
    if [ -z "$sl" ] || [ -z "$sr" ]; then continue; fi
    b=$(kv "$sl" bytes)
    if [ "$b" != "$BYTES" ]; then
      echo "PERF-FAIL config=$c iter=$it try=$try dir=$d the sink got $b of $BYTES bytes"
      continue
    fi
    echo "PERF-VSOCK config=$c iter=$it try=$try dir=$d bytes=$b sink_ms=$(kv "$sl" ms) sink_mbps=$(kv "$sl" MBps) src_ms=$(kv "$sr" ms) src_mbps=$(kv "$sr" MBps) write_ms=$(kv "$sr" write_ms) drained=$(kv "$sr" drained)"
    good=$((good + 1))
  done
  if [ "$good" -ne 2 ]; then
    echo "PERF-FAIL config=$c iter=$it try=$try $good of 2 directions, vmm exit $rc; last console lines, VMM stderr, L1 ends:"
    tail -n 15 /tmp/con.log 2>/dev/null | sed 's/^/PERF-FAIL   /'
    tail -n 10 /tmp/vmm.err | sed 's/^/PERF-FAIL   /'
    cat /tmp/g2h-sink.log /tmp/h2g-src.log 2>/dev/null | tail -n 6 | sed 's/^/PERF-FAIL   L1: /'
    return 1
  fi
  return 0
}

for c in $CONFIGS; do eval "fails_$c=0"; done
iter=1
while [ "$iter" -le "$RUNS" ]; do
  for c in $CONFIGS; do
    [ -z "$(skip_why "$c")" ] || continue
    run_one "$c" "$iter" 1 || run_one "$c" "$iter" 2 || eval "fails_$c=\$((fails_$c + 1))"
  done
  iter=$((iter + 1))
done

for c in $CONFIGS; do
  why=$(skip_why "$c")
  if [ -n "$why" ]; then result "vsock-$c" SKIP "$why"; continue; fi
  eval "f=\$fails_$c"
  if [ "$f" = 0 ]; then result "vsock-$c" PASS "$RUNS runs"; else result "vsock-$c" FAIL "$f of $RUNS runs failed twice"; fi
done
exit 0
