#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/hotplug_bench_l1.sh: the L1 half of perf/hotplug_bench.sh (issue 14's
# benchmark). Runs inside the nested harness's L1 (busybox sh, as
# /payload/run-tests.sh) on L1's real KVM. For each VMM (petrel, qemu) and
# case it boots the kit's Debian guest (bzImage + initrd.img) once and does
# BENCH_RUNS plug / unplug rounds in it:
#
#   vcpu               1 -> 2 vCPUs and back (Petrel: resize --cpus; QEMU:
#                      -smp 1,maxcpus=2, device_add of the CPU that
#                      query-hotpluggable-cpus offers, device_del)
#   memory-virtio-mem  512 MiB + 512 MiB of a 1 GiB virtio-mem area and back
#                      (Petrel: resize --memory 1G / 512M; QEMU: qom-set
#                      requested-size 512M / 0)
#   memory-acpi        512 MiB of ACPI-hotplugged memory (Petrel: resize
#                      --memory with hotplug_method=acpi, recorded as not
#                      supported, PERF-UNSUP, if refused, as it was (400)
#                      before eca139d; QEMU: object-add memory-backend-ram +
#                      device_add pc-dimm, device_del)
#   disk               a raw 8 MiB image as virtio-blk and back (Petrel:
#                      add-disk / remove-device; QEMU: blockdev-add +
#                      device_add virtio-blk-pci on a pcie-root-port,
#                      device_del + blockdev-del)
#   balloon            a 1 GiB guest that filled and freed 600 MiB, balloon
#                      to 512 MiB and back (Petrel: resize --balloon 512M / 0;
#                      QEMU: virtio-balloon-pci, balloon 512M / 1G)
#
# The guest's probe (petrel.cmd, in the foreground: when it returns the kit's
# init runs petrel.end) onlines any offline CPU and prints
# "HPB c=<online CPUs> m=<MemTotal KiB> d=<vd disks> f=<fills>" every 100 ms;
# in memory cases it writes and frees BENCH_FILL_MIB of its root file system
# once the plugged memory is there (the balloon case: at boot and after each
# deflate), so that the host has the memory resident before RSS is read.
# Times run from just before the API call to the first probe line that shows
# the change (L1 reads the console log's tail every 100 ms): they include the
# client process (petrel-remote) or QMP round trip, the probe's 100 ms period
# and L1's 100 ms poll. It prints
#
#   PERF-HP <vmm> <case>:<metric> <run> <value> <unit>
#   PERF-SKIP vmm=V case=C reason...           (not measured, and why)
#   PERF-UNSUP vmm=V case=C reason...          (the VMM refuses the operation)
#   PERF-FAIL vmm=V case=C what happened
#
# plus PERF-INFO lines and one PETREL-RESULT per VMM for the harness.
#
# Environment (run.sh --env): BENCH_RUNS (3), BENCH_CONFIGS ("petrel qemu"),
# BENCH_CASES ("vcpu memory-virtio-mem memory-acpi disk balloon"),
# BENCH_BOOT_WD (150 s per guest boot), BENCH_WAIT_S (60 s per change),
# BENCH_FILL_MIB (600).
result() { echo "PETREL-RESULT $*"; }

P=${BENCH_PAYLOAD:-/payload}
PETREL=$P/bin/petrel
REMOTE=$P/bin/petrel-remote
QEMU=$P/bin/qemu-system-x86_64
RUNS=${BENCH_RUNS:-3}
CONFIGS=${BENCH_CONFIGS:-petrel qemu}
CASES=${BENCH_CASES:-vcpu memory-virtio-mem memory-acpi disk balloon}
BOOT_WD=${BENCH_BOOT_WD:-150}
WAIT_S=${BENCH_WAIT_S:-60}
FILL=${BENCH_FILL_MIB:-600}
# shellcheck disable=SC1091
. "$PETREL_KIT/kit.env"
KERNEL=$PETREL_KIT/bzImage
INITRD=$PETREL_KIT/initrd.img
BASE="${PETREL_KIT_L2_CMDLINE:-console=ttyS0 quiet} memhp_default_state=online_movable"
W=${BENCH_WORK:-/tmp/hpb}
mkdir -p $W
OUT=$W/guest.out
IMG=$W/hot.img
dd if=/dev/zero of=$IMG bs=1M count=8 2>/dev/null

