#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/snapshot_bench_l1.sh: the L1 half of perf/snapshot_bench.sh. Runs inside
# the nested harness's L1 (busybox sh, as /payload/run-tests.sh) on L1's real
# KVM. Owns the snapshot / restore / live-migration benchmark loop: for each
# iteration and VMM (petrel, qemu) it boots the kit's Debian guest (bzImage +
# initrd.img, 1 vCPU) idle or running a memory dirtier and measures
#
#   snap-<M>M        pause/stop, then the snapshot: wall time of the request
#                    (Petrel: `petrel-remote snapshot`; QEMU: QMP `migrate` to
#                    exec:cat > file, polled until query-migrate says
#                    completed), the VMM's own figure (Petrel: the
#                    snapshotting -> snapshotted events; QEMU: total-time) and
#                    the file's size on disk (du -k) and apparent size
#   restore-<M>M     a new VMM process from that file, from the exec to the VM
#                    being paused (polled: `petrel-remote info` says Paused;
#                    QMP query-status leaves inmigrate); Petrel on demand
#                    (memory_restore_mode=ondemand), with its own event times;
#                    QEMU -incoming "exec:cat file" (it reads the whole stream)
#   restore-copy-<M>M  Petrel with memory_restore_mode=copy (no QEMU twin)
#   mig-idle-<M>M / mig-dirty-<M>M  live migration over a UNIX socket to a
#                    second VMM in the same L1, the guest idle or rewriting
#                    50 MiB in /dev/shm every second: wall time of the request,
#                    the VMM's total and downtime (Petrel: its "migration
#                    complete" log line; QEMU: query-migrate's total-time and
#                    downtime), rounds, bytes sent, the guest's measured dirty
#                    rate, and whether the destination runs the guest after
#
# and prints one line per number
#
#   PERF-SNAP vmm=V iter=I case=C metric=M value=X
#   PERF-SKIP vmm=V case=C reason...           (not measured, and why)
#   PERF-FAIL vmm=V case=C what happened
#
# plus PERF-INFO lines and one PETREL-RESULT per VMM for the harness. Times
# come from CLOCK_MONOTONIC (/proc/timer_list's "now at", 1 ns; /proc/uptime,
# 10 ms, if absent); every wall time includes the cost of the busybox/awk
# process that reads the clock and of the client call (petrel-remote is a
# process per call, QMP a line on an open pipe), which under L1's TCG is
# milliseconds: PERF-SNAP metric=clock_read_ms and poll_ms say how many.
#
# Environment (run.sh --env): BENCH_RUNS (1), BENCH_CONFIGS ("petrel qemu"),
# BENCH_SIZES ("512 2048", MiB, snapshot/restore), BENCH_MIG_MIB (512),
# BENCH_MIG_CASES ("idle dirty"), BENCH_BOOT_WD (120 s per guest boot),
# BENCH_MIG_DEADLINE_S (240: a migration still running then is cancelled),
# BENCH_QEMU_MAX_BW (10737418240 bytes/s: QEMU's max-bandwidth, default
# 128 MiB/s, raised so that neither VMM is throttled).
result() { echo "PETREL-RESULT $*"; }

P=/payload
PETREL=$P/bin/petrel
REMOTE=$P/bin/petrel-remote
QEMU=$P/bin/qemu-system-x86_64
RUNS=${BENCH_RUNS:-1}
CONFIGS=${BENCH_CONFIGS:-petrel qemu}
SIZES=${BENCH_SIZES:-512 2048}
MIG_MIB=${BENCH_MIG_MIB:-512}
MIG_CASES=${BENCH_MIG_CASES-idle dirty}
BOOT_WD=${BENCH_BOOT_WD:-120}
MIG_DEADLINE=${BENCH_MIG_DEADLINE_S:-240}
QEMU_MAX_BW=${BENCH_QEMU_MAX_BW:-10737418240}
# shellcheck disable=SC1091
. "$PETREL_KIT/kit.env"
KERNEL=$PETREL_KIT/bzImage
INITRD=$PETREL_KIT/initrd.img
W=/tmp/snapb
mkdir -p $W

