#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/boot_bench_l1.sh: the L1 half of perf/boot_bench.sh. Runs inside the
# nested harness's L1 (busybox sh, as /payload/run-tests.sh) on L1's real KVM.
# Owns the benchmark loop: every iteration runs each configuration once
# (round robin, so drift in the host's load spreads over all of them) under
# /payload/bin/boot_timer and prints one line per run on the console:
#
#   PERF-RAW config=NAME iter=I try=T <boot_timer's key=value pairs>
#
# iter=0 is the warm-up (not in the statistics). A run that times out, exits
# non-zero or never shows its marker is retried once (try=2; reported). Also
# prints PERF-INFO (versions, CPU) and PERF-SMAPS (one line per mapping with
# resident pages, from the first measured run of each configuration) lines,
# and one PETREL-RESULT per configuration for the harness.
#
# Environment (run.sh --env): BENCH_RUNS (10), BENCH_WARMUP (1),
# BENCH_CONFIGS (all of: petrel petrel-pvh qemu-microvm qemu-q35 null-petrel
# null-qemu-microvm), BENCH_WATCHDOG_S (30, per Linux boot).
result() { echo "PETREL-RESULT $*"; }

P=/payload/bin
BT=$P/boot_timer
PETREL=$P/petrel
QEMU=$P/qemu-system-x86_64
NULL_ELF=$P/null_guest.elf
RUNS=${BENCH_RUNS:-10}
WARMUP=${BENCH_WARMUP:-1}
CONFIGS=${BENCH_CONFIGS:-petrel petrel-pvh qemu-microvm qemu-q35 null-petrel null-qemu-microvm}
WATCHDOG=${BENCH_WATCHDOG_S:-30}
MEM_MIB=512
# shellcheck disable=SC1091
. "$PETREL_KIT/kit.env"
# The guest powers off after its marker (ACPI S5): Petrel, like Cloud
# Hypervisor, restarts the VM on a guest reboot, so reboot would never end it.
APPEND="$PETREL_KIT_L2_CMDLINE petrel.end=poweroff"
KERNEL_BZ=$PETREL_KIT/bzImage
KERNEL_PVH=$PETREL_KIT/vmlinux
INITRD=$PETREL_KIT/initrd.img

if [ ! -c /dev/kvm ]; then
  for c in $CONFIGS; do result "bench-$c" SKIP "no /dev/kvm in L1"; done
  exit 0
fi

echo "PERF-INFO l1_kernel=$(uname -r) l1_cpus=$(grep -c ^processor /proc/cpuinfo) l1_mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
echo "PERF-INFO l1_cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo | tr ' ' '_')"
echo "PERF-INFO kvm_amd_npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null) kvm_amd_nrips=$(cat /sys/module/kvm_amd/parameters/nrips 2>/dev/null)"
echo "PERF-INFO qemu=$("$QEMU" --version | head -1 | tr ' ' '_')"
echo "PERF-INFO petrel=$("$PETREL" --version 2>&1 | head -1 | tr ' ' '_')"
echo "PERF-INFO cmdline=$(echo "$APPEND" | tr ' ' '_')"
echo "PERF-INFO runs=$RUNS warmup=$WARMUP watchdog_s=$WATCHDOG configs=$(printf '%s' "$CONFIGS" | tr -s ' ' ',')"