b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
PROBE=$(b64 'F=0 M=none; for a in $(cat /proc/cmdline); do case $a in hpb.fill=*) F=${a#*=} ;; hpb.mode=*) M=${a#*=} ;; esac; done
mt() { while read k v r; do [ "$k" = MemTotal: ] && { m=$v; return; }; done < /proc/meminfo; }
fill() { dd if=/dev/zero of=/hpb-fill bs=1M count=$F 2>/dev/null; rm -f /hpb-fill; n=$((n + 1)); }
mt; b=$m; n=0; st=low
[ "$M" = balloon ] && fill
echo HPB-READY
while true; do for c in /sys/devices/system/cpu/cpu[0-9]*; do if [ -f $c/online ]; then read o < $c/online; [ "$o" = 0 ] && echo 1 > $c/online 2>/dev/null; fi; done; mt; read cpus < /sys/devices/system/cpu/online; d=; for x in /sys/block/vd*; do [ -e "$x" ] && d="$d${x##*/},"; done
echo "HPB c=$cpus m=$m d=$d f=$n"
if [ "$M" = grow ]; then if [ $st = low ] && [ $m -gt $((b + 500000)) ]; then fill; st=high; elif [ $m -lt $((b + 100000)) ]; then st=low; fi; fi
if [ "$M" = balloon ]; then if [ $st = low ] && [ $m -lt $((b - 400000)) ]; then st=ball; elif [ $st = ball ] && [ $m -gt $((b - 20000)) ]; then fill; st=low; fi; fi
sleep 0.1; done')

if [ -r /proc/timer_list ] && grep -q '^now at' /proc/timer_list; then
  now_ms() { awk '/^now at/ { printf "%.3f", $3 / 1e6; exit }' /proc/timer_list; }
  CLOCK="timer_list(ns)"
else
  now_ms() { awk '{ printf "%.3f", $1 * 1000 }' /proc/uptime; }
  CLOCK="uptime(10ms)"
fi
dms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
RUN=0
perf() { echo "PERF-HP $1 $2 $RUN ${3:-n/a} $4"; }
skip() { v=$1 c=$2; shift 2; echo "PERF-SKIP vmm=$v case=$c $*"; }
unsup() { v=$1 c=$2; shift 2; echo "PERF-UNSUP vmm=$v case=$c $*"; }
failm() { v=$1 c=$2; shift 2; echo "PERF-FAIL vmm=$v case=$c $*"; eval "FAILS_$v=\$((\${FAILS_$v:-0} + 1))"; }
stop_pid() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# last: the probe's latest line (the log's last 400 bytes: one process per
# poll, L1 has one TCG vCPU that the guest needs too); parse: hc hm hd hf :=
# its fields; cond EXPR: parse, then the shell test EXPR over them (e.g.
# '[ "$hc" = 0-1 ]', '[ "${hm:-0}" -ge 1000 ]'); wait_cond EXPR SECS: polls
# cond every 100 ms.
last() { tail -c 400 $OUT 2>/dev/null | grep -a -o 'HPB c=[0-9,-]* m=[0-9]* d=[a-z0-9,]* f=[0-9]*' | tail -1; }
# shellcheck disable=SC2034  # hc hm hd hf are read by cond's and field's eval
parse() {
  hc="" hm="" hd="" hf="" HL=$(tail -c 400 $OUT 2>/dev/null)
  HL=${HL##*HPB c=}
  case "$HL" in *" m="*" d="*" f="[0-9]*) ;; *) return 1 ;; esac
  hc=${HL%% *}; HL=${HL#* m=}; hm=${HL%% *}; HL=${HL#* d=}; hd=${HL%% *}; HL=${HL#* f=}
  hf=${HL%%[!0-9]*}
  return 0
}
cond() { parse && eval "$1" 2>/dev/null; }
wait_cond() {
  n=0 lim=$(($2 * 10))
  while [ $n -lt $lim ]; do
    cond "$1" && return 0
    usleep 100000; n=$((n + 1))
  done
  return 1
}
field() { parse; eval "echo \$h$1"; }

# --- QMP over a pipe chardev (as perf/snapshot_bench_l1.sh) --------------------
qmp_mkfifo() { rm -f "$1.in" "$1.out"; mkfifo "$1.in" "$1.out"; }
qmp_open() { eval "exec $1<>\"$3.in\" $2<>\"$3.out\""; }
qmp_close() { eval "exec $1>&- $2>&-"; }
qmp() {
  eval "printf '%s\n' \"\$3\" >&$1"
  while :; do
    QMP_REPLY=""
    eval "read -t 30 -r QMP_REPLY <&$2" || return 1
    case "$QMP_REPLY" in *'"return"'*|*'"error"'*) return 0 ;; esac
  done
}
q() { qmp 3 4 "$1"; case "$QMP_REPLY" in *'"error"'*) return 1 ;; esac; }
jnum() { printf '%s' "$QMP_REPLY" | sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p"; }

# boot VMM CASE MODE OPTS...: starts the guest (hpb.mode=MODE), VPID, QMP on
# fds 3/4 for qemu; 1 (and PERF-FAIL) if no probe line within BOOT_WD.
boot() {
  vmm=$1 c=$2 mode=$3
  shift 3
  rm -f $OUT $W/api.sock
  cl="$BASE hpb.mode=$mode hpb.fill=$FILL petrel.end=poweroff petrel.cmd=$PROBE"
  if [ "$vmm" = petrel ]; then
    "$PETREL" --kernel "$KERNEL" --initramfs "$INITRD" --cmdline "$cl" --serial tty --console off \
      --api-socket "path=$W/api.sock" "$@" </dev/null >$OUT 2>$OUT.err &
    VPID=$!
  else
    qmp_mkfifo $W/qmp
    "$QEMU" -M q35 -enable-kvm -cpu host -nodefaults -no-user-config -nographic -serial stdio -no-reboot \
      -kernel "$KERNEL" -initrd "$INITRD" -append "$cl" \
      -chardev "pipe,id=qmp,path=$W/qmp" -mon chardev=qmp,mode=control "$@" </dev/null >$OUT 2>$OUT.err &
    VPID=$!
    qmp_open 3 4 $W/qmp
    qmp 3 4 '{"execute":"qmp_capabilities"}'
  fi
  if wait_cond '[ -n "$hf" ]' "$BOOT_WD"; then
    echo "PERF-INFO $vmm $c: guest up, $(last)"
    return 0
  fi
  failm "$vmm" "$c" "boot: no probe line within $BOOT_WD s; console and stderr tails:"
  tail -n 8 $OUT | sed 's/^/PERF-FAIL   /'
  tail -n 8 $OUT.err | sed 's/^/PERF-FAIL   /'
  down "$vmm"
  return 1
}
down() {
  [ "$1" = qemu ] && { qmp 3 4 '{"execute":"quit"}'; qmp_close 3 4; }
  stop_pid "$VPID"
}

# timed VMM CASE METRIC EXPR: waits for EXPR; prints METRIC in ms since t0.
timed() {
  if wait_cond "$4" "$WAIT_S"; then
    perf "$1" "$2:$3" "$(dms "$t0" "$(now_ms)")" ms
    return 0
  fi
  failm "$1" "$2" "run $RUN $3: not seen within $WAIT_S s (guest: $(last)); console (other lines), stderr, info tails:"
  grep -a -v '^HPB c=' $OUT | tail -n 6 | sed 's/^/PERF-FAIL   /'
  tail -n 6 $OUT.err | sed 's/^/PERF-FAIL   /'
  [ "$1" = petrel ] && "$REMOTE" --api-socket "$W/api.sock" info 2>&1 | cut -c1-600 | sed 's/^/PERF-FAIL   /'
  return 1
}

# --- Petrel ------------------------------------------------------------------
R() { "$REMOTE" --api-socket "$W/api.sock" "$@" >$W/remote.out 2>&1; }
actual() { "$REMOTE" --api-socket "$W/api.sock" info 2>/dev/null | grep -o '"memory_actual_size":[0-9]*' | cut -d: -f2; }

petrel_vcpu() {
  c=vcpu
  boot petrel $c none --cpus boot=1,max=2 --memory size=512M || return
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms); R resize --cpus 2 || failm petrel $c "resize 2: $(cat $W/remote.out)"
    timed petrel $c plug_ms '[ "$hc" = 0-1 ]' || break
    t0=$(now_ms); R resize --cpus 1 || failm petrel $c "resize 1: $(cat $W/remote.out)"
    timed petrel $c unplug_ms '[ "$hc" = 0 ]' || break
    RUN=$((RUN + 1))
  done
  down petrel
}