b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
IDLE_CMD=$(b64 'echo SNAPB-READY; while true; do sleep 3600; done')
DIRTY_CMD=$(b64 'mkdir -p /dev/shm; mount -t tmpfs -o size=128m tmpfs /dev/shm; echo SNAPB-READY; i=0; while true; do dd if=/dev/zero of=/dev/shm/d bs=1M count=50 2>/dev/null; i=$((i+1)); echo "SNAPB-DIRTY $i $(cut -d" " -f1 /proc/uptime)"; sleep 1; done')

if [ -r /proc/timer_list ] && grep -q '^now at' /proc/timer_list; then
  now_ms() { awk '/^now at/ { printf "%.3f", $3 / 1e6; exit }' /proc/timer_list; }
  CLOCK="timer_list(ns)"
else
  now_ms() { awk '{ printf "%.3f", $1 * 1000 }' /proc/uptime; }
  CLOCK="uptime(10ms)"
fi
dms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ITER=0
perf() { echo "PERF-SNAP vmm=$1 iter=$ITER case=$2 metric=$3 value=${4:-n/a}"; }
skip() { v=$1 c=$2; shift 2; echo "PERF-SKIP vmm=$v case=$c $*"; }
failm() { v=$1 c=$2; shift 2; echo "PERF-FAIL vmm=$v case=$c $*"; eval "FAILS_$v=\$((\${FAILS_$v:-0} + 1))"; }

