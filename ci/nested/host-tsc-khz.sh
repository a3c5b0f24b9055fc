#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# ci/nested/host-tsc-khz.sh: prints the host TSC frequency in kHz (QEMU TCG
# guests see the host's TSC rate), or nothing if it cannot be found.
# Sources, best first: sysfs tsc_freq_khz, the kernel's refined or detected
# TSC calibration in dmesg, "cpu MHz" in /proc/cpuinfo.
set -u

f=/sys/devices/system/cpu/cpu0/tsc_freq_khz
if [ -r "$f" ]; then
  v=$(tr -dc 0-9 <"$f")
  [ -n "$v" ] && [ "$v" -gt 0 ] && { echo "$v"; exit 0; }
fi

mhz_to_khz() { awk '{ printf "%d\n", $1 * 1000 + 0.5 }'; }

log=$( (dmesg 2>/dev/null || journalctl -k -b 2>/dev/null) | grep -E 'tsc: (Refined TSC clocksource calibration|Detected) ')
for pat in 'Refined TSC clocksource calibration: ' 'Detected '; do
  v=$(printf '%s\n' "$log" | grep -F "$pat" | tail -1 | sed -n "s/.*${pat}\([0-9.]*\) MHz.*/\1/p")
  if [ -n "$v" ]; then echo "$v" | mhz_to_khz; exit 0; fi
done

v=$(grep -m1 '^cpu MHz' /proc/cpuinfo 2>/dev/null | sed 's/.*: *//')
if [ -n "$v" ]; then echo "$v" | mhz_to_khz; exit 0; fi
exit 0