petrel_memory_virtio_mem() {
  c=memory-virtio-mem
  boot petrel $c grow --cpus boot=1 --memory size=512M,hotplug_method=virtio-mem,hotplug_size=1G || return
  b=$(field m) RUN=1
  perf petrel "$c:rss_boot_kib" "$(rss "$VPID")" KiB
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms); R resize --memory 1G || failm petrel $c "resize 1G: $(cat $W/remote.out)"
    timed petrel $c plug_ms "[ \$hm -ge $((b + 512000)) ]" || break
    wait_cond "[ \$hf -ge $RUN ]" 120 || { failm petrel $c "run $RUN: the guest did not fill"; break; }
    perf petrel "$c:rss_plugged_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms); R resize --memory 512M || failm petrel $c "resize 512M: $(cat $W/remote.out)"
    timed petrel $c unplug_ms "[ \$hm -le $((b + 10000)) ]" || break
    sleep 2
    perf petrel "$c:rss_unplugged_kib" "$(rss "$VPID")" KiB
    RUN=$((RUN + 1))
  done
  down petrel
}

petrel_memory_acpi() {
  # Petrel refused hotplug_method=acpi resizes (400) before eca139d: a
  # refusal is recorded as not supported; accepted, measured like virtio-mem.
  c=memory-acpi
  boot petrel $c grow --cpus boot=1 --memory size=512M,hotplug_method=acpi,hotplug_size=1G || return
  b=$(field m) RUN=1
  perf petrel "$c:rss_boot_kib" "$(rss "$VPID")" KiB
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms)
    if ! R resize --memory 1G; then
      [ $RUN = 1 ] && unsup petrel $c "not supported: resize --memory 1G with hotplug_method=acpi is refused ($(tr '\n' ' ' <$W/remote.out | cut -c1-200))"
      [ $RUN = 1 ] || failm petrel $c "run $RUN: resize 1G refused: $(cat $W/remote.out)"
      break
    fi
    timed petrel $c plug_ms "[ \$hm -ge $((b + 512000)) ]" || break
    wait_cond "[ \$hf -ge $RUN ]" 120 || { failm petrel $c "run $RUN: the guest did not fill"; break; }
    perf petrel "$c:rss_plugged_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms)
    if ! R resize --memory 512M; then
      skip petrel "$c:unplug_ms" "resize --memory 512M refused: $(tr '\n' ' ' <$W/remote.out | cut -c1-200)"
      break
    fi
    timed petrel $c unplug_ms "[ \$hm -le $((b + 10000)) ]" || break
    sleep 2
    perf petrel "$c:rss_unplugged_kib" "$(rss "$VPID")" KiB
    RUN=$((RUN + 1))
  done
  down petrel
}

