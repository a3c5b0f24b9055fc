#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# ci/nested/selftest.sh: runs inside L1 (busybox sh) as /payload/run-tests.sh.
# Proves the harness and the guest kit: kvm-device (/dev/kvm exists) and
# l2-linux-qemu (QEMU microvm + KVM boots the kit's PVH vmlinux and initrd to
# PETREL-GUEST-READY within a watchdog; one retry). Payload: make-qemu-payload.sh.
# Protocol: one "PETREL-RESULT <name> PASS|FAIL|SKIP [detail]" line per test.
result() { echo "PETREL-RESULT $*"; }
up() { cut -d' ' -f1 /proc/uptime; }

if [ -c /dev/kvm ]; then
  result kvm-device PASS
else
  result kvm-device FAIL "no /dev/kvm in L1"
fi

QEMU=/payload/bin/qemu-system-x86_64
L2_WATCHDOG=${L2_WATCHDOG:-120}
# shellcheck disable=SC1091
. "$PETREL_KIT/kit.env"
L2_APPEND=${L2_APPEND:-${PETREL_KIT_L2_CMDLINE:-console=ttyS0 quiet} petrel.end=poweroff}
if [ ! -x "$QEMU" ]; then
  result l2-linux-qemu SKIP "no $QEMU in the payload"
  exit 0
fi
if [ ! -c /dev/kvm ]; then
  result l2-linux-qemu SKIP "no /dev/kvm"
  exit 0
fi

# boot_l2: one L2 boot under the watchdog, its console streamed to L1's;
# on success writes the seconds from QEMU start to the marker in /tmp/l2.time.
boot_l2() {
  rm -f /tmp/l2.time
  start=$(up)
  timeout -s KILL "$L2_WATCHDOG" "$QEMU" -M microvm -enable-kvm -cpu host -m 256M -smp 1 \
    -nodefaults -no-user-config -nographic -serial stdio \
    -kernel "$PETREL_KIT/vmlinux" -initrd "$PETREL_KIT/initrd.img" \
    -append "$L2_APPEND" </dev/null 2>&1 |
    while IFS= read -r line; do
      echo "$line"
      case "$line" in
        PETREL-GUEST-READY*) awk -v a="$start" -v b="$(up)" 'BEGIN { printf "%.2f\n", b - a }' >/tmp/l2.time ;;
      esac
    done
  [ -s /tmp/l2.time ]
}

retries=0
for try in 1 2; do
  if boot_l2; then
    result l2-linux-qemu PASS "marker $(cat /tmp/l2.time)s after QEMU start (retries=$retries)"
    exit 0
  fi
  if [ "$try" = 1 ]; then
    retries=1
    echo "PETREL-INFO l2-linux-qemu: no guest marker within ${L2_WATCHDOG}s, retrying (1/1)"
  fi
done
result l2-linux-qemu FAIL "no PETREL-GUEST-READY within ${L2_WATCHDOG}s (retries=$retries)"
exit 0
