#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# /init of the L1 initramfs built by ci/nested/run.sh.
# Owns the L1 side of the nested protocol: load irqbypass, kvm, kvm_amd, check
# /dev/kvm, print PETREL-L1-KVM-READY, run /payload/run-tests.sh with
# PETREL_KIT=/kit, print "PETREL-L1-DONE rc=N" and power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run /var/tmp
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
up() { cut -d' ' -f1 /proc/uptime; }

echo "PETREL-L1-TIME init=$(up)"
for m in irqbypass kvm kvm-amd; do
  insmod "/lib/modules/l1/$m.ko" || echo "PETREL-L1: insmod $m failed"
done
if [ -c /dev/kvm ]; then
  echo "PETREL-L1-KVM-READY"
else
  echo "PETREL-L1-NO-KVM (svm in cpuinfo: $(grep -c -w svm /proc/cpuinfo))"
fi
echo "PETREL-L1-TIME kvm=$(up)"

export PETREL_KIT=/kit HOME=/root
# run.sh --env NAME=VALUE lines
# shellcheck disable=SC1091
[ -f /etc/petrel-env ] && . /etc/petrel-env
cd /payload || cd /
sh /payload/run-tests.sh
rc=$?
echo "PETREL-L1-TIME done=$(up)"
echo "PETREL-L1-DONE rc=$rc"
poweroff -f
sleep 3600