# wait_grep FILE PATTERN SECS [COUNT]: until FILE has COUNT (1) lines matching.
wait_grep() {
  n=0 lim=$(($3 * 10))
  while [ $n -lt $lim ]; do
    [ "$(grep -a -c "$2" "$1" 2>/dev/null)" -ge "${4:-1}" ] && return 0
    usleep 100000; n=$((n + 1))
  done
  return 1
}
# stop_pid PID: SIGKILL and reap.
stop_pid() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
mem_avail_mib() { awk '/MemAvailable/ { printf "%d", $2 / 1024 }' /proc/meminfo; }
# dirty_rate FILE: MiB/s the guest's dirtier wrote, from its SNAPB-DIRTY lines.
dirty_rate() {
  grep -a -o 'SNAPB-DIRTY [0-9]* [0-9.]*' "$1" | awk '
    NR == 1 { i0 = $2; u0 = $3 } { i1 = $2; u1 = $3 }
    END { if (u1 > u0) printf "%.1f", 50 * (i1 - i0) / (u1 - u0); else print "n/a" }'
}
# ev_ms FILE EVENT: the event's timestamp in ms since the event monitor started
# (CH's pretty JSON: timestamp {secs, nanos}, source, event); empty if absent.
ev_ms() {
  awk -v e="$2" '
    /"secs":/ { v = $2; gsub(/[^0-9]/, "", v); s = v }
    /"nanos":/ { v = $2; gsub(/[^0-9]/, "", v); n = v }
    /"event":/ { v = $2; gsub(/[",]/, "", v); if (v == e) { printf "%.3f", s * 1000 + n / 1e6; exit } }' "$1" 2>/dev/null
}
ev_wait() {  # ev_wait FILE EVENT: ev_ms, waiting up to 3 s for the writer thread
  n=0
  while [ $n -lt 30 ]; do
    x=$(ev_ms "$1" "$2"); [ -n "$x" ] && { echo "$x"; return; }
    usleep 100000; n=$((n + 1))
  done
}

# --- QMP over a pipe chardev (busybox has no UNIX-socket client) -------------
# QEMU gets -chardev pipe,id=qmp,path=BASE -mon chardev=qmp,mode=control and
# opens BASE.in / BASE.out; we hold both FIFOs O_RDWR (never blocks).
qmp_mkfifo() { rm -f "$1.in" "$1.out"; mkfifo "$1.in" "$1.out"; }
qmp_open() { eval "exec $1<>\"$3.in\" $2<>\"$3.out\""; }
qmp_close() { eval "exec $1>&- $2>&-"; }
# qmp FDIN FDOUT JSON: QMP_REPLY := the reply line (events and the greeting
# skipped); 1 if none within 30 s.
qmp() {
  eval "printf '%s\n' \"\$3\" >&$1"
  while :; do
    QMP_REPLY=""
    eval "read -t 30 -r QMP_REPLY <&$2" || return 1
    case "$QMP_REPLY" in *'"return"'*|*'"error"'*) return 0 ;; esac
  done
}
jnum() { printf '%s' "$QMP_REPLY" | sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p"; }
jstr() { printf '%s' "$QMP_REPLY" | sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }
# qmp_migrate_wait FDIN FDOUT SECS: polls query-migrate until completed (0),
# failed/cancelled (1) or SECS (2); QMP_REPLY holds the last reply.
qmp_migrate_wait() {
  n=0 lim=$(($3 * 100))
  while [ $n -lt $lim ]; do
    qmp "$1" "$2" '{"execute":"query-migrate"}' || return 1
    case "$(jstr status)" in
      completed) return 0 ;;
      failed|cancelled) return 1 ;;
    esac
    usleep 10000; n=$((n + 1))
  done
  return 2
}

QEMU_ARGS='-M q35 -enable-kvm -cpu host -smp 1 -nodefaults -no-user-config -nographic -serial stdio -no-reboot'
# qemu_start MIB CMD QMPBASE OUT [EXTRA...]: QPID := a QEMU running the guest.
qemu_start() {
  mib=$1 cmd=$2 qb=$3 out=$4
  shift 4
  qmp_mkfifo "$qb"
  # shellcheck disable=SC2086
  "$QEMU" $QEMU_ARGS -m "${mib}M" -kernel "$KERNEL" -initrd "$INITRD" \
    -append "$PETREL_KIT_L2_CMDLINE petrel.end=poweroff petrel.cmd=$cmd" \
    -chardev "pipe,id=qmp,path=$qb" -mon chardev=qmp,mode=control "$@" </dev/null >"$out" 2>"$out.err" &
  QPID=$!
}
# petrel_start MIB CMD SOCK OUT: PPID_ := a Petrel booting the guest.
petrel_start() {
  rm -f "$3" "$4.ev"
  "$PETREL" -v --kernel "$KERNEL" --initramfs "$INITRD" \
    --cmdline "$PETREL_KIT_L2_CMDLINE petrel.end=poweroff petrel.cmd=$2" --cpus boot=1 \
    --memory "size=$1M" --serial tty --console off --api-socket "path=$3" \
    --event-monitor "path=$4.ev" </dev/null >"$4" 2>"$4.err" &
  PPID_=$!
}

# boot_guest VMM MIB CMD TAG READYCOUNT: boots (one retry); sets VPID (and
# opens QMP on fds 3/4 for qemu); 1 if the guest never got ready.
boot_guest() {
  vmm=$1 mib=$2 cmd=$3 tag=$4 want=${5:-1}
  pat=SNAPB-READY
  [ "$want" -gt 1 ] && pat=SNAPB-DIRTY
  for try in 1 2; do
    case "$vmm" in
      petrel) petrel_start "$mib" "$cmd" $W/src.sock $W/src.out; VPID=$PPID_ ;;
      qemu) qemu_start "$mib" "$cmd" $W/qsrc $W/src.out; VPID=$QPID
            qmp_open 3 4 $W/qsrc
            qmp 3 4 '{"execute":"qmp_capabilities"}'
            qmp 3 4 "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":$QEMU_MAX_BW,\"downtime-limit\":300}}" ;;
    esac
    if wait_grep $W/src.out "$pat" "$BOOT_WD" "$want"; then
      [ "$try" = 2 ] && echo "PERF-INFO retry vmm=$vmm case=$tag: the first boot did not get ready"
      return 0
    fi
    echo "PERF-FAIL vmm=$vmm case=$tag boot try $try: no $pat within $BOOT_WD s; console and stderr tails:"
    tail -n 8 $W/src.out | sed 's/^/PERF-FAIL   /'
    tail -n 8 $W/src.out.err | sed 's/^/PERF-FAIL   /'
    stop_pid "$VPID"
    [ "$vmm" = qemu ] && qmp_close 3 4
  done
  eval "FAILS_$vmm=\$((\${FAILS_$vmm:-0} + 1))"
  return 1
}