petrel_disk() {
  c=disk
  boot petrel $c none --cpus boot=1 --memory size=512M || return
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms); R add-disk "path=$IMG,id=hpdisk" || failm petrel $c "add-disk: $(cat $W/remote.out)"
    timed petrel $c plug_ms 'case "$hd" in *vda*) true ;; *) false ;; esac' || break
    t0=$(now_ms); R remove-device hpdisk || failm petrel $c "remove-device: $(cat $W/remote.out)"
    timed petrel $c unplug_ms '[ -z "$hd" ]' || break
    n=0; while [ $n -lt 50 ] && "$REMOTE" --api-socket "$W/api.sock" info 2>/dev/null | grep -q hpdisk; do usleep 100000; n=$((n + 1)); done
    RUN=$((RUN + 1))
  done
  down petrel
}

# wait_actual BYTES: polls vm.info every 100 ms (a petrel-remote process per
# poll; polling without a pause starves the guest of L1's one vCPU).
wait_actual() {
  n=0; while [ $n -lt $((WAIT_S * 10)) ]; do [ "$(actual)" = "$1" ] && return 0; usleep 100000; n=$((n + 1)); done
  return 1
}
petrel_balloon() {
  c=balloon
  boot petrel $c balloon --cpus boot=1 --memory size=1G --balloon size=0 || return
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    wait_cond "[ \$hf -ge $RUN ]" 30 || echo "PERF-INFO petrel $c run $RUN: the guest did not refill (f=$(field f))"
    perf petrel "$c:rss_before_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms); R resize --balloon 512M || failm petrel $c "resize --balloon 512M: $(cat $W/remote.out)"
    if wait_actual $((512 << 20)); then perf petrel "$c:inflate_ms" "$(dms "$t0" "$(now_ms)")" ms
    else
      a=$(actual)
      perf petrel "$c:actual_mib" "$((${a:-0} >> 20))" MiB
      failm petrel $c "run $RUN: memory_actual_size $a, not 512 MiB, $WAIT_S s after the resize; console (other lines) and counters:"
      grep -a -v '^HPB c=' $OUT | tail -n 6 | sed 's/^/PERF-FAIL   /'
      "$REMOTE" --api-socket "$W/api.sock" counters 2>&1 | tr -d ' \n' | grep -o '"__balloon":{[^}]*}' | sed 's/^/PERF-FAIL   /'
      break
    fi
    perf petrel "$c:actual_mib" "$(($(actual) >> 20))" MiB
    sleep 1
    perf petrel "$c:rss_inflated_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms); R resize --balloon 0 || failm petrel $c "resize --balloon 0: $(cat $W/remote.out)"
    if wait_actual $((1024 << 20)); then perf petrel "$c:deflate_ms" "$(dms "$t0" "$(now_ms)")" ms
    else failm petrel $c "run $RUN: memory_actual_size $(actual), not 1 GiB"; break; fi
    RUN=$((RUN + 1))
  done
  down petrel
}

