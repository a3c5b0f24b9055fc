#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Petrel's real-KVM test suite. Runs inside the nested-KVM harness's L1 guest
# (busybox sh, /dev/kvm from kvm_amd), from /payload, with the guest kit in
# $PETREL_KIT. Reports each test as "PETREL-RESULT <name> PASS|FAIL|SKIP [detail]".
cd /payload || exit 1
KIT=${PETREL_KIT:-/kit}

result() { echo "PETREL-RESULT $1 $2 ${3:-}"; }
# PETREL_NESTED_ONLY="name..." (tests/nested/run.sh passes it on): run only
# these tests, each defined below as a function test_<name, - as _>.
ONLY=${PETREL_NESTED_ONLY:-}

# run_with_retry <name> <timeout s> <marker> <expected rc> -- <command...>
# Runs a VM; passes if the marker is in its output and it exits with the
# expected status. A run that times out is retried up to twice: nested under
# QEMU's SVM emulation a guest sometimes loses an interrupt and hangs (see
# docs/testing.md); each retry is reported.
run_vm() {
  name=$1; secs=$2; marker=$3; want_rc=$4; shift 5
  attempt=1
  while [ $attempt -le 3 ]; do
    start=$(date +%s)
    timeout "$secs" "$@" </dev/null >"/tmp/$name.out" 2>&1
    rc=$?
    end=$(date +%s)
    if [ $rc -eq 143 ] || [ $rc -eq 124 ]; then
      echo "nested-suite: $name timed out after ${secs}s (attempt $attempt)"
      tail -20 "/tmp/$name.out"
      attempt=$((attempt + 1))
      continue
    fi
    if grep -q "$marker" "/tmp/$name.out" && [ $rc -eq "$want_rc" ]; then
      extra=""; [ $attempt -gt 1 ] && extra=" (passed on attempt $attempt)"
      result "$name" PASS "rc=$rc $((end - start))s$extra"
    else
      echo "--- $name output (rc=$rc) ---"; tail -40 "/tmp/$name.out"
      result "$name" FAIL "rc=$rc, marker '$marker' $(grep -q "$marker" "/tmp/$name.out" && echo found || echo missing)"
    fi
    return
  done
  result "$name" FAIL "timed out three times"
}

# gtest_results <binary>: runs a GoogleTest binary, one result per test case.
gtest_results() {
  out=/tmp/$(basename "$1").gtest
  "$1" >"$out" 2>&1
  grep -E '^\[  (FAILED|SKIPPED) \]' "$out"
  for n in $(grep -E '^\[       OK \] ' "$out" | awk '{print $4}'); do result "$n" PASS; done
  for n in $(grep -E '^\[  FAILED  \] [A-Za-z0-9_]+\.[A-Za-z0-9_]+ \(' "$out" | awk '{print $4}'); do
    # The failing test's own output, from its RUN line to its FAILED line.
    sed -n "/^\[ RUN      \] $n\$/,/^\[  FAILED  \] $n /p" "$out" | head -40
    result "$n" FAIL
  done
  for n in $(grep -E '^\[  SKIPPED \] [A-Za-z0-9_]+\.[A-Za-z0-9_]+ \(' "$out" | awk '{print $4}'); do
    result "$n" SKIP
  done
}

# The KVM backend's own tests, one result per test case
# (PETREL_NESTED_ONLY=kvm-backend runs them alone).
test_kvm_backend() {
  [ -x ./kvm_backend_test ] || return 0
  gtest_results ./kvm_backend_test
}
[ -z "$ONLY" ] && test_kvm_backend

[ -z "$ONLY" ] && run_vm null-guest 60 PETREL-NULL-OK 0 -- ./petrel --kernel ./null_guest.elf --serial tty --console off

# Record and replay: io_tour_guest's device accesses on KVM (--record-io:
# COM1, CMOS and IOAPIC registers written and read back), replayed against
# fresh devices on hv_sim by petrel-replay: every read the KVM run saw must
# come back the same, and there must be reads.
test_record_replay() {
  name=record-replay
  [ -x ./petrel-replay ] && [ -f ./io_tour_guest.elf ] ||
    { result "$name" SKIP "no petrel-replay or io_tour_guest.elf in the payload"; return; }
  trace=/tmp/io-tour.trace
  rm -f $trace
  timeout 60 ./petrel --kernel ./io_tour_guest.elf --serial tty --console off \
    --record-io $trace </dev/null >/tmp/$name.run 2>&1
  if [ ! -s $trace ] || ! grep -q PETREL-TOUR-OK /tmp/$name.run; then
    tail -5 /tmp/$name.run; result "$name" FAIL "no trace written or the guest did not finish"; return
  fi
  records=$(($(wc -l <$trace) - 1))
  ./petrel-replay --trace $trace --kernel ./io_tour_guest.elf --serial tty --console off \
    >/tmp/$name.out 2>&1
  rc=$?
  if [ $rc -eq 0 ] && grep -q ", 0 differing reads" /tmp/$name.out &&
     ! grep -q "(0 reads compared)" /tmp/$name.out; then
    result "$name" PASS "$records records on KVM; $(tail -1 /tmp/$name.out | cut -c1-160)"
  else
    cat /tmp/$name.out; head -30 $trace
    result "$name" FAIL "rc=$rc: $(tail -1 /tmp/$name.out | cut -c1-200)"
  fi
}
[ -z "$ONLY" ] && test_record_replay

# Differential (issue 11, docs/test-guests.md): each test guest recorded on
# KVM and run on hv_sim's x86 interpreter must make the same device accesses,
# in order, data included (the guests dump their registers to the test
# device, so the registers are compared too). One result per guest.
DIFF_GUESTS="io_tour_guest alu_guest mmio_guest string_io_guest irq_guest"
test_differential() {
  for guest in $DIFF_GUESTS; do
    name=differential-${guest%_guest}
    name=$(echo "$name" | tr _ -)
    [ -x ./petrel-replay ] && [ -f ./$guest.elf ] ||
      { result "$name" SKIP "no petrel-replay or $guest.elf in the payload"; continue; }
    trace=/tmp/$guest.trace
    rm -f $trace
    timeout 60 ./petrel --kernel ./$guest.elf --serial tty --console off --test-device \
      --record-io $trace </dev/null >/tmp/$name.run 2>&1
    ./petrel-replay --differential --trace $trace --kernel ./$guest.elf --serial tty \
      --console off --test-device >/tmp/$name.out 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q "; identical" /tmp/$name.out; then
      result "$name" PASS "$(tail -1 /tmp/$name.out | cut -c16-200)"
    else
      cat /tmp/$name.out; head -40 $trace
      result "$name" FAIL "rc=$rc: $(tail -1 /tmp/$name.out | cut -c1-240)"
    fi
  done
}
# The KVM recordings the hv_sim-only differential tests compare with
# (tests/guests/golden/, docs/test-guests.md): PETREL_NESTED_ONLY=golden-traces
# prints each between PETREL-GOLDEN markers for tests/guests/update_goldens.sh.
test_golden_traces() {
  for guest in $DIFF_GUESTS; do
    trace=/tmp/$guest.golden
    rm -f $trace
    timeout 60 ./petrel --kernel ./$guest.elf --serial tty --console off --test-device \
      --record-io $trace </dev/null >/dev/null 2>&1
    echo "PETREL-GOLDEN-BEGIN $guest"
    cat $trace
    echo "PETREL-GOLDEN-END $guest"
    [ -s $trace ] && result golden-$(echo "${guest%_guest}" | tr _ -) PASS "$(wc -l <$trace) lines" ||
      result golden-$(echo "${guest%_guest}" | tr _ -) FAIL "no trace"
  done
}
[ -z "$ONLY" ] && test_differential

# The kit's recommended command line: what users boot (console=ttyS0 quiet).
[ -f "$KIT/kit.env" ] && . "$KIT/kit.env"
BASE="${PETREL_KIT_L2_CMDLINE:-console=ttyS0 quiet}"
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
# In the guest: count online CPUs and ACPI errors/warnings in the kernel log.
PROBE=$(b64 'echo "PETREL-CPUS=$(grep -c ^processor /proc/cpuinfo)"; echo "PETREL-ACPI-ISSUES=$(dmesg | grep -ciE "acpi.*(error|warning)|acpi bios")"; dmesg | grep -iE "acpi.*(error|warning)|acpi bios" | head -5')

# A guest-side doorbell flood does not delay shutdown (issue 8): the guest's
# /bin/doorbell_flood (ci/guest-kit/doorbell_flood.c) rings virtio-rng's queue
# 0 doorbell in a tight loop on the only vCPU (iomem=relaxed lets it map the
# BAR its driver claims); once it prints PETREL-FLOOD-RUNNING the L1 sends
# vm.shutdown, then vmm.shutdown, and Petrel must exit within 1 s of the
# first call (/proc/uptime, 10 ms steps).
test_linux_doorbell_flood() {
  name=linux-doorbell-flood
  sock=/tmp/petrel-flood-api.sock
  rm -f "$sock"
  FLOOD=$(b64 'for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1044 ] && rng=$d; done
echo "PETREL-FLOOD-DEVICE=${rng:-none}"; [ -n "$rng" ] && /bin/doorbell_flood "$rng" 0')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE iomem=relaxed petrel.end=poweroff petrel.cmd=$FLOOD" --cpus boot=1 \
    --memory size=512M --serial tty --console off --api-socket "$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  waited=0
  while [ $waited -lt 60 ] && kill -0 $pid 2>/dev/null && ! grep -q PETREL-FLOOD-RUNNING "/tmp/$name.out"; do
    sleep 1; waited=$((waited + 1))
  done
  if ! grep -q PETREL-FLOOD-RUNNING "/tmp/$name.out"; then
    kill $pid 2>/dev/null; wait $pid
    tail -20 "/tmp/$name.out"
    result "$name" FAIL "the guest's flood did not start"
    return
  fi
  # Let the flood run 2 s; note which of Petrel's threads spend CPU meanwhile
  # (utime + stime from /proc, in 10 ms ticks; vCPU threads are "petrel",
  # device workers "petrel-<id>").
  threads() {
    for t in /proc/$pid/task/*; do echo "${t##*/} $(cat "$t/comm") $(awk '{ print $14 + $15 }' "$t/stat")"; done
  }
  marks() { grep -c 'PETREL-FLOOD writes=' "/tmp/$name.out"; }
  marks0=$(marks); threads >"/tmp/$name.cpu0"; sleep 2; threads >"/tmp/$name.cpu1"; marks1=$(marks)
  busy=$(awk 'NR == FNR { a[$1] = $3; next } $3 - a[$1] > 0 { printf "%s%s %d", s, $2, $3 - a[$1]; s = ", " }' \
    "/tmp/$name.cpu0" "/tmp/$name.cpu1")
  ( sleep 30; kill $pid 2>/dev/null ) &
  watchdog=$!
  t0=$(ms)
  ./petrel-remote --api-socket "$sock" shutdown >"/tmp/$name.remote" 2>&1; vm_rc=$?
  t1=$(ms)
  ./petrel-remote --api-socket "$sock" shutdown-vmm >>"/tmp/$name.remote" 2>&1; vmm_rc=$?
  wait $pid; rc=$?
  t2=$(ms)
  kill $watchdog 2>/dev/null; wait $watchdog 2>/dev/null
  detail="exit $((t2 - t0)) ms after vm.shutdown (answered in $((t1 - t0)) ms); flood: $((marks1 - marks0)) x 4096 writes in a 2 s window, CPU ticks (10 ms) then: ${busy:-none}"
  if [ $vm_rc -eq 0 ] && [ $vmm_rc -eq 0 ] && [ $rc -eq 0 ] && [ $((t2 - t0)) -le 1000 ]; then
    result "$name" PASS "$detail"
  else
    tail -20 "/tmp/$name.out"; cat "/tmp/$name.remote"
    result "$name" FAIL "$detail; petrel rc=$rc, petrel-remote rc=$vm_rc/$vmm_rc"
  fi
}
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# The VM lifecycle through the REST API, as an orchestrator drives it (issue
# 9): an empty VMM (only --api-socket), then petrel-remote create -> boot ->
# pause (8 s) -> resume -> counters -> shutdown -> delete -> create -> boot ->
# power-button. Meanwhile the Debian guest writes and reads its disk once a
# second and prints its uptime: nothing happens while paused, I/O goes on
# after resume without errors, and the guest's clock does not jump by the
# paused time (Petrel sets the VM clock back, as Cloud Hypervisor does). With
# --event-monitor the event stream is checked too.
test_linux_api_lifecycle() {
  name=linux-api-lifecycle
  sock=/tmp/petrel-life-api.sock
  events=/tmp/petrel-life-events.json
  img=/tmp/petrel-life-disk.img
  rm -f "$sock" "$events"
  dd if=/dev/zero of="$img" bs=1M count=8 2>/dev/null
  R="./petrel-remote --api-socket $sock"
  LIFEPROBE=$(b64 '(i=0; while true; do i=$((i+1)); dd if=/dev/urandom of=/dev/vda bs=64k count=4 seek=$((i % 32)) conv=fsync 2>/dev/null; w=$?; dd if=/dev/vda of=/dev/null bs=64k count=8 2>/dev/null; r=$?; echo "PETREL-IO $i w=$w r=$r up=$(cut -d" " -f1 /proc/uptime)"; sleep 1; done) &
echo PETREL-LIFE-RUNNING')
  cat >/tmp/petrel-life-vm.json <<JSON
{"payload":{"kernel":"$KIT/bzImage","initramfs":"$KIT/initrd.img",
 "cmdline":"$BASE petrel.end=power-button petrel.cmd=$LIFEPROBE"},
 "cpus":{"boot_vcpus":1,"max_vcpus":1},"memory":{"size":536870912},
 "serial":{"mode":"Tty"},"console":{"mode":"Off"},"disks":[{"path":"$img"}]}
JSON
  monitor=""
  ./petrel --help 2>/dev/null | grep -q -- --event-monitor && monitor="--event-monitor path=$events"
  ./petrel --api-socket "path=$sock" $monitor </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  ( sleep 400; kill $pid 2>/dev/null ) &
  watchdog=$!
  fail=""
  step() {  # step <what> <petrel-remote args...>: one API call, recorded
    what=$1; shift
    if ! $R "$@" >>"/tmp/$name.remote" 2>&1; then fail="$fail $what"; fi
  }
  wait_for() {  # wait_for <pattern> <count> <seconds>
    w=0
    while [ $w -lt "$3" ] && [ "$(grep -c "$1" "/tmp/$name.out")" -lt "$2" ]; do sleep 1; w=$((w + 1)); done
    [ "$(grep -c "$1" "/tmp/$name.out")" -ge "$2" ]
  }
  : >"/tmp/$name.remote"
  w=0; while [ $w -lt 20 ] && ! $R ping >/dev/null 2>&1; do sleep 1; w=$((w + 1)); done
  step create create /tmp/petrel-life-vm.json
  step info-created info
  grep -q '"state":"Created"' "/tmp/$name.remote" || fail="$fail state-created"
  step boot boot
  wait_for PETREL-LIFE-RUNNING 1 120 || fail="$fail guest-not-running"
  wait_for "PETREL-IO " 3 60 || fail="$fail no-io"
  step pause pause
  $R info | grep -q '"state":"Paused"' || fail="$fail state-paused"
  io_paused=$(grep -c "PETREL-IO " "/tmp/$name.out")
  last_up=$(grep "PETREL-IO " "/tmp/$name.out" | tail -1 | sed 's/.*up=//')
  t0=$(ms); sleep 8
  io_after_pause=$(grep -c "PETREL-IO " "/tmp/$name.out")
  [ "$io_after_pause" -le $((io_paused + 1)) ] || fail="$fail io-while-paused($io_paused->$io_after_pause)"
  step resume resume
  t1=$(ms)
  wait_for "PETREL-IO " $((io_after_pause + 3)) 60 || fail="$fail no-io-after-resume"
  first_up=$(grep "PETREL-IO " "/tmp/$name.out" | sed -n "$((io_after_pause + 1))p" | sed 's/.*up=//')
  # Guest seconds between the last line before the pause and the first after
  # it, against the host's paused time.
  gap=$(awk -v a="$last_up" -v b="$first_up" 'BEGIN { printf "%d", (b - a) * 1000 }')
  paused_ms=$((t1 - t0))
  [ -n "$first_up" ] && [ "$gap" -lt $((paused_ms - 3000)) ] || fail="$fail clock-jumped(guest ${gap}ms, paused ${paused_ms}ms)"
  grep "PETREL-IO " "/tmp/$name.out" | grep -qv "w=0 r=0" && fail="$fail io-errors"
  $R counters >"/tmp/$name.counters" 2>&1 || fail="$fail counters"
  grep -q '"_disk0"' "/tmp/$name.counters" || fail="$fail counters-no-disk"
  if grep -q '"read_bytes"' "/tmp/$name.counters"; then
    grep -q '"read_bytes":0[,}]' "/tmp/$name.counters" && fail="$fail counters-read-bytes-0"
  fi
  step shutdown shutdown
  $R info | grep -q '"state":"Created"' || fail="$fail state-after-shutdown"
  step delete delete
  $R info >/dev/null 2>&1 && fail="$fail info-after-delete"
  step create-again create /tmp/petrel-life-vm.json
  step boot-again boot
  # The first boot printed the marker too (it waited for the button when
  # vm.shutdown came): wait for the second one.
  wait_for PETREL-GUEST-WAITING-POWER-BUTTON 2 120 || fail="$fail second-boot"
  step power-button power-button
  w=0; while [ $w -lt 60 ] && kill -0 $pid 2>/dev/null; do sleep 1; w=$((w + 1)); done
  if kill -0 $pid 2>/dev/null; then
    fail="$fail no-power-off-after-the-button"  # SIGTERM would also give exit 0
    kill $pid
  fi
  wait $pid; rc=$?
  kill $watchdog 2>/dev/null; wait $watchdog 2>/dev/null
  [ $rc -eq 0 ] || fail="$fail exit-rc=$rc"
  [ -e "$sock" ] && fail="$fail socket-left"
  if [ -n "$monitor" ]; then
    # The vm and vmm events in order (virtio-device events interleave).
    got=$(awk -F'"' '/"source"/ { src = $4 } /"event"/ { if (src == "vm" || src == "vmm") printf "%s ", $4 }' "$events")
    want="starting booting booted pausing paused resuming resumed shutdown deleted booting booted shutdown deleted shutdown "
    case "$got" in
      *"$want"*|"$want") ;;
      *) fail="$fail events($got)" ;;
    esac
    # The disk's driver came up: CH's virtio-device "activated" event with its id.
    grep -q '"_disk0"' "$events" || fail="$fail no-virtio-device-event"
  fi
  detail="guest clock gap ${gap:-?} ms over a ${paused_ms:-?} ms pause; $(grep -c 'PETREL-IO ' "/tmp/$name.out") I/O rounds; events: $([ -n "$monitor" ] && echo checked || echo "not checked (no --event-monitor)")"
  if [ -z "$fail" ]; then
    result "$name" PASS "$detail"
  else
    tail -30 "/tmp/$name.out"; cat "/tmp/$name.remote" "/tmp/$name.counters" 2>/dev/null; [ -f "$events" ] && tail -40 "$events"
    result "$name" FAIL "$fail; $detail"
  fi
  rm -f "$img"
}