# --- snapshot + restore --------------------------------------------------------
snap_petrel() {
  mib=$1 c=snap-${1}M dir=$W/psnap R="$REMOTE --api-socket $W/src.sock"
  rm -rf "$dir"
  boot_guest petrel "$mib" "$IDLE_CMD" "$c" || return
  sleep 2
  $R pause >/dev/null 2>$W/remote.err || { failm petrel "$c" "pause: $(cat $W/remote.err)"; stop_pid "$VPID"; return; }
  t0=$(now_ms)
  $R snapshot "file://$dir" >/dev/null 2>$W/remote.err
  rc=$?
  t1=$(now_ms)
  if [ $rc -ne 0 ]; then failm petrel "$c" "snapshot rc=$rc: $(cat $W/remote.err)"; stop_pid "$VPID"; return; fi
  a=$(ev_wait $W/src.out.ev snapshotting) b=$(ev_wait $W/src.out.ev snapshotted)
  perf petrel "$c" snapshot_ms "$(dms "$t0" "$t1")"
  [ -n "$a" ] && [ -n "$b" ] && perf petrel "$c" vmm_snapshot_ms "$(dms "$a" "$b")"
  perf petrel "$c" disk_kib "$(du -sk "$dir" | cut -f1)"
  perf petrel "$c" apparent_kib "$(ls -l "$dir"/* | awk '{ s += $5 } END { printf "%d", s / 1024 }')"
  stop_pid "$VPID"
  for mode in ondemand copy; do
    c=restore-${mib}M
    [ $mode = copy ] && c=restore-copy-${mib}M
    restore_petrel "$dir" "$mode" "$c"
  done
  rm -rf "$dir"
}

restore_petrel() {
  dir=$1 mode=$2 c=$3 sock=$W/rst.sock ev=$W/rst.ev R="$REMOTE --api-socket $W/rst.sock"
  rm -f "$sock" "$ev"
  t0=$(now_ms)
  "$PETREL" -v --restore "source_url=file://$dir,memory_restore_mode=$mode" --api-socket "path=$sock" \
    --event-monitor "path=$ev" </dev/null >$W/rst.out 2>$W/rst.err &
  pid=$!
  ok=0 n=0
  while [ $n -lt 20000 ] && kill -0 $pid 2>/dev/null; do
    if $R info 2>/dev/null | grep -q '"state":"Paused"'; then ok=1; break; fi
    n=$((n + 1))
  done
  t1=$(now_ms)
  if [ $ok = 0 ]; then
    failm petrel "$c" "not Paused ($mode); stderr tail:"; tail -n 8 $W/rst.err | sed 's/^/PERF-FAIL   /'
    stop_pid $pid; return
  fi
  p0=$(now_ms); $R info >/dev/null 2>&1; p1=$(now_ms)
  $R resume >/dev/null 2>&1; p2=$(now_ms)
  st=$($R info 2>/dev/null | grep -o '"state":"[A-Za-z]*"')
  perf petrel "$c" to_paused_ms "$(dms "$t0" "$t1")"
  perf petrel "$c" poll_ms "$(dms "$p0" "$p1")"
  perf petrel "$c" polls "$((n + 1))"
  a=$(ev_wait $ev restoring) b=$(ev_wait $ev restored)
  [ -n "$b" ] && perf petrel "$c" vmm_start_to_restored_ms "$(dms 0 "$b")"
  [ -n "$a" ] && [ -n "$b" ] && perf petrel "$c" vmm_restore_ms "$(dms "$a" "$b")"
  perf petrel "$c" resume_ms "$(dms "$p1" "$p2")"
  case "$st" in *Running*) perf petrel "$c" running_after_resume 1 ;; *) perf petrel "$c" running_after_resume 0 ;; esac
  perf petrel "$c" rss_kib "$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)"
  stop_pid $pid
}

snap_qemu() {
  mib=$1 c=snap-${1}M f=$W/qsnap.bin
  rm -f "$f"
  boot_guest qemu "$mib" "$IDLE_CMD" "$c" || return
  sleep 2
  qmp 3 4 '{"execute":"stop"}'
  t0=$(now_ms)
  qmp 3 4 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > $f\"}}"
  case "$QMP_REPLY" in *'"error"'*) failm qemu "$c" "migrate: $QMP_REPLY"; qmp_close 3 4; stop_pid "$VPID"; return ;; esac
  qmp_migrate_wait 3 4 "$MIG_DEADLINE"
  rc=$?
  t1=$(now_ms)
  if [ $rc -ne 0 ]; then failm qemu "$c" "rc=$rc $QMP_REPLY"; qmp_close 3 4; stop_pid "$VPID"; return; fi
  perf qemu "$c" snapshot_ms "$(dms "$t0" "$t1")"
  perf qemu "$c" vmm_snapshot_ms "$(jnum total-time)"
  perf qemu "$c" disk_kib "$(du -sk "$f" | cut -f1)"
  perf qemu "$c" apparent_kib "$(ls -l "$f" | awk '{ printf "%d", $5 / 1024 }')"
  qmp 3 4 '{"execute":"quit"}'
  qmp_close 3 4
  stop_pid "$VPID"
  restore_qemu "$mib" "$f" "restore-${mib}M"
  rm -f "$f"
}