# --- QEMU --------------------------------------------------------------------
qemu_vcpu() {
  c=vcpu
  boot qemu $c none -smp 1,maxcpus=2 -m 512M || return
  q '{"execute":"query-hotpluggable-cpus"}'
  echo "PERF-INFO qemu query-hotpluggable-cpus: $QMP_REPLY"
  # the entry without a qom-path is the free slot: its type and props
  free=$(printf '%s' "$QMP_REPLY" | awk '{ n = split($0, a, "\"props\""); for (i = 2; i <= n; i++) if (a[i] !~ /qom-path/) { print a[i]; exit } }')
  type=$(printf '%s' "$free" | sed -n 's/.*"type": *"\([^"]*\)".*/\1/p')
  props=$(printf '%s' "$free" | sed -n 's/^: *{\([^}]*\)}.*/\1/p')
  if [ -z "$type" ] || [ -z "$props" ]; then
    skip qemu $c "no free CPU slot in query-hotpluggable-cpus"; down qemu; return
  fi
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms)
    q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"$type\",\"id\":\"cpu$RUN\",$props}}" ||
      { skip qemu $c "device_add $type: $QMP_REPLY"; break; }
    timed qemu $c plug_ms '[ "$hc" = 0-1 ]' || break
    t0=$(now_ms)
    q "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"cpu$RUN\"}}" || failm qemu $c "device_del: $QMP_REPLY"
    timed qemu $c unplug_ms '[ "$hc" = 0 ]' || break
    RUN=$((RUN + 1))
  done
  down qemu
}

