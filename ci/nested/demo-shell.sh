#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# ci/nested/demo-shell.sh: the README demo, run inside L1 by
#   run.sh --interactive --payload DIR --script ci/nested/demo-shell.sh
# Boots the kit's L2 guest with petrel.end=shell on real KVM and hands the
# console to the user. Uses /payload/bin/petrel (Cloud Hypervisor-style CLI)
# when the payload has it, else /payload/bin/qemu-system-x86_64; DEMO_VMM=qemu
# or DEMO_VMM=petrel forces one.
append="console=ttyS0 quiet petrel.end=shell"
vmm=${DEMO_VMM:-}
if [ -z "$vmm" ]; then
  if [ -x /payload/bin/petrel ]; then vmm=petrel; else vmm=qemu; fi
fi
echo "demo: booting the L2 guest with $vmm; type into its shell, 'exit' powers it off"
case "$vmm" in
  petrel)
    /payload/bin/petrel --kernel "$PETREL_KIT/vmlinux" --initramfs "$PETREL_KIT/initrd.img" \
      --cmdline "$append" --cpus boot=1 --memory size=256M --serial tty --console off ;;
  *)
    /payload/bin/qemu-system-x86_64 -M microvm -enable-kvm -cpu host -m 256M -smp 1 \
      -nodefaults -no-user-config -nographic -serial stdio \
      -kernel "$PETREL_KIT/vmlinux" -initrd "$PETREL_KIT/initrd.img" -append "$append" ;;
esac
echo "PETREL-RESULT demo-shell PASS $vmm exited with $?"
