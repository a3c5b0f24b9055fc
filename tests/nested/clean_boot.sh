# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# tests/nested/clean_boot.sh: sourced by suite.sh (needs run_vm, result, b64,
# $KIT, $BASE); suite.sh calls test_linux_clean_boot. "What the guest sees": the Debian 6.1 cloud kernel and the
# bookworm-backports cloud kernel (6.12), each with 1 and 2 vCPUs and every
# device type (virtio rng, blk, net, console), booted with the plain kit
# command line. Each boot must show:
#   - the CPUs and devices (/dev/vda, eth0, hvc0, /dev/hwrng) and /dev/rtc0;
#   - hwclock -r working and the RTC within 5 minutes of the L1's clock;
#   - an RTC alarm (wakealarm +2 s) waking a reader of /dev/rtc0 (IRQ 8);
#   - the VMM's IOAPIC (the split irqchip): its version register, 0x20;
#   - no error, warning or failed probe in the guest's kernel log, except the
#     allowlist below;
#   - no KVM complaint about the guest in the L1's kernel log.
# The 6.1 boots double as the 1- and 2-vCPU SMP tests.

# Guest kernel-log lines that are not about Petrel, each with its reason
# (extended regular expressions, matched against the line without its
# timestamp).
CLEAN_ALLOW='
# The L1 is emulated by TCG on a shared host: its clocks jitter, so the
# guest kernel compares timers over 100 ms windows that disagree by a few
# percent (seen: "APIC calibration not consistent with PM-Timer: 96ms instead
# of 100ms", 6.12, 2 vCPUs, 1 boot in 4; the PM timer counts the L1 host
# clock CLOCK_MONOTONIC, the APIC timer is KVM), and TSC checks fail.
APIC calibration not consistent with PM-Timer
TSC synchronization|Marking TSC unstable|Marking clocksource .tsc. as unstable|tsc: .*unstable
clocksource: .*(watchdog|skew|unstable|Long readout interval)
# 6.12 amd_pstate warns on any AMD CPU whose firmware has no ACPI _CPC (CPPC)
# object; a VM has no CPU frequency control to describe (QEMU and Cloud
# Hypervisor guests on AMD log the same line).
amd_pstate: the _CPC object is not present in SBIOS or ACPI disabled
'
allow_pat=$(printf '%s\n' "$CLEAN_ALLOW" | grep -v '^#' | grep -v '^$' | paste -sd'|')

# In the guest: devices, RTC, alarm, kernel-log issues.
CLEANPROBE=$(b64 '
echo "PETREL-CPUS=$(grep -c ^processor /proc/cpuinfo)"
[ -b /dev/vda ] && echo PETREL-DEV-VDA
[ -e /sys/class/net/eth0 ] && echo PETREL-DEV-ETH0
[ -c /dev/hvc0 ] && echo PETREL-DEV-HVC0
[ "$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)" != "" ] && echo PETREL-DEV-HWRNG
[ -c /dev/rtc0 ] && echo "PETREL-RTC0 $(cat /sys/class/rtc/rtc0/name 2>/dev/null)"
hwclock -r -u >/tmp/hw 2>&1; echo "PETREL-HWCLOCK-R-RC=$? $(cat /tmp/hw)"
echo "PETREL-RTC-EPOCH=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null)"
t0=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null)
echo +2 >/sys/class/rtc/rtc0/wakealarm 2>/dev/null
timeout 10 dd if=/dev/rtc0 of=/dev/null bs=8 count=1 2>/dev/null; rc=$?
t1=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null)
echo "PETREL-RTC-ALARM-RC=$rc after=$((t1 - t0))s rtc0 irq: $(grep rtc0 /proc/interrupts | tr -s " ")"
echo "PETREL-IOAPIC $(dmesg | grep -oE "IOAPIC\[0\]: apic_id [0-9]+, version [0-9]+" | head -1)"
dmesg -r | grep -E "^<[0-4]>|[Ff]ailed|[Ee]rror -?[0-9]|[Ee]rror:|[Ww]arning|[Uu]nhandled|[Ff]irmware [Bb]ug|BIOS [Bb]ug" | sed "s/^/PETREL-DMESG /"
echo PETREL-PROBE-END')

insmod /lib/modules/l1/tun.ko 2>/dev/null
if [ ! -c /dev/net/tun ] && grep -qw tun /proc/modules; then
  mkdir -p /dev/net && mknod /dev/net/tun c 10 200
fi