qemu_memory_virtio_mem() {
  c=memory-virtio-mem
  boot qemu $c grow -smp 1 -m 512M,slots=2,maxmem=2G -object memory-backend-ram,id=vm0,size=1G \
    -device virtio-mem-pci,id=vmem0,memdev=vm0,requested-size=0 || return
  b=$(field m) RUN=1
  perf qemu "$c:rss_boot_kib" "$(rss "$VPID")" KiB
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms)
    q '{"execute":"qom-set","arguments":{"path":"vmem0","property":"requested-size","value":536870912}}' ||
      { skip qemu $c "qom-set: $QMP_REPLY"; break; }
    timed qemu $c plug_ms "[ \$hm -ge $((b + 512000)) ]" || break
    wait_cond "[ \$hf -ge $RUN ]" 120 || { failm qemu $c "run $RUN: the guest did not fill"; break; }
    perf qemu "$c:rss_plugged_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms)
    q '{"execute":"qom-set","arguments":{"path":"vmem0","property":"requested-size","value":0}}' || failm qemu $c "qom-set 0: $QMP_REPLY"
    timed qemu $c unplug_ms "[ \$hm -le $((b + 10000)) ]" || break
    sleep 2
    perf qemu "$c:rss_unplugged_kib" "$(rss "$VPID")" KiB
    RUN=$((RUN + 1))
  done
  down qemu
}

qemu_memory_acpi() {
  c=memory-acpi
  boot qemu $c grow -smp 1 -m 512M,slots=2,maxmem=2G || return
  b=$(field m) RUN=1
  perf qemu "$c:rss_boot_kib" "$(rss "$VPID")" KiB
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms)
    q "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"m$RUN\",\"size\":536870912}}" ||
      { skip qemu $c "object-add: $QMP_REPLY"; break; }
    q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pc-dimm\",\"id\":\"d$RUN\",\"memdev\":\"m$RUN\"}}" ||
      { skip qemu $c "device_add pc-dimm: $QMP_REPLY"; break; }
    timed qemu $c plug_ms "[ \$hm -ge $((b + 512000)) ]" || break
    wait_cond "[ \$hf -ge $RUN ]" 120 || { failm qemu $c "run $RUN: the guest did not fill"; break; }
    perf qemu "$c:rss_plugged_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms)
    q "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"d$RUN\"}}" || failm qemu $c "device_del: $QMP_REPLY"
    if ! timed qemu $c unplug_ms "[ \$hm -le $((b + 10000)) ]"; then
      skip qemu "$c:unplug_ms" "run $RUN: the guest did not give the DIMM back within $WAIT_S s"
      break
    fi
    n=0; while [ $n -lt 30 ] && ! q "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m$RUN\"}}"; do usleep 200000; n=$((n + 1)); done
    sleep 2
    perf qemu "$c:rss_unplugged_kib" "$(rss "$VPID")" KiB
    RUN=$((RUN + 1))
  done
  down qemu
}

qemu_disk() {
  c=disk
  boot qemu $c none -smp 1 -m 512M -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1 || return
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    t0=$(now_ms)
    q "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\",\"node-name\":\"hd$RUN\",\"file\":{\"driver\":\"file\",\"filename\":\"$IMG\"}}}" ||
      { skip qemu $c "blockdev-add: $QMP_REPLY"; break; }
    q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-blk-pci\",\"id\":\"vd$RUN\",\"drive\":\"hd$RUN\",\"bus\":\"rp1\"}}" ||
      { skip qemu $c "device_add virtio-blk-pci: $QMP_REPLY"; break; }
    timed qemu $c plug_ms 'case "$hd" in *vda*) true ;; *) false ;; esac' || break
    t0=$(now_ms)
    q "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"vd$RUN\"}}" || failm qemu $c "device_del: $QMP_REPLY"
    timed qemu $c unplug_ms '[ -z "$hd" ]' || break
    n=0; while [ $n -lt 50 ] && ! q "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"hd$RUN\"}}"; do usleep 200000; n=$((n + 1)); done
    RUN=$((RUN + 1))
  done
  down qemu
}