# The ticking guest of the snapshot and migration tests: it counts, printing
# each tick with its uptime on the serial console and writing it to its own
# sector of a virtio-blk disk (fsync per tick).
TICKS=$(b64 '(i=0; while true; do i=$((i+1)); printf "%08d\n" $i | dd of=/dev/vda bs=512 seek=$i count=1 conv=sync,fsync 2>/dev/null; echo "PETREL-TICK $i up=$(cut -d" " -f1 /proc/uptime)"; sleep 0.1; done) &
echo PETREL-TICKING')
# With a memory dirtier besides (the migration tests): 32 MiB rewritten in
# the page cache over and over.
DIRTY_TICKS=$(b64 '(while true; do dd if=/dev/zero of=/dev/shm/dirt bs=1M count=32 2>/dev/null; done) &
(i=0; while true; do i=$((i+1)); printf "%08d\n" $i | dd of=/dev/vda bs=512 seek=$i count=1 conv=sync,fsync 2>/dev/null; echo "PETREL-TICK $i up=$(cut -d" " -f1 /proc/uptime)"; sleep 0.1; done) &
echo PETREL-TICKING')
# The cancel test's guest: 320 MiB of non-zero page cache first, so the
# first memory round alone outlasts timeout_s=1 (1 L1 CPU for the guest and
# both VMMs), then the dirtier and the ticks.
FILLED_DIRTY_TICKS=$(b64 'yes 0123456789abcdef | head -c 503316480 > /dev/shm/fill
(while true; do dd if=/dev/zero of=/dev/shm/dirt bs=1M count=32 2>/dev/null; done) &
(i=0; while true; do i=$((i+1)); printf "%08d\n" $i | dd of=/dev/vda bs=512 seek=$i count=1 conv=sync,fsync 2>/dev/null; echo "PETREL-TICK $i up=$(cut -d" " -f1 /proc/uptime)"; sleep 0.1; done) &
echo PETREL-TICKING')

countn() { n=$(grep -c "$2" "$1" 2>/dev/null); echo "${n:-0}"; }  # countn <file> <pattern>
waitn() {  # waitn <file> <pattern> <count> <seconds> (the file may not exist yet)
  w=0
  while [ $w -lt "$4" ] && [ "$(countn "$1" "$2")" -lt "$3" ]; do sleep 1; w=$((w + 1)); done
  [ "$(countn "$1" "$2")" -ge "$3" ]
}

# vCPU hot-plug (issue 14, item 1), with ch-remote's documented commands:
# the Debian guest boots with --cpus boot=1,max=4 and onlines every CPU
# ACPI adds (as a distribution's udev rule does), printing the online set
# each second. resize --cpus 2 -> 0-1 (a single new vCPU: its INIT/SIPI
# once went nowhere); resize --cpus 4 -> 0-3; resize --cpus 2 -> the guest offlines
# and ejects CPUs 2 and 3 -> 0-1; resize --cpus 3 -> the ejected vCPU 2 is
# plugged again -> 0-2; resize --cpus 5 (above max) is refused. vm.info
# follows each count, no ACPI error is printed, then power-button, exit 0.
# Prints the time from each resize call to the guest seeing the new set.
# The same VM has an 8 MiB raw disk: resize-disk --disk _disk0 --size 16M,
# and the guest sees 32768 sectors and reads the last one (linux-resize-disk).
test_linux_cpu_hotplug() {
  name=linux-cpu-hotplug
  sock=/tmp/petrel-cpuhp.sock
  img=/tmp/petrel-cpuhp-disk.img
  rm -f "$sock"
  dd if=/dev/zero of="$img" bs=1M count=8 2>/dev/null
  R="./petrel-remote --api-socket $sock"
  CPUPROBE=$(b64 '(while true; do for c in /sys/devices/system/cpu/cpu[0-9]*; do [ -f $c/online ] && [ "$(cat $c/online)" = 0 ] && echo 1 > $c/online 2>/dev/null; done; s=$(cat /sys/block/vda/size); last=$(dd if=/dev/vda of=/dev/null bs=512 skip=$((s - 1)) count=1 2>&1 | grep -c "1+0 records in"); echo "PETREL-CPUS $(cat /sys/devices/system/cpu/online)"; echo "PETREL-DISK $s last=$last"; sleep 1; done) &
echo PETREL-CPUHP-RUNNING')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=power-button petrel.cmd=$CPUPROBE" --cpus boot=1,max=4 \
    --memory size=512M --serial tty --console off --api-socket "path=$sock" --disk "path=$img" \
    </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  fail=""
  cpus_now() { grep -a -o 'PETREL-CPUS [0-9,-]*' "/tmp/$name.out" | tail -1 | cut -d' ' -f2; }
  wait_cpus() {  # wait_cpus <online set> <seconds>
    w=0
    while [ $w -lt "$2" ]; do
      [ "$(cpus_now)" = "$1" ] && return 0
      sleep 1; w=$((w + 1))
    done
    return 1
  }
  resize_to() {  # resize_to <count> <online set>: one resize, timed to the guest seeing it
    t0=$(ms)
    $R resize --cpus "$1" >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-$1"
    if wait_cpus "$2" 90; then
      echo "nested-suite: $name: resize --cpus $1 -> guest online $2 in $(($(ms) - t0)) ms"
    else
      fail="$fail online-$2(got $(cpus_now))"
    fi
    $R info | grep -q "\"boot_vcpus\":$1[,}]" || fail="$fail info-$1"
  }
  : >"/tmp/$name.remote"
  w=0; while [ $w -lt 180 ] && ! grep -q PETREL-CPUHP-RUNNING "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
  if ! wait_cpus 0 60; then
    fail="$fail boot(got $(cpus_now))"
  else
    resize_to 2 0-1  # one new vCPU alone: KVM's APIC map must know it (kvm_vcpu.cc)
    resize_to 4 0-3
    resize_to 2 0-1
    resize_to 3 0-2
    $R resize --cpus 5 >>"/tmp/$name.remote" 2>&1 && fail="$fail above-max-accepted"
    disk_fail=""
    grep -a -q "PETREL-DISK 16384 last=1" "/tmp/$name.out" || disk_fail="$disk_fail before"
    t0=$(ms)
    $R resize-disk --disk _disk0 --size 16M >>"/tmp/$name.remote" 2>&1 || disk_fail="$disk_fail resize-disk"
    w=0; while [ $w -lt 60 ] && ! grep -a -q "PETREL-DISK 32768 last=1" "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
    if grep -a -q "PETREL-DISK 32768 last=1" "/tmp/$name.out"; then
      echo "nested-suite: $name: resize-disk 8M -> 16M seen by the guest in $(($(ms) - t0)) ms"
    else
      disk_fail="$disk_fail guest-size($(grep -a -o 'PETREL-DISK [0-9]* last=[0-9]*' "/tmp/$name.out" | tail -1))"
    fi
    [ "$(wc -c <"$img")" -eq $((16 << 20)) ] || disk_fail="$disk_fail file-size"
    $R resize-disk --disk _disk0 --size 4M >>"/tmp/$name.remote" 2>&1 && disk_fail="$disk_fail shrink-accepted"
    if [ -z "$disk_fail" ]; then result linux-resize-disk PASS; else result linux-resize-disk FAIL "$disk_fail"; fi
  fi
  grep -a -iE "ACPI (BIOS )?Error|ACPI Exception" "/tmp/$name.out" | head -5
  grep -a -qiE "ACPI (BIOS )?Error|ACPI Exception" "/tmp/$name.out" && fail="$fail acpi-errors"
  stop_with_power_button "$R" $pid
  if [ -z "$fail" ]; then
    result "$name" PASS
  else
    echo "--- $name output ---"; tail -30 "/tmp/$name.out"; cat "/tmp/$name.remote"
    result "$name" FAIL "$fail"
  fi
}

# PCI hot-plug (issue 14, item 5), with ch-remote's documented commands: the
# Debian guest boots with one disk and no network; its probe checksums each
# virtio disk that appears (vdb) and writes a marker to its sector 2048,
# brings up each network device that appears (eth0) and pings the L1, and
# prints the devices it has each half second. add-disk -> vdb appears with
# the image's checksum, the marker reaches the image; remove-device -> the
# guest ejects it and vdb goes, vm.info no longer lists it; add-disk again
# -> the same slot, vdb again; add-net -> eth0 pings the L1's tap;
# remove-device -> eth0 goes. No ACPI error, then power-button, exit 0.
# Prints the time from each call to the guest seeing the change.
test_linux_pci_hotplug() {
  name=linux-pci-hotplug
  sock=/tmp/petrel-pcihp.sock
  img=/tmp/petrel-pcihp-boot.img
  hp=/tmp/petrel-pcihp-hot.img
  rm -f "$sock"
  dd if=/dev/zero of="$img" bs=1M count=8 2>/dev/null
  head -c $((4 << 20)) /dev/urandom >"$hp"
  hp_sum=$(sha256sum "$hp" | cut -c1-64)
  R="./petrel-remote --api-socket $sock"
  PCIPROBE=$(b64 '(while true; do for d in vdb vdc; do if [ -b /dev/$d ]; then if [ ! -f /tmp/seen-$d ]; then touch /tmp/seen-$d; echo "PETREL-HP-BLK $d $(sha256sum /dev/$d | cut -c1-64)"; echo petrel-hotplug-write | dd of=/dev/$d bs=512 seek=2048 conv=sync,fsync 2>/dev/null; echo "PETREL-HP-WROTE $d rc=$?"; fi; else rm -f /tmp/seen-$d; fi; done; if [ -d /sys/class/net/eth0 ]; then if [ ! -f /tmp/seen-eth0 ]; then touch /tmp/seen-eth0; ip link set eth0 up; ip addr add 192.168.248.2/24 dev eth0; ping -c 3 -W 2 192.168.248.1 >/dev/null; echo "PETREL-HP-PING-RC=$?"; fi; else rm -f /tmp/seen-eth0; fi; echo "PETREL-HP-DEVS $(ls /sys/block | grep vd | tr "\n" ,) $(ls /sys/class/net | tr "\n" ,)"; sleep 0.5; done) &
echo PETREL-PCIHP-RUNNING')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=power-button petrel.cmd=$PCIPROBE" --cpus boot=1 \
    --memory size=512M --serial tty --console off --api-socket "path=$sock" --disk "path=$img" \
    </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  fail=""
  devs_now() { grep -a -o 'PETREL-HP-DEVS [^ ]* [^ ]*' "/tmp/$name.out" | tail -1 | tr -d '\r' | cut -d' ' -f2-; }
  wait_devs() {  # wait_devs <grep -E pattern on the latest device line> <seconds>
    w=0
    while [ $w -lt "$2" ]; do
      devs_now | grep -q -E "$1" && return 0
      sleep 1; w=$((w + 1))
    done
    return 1
  }
  timed() {  # timed <label> <pattern> <seconds>: waits, printing the time since t0
    if wait_devs "$2" "$3"; then
      echo "nested-suite: $name: $1 seen by the guest in $(($(ms) - t0)) ms"
    else
      fail="$fail $1(got $(devs_now))"
    fi
  }
  : >"/tmp/$name.remote"
  w=0; while [ $w -lt 180 ] && ! grep -q PETREL-PCIHP-RUNNING "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
  if ! wait_devs '^vda, ' 60; then
    fail="$fail boot(got $(devs_now))"
  else
    t0=$(ms)
    $R add-disk "path=$hp,id=hpdisk" >"/tmp/$name.add1" 2>>"/tmp/$name.remote" || fail="$fail add-disk"
    timed add-disk '^vda,vdb, ' 60
    waitn "/tmp/$name.out" "PETREL-HP-WROTE vdb rc=0" 1 30 || fail="$fail guest-write"
    grep -a -q "PETREL-HP-BLK vdb $hp_sum" "/tmp/$name.out" || fail="$fail checksum"
    grep -q '"id":"hpdisk"' "/tmp/$name.add1" || fail="$fail add-answer($(cat "/tmp/$name.add1"))"
    bdf1=$(grep -o '"bdf":"[^"]*"' "/tmp/$name.add1")
    t0=$(ms)
    $R remove-device hpdisk >>"/tmp/$name.remote" 2>&1 || fail="$fail remove-disk"
    timed remove-disk '^vda, ' 60
    $R info | grep -q hpdisk && fail="$fail info-still-lists"
    [ "$(dd if="$hp" bs=512 skip=2048 count=1 2>/dev/null | head -c 20)" = petrel-hotplug-write ] ||
      fail="$fail marker-not-on-image"
    t0=$(ms)
    $R add-disk "path=$hp,id=hpdisk" >"/tmp/$name.add2" 2>>"/tmp/$name.remote" || fail="$fail add-disk-again"
    timed add-disk-again '^vda,vdb, ' 60
    [ "$(grep -o '"bdf":"[^"]*"' "/tmp/$name.add2")" = "$bdf1" ] || fail="$fail slot-not-reused"
    waitn "/tmp/$name.out" "PETREL-HP-BLK vdb" 2 30 || fail="$fail second-read"
    t0=$(ms)
    $R add-net "tap=ptaphp0,ip=192.168.248.1,mask=255.255.255.0,id=hpnet" \
      >>"/tmp/$name.remote" 2>&1 || fail="$fail add-net"
    timed add-net ' .*eth0,' 60
    waitn "/tmp/$name.out" "PETREL-HP-PING-RC=" 1 30
    grep -a -q "PETREL-HP-PING-RC=0" "/tmp/$name.out" || fail="$fail ping"
    t0=$(ms)
    $R remove-device hpnet >>"/tmp/$name.remote" 2>&1 || fail="$fail remove-net"
    timed remove-net '^vda,vdb, (lo,)?$' 60
    $R remove-device __rng >>"/tmp/$name.remote" 2>&1 && fail="$fail rng-removable"
  fi
  grep -a -iE "ACPI (BIOS )?Error|ACPI Exception" "/tmp/$name.out" | head -5
  grep -a -qiE "ACPI (BIOS )?Error|ACPI Exception" "/tmp/$name.out" && fail="$fail acpi-errors"
  stop_with_power_button "$R" $pid
  if [ -z "$fail" ]; then
    result "$name" PASS
  else
    echo "--- $name output ---"; tail -40 "/tmp/$name.out"; cat "/tmp/$name.remote"
    result "$name" FAIL "$fail"
  fi
  rm -f "$img" "$hp"
}

# Memory hot-plug with virtio-mem (issue 14, item 2), with CH's
# docs/memory.md options: the Debian guest boots with 512 MiB and a 1 GiB
# virtio-mem area (memhp_default_state=online_movable, so what is plugged
# can be unplugged again); resize --memory 1G -> its MemTotal grows by
# 512 MiB; the guest fills 800 MiB of a tmpfs and frees it (the host now
# backs the plugged blocks); resize --memory 768M -> MemTotal shrinks by 256 MiB,
# vm.info's memory_actual_size is 768 MiB and Petrel's RSS drops by at
# least 128 MiB (unplugged blocks go back to the host); a size below the
# boot memory is refused. Then power-button, exit 0.
test_linux_virtio_mem() {
  name=linux-virtio-mem
  sock=/tmp/petrel-vmem.sock
  rm -f "$sock"
  R="./petrel-remote --api-socket $sock"
  VMPROBE=$(b64 '(b=$(grep MemTotal /proc/meminfo | tr -s " " | cut -d" " -f2); filled=0; while true; do m=$(grep MemTotal /proc/meminfo | tr -s " " | cut -d" " -f2); if [ $filled = 0 ] && [ $m -gt $((b + 500000)) ]; then mkdir -p /petrel-fill; mount -t tmpfs -o size=900m none /petrel-fill; dd if=/dev/zero of=/petrel-fill/f bs=1M count=800 2>/dev/null; echo "PETREL-VMEM-FILL $(du -m /petrel-fill/f | cut -f1) MiB"; rm /petrel-fill/f; umount /petrel-fill; filled=1; echo PETREL-VMEM-FILLED; fi; echo "PETREL-MEMTOTAL $m"; sleep 1; done) &
echo PETREL-VMEM-RUNNING')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE memhp_default_state=online_movable petrel.end=power-button petrel.cmd=$VMPROBE" \
    --cpus boot=1 --memory size=512M,hotplug_method=virtio-mem,hotplug_size=1G --serial tty \
    --console off --api-socket "path=$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  fail=""
  rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
  total_kib() { grep -a -o 'PETREL-MEMTOTAL [0-9]*' "/tmp/$name.out" | tail -1 | cut -d' ' -f2; }
  actual() { $R info | grep -o '"memory_actual_size":[0-9]*' | cut -d: -f2; }
  wait_total() {  # wait_total <min KiB> <max KiB> <seconds>
    w=0
    while [ $w -lt "$3" ]; do
      t=$(total_kib)
      [ -n "$t" ] && [ "$t" -ge "$1" ] && [ "$t" -le "$2" ] && return 0
      sleep 1; w=$((w + 1))
    done
    return 1
  }
  : >"/tmp/$name.remote"
  w=0; while [ $w -lt 180 ] && ! grep -q PETREL-VMEM-RUNNING "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
  sleep 2
  base=$(total_kib)
  if [ -z "$base" ]; then
    fail="$fail boot"
  else
    t0=$(ms)
    $R resize --memory 1G >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-1G"
    if wait_total $((base + 520000)) $((base + 530000)) 90; then
      echo "nested-suite: $name: 512 MiB -> 1 GiB seen by the guest in $(($(ms) - t0)) ms (MemTotal $base -> $(total_kib) KiB)"
    else
      fail="$fail grow(MemTotal $base -> $(total_kib))"
    fi
    waitn "/tmp/$name.out" PETREL-VMEM-FILLED 1 120 || fail="$fail fill"
    before=$(rss_kib)
    t0=$(ms)
    $R resize --memory 768M >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-768M"
    if wait_total $((base + 258000)) $((base + 266000)) 120; then
      echo "nested-suite: $name: 1 GiB -> 768 MiB seen by the guest in $(($(ms) - t0)) ms"
    else
      fail="$fail shrink(MemTotal $(total_kib))"
    fi
    sleep 2
    after=$(rss_kib)
    echo "nested-suite: $name: petrel RSS ${before} KiB -> ${after} KiB"
    [ -n "$before" ] && [ -n "$after" ] && [ $((before - after)) -ge $((128 << 10)) ] ||
      fail="$fail rss(${before}->${after} KiB)"
    [ "$(actual)" = $((768 << 20)) ] || fail="$fail actual($(actual))"
    $R resize --memory 256M >>"/tmp/$name.remote" 2>&1 && fail="$fail below-boot-accepted"
    $R counters >"/tmp/$name.counters" 2>&1
    grep -q '"mem0"' "/tmp/$name.counters" || fail="$fail counters"
  fi
  grep -a -iE "virtio_mem.*(error|fail)" "/tmp/$name.out" | head -5
  stop_with_power_button "$R" $pid
  if [ -z "$fail" ]; then
    result "$name" PASS
  else
    echo "--- $name output ---"; tail -30 "/tmp/$name.out"; cat "/tmp/$name.remote" "/tmp/$name.counters" 2>/dev/null
    result "$name" FAIL "$fail"
  fi
}

# Memory zones and guest NUMA (issue 14, item 3), with CH's docs/memory.md
# options: --memory size=0 and two zones, each in its own NUMA node with a
# vCPU (the first bound to the L1's host node 0 with mbind), the second zone
# with virtio-mem room and a hot-pluggable vCPU. The
# Debian guest sees two nodes (from the SRAT), each with its zone's memory
# and its vCPU, and the SLIT's distances; resize-zone mem1 to 512M plugs
# 256 MiB into node 1 only (virtio-mem's ACPI_PXM node id); resize --cpus 3
# onlines vCPU 2 in node 1. Then power-button.
test_linux_numa() {
  name=linux-numa
  sock=/tmp/petrel-numa.sock
  rm -f "$sock"
  R="./petrel-remote --api-socket $sock"
  NUMAPROBE=$(b64 '(n=/sys/devices/system/node; while true; do for c in /sys/devices/system/cpu/cpu[0-9]*; do [ -f $c/online ] && [ "$(cat $c/online)" = 0 ] && echo 1 > $c/online 2>/dev/null; done; echo "PETREL-NUMA nodes=$(cat $n/online) n0=$(grep MemTotal $n/node0/meminfo | tr -s " " | cut -d" " -f4) n1=$(grep MemTotal $n/node1/meminfo 2>/dev/null | tr -s " " | cut -d" " -f4) c0=$(cat $n/node0/cpulist) c1=$(cat $n/node1/cpulist 2>/dev/null) d0=$(cat $n/node0/distance | tr " " _) end"; sleep 1; done) &
echo PETREL-NUMA-RUNNING')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE memhp_default_state=online_movable petrel.end=power-button petrel.cmd=$NUMAPROBE" \
    --cpus boot=2,max=3 --memory size=0,hotplug_method=virtio-mem \
    --memory-zone id=mem0,size=256M,host_numa_node=0 id=mem1,size=256M,hotplug_size=512M \
    --numa guest_numa_id=0,cpus=[0],distances=[1@20],memory_zones=mem0 \
    guest_numa_id=1,cpus=[1-2],distances=[0@20],memory_zones=mem1 \
    --serial tty --console off --api-socket "path=$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  fail=""
  numa_now() { grep -a -o 'PETREL-NUMA .* end' "/tmp/$name.out" | tail -1 | tr -d '\r'; }
  field() { numa_now | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
  wait_field() {  # wait_field <field> <grep -E pattern> <seconds>
    w=0
    while [ $w -lt "$3" ]; do
      field "$1" | grep -q -E "$2" && return 0
      sleep 1; w=$((w + 1))
    done
    return 1
  }
  : >"/tmp/$name.remote"
  w=0; while [ $w -lt 180 ] && ! grep -q PETREL-NUMA-RUNNING "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
  sleep 2
  echo "nested-suite: $name: booted: $(numa_now)"
  if [ -z "$(numa_now)" ]; then
    fail="$fail boot"
  else
    [ "$(field nodes)" = 0-1 ] || fail="$fail nodes($(field nodes))"
    [ "$(field c0)" = 0 ] || fail="$fail node0-cpus($(field c0))"
    [ "$(field c1)" = 1 ] || fail="$fail node1-cpus($(field c1))"
    [ "$(field d0)" = 10_20 ] || fail="$fail distance($(field d0))"
    n0=$(field n0); n1=$(field n1)
    # Each node holds its 256 MiB zone, less what the kernel reserved.
    [ -n "$n0" ] && [ "$n0" -gt 150000 ] && [ "$n0" -le 262144 ] || fail="$fail node0-mem($n0)"
    [ -n "$n1" ] && [ "$n1" -gt 150000 ] && [ "$n1" -le 262144 ] || fail="$fail node1-mem($n1)"
    t0=$(ms)
    $R resize-zone --id mem1 --size 512M >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-zone"
    if [ -n "$n1" ] && wait_field n1 "^($((n1 + 262144)))$" 90; then
      echo "nested-suite: $name: zone mem1 256 MiB -> 512 MiB seen in node 1 in $(($(ms) - t0)) ms"
    else
      fail="$fail zone-grow(node1 $n1 -> $(field n1))"
    fi
    [ "$(field n0)" = "$n0" ] || fail="$fail node0-changed($(field n0))"
    $R info | grep -q '"memory_actual_size":805306368' || fail="$fail actual"
    $R resize --memory 1G >>"/tmp/$name.remote" 2>&1 && fail="$fail resize-ram-accepted"
    t0=$(ms)
    $R resize --cpus 3 >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-cpus"
    if wait_field c1 '^1-2$' 90; then
      echo "nested-suite: $name: vCPU 2 online in node 1 in $(($(ms) - t0)) ms"
    else
      fail="$fail cpu2-node($(field c0)/$(field c1))"
    fi
  fi
  grep -a -iE "ACPI (BIOS )?Error|ACPI Exception|SLIT table looks invalid|SRAT: .*(ignored|invalid)" \
    "/tmp/$name.out" | head -5
  grep -a -qiE "ACPI (BIOS )?Error|ACPI Exception|SLIT table looks invalid" "/tmp/$name.out" &&
    fail="$fail acpi-errors"
  stop_with_power_button "$R" $pid
  if [ -z "$fail" ]; then
    result "$name" PASS
  else
    echo "--- $name output ---"; tail -30 "/tmp/$name.out"; cat "/tmp/$name.remote"
    result "$name" FAIL "$fail"
  fi
}

# ACPI memory hot-plug (issue 14, item 2), CH's default method: the Debian
# guest boots with 512 MiB and a 1 GiB hot-plug area; resize --memory 768M
# and then 1G plug two 256 MiB DIMMs (MemTotal +256 MiB each; the kernel's
# acpi_memhotplug adds them, memhp_default_state=online_movable onlines
# them); the guest fills 800 MiB of a tmpfs and frees it; resize --memory
# 768M asks the guest to eject the second DIMM: MemTotal -256 MiB,
# memory_actual_size 768 MiB and Petrel's RSS drops by at least 128 MiB;
# resize --memory 640M (not whole DIMMs) is refused. Then power-button.
test_linux_acpi_memory() {
  name=linux-acpi-memory
  sock=/tmp/petrel-acpimem.sock
  rm -f "$sock"
  R="./petrel-remote --api-socket $sock"
  AMPROBE=$(b64 '(b=$(grep MemTotal /proc/meminfo | tr -s " " | cut -d" " -f2); filled=0; while true; do m=$(grep MemTotal /proc/meminfo | tr -s " " | cut -d" " -f2); if [ $filled = 0 ] && [ $m -gt $((b + 500000)) ]; then mkdir -p /petrel-fill; mount -t tmpfs -o size=900m none /petrel-fill; dd if=/dev/zero of=/petrel-fill/f bs=1M count=800 2>/dev/null; rm /petrel-fill/f; umount /petrel-fill; filled=1; echo PETREL-AMEM-FILLED; fi; echo "PETREL-MEMTOTAL $m"; sleep 1; done) &
echo PETREL-AMEM-RUNNING')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE memhp_default_state=online_movable petrel.end=power-button petrel.cmd=$AMPROBE" \
    --cpus boot=1 --memory size=512M,hotplug_size=1G --serial tty \
    --console off --api-socket "path=$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  fail=""
  rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
  total_kib() { grep -a -o 'PETREL-MEMTOTAL [0-9]*' "/tmp/$name.out" | tail -1 | cut -d' ' -f2; }
  actual() { $R info | grep -o '"memory_actual_size":[0-9]*' | cut -d: -f2; }
  wait_total() {  # wait_total <min KiB> <max KiB> <seconds>
    w=0
    while [ $w -lt "$3" ]; do
      t=$(total_kib)
      [ -n "$t" ] && [ "$t" -ge "$1" ] && [ "$t" -le "$2" ] && return 0
      sleep 1; w=$((w + 1))
    done
    return 1
  }
  : >"/tmp/$name.remote"
  w=0; while [ $w -lt 180 ] && ! grep -q PETREL-AMEM-RUNNING "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
  sleep 2
  base=$(total_kib)
  if [ -z "$base" ]; then
    fail="$fail boot"
  else
    for step in "768M 258000 266000" "1G 520000 530000"; do
      set -- $step
      t0=$(ms)
      $R resize --memory "$1" >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-$1"
      if wait_total $((base + $2)) $((base + $3)) 90; then
        echo "nested-suite: $name: resize --memory $1 seen by the guest in $(($(ms) - t0)) ms (MemTotal $(total_kib) KiB)"
      else
        fail="$fail grow-$1(MemTotal $base -> $(total_kib))"
      fi
    done
    waitn "/tmp/$name.out" PETREL-AMEM-FILLED 1 120 || fail="$fail fill"
    before=$(rss_kib)
    t0=$(ms)
    $R resize --memory 768M >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-768M"
    if wait_total $((base + 258000)) $((base + 266000)) 120; then
      echo "nested-suite: $name: DIMM ejected, 1 GiB -> 768 MiB seen by the guest in $(($(ms) - t0)) ms"
    else
      fail="$fail shrink(MemTotal $(total_kib))"
    fi
    sleep 2
    after=$(rss_kib)
    echo "nested-suite: $name: petrel RSS ${before} KiB -> ${after} KiB"
    [ -n "$before" ] && [ -n "$after" ] && [ $((before - after)) -ge $((128 << 10)) ] ||
      fail="$fail rss(${before}->${after} KiB)"
    [ "$(actual)" = $((768 << 20)) ] || fail="$fail actual($(actual))"
    $R resize --memory 640M >>"/tmp/$name.remote" 2>&1 && fail="$fail partial-dimm-accepted"
  fi
  grep -a -iE "ACPI (BIOS )?Error|ACPI Exception" "/tmp/$name.out" | head -5
  grep -a -qiE "ACPI (BIOS )?Error|ACPI Exception" "/tmp/$name.out" && fail="$fail acpi-errors"
  stop_with_power_button "$R" $pid
  if [ -z "$fail" ]; then
    result "$name" PASS
  else
    echo "--- $name output ---"; tail -30 "/tmp/$name.out"; cat "/tmp/$name.remote"
    result "$name" FAIL "$fail"
  fi
}

# virtio-balloon (issue 14, item 4), with CH's docs/balloon.md options: the
# Debian guest (512 MiB, --balloon size=0,deflate_on_oom=on) fills and frees
# 256 MiB of its initramfs root (page cache) so the host has it resident; resize --balloon 256M ->
# the guest's driver inflates: vm.info's memory_actual_size drops to
# 256 MiB, Petrel's RSS drops by at least 128 MiB (the pages went back to
# the host) and vm.counters has the guest's statistics; resize --balloon 0
# -> memory_actual_size is 512 MiB again. Then power-button, exit 0.
test_linux_balloon() {
  name=linux-balloon
  sock=/tmp/petrel-balloon.sock
  rm -f "$sock"
  R="./petrel-remote --api-socket $sock"
  BPROBE=$(b64 'dd if=/dev/zero of=/petrel-fill bs=1M count=256 2>/dev/null; rm /petrel-fill; echo PETREL-BALLOON-FILLED; (while true; do echo "PETREL-MEM $(grep MemTotal /proc/meminfo | tr -s " ")"; sleep 2; done) &')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=power-button petrel.cmd=$BPROBE" --cpus boot=1 \
    --memory size=512M --balloon size=0,deflate_on_oom=on --serial tty --console off \
    --api-socket "path=$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  fail=""
  rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
  actual() { $R info | grep -o '"memory_actual_size":[0-9]*' | cut -d: -f2; }
  wait_actual() {  # wait_actual <bytes> <seconds>
    w=0; while [ $w -lt "$2" ] && [ "$(actual)" != "$1" ]; do sleep 1; w=$((w + 1)); done
    [ "$(actual)" = "$1" ]
  }
  w=0; while [ $w -lt 180 ] && ! grep -q PETREL-BALLOON-FILLED "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
  grep -q PETREL-BALLOON-FILLED "/tmp/$name.out" || fail="$fail guest-not-ready"
  before=$(rss_kib)
  t0=$(ms)
  $R resize --balloon 256M >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-256M"
  if wait_actual $((256 << 20)) 120; then
    echo "nested-suite: $name: inflated 256 MiB in $(($(ms) - t0)) ms"
  else
    fail="$fail inflate(actual $(actual))"
  fi
  after=$(rss_kib)
  echo "nested-suite: $name: petrel RSS ${before} KiB -> ${after} KiB"
  [ -n "$before" ] && [ -n "$after" ] && [ $((before - after)) -ge $((128 << 10)) ] ||
    fail="$fail rss(${before}->${after} KiB)"
  $R counters >"/tmp/$name.counters" 2>&1
  sleep 2
  $R counters >"/tmp/$name.counters" 2>&1
  grep -q '"__balloon"' "/tmp/$name.counters" || fail="$fail counters"
  grep -q '"total_memory"' "/tmp/$name.counters" || fail="$fail guest-stats"
  $R resize --balloon 0 >>"/tmp/$name.remote" 2>&1 || fail="$fail resize-0"
  wait_actual $((512 << 20)) 120 || fail="$fail deflate(actual $(actual))"
  stop_with_power_button "$R" $pid
  if [ -z "$fail" ]; then
    result "$name" PASS
  else
    echo "--- $name output ---"; tail -20 "/tmp/$name.out"; cat "/tmp/$name.remote" "/tmp/$name.counters"
    result "$name" FAIL "$fail"
  fi
}

# Free page reporting (--balloon free_page_reporting=on): the Debian guest
# fills and frees 256 MiB; without any resize its driver reports the free
# pages, and within 30 s vm.counters' reported_bytes reaches 128 MiB and
# Petrel's RSS is back under 200 MiB (it is about 330 MiB with the pages
# resident, 100-130 MiB for an idle guest).
test_linux_balloon_reporting() {
  name=linux-balloon-reporting
  sock=/tmp/petrel-balloon-rep.sock
  rm -f "$sock"
  R="./petrel-remote --api-socket $sock"
  RPROBE=$(b64 'dd if=/dev/zero of=/petrel-fill bs=1M count=256 2>/dev/null; rm /petrel-fill; echo PETREL-BALLOON-FILLED')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=power-button petrel.cmd=$RPROBE" --cpus boot=1 \
    --memory size=512M --balloon size=0,free_page_reporting=on --serial tty --console off \
    --api-socket "path=$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  fail=""
  rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
  reported() { $R counters | grep -o '"reported_bytes":[0-9]*' | cut -d: -f2; }
  w=0; while [ $w -lt 180 ] && ! grep -q PETREL-BALLOON-FILLED "/tmp/$name.out"; do sleep 1; w=$((w + 1)); done
  grep -q PETREL-BALLOON-FILLED "/tmp/$name.out" || fail="$fail guest-not-ready"
  w=0
  while [ $w -lt 30 ] && { [ "$(reported)" -lt $((128 << 20)) ] || [ "$(rss_kib)" -ge $((200 << 10)) ]; }; do
    sleep 1; w=$((w + 1))
  done
  echo "nested-suite: $name: after ${w}s reported $(reported) bytes, petrel RSS $(rss_kib) KiB"
  [ "$(reported)" -ge $((128 << 20)) ] || fail="$fail reported($(reported))"
  [ "$(rss_kib)" -lt $((200 << 10)) ] || fail="$fail rss($(rss_kib) KiB)"
  stop_with_power_button "$R" $pid
  if [ -z "$fail" ]; then
    result "$name" PASS
  else
    echo "--- $name output ---"; tail -20 "/tmp/$name.out"
    result "$name" FAIL "$fail"
  fi
}

# start_ticking <out> <api-socket> <disk> <cmd> [<memory option>]: a petrel
# running the ticking guest (--memory size=256M unless given); sets $pid.
start_ticking() {
  dd if=/dev/zero of="$3" bs=1M count=16 2>/dev/null
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=power-button petrel.cmd=$4" --cpus boot=1 --memory "${5:-size=256M}" \
    --serial tty --console off --disk "path=$3" --api-socket "path=$2" </dev/null >"$1" 2>&1 &
  pid=$!
}

# last_tick <out>: the last tick the guest printed in <out>: sets $last_i,
# $last_up and $straddled. The switch may come while the guest's UART is
# half way through a tick's line: the rest of it comes out on the other
# side. That tick counts as printed before (its line, cut in two, matches
# neither file whole).
last_tick() {
  last=$(grep -a -o 'PETREL-TICK [0-9]* up=[0-9.]*' "$1" | tail -1)
  last_i=$(echo "$last" | awk '{print $2}'); last_up=${last##*up=}
  straddled=""
  if [ -n "$(tail -c 1 "$1")" ] && [ -n "$last_i" ]; then
    partial=$(tail -n 1 "$1" | tr -d '\r'); next="PETREL-TICK $((last_i + 1)) "
    if [ -n "$partial" ]; then
      case "${next}up=" in "$partial"*) straddled=1 ;; esac
      case "$partial" in "$next"*) straddled=1 ;; esac
    fi
    [ -n "$straddled" ] && last_i=$((last_i + 1))
  fi
}

# check_ticks_after <out2> <img>: every tick in <out2> follows the one
# before it, starting right after $last_i, the guest's uptime never goes
# back, and sector i of <img> holds tick i for every tick printed. Appends
# to $fail; sets $first_up and $end_i.
check_ticks_after() {
  seq_bad=$(grep -a -o 'PETREL-TICK [0-9]* up=[0-9.]*' "$1" | awk -v prev="$last_i" -v up="$last_up" '
    { i = $2; u = substr($3, 4) + 0
      if (i != prev + 1) { printf "tick %d after %d; ", i, prev }
      if (u < up) { printf "uptime %s after %s; ", u, up }
      prev = i; up = u }' | head -c 300)
  [ -z "$seq_bad" ] || fail="$fail sequence($seq_bad)"
  first_up=$(grep -a -o 'PETREL-TICK [0-9]* up=[0-9.]*' "$1" | head -1 | sed 's/.*up=//')
  end_i=$(grep -a -o 'PETREL-TICK [0-9]*' "$1" | tail -1 | awk '{print $2}')
  disk_bad=""
  if [ -n "$end_i" ]; then
    disk_bad=$(i=1; while [ $i -le "$end_i" ]; do
      v=$(dd if="$2" bs=512 skip=$i count=1 2>/dev/null | head -c 8)
      [ "$v" = "$(printf %08d $i)" ] || { echo "sector $i='$v'"; break; }
      i=$((i + 1)); done)
  fi
  [ -z "$disk_bad" ] || fail="$fail disk($disk_bad)"
}

# stop_with_power_button <remote> <pid>: the guest powers off; appends to
# $fail unless the VMM exits 0.
stop_with_power_button() {
  $1 power-button >/dev/null 2>&1 || fail="$fail power-button"
  w=0; while [ $w -lt 60 ] && kill -0 "$2" 2>/dev/null; do sleep 1; w=$((w + 1)); done
  kill -0 "$2" 2>/dev/null && { fail="$fail no-power-off"; kill "$2"; }
  wait "$2"; rc=$?
  [ $rc -eq 0 ] || fail="$fail exit-rc=$rc"
}

# pvpanic (issue 15, item 3): --pvpanic and --event-monitor; the Debian guest
# (pvpanic_pci bound to the 1b36:0011 function) crashes with sysrq c, its
# panic notifier writes PVPANIC_PANICKED, and the event file gets CH's
# {"source": "guest", "event": "panic", "properties": {"event": "panic"}} and
# Petrel's log its warning line. The VM keeps running (vm.info says Running,
# as CH); the kernel's default panic=0 leaves the guest spinning, so
# vmm.shutdown ends it, exit 0.
test_linux_pvpanic() {
  name=linux-pvpanic
  sock=/tmp/petrel-pvpanic.sock
  events=/tmp/$name.events
  rm -f "$sock" "$events"
  PPROBE=$(b64 'for d in /sys/bus/pci/devices/*; do if [ "$(cat $d/vendor):$(cat $d/device)" = "0x1b36:0x0011" ]; then echo "PETREL-PVPANIC-DEV $(basename $d) driver=$(basename "$(readlink $d/driver)")"; fi; done; echo PETREL-PVPANIC-CRASHING; sleep 1; echo c >/proc/sysrq-trigger')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$PPROBE" --cpus boot=1 --memory size=512M \
    --serial tty --console off --pvpanic --event-monitor "path=$events" \
    --api-socket "path=$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  R="./petrel-remote --api-socket $sock"
  fail=""
  w=0; while [ $w -lt 180 ] && ! grep -q '"event": "panic"' "$events" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || break; sleep 1; w=$((w + 1)); done
  waited=$w
  grep -q "PETREL-PVPANIC-DEV .* driver=pvpanic-pci" "/tmp/$name.out" || fail="$fail no-bound-device"
  grep -q '"source": "guest"' "$events" 2>/dev/null || fail="$fail no-guest-event"
  [ "$(grep -c '"event": "panic"' "$events" 2>/dev/null)" -ge 2 ] || fail="$fail no-panic-event"
  grep -q "pvpanic: guest event panic (0x01)" "/tmp/$name.out" || fail="$fail no-log-line"
  sleep 2
  $R info >"/tmp/$name.info" 2>&1
  grep -q '"state":"Running"' "/tmp/$name.info" || fail="$fail not-running-after-panic"
  $R shutdown-vmm >/dev/null 2>&1 || fail="$fail shutdown-vmm"
  w=0; while [ $w -lt 30 ] && kill -0 $pid 2>/dev/null; do sleep 1; w=$((w + 1)); done
  kill -0 $pid 2>/dev/null && { fail="$fail no-exit"; kill $pid; }
  wait $pid; rc=$?
  [ $rc -eq 0 ] || fail="$fail exit-rc=$rc"
  if [ -z "$fail" ]; then
    result "$name" PASS "$(grep -o 'PETREL-PVPANIC-DEV [^ ]*' "/tmp/$name.out"), panic event ${waited}s after start"
  else
    echo "--- $name output ---"; tail -30 "/tmp/$name.out"; cat "$events" "/tmp/$name.info" 2>/dev/null
    result "$name" FAIL "$fail"
  fi
}

# virtio-vsock (issue 15, item 1), CH's docs/vsock.md: --vsock
# cid=3,socket=<path> and the Debian guest's vmw_vsock_virtio_transport.
# vsock_peer (the guest kit's) on both sides: the guest runs an echo server
# on vsock port 1234 and connects to host port 5678, which reaches the L1's
# echo server on <socket>_5678 (4 MiB, then 100 connections at once); the
# L1 connects through the socket with "CONNECT 1234" (16 MiB, then 100 at
# once). Every byte comes back and is compared.
test_linux_vsock() {
  name=linux-vsock
  if [ ! -x "$KIT/vsock_peer" ]; then result "$name" SKIP "no vsock_peer in the guest kit"; return; fi
  sock=/tmp/petrel-vsock.sock
  api=/tmp/petrel-vsock-api.sock
  rm -f "$sock" "${sock}_5678" "$api"
  "$KIT/vsock_peer" unix-echo "${sock}_5678" &
  echo_pid=$!
  VPROBE=$(b64 'vsock_peer vsock-echo 1234 & sleep 1; echo PETREL-VSOCK-GUEST-READY
vsock_peer vsock-client 2 5678 4194304 1 | sed "s/^/G2H-BULK /"
vsock_peer vsock-client 2 5678 65536 100 | sed "s/^/G2H-MANY /"
echo PETREL-VSOCK-GUEST-DONE; sleep 120')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$VPROBE" --cpus boot=2 --memory size=512M \
    --serial tty --console off --vsock "cid=3,socket=$sock" --api-socket "path=$api" \
    </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  w=0; while [ $w -lt 120 ] && ! grep -q PETREL-VSOCK-GUEST-DONE "/tmp/$name.out" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || break; sleep 1; w=$((w + 1)); done
  "$KIT/vsock_peer" hybrid-client "$sock" 1234 16777216 1 >"/tmp/$name.h2g-bulk" 2>&1
  "$KIT/vsock_peer" hybrid-client "$sock" 1234 65536 100 >"/tmp/$name.h2g-many" 2>&1
  ./petrel-remote --api-socket "$api" shutdown-vmm >/dev/null 2>&1
  w=0; while [ $w -lt 30 ] && kill -0 $pid 2>/dev/null; do sleep 1; w=$((w + 1)); done
  kill -0 $pid 2>/dev/null && kill $pid
  wait $pid; rc=$?
  kill $echo_pid 2>/dev/null; wait $echo_pid 2>/dev/null
  fail=""
  grep -q "G2H-BULK PETREL-VSOCK-PASS conns=1 bytes=4194304" "/tmp/$name.out" || fail="$fail guest-to-host-bulk"
  grep -q "G2H-MANY PETREL-VSOCK-PASS conns=100 bytes=65536" "/tmp/$name.out" || fail="$fail guest-to-host-100"
  grep -q "PETREL-VSOCK-PASS conns=1 bytes=16777216" "/tmp/$name.h2g-bulk" || fail="$fail host-to-guest-bulk($(head -c 200 "/tmp/$name.h2g-bulk"))"
  grep -q "PETREL-VSOCK-PASS conns=100 bytes=65536" "/tmp/$name.h2g-many" || fail="$fail host-to-guest-100($(head -c 200 "/tmp/$name.h2g-many"))"
  [ $rc -eq 0 ] || fail="$fail exit-rc=$rc"
  [ -e "$sock" ] && fail="$fail socket-left-behind"
  if [ -z "$fail" ]; then
    rates="g2h $(grep -o 'G2H-BULK.*MBps=[0-9.]*' "/tmp/$name.out" | grep -o 'MBps=[0-9.]*'), h2g $(grep -o 'MBps=[0-9.]*' "/tmp/$name.h2g-bulk")"
    result "$name" PASS "4 MiB guest->host and 16 MiB host->guest echoed and compared, 100 connections each way; $rates"
  else
    echo "--- $name output ---"; tail -30 "/tmp/$name.out"
    result "$name" FAIL "$fail"
  fi
}

# virtio-pmem (issue 15, item 2), CH's docs: --pmem file=<64 MiB file>.
# Boot 1: the guest's virtio_pmem + nd_pmem make /dev/pmem0 of it; it makes
# an ext2 file system there (busybox mke2fs, 4 KiB blocks), mounts it with
# the ext4 driver and -o dax (or without, saying so), writes a file and syncs
# (a flush request: vm.counters' "flushes" goes up); the L1 then finds the
# file's bytes in the image. Boot 2, discard_writes=on: the guest reads the
# file back and writes another; the image's hash does not change.
test_linux_pmem() {
  name=linux-pmem
  sock=/tmp/petrel-pmem.sock
  img=/tmp/petrel-pmem.img
  rm -f "$sock" "$img"
  dd if=/dev/zero of="$img" bs=1M count=64 2>/dev/null
  P1=$(b64 'ls /dev/pmem0 >/dev/null 2>&1 || { echo PETREL-PMEM-NO-DEVICE; exit 1; }
mke2fs -q -b 4096 /dev/pmem0; echo "PETREL-PMEM-MKFS-RC=$?"; mkdir -p /mnt
if mount -t ext4 -o dax /dev/pmem0 /mnt; then echo PETREL-PMEM-DAX=on; else mount -t ext4 /dev/pmem0 /mnt; echo PETREL-PMEM-DAX=off; fi
echo petrel-pmem-data-1234 >/mnt/hello; sync; echo "PETREL-PMEM-WROTE=$(cat /mnt/hello)"
umount /mnt; echo PETREL-PMEM-DONE; sleep 4')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$P1" --cpus boot=1 --memory size=512M \
    --serial tty --console off --pmem "file=$img" --api-socket "path=$sock" \
    </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  w=0; while [ $w -lt 90 ] && ! grep -q PETREL-PMEM-DONE "/tmp/$name.out"; do
    kill -0 $pid 2>/dev/null || break; sleep 1; w=$((w + 1)); done
  ./petrel-remote --api-socket "$sock" counters >"/tmp/$name.counters" 2>&1
  w=0; while [ $w -lt 60 ] && kill -0 $pid 2>/dev/null; do sleep 1; w=$((w + 1)); done
  kill -0 $pid 2>/dev/null && kill $pid
  wait $pid; rc1=$?
  fail=""
  [ $rc1 -eq 0 ] || fail="$fail boot1-rc=$rc1"
  grep -q "PETREL-PMEM-MKFS-RC=0" "/tmp/$name.out" || fail="$fail mkfs"
  grep -q "PETREL-PMEM-WROTE=petrel-pmem-data-1234" "/tmp/$name.out" || fail="$fail guest-write"
  grep -aq "petrel-pmem-data-1234" "$img" || fail="$fail host-sees-no-data"
  flushes=$(tr -d ' \n' <"/tmp/$name.counters" | grep -o '"_pmem0":{[^}]*}' | grep -o '"flushes":[0-9]*' | cut -d: -f2)
  [ "${flushes:-0}" -gt 0 ] || fail="$fail no-flush($(head -c 300 "/tmp/$name.counters"))"
  dax=$(grep -o "PETREL-PMEM-DAX=[a-z]*" "/tmp/$name.out" | cut -d= -f2)
  before=$(sha256sum "$img" | cut -d' ' -f1)
  P2=$(b64 'mkdir -p /mnt; mount -t ext4 -o dax /dev/pmem0 /mnt || mount -t ext4 /dev/pmem0 /mnt
echo "PETREL-PMEM-READ=$(cat /mnt/hello)"; echo discarded >/mnt/other; sync; umount /mnt')
  timeout 90 ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$P2" --cpus boot=1 --memory size=512M \
    --serial tty --console off --pmem "file=$img,discard_writes=on" \
    </dev/null >"/tmp/$name.2.out" 2>&1
  rc2=$?
  [ $rc2 -eq 0 ] || fail="$fail boot2-rc=$rc2"
  grep -q "PETREL-PMEM-READ=petrel-pmem-data-1234" "/tmp/$name.2.out" || fail="$fail boot2-read"
  [ "$(sha256sum "$img" | cut -d' ' -f1)" = "$before" ] || fail="$fail image-changed-with-discard_writes"
  grep -aq "discarded" "$img" && fail="$fail discarded-write-reached-the-file"
  if [ -z "$fail" ]; then
    result "$name" PASS "/dev/pmem0 ext2 via ext4 (dax=$dax), $flushes flushes, data in the image; discard_writes left it unchanged"
  else
    echo "--- $name output ---"; tail -30 "/tmp/$name.out"; tail -15 "/tmp/$name.2.out"
    result "$name" FAIL "$fail"
  fi
  rm -f "$img"
}

# virtio-iommu (issue 15, item 4): the disk and the NIC with iommu=on, the
# guest booted with iommu.strict=1 (every unmap invalidated at once), on the
# kit's backports kernel (Debian's 6.1 cloud kernel has no virtio_iommu;
# 6.12's has it as a module, and ACPI VIOT built in). The
# guest's virtio_iommu driver takes the IOMMU the VIOT names; virtio_blk and
# virtio_net then map every ring and buffer through it. The guest reads the
# whole disk (its hash against the L1's), writes a block the L1 finds in the
# image, and pings the L1 through the tap with large packets. Petrel's
# counters must show the driver's requests and mappings. Then pause,
# snapshot, SIGKILL, restore and resume: the guest reads the whole disk
# again (its hash against the image's now) and pings again, with no fault.
test_linux_iommu() {
  name=linux-iommu
  if [ ! -f "$KIT/bpo/bzImage" ]; then
    result "$name" SKIP "no backports kernel in the guest kit (the 6.1 cloud kernel has no virtio_iommu)"; return
  fi
  sock=/tmp/petrel-iommu.sock; sock2=/tmp/petrel-iommu2.sock; snap=/tmp/petrel-iommu-snap
  img=/tmp/petrel-iommu.img
  out1="/tmp/$name.out"; out2="/tmp/$name.restored.out"
  rm -rf "$sock" "$sock2" "$snap" "$img"
  head -c $((8 << 20)) /dev/urandom >"$img"
  want=$(sha256sum "$img" | cut -c1-64)
  P=$(b64 'w=0; while [ $w -lt 20 ] && ! [ -b /dev/vda ]; do sleep 0.5; w=$((w + 1)); done
[ -d /sys/bus/virtio/drivers/virtio_iommu ] && echo PETREL-IOMMU-DRIVER=yes || echo PETREL-IOMMU-DRIVER=no
echo "PETREL-IOMMU-GROUPS=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
echo "PETREL-IOMMU-VDA-GROUP=$(basename "$(readlink /sys/block/vda/device/../iommu_group 2>/dev/null)")"
echo "PETREL-IOMMU-SUM=$(sha256sum /dev/vda | cut -c1-64)"
echo petrel-iommu-write | dd of=/dev/vda bs=512 seek=4096 conv=sync,fsync 2>/dev/null; echo "PETREL-IOMMU-WROTE=$?"
ip link set eth0 up; ip addr add 192.168.247.2/24 dev eth0
ping -c 5 -s 1400 -W 2 192.168.247.1 >/dev/null; echo "PETREL-IOMMU-PING-RC=$?"
echo PETREL-IOMMU-PHASE1; sleep 20
echo 3 >/proc/sys/vm/drop_caches; echo "PETREL-IOMMU-SUM2=$(sha256sum /dev/vda | cut -c1-64)"
ip neigh flush dev eth0; ping -c 5 -s 1400 -W 2 192.168.247.1 >/dev/null; echo "PETREL-IOMMU-PING2-RC=$?"
echo "PETREL-IOMMU-FAULTS=$(dmesg | grep -c "fault from EP")"; dmesg | grep -i iommu | head -8
echo PETREL-IOMMU-DONE; sleep 4')
  ./petrel --kernel "$KIT/bpo/bzImage" --initramfs "$KIT/bpo/initrd.img" \
    --cmdline "$BASE iommu.strict=1 petrel.end=poweroff petrel.cmd=$P" --cpus boot=1 \
    --memory size=512M --serial tty --console off --api-socket "path=$sock" \
    --disk "path=$img,iommu=on" \
    --net "tap=pitap0,ip=192.168.247.1,mask=255.255.255.0,host_mac=12:34:56:78:9a:01,iommu=on" \
    </dev/null >"$out1" 2>&1 &
  pid=$!
  ( sleep 400; kill $pid 2>/dev/null ) &
  watchdog=$!
  fail=""
  waitn "$out1" PETREL-IOMMU-PHASE1 1 150 || fail="$fail no-phase1"
  ./petrel-remote --api-socket "$sock" counters >"/tmp/$name.counters" 2>&1
  if grep -q "PETREL-IOMMU-DRIVER=no" "$out1"; then
    kill $pid $watchdog 2>/dev/null; wait $pid $watchdog 2>/dev/null
    result "$name" SKIP "the guest kernel has no virtio_iommu driver"; rm -f "$img"; return
  fi
  # Snapshot with the guest's mappings live, kill, restore: the devices'
  # rings are IOVAs, so the restored IOMMU must hold them before the disk
  # and the NIC come back.
  ./petrel-remote --api-socket "$sock" pause >"/tmp/$name.remote" 2>&1 || fail="$fail pause"
  ./petrel-remote --api-socket "$sock" snapshot "file://$snap" >>"/tmp/$name.remote" 2>&1 || fail="$fail snapshot"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  want2=$(sha256sum "$img" | cut -c1-64)
  ./petrel --restore "source_url=file://$snap" --api-socket "path=$sock2" </dev/null >"$out2" 2>&1 &
  pid=$!
  w=0; while [ $w -lt 30 ] && ! ./petrel-remote --api-socket "$sock2" info 2>/dev/null | grep -q '"state":"Paused"'; do
    sleep 1; w=$((w + 1)); done
  ./petrel-remote --api-socket "$sock2" resume >>"/tmp/$name.remote" 2>&1 || fail="$fail resume"
  waitn "$out2" PETREL-IOMMU-DONE 1 120 || fail="$fail not-done-after-restore"
  ./petrel-remote --api-socket "$sock2" counters >"/tmp/$name.counters2" 2>&1
  w=0; while [ $w -lt 60 ] && kill -0 $pid 2>/dev/null; do sleep 1; w=$((w + 1)); done
  kill -0 $pid 2>/dev/null && kill $pid
  wait $pid; rc=$?
  kill $watchdog 2>/dev/null; wait $watchdog 2>/dev/null
  [ $rc -eq 0 ] || fail="$fail rc=$rc"
  groups=$(grep -o "PETREL-IOMMU-GROUPS=[0-9]*" "$out1" | cut -d= -f2)
  [ "${groups:-0}" -ge 2 ] || fail="$fail iommu-groups=${groups:-none}"
  grep -q "PETREL-IOMMU-VDA-GROUP=[0-9]" "$out1" || fail="$fail vda-not-in-a-group"
  grep -q "PETREL-IOMMU-SUM=$want" "$out1" || fail="$fail disk-hash"
  grep -q "PETREL-IOMMU-WROTE=0" "$out1" || fail="$fail guest-write"
  dd if="$img" bs=512 skip=4096 count=1 2>/dev/null | grep -aq petrel-iommu-write || fail="$fail write-not-in-image"
  grep -q "PETREL-IOMMU-PING-RC=0" "$out1" || fail="$fail ping"
  grep -q "PETREL-IOMMU-SUM2=$want2" "$out2" || fail="$fail disk-hash-after-restore"
  grep -q "PETREL-IOMMU-PING2-RC=0" "$out2" || fail="$fail ping-after-restore"
  grep -q "PETREL-IOMMU-FAULTS=0" "$out2" || fail="$fail guest-saw-faults"
  c=$(tr -d ' \n' <"/tmp/$name.counters" | grep -o '"__iommu":{[^}]*}')
  maps=$(echo "$c" | grep -o '"mappings":[0-9]*' | cut -d: -f2)
  reqs=$(echo "$c" | grep -o '"requests":[0-9]*' | cut -d: -f2)
  c2=$(tr -d ' \n' <"/tmp/$name.counters2" | grep -o '"__iommu":{[^}]*}')
  faults=$(echo "$c2" | grep -o '"faults":[0-9]*' | cut -d: -f2)
  [ "${reqs:-0}" -gt 0 ] || fail="$fail no-iommu-requests($(head -c 300 "/tmp/$name.counters"))"
  [ "${maps:-0}" -gt 0 ] || fail="$fail no-mappings"
  [ "${faults:-1}" -eq 0 ] || fail="$fail faults-after-restore=${faults:-none}"
  if [ -z "$fail" ]; then
    result "$name" PASS "iommu.strict=1: disk hash and write, ping through the NIC, $groups IOMMU groups, $reqs requests, $maps mappings; after snapshot, kill and restore: disk hash and ping again, no fault"
  else
    echo "--- $name output ---"; tail -40 "$out1"; echo ---; tail -30 "$out2"; cat "/tmp/$name.remote"
    result "$name" FAIL "$fail"
  fi
  rm -rf "$img" "$snap"
}

# virtio-watchdog (issue 15, item 3): --watchdog; the guest kit's virtio_wdt
# driver (Cloud Hypervisor's device has no mainline driver) gives the guest
# /dev/watchdog. Boot 1 runs busybox's watchdog daemon (a ping every 5 s) for
# 30 s -- longer than the device's 20 s timeout, so pings do keep it alive --
# then SIGKILLs it (no magic close) and waits: the device must reset the VM.
# Boot 2 (the boot count in CMOS, which survives the reset) powers off, and
# Petrel exits 0.
test_linux_watchdog() {
  name=linux-watchdog
  WPROBE=$(b64 'b=$(dd if=/dev/nvram bs=1 skip=50 count=1 2>/dev/null | od -An -tu1 | tr -d " \n")
if [ "${b:-0}" != 0 ]; then echo "PETREL-WDT-SECOND-BOOT"; exit 0; fi
printf "\001" | dd of=/dev/nvram bs=1 seek=50 count=1 conv=notrunc 2>/dev/null
ls /lib/modules/*/extra/virtio_wdt.ko >/dev/null 2>&1 || { echo "PETREL-WDT-NO-MODULE"; exit 0; }
insmod /lib/modules/*/extra/virtio_wdt.ko || echo "PETREL-WDT-INSMOD-FAILED"
for d in /sys/bus/virtio/devices/*; do [ "$(cat $d/device)" = "0x0023" ] && echo "PETREL-WDT-DEV $(basename $d) driver=$(basename "$(readlink $d/driver)")"; done
[ -c /dev/watchdog ] || { echo "PETREL-WDT-NO-DEV-NODE"; exit 1; }
watchdog -t 5 /dev/watchdog; sleep 1
p=$(pidof watchdog); echo "PETREL-WDT-DAEMON ${p:-none}"
sleep 30; echo "PETREL-WDT-ALIVE-30S"
kill -9 $p; echo "PETREL-WDT-KILLED"; sleep 120; echo "PETREL-WDT-NO-RESET"')
  start=$(date +%s)
  timeout 240 ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$WPROBE" --cpus boot=1 --memory size=512M \
    --serial tty --console off --watchdog </dev/null >"/tmp/$name.out" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  if grep -q PETREL-WDT-NO-MODULE "/tmp/$name.out"; then
    result "$name" SKIP "the guest kit has no virtio_wdt.ko (PETREL_KIT_VIRTIO_WDT_MISSING in kit.env says why)"
    return
  fi
  fail=""
  grep -q "PETREL-WDT-DEV .* driver=virtio_wdt" "/tmp/$name.out" || fail="$fail no-bound-device"
  grep -q "PETREL-WDT-DAEMON [0-9]" "/tmp/$name.out" || fail="$fail no-daemon"
  grep -q "PETREL-WDT-ALIVE-30S" "/tmp/$name.out" || fail="$fail reset-while-pinged"
  grep -q "PETREL-WDT-KILLED" "/tmp/$name.out" || fail="$fail not-killed"
  grep -q "virtio-watchdog: [0-9]* ms since the last ping; resetting the VM" "/tmp/$name.out" ||
    fail="$fail no-expiry-line"
  grep -q "PETREL-WDT-NO-RESET" "/tmp/$name.out" && fail="$fail no-reset"
  grep -q "PETREL-WDT-SECOND-BOOT" "/tmp/$name.out" || fail="$fail no-second-boot"
  [ $rc -eq 0 ] || fail="$fail exit-rc=$rc"
  if [ -z "$fail" ]; then
    result "$name" PASS "$(grep -o 'virtio-watchdog: [0-9]* ms since the last ping' "/tmp/$name.out"), ${took}s in all"
  else
    echo "--- $name output (rc=$rc) ---"; tail -40 "/tmp/$name.out"
    result "$name" FAIL "$fail"
  fi
}

# TPM (issue 15, item 5): --tpm socket= with swtpm (the host's, in the
# payload) started as Cloud Hypervisor's docs/tpm.md starts it. The guest's
# own tpm_crb probes the CRB device from the ACPI tables; the guest reads
# its TPM version and PCR 0 from sysfs, extends PCR 16 through /dev/tpm0
# with a hand-made TPM2_PCR_Extend (empty password session, a SHA-256
# digest of 32 bytes 0xab), and reads it back: it must be
# SHA-256(32 zero bytes || the digest), computed here in L1. Then the VM is
# paused and snapshotted, Petrel SIGKILLed and swtpm replaced by a fresh one
# (new state directory, same socket); `petrel --restore` loads the TPM's
# state into it, and after vm.resume the guest reads PCR 16 again: the same.
start_swtpm() {  # start_swtpm <state dir>: swtpm on /tmp/swtpm.sock, pid in $swpid
  rm -rf "$1" /tmp/swtpm.sock; mkdir -p "$1"
  ./swtpm socket --tpm2 --tpmstate dir="$1" --ctrl type=unixio,path=/tmp/swtpm.sock \
    >>"/tmp/$name.swtpm" 2>&1 &
  swpid=$!
  w=0; while [ $w -lt 10 ] && [ ! -S /tmp/swtpm.sock ]; do sleep 1; w=$((w + 1)); done
  sleep 1  # the socket file appears at bind(), a moment before swtpm listens
}
test_linux_tpm() {
  name=linux-tpm
  if [ ! -x ./swtpm ]; then
    result "$name" SKIP "no swtpm in the payload (the swtpm package is not installed on the host)"
    return
  fi
  sock=/tmp/petrel-tpm-api.sock; sock2=/tmp/petrel-tpm-api2.sock; snap=/tmp/petrel-tpm-snap
  rm -rf "$sock" "$sock2" "$snap" "/tmp/$name.swtpm"
  out1="/tmp/$name.out"; out2="/tmp/$name.restored.out"
  start_swtpm /tmp/swtpm-a
  TPROBE=$(b64 '[ -c /dev/tpm0 ] || { echo PETREL-TPM-NO-DEVICE; dmesg | grep -i tpm; exit 1; }
echo "PETREL-TPM-VERSION=$(cat /sys/class/tpm/tpm0/tpm_version_major)"
echo "PETREL-TPM-PCR0=$(cat /sys/class/tpm/tpm0/pcr-sha256/0)"
printf "\200\002\000\000\000\101\000\000\001\202\000\000\000\020\000\000\000\011\100\000\000\011\000\000\000\000\000\000\000\000\001\000\013" >/tmp/cmd
head -c 32 /dev/zero | tr "\000" "\253" >>/tmp/cmd
exec 3<>/dev/tpm0; dd if=/tmp/cmd bs=65 count=1 >&3 2>/dev/null
echo "PETREL-TPM-EXTEND=$(dd bs=4096 count=1 <&3 2>/dev/null | od -An -tx1 | tr -d " \n")"; exec 3>&-
echo "PETREL-TPM-PCR16=$(cat /sys/class/tpm/tpm0/pcr-sha256/16)"
dmesg | grep -iE "tpm|crb" | head -5; echo PETREL-TPM-EXTENDED; sleep 20
echo "PETREL-TPM-PCR16-AFTER=$(cat /sys/class/tpm/tpm0/pcr-sha256/16)"; echo PETREL-TPM-DONE')
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$TPROBE" --cpus boot=1 --memory size=512M \
    --serial tty --console off --tpm "socket=/tmp/swtpm.sock" --api-socket "path=$sock" \
    </dev/null >"$out1" 2>&1 &
  pid=$!
  ( sleep 300; kill $pid 2>/dev/null ) &
  watchdog=$!
  fail=""
  waitn "$out1" PETREL-TPM-EXTENDED 1 120 || fail="$fail not-extended"
  ./petrel-remote --api-socket "$sock" pause >"/tmp/$name.remote" 2>&1 || fail="$fail pause"
  ./petrel-remote --api-socket "$sock" snapshot "file://$snap" >>"/tmp/$name.remote" 2>&1 || fail="$fail snapshot"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  kill $swpid 2>/dev/null; wait $swpid 2>/dev/null
  start_swtpm /tmp/swtpm-b  # fresh: what the guest's TPM holds must come from the snapshot
  ./petrel --restore "source_url=file://$snap" --api-socket "path=$sock2" </dev/null >"$out2" 2>&1 &
  pid=$!
  w=0; while [ $w -lt 30 ] && ! ./petrel-remote --api-socket "$sock2" info 2>/dev/null | grep -q '"state":"Paused"'; do
    sleep 1; w=$((w + 1)); done
  ./petrel-remote --api-socket "$sock2" resume >>"/tmp/$name.remote" 2>&1 || fail="$fail resume"
  w=0; while [ $w -lt 90 ] && kill -0 $pid 2>/dev/null; do sleep 1; w=$((w + 1)); done
  kill -0 $pid 2>/dev/null && kill $pid
  wait $pid; rc=$?
  kill $watchdog $swpid 2>/dev/null; wait $watchdog $swpid 2>/dev/null
  want=$({ head -c 32 /dev/zero; head -c 32 /dev/zero | tr '\000' '\253'; } | sha256sum | cut -c1-64)
  pcr16=$(grep -a -o 'PETREL-TPM-PCR16=[0-9a-fA-F]*' "$out1" | cut -d= -f2 | tr 'A-F' 'a-f')
  after=$(grep -a -o 'PETREL-TPM-PCR16-AFTER=[0-9a-fA-F]*' "$out2" | cut -d= -f2 | tr 'A-F' 'a-f')
  pcr0=$(grep -a -o 'PETREL-TPM-PCR0=[0-9a-fA-F]*' "$out1" | cut -d= -f2)
  grep -aq "PETREL-TPM-VERSION=2" "$out1" || fail="$fail no-tpm2"
  [ "$pcr0" = "0000000000000000000000000000000000000000000000000000000000000000" ] || fail="$fail pcr0=${pcr0:-none}"
  # The response: tag 8002, size 19, TPM_RC_SUCCESS, then the session.
  grep -aq "PETREL-TPM-EXTEND=80020000001300000000" "$out1" || fail="$fail extend-rc"
  [ "$pcr16" = "$want" ] || fail="$fail pcr16=${pcr16:-none}(want $want)"
  [ "$after" = "$want" ] || fail="$fail pcr16-after-restore=${after:-none}"
  grep -aq PETREL-TPM-DONE "$out2" || fail="$fail not-done"
  [ $rc -eq 0 ] || fail="$fail exit-rc=$rc"
  if [ -z "$fail" ]; then
    result "$name" PASS "tpm_crb probed, PCR 16 extended through /dev/tpm0 = SHA-256(0^32 || 0xab^32), the same after snapshot and restore on a fresh swtpm"
  else
    echo "--- $name output ---"; tail -30 "$out1"; echo ---; tail -20 "$out2"
    cat "/tmp/$name.remote"; tail -5 "/tmp/$name.swtpm"
    result "$name" FAIL "$fail"
  fi
  rm -rf "$snap" /tmp/swtpm-a /tmp/swtpm-b
}

# Snapshot and restore across processes (issue 10, item 5a): the ticking
# guest; pause -> vm.snapshot -> the VMM is killed (SIGKILL) -> a new
# `petrel --restore` -> vm.resume: the ticks go on from the last one with no
# gap or repeat, the guest's uptime does not go backwards, and every tick up
# to the end is on the disk in its sector. Then power-button, exit 0.
test_linux_snapshot_restore() {
  name=linux-snapshot-restore
  sock=/tmp/petrel-snap-api.sock
  sock2=/tmp/petrel-snap-api2.sock
  img=/tmp/petrel-snap-disk.img
  snap=/tmp/petrel-snap-dir
  rm -rf "$sock" "$sock2" "$snap"
  out1="/tmp/$name.out"; out2="/tmp/$name.restored.out"
  start_ticking "$out1" "$sock" "$img" "$TICKS"
  ( sleep 300; kill $pid 2>/dev/null ) &
  watchdog=$!
  fail=""
  R1="./petrel-remote --api-socket $sock"
  R2="./petrel-remote --api-socket $sock2"
  waitn "$out1" "PETREL-TICK " 20 150 || fail="$fail no-ticks"
  $R1 pause >"/tmp/$name.remote" 2>&1 || fail="$fail pause"
  t0=$(ms)
  $R1 snapshot "file://$snap" >>"/tmp/$name.remote" 2>&1 || fail="$fail snapshot"
  t1=$(ms)
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  last_tick "$out1"
  snap_kib=$(du -k "$snap/memory-ranges" 2>/dev/null | cut -f1)
  ./petrel --restore "source_url=file://$snap" --api-socket "path=$sock2" </dev/null >"$out2" 2>&1 &
  pid=$!
  ( sleep 240; kill $pid 2>/dev/null ) &
  watchdog2=$!
  w=0; while [ $w -lt 20 ] && ! $R2 info 2>/dev/null | grep -q '"state":"Paused"'; do sleep 1; w=$((w + 1)); done
  t2=$(ms)
  $R2 info 2>/dev/null | grep -q '"state":"Paused"' || fail="$fail restored-not-paused"
  $R2 resume >>"/tmp/$name.remote" 2>&1 || fail="$fail resume"
  waitn "$out2" "PETREL-TICK " 20 120 || fail="$fail no-ticks-after-restore"
  check_ticks_after "$out2" "$img"
  stop_with_power_button "$R2" $pid
  kill $watchdog $watchdog2 2>/dev/null; wait $watchdog $watchdog2 2>/dev/null
  detail="ticks 1..$last_i before${straddled:+ (the last one cut by the pause)}, $((last_i + 1))..$end_i after; uptime $last_up -> $first_up; snapshot $((t1 - t0)) ms, ${snap_kib:-?} KiB on disk; restore to Paused within $((t2 - t1)) ms"
  if [ -z "$fail" ]; then
    result "$name" PASS "$detail"
  else
    tail -15 "$out1"; echo ---; tail -25 "$out2"; cat "/tmp/$name.remote"
    result "$name" FAIL "$fail; $detail"
  fi
  rm -rf "$img" "$snap"
}

# Live migration between two petrel processes (issue 10, items 5b-5d),
# `live_migration <unix|tcp|local|cancel>`: the ticking guest, with a memory
# dirtier besides, runs in one petrel; an empty petrel waits in
# `petrel-remote receive-migration`; `petrel-remote send-migration` (CH's
# documented forms) moves the VM. local: over a UNIX socket with local=on,
# the guest's memory shared=on: the memory fds travel, so the destination
# maps the very memfds the source mapped (same inodes in /proc/<pid>/maps).
# unix/tcp/local: the source VMM exits 0, the
# ticks go on at the destination with no gap or repeat, uptime monotonic,
# every tick on the disk; power-button there, exit 0. cancel: a 1 GiB
# guest with 480 MiB of non-zero memory, downtime_ms=1,timeout_s=1,
# timeout_strategy=cancel: the first round outlasts the timeout, so the
# migration is cancelled midway: send-migration fails, the source keeps
# ticking and is still Running, the destination is empty again.
live_migration() {
  mode=$1
  name=linux-live-migration-$mode
  sock=/tmp/petrel-mig-src.sock; sock2=/tmp/petrel-mig-dst.sock
  img=/tmp/petrel-mig-disk.img
  if [ "$mode" = tcp ]; then
    ip link set lo up 2>/dev/null  # the L1's loopback starts down
    url=tcp:127.0.0.1:6150
  else
    url=unix:/tmp/petrel-mig-$mode.sock
  fi
  memory=size=256M; send_extra=""
  ticks=$DIRTY_TICKS
  if [ "$mode" = local ]; then memory=size=256M,shared=on; send_extra=",local=on"; fi
  if [ "$mode" = cancel ]; then memory=size=1G; ticks=$FILLED_DIRTY_TICKS; fi
  rm -f "$sock" "$sock2" "/tmp/petrel-mig-$mode.sock"
  out1="/tmp/$name.out"; out2="/tmp/$name.dst.out"
  start_ticking "$out1" "$sock" "$img" "$ticks" "$memory"
  src=$pid
  ./petrel --api-socket "path=$sock2" </dev/null >"$out2" 2>&1 &
  dst=$!
  ( sleep 300; kill $src $dst 2>/dev/null ) &
  watchdog=$!
  fail=""
  R1="./petrel-remote --api-socket $sock"
  R2="./petrel-remote --api-socket $sock2"
  waitn "$out1" "PETREL-TICK " 15 150 || fail="$fail no-ticks"
  $R2 receive-migration "receiver_url=$url" >"/tmp/$name.receive" 2>&1 &
  receiver=$!
  sleep 1
  memfds() { awk '/memfd:petrel-guest-ram/ {print $5}' "/proc/$1/maps" 2>/dev/null | sort -u | tr '\n' ' '; }
  src_memfds=$(memfds $src)
  t0=$(ms)
  if [ "$mode" = cancel ]; then
    $R1 send-migration "destination_url=$url,downtime_ms=1,timeout_s=1,timeout_strategy=cancel" \
      >"/tmp/$name.send" 2>&1 && fail="$fail migration-did-not-cancel"
  else
    $R1 send-migration "destination_url=$url$send_extra" >"/tmp/$name.send" 2>&1 || fail="$fail send-migration"
  fi
  t1=$(ms)
  wait $receiver; receive_rc=$?
  if [ "$mode" = cancel ]; then
    [ $receive_rc -ne 0 ] || fail="$fail receive-succeeded"
    $R1 info 2>/dev/null | grep -q '"state":"Running"' || fail="$fail source-not-running"
    n=$(countn "$out1" "PETREL-TICK ")
    waitn "$out1" "PETREL-TICK " $((n + 5)) 60 || fail="$fail source-stopped-ticking"
    $R2 info >/dev/null 2>&1 && fail="$fail destination-not-empty"
    stop_with_power_button "$R1" $src
    kill $dst 2>/dev/null; wait $dst 2>/dev/null
    detail="send-migration failed after $((t1 - t0)) ms: $(tail -c 200 "/tmp/$name.send" | tr '\n' ' ')"
  else
    [ $receive_rc -eq 0 ] || fail="$fail receive-migration"
    if [ "$mode" = local ]; then
      dst_memfds=$(memfds $dst)
      [ -n "$src_memfds" ] && [ "$src_memfds" = "$dst_memfds" ] ||
        fail="$fail memfds(source '$src_memfds', destination '$dst_memfds')"
    fi
    w=0; while [ $w -lt 30 ] && kill -0 $src 2>/dev/null; do sleep 1; w=$((w + 1)); done
    if kill -0 $src 2>/dev/null; then fail="$fail source-still-running"; kill $src; fi
    wait $src; src_rc=$?
    [ $src_rc -eq 0 ] || fail="$fail source-exit-rc=$src_rc"
    last_tick "$out1"
    waitn "$out2" "PETREL-TICK " 15 120 || fail="$fail no-ticks-at-destination"
    check_ticks_after "$out2" "$img"
    stop_with_power_button "$R2" $dst
    detail="ticks 1..$last_i at the source${straddled:+ (the last one cut by the switch)}, $((last_i + 1))..$end_i at the destination; uptime $last_up -> $first_up; send-migration took $((t1 - t0)) ms${src_memfds:+; guest RAM memfd inodes $src_memfds}"
  fi
  kill $watchdog 2>/dev/null; wait $watchdog 2>/dev/null
  if [ -z "$fail" ]; then
    result "$name" PASS "$detail"
  else
    tail -15 "$out1"; echo ---; tail -25 "$out2"; cat "/tmp/$name.send" "/tmp/$name.receive"
    result "$name" FAIL "$fail; $detail"
  fi
  rm -f "$img"
}
test_linux_live_migration_unix() { live_migration unix; }
test_linux_live_migration_tcp() { live_migration tcp; }
test_linux_live_migration_local() { live_migration local; }
test_linux_live_migration_cancel() { live_migration cancel; }

# Unprivileged runs (docs/security.md, "Running without root"): as root the
# L1 creates a tap owned by user 1000 (iproute2's ip: busybox's cannot set
# an owner) and gives group 1000 /dev/kvm; then user 1000 runs Petrel with a
# disk, that tap and the serial console. The guest writes and reads back its
# disk, pings the host through the tap and powers off; Petrel must exit 0
# and must have run as uid 1000.
test_linux_unprivileged() {
  name=linux-unprivileged
  insmod /lib/modules/l1/tun.ko 2>/dev/null
  if [ ! -x ./ip-iproute2 ] || [ ! -c /dev/net/tun ]; then
    result "$name" SKIP "no iproute2 ip in the payload or no /dev/net/tun"; return
  fi
  grep -q '^petrel:' /etc/passwd 2>/dev/null ||
    printf 'root:x:0:0:root:/root:/bin/sh\npetrel:x:1000:1000:petrel:/tmp/unpriv:/bin/sh\n' >>/etc/passwd
  grep -q '^petrel:' /etc/group 2>/dev/null || printf 'root:x:0:\npetrel:x:1000:\n' >>/etc/group
  d=/tmp/unpriv
  rm -rf "$d" && mkdir -p "$d"
  cp ./petrel "$d/petrel" && chmod 755 "$d/petrel"
  dd if=/dev/zero of="$d/disk.img" bs=1M count=16 2>/dev/null
  chown -R 1000:1000 "$d"
  chmod a+r "$KIT/bzImage" "$KIT/initrd.img"
  ./ip-iproute2 tuntap del dev ptap0 mode tap 2>/dev/null
  ./ip-iproute2 tuntap add dev ptap0 mode tap user 1000 || { result "$name" FAIL "ip tuntap add failed"; return; }
  ip addr add 192.168.250.1/24 dev ptap0 && ip link set ptap0 up
  # What Debian's udev rules do on a host: /dev/kvm root:kvm 0660 (here the
  # group is the user's), /dev/net/tun 0666. The L1 has no udev.
  kvm_mode=$(stat -c '%a %g' /dev/kvm) tun_mode=$(stat -c '%a' /dev/net/tun)
  chgrp 1000 /dev/kvm && chmod 660 /dev/kvm && chmod 666 /dev/net/tun
  UNPRIVPROBE=$(b64 'echo "PETREL-UNPRIV-WRITE=$(echo petrel-unprivileged | dd of=/dev/vda conv=fsync 2>/dev/null; echo $?)"; echo "PETREL-UNPRIV-READ=$(head -c 19 /dev/vda)"; ip link set eth0 up; ip addr add 192.168.250.2/24 dev eth0; ping -c 3 -W 2 192.168.250.1 >/dev/null; echo "PETREL-UNPRIV-PING-RC=$?"')
  timeout 120 su petrel -c "echo PETREL-RUN-AS=\$(id -u); exec $d/petrel --kernel $KIT/bzImage \
    --initramfs $KIT/initrd.img --cmdline '$BASE petrel.end=poweroff petrel.cmd=$UNPRIVPROBE' \
    --cpus boot=1 --memory size=512M --serial tty --console off --disk path=$d/disk.img \
    --net tap=ptap0,mac=12:34:56:78:9a:bc" </dev/null >"/tmp/$name.out" 2>&1
  rc=$?
  chgrp "${kvm_mode#* }" /dev/kvm; chmod "${kvm_mode% *}" /dev/kvm; chmod "$tun_mode" /dev/net/tun
  ./ip-iproute2 tuntap del dev ptap0 mode tap 2>/dev/null
  fail=""
  grep -q "PETREL-RUN-AS=1000" "/tmp/$name.out" || fail="$fail not-run-as-1000"
  [ $rc -eq 0 ] || fail="$fail petrel-rc=$rc"
  grep -q "PETREL-UNPRIV-WRITE=0" "/tmp/$name.out" || fail="$fail disk-write"
  grep -q "PETREL-UNPRIV-READ=petrel-unprivileged" "/tmp/$name.out" || fail="$fail disk-read"
  [ "$(head -c 19 "$d/disk.img")" = petrel-unprivileged ] || fail="$fail host-sees-no-data"
  grep -q "PETREL-UNPRIV-PING-RC=0" "/tmp/$name.out" || fail="$fail ping"
  if [ -z "$fail" ]; then
    result "$name" PASS "uid 1000, pre-made tap ptap0, /dev/kvm group-shared"
  else
    tail -25 "/tmp/$name.out"
    result "$name" FAIL "$fail"
  fi
  rm -rf "$d"
}

# Net from caller-opened fds (issue 15, item 6): a macvtap in bridge mode on
# a dummy parent, beside a macvlan holding the L1's address; the caller opens
# the macvtap's /dev/tapN twice (one queue each: macvtap's multiqueue) and
# hands Petrel fds 3 and 4 as CH's docs do (--net fd=[3,4],num_queues=4).
# The guest must see two queue pairs and ping the L1 through the macvtap.
test_linux_net_fds_macvtap() {
  name=linux-net-fds-macvtap
  for m in dummy macvlan tap macvtap; do insmod "/lib/modules/l1/$m.ko" 2>/dev/null; done
  if [ ! -x ./ip-iproute2 ] || ! grep -qw macvtap /proc/modules; then
    result "$name" SKIP "no iproute2 ip in the payload or no macvtap module in the L1 kit"; return
  fi
  IP=./ip-iproute2
  mac=52:54:00:60:00:02
  $IP link del mvt0 2>/dev/null; $IP link del mvl0 2>/dev/null; $IP link del pdummy0 2>/dev/null
  $IP link add pdummy0 type dummy && $IP link set pdummy0 up &&
    $IP link add link pdummy0 name mvt0 type macvtap mode bridge &&
    $IP link set mvt0 address $mac up &&
    $IP link add link pdummy0 name mvl0 type macvlan mode bridge &&
    $IP addr add 192.168.60.1/24 dev mvl0 && $IP link set mvl0 up ||
    { result "$name" FAIL "cannot set up the macvtap"; return; }
  idx=$(cat /sys/class/net/mvt0/ifindex)
  node=/dev/tap$idx
  if [ ! -c "$node" ]; then
    devno=$(cat /sys/class/net/mvt0/macvtap/tap$idx/dev)
    mknod "$node" c "${devno%:*}" "${devno#*:}"
  fi
  FDPROBE=$(b64 'ip link set eth0 up; ip addr add 192.168.60.2/24 dev eth0
echo "PETREL-FDS-RXQ=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"
echo "PETREL-FDS-MAC=$(cat /sys/class/net/eth0/address)"
ping -c 3 -W 2 192.168.60.1 >/dev/null; echo "PETREL-FDS-PING-RC=$?"')
  timeout 120 ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$FDPROBE" --cpus boot=2 --memory size=512M \
    --serial tty --console off --net "fd=[3,4],mac=$mac,num_queues=4" \
    3<>"$node" 4<>"$node" </dev/null >"/tmp/$name.out" 2>&1
  rc=$?
  $IP link del mvt0; $IP link del mvl0; $IP link del pdummy0
  fail=""
  [ $rc -eq 0 ] || fail="$fail petrel-rc=$rc"
  grep -q "PETREL-FDS-RXQ=2" "/tmp/$name.out" || fail="$fail not-two-queue-pairs"
  grep -q "PETREL-FDS-MAC=$mac" "/tmp/$name.out" || fail="$fail mac"
  grep -q "PETREL-FDS-PING-RC=0" "/tmp/$name.out" || fail="$fail ping"
  if [ -z "$fail" ]; then
    result "$name" PASS "macvtap mvt0 ($node opened twice: fds 3 and 4), 2 queue pairs, ping"
  else
    tail -25 "/tmp/$name.out"
    result "$name" FAIL "$fail"
  fi
}

# The seccomp and Landlock tests (core/isolation) on the L1's kernel: a
# forbidden call in a confined child ends it with Petrel's SIGSYS report
# naming the call, ioctls are checked by number, Landlock denies what it
# was not given.
test_isolation() {
  [ -x ./petrel_isolation_test ] || { result isolation SKIP "petrel_isolation_test not in the payload"; return; }
  gtest_results ./petrel_isolation_test
}

# Every VMM this suite ran had the default --seccomp true: none of them may
# have hit its filter (the SIGSYS report names the thread and the call).
test_no_seccomp_violation() {
  hits=$(grep -l "seccomp: the .* thread made a system call" /tmp/*.out 2>/dev/null)
  if [ -z "$hits" ]; then
    result no-seccomp-violation PASS "$(ls /tmp/*.out 2>/dev/null | wc -l) VMM outputs checked"
  else
    grep -h "seccomp: the .* thread made a system call" $hits | head -5
    result no-seccomp-violation FAIL "$(echo $hits | tr '\n' ' ')"
  fi
}

# Landlock on a real kernel (docs/security.md): an empty VMM builds a VM with
# landlock_enable, which confines the VM thread to the files that config
# names. The guest runs; then vm.shutdown, vm.delete, vm.create naming a disk
# outside the first config's files: vm.boot fails with EACCES and the VMM
# keeps serving (still confined: Landlock layers only narrow, so even the
# first config's files are now out of reach), and ends with exit 0 on
# vmm.shutdown. (A running VM opening a new file needs hot-plug: not yet.)
test_linux_landlock() {
  name=linux-landlock
  sock=/tmp/petrel-ll-api.sock
  rm -rf /tmp/ll "$sock" && mkdir -p /tmp/ll/in /tmp/ll/out
  dd if=/dev/zero of=/tmp/ll/in/a.img bs=1M count=8 2>/dev/null
  dd if=/dev/zero of=/tmp/ll/out/b.img bs=1M count=8 2>/dev/null
  R="./petrel-remote --api-socket $sock"
  for d in in out; do
    cat >/tmp/ll/$d.json <<JSON
{"payload":{"kernel":"$KIT/bzImage","initramfs":"$KIT/initrd.img",
 "cmdline":"$BASE petrel.end=power-button"},
 "cpus":{"boot_vcpus":1,"max_vcpus":1},"memory":{"size":536870912},
 "serial":{"mode":"Tty"},"console":{"mode":"Off"},"disks":[{"path":"/tmp/ll/$d/$( [ $d = in ] && echo a || echo b ).img"}],
 "landlock_enable":true}
JSON
  done
  ./petrel --api-socket "path=$sock" </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  ( sleep 300; kill $pid 2>/dev/null ) &
  watchdog=$!
  fail=""
  : >"/tmp/$name.remote"
  w=0; while [ $w -lt 20 ] && ! $R ping >/dev/null 2>&1; do sleep 1; w=$((w + 1)); done
  $R create /tmp/ll/in.json >>"/tmp/$name.remote" 2>&1 && $R boot >>"/tmp/$name.remote" 2>&1 || fail="$fail first-boot"
  waitn "/tmp/$name.out" PETREL-GUEST-WAITING-POWER-BUTTON 1 120 || fail="$fail guest-1-not-up"
  $R shutdown >>"/tmp/$name.remote" 2>&1 && $R delete >>"/tmp/$name.remote" 2>&1 || fail="$fail shutdown-delete"
  $R create /tmp/ll/out.json >>"/tmp/$name.remote" 2>&1 || fail="$fail create-outside"
  if $R boot >"/tmp/$name.denied" 2>&1; then
    fail="$fail outside-disk-booted"
  else
    grep -qi "permission denied" "/tmp/$name.denied" || fail="$fail not-EACCES($(head -c 200 "/tmp/$name.denied"))"
  fi
  $R ping >/dev/null 2>&1 || fail="$fail vmm-gone"
  $R info 2>/dev/null | grep -q '"state":"Created"' || fail="$fail not-created-after-refusal"
  # The VMM stays confined (Landlock layers only add): it ends cleanly.
  $R delete >>"/tmp/$name.remote" 2>&1 || fail="$fail delete"
  $R shutdown-vmm >>"/tmp/$name.remote" 2>&1 || fail="$fail shutdown-vmm"
  w=0; while [ $w -lt 30 ] && kill -0 $pid 2>/dev/null; do sleep 1; w=$((w + 1)); done
  kill $watchdog 2>/dev/null
  wait $pid; rc=$?
  [ $rc -eq 0 ] || fail="$fail exit-rc=$rc"
  if [ -z "$fail" ]; then
    result "$name" PASS "outside disk: $(grep -oi 'opening disk [^:]*: permission denied' "/tmp/$name.denied" | head -1); VMM kept serving"
  else
    tail -15 "/tmp/$name.out"; cat "/tmp/$name.remote" "/tmp/$name.denied"
    result "$name" FAIL "$fail"
  fi
  rm -rf /tmp/ll
}

# The disk rate limiter with the guest's own driver: --disk bw_size=1 MiB,
# bw_refill_time=100 ms (10 MiB/s). The guest writes 4 MiB with O_DIRECT
# and reads it back: the data must be intact, and the writes cannot have
# taken less than 0.25 s (the full bucket pays the first MiB; the other
# three need 300 ms of refill), measured with the guest's uptime.
test_linux_disk_rate_limit() {
  name=linux-disk-rate-limit
  img=/tmp/petrel-rl.img
  dd if=/dev/zero of="$img" bs=1M count=8 2>/dev/null
  RLPROBE=$(b64 'dd if=/dev/urandom of=/tmp/w bs=1M count=4 2>/dev/null; a=$(cut -d" " -f1 /proc/uptime); dd if=/tmp/w of=/dev/vda bs=256k oflag=direct conv=fsync 2>/dev/null; rc=$?; b=$(cut -d" " -f1 /proc/uptime); echo "PETREL-RL-WRITE rc=$rc ms=$(awk -v a=$a -v b=$b "BEGIN { printf \"%d\", (b - a) * 1000 }")"; echo "PETREL-RL-SUM $(sha256sum /tmp/w | cut -c1-64) $(dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | sha256sum | cut -c1-64)"')
  run_vm "$name" 120 "PETREL-RL-SUM" 0 -- ./petrel --kernel "$KIT/bzImage" \
    --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$RLPROBE" \
    --cpus boot=1 --memory size=512M --serial tty --console off \
    --disk "path=$img,bw_size=1048576,bw_refill_time=100"
  w=$(grep -a -o 'PETREL-RL-WRITE rc=[0-9]* ms=[0-9]*' "/tmp/$name.out" | tail -1)
  sums=$(grep -a -o 'PETREL-RL-SUM [0-9a-f]* [0-9a-f]*' "/tmp/$name.out" | tail -1)
  ms=${w##*ms=}
  set -- $sums
  wrote=""; case "$w" in *" rc=0 "*) wrote=1 ;; esac
  if [ -n "$wrote" ] && [ -n "${3:-}" ] && [ "$2" = "$3" ] && [ "${ms:-0}" -ge 250 ]; then
    result "$name-limited" PASS "4 MiB written in ${ms} ms at 10 MiB/s, read back intact"
  else
    result "$name-limited" FAIL "write: ${w:-none}; sums: ${sums:-none}"
  fi
  rm -f "$img"
}

# qcow2 on real KVM (issue 13): an overlay over a raw base image, made by
# qemu-img in L1 (shipped in the payload). The guest writes 4 MiB at 2 MiB
# (O_DIRECT) and 3000 bytes straddling clusters, then prints checksums of
# what it wrote and of the whole disk; the host finds the overlay sound
# (qemu-img check), the disk as the guest saw it (qemu-img convert), the
# base untouched, and without backing_files=on the VMM refuses the disk.
test_linux_qcow2_overlay() {
  name=linux-qcow2-overlay
  if [ ! -x ./qemu-img ]; then result "$name" SKIP "no qemu-img in the payload"; return; fi
  d=/tmp/qcow2-overlay; rm -rf "$d"; mkdir -p "$d"
  q=$(pwd)/qemu-img
  dd if=/dev/urandom of="$d/base.raw" bs=1M count=16 2>/dev/null
  base_sum=$(sha256sum "$d/base.raw" | cut -c1-64)
  (cd "$d" && "$q" create -q -f qcow2 -b base.raw -F raw overlay.qcow2) || { result "$name" FAIL "qemu-img create"; return; }
  QPROBE=$(b64 'dd if=/dev/urandom of=/tmp/w bs=1M count=4 2>/dev/null; dd if=/tmp/w of=/dev/vda bs=1M seek=2 oflag=direct conv=fsync 2>/dev/null; echo hello-petrel-qcow2 | dd of=/dev/vda bs=1 seek=8386000 conv=fsync 2>/dev/null; echo "PETREL-QCOW-SUM $(sha256sum /tmp/w | cut -c1-64) $(dd if=/dev/vda bs=1M skip=2 count=4 iflag=direct 2>/dev/null | sha256sum | cut -c1-64) $(dd if=/dev/vda bs=1M count=16 iflag=direct 2>/dev/null | sha256sum | cut -c1-64)"')
  run_vm "$name" 120 "PETREL-QCOW-SUM" 0 -- ./petrel --kernel "$KIT/bzImage" \
    --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$QPROBE" \
    --cpus boot=1 --memory size=512M --serial tty --console off \
    --disk "path=$d/overlay.qcow2,backing_files=on"
  sums=$(grep -a -o 'PETREL-QCOW-SUM [0-9a-f]* [0-9a-f]* [0-9a-f]*' "/tmp/$name.out" | tail -1)
  set -- $sums
  fail=""
  [ -n "${4:-}" ] && [ "$2" = "$3" ] || fail="$fail guest-readback(${sums:-none})"
  ./qemu-img check "$d/overlay.qcow2" >"/tmp/$name.check" 2>&1 || fail="$fail check($(tr '\n' ' ' <"/tmp/$name.check" | head -c 300))"
  ./qemu-img convert -O raw "$d/overlay.qcow2" "$d/out.raw" || fail="$fail convert"
  [ "$(sha256sum "$d/out.raw" | cut -c1-64)" = "${4:-}" ] || fail="$fail host-disk-differs"
  [ "$(dd if="$d/out.raw" bs=1M skip=2 count=4 2>/dev/null | sha256sum | cut -c1-64)" = "${2:-}" ] || fail="$fail host-written-differs"
  [ "$(dd if="$d/out.raw" bs=1M count=2 2>/dev/null | sha256sum | cut -c1-64)" = "$(dd if="$d/base.raw" bs=1M count=2 2>/dev/null | sha256sum | cut -c1-64)" ] || fail="$fail unwritten-not-base"
  [ "$(sha256sum "$d/base.raw" | cut -c1-64)" = "$base_sum" ] || fail="$fail base-modified"
  dd if="$d/out.raw" bs=1 skip=8386000 count=18 2>/dev/null | grep -q hello-petrel-qcow2 || fail="$fail straddling-write"
  timeout 30 ./petrel --kernel "$KIT/bzImage" --cpus boot=1 --memory size=256M --serial off \
    --console off --disk "path=$d/overlay.qcow2" >"/tmp/$name.refused" 2>&1 && fail="$fail booted-without-backing_files"
  grep -q "backing_files=on" "/tmp/$name.refused" || fail="$fail refusal-unclear($(head -c 200 "/tmp/$name.refused"))"
  if [ -z "$fail" ]; then
    result "$name-host-verified" PASS "overlay sound, guest data on the host, base untouched"
  else
    result "$name-host-verified" FAIL "$fail"
  fi
  # Crash safety: the VMM is killed with SIGKILL while the guest writes to a
  # fresh qcow2 image (every write allocates); qemu-img check must find no
  # corruption (exit 0, or 3 for leaked clusters only).
  "$q" create -q -f qcow2 "$d/crash.qcow2" 256M || { result "$name-sigkill" FAIL "qemu-img create"; return; }
  WPROBE=$(b64 'echo PETREL-QCOW-WRITING; i=0; while :; do dd if=/dev/urandom of=/dev/vda bs=64k seek=$((i * 37 % 4000)) count=3 oflag=direct 2>/dev/null; i=$((i + 1)); done')
  timeout 120 ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.cmd=$WPROBE" --cpus boot=1 --memory size=512M --serial tty \
    --console off --disk "path=$d/crash.qcow2" </dev/null >"/tmp/$name.crash" 2>&1 &
  vmm=$!
  waitn "/tmp/$name.crash" PETREL-QCOW-WRITING 1 90 && sleep 3
  kill -9 $vmm 2>/dev/null; wait $vmm 2>/dev/null
  "$q" check "$d/crash.qcow2" >"/tmp/$name.crashcheck" 2>&1; rc=$?
  allocated=$(grep -o '[0-9]*/[0-9]* = [0-9.]*% allocated' "/tmp/$name.crashcheck")
  if { [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && ! grep -q ERROR "/tmp/$name.crashcheck" && grep -q PETREL-QCOW-WRITING "/tmp/$name.crash"; then
    result "$name-sigkill" PASS "qemu-img check rc=$rc after SIGKILL mid-write ($allocated)"
  else
    tail -5 "/tmp/$name.crash"; head -20 "/tmp/$name.crashcheck"
    result "$name-sigkill" FAIL "qemu-img check rc=$rc"
  fi
  rm -rf "$d"
}

. ./clean_boot.sh  # test_linux_clean_boot

if [ -n "$ONLY" ]; then
  for t in $ONLY; do
    f=test_$(echo "$t" | tr - _)
    if type "$f" >/dev/null 2>&1; then "$f"; else result "$t" FAIL "PETREL_NESTED_ONLY: no function $f"; fi
  done
  exit 0
fi

# Linux from bzImage and from the PVH vmlinux, powering off through ACPI S5.
for fmt in bzImage vmlinux; do
  name=linux-$fmt-poweroff
  [ "$fmt" = vmlinux ] && name=linux-pvh-poweroff
  if [ -f "$KIT/$fmt" ]; then
    run_vm "$name" 60 PETREL-GUEST-READY 0 -- ./petrel --kernel "$KIT/$fmt" \
      --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$PROBE" \
      --cpus boot=1 --memory size=512M --serial tty --console off
    if grep -q "PETREL-ACPI-ISSUES=0" "/tmp/$name.out"; then
      result "$name-acpi-clean" PASS
    else
      result "$name-acpi-clean" FAIL "$(grep -A5 PETREL-ACPI-ISSUES "/tmp/$name.out" | tr '\n' ' ')"
    fi
  else
    result "$name" SKIP "no $fmt in the guest kit"
  fi
done

# PCI: the guest finds the host bridge 00:00.0 (8086:0d57) and uses the ECAM
# window the MCFG describes (reserved in the motherboard resources).
PCIPROBE=$(b64 'echo "PETREL-PCI-HOST=$(cat /sys/bus/pci/devices/0000:00:00.0/vendor):$(cat /sys/bus/pci/devices/0000:00:00.0/device)"; dmesg | grep -iE "mmconfig|ECAM|PCI0|PNP0A08" | head -8')
name=linux-pci-host-bridge
run_vm "$name" 60 "PETREL-PCI-HOST=0x8086:0x0d57" 0 -- ./petrel --kernel "$KIT/bzImage" \
  --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$PCIPROBE" \
  --cpus boot=1 --memory size=512M --serial tty --console off
if grep -qiE "MMCONFIG at .* reserved (in E820|as ACPI motherboard resource)" "/tmp/$name.out" && ! grep -qi "not using MMCONFIG" "/tmp/$name.out"; then
  result "$name-ecam" PASS
else
  grep -iE "mmconfig|ECAM" "/tmp/$name.out"
  result "$name-ecam" FAIL "the kernel did not take the MCFG window"
fi

# The clean boot of both kernels, 1 and 2 vCPUs, every device type, the RTC
# (tests/nested/clean_boot.sh); its 6.1 boots are the 1- and 2-vCPU SMP tests.
test_linux_clean_boot

# SMP: the guest sees exactly the boot vCPUs (more vCPUs than host cores is
# fine); 1 and 2 are counted by the clean-boot tests above.
for n in 4; do
  run_vm "linux-smp-$n" 90 "PETREL-CPUS=$n" 0 -- ./petrel --kernel "$KIT/bzImage" \
    --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$PROBE" \
    --cpus "boot=$n" --memory size=512M --serial tty --console off
done

# Reboot restarts the VM with the same configuration: the guest counts its
# boots in CMOS RAM, which Petrel keeps across a guest reset (as a PC's
# battery does); it reboots on boot 1 and powers off on boot 2, so the ready
# marker appears twice and Petrel then exits 0. On boot 1 the guest also
# writes 2030-01-02 03:04:05 UTC into the RTC (hwclock -w); boot 2 must read
# it back, a few seconds later (the RTC offset survives the reset).
RTCW=1893553445
REBOOTPROBE=$(b64 'b=$(dd if=/dev/nvram bs=1 skip=50 count=1 2>/dev/null | od -An -tu1 | tr -d " \n")
if [ "${b:-0}" = 0 ]; then date -u -s @'$RTCW' >/dev/null; hwclock -w -u; echo "PETREL-HWCLOCK-W-RC=$?"
else echo "PETREL-RTC-AFTER-REBOOT=$(cat /sys/class/rtc/rtc0/since_epoch)"; fi')
name=linux-reboot-then-poweroff
run_vm "$name" 90 "PETREL-GUEST-BOOT 2" 0 -- ./petrel --kernel "$KIT/bzImage" \
  --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=reboot-once petrel.cmd=$REBOOTPROBE" \
  --cpus boot=1 --memory size=512M --serial tty --console off
ready=$(grep -c PETREL-GUEST-READY "/tmp/$name.out")
if [ "$ready" -eq 2 ] && grep -q "PETREL-GUEST-BOOT 1" "/tmp/$name.out"; then
  result "$name-marker-twice" PASS
else
  result "$name-marker-twice" FAIL "ready marker seen $ready times"
fi
after=$(grep -o 'PETREL-RTC-AFTER-REBOOT=[0-9]*' "/tmp/$name.out" | cut -d= -f2)
if grep -q "PETREL-HWCLOCK-W-RC=0" "/tmp/$name.out" && [ -n "$after" ] &&
   [ $((after - RTCW)) -ge 0 ] && [ $((after - RTCW)) -lt 120 ]; then
  result "$name-hwclock-w-survives" PASS "RTC $((after - RTCW))s after the written time"
else
  grep -E "PETREL-(HWCLOCK|RTC)" "/tmp/$name.out"
  result "$name-hwclock-w-survives" FAIL "written $RTCW, read back ${after:-nothing}"
fi

# The ACPI power button through the REST API: the guest waits for KEY_POWER
# on its "Power Button" input device (button.ko + evdev.ko), then powers off;
# Petrel must exit 0. petrel-remote speaks ch-remote's commands.
name=linux-power-button
sock=/tmp/petrel-api.sock
rm -f "$sock"
./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
  --cmdline "$BASE petrel.end=power-button" --cpus boot=1 --memory size=512M --serial tty \
  --console off --api-socket "$sock" </dev/null >"/tmp/$name.out" 2>&1 &
pid=$!
waited=0
while [ $waited -lt 60 ] && ! grep -q PETREL-GUEST-WAITING-POWER-BUTTON "/tmp/$name.out" 2>/dev/null; do
  sleep 1; waited=$((waited + 1))
done
./petrel-remote --api-socket "$sock" power-button >"/tmp/$name.remote" 2>&1
remote_rc=$?
waited=0
while [ $waited -lt 30 ] && kill -0 $pid 2>/dev/null; do sleep 1; waited=$((waited + 1)); done
kill $pid 2>/dev/null
wait $pid
rc=$?
if [ $remote_rc -eq 0 ] && [ $rc -eq 0 ] && grep -q PETREL-GUEST-POWER-BUTTON "/tmp/$name.out"; then
  result "$name" PASS "power-off ${waited}s after the API call"
else
  tail -20 "/tmp/$name.out"; cat "/tmp/$name.remote"
  result "$name" FAIL "petrel rc=$rc, petrel-remote rc=$remote_rc"
fi

# virtio-rng (always present, as in Cloud Hypervisor): the guest reads /dev/hwrng.
RNGPROBE=$(b64 'echo "PETREL-HWRNG=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"; echo "PETREL-HWRNG-BYTES=$(head -c 4096 /dev/hwrng | wc -c)"')
run_vm linux-virtio-rng 60 "PETREL-HWRNG-BYTES=4096" 0 -- ./petrel --kernel "$KIT/bzImage" \
  --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$RNGPROBE" \
  --cpus boot=1 --memory size=512M --serial tty --console off

# virtio-blk on a raw file: the guest reads what the host wrote (same
# checksum) and writes data the host then reads back (same checksum).
img=/tmp/petrel-disk.img
dd if=/dev/urandom of="$img" bs=1M count=4 2>/dev/null
dd if=/dev/zero of="$img" bs=1M seek=4 count=12 conv=notrunc 2>/dev/null
host_sum=$(dd if="$img" bs=1M count=4 2>/dev/null | sha256sum | cut -c1-64)
BLKPROBE=$(b64 'echo "PETREL-VDA-READ=$(dd if=/dev/vda bs=1M count=4 2>/dev/null | sha256sum | cut -c1-64)"; dd if=/dev/urandom of=/tmp/w bs=1M count=2 2>/dev/null; echo "PETREL-VDA-WROTE=$(sha256sum /tmp/w | cut -c1-64)"; dd if=/tmp/w of=/dev/vda bs=1M seek=8 count=2 conv=fsync 2>/dev/null; echo "PETREL-VDA-WRITE-RC=$?"')
name=linux-virtio-blk
run_vm "$name" 90 "PETREL-VDA-WRITE-RC=0" 0 -- ./petrel --kernel "$KIT/bzImage" \
  --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$BLKPROBE" \
  --cpus boot=1 --memory size=512M --serial tty --console off --disk "path=$img"
guest_read=$(grep -o 'PETREL-VDA-READ=[0-9a-f]*' "/tmp/$name.out" | cut -d= -f2)
guest_wrote=$(grep -o 'PETREL-VDA-WROTE=[0-9a-f]*' "/tmp/$name.out" | cut -d= -f2)
host_read=$(dd if="$img" bs=1M skip=8 count=2 2>/dev/null | sha256sum | cut -c1-64)
if [ -n "$guest_read" ] && [ "$guest_read" = "$host_sum" ]; then
  result "$name-guest-reads-host-data" PASS
else
  result "$name-guest-reads-host-data" FAIL "host $host_sum guest ${guest_read:-none}"
fi
if [ -n "$guest_wrote" ] && [ "$guest_wrote" = "$host_read" ]; then
  result "$name-host-reads-guest-data" PASS
else
  result "$name-host-reads-guest-data" FAIL "guest ${guest_wrote:-none} host $host_read"
fi

# A read-only disk refuses writes and the file stays unchanged.
before=$(sha256sum "$img" | cut -c1-64)
ROPROBE=$(b64 'cat /sys/block/vda/ro; dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dev/null; echo "PETREL-RO-WRITE-RC=$?"')
name=linux-virtio-blk-readonly
run_vm "$name" 90 "PETREL-RO-WRITE-RC=[1-9]" 0 -- ./petrel --kernel "$KIT/bzImage" \
  --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$ROPROBE" \
  --cpus boot=1 --memory size=512M --serial tty --console off --disk "path=$img,readonly=on"
if [ "$(sha256sum "$img" | cut -c1-64)" = "$before" ]; then
  result "$name-file-unchanged" PASS
else
  result "$name-file-unchanged" FAIL "the image changed"
fi
rm -f "$img"

# virtio-console as the guest's console (hvc0), the legacy UART off.
HVCPROBE=$(b64 'echo "PETREL-HVC=$(cat /sys/class/tty/console/active)"')
run_vm linux-virtio-console 60 "PETREL-HVC=hvc0" 0 -- ./petrel --kernel "$KIT/bzImage" \
  --initramfs "$KIT/initrd.img" \
  --cmdline "console=hvc0 quiet petrel.end=poweroff petrel.cmd=$HVCPROBE" \
  --cpus boot=1 --memory size=512M --serial off --console tty

# virtio-net on a tap Petrel creates (192.168.249.1/24 on the L1 side, CH's
# default): the guest and the L1 ping each other, and 100 MiB cross the link
# each way over TCP (busybox httpd + wget) with matching SHA-256 sums.
name=linux-virtio-net
insmod /lib/modules/l1/tun.ko 2>/dev/null
if [ ! -c /dev/net/tun ] && grep -qw tun /proc/modules; then
  mkdir -p /dev/net && mknod /dev/net/tun c 10 200
fi
if [ ! -c /dev/net/tun ]; then
  result "$name" SKIP "no /dev/net/tun in the L1 (tun.ko missing from the kit)"
else
  rm -rf /tmp/www && mkdir -p /tmp/www
  dd if=/dev/urandom of=/tmp/www/data bs=1M count=100 2>/dev/null
  sent_sum=$(sha256sum /tmp/www/data | cut -c1-64)
  httpd -p 8000 -h /tmp/www
  NETPROBE=$(b64 'ip link set eth0 up; ip addr add 192.168.249.2/24 dev eth0; ping -c 3 -W 2 192.168.249.1 >/dev/null; echo "PETREL-PING-RC=$?"; wget -q -O /tmp/d http://192.168.249.1:8000/data; echo "PETREL-WGET-RC=$?"; echo "PETREL-NET-SUM=$(sha256sum /tmp/d | cut -c1-64)"; mkdir -p /tmp/www; mv /tmp/d /tmp/www/back; httpd -p 8001 -h /tmp/www; echo PETREL-NET-SERVING; sleep 300')
  sock=/tmp/petrel-net-api.sock
  rm -f "$sock"
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$NETPROBE" --cpus boot=1 --memory size=1G \
    --serial tty --console off --net "ip=192.168.249.1,mask=255.255.255.0" --api-socket "$sock" \
    </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  waited=0
  while [ $waited -lt 120 ] && ! grep -q PETREL-NET-SERVING "/tmp/$name.out" 2>/dev/null; do
    sleep 1; waited=$((waited + 1))
  done
  ping -c 3 -W 2 192.168.249.2 >/dev/null 2>&1; host_ping=$?
  rm -f /tmp/back
  wget -q -O /tmp/back http://192.168.249.2:8001/back; host_wget=$?
  back_sum=$(sha256sum /tmp/back 2>/dev/null | cut -c1-64)
  ./petrel-remote --api-socket "$sock" shutdown-vmm >/dev/null 2>&1
  waited=0
  while [ $waited -lt 30 ] && kill -0 $pid 2>/dev/null; do sleep 1; waited=$((waited + 1)); done
  kill $pid 2>/dev/null; wait $pid; rc=$?
  kill "$(pidof httpd)" 2>/dev/null
  guest_sum=$(grep -o 'PETREL-NET-SUM=[0-9a-f]*' "/tmp/$name.out" | cut -d= -f2)
  if grep -q "PETREL-PING-RC=0" "/tmp/$name.out" && [ $host_ping -eq 0 ]; then
    result "$name-ping-both-ways" PASS
  else
    tail -20 "/tmp/$name.out"
    result "$name-ping-both-ways" FAIL "guest: $(grep -o 'PETREL-PING-RC=[0-9]*' "/tmp/$name.out"), host rc=$host_ping"
  fi
  if [ "$guest_sum" = "$sent_sum" ]; then
    result "$name-100MiB-host-to-guest" PASS
  else
    result "$name-100MiB-host-to-guest" FAIL "sent $sent_sum, guest got ${guest_sum:-nothing}"
  fi
  if [ $host_wget -eq 0 ] && [ "$back_sum" = "$sent_sum" ]; then
    result "$name-100MiB-guest-to-host" PASS
  else
    result "$name-100MiB-guest-to-host" FAIL "wget rc=$host_wget, got ${back_sum:-nothing}"
  fi
  [ $rc -eq 0 ] && result "$name-exit" PASS || result "$name-exit" FAIL "petrel rc=$rc"
  rm -rf /tmp/www /tmp/back
fi

test_linux_doorbell_flood
test_linux_api_lifecycle
test_linux_cpu_hotplug
test_linux_pci_hotplug
test_linux_virtio_mem
test_linux_acpi_memory
test_linux_numa
test_linux_balloon
test_linux_balloon_reporting
test_linux_pvpanic
test_linux_watchdog
test_linux_pmem
test_linux_iommu
test_linux_tpm
test_linux_vsock
test_linux_snapshot_restore
test_linux_live_migration_unix
test_linux_live_migration_tcp
test_linux_live_migration_local
test_linux_live_migration_cancel
test_linux_disk_rate_limit
test_linux_qcow2_overlay
test_linux_unprivileged
test_linux_net_fds_macvtap
test_linux_landlock
test_isolation
test_no_seccomp_violation