restore_qemu() {
  mib=$1 f=$2 c=$3
  t0=$(now_ms)
  qemu_start "$mib" "$IDLE_CMD" $W/qrst $W/rst.out -S -incoming "exec:cat $f"
  pid=$QPID
  qmp_open 5 6 $W/qrst
  ok=0 n=0 st=""
  if qmp 5 6 '{"execute":"qmp_capabilities"}'; then
    while [ $n -lt 20000 ] && kill -0 $pid 2>/dev/null; do
      qmp 5 6 '{"execute":"query-status"}' || break
      st=$(jstr status)
      case "$st" in inmigrate|"") ;; *) ok=1; break ;; esac
      n=$((n + 1))
    done
  fi
  t1=$(now_ms)
  if [ $ok = 0 ]; then
    failm qemu "$c" "not paused (status '$st'); stderr tail:"; tail -n 8 $W/rst.out.err | sed 's/^/PERF-FAIL   /'
    qmp_close 5 6; stop_pid $pid; return
  fi
  p0=$(now_ms); qmp 5 6 '{"execute":"query-status"}'; p1=$(now_ms)
  qmp 5 6 '{"execute":"cont"}'; p2=$(now_ms)
  qmp 5 6 '{"execute":"query-status"}'
  perf qemu "$c" to_paused_ms "$(dms "$t0" "$t1")"
  perf qemu "$c" poll_ms "$(dms "$p0" "$p1")"
  perf qemu "$c" polls "$((n + 1))"
  echo "PERF-INFO qemu $c: state after the load: $st"
  perf qemu "$c" resume_ms "$(dms "$p1" "$p2")"
  case "$(jstr status)" in running) perf qemu "$c" running_after_resume 1 ;; *) perf qemu "$c" running_after_resume 0 ;; esac
  perf qemu "$c" rss_kib "$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)"
  qmp 5 6 '{"execute":"quit"}'
  qmp_close 5 6
  stop_pid $pid
}