qemu_actual() { q '{"execute":"query-balloon"}' && jnum actual; }
qemu_wait_actual() {
  n=0; while [ $n -lt $((WAIT_S * 20)) ]; do [ "$(qemu_actual)" = "$1" ] && return 0; usleep 50000; n=$((n + 1)); done
  return 1
}
qemu_balloon() {
  c=balloon
  boot qemu $c balloon -smp 1 -m 1G -device virtio-balloon-pci,id=bal0 || return
  RUN=1
  while [ $RUN -le "$RUNS" ]; do
    wait_cond "[ \$hf -ge $RUN ]" 30 || echo "PERF-INFO qemu $c run $RUN: the guest did not refill (f=$(field f))"
    perf qemu "$c:rss_before_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms)
    q '{"execute":"balloon","arguments":{"value":536870912}}' || { skip qemu $c "balloon: $QMP_REPLY"; break; }
    if qemu_wait_actual $((512 << 20)); then perf qemu "$c:inflate_ms" "$(dms "$t0" "$(now_ms)")" ms
    else
      a=$(qemu_actual)
      perf qemu "$c:actual_mib" "$((${a:-0} >> 20))" MiB
      failm qemu $c "run $RUN: actual $a, not 512 MiB, $WAIT_S s after the balloon command"; break
    fi
    perf qemu "$c:actual_mib" "$(($(qemu_actual) >> 20))" MiB
    sleep 1
    perf qemu "$c:rss_inflated_kib" "$(rss "$VPID")" KiB
    t0=$(now_ms)
    q '{"execute":"balloon","arguments":{"value":1073741824}}' || failm qemu $c "balloon 1G: $QMP_REPLY"
    if qemu_wait_actual $((1024 << 20)); then perf qemu "$c:deflate_ms" "$(dms "$t0" "$(now_ms)")" ms
    else failm qemu $c "run $RUN: actual $(qemu_actual), not 1 GiB"; break; fi
    RUN=$((RUN + 1))
  done
  down qemu
}

# --- main ----------------------------------------------------------------------
if [ ! -c /dev/kvm ]; then
  for v in $CONFIGS; do result "hotplug-$v" SKIP "no /dev/kvm in L1"; done
  exit 0
fi
echo "PERF-INFO l1_kernel=$(uname -r) l1_cpus=$(grep -c ^processor /proc/cpuinfo) l1_mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
echo "PERF-INFO qemu=$("$QEMU" --version | head -1 | tr ' ' '_')"
echo "PERF-INFO petrel=$("$PETREL" --version 2>&1 | head -1 | tr ' ' '_')"
echo "PERF-INFO clock=$CLOCK runs=$RUNS configs=$(echo $CONFIGS | tr ' ' ',') cases=$(echo $CASES | tr ' ' ',') fill_mib=$FILL wait_s=$WAIT_S"
petrel_why=""
[ -x "$PETREL" ] && [ -x "$REMOTE" ] || petrel_why="no petrel / petrel-remote in the payload"

for v in $CONFIGS; do
  for k in $CASES; do
    if [ "$v" = petrel ] && [ -n "$petrel_why" ]; then skip petrel "$k" "$petrel_why"; continue; fi
    echo "PERF-INFO start $v $k at $(now_ms) ms"
    "${v}_$(echo "$k" | tr - _)"
  done
done

for v in $CONFIGS; do
  if [ "$v" = petrel ] && [ -n "$petrel_why" ]; then result "hotplug-$v" SKIP "$petrel_why"; continue; fi
  nf=0; eval "nf=\${FAILS_$v:-0}"
  if [ "$nf" = 0 ]; then result "hotplug-$v" PASS "$RUNS runs"
  else result "hotplug-$v" FAIL "$nf failed measurements (PERF-FAIL lines)"; fi
done
exit 0
