#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# The main job: installs what is missing, builds Petrel, fetches the Debian
# guest kit, and boots it with Petrel, showing the guest's serial console.
#
# Uses the host's /dev/kvm when it is hardware-backed (the CPU shows vmx/svm);
# otherwise runs Petrel inside the nested-KVM harness (a QEMU TCG guest with
# emulated SVM, where kvm_amd is a real KVM), and says which.
# Interactive (stdin is a terminal): the guest ends in a shell; leave it
# (`exit` or `poweroff -f`) to power the guest off. Otherwise the guest powers
# off right after its ready marker. Exits 0 when the guest powers off (a guest
# reboot restarts the VM, as with Cloud Hypervisor).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

bash ci/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target petrel
bash ci/guest-kit/build.sh
# shellcheck disable=SC1091
source "${PETREL_GUEST_KIT:-$HOME/.cache/petrel/guest-kit}/kit.env"

end=poweroff
[ -t 0 ] && end=shell
cmdline="${PETREL_KIT_L2_CMDLINE:-console=ttyS0 quiet} petrel.end=$end"

if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
  echo "demo: host /dev/kvm is hardware-backed; booting on it (end=$end)"
  exec build/vmm/petrel --kernel "$PETREL_KIT_BZIMAGE" --initramfs "$PETREL_KIT_INITRD" --cmdline "$cmdline" \
    --cpus boot=1 --memory size=512M --serial tty --console off
fi

echo "demo: host /dev/kvm is $( [ -c /dev/kvm ] && echo 'not hardware-backed (PVM)' || echo absent ); booting inside the nested-KVM harness (end=$end)"
[ "$end" = shell ] && echo "demo: when the guest shell appears, type 'exit' (or 'poweroff -f') to end it"
payload=$(mktemp -d /tmp/petrel-demo.XXXXXX)
trap 'rm -rf "$payload"' EXIT
cp build/vmm/petrel "$payload/"
cat >"$payload/demo.sh" <<SCRIPT
#!/bin/sh
/payload/petrel --kernel /kit/bzImage --initramfs /kit/initrd.img --cmdline "$cmdline" \\
  --cpus boot=1 --memory size=512M --serial tty --console off
rc=\$?
echo "demo: petrel exited with status \$rc"
[ \$rc -eq 0 ] && echo "PETREL-RESULT demo PASS" || echo "PETREL-RESULT demo FAIL rc=\$rc"
SCRIPT
args=(--payload "$payload" --script "$payload/demo.sh" --timeout 1800)
[ "$end" = shell ] && args+=(--interactive)
bash ci/nested/run.sh "${args[@]}"