# --- live migration -------------------------------------------------------------
mig_petrel() {
  kind=$1 mib=$MIG_MIB c=mig-$1-${MIG_MIB}M D=$W/dst.sock M=$W/m.sock
  cmd=$IDLE_CMD want=1
  [ "$kind" = dirty ] && cmd=$DIRTY_CMD want=4
  boot_guest petrel "$mib" "$cmd" "$c" "$want" || return
  [ "$kind" = idle ] && sleep 2
  rm -f "$D" "$M"
  "$PETREL" -v --api-socket "path=$D" </dev/null >$W/dst.out 2>$W/dst.err &
  dpid=$!
  n=0; while [ $n -lt 100 ] && ! $REMOTE --api-socket "$D" ping >/dev/null 2>&1; do usleep 100000; n=$((n + 1)); done
  $REMOTE --api-socket "$D" receive-migration "receiver_url=unix:$M" >$W/recv.out 2>&1 &
  rpid=$!
  n=0; while [ $n -lt 100 ] && [ ! -S "$M" ]; do usleep 100000; n=$((n + 1)); done
  rate=""
  [ "$kind" = dirty ] && rate=$(dirty_rate $W/src.out)
  t0=$(now_ms)
  timeout "$MIG_DEADLINE" "$REMOTE" --api-socket $W/src.sock send-migration "destination_url=unix:$M" >$W/send.out 2>&1
  rc=$?
  t1=$(now_ms)
  wait $rpid; rrc=$?
  if [ $rc -ne 0 ]; then
    failm petrel "$c" "send-migration rc=$rc ($(tr '\n' ' ' <$W/send.out)); receive rc=$rrc; source log:"
    grep -a -i 'migrat' $W/src.out.err | tail -n 5 | sed 's/^/PERF-FAIL   /'
    stop_pid "$VPID"; stop_pid $dpid; return
  fi
  line=$(grep -a 'migration complete:' $W/src.out.err | tail -1)
  perf petrel "$c" total_ms "$(dms "$t0" "$t1")"
  perf petrel "$c" vmm_total_ms "$(echo "$line" | sed -n 's/.* rounds, \([0-9]*\) ms, downtime.*/\1/p')"
  perf petrel "$c" downtime_ms "$(echo "$line" | sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p')"
  perf petrel "$c" rounds "$(echo "$line" | sed -n 's/.* in \([0-9]*\) rounds.*/\1/p')"
  perf petrel "$c" sent_mib "$(echo "$line" | sed -n 's/.*complete: \([0-9]*\) bytes.*/\1/p' | awk '{ printf "%.1f", $1 / 1048576 }')"
  [ -n "$rate" ] && perf petrel "$c" guest_dirty_mib_s "$rate"
  [ -z "$line" ] && echo "PERF-INFO petrel $c: no 'migration complete' line in the source's log"
  # The source VMM exits after a migration; the destination runs the guest.
  n=0; while [ $n -lt 50 ] && kill -0 "$VPID" 2>/dev/null; do usleep 100000; n=$((n + 1)); done
  kill -0 "$VPID" 2>/dev/null && perf petrel "$c" source_exited 0 || perf petrel "$c" source_exited 1
  if [ "$kind" = dirty ]; then
    # the dirtier goes on at the destination (its serial console)
    if wait_grep $W/dst.out SNAPB-DIRTY 15 2; then perf petrel "$c" dest_running 1; else perf petrel "$c" dest_running 0; fi
  else
    $REMOTE --api-socket "$D" info 2>/dev/null | grep -q '"state":"Running"' && perf petrel "$c" dest_running 1 || perf petrel "$c" dest_running 0
  fi
  stop_pid "$VPID"; stop_pid $dpid
}

mig_qemu() {
  kind=$1 mib=$MIG_MIB c=mig-$1-${MIG_MIB}M M=$W/q.sock
  cmd=$IDLE_CMD want=1
  [ "$kind" = dirty ] && cmd=$DIRTY_CMD want=4
  boot_guest qemu "$mib" "$cmd" "$c" "$want" || return
  [ "$kind" = idle ] && sleep 2
  rm -f "$M"
  qemu_start "$mib" "$cmd" $W/qdst $W/dst.out -incoming "unix:$M"
  dpid=$QPID
  qmp_open 5 6 $W/qdst
  qmp 5 6 '{"execute":"qmp_capabilities"}'
  n=0; while [ $n -lt 300 ] && [ ! -S "$M" ]; do usleep 100000; n=$((n + 1)); done
  rate=""
  [ "$kind" = dirty ] && rate=$(dirty_rate $W/src.out)
  t0=$(now_ms)
  qmp 3 4 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:$M\"}}"
  case "$QMP_REPLY" in *'"error"'*) rc=1 ;; *) qmp_migrate_wait 3 4 "$MIG_DEADLINE"; rc=$? ;; esac
  t1=$(now_ms)
  if [ $rc -ne 0 ]; then
    if [ $rc = 2 ]; then  # a result, not a failure: QEMU's default has no auto-converge
      [ "$ITER" = 1 ] && skip qemu "$c" "did not converge within $MIG_DEADLINE s (cancelled; QEMU without auto-converge); last query-migrate: $QMP_REPLY"
      echo "PERF-INFO qemu $c iter $ITER: no convergence within $MIG_DEADLINE s"
      qmp 3 4 '{"execute":"migrate_cancel"}'
    else
      failm qemu "$c" "rc=$rc; last reply: $QMP_REPLY"
    fi
    [ -n "$rate" ] && perf qemu "$c" guest_dirty_mib_s "$rate"
    qmp_close 3 4; qmp_close 5 6; stop_pid "$VPID"; stop_pid $dpid; return
  fi
  perf qemu "$c" total_ms "$(dms "$t0" "$t1")"
  perf qemu "$c" vmm_total_ms "$(jnum total-time)"
  perf qemu "$c" downtime_ms "$(jnum downtime)"
  perf qemu "$c" rounds "$(jnum dirty-sync-count)"
  perf qemu "$c" sent_mib "$(jnum transferred | awk '{ printf "%.1f", $1 / 1048576 }')"
  [ -n "$rate" ] && perf qemu "$c" guest_dirty_mib_s "$rate"
  if [ "$kind" = dirty ]; then
    if wait_grep $W/dst.out SNAPB-DIRTY 15 2; then perf qemu "$c" dest_running 1; else perf qemu "$c" dest_running 0; fi
  else
    qmp 5 6 '{"execute":"query-status"}'
    [ "$(jstr status)" = running ] && perf qemu "$c" dest_running 1 || perf qemu "$c" dest_running 0
  fi
  qmp 3 4 '{"execute":"quit"}'; qmp 5 6 '{"execute":"quit"}'
  qmp_close 3 4; qmp_close 5 6
  stop_pid "$VPID"; stop_pid $dpid
}