# timer CONFIG [--smaps-out F]: one run of CONFIG under boot_timer; the
# BOOT-TIMER line on stdout, the VMM's console and log in /tmp/vmm.log.
QEMU_COMMON="-enable-kvm -cpu host -m ${MEM_MIB}M -smp 1 -nodefaults -no-user-config -nographic -serial stdio -no-reboot"
timer() {
  config=$1
  shift
  case "$config" in
    petrel)
      "$BT" --marker guest_entry="boot: vcpu 0 enters the guest" --marker marker=PETREL-GUEST-READY \
        --rss-at marker --guest-ram-mib $MEM_MIB --timeout-s "$WATCHDOG" "$@" -- \
        "$PETREL" -v --kernel "$KERNEL_BZ" --initramfs "$INITRD" --cmdline "$APPEND" \
        --cpus boot=1 --memory size=${MEM_MIB}M --serial tty --console off ;;
    petrel-noseccomp)
      # petrel with the seccomp filters off (the default is --seccomp true):
      # the cost of filtering. Not in the default set.
      "$BT" --marker guest_entry="boot: vcpu 0 enters the guest" --marker marker=PETREL-GUEST-READY \
        --rss-at marker --guest-ram-mib $MEM_MIB --timeout-s "$WATCHDOG" "$@" -- \
        "$PETREL" -v --seccomp false --kernel "$KERNEL_BZ" --initramfs "$INITRD" --cmdline "$APPEND" \
        --cpus boot=1 --memory size=${MEM_MIB}M --serial tty --console off ;;
    petrel-pvh)
      "$BT" --marker guest_entry="boot: vcpu 0 enters the guest" --marker marker=PETREL-GUEST-READY \
        --rss-at marker --guest-ram-mib $MEM_MIB --timeout-s "$WATCHDOG" "$@" -- \
        "$PETREL" -v --kernel "$KERNEL_PVH" --initramfs "$INITRD" --cmdline "$APPEND" \
        --cpus boot=1 --memory size=${MEM_MIB}M --serial tty --console off ;;
    qemu-microvm)
      # With "reboot -f" QEMU microvm never ended (Linux picks reboot=efi on
      # hardware-reduced ACPI and falls back to the BIOS reset vector); with
      # the guest's ACPI power-off it exits 0 by itself (all runs of
      # perf/results/boot-20261126-204427). The 5 s grace after the marker
      # stays only as a guard: a killed run reports no exit milestone and
      # the table notes it.
      # shellcheck disable=SC2086
      "$BT" --marker marker=PETREL-GUEST-READY --rss-at marker --guest-ram-mib $MEM_MIB \
        --timeout-s "$WATCHDOG" --exit-grace-s 5 "$@" -- \
        "$QEMU" -M microvm $QEMU_COMMON -kernel "$KERNEL_PVH" -initrd "$INITRD" -append "$APPEND" ;;
    qemu-q35)
      # shellcheck disable=SC2086
      "$BT" --marker marker=PETREL-GUEST-READY --rss-at marker --guest-ram-mib $MEM_MIB \
        --timeout-s "$WATCHDOG" "$@" -- \
        "$QEMU" -M q35 $QEMU_COMMON -kernel "$KERNEL_BZ" -initrd "$INITRD" -append "$APPEND" ;;
    null-petrel)
      "$BT" --marker guest_entry="boot: vcpu 0 enters the guest" --marker marker=PETREL-NULL-OK \
        --rss-at marker --guest-ram-mib $MEM_MIB --timeout-s 20 "$@" -- \
        "$PETREL" -v --kernel "$NULL_ELF" --cpus boot=1 --memory size=${MEM_MIB}M \
        --serial tty --console off ;;
    null-qemu-microvm)
      # The null guest first writes S5 to Petrel's ACPI sleep control port
      # 0x600 (Petrel exits there); microvm has nothing at 0x600 (its sleep
      # register is GED MMIO), so the write is ignored and the guest's i8042
      # reset (0xFE to port 0x64) follows. microvm has no i8042:
      # -device i8042 adds the ISA one, and with -no-reboot that reset ends
      # QEMU with exit 0. The same guest, one extra ignored exit for QEMU.
      # shellcheck disable=SC2086
      "$BT" --marker marker=PETREL-NULL-OK --rss-at marker --guest-ram-mib $MEM_MIB \
        --timeout-s 20 "$@" -- \
        "$QEMU" -M microvm $QEMU_COMMON -device i8042 -kernel "$NULL_ELF" ;;
    *)
      echo "boot_bench_l1: unknown config $config" >&2
      return 2 ;;
  esac 2>/tmp/vmm.log
}

# ok LINE: the run reached its marker and exited 0 (or was killed on purpose
# after its marker: --exit-grace-s) without the watchdog.
ok() {
  case "$1" in *" marker_ms=-1 "*) return 1 ;; esac
  case "$1" in *" exit_code=0 timed_out=0 "*) return 0 ;; esac
  case "$1" in *" timed_out=0 killed_after_markers=1"*) return 0 ;; esac
  return 1
}

for c in $CONFIGS; do
  eval "fails_$(echo "$c" | tr - _)=0"
done
iter=$((1 - WARMUP))
[ "$iter" -gt 1 ] && iter=1
while [ "$iter" -le "$RUNS" ]; do
  label=$iter
  [ "$iter" -lt 0 ] && label=0
  for c in $CONFIGS; do
    smaps=""
    [ "$iter" = 1 ] && smaps="--smaps-out /tmp/smaps.$c"
    for try in 1 2; do
      # shellcheck disable=SC2086
      line=$(timer "$c" $smaps)
      line=${line#BOOT-TIMER }
      echo "PERF-RAW config=$c iter=$label try=$try $line"
      if ok "$line"; then break; fi
      echo "PERF-FAIL config=$c iter=$label try=$try; last lines of the VMM's console/log:"
      tail -n 15 /tmp/vmm.log | sed 's/^/PERF-FAIL | /'
      if [ "$try" = 2 ]; then
        v=$(echo "$c" | tr - _)
        eval "fails_$v=\$((fails_$v + 1))"
      fi
    done
  done
  iter=$((iter + 1))
done

# One line per mapping with resident pages: config rss_kib size_kib perms name.
for c in $CONFIGS; do
  [ -f "/tmp/smaps.$c" ] || continue
  awk -v c="$c" '
    /^[0-9a-f]+-[0-9a-f]+ / {
      perms = $2; name = ($6 == "" ? "[anon]" : $6); size = 0; next
    }
    /^Size:/ { size = $2 }
    /^Rss:/ { if ($2 > 0) printf "PERF-SMAPS %s %d %d %s %s\n", c, $2, size, perms, name }
  ' "/tmp/smaps.$c"
done

for c in $CONFIGS; do
  v=$(echo "$c" | tr - _)
  f=0
  eval "f=\$fails_$v"
  if [ "$f" = 0 ]; then
    result "bench-$c" PASS "$RUNS runs"
  else
    result "bench-$c" FAIL "$f of $RUNS runs failed twice"
  fi
done
exit 0
