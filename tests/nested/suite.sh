#!/bin/sh
# Petrel's real-KVM test suite. Runs inside the nested-KVM harness's L1 guest
# (busybox sh, /dev/kvm from kvm_amd), from /payload, with the guest kit in
# $PETREL_KIT. Reports each test as "PETREL-RESULT <name> PASS|FAIL|SKIP [detail]".
cd /payload || exit 1
KIT=${PETREL_KIT:-/kit}

result() { echo "PETREL-RESULT $1 $2 ${3:-}"; }

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

# The KVM backend's own tests, one result per test case.
if [ -x ./kvm_backend_test ]; then
  ./kvm_backend_test >/tmp/kvm_backend_test.out 2>&1
  grep -E '^\[  (FAILED|SKIPPED) \]' /tmp/kvm_backend_test.out
  for n in $(grep -E '^\[       OK \] ' /tmp/kvm_backend_test.out | awk '{print $4}'); do result "$n" PASS; done
  for n in $(grep -E '^\[  FAILED  \] [A-Za-z0-9_]+\.[A-Za-z0-9_]+ \(' /tmp/kvm_backend_test.out | awk '{print $4}'); do
    result "$n" FAIL
  done
  for n in $(grep -E '^\[  SKIPPED \] [A-Za-z0-9_]+\.[A-Za-z0-9_]+ \(' /tmp/kvm_backend_test.out | awk '{print $4}'); do
    result "$n" SKIP
  done
fi

run_vm null-guest 60 PETREL-NULL-OK 0 -- ./petrel --kernel ./null_guest.elf --serial tty --console off

# The kit's recommended command line (skips two initcalls that crawl under TCG).
[ -f "$KIT/kit.env" ] && . "$KIT/kit.env"
BASE="${PETREL_KIT_L2_CMDLINE:-console=ttyS0 quiet}"
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
# In the guest: count online CPUs and ACPI errors/warnings in the kernel log.
PROBE=$(b64 'echo "PETREL-CPUS=$(grep -c ^processor /proc/cpuinfo)"; echo "PETREL-ACPI-ISSUES=$(dmesg | grep -ciE "acpi.*(error|warning)|acpi bios")"; dmesg | grep -iE "acpi.*(error|warning)|acpi bios" | head -5')

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

# SMP: the guest sees exactly the boot vCPUs (more vCPUs than host cores is fine).
for n in 1 2 4; do
  run_vm "linux-smp-$n" 90 "PETREL-CPUS=$n" 0 -- ./petrel --kernel "$KIT/bzImage" \
    --initramfs "$KIT/initrd.img" --cmdline "$BASE petrel.end=poweroff petrel.cmd=$PROBE" \
    --cpus "boot=$n" --memory size=512M --serial tty --console off
done

# Reboot restarts the VM: the ready marker appears twice; the second boot
# then powers off... but the command line is the same for both boots, so the
# guest reboots forever: stop Petrel once the second marker is seen.
# How many ready markers a (possibly not yet created) output file holds.
markers() { cat "$1" 2>/dev/null | grep -c PETREL-GUEST-READY; }
name=linux-reboot-restarts
attempt=1
while :; do
  ./petrel --kernel "$KIT/bzImage" --initramfs "$KIT/initrd.img" \
    --cmdline "$BASE petrel.end=reboot" --cpus boot=1 --memory size=512M --serial tty \
    --console off </dev/null >"/tmp/$name.out" 2>&1 &
  pid=$!
  waited=0
  while [ $waited -lt 60 ] && [ "$(markers "/tmp/$name.out")" -lt 2 ]; do
    sleep 1; waited=$((waited + 1))
  done
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
  count=$(markers "/tmp/$name.out")
  if [ "$count" -ge 2 ]; then
    result "$name" PASS "marker seen $count times in ${waited}s (attempt $attempt)"
    break
  fi
  if [ $attempt -ge 3 ]; then
    tail -30 "/tmp/$name.out"; result "$name" FAIL "marker seen $count times in ${waited}s"
    break
  fi
  echo "nested-suite: $name saw the marker $count times in ${waited}s (attempt $attempt)"
  attempt=$((attempt + 1))
done