# --- main -----------------------------------------------------------------------
if [ ! -c /dev/kvm ]; then
  for v in $CONFIGS; do result "snapshot-$v" SKIP "no /dev/kvm in L1"; done
  exit 0
fi
echo "PERF-INFO l1_kernel=$(uname -r) l1_cpus=$(grep -c ^processor /proc/cpuinfo) l1_mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo) l1_avail_mib=$(mem_avail_mib) tmp_kib=$(df -k /tmp | awk 'NR == 2 { print $2 }')"
echo "PERF-INFO qemu=$("$QEMU" --version | head -1 | tr ' ' '_')"
echo "PERF-INFO petrel=$("$PETREL" --version 2>&1 | head -1 | tr ' ' '_')"
echo "PERF-INFO clock=$CLOCK runs=$RUNS sizes=$(echo $SIZES | tr ' ' ',') mig_mib=$MIG_MIB mig_cases=$(echo $MIG_CASES | tr ' ' ',') configs=$(echo $CONFIGS | tr ' ' ',') qemu_max_bw=$QEMU_MAX_BW mig_deadline_s=$MIG_DEADLINE"
c0=$(now_ms); c1=$(now_ms)
ITER=0
perf all clock clock_read_ms "$(dms "$c0" "$c1")"

petrel_why=""
if [ ! -x "$PETREL" ] || [ ! -x "$REMOTE" ]; then petrel_why="no petrel / petrel-remote in the payload"
elif ! "$PETREL" --help 2>&1 | grep -q -- '--restore'; then petrel_why="this petrel has no --restore"; fi
mig_why=""
"$REMOTE" --help 2>&1 | grep -q send-migration || mig_why="this petrel-remote has no send-migration"

# fits MIB: empty if a guest of MIB MiB fits in L1 next to its snapshot, else why.
fits() {
  need=$(($1 + 256)) have=$(mem_avail_mib)
  [ "$have" -ge "$need" ] || echo "L1 has ${have} MiB available, a ${1} MiB guest needs ${need} (guest RAM + 256 MiB) (perf/snapshot_bench.sh --l1-memory)"
}

ITER=1
while [ "$ITER" -le "$RUNS" ]; do
  for v in $CONFIGS; do
    if [ "$v" = petrel ] && [ -n "$petrel_why" ]; then continue; fi
    for s in $SIZES; do
      why=$(fits "$s")
      if [ -n "$why" ]; then
        [ "$ITER" = 1 ] && { skip "$v" "snap-${s}M" "$why"; skip "$v" "restore-${s}M" "$why"; }
        continue
      fi
      "snap_$v" "$s"
    done
    for k in $MIG_CASES; do
      if [ "$v" = petrel ] && [ -n "$mig_why" ]; then
        [ "$ITER" = 1 ] && skip petrel "mig-$k-${MIG_MIB}M" "$mig_why"; continue
      fi
      "mig_$v" "$k"
    done
  done
  ITER=$((ITER + 1))
done

for v in $CONFIGS; do
  if [ "$v" = petrel ] && [ -n "$petrel_why" ]; then result "snapshot-$v" SKIP "$petrel_why"; continue; fi
  nf=0; eval "nf=\${FAILS_$v:-0}"
  if [ "$nf" = 0 ]; then result "snapshot-$v" PASS "$RUNS runs"
  else result "snapshot-$v" FAIL "$nf failed measurements (PERF-FAIL lines)"; fi
done
exit 0
