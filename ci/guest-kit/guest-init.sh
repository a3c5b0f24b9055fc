#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# /init of the L2 guest initramfs built by ci/guest-kit/build.sh.
# Owns the guest side of the kit protocol: mount the pseudo filesystems, load
# the virtio modules present, print PETREL-GUEST-READY, run petrel.cmd
# (base64 shell command) and end as petrel.end says:
#   reboot | poweroff | shell
#   reboot-once   reboot on the first boot, power off on the second; the boot
#                 count lives in CMOS byte 0x40 (/dev/nvram offset 50), which
#                 Petrel keeps across a guest reset as a PC's battery does
#   power-button  wait for the ACPI power button (KEY_POWER on the "Power
#                 Button" input device), then power off
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

cmdline=$(cat /proc/cmdline)
kver=$(uname -r)
moddir=/lib/modules/$kver

# Loadable modules do not see "<module>.<param>=" from the kernel command line
# (the kernel only applies those to built-ins), so pass them to insmod here.
if [ -f "$moddir/load-order" ]; then
  while read -r rel; do
    [ -n "$rel" ] || continue
    name=$(basename "$rel" .ko | tr - _)
    args=""
    for w in $cmdline; do
      case "$w" in "$name".*) args="$args ${w#"$name".}" ;; esac
    done
    # shellcheck disable=SC2086  # args is a word list on purpose
    insmod "$moddir/$rel" $args >/dev/null 2>&1
  done <"$moddir/load-order"
fi

# With console=hvc0 the console is virtio-console, whose driver is a module
# loaded just above: /dev/console was not usable when init started, so take
# the hvc0 terminal now.
case " $cmdline " in
  *" console=hvc0"*) [ -c /dev/hvc0 ] && exec </dev/hvc0 >/dev/hvc0 2>&1 ;;
esac

echo "PETREL-GUEST-READY"

cmd=""
end=reboot
for w in $cmdline; do
  case "$w" in
    petrel.cmd=*) cmd=${w#petrel.cmd=} ;;
    petrel.end=*) end=${w#petrel.end=} ;;
  esac
done

if [ -n "$cmd" ]; then
  echo "$cmd" | base64 -d >/tmp/petrel-cmd.sh 2>/dev/null
  sh /tmp/petrel-cmd.sh
  echo "PETREL-GUEST-CMD-DONE rc=$?"
fi

# CMOS byte 0x40 through /dev/nvram, whose offset 0 is CMOS byte 14.
nvram_boot_count() {
  dd if=/dev/nvram bs=1 skip=50 count=1 2>/dev/null | od -An -tu1 | tr -d ' \n'
}

case "$end" in
  poweroff) poweroff -f ;;
  reboot-once)
    boots=$(nvram_boot_count)
    if [ -z "$boots" ]; then
      echo "PETREL-GUEST-NO-NVRAM"
      poweroff -f
    fi
    boots=$((boots + 1))
    echo "PETREL-GUEST-BOOT $boots"
    if [ "$boots" -eq 1 ]; then
      printf '\001' | dd of=/dev/nvram bs=1 seek=50 count=1 conv=notrunc 2>/dev/null
      reboot -f
    fi
    poweroff -f ;;
  power-button)
    ev=""
    for d in /sys/class/input/event*; do
      [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ] && ev=/dev/input/${d##*/}
    done
    if [ -z "$ev" ]; then
      echo "PETREL-GUEST-NO-POWER-BUTTON"
      poweroff -f
    fi
    echo "PETREL-GUEST-WAITING-POWER-BUTTON"
    dd if="$ev" bs=24 count=1 >/dev/null 2>&1  # one struct input_event (x86-64)
    echo "PETREL-GUEST-POWER-BUTTON"
    sync
    poweroff -f ;;
  shell)
    echo "PETREL-GUEST-SHELL (exit the shell to power off)"
    setsid cttyhack sh -l
    poweroff -f ;;
  *) reboot -f ;;
esac
sleep 3600