clean_boot() {  # clean_boot <name> <bzImage> <initrd> <vcpus>
  name=$1; kernel=$2; initrd=$3; n=$4
  img=/tmp/clean-disk.img
  dd if=/dev/zero of="$img" bs=1M count=8 2>/dev/null
  dmesg -c >/dev/null  # the L1 log from here on is this test's
  start=$(date +%s)
  run_vm "$name" 120 PETREL-PROBE-END 0 -- ./petrel --kernel "$kernel" --initramfs "$initrd" \
    --cmdline "$BASE petrel.end=poweroff petrel.cmd=$CLEANPROBE" --cpus "boot=$n" --memory size=512M \
    --serial tty --console null --disk "path=$img" \
    --net "ip=192.168.249.1,mask=255.255.255.0"
  out=/tmp/$name.out
  rm -f "$img"
  missing=""
  grep -q "PETREL-CPUS=$n" "$out" || missing="$missing cpus=$n"
  for d in VDA ETH0 HVC0 HWRNG; do grep -q "PETREL-DEV-$d" "$out" || missing="$missing $d"; done
  [ -z "$missing" ] && result "$name-devices" PASS || result "$name-devices" FAIL "missing:$missing"
  epoch=$(grep -o 'PETREL-RTC-EPOCH=[0-9]*' "$out" | cut -d= -f2)
  if grep -q "PETREL-RTC0" "$out" && grep -q "PETREL-HWCLOCK-R-RC=0" "$out" && [ -n "$epoch" ] &&
     [ $((epoch - start)) -gt -300 ] && [ $((epoch - start)) -lt 300 ]; then
    result "$name-rtc" PASS "$(grep -o 'PETREL-RTC0.*' "$out" | head -1), guest-L1 $((epoch - start))s"
  else
    grep -E "PETREL-(RTC|HWCLOCK)" "$out"; grep -iE "rtc" "$out" | head -5
    result "$name-rtc" FAIL "no /dev/rtc0, hwclock failed or time off (epoch ${epoch:-none}, L1 $start)"
  fi
  if grep -qE "PETREL-RTC-ALARM-RC=0 after=[1-4]s" "$out"; then
    result "$name-rtc-alarm" PASS "$(grep -o 'after=.*' "$out" | head -1)"
  else
    grep "PETREL-RTC-ALARM" "$out"
    result "$name-rtc-alarm" FAIL "the alarm did not wake the reader"
  fi
  # The split irqchip: the guest's IOAPIC is the VMM's, whose version
  # register says 0x20 (32); KVM's in-kernel IOAPIC says 0x11 (17).
  if grep -qE "PETREL-IOAPIC IOAPIC\[0\]: apic_id 0, version 32" "$out"; then
    result "$name-split-irqchip" PASS "the guest found the VMM's IOAPIC (version 32)"
  else
    grep -E "PETREL-IOAPIC" "$out"
    result "$name-split-irqchip" FAIL "the guest's IOAPIC is not the VMM's: $(grep -oE "version [0-9]+" "$out" | head -1)"
  fi
  issues=$(grep "^PETREL-DMESG " "$out" | sed 's/^PETREL-DMESG //; s/^<[0-9]>\[ *[0-9.]*\] //' |
           grep -vE "$allow_pat" || true)
  if [ -z "$issues" ]; then
    result "$name-guest-log-clean" PASS
  else
    printf '%s\n' "$issues" | sed "s/^/$name guest log: /" | head -30
    # The first line goes into the result too: CI's summary may keep only
    # the result lines.
    result "$name-guest-log-clean" FAIL "$(printf '%s\n' "$issues" | wc -l) lines (shown above), first: $(printf '%s\n' "$issues" | head -1 | cut -c1-200)"
  fi
  l1=$(dmesg | grep -iE "kvm|vcpu|svm" | grep -iE "unhandled|unimplemented|ignored|emulat|fail" || true)
  if [ -z "$l1" ]; then
    result "$name-l1-log-clean" PASS
  else
    printf '%s\n' "$l1" | head -10
    result "$name-l1-log-clean" FAIL "$(printf '%s\n' "$l1" | wc -l) KVM lines in the L1 log, first: $(printf '%s\n' "$l1" | head -1 | cut -c1-200)"
  fi
}

# Every clean boot (PETREL_NESTED_ONLY=linux-clean-boot runs just these).
test_linux_clean_boot() {
  for n in 1 2; do
    clean_boot "linux-clean-boot-6.1-${n}cpu" "$KIT/bzImage" "$KIT/initrd.img" "$n"
  done
  if [ -f "$KIT/bpo/bzImage" ]; then
    for n in 1 2; do
      clean_boot "linux-clean-boot-bpo-${n}cpu" "$KIT/bpo/bzImage" "$KIT/bpo/initrd.img" "$n"
    done
  else
    result linux-clean-boot-bpo SKIP "no backports kernel in the guest kit"
  fi
}
